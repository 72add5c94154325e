"""Measure the envelopes of the catalogue's numeric deviations: the relative error beyond the bound that
torch's deviating results reach, per deviation, over random draws.

Run by hand from the repository root:
    python benchmarks/envelopes.py --seeds 3 --examples 30 [-n 2]
Every item of an entry that declares an enveloped deviation runs under the nightly profile; while it runs,
a deviation's envelope is taken as unlimited and each numeric failure it covers is recorded with its
relative error beyond the bound (``conformance.tolerance.beyond``).  The table gives, per deviation,
the items that deviated, the largest relative error seen and the envelope the catalogue declares: a
declared envelope below the largest measured one is marked.  The first failing example of an item ends
it (no shrinking of a known deviation), so several seeds are drawn.
"""
from __future__ import annotations

import os

try:  # as the plugin (-p benchmarks.NAME), or as a script from the repository root
    from benchmarks import seeded
except ImportError:
    import seeded

_SEEN: list = []


# -- the pytest plugin (loaded with -p benchmarks.envelopes) ---------------------------------------
def pytest_configure(config):
    from conformance.model.status import Status
    plain = Status.covers

    def covers(self, numeric, relative=None):
        if self.envelope is not None and numeric and self.kind in ("deviation", "contract"):
            _SEEN.append({"reason": self.reason[:100], "envelope": self.envelope,
                          "relative": None if relative is None else float(relative),
                          "item": os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]})
            return True
        return plain(self, numeric, relative)

    Status.covers = covers


def pytest_unconfigure(config):
    seeded.write(_SEEN)


# -- the driver ------------------------------------------------------------------------------------
def main() -> None:
    args, items, seen = seeded.measure(__doc__, 30, "benchmarks.envelopes",
                                       lambda c: any(v.envelope is not None for v in c.deviations.values()))
    table: dict = {}
    for s in seen:
        dtype = next((d for d in ("float32", "float64") if f"-{d}" in s["item"] or f"[{d}" in s["item"]), "?")
        row = table.setdefault((s["reason"], dtype), {"envelope": s["envelope"], "items": set(), "largest": 0.0})
        row["items"].add(s["item"])
        rel = float("inf") if s["relative"] is None else s["relative"]
        row["largest"] = max(row["largest"], rel)
    print(f"{len(items)} items, {args.seeds} seeds x {args.examples} examples (nightly profile)")
    print("| deviation | dtype | items deviating | largest relative error beyond the bound | declared envelope |")
    print("|---|---|---|---|---|")
    for (reason, dtype), row in sorted(table.items()):
        mark = " (below the measurement)" if row["largest"] > row["envelope"] else ""
        print(f"| {reason[:60]}… | {dtype} | {len(row['items'])} | {row['largest']:.3g} | "
              f"{row['envelope']:.3g}{mark} |")


if __name__ == "__main__":
    main()
