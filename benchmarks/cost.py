"""Cost per verified example (kit) against torch.autograd.gradcheck on the same functions and sizes.

Run by hand:  python benchmarks/cost.py [--examples 40]
Prints a Markdown table (milliseconds, float64, CPU) for docs/figures.md.
"""
from __future__ import annotations

import argparse
import time

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.catalogue import get
from conformance.run import properties
from conformance.run.strategies import inputs
from conformance.run.trial import Trial

CASES = ["sin", "exp", "tanh", "softmax", "logsumexp", "mm", "tanh_mlp", "seed_indexed"]


def kit_ms(name: str, examples: int, dtype=torch.float64) -> float:
    case, device = get(name), torch.device("cpu")

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True)
    @given(data=st.data())
    def run(data):
        properties.vjp(Trial(case, dtype, device, data, "vjp"))

    run()  # first run compiles the oracle (reported separately)
    t0 = time.perf_counter()
    run()
    return (time.perf_counter() - t0) / examples * 1e3


def gradcheck_ms(name: str, fast: bool, repeats: int = 20) -> float:
    case = get(name)

    @settings(max_examples=1, deadline=None, database=None, derandomize=True)
    @given(data=st.data())
    def point(data):
        point.values = data.draw(inputs(case, torch.float64))

    point()
    args = [torch.tensor(point.values[a.name], dtype=torch.float64, requires_grad=a.differentiable) for a in case.args]
    torch.autograd.gradcheck(case.fn, args, fast_mode=fast)
    t0 = time.perf_counter()
    for _ in range(repeats):
        torch.autograd.gradcheck(case.fn, args, fast_mode=fast)
    return (time.perf_counter() - t0) / repeats * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, float64, CPU, 1 thread, {args.examples} examples per case\n")
    print("| function | kit ms/example | gradcheck fast ms | gradcheck slow ms | kit / fast |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in CASES:
        k, f, s = kit_ms(name, args.examples), gradcheck_ms(name, True), gradcheck_ms(name, False)
        print(f"| {name} | {k:.2f} | {f:.2f} | {s:.2f} | {k / f:.1f} |")


if __name__ == "__main__":
    main()
