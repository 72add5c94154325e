"""Smallest relative backward error the kit detects, per function and dtype (one deterministic point).

Run by hand from the repository root:  python benchmarks/sensitivity.py
For each decade e = 1e-3 ... 1e-16 the backward of torch.<fn> is scaled by (1 + e) (conformance.faults)
and one weighted-backward check runs at a fixed grid point; the table gives the smallest e caught.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _points import grid  # noqa: E402

from conformance.catalogue import get  # noqa: E402
from conformance.faults import scaled_backward  # noqa: E402
from conformance.report import ConformanceFailure  # noqa: E402
from conformance.trial import Trial  # noqa: E402

TARGETS = [("sin", "sin"), ("exp", "exp"), ("tanh", "tanh"), ("log", "log"), ("erf", "erf"),
           ("sigmoid", "sigmoid"), ("atan", "atan"), ("sin_exp_chain", "exp")]


def caught(name: str, fn: str, dtype, rel: float) -> bool:
    case = get(name)
    values = {k: v.astype(np.float32).astype(np.float64) for k, v in grid(case).items()}
    with scaled_backward(fn, rel):
        t = Trial(case, dtype, torch.device("cpu"), None, "vjp", values=values)
        y = t.forward()
        vs = t.weights(values=[np.linspace(-2.0, 3.0, int(np.prod(s))).reshape(s) for s in t.oracle.output_shapes])
        t.backward(y, vs)
        try:
            t.check(t.expected(vs))
        except ConformanceFailure:
            return True
    return False


def main() -> None:
    print("| function | float32 | float64 |")
    print("| --- | ---: | ---: |")
    for name, fn in TARGETS:
        row = []
        for dtype in (torch.float32, torch.float64):
            smallest = None
            for k in range(3, 17):
                if caught(name, fn, dtype, 10.0**-k):
                    smallest = 10.0**-k
                else:
                    break
            row.append(f"{smallest:.0e}" if smallest else "not caught at 1e-3")
        print(f"| {name} | {row[0]} | {row[1]} |")


if __name__ == "__main__":
    main()
