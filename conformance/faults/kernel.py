"""Kernel-level faults: an aten operator's backward formula made wrong on purpose (``library.replace``).

``REFERENCE`` holds each operator's correct formula as torch computes it (the kit's tests check them
against torch's own gradients); a fault is one of them altered.  Scale errors of 1e-9 and 1e-12 vanish
when the gradient is rounded to float32, so float64 items kill them.
"""
from __future__ import annotations

import math

import torch

from conformance.faults import library as lib
from conformance.faults.library import conj, detached, lowered, scaled, sum_to
from conformance.faults.model import Fault, Target, register

VJP = "cases/test_vjp.py"


def _low(bound):
    return -math.inf if bound is None else bound


def _high(bound):
    return math.inf if bound is None else bound


REFERENCE = {
    "sin": lambda g, out, x: (g * x.cos().conj(),),
    "cos": lambda g, out, x: (g * -x.sin().conj(),),
    "exp": lambda g, out, x: (g * out.conj(),),
    "log": lambda g, out, x: (g / x.conj(),),
    "atan": lambda g, out, x: (g / (x * x + 1).conj(),),
    "tanh": lambda g, out, x: (torch.ops.aten.tanh_backward(g, out),),
    "sigmoid": lambda g, out, x: (torch.ops.aten.sigmoid_backward(g, out),),
    "abs": lambda g, out, x: (g * x.sgn(),),
    "relu": lambda g, out, x: (torch.ops.aten.threshold_backward(g, out, 0),),
    "clamp": lambda g, out, x, lo, hi: (g * ((x >= _low(lo)) & (x <= _high(hi))), None, None),
    "special_erfcx": lambda g, out, x: (g * (2 * x * out - 2 / math.sqrt(math.pi)),),
    "special_log_ndtr": lambda g, out, x: (g / math.sqrt(2 * math.pi) * (-(out + x * x / 2)).exp(),),
    "mul.Tensor": lambda g, out, a, b: (sum_to(g * conj(b), a), sum_to(g * conj(a), b)),
    "add.Tensor": lambda g, out, a, b, alpha: (sum_to(g, a), sum_to(g * conj(alpha), b), None),
    "mm": lambda g, out, a, b: (g.mm(b.mH), a.mH.mm(g)),
    "gather": lambda g, out, x, dim, index, sparse: (torch.zeros_like(x).scatter_add(dim, index, g), None, None, None),
    "index_select": lambda g, out, x, dim, index: (torch.zeros_like(x).index_add(dim, index, g), None, None),
    "scatter_add": lambda g, out, x, dim, index, src: (g, None, None, g.gather(dim, index)),
}


def _fault(name: str, category: str, what: str, op: str, rule, target: Target, survives: str | None = None):
    register(Fault(name, "kernel", category, what, target, install=lambda: lib.replace({op: rule}, name),
                   touches=lib.touched({op: rule}), survives=survives))


def _where(condition, rule, wrong_factor):
    """``rule``'s gradient multiplied by ``wrong_factor`` where ``condition(x)`` holds (unary operators)."""
    return lambda g, out, x: (torch.where(condition(x), wrong_factor, 1) * rule(g, out, x)[0],)


def _shifted(index: torch.Tensor, size: int) -> torch.Tensor:
    return (index + 1) % size


def _first_slice(g: torch.Tensor, like):
    """``g`` reduced to ``like``'s shape by taking the first slice of each broadcast dimension."""
    if not isinstance(like, torch.Tensor):
        return None
    while g.dim() > like.dim():
        g = g[0]
    for d, size in enumerate(like.shape):
        if size == 1 and g.shape[d] != 1:
            g = g.narrow(d, 0, 1)
    return g


def _mean_to(g: torch.Tensor, like):
    """``g`` reduced to ``like``'s shape by averaging over broadcast dimensions instead of summing."""
    return None if not isinstance(like, torch.Tensor) else sum_to(g, like) * (like.numel() / g.numel())


def _erfcx_from_definition(g, out, x):
    """erfcx' = 2x·exp(x²)·erfc(x) − 2/√π: in float32, exp(x²) overflows and erfc(x) underflows past 9.4."""
    return (g * (2 * x * (x * x).exp() * torch.special.erfc(x) - 2 / math.sqrt(math.pi)),)


def _log_ndtr_as_ratio(g, out, x):
    """log_ndtr' = φ(x)/Φ(x): in float32 both underflow to 0 below x ≈ −13 (0/0 = nan)."""
    return (g * (-(x * x) / 2).exp() / math.sqrt(2 * math.pi) / torch.special.ndtr(x),)


R = REFERENCE
SIN_OPS = ("sin", "Tensor.sin", "Tensor.sin_")
for name, op, error, ops in [
    ("sin.scale-1e-3", "sin", 1e-3, SIN_OPS),
    ("exp.scale-1e-6", "exp", 1e-6, ("exp", "Tensor.exp", "Tensor.exp_")),
    ("tanh.scale-1e-9", "tanh", 1e-9, ("tanh", "Tensor.tanh", "Tensor.tanh_", "nn.functional.tanh")),
    ("log.scale-1e-12", "log", 1e-12, ("log", "Tensor.log", "Tensor.log_")),
    ("mul.scale-1e-12", "mul.Tensor", 1e-12, ("mul", "multiply", "Tensor.mul", "Tensor.mul_")),
    ("mm.scale-1e-9", "mm", 1e-9, ("mm", "Tensor.__matmul__")),
]:
    _fault(name, "scale", f"every gradient of aten::{op} multiplied by 1 + {error:g}", op, scaled(R[op], error),
           Target((VJP,), ops))

