"""Input-space faults: backward formulas wrong only on the code paths a tiny contiguous tensor never takes.

Each is right at the catalogue's fixed shapes (at most a few dozen contiguous elements, every operand
requiring grad, values in the bulk of the domain), so the fixed-shape properties cannot see it, and
wrong where real kernels switch path: the scalar tail after the last full vector, past the parallel
grain, in the last chunk of a long tensor, for non-contiguous inputs, for a constant operand, at large
magnitudes, at NaN lanes of a vectorized loop.
"""
from __future__ import annotations

import torch

from conformance.faults import library as lib
from conformance.faults.kernel import REFERENCE as R
from conformance.faults.library import conj, sum_to
from conformance.faults.model import Fault, Target, register

SPACE = "cases/test_input_space.py"
VECTOR = 16  # elements per iteration of a vectorized float loop (8 lanes, unrolled twice)
GRAIN = 32768  # the CPU's parallel grain


def _flat_position(x: torch.Tensor) -> torch.Tensor:
    return torch.arange(x.numel(), device=x.device).reshape(x.shape)


def _scaled_where(rule, where, factor):
    """``rule``'s gradient of the first input multiplied by ``factor`` where ``where(x)`` holds."""
    def wrong(g, out, x, *rest):
        grads = rule(g, out, x, *rest)
        mask = where(x)
        return (torch.where(mask, grads[0] * factor, grads[0]), *grads[1:])
    return wrong


def _tail(x: torch.Tensor) -> torch.Tensor:
    """The scalar tail after at least one full vector: positions past the last multiple of VECTOR."""
    n = x.numel()
    return (_flat_position(x) >= n - n % VECTOR) & (n >= VECTOR)


