"""Faults in the catalogue's newer families: a function's forward exact and its gradient that of a neighbouring
function, as a backward written for the wrong variant would be.

Each replaces a public ``torch`` function (looked up at call time by the entries' calls) by a straight-through
composite: ``value.detach() + (wrong - wrong.detach())`` has the exact forward ``value`` and the gradient of
``wrong`` to every order.  Before these families had entries, the suite ran nothing through these functions.

- ``masked.sum.gradient-into-masked-lanes``: ``torch.masked.sum`` differentiates as the unmasked sum, so the
  masked-out lanes receive the gradient (a backward that forgets the mask).
- ``fft.rfft.conjugate-gradient``: ``torch.fft.rfft`` differentiates as its complex conjugate (the sign
  convention of the imaginary part flipped, as a backward written for the other DFT sign would be).
- ``linalg.qr.r-gradient-scaled``: ``torch.linalg.qr``'s R differentiates 3 % too large (Q exact): a
  decomposition backward off by a few percent in one factor.
"""
from __future__ import annotations

import torch

from conformance.faults.model import Fault, Target, installer, register


def _straight_through(value: torch.Tensor, wrong: torch.Tensor) -> torch.Tensor:
    return value.detach() + (wrong - wrong.detach())


def _unmasked_gradient(original):
    def masked_sum(x, dim=None, *, keepdim=False, dtype=None, mask=None):
        value = original(x, dim, keepdim=keepdim, dtype=dtype, mask=mask)
        if mask is None or not x.requires_grad:
            return value
        dims = () if dim is None else dim
        return _straight_through(value, x.sum(dims, keepdim=keepdim, dtype=dtype))
    return masked_sum


def _conjugate_gradient(original):
    def rfft(x, *args, **kwargs):
        value = original(x, *args, **kwargs)
        return _straight_through(value, value.conj()) if x.requires_grad else value
    return rfft


def _scaled_r(original):
    def qr(a, *args, **kwargs):
        q, r = original(a, *args, **kwargs)
        return (q, _straight_through(r, 1.03 * r)) if a.requires_grad else (q, r)
    return qr


register(Fault("masked.sum.gradient-into-masked-lanes", "engine", "masked", "torch.masked.sum's gradient ignores "
               "the mask: masked-out lanes receive it (the forward is exact)",
               Target(("cases/test_vjp.py",), ("masked.sum*",)),
               install=installer([(torch.masked, "sum", _unmasked_gradient)]), touches=("torch.masked.sum",)))
register(Fault("fft.rfft.conjugate-gradient", "engine", "fft", "torch.fft.rfft differentiates as its complex "
               "conjugate: the imaginary parts' gradients change sign (the forward is exact)",
               Target(("cases/test_vjp.py",), ("fft.rfft",)),
               install=installer([(torch.fft, "rfft", _conjugate_gradient)]), touches=("torch.fft.rfft",)))
register(Fault("linalg.qr.r-gradient-scaled", "engine", "decompositions", "torch.linalg.qr's R differentiates 3 % "
               "too large, Q exact (the forward is exact)",
               Target(("cases/test_vjp.py",), ("linalg.qr",)),
               install=installer([(torch.linalg, "qr", _scaled_r)]), touches=("torch.linalg.qr",)))
