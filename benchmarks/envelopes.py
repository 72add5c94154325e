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

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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
    out = os.environ.get("ENVELOPES_OUT")
    if out:
        with open(f"{out}.{os.getpid()}.json", "w") as fh:
            json.dump(_SEEN, fh)


# -- the driver ------------------------------------------------------------------------------------
def ids(only=()) -> list[str]:
    """The collected test ids of every entry with an enveloped deviation (or of the entries ``only``)."""
    sys.path.insert(0, str(ROOT))
    from conformance.catalogue import CATALOGUE
    names = set(only) or {n for n, c in CATALOGUE.items() if any(v.envelope is not None for v in c.deviations.values())}
    command = [sys.executable, "-m", "pytest", "cases", "--collect-only", "-q", "-p", "no:cacheprovider"]
    listing = subprocess.run(command, cwd=ROOT, capture_output=True, text=True).stdout.splitlines()
    chosen = []
    for line in listing:
        if "[" not in line or not line.endswith("]"):
            continue
        params = line[line.index("[") + 1:-1]
        if any(params == n or params.startswith(n + "-") or f"-{n}-" in params or params.endswith("-" + n)
               for n in names):
            chosen.append(line)
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--examples", type=int, default=30)
    parser.add_argument("-n", "--workers", default="2")
    parser.add_argument("--entries", nargs="*", default=(), help="only these entries")
    args = parser.parse_args()
    items = ids(args.entries)
    seen = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, args.seeds + 1):
            env = {**os.environ, "ENVELOPES_OUT": f"{tmp}/seed{seed}", "PYTHONPATH": str(ROOT)}
            subprocess.run([sys.executable, "-m", "pytest", *items, "-q", "-p", "no:cacheprovider", "-p",
                            "benchmarks.envelopes", "--hypothesis-profile", "nightly", "--conformance-examples",
                            str(args.examples), f"--hypothesis-seed={seed}", "-n", args.workers],
                           cwd=ROOT, env=env, capture_output=True)
            for f in Path(tmp).glob(f"seed{seed}.*.json"):
                seen += json.loads(f.read_text())
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
