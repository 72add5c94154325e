"""Gradient layout: a new ``.grad`` follows its parameter's memory layout, dtype and device.

A parameter that is dense and non-overlapping (permuted, channels-last 4-d) gets a ``.grad`` with the
same strides (sizes of one aside, where a stride means nothing); one that is not dense (every other
element of a buffer) gets a contiguous ``.grad``.  The layout holds whatever layout the incoming
gradient has (the weights are drawn contiguous, permuted, strided or expanded), a second backward
accumulates into the same tensor, and the values are the exact vᵀJ.
"""
import pytest
import torch
from hypothesis import strategies as st

from conformance.catalogue import get
from conformance.run.trial import Trial

from ._steps import drawn


def _permuted(n: str, nd: int) -> str:
    order = tuple(reversed(range(nd)))  # its own inverse
    return f"{n}.detach().permute{order}.contiguous().permute{order}"


def _channels_last(n: str, nd: int) -> str:
    return f"{n}.detach().contiguous(memory_format=torch.channels_last)"


def _strided(n: str, nd: int) -> str:
    return f"torch.stack([{n}.detach(), torch.zeros_like({n})], -1)[..., 0]"


# layout -> (source of a leaf with the values of `{n}` in that layout, the input ranks it applies to, dense)
LAYOUTS = {"permuted": (_permuted, range(2, 9), True), "channels_last": (_channels_last, (4,), True),
           "strided": (_strided, range(1, 9), False)}
PAIRS = [("mm", "permuted"), ("tanh_mlp", "permuted"), ("nn.functional.conv2d_groups_padding", "channels_last"),
         ("nn.functional.conv2d_groups_padding", "permuted"), ("nn.functional.pixel_unshuffle", "channels_last"),
         ("mm", "strided"), ("mul", "strided"), ("addcmul", "strided")]


def _same_strides(got: torch.Tensor, want: torch.Tensor) -> bool:
    return all(a == b for a, b, size in zip(got.stride(), want.stride(), want.shape) if size > 1)


def _relayout(t: Trial, layout: str) -> list[str]:
    """Rebind the entry's leaves as new leaves with the same values in ``layout``; returns the names whose
    strides that changes (a channels-last tensor with one channel is also contiguous)."""
    source, applies, _ = LAYOUTS[layout]
    names = []
    for n in t.grad_names:
        nd = t.eval(n).ndim
        if nd in applies and not _same_strides(t.eval(f"{n}.contiguous()"), t.eval(source(n, nd))):
            t.run(f"{n} = {source(n, nd)}.requires_grad_()")
            names.append(n)
    assert names and all(t.eval(n).is_leaf for n in names), f"{t.case.name}: no input takes the {layout} layout"
    return names


@pytest.mark.parametrize("case, layout", [(get(c), lay) for c, lay in PAIRS], ids=[f"{c}-{lay}" for c, lay in PAIRS])
@drawn(calls=st.integers(1, 2))
def test_new_grad_follows_parameter_layout(case, layout, dtype, device, status, data, calls):
    t = Trial(case, dtype, device, data, "grad_layout", status=status)
    names = _relayout(t, layout)
    dense = LAYOUTS[layout][2]
    total = None
    for call in range(calls):
        y = t.forward()
        vs = t.weights(prefix=f"gy{call}_")
        t.backward(y, vs)
        total = t.expected(vs) if total is None else total + t.expected(vs)
        if call == 0:
            t.run(f"first = [{', '.join(f'{n}.grad' for n in names)}]")
        t.check(total, what=f"vᵀJ (sum of {call + 1}) into {layout} parameters")  # also shape, dtype, device
        for i, n in enumerate(names):
            grad, leaf = t.eval(f"{n}.grad"), t.eval(n)
            if grad is not t.eval(f"first[{i}]"):
                t.fail(f"{n}.grad was replaced by backward call {call + 1} (it must accumulate in place)")
            if dense and not _same_strides(grad, leaf):
                t.fail(f"{n}.grad has strides {grad.stride()}, its {layout} parameter {leaf.stride()} "
                       "(a dense non-overlapping parameter's .grad takes its strides)")
            if not dense and not grad.is_contiguous():
                t.fail(f"{n}.grad has strides {grad.stride()} for a non-dense parameter (expected contiguous)")
