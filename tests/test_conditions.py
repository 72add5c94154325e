"""A deviation that shows at some draws only carries a condition over the drawn example: where it holds, the
deviation covers its failure; where it does not, the draw is strict.  Per item: xfailed where it showed, failed
where the condition held and it never showed (saying what to record), passed where the condition never held."""
import numpy as np
import pytest
import torch

from conformance.catalogue import CATALOGUE, conditions, limits
from conformance.catalogue.activations import _elu
from conformance.catalogue.binary import POW_HIGHER_ORDER
from conformance.catalogue.shape import STOLEN_ALIASED_GRADS
from conformance.model.case import entry
from conformance.model.condition import Condition, nan_in_vector_body
from conformance.model.domain import Real
from conformance.model.status import Overflow, Status, Where
from conformance.run import properties
from conformance.run.failure import ConformanceFailure, KnownDeviation
from conformance.run.trial import Trial
from conformance.space.draw import Operand, Point
from conformance.space.trial import SizedTrial

pytest_plugins = ["pytester"]
BY_NAME = CATALOGUE


# -- values: a NaN lane in the vectorized body of the CPU loop -----------------------------------------------
ELU_TWICE_ALONE = entry("elu_twice_alone", "F.elu(x) * (1 if x.numel() > 1 else 2)", _elu(1.0),
                        x=Real(-2.0, 2.0, avoid=(0.0,)), family="elementwise")


def _lanes(case, nan_at: int, n: int = 33) -> SizedTrial:
    values = np.linspace(0.25, 0.75, n)
    values[nan_at] = np.nan
    point = Point((n,), [Operand("x", values, "contiguous", True, "uniform")], [np.ones(n)], ["unit"])
    t = SizedTrial(case, torch.float32, torch.device("cpu"), point, "special_lanes", exclude=(nan_at,),
                   status=limits.NAN_LANES_ELU["special_lanes"])
    t.forward_backward()
    return t


@pytest.mark.skipif(torch.backends.cpu.get_cpu_capability() not in ("AVX512", "AVX2"), reason="a vectorized CPU")
def test_a_nan_lane_in_the_vector_body_shows_the_deviation_and_one_in_the_tail_is_strict():
    lanes = 32 if torch.backends.cpu.get_cpu_capability() == "AVX512" else 16
    body = _lanes(BY_NAME["nn.functional.elu"], 0)
    assert conditions.NAN_IN_ELU_BODY(body)
    with pytest.raises(KnownDeviation, match="depends on the tensor's length"):
        body.check_lanes({0: float("nan")})
    tail = _lanes(ELU_TWICE_ALONE, lanes)  # the tail: torch agrees with the element alone; a fault breaks it
    assert not conditions.NAN_IN_ELU_BODY(tail)
    with pytest.raises(ConformanceFailure, match="strict at this draw"):
        tail.check_lanes({lanes: float("nan")})


def test_a_strided_input_runs_the_scalar_loop_unless_the_call_copies_it():
    point = Point((33,), [Operand("x", np.r_[np.nan, np.ones(32)], "stepped", True, "uniform")], [np.ones(33)])

    class Draw:
        dtype, device = torch.float32, "cpu"

    draw = Draw()
    draw.point = point
    assert not nan_in_vector_body("body", 2)(draw) and nan_in_vector_body("body", 2, through_copy=True)(draw)
    draw.device = "cuda:0"
    assert not nan_in_vector_body("body", 2, through_copy=True)(draw)


def _hvp(t: Trial, v: float = 1.0, u: float = 1.0) -> Trial:
    """properties.hvp at given weights and tangents (a fixed point, no draw)."""
    y = t.forward()
    vs = t.weights(values=[np.full(6, v)])
    properties.first_order_graph(t, y, vs)
    us = [t._vector(f"u_{n}", (6,), np.full(6, u)) for n in t.grad_names]
    properties.directional(t, "g", us, "h")
    t.check(t.expected_hvp(vs, us), grads={n: f"h[{i}]" for i, n in enumerate(t.grad_names)}, what="HVP")
    return t


# -- magnitudes: an intermediate past float16's largest ------------------------------------------------------
def _logaddexp_second(x: float, y: float) -> Trial:
    case = BY_NAME["logaddexp"]
    t = Trial(case, torch.float16, torch.device("cpu"), None, "hvp", values={"x": np.full(6, x), "y": np.full(6, y)},
              status=limits.LOGADDEXP_F16["double_backward:float16"])
    return _hvp(t)


