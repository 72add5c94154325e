"""Bilinear entries at GEMM sizes: the sampled exact rule.

An entry whose output is a contraction of its two inputs declares it once, as an einsum signature
(``contraction="ij,jk->ik"``); the kit's tests check, through the tape oracle, that the signature and the
spec agree at every element, value and bound alike.  Its vᵀJ is then a contraction too: the gradient
of an input is the weight contracted with the other input over the letters the input lacks
(``dA[i, j] = Σₖ G[i, k] B[j, k]`` for mm), so one gradient element is a dot product of K terms.

At GEMM sizes (512 × 512 × 512: a tape of 134M nodes) only a documented sample of each gradient is
checked: along every dimension the first and last three positions, the multiples of 4, 8, 16, 32 and
64 and their neighbours from both ends, and ``RANDOM`` positions from the example's seed; every element
of the grid those index sets span.  A sampled element's exact value is its K products, each split
exactly into a float64 pair (Dekker's two-product; float32 products are exact in float64), summed by
``math.fsum`` (correctly rounded) and its remainder by a second ``fsum``: the value to 2⁻¹⁰⁶ relative,
charged as a margin.  Its running-error bound is the tape's for the same sum: every product one
rounding and the K contributions one flattened sum, E = (1 + ⌈log₂ K⌉) Σ|gᵢ bᵢ|.

What the sample can miss: an error confined to interior positions that are neither aligned, near an
edge, nor drawn, along every dimension at once (a fault hitting one unaligned interior block).
"""
from __future__ import annotations

import math

import numpy as np

from conformance.model.contraction import Signature

RANDOM = 8
EDGE = 3
STEPS = (4, 8, 16, 32, 64)
SPLIT = 134217729.0  # 2**27 + 1, Dekker's splitter for float64


def axis_positions(n: int, rng: np.random.Generator) -> np.ndarray:
    """The sampled indices along one dimension of size ``n`` (all of them when few)."""
    picked = set(range(min(n, EDGE))) | set(range(max(0, n - EDGE), n))
    for step in STEPS:
        for m in (step, n - step):
            picked.update((m - 1, m, m + 1))
    picked.update(int(p) for p in rng.integers(0, max(n, 1), RANDOM))
    return np.array(sorted(p for p in picked if 0 <= p < n), dtype=np.int64)


def _aligned(x: np.ndarray, letters: str, order: str) -> np.ndarray:
    """``x`` (axes named by ``letters``) with axes in ``order``, size 1 where it lacks a letter."""
    x = np.transpose(x, [letters.index(c) for c in order if c in letters])
    return x.reshape([x.shape[[c for c in order if c in letters].index(c)] if c in letters else 1 for c in order])


def _two_product(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = a * b
    c = SPLIT * a
    ah = c - (c - a)
    al = a - ah
    c = SPLIT * b
    bh = c - (c - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def sampled_gradient(sig: Signature, k: int, inputs: list[np.ndarray], weight: np.ndarray,
                     picks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
    """The exact gradient of input ``k`` on the grid ``picks`` (one index array per dimension): values
    (float64 pairs summed to 2⁻¹⁰⁶, returned as (hi, lo) stacked on a last axis), E per element, and K."""
    mine, summed = sig.inputs[k], sig.contracted(k)
    order = mine + summed
    ops = [(_aligned(np.asarray(weight, np.float64), sig.output, order)),
           (_aligned(np.asarray(inputs[1 - k], np.float64), sig.inputs[1 - k], order))]
    grid = [np.ix_(*[p if op.shape[d] > 1 else np.zeros(1, np.int64) for d, p in enumerate(picks)]) for op in ops]
    g, b = (op[tuple(ix) + (Ellipsis,)] for op, ix in zip(ops, grid))
    shape = tuple(len(p) for p in picks)
    terms = math.prod(max(ops[0].shape[d], ops[1].shape[d]) for d in range(len(mine), len(order)))
    g, b = np.broadcast_arrays(g, b)
    g = np.broadcast_to(g, shape + g.shape[len(mine):]).reshape(math.prod(shape), terms)
    b = np.broadcast_to(b, shape + b.shape[len(mine):]).reshape(math.prod(shape), terms)
    p, e = _two_product(g, b)
    hi, lo = np.empty(len(p)), np.empty(len(p))
    for r in range(len(p)):
        row = [*p[r], *e[r]]
        hi[r] = math.fsum(row)
        lo[r] = math.fsum([*row, -hi[r]])
    err = (1 + (math.ceil(math.log2(terms)) if terms > 1 else 0)) * np.abs(p).sum(axis=1)
    return np.stack([hi, lo], -1).reshape(shape + (2,)), err.reshape(shape), terms
