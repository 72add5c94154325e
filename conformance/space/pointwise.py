"""The exact oracle of an elementwise entry at any size: one scalar derivative, evaluated for every element.

An elementwise entry's output element depends only on the inputs at the same (broadcast) position, so
its weighted backward is one scalar expression per input, g_a = Σ_m v_m ∂f_m/∂a, and its running-error
bound E_a (``running_error.error_expr``).  Both are compiled once per entry and evaluated vectorized:

* the values in a *reference precision* finer than the tested dtype: float64 for float32, numpy's
  extended ``longdouble`` (64-bit significand, u = 2**-64) for float64, with every constant of the
  expression folded into a reference-precision literal (50-digit mpmath, rounded once);
* the bounds E in float64, as the fixed-shape oracle's fast path does (they only scale the tolerance).

The reference's own error is bounded by the same policy at its roundoff: K·u_ref·E per element, 2**-11
of the float64 tolerance and 2**-29 of the float32 one; sums over broadcast dimensions (numpy's pairwise
summation) add (2·ceil(log2 n) + 16)·u_ref·Σ|g|.  That *margin* is added to the bound, so the
comparison is exact to within a documented fraction of the tolerance at every element.  Every element a
vectorized comparison rejects is re-evaluated in 50-digit mpmath (``exact``) before anything is reported,
and a sample of elements is always cross-checked there, so a failure is decided by the exact oracle.

Where the derivative needs a primitive numpy lacks in the reference precision (erf, the gamma family,
Bessel functions, a catalogue primitive without a numpy form) or the platform's ``longdouble`` is no
wider than float64, ``Pointwise.vectorized`` is False and the caller checks a documented sample of
elements in mpmath instead (``conformance.space.sample``).
"""
from __future__ import annotations

import inspect
import math
import time
import warnings

import mpmath
import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from conformance.exact import cache as disk_cache
from conformance.exact import spec as vocabulary
from conformance.exact.fast import Program
from conformance.exact.oracle import DIGITS, as_outputs, namespace
from conformance.exact.running_error import error_expr, mag
from conformance.model.case import Case
from conformance.model.error import CatalogueError
from conformance.tolerance import K

LONG_EPS = float(np.finfo(np.longdouble).eps)
WIDE_LONGDOUBLE = LONG_EPS <= 2.0**-63  # x86's 80-bit extended (IEEE quad elsewhere also qualifies)
COMPILE_SECONDS: dict[str, float] = {}

# numpy forms of the spec vocabulary's custom primitives (they keep the argument's precision)
_NUMPY = {
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "expm1_": np.expm1,
    "step_floor": np.floor, "step_ceil": np.ceil, "step_trunc": np.trunc, "step_round": np.rint,
    "step_sign": np.sign,
    "mag": np.abs,
    "DiracDelta": lambda *a: np.zeros_like(a[0]),
}


def reference_dtype(dtype) -> type | None:
    """The numpy dtype the values are computed in for a tested torch dtype (None: no finer one here)."""
    import torch
    if dtype == torch.float32:
        return np.float64
    if dtype == torch.float64:
        return np.longdouble if WIDE_LONGDOUBLE else None
    return None


def reference_roundoff(ref) -> float:
    return 2.0**-53 if ref is np.float64 else LONG_EPS / 2


class _Printer(NumPyPrinter):
    """numpy source whose every non-integer constant is a named reference-precision literal."""

    def __init__(self, constants: dict):
        super().__init__({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True})
        self._constants = constants

    def _constant(self, expr) -> str:
        name = self._constants.setdefault(expr, f"_c{len(self._constants)}")
        return name

    def _print_Rational(self, expr):  # noqa: N802 - sympy printer hook names
        return self._constant(expr)

    def _print_Float(self, expr):  # noqa: N802 - sympy printer hook names
        return self._constant(expr)

    def _print_NumberSymbol(self, expr):  # noqa: N802 - sympy printer hook names
        return self._constant(expr)

    _print_Pi = _print_Exp1 = _print_EulerGamma = _print_Catalan = _print_GoldenRatio = _print_NumberSymbol


def _fold(expr: sp.Expr) -> sp.Expr:
    """Every constant subexpression (log(2), sqrt(pi)...) as one number, so it becomes one literal."""
    if not expr.args:
        return expr
    if isinstance(expr, mag) and not expr.free_symbols:
        return _fold(sp.Abs(expr.args[0]))
    if isinstance(expr, sp.Expr) and not expr.free_symbols and not expr.is_Integer:
        try:
            value = sp.Float(sp.N(expr, DIGITS), DIGITS)
        except (TypeError, ValueError):  # a kit function sympy cannot evaluate (mag): fold its arguments
            value = None
        if value is not None and value.is_finite:
            return value
    return expr.func(*(_fold(a) for a in expr.args))


def _literal(value, ref) -> object:
    text = str(sp.Float(value, DIGITS))
    return ref(text) if ref is np.longdouble else np.float64(float(sp.Float(value, DIGITS)))


