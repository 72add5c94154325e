"""The conformance matrix: N reports merged into functions × (report, dtype) cells, and its Markdown.

A row is a function: an item's ``case`` (catalogue entry or conventions row), else its ``property``
(``seed``), else its test file (tests outside the conformance properties).  A column is one report's
label crossed with one dtype that report ran.  A cell holds every item of its row and column.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from conformance.reports import label, load, ratio_key, ratio_text, shards
from conformance.reports.tables import table

DTYPES = ("float32", "float64", "complex64", "complex128")
FAILING = frozenset({"failed", "error"})
ABSENT = "—"
ENVIRONMENT = ("torch", "build", "device", "python", "profile", "seed", "shard", "date", "fault", "interrupted")
NOTES = 20  # item lines a cell's notes keep
COUNTED = ("passed", "failed", "xfailed", "xpassed", "skipped")  # what a property's counts count

# outcomes whose worst ratio is a measurement of the bound: an expected failure's is the documented deviation,
# and an unexpected pass's that of a check declared to deviate (it counts apart, not among the passing ones)
MEASURED = ("passed", "failed", "error")


@dataclass
class Source:
    """One loaded report, its file and its (unique) column label."""
    path: Path
    data: dict
    label: str


def sources(paths: list[str | Path]) -> list[Source]:
    """Each report loaded (a ReportError names the first bad file), labelled uniquely.

    The shards of one run (pytest-split) are combined first (``conformance.reports.shards``).  Reports sharing a
    ``torch / device`` label get their file name appended, then a running number.
    """
    loaded = shards.combine([(Path(p), load(p)) for p in paths])
    labels = [label(data) for _, data in loaded]
    if len(set(labels)) < len(labels):
        labels = [f"{lbl} ({path.stem})" if labels.count(lbl) > 1 else lbl for lbl, (path, _) in zip(labels, loaded)]
    labels = [f"{lbl} #{k + 1}" if labels.count(lbl) > 1 else lbl for k, lbl in enumerate(labels)]
    return [Source(path, data, lbl) for (path, data), lbl in zip(loaded, labels)]


def environment(source: Source) -> dict[str, str]:
    """The ENVIRONMENT fields of a report as display text (``—`` where the report does not say)."""
    env = source.data["environment"]
    build = ", ".join(filter(None, [str(env.get("torch_git") or "")[:10],
                                    env.get("torch_cuda") and f"CUDA {env['torch_cuda']}",
                                    env.get("torch_debug") and "debug"]))
    profile = env.get("profile") and f"{env['profile']}" + (f" ({env['max_examples']} examples)"
                                                              if env.get("max_examples") is not None else "")
    stopped = env.get("interrupted")
    values = {"torch": env.get("torch"), "build": build, "device": env.get("device"), "python": env.get("python"),
              "profile": profile, "seed": env.get("seed"), "shard": env.get("shard"),
              "date": _date(env.get("started")), "fault": env.get("fault"),
              "interrupted": None if stopped is None else ("yes" if stopped else "no")}
    return {k: ABSENT if values[k] in (None, "") else str(values[k]) for k in ENVIRONMENT}


def _date(started) -> str | None:
    """An ISO timestamp as ``2026-11-27 10:30 UTC`` (as given where it is not one)."""
    try:
        return datetime.fromisoformat(started).strftime("%Y-%m-%d %H:%M %Z").strip()
    except (TypeError, ValueError):
        return started


def row_of(item: dict) -> str:
    """The matrix row (function) of an item."""
    return item.get("case") or item.get("property") or item["id"].split("::")[0]


@dataclass(frozen=True)
class Column:
    source: int
    dtype: str | None


@dataclass
class Cell:
    """The items of one function, report and dtype."""
    items: list[dict] = field(default_factory=list)

    @property
    def state(self) -> str:
        """``failed`` if any item failed or errored, else ``xfailed``, ``xpassed``, ``passed``, ``skipped``
        (all skipped), in that precedence."""
        outcomes = {i["outcome"] for i in self.items}
        if outcomes & FAILING:
            return "failed"
        return next(s for s in ("xfailed", "xpassed", "passed", "skipped") if s in outcomes)

    @property
    def worst(self) -> float | None:
        """The largest worst ratio of the items (NaN ranks highest); None when none compared numbers."""
        values = [i["worst"] for i in self.items if i.get("worst") is not None and i["outcome"] in MEASURED]
        return max(values, key=ratio_key) if values else None

    def text(self) -> str:
        """``✗ failed``, ``xfail`` (``xfail ×3`` for several), ``xpass``, the worst ratio, ``ok`` (passed, nothing
        numeric compared) or ``skip``."""
        state = self.state
        if state == "xfailed":
            n = sum(i["outcome"] == "xfailed" for i in self.items)
            return "xfail" + (f" ×{n}" if n > 1 else "")
        if state == "passed":
            return ratio_text(self.worst) or "ok"
        return {"failed": "✗ failed", "xpassed": "xpass", "skipped": "skip"}[state]

    def notes(self) -> str:
        """One line per item, failing ones first: test id, outcome, worst ratio, message (at most NOTES lines)."""
        rank = {"failed": 0, "error": 0, "xpassed": 1, "xfailed": 2, "skipped": 3, "passed": 4}
        lines = []
        for i in sorted(self.items, key=lambda i: rank[i["outcome"]]):
            worst = f", worst {ratio_text(i['worst'])}" if i.get("worst") is not None else ""
            lines.append(f"{i['id']}: {i['outcome']}{worst}" + (f": {i['message']}" if i.get("message") else ""))
        more = [f"... and {len(lines) - NOTES} more"] if len(lines) > NOTES else []
        return "\n".join(lines[:NOTES] + more)


@dataclass
class Counts:
    """Outcomes of one property in one report: passed, failed (with error), xfailed, xpassed, skipped; the worst
    ratio of the passed and failed items."""
    outcomes: Counter = field(default_factory=Counter)
    worst: float | None = None

    def add(self, item: dict) -> None:
        key = "failed" if item["outcome"] == "error" else item["outcome"]
        self.outcomes[key] += 1
        if item.get("worst") is not None and item["outcome"] in MEASURED:
            self.worst = item["worst"] if self.worst is None else max(self.worst, item["worst"], key=ratio_key)

    def text(self) -> str:
        """``passed/failed/xfailed/xpassed/skipped`` and the worst ratio (``210/0/68/3/0 · 0.20``); ``—`` if none
        ran."""
        if not self.outcomes:
            return ABSENT
        counts = "/".join(str(self.outcomes[k]) for k in COUNTED)
        return counts + (f" · {ratio_text(self.worst)}" if self.worst is not None else "")


class Matrix:
    """Every item of the sources placed in its cell; rows sorted by name, columns by report then dtype."""

    def __init__(self, sources: list[Source]):
        self.sources = sources
        self.cells: dict[str, dict[Column, Cell]] = {}
        self.properties: dict[str, set[str]] = {}
        self.summary: dict[str, list[Counts]] = {}
        for k, source in enumerate(sources):
            for item in source.data["items"]:
                row = row_of(item)
                self.cells.setdefault(row, {}).setdefault(Column(k, item.get("dtype")), Cell()).items.append(item)
                prop = item.get("property") or "(other tests)"
                self.properties.setdefault(row, set()).add(prop)
                self.summary.setdefault(prop, [Counts() for _ in sources])[k].add(item)
        rank = lambda d: (DTYPES.index(d), "") if d in DTYPES else (len(DTYPES), str(d))  # noqa: E731
        self.columns = sorted({c for row in self.cells.values() for c in row}, key=lambda c: (c.source, rank(c.dtype)))
        self.rows = sorted(self.cells, key=lambda r: (r.lower(), r))

    def cell(self, row: str, column: Column) -> Cell | None:
        return self.cells[row].get(column)

    def column_label(self, column: Column) -> str:
        return f"{self.sources[column.source].label} {column.dtype or 'no dtype'}"

    def notable(self, row: str) -> bool:
        """A row fails somewhere, or its present cells differ in state (e.g. xfail in one column, pass in another)."""
        states = {cell.state for cell in self.cells[row].values()}
        return "failed" in states or len(states) > 1

    def failing_cells(self) -> int:
        return sum(cell.state == "failed" for row in self.cells.values() for cell in row.values())

    def interrupted(self) -> str | None:
        """A sentence naming the reports of runs that stopped before their end, or None when none did."""
        stopped = [f"{s.label} ({s.path})" for s in self.sources if s.data["environment"].get("interrupted")]
        if not stopped:
            return None
        return (f"Interrupted: {', '.join(stopped)} hold{'' if len(stopped) > 1 else 's'} only the tests that ran "
                f"before {'their runs' if len(stopped) > 1 else 'its run'} stopped.")


def _function_table(matrix: Matrix, rows: list[str]) -> str:
    cells = [[row] + [(c.text() if (c := matrix.cell(row, col)) else ABSENT) for col in matrix.columns] for row in rows]
    return table(cells, ["function"] + [matrix.column_label(c) for c in matrix.columns], markdown=True)


def markdown(matrix: Matrix, full: bool = False) -> str:
    """The matrix as Markdown: the reports' environments, the per-property counts, the functions that fail or
    differ between columns, and with ``full`` every function."""
    envs = [[s.label, str(s.path)] + list(environment(s).values()) for s in matrix.sources]
    props = [[p] + [c.text() for c in counts] for p, counts in sorted(matrix.summary.items())]
    notable = [r for r in matrix.rows if matrix.notable(r)]
    stopped = [f"**{matrix.interrupted()}**", ""] if matrix.interrupted() else []
    parts = ["## Conformance matrix", "", table(envs, ["report", "file", *ENVIRONMENT], markdown=True), "", *stopped,
             "### Per property", "",
             "Cells: passed / failed / xfailed / xpassed / skipped · worst error of the passed and failed tests as a "
             "fraction of its bound (≤ 1 passes).", "",
             table(props, ["property"] + [s.label for s in matrix.sources], markdown=True), "",
             f"### Functions that fail or differ between columns ({len(notable)} of {len(matrix.rows)})", ""]
    parts.append(_function_table(matrix, notable) if notable else
                 "None: every function has the same outcome in every column, and none fails.")
    if full:
        parts += ["", f"### All functions ({len(matrix.rows)})", "", _function_table(matrix, matrix.rows)]
    legend = ("Function cells: `✗ failed`, `xfail` (known deviation), `xpass`, the worst ratio of the passing "
              f"tests, `ok` (passed, nothing numeric compared), `skip`, `{ABSENT}` (not run).")
    return "\n".join(parts + ["", legend, ""])