def test_an_overflowed_float16_intermediate_shows_the_deviation_and_a_modest_draw_is_strict():
    with pytest.raises(KnownDeviation, match="logaddexp's second-order"):
        _logaddexp_second(-8.0, 6.0)  # exp(14) passes 65504
    status = limits.LOGADDEXP_F16["double_backward:float16"]
    case = BY_NAME["logaddexp"]
    t = Trial(case, torch.float16, torch.device("cpu"), None, "hvp",
              values={"x": np.full(6, 0.5), "y": np.full(6, 1.0)}, status=status)
    t.run("z = torch.exp(x + y)")
    assert not status.shows_at(t)
    with pytest.raises(ConformanceFailure, match="strict at this draw"):
        t.fail("worst element x: got nan, exact 0.25", numeric=True, relative=float("inf"))


# -- layouts: a transposed input -----------------------------------------------------------------------------
def test_a_transposed_input_shows_the_layout_contract_and_a_contiguous_one_is_strict():
    case = BY_NAME["kron"]
    status = case.status("float64", ("layouts",), "test_resized_vjp")
    assert status.when is conditions.TRANSPOSED_INPUT
    values = {"a": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([[1.0, -1.0, 0.5]])}
    with pytest.raises(KnownDeviation, match="torch.kron raises"):
        Trial(case, torch.float64, torch.device("cpu"), None, "resized_vjp", values=values,
              layouts={"a": "permuted"}, status=status).forward()
    t = Trial(case, torch.float64, torch.device("cpu"), None, "resized_vjp", values=values, status=status)
    with pytest.raises(ConformanceFailure, match="strict at this draw"):
        t.run(f"raise RuntimeError({limits.VIEW_SIZE!r})")


# -- parameters: an exponent of exactly 0 or 1 ---------------------------------------------------------------
def _pow_hvp(y: float) -> Trial:
    case = BY_NAME["pow"]
    t = Trial(case, torch.float64, torch.device("cpu"), None, "hessian",
              values={"x": np.full(6, 0.5), "y": np.full(6, y)}, status=POW_HIGHER_ORDER["double_backward"])
    return _hvp(t)


def test_an_exponent_of_zero_shows_the_deviation_and_another_is_strict():
    with pytest.raises(KnownDeviation, match="at an exponent of exactly 0"):
        _pow_hvp(0.0)
    t = _pow_hvp(0.5)  # torch is right there; a failure there is strict
    with pytest.raises(ConformanceFailure, match="strict at this draw"):
        t.fail("worst element h[0]: got 0.0, exact 2.0", numeric=True)


# -- weights: a weight expanded along the stacked dimension --------------------------------------------------
def _stacked(expanded: bool) -> Trial:
    case = BY_NAME["stack"]
    status = Where(STOLEN_ALIASED_GRADS, conditions.EXPANDED_ALONG_STACK)
    t = Trial(case, torch.float64, torch.device("cpu"), None, "accumulation",
              values={"x": np.zeros((2, 3)), "y": np.zeros((2, 3))}, status=status)
    y = t.forward()
    small = (2, 1, 3) if expanded else (2, 2, 3)
    t.run(f"gy0_0 = torch.ones({small}, dtype=torch.float64).expand(2, 2, 3)")
    t.weight_values["gy0_0"], t.weight_layouts["gy0_0"] = np.ones((2, 2, 3)), "expanded" if expanded else "contiguous"
    t.weight_small["gy0_0"] = small
    t.backward(y, ["gy0_0"], retain_graph=True)
    second = t.weights(prefix="gy1_", values=[np.stack([np.zeros((2, 3)), np.ones((2, 3))], 1)])
    t.backward(y, second)
    t.check(t.expected(["gy0_0"]) + t.expected(second), what="sum of 2 vᵀJ")
    return t


def test_an_expanded_weight_shows_the_stolen_gradients_and_a_plain_one_is_strict():
    with pytest.raises(KnownDeviation, match="share storage"):
        _stacked(expanded=True)
    _stacked(expanded=False)
    with pytest.raises(ConformanceFailure, match="strict at this draw"):  # any failure without the expansion
        t = Trial(BY_NAME["stack"], torch.float64, torch.device("cpu"), None, "accumulation",
                  values={"x": np.zeros((2, 3)), "y": np.zeros((2, 3))},
                  status=Where(STOLEN_ALIASED_GRADS, conditions.EXPANDED_ALONG_STACK))
        t.fail("x.grad off", numeric=True)


def test_a_condition_needs_a_name_and_a_predicate():
    with pytest.raises(ValueError, match="needs a name"):
        Condition(" ", lambda d: True)
    with pytest.raises(TypeError, match="callable"):
        Condition("x", True)
    with pytest.raises(TypeError, match="needs its condition"):
        Overflow("inf in float16", None)
    with pytest.raises(TypeError, match="Condition"):
        Status("deviation", "why", when="x > 0")


