"""The running-error rules of the tolerance policy, and their failure on what they cannot model."""
import pytest
import sympy as sp

from conformance.spec import sigmoid
from conformance.tolerance import error_expr, mag

x, y = sp.symbols("x y", real=True)


def test_inputs_and_exact_constants_are_exact():
    assert error_expr(x) == 0
    assert error_expr(sp.Integer(3)) == 0
    assert error_expr(sp.Rational(1, 4)) == 0
    assert error_expr(sp.Rational(1, 3)) == sp.Rational(1, 3)
    assert error_expr(sp.pi) == sp.pi


def test_sum_charges_the_sum_of_magnitudes():
    assert error_expr(x + y) == mag(x) + mag(y)


def test_product_of_two_inputs_is_one_rounding():
    assert error_expr(x * y) == mag(x * y)


def test_function_charges_value_and_argument_condition():
    assert error_expr(sp.sin(x)) == mag(sp.sin(x)) + mag(x * sp.cos(x))


def test_sigmoid_derivative_is_absolutely_accurate():
    """s (1 - s) is charged |s| (1 + |s|)-sized error, not a relative one: torch's formula, not sympy's."""
    e = error_expr(sp.diff(sigmoid(x), x))
    value = e.subs(x, 30).replace(mag, sp.Abs).evalf()
    assert value > 0.5  # absolute: does not vanish with the gradient (≈ 1e-13 at x = 30)


def test_unknown_node_is_a_clear_error():
    with pytest.raises(TypeError, match="no error model"):
        error_expr(sp.Derivative(sp.Function("f")(x), x))
