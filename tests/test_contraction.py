"""The sampled exact rule of bilinear entries (``conformance.space.contraction``) against the tape oracle,
and the GEMM trial's checks."""
import mpmath
import numpy as np
import pytest
import torch

from conformance.catalogue import CATALOGUE
from conformance.exact.tape import TapeOracle
from conformance.model.case import entry
from conformance.model.contraction import Signature
from conformance.model.domain import Real
from conformance.model.error import CatalogueError
from conformance.run.failure import ConformanceFailure
from conformance.run.strategies import uniform_point
from conformance.space.contraction import axis_positions, sampled_gradient
from conformance.space.gemm import GemmPoint, GemmTrial
from conformance.space.resize import dimensions, resized

BILINEAR = sorted(n for n, c in CATALOGUE.items() if c.contraction is not None)


@pytest.mark.parametrize("grow", [0, 1], ids=["declared", "grown"])
@pytest.mark.parametrize("name", BILINEAR)
def test_contraction_equals_the_spec_through_the_tape(name, grow):
    """At the declared shapes and with every dimension one larger, the declared signature's gradient is the
    tape oracle's at every element: values to 25 digits, running-error bounds alike."""
    case = CATALOGUE[name]
    assert case.family == "resizable", f"{name} declares a contraction, so every size must hold"
    if grow:
        case = resized(case, {n: n + 1 for n in dimensions(case)})
    values = uniform_point(case, torch.float64, seed=3)
    tape = TapeOracle(case, values)
    weight = np.random.default_rng(4).uniform(-1, 1, tape.output_shapes[0])
    traced = tape.vjp(values, [weight])
    sig = Signature.parse(case.contraction)
    inputs = [values[a.name] for a in case.args]
    for k, a in enumerate(case.args):
        picks = [np.arange(n) for n in a.shape]
        exact, err, _ = sampled_gradient(sig, k, inputs, weight, picks)
        for idx in np.ndindex(*a.shape):
            with mpmath.workdps(50):
                got = mpmath.mpf(exact[idx][0]) + mpmath.mpf(exact[idx][1])
                want = traced.grads[a.name][idx]
                assert mpmath.fabs(got - want) <= mpmath.mpf(10) ** -25 * (1 + mpmath.fabs(want)), (name, a.name, idx)
            assert err[idx] == pytest.approx(float(traced.errors[a.name][idx]), rel=1e-9, abs=1e-300), (name, idx)


def test_signature_errors_name_what_is_wrong():
    for text, words in (("ij,jk", "two-input"), ("ii,j->ij", "repeats"), ("ij,jk->iz", "in no input")):
        with pytest.raises(ValueError, match=words):
            Signature.parse(text)
    with pytest.raises(CatalogueError, match="ranks"):
        entry("bad", "torch.mm(a, b)", lambda a, b: a @ b, a=Real(-2.0, 2.0).of(2, 3), b=Real(-2.0, 2.0).of(3),
              contraction="ij,jk->ik")


def test_axis_positions_hold_edges_and_block_boundaries():
    picks = set(axis_positions(512, np.random.default_rng(0)).tolist())
    assert {0, 1, 2, 509, 510, 511, 3, 4, 5, 63, 64, 65, 447, 448, 449} <= picks
    assert len(picks) < 60
    assert axis_positions(5, np.random.default_rng(0)).tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("wrong", [-1.0, 1.001, 0.0])
def test_gemm_trial_rejects_a_wrong_gradient(wrong):
    """A sign error, a 1e-3 scale error, a zero gradient at GEMM-like sizes: each fails the check."""
    point = GemmPoint({"i": 65, "j": 257, "k": 33}, ("transposed", "contiguous"), False, 7)
    t = GemmTrial(CATALOGUE["mm"], torch.float32, "cpu", point)
    t.forward_backward()
    assert t.check() <= 1
    t.ns["a"].grad.mul_(wrong)
    with pytest.raises(ConformanceFailure, match="a.grad deviates"):
        t.check()
