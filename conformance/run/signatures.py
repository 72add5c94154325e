"""Drawing an entry's call signature: its arguments (and ``Shapes`` inputs' shapes) from its declared space.

Each declaration's choices are sampled in their order, so Hypothesis shrinks a failure toward the simplest
signature (the default values, the first dim, the declared shape); ``where`` filters the combinations.  The
drawn value is the entry bound at that signature (``Case.bind``), whose ``repr`` shows the concrete call.
"""
from __future__ import annotations

from hypothesis import strategies as st

from conformance.model.case import Case


def drawable(case: Case) -> bool:
    """Whether a trial draws ``case``'s arguments: an entry with an argument space, at its default signature and
    declared shapes (an input-space property that redrew its sizes keeps the default signature)."""
    space = case.arguments
    if space is None or {a.name: a.shape for a in case.args} != space.shapes:
        return False
    values, _ = space.default()
    return dict(case.bound) == values


@st.composite
def _signature(draw, case: Case):
    space = case.arguments
    shapes = {a.name: a.shape for a in case.args}
    for name, options in space.shape_choices().items():
        shapes[name] = draw(st.sampled_from(options), label=f"shape of {name}")
    values = {name: draw(st.sampled_from(space.choices(name, shapes))) for name in space.value_names()}
    return case.bind(values, shapes) if space.allows(values, shapes) else None


def signature(case: Case) -> st.SearchStrategy[Case]:
    """The entry bound at one drawn signature of its argument space."""
    if case.name not in _STRATEGIES or _STRATEGIES[case.name][0] is not case:
        _STRATEGIES[case.name] = (case, _signature(case).filter(lambda c: c is not None))
    return _STRATEGIES[case.name][1]


_STRATEGIES: dict[str, tuple[Case, st.SearchStrategy]] = {}
