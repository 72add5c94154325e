"""The public API: a user's function against a user's sympy spec, with the suite's oracle, bound,
failure message and repro."""
import re

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as fwAD

from conformance import (
    ConformanceFailure,
    Index,
    Real,
    UnsupportedMode,
    Verdicts,
    check_grads,
    check_hvp,
    check_jvp,
    check_vjp,
)
from conformance import spec as s
from conformance.api import MODES
from conformance.run.failure import REPRO

X = Real(-3.0, 3.0, shape=(3,))


def my_op(x, y):
    return torch.sin(x) * y


def my_spec(x, y):
    return s.sin(x) * y


def _off_sin(x):
    """sin whose derivative is off by a relative 1e-9 (the value too: only the gradient is checked)."""
    return torch.sin(x) * (1 + 1e-9)


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


class _OffTangentSin(_ScaledSin):
    """sin with a right backward and a forward-mode formula off by a relative 1e-9."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * torch.cos(x)

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.x = x  # for jvp
        return torch.sin(x)

    @staticmethod
    def jvp(ctx, u):
        return u * torch.cos(ctx.x) * (1 + 1e-9)


class _OnceSin(_OffTangentSin):
    """sin with a right backward that torch must not differentiate again (and no forward-mode formula)."""

    jvp = torch.autograd.Function.jvp

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * torch.cos(x)


def _custom_sin(name: str, slope: float):
    """A ``torch.library.custom_op`` computing sin, its registered backward ``slope`` times the true one."""
    def sin(x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)

    op = torch.library.custom_op(f"conformance_tests::{name}", sin, mutates_args=())
    op.register_autograd(lambda ctx, g: g * torch.cos(ctx.x) * slope,
                         setup_context=lambda ctx, inputs, output: setattr(ctx, "x", inputs[0]))
    return op


SIN_OK, SIN_WRONG = _custom_sin("sin_ok", 1.0), _custom_sin("sin_wrong", 1 + 1e-9)


def _forward_ad_error(fn) -> str:
    """Torch's own error for forward-mode AD through ``fn`` (``Type: message``)."""
    with fwAD.dual_level(), pytest.raises(RuntimeError) as info:
        fn(fwAD.make_dual(torch.ones(3, dtype=torch.float64, requires_grad=True), torch.ones(3, dtype=torch.float64)))
    return f"{type(info.value).__name__}: {str(info.value).splitlines()[0]}"


def test_a_right_function_passes_every_property():
    verdicts = check_grads(my_op, my_spec, x=Real(-3.0, 3.0, shape=(4,)), y=Real(-2.0, 2.0, shape=(4,)), examples=5)
    assert isinstance(verdicts, Verdicts) and verdicts == dict.fromkeys(MODES, "passed") and not verdicts.unsupported


def test_each_property_has_its_own_entry_point():
    for check in (check_vjp, check_jvp, check_hvp):
        check(torch.exp, s.exp, x=Real(-2.0, 2.0, shape=(3,)), examples=3, dtype="float32")


def test_integer_inputs_are_constants_of_the_spec():
    check_vjp(lambda x, i: torch.gather(x, 0, i), lambda x, i: x[i], x=Real(shape=(4,)), i=Index(4, shape=(3,)),
              examples=3)


# -- a mode torch lacks for the function is unsupported, not a failure ------------------------------
def test_a_right_custom_op_passes_with_forward_mode_unsupported_by_torch():
    reason = _forward_ad_error(SIN_OK)  # custom ops have no forward-mode AD: torch's own words
    with pytest.warns(UnsupportedMode) as warned:
        verdicts = check_grads(SIN_OK, s.sin, x=X, examples=3)
    assert verdicts == {"vjp": "passed", "accumulation": "passed", "jvp": f"unsupported: {reason}", "hvp": "passed"}
    assert verdicts.unsupported == {"jvp": reason}
    [warning] = [w.message for w in warned if isinstance(w.message, UnsupportedMode)]
    assert (warning.mode, warning.reason) == ("jvp", reason) and reason in str(warning)
    assert str(warning).startswith("check_grads(conformance_tests.sin_ok): jvp not checked")


def test_checking_only_a_mode_torch_lacks_raises_with_torchs_reason():
    with pytest.raises(NotImplementedError, match=re.escape(_forward_ad_error(SIN_OK))):
        check_jvp(SIN_OK, s.sin, x=X, examples=3)


