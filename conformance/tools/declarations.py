"""The ledger by declaration (``python -m conformance expectations --by declaration``): each Expectation in force
(``conformance.model.expectation``: a catalogue entry's keys and ``removed_since``, a conventions row's deviation,
a per-version file's line) with its typed selector's columns, its kind, where it is declared (file:line and field)
and how many collected items its selector covers.

A declaration whose selector covers no item of an unnarrowed collection (on any torch release: its own range is a
column) is stale, a typo'd key or a property, entry or test id that no longer exists: ``stale`` names each, and
``python -m conformance expectations`` fails on them.
"""
from __future__ import annotations

import fnmatch
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from conformance.model.expectation import Expectation
from conformance.model.status import KINDS

_KIT = Path(__file__).resolve().parents[2]  # the folder holding the conformance package

HEADER = ["kind", "entry", "property/feature", "dtype", "device", "backend", "torch", "items", "declared", "reason"]


@dataclass(frozen=True)
class Declared:
    """One Expectation and the number of collected items its selector covers."""
    expectation: Expectation
    items: int
    declared: str  # file:line and field

    def columns(self) -> dict[str, str]:
        e = self.expectation
        return {"kind": e.kind, **e.selector.columns(), "items": str(self.items), "declared": self.declared,
                "reason": e.reason}


def in_force(ledger_config) -> list[Expectation]:
    """Every Expectation of the suite: the catalogue's, the conventions table's, and the per-version file's lines
    (of ``ledger_config``'s collection)."""
    from conformance.catalogue import CATALOGUE
    from conformance.catalogue.conventions import TABLE
    _, lines = ledger_config._conformance_deviations
    return ([e for case in CATALOGUE.values() for e in case.expectations]
            + [e for row in TABLE for e in row.expectations] + [line.expectation() for line in lines])


def relative(path) -> str:
    """A path under the kit's folder as ``conformance/...``; another one as given."""
    path = Path(path).resolve()
    return path.relative_to(_KIT).as_posix() if path.is_relative_to(_KIT) else str(path)


def count(expectations, facts) -> list[Declared]:
    """Each expectation with the number of ``facts`` (the collected items) its selector covers, on any release."""
    by_subject, ids = defaultdict(list), set()
    for f in facts:
        by_subject[f.entry].append(f)
        ids.add(f.test_id)
    out = []
    for e in expectations:
        s = e.selector
        items = (int(s.test_id in ids) if s.test_id is not None
                 else sum(s.matches(f, version=False) for f in by_subject.get(s.entry, ())))
        path, _, line = (e.where or "").rpartition(":")
        where = f"{relative(path)}:{line}" if path else ""
        out.append(Declared(e, items, f"{where} {e.field}".strip()))
    return out


def stale(declared: list[Declared]) -> list[str]:
    """The declarations covering no collected item, each as ``where field (entry): why``.  One Status an entry
    declares over a list of properties (``limits.in_properties(limits.REVERSE, ...)``) is one declaration: stale
    when none of its keys covers an item (a key of the list naming a property the entry does not run shows
    ``items`` 0 in the view)."""
    covered = defaultdict(int)
    for d in declared:
        covered[_group(d)] += d.items
    return [f"{d.declared} ({d.expectation.selector.entry or d.expectation.selector.test_id}) covers no collected item"
            for d in declared if covered[_group(d)] == 0]


def _group(d: Declared) -> tuple:
    e = d.expectation
    return (e.selector.entry, e.where, e.field.split("[")[0], e.status) if e.selector.property else (id(e),)


def select(declared: list[Declared], kinds=(), dtypes=(), ops=(), props=(), backends=()) -> list[Declared]:
    """The declarations the filters keep: their kind, entry or row (a pattern), and the dtype, property and backend
    their selector names (one naming none, any, is kept)."""
    def keep(d: Declared) -> bool:
        s = d.expectation.selector
        return ((not kinds or d.expectation.kind in kinds)
                and (not ops or (s.entry and any(fnmatch.fnmatchcase(s.entry, p) for p in ops)))
                and (not dtypes or s.dtype is None or s.dtype in dtypes)
                and (not props or s.property is None or s.property in props)
                and (not backends or s.compile_backend is None or s.compile_backend in backends))
    kept = [d for d in declared if keep(d)]
    return sorted(kept, key=lambda d: (KINDS.index(d.expectation.kind), d.expectation.selector.entry or "",
                                       d.declared))


def rows(declared: list[Declared], short) -> list[list[str]]:
    return [[*list(d.columns().values())[:-1], short(d.expectation.reason)] for d in declared]
