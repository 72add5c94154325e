"""Attention and softmax internals: multi-head attention, scaled_dot_product_attention with masks, causal
and explicit scales, the aten softmax variants and softmax's backward as a function of its own, and the
fused linear + cross-entropy loss.

Shapes are tiny (the oracle is symbolic per element); masks are constant tensors written in the call and
read by the specs as the same constants (``CAUSAL``, ``BOOL_MASK``, ``FLOAT_MASK``).  A masked score is left
out of its row's softmax (its probability is exactly 0), an additive mask adds its exact dyadic constant.
"""
from dataclasses import replace

import numpy as np
import sympy as sp

from conformance.catalogue import limits
from conformance.catalogue.layers import HALF, U
from conformance.catalogue.losses import _ce
from conformance.exact import spec as s
from conformance.model.case import entry
from conformance.model.family import declare
from conformance.model.status import Contract

# From torch 2.14 the CPU runs causal SDPA through its flash kernel, which has no forward-mode formula and no
# double backward (2.13 takes the math path, whose forward AD and double backward are checked): measured on
# torch 2.14.1 and 2.15.0 CPU; each Contract covers only its error message, so a wrong value still fails
CAUSAL_FLASH_2_14 = {"forward_ad": replace(Contract(
    "from torch 2.14, torch routes causal scaled_dot_product_attention on the CPU to a kernel without forward AD: "
    "q = k = v = torch.rand(1, 2, 2, dtype=torch.float64); torch.func.jvp(lambda q: F.scaled_dot_product_attention("
    "q, k, v, is_causal=True), (q,), (torch.ones_like(q),)) raises NotImplementedError: Trying to use forward AD "
    "with _scaled_dot_product_flash_attention_for_cpu",
    "Trying to use forward AD with _scaled_dot_product_flash_attention_for_cpu", strict=True), since="2.14"),
    "double_backward": replace(Contract(
        "from torch 2.14, torch routes causal scaled_dot_product_attention on the CPU to a kernel without double "
        "backward: "
        "q = torch.rand(1, 2, 2, dtype=torch.float64, requires_grad=True); g, = torch.autograd.grad("
        "F.scaled_dot_product_attention(q, q, q, is_causal=True).sum(), q, create_graph=True); "
        "torch.autograd.grad(g.sum(), q) raises RuntimeError: derivative for "
        "aten::_scaled_dot_product_flash_attention_for_cpu_backward is not implemented",
        "_scaled_dot_product_flash_attention_for_cpu_backward is not implemented", strict=True), since="2.14")}
CAUSAL_FLASH_2_14["third_order"] = CAUSAL_FLASH_2_14["double_backward"]

BOOL_MASK = [[True, False, True], [True, True, False]]
FLOAT_MASK = [[0.0, -1.0, 0.5], [-0.5, 0.25, 0.0]]
CAUSAL = [[True, False], [True, True]]


def _masked_softmax(scores, keep):
    """Softmax over the last axis of a 2-D array, the entries where ``keep`` is False left out (probability 0)."""
    e = np.where(keep, s.exp(scores), sp.Integer(0))
    return e / s.sum(e, axis=-1, keepdims=True)


def _sdpa(q, k, v, scale=None, keep=None, add=None):
    """softmax(q kᵀ · scale + add) v over the leading (batch, head) dims; ``keep`` a boolean mask of the scores."""
    scale = 1 / sp.sqrt(q.shape[-1]) if scale is None else scale
    out = np.empty(q.shape[:-1] + v.shape[-1:], dtype=object)
    for lead in np.ndindex(*q.shape[:-2]):
        scores = q[lead] @ k[lead].T * scale
        if add is not None:
            scores = scores + add
        out[lead] = _masked_softmax(scores, np.ones(scores.shape, bool) if keep is None else np.array(keep)) @ v[lead]
    return out


def _constants(rows):
    return s.array([[s.decimal(v) for v in row] for row in rows])


