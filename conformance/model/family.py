"""Shape families: how the input-space properties may vary an entry's shapes, layouts and sizes.

An entry declares its family once (``entry(..., family=...)`` or ``declare`` over a module's entries);
its spec must then hold at every shape the family draws, which the kit's tests check structurally
(``conformance.space.family``).

``elementwise``: every output element depends only on the inputs at the same broadcast position, so
any broadcastable shapes, layouts and sizes are valid and the derivative is one scalar expression.

``resizable``: every dimension size may be redrawn, equal declared sizes together (reductions, matmul,
convolutions, normalizations, linear algebra, losses...): the kit's tests check the spec against
torch's forward at redrawn sizes (``conformance.space.resize``).
"""
from __future__ import annotations

from dataclasses import replace

from conformance.model.error import CatalogueError

FAMILIES = {
    "elementwise": "each output element depends only on the inputs at its broadcast position",
    "resizable": "every dimension size may be redrawn (equal declared sizes together) and the spec still holds",
}


def declare(entries: list, family: str, but: tuple[str, ...] = (), only: tuple[str, ...] | None = None) -> list:
    """``entries`` with ``family`` declared on each (or on those named in ``only``), except those in ``but``;
    an entry that already declares a family keeps it."""
    names = {c.name for c in entries}
    unknown = sorted((set(but) | set(only or ())) - names)
    if unknown:
        raise CatalogueError(f"family {family!r}: {unknown} name no entry of this module")
    chosen = names - set(but) if only is None else set(only) - set(but)
    return [replace(c, family=family) if c.name in chosen and c.family is None else c for c in entries]


def untraced(entries: list, why: str, names: tuple[str, ...]) -> list:
    """``entries`` with the large-size property declared unmodelled for ``names``, whose specs the tape oracle
    cannot trace (``conformance.exact.tape``), with the reason."""
    unknown = sorted(set(names) - {c.name for c in entries})
    if unknown:
        raise CatalogueError(f"untraced: {unknown} name no entry of this module")
    return [replace(c, unmodelled={**c.unmodelled, "large": why}) if c.name in names else c for c in entries]
