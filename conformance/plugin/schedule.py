"""pytest-xdist scheduling that keeps every item of one catalogue entry on one worker.

An entry's oracle (sympy Jacobian and error bound, compiled by ``lambdify``) is built once per
process; with xdist's plain ``load`` scheduling every worker would build nearly every oracle.
Grouping items by entry builds each oracle once.  Items that name no entry are their own group,
so they spread as under ``load``.  Used for ``--dist load`` (xdist's default with ``-n``) only.
"""
from __future__ import annotations

import re

from xdist.scheduler import LoadScopeScheduling

from conformance.catalogue import CATALOGUE

_PARAMS = re.compile(r"\[(.*)\]$")


def entry_of(nodeid: str) -> str | None:
    """The catalogue entry an item's parameters name (``test_vjp[sin-float32]`` -> ``sin``)."""
    match = _PARAMS.search(nodeid)
    if match:
        for part in match.group(1).split("-"):
            if part in CATALOGUE:
                return part
    return None


class EntryScheduling(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        return entry_of(nodeid) or nodeid
