"""The seed tutorial, reproduced: each printed ``x.grad`` checked against the oracle and the print.

x = torch.ones(1, requires_grad=True); y = x**2; z = x**3 (float32), and the vector example
x = [[-1.5], [2.7]] with y built by indexed assignment (see ../shared/seed/SEED.md).
"""
import numpy as np
import pytest
import torch

from conformance.catalogue import get
from conformance.model.case import entry
from conformance.model.domain import Real
from conformance.run.failure import ConformanceFailure
from conformance.run.trial import Trial

Y = entry("seed_y", "x ** 2", lambda x: x**2, x=Real(0.0, 2.0, shape=(1,)))
Z = entry("seed_z", "x ** 3", lambda x: x**3, x=Real(0.0, 2.0, shape=(1,)))
ONE = {"x": np.array([1.0])}
F32 = torch.float32


def _printed(t: Trial, printed: str) -> None:
    """The tutorial's printout: same numbers at its 4-decimal precision (torch's print layout aside)."""
    __tracebackhide__ = True
    got = t.eval("x.grad")
    want = torch.tensor(eval(printed.removeprefix("tensor(").removesuffix(")")), dtype=F32)  # noqa: S307
    if not torch.equal(torch.round(got.cpu(), decimals=4), want):
        t.fail(f"x.grad prints {got}, the seed prints {printed}")


@pytest.mark.parametrize("steps, printed", [
    (["y.backward()", "z.backward()"], "tensor([5.])"),
    (["y.backward()"], "tensor([2.])"),
    (["z.backward()"], "tensor([3.])"),
], ids=["y_then_z_accumulates_to_5", "y_alone_2", "z_alone_3"])
def test_seed_scalar(device, steps, printed, status):
    t = Trial(Y, F32, device, None, "seed", values=ONE, status=status)
    t.run("y = x ** 2")
    t.run("z = x ** 3")
    ones = t.implicit_weights()
    expected = None
    for step in steps:
        t.run(step)
        part = t.expected([ones], case=Y if step.startswith("y") else Z)
        expected = part if expected is None else expected + part
    t.check(expected, what="seed gradient")
    _printed(t, printed)


def test_seed_zeroing(device, status):
    t = Trial(Y, F32, device, None, "seed", values=ONE, status=status)
    ones = t.implicit_weights()
    t.run("y = x ** 2")
    t.run("y.backward()")
    t.check(t.expected([ones]), what="seed gradient before zeroing")
    _printed(t, "tensor([2.])")
    t.run("x.grad.zero_()")
    t.run("z = x ** 3")
    t.run("z.backward()")
    t.check(t.expected([ones], case=Z), what="seed gradient after zeroing")
    _printed(t, "tensor([3.])")


@pytest.mark.parametrize("weights, printed", [
    ([[1.0], [1.0], [1.0]], "tensor([[-3.0000], [100.6020]])"),
    ([[0.5], [-2.0], [1.5]], "tensor([[-1.5000], [74.3580]])"),
], ids=["ones", "weighted"])
def test_seed_weighted_vector(device, weights, printed, status):
    x = np.array([[-1.5], [2.7]], dtype=np.float32).astype(np.float64)  # the exact float32 inputs
    t = Trial(get("seed_indexed"), F32, device, None, "seed", values={"x": x}, status=status)
    y = t.forward("y")
    vs = t.weights(values=[np.array(weights)])
    t.backward(y, vs)
    t.check(t.expected(vs), what="Jᵀ·gradient")
    _printed(t, printed)


def test_seed_nonscalar_needs_gradient(device, status):
    """``y.backward()`` on the 3-element y raises: the gradient argument is required."""
    t = Trial(get("seed_indexed"), F32, device, None, "seed", values={"x": np.array([[-1.5], [2.7]])}, status=status)
    t.forward("y")
    with pytest.raises(ConformanceFailure,
                       match="(?i)raised RuntimeError: grad can be implicitly created only for scalar outputs"):
        t.run("y.backward()")
