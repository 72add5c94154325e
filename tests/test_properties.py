"""The property registry (``conformance.model.properties``): every property of ``cases/`` declared once, the
catalogue's classes of properties and the profiles queries over it, and docs/properties.md's table generated."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.model import properties
from conformance.model.case import FEATURES
from conformance.model.properties import Property
from conformance.plugin import profiles
from conformance.tools import properties_doc

ROOT = Path(__file__).resolve().parents[1]
OWNED = set(properties.MARKER_DEFAULTS)  # what a kit property's marker leaves to its declaration


def _functions() -> dict[str, str]:
    """Every test function of the kit's cases: name -> group (its file's name)."""
    out = {}
    for path in sorted((ROOT / "cases").glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                out[node.name] = path.stem.removeprefix("test_")
    return out


def _marker_keywords() -> dict[str, set[str]]:
    """The keywords each ``pytest.mark.conformance(...)`` of the kit's cases gives, by file."""
    out: dict[str, set[str]] = {}
    for path in sorted((ROOT / "cases").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "pytest.mark.conformance":
                out.setdefault(path.name, set()).update(k.arg for k in node.keywords)
    return out


def test_every_property_of_the_cases_is_declared_once_in_its_file():
    assert {n: p.group for n, p in properties.REGISTRY.items()} == _functions()


def test_the_cases_markers_leave_the_declared_fields_to_the_registry():
    assert {f: sorted(k & OWNED) for f, k in _marker_keywords().items() if k & OWNED} == {}


def test_declared_features_are_the_catalogues():
    assert {f for p in properties.REGISTRY.values() for f in p.features} <= set(FEATURES)


def test_the_classes_of_properties_hold_the_properties_written_later():
    from conformance.catalogue import CATALOGUE, limits
    later = {"test_sized_vjp_small", "test_sized_vjp_vector", "test_sized_vjp_grain", "test_special_lanes",
             "test_gemm_vjp"}
    assert later <= set(limits.FIRST_ORDER_REVERSE) <= set(limits.REVERSE)
    assert not {"test_jvp", "test_func_jvp", "test_jacfwd", "test_autocast", "test_hvp"} & set(
        limits.FIRST_ORDER_REVERSE)
    assert set(limits.SIZED) == {"test_sized_vjp_small", "test_sized_vjp_vector", "test_sized_vjp_grain"}
    cosine = CATALOGUE["nn.functional.cosine_embedding_loss"]  # a float16 overflow of every first-order backward
    assert {f"{p}:float16" for p in later} <= set(cosine.deviations)


LATER = '''
from conformance.model import properties
properties.declare(properties.Property("test_later_vjp", "later"))
from conformance.catalogue import CATALOGUE
status = CATALOGUE["nn.functional.cosine_embedding_loss"].status("float16", (), "test_later_vjp")
print(status.kind if status else None, "test_later_vjp" in properties.select(checks="values", direction="reverse",
                                                                             order=1))
'''


def test_a_property_declared_later_is_covered_by_the_first_order_reverse_deviations():
    """Declared before the catalogue loads (as every declaration is), a new first-order reverse property answers to
    the deviations declared for every such property, no tuple touched."""
    result = subprocess.run([sys.executable, "-c", LATER], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["deviation", "True"]


def test_profiles_derive_from_the_declarations():
    assert profiles.QUICK_PROPERTIES == properties.groups(quick=True) == ("vjp", "accumulation")
    assert set(properties.select(low_ci=True)) == {"test_vjp", "test_accumulation", "test_jvp",
                                                   "test_forward_over_reverse", "test_autocast"}
    assert profiles.NAMES == tuple(profiles.RANDOM) == (profiles.DEV, profiles.QUICK, profiles.CI, profiles.NIGHTLY)


@pytest.mark.parametrize("fields, message", [
    (dict(name="vjp", group="g"), "a test function's name"),
    (dict(name="test_x", group="g", direction="sideways"), "direction: 'sideways' is none of reverse, forward"),
    (dict(name="test_x", group="g", order=4), "order: 1, 2 or 3"),
    (dict(name="test_x", group="g", share=2.0), "share: a fraction in (0, 1]"),
])
def test_a_bad_declaration_names_what_is_wrong(fields, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        Property(**fields)


def test_a_property_declared_twice_or_a_query_of_no_field_is_an_error():
    with pytest.raises(ValueError, match="test_vjp is declared twice"):
        properties.declare(Property("test_vjp", "vjp"))
    with pytest.raises(TypeError, match=r"select: unknown Property fields \['orders'\]"):
        properties.select(orders=1)


def test_a_kit_propertys_marker_may_not_declare_its_fields_again():
    from conformance.plugin import CASES_DIRS, session

    class Node:  # a test function of the kit's cases, as pytest shows it to the plugin
        nodeid, originalname, name, path = "cases/test_vjp.py::test_vjp", "test_vjp", "test_vjp", CASES_DIRS[0] / "x.py"

        def __init__(self, **marker):
            self.mark = pytest.mark.conformance(**marker).mark

        def get_closest_marker(self, name):
            return self.mark

    assert session.declared_options(Node(entries=("sin",))) == {"entries": ("sin",)}
    with pytest.raises(pytest.UsageError, match="requires of a kit property is declared once"):
        session.declared_options(Node(requires=("func",)))


def test_the_properties_table_is_current(tmp_path, monkeypatch):
    assert properties_doc.main(["--check"]) == 0, f"docs/properties.md is stale: run {properties_doc.COMMAND}"
    stale = tmp_path / "properties.md"
    stale.write_text(properties_doc.DOC.read_text(encoding="utf-8").replace("`test_vjp`", "`test_vjp2`"))
    monkeypatch.setattr(properties_doc, "DOC", stale)
    assert properties_doc.main(["--check"]) == 1
    assert properties_doc.main([]) == 0 and properties_doc.main(["--check"]) == 0


def test_every_trial_a_kit_property_builds_gets_its_items_status():
    """A trial built without the item's Status expects a plain pass, so a declared deviation would fail it: every
    Trial, SizedTrial and GemmTrial a case builds is handed ``status=status``."""
    missing = []
    for path in sorted((Path(__file__).resolve().parents[1] / "cases").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            for call in ast.walk(node):
                name = getattr(getattr(call, "func", None), "id", None) if isinstance(call, ast.Call) else None
                if name in ("Trial", "SizedTrial", "GemmTrial") and not any(
                        k.arg == "status" and isinstance(k.value, ast.Name) and k.value.id == "status"
                        for k in call.keywords):
                    missing.append(f"{path.name}:{call.lineno} {node.name}")
    assert not missing, "trials built without the item's Status:\n" + "\n".join(missing)
