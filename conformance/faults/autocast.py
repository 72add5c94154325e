"""Autocast faults: an op moved to the wrong autocast list, and a reduced-precision backward that saturates
at a fixed magnitude (right for unscaled gradients, wrong under loss scaling).

None is visible without autocast: the first two change only the ``AutocastCPU`` kernels, and the third only
gradients past 4096, which no unscaled weight reaches.  The autocast property sees each: the output's dtype
names the list the op ran in, and the loss-scaling check compares the backward at 2**s times the weights
(s = 16 first, a GradScaler's initial scale) bit for bit.
"""
from __future__ import annotations

import warnings

import torch

from conformance.faults import library as lib
from conformance.faults.kernel import REFERENCE as R
from conformance.faults.model import Fault, Target, register

AUTOCAST = "cases/test_autocast.py"
_EXCLUDE = torch._C.DispatchKeySet(torch._C.DispatchKey.AutocastCPU)


def _autocast_kernel(op: str, kernel):
    """Install ``kernel`` as ``aten::op``'s AutocastCPU kernel (below it, the kernel calls with autocast off)."""
    def install():
        library = torch.library.Library("aten", "IMPL")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=lib._OVERRIDE_WARNING)
            library.impl(op, kernel, "AutocastCPU")
        return library._destroy
    return install


def _mse_loss_lowered(self, target, reduction=1):
    low = torch.get_autocast_dtype("cpu")
    with torch._C._ExcludeDispatchKeyGuard(_EXCLUDE):
        return torch.ops.aten.mse_loss.default(self.to(low), target.to(low), reduction)


def _mm_not_cast(self, other):
    with torch._C._ExcludeDispatchKeyGuard(_EXCLUDE):
        return torch.ops.aten.mm.default(self.float(), other.float())


register(Fault("autocast.fp32-op-lowered", "kernel", "autocast", "under CPU autocast, mse_loss runs in the low dtype "
               "(listed as a lower-precision op instead of fp32)", Target((AUTOCAST,), ("nn.functional.mse_loss",)),
               install=_autocast_kernel("mse_loss", _mse_loss_lowered), touches=("aten::mse_loss[AutocastCPU]",)))
register(Fault("autocast.lower-op-not-cast", "kernel", "autocast", "under CPU autocast, mm runs in float32 (autocast "
               "forgot to cast its inputs)", Target((AUTOCAST,), ("mm",)),
               install=_autocast_kernel("mm", _mm_not_cast), touches=("aten::mm[AutocastCPU]",)))


def _saturating(rule, dtype: torch.dtype, limit: float):
    """``rule`` with its incoming gradient clamped to ±limit in ``dtype`` alone."""
    def wrong(g, out, *args):
        return rule(g.clamp(-limit, limit) if g.dtype == dtype else g, out, *args)
    return wrong


_SATURATING = {"mm": _saturating(R["mm"], torch.bfloat16, 4096.0)}
register(Fault("mm.bfloat16-saturating-backward", "kernel", "autocast", "mm's bfloat16 backward clamps its incoming "
               "gradient to ±4096 (a float16-safe range): exact for unscaled gradients, wrong under loss scaling",
               Target((AUTOCAST, "cases/test_vjp.py"), ("mm",), "bfloat16"),
               install=lambda: lib.replace(_SATURATING, "mm.bfloat16-saturating-backward"),
               touches=lib.touched(_SATURATING)))
