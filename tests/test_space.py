"""The input-space machinery: the elementwise family, the vectorized reference, sizes and samples."""
import mpmath
import numpy as np
import pytest
import torch

from conformance.catalogue import CATALOGUE
from conformance.space import draw, sample
from conformance.space.family import elementwise_problem
from conformance.space.pointwise import pointwise_for, reference_dtype

ELEMENTWISE = sorted(n for n, c in CATALOGUE.items() if c.family == "elementwise")
REAL = [n for n, c in CATALOGUE.items() if {"float32", "float64"} & set(c.dtypes) and c.missing() is None]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_declared_elementwise_entries_are_elementwise(name):
    assert elementwise_problem(CATALOGUE[name]) is None


def test_every_elementwise_entry_is_declared():
    undeclared = [n for n in REAL if CATALOGUE[n].family is None and elementwise_problem(CATALOGUE[n]) is None]
    assert undeclared == []


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_vectorized_reference_within_its_margin_of_the_exact_value(name):
    case, pw = CATALOGUE[name], pointwise_for(CATALOGUE[name])
    for dtype in (torch.float32, torch.float64):
        if not pw.vectorized(dtype) or dtype_name(dtype) not in case.dtypes:
            continue
        rng = np.random.default_rng(7)
        n = 12
        values = {o.name: o.values for o in [
            draw.Operand(a.name, draw.values(a.domain, (n,), dtype, kind, rng), "contiguous", True, kind)
            for a, kind in zip(case.args, ["tails"] * len(case.args))]}
        if case.kinks is not None:
            values = {a.name: draw.values(a.domain, (n,), dtype, "uniform", rng) for a in case.args}
            gaps = ~case.kinks.excluded(*values.values())
            gaps = gaps.reshape(-1, n).all(axis=0)
        else:
            gaps = np.ones(n, bool)
        weights = [rng.uniform(-2, 2, n) for _ in range(pw.n_outputs)]
        got = pw.evaluate(values, weights, dtype)
        for i in np.flatnonzero(gaps):
            exact = pw.exact({k: v[i] for k, v in values.items()}, [w[i] for w in weights])
            for arg, (g, _, margin) in got.items():
                with mpmath.workdps(50):
                    diff = abs(mpmath.mpf(str(g[i])) - exact[arg][0])
                assert diff <= margin[i] * 1.01 + 1e-300, (arg, i, g[i], exact[arg][0], margin[i])
                assert g.dtype == reference_dtype(dtype)


def dtype_name(dtype):
    return str(dtype).removeprefix("torch.")


def test_bands_hold_the_path_boundaries():
    assert {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65} <= set(draw.BANDS["small"])
    assert {127, 128, 129, 4095, 4096, 4097} <= set(draw.BANDS["vector"])
    assert {32767, 32768, 32769} <= set(draw.BANDS["grain"]) and max(draw.BANDS["grain"]) >= 100_000


def test_sample_positions_cover_the_documented_set():
    n = 3 * 32768 + 5
    picked = set(sample.positions(n, np.random.default_rng(0)).tolist())
    assert {0, 1, n - 2, n - 1} <= picked
    assert {15, 16, 17, 31, 32, 33, 63, 64, 65, n - 64, n - 65, n - 63} <= picked
    assert {32767, 32768, 32769, 65536, 98304} <= picked
    assert set(sample.positions(100, np.random.default_rng(0)).tolist()) == set(range(100))


def test_broadcast_axes_and_positions():
    from conformance.space.trial import _broadcast_axes, _positions
    assert _broadcast_axes((2, 3, 4), (4,)) == (0, 1)
    assert _broadcast_axes((2, 3, 4), (3, 1)) == (0, 2)
    assert _broadcast_axes((2, 3), ()) == (0, 1)
    assert len(_positions((2, 3, 4), (1, 0), (0, 2))) == 8


RESIZABLE = sorted(n for n, c in CATALOGUE.items() if c.family == "resizable" and c.missing() is None)


@pytest.mark.parametrize("name", RESIZABLE)
def test_resizable_spec_matches_torch_forward_at_redrawn_sizes(name):
    """Every dimension one larger (offsets nondecreasing: the drawn mappings' smallest step): the spec still
    gives torch's forward, so the resized property's oracle is the function torch computes."""
    from conformance.exact.oracle import Oracle
    from conformance.run.strategies import real_array
    from conformance.space.resize import dimensions, resized
    case = resized(CATALOGUE[name], {n: n + 1 for n in dimensions(CATALOGUE[name])})
    rng = np.random.default_rng(0)
    values = {a.name: real_array(a.domain, torch.float64, "uniform", rng) for a in case.args}
    out = case.fn(*(torch.tensor(values[a.name]) for a in case.args))
    outs = out if isinstance(out, tuple) else (out,)
    oracle = Oracle(case, {})
    assert [tuple(t.shape) for t in outs] == [tuple(s) for s in oracle.output_shapes]
    got = np.concatenate([t.detach().reshape(-1).double().numpy() for t in outs])
    exact = np.array([float(v) for v in oracle.forward(values)])
    assert np.allclose(got, exact, rtol=1e-9, atol=1e-12)


def test_large_sizes_keep_the_output_within_its_budget():
    """diagflat's trace has a node per diagonal element but its output is the square of its input's size: the
    large sizes are bounded by the output too (at the nightly 257 x 257 it asked for 66,049² elements)."""
    from conformance.catalogue import get
    from conformance.space import large
    case = get("diagflat")
    for profile in ("ci", "nightly"):
        for n in large.dimensions(case):
            for size in large.feasible(case, n, large.BUDGET[profile]):
                assert (size * size) ** 2 <= large.OUTPUT_BUDGET
    assert large.feasible(get("sum"), 3, large.BUDGET["ci"])[-1] >= 2049  # a reduction's output is small
