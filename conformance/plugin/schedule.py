"""Scheduling that keeps every item of one catalogue entry on one worker, and in one shard.

An entry's oracle (sympy Jacobian and error bound, compiled by ``lambdify``) is built once per
process; with xdist's plain ``load`` scheduling every worker would build nearly every oracle.
Grouping items by entry builds each oracle once.  Items that name no entry are their own group,
so they spread as under ``load``.  ``EntryScheduling`` serves ``--dist load`` (xdist's default with
``-n``); ``group_for_shards`` orders the items by entry when pytest-split shards the run
(``--splits N --group I``), so that its ``duration_based_chunks`` algorithm, which cuts the
collection order into contiguous chunks, gives each shard whole entries.
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


def group_for_shards(config, items) -> None:
    """Under pytest-split (``--splits``), order the items by entry, stably (items of no entry by id)."""
    if not getattr(config.option, "splits", None):
        return
    items.sort(key=lambda item: entry_of(item.nodeid) or item.nodeid)
