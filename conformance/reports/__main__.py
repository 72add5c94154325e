"""``python -m conformance.reports``: merge reports into a conformance matrix, or diff two reports.

    python -m conformance.reports merge A.json B.json ...            # Markdown matrix on stdout
    python -m conformance.reports merge A.json B.json --markdown M.md --html M.html [--full] [--force]
    python -m conformance.reports diff OLD.json NEW.json [--factor 4] [--floor 0.05] [--markdown]
    python -m conformance.reports diff OLD.json NEW.json --fail-on-missing

Reports are written by ``pytest --conformance-report PATH``.  ``merge`` prints (or writes with
``--markdown``) the per-property counts and the functions that fail or differ between columns (every
function with ``--full``), and writes one self-contained HTML page with ``--html``; an existing output
file is overwritten only with ``--force``.  ``diff`` prints what started failing, what got fixed, whose
error ratio moved by more than ``--factor`` and which tests appear in one report only.

Exit status: 0 success (``diff``: no regression); 1 ``diff`` found a regression (a test newly failing, an
error ratio grown by more than the factor, with ``--fail-on-missing`` a test gone from NEW); 2 bad input
or output, stated in one line ``error: FILE: what is wrong``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.reports import ReportError, load
from conformance.reports.diff import compare, render
from conformance.reports.matrix import Matrix, markdown, sources
from conformance.reports.page import page


class OutputError(Exception):
    """An output file that may not or cannot be written."""


def factor(text: str) -> float:
    """A ``--factor``: a number above 1."""
    if not float(text) > 1:
        raise argparse.ArgumentTypeError(f"must be a number above 1, not {text}")
    return float(text)


def floor(text: str) -> float:
    """A ``--floor``: a number at least 0."""
    if not float(text) >= 0:
        raise argparse.ArgumentTypeError(f"must be a number at least 0, not {text}")
    return float(text)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m conformance.reports", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="{merge,diff}")
    m = sub.add_parser("merge", help="merge reports into a conformance matrix (Markdown, HTML)")
    m.add_argument("reports", nargs="+", metavar="REPORT.json")
    m.add_argument("--markdown", metavar="OUT.md", help="write the Markdown here instead of stdout")
    m.add_argument("--html", metavar="OUT.html", help="write the self-contained HTML page here")
    m.add_argument("--full", action="store_true", help="add the table of every function to the Markdown")
    m.add_argument("--force", action="store_true", help="overwrite existing output files")
    m.set_defaults(run=_merge)
    d = sub.add_parser("diff", help="compare two reports test by test; exit 1 on a regression")
    d.add_argument("old", metavar="OLD.json")
    d.add_argument("new", metavar="NEW.json")
    d.add_argument("--factor", type=factor, default=4.0, help="report error ratios that moved by more than this "
                                                             "factor (default 4)")
    d.add_argument("--floor", type=floor, default=0.05, help="ignore ratio moves where both ratios are below "
                                                             "this (default 0.05)")
    d.add_argument("--markdown", action="store_true", help="print Markdown tables")
    d.add_argument("--fail-on-missing", action="store_true", help="a test in OLD only is a regression")
    d.set_defaults(run=_diff)
    return p


def _writable(paths: list[str | None], force: bool) -> list[Path]:
    """The output paths given, each checked: not an existing file unless ``force``, never a directory."""
    out = [Path(p) for p in paths if p]
    for path in out:
        if path.is_dir():
            raise OutputError(f"{path}: is a directory, not an output file")
        if path.exists() and not force:
            raise OutputError(f"{path}: output file exists; pass --force to overwrite it")
    return out


def _write(path: Path, text: str, force: bool) -> None:
    try:
        with open(path, "w" if force else "x", encoding="utf-8") as f:
            f.write(text)
    except FileExistsError:
        raise OutputError(f"{path}: output file exists; pass --force to overwrite it") from None
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror}") from None


def _merge(args) -> int:
    _writable([args.markdown, args.html], args.force)
    matrix = Matrix(sources(args.reports))
    text = markdown(matrix, full=args.full)
    if args.markdown:
        _write(Path(args.markdown), text, args.force)
    else:
        print(text, end="")
    if args.html:
        _write(Path(args.html), page(matrix), args.force)
    written = [p for p in (args.markdown, args.html) if p]
    if written:
        print(f"merged {len(matrix.sources)} report(s): {len(matrix.rows)} functions, {matrix.failing_cells()} "
              f"failing cell(s); wrote {', '.join(written)}", file=sys.stderr)
    return 0


def _diff(args) -> int:
    diff = compare(load(args.old), load(args.new), factor=args.factor, floor=args.floor)
    print(render(diff, args.old, args.new, markdown=args.markdown, fail_on_missing=args.fail_on_missing))
    return 1 if diff.regressions(args.fail_on_missing) else 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; bad input or output is one ``error: ...`` line on stderr and status 2, no traceback."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (ReportError, OutputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    for stream in (sys.stdout, sys.stderr):
        getattr(stream, "reconfigure", lambda **_: None)(errors="replace")
    sys.exit(main())
