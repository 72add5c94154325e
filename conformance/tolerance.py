"""The tolerance policy: how far torch's gradient may lie from the exact one, and why.

Every bound has the form

    |got - exact| <= K * u * E + (terms + 1) * tiny

u is the dtype's unit roundoff (2**-24 for float32, 2**-53 for float64), tiny its smallest normal
number, and E a *running-error bound* of the exact gradient expression, computed symbolically from
that expression (``conformance.exact.running_error``: the rules, compiled into the oracle's programs) and
evaluated with the exact values at the test point.  This module holds the rest: how E becomes a bound.

A whole Jacobian or Hessian (torch.func's jacrev, jacfwd, hessian) is computed one row or column
at a time as a batched VJP or JVP, and rounding in intermediates shared by the row reaches all of its
entries, including entries that are exactly zero (structural zeros sympy cancels symbolically, torch
numerically): each entry is allowed the largest bound of its row.

Entries whose derivatives torch computes as products of whole matrices (decompositions, inverses and
solves: ``normwise=True`` in the catalogue: det, solve, cholesky, eigh, svd and their kin) get the same
treatment for forward-mode and higher-order values (JVP, HVP, third order): torch forms them from
U, Λ, L⁻¹... over the whole matrix, so every element's rounding follows the magnitudes of its matrix,
not the element's own exact terms (a diagonal HVP entry of eigvalsh whose own bound is 200 times
below its neighbours' carried their rounding: 1.6 u-bounds in the nightly soak, and a structurally
zero HVP entry of cholesky got 5e-17): each element is allowed the largest bound of its matrix (the
last two dimensions).  First-order VJPs keep their per-element bounds, except for entries with
``normwise="always"`` (LU, whose backward is triangular solves over the whole matrix: an element of 0.07
carried 19.5 times its own bound, 0.03 times its matrix's largest).

A gradient that passes a cast to a lower dtype on its way to its leaf (under ``torch.autocast``, an op
run in float32 on an input cast to bfloat16: the cast's backward rounds the float32 gradient to
bfloat16) is rounded once more, exactly as a cast rounds: |round(g) - exact| <= u_low |g| + |g - exact|,
so its bound is the computation's bound b plus u_low (|exact| + b) plus the low dtype's tiny (``cast``).
Loss scaling by a power of two is exact in every dtype away from overflow and underflow: the autocast
property checks it bit for bit, with no bound at all.

K = 4 is the safety factor of float32 and float64 (measured: docs/figures.md, tail sensitivity and the soaks);
bfloat16 and float16 have 3 (``SAFETY``: kernels that compute in float32 and round once, measured).
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import torch

K = 4

UNIT_ROUNDOFF = {torch.float32: 2.0**-24, torch.float64: 2.0**-53, torch.bfloat16: 2.0**-8, torch.float16: 2.0**-11}
# The safety factor per dtype (K by default).  bfloat16 and float16: torch's CPU kernels compute in float32 and
# round the result once, so the running-error bound, which charges every operation a full rounding (and the
# primitives' argument charges besides), is an upper bound of their error to first order.  3 there: over every
# property in both dtypes (torch 2.13.0 CPU, 24,000 items) the worst error was 1.46 u·E (masked.cumprod in
# bfloat16: 0.73 of a factor of 2, 0.49 of 3); docs/policy.md#reduced-precision has the measurement.
SAFETY = {torch.bfloat16: 3, torch.float16: 3}


def unit_roundoff(dtype: torch.dtype) -> float:
    return UNIT_ROUNDOFF[dtype]


def scale(dtype: torch.dtype) -> float:
    """K·u of ``dtype``: what a running-error bound E is multiplied by (the dtype's safety factor times u)."""
    return SAFETY.get(dtype, K) * unit_roundoff(dtype)


def tiny(dtype: torch.dtype) -> float:
    return torch.finfo(dtype).tiny


def bound(error, terms: int, dtype: torch.dtype):
    """The allowed |got - exact| of one real value (or one part of a complex one) in ``dtype``:
    K u E + (terms + 1) tiny, with E its running-error bound and ``terms`` the weighted terms summed."""
    return scale(dtype) * error + (terms + 1) * tiny(dtype)


def cast(allowed, exact, dtype: torch.dtype):
    """The bound of a value bounded by ``allowed`` and then rounded once to ``dtype`` (a cast's backward)."""
    u = unit_roundoff(dtype)
    return allowed * (1 + u) + u * abs(exact) + tiny(dtype)


# The sensitivity the kit claims for a backward formula off by a relative error (docs/policy.md): an element
# meets it where its bound is at most this fraction of the exact value.
CLAIM = {torch.float32: 1e-5, torch.float64: 1e-12, torch.bfloat16: 8 * 2.0**-8, torch.float16: 8 * 2.0**-11}


def checkable(allowed, exact) -> bool:
    """Whether a check at this element rejects a wrong sign and a magnitude off by a factor of 2 (its bound
    below half the exact value).  Elsewhere (the tails of tanh', sigmoid', where torch's own formula loses
    every digit) the element is *not checkable at this precision*: counted and reported, not passed silently.
    An exact zero is checked absolutely and counts as checkable."""
    return exact == 0 or allowed < abs(exact) / 2


def meets_claim(allowed, exact, dtype: torch.dtype) -> bool:
    """Whether a relative error of the claimed sensitivity (``CLAIM``) at this element would be caught."""
    return exact != 0 and allowed <= CLAIM.get(dtype, 0.0) * abs(exact)


def tally(allowed: np.ndarray, exact: np.ndarray, dtype: torch.dtype) -> tuple[int, int, int]:
    """(elements, not checkable, meeting the claim) of arrays of bounds and exact values (float64)."""
    allowed, exact = np.asarray(allowed, dtype=np.float64), np.abs(np.asarray(exact, dtype=np.float64))
    blind = (exact != 0) & (allowed >= exact / 2)
    claim = (exact != 0) & (allowed <= CLAIM.get(dtype, 0.0) * exact)
    return int(allowed.size), int(blind.sum()), int(claim.sum())


def beyond(err, allowed, exact) -> float:
    """A failing element's error beyond its bound, relative to the exact value: what a deviation's envelope
    (``conformance.model.status``) is measured in.  A wrong sign is 2 (less the bound), a lost term 1; an
    exact zero with any error beyond the bound, or a non-finite value, is infinite."""
    if not mpmath.isfinite(err):
        return math.inf
    over = err - allowed
    if over <= 0:
        return 0.0
    return math.inf if exact == 0 else float(over / abs(exact))


def row_bound(errors) -> object:
    """A Jacobian row's (Hessian column's) rule: every entry gets the row's largest E (see above)."""
    return max((v for errs in errors for v in np.asarray(errs, dtype=object).reshape(-1)), default=0)


def matrix_bounds(errors: np.ndarray) -> np.ndarray:
    """The normwise rule: each element's E raised to the largest E of its matrix (the last two dimensions;
    a vector or scalar is one block)."""
    e, out = np.asarray(errors, dtype=object), np.empty(np.shape(errors), dtype=object)
    for idx in np.ndindex(*e.shape[:-2]):
        out[idx] = max(np.asarray(e[idx], dtype=object).reshape(-1), default=0)
    return out


def accumulated(error_a, error_b, total):
    """E of ``.grad += g`` (elementwise): both parts' errors plus one rounding of the new sum.

    Complex values (``mpmath.mpc``) carry the real part's E as real part and the imaginary part's as imaginary.
    """
    if isinstance(total, mpmath.mpc):
        return error_a + error_b + mpmath.mpc(abs(total.real), abs(total.imag))
    return error_a + error_b + mpmath.fabs(total)
