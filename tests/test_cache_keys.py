"""The oracle cache is per entry: its key covers the entry's own spec, the derivative rules of the
primitives it reaches and the code generation's source, and nothing of other entries."""
import dataclasses

from conformance.catalogue import get
from conformance.exact import cache
from conformance.exact.oracle import Oracle, as_outputs, symbols_of


def _key(case, kind="vjp"):
    inputs = {a.name: symbols_of(a.name, a.shape) for a in case.args if a.differentiable}
    outputs = [e for o in as_outputs(case.spec(*inputs.values())) for e in o.reshape(-1)]
    symbols = [s for arr in inputs.values() for s in arr.reshape(-1)]
    return cache.key(outputs, symbols, kind)


def test_editing_one_entry_changes_its_key_only():
    sin, cos = get("sin"), get("cos")
    before = {"sin": _key(sin), "cos": _key(cos)}
    edited = dataclasses.replace(cos, spec=lambda x: 2 * cos.spec(x))
    assert _key(edited) != before["cos"]
    assert _key(sin) == before["sin"]  # nothing of another entry is in sin's key


def test_no_catalogue_source_is_in_the_fingerprint():
    assert all(not name.startswith("catalogue") for name in cache.SOURCES)


def test_a_custom_primitives_derivative_rule_is_in_the_key():
    """sigmoid's spec reaches the kit's ``sigmoid`` primitive: its rule (class source and fdiff) is keyed."""
    import sympy

    from conformance.exact import spec as s
    x = sympy.Symbol("x", real=True)
    rules = cache.derivative_rules([s.sigmoid(x)])
    assert len(rules) == 1 and "class sigmoid" in rules[0] and "sigmoid" in rules[0].splitlines()[-1]


def test_adding_an_entry_recompiles_that_entry_only(tmp_path, monkeypatch):
    """With a warm cache, an oracle for an existing entry loads (no error model built); a new entry compiles."""
    from conformance.exact import oracle as oracle_module
    from conformance.exact import spec as s
    from conformance.model.case import entry
    from conformance.model.domain import Real
    monkeypatch.setenv("CONFORMANCE_ORACLE_CACHE", str(tmp_path))
    Oracle(get("exp"), {})
    compiled = []
    real = oracle_module.error_expr
    monkeypatch.setattr(oracle_module, "error_expr", lambda *a: compiled.append(a[0]) or real(*a))
    Oracle(get("exp"), {})
    assert compiled == []
    Oracle(entry("t_new_entry", "torch.exp(x) * 3", lambda x: s.exp(x) * 3, x=Real()), {})
    assert len(compiled) == 6  # one error expression per element of the new entry's vᵀJ


def test_only_the_running_error_model_of_the_tolerance_policy_is_in_the_fingerprint():
    """Scaling the bounds (K, the per-dtype safety factors, u) does not change a generated program: the
    tolerance policy is left out of the fingerprint; the running-error rules are in."""
    from pathlib import Path
    package = Path(cache.__file__).resolve().parents[1]
    assert "tolerance.py" not in cache.SOURCES and "exact/running_error.py" in cache.SOURCES
    part = cache._part("exact/running_error.py", (package / "exact/running_error.py").read_text())
    assert "def error_expr" in part and "PRIMITIVE_ROUNDINGS" in part
    assert "SAFETY" not in part and "def bound" not in part and "UNIT_ROUNDOFF" not in part
