"""Smallest relative backward error the kit detects, per function and dtype (one deterministic point),
side by side with torch.autograd.gradcheck (slow and fast mode, its default tolerances) at the same point.

Run by hand from the repository root:  python benchmarks/sensitivity.py
For each e in 1e-1, 5e-2, 2e-2, 1e-2 ... 1e-16 (bfloat16, float16: 64, 48 ... 2, 1 times their u) the
backward of torch.<fn> is scaled by (1 + e)
(conformance.faults) and one check runs at a fixed grid point; the table gives the smallest e caught
("false alarm" where a check already fails without any fault, "not caught at 1e-1" where even 1e-1
passes), in float32, float64, bfloat16 and float16, with the dtype's unit roundoff u for the low ones and
torch.testing.assert_close's default rtol as the anchor (bfloat16 1.6e-2, float16 1e-3).
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _points import grid

from conformance.catalogue import get
from conformance.faults import scaled_backward
from conformance.run.failure import ConformanceFailure
from conformance.run.strategies import representable
from conformance.run.trial import Trial
from conformance.tolerance import unit_roundoff

TARGETS = [("sin", "sin"), ("exp", "exp"), ("tanh", "tanh"), ("log", "log"), ("erf", "erf"),
           ("sigmoid", "sigmoid"), ("atan", "atan"), ("sin_exp_chain", "exp")]


def caught(name: str, fn: str, dtype, rel: float) -> bool:
    case = get(name)
    values = {k: representable(v, dtype) for k, v in grid(case).items()}
    with scaled_backward(fn, rel):
        t = Trial(case, dtype, torch.device("cpu"), None, "vjp", values=values)
        y = t.forward()
        vs = t.weights(values=[representable(np.linspace(-2.0, 3.0, int(np.prod(s))), dtype).reshape(s)
                               for s in t.oracle.output_shapes])
        t.backward(y, vs)
        try:
            t.check(t.expected(vs))
        except ConformanceFailure:
            return True
    return False


def gradcheck_caught(name: str, fn: str, dtype, rel: float, fast: bool) -> bool:
    """Whether gradcheck (default eps, atol, rtol) rejects torch.<fn> with its backward scaled by 1 + rel."""
    case = get(name)
    values = {k: v.astype(np.float32).astype(np.float64) for k, v in grid(case).items()}
    tensors = {a.name: torch.tensor(values[a.name], dtype=dtype if a.differentiable else torch.int64)
               for a in case.args}
    names = [a.name for a in case.args if a.differentiable]

    def f(*diff):
        bound = {**tensors, **dict(zip(names, diff))}
        return case.fn(*(bound[a.name] for a in case.args))

    inputs = tuple(tensors[n].clone().requires_grad_() for n in names)
    with scaled_backward(fn, rel), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gradcheck warns that the inputs are not double precision
        return not torch.autograd.gradcheck(f, inputs, fast_mode=fast, raise_exception=False)


STEPS = [m * 10.0**-k for k in range(1, 17) for m in ((1.0,) if k == 1 else (5.0, 2.0, 1.0))]
LOW = (torch.bfloat16, torch.float16)


# the low dtypes' steps, in units of their u (a decade grid is too coarse there: 5e-3 to 2e-3 is 10 u to 4 u)
LOW_STEPS_U = (64, 48, 32, 24, 16, 12, 10, 8, 7, 6, 5, 4, 3, 2, 1)


def smallest(check, steps=STEPS) -> str:
    if check(0.0):
        return "false alarm"
    found = None
    for rel in steps:
        if not check(rel):
            break
        found = rel
    if not found:
        return f"not caught at {steps[0]:.1e}"
    return f"{found:.0e}" if steps is STEPS else f"{found:.6e}"


def in_units(text: str, dtype) -> str:
    """A low dtype's figure in units of the dtype's roundoff u, with its size."""
    try:
        return f"{float(text) / unit_roundoff(dtype):.0f} u ({float(text):.1e})"
    except ValueError:
        return text


def main() -> None:
    print("| function | kit float32 | kit float64 | kit bfloat16 | kit float16 | gradcheck float64 (slow / fast) "
          "| gradcheck float32 (slow / fast) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, fn in TARGETS:
        kit = [smallest(lambda rel, d=dtype: caught(name, fn, d, rel)) for dtype in (torch.float32, torch.float64)]
        kit += [in_units(smallest(lambda rel, d=dtype: caught(name, fn, d, rel),
                                  [k * unit_roundoff(dtype) for k in LOW_STEPS_U]), dtype) for dtype in LOW]
        gc = {d: " / ".join(smallest(lambda rel, d=d, fast=fast: gradcheck_caught(name, fn, d, rel, fast))
                            for fast in (False, True)) for d in (torch.float64, torch.float32)}
        print(f"| {name} | {' | '.join(kit)} | {gc[torch.float64]} | {gc[torch.float32]} |")
    print(f"\nassert_close's default rtol: bfloat16 1.6e-2 ({1.6e-2 / unit_roundoff(torch.bfloat16):.1f} u), "
          f"float16 1e-3 ({1e-3 / unit_roundoff(torch.float16):.1f} u)")


if __name__ == "__main__":
    main()
