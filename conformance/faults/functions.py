"""Function-level faults: ``torch.<name>`` replaced, inside a ``with`` block, by one whose backward is wrong.

Used by the kit's own tests and the sensitivity benchmark on fixed points. Only calls that look the
function up through ``torch`` at call time see the fault (``torch.sin(x)``, not ``x.sin()``); the
named, run-wide faults of ``conformance.faults`` replace the aten operator itself instead.
"""
from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def wrong_backward(name: str, transform):
    """Patch ``torch.<name>`` (a function of one tensor) so its input gradient is ``transform(g, x)``.

    ``g`` is the true gradient (torch's own backward), ``x`` the input.
    """
    original = getattr(torch, name)

    class Faulty(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return original(x)

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            with torch.enable_grad():
                xx = x.detach().requires_grad_()
                (g,) = torch.autograd.grad(original(xx), xx, grad_out)
            return transform(g, x)

    setattr(torch, name, Faulty.apply)
    try:
        yield
    finally:
        setattr(torch, name, original)


def scaled_backward(name: str, relative_error: float):
    """The gradient of ``torch.<name>`` multiplied by (1 + relative_error)."""
    return wrong_backward(name, lambda g, x: g * (1 + relative_error))
