"""The conventions table is well formed, and its conformance case can fail.

Ids are unique and readable, rule numbers valid, every row carries what its rule needs (rule 1 a spec
whose derivative exists at the point, rules 2-3 one gradient, rule 4 one or several, rule 5 none),
points are exact in float32, every deviation carries a plain-torch repro that runs, the Markdown
rendering shows every row; and ``cases/test_conventions.py`` fails on a wrong expectation (with the
kit's repro) and reports a documented deviation as xfailed.
"""
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from conformance.catalogue import conventions
from conformance.catalogue.conventions import RULES, TABLE, departures_markdown, markdown, row
from conformance.exact import spec as s
from conformance.model.status import Contract

pytest_plugins = ["pytester"]

CASE = (Path(__file__).resolve().parents[1] / "cases" / "test_conventions.py").read_text()
ROWS = [pytest.param(r, id=r.id) for r in TABLE]


def test_ids_unique_and_readable():
    ids = [r.id for r in TABLE]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    readable = r"[a-z0-9_.]+(-[a-z0-9_.]+)+"  # words joined by hyphens: relu-at-0, leaky_relu-slope0.01-at-0
    assert [i for i in ids if not re.fullmatch(readable, i)] == []


@pytest.mark.parametrize("r", ROWS)
def test_row_has_what_its_rule_needs(r):
    assert r.rule in RULES
    assert (r.spec is not None) == (r.rule == 1), "a spec exactly for rule 1 (the gradient is derived)"
    if r.rule == 5:
        assert r.grad is None and not r.accept, "rule 5 prescribes nothing"
    elif r.rule in (2, 3):
        assert r.grad is not None and not r.accept, "a min-norm sub/supergradient is unique"
    elif r.rule == 4:
        assert (r.grad is not None) != bool(r.accept), "rule 4: one value, or the several acceptable ones"
        assert len(r.accept) != 1, "a single acceptable value is a grad, not an accept list"
    assert not r.documented or r.deviation, "documented names a departure"
    assert r.roundoff >= 0
    compile(r.call, r.id, "eval")


@pytest.mark.parametrize("r", ROWS)
def test_point_and_expected_gradients_are_exact(r):
    """Points are float32 values; each expected gradient has its input's shape and exact entries."""
    for name, v in r.values().items():
        assert r.rule == 5 or np.all(np.isfinite(v)), f"{name}: a special value is an undefined point (rule 5)"
        assert np.array_equal(v.astype(np.float32).astype(np.float64), v, equal_nan=True), name
    for alternative in r.expected():  # rule 1: derives the gradient (raises where it does not exist)
        assert set(alternative) == set(r.inputs)
        for name, g in alternative.items():
            assert g.shape == r.values()[name].shape, name
            assert all(e.is_number and (e.is_finite or e.is_infinite) for e in g.reshape(-1)), name


@pytest.mark.parametrize("r", [p for p in ROWS if p.values[0].deviation])
def test_every_deviation_has_a_repro_that_runs(r, capsys):
    """'reason. Repro: `code`': plain torch that runs (a Contract deviation's repro may raise, as torch does)."""
    reason = str(r.deviation)
    found = re.fullmatch(r"(?s)(.+)\. Repro: `(.+)`", reason)
    assert found, "deviation text: 'reason. Repro: `code`'"
    code = found.group(2)
    assert ".backward(" in code
    namespace = {"torch": torch, "F": torch.nn.functional}
    try:
        exec(code, namespace)  # noqa: S102 - the table's own repro
    except RuntimeError:
        if getattr(r.deviation, "kind", None) != "contract":
            raise


def test_rule_1_refuses_a_point_without_gradient():
    kink = row("abs-as-rule1", "torch.abs(x)", [0.0], 1, spec=s.abs)
    with pytest.raises(ValueError, match="not differentiable"):
        kink.expected()


def test_markdown_renders_every_row():
    lines = markdown().splitlines()
    assert len(lines) == 2 + len(TABLE)
    for r, line in zip(TABLE, lines[2:]):
        assert f"`{r.id}`" in line and f"`{r.call}`" in line and f"| {r.rule}: " in line
        assert ("departs" in line) == bool(r.deviation)
    departures = departures_markdown()
    assert all(f"`{r.id}` (" in departures for r in TABLE if r.deviation)
    assert len(departures.splitlines()) == len({str(r.deviation) for r in TABLE if r.deviation})


def test_value_text_shows_infinities_fractions_and_alternatives():
    by_id = {r.id: r for r in TABLE}
    assert conventions.value_text(by_id["sqrt-at-0"]) == "[∞]"
    assert conventions.value_text(by_id["maximum-tie"]) == "x: [1/2]; y: [1/2]"
    assert conventions.value_text(by_id["prod-one-zero"]) == "[6, 0, 0]"
    assert conventions.value_text(by_id["hardswish-at-3"]) == "[3/2] or [1]"
    assert conventions.value_text(by_id["sqrt-at-neg1"]) == "arbitrary"


@pytest.fixture
def run_rows(pytester, monkeypatch):
    """Run the shipped conventions case over the given rows only."""
    pytester.makepyfile(test_user_conventions=CASE + "\npytestmark = pytest.mark.conformance()\n")

    def run(*rows):
        monkeypatch.setattr(conventions, "TABLE", list(rows))
        return pytester.runpytest_inprocess("-p", "conformance.plugin", "--conformance-dtype", "float32", "-q")
    return run


