"""``python -m conformance expectations``: the kit's expectation ledger, every item of the shipped suite whose
expectation is other than "it passes", one line per (entry or conventions row, property, dtype[, compile
backend]).

    python -m conformance expectations                             # the whole ledger, for the installed torch
    python -m conformance expectations --op sin --kind deviation,contract
    python -m conformance expectations --torch 2.14 --format json  # as it holds for torch 2.14
    python -m conformance expectations --by declaration            # one line per declared Expectation

Each line is the Status the kit's plugin decides for the item at collection (``conformance.tools.ledger``:
a collection-only run of the shipped suite, every dtype, every mode on every entry, both torch.compile
backends): its kind (``conformance.model.status``), where it shows (``when``: the condition over the drawn example
that holds exactly where it shows; else at every draw), its envelope,
symptom or widening factor, its ``since``/``until``, the reason (shortened in text and Markdown, whole in
JSON) and where it is declared (catalogue module, line and field of the entry, with the shared declaration
of ``catalogue/limits`` it uses; a conventions row; the per-version file's line; the device).  Filters
are repeatable or comma-separated; an unknown value is a one-line usage error (exit 2).

``--by declaration`` lists each declared Expectation instead (``conformance.tools.declarations``): its typed
selector (entry or row, property or feature, dtype, device, backend, torch range), kind, where it is declared and
how many collected items it covers.  A declaration that covers no item of an unnarrowed collection (a typo'd key, a
renamed property, a stale per-version line) is an error in either view (exit 1, each named).
"""
from __future__ import annotations

import argparse
import difflib
import fnmatch
import json
import re
import sys
from dataclasses import asdict
from functools import lru_cache

from conformance.model.dtypes import NAMES as DTYPES
from conformance.model.status import EXPECTED_FAILURES, KINDS
from conformance.reports.tables import table

FORMATS = ("text", "markdown", "json")
VIEWS = ("item", "declaration")
BACKENDS = ("aot_eager", "inductor")  # the torch.compile backends the ledger collects
REASON = 90  # characters of a reason in text and Markdown
HEADER = ["kind", "entry", "property", "dtype", "backend", "shows", "bound", "versions", "declared", "reason"]


class UsageError(ValueError):
    """A bad option value; the message names the option, the value and the known ones."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, as the kit's other usage errors
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m conformance expectations", description=__doc__.split("\n\n")[0].replace("``", ""))
    p.add_argument("--torch", metavar="X.Y", help="the torch release the ledger holds for (default: the installed "
                   "one): until/since, removed_since and its per-version file evaluated for it; absent calls "
                   "and the device's dtypes stay the installed torch's")
    for name, metavar, what in (
            ("kind", "KIND", f"Status kinds ({', '.join(KINDS)})"), ("dtype", "NAME", f"dtypes ({', '.join(DTYPES)})"),
            ("op", "PATTERN", "catalogue entries or conventions rows, by name or glob pattern"),
            ("property", "NAME", "properties: test functions (test_vjp; the test_ may be left out)"),
            ("backend", "NAME", f"torch.compile backends ({', '.join(BACKENDS)})")):
        p.add_argument(f"--{name}", action="append", default=[], metavar=metavar,
                       help=f"only these {what}; repeatable or comma-separated")
    p.add_argument("--format", default="text", help=f"{', '.join(FORMATS)} (default text; json: whole reasons)")
    p.add_argument("--by", default="item", help="item: one line per item (default); declaration: one line per "
                   "declared Expectation, with its selector and the number of items it covers")
    return p


def _values(raw: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for item in raw for v in item.split(",") if v.strip()))


def _known(option: str, values: list[str], known, alias=lambda v: v) -> list[str]:
    """``values`` as known ones (``alias``: another spelling of a known value); else a usage error naming them."""
    unknown = [v for v in values if v not in known and alias(v) not in known]
    if unknown:
        raise UsageError(f"{option}: unknown {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return [v if v in known else alias(v) for v in values]


@lru_cache(maxsize=None)
def properties() -> dict[str, tuple[str, tuple[str, ...]]]:
    """The shipped suite's test functions: name -> (its test id prefix ``cases/test_x.py``, its arguments)."""
    from conformance.suite import suite_root
    root = suite_root()
    out = {}
    for path in sorted((root / "cases").glob("test_*.py")):
        for m in re.finditer(r"^(?:async )?def (test_\w+)\(([^)]*)\)", path.read_text(encoding="utf-8"), re.M):
            args = tuple(a.split(":")[0].split("=")[0].strip() for a in m.group(2).split(",") if a.strip())
            out[m.group(1)] = (path.relative_to(root).as_posix(), args)
    return out


