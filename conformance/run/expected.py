"""Exact expected values with their running-error bounds, as the checks compare them: one vᵀJ (JVP,
HVP...) per input, sums of them (accumulation), and whole Jacobians and Hessians assembled row by row.
The bounds' rules (accumulation, row, matrix) are the tolerance policy's (``conformance.tolerance``)."""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np

from conformance.exact.oracle import DIGITS, Exact
from conformance.tolerance import accumulated, matrix_bounds

_ACCUMULATED = np.vectorize(accumulated, otypes=[object])


@dataclass
class Expected:
    """Exact gradients with their running-error bounds (``tolerance`` units), per input name."""

    grads: dict[str, np.ndarray]
    errors: dict[str, np.ndarray]
    terms: int

    @classmethod
    def of(cls, exact: Exact) -> "Expected":
        return cls(dict(exact.grads), dict(exact.errors), exact.terms)

    def __add__(self, other: "Expected") -> "Expected":
        """The accumulated gradient: one more rounding (of the running sum) per element."""
        with mpmath.workdps(DIGITS):  # the exact sum, not its rounding to the default 53 bits
            grads = {n: np.asarray(self.grads[n] + other.grads[n], dtype=object) for n in self.grads}  # 0-d stays
            errors = {n: np.asarray(_ACCUMULATED(self.errors[n], other.errors[n], grads[n]), dtype=object)
                      for n in self.grads}
        return Expected(grads, errors, self.terms + other.terms)

    def matrixwise(self) -> "Expected":
        """Each element's bound raised to the largest bound of its matrix (its last two dimensions)."""
        return Expected(dict(self.grads), {n: matrix_bounds(e) for n, e in self.errors.items()}, self.terms)


def jacobian(oracle, values, case) -> Expected:
    """The exact Jacobian, keys ``out{k}/{input}`` with shape output + input (one row per output element)."""
    shapes = [tuple(s) for s in oracle.output_shapes]
    zeros = [np.zeros(shape) for shape in shapes]
    rows: dict[tuple, Exact] = {}
    for k, shape in enumerate(shapes):
        for idx in np.ndindex(*shape):
            onehot = [z.copy() for z in zeros]
            onehot[k][idx] = 1.0
            rows[(k, idx)] = oracle.vjp(values, onehot)
    return _assemble(case, rows, [(f"out{k}", shape) for k, shape in enumerate(shapes)])

def hessian(oracle, values, weights, case) -> Expected:
    """The exact Hessian of vᵀF, keys ``{a}/{b}`` with shape a.shape + b.shape."""
    names = [a.name for a in case.args if a.differentiable]
    shapes = {a.name: tuple(a.shape) for a in case.args if a.differentiable}
    zeros = [np.zeros(shapes[n]) for n in names]
    cols: dict[tuple, Exact] = {}
    for b, name in enumerate(names):
        for idx in np.ndindex(*shapes[name]):
            onehot = [z.copy() for z in zeros]
            onehot[b][idx] = 1.0
            cols[(b, idx)] = oracle.hvp(values, weights, onehot)
    # entry [b][a] holds ∂²(vᵀF)/∂b∂a; the exact Hessian is symmetric, so it is also [a][b]
    return _assemble(case, cols, [(n, shapes[n]) for n in names])

def _assemble(case, parts: dict[tuple, Exact], groups: list[tuple[str, tuple]]) -> Expected:
    grads, errors, terms = {}, {}, 1
    for k, (label, shape) in enumerate(groups):
        for a in case.args:
            if not a.differentiable:
                continue
            key = f"{label}/{a.name}"
            g = np.empty(tuple(shape) + tuple(a.shape), dtype=object)
            e = np.empty_like(g)
            for idx in np.ndindex(*shape):
                exact = parts[(k, idx)]
                g[idx + (...,)] = exact.grads[a.name]
                # torch computes one row (column) as one batched VJP (JVP): rounding in shared
                # intermediates reaches every entry, exact zeros included; each entry gets the
                # largest bound of its row (see the tolerance policy)
                e[idx + (...,)] = max((v for errs in exact.errors.values() for v in errs.reshape(-1)), default=0)
                terms = max(terms, exact.terms)
            grads[key], errors[key] = g, e
    return Expected(grads, errors, terms)
