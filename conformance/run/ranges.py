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
    """In a reduced-precision dtype, an exact gradient past half the dtype's largest value is not a point the
    dtype can compute at."""
    if dtype not in LOW_PRECISION:
        return
    limit = float(torch.finfo(dtype).max) / 2
    for name, exact in expected.grads.items():
        if any(abs(e) > limit for e in np.asarray(exact, dtype=object).reshape(-1)):
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