# -- the item: xfailed where it showed, failed where it never showed, passed where the condition never held ---
ITEM_TESTS = '''
import numpy as np
import torch
from conformance.exact import spec as s
from conformance.faults import scaled_backward
from conformance.model.case import entry
from conformance.model.domain import Real
from conformance.run.trial import Trial

CASE = entry("conditioned_sin", "torch.sin(x)", lambda x: s.sin(x), x=Real(shape=(2,)))


def run(status, *points):
    """Each point (x0, x1, shows): one trial, torch off the exact value where ``shows``."""
    for x0, x1, shows in points:
        t = Trial(CASE, torch.float64, torch.device("cpu"), None, "vjp", values={"x": np.array([x0, x1])},
                  status=status)
        with scaled_backward("sin", 1e-3 if shows else 0.0):
            y = t.forward()
            vs = t.weights(values=[np.ones(2)])
            t.backward(y, vs)
        t.check(t.expected(vs))


def test_shows_where_met(status):
    run(status, (-0.5, 1.0, False), (0.5, 1.0, True))

def test_fails_before_it_shows(status):
    run(status, (-0.5, 1.0, True), (0.5, 1.0, True))

def test_met_never_shows(status):
    run(status, (-0.5, 1.0, False), (0.5, 1.0, False), (0.25, 1.0, False))

def test_never_met(status):
    run(status, (-0.5, 1.0, False), (-0.25, 1.0, False))
'''

ITEM_CONFTEST = '''
import pytest
from conformance.model.condition import Condition
from conformance.model.status import Where
from conformance.plugin import KIT_ITEM
from conformance.plugin.session import STATUS

STATUS_OF_ALL = Where("sin's gradient is off at a positive x[0], for this test",
                      Condition("x[0] is positive", lambda d: d.values["x"][0] > 0))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    for item in items:
        item.stash[KIT_ITEM] = True
        item.stash[STATUS] = STATUS_OF_ALL
'''


def test_a_conditioned_item_xfails_where_it_showed_fails_where_it_did_not_and_passes_where_never_met(pytester):
    pytester.makepyfile(test_user=ITEM_TESTS)
    pytester.makeconftest(ITEM_CONFTEST)
    result = pytester.runpytest("-p", "conformance.plugin", "-p", "no:cacheprovider", "-rxXf")
    result.assert_outcomes(passed=1, failed=2, xfailed=1)
    result.stdout.fnmatch_lines(["XFAIL test_user.py::test_shows_where_met*"])
    result.stdout.fnmatch_lines([
        "*strict at this draw: the known deviation covers only draws meeting its condition (x?0? is positive)*",
        "*the known deviation did not show at 2 draws meeting its condition (x?0? is positive): torch * may have "
        "fixed it; record the release that fixed it*"])


def test_every_expected_failure_is_strict_and_its_pass_says_what_to_record(pytester):
    pytester.makepyfile(test_user="def test_other(device):\n    pass\n")
    pytester.path.joinpath("devs.txt").write_text("test_user.py::test_other | at every draw | repro\n")
    result = pytester.runpytest("-p", "conformance.plugin", "--conformance-deviations", "devs.txt")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)* no longer shows a known deviation*Record the release that fixed*"])


def test_only_a_backward_that_finds_grad_none_hands_over_an_expanded_weight():
    """The engine gives a leaf the incoming gradient itself only when its ``.grad`` is None: an expanded weight of
    a later backward (added in place) does not alias the leaves' gradients, and the condition says so."""
    from types import SimpleNamespace
    small = {"gy0_0": (2, 2, 3), "gy1_0": (2, 1, 3)}
    draw = SimpleNamespace(weight_small=small, weight_layouts={"gy0_0": "contiguous", "gy1_0": "expanded"},
                           weight_values={k: np.ones((2, 2, 3)) for k in small},
                           lines=["out.backward(gradient=gy0_0, retain_graph=True)", "out.backward(gradient=gy1_0)"])
    assert not conditions.EXPANDED_ALONG_STACK(draw)
    draw.lines.insert(1, "for p in params: p.grad = None")  # zeroed to None: the next backward hands it over
    draw.lines.append("out.backward(gradient=gy0_0)")
    assert conditions.EXPANDED_ALONG_STACK(draw)
    first = SimpleNamespace(weight_small={"gy0_0": (2, 1, 3)}, weight_layouts={"gy0_0": "expanded", "gy1_0": "x"},
                            weight_values={"gy0_0": np.ones((2, 2, 3))},
                            lines=["out.backward(gradient=gy0_0, retain_graph=True)"])
    assert not conditions.EXPANDED_ALONG_STACK(first)  # no backward follows it
    first.lines.append("out.backward(gradient=gy1_0)")
    assert conditions.EXPANDED_ALONG_STACK(first)
