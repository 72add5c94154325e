"""The exact oracle: sympy Jacobians, evaluated in high precision at the exact binary inputs.

For a case at given shapes, ``Oracle`` builds one real symbol per float input element and one per
output weight, asks the spec for the output expressions, and forms the weighted Jacobian-transpose
product g_j = sum_i v_i dF_i/dx_j together with its running-error bound (``running_error.error_expr``).
Both are compiled once (mpmath through ``lambdify`` with common-subexpression elimination) and
cached for the session.  Evaluation converts every float (float32 values are exact in float64) with
``mpmath.mpf``, which is exact, and runs at ``DIGITS`` significant digits.
"""
from __future__ import annotations

import inspect
import time
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from conformance.exact import cache as disk_cache
from conformance.exact import spec as spec_vocabulary
from conformance.exact.fast import Program
from conformance.exact.running_error import error_expr, result_rounding
from conformance.model.case import Case
from conformance.model.error import CatalogueError

DIGITS = 50



def _dirac_delta(*args) -> int:
    """DiracDelta (second derivatives of Abs, sign, Max...) vanishes off the kinks, where domains keep inputs."""
    return 0


def namespace() -> list:
    """lambdify's namespace: the spec vocabulary's custom primitives (as registered now), then mpmath.

    Built from module-level functions only, so that equal registrations give equal namespaces (the
    generated code's globals are cached by them)."""
    return [{**spec_vocabulary.MPMATH_FUNCTIONS, "mag": mpmath.fabs, "DiracDelta": _dirac_delta}, "mpmath"]


COMPILE_SECONDS: dict[str, float] = {}


