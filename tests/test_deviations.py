"""A documented torch deviation turns only numeric failures of its (entry, dtype) into xfails; a
``Contract`` deviation covers broken contracts too."""

import numpy as np
import pytest
import torch

from conformance.exact import spec as s
from conformance.faults import scaled_backward
from conformance.model.case import Contract, Deviation, entry
from conformance.model.domain import Real
from conformance.model.error import CatalogueError
from conformance.run.failure import ConformanceFailure, KnownDeviation, dtype_name
from conformance.run.trial import Trial

CASE = entry("documented_sin", "torch.sin(x)", lambda x: s.sin(x), x=Real(shape=(3,)),
             deviations={"float64": Deviation("a documented deviation, for this test", relative=1e-5)})


def _trial(dtype, device):
    """A trial of CASE with the Status the plugin decides for its item (the documented float64 deviation)."""
    t = Trial(CASE, dtype, device, None, "vjp", values={"x": np.array([0.25, -1.0, 2.0])},
              status=CASE.status(dtype_name(dtype), ()))
    y = t.forward()
    vs = t.weights(values=[np.array([1.0, -2.0, 0.5])])
    t.backward(y, vs)
    return t, vs


def test_numeric_deviation_of_documented_dtype_is_known(cpu):
    with scaled_backward("sin", 1e-6):
        t, vs = _trial(torch.float64, cpu)
    with pytest.raises(KnownDeviation, match="a documented deviation"):
        t.check(t.expected(vs))


@pytest.mark.parametrize("fault", [lambda g, x: g * (1 + 1e-3), lambda g, x: -g], ids=["larger error", "wrong sign"])
def test_a_failure_outside_the_envelope_fails_and_says_so(cpu, fault):
    from conformance.faults import wrong_backward
    with wrong_backward("sin", fault):
        t, vs = _trial(torch.float64, cpu)
    with pytest.raises(ConformanceFailure, match="outside the envelope of a known deviation"):
        t.check(t.expected(vs))


def test_a_dtype_wide_deviation_needs_an_envelope():
    with pytest.raises(CatalogueError, match="needs its measured envelope"):
        entry("t_blanket", "torch.sin(x)", lambda x: s.sin(x), x=Real(shape=(3,)), deviations={"float64": "why"})
    with pytest.raises(ValueError, match="positive relative error"):
        Deviation("why", relative=0)


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
                 deviations={"float64": Contract("a documented broken contract, for this test",
                                                  "the engine refused")})
    t = Trial(case, torch.float64, cpu, None, "accumulation", values={"x": np.array([0.25, -1.0, 2.0])},
              status=case.status("float64", ()))
    with pytest.raises(KnownDeviation, match="a documented broken contract"):
        t.run("raise RuntimeError('the engine refused')")


def test_raising_statement_is_a_failure_with_its_repro(cpu):
    t, _ = _trial(torch.float32, cpu)
    with pytest.raises(ConformanceFailure, match="raised RuntimeError: the engine refused") as info:
        t.run("raise RuntimeError('the engine refused')")
    assert "raise RuntimeError('the engine refused')" in "\n".join(info.value.__notes__)


FEATURE_CASE = entry("documented_feature_sin", "torch.sin(x)", lambda x: s.sin(x), x=Real(shape=(3,)),
                     deviations={"double_backward": "a documented higher-order deviation, for this test",
                                 "forward_ad:float64": "a float64 forward-mode deviation, for this test"},
                     unsupported={"forward_ad": "a declared limitation, for this test"})


def test_feature_deviation_covers_only_properties_requiring_the_feature():
    assert (FEATURE_CASE.deviation("float32", True, ("double_backward",))
            == "a documented higher-order deviation, for this test")
    assert FEATURE_CASE.deviation("float32", True, ("func",)) is None
    assert FEATURE_CASE.deviation("float32", True) is None  # first-order properties stay strict
    assert FEATURE_CASE.deviation("float32", False, ("double_backward",)) is None  # numeric only
    assert (FEATURE_CASE.deviation_keys("float64", ("forward_ad", "double_backward"))
            == ["double_backward", "forward_ad:float64"])
    assert FEATURE_CASE.deviation("float64", True, ("forward_ad",)) == "a float64 forward-mode deviation, for this test"
    assert FEATURE_CASE.deviation("float32", True, ("forward_ad",)) is None


