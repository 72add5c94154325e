"""The typed Selector behind every declaration (``conformance.model.expectation``): every key the catalogue declares
parses into one, a malformed key is an error naming the entry and the key, ``matches`` reads an item's facts, the
torch range bounds it, and a declaration covering no collected item is stale."""
import pytest

from conformance.catalogue import CATALOGUE
from conformance.catalogue.conventions import TABLE
from conformance.model.case import FEATURES, entry
from conformance.model.error import CatalogueError
from conformance.model.expectation import Expectation, Facts, Selector, VersionRange
from conformance.model.status import Status
from conformance.plugin.deviations import Deviation
from conformance.tools.declarations import count, stale

KEYS = sorted({(field, key) for case in CATALOGUE.values()
               for field in ("deviations", "widened", "unsupported", "unmodelled") for key in getattr(case, field)})


def _sin(**kw):
    from conformance.exact import spec as s
    from conformance.model.domain import Real
    return entry("t_selector", "torch.sin(x)", lambda x: s.sin(x), x=Real(shape=(3,)), **kw)


def test_every_declared_key_parses_into_the_selector_its_entry_holds():
    assert len(KEYS) > 50, "the catalogue's keys were not found"
    shapes = set()
    for case in CATALOGUE.values():
        fields = {e.field for e in case.expectations}
        for field in ("deviations", "widened", "unsupported", "unmodelled"):
            for key in getattr(case, field):
                assert f"{field}[{key}]" in fields, (case.name, field, key)
                selector = Selector.parse(key, case.name, FEATURES)
                assert selector.key() == key and selector.entry == case.name
                shapes.add(tuple(n for n in ("property", "feature", "dtype", "compile_backend")
                                 if getattr(selector, n) is not None))
    # the shapes in use: a dtype, a feature, feature:dtype, a property, one backend's property, property:dtype
    assert {("dtype",), ("feature",), ("feature", "dtype"), ("property",), ("property", "compile_backend"),
            ("property", "dtype")} <= shapes


@pytest.mark.parametrize("field, key, message", [
    ("deviations", "tst_hessian", "deviations key 'tst_hessian' is neither a dtype"),
    ("deviations", "double_backward:float8", "deviations key 'double_backward:float8': 'float8' after ':'"),
    ("deviations", "float16:float32", "deviations key 'float16:float32' is neither a dtype"),
    ("deviations", "test_vjp[inductor", "deviations key 'test_vjp[inductor' is neither"),
    ("widened", "hvp", "widened key 'hvp' is not a feature checked by the exact trial"),
])
def test_a_malformed_key_is_an_error_naming_the_entry_and_the_key(field, key, message):
    value = Status("widened", "for this test", widen=2.0) if field == "widened" else "for this test"
    with pytest.raises(CatalogueError, match=r"catalogue entry 't_selector': " + message.replace("[", r"\[")):
        _sin(**{field: {key: value}})


def test_matches_reads_the_items_facts():
    item = Facts("sin", "test_compile_vjp", ("double_backward",), "float16", "cpu", "inductor", "cases/x.py::t[a]")
    assert Selector("sin").matches(item)
    assert Selector("sin", dtype="float16").matches(item) and not Selector("sin", dtype="float32").matches(item)
    assert Selector("sin", feature="double_backward").matches(item)
    assert not Selector("sin", feature="forward_ad").matches(item)
    assert Selector("sin", property="test_compile_vjp", compile_backend="inductor").matches(item)
    assert not Selector("sin", property="test_compile_vjp", compile_backend="aot_eager").matches(item)
    assert not Selector("sin", property="test_vjp").matches(item) and not Selector("cos").matches(item)
    assert Selector(device_type="cpu").matches(item) and not Selector(device_type="cuda").matches(item)
    assert Selector(test_id="cases/x.py::t[a]").matches(item) and not Selector(test_id="cases/x.py::t").matches(item)
    with pytest.raises(ValueError, match="not both"):
        Selector("sin", property="test_vjp", feature="forward_ad")
    with pytest.raises(ValueError, match="give the property too"):
        Selector("sin", compile_backend="inductor")


def test_the_torch_range_bounds_a_selector():
    bounded = VersionRange(since="2.14", until="2.15")
    assert not bounded.holds("2.13.0") and bounded.holds("2.14.0") and bounded.holds("2.14.1")
    assert not bounded.holds("2.15.0") and str(bounded) == "since 2.14, until 2.15" and str(VersionRange()) == "any"
    item = Facts("sin", dtype="float32")
    selector = Selector("sin", torch=bounded)
    assert selector.matches(item, "2.14.0") and not selector.matches(item, "2.13.0")
    assert selector.matches(item, version=False)  # on any release (what the ledger counts)
    with pytest.raises(ValueError, match="empty torch range"):
        VersionRange(since="2.15", until="2.14")
    # an Expectation's range is its Status's: an entry's until= bounds every deviation it declares
    fixed = _sin(deviations={"float64": Status("deviation", "for this test", envelope=1.0)}, until="2.14")
    assert fixed.expectations[0].selector.torch == VersionRange(until="2.14")
    assert fixed.matching("float64", version="2.13.0") and not fixed.matching("float64", version="2.14.0")


def test_the_decision_reads_the_expectations_in_the_order_they_apply():
    case = _sin(deviations={"test_hessian:float64": "property in a dtype", "double_backward": "a feature",
                            "float64": Status("deviation", "the dtype", envelope=1.0)})
    found = case.matching("float64", ("double_backward",), "test_hessian")
    assert [e.selector.key() for e in found] == ["float64", "double_backward", "test_hessian:float64"]
    assert case.status("float64", ("double_backward",), "test_hessian").reason == "the dtype"


def test_a_declaration_covering_no_collected_item_is_stale():
    items = [Facts("sin", "test_vjp", (), "float32", "cpu", None, "cases/test_vjp.py::test_vjp[sin-float32]")]
    typo = Expectation(Status("deviation", "typo"), Selector("sin", property="test_vjpp"), "a.py:3", "deviations[x]")
    live = Expectation(Status("deviation", "ok"), Selector("sin", dtype="float32"), "a.py:4", "deviations[float32]")
    line = Deviation("cases/test_vjp.py::test_vjp[sin-float16]", "gone", "repro", "torch-2.13.txt:7").expectation()
    assert [d.items for d in count([typo, live, line], items)] == [0, 1, 0]
    found = stale(count([typo, live, line], items))
    assert len(found) == 2 and found[0].startswith("a.py:3 deviations[x] (sin)") and "torch-2.13.txt:7" in found[1]


def test_the_kits_own_declarations_hold_a_place_each():
    """Every catalogue entry's and conventions row's Expectation names where it is declared."""
    for e in [e for c in CATALOGUE.values() for e in c.expectations] + [e for r in TABLE for e in r.expectations]:
        assert e.where and e.where.rpartition(":")[2].isdigit() and e.field, e


def test_one_status_declared_over_a_list_of_properties_is_stale_only_where_none_covers_an_item():
    items = [Facts("sin", "test_vjp", (), "float32", "cpu", None, "cases/test_vjp.py::test_vjp[sin-float32]")]
    status = Status("contract", "every backward raises", symptom="raises")
    spread = [Expectation(status, Selector("sin", property=p), "a.py:3", f"deviations[{p}]")
              for p in ("test_vjp", "test_large_vjp")]  # limits.in_properties(limits.REVERSE, ...)
    assert [d.items for d in count(spread, items)] == [1, 0] and stale(count(spread, items)) == []
    assert len(stale(count(spread[1:], items))) == 1
