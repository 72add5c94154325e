"""The oracle's exact values against closed forms, at the exact binary value of each input."""
import mpmath
import numpy as np
import sympy as sp

from conformance.catalogue import get
from conformance.exact import spec as s
from conformance.exact.oracle import DIGITS, oracle_for
from conformance.model.case import entry
from conformance.model.domain import Real


def test_sin_vjp_is_v_cos_x_to_all_digits():
    x = np.array([0.1, -2.5, 3.0, 1e-3, 0.75, -1.0])
    v = np.array([1.0, -2.0, 0.5, 1e3, 0.0, 3.0])
    exact = oracle_for(get("sin")).vjp({"x": x}, [v])
    with mpmath.workdps(DIGITS):
        for i in range(6):
            want = mpmath.mpf(v[i]) * mpmath.cos(mpmath.mpf(x[i]))
            assert abs(exact.grads["x"][i] - want) <= mpmath.mpf(10) ** (5 - DIGITS) * (1 + abs(want))


def test_inputs_enter_at_their_binary_value_not_their_decimal():
    """float32(2.7) is 2.7000000476837158...: the oracle must use that number, not 2.7."""
    x = np.array([[-1.5], [2.7]], dtype=np.float32).astype(np.float64)
    exact = oracle_for(get("seed_indexed")).vjp({"x": x}, [np.ones((3, 1))])
    with mpmath.workdps(DIGITS):
        x1 = mpmath.mpf(float(np.float32(2.7)))
        assert exact.grads["x"][1, 0] == 3 * x1**2 + 4 * x1**3
        assert exact.grads["x"][1, 0] != 3 * mpmath.mpf("2.7") ** 2 + 4 * mpmath.mpf("2.7") ** 3


def test_multi_input_broadcast_vjp_sums_over_broadcast_dims():
    case = get("mul_broadcast")  # (3,1) * (1,4)
    x, y = np.arange(3.0).reshape(3, 1) + 1, np.arange(4.0).reshape(1, 4) - 1.5
    v = np.linspace(-1, 1, 12).reshape(3, 4)
    exact = oracle_for(case).vjp({"x": x, "y": y}, [v])
    assert np.allclose(np.array(exact.grads["x"], dtype=float), (v * y).sum(1, keepdims=True), rtol=0, atol=1e-15)
    assert np.allclose(np.array(exact.grads["y"], dtype=float), (v * x).sum(0, keepdims=True), rtol=0, atol=1e-15)


def test_oracle_is_cached_per_case():
    assert oracle_for(get("exp")) is oracle_for(get("exp"))


def test_custom_primitives_differentiate_through_their_value():
    x = sp.Symbol("x", real=True)
    sig = s.sigmoid(x)
    assert sp.diff(sig, x) == sig * (1 - sig)
    assert sp.diff(s.expm1_(x), x) == s.expm1_(x) + 1


def test_forward_values_are_exact():
    case = entry("cube", "x ** 3", lambda x: x**3, x=Real(-2, 2, shape=(2,)))
    got = oracle_for(case).forward({"x": np.array([0.1, -1.5])})
    with mpmath.workdps(DIGITS):
        assert got == [mpmath.mpf(0.1) ** 3, mpmath.mpf(-1.5) ** 3]


def test_disk_cache_gives_the_same_oracle(tmp_path, monkeypatch):
    """A second build loads the generated code from disk and evaluates identically; off disables it."""
    from conformance.catalogue import get
    from conformance.exact import cache as disk_cache
    from conformance.exact.oracle import Oracle

    monkeypatch.setenv("CONFORMANCE_ORACLE_CACHE", str(tmp_path))
    case = get("tanh_mlp")
    values = {"x": np.array([[0.5, -1.0, 2.0], [0.25, 1.5, -0.75]]),
              "w": np.array([[1.0, -2.0], [0.5, 0.125], [-1.0, 3.0]])}
    weights = [np.array([1.5, -0.5])]
    fresh = Oracle(case, {}).vjp(values, weights)
    assert len(list(tmp_path.glob("*.py"))) == 1
    calls = []
    monkeypatch.setattr(disk_cache, "store", lambda *a: calls.append(a))
    cached = Oracle(case, {}).vjp(values, weights)
    assert not calls, "the second build must load from the cache, not compile and store again"
    for name in values:
        assert list(cached.grads[name].reshape(-1)) == list(fresh.grads[name].reshape(-1))
        assert list(cached.errors[name].reshape(-1)) == list(fresh.errors[name].reshape(-1))
    next(tmp_path.glob("*.py")).write_text("this is not python")
    assert disk_cache.load(*_flat(case), [{}, "mpmath"]) is None  # a damaged file is never trusted
    monkeypatch.setenv("CONFORMANCE_ORACLE_CACHE", "off")
    assert disk_cache.directory() is None


