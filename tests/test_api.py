"""The public API: a user's function against a user's sympy spec, with the suite's oracle, bound,
failure message and repro."""
import re

import pytest
import torch

from conformance import ConformanceFailure, Index, Real, check_grads, check_hvp, check_jvp, check_vjp
from conformance import spec as s


def my_op(x, y):
    return torch.sin(x) * y


def my_spec(x, y):
    return s.sin(x) * y


class _ScaledSin(torch.autograd.Function):
    """sin with a backward off by a relative 1e-9: what a custom op's author could ship."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * torch.cos(x) * (1 + 1e-9)


def test_a_right_function_passes_every_property():
    check_grads(my_op, my_spec, x=Real(-3.0, 3.0, shape=(4,)), y=Real(-2.0, 2.0, shape=(4,)), examples=5)


def test_each_property_has_its_own_entry_point():
    for check in (check_vjp, check_jvp, check_hvp):
        check(torch.exp, s.exp, x=Real(-2.0, 2.0, shape=(3,)), examples=3, dtype="float32")


def test_integer_inputs_are_constants_of_the_spec():
    check_vjp(lambda x, i: torch.gather(x, 0, i), lambda x, i: x[i], x=Real(shape=(4,)), i=Index(4, shape=(3,)),
              examples=3)


def test_a_wrong_backward_fails_with_the_suites_message_and_repro():
    with pytest.raises(ConformanceFailure) as info:
        check_vjp(_ScaledSin.apply, s.sin, x=Real(-3.0, 3.0, shape=(3,)), examples=10)
    message, notes = str(info.value), "\n".join(info.value.__notes__)
    assert "x.grad deviates from the exact vᵀJ by" in message and "x bound" in message
    assert notes.startswith("Repro (copy-paste into Python):") and "out.backward(gradient=gy0)" in notes
    assert "fn = ...  # bind to the function under test" in notes


@pytest.mark.parametrize("kwargs, message", [
    ({"modes": ("vjp", "hessian")}, "unknown modes ['hessian']"),
    ({"dtype": "float8"}, "unknown dtype 'float8'"),
    ({"device": "nosuchdevice"}, "device 'nosuchdevice' is not available"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        check_grads(my_op, my_spec, x=Real(shape=(2,)), y=Real(shape=(2,)), **kwargs)


def test_one_name_checked_against_two_specs_uses_each_spec():
    x = Real(-3.0, 3.0, shape=(3,))
    check_vjp(torch.sin, s.sin, x=x, examples=2, name="same")
    check_vjp(torch.cos, s.cos, x=x, examples=2, name="same")


@pytest.mark.parametrize("make, error, message", [
    (lambda: Index(0), ValueError, "Index domain needs high >= 1"),
    (lambda: Index(2.0), TypeError, "Index domain high must be an int"),
    (lambda: Index(3, shape=(-1,)), ValueError, "Index domain shape must not have negative sizes"),
    (lambda: Real(shape=3), TypeError, "Real domain shape must be a tuple of ints, got 3"),
    (lambda: Real(3.0, 1.0), ValueError, "Real domain needs lo < hi"),
])
def test_malformed_domains_are_named(make, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make()
