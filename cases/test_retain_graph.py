"""retain_graph: a backward frees the graph's saved tensors unless ``retain_graph=True``.

A second backward through a freed graph raises; with the graph retained, an identical second
backward accumulates the same vᵀJ again (the exact sum of the two), and the last backward without
``retain_graph`` frees the graph in turn.  Every entry here saves tensors for its backward.
"""
import pytest

from conformance.run.trial import Trial

from ._engine import backward_line, expect_error
from ._steps import drawn, weighted_backward

NAMES = ("seed_indexed", "mul", "mm", "tanh", "addcmul", "tanh_mlp")
FREED = r"backward through the graph a second time|saved tensors|already been freed"
CASES = pytest.mark.conformance(entries=NAMES)


def _second_backward_raises(t: Trial, y: str, v: str) -> None:
    __tracebackhide__ = True
    expect_error(t, backward_line(y, v), RuntimeError, FREED,
                 "a second backward through a graph whose saved tensors were freed")


@CASES
@drawn()
def test_second_backward_through_freed_graph_raises(case, dtype, device, status, data):
    """A plain backward gives vᵀJ and frees the saved tensors: the same backward again raises."""
    t = Trial(case, dtype, device, data, "retain_graph", status=status)
    y, vs = weighted_backward(t)
    t.check(t.expected(vs), what="vᵀJ of the first backward")
    _second_backward_raises(t, y, vs[0])


@CASES
@drawn()
def test_retained_graph_accumulates_identical_backward_twice(case, dtype, device, status, data):
    """``retain_graph=True``, then the same backward again: ``.grad`` is vᵀJ + vᵀJ; the graph is then freed."""
    t = Trial(case, dtype, device, data, "retain_graph", status=status)
    y, vs = weighted_backward(t, retain_graph=True)
    once = t.expected(vs)
    t.check(once, what="vᵀJ of the retained backward")
    t.backward(y, vs)
    t.check(once + once, what="vᵀJ + vᵀJ after the identical second backward")
    _second_backward_raises(t, y, vs[0])
