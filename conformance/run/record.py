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
# the Status's condition, over the item's trials: [trials meeting it that completed a check, strict failures];
# the last trial and the checks completed when it began (settled when the next begins or the item stops)
_condition = [0, 0]
_pending: list = [None, 0]
_checks = [0]


def start(features: tuple = ()) -> None:
    """Open the record of a test item; ``features`` are what its property requires of entries."""
    global _current, _features
    _current, _features = [0.0, ""], tuple(features)
    _examples.clear()
    _elements[:] = [0, 0, 0]
    _condition[:], _pending[:], _checks[:] = [0, 0], [None, 0], [0]


def features() -> tuple:
    """The autograd features the running property requires (its ``conformance`` marker), for deviations."""
    return _features


def trial(draw) -> None:
    """Note a trial (the drawn example its Status's condition reads: ``draw.status.when``) of the running item."""
    if _current is not None and getattr(getattr(draw, "status", None), "when", None) is not None:
        _settle()
        _pending[:] = [draw, _checks[0]]


def _settle() -> None:
    draw, checks = _pending
    if draw is not None and _checks[0] > checks and draw.status.when(draw):
        _condition[0] += 1
    _pending[:] = [None, 0]


def condition_met() -> int:
    """How many trials of the running item met their Status's condition and completed a check (no deviation
    showed at them: a covered failure ends the item)."""
    if _current is not None:
        _settle()
    return _condition[0]


def failed_strictly() -> None:
    """Note a failure no Status covers: from it on, a covered failure is a draw Hypothesis discards while it
    shrinks the strict one (the item fails with it, not as the known deviation)."""
    _condition[1] += 1


def strict_failure() -> bool:
    return _current is not None and _condition[1] > 0


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
    _checks[0] += 1
    if _current is not None and ratio >= _current[0]:
        _current[0], _current[1] = float(ratio), label
