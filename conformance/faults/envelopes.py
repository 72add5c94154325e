"""Faults hidden behind a known deviation or a gap of the kit: wrong in the very (entry, dtype) a deviation
covers, or in a mode the kit once skipped as unmodelled.

A deviation that covers every numeric failure of its entry in a dtype would report each of these as an
expected failure.  A deviation is an envelope (``conformance.model.status``): a measured relative error,
or the property it names, so a wrong sign or a larger error there still fails.  A mode whose rounding
the error model undercounts runs with a measured widening (``Widening``), so a scale error there fails.
"""
from __future__ import annotations

import torch

from conformance.faults import library as lib
from conformance.faults.model import Fault, Target, installer, register

VJP = "cases/test_vjp.py"


def _digamma_sign_in_float64(g, out, x):
    """digamma's gradient, trigamma, with the wrong sign in float64 (where trigamma's accuracy deviates)."""
    grad = g * torch.polygamma(1, x)
    return (-grad if x.dtype == torch.float64 else grad,)


def _matrix_exp_scaled(g, out, a):
    """matrix_exp's gradient ×1.001, computed as torch does: the upper-right block of exp([[Aᴴ, G], [0, Aᴴ]])."""
    n = a.shape[-1]
    block = torch.zeros(*a.shape[:-2], 2 * n, 2 * n, dtype=a.dtype, device=a.device)
    block[..., :n, :n] = a.mH
    block[..., n:, n:] = a.mH
    block[..., :n, n:] = g
    return (torch.linalg.matrix_exp(block)[..., :n, n:] * 1.001,)


def _prod_second_order_scaled(g, out, x, dtype):
    """prod's gradient exact, its derivative (the second order, through create_graph) ×1.01."""
    grad = g * out / x
    return (grad.detach() + 1.01 * (grad - grad.detach()), None)


def _kernel(name: str, what: str, op: str, rule, ops: tuple[str, ...]):
    register(Fault(name, "kernel", "behind a deviation", what, Target((VJP,), ops),
                   install=lambda: lib.replace({op: rule}, name), touches=lib.touched({op: rule})))


_kernel("digamma.sign-float64", "digamma's gradient has the wrong sign in float64 only (its float64 accuracy "
        "deviation covers relative errors up to its envelope)", "digamma", _digamma_sign_in_float64,
        ("digamma", "special.digamma", "special.psi"))
_kernel("matrix_exp.scale-1e-3", "matrix_exp's gradient ×1.001 (its accuracy deviation covers a relative error "
        "up to its envelope)", "linalg_matrix_exp", _matrix_exp_scaled, ("linalg.matrix_exp",))
register(Fault("prod.second-order-scale", "kernel", "behind a widening", "prod's second derivative ×1.01, its first "
               "order exact (the double-backward mode the kit used to skip as unmodelled, now run with a measured "
               "widening)", Target(("cases/test_higher_order.py",), ("prod",)),
               install=lambda: lib.replace({"prod": _prod_second_order_scaled}, "prod.second-order-scale"),
               touches=lib.touched({"prod": _prod_second_order_scaled})))
def _func_vjp_scaled(original):
    """torch.func.vjp whose pullback returns its cotangents ×1.001 (eager autograd untouched)."""
    def vjp(func, *primals, **kwargs):
        out, pullback = original(func, *primals, **kwargs)
        return out, lambda *v, **kw: tuple(g * 1.001 for g in pullback(*v, **kw))
    return vjp


register(Fault("func-vjp.scale-1e-3", "engine", "behind a deviation", "torch.func.vjp's cotangents ×1.001 (eager "
               "autograd exact); layer_norm's torch.func deviation, once keyed to every torch.func property, is "
               "keyed to torch.func.hessian only", Target(("cases/test_func.py",), ("nn.functional.layer_norm",),
                                                         "test_func_vjp"),
               install=installer([(torch.func, "vjp", _func_vjp_scaled)]), touches=("torch.func.vjp",)))
register(Fault("stack.sign", "engine", "behind a deviation", "torch.stack's gradient negated (its deviation is "
               "about .grad aliasing under accumulation, not the value of one backward)",
               Target((VJP,), ("stack",)), install=installer([(torch, "stack", lib.output_backward(lambda g: -g))]),
               touches=("torch.stack",)))
