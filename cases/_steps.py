"""Steps the properties share: the weighted-backward preamble, the k-backward loop, and the decorator
that draws a property's examples (a fraction of the active Hypothesis profile's)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.model import properties
from conformance.run.properties import accumulate, require_updated_in_place, weighted_backward

__all__ = ["accumulate", "drawn", "require_updated_in_place", "weighted_backward"]


def drawn(**strategies):
    """``@given(data=st.data(), **strategies)`` with the property's share of the profile's examples (at least one),
    declared with the property (``conformance.model.properties``: engine contracts take half, ``test_vjp``
    checks every op's values at the full count; costly modes less)."""
    def decorate(test):
        prop = properties.get(test.__name__)
        if prop is None or prop.share is None:
            raise ValueError(f"{test.__name__}: declare it in conformance/model/properties.py, with its share= of "
                             f"the profile's examples")
        test = given(data=st.data(), **strategies)(test)
        if prop.share == 1.0:
            return test
        return settings(max_examples=max(1, int(settings.default.max_examples * prop.share)))(test)
    return decorate
