"""Headroom of the safety factor: per dtype and property, the worst error as a fraction of its bound over
one or more JSON reports, and the item that reached it.  A dtype's factor K (``conformance.tolerance.SAFETY``)
may be lowered only as far as its worst ratio allows: a worst of r under factor K means K·r would still pass.

Run by hand from the repository root, for instance over a soak of the reduced-precision properties:
    for s in 1 2 3; do python -m pytest cases -n 2 --hypothesis-profile dev --hypothesis-seed $s \\
        --dtype bfloat16,float16 --conformance-report /tmp/low-$s.json; done
    python benchmarks/headroom.py /tmp/low-*.json
Ratios are of the bounds in force when the report was written (K of its kit); items that failed or were
expected failures are counted separately, not in the ratio.
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def table(reports: list[dict]) -> dict[tuple[str, str], dict]:
    """(dtype, property) -> {"worst", "at", "items", "failed"} over the reports' items."""
    rows: dict[tuple[str, str], dict] = defaultdict(lambda: {"worst": 0.0, "at": "", "items": 0, "failed": 0})
    for report in reports:
        for item in report["items"]:
            if item.get("dtype") is None or item.get("outcome") == "skipped":
                continue
            row = rows[(item["dtype"], item["property"])]
            row["items"] += 1
            if item["outcome"] in ("failed", "error", "xfailed"):
                row["failed"] += 1
            elif item.get("worst") is not None and item["worst"] > row["worst"]:
                row["worst"], row["at"] = item["worst"], item["id"].split("::", 1)[-1]
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", help="JSON reports (pytest --conformance-report PATH)")
    parser.add_argument("--dtype", action="append", help="only these dtypes (repeatable)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from conformance.reports import load
    reports = [load(p) for p in args.reports]
    print(f"{len(reports)} report(s); torch {reports[0]['environment']['torch']}")
    print("| dtype | property | items | failed or xfailed | worst error / bound | at |")
    print("|---|---|---:|---:|---:|---|")
    for (dtype, prop), row in sorted(table(reports).items()):
        if args.dtype and dtype not in args.dtype:
            continue
        print(f"| {dtype} | {prop} | {row['items']:,} | {row['failed']} | {row['worst']:.3g} | {row['at']} |")


if __name__ == "__main__":
    main()
