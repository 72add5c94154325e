"""Where checks report the worst error they saw (as a fraction of its bound), per test item.

The pytest plugin opens a record around each test call and stores the worst ratio in the item's
``user_properties`` (which also travel from pytest-xdist workers); the summary reads them back.  The record
only records: what a failure of the item may be (its Status) is an argument of the trial it builds.
"""
from __future__ import annotations

_current: list | None = None
_features: tuple = ()
_examples: dict[int, object] = {}  # the examples (Hypothesis data objects) the item ran, by identity
_elements = [0, 0, 0]  # elements checked, of them not checkable at this precision, meeting the claimed sensitivity


def start(features: tuple = ()) -> None:
    """Open the record of a test item; ``features`` are what its property requires of entries."""
    global _current, _features
    _current, _features = [0.0, ""], tuple(features)
    _examples.clear()
    _elements[:] = [0, 0, 0]


def features() -> tuple:
    """The autograd features the running property requires (its ``conformance`` marker), for deviations."""
    return _features


def stop() -> tuple[float, str] | None:
    global _current, _features
    result, _current, _features = _current, None, ()
    return tuple(result) if result is not None else None


def example(data) -> None:
    """Note a trial of the running item: one per Hypothesis example (``data``), or a fixed point (None)."""
    if _current is not None:
        _examples.setdefault(id(data), data)


def elements(checked: int, blind: int, claim: int) -> None:
    """Note checked elements: how many, how many not checkable at this precision (a wrong sign or a factor 2
    would pass: ``tolerance.checkable``), how many meeting the claimed sensitivity (``tolerance.CLAIM``)."""
    if _current is not None:
        _elements[0] += checked
        _elements[1] += blind
        _elements[2] += claim


def element_counts() -> tuple[int, int, int]:
    """(checked, not checkable, meeting the claim) of the running (or last stopped) item."""
    return tuple(_elements)


def examples() -> int:
    """How many examples the running (or last stopped) item ran."""
    return len(_examples)


def observe(ratio: float, label: str) -> None:
    """Note an observed error/bound ratio (the largest one of the item is kept)."""
    if _current is not None and ratio >= _current[0]:
        _current[0], _current[1] = float(ratio), label
