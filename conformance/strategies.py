"""Hypothesis strategies: inputs drawn from a case's domains, weight vectors in varied layouts.

Only Hypothesis's public API is used (``strategies`` and ``extra.numpy.arrays``).  Values are drawn
as float64 numpy arrays whose elements are exactly representable in the tested dtype (``width``),
so the tensor built from them and the oracle see the very same binary numbers.
"""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from .case import Case
from .domain import Index, Real

LAYOUTS = ("contiguous", "permuted", "strided", "expanded")


def width(dtype: torch.dtype) -> int:
    return {torch.float32: 32, torch.float64: 64}[dtype]


def _inward(lo: float, hi: float, w: int) -> tuple[float, float]:
    """[lo, hi] shrunk to bounds exactly representable at ``w`` bits (Hypothesis requires it)."""
    if w == 64:
        return lo, hi
    f32lo, f32hi = np.float32(lo), np.float32(hi)
    if f32lo < lo:
        f32lo = np.nextafter(f32lo, np.float32(np.inf))
    if f32hi > hi:
        f32hi = np.nextafter(f32hi, np.float32(-np.inf))
    return float(f32lo), float(f32hi)


def floats(lo: float, hi: float, dtype: torch.dtype) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] exactly representable in ``dtype``, without subnormals."""
    w = width(dtype)
    return st.floats(*_inward(lo, hi, w), width=w, allow_subnormal=False)


def real_elements(domain: Real, dtype: torch.dtype) -> st.SearchStrategy[float]:
    base = floats(domain.lo, domain.hi, dtype)
    if domain.avoid:
        return base.filter(domain.contains)
    return base


def input_array(domain: Real | Index, dtype: torch.dtype) -> st.SearchStrategy[np.ndarray]:
    if isinstance(domain, Index):
        return arrays(np.int64, domain.shape, elements=st.integers(0, domain.high - 1))
    return arrays(np.float64, domain.shape, elements=real_elements(domain, dtype))


def inputs(case: Case, dtype: torch.dtype) -> st.SearchStrategy[dict[str, np.ndarray]]:
    """One point of the case's domain: name -> array (float64 holding dtype values, or int64).

    Strategies are built once per (case, dtype) and reused: building and validating them costs
    more than drawing from them.
    """
    key = (case.name, case.call, dtype)
    if key not in _INPUTS:
        _INPUTS[key] = _inputs(case, {a.name: input_array(a.domain, dtype) for a in case.args})
    return _INPUTS[key]


_INPUTS: dict[tuple, st.SearchStrategy] = {}


@st.composite
def _inputs(draw, case: Case, arrays_by_name: dict) -> dict[str, np.ndarray]:
    values = {name: draw(strategy) for name, strategy in arrays_by_name.items()}
    if case.kinks is not None:
        gaps = np.asarray(case.kinks.fn(*(values[a.name] for a in case.args)), dtype=np.float64)
        assume(bool(np.all(np.abs(gaps) >= case.kinks.margin)))
    return values


def weight_elements(dtype: torch.dtype) -> st.SearchStrategy[float]:
    """Weights: zeros, signs, small and large magnitudes mixed within one vector."""
    return st.one_of(
        st.just(0.0),
        st.sampled_from([1.0, -1.0, 0.5, -2.0]),
        floats(-2.0, 2.0, dtype),
        floats(-1e3, 1e3, dtype),
        floats(1e-4, 1e-2, dtype).map(lambda v: -v),
    )


def weights(shape: tuple[int, ...], dtype: torch.dtype) -> st.SearchStrategy[tuple[np.ndarray, str, tuple]]:
    """A weight array for an output of ``shape``, with the layout its tensor will have.

    Draws (values, layout, small_shape) where values has the full shape; for the "expanded" layout
    the tensor is built at small_shape (one broadcast dimension of size 1) and expanded (stride 0).
    Built once per shape and dtype.
    """
    shape = tuple(shape)
    key = (shape, dtype)
    if key not in _WEIGHTS:
        elements = weight_elements(dtype)
        full = arrays(np.float64, shape, elements=elements)
        choices = [st.tuples(full, st.just(layout), st.just(shape))
                   for layout in LAYOUTS if layout != "expanded" and _layout_fits(layout, shape)]
        for dim, n in enumerate(shape):
            if n > 1:
                small = shape[:dim] + (1,) + shape[dim + 1 :]
                choices.append(st.tuples(arrays(np.float64, small, elements=elements), st.just("expanded"), st.just(small)))
        _WEIGHTS[key] = st.one_of(choices).map(lambda d: (np.broadcast_to(d[0], shape).copy(), d[1], d[2]))
    return _WEIGHTS[key]


_WEIGHTS: dict[tuple, st.SearchStrategy] = {}


def _layout_fits(layout: str, shape: tuple[int, ...]) -> bool:
    if layout == "contiguous":
        return True
    if layout == "permuted":
        return len(shape) >= 2
    if layout == "strided":
        return len(shape) >= 1
    return any(n > 1 for n in shape)  # expanded