def _flat(case):
    from conformance.exact.oracle import Oracle
    o = Oracle(case, {})
    return o._flat_out, o._flat_x + o._flat_v


def _close(got, want):
    with mpmath.workdps(DIGITS):
        return abs(got - want) <= mpmath.mpf(10) ** (5 - DIGITS) * (1 + abs(want))


def test_sin_jvp_hvp_and_third_order_against_closed_forms():
    """J u = cos(x) u; ∇²(vᵀ sin) u = -v sin(x) u; its derivative along w = -v cos(x) u w."""
    x = np.array([0.1, -2.5, 3.0, 1e-3, 0.75, -1.0])
    v = np.array([1.0, -2.0, 0.5, 1e3, 0.0, 3.0])
    u = np.array([0.5, 1.0, -1.0, 2.0, 3.0, -0.25])
    w = np.array([2.0, -1.0, 0.25, 1.0, 1.0, 4.0])
    o = oracle_for(get("sin"))
    jvp, hvp, third = o.jvp({"x": x}, [u]), o.hvp({"x": x}, [v], [u]), o.third({"x": x}, [v], [u], [w])
    with mpmath.workdps(DIGITS):
        for i in range(6):
            xi = mpmath.mpf(x[i])
            assert _close(jvp.grads["out0"][i], mpmath.cos(xi) * u[i])
            assert _close(hvp.grads["x"][i], -v[i] * mpmath.sin(xi) * u[i])
            assert _close(third.grads["x"][i], -v[i] * mpmath.cos(xi) * u[i] * w[i])


def test_mixed_second_derivative_of_two_inputs():
    """For x*y (elementwise), ∇²(vᵀF) u has x-part v·u_y and y-part v·u_x."""
    x, y = np.array([1.5, -2.0, 0.5]), np.array([0.25, 3.0, -1.0])
    v, ux, uy = np.array([1.0, -0.5, 2.0]), np.array([2.0, 1.0, -1.0]), np.array([-3.0, 0.5, 4.0])
    case = entry("xy", "x * y", lambda x, y: x * y, x=Real().of(3), y=Real().of(3))
    h = oracle_for(case).hvp({"x": x, "y": y}, [v], [ux, uy])
    assert [float(g) for g in h.grads["x"]] == list(v * uy)
    assert [float(g) for g in h.grads["y"]] == list(v * ux)


def test_complex_gradient_follows_the_conjugate_wirtinger_convention():
    """For holomorphic sin, z.grad = v·conj(cos z); for |z|² (real), z.grad = 2 v z."""
    from conformance.exact.complex import complex_oracle_for
    z = np.array([0.5 + 1.25j, -2.0 - 0.75j, 3.0 + 0.5j, 0.25 - 3.0j, 1.0 + 1.0j, -1.5 + 2.0j])
    v = np.array([1.0 - 2.0j, 0.5 + 0.5j, -1.0 + 0.0j, 0.0 + 3.0j, 2.0 - 1.0j, 1.0 + 1.0j])
    exact = complex_oracle_for(get("sin")).vjp({"x": z}, [v])
    with mpmath.workdps(DIGITS):
        for i in range(6):
            want = mpmath.mpc(v[i]) * mpmath.conj(mpmath.cos(mpmath.mpc(z[i])))
            assert _close(exact.grads["x"][i], want)
    real_v = np.array([1.0, -2.0, 0.5, 3.0, 0.0, 1.5])
    square = complex_oracle_for(get("abs_square_complex")).vjp({"x": z}, [real_v])
    assert [complex(g) for g in square.grads["x"]] == list(2 * real_v * z)
