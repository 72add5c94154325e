"""Leaves and non-leaves: only leaves accumulate ``.grad`` unless a non-leaf asks with ``retain_grad()``.

After a backward, a non-leaf's ``.grad`` is None and reading it warns (a UserWarning pointing to
``retain_grad``); after ``retain_grad()`` it holds exactly the vector-Jacobian product at that node
(the oracle of the part of the function after it) and reads without that warning.  The leaves get the
full vᵀJ either way.  The output itself, retained, holds the weight it was given.
"""
import pytest

from conformance.run.trial import Trial

from ._engine import SPLITS, expect_warning
from ._steps import drawn

RETAIN = r"retain_grad"
SPLIT = pytest.mark.parametrize("split", SPLITS, ids=[s.id for s in SPLITS])
NAMES = ("seed_indexed", "mul", "mm", "tanh")


@SPLIT
@drawn()
def test_nonleaf_grad_is_none_and_warns(split, dtype, device, status, data):
    t = Trial(split.case, dtype, device, data, "nonleaf", status=status)
    y = split.forward(t)
    vs = t.weights()
    t.backward(y, vs)
    t.check(t.expected(vs), what="vᵀJ of the leaves")
    for node in (split.node, y):
        if t.eval(f"{node}.is_leaf"):
            t.fail(f"{node} is a leaf (expected a non-leaf: it has a grad_fn)")
        expect_warning(t, f"node_grad = {node}.grad", UserWarning, RETAIN, f"reading .grad of the non-leaf {node}")
        if t.eval("node_grad") is not None:
            t.fail(f"{node}.grad of a non-leaf is not None after backward (it was not retained)")


@SPLIT
@drawn()
def test_retain_grad_holds_vjp_at_node(split, dtype, device, status, data):
    t = Trial(split.case, dtype, device, data, "nonleaf", status=status)
    y = split.forward(t)
    t.run(f"{split.node}.retain_grad()")
    if not t.eval(f"{split.node}.retains_grad"):
        t.fail(f"{split.node}.retains_grad is False after retain_grad()")
    vs = t.weights()
    t.backward(y, vs)
    expect_warning(t, f"node_grad = {split.node}.grad", UserWarning, None, "reading a retained non-leaf .grad")
    t.check(split.expected_at_node(t, vs), grads={split.node: "node_grad"}, what=f"VJP at the retained {split.node}")
    t.check(t.expected(vs), what="vᵀJ of the leaves")


@pytest.mark.conformance(entries=NAMES)
@drawn()
def test_retained_output_grad_is_the_weight(case, dtype, device, status, data):
    """The VJP at the output is the weight itself: ``out.grad`` equals it exactly, in the output's dtype."""
    t = Trial(case, dtype, device, data, "nonleaf", status=status)
    y = t.forward()
    t.run(f"{y}.retain_grad()")
    vs = t.weights()
    t.backward(y, vs)
    if not t.eval(f"{y}.grad is not None and {y}.grad.dtype == {y}.dtype and torch.equal({y}.grad, {vs[0]})"):
        t.fail(f"{y}.grad after retain_grad() is {t.eval(f'{y}.grad')!r}, expected exactly the weight {vs[0]}")
    t.check(t.expected(vs), what="vᵀJ of the leaves")
