"""The one comparison (``conformance.run.compare``): its verdict, and the same widening and range rule in the
plain, sized and GEMM trials."""
import math

import mpmath
import numpy as np
import pytest
import torch

from conformance import tolerance
from conformance.catalogue import CATALOGUE
from conformance.model.status import Widening
from conformance.run.compare import Verdict, compare
from conformance.run.failure import ConformanceFailure
from conformance.space.draw import Operand, Point
from conformance.space.gemm import GemmPoint, GemmTrial
from conformance.space.trial import SizedTrial

F16_OUTSIDE = 40000.0  # past half of float16's largest (65504 / 2)


def test_the_worst_element_the_count_over_and_the_relative_error_beyond():
    exact = np.array([1.0, 2.0, -4.0, 0.5])
    bound = np.full(4, 0.01)
    got = np.array([1.005, 2.03, -4.05, 0.5])  # 0.5, 3 and 5 bounds off
    v = compare(got, exact, bound, torch.float64, name="x")
    assert v.failed and (v.over, v.total) == (2, 4)
    assert v.worst.index == (2,) and v.worst.got == -4.05 and v.worst.exact == -4.0
    assert v.ratio == pytest.approx(5.0) and v.worst.error == pytest.approx(0.05)
    assert v.relative == pytest.approx(0.04 / 4)  # the largest of (0.03 - 0.01) / 2 and (0.05 - 0.01) / 4
    assert v.where == "x[2]" and v.src == "x.grad"
    assert compare(exact, exact, bound, torch.float64).ratio == 0.0


def test_a_widening_multiplies_every_bound():
    exact, bound, got = np.array([1.0]), np.array([0.01]), np.array([1.05])
    assert compare(got, exact, bound, torch.float64).failed
    widened = compare(got, exact, bound, torch.float64, widen=10)
    assert not widened.failed and widened.ratio == pytest.approx(0.5) and widened.widen == 10


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_nan_or_infinite_value_is_infinitely_far(bad):
    exact = np.array([1.0, 0.0])
    for v in (compare(np.array([1.0, bad]), exact, np.full(2, 1e-3), torch.float32),
              compare(np.array([1.0, bad]), np.array([mpmath.mpf(1), mpmath.mpf(0)], dtype=object),
                      np.array([mpmath.mpf("1e-3")] * 2, dtype=object), torch.float32)):
        assert v.ratio == math.inf and v.over == 1 and v.worst.index == (1,)
        assert v.relative == math.inf  # a non-finite value, or any error beyond the bound of an exact zero


def test_the_census_counts_checked_blind_and_claimed_elements():
    exact = np.array([1.0, 1e-3, 0.0, 2.0])
    bound = np.array([1e-7, 1e-3, 1e-9, 1e-3])  # claimed, not checkable, an exact zero, checkable only
    assert compare(exact, exact, bound, torch.float32).census == (4, 1, 1)
    exactly = compare(exact, np.array([mpmath.mpf(e) for e in exact], dtype=object), bound.astype(object),
                      torch.float32)
    assert exactly.census == (4, 1, 1)


def test_exact_values_compare_at_mpmaths_precision():
    """An mpmath exact value is not rounded to float64 first: an error below float64's resolution is seen."""
    with mpmath.workdps(40):  # the oracle's precision
        exact = np.array([mpmath.mpf(1) + mpmath.mpf(2) ** -60], dtype=object)
        v = compare(np.array([1.0]), exact, np.array([mpmath.mpf(2) ** -62], dtype=object), torch.float64)
    assert v.ratio == pytest.approx(4.0) and v.worst.error == mpmath.mpf(2) ** -60


def test_skipped_elements_complex_parts_and_a_merge():
    exact, bound = np.array([[1.0, 2.0], [3.0, 4.0]]), np.full((2, 2), 0.1)
    got = np.array([[1.0, 9.0], [3.0, 4.5]])
    skipped = compare(got, exact, bound, torch.float64, skip=np.array([[False, True], [False, False]]))
    assert (skipped.total, skipped.over, skipped.worst.index) == (3, 1, (1, 1))
    parts = compare(got, exact, bound, torch.float64, name="z", parts=True)  # rows: two complex values
    assert parts.where == "z[0, imag]"
    both = Verdict().merge(parts).merge(skipped)
    assert (both.total, both.over, both.worst.index, both.name) == (7, 3, (0, "imag"), "z")


def test_a_scalar_gradient():
    for exact, bound in ((np.array(1.0), np.array(1e-3)),
                         (np.array(mpmath.mpf(1), dtype=object), np.array(mpmath.mpf("1e-3"), dtype=object))):
        v = compare(np.array(1.01), exact, bound, torch.float64, name="x")
        assert (v.over, v.total, v.worst.index, v.where) == (1, 1, (), "x") and v.ratio == pytest.approx(10.0)


def test_a_float_pair_exact_value_and_a_located_sample():
    hi, lo = np.array([1.0, 1.0]), np.array([0.0, 2.0**-60])
    v = compare(np.array([1.0, 1.0]), hi, np.full(2, 2.0**-62), torch.float64, low=lo, locate=lambda at: (at[0] + 10,))
    assert v.over == 1 and v.worst.index == (11,)


