"""Steps the properties share: the weighted-backward preamble, the k-backward loop, and the decorator
that draws a property's examples (a fraction of the active Hypothesis profile's)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.run.properties import accumulate, require_updated_in_place, weighted_backward

__all__ = ["accumulate", "drawn", "require_updated_in_place", "weighted_backward"]


def drawn(fraction: float = 1.0, **strategies):
    """``@given(data=st.data(), **strategies)`` with ``fraction`` of the profile's examples (at least one).

    Engine contracts take half (``test_vjp`` checks every op's values at the full count); costly modes less.
    """
    def decorate(test):
        test = given(data=st.data(), **strategies)(test)
        if fraction == 1.0:
            return test
        return settings(max_examples=max(1, int(settings.default.max_examples * fraction)))(test)
    return decorate