def _subjects() -> tuple[list[str], list[str]]:
    from conformance.catalogue import CATALOGUE
    from conformance.catalogue.conventions import TABLE
    return list(CATALOGUE), [r.id for r in TABLE]


def _check_ops(patterns: list[str]) -> tuple[list[str], list[str]]:
    """The patterns matching catalogue entries and those matching conventions rows; one matching neither is a
    usage error naming its closest names and where the names are listed."""
    entries, rows = _subjects()
    for p in patterns:
        if not fnmatch.filter(entries, p) and not fnmatch.filter(rows, p):
            close = difflib.get_close_matches(p, entries + rows, n=6, cutoff=0.6)
            raise UsageError(f"--op: no catalogue entry or conventions row matches {p!r}"
                             + (f"; closest: {', '.join(close)}" if close else "")
                             + "; known: the entries of python -m conformance coverage --list, the rows of "
                               "docs/conventions.md")
    return [p for p in patterns if fnmatch.filter(entries, p)], [p for p in patterns if fnmatch.filter(rows, p)]


def _release(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d+\.\d+", value):
        raise UsageError(f"--torch: {value!r} is not a torch release X.Y (2.14)")
    return value


def narrowing(dtypes, ops_entries, ops_rows, props) -> list[str]:
    """pytest arguments that collect only the items the filters can show (a line's item is decided the same
    in a narrower collection: each item's Status is its own)."""
    args = ["--dtype", ",".join(dtypes)] if dtypes else []
    functions = properties()
    wanted = props or list(functions)
    if ops_entries or ops_rows:  # the properties taking what the patterns name (entries: case, rows: row)
        subject = {"case"} if ops_entries else set()
        subject |= {"row"} if ops_rows else set()
        wanted = [p for p in wanted if subject & set(functions[p][1])] or wanted
        # --op narrows the conventions rows to those of the selected entries' functions: a pattern naming a row
        # collects every row, and the filters keep the named ones
        args += ["--op", ",".join(ops_entries)] if ops_entries and not ops_rows else []
    return args + ([f"{functions[p][0]}::{p}" for p in wanted] if len(wanted) < len(functions) else [])


def select(lines, kinds=(), dtypes=(), ops=(), props=(), backends=()) -> list:
    """The lines the filters keep, by kind, entry or row, property, dtype and backend."""
    kept = [ln for ln in lines if (not kinds or ln.kind in kinds) and (not dtypes or ln.dtype in dtypes)
            and (not ops or (ln.subject and any(fnmatch.fnmatchcase(ln.subject, p) for p in ops)))
            and (not props or ln.property in props) and (not backends or ln.backend in backends)]
    return sorted(kept, key=lambda ln: (KINDS.index(ln.kind), ln.subject or "", ln.property,
                                        DTYPES.index(ln.dtype) if ln.dtype in DTYPES else -1, ln.backend or ""))


def short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1].rsplit(" ", 1)[0] + " …"


def strictness(line) -> str:
    """Where an expected failure shows (every one is strict): at every draw, or where its condition holds."""
    if line.kind not in EXPECTED_FAILURES:
        return "-"
    return f"when {line.condition}" if line.condition else "every draw"


def bound(line) -> str:
    parts = [f"envelope {line.envelope:.3g}"] if line.envelope is not None else []
    parts += [f"symptom {short(s, 40)!r}" for s in line.symptom]
    parts += [f"×{line.widen:g}"] if line.widen != 1 else []
    parts += [f"accuracy {line.accuracy:g}"] if getattr(line, "accuracy", 0) else []
    return "; ".join(parts) or "-"


