"""One Status for every expectation, decided in one place: each declaration maps to its kind, a fixed
release retires it, and the plugin's marks follow the kind."""
import pytest

from conformance.catalogue import CATALOGUE, get
from conformance.catalogue.conventions import TABLE
from conformance.exact import spec as s
from conformance.model.case import entry
from conformance.model.domain import Real
from conformance.model.status import KINDS, Contract, Deviation, Status, first

WHY = Deviation("why", relative=1e-6)


def _sin(**kw):
    return entry("t_status", "torch.sin(x)", lambda x: s.sin(x), x=Real(), **kw)


def test_each_declaration_is_a_status_of_its_kind():
    assert _sin(unsupported={"forward_ad": "why"}).status("float32", ("forward_ad",)).kind == "unsupported"
    assert _sin(unmodelled={"forward_ad": "why"}).status("float32", ("forward_ad",)).kind == "unmodelled"
    assert _sin(dtypes=("float64",)).status("float32").kind == "dtype"
    assert _sin(deviations={"float32": WHY}).status("float32").kind == "deviation"
    assert _sin(deviations={"float32": Contract("why")}).status("float32").kind == "contract"
    assert _sin(deviations={"float32": WHY}).status("float64") is None
    assert entry("t_absent", "torch.no_such_op(x)", s.sin, x=Real()).status("float32").kind == "absent"
    assert entry("t_removed", "torch.sin(x)", s.sin, x=Real(), removed_in="0.1").status("float32").kind == "removed"


def test_a_fixed_release_retires_the_status():
    assert _sin(deviations={"float32": WHY}, fixed_in="0.1").status("float32") is None
    assert _sin(deviations={"float32": WHY}, fixed_in="999.0").status("float32").until == "999.0"


def test_an_envelope_covers_only_its_numeric_failures():
    assert WHY.covers(True, 1e-7) and not WHY.covers(True, 1e-5) and not WHY.covers(True, None)
    assert not WHY.covers(False)  # a broken contract is never a value's deviation
    contract = Contract("raises")
    assert contract.covers(False) and not contract.covers(True, 1e-9)
    assert Contract("raises, and off by", relative=0.5).covers(True, 0.4)
    assert Status("deviation", "a feature-keyed text").covers(True, None)


def test_skips_come_before_expected_failures_and_a_status_needs_a_reason():
    listed, skip = Status("listed", "a file line"), Status("unsupported", "no forward AD")
    assert first(None, listed, skip) is skip and first(None, None) is None
    with pytest.raises(ValueError, match="needs a reason"):
        Status("deviation", " ")
    with pytest.raises(ValueError, match="unknown status kind"):
        Status("flaky", "never a reason")


def test_marks_follow_the_kind():
    assert {Status(k, "r").mark().name for k in KINDS} == {"skip", "xfail"}
    assert Status("deviation", "r", strict=True).mark().kwargs["strict"] is True
    assert Status("listed", "r").mark(skip_listed=True).name == "skip"


def test_catalogue_and_conventions_declare_only_statuses():
    for case in CATALOGUE.values():
        assert all(isinstance(v, Status) for v in case.deviations.values()), case.name
    departing = [r for r in TABLE if r.deviation]
    assert departing and all(r.status() is None or isinstance(r.status(), Status) for r in departing)
    assert get("sin").status("float32") is None