_fault("cos.sign-for-negative-x", "sign", "cos's gradient has the wrong sign where x < 0", "cos",
       _where(lambda x: x < 0, R["cos"], -1), Target((VJP,), ("cos",)))
_fault("atan.sign-beyond-2", "sign", "atan's gradient has the wrong sign where |x| > 2", "atan",
       _where(lambda x: x.abs() > 2, R["atan"], -1), Target((VJP,), ("atan",)))
_fault("exp.float32-backward", "precision", "exp's backward computed in float32 (float64 gradients lose 29 bits)",
       "exp", lowered(R["exp"], torch.float32), Target((VJP,), ("exp",)))
_fault("tanh.float16-backward", "precision", "tanh's backward computed in float16", "tanh",
       lowered(R["tanh"], torch.float16), Target((VJP,), ("tanh",)))
_fault("sigmoid.bfloat16-backward", "precision", "sigmoid's backward computed in bfloat16", "sigmoid",
       lowered(R["sigmoid"], torch.bfloat16), Target((VJP,), ("sigmoid", "Tensor.sigmoid")))
_fault("mul.broadcast-first-slice", "broadcast", "mul's gradient for a broadcast input is the first slice of the "
       "broadcast dimension instead of the sum over it", "mul.Tensor",
       lambda g, out, a, b: (_first_slice(g * conj(b), a), _first_slice(g * conj(a), b)),
       Target((VJP,), ("mul_broadcast", "mul_broadcast_one", "mul_0dim")))
_fault("add.broadcast-mean", "broadcast", "add's gradient for a broadcast input is averaged over the broadcast "
       "dimension instead of summed", "add.Tensor",
       lambda g, out, a, b, alpha: (_mean_to(g, a), _mean_to(g * conj(alpha), b), None),
       Target((VJP,), ("add_broadcast",)))
_fault("mul.no-conj", "conjugation", "mul's complex gradient is grad·other instead of grad·conj(other)",
       "mul.Tensor", lambda g, out, a, b: (sum_to(g * b, a), sum_to(g * a, b)),
       Target(("cases/test_complex.py",), ("mul",)))
_fault("sin.no-conj", "conjugation", "sin's complex gradient is grad·cos(z) instead of grad·conj(cos(z))", "sin",
       lambda g, out, x: (g * x.cos(),), Target(("cases/test_complex.py",), ("sin",)))
_fault("tanh.first-order-only", "second order", "tanh's backward computed under no_grad: with create_graph=True "
       "the gradient is a constant, the Hessian-vector product 0", "tanh", detached(R["tanh"]),
       Target(("cases/test_higher_order.py",), ("tanh",), "test_hvp"))
_fault("mul.first-order-only", "second order", "mul's backward computed under no_grad (no second-order graph)",
       "mul.Tensor", detached(R["mul.Tensor"]), Target(("cases/test_higher_order.py",), ("mul",), "test_hvp"))
_fault("relu.grad-1-at-0", "non-differentiable point", "relu's gradient at exactly 0 is 1 (torch: 0)", "relu",
       lambda g, out, x: (g * (x >= 0),), Target(("cases/test_conventions.py",), (), "relu-at-0"))
_fault("abs.grad-1-at-0", "non-differentiable point", "abs's gradient at exactly 0 is 1 (torch: sgn(0) = 0)", "abs",
       lambda g, out, x: (g * (torch.where(x >= 0, 1.0, -1.0).to(g.dtype) if not x.is_complex() else x.sgn()),),
       Target(("cases/test_conventions.py",), (), "abs-at-0"))
_fault("clamp.grad-0-at-bounds", "non-differentiable point", "clamp's gradient at x == min or x == max is 0 "
       "(torch: 1)", "clamp",
       lambda g, out, x, lo, hi: (g * ((x > _low(lo)) & (x < _high(hi))), None, None),
       Target(("cases/test_conventions.py",), (), "clamp-at-min or clamp-at-max"))
_fault("erfcx.overflow", "overflow", "erfcx's backward from its definition, 2x·exp(x²)·erfc(x) − 2/√π: "
       "inf·0 = nan in float32 for x > 9.4 (the entry's domain reaches 20)", "special_erfcx", _erfcx_from_definition,
       Target((VJP,), ("special.erfcx",)))
_fault("log_ndtr.underflow", "overflow", "log_ndtr's backward as φ(x)/Φ(x): 0/0 = nan in float32 for x < −13 "
       "(the entry's domain reaches −20)", "special_log_ndtr", _log_ndtr_as_ratio,
       Target((VJP,), ("special.log_ndtr",)))
_fault("gather.index-shifted", "index", "gather's backward scatters each gradient to the next index along dim",
       "gather", lambda g, out, x, dim, index, sparse: (
           torch.zeros_like(x).scatter_add(dim, _shifted(index, x.shape[dim]), g), None, None, None),
       Target((VJP,), ("gather", "gather_smaller", "take_along_dim")))
_fault("index_select.index-shifted", "index", "index_select's backward adds each gradient at the next index",
       "index_select", lambda g, out, x, dim, index: (
           torch.zeros_like(x).index_add(dim, _shifted(index, x.shape[dim]), g), None, None),
       Target((VJP,), ("index_select",)))
_fault("scatter_add.index-shifted", "index", "scatter_add's gradient for src gathers from the next index",
       "scatter_add",
       lambda g, out, x, dim, index, src: (g, None, None, g.gather(dim, _shifted(index, g.shape[dim]))),
       Target((VJP,), ("scatter_add",)))
