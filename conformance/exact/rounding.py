"""Exact rounding to a binary floating-point format, independent of torch: the spec of a cast.

A cast to a lower dtype (``x.to(torch.bfloat16)``, and every cast ``torch.autocast`` inserts) is an exact
function of its input: round to nearest, ties to even, at the format's precision, with gradual underflow
below its smallest normal number and overflow to infinity past its largest.  The oracle evaluates a
function *as autocast computes it* at the rounded inputs this module gives; the kit's tests check it
against torch's own casts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Format:
    """A binary format: ``precision`` significand bits (the implicit one included), ``emin`` the exponent of
    its smallest normal number (2**emin), ``emax`` that of its largest binade."""

    precision: int
    emin: int
    emax: int

    @property
    def largest(self) -> float:
        return math.ldexp(2.0 - math.ldexp(1.0, 1 - self.precision), self.emax)


FORMATS = {"bfloat16": Format(8, -126, 127), "float16": Format(11, -14, 15), "float32": Format(24, -126, 127)}


def round_scalar(value: float, fmt: Format) -> float:
    """``value`` (a float64) rounded to nearest-even in ``fmt``; ±inf past its range, NaN stays NaN."""
    if value == 0 or not math.isfinite(value):
        return value
    exponent = max(math.frexp(value)[1] - 1, fmt.emin)  # the binade of value, or the subnormal one
    quantum = math.ldexp(1.0, exponent - fmt.precision + 1)
    rounded = round(value / quantum) * quantum  # value / quantum is exact (a power-of-two scaling); round: ties to even
    if rounded == 0:
        return math.copysign(0.0, value)  # an underflow keeps its sign: -tiny/3 rounds to -0.0
    # overflow: a value that rounds past the largest finite number is infinite (IEEE 754 round to nearest)
    return math.copysign(math.inf, value) if abs(rounded) > fmt.largest else rounded


def round_to(values: np.ndarray, dtype_name: str) -> np.ndarray:
    """Every element of ``values`` rounded to the format named ``dtype_name`` (float64 result)."""
    if dtype_name not in FORMATS:
        raise ValueError(f"no rounding rule for dtype {dtype_name!r} (known: {', '.join(FORMATS)})")
    fmt = FORMATS[dtype_name]
    values = np.asarray(values, dtype=np.float64)
    return np.vectorize(lambda v: round_scalar(float(v), fmt), otypes=[np.float64])(values).reshape(values.shape)