def _mha(x, w_in, w_out, heads):
    """Self-attention of (L, 1, E) through packed in-projection ``w_in`` (3E, E), ``heads`` heads, and ``w_out``."""
    e = x.shape[-1]
    d = e // heads
    t = x[:, 0, :]
    q, k, v = (t @ w_in[i * e:(i + 1) * e].T for i in range(3))
    per_head = [_sdpa(q[None, :, h * d:(h + 1) * d], k[None, :, h * d:(h + 1) * d], v[None, :, h * d:(h + 1) * d])[0]
                for h in range(heads)]
    return (np.concatenate(per_head, axis=-1) @ w_out.T)[:, None, :]


def _softmax_backward(grad, y, axis):
    """softmax's backward as a function of the incoming gradient and softmax's output: y (grad - Σ grad y)."""
    return y * (grad - s.sum(grad * y, axis=axis, keepdims=True))


MHA = ("F.multi_head_attention_forward(x, x, x, 4, 2, w_in, None, None, None, False, 0.0, w_out, None, "
       "need_weights=False)[0]")

ENTRIES = [
    entry("nn.functional.multi_head_attention_forward", MHA, lambda x, w_in, w_out: _mha(x, w_in, w_out, 2),
          x=U.of(2, 1, 4), w_in=U.of(12, 4), w_out=U.of(4, 4),
          unsupported=limits.unsupported(double="_scaled_dot_product_flash_attention_for_cpu_backward",
                                         forward="_scaled_dot_product_flash_attention_for_cpu")),
    entry("nn.functional.scaled_dot_product_attention_causal",
          "F.scaled_dot_product_attention(q, k, v, is_causal=True)",
          lambda q, k, v: _sdpa(q, k, v, keep=CAUSAL), q=U.of(1, 2, 2), k=U.of(1, 2, 2), v=U.of(1, 2, 2),
          deviations=CAUSAL_FLASH_2_14),
    entry("nn.functional.scaled_dot_product_attention_bool_mask",
          f"F.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor({BOOL_MASK}, device=q.device))",
          lambda q, k, v: _sdpa(q, k, v, keep=BOOL_MASK), q=U.of(1, 2, 2), k=U.of(1, 3, 2), v=U.of(1, 3, 1)),
    entry("nn.functional.scaled_dot_product_attention_float_mask",
          f"F.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor({FLOAT_MASK}, dtype=q.dtype, "
          "device=q.device), scale=0.5)",
          lambda q, k, v: _sdpa(q, k, v, HALF, add=_constants(FLOAT_MASK)),
          q=U.of(1, 2, 2), k=U.of(1, 3, 2), v=U.of(1, 3, 1)),
    entry("nn.functional.scaled_dot_product_attention_scale_heads",
          "F.scaled_dot_product_attention(q, k, v, scale=0.75)",
          lambda q, k, v: _sdpa(q, k, v, sp.Rational(3, 4)), q=U.of(1, 2, 2, 2), k=U.of(1, 2, 2, 2),
          v=U.of(1, 2, 2, 1)),
    entry("torch.ops.aten._safe_softmax.default", "torch.ops.aten._safe_softmax.default(x, 1)",
          lambda x: s.softmax(x, axis=1), x=U.of(2, 3)),
    entry("_softmax_backward_data", "torch._softmax_backward_data(grad, y, 1, grad.dtype)",
          lambda grad, y: _softmax_backward(grad, y, 1), grad=U.of(2, 3), y=U.of(2, 3)),
    entry("nn.functional.linear_cross_entropy",
          "F.linear_cross_entropy(x, w, torch.tensor([2, 0], device=x.device))",
          lambda x, w: _ce([2, 0])(x @ w.T), x=U.of(2, 3), w=U.of(4, 3)),
]

# redrawn sizes hold here (the input-space properties; tests/test_space.py checks the spec at them)
ENTRIES = declare(ENTRIES, "resizable", only=("torch.ops.aten._safe_softmax.default", "_softmax_backward_data"))
