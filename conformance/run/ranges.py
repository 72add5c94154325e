"""Points a dtype cannot compute at: rejected (a fixed point is skipped), never failed.

A trial's example is outside its dtype's range where an exact gradient passes half the largest value of a
reduced-precision dtype (float16: 65504), or where torch's forward result is not finite because the exact
output itself passes the dtype's largest value: a gradient through that rounded infinity (0·inf, inf/x)
says nothing of torch's derivative.
"""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import reject

from conformance.model.case import LOW

LOW_PRECISION = tuple(getattr(torch, name) for name in LOW)  # the reduced-precision dtypes (conformance.model.dtypes)


def _outside(data, why: str) -> None:
    """Reject the drawn example (``data``: Hypothesis's), or skip a fixed point (``data`` None)."""
    if data is None:
        pytest.skip(why)
    reject()


def gradients_within_range(expected, dtype: torch.dtype, data) -> None:
    """In a reduced-precision dtype, an exact gradient past half the dtype's largest value (``outside``) is not a
    point the dtype can compute at: the plain trial's elements share one computation (a reduction, a matrix
    product), so an element outside rejects its whole example, before any comparison."""
    for name, exact in expected.grads.items():
        if outside(np.asarray(exact, dtype=object), dtype).any():
            limit = float(torch.finfo(dtype).max) / 2
            _outside(data, f"the exact gradient of {name} exceeds {limit:g}, past {dtype}'s range")


def output_within_range(oracle, point: dict, dtype: torch.dtype, data) -> None:
    """torch's output has an infinity or NaN: where the exact output is finite and past the dtype's largest
    value (float16's product of twelve 3s, 531441), the point is outside the dtype's range.  Where the exact
    output is within range, or itself infinite (a convention's singular point), the gradients are checked as
    everywhere (an overflow inside the kernel is torch's)."""
    if dtype.is_complex:
        return
    limit = float(torch.finfo(dtype).max)
    try:
        exact = oracle.forward(point)
    except (TypeError, ValueError, ZeroDivisionError):  # no finite value to compare: checked as everywhere
        return
    if any(mpmath.isfinite(v) and mpmath.fabs(v) > limit for v in exact):
        _outside(data, f"the exact output exceeds {limit:g}, past {dtype}'s range")


def outside(exact, dtype: torch.dtype) -> np.ndarray:
    """The range rule of every comparison: in a reduced-precision dtype, the elements whose exact value passes
    half the dtype's largest (a mask over ``exact``: float64, or mpmath numbers); elsewhere none."""
    exact = np.asarray(exact)
    if dtype not in LOW_PRECISION:
        return np.zeros(exact.shape, dtype=bool)
    limit = float(torch.finfo(dtype).max) / 2
    if exact.dtype == object:
        return np.array([abs(e) > limit for e in exact.reshape(-1)], dtype=bool).reshape(exact.shape)
    with np.errstate(invalid="ignore"):
        return np.abs(exact) > limit