def _last_chunk(x: torch.Tensor) -> torch.Tensor:
    n = x.numel()
    return (_flat_position(x) >= (n - 1) // GRAIN * GRAIN) & (n > GRAIN)


def _sigmoid_overflowing(g, out, x):
    """sigmoid' as exp(−x)/(1 + exp(−x))²: the square overflows for x < −44 in float32 (−355 in float64)."""
    e = (-x).exp()
    return (g * e / ((1 + e) * (1 + e)),)


def _sin_nan_by_length(g, out, x):
    """NaN inputs give a NaN gradient in the scalar path but 0 inside full vectors of a long tensor."""
    grad = R["sin"](g, out, x)[0]
    inside = (_flat_position(x) < x.numel() - x.numel() % VECTOR) & (x.numel() >= VECTOR)
    return (torch.where(x.isnan() & inside, torch.zeros_like(grad), grad),)


def _mul_constant_other(g, out, a, b):
    """mul's gradient of ``a`` is wrong (×1.001) when ``b`` is a tensor that does not require grad."""
    ga, gb = sum_to(g * conj(b), a), sum_to(g * conj(a), b)
    if isinstance(b, torch.Tensor) and not b.requires_grad and ga is not None:
        ga = ga * 1.001
    return ga, gb


def _mul_number_other(g, out, a, b):
    """mul's gradient of ``a`` is wrong (×1.001) when ``b`` is a Python number (the wrapped-scalar path)."""
    ga, gb = sum_to(g * conj(b), a), sum_to(g * conj(a), b)
    if not isinstance(b, torch.Tensor) and ga is not None:
        ga = ga * 1.001
    return ga, gb


def _conv_channels_last(g, out, x, w, bias, stride, padding, dilation, transposed, output_padding, groups):
    """convolution's gradient of the input ×1.001 for an input in channels_last (NHWC) memory format."""
    mask = [x.requires_grad, w.requires_grad, bias is not None and bias.requires_grad]
    gx, gw, gb = torch.ops.aten.convolution_backward(g, x, w, None if bias is None else [bias.shape[0]], stride,
                                                     padding, dilation, transposed, output_padding, groups, mask)
    nhwc = x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
    return (gx * 1.001 if nhwc and gx is not None else gx, gw, gb, *(None,) * 6)


def _fault(name: str, what: str, op: str, rule, ops: tuple[str, ...], k: str | None = None, survives: str = ""):
    register(Fault(name, "kernel", "input space", what, Target((SPACE,), ops, k),
                   install=lambda: lib.replace({op: rule}, name), touches=lib.touched({op: rule}), survives=survives))


FEW_DRAWS = ("the ci profile's few derandomized examples of {} draw no {} for this entry (each layout is one draw "
             "among several per operand); the nightly profile's draws reach it")


_fault("sin.scalar-tail", f"sin's gradient ×1.001 in the scalar tail after the last full vector of {VECTOR}",
       "sin", _scaled_where(R["sin"], _tail, 1.001), ("sin",), "sized_vjp_")
_fault("exp.above-grain", f"exp's gradient ×(1 + 1e-5) for tensors of more than {GRAIN} elements", "exp",
       _scaled_where(R["exp"], lambda x: torch.full_like(x, x.numel() > GRAIN, dtype=torch.bool), 1 + 1e-5),
       ("exp",), "sized_vjp_")
_fault("tanh.last-chunk", f"tanh's gradient ×1.001 in the last parallel chunk ({GRAIN} elements) of a long tensor",
       "tanh", _scaled_where(R["tanh"], _last_chunk, 1.001), ("tanh",), "sized_vjp_")
_fault("sin.non-contiguous", "sin's gradient ×1.001 for a non-contiguous input", "sin",
       _scaled_where(R["sin"], lambda x: torch.full_like(x, not x.is_contiguous(), dtype=torch.bool), 1.001),
       ("sin",), "sized_vjp_")
_fault("sin.zero-stride", "sin's gradient ×1.001 for an input with a zero stride (an expanded tensor)", "sin",
       _scaled_where(R["sin"], lambda x: torch.full_like(x, 0 in x.stride(), dtype=torch.bool), 1.001),
       ("sin",), "sized_vjp_", survives=FEW_DRAWS.format("the sized properties", "expanded input"))
_fault("conv2d.channels-last", "conv2d's gradient of the input ×1.001 for an input in channels_last memory format",
       "convolution", _conv_channels_last, ("nn.functional.conv2d_channels",), "resized_vjp",
       survives=FEW_DRAWS.format("test_resized_vjp", "channels_last input"))
_fault("mul.constant-operand", "mul's gradient ×1.001 when the other operand does not require grad", "mul.Tensor",
       _mul_constant_other, ("mul",), "sized_vjp_")
_fault("mul.number-operand", "mul's gradient ×1.001 when the other operand is a Python number", "mul.Tensor",
       _mul_number_other, ("mul",), "sized_vjp_")
_fault("sigmoid.overflowing-formula", "sigmoid's backward as exp(−x)/(1 + exp(−x))²: 0 instead of eˣ for "
       "x < −44 (float32)", "sigmoid", _sigmoid_overflowing, ("sigmoid",), "sized_vjp_")
_fault("sin.nan-by-length", f"sin's gradient at a NaN input is 0 inside the full vectors of a tensor of "
       f"{VECTOR}+ elements (NaN in the scalar path)", "sin", _sin_nan_by_length, ("sin",), "special_lanes")

GEMM_K = 16  # a blocked GEMM's inner-dimension step: columns past the last multiple are the k-tail
GEMM_ROWS = 16  # rows per micro-kernel block of a blocked GEMM


def _mm_scaled(where):
    """mm's gradient of ``a`` ×1.001 at the positions ``where(grad_a)`` selects."""
    def wrong(g, out, a, b):
        ga, gb = R["mm"](g, out, a, b)
        return torch.where(where(ga), ga * 1.001, ga), gb
    return wrong


def _k_tail(ga: torch.Tensor) -> torch.Tensor:
    k = ga.shape[-1]
    cols = torch.arange(k, device=ga.device).expand_as(ga)
    return (cols >= k - k % GEMM_K) & (k > GEMM_K)


def _last_row_block(ga: torch.Tensor) -> torch.Tensor:
    n = ga.shape[0]
    rows = torch.arange(n, device=ga.device)[:, None].expand_as(ga)
    return (rows >= (n - 1) // GEMM_ROWS * GEMM_ROWS) & (n > GEMM_ROWS)


_fault("mm.k-tail", f"mm's gradient of a ×1.001 in the columns past the last multiple of {GEMM_K} of an inner "
       f"dimension above {GEMM_K} (a blocked GEMM's k-tail)", "mm", _mm_scaled(_k_tail), ("mm",), "large_vjp")
_fault("mm.last-row-block", f"mm's gradient of a ×1.001 in the last block of {GEMM_ROWS} rows of a matrix of more than "
       f"{GEMM_ROWS} rows", "mm", _mm_scaled(_last_row_block), ("mm",), "large_vjp")

GEMM_PANEL = 256  # rows and inner columns per panel of a blocked GEMM's outer loops


def _second_panel(ga: torch.Tensor) -> torch.Tensor:
    n, k = ga.shape
    rows = torch.arange(n, device=ga.device)[:, None]
    cols = torch.arange(k, device=ga.device)[None, :]
    return ((rows >= GEMM_PANEL) & (cols >= GEMM_PANEL)).expand_as(ga)


_fault("mm.second-panel", f"mm's gradient of a ×1.001 where both its row and its inner column are past {GEMM_PANEL} "
       "(a blocked GEMM's second panel in both dimensions)", "mm", _mm_scaled(_second_panel), ("mm",), "gemm_vjp")
