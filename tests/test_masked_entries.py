"""The torch.masked entries: a masked-out element enters no spec expression, and torch's gradient there is 0."""
import numpy as np
import pytest
import sympy as sp
import torch

from conformance.catalogue import masked
from conformance.exact.oracle import as_outputs, symbols_of

SINGLE = [pytest.param(c, id=c.name) for c in masked.ENTRIES if len(c.args) == 1]


def _mask(case) -> np.ndarray:
    """The mask literal of the call, broadcast to the input's shape."""
    literal = case.call.split("mask=torch.tensor(")[1].split(", device")[0]
    return np.broadcast_to(np.array(eval(literal), dtype=bool), case.args[0].shape)  # noqa: S307 - a bool literal


@pytest.mark.parametrize("case", SINGLE)
def test_masked_out_inputs_enter_no_output(case):
    x = symbols_of("x", case.args[0].shape)
    used = set().union(*(sp.sympify(e).free_symbols for o in as_outputs(case.spec(x)) for e in o.reshape(-1)))
    assert not {x[idx] for idx in zip(*np.nonzero(~_mask(case)))} & used
    assert {x[idx] for idx in zip(*np.nonzero(_mask(case)))} <= used


@pytest.mark.parametrize("case", SINGLE)
def test_torch_gradient_vanishes_at_masked_out_inputs(case):
    x = torch.linspace(0.25, 2.5, int(np.prod(case.args[0].shape)), dtype=torch.float64)
    x = x.reshape(case.args[0].shape).requires_grad_()
    out = case.fn(x)
    grad, = torch.autograd.grad(out, x, torch.ones_like(out))
    assert (grad.numpy()[~_mask(case)] == 0).all()
