"""The bounds' float64 evaluation (``conformance.exact.fast``) agrees with the 50-digit one over the whole
catalogue, and the exact values are untouched: at a drawn point of every entry, every vᵀJ value is
identical and every bound E agrees to a relative 1e-12 (the bound only scales K u E)."""
import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.catalogue import CATALOGUE
from conformance.exact import fast
from conformance.exact.oracle import oracle_for
from conformance.run.strategies import inputs

REAL = [c for c in CATALOGUE.values() if "float64" in c.dtypes and c.missing() is None]


def _point(case):
    @settings(max_examples=1, derandomize=True, database=None, deadline=None)
    @given(st.data())
    def draw(data):
        draw.values = data.draw(inputs(case, torch.float64))
    draw()
    return draw.values


@pytest.mark.parametrize("case", REAL, ids=lambda c: c.name)
def test_float_bounds_agree_with_mpmath(case):
    _agree(case, "vjp")


@pytest.mark.parametrize("kind", ["jvp", "hvp", "third"])
@pytest.mark.parametrize("name", ["sin", "softmax", "logsumexp", "mm", "tanh_mlp", "nn.functional.layer_norm"])
def test_higher_order_programs_too(name, kind):
    _agree(CATALOGUE[name], kind)


def _agree(case, kind):
    values = _point(case)
    oracle = oracle_for(case, {a.name: values[a.name] for a in case.args if not a.differentiable})
    weights = [np.linspace(-2.0, 3.0, int(np.prod(s))).reshape(s) for s in oracle.output_shapes]
    tangents = [np.linspace(1.0, -0.5, int(np.prod(a.shape))).reshape(a.shape) for a in case.args if a.differentiable]
    args = {"vjp": (weights,), "jvp": (tangents,), "hvp": (weights, tangents), "third": (weights, tangents, tangents)}
    evaluate = getattr(oracle, kind)
    fallbacks = fast.FALLBACKS[0]
    evaluate(values, *args[kind])
    program = oracle._programs[kind].split()
    split = evaluate(values, *args[kind])
    if program.values is None:  # bounds that need mpmath primitives: the whole program, as before the split
        assert program.bounds is None
        return
    oracle._programs[kind] = fast.Program(program.whole)
    try:
        reference = evaluate(values, *args[kind])
    finally:
        oracle._programs[kind] = program
    for name in split.grads:
        assert split.grads[name].reshape(-1).tolist() == reference.grads[name].reshape(-1).tolist()
        for got, want in zip(split.errors[name].reshape(-1), reference.errors[name].reshape(-1)):
            assert abs(got - want) <= mpmath.mpf(1e-12) * abs(want) + mpmath.mpf(1e-300), (name, got, want)
    assert fast.FALLBACKS[0] == fallbacks  # the float path gave these bounds
