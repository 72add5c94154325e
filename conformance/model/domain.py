"""Input domains: where a catalogue entry's inputs may be drawn.

A domain is an interval, minus a declared margin around the points where the function is singular or
not differentiable.  Integer inputs (indices) have their own domain.  Domains are plain data; the
Hypothesis strategies that draw from them live in ``strategies``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Real:
    """Floats in [lo, hi], at least ``margin`` away from each point in ``avoid``.

    ``beyond``: a wider (lo, hi) where the function and its derivative stay finite in float32 (large
    arguments, magnitudes toward overflow); only the input-space properties' ``tails`` values go there.
    """

    lo: float = -4.0
    hi: float = 4.0
    avoid: tuple[float, ...] = ()
    margin: float = 0.05
    shape: tuple[int, ...] = (6,)
    beyond: tuple[float, float] | None = None

    def __post_init__(self):
        object.__setattr__(self, "shape", _shape("Real", self.shape))
        if not self.lo < self.hi:
            raise ValueError(f"Real domain needs lo < hi, got [{self.lo}, {self.hi}]")
        if self.margin < 0:
            raise ValueError(f"Real domain margin must be >= 0, got {self.margin}")
        if self.beyond is not None and not (self.beyond[0] <= self.lo and self.hi <= self.beyond[1]):
            raise ValueError(f"Real domain beyond={self.beyond} must contain [{self.lo}, {self.hi}]")

    def of(self, *shape: int) -> "Real":
        """The same domain at another shape."""
        return replace(self, shape=tuple(shape))

    def contains(self, value: float) -> bool:
        return self.lo <= value <= self.hi and all(abs(value - p) >= self.margin for p in self.avoid)


@dataclass(frozen=True)
class Index:
    """Integer tensor (int64) with entries in [0, high): a non-differentiable input such as gather's index."""

    high: int
    shape: tuple[int, ...] = (6,)

    def __post_init__(self):
        object.__setattr__(self, "shape", _shape("Index", self.shape))
        if isinstance(self.high, bool) or not isinstance(self.high, (int, np.integer)):
            raise TypeError(f"Index domain high must be an int, got {type(self.high).__name__} {self.high!r}")
        if self.high < 1:
            raise ValueError(f"Index domain needs high >= 1 (its entries lie in [0, high)), got {self.high}")

    def of(self, *shape: int) -> "Index":
        return replace(self, shape=tuple(shape))

    def contains(self, value: int) -> bool:
        return 0 <= value < self.high


def _shape(kind: str, shape) -> tuple[int, ...]:
    """``shape`` as a tuple of sizes, or a TypeError/ValueError naming what is wrong with it."""
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"{kind} domain shape must be a tuple of ints, got {shape!r}")
    if any(n < 0 for n in shape):
        raise ValueError(f"{kind} domain shape must not have negative sizes, got {tuple(shape)}")
    return tuple(int(n) for n in shape)


TIES = 0.0  # the margin of a selection among input values, which torch compares exactly: only a tie is a kink


@dataclass(frozen=True)
class Kinks:
    """Joint constraint: every element of ``fn(*inputs)`` (numpy float64 arrays) is >= margin in size.

    Used where a function's non-differentiable set is not a product of intervals, e.g. ``x - y`` for
    ``maximum(x, y)``.  A margin keeps a computed (rounded) quantity from crossing its kink; where the
    gaps are between input values themselves (max, sort, a running min, max-pool windows) torch's
    comparisons are exact and the margin is ``TIES``: only a zero gap is excluded, so that long tensors,
    whose extremes crowd together, still meet the constraint.
    """

    fn: object
    margin: float = 0.05

    def excluded(self, *inputs) -> np.ndarray:
        """Where the constraint fails: a boolean array shaped like ``fn(*inputs)``."""
        gaps = np.abs(np.asarray(self.fn(*inputs), dtype=np.float64))
        return ~(gaps > 0) if self.margin == TIES else ~(gaps >= self.margin)
