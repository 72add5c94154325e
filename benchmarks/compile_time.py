"""Oracle compile time per catalogue family (sympy Jacobian, error bound, lambdify), one process.

Run by hand:  python benchmarks/compile_time.py
Prints a Markdown table for the README: entries, total and slowest entry per family.
"""
from __future__ import annotations

import time

import numpy as np

from conformance.catalogue import FAMILIES
from conformance.exact.oracle import oracle_for
from conformance.model.domain import Index


def main() -> None:
    print("| family | entries | compile s (total) | slowest entry (s) |")
    print("| --- | ---: | ---: | --- |")
    grand = 0.0
    for family in FAMILIES:
        times = {}
        for case in family.ENTRIES:
            constants = {a.name: np.zeros(a.shape, dtype=np.int64) for a in case.args if isinstance(a.domain, Index)}
            t0 = time.perf_counter()
            oracle_for(case, constants)
            times[case.name] = time.perf_counter() - t0
        if not times:
            continue
        slow = max(times, key=times.get)
        total = sum(times.values())
        grand += total
        print(f"| {family.__name__.rsplit('.', 1)[-1]} | {len(times)} | {total:.1f} | {slow} ({times[slow]:.2f}) |")
    print(f"| all | {sum(len(f.ENTRIES) for f in FAMILIES)} | {grand:.1f} | |")


if __name__ == "__main__":
    main()
