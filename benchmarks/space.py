"""Cost of one input-space example at size: an elementwise entry at N elements, every element checked;
a bilinear entry at GEMM sizes, checked by the sampled exact rule.

    python benchmarks/space.py [--size 1000000] [--entries sin,tanh,atan2,sigmoid,mul]
                               [--gemm 512] [--bilinear mm,bmm]

Prints, per entry and dtype, the seconds of one example (building the tensors, torch's forward and
backward, the exact reference and the comparison of every checked element), best of 3, one core.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from conformance.catalogue import CATALOGUE
from conformance.space.draw import Operand, Point, values
from conformance.space.gemm import GemmPoint, GemmTrial
from conformance.space.pointwise import pointwise_for
from conformance.space.trial import SizedTrial


def one(case, dtype, size: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    ops = [Operand(a.name, values(a.domain, (size,), dtype, "uniform", rng), "contiguous", True, "uniform")
           for a in case.args]
    weights = [rng.uniform(-2, 2, size) for _ in range(pointwise_for(case).n_outputs)]
    t0 = time.perf_counter()
    t = SizedTrial(case, dtype, "cpu", Point((size,), ops, weights, ["unit"], seed), "sized_vjp")
    t.forward_backward()
    t.check()
    return time.perf_counter() - t0


def gemm(case, dtype, n: int, seed: int) -> float:
    """One example with every letter of the contraction at ``n`` (a batch letter at 4)."""
    sig = case.contraction
    sizes = {c: (4 if c == "b" else n) for c in dict.fromkeys(sig.replace(",", "").replace("->", ""))}
    t0 = time.perf_counter()
    t = GemmTrial(case, dtype, "cpu", GemmPoint(sizes, ("contiguous", "contiguous"), False, seed))
    t.forward_backward()
    t.check()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--entries", default="sin,tanh,atan2,sigmoid,mul")
    parser.add_argument("--gemm", type=int, default=512, help="size of every letter of a bilinear entry")
    parser.add_argument("--bilinear", default="mm,bmm")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {args.size} elements, one thread")
    for name in args.entries.split(","):
        case = CATALOGUE[name]
        pointwise_for(case)
        for dtype in (torch.float32, torch.float64):
            best = min(one(case, dtype, args.size, seed) for seed in range(3))
            print(f"{name:10s} {str(dtype).removeprefix('torch.'):8s} {best:.3f} s per example")
    for name in filter(None, args.bilinear.split(",")):
        for dtype in (torch.float32, torch.float64):
            best = min(gemm(CATALOGUE[name], dtype, args.gemm, seed) for seed in range(3))
            print(f"{name:10s} {str(dtype).removeprefix('torch.'):8s} {best:.3f} s per example at "
                  f"{args.gemm} per letter (sampled exact rule)")


if __name__ == "__main__":
    main()
