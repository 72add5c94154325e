"""Reduced-precision faults: backwards right in float32 and float64 and wrong only in bfloat16 or only in
float16, and an accumulation into a reduced-precision ``.grad`` that loses the earlier contributions.

A suite that runs float32 and float64 alone cannot see any of them; the bfloat16 and float16 dtypes of
``test_vjp`` and ``test_accumulation`` check them against the exact value at the dtype's own roundoff.
``sin.bfloat16-tangent-scale-1e-1`` is wrong in bfloat16 forward mode alone (its backward exact): the forward-mode
properties' low dtypes (``test_jvp``) see it.
"""
from __future__ import annotations

import torch

from conformance.faults import engine
from conformance.faults import library as lib
from conformance.faults.higher import sin_with_tangent
from conformance.faults.kernel import REFERENCE as R
from conformance.faults.model import Fault, Target, installer, register

VJP = "cases/test_vjp.py"


def _only_in(rule, dtype: torch.dtype, factor: float):
    """``rule``'s gradients multiplied by ``factor`` in ``dtype`` alone."""
    def wrong(g, out, *args):
        grads = rule(g, out, *args)
        return grads if g.dtype != dtype else tuple(None if d is None else d * factor for d in grads)
    return wrong


def _kernel(name: str, what: str, op: str, dtype: torch.dtype, factor: float, ops: tuple[str, ...]):
    rule = _only_in(R[op], dtype, factor)
    register(Fault(name, "kernel", "reduced precision", what, Target((VJP,), ops, str(dtype).removeprefix("torch.")),
                   install=lambda: lib.replace({op: rule}, name), touches=lib.touched({op: rule})))


_kernel("sin.bfloat16-scale-1e-1", "sin's gradient ×1.1 in bfloat16 only (right in float32, float64, float16)",
        "sin", torch.bfloat16, 1.1, ("sin", "Tensor.sin"))
_kernel("exp.bfloat16-sign", "exp's gradient negated in bfloat16 only", "exp", torch.bfloat16, -1.0,
        ("exp", "Tensor.exp"))
_kernel("exp.float16-scale-1e-2", "exp's gradient ×1.01 in float16 only (right in float32, float64, bfloat16)",
        "exp", torch.float16, 1.01, ("exp", "Tensor.exp"))
_kernel("mul.float16-scale-1e-2", "mul's gradients ×1.01 in float16 only", "mul.Tensor", torch.float16, 1.01,
        ("mul",))


engine._fault("engine.low-precision-accumulate-overwrite", "reduced precision", "a backward into an existing "
              "bfloat16 or float16 .grad overwrites it (float32 and float64 add)",
              Target((engine.CASE("accumulation"),), ("mul", "sin", "mm"), "bfloat16 or float16"),
              [(*engine.BACKWARD, engine._on_backward(engine.overwriting(
                  lambda grad: grad.dtype in (torch.bfloat16, torch.float16))))])


register(Fault("sin.bfloat16-tangent-scale-1e-1", "engine", "reduced precision", "torch.sin's forward-mode formula "
               "×1.1 in bfloat16 only: its backward and every float32, float64 and float16 mode exact",
               Target(("cases/test_forward_mode.py",), ("sin",), "bfloat16"),
               install=installer([(torch, "sin", sin_with_tangent(
                   lambda x, u: x.cos() * u * 1.1, applies=lambda x: x.dtype == torch.bfloat16))]),
               touches=("torch.sin",)))
