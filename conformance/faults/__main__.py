"""``python -m conformance.faults``: run the suite once per fault and print which test killed each.

    python -m conformance.faults                       # every fault, each on its own target
    python -m conformance.faults --fault 'engine.*' --fault sin.scale-1e-3
    python -m conformance.faults --all -- --op my_entry          # the whole suite, restricted to an entry
    python -m conformance.faults --all -- cases/test_mine.py     # a property file of one's own
    python -m conformance.faults --list                # the catalogue of faults and their targets

Arguments after ``--`` go to every run's pytest (``--device cuda``, ``--dtype float64``...).  Each run
gets ``-x -q -p no:cacheprovider`` and ``--hypothesis-profile ci`` unless another profile is given.  The
targets name the suite's files as in a checkout (``cases/test_vjp.py``); they run from any directory with
the installed kit.  The exit status is 0 when every fault was killed, 1 when one survived, 2 when a run
broke (a usage error, a selection that ran no test, a crash, a timeout).
"""
from __future__ import annotations

import argparse
import sys

from conformance.faults import FAULTS, UnknownFault, select
from conformance.faults.runner import Runner, pytest_args
from conformance.reports.tables import table as _table


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m conformance.faults", description=__doc__.split("\n")[0],
                                epilog="arguments after -- go to pytest")
    p.add_argument("--fault", action="append", metavar="NAME|GLOB", help="faults to run (repeatable; default: all)")
    p.add_argument("--level", choices=("kernel", "engine"), help="only kernel-level or engine-level faults")
    p.add_argument("--all", action="store_true", help="run the whole suite (cases/, or the paths after --) per "
                                                      "fault instead of each fault's target")
    p.add_argument("--baseline", action="store_true", help="first run each selection without a fault: it must pass")
    p.add_argument("--list", action="store_true", help="list the faults, what each does and its target")
    p.add_argument("--markdown", action="store_true", help="print tables as Markdown")
    p.add_argument("--jobs", type=int, default=1, help="runs at a time (default 1)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per run (default 600)")
    p.add_argument("-v", "--verbose", action="store_true", help="print every run's command and first failure")
    return p


def _selection(fault, extra: list[str], suite: bool) -> list[str]:
    """The fault's target, or with ``--all`` the paths after ``--`` (none: the whole suite)."""
    return pytest_args([] if suite else fault.target.args(), extra)


def _result(outcome) -> str:
    if outcome.status == "killed":
        return f"killed by {outcome.test}"
    fault = FAULTS.get(outcome.fault)
    if outcome.status == "survived" and fault is not None and fault.survives:
        return "SURVIVED (known blind spot)"
    return outcome.status.upper() + (f": {outcome.message}" if outcome.status != "survived" else "")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = _parser().parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    try:
        faults = [f for f in select(args.fault) if args.level in (None, f.level)]
    except UnknownFault as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        rows = [[f.name, f.level, f.category, f.what + (f" [survives: {f.survives}]" if f.survives else ""),
                 str(f.target)] for f in faults]
        print(_table(rows, ["fault", "level", "category", "what it does", "target"], args.markdown))
        return 0
    runner = Runner(jobs=args.jobs, timeout=args.timeout)
    if args.baseline:
        selections = list(dict.fromkeys(tuple(_selection(f, extra, args.all)) for f in faults))
        bad = [o for o in runner.run([(None, list(s)) for s in selections]) if not o.passed]
        for o in bad:
            print("baseline (no fault) did not pass: " + o.describe(), file=sys.stderr)
        if bad:
            return 2

    def progress(outcome):
        if args.verbose:
            print(outcome.describe(), flush=True)

    outcomes = runner.run([(f.name, _selection(f, extra, args.all)) for f in faults], progress)
    rows = [[f.name, f.level, f.category, _result(o)] for f, o in zip(faults, outcomes)]
    print(_table(rows, ["fault", "level", "category", "result"], args.markdown))
    killed = sum(o.status == "killed" for o in outcomes)
    broken = [o for o in outcomes if o.status in ("error", "timeout")]
    print(f"\nkilled {killed} of {len(outcomes)} faults ({100.0 * killed / max(1, len(outcomes)):.1f}%)"
          + (f"; {len(broken)} run(s) broke, their faults not measured (below)" if broken else ""))
    for o in broken:
        print("\n" + o.describe(), file=sys.stderr)
    return 2 if broken else 0 if killed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
