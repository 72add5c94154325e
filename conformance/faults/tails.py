"""Tail faults: tanh's and sigmoid's backward wrong only in the tails, where torch's own formula (1 − y²,
s (1 − s)) loses digits and the bound grows toward the size of the exact value.

Each is right in the bulk, so a suite whose values stay there (the fixed-shape properties at |x| ≤ 4)
cannot see it.  In the tails the check still rejects a wrong sign and a factor 2 wherever its bound is
below half the exact value; beyond that (tanh rounds to ±1, so torch's 1 − y² is 0) the elements are
reported as not checkable at this precision (``conformance.tolerance.checkable``), never passed silently.
"""
from __future__ import annotations

import torch

from conformance.faults import library as lib
from conformance.faults.kernel import REFERENCE as R
from conformance.faults.model import Fault, Target, register

SUITE = ("cases/test_vjp.py", "cases/test_input_space.py")


def _in_tail(rule, dtype: torch.dtype, where, change):
    """``rule``'s gradient changed by ``change`` where ``where(x)`` holds, in ``dtype`` only."""
    def wrong(g, out, x, *rest):
        grads = rule(g, out, x, *rest)
        if x.dtype != dtype:
            return grads
        return (torch.where(where(x), change(grads[0]), grads[0]), *grads[1:])
    return wrong


def _fault(name: str, what: str, op: str, dtype: torch.dtype, where, change, ops: tuple[str, ...]):
    rule = _in_tail(R[op], dtype, where, change)
    register(Fault(name, "kernel", "tails", what, Target(SUITE, ops),
                   install=lambda: lib.replace({op: rule}, name), touches=lib.touched({op: rule})))


TANH = ("tanh", "Tensor.tanh", "nn.functional.tanh")
SIGMOID = ("sigmoid", "Tensor.sigmoid", "nn.functional.sigmoid")
NEGATE, DOUBLE = (lambda g: -g), (lambda g: 2 * g)
# Each fault sits where the check can still see it: a scale error larger than the bound's relative size
# there (about 16 u / |f'|: 2.6e-4 at |x| = 3.5 for tanh in float32, 9e-11 at |x| = 6 in float64).  Smaller
# errors deeper in the tails are at torch's own precision: those elements count as not checkable.

_fault("tanh.tail-sign-float32", "tanh's gradient negated for |x| > 7.5, float32 only", "tanh", torch.float32,
       lambda x: x.abs() > 7.5, NEGATE, TANH)
_fault("tanh.tail-scale-float32", "tanh's gradient ×(1 + 1e-3) for |x| > 3.5, float32 only", "tanh", torch.float32,
       lambda x: x.abs() > 3.5, lambda g: g * (1 + 1e-3), TANH)
_fault("tanh.tail-sign-float64", "tanh's gradient negated for |x| > 15, float64 only", "tanh", torch.float64,
       lambda x: x.abs() > 15, NEGATE, TANH)
_fault("tanh.tail-scale-float64", "tanh's gradient ×(1 + 1e-8) for |x| > 6, float64 only", "tanh", torch.float64,
       lambda x: x.abs() > 6, lambda g: g * (1 + 1e-8), TANH)
_fault("sigmoid.tail-sign-float32", "sigmoid's gradient negated for x > 9, float32 only", "sigmoid", torch.float32,
       lambda x: x > 9, NEGATE, SIGMOID)
_fault("sigmoid.tail-scale-float32", "sigmoid's gradient ×2 for x > 9, float32 only", "sigmoid", torch.float32,
       lambda x: x > 9, DOUBLE, SIGMOID)
_fault("sigmoid.tail-sign-float64", "sigmoid's gradient negated for x > 20, float64 only", "sigmoid", torch.float64,
       lambda x: x > 20, NEGATE, SIGMOID)
_fault("sigmoid.tail-scale-float64", "sigmoid's gradient ×1.01 for x > 20, float64 only", "sigmoid",
       torch.float64, lambda x: x > 20, lambda g: g * 1.01, SIGMOID)
