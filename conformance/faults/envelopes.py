"""Faults hidden behind a known deviation: wrong in the very (entry, dtype) a deviation covers.

A deviation that covers every numeric failure of its entry in a dtype would report each of these as an
expected failure.  A deviation is an envelope (``conformance.model.status``): a measured relative error,
or the property it names, so a wrong sign or a larger error there still fails.
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


class _Negated(torch.autograd.Function):
    """The identity, with the gradient negated."""

    @staticmethod
    def forward(ctx, y):
        return y.view_as(y)

    @staticmethod
    def backward(ctx, g):
        return -g


def _stack_negated(original):
    def stack(tensors, *args, **kwargs):
        return _Negated.apply(original(tensors, *args, **kwargs))
    return stack


def _kernel(name: str, what: str, op: str, rule, ops: tuple[str, ...]):
    register(Fault(name, "kernel", "behind a deviation", what, Target((VJP,), ops),
                   install=lambda: lib.replace({op: rule}, name), touches=lib.touched({op: rule})))


_kernel("digamma.sign-float64", "digamma's gradient has the wrong sign in float64 only (its float64 accuracy "
        "deviation covers relative errors up to its envelope)", "digamma", _digamma_sign_in_float64,
        ("digamma", "special.digamma", "special.psi"))
_kernel("matrix_exp.scale-1e-3", "matrix_exp's gradient ×1.001 (its accuracy deviation covers a relative error "
        "up to its envelope)", "linalg_matrix_exp", _matrix_exp_scaled, ("linalg.matrix_exp",))
register(Fault("stack.sign", "engine", "behind a deviation", "torch.stack's gradient negated (its deviation is "
               "about .grad aliasing under accumulation, not the value of one backward)",
               Target((VJP,), ("stack",)), install=installer([(torch, "stack", _stack_negated)]),
               touches=("torch.stack",)))