def test_case_fails_on_a_wrong_expectation_with_its_repro(run_rows):
    wrong = row("relu-at-0-claimed-1", "F.relu(x)", [0.0], 2, [1.0], why="a wrong claim, for this test")
    result = run_rows(wrong)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*conventions.relu_at_0_claimed_1* x.grad = *0.*; rule 2 (convex: min-norm subgradient) gives *1*",
        "*Repro (copy-paste into Python):*", "*out = F.relu(x)*", "*out.backward(gradient=gy0)*"])


def test_case_passes_a_right_row_and_xfails_a_documented_deviation(run_rows):
    right = row("relu-at-0", "F.relu(x)", [0.0], 2, [0.0])
    known = row("clamp-at-min", "torch.clamp(x, -1.0, 1.0)", [-1.0], 2, [0.0],
                deviation=conventions.departs("documented for this test", "print()"), torch_gives=[1.0])
    run_rows(right, known).assert_outcomes(passed=1, xfailed=1)


def test_a_departing_row_must_pin_torchs_value():
    with pytest.raises(ValueError, match="pins torch's own value"):
        row("clamp-at-min", "torch.clamp(x, -1.0, 1.0)", [-1.0], 2, [0.0], deviation="reason. Repro: `x`")
    with pytest.raises(ValueError, match="rule 5"):
        row("sqrt-at-neg1", "torch.sqrt(x)", [-1.0], 5, deviation="reason. Repro: `x`", torch_gives=[0.0])


_DEPARTS = conventions.departs("claimed for this test", "print()")


def test_a_departure_covers_torchs_pinned_value_only(run_rows):
    """Another wrong value fails (not xfailed), and torch following the rule is a strict xpass naming the fix."""
    new_value = row("leaky_relu-slope2-other-value", "F.leaky_relu(x, 2.0)", [0.0], 3, [1.0], deviation=_DEPARTS,
                    torch_gives=[3.0])
    follows = row("relu-at-0-follows", "F.relu(x)", [0.0], 2, [0.0], deviation=_DEPARTS, torch_gives=[1.0])
    result = run_rows(new_value, follows)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*x.grad = [[]2.0[]]; rule 3 * gives [[]1[]]; a new value: the documented departure "
                                 "is [[]3[]]*"])
    result.stdout.fnmatch_lines(["*XPASS(strict)* no longer shows a known deviation*Record the release that fixed*"])


def test_a_contract_departure_covers_its_symptom_only(run_rows):
    other = Contract(conventions.departs("claimed for this test", "print()"), "a message torch never gives")
    result = run_rows(row("vector_norm-ord0-other-symptom", "torch.linalg.vector_norm(x, 0)", [0.0, 0.0], 4,
                          [0.0, 0.0], deviation=other))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*x.grad is None after backward*"])


def test_an_undefined_point_checks_finiteness_and_determinism(run_rows, monkeypatch):
    nan_claimed_finite = row("sqrt-at-neg1-claimed-finite", "torch.sqrt(x)", [-1.0], 5, finite="claimed for this test")
    finite_unexplained = row("relu-at-nan-unexplained", "F.relu(x)", [float("nan")], 5)
    drawn = row("random-at-nan", "x * torch.rand_like(x)", [float("nan")], 5, finite="a drawn factor, for this test")
    nan = row("sin-at-nan", "torch.sin(x)", [float("nan")], 5)
    result = run_rows(nan_claimed_finite, finite_unexplained, drawn, nan)
    result.assert_outcomes(failed=3, passed=1)
    result.stdout.fnmatch_lines(["*(undefined): not deterministic, x.grad = * then * from the same forward and "
                                 "backward*"])
    result.stdout.fnmatch_lines(["*x.grad = [[]nan[]]; the row documents a finite gradient here (claimed for this "
                                 "test)*"])
    result.stdout.fnmatch_lines(["*x.grad = [[]1.0[]]; the notes' default at an undefined point is NaN*",
                                 "*x = torch.tensor([[]float('nan')[]]*"])


def test_case_reports_a_missing_gradient(run_rows):
    missing = row("vector_norm-ord0", "torch.linalg.vector_norm(x, 0)", [0.0, 0.0], 4, [0.0, 0.0])
    result = run_rows(missing)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*x.grad is None after backward*"])


def test_the_conventions_document_is_current():
    """docs/conventions.md is what the table generates (regenerate: python -m conformance.catalogue.conventions)."""
    from pathlib import Path

    from conformance.catalogue.conventions import document
    path = Path(__file__).resolve().parents[1] / "docs" / "conventions.md"
    assert path.read_text() == document(), \
        "docs/conventions.md is stale: python -m conformance.catalogue.conventions > docs/conventions.md"


def test_a_deviation_fixed_in_a_release_is_strict_from_that_release():
    from conformance.catalogue.conventions import row
    fixed = row("t", "torch.clamp(x, -1.0, 1.0)", [1.0], 3, [0.0], deviation="reason. Repro: `x`", until="0.1",
                torch_gives=[1.0])
    pending = row("t", "torch.clamp(x, -1.0, 1.0)", [1.0], 3, [0.0], deviation="reason. Repro: `x`", until="999.0",
                  torch_gives=[1.0])
    assert fixed.departing is None and pending.departing == "reason. Repro: `x`"
