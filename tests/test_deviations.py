"""A documented torch deviation turns only numeric failures of its (entry, dtype) into xfails; a
``Contract`` deviation covers broken contracts too."""
import numpy as np
import pytest
import torch

from conformance import spec as s
from conformance.case import Contract, entry
from conformance.domain import Real
from conformance.faults import scaled_backward
from conformance.report import ConformanceFailure, KnownDeviation
from conformance.trial import Trial

CASE = entry("documented_sin", "torch.sin(x)", lambda x: s.sin(x), x=Real(shape=(3,)),
             deviations={"float64": "a documented deviation, for this test"})


def _trial(dtype, device):
    t = Trial(CASE, dtype, device, None, "vjp", values={"x": np.array([0.25, -1.0, 2.0])})
    y = t.forward()
    vs = t.weights(values=[np.array([1.0, -2.0, 0.5])])
    t.backward(y, vs)
    return t, vs


def test_numeric_deviation_of_documented_dtype_is_known(cpu):
    with scaled_backward("sin", 1e-6):
        t, vs = _trial(torch.float64, cpu)
    with pytest.raises(KnownDeviation, match="a documented deviation"):
        t.check(t.expected(vs))


def test_other_dtype_still_fails(cpu):
    with scaled_backward("sin", 1e-3):
        t, vs = _trial(torch.float32, cpu)
    with pytest.raises(ConformanceFailure):
        t.check(t.expected(vs))


def test_contract_failure_is_never_hidden_by_a_deviation(cpu):
    t, _ = _trial(torch.float64, cpu)
    with pytest.raises(ConformanceFailure, match="grad was replaced"):
        t.fail(".grad was replaced")


def test_contract_deviation_covers_a_raising_statement(cpu):
    case = entry("documented_contract", "torch.sin(x)", lambda x: s.sin(x), x=Real(shape=(3,)),
                 deviations={"float64": Contract("a documented broken contract, for this test")})
    t = Trial(case, torch.float64, cpu, None, "accumulation", values={"x": np.array([0.25, -1.0, 2.0])})
    with pytest.raises(KnownDeviation, match="a documented broken contract"):
        t.run("raise RuntimeError('the engine refused')")


def test_raising_statement_is_a_failure_with_its_repro(cpu):
    t, _ = _trial(torch.float32, cpu)
    with pytest.raises(ConformanceFailure, match="raised RuntimeError: the engine refused") as info:
        t.run("raise RuntimeError('the engine refused')")
    assert "raise RuntimeError('the engine refused')" in "\n".join(info.value.__notes__)
