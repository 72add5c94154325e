"""Redrawn sizes for entries of the ``resizable`` family: every dimension size redrawn, the spec unchanged.

A resizable entry's call and spec hold at other sizes of its dimensions: equal declared sizes are one
dimension (``mm``'s (2, 3) @ (3, 4) has three: 2, 3 and 4), and each grows by an offset from ``OFFSETS``,
the offsets nondecreasing from the smallest dimension to the largest, so shapes stay consistent across
inputs and no difference of sizes shrinks (a kernel never outgrows its input).  The exact oracle is the
fixed-shape one (every element, 50 digits), compiled once per drawn shape and cached, so sizes stay
small: the drawn shape's total is capped at ``cap(case)`` elements (twice the declared total, at least
``FLOOR``).  Declared sizes of 1 stay 1 (they are broadcast dimensions).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import strategies as st

from conformance.model.case import Arg, Case

OFFSETS = (0, 1, 2, 3, 5)  # simplest first: a failure shrinks toward the declared shape
FLOOR = 24


def dimensions(case: Case) -> list[int]:
    """The entry's dimensions: its distinct declared sizes above 1."""
    return sorted({n for a in case.args for n in a.shape if n > 1})


def total(case: Case) -> int:
    return sum(int(np.prod(a.shape, dtype=np.int64)) for a in case.args)


def cap(case: Case) -> int:
    return max(2 * total(case), FLOOR)


def resized(case: Case, mapping: dict[int, int]) -> Case:
    """The entry with every declared size ``n`` replaced by ``mapping[n]`` (sizes not mapped stay)."""
    return replace(case, args=tuple(Arg(a.name, a.domain.of(*(mapping.get(n, n) for n in a.shape)))
                                    for a in case.args))


@st.composite
def resizings(draw, case: Case) -> dict[int, int]:
    """A new size per dimension, the whole within ``cap(case)`` (the largest offsets cut until it fits)."""
    offsets, floor = [], 0
    for n in dimensions(case):
        floor = max(floor, draw(st.sampled_from(OFFSETS), label=f"offset for {n}"))
        offsets.append(floor)
    mapping = {n: n + d for n, d in zip(dimensions(case), offsets)}
    while total(resized(case, mapping)) > cap(case) and any(mapping[n] > n for n in mapping):
        largest = max(mapping, key=lambda n: (mapping[n] - n, n))
        mapping[largest] -= 1
        for n in mapping:  # keep the offsets nondecreasing toward larger dimensions
            if n < largest and mapping[n] - n > mapping[largest] - largest:
                mapping[n] = n + mapping[largest] - largest
    return mapping


def layouts_for(shape: tuple[int, ...]) -> tuple[str, ...]:
    """The leaf layouts an input of ``shape`` may take (``conformance.run.failure.layout_source``)."""
    return (("contiguous",) + (("strided",) if shape else ()) + (("permuted",) if len(shape) >= 2 else ())
            + (("channels_last",) if len(shape) in (4, 5) and shape[1] > 1 else ()))  # one channel: contiguous
