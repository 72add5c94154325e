"""Two reports compared test by test (by pytest node id): what broke, what was fixed, whose error moved.

Categories, each test in at most one of the first three:

* newly failing: passed, xpassed, xfailed or skipped before, failed or error now (a regression);
* newly passing: failed or error before, passed or xpassed now;
* other outcome changes: any other change of outcome (``passed → skipped``, ``failed → xfailed``);
* error ratio grew / shrank: for the other tests in both reports, the worst error as a fraction of its
  bound moved by more than ``factor`` while the larger of the two is at least ``floor`` (so noise among
  tiny ratios is ignored); growth is a regression;
* only in the old report (a regression under ``fail_on_missing``) / only in the new one.

A report of an interrupted run (``"interrupted": true``) is named in a note: the tests it lacks did not run.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from conformance.reports import ratio_key, ratio_text
from conformance.reports.tables import table

FAILING = frozenset({"failed", "error"})
PASSING = frozenset({"passed", "xpassed"})
MESSAGE = 120  # characters of a failure message shown
SUMMARY = {"newly_failing": "newly failing", "newly_passing": "newly passing", "grew": "ratio grew",
           "shrank": "ratio shrank", "other": "other changes", "old_only": "only in old", "new_only": "only in new"}


@dataclass
class Change:
    """One test id and its item in the old and the new report (None where absent)."""
    id: str
    old: dict | None
    new: dict | None


@dataclass
class Diff:
    factor: float
    floor: float
    newly_failing: list[Change] = field(default_factory=list)
    newly_passing: list[Change] = field(default_factory=list)
    other: list[Change] = field(default_factory=list)
    grew: list[Change] = field(default_factory=list)
    shrank: list[Change] = field(default_factory=list)
    old_only: list[Change] = field(default_factory=list)
    new_only: list[Change] = field(default_factory=list)
    interrupted: tuple[bool, bool] = (False, False)  # whether the old, the new report's run was interrupted

    def regressions(self, fail_on_missing: bool = False) -> int:
        """How many changes are regressions: newly failing, ratio grew, and (if asked) tests gone from the new."""
        return len(self.newly_failing) + len(self.grew) + (len(self.old_only) if fail_on_missing else 0)


def moved(old: float | None, new: float | None, factor: float, floor: float) -> str | None:
    """``"grew"`` or ``"shrank"`` when a worst ratio changed by more than ``factor`` (a zero moving to a ratio
    counts as any factor) and the larger of the two is at least ``floor``; None otherwise, or when either report
    compared nothing numerically.  NaN counts as infinitely large."""
    if old is None or new is None:
        return None
    a, b = ratio_key(old), ratio_key(new)
    lo, hi = min(a, b), max(a, b)
    if hi < floor or lo == hi or (lo > 0 and hi <= factor * lo):
        return None
    return "grew" if b > a else "shrank"


def compare(old: dict, new: dict, factor: float = 4.0, floor: float = 0.05) -> Diff:
    """The Diff of two loaded reports; every list in the order of the tests in the report they come from."""
    before = {i["id"]: i for i in old["items"]}
    after = {i["id"]: i for i in new["items"]}
    diff = Diff(factor, floor, interrupted=(bool(old["environment"].get("interrupted")),
                                            bool(new["environment"].get("interrupted"))))
    diff.old_only = [Change(k, i, None) for k, i in before.items() if k not in after]
    diff.new_only = [Change(k, None, i) for k, i in after.items() if k not in before]
    for k, now in after.items():
        was = before.get(k)
        if was is None:
            continue
        change, (a, b) = Change(k, was, now), (was["outcome"], now["outcome"])
        if b in FAILING and a not in FAILING:
            diff.newly_failing.append(change)
        elif a in FAILING and b in PASSING:
            diff.newly_passing.append(change)
        else:
            if a != b:
                diff.other.append(change)
            way = moved(was.get("worst"), now.get("worst"), factor, floor)
            if way:
                getattr(diff, way).append(change)
    return diff


def _short(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= MESSAGE else text[:MESSAGE - 1] + "…"


def _factor(change: Change) -> str:
    a, b = ratio_key(change.old["worst"]), ratio_key(change.new["worst"])
    lo, hi = min(a, b), max(a, b)
    if lo == 0 or hi == float("inf"):
        return "from 0" if a == 0 else ("to 0" if b == 0 else "")
    return f"×{hi / lo:.3g}" if b > a else f"÷{hi / lo:.3g}"


def _rows(kind: str, changes: list[Change]) -> tuple[list[str], list[list[str]]]:
    if kind in ("grew", "shrank"):
        return (["test", "old worst", "new worst", "change"],
                [[c.id, ratio_text(c.old["worst"]), ratio_text(c.new["worst"]), _factor(c)] for c in changes])
    if kind in ("old_only", "new_only"):
        return ["test", "outcome"], [[c.id, (c.old or c.new)["outcome"]] for c in changes]
    if kind == "newly_failing":
        return (["test", "was", "now", "message"],
                [[c.id, c.old["outcome"], c.new["outcome"], _short(c.new.get("message"))] for c in changes])
    return ["test", "was", "now"], [[c.id, c.old["outcome"], c.new["outcome"]] for c in changes]


def render(diff: Diff, old_name: str, new_name: str, markdown: bool = False, fail_on_missing: bool = False) -> str:
    """The non-empty categories as tables (Markdown or plain), then one summary line saying whether it regressed."""
    titles = {"newly_failing": "Newly failing", "newly_passing": "Newly passing",
              "grew": f"Error ratio grew more than ×{diff.factor:g}", "shrank": f"Error ratio shrank more than "
              f"×{diff.factor:g}", "other": "Other outcome changes", "old_only": f"Only in {old_name}",
              "new_only": f"Only in {new_name}"}
    parts = [f"## Conformance diff: {old_name} → {new_name}" if markdown else f"diff {old_name} -> {new_name}"]
    stopped = [name for name, was in zip((old_name, new_name), diff.interrupted) if was]
    if stopped:
        parts += ["", f"Note: {' and '.join(stopped)} {'are reports' if len(stopped) > 1 else 'is the report'} of "
                      f"{'interrupted runs' if len(stopped) > 1 else 'an interrupted run'}: the tests "
                      f"{'they lack' if len(stopped) > 1 else 'it lacks'} did not run."]
    for kind, title in titles.items():
        changes = getattr(diff, kind)
        if changes:
            header, rows = _rows(kind, changes)
            heading = f"### {title} ({len(changes)})" if markdown else f"{title} ({len(changes)}):"
            parts += ["", heading, "" if markdown else None, table(rows, header, markdown)]
    counts = ", ".join(f"{len(getattr(diff, kind))} {word}" for kind, word in SUMMARY.items())
    bad = diff.regressions(fail_on_missing)
    verdict = f"REGRESSION ({bad})" if bad else "no regression"
    parts += ["", f"{verdict}: {counts} (ratios compared where the larger is ≥ {diff.floor:g})"]
    return "\n".join(p for p in parts if p is not None)
