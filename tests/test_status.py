"""One Status for every expectation, decided in one place: each declaration maps to its kind, a fixed
release retires it, and the plugin's marks follow the kind."""
import math

import pytest

from conformance.catalogue import CATALOGUE, get
from conformance.catalogue.conventions import TABLE
from conformance.exact import spec as s
from conformance.model.case import entry
from conformance.model.domain import Real
from conformance.model.status import KINDS, Contract, Deviation, Status, Widening, first
from conformance.plugin.session import status_mark

WHY = Deviation("why", relative=1e-6)


def _sin(**kw):
    return entry("t_status", "torch.sin(x)", lambda x: s.sin(x), x=Real(), **kw)


def test_each_declaration_is_a_status_of_its_kind():
    assert _sin(unsupported={"forward_ad": "why"}).status("float32", ("forward_ad",)).kind == "unsupported"
    assert _sin(unmodelled={"forward_ad": "why"}).status("float32", ("forward_ad",)).kind == "unmodelled"
    assert _sin(dtypes=("float64",)).status("float32").kind == "dtype"
    assert _sin(deviations={"float32": WHY}).status("float32").kind == "deviation"
    assert _sin(deviations={"float32": Contract("why", "raised")}).status("float32").kind == "contract"
    assert _sin(deviations={"float32": WHY}).status("float64") is None
    assert entry("t_absent", "torch.no_such_op(x)", s.sin, x=Real()).status("float32").kind == "absent"
    assert entry("t_removed", "torch.sin(x)", s.sin, x=Real(), removed_since="0.1").status("float32").kind == "removed"


def test_a_fixed_release_retires_the_status():
    assert _sin(deviations={"float32": WHY}, until="0.1").status("float32") is None
    assert _sin(deviations={"float32": WHY}, until="999.0").status("float32").until == "999.0"


def test_an_envelope_covers_only_its_numeric_failures():
    assert WHY.covers(True, 1e-7) and not WHY.covers(True, 1e-5) and not WHY.covers(True, None)
    assert not WHY.covers(False)  # a broken contract is never a value's deviation
    contract = Contract("raises", "the engine refused")
    assert contract.covers(False, message="RuntimeError: the engine refused") and not contract.covers(True, 1e-9)
    assert not contract.covers(False, message="RuntimeError: another error")  # a contract covers its symptom only
    assert not contract.covers(False)
    assert Contract("raises, and off by", "refused", relative=0.5).covers(True, 0.4)
    with pytest.raises(ValueError, match="needs its symptom"):
        Contract("raises", " ")
    pinned = Status("deviation", "torch's own value", symptom="as documented")
    assert pinned.covers(True, None, "x.grad = 2; as documented, torch gives 2")
    assert not pinned.covers(True, None, "x.grad = 3; a new value")
    assert Status("deviation", "a feature-keyed text").covers(True, None)


def test_skips_come_before_expected_failures_and_a_status_needs_a_reason():
    listed, skip = Status("listed", "a file line"), Status("unsupported", "no forward AD")
    assert first(None, listed, skip) is skip and first(None, None) is None
    with pytest.raises(ValueError, match="needs a reason"):
        Status("deviation", " ")
    with pytest.raises(ValueError, match="unknown status kind"):
        Status("flaky", "never a reason")


def test_marks_follow_the_kind():
    assert {status_mark(Status(k, "r", symptom="s")).name for k in KINDS if k != "widened"} == {"skip", "xfail"}
    assert status_mark(Widening("r", 10)) is None  # a widened mode runs, unmarked
    assert status_mark(Status("deviation", "r", strict=True)).kwargs["strict"] is True
    assert status_mark(Status("listed", "r"), skip_listed=True).name == "skip"


def test_catalogue_and_conventions_declare_only_statuses():
    for case in CATALOGUE.values():
        assert all(isinstance(v, Status) for v in case.deviations.values()), case.name
    departing = [r for r in TABLE if r.deviation]
    assert departing and all(r.status() is None or isinstance(r.status(), Status) for r in departing)
    assert get("sin").status("float32") is None


def test_a_widening_is_a_measured_factor_that_a_deviation_carries():
    widened = _sin(widened={"double_backward": Widening("model undercounts, for this test", 50)})
    assert widened.status("float32", ("double_backward",)).widen == 50
    assert widened.status("float32", ("forward_over_reverse",)).widen == 50  # it implies double backward
    assert widened.status("float32") is None  # first order keeps the plain bound
    both = _sin(widened={"double_backward": Widening("w", 50)}, deviations={"double_backward": "documented"})
    assert both.status("float64", ("double_backward",)).kind == "deviation"
    assert both.status("float64", ("double_backward",)).widen == 50
    assert first(Widening("w", 5), Status("listed", "a file line")).kind == "listed"
    assert first(Widening("w", 5), Status("listed", "a file line")).widen == 5
    with pytest.raises(ValueError, match="measured factor"):
        Status("widened", "no factor")
    with pytest.raises(Exception, match="widened key"):
        _sin(widened={"special_lanes": Widening("w", 2)})
    with pytest.raises(Exception, match="must be Widening"):
        _sin(widened={"double_backward": "a text"})


