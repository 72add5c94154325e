"""The exact oracle for complex inputs, under PyTorch's convention for complex gradients.

PyTorch's autograd notes: for a real loss L of z = a + ib, ``z.grad`` is the conjugate Wirtinger
derivative times two, ∂L/∂a + i ∂L/∂b; ``y.backward(gradient=v)`` on a complex output y is the
backward of the real loss L = Σ Re(conj(vₖ) yₖ) = Σ (Re vₖ Re yₖ + Im vₖ Im yₖ) (for a real output,
v is real and L = Σ vₖ yₖ).  So the exact gradient is derived from real and imaginary parts: each
complex input element is a + ib with real symbols a and b, sympy splits each output into its real
and imaginary parts, and the oracle differentiates L with respect to a and b.  Each part carries its
own running-error bound (``running_error.error_expr``), compared with the same part of torch's gradient.
"""
from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from conformance.exact import cache as disk_cache
from conformance.exact.oracle import DIGITS, Exact, as_outputs, namespace, session_cached, symbols_of
from conformance.exact.running_error import error_expr
from conformance.model.case import Case
from conformance.model.error import CatalogueError


def real_imag(expr) -> tuple[sp.Expr, sp.Expr]:
    """Real and imaginary parts of ``expr`` over real symbols (``arg`` written as ``atan2``)."""
    re, im = sp.expand_complex(sp.sympify(expr)).as_real_imag()
    parts = []
    for part in (re, im):
        part = part.replace(sp.arg, lambda w: sp.atan2(sp.im(w), sp.re(w)))
        if part.has(sp.re, sp.im, sp.arg):
            raise CatalogueError(f"sympy cannot split {expr} into real and imaginary parts")
        parts.append(part)
    return parts[0], parts[1]


class ComplexOracle:
    """Exact gradients (``Exact`` with mpmath.mpc values and errors re + i·im) for complex inputs."""

    def __init__(self, case: Case, constants: dict[str, np.ndarray]):
        self.case = case
        self.re = {a.name: symbols_of(f"re_{a.name}", a.shape) for a in case.args if a.differentiable}
        self.im = {a.name: symbols_of(f"im_{a.name}", a.shape) for a in case.args if a.differentiable}
        z = {n: self.re[n] + sp.I * self.im[n] for n in self.re}
        call_args = [z[a.name] if a.differentiable else constants[a.name] for a in case.args]
        try:
            outputs = as_outputs(case.spec(*call_args))
            parts = [real_imag(e) for o in outputs for e in o.reshape(-1)]
        except Exception as exc:  # a spec that cannot be built is a catalogue error, not a torch deviation
            raise CatalogueError(f"catalogue entry {case.name!r}: complex spec failed: "
                                 f"{type(exc).__name__}: {exc}") from exc
        self.output_shapes = [o.shape for o in outputs]
        vr = [s for k, o in enumerate(outputs) for s in symbols_of(f"vr{k}", o.shape).reshape(-1)]
        vi = [s for k, o in enumerate(outputs) for s in symbols_of(f"vi{k}", o.shape).reshape(-1)]
        xs = [s for n in self.re for s in list(self.re[n].reshape(-1)) + list(self.im[n].reshape(-1))]
        symbols = xs + vr + vi
        flat = [p for pair in parts for p in pair]
        self._fn = disk_cache.load(flat, symbols, namespace(), "complex_vjp")
        if self._fn is None:
            loss = [(r, i, wr, wi) for (r, i), wr, wi in zip(parts, vr, vi)]
            grads = [sp.Add(*(wr * sp.diff(r, s) + wi * sp.diff(i, s)
                              for r, i, wr, wi in loss if s in (r + i).free_symbols))
                     for s in xs]
            memo: dict = {}
            errors = [error_expr(g, memo) for g in grads]
            self._fn = sp.lambdify(symbols, grads + errors, modules=namespace(), cse=True)
            disk_cache.store(flat, symbols, self._fn, "complex_vjp")
        self.terms = len(parts)
        self._n = len(xs)
        self._parts, self._xs, self._forward = flat, xs, None

    def _values(self, inputs: dict[str, np.ndarray]) -> list:
        values = []
        for n in self.re:
            z = np.asarray(inputs[n], dtype=np.complex128).reshape(-1)
            values += [mpmath.mpf(float(c.real)) for c in z] + [mpmath.mpf(float(c.imag)) for c in z]
        return values

    def forward(self, inputs: dict[str, np.ndarray]) -> list:
        """Exact forward values (mpmath.mpc), flattened over the outputs (to check specs against torch)."""
        if self._forward is None:
            self._forward = sp.lambdify(self._xs, self._parts, modules=namespace(), cse=True)
        with mpmath.workdps(DIGITS):
            flat = self._forward(*self._values(inputs))
            return [mpmath.mpc(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]

    def vjp(self, inputs: dict[str, np.ndarray], weights: list[np.ndarray]) -> Exact:
        """Exact ``x.grad`` (∂L/∂a + i ∂L/∂b) for L = Σ Re(conj(v) y); real outputs take real weights."""
        values = self._values(inputs)
        w = np.concatenate([np.asarray(v, dtype=np.complex128).reshape(-1) for v in weights])
        values += [mpmath.mpf(float(c.real)) for c in w] + [mpmath.mpf(float(c.imag)) for c in w]
        with mpmath.workdps(DIGITS):
            result = [mpmath.mpf(r) for r in self._fn(*values)]
        if not all(mpmath.isfinite(r) for r in result):
            raise CatalogueError(f"catalogue entry {self.case.name!r}: the exact complex gradient is not finite at "
                                 "the drawn point; its domain admits a singular point")
        grads, errors, i = {}, {}, 0
        for n, arr in self.re.items():
            size = arr.size
            for out, flat in ((grads, result[: self._n]), (errors, result[self._n :])):
                re, im = flat[i : i + size], flat[i + size : i + 2 * size]
                vals = np.empty(arr.shape, dtype=object)
                with mpmath.workdps(DIGITS):  # mpc() rounds to the working precision
                    vals.reshape(-1)[:] = [mpmath.mpc(r, m) for r, m in zip(re, im)] if size else []
                out[n] = vals
            i += 2 * size
        return Exact(grads, errors, self.terms)


def complex_oracle_for(case: Case, constants: dict[str, np.ndarray] | None = None) -> ComplexOracle:
    """The session-cached complex oracle of a case."""
    return session_cached(ComplexOracle, case, constants)
