"""Reduced precision: bfloat16 and float16 values are exact in their dtype, bounds use the dtype's roundoff,
torch's missing kernels skip with torch's reason, and a point past float16's range is not a failure."""
import numpy as np
import pytest
import torch

from conformance.catalogue import get
from conformance.run.strategies import representable
from conformance.run.trial import Trial, lacks_kernel
from conformance.tolerance import CLAIM, K, scale, unit_roundoff

LOW = [torch.bfloat16, torch.float16]


@pytest.mark.parametrize("dtype", LOW, ids=["bfloat16", "float16"])
def test_drawn_values_are_exact_in_the_dtype(dtype):
    raw = np.array([0.1, -1.0 / 3.0, 2.5e-3, 1e6, -1e6, 1e-40])
    values = representable(raw, dtype)
    assert np.array_equal(torch.tensor(values).to(dtype).to(torch.float64).numpy(), values)
    assert np.all(np.abs(values) <= float(torch.finfo(dtype).max)) and values[-1] == 0.0  # clipped, flushed
    scalar = representable(np.array(0.1), dtype)
    assert scalar.shape == () and isinstance(scalar, np.ndarray)  # a 0-d value stays an array


def test_unit_roundoff_and_claim_of_the_low_dtypes():
    assert unit_roundoff(torch.bfloat16) == 2.0**-8 and unit_roundoff(torch.float16) == 2.0**-11
    assert CLAIM[torch.bfloat16] == 8 * 2.0**-8 and CLAIM[torch.float16] == 8 * 2.0**-11


def test_one_safety_factor_per_dtype():
    """float32 and float64 keep K; bfloat16 and float16, whose CPU kernels round once from float32, use 3."""
    assert scale(torch.float32) == K * 2.0**-24 and scale(torch.float64) == K * 2.0**-53
    assert scale(torch.bfloat16) == 3 * 2.0**-8 and scale(torch.float16) == 3 * 2.0**-11


def test_a_missing_kernel_is_torchs_reason_in_low_precision_only():
    exc = RuntimeError("quantile() input tensor must be either float or double dtype")
    assert "torch" in lacks_kernel(exc, torch.bfloat16) and "quantile()" in lacks_kernel(exc, torch.float16)
    assert lacks_kernel(exc, torch.float32) == ""  # in float32 the same error is a failure
    assert lacks_kernel(RuntimeError("the engine refused"), torch.bfloat16) == ""


def _sin(dtype, cpu, scale=1.0):
    case = get("sin")
    shape = case.args[0].shape
    values = {"x": representable(np.linspace(-3.0, 3.0, int(np.prod(shape))).reshape(shape), dtype)}
    t = Trial(case, dtype, cpu, None, "vjp", values=values)
    out = t.forward()
    vs = t.weights(values=[representable(np.linspace(-2.0, 3.0, int(np.prod(shape))).reshape(shape), dtype)])
    t.backward(out, vs)
    if scale != 1.0:
        t.run(f"x.grad.mul_({scale})")
    t.check(t.expected(vs))


@pytest.mark.parametrize("dtype", LOW, ids=["bfloat16", "float16"])
def test_a_low_precision_gradient_checks_against_the_exact_value(dtype, cpu):
    from conformance.run.failure import ConformanceFailure
    _sin(dtype, cpu)  # torch's gradient: within the bound
    with pytest.raises(ConformanceFailure, match="x bound"):
        _sin(dtype, cpu, scale=-1.0)  # a wrong sign fails


def test_a_point_past_float16s_range_is_skipped_not_failed(cpu):
    case = get("exp")
    shape = case.args[0].shape
    t = Trial(case, torch.float16, cpu, None, "vjp", values={"x": np.full(shape, 11.0)})  # e^11 = 59874
    out = t.forward()
    vs = t.weights(values=[np.ones(shape)])
    t.backward(out, vs)
    with pytest.raises(pytest.skip.Exception, match="past torch.float16's range"):
        t.check(t.expected(vs))


@pytest.mark.parametrize("oracle", ["fixed", "tape"])
def test_an_output_past_float16s_range_is_skipped_not_failed(oracle, cpu):
    """A product of twelve 3s (531441) is inf in float16: its zero-weighted gradient is torch's 0·inf = NaN,
    not a deviation; at ten 3s and two 1s (59049, within range) the gradient is checked."""
    from conformance.exact.tape import TapeOracle
    from conformance.space.resize import resized
    case = resized(get("prod_dim"), {3: 12})
    tape = TapeOracle if oracle == "tape" else None
    t = Trial(case, torch.float16, cpu, None, "vjp", values={"x": np.full((2, 12), 3.0)}, oracle=tape)
    with pytest.raises(pytest.skip.Exception, match="exact output exceeds 65504"):
        t.forward()
    x = np.full((2, 12), 3.0)
    x[:, :2] = 1.0
    t = Trial(case, torch.float16, cpu, None, "vjp", values={"x": x}, oracle=tape)
    out = t.forward()
    vs = t.weights(values=[np.array([[0.0], [2.0**-10]])])
    t.backward(out, vs)
    t.check(t.expected(vs))


def test_logaddexps_float16_zero_past_exps_range_fails_and_its_declaration_covers_it(cpu):
    """exp(y - x) overflows float16 for y - x > 11.1 and torch divides by it: x.grad is 0 where the exact value,
    16 / (1 + e^11.2) = 2.19e-4, passes float16's absolute floor at one output (2 tiny): a failure, of the
    declared symptom only (the input-space checks bound each element by its own terms)."""
    from conformance.catalogue.limits import LOGADDEXP_FIRST_F16
    from conformance.run.failure import ConformanceFailure
    from conformance.space.resize import resized
    case = get("logaddexp")
    case = resized(case, dict.fromkeys(case.args[0].shape, 1))
    shape = case.args[0].shape
    t = Trial(case, torch.float16, cpu, None, "vjp", values={"x": np.zeros(shape), "y": np.full(shape, 11.1875)})
    out = t.forward()
    vs = t.weights(values=[np.full(shape, 16.0)])
    t.backward(out, vs)
    with pytest.raises(ConformanceFailure) as failure:
        t.check(t.expected(vs))
    assert "got 0.0, exact" in str(failure.value) or "got -0.0, exact" in str(failure.value)
    assert LOGADDEXP_FIRST_F16["test_sized_vjp_grain:float16"].covers(True, 1.0, str(failure.value))


def _collected(*args):
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    unset = ("CONFORMANCE_FAULT", "PYTEST_ADDOPTS", "CONFORMANCE_PROFILE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    done = subprocess.run([sys.executable, "-m", "pytest", "cases/test_vjp.py", "cases/test_forward_mode.py",
                           "cases/test_zeroing.py", "--op", "sin", "--collect-only", "-q", "-p", "no:cacheprovider",
                           *args], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    return {line.split("::")[1] for line in done.stdout.splitlines() if "::" in line and "16]" in line}


def test_low_precision_runs_in_every_property_by_default_and_in_the_ci_properties_under_ci():
    by_default = _collected()
    assert "test_vjp[sin-bfloat16]" in by_default and "test_zeroing[sin-float16]" in by_default
    assert {"test_jvp[sin-bfloat16]", "test_forward_over_reverse[sin-float16]"} <= by_default
    assert "test_jvp[sin-bfloat16]" in _collected("--dtype", "bfloat16")
    assert _collected("--hypothesis-profile", "ci") == {
        f"{prop}[sin-{dtype}]" for prop in ("test_vjp", "test_jvp", "test_forward_over_reverse")
        for dtype in ("bfloat16", "float16")}
