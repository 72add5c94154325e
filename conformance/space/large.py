"""Large sizes for the ``resizable`` family: one dimension grown far past the declared shape.

A resizable entry's dimension (equal declared sizes together, as in ``resize``; larger dimensions grow
by as much) grows to a size from ``SIZES``, where kernels switch path: past vector widths and unrolled
loops (2**k ± 1), GEMM micro-kernel and reduction blocks (17 to 8193) and the CPU's parallel grain
(32767, 32769).  Smaller dimensions keep their declared sizes, so a failure shrinks toward the smallest
grown size and the first dimension.

The exact vᵀJ comes from the tape oracle (``conformance.exact.tape``): one trace of the spec and one
reverse pass, every element exact.  Its cost is the number of traced nodes, so a size is drawn only
where the trace stays within ``BUDGET`` nodes for the profile; the count at a size is extrapolated from
traces at the declared size and twice it (the exponent of the dimension, measured once per entry).
An entry whose trace at 17 exceeds the ``ci`` budget meets its smallest size within the nightly one.
"""
from __future__ import annotations

import math

import torch
from hypothesis import strategies as st

from conformance.exact.tape import TapeOracle, Untraceable
from conformance.model.case import Case
from conformance.model.error import CatalogueError
from conformance.run.strategies import uniform_point
from conformance.space.resize import dimensions, resized

SIZES = (17, 31, 33, 63, 65, 127, 129, 255, 257, 511, 513, 1023, 1025, 2047, 2049, 4095, 4097, 8191, 8193,
         32767, 32769)
BUDGET = {"ci": 20_000, "nightly": 200_000}
OUTPUT_BUDGET = 20_000_000  # output elements, in every profile: their weights and exact values are held at once

_NODES: dict[tuple, int] = {}
_OUTPUTS: dict[tuple, int] = {}  # the output's elements, each a weight and an exact value held at once


def cost(case: Case) -> int:
    """The trace's cost for ``case`` (at its declared shapes, uniform values): the nodes the tape records and
    the comparisons the spec makes (a running min compares its whole prefix and records nothing)."""
    key = (case.name, tuple(a.shape for a in case.args))
    if key not in _NODES:
        values = uniform_point(case, torch.float64)
        if values is None:
            raise CatalogueError(f"catalogue entry {case.name!r}: no uniform point at shapes {key[1]}")
        try:
            oracle = TapeOracle(case, values)
            _NODES[key] = oracle.tape.cost
            _OUTPUTS[key] = sum(math.prod(shape) for shape in oracle.output_shapes)
        except Untraceable as exc:
            raise CatalogueError(f"catalogue entry {case.name!r}: its spec cannot be traced ({exc}); declare "
                                 "unmodelled={'large': why}") from exc
    return _NODES[key]


def grown(case: Case, n: int, size: int) -> dict[int, int]:
    """Dimension ``n`` at ``size`` and every larger dimension grown by as much (no difference of sizes
    shrinks: a kernel never outgrows its input, as in ``resize``)."""
    return {m: m + size - n for m in dimensions(case) if m >= n}


def estimate(case: Case, n: int, size: int, of: dict = _NODES) -> float:
    """Extrapolated node count (``of=_OUTPUTS``: output elements) with dimension ``n`` grown to ``size``:
    N(n) (size / n) ** p, p measured from the traces at n and 2n (at least 1)."""
    bigger = resized(case, grown(case, n, 2 * n))
    cost(case), cost(bigger)
    base, doubled = (of[(c.name, tuple(a.shape for a in c.args))] for c in (case, bigger))
    p = max(1.0, math.log2(max(doubled, 1) / max(base, 1)))
    return base * (size / n) ** p


def feasible(case: Case, n: int, budget: int) -> tuple[int, ...]:
    """The sizes of ``SIZES`` above ``n`` whose trace fits ``budget`` and whose output fits ``OUTPUT_BUDGET``
    (diagflat's output is the square of its input's size, with a node per diagonal element only: at 32,769
    elements it would not fit in memory)."""
    return tuple(s for s in SIZES if s > n and estimate(case, n, s) <= budget
                 and estimate(case, n, s, _OUTPUTS) <= OUTPUT_BUDGET)


@st.composite
def growths(draw, case: Case, profile: str) -> dict[int, int]:
    """One dimension and its grown size, the trace within the profile's budget (or, where no size fits it,
    the smallest within the nightly one)."""
    budget = BUDGET["nightly" if profile == "nightly" else "ci"]
    options = [(n, feasible(case, n, budget)) for n in dimensions(case)]
    options = [(n, sizes) for n, sizes in options if sizes]
    if not options:  # a costly trace: the smallest size within the nightly budget, in every profile
        options = [(n, feasible(case, n, BUDGET["nightly"])[:1]) for n in dimensions(case)]
        options = [(n, sizes) for n, sizes in options if sizes]
    if not options:
        raise CatalogueError(f"catalogue entry {case.name!r}: no dimension grows to {SIZES[0]} within "
                             f"{BUDGET['nightly']} traced nodes; declare unmodelled={{'large': why}}")
    n, sizes = draw(st.sampled_from(options), label="grown dimension")
    # the largest feasible size half the time (so that one example meets it); a failure shrinks toward 17
    largest = draw(st.booleans(), label="largest size")
    size = sizes[-1] if largest else draw(st.sampled_from(sizes), label=f"size for {n}")
    return grown(case, n, size)