def test_a_backward_torch_cannot_differentiate_again_leaves_hvp_unsupported():
    with pytest.warns(UnsupportedMode):
        verdicts = check_grads(_OnceSin.apply, s.sin, x=X, examples=3)
    assert verdicts["vjp"] == verdicts["accumulation"] == "passed"
    assert verdicts["jvp"] == f"unsupported: {_forward_ad_error(_OnceSin.apply)}"
    assert verdicts["hvp"].startswith("unsupported: RuntimeError: trying to differentiate twice a function that was "
                                      "marked with @once_differentiable")
    with pytest.raises(NotImplementedError, match="has no double backward for this function"):
        check_hvp(_OnceSin.apply, s.sin, x=X, examples=3)


@pytest.mark.parametrize("fn, check", [(SIN_WRONG, check_grads), (_OffTangentSin.apply, check_jvp)],
                         ids=["custom-op-backward", "function-jvp"])
def test_a_wrong_value_still_fails(fn, check):
    with pytest.raises(ConformanceFailure, match="deviates from the exact"):
        check(fn, s.sin, x=X, examples=5)


# -- arguments ----------------------------------------------------------------------------------------
def test_a_single_mode_name_and_a_torch_dtype_are_taken():
    assert check_grads(torch.sin, s.sin, x=X, modes="vjp", dtype=torch.float32, examples=2) == {"vjp": "passed"}


@pytest.mark.parametrize("kwargs, error, message", [
    ({"modes": ("vjp", "hessian")}, ValueError, "unknown modes ['hessian']; known: vjp, accumulation, jvp, hvp"),
    ({"modes": ()}, ValueError, "modes is empty; known: vjp"),
    ({"modes": 3}, TypeError, "modes must be a mode or a sequence of modes"),
    ({"dtype": "float8"}, ValueError, "unknown dtype 'float8'; known: float32, float64"),
    ({"dtype": torch.int32}, ValueError, "unknown dtype torch.int32; known: float32"),
    ({"dtype": 64}, TypeError, "dtype must be a name ('float64') or a torch.dtype, got int 64"),
    ({"device": "nosuchdevice"}, ValueError, "device 'nosuchdevice' is not a torch device; available here: cpu"),
    ({"device": "meta"}, ValueError, "device 'meta' cannot run checks"),
    ({"examples": 0}, ValueError, "examples must be >= 1"),
    ({"examples": -3}, ValueError, "examples must be >= 1"),
    ({"examples": 2.5}, TypeError, "examples must be an int >= 1, got float 2.5"),
    ({"examples": True}, TypeError, "examples must be an int >= 1, got bool True"),
    ({"derandomize": "yes"}, TypeError, "derandomize must be True or False"),
    ({"name": "my op"}, ValueError, "name must be a plain identifier"),
])
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        check_grads(my_op, my_spec, x=Real(shape=(2,)), y=Real(shape=(2,)), **kwargs)


def test_a_device_this_torch_lacks_is_named_with_the_reason(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"check_vjp: device 'cuda' is not available: (this torch build .* has no "
                                         r"cuda support|torch finds no cuda device on this machine); available here"):
        check_vjp(torch.sin, s.sin, x=X, device="cuda")


