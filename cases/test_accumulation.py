"""Accumulation: k backward calls leave ``x.grad == Σ vₖᵀJ``, updated in place."""
from hypothesis import given
from hypothesis import strategies as st

from _engine import require_updated_in_place
from conformance.plugin import scaled_settings
from conformance.trial import Trial


@scaled_settings(0.5)  # an engine contract: half the profile's examples; test_vjp checks every op's values
@given(data=st.data(), k=st.integers(1, 5), retain=st.booleans())
def test_accumulation(case, dtype, device, data, k, retain):
    """k calls, each with its own weights, on one retained graph or on fresh forwards."""
    t = Trial(case, dtype, device, data, "accumulation")
    expected = None
    y = t.forward()
    for call in range(k):
        if not retain and call:
            y = t.forward()
        vs = t.weights(prefix=f"gy{call}_")
        t.backward(y, vs, **({"retain_graph": True} if retain and call < k - 1 else {}))
        expected = t.expected(vs) if expected is None else expected + t.expected(vs)
        require_updated_in_place(t, call)
    t.check(expected, what=f"sum of {k} vᵀJ")
