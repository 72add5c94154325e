"""Shape families: how the input-space properties may vary an entry's shapes, layouts and sizes.

An entry declares its family once (``entry(..., family=...)`` or ``declare`` over a module's entries);
its spec must then hold at every shape the family draws, which the kit's tests check structurally
(``conformance.space.family``).

``elementwise``: every output element depends only on the inputs at the same broadcast position, so
any broadcastable shapes, layouts and sizes are valid and the derivative is one scalar expression.
"""
from __future__ import annotations

from dataclasses import replace

FAMILIES = {
    "elementwise": "each output element depends only on the inputs at its broadcast position",
}


def declare(entries: list, family: str, but: tuple[str, ...] = ()) -> list:
    """``entries`` with ``family`` declared on each, except the entries named in ``but``."""
    from conformance.model.case import CatalogueError
    names = {c.name for c in entries}
    unknown = sorted(set(but) - names)
    if unknown:
        raise CatalogueError(f"family {family!r}: exceptions {unknown} name no entry of this module")
    return [c if c.name in but else replace(c, family=family) for c in entries]
