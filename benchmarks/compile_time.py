"""Oracle compile time per catalogue family (sympy derivatives, error bound, lambdify), one process.

Run by hand:  python benchmarks/compile_time.py [--kind vjp|jvp|jvp2|hvp|third] [--cap S] [--json PATH]
Prints a Markdown table for the docs: entries, total and slowest entry per family, for the program
``--kind`` (default vjp: the first-order oracle every property needs; jvp2 is forward over forward, third
the third-order programs).  Set ``CONFORMANCE_ORACLE_CACHE=off`` to time a cold cache (what CI pays).
``--cap S`` stops an entry's compile after S seconds and counts it as S (listed as capped).
"""
from __future__ import annotations

import argparse
import json
import signal
import time

import numpy as np

from conformance.catalogue import FAMILIES
from conformance.exact.oracle import Oracle
from conformance.model.domain import Index

NEEDS = {"vjp": (), "jvp": ("forward_ad",), "jvp2": ("forward_over_forward",), "hvp": ("double_backward",),
         "third": ("third_order",)}


class _Capped(Exception):
    pass


def _alarm(signum, frame):
    raise _Capped()


def time_entry(case, kind: str, cap: float | None) -> tuple[float, bool]:
    """Seconds to build ``case``'s ``kind`` program from scratch (the vjp program first, not counted)."""
    constants = {a.name: np.zeros(a.shape, dtype=np.int64) for a in case.args if isinstance(a.domain, Index)}
    oracle = Oracle(case, constants)
    if kind == "vjp":
        t0 = time.perf_counter()
        Oracle(case, constants)
        return time.perf_counter() - t0, False
    if cap:
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, cap)
    t0 = time.perf_counter()
    try:
        oracle._program(kind)
        return time.perf_counter() - t0, False
    except _Capped:
        return float(cap), True
    finally:
        if cap:
            signal.setitimer(signal.ITIMER_REAL, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="vjp", choices=sorted(NEEDS))
    parser.add_argument("--cap", type=float, default=None, help="seconds per entry at most")
    parser.add_argument("--json", default=None, help="also write every entry's seconds here")
    args = parser.parse_args()
    print(f"| family | entries | {args.kind} compile s (total) | slowest entry (s) |")
    print("| --- | ---: | ---: | --- |")
    grand, count, every, capped = 0.0, 0, {}, []
    for family in FAMILIES:
        times = {}
        for case in family.ENTRIES:
            if NEEDS[args.kind] and case.lacks(NEEDS[args.kind]):
                continue
            times[case.name], over = time_entry(case, args.kind, args.cap)
            if over:
                capped.append(case.name)
            if args.json:
                every[case.name] = times[case.name]
                with open(args.json, "w") as out:
                    json.dump({"kind": args.kind, "seconds": every, "capped": capped}, out, indent=1)
        if not times:
            continue
        slow = max(times, key=times.get)
        total = sum(times.values())
        grand, count = grand + total, count + len(times)
        print(f"| {family.__name__.rsplit('.', 1)[-1]} | {len(times)} | {total:.1f} | {slow} ({times[slow]:.2f}) |",
              flush=True)
    print(f"| all | {count} | {grand:.1f} | |")
    if capped:
        print(f"capped at {args.cap:g} s: {', '.join(capped)}")


if __name__ == "__main__":
    main()
