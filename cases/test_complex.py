"""Complex numbers: gradients follow PyTorch's documented convention for complex autograd.

For a real loss L of z = a + ib, ``z.grad`` is ∂L/∂a + i ∂L/∂b (twice the conjugate Wirtinger
derivative ∂L/∂z̄); ``y.backward(gradient=v)`` on a complex output is the backward of
L = Σ Re(conj(v)·y).  For a holomorphic f this gives ``z.grad = v·conj(f'(z))``.  The oracle derives
the expected value from real and imaginary parts with sympy (``conformance.exact.complex``); each
part is compared with its own bound.  Runs over entries declaring complex64/complex128.
"""

from conformance.run.trial import Trial

from ._steps import drawn, weighted_backward


@drawn()
def test_complex_vjp(case, dtype, device, status, data):
    """``y.backward(gradient=v)`` with complex (or, for real outputs, real) weights: z.grad = ∂L/∂a + i ∂L/∂b."""
    t = Trial(case, dtype, device, data, "complex_vjp", status=status)
    y, vs = weighted_backward(t)
    t.check(t.expected(vs), what="conjugate-Wirtinger gradient ∂L/∂a + i∂L/∂b")


@drawn()
def test_complex_accumulation(case, dtype, device, status, data):
    """Two backward calls accumulate the two complex gradients into the same ``.grad``."""
    t = Trial(case, dtype, device, data, "complex_accumulation", status=status)
    y = t.forward()
    vs = t.weights(prefix="gy_a")
    t.backward(y, vs, retain_graph=True)
    ws = t.weights(prefix="gy_b")
    t.backward(y, ws)
    t.check(t.expected(vs) + t.expected(ws), what="sum of two complex gradients")
