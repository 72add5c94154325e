"""``backward(inputs=[...])`` accumulates only into the tensors named.

Leaves named get the exact vᵀJ; leaves not named keep ``.grad`` as it was (None, or the same tensor
with the same values).  A non-leaf named gets the vector-Jacobian product at that node (checked against
the oracle of the part of the function after it, at the node's computed values), and the gradient
still flows through it to the leaves named behind it.
"""
import pytest
from hypothesis import strategies as st

from conformance.run.trial import Trial

from ._engine import SPLITS, backward_line, require_grads_kept
from ._steps import drawn

NAMES = ("mul", "mm", "addcmul", "atan2", "tanh_mlp")


def _subset(data, names: list[str], label: str, at_least: int = 1) -> list[str]:
    return data.draw(st.lists(st.sampled_from(names), min_size=at_least, max_size=len(names), unique=True),
                     label=label)


def _others_unchanged(t: Trial, others: list[str], primed: bool) -> None:
    __tracebackhide__ = True
    require_grads_kept(t, {n: f"before_{n}" if primed else None for n in others}, "backward(inputs=...) without it")


@pytest.mark.conformance(entries=NAMES)
@drawn(primed=st.booleans())
def test_backward_inputs_accumulates_only_into_them(case, dtype, device, status, data, primed):
    t = Trial(case, dtype, device, data, "backward_inputs", status=status)
    chosen = _subset(data, t.grad_names, "inputs")
    others = [n for n in t.grad_names if n not in chosen]
    if primed:  # a .grad already present on a leaf not named must stay as it was
        for n in others:
            t.run(f"{n}.grad = torch.full_like({n}, 7.0)")
            t.run(f"before_{n} = {n}.grad")
    y = t.forward()
    vs = t.weights()
    t.run(backward_line(y, vs[0], inputs=f"[{', '.join(chosen)}]"))
    t.check(t.expected(vs), grads={n: f"{n}.grad" for n in chosen}, what="vᵀJ for the inputs named")
    _others_unchanged(t, others, primed)


@pytest.mark.parametrize("split", SPLITS, ids=[s.id for s in SPLITS])
@drawn()
def test_backward_inputs_nonleaf_gets_vjp_at_node(split, dtype, device, status, data):
    """The node named gets the VJP at itself; leaves named too (through the node); the rest stay None."""
    t = Trial(split.case, dtype, device, data, "backward_inputs", status=status)
    leaves = _subset(data, t.grad_names, "leaf inputs", at_least=0)
    y = split.forward(t)
    vs = t.weights()
    t.run(backward_line(y, vs[0], inputs=f"[{', '.join([split.node] + leaves)}]"))
    t.check(split.expected_at_node(t, vs), grads={split.node: f"{split.node}.grad"},
            what=f"VJP at the non-leaf {split.node}")
    if leaves:
        t.check(t.expected(vs), grads={n: f"{n}.grad" for n in leaves}, what="vᵀJ for the leaves named")
    _others_unchanged(t, [n for n in t.grad_names if n not in leaves], primed=False)
