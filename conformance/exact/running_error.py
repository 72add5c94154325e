"""The running-error model: E, a bound on the rounding error of evaluating an exact expression in
floating point, in units of the roundoff, built symbolically from the expression itself and compiled into
the oracle's programs (``conformance.exact.oracle``, ``complex``; the tape applies the same rules,
``conformance.exact.tape``).  How E becomes a bound (K, u per dtype, floors) is the tolerance policy's
(``conformance.tolerance``), evaluated with the programs' values and no part of them.

E counts one rounding per operation, each weighted by the size of what it rounds, and propagates the error
of every operand through that operation's partial derivatives:

* an input or weight symbol is exact: E = 0; an integer or dyadic constant is exact, any other
  constant (1/3, pi) carries one rounding: E = |c|;
* a sum of n terms:  E = sum E(a_i) + ceil(log2 n) * sum |a_i|   (blocked/pairwise summation);
* a product:         E = sum E(a_i) * prod_{j!=i} |a_j| + (n - 1) * |prod|;
* a power a**b:      E = |b a**(b-1)| E(a) + |a**b log a| E(b) + (1 + |b|) |a**b|;
* accumulation into .grad (``conformance.tolerance.accumulated``): E(g_1 + g_2) = E(g_1) + E(g_2) + |g_1 + g_2|;
* a function f(a..): E = sum |df/da_i| E(a_i) + c_f (|f| + sum |a_i df/da_i|), c_f from
  ``PRIMITIVE_ROUNDINGS`` (1 unless measured otherwise).

The last term of the function rule is the per-primitive error model: torch's backward formulas do
not evaluate sympy's expression; they reuse rounded forward values (tanh's 1 - y**2, sigmoid's
y (1 - y)) and recompute arguments (logsumexp's exp(x - y)), so each primitive is charged as if
its arguments carried one rounding, u * (|f| + |a f'|).  That makes special functions (digamma,
lgamma) absolutely accurate near their roots and makes tanh/sigmoid gradients absolutely accurate
in the tails, which is what torch's formulas achieve.  Specs write primitives the way torch
differentiates them (``spec.logistic`` has derivative s (1 - s)).

Because sums of products are bounded by sums of absolute values, the bound scales with the
condition of the gradient, not with its (possibly cancelled) value: a multi-output VJP whose terms
cancel gets the absolute slack it needs, and a well-conditioned one stays tight, so a backward
formula off by a relative 1e-12 in float64 (or 1e-5 in float32) is caught.

Forward-mode, second- and third-order values (the ``jvp``, ``hvp`` and ``third`` programs) add one
rounding of the result itself, |value|: torch computes them through formulas arranged differently from
the derivative sympy writes (cumprod's tangent as (u / x)·y, a product's second derivative through
prod / x), so even a value whose exact expression is a bare input (E = 0) is charged its final rounding.

Piecewise pieces (Max, Min, Abs, sign, Heaviside) select exactly: away from their kinks, which
domains exclude by a margin, they add no rounding of their own.

The generated programs depend on this module whole: ``conformance.exact.cache`` hashes it into their key.
"""
from __future__ import annotations

import math

import sympy as sp

from conformance.exact import spec

# Per-primitive charge, in roundings, for the function rule's u * (|f| + sum |a_i df/da_i|) term.
# Default 1. torch's gamma-family kernels (digamma, polygamma) are Cephes-style rational
# approximations, not correctly rounded: the nightly soak measured errors up to 3.4 u (|f| + |x f'|)
# for lgamma's backward (digamma) near its root 1.4616, so they are charged 2.
#
# Catalogue-defined primitives are keyed by class name.  "lse_exp" is the exp(x_k - y_i) of
# logcumsumexp's backward: torch evaluates the weighted term as exp(log|v_i| + x_k - y_i), so the
# term carries a relative error of about u (|log|v_i|| + |x_k - y_i|); the weights reach |log|v|| ~ 9
# (|v| = 1e-4), measured 17 u in float32.  Charged 4 (K * 4 = 16 u per unit of (1 + |x_k - y_i|)).
PRIMITIVE_ROUNDINGS = {sp.polygamma: 2, sp.digamma: 2, sp.loggamma: 2, "lse_exp": 4}


class mag(sp.Function):
    """|x| that sympy never rewrites (the bound only needs magnitudes, evaluated numerically)."""


def _is_exact_constant(c: sp.Expr) -> bool:
    if c.is_Integer:
        return True
    if c.is_Rational:
        q = int(c.q)
        return q & (q - 1) == 0
    if c.is_Float:
        return float(c) == c
    return False


_SELECTORS = (sp.Max, sp.Min, sp.Abs)
_STEPS = (sp.floor, sp.ceiling, sp.sign, sp.Heaviside, sp.DiracDelta, spec.Step)


def _abs(e: sp.Expr) -> sp.Expr:
    return abs(e) if (e.is_Number or e.is_NumberSymbol) else mag(e)


def error_expr(expr: sp.Expr, _memo: dict | None = None) -> sp.Expr:
    """Running-error bound E of ``expr`` in units of the roundoff (see module docstring)."""
    memo = {} if _memo is None else _memo
    if expr in memo:
        return memo[expr]
    zero = sp.Integer(0)
    if expr.is_Symbol:
        out = zero
    elif expr.is_Number or expr.is_NumberSymbol:
        out = zero if _is_exact_constant(expr) else _abs(expr)
    elif not expr.free_symbols:
        out = _abs(expr)
    elif expr.is_Add:
        terms = expr.args
        out = sp.Add(*(error_expr(a, memo) for a in terms))
        out += math.ceil(math.log2(len(terms))) * sp.Add(*(_abs(a) for a in terms))
    elif expr.is_Mul:
        factors = expr.args
        parts = []
        for i, a in enumerate(factors):
            ea = error_expr(a, memo)
            if ea != 0:
                parts.append(ea * sp.Mul(*(_abs(b) for j, b in enumerate(factors) if j != i)))
        rounding = sum(1 for a in factors if not (a.is_Number and abs(a) == 1)) - 1
        out = sp.Add(*parts) + max(rounding, 0) * _abs(expr)
    elif expr.is_Pow:
        base, ex = expr.args
        eb, ee = error_expr(base, memo), error_expr(ex, memo)
        out = _abs(expr) * (1 + _abs(ex))
        if eb != 0:
            out += _abs(ex * base ** (ex - 1)) * eb
        if ee != 0:
            out += _abs(expr * sp.log(base)) * ee
    elif isinstance(expr, _SELECTORS + _STEPS):
        if isinstance(expr, _STEPS):
            out = zero
        else:
            out = sp.Add(*(error_expr(a, memo) for a in expr.args))
    elif isinstance(expr, sp.Piecewise):
        out = expr.func(*((error_expr(e, memo), c) for e, c in expr.args))
    elif isinstance(expr, sp.Function):
        charge = PRIMITIVE_ROUNDINGS.get(expr.func, PRIMITIVE_ROUNDINGS.get(expr.func.__name__, 1))
        out = charge * _abs(expr)
        for i, a in enumerate(expr.args, 1):
            if not a.free_symbols:
                continue
            d = expr.fdiff(i)
            ea = error_expr(a, memo)
            out += charge * _abs(a * d) + (_abs(d) * ea if ea != 0 else 0)
    else:
        raise TypeError(f"the tolerance policy has no error model for {type(expr).__name__}: {expr}")
    memo[expr] = out
    return out


def result_rounding(expr: sp.Expr) -> sp.Expr:
    """One rounding of the result itself: |expr| (0 for an expression that is exactly zero)."""
    return sp.Integer(0) if expr == 0 else _abs(expr)
