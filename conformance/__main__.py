"""``python -m conformance`` (or ``autograd-conformance``): the kit's one command line.

    python -m conformance run [PYTEST ARGS]      # the whole conformance suite against the installed torch
    python -m conformance quick [PYTEST ARGS]    # every entry once: weighted backward and accumulation
    python -m conformance coverage [--list]      # the catalogue against torch's differentiable ops
    python -m conformance soak ...               # repeated random runs (python -m conformance soak --help)
    python -m conformance reports merge|diff ... # JSON reports: the version matrix, regressions
    python -m conformance faults ...             # injected faults the suite must kill
    python -m conformance bugreport REPORT.json [ITEM_ID ...]  # a failed item as a bug report for PyTorch
    python -m conformance expectations ...       # the expectation ledger: each item expected other than a pass

``run`` and ``quick`` need no checkout: they collect the properties shipped in the package
(``conformance.cases``) with the kit's own pytest settings, and take every pytest and kit option
(``--device``, ``--dtype``, ``--op``, ``--hypothesis-profile``, ``--conformance-report``, ``-n 2``...).
"""
from __future__ import annotations

import sys

TOOLS = {"coverage": "conformance.tools.coverage", "soak": "conformance.tools.soak",
         "reports": "conformance.reports.__main__", "faults": "conformance.faults.__main__",
         "bugreport": "conformance.tools.bugreport", "expectations": "conformance.tools.expectations"}
USAGE = __doc__.split("\n\n")[1]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command in ("run", "quick"):
        import pytest
        profile = ["--hypothesis-profile", "quick"] if command == "quick" else []
        from conformance.suite import suite_args
        return int(pytest.main(suite_args(profile + rest)))
    if command in TOOLS:
        import importlib
        return int(importlib.import_module(TOOLS[command]).main(rest) or 0)
    print(f"error: unknown command {command!r}; known: run, quick, {', '.join(TOOLS)}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
