"""A torch.compile fault: the compiled function's backward loses autograd's version-counter check.

``torch.compile`` is wrapped so each compiled function runs under an ``autograd.Function`` that keeps its
inputs as plain references (not through ``save_for_backward``) and recomputes the compiled graph from them
at backward: every gradient is right while the inputs are untouched, but an in-place write between the
forward and the backward raises nothing and the gradient is computed from the modified inputs (what
Inductor does where it rebuilds a saved view of an input, pytorch/pytorch#197887).
"""
from __future__ import annotations

import torch

from conformance.faults.model import Fault, Target, installer, register


class _Unversioned(torch.autograd.Function):
    @staticmethod
    def forward(ctx, fn, *inputs):
        ctx.fn, ctx.inputs = fn, inputs  # plain references: the version counters are never checked
        return fn(*inputs)

    @staticmethod
    def backward(ctx, *grads):
        with torch.enable_grad():
            leaves = [x.detach().requires_grad_() for x in ctx.inputs]
            outs = ctx.fn(*leaves)
            outs = [outs] if isinstance(outs, torch.Tensor) else list(outs)
            pairs = [(o, g) for o, g in zip(outs, grads) if g is not None and o.requires_grad]
            got = torch.autograd.grad([o for o, _ in pairs], leaves, [g for _, g in pairs], allow_unused=True)
        return (None, *got)


def _unversioned(original):
    def compile(model=None, **options):
        if model is None:  # used as @torch.compile(backend=...)
            return lambda fn: compile(fn, **options)
        compiled = original(model, **options)
        return lambda *inputs: _Unversioned.apply(compiled, *inputs)
    return compile


register(Fault("compile.backward-unversioned", "engine", "compile", "a compiled function's backward keeps its inputs "
               "without their version counters: an in-place write between forward and backward raises nothing and "
               "the gradient comes from the modified input",
               Target(("cases/test_compile.py",), ("mm", "sin"), "mutation and aot_eager"),
               install=installer([(torch, "compile", _unversioned)]), touches=("torch.compile",)))