def test_unsupported_feature_gives_the_skip_reason():
    assert FEATURE_CASE.lacks(("double_backward",)) is None
    assert FEATURE_CASE.lacks(("func", "forward_ad")) == ("documented_feature_sin: torch has no forward_ad: "
                                                          "a declared limitation, for this test")
    with pytest.raises(Exception, match="unknown autograd feature 'hvp'"):
        FEATURE_CASE.lacks(("hvp",))


@pytest.mark.parametrize("kwargs, message", [
    ({"unsupported": {"hvp": "x"}}, "unknown features"),
    ({"unsupported": {"forward_ad": ""}}, "needs a reason"),
    ({"deviations": {"float8": "x"}}, "is neither a dtype"),
])
def test_malformed_feature_declarations_are_refused(kwargs, message):
    with pytest.raises(Exception, match=message):
        entry("bad_features", "torch.sin(x)", lambda x: s.sin(x), x=Real(shape=(3,)), **kwargs)


def test_forward_over_reverse_implies_forward_ad_and_double_backward():
    no_forward = entry("no_forward_sin", "torch.sin(x)", lambda x: s.sin(x), x=Real(shape=(3,)),
                       unsupported={"forward_ad": "declared for this test"},
                       unmodelled={"double_backward": "no model, for this test"},
                       deviations={"double_backward:float64": "documented, for this test"})
    assert "torch has no forward_ad" in no_forward.lacks(("forward_over_reverse",))
    assert "no error model for double_backward" in no_forward.lacks(("double_backward",))
    assert no_forward.deviation("float64", True, ("forward_over_reverse",)) == "documented, for this test"
    assert no_forward.deviation("float32", True, ("forward_over_reverse",)) is None


def test_several_contracts_of_one_property_cover_each_symptom_and_nothing_else():
    """A property needing two features torch lacks (forward AD and double backward) fails with whichever raises
    first: each Contract's message is covered, another exception or a wrong value is not."""
    both = entry("two_contracts_sin", "torch.sin(x)", lambda x: s.sin(x), x=Real(shape=(3,)),
                 deviations={"forward_ad": Contract("no forward AD, for this test", "no forward formula"),
                             "double_backward": Contract("no double backward, for this test", "no double formula")})
    status = both.status("float64", ("third_order", "forward_over_reverse"), "test_forward_over_hvp")
    assert status.kind == "contract" and status.symptoms == ("no double formula", "no forward formula")
    assert status.covers(numeric=False, message="`out = ...` raised NotImplementedError: no forward formula")
    assert status.covers(numeric=False, message="`h = ...` raised RuntimeError: no double formula")
    assert not status.covers(numeric=False, message="`h = ...` raised RuntimeError: something else")
    assert not status.covers(numeric=True, relative=2.0, message="third-order derivative off its bound")
    assert both.status("float64", ("forward_ad",), "test_jvp").symptoms == ("no forward formula",)


def test_a_deviation_keyed_to_one_compile_backend_covers_that_backend_only():
    from conformance.catalogue import CATALOGUE
    mm = CATALOGUE["mm"]
    inductor = mm.status("float64", (), "test_compile_mutation[inductor]")
    assert inductor is not None and inductor.kind == "contract" and inductor.strict
    assert mm.status("float64", (), "test_compile_mutation[aot_eager]") is None
    assert mm.status("float64", (), "test_compile_vjp[inductor]") is None
    assert not inductor.covers(numeric=False, message="the compiled backward raises (x), eager's raises nothing")
    assert inductor.covers(numeric=False, message=f"...: {inductor.symptom}")
