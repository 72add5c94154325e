"""Call-space faults: a backward wrong only at one value of a call's argument (a keepdim, a correction, a
reduction, a ceil_mode, a dim that is not the last), or only where the dimension it runs along has size 1.

An entry of one fixed call never reaches them; the entries that draw their arguments (``arguments=`` in the
catalogue, ``conformance.model.arguments``) do, within the ``ci`` profile's examples.
"""
from __future__ import annotations

import math

import torch

from conformance.faults import library as lib
from conformance.faults.model import Fault, Target, register

VJP = "cases/test_vjp.py"
REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}  # aten's reduction enum


def _dims(dim, rank: int) -> list[int]:
    return sorted({d % max(rank, 1) for d in dim}) if dim else list(range(rank))


def _restored(g: torch.Tensor, x: torch.Tensor, dim, keepdim: bool) -> torch.Tensor:
    """``g`` of a reduction over ``dim`` broadcast back to ``x``'s shape."""
    if not keepdim:
        for d in _dims(dim, x.dim()):
            g = g.unsqueeze(d)
    return g.expand(x.shape)


def _logsumexp_keepdim(g, out, x, dim, keepdim):
    """logsumexp's gradient g·exp(x - out), times 1 + 1e-3 for keepdim=True over a single dim."""
    factor = 1 + 1e-3 if keepdim and len(dim) == 1 else 1
    return (_restored(g, x, dim, keepdim) * (x - _restored(out, x, dim, keepdim)).exp() * factor, None, None)


def _var(wrong_correction):
    """var.correction's gradient 2 (x - mean) / (n - c), with c replaced by ``wrong_correction(c)``."""
    def rule(g, out, x, dim, correction, keepdim):
        dims = _dims(dim, x.dim())
        n = math.prod(x.shape[d] for d in dims)
        c = wrong_correction(1 if correction is None else correction)
        centred = x - x.mean(dims, keepdim=True)
        return (_restored(g, x, dim, keepdim) * 2 * centred / (n - c), None, None, None)
    return rule


def _softmax_size_one(g, out, x, dim, half_to_float):
    """softmax's gradient, but the incoming gradient itself where the softmax dim has size 1 (exact: 0)."""
    if x.dim() == 0 or x.shape[dim] == 1:
        return (g, None, None)
    return (torch.ops.aten._softmax_backward_data(g, out, dim, x.dtype), None, None)


def _cumsum_last_dim(g, out, x, dim, dtype):
    """cumsum's gradient (a reversed cumulative sum) taken along the last dim whatever ``dim`` is."""
    return (g.flip(-1).cumsum(-1).flip(-1).to(x.dtype), None, None)


def _huber_sum_as_mean(g, out, x, t, reduction, delta):
    """huber_loss's gradient with reduction='sum' computed as for 'mean' (divided by the element count)."""
    gx = torch.ops.aten.huber_loss_backward(g, x, t, 1 if reduction == 2 else reduction, delta)
    return (gx, -gx, None, None)


def _avg_pool_ceil(g, out, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """avg_pool2d's gradient, times 1 + 1e-3 under ceil_mode=True."""
    gx = torch.ops.aten.avg_pool2d_backward(g, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                            divisor_override)
    return (gx * (1 + 1e-3 if ceil_mode else 1), None, None, None, None, None, None)


def _fault(name: str, what: str, op: str, rule, ops: tuple[str, ...]):
    register(Fault(name, "kernel", "arguments", what, Target((VJP,), ops),
                   install=lambda: lib.replace({op: rule}, name), touches=lib.touched({op: rule})))


_fault("logsumexp.keepdim-one-dim", "logsumexp's gradient 1e-3 too large for keepdim=True over a single dim",
       "logsumexp", _logsumexp_keepdim, ("logsumexp*", "Tensor.logsumexp", "special.logsumexp"))
_fault("var.correction-2", "var's gradient divides by n - 1 where correction=2 asks n - 2", "var.correction",
       _var(lambda c: 1 if c == 2 else c), ("var*",))
_fault("cumsum.last-dim", "cumsum's gradient accumulated along the last dim, whatever dim the call names",
       "cumsum", _cumsum_last_dim, ("cumsum", "Tensor.cumsum"))
_fault("huber_loss.sum-as-mean", "huber_loss's gradient for reduction='sum' divided by the element count, as for "
       "'mean'", "huber_loss", _huber_sum_as_mean, ("nn.functional.huber_loss*",))
_fault("avg_pool.ceil-mode", "avg_pool2d's gradient (avg_pool1d's too) 1e-3 too large under ceil_mode=True",
       "avg_pool2d", _avg_pool_ceil, ("nn.functional.avg_pool*",))
_fault("softmax.size-1-dim", "softmax's gradient passes the incoming gradient through where the softmax dim has "
       "size 1 (exact: 0)", "_softmax", _softmax_size_one, ("softmax*", "Tensor.softmax", "nn.functional.softmax",
                                                           "special.softmax"))
