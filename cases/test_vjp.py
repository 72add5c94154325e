"""Weighted backward: ``y.backward(gradient=v)`` leaves ``x.grad == vᵀJ`` for every input."""
from conformance.run import properties
from conformance.run.trial import Trial

from ._steps import drawn


@drawn()
def test_vjp(case, dtype, device, status, data):
    properties.vjp(Trial(case, dtype, device, data, "vjp", status=status))