def symbols_of(name: str, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        suffix = "_".join(map(str, idx))
        arr[idx] = sp.Symbol(f"{name}_{suffix}" if suffix else name, real=True)
    return arr


def as_outputs(result) -> tuple[np.ndarray, ...]:
    if isinstance(result, tuple):
        return tuple(np.asarray(r, dtype=object) for r in result)
    return (np.asarray(result, dtype=object),)


@dataclass
class Exact:
    """Exact gradients and their error bounds (in units of the roundoff), one array per input."""

    grads: dict[str, np.ndarray]   # name -> object array of mpf
    errors: dict[str, np.ndarray]  # name -> object array of mpf (E of the tolerance policy)
    terms: int                     # number of weighted terms summed per element (for the floor)


def _cse(exprs):
    """Common subexpressions in the order they are met: sympy's default canonical ordering of every
    subexpression costs more than the rest of the oracle for a large spec (attention), and changes nothing
    the generated program computes."""
    return sp.cse(exprs, order="none")


class Oracle:
    """The exact derivatives of one case at its shapes (and integer inputs), compiled on first use.

    Programs, each returning exact values and their running-error bounds:
    ``vjp`` (vᵀJ per input), ``jvp`` (J u per output), ``jvp2`` (∂²F[u, w] per output, forward over
    forward), ``hvp`` (∇²(vᵀF) u per input, the Hessian-vector product) and ``third`` (the derivative of
    the HVP in a second direction w).
    """

    def __init__(self, case: Case, constants: dict[str, np.ndarray]):
        t0 = time.perf_counter()
        self.case = case
        self.inputs = {a.name: symbols_of(a.name, a.shape) for a in case.args if a.differentiable}
        call_args = [self.inputs[a.name] if a.differentiable else constants[a.name] for a in case.args]
        try:
            outputs = as_outputs(case.spec(*call_args))
        except Exception as exc:  # a spec that cannot be built is a catalogue error, not a torch deviation
            raise CatalogueError(f"catalogue entry {case.name!r}: spec failed: {type(exc).__name__}: {exc}") from exc
        self.output_shapes = [o.shape for o in outputs]
        self._flat_out = [sp.sympify(e) for o in outputs for e in o.reshape(-1)]
        self.weights = [symbols_of(f"v{k}", o.shape) for k, o in enumerate(outputs)]
        self._flat_v = [s for w in self.weights for s in w.reshape(-1)]
        self._flat_x = [s for arr in self.inputs.values() for s in arr.reshape(-1)]
        self._flat_u = [symbols_of(f"u_{name}", arr.shape) for name, arr in self.inputs.items()]
        self._flat_u = [s for arr in self._flat_u for s in arr.reshape(-1)]
        self._flat_w = [sp.Symbol(f"w_{s.name}", real=True) for s in self._flat_x]
        self._forward_exprs = self._flat_out
        self.terms = len(self._flat_out)
        self._n = len(self._flat_x)
        self._programs: dict[str, object] = {}
        self._vjp_exprs = None
        self._forward = None
        self._program("vjp")
        COMPILE_SECONDS[case.name] = COMPILE_SECONDS.get(case.name, 0.0) + time.perf_counter() - t0

    # -- symbolic derivatives ------------------------------------------------------------------
    def _vjp_symbolic(self) -> list:
        if self._vjp_exprs is None:
            self._vjp_exprs = [sp.Add(*(v * sp.diff(f, xj) for f, v in zip(self._flat_out, self._flat_v)
                                        if xj in f.free_symbols)) for xj in self._flat_x]
        return self._vjp_exprs

    def _directional(self, exprs: list, direction: list) -> list:
        """Σ_k d_k ∂e/∂x_k for each expression e (the derivative along ``direction``)."""
        return [sp.Add(*(d * sp.diff(e, xk) for xk, d in zip(self._flat_x, direction) if xk in e.free_symbols))
                for e in exprs]

    _KINDS = {
        # kind -> (symbols after x, how to build the expressions)
        "vjp": (lambda o: o._flat_v, lambda o: o._vjp_symbolic()),
        "jvp": (lambda o: o._flat_u, lambda o: o._directional(o._flat_out, o._flat_u)),
        "jvp2": (lambda o: o._flat_u + o._flat_w,
                 lambda o: o._directional(o._directional(o._flat_out, o._flat_u), o._flat_w)),
        "hvp": (lambda o: o._flat_v + o._flat_u, lambda o: o._directional(o._vjp_symbolic(), o._flat_u)),
        "third": (lambda o: o._flat_v + o._flat_u + o._flat_w,
                  lambda o: o._directional(o._directional(o._vjp_symbolic(), o._flat_u), o._flat_w)),
    }

    def _program(self, kind: str):
        if kind not in self._programs:
            t0 = time.perf_counter()
            extra, build = self._KINDS[kind]
            symbols = self._flat_x + extra(self)
            fn = disk_cache.load(self._flat_out, symbols, namespace(), kind)
            if fn is None:
                values = build(self)
                memo: dict = {}
                errors = [error_expr(e, memo) for e in values]
                if kind != "vjp":  # torch evaluates these through other formulas: one final rounding each
                    errors = [e + result_rounding(v) for e, v in zip(errors, values)]
                fn = sp.lambdify(symbols, values + errors, modules=namespace(), cse=_cse, use_imps=False,
                                 docstring_limit=0)
                disk_cache.store(self._flat_out, symbols, fn, kind)
            self._programs[kind] = Program(fn, lambda: _source(fn), disk_cache.namespace_of(namespace()))
            if kind != "vjp":
                COMPILE_SECONDS[self.case.name] = COMPILE_SECONDS.get(self.case.name, 0.0) + time.perf_counter() - t0
        return self._programs[kind]

    # -- evaluation ----------------------------------------------------------------------------
    def _evaluate(self, kind: str, *groups) -> list:
        floats = [float(x) for group in groups for arr in group for x in np.asarray(arr).reshape(-1)]
        values = [mpmath.mpf(x) for x in floats]
        with mpmath.workdps(DIGITS):
            result = self._program(kind)(values, floats)
        result = [mpmath.mpf(r) if not isinstance(r, mpmath.mpf) else r for r in result]
        for r in result:
            if not mpmath.isfinite(r):
                raise CatalogueError(
                    f"catalogue entry {self.case.name!r}: the exact {kind} is not finite at the drawn point; "
                    "its domain admits a singular point")
        return result

    def _x(self, inputs: dict[str, np.ndarray]) -> list:
        return [inputs[name] for name in self.inputs]

    def vjp(self, inputs: dict[str, np.ndarray], weights: list[np.ndarray]) -> Exact:
        """Exact vᵀJ for each differentiable input, at float64-exact input and weight values."""
        result = self._evaluate("vjp", self._x(inputs), weights)
        return Exact(self._split(result[: self._n]), self._split(result[self._n :]), self.terms)

    def jvp(self, inputs: dict[str, np.ndarray], tangents: list[np.ndarray]) -> Exact:
        """Exact J u for each output (keys ``out0``, ``out1``...), tangents in input order."""
        result = self._evaluate("jvp", self._x(inputs), tangents)
        m = len(self._flat_out)
        return Exact(self._split_outputs(result[:m]), self._split_outputs(result[m:]), self._n)

    def hvp(self, inputs: dict[str, np.ndarray], weights: list[np.ndarray], tangents: list[np.ndarray]) -> Exact:
        """Exact ∇²(vᵀF) u for each differentiable input."""
        result = self._evaluate("hvp", self._x(inputs), weights, tangents)
        return Exact(self._split(result[: self._n]), self._split(result[self._n :]), self.terms * self._n)

    def third(self, inputs: dict[str, np.ndarray], weights: list[np.ndarray], tangents: list[np.ndarray],
              tangents2: list[np.ndarray]) -> Exact:
        """Exact derivative of the HVP ∇²(vᵀF) u along w, for each differentiable input."""
        result = self._evaluate("third", self._x(inputs), weights, tangents, tangents2)
        return Exact(self._split(result[: self._n]), self._split(result[self._n :]), self.terms * self._n ** 2)

    def jvp2(self, inputs: dict[str, np.ndarray], tangents: list[np.ndarray], tangents2: list[np.ndarray]) -> Exact:
        """Exact second directional derivative ∂²F[u, w] = Σ_jk u_j w_k ∂²F/∂x_j∂x_k for each output
        (forward over forward: the tangent along w of the tangent J u)."""
        result = self._evaluate("jvp2", self._x(inputs), tangents, tangents2)
        m = len(self._flat_out)
        return Exact(self._split_outputs(result[:m]), self._split_outputs(result[m:]), self._n ** 2)

    def _split(self, flat: list) -> dict[str, np.ndarray]:
        out, i = {}, 0
        for name, arr in self.inputs.items():
            vals = np.empty(arr.shape, dtype=object)
            vals.reshape(-1)[:] = flat[i : i + arr.size] if arr.size else []
            out[name] = vals
            i += arr.size
        return out

    def _split_outputs(self, flat: list) -> dict[str, np.ndarray]:
        out, i = {}, 0
        for k, shape in enumerate(self.output_shapes):
            size = int(np.prod(shape, dtype=np.int64))
            vals = np.empty(shape, dtype=object)
            vals.reshape(-1)[:] = flat[i : i + size] if size else []
            out[f"out{k}"] = vals
            i += size
        return out

    def forward(self, inputs: dict[str, np.ndarray]) -> list:
        """Exact forward values, flattened over the outputs (used to check specs against torch)."""
        if self._forward is None:
            self._forward = sp.lambdify(list(self._flat_x), self._forward_exprs, modules=namespace(), cse=True)
        values = [mpmath.mpf(float(x)) for name in self.inputs for x in np.asarray(inputs[name]).reshape(-1)]
        with mpmath.workdps(DIGITS):
            return [mpmath.mpf(r) for r in self._forward(*values)]


def _source(fn) -> str | None:
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return None


_CACHE: dict[tuple, object] = {}


def session_cached(kind: type, case: Case, constants: dict[str, np.ndarray] | None = None):
    """The session's one oracle of ``kind`` for a case (per value of its integer inputs and per drawn signature of
    its arguments, which fix the spec);
    keyed by the spec and the inputs' names too, since ``check_grads`` names cases after the user's function."""
    constants = constants or {}
    key = (kind, case.name, case.spec, case.bound, tuple((a.name, a.shape) for a in case.args),  # drawn shapes
           tuple((k, v.tobytes(), v.shape) for k, v in sorted(constants.items())))
    if key not in _CACHE:
        _CACHE[key] = kind(case, constants)
    return _CACHE[key]


def oracle_for(case: Case, constants: dict[str, np.ndarray] | None = None) -> Oracle:
    """The session-cached oracle of a case."""
    return session_cached(Oracle, case, constants)
