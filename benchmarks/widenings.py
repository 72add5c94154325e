"""Measure the catalogue's widenings: how far beyond the plain running-error bound torch's results reach in
each widened (entry, mode), over random draws, next to the declared factor.

Run by hand from the repository root:
    python benchmarks/widenings.py --seeds 3 --examples 40 [-n 2] [--entries NAME ...]
The items a widening covers run under the nightly profile; in them the bound is taken as unlimited (every
example runs) and each check's worst error is recorded as a multiple of the plain, unwidened bound.  The
table gives, per (entry, property, dtype), the largest multiple seen and the declared factor: a factor
below the measurement is marked.
"""
from __future__ import annotations

import os

import pytest

try:  # as the plugin (-p benchmarks.NAME), or as a script from the repository root
    from benchmarks import seeded
except ImportError:
    import seeded

OPEN = 1e200  # the factor the measured items run under: no example fails, the ratio is scaled back
_SEEN: list = []


# -- the pytest plugin (loaded with -p benchmarks.widenings) ---------------------------------------
def pytest_configure(config):
    from conformance.run import record
    from conformance.run.trial import Script
    plain_observe = record.observe

    checking = [None]  # the Status of the trial whose check runs (its widening is read as the check starts)

    def widening(trial):
        checking[0] = trial.status
        return OPEN if trial.status is not None and trial.status.widen > 1 else 1.0

    def observe(ratio, label):
        status = checking[0]
        if status is not None and status.widen > 1:
            _SEEN.append({"item": os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0], "declared": status.widen,
                          "measured": float(ratio) * OPEN})
        plain_observe(ratio, label)

    Script.widening, record.observe = property(widening), observe


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Only the items a widening covers run."""
    from conformance.plugin.session import STATUS
    kept = [i for i in items if getattr(i.stash.get(STATUS, None), "widen", 1.0) > 1]
    config.hook.pytest_deselected(items=[i for i in items if i not in kept])
    items[:] = kept


def pytest_unconfigure(config):
    seeded.write(_SEEN)


# -- the driver ------------------------------------------------------------------------------------
def main() -> None:
    args, items, seen = seeded.measure(__doc__, 40, "benchmarks.widenings", lambda c: bool(c.widened))
    table: dict = {}
    for s in seen:
        row = table.setdefault(s["item"].split("::")[-1], {"declared": s["declared"], "measured": 0.0})
        row["measured"] = max(row["measured"], s["measured"])
    print(f"{len(items)} items, {args.seeds} seeds x {args.examples} examples (nightly profile)")
    print("| item | largest error / plain bound | declared widening |")
    print("|---|---|---|")
    for item, row in sorted(table.items()):
        mark = " (below the measurement)" if row["measured"] > row["declared"] else ""
        print(f"| `{item}` | {row['measured']:.3g} | {row['declared']:g}{mark} |")


if __name__ == "__main__":
    main()