def test_a_widened_check_passes_within_the_factor_and_fails_beyond_it(cpu):
    import numpy as np
    import torch

    from conformance.faults import scaled_backward
    from conformance.run.failure import ConformanceFailure
    from conformance.run.trial import Trial
    case = entry("t_widened", "torch.sin(x)", lambda x: s.sin(x), x=Real(shape=(3,)),
                 widened={"accumulation": Widening("the model undercounts, for this test", 1e4)})

    def check(scale):
        with scaled_backward("sin", scale):
            t = Trial(case, torch.float64, cpu, None, "vjp", values={"x": np.array([0.25, -1.0, 2.0])},
                      status=case.status("float64", ("accumulation",)))
            y = t.forward()
            vs = t.weights(values=[np.array([1.0, -2.0, 0.5])])
            t.backward(y, vs)
        t.check(t.expected(vs))
    check(1e-13)  # ~400 plain bounds: within the widening
    with pytest.raises(ConformanceFailure, match="bounds widened 10000 x"):
        check(1e-9)  # beyond it


def test_property_keys_name_properties_and_narrow_a_deviation():
    import re
    from pathlib import Path
    cases = Path(__file__).resolve().parents[1] / "cases"
    properties = {m for f in cases.glob("test_*.py") for m in re.findall(r"^def (test_\w+)", f.read_text(), re.M)}
    for case in CATALOGUE.values():
        for key in case.deviations:
            head = key.partition(":")[0].split("[")[0]  # test_compile_mutation[inductor]: one backend's
            assert not head.startswith("test_") or head in properties, (case.name, key)
    narrow = _sin(deviations={"test_hessian": Status("deviation", "only torch.func.hessian, for this test")})
    assert narrow.status("float32", ("func",), "test_hessian").kind == "deviation"
    assert narrow.status("float32", ("func",), "test_jacrev") is None
    accuracy = _sin(deviations={"float64": WHY, "accumulation": Contract("aliasing", "aliases")})
    assert accuracy.status("float64", (), "test_device_accumulation_bitwise", exact=False) is None
    assert accuracy.status("float64", ("accumulation",), "t", exact=False).kind == "contract"
    with pytest.raises(Exception, match="is neither a dtype"):
        _sin(deviations={"tst_hessian": "a typo"})


def test_an_overflow_covers_only_its_non_finite_symptom():
    """Overflow covers ±inf (nan=True: NaN) for a finite exact value, never a finite wrong value or the other one."""
    from conformance.model.condition import Condition
    from conformance.model.status import Overflow
    big = Condition("an intermediate passes 65504", lambda d: True)
    inf, nan = Overflow("inf in float16", big), Overflow("nan in float16", big, nan=True)
    got_inf = "worst element x[0]: got inf, exact 1.5, |error| +inf = inf x bound"
    got_nan = "worst element x[0]: got nan, exact 0.0, |error| +inf = inf x bound"
    finite = "worst element x[0]: got -1.5, exact 1.5, |error| 3.0 = 40 x bound"
    assert inf.covers(True, math.inf, got_inf) and not inf.covers(True, math.inf, got_nan)
    assert nan.covers(True, math.inf, got_nan) and not nan.covers(True, math.inf, got_inf)
    assert not inf.covers(True, 2.0, finite) and not nan.covers(True, 2.0, finite)
    assert nan.when is big
    both = Overflow("inf or nan in float16", big, nan=True, inf=True)  # torch.prod's result / input in float16
    assert both.covers(True, math.inf, got_inf) and both.covers(True, math.inf, got_nan)
    assert not both.covers(True, 2.0, finite)
    zero = Overflow("0 in float16", big, zero=True)  # logaddexp's overflowed exp(y - x) as a divisor
    got_zero = "worst element x[0]: got -0.0, exact -0.000122, |error| 1.22e-4 = 36 x bound"
    assert zero.covers(True, 1.0, got_zero) and not zero.covers(True, math.inf, got_inf)
    assert not zero.covers(True, 2.0, finite) and not inf.covers(True, 1.0, got_zero)
    with pytest.raises(ValueError, match="not none"):
        Overflow("covers nothing", big, nan=False, inf=False)
