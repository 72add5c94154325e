"""Hypothesis strategies: inputs drawn from a case's domains, weight vectors in varied layouts.

Drawing each float through Hypothesis costs about as much as checking it, so an array is drawn as a
few Hypothesis choices, a *kind* (how its values are distributed) and a *seed*, from which numpy
generates the elements.  Hypothesis still drives generation: it explores kinds and seeds, replays
them (``--hypothesis-seed``, derandomized profiles) and shrinks a failure toward kind 0 (plain
uniform values) and seed 0.  Only Hypothesis's public API is used.

Values are float64 numpy arrays whose elements are exactly representable in the tested dtype and
never subnormal, so the tensor built from them and the oracle see the very same binary numbers.

Input kinds: ``uniform`` over the domain; ``specials`` mixes in the domain's bounds, small integers,
halves and the edges of the excluded margins; ``clustered`` values near one another; ``small``
log-uniform magnitudes toward the domain's smallest.  Weight kinds: ``mixed`` (zeros, signs, small
and large magnitudes within one vector), ``unit``, ``ones``, ``large``, ``sparse``.
"""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st

from conformance.model.case import Case
from conformance.model.domain import Index, Real

LAYOUTS = ("contiguous", "permuted", "strided", "expanded")
INPUT_KINDS = ("uniform", "specials", "clustered", "small")
WEIGHT_KINDS = ("mixed", "unit", "ones", "large", "sparse")
_SEEDS = st.integers(0, 2**32 - 1)
_TRIES = 50  # rejection sampling rounds for margins and joint constraints


def _numpy_dtype(dtype: torch.dtype):
    return {torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16}.get(dtype)


def component(dtype: torch.dtype) -> torch.dtype:
    """The real dtype of each part of a complex dtype (the dtype itself when real)."""
    return {torch.complex64: torch.float32, torch.complex128: torch.float64}.get(dtype, dtype)


def representable(values: np.ndarray, dtype: torch.dtype) -> np.ndarray:
    """``values`` rounded to ``dtype`` (as float64; numpy has no bfloat16: torch rounds it), subnormals flushed
    to zero, magnitudes past the dtype's largest clipped to it."""
    values = np.asarray(values, dtype=np.float64)
    big = float(torch.finfo(dtype).max)
    values = np.asarray(np.clip(values, -big, big))  # a 0-d array stays an array
    if _numpy_dtype(dtype) is None:
        out = torch.from_numpy(values.copy()).to(dtype).to(torch.float64).numpy()
    else:
        out = np.asarray(values.astype(_numpy_dtype(dtype)).astype(np.float64))
    out[np.abs(out) < torch.finfo(dtype).tiny] = 0.0
    return out


def _specials(domain: Real) -> np.ndarray:
    lo, hi = domain.lo, domain.hi
    pool = [lo, hi, 0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 0.25, -0.25, 1.5, -1.5]
    pool += [p + s * domain.margin for p in domain.avoid for s in (-1, 1)]
    pool = np.array(pool)
    return pool[(pool >= lo) & (pool <= hi)]


def _raw(kind: str, domain: Real, rng: np.random.Generator, n: int) -> np.ndarray:
    lo, hi = domain.lo, domain.hi
    if kind == "specials":
        pool = _specials(domain)
        values = rng.uniform(lo, hi, n)
        if pool.size:
            pick = rng.random(n) < 0.5
            values[pick] = rng.choice(pool, pick.sum())
        return values
    if kind == "clustered":
        centre, spread = rng.uniform(lo, hi), (hi - lo) * 10.0 ** rng.uniform(-3, -1)
        return np.clip(centre + rng.uniform(-spread, spread, n), lo, hi)
    if kind == "small":
        smallest = max(min(abs(lo), abs(hi)) if lo * hi > 0 else 0.0, 1e-3)
        largest = max(abs(lo), abs(hi))
        values = np.exp(rng.uniform(np.log(smallest), np.log(largest), n)) * rng.choice([-1.0, 1.0], n)
        return np.where((values >= lo) & (values <= hi), values, rng.uniform(lo, hi, n))
    return rng.uniform(lo, hi, n)


def real_array(domain: Real, dtype: torch.dtype, kind: str, rng: np.random.Generator) -> np.ndarray:
    """An array of ``domain.shape`` inside the domain, exactly representable in ``dtype``."""
    n = int(np.prod(domain.shape, dtype=np.int64))
    values = representable(_raw(kind, domain, rng, n), dtype)
    for _ in range(_TRIES):
        bad = (values < domain.lo) | (values > domain.hi)
        for p in domain.avoid:
            bad |= np.abs(values - p) < domain.margin
        if not bad.any():
            return values.reshape(domain.shape)
        values[bad] = representable(rng.uniform(domain.lo, domain.hi, int(bad.sum())), dtype)
    raise ValueError(f"cannot draw from {domain} in {dtype}: is it (nearly) empty?")


