"""The public API: a user's function against a user's sympy spec, with the suite's oracle, bound,
failure message and repro."""
import re

import pytest
import torch

from conformance import ConformanceFailure, Index, Real, check_grads, check_hvp, check_jvp, check_vjp
from conformance import spec as s
from conformance.run.failure import REPRO


def my_op(x, y):
    return torch.sin(x) * y


def my_spec(x, y):
    return s.sin(x) * y


def _off_sin(x):
    """sin whose derivative is off by a relative 1e-9 (the value too: only the gradient is checked)."""
    return torch.sin(x) * (1 + 1e-9)


def _sin_op(x: torch.Tensor) -> torch.Tensor:
    return torch.sin(x)


SIN_WRONG = torch.library.custom_op("conformance_tests::sin_wrong", _sin_op, mutates_args=())
SIN_WRONG.register_autograd(lambda ctx, g: g * torch.cos(ctx.x) * (1 + 1e-9),
                           setup_context=lambda ctx, inputs, output: setattr(ctx, "x", inputs[0]))


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
    assert f"from {__name__} import _ScaledSin\nfn = _ScaledSin.apply\n" in notes


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


def _repro_deviates(note: str) -> bool:
    """Run a repro note as printed: x.grad is off its bound from the exact value."""
    ns = {}
    exec(note.removeprefix(REPRO), ns)  # noqa: S102
    return bool(((ns["x"].grad - ns["expected"]).abs() / ns["bound"]).max() > 1)


@pytest.mark.parametrize("fn, binding", [
    (SIN_WRONG, f"import {__name__}  # registers torch.ops.conformance_tests.sin_wrong\n"
                "fn = torch.ops.conformance_tests.sin_wrong\n"),
    (_off_sin, f"from {__name__} import _off_sin as fn\n"),
    (_ScaledSin.apply, f"from {__name__} import _ScaledSin\nfn = _ScaledSin.apply\n"),
])
def test_the_repro_binds_the_function_under_test(fn, binding):
    with pytest.raises(ConformanceFailure) as info:
        check_vjp(fn, s.sin, x=Real(-3.0, 3.0, shape=(3,)), examples=10)
    note = info.value.__notes__[0]
    assert binding in note
    assert _repro_deviates(note)


def test_a_local_function_is_to_be_pasted():
    with pytest.raises(ConformanceFailure) as info:
        check_vjp(lambda x: torch.sin(x) * (1 + 1e-9), s.sin, x=Real(-3.0, 3.0, shape=(3,)), examples=10)
    note = info.value.__notes__[0]
    assert "\nfn = ...  # the lambda test_a_local_function_is_to_be_pasted.<locals>.<lambda> (" in note
    assert ") is a local function: paste it here\n" in note
