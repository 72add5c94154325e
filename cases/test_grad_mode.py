"""Grad modes: a value computed where autograd does not record adds nothing to ``.grad``.

``z`` is the entry's own output computed a second time under ``torch.no_grad()``,
``torch.inference_mode()``, ``torch.set_grad_enabled(False)``, from ``detach()``-ed inputs, or while
the leaves are switched off with ``requires_grad_(False)``; ``out + z`` (``out`` recorded as usual)
then backpropagates exactly the vᵀJ of ``out`` alone.  ``z`` itself requires no grad and has no
``grad_fn``.  A backward called under ``no_grad`` / ``set_grad_enabled(False)`` still computes it.
"""
import pytest
import torch

from conformance.run.trial import Trial

from ._engine import backward_line
from ._steps import drawn

CASES = pytest.mark.conformance(entries=("seed_indexed", "mul", "mm", "tanh", "addcmul"))


def _untracked(t: Trial, mode: str) -> str:
    """Source computing ``z``, the entry's output, without autograd recording it."""
    call, names = t.case.call, t.grad_names
    leaves = ", ".join(names)
    return {
        "no_grad": f"with torch.no_grad():\n    z = {call}",
        "inference_mode": f"with torch.inference_mode():\n    z = {call}",
        "set_grad_enabled(False)": f"with torch.set_grad_enabled(False):\n    z = {call}",
        "detach": f"z = (lambda {leaves}: {call})({', '.join(f'{n}.detach()' for n in names)})",
        "requires_grad_(False)": (f"for p in [{leaves}]: p.requires_grad_(False)\nz = {call}\n"
                                  f"for p in [{leaves}]: p.requires_grad_(True)"),
    }[mode]


MODES = ["no_grad", "inference_mode", "set_grad_enabled(False)", "detach", "requires_grad_(False)"]


@pytest.mark.parametrize("mode", MODES)
@CASES
@drawn()
def test_untracked_contribution_adds_nothing(case, mode, dtype, device, status, data):
    if mode == "inference_mode" and not hasattr(torch, "inference_mode"):
        pytest.skip(f"torch.inference_mode is absent from torch {torch.__version__}")
    t = Trial(case, dtype, device, data, "grad_mode", status=status)
    t.run(_untracked(t, mode))
    if t.eval("z.requires_grad or z.grad_fn is not None"):
        t.fail(f"z computed under {mode} requires grad (grad_fn {t.eval('z.grad_fn')!r})")
    t.forward()
    vs = t.weights()
    t.run("total = out + z")
    t.run(backward_line("total", vs[0]))
    t.check(t.expected(vs), what=f"vᵀJ of out alone (z under {mode} contributes nothing)")


@pytest.mark.parametrize("mode", ["no_grad", "set_grad_enabled(False)"])
@CASES
@drawn()
def test_backward_under_disabled_grad_still_computes(case, mode, dtype, device, status, data):
    """Grad modes govern recording the forward, not running a backward of a graph already recorded."""
    t = Trial(case, dtype, device, data, "grad_mode", status=status)
    t.forward()
    vs = t.weights()
    context = "torch.no_grad()" if mode == "no_grad" else "torch.set_grad_enabled(False)"
    t.run(f"with {context}:\n    {backward_line('out', vs[0])}")
    t.check(t.expected(vs), what=f"vᵀJ of a backward run under {mode}")