def _vectorized(symbols: list, exprs: list, ref, numeric: dict):
    """A numpy function of ``symbols`` returning ``exprs`` in precision ``ref`` (None if numpy lacks a primitive)."""
    exprs = [_fold(sp.sympify(e)) for e in exprs]
    constants: dict = {}
    printer = _Printer(constants)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn = sp.lambdify(symbols, exprs, modules=[numeric, "numpy"], printer=printer, cse=True)
    except Exception:  # noqa: BLE001 - a construct the numpy printer cannot write: the sampled path
        return None
    for c, name in constants.items():
        fn.__globals__[name] = _literal(c, ref)
    probe = [np.full(2, 0.75, dtype=ref) for _ in symbols]
    try:
        with np.errstate(all="ignore"):
            outs = fn(*probe)
    except Exception:  # noqa: BLE001 - a primitive numpy lacks (math.erf on an array, an unknown name)
        return None
    for o in outs:  # every value must stay in the reference precision (no silent float64 step)
        if isinstance(o, np.ndarray) and o.dtype != ref or not isinstance(o, (np.ndarray, int, ref)):
            return None
    return fn


class Pointwise:
    """The compiled scalar derivatives of one elementwise entry (``case`` with ``family="elementwise"``).

    ``vjp(values, weights, ref)``: per differentiable input, the weighted derivative at every position of
    the broadcast output (shape of the output, before any sum over broadcast dimensions), its bound E and
    the reference's own error margin (both in absolute units: multiply E by K·u of the tested dtype).
    """

    def __init__(self, case: Case):
        t0 = time.perf_counter()
        self.case = case
        self.names = [a.name for a in case.args]
        self.grad_names = [a.name for a in case.args if a.differentiable]
        xs = {n: np.array([sp.Symbol(n, real=True)], dtype=object) for n in self.names}
        try:
            outs = as_outputs(case.spec(*(xs[n] for n in self.names)))
        except Exception as exc:
            raise CatalogueError(f"catalogue entry {case.name!r}: spec failed at one element: {exc}") from exc
        self.n_outputs = len(outs)
        f = [sp.sympify(o.reshape(-1)[0]) for o in outs]
        self.x = [xs[n][0] for n in self.names]
        self.v = [sp.Symbol(f"v{m}", real=True) for m in range(self.n_outputs)]
        grads = [sp.Add(*(v * sp.diff(fm, xs[n][0]) for fm, v in zip(f, self.v))) for n in self.grad_names]
        memo: dict = {}
        errors = [error_expr(g, memo) for g in grads]
        symbols = self.x + self.v
        exact = sp.lambdify(symbols, grads + errors, modules=namespace(), cse=True)
        self._exact = Program(exact, lambda: inspect.getsource(exact), disk_cache.namespace_of(namespace()))
        numeric = {**_NUMPY, **{k: v for k, v in vocabulary.NUMPY_FUNCTIONS.items()}}
        self._values = {ref: _vectorized(symbols, grads, ref, numeric) for ref in (np.float64, np.longdouble)}
        self._bounds = _vectorized(symbols, errors, np.float64, numeric)
        COMPILE_SECONDS[case.name] = time.perf_counter() - t0  # per entry, as the fixed-shape oracle's

    def vectorized(self, dtype) -> bool:
        """Whether every element can be evaluated vectorized for this tested dtype."""
        ref = reference_dtype(dtype)
        return ref is not None and self._values.get(ref) is not None and self._bounds is not None

    def evaluate(self, values: dict[str, np.ndarray], weights: list[np.ndarray], dtype):
        """(g, E, margin) per differentiable input, each an array of the broadcast output's shape.

        Raises ``ArithmeticError`` where the vectorized evaluation is not finite (the caller then uses
        the exact path for those elements: see ``exact``)."""
        ref = reference_dtype(dtype)
        shape = np.broadcast_shapes(*(np.shape(values[n]) for n in self.names), *(np.shape(w) for w in weights))
        args = [np.broadcast_to(np.asarray(values[n], dtype=np.float64), shape) for n in self.names]
        args += [np.broadcast_to(np.asarray(w, dtype=np.float64), shape) for w in weights]
        with np.errstate(all="ignore"):
            g = self._values[ref](*(a.astype(ref) for a in args))
            e = self._bounds(*args)
        u_ref = reference_roundoff(ref)
        out = {}
        for n, gn, en in zip(self.grad_names, g, e):
            gn = np.broadcast_to(np.asarray(gn, dtype=ref), shape)
            en = np.broadcast_to(np.abs(np.asarray(en, dtype=np.float64)), shape)
            out[n] = (gn, en, K * u_ref * en + u_ref * np.abs(gn).astype(np.float64))
        return out

    def exact(self, point: dict[str, float], weights: list[float]) -> dict[str, tuple]:
        """The exact (g, E) of each differentiable input at one position, in 50-digit mpmath."""
        floats = [float(point[n]) for n in self.names] + [float(w) for w in weights]
        with mpmath.workdps(DIGITS):
            result = [r if isinstance(r, mpmath.mpf) else mpmath.mpf(r)
                      for r in self._exact([mpmath.mpf(x) for x in floats], floats)]
        k = len(self.grad_names)
        return {n: (result[i], result[k + i]) for i, n in enumerate(self.grad_names)}


def pairwise_margin(count: int, u_ref: float) -> float:
    """The reference's error factor for a sum of ``count`` terms (numpy's pairwise summation), times Σ|g|."""
    return (2 * math.ceil(math.log2(max(count, 1))) + 16) * u_ref


_CACHE: dict[str, Pointwise] = {}


def pointwise_for(case: Case) -> Pointwise:
    """The session's compiled scalar derivatives of an elementwise entry."""
    if case.name not in _CACHE:
        _CACHE[case.name] = Pointwise(case)
    return _CACHE[case.name]


__all__ = ["Pointwise", "pairwise_margin", "pointwise_for", "reference_dtype"]
