"""Zeroing: after each way of clearing gradients the next backward yields only the new contribution."""
import inspect

import pytest
import torch
from hypothesis import strategies as st

from conformance.catalogue import get
from conformance.run.trial import Trial

from ._steps import drawn


def _default(fn) -> bool:
    return inspect.signature(fn).parameters["set_to_none"].default


# method id -> (statement over parameter list `params`, whether .grad must be None afterwards)
METHODS = {
    "grad.zero_": ("for p in params: p.grad.zero_()", False),
    "grad=None": ("for p in params: p.grad = None", True),
    "module.zero_grad": ("m = torch.nn.Module(); [m.register_parameter(f'p{i}', p) for i, p in enumerate(params)]; "
                         "m.zero_grad()", _default(torch.nn.Module.zero_grad)),
    "module.zero_grad(set_to_none=False)": ("m = torch.nn.Module(); [m.register_parameter(f'p{i}', p) for i, p in "
                                            "enumerate(params)]; m.zero_grad(set_to_none=False)", False),
    "optimizer.zero_grad": ("torch.optim.SGD(params, lr=0.1).zero_grad()", _default(torch.optim.Optimizer.zero_grad)),
    "optimizer.zero_grad(set_to_none=True)": ("torch.optim.SGD(params, lr=0.1).zero_grad(set_to_none=True)", True),
    "optimizer.zero_grad(set_to_none=False)": ("torch.optim.SGD(params, lr=0.1).zero_grad(set_to_none=False)", False),
}


@drawn(method=st.sampled_from(list(METHODS)))
def test_zeroing(case, dtype, device, method, status, data):
    """Each example draws one of the seven ways of zeroing; over the catalogue every way meets every family."""
    _zeroing(case, dtype, device, method, status, data)


@pytest.mark.parametrize("method", METHODS)
@drawn()
def test_zeroing_each_method(method, dtype, device, status, data):
    """Every way of zeroing, every run, on the seed's own function."""
    _zeroing(get("seed_indexed"), dtype, device, method, status, data)


def _zeroing(case, dtype, device, method, status, data):
    __tracebackhide__ = True
    t = Trial(case, dtype, device, data, f"zeroing ({method})", status=status)
    statement, to_none = METHODS[method]
    names = t.grad_names
    t.run(f"params = [torch.nn.Parameter(t.detach().clone()) for t in [{', '.join(names)}]]")
    t.run(f"{', '.join(names)}{',' if len(names) == 1 else ''} = params")
    y = t.forward()
    t.backward(y, t.weights(prefix="gy_old"))
    t.run("before = [p.grad for p in params]")
    t.run(statement)
    for i, n in enumerate(names):
        g = t.eval(f"{n}.grad")
        if to_none and g is not None:
            t.fail(f"after {method}, {n}.grad is not None (the call promises set_to_none)")
        if not to_none:
            if g is None or not bool((g == 0).all()):
                t.fail(f"after {method}, {n}.grad is not a tensor of exact zeros")
            if g is not t.eval(f"before[{i}]"):
                t.fail(f"after {method}, {n}.grad is a new tensor (zeroing must work in place)")
    y = t.forward()
    vs = t.weights(prefix="gy_new")
    t.backward(y, vs)
    t.check(t.expected(vs), what="vᵀJ of the backward after zeroing")