def _point(case: Case, dtype: torch.dtype, kinds: tuple, seed: int) -> dict[str, np.ndarray] | None:
    rng = np.random.default_rng(seed)
    for _ in range(_TRIES):
        values = {}
        for a, kind in zip(case.args, kinds):
            if isinstance(a.domain, Index):
                values[a.name] = rng.integers(0, a.domain.high, a.shape, dtype=np.int64)
            elif dtype.is_complex:  # real and imaginary parts each drawn from the domain
                values[a.name] = (real_array(a.domain, component(dtype), kind, rng)
                                  + 1j * real_array(a.domain, component(dtype), kind, rng))
            else:
                values[a.name] = real_array(a.domain, dtype, kind, rng)
        if case.kinks is None:
            return values
        if not case.kinks.excluded(*(values[a.name] for a in case.args)).any():
            return values
    return None


def uniform_point(case: Case, dtype: torch.dtype, seed: int = 0) -> dict[str, np.ndarray] | None:
    """A point of uniform values from ``seed``, outside Hypothesis (for sizing work before a draw)."""
    return _point(case, dtype, ("uniform",) * len(case.args), seed)


def inputs(case: Case, dtype: torch.dtype) -> st.SearchStrategy[dict[str, np.ndarray]]:
    """One point of the case's domain: name -> array (float64 holding dtype values, or int64)."""
    key = (case.name, case.call, tuple(a.shape for a in case.args), dtype)  # an entry may run at drawn shapes
    if key not in _INPUTS:
        kinds = st.tuples(*(st.sampled_from(INPUT_KINDS) for _ in case.args))
        _INPUTS[key] = st.builds(lambda k, s: _point(case, dtype, k, s), kinds, _SEEDS).filter(
            lambda v: v is not None)
    return _INPUTS[key]


_INPUTS: dict[tuple, st.SearchStrategy] = {}


def large_weight(dtype: torch.dtype) -> float:
    """The largest weight magnitude drawn: 1e3, or the fourth root of the dtype's largest value where that is
    less (float16: 16), so that a weight times a tangent times two derivative factors stays finite."""
    return min(1e3, float(torch.finfo(dtype).max) ** 0.25)


def weight_array(shape: tuple[int, ...], dtype: torch.dtype, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Weights: zeros, signs, small and large magnitudes, exactly representable in ``dtype``."""
    n = int(np.prod(shape, dtype=np.int64))
    big = large_weight(dtype)
    if kind == "ones":
        values = np.ones(n)
    elif kind == "unit":
        values = rng.uniform(-2.0, 2.0, n)
    elif kind == "large":
        values = rng.uniform(-big, big, n)
    elif kind == "sparse":
        values = rng.uniform(-2.0, 2.0, n) * (rng.random(n) < 0.3)
    else:  # mixed, per element
        choice = rng.integers(0, 5, n)
        values = np.choose(choice, [np.zeros(n), rng.choice([1.0, -1.0, 0.5, -2.0], n), rng.uniform(-2.0, 2.0, n),
                                    rng.uniform(-big, big, n), -10.0 ** rng.uniform(-4, -2, n)])
    return representable(values, dtype).reshape(shape)


def weights(shape: tuple[int, ...], dtype: torch.dtype) -> st.SearchStrategy[tuple[np.ndarray, str, tuple]]:
    """A weight array for an output of ``shape``, with the layout its tensor will have.

    Draws (values, layout, small_shape) where values has the full shape; for the "expanded" layout
    the tensor is built at small_shape (one broadcast dimension of size 1) and expanded (stride 0).
    """
    shape = tuple(shape)
    key = (shape, dtype)
    if key not in _WEIGHTS:
        layouts = [(l, shape) for l in LAYOUTS if l != "expanded" and _layout_fits(l, shape)]
        layouts += [("expanded", shape[:d] + (1,) + shape[d + 1 :]) for d, n in enumerate(shape) if n > 1]

        def build(layout, kind, seed):
            small, rng = layout[1], np.random.default_rng(seed)
            values = weight_array(small, component(dtype), kind, rng)
            if dtype.is_complex:
                values = values + 1j * weight_array(small, component(dtype), kind, rng)
            return np.broadcast_to(values, shape).copy(), layout[0], small

        _WEIGHTS[key] = st.builds(build, st.sampled_from(layouts), st.sampled_from(WEIGHT_KINDS), _SEEDS)
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