def versions(line) -> str:
    return ", ".join([f"since {line.since}"] * bool(line.since) + [f"until {line.until}"] * bool(line.until)) or "-"


def row(line) -> list[str]:
    return [line.kind, line.subject or "-", line.property, line.dtype or "-", line.backend or "-", strictness(line),
            bound(line), versions(line), line.declared, short(line.reason, REASON)]


def counts(lines) -> dict[str, int]:
    return {k: n for k in KINDS if (n := sum(ln.kind == k for ln in lines))}


def header(ledger, lines) -> list[str]:
    by_kind = ", ".join(f"{n} {k}" for k, n in counts(lines).items())
    return [f"expectation ledger for torch {ledger.torch} ({ledger.note}), device {ledger.device}, per-version file "
            f"{ledger.deviations_file or 'none'}",
            f"{len(lines)} item{'s' * (len(lines) != 1)} expected other than a pass"
            + (f": {by_kind}" if lines else "")]


def render(ledger, lines, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"torch": ledger.torch, "installed": ledger.installed, "note": ledger.note,
                           "device": ledger.device, "deviations_file": ledger.deviations_file,
                           "counts": counts(lines), "lines": [asdict(ln) | {"declared": ln.declared} for ln in lines]},
                          indent=1)
    head = header(ledger, lines)
    if not lines:
        return "\n".join(head)
    if fmt == "markdown":
        return "\n\n".join(head + [table([row(ln) for ln in lines], HEADER, markdown=True)])
    return "\n".join(head + ["", table([row(ln) for ln in lines], HEADER)])


def render_declared(ledger, declared, fmt: str) -> str:
    """The declarations view: one row per Expectation."""
    from conformance.tools.declarations import HEADER as COLUMNS
    from conformance.tools.declarations import rows
    head = [f"expectation declarations for torch {ledger.torch} ({ledger.note}), device {ledger.device}, per-version "
            f"file {ledger.deviations_file or 'none'}",
            f"{len(declared)} declaration{'s' * (len(declared) != 1)} covering "
            f"{sum(d.items for d in declared)} collected items"]
    if fmt == "json":
        return json.dumps({"torch": ledger.torch, "installed": ledger.installed, "note": ledger.note,
                           "device": ledger.device, "deviations_file": ledger.deviations_file,
                           "declarations": [d.columns() for d in declared]}, indent=1)
    if not declared:
        return "\n".join(head)
    body = table(rows(declared, lambda r: short(r, REASON)), COLUMNS, markdown=fmt == "markdown")
    return "\n\n".join([*head, body]) if fmt == "markdown" else "\n".join([*head, "", body])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        _parser().print_help()
        return 0
    try:
        args = _parser().parse_args(argv)
        fmt = _known("--format", [args.format], FORMATS)[0]
        kinds = _known("--kind", _values(args.kind), KINDS)
        dtypes = _known("--dtype", _values(args.dtype), DTYPES)
        props = _known("--property", _values(args.property), sorted(properties()), lambda p: f"test_{p}")
        backends = _known("--backend", _values(args.backend), BACKENDS)
        view = _known("--by", [args.by], VIEWS)[0]
        ops = _values(args.op)
        ops_entries, ops_rows = _check_ops(ops) if ops else ([], [])
        release = _release(args.torch)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from conformance.tools import declarations
    from conformance.tools.ledger import collect
    narrowed = narrowing(dtypes, ops_entries, ops_rows, props)
    try:
        ledger = collect(release, narrowed)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if view == "declaration":
        shown = declarations.select(ledger.declared, kinds, dtypes, ops, props, backends)
        print(render_declared(ledger, [d for d in shown if d.items or not narrowed], fmt))
    else:
        print(render(ledger, select(ledger.lines, kinds, dtypes, ops, props, backends), fmt))
    stale = [] if narrowed else declarations.stale(ledger.declared)
    if stale:
        print(f"error: {len(stale)} declared expectation{'s' * (len(stale) != 1)} cover no collected item (a typo'd "
              f"or stale declaration): " + "; ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