# -- the same rules in every trial ------------------------------------------------------------------
def _sized(name: str, dtype, x: np.ndarray, status=None) -> SizedTrial:
    case = CATALOGUE[name]
    point = Point(x.shape, [Operand("x", x, "contiguous", True, "uniform")], [np.ones(x.shape)], ["unit"], 0)
    t = SizedTrial(case, dtype, "cpu", point, "sized_vjp", status=status)
    t.forward_backward()
    return t


def test_a_widened_sized_check_applies_its_widening():
    """An element 5 plain bounds off passes a sized check under a 10 x widening, and fails without it."""
    x = np.linspace(0.25, 1.5, 8)

    def check(status):
        t = _sized("sin", torch.float32, x, status)
        g, e, margin, terms, _ = t.expected_cache["x"]
        bound = tolerance.scale(torch.float32) * e[3] + (terms + 1) * tolerance.tiny(torch.float32) + margin[3]
        t.ns["x"].grad[3] = float(g[3] + 5 * bound)
        return t.check()
    assert 0.4 < check(Widening("measured for this test", 10)) < 0.6
    with pytest.raises(ConformanceFailure, match=r"x.grad deviates from the exact vᵀJ by 5\.\d* x its bound"):
        check(None)


def test_a_gradient_past_float16s_range_is_treated_alike_by_every_comparison(cpu):
    """e^11 = 59874: past half of float16's largest.  The plain trial's example is skipped (its elements share a
    computation); the sized and GEMM trials leave that element out and check the others; the comparison itself
    leaves it out in each form of exact value."""
    from conformance.run.trial import Trial
    case = CATALOGUE["exp"]
    t = Trial(case, torch.float16, cpu, None, "vjp", values={"x": np.full(case.args[0].shape, 11.0)})
    vs = t.weights(values=[np.ones(case.args[0].shape)])
    t.backward(t.forward(), vs)
    with pytest.raises(pytest.skip.Exception, match="past torch.float16's range"):
        t.check(t.expected(vs))

    sized = _sized("exp", torch.float16, np.array([0.5, 11.0]))
    sized.ns["x"].grad[1] = math.inf  # outside the range: not compared
    assert sized.check() < 1
    sized.ns["x"].grad[0] = -1.0
    with pytest.raises(ConformanceFailure, match=r"(?s)x.grad deviates .* elements over their bound: 1 of 1"):
        sized.check()

    gemm = GemmTrial(CATALOGUE["mm"], torch.float16, "cpu", GemmPoint({"i": 2, "j": 2, "k": 2},
                                                                      ("contiguous", "contiguous"), False, 0))
    gemm.values = [np.ones((2, 2)), np.full((2, 2), F16_OUTSIDE / 2)]  # a.grad = gy @ b.T = 40000 everywhere
    gemm.weight = np.ones((2, 2))
    gemm.ns["a"].grad = torch.full((2, 2), math.inf, dtype=torch.float16)  # outside the range: not compared
    gemm.ns["b"].grad = torch.full((2, 2), 2.0, dtype=torch.float16)  # b.grad = a.T @ gy = 2: compared
    assert gemm.check() == 0.0
    gemm.ns["b"].grad[0, 1] = 3.0
    with pytest.raises(ConformanceFailure, match=r"(?s)b.grad deviates .* worst element b\[0, 1\]: got 3.0"):
        gemm.check()

    exact = np.array([1.0, F16_OUTSIDE])
    got, bound = np.array([1.0, math.inf]), np.full(2, 1e-3)
    for v in (compare(got, exact, bound, torch.float16),
              compare(got, np.array([mpmath.mpf(e) for e in exact], dtype=object), bound.astype(object),
                      torch.float16),
              compare(got, exact - 1.0, bound, torch.float16, low=np.ones(2))):
        assert (v.failed, v.total, v.outside) == (False, 1, 1)
    assert compare(got, exact, bound, torch.float32).failed  # within float32's range: compared


def test_a_documented_accuracy_lets_each_term_carry_it_and_no_more():
    """``Accuracy(reason, relative)``: each term the running-error bound E counts may carry torch's documented
    relative error (the bound grows by relative x E); an error past it, a wrong sign, still fails."""
    exact = np.array([1.6449340668482264, -2.0])
    errors = np.abs(exact)  # E of one rounded evaluation per element
    bound = tolerance.scale(torch.float64) * errors
    off = exact * (1 + 5e-10)  # torch's trigamma: about 5e-10 relative
    assert compare(off, exact, bound, torch.float64).failed
    assert not compare(off, exact, bound, torch.float64, accuracy=1e-9).failed
    assert compare(exact * (1 + 3e-9), exact, bound, torch.float64, accuracy=1e-9).failed
    wrong = compare(-exact, exact, bound, torch.float64, accuracy=1e-9)
    assert wrong.failed and wrong.relative > 1


def test_an_accuracy_declaration_reaches_the_item_as_a_plain_check_with_its_accuracy():
    from conformance.model.status import Accuracy
    digamma = CATALOGUE["digamma"].status("float64", (), "test_vjp")
    assert digamma.kind == "widened" and digamma.accuracy == 1e-9  # a strict check, no expected failure
    assert CATALOGUE["digamma"].status("float32", (), "test_vjp") is None
    with pytest.raises(ValueError, match="accuracy"):
        Accuracy("a reason", relative=2.0)
