"""The running-error rules of the tolerance policy, and their failure on what they cannot model."""
import pytest
import sympy as sp

from conformance.exact.running_error import error_expr, mag
from conformance.exact.spec import sigmoid

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


def test_matrixwise_bounds_take_the_largest_of_each_matrix():
    """normwise entries: each element of a higher-order value gets its matrix's largest bound."""
    import numpy as np

    from conformance.run.trial import Expected
    errors = np.array([[[1, 5], [2, 3]], [[0, 0], [7, 1]]], dtype=object)
    e = Expected({"a": np.zeros((2, 2, 2), dtype=object)}, {"a": errors}, 1).matrixwise()
    assert e.errors["a"].tolist() == [[[5, 5], [5, 5]], [[7, 7], [7, 7]]]
    vector = Expected({"v": np.zeros(3, dtype=object)}, {"v": np.array([1, 4, 2], dtype=object)}, 1).matrixwise()
    assert vector.errors["v"].tolist() == [4, 4, 4]
    scalar = Expected({"s": np.array(0, dtype=object)}, {"s": np.array(3, dtype=object)}, 1).matrixwise()
    assert scalar.errors["s"].tolist() == 3
