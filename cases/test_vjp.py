"""Weighted backward: ``y.backward(gradient=v)`` leaves ``x.grad == vᵀJ`` for every input."""
from hypothesis import given
from hypothesis import strategies as st

from conformance.trial import Trial


@given(data=st.data())
def test_vjp(case, dtype, device, data):
    t = Trial(case, dtype, device, data, "vjp")
    y = t.forward()
    vs = t.weights()
    t.backward(y, vs)
    t.check(t.expected(vs))
