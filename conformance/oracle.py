"""The exact oracle: sympy Jacobians, evaluated in high precision at the exact binary inputs.

For a case at given shapes, ``Oracle`` builds one real symbol per float input element and one per
output weight, asks the spec for the output expressions, and forms the weighted Jacobian-transpose
product g_j = sum_i v_i dF_i/dx_j together with its running-error bound (``tolerance.error_expr``).
Both are compiled once (mpmath through ``lambdify`` with common-subexpression elimination) and
cached for the session.  Evaluation converts every float (float32 values are exact in float64) with
``mpmath.mpf``, which is exact, and runs at ``DIGITS`` significant digits.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from . import disk_cache
from . import spec as spec_vocabulary
from .case import Case, CatalogueError
from .tolerance import error_expr

DIGITS = 50



def _modules() -> list:
    """lambdify's namespace: the spec vocabulary's custom primitives (as registered now), then mpmath."""
    return [{**spec_vocabulary.MPMATH_FUNCTIONS, "mag": mpmath.fabs}, "mpmath"]


COMPILE_SECONDS: dict[str, float] = {}


def _symbols(name: str, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        suffix = "_".join(map(str, idx))
        arr[idx] = sp.Symbol(f"{name}_{suffix}" if suffix else name, real=True)
    return arr


def _as_outputs(result) -> tuple[np.ndarray, ...]:
    if isinstance(result, tuple):
        return tuple(np.asarray(r, dtype=object) for r in result)
    return (np.asarray(result, dtype=object),)


@dataclass
class Exact:
    """Exact gradients and their error bounds (in units of the roundoff), one array per input."""

    grads: dict[str, np.ndarray]   # name -> object array of mpf
    errors: dict[str, np.ndarray]  # name -> object array of mpf (E of the tolerance policy)
    terms: int                     # number of weighted terms summed per element (for the floor)


class Oracle:
    def __init__(self, case: Case, constants: dict[str, np.ndarray]):
        t0 = time.perf_counter()
        self.case = case
        self.inputs = {a.name: _symbols(a.name, a.shape) for a in case.args if a.differentiable}
        call_args = [self.inputs[a.name] if a.differentiable else constants[a.name] for a in case.args]
        try:
            outputs = _as_outputs(case.spec(*call_args))
        except Exception as exc:  # a spec that cannot be built is a catalogue error, not a torch deviation
            raise CatalogueError(f"catalogue entry {case.name!r}: spec failed: {type(exc).__name__}: {exc}") from exc
        self.output_shapes = [o.shape for o in outputs]
        flat_out = [sp.sympify(e) for o in outputs for e in o.reshape(-1)]
        self.weights = [_symbols(f"v{k}", o.shape) for k, o in enumerate(outputs)]
        flat_v = [s for w in self.weights for s in w.reshape(-1)]
        flat_x = [s for arr in self.inputs.values() for s in arr.reshape(-1)]
        self._forward_exprs = flat_out

        self.terms = len(flat_out)
        self._symbols = flat_x + flat_v
        self._n = len(flat_x)
        self._vjp = disk_cache.load(flat_out, self._symbols, _modules())
        if self._vjp is None:
            grads, errors = [], []
            memo: dict = {}
            for xj in flat_x:
                terms = [v * sp.diff(f, xj) for f, v in zip(flat_out, flat_v) if xj in f.free_symbols]
                g = sp.Add(*terms)
                grads.append(g)
                errors.append(error_expr(g, memo))
            self._vjp = sp.lambdify(self._symbols, grads + errors, modules=_modules(), cse=True)
            disk_cache.store(flat_out, self._symbols, self._vjp)
        self._forward = None
        COMPILE_SECONDS[case.name] = COMPILE_SECONDS.get(case.name, 0.0) + time.perf_counter() - t0

    def _split(self, flat: list) -> dict[str, np.ndarray]:
        out, i = {}, 0
        for name, arr in self.inputs.items():
            vals = np.empty(arr.shape, dtype=object)
            vals.reshape(-1)[:] = flat[i : i + arr.size] if arr.size else []
            out[name] = vals
            i += arr.size
        return out

    def vjp(self, inputs: dict[str, np.ndarray], weights: list[np.ndarray]) -> Exact:
        """Exact vᵀJ for each differentiable input, at float64-exact input and weight values."""
        values = [mpmath.mpf(float(x)) for name in self.inputs for x in np.asarray(inputs[name]).reshape(-1)]
        values += [mpmath.mpf(float(v)) for w in weights for v in np.asarray(w).reshape(-1)]
        with mpmath.workdps(DIGITS):
            result = self._vjp(*values)
        result = [mpmath.mpf(r) if not isinstance(r, mpmath.mpf) else r for r in result]
        for r in result:
            if not mpmath.isfinite(r):
                raise CatalogueError(
                    f"catalogue entry {self.case.name!r}: the exact gradient is not finite at the drawn point; "
                    "its domain admits a singular point")
        return Exact(self._split(result[: self._n]), self._split(result[self._n :]), self.terms)

    def forward(self, inputs: dict[str, np.ndarray]) -> list:
        """Exact forward values, flattened over the outputs (used to check specs against torch)."""
        if self._forward is None:
            self._forward = sp.lambdify(list(self._symbols[: self._n]), self._forward_exprs, modules=_modules(), cse=True)
        values = [mpmath.mpf(float(x)) for name in self.inputs for x in np.asarray(inputs[name]).reshape(-1)]
        with mpmath.workdps(DIGITS):
            return [mpmath.mpf(r) for r in self._forward(*values)]


_CACHE: dict[tuple, Oracle] = {}


def oracle_for(case: Case, constants: dict[str, np.ndarray] | None = None) -> Oracle:
    """The session-cached oracle of a case (per value of its integer inputs, which fix the spec)."""
    constants = constants or {}
    key = (case.name, tuple((k, v.tobytes(), v.shape) for k, v in sorted(constants.items())))
    if key not in _CACHE:
        _CACHE[key] = Oracle(case, constants)
    return _CACHE[key]
