"""The catalogue: one declarative entry per torch function (see ``conformance.model.case.entry``).

Entries live in one module per family; this package collects them into ``CATALOGUE`` (name -> Case)
and refuses duplicates.  To add an op, add an ``entry(...)`` line to the family module it belongs to.
"""
from __future__ import annotations

from conformance.catalogue import (
    activations,
    attention,
    binary,
    composite,
    decompositions,
    elementwise,
    fft,
    layers,
    linalg,
    losses,
    masked,
    reductions,
    resampling,
    shape,
    special,
    variants,
    volumes,
)
from conformance.model.case import Case
from conformance.model.error import CatalogueError

FAMILIES = (elementwise, special, binary, reductions, linalg, shape, activations, losses, layers, resampling, composite,
            fft, decompositions, masked, variants, attention, volumes)


def _collect() -> dict[str, Case]:
    out: dict[str, Case] = {}
    for family in FAMILIES:
        for case in family.ENTRIES:
            if case.name in out:
                raise CatalogueError(f"catalogue entry {case.name!r} is declared twice")
            out[case.name] = case
    return out


CATALOGUE: dict[str, Case] = _collect()


def get(name: str) -> Case:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise CatalogueError(f"unknown catalogue entry {name!r}; known: {', '.join(sorted(CATALOGUE))}") from None
