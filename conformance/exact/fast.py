"""Evaluating an oracle program in two parts: exact values in 50-digit mpmath, bounds in float64.

A compiled program returns the exact values followed by their running-error bounds E (as many of
each).  The bounds only scale the tolerance (K u E), so they need no more than a few correct digits:
they are evaluated from the same generated source, cut down to what the bounds need, with Python
floats (``math`` where it agrees with mpmath on the reals).  A program whose bounds need other
primitives (polygamma, Bessel functions, the kit's matrix primitives) runs whole in mpmath, as does an
evaluation whose float bounds overflow, raise or are not finite.  The values part is cut down the same way and runs in
mpmath at the oracle's precision, so exactness is untouched.  ``tests/test_fast_bounds.py`` checks
the float bounds against the mpmath ones over the whole catalogue.
"""
from __future__ import annotations

import ast
import functools
import math
from typing import Callable

import mpmath

_NAME = "_lambdifygenerated"
FALLBACKS = [0]  # evaluations whose bounds the float path could not give (counted for the kit's tests)
# math functions that agree with mpmath's on the reals where both are defined (elsewhere math raises)
_MATH = ("exp", "log", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin", "acos", "atan", "atan2",
         "asinh", "acosh", "atanh", "erf", "erfc", "gamma", "floor", "ceil", "fabs", "expm1", "log1p", "hypot")


def _cut(tree: ast.Module, part: slice) -> ast.Module | None:
    """The generated function returning only ``part`` of its list, without the assignments it no longer needs."""
    fn = tree.body[0] if tree.body and isinstance(tree.body[0], ast.FunctionDef) else None
    if fn is None or not isinstance(fn.body[-1], ast.Return) or not isinstance(fn.body[-1].value, ast.List):
        return None
    returned = ast.List(elts=fn.body[-1].value.elts[part], ctx=ast.Load())
    needed = {n.id for n in ast.walk(returned) if isinstance(n, ast.Name)}
    kept = []
    for stmt in reversed(fn.body[:-1]):
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            return None
        if stmt.targets[0].id in needed:
            kept.append(stmt)
            needed |= {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)}
    body = [*reversed(kept), ast.Return(value=returned)]
    new = ast.FunctionDef(name=fn.name, args=fn.args, body=body, decorator_list=[], returns=None, type_comment=None,
                          type_params=[]) if hasattr(ast.FunctionDef, "type_params") else ast.FunctionDef(
        name=fn.name, args=fn.args, body=body, decorator_list=[], returns=None, type_comment=None)
    return ast.fix_missing_locations(ast.Module(body=[new], type_ignores=[]))


def _slow_calls(tree: ast.Module, namespace: dict) -> bool:
    """Whether the bounds call primitives float64 lacks (they would run in mpmath twice: no gain)."""
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    fast = set(_MATH) | {"mpf", "mag", "abs", "max", "min", "DiracDelta"}
    return any(name not in fast and name in namespace for name in called)


def float_namespace(namespace: dict) -> dict:
    """The lambdify namespace with every function and constant in float64 (see the module docstring)."""
    out = dict(namespace)
    for name, value in namespace.items():
        if name.startswith("__"):
            continue
        if name in _MATH:
            out[name] = getattr(math, name)
        elif isinstance(value, mpmath.ctx_mp_python.mpf):
            out[name] = float(value)
        elif callable(value) and not isinstance(value, type):
            out[name] = _rounded(value)
    out.update(mpf=_float_mpf, mag=abs, pi=math.pi, e=math.e, inf=math.inf, DiracDelta=lambda *a: 0.0)
    return out


def _float_mpf(*args) -> float:
    """``mpf(...)`` of generated code as a float (constants come as ints, strings or mpmath's exact tuples)."""
    return float(args[0]) if len(args) == 1 and not isinstance(args[0], tuple) else float(mpmath.mpf(*args))


def _rounded(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def call(*args):
        return float(fn(*args))
    return call


class Program:
    """One compiled oracle program: the whole (mpmath), and, from its ``SPLIT_AFTER``-th evaluation on (cutting
    the source costs about as much as a few evaluations), its values part (mpmath) and bounds part (float)."""

    SPLIT_AFTER = 2

    def __init__(self, whole: Callable, source: Callable[[], str | None] = lambda: None, namespace: dict | None = None):
        self.whole, self._source, self._namespace = whole, source, namespace or {}
        self.values: Callable | None = None
        self.bounds: Callable | None = None
        self.calls = 0

    def split(self) -> "Program":
        """Cut the source into its values and bounds parts (kept whole where that gains nothing)."""
        self._source, source = (lambda: None), self._source()
        try:
            tree = ast.parse(source) if source else None
            count = len(tree.body[0].body[-1].value.elts) if tree else 0
        except (SyntaxError, IndexError, AttributeError):
            return self
        parts = [_cut(tree, slice(0, count // 2)), _cut(tree, slice(count // 2, count))] if count else [None]
        if None in parts or count % 2 or _slow_calls(parts[1], self._namespace):
            return self
        self.values = _compiled(parts[0], dict(self._namespace))
        self.bounds = _compiled(parts[1], float_namespace(self._namespace))
        return self

    def __call__(self, exact_inputs: list, float_inputs: list) -> list:
        """Values (at the caller's mpmath precision) then bounds."""
        self.calls += 1
        if self.calls == self.SPLIT_AFTER:
            self.split()
        if self.values is None:
            return list(self.whole(*exact_inputs))
        values = list(self.values(*exact_inputs))
        try:
            bounds = [float(b) for b in self.bounds(*float_inputs)]
        except Exception:  # noqa: BLE001 - overflow, a domain error, a complex value: the mpmath path decides
            bounds = None
        if bounds is None or not all(math.isfinite(b) for b in bounds):
            FALLBACKS[0] += 1
            return list(self.whole(*exact_inputs))
        return values + [mpmath.mpf(b) for b in bounds]


def _compiled(tree: ast.Module, namespace: dict) -> Callable:
    exec(compile(tree, "<oracle program>", "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace[_NAME]
