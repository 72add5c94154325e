"""Errors autograd promises: each misuse raises the documented exception type, with a message matched
tolerantly across torch versions, and a refused backward accumulates nothing.

Unused inputs of ``torch.autograd.grad`` raise unless ``allow_unused=True`` (their gradient is then
None) or ``materialize_grads=True`` (zeros, where torch has the keyword); the used inputs still get
the exact vᵀJ.  Changing a saved tensor in place is caught by the version counter at backward time;
an in-place op on a leaf that requires grad is refused at the op and leaves the leaf unchanged.
"""
import inspect

import pytest
import torch

from conformance.run.trial import Trial

from ._engine import backward_line, expect_error, refused_in_place, require_untouched
from ._steps import drawn

NAMES = ("seed_indexed", "mul", "mm", "tanh", "addcmul")
CASES = pytest.mark.conformance(entries=NAMES)

# misuse id -> (backward statement over the output `out` and its weight `gy0`, message pattern, what)
MISUSES = {
    "nonscalar-without-gradient": ("out.backward()", r"implicitly created only for scalar outputs|scalar output",
                                   "backward() without gradient on a non-scalar output"),
    "gradient-of-wrong-shape": ("out.backward(gradient=torch.cat([gy0.reshape(-1), gy0.reshape(-1)[:1]]))",
                                r"shape", "a gradient with one element more than the output"),
    "gradient-with-extra-dimension": ("out.backward(gradient=gy0.expand(2, *gy0.shape))", r"shape",
                                      "a gradient the output's shape broadcasts to, but not the output's shape"),
    "complex-gradient-for-real-output": ("out.backward(gradient=gy0.to(torch.complex128 if gy0.dtype == torch.float64 "
                                         "else torch.complex64))", r"complex|dtype",
                                         "a complex gradient for a real output"),
    "output-not-requiring-grad": ("out.detach().backward(gradient=gy0)", r"does not require grad|grad_fn",
                                  "backward of a tensor that does not require grad"),
    "empty-inputs": ("out.backward(gradient=gy0, inputs=[])", r"inputs.*empty",
                     "backward(inputs=[])"),
}

# entry -> statement changing a tensor its backward saved (an input, or tanh's saved result)
SAVED = {
    "seed_indexed": "with torch.no_grad(): x.mul_(2)",
    "mul": "with torch.no_grad(): y.mul_(2)",
    "mm": "with torch.no_grad(): b.mul_(2)",
    "tanh": "out.mul_(2)",
    "addcmul": "with torch.no_grad(): a.mul_(2)",
}


def _grad_call(t: Trial, extra: str = "") -> str:
    inputs = ", ".join(t.grad_names + ["unused"])
    return f"torch.autograd.grad([out], [{inputs}], grad_outputs=[gy0]{extra})"


def _with_unused(t: Trial) -> list[str]:
    """Forward, weights, and a leaf ``unused`` that requires grad but plays no part in ``out``."""
    t.run(f"unused = torch.zeros(3, dtype={t.dtype}, device={str(t.device)!r}, requires_grad=True)")
    t.forward()
    return t.weights()


@pytest.mark.parametrize("misuse", MISUSES)
@CASES
@drawn()
def test_misused_backward_raises(case, misuse, dtype, device, status, data):
    t = Trial(case, dtype, device, data, "engine_errors", status=status)
    t.forward()
    t.weights()
    line, pattern, what = MISUSES[misuse]
    expect_error(t, line, RuntimeError, pattern, what)
    require_untouched(t, what)


@CASES
@drawn()
def test_unused_input_to_grad_raises(case, dtype, device, status, data):
    t = Trial(case, dtype, device, data, "engine_errors", status=status)
    _with_unused(t)
    expect_error(t, _grad_call(t), RuntimeError, r"not have been used in the graph|allow_unused",
                 "autograd.grad with an input the outputs do not depend on")


@CASES
@drawn()
def test_unused_input_allowed_is_none(case, dtype, device, status, data):
    """``allow_unused=True``: the unused input's gradient is None, the others the exact vᵀJ."""
    t = Trial(case, dtype, device, data, "engine_errors", status=status)
    vs = _with_unused(t)
    t.run(f"g = {_grad_call(t, ', allow_unused=True')}")
    t.check(t.expected(vs), grads={n: f"g[{i}]" for i, n in enumerate(t.grad_names)}, what="vᵀJ from autograd.grad")
    if t.eval("g[-1]") is not None:
        t.fail("autograd.grad(allow_unused=True) returned a tensor for the unused input (expected None)")


@CASES
@drawn()
def test_unused_input_materialized_is_zeros(case, dtype, device, status, data):
    """``materialize_grads=True``: the unused input's gradient is zeros of its shape, dtype and device."""
    if "materialize_grads" not in inspect.signature(torch.autograd.grad).parameters:
        pytest.skip(f"torch.autograd.grad has no materialize_grads keyword in torch {torch.__version__}")
    t = Trial(case, dtype, device, data, "engine_errors", status=status)
    vs = _with_unused(t)
    t.run(f"g = {_grad_call(t, ', allow_unused=True, materialize_grads=True')}")
    t.check(t.expected(vs), grads={n: f"g[{i}]" for i, n in enumerate(t.grad_names)}, what="vᵀJ from autograd.grad")
    if not t.eval("g[-1] is not None and g[-1].shape == unused.shape and g[-1].dtype == unused.dtype "
                  "and g[-1].device == unused.device and bool((g[-1] == 0).all())"):
        t.fail(f"autograd.grad(materialize_grads=True) gave {t.eval('g[-1]')!r} for the unused input "
               "(expected zeros like it)")


@CASES
@drawn()
def test_inplace_change_of_saved_tensor_raises_at_backward(case, dtype, device, status, data):
    t = Trial(case, dtype, device, data, "engine_errors", status=status)
    t.forward()
    vs = t.weights()
    t.run(SAVED[case.name])
    expect_error(t, backward_line("out", vs[0]), RuntimeError, r"modified by an inplace operation|version",
                 "backward after a tensor it saved was changed in place")


@CASES
@drawn()
def test_inplace_op_on_leaf_requiring_grad_raises(case, dtype, device, status, data):
    """The op is refused before it runs: the leaf keeps its values."""
    t = Trial(case, dtype, device, data, "engine_errors", status=status)
    refused_in_place(t, f"{t.grad_names[0]}.mul_(2)", r"leaf variable that requires grad.*in-place",
                     "an in-place op on a leaf that requires grad")
