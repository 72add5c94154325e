"""Tail sensitivity: per catalogue family and dtype, the fraction of checked gradient elements where the
claimed sensitivity holds (a relative error of 1e-5 in float32, 1e-12 in float64 would be caught) and
the fraction not checkable at this precision (a wrong sign or a factor 2 would pass), from a JSON report.

Run by hand from the repository root:
    python -m pytest cases -n 2 --hypothesis-profile ci --conformance-report /tmp/ci.json
    python benchmarks/tails.py /tmp/ci.json
Every item's ``elements`` (``conformance.reports``) counts what its checks compared; the table sums them
per family (the catalogue module of the item's entry) and dtype.
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def families() -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    from conformance.catalogue import FAMILIES
    return {case.name: module.__name__.rsplit(".", 1)[-1] for module in FAMILIES for case in module.ENTRIES}


def table(report: dict) -> dict[tuple[str, str], list[int]]:
    family = families()
    rows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for item in report["items"]:
        counts = item.get("elements")
        if not counts or item.get("dtype") not in ("float32", "float64"):
            continue
        row = rows[(family.get(item.get("case"), "other"), item["dtype"])]
        row[0] += counts["checked"]
        row[1] += counts["not_checkable"]
        row[2] += counts["meets_claim"]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", help="a JSON report (pytest --conformance-report PATH)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from conformance.reports import load
    report = load(args.report)
    env = report["environment"]
    print(f"torch {env['torch']}, profile {env['profile']}, {env['started']}")
    print("| family | dtype | elements checked | claim holds (1e-5 / 1e-12) | not checkable |")
    print("|---|---|---|---|---|")
    total = defaultdict(lambda: [0, 0, 0])
    for (fam, dtype), (checked, blind, claim) in sorted(table(report).items()):
        print(f"| {fam} | {dtype} | {checked:,} | {claim / checked:.1%} | {blind / checked:.2%} |")
        for k, v in enumerate((checked, blind, claim)):
            total[dtype][k] += v
    for dtype, (checked, blind, claim) in sorted(total.items()):
        print(f"| all | {dtype} | {checked:,} | {claim / checked:.1%} | {blind / checked:.2%} |")


if __name__ == "__main__":
    main()