@pytest.mark.parametrize("fn, spec, inputs, error, message", [
    (3, s.sin, {"x": X}, TypeError, "fn must be callable"),
    (torch.sin, "sin", {"x": X}, TypeError, "spec must be callable"),
    (torch.sin, s.sin, {}, ValueError, "no inputs; give each input of fn as a keyword domain"),
    (torch.sin, s.sin, {"x": 3.0}, TypeError, "input 'x' must be a conformance.Real or conformance.Index domain, "
                                              "got float 3.0"),
    (lambda i: i.double(), lambda i: i, {"i": Index(3)}, ValueError, "no Real input"),
    (torch.sin, s.sin, {"out": X}, ValueError, "input name 'out' is taken by the checks"),
    (torch.sin, s.sin, {"v0": X}, ValueError, "input name 'v0' is taken by the checks"),
    (torch.mul, lambda x, x_1: x * x_1, {"x": X, "x_1": X}, ValueError, "input name 'x_1' is taken by the checks"),
])
def test_bad_functions_and_inputs_are_named(fn, spec, inputs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        check_vjp(fn, spec, examples=2, **inputs)


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


@pytest.mark.parametrize("fn, got", [(lambda x: x.detach().numpy() * 2, "numpy.ndarray"), (lambda x: 1.0, "float"),
                                     (lambda x: (x, np.ones(3)), "a tuple holding numpy.ndarray")])
def test_a_function_not_returning_tensors_is_a_type_error(fn, got):
    with pytest.raises(TypeError, match=re.escape(f"fn must return a torch.Tensor or a tuple of tensors, got {got}")):
        check_vjp(fn, lambda x: 2 * x, x=X, examples=2)


# -- messages and the repro -----------------------------------------------------------------------------
def _repro_deviates(note: str) -> bool:
    """Run a repro note as printed: x.grad is off its bound from the exact value."""
    ns = {}
    exec(note.removeprefix(REPRO), ns)  # noqa: S102
    return bool(((ns["x"].grad - ns["expected"]).abs() / ns["bound"]).max() > 1)


def test_a_wrong_backward_fails_with_the_suites_message_one_note_and_a_running_repro():
    with pytest.raises(ConformanceFailure) as info:
        check_vjp(_ScaledSin.apply, s.sin, x=X, examples=10)
    message, notes = str(info.value), info.value.__notes__
    assert message.startswith("vjp of '_ScaledSin.apply' (float64, cpu): x.grad deviates from the exact vᵀJ by")
    assert len(notes) == 1 and notes[0].startswith(REPRO) and "out.backward(gradient=gy0)" in notes[0]
    assert f"from {__name__} import _ScaledSin\nfn = _ScaledSin.apply\n" in notes[0]
    assert _repro_deviates(notes[0])


@pytest.mark.parametrize("fn, binding", [
    (SIN_WRONG, f"import {__name__}  # registers torch.ops.conformance_tests.sin_wrong\n"
                "fn = torch.ops.conformance_tests.sin_wrong\n"),
    (_off_sin, f"from {__name__} import _off_sin as fn\n"),
])
def test_the_repro_binds_the_function_under_test(fn, binding):
    with pytest.raises(ConformanceFailure) as info:
        check_vjp(fn, s.sin, x=X, examples=10)
    [note] = info.value.__notes__
    assert binding in note
    assert _repro_deviates(note)


def test_a_local_function_is_to_be_pasted():
    with pytest.raises(ConformanceFailure) as info:
        check_vjp(lambda x: torch.sin(x) * (1 + 1e-9), s.sin, x=X, examples=10)
    assert str(info.value).startswith("vjp of 'lambda' (float64, cpu)")
    [note] = info.value.__notes__
    assert "\nfn = ...  # the lambda test_a_local_function_is_to_be_pasted.<locals>.<lambda> (" in note
    assert ") is a local function: paste it here\n" in note


def test_messages_name_the_users_function():
    with pytest.raises(ValueError, match=r"^check_vjp\(my_op\): spec failed: ") as info:
        check_vjp(my_op, lambda x, y: s.no_such_primitive(x), x=X, y=X, examples=2)
    assert "catalogue" not in str(info.value)
    with pytest.raises(ValueError, match=r"^check_grads\(mine\): torch output shapes \[\(\)\] differ"):
        check_grads(lambda x: x.sum(), s.sin, x=X, examples=2, name="mine")


def test_one_name_checked_against_two_specs_uses_each_spec():
    check_vjp(torch.sin, s.sin, x=X, examples=2, name="same")
    check_vjp(torch.cos, s.cos, x=X, examples=2, name="same")


def test_a_dtype_torch_has_no_kernel_for_is_unsupported_with_torchs_message():
    """erfcx has no bfloat16 kernel on the CPU: every mode is unsupported there, with torch's own error."""
    try:
        torch.special.erfcx(torch.ones(1, dtype=torch.bfloat16))
        pytest.skip("this torch has a bfloat16 erfcx")
    except NotImplementedError as exc:
        reason = str(exc)
    with pytest.warns(UnsupportedMode):
        verdicts = check_grads(torch.special.erfcx, lambda x: s.exp(x * x) * s.erfc(x), modes="vjp",
                               dtype=torch.bfloat16, examples=2, x=Real(-1.0, 1.0, shape=(3,)))
    assert list(verdicts) == ["vjp"] and reason in verdicts.unsupported["vjp"]
    assert check_grads(torch.special.erfcx, lambda x: s.exp(x * x) * s.erfc(x), modes="vjp",
                       examples=2, x=Real(-1.0, 1.0, shape=(3,))) == {"vjp": "passed"}
