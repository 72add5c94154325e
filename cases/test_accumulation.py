"""Accumulation: k backward calls leave ``x.grad == Σ vₖᵀJ``, updated in place."""
from hypothesis import strategies as st

from conformance.run import properties
from conformance.run.trial import Trial

from ._steps import drawn


@drawn(k=st.integers(2, 5), retain=st.booleans())
def test_accumulation(case, dtype, device, status, data, k, retain):
    """k >= 2 calls (one is test_vjp), each with its own weights, on one retained graph or on fresh forwards."""
    properties.accumulation(Trial(case, dtype, device, data, "accumulation", status=status), k, retain)
