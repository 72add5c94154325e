"""The tape oracle (``conformance.exact.tape``) against the fixed-shape exact oracle, and its sizing."""
import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.catalogue import CATALOGUE
from conformance.exact.oracle import oracle_for
from conformance.exact.spec import AtKink
from conformance.exact.tape import TapeOracle, Untraceable
from conformance.run.strategies import uniform_point
from conformance.space.large import BUDGET, SIZES, estimate, grown, growths
from conformance.space.resize import dimensions, resized

LARGE = sorted(n for n, c in CATALOGUE.items() if c.family == "resizable" and "large" not in c.unmodelled)


@pytest.mark.parametrize("name", LARGE)
def test_tape_vjp_equals_the_exact_oracle_at_the_declared_shape(name):
    """Every traced entry's vᵀJ is the fixed-shape oracle's to 40 digits, and its bounds are finite."""
    case = CATALOGUE[name]
    values = uniform_point(case, torch.float64, seed=1)
    constants = {a.name: values[a.name] for a in case.args if not a.differentiable}
    oracle = oracle_for(case, constants)
    weights = [np.random.default_rng(2).uniform(-1, 1, s) for s in oracle.output_shapes]
    exact, traced = oracle.vjp(values, weights), TapeOracle(case, values).vjp(values, weights)
    for k, g in exact.grads.items():
        for idx in np.ndindex(*g.shape):
            assert mpmath.fabs(traced.grads[k][idx] - g[idx]) <= mpmath.mpf(10) ** -40 * (1 + mpmath.fabs(g[idx])), \
                (name, k, idx)
            assert mpmath.isfinite(traced.errors[k][idx]) and traced.errors[k][idx] >= 0


def test_tape_bound_of_a_long_sum_is_the_flattened_rule():
    """x.grad of sum(x) over 4,097 elements weighted by v is v at every element, exactly (E = 0)."""
    case = CATALOGUE["sum"]
    values = {"x": np.linspace(-2, 2, 4097).reshape(1, 4097)}
    big = resized(case, {2: 1, 3: 4097})
    tape = TapeOracle(big, values)
    out = tape.vjp(values, [np.array(0.75)])
    assert all(g == mpmath.mpf(0.75) for g in out.grads["x"].reshape(-1))
    assert all(e == 0 for e in out.errors["x"].reshape(-1))  # a sum's partials are exact


@pytest.mark.parametrize("name, where", [("aminmax", -1), ("aminmax", 0), ("max_no_dim", -1), ("cummin", 5)])
def test_a_tie_at_a_grown_size_is_a_kink_the_draws_avoid_and_the_tape_refuses(name, where):
    """At 17 elements along the selected dimension, equal values at the selected rank (the maximum is rank 16,
    not the declared rank 2): the entry's kinks exclude the point, and the tape oracle raises AtKink."""
    case = CATALOGUE[name]
    big = resized(case, grown(case, dimensions(case)[-1], 17))
    values = uniform_point(big, torch.float64, seed=3)
    x = values["x"].reshape(-1, values["x"].shape[-1]) if values["x"].ndim > 1 else values["x"].reshape(1, -1)
    row = x[0]
    target = row.max() if where == -1 else row.min()
    other = int(np.argmin(row)) if where == -1 else int(np.argmax(row))
    if where > 0:  # a running min: a later element ties the prefix minimum (cummin along the last dimension)
        target, other = row[:where].min(), where
    assert not big.kinks.excluded(*values.values()).any()
    row[other] = target
    assert big.kinks.excluded(*values.values()).any(), "the kinks miss a tie at the grown size"
    with pytest.raises(AtKink):
        TapeOracle(big, values)


def test_untraceable_spec_is_declared_and_named():
    case = CATALOGUE["logcumsumexp"]
    assert "large" in case.unmodelled
    with pytest.raises(Untraceable):
        TapeOracle(case, uniform_point(case, torch.float64))


def test_growth_keeps_larger_dimensions_ahead():
    case = CATALOGUE["nn.functional.conv1d"]
    dims = dimensions(case)
    mapping = grown(case, dims[0], 1025)
    assert mapping[dims[0]] == 1025 and all(mapping[m] - m == 1025 - dims[0] for m in dims)


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_drawn_growth_is_a_listed_size_within_the_budget(data):
    case = CATALOGUE[data.draw(st.sampled_from(["mm", "softmax", "nn.functional.layer_norm", "cumsum"]))]
    mapping = data.draw(growths(case, "ci"))
    n = min(mapping)
    assert mapping[n] in SIZES
    assert estimate(case, n, mapping[n]) <= BUDGET["ci"]
