"""Higher-order faults: formulas right at first (and second) order and wrong only in a deeper composition.

- ``sin.second-tangent-detached``: ``torch.sin``'s forward-mode formula uses cos(x) as a constant (detached), so
  J u is exact and the tangent of that tangent loses −sin(x)·u·w: wrong in forward over forward alone (the
  backward, its double backward, forward over reverse and every first-order mode are exact).  ``torch.sin`` is
  replaced by an ``autograd.Function`` (not an aten kernel: torch.func must run it).
- ``group_norm.third-order-detached``: group_norm's backward is exact and so is its own backward (the
  Hessian-vector product), but that second-order result carries no history: its derivative, the third
  order, misses every term through the normalization statistics, as a double backward that saves its
  intermediates without their own graph does (torch's own layer_norm and batch_norm do this: declared
  deviations, so the fault sits in group_norm, whose third order torch gets right).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from conformance.faults.model import Fault, Target, installer, register


def sin_with_tangent(tangent, applies=lambda x: True):
    """The maker of a ``torch.sin`` whose backward is exact (differentiable again) and whose forward-mode formula
    is ``tangent(x, u)``, where ``applies(x)`` (torch's own sin elsewhere).  An ``autograd.Function``, not an
    aten kernel: torch.func must run it."""
    class Sin(torch.autograd.Function):
        @staticmethod
        def forward(x, original):
            return original(x)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])
            ctx.save_for_forward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.cos(), None

        @staticmethod
        def jvp(ctx, u, _):
            (x,) = ctx.saved_tensors
            return tangent(x, u)

        generate_vmap_rule = True  # torch.func's jvp and jacfwd run it

    def make(original):
        def sin(x, *, out=None):
            if out is not None or not isinstance(x, torch.Tensor) or not applies(x):
                return original(x, out=out)
            return Sin.apply(x, original)
        return sin
    return make


register(Fault("sin.second-tangent-detached", "engine", "second order", "torch.sin's forward-mode formula treats "
               "cos(x) as a constant: J u exact, the second-order tangent (forward over forward) wrong; the backward, "
               "its double backward and forward over reverse exact",
               Target(("cases/test_forward_over_forward.py", "cases/test_forward_mode.py"), ("sin",)),
               install=installer([(torch, "sin", sin_with_tangent(lambda x, u: x.cos().detach() * u))]),
               touches=("torch.sin",)))


def _composite_group_norm(x, groups, weight, bias, eps):
    """group_norm from elementary ops (differentiable to any order)."""
    grouped = x.reshape(x.shape[0], groups, -1)
    centred = grouped - grouped.mean(-1, keepdim=True)
    y = (centred * torch.rsqrt((centred * centred).mean(-1, keepdim=True) + eps)).reshape(x.shape)
    affine = (1, -1) + (1,) * (x.dim() - 2)
    y = y if weight is None else y * weight.reshape(affine)
    return y if bias is None else y + bias.reshape(affine)


class _FirstOrder(torch.autograd.Function):
    """group_norm's exact VJP; its backward (the second order) is exact too, but returned without history."""

    @staticmethod
    def forward(ctx, g, groups, eps, x, weight, bias):
        with torch.enable_grad():
            leaves = [t.detach().requires_grad_() if t is not None else None for t in (g, x, weight, bias)]
            out = _composite_group_norm(leaves[1], groups, leaves[2], leaves[3], eps)
            wrt = [t for t in leaves[1:] if t is not None]
            grads = torch.autograd.grad(out, wrt, leaves[0], create_graph=True)
        ctx.graph = (leaves, grads)
        it = iter(grads)
        return tuple(next(it).detach() if t is not None else None for t in (x, weight, bias))

    @staticmethod
    def backward(ctx, *ggs):
        leaves, grads = ctx.graph
        pairs = [(gr, gg) for gr, gg in zip(grads, [gg for gg, t in zip(ggs, leaves[1:]) if t is not None])
                 if gg is not None]
        wrt = [t for t in leaves if t is not None]
        with torch.enable_grad():
            second = torch.autograd.grad([p[0] for p in pairs], wrt, [p[1] for p in pairs], retain_graph=True,
                                         allow_unused=True)
        it = iter(second)
        g, x, weight, bias = (next(it) if t is not None else None for t in leaves)
        return g, None, None, x, weight, bias  # detached: the third order sees constants


class _GroupNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, groups, weight, bias, eps, original):
        ctx.save_for_backward(x, weight, bias)
        ctx.groups, ctx.eps = groups, eps
        return original(x, groups, weight, bias, eps)

    @staticmethod
    def backward(ctx, g):
        x, weight, bias = ctx.saved_tensors
        gx, gw, gb = _FirstOrder.apply(g, ctx.groups, ctx.eps, x, weight, bias)
        return gx, None, gw, gb, None, None


def _third_order_detached(original):
    def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
        return _GroupNorm.apply(x, num_groups, weight, bias, eps, original)
    return group_norm


register(Fault("group_norm.third-order-detached", "engine", "second order", "group_norm's backward and its "
               "second order are exact, but the second-order result has no history: the third order is wrong",
               Target(("cases/test_higher_order.py",), ("nn.functional.group_norm",)),
               install=installer([(F, "group_norm", _third_order_detached)]),
               touches=("torch.nn.functional.group_norm",)))
