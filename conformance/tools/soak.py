"""``python -m conformance.tools.soak``: the false-alarm soak, the suite under several random seeds and torch versions.

    python -m conformance.tools.soak --seeds 10                                 # this interpreter, nightly profile
    python -m conformance.tools.soak --seeds 10 --python .tox/py311-torch2.13/bin/python \\
                               --python .tox/py311-torch2.14/bin/python
    python -m conformance.tools.soak --seeds 3 --examples 20 -- cases/test_vjp.py --dtype float32

Each (interpreter, seed) pair is one pytest run in its own process: ``--hypothesis-profile nightly``
(or ``--profile``), ``--hypothesis-seed`` from ``--first-seed`` on, ``-n`` workers, a JUnit XML file
read back for the outcome of every test.  The suite is the one installed with each interpreter's kit
(``python -m conformance run``: no checkout needed; name its files as in a checkout, ``cases/test_vjp.py``);
test files of one's own after ``--`` run with pytest as they are.  The soak prints one row per run and
then every failing test with the runs that failed it; a failure is either a torch deviation (an
expected-failure entry) or a kit defect.  The exit status is 0 when no test failed and no run broke (a
run that ran no test broke).
"""
from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from conformance.plugin.profiles import NIGHTLY
from conformance.reports.tables import table
from conformance.suite import own_paths


@dataclass
class Run:
    """One pytest run: the interpreter, its torch version, the seed, counts per outcome and failures."""

    python: str
    torch: str
    seed: int
    args: list[str]
    returncode: int = 0
    seconds: float = 0.0
    counts: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)  # test id -> first line of its message
    error: str = ""  # the run itself broke (no JUnit file, a usage error)


def _test_id(case: ET.Element) -> str:
    ("""pytest's node id back from a JUnit ``testcase`` (module functions: ``cases.test_vjp`` -> """
     """``cases/test_vjp.py``).""")
    classname, name = case.get("classname", ""), case.get("name", "")
    return f"{classname.replace('.', '/')}.py::{name}" if classname else name


def read_junit(path: Path) -> tuple[Counter, dict[str, str]]:
    """Counts per outcome (passed, failed, error, skipped, xfailed) and the failing tests of a JUnit file."""
    counts: Counter = Counter()
    failures: dict[str, str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        bad = case.find("failure") if case.find("failure") is not None else case.find("error")
        skipped = case.find("skipped")
        if bad is not None:
            counts["failed" if bad.tag == "failure" else "error"] += 1
            message = (bad.get("message") or bad.text or "").strip().splitlines()
            failures[_test_id(case)] = message[0][:300] if message else bad.tag
        elif skipped is not None:
            counts["xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"] += 1
        else:
            counts["passed"] += 1
    return counts, failures


def torch_version(python: str) -> str:
    out = subprocess.run([python, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"--python {python}: cannot import torch ({(out.stderr.strip().splitlines() or ['?'])[-1]})")
    return out.stdout.strip()


def pytest_command(python: str, seed: int, junit: Path, options: argparse.Namespace, extra: list[str]) -> list[str]:
    """The run's command: the interpreter's installed suite (``python -m conformance run``: from any directory,
    all of it or the files named as in a checkout, ``cases/test_vjp.py``), or pytest on test files of one's own."""
    suite = ["pytest", "-p", "conformance.plugin"] if own_paths(extra) else ["conformance", "run"]
    cmd = [python, "-m", *suite, "-q", "-p", "no:cacheprovider", "--hypothesis-profile", options.profile,
           f"--hypothesis-seed={seed}", f"--junitxml={junit}", "-o", "junit_family=xunit1"]
    if options.workers:
        cmd += ["-n", str(options.workers)]
    if options.examples:
        cmd += ["--conformance-examples", str(options.examples)]
    return cmd + list(extra)


def soak_one(python: str, version: str, seed: int, options: argparse.Namespace, extra: list[str]) -> Run:
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        cmd = pytest_command(python, seed, junit, options, extra)
        run = Run(python=python, torch=version, seed=seed, args=cmd[1:])
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=options.timeout)
        except subprocess.TimeoutExpired:
            run.seconds, run.returncode, run.error = (time.perf_counter() - start, -1,
                                                      f"timed out after {options.timeout:.0f} s")
            return run
        run.seconds, run.returncode = time.perf_counter() - start, proc.returncode
        if junit.exists():
            counts, run.failures = read_junit(junit)
            run.counts = dict(counts)
        if not junit.exists() or proc.returncode not in (0, 1):  # 1: tests failed; anything else: the run broke
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
            run.error = f"pytest exited {proc.returncode}: " + " | ".join(tail)
        elif not any(n for k, n in run.counts.items() if k != "skipped"):  # a run that tested nothing broke too
            run.error = f"no test ran: all {run.counts.get('skipped', 0)} collected were skipped"
    return run


def _summary(runs: list[Run]) -> str:
    rows = [[r.torch, str(r.seed),
             *(str(r.counts.get(k, 0)) for k in ("passed", "failed", "error", "xfailed", "skipped")),
             f"{r.seconds:.0f}", r.error[:120] or "-"] for r in runs]
    lines = [table(rows, ["torch", "seed", "passed", "failed", "error", "xfailed", "skipped", "seconds", "run error"])]
    failing: dict[str, list[str]] = {}
    for r in runs:
        for test in r.failures:
            failing.setdefault(test, []).append(f"torch {r.torch} seed {r.seed}")
    if failing:
        lines.append(f"\n{len(failing)} failing test(s):")
        for test, where in sorted(failing.items()):
            first = next(r.failures[test] for r in runs if test in r.failures)
            lines.append(f"  {test}  [{'; '.join(where)}]\n      {first}")
    total = sum(sum(r.counts.values()) for r in runs)
    lines.append(f"\n{len(runs)} run(s), {total} test outcomes, {len(failing)} failing test(s), "
                 f"{sum(bool(r.error) for r in runs)} broken run(s)")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m conformance.tools.soak", description=__doc__.split("\n")[0],
                                epilog="arguments after -- go to every pytest run (paths, --op, --dtype, --device...)")
    p.add_argument("--python", action="append", metavar="PATH",
                   help="interpreter with torch and the kit installed (repeatable; default: this one)")
    p.add_argument("--seeds", type=int, default=10, help="seeds per interpreter (default 10)")
    p.add_argument("--first-seed", type=int, default=1, help="the first seed; the others follow it (default 1)")
    p.add_argument("--profile", default=NIGHTLY, help=f"Hypothesis profile (default {NIGHTLY})")
    p.add_argument("--examples", type=int, help="override the profile's max_examples (--conformance-examples)")
    p.add_argument("-n", "--workers", type=int, default=2, help="pytest-xdist workers per run (0: none; default 2)")
    p.add_argument("--timeout", type=float, default=4 * 3600.0, help="seconds per run (default 14400)")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write every run's outcome to this JSON file")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    options = _parser().parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if options.seeds < 1:
        raise SystemExit("--seeds: must be at least 1")
    if options.json is not None and options.json.exists():
        raise SystemExit(f"--json: {options.json} exists; remove it or name another file")
    pythons = options.python or [sys.executable]
    versions = {py: torch_version(py) for py in pythons}
    runs = []
    for py in pythons:
        for seed in range(options.first_seed, options.first_seed + options.seeds):
            run = soak_one(py, versions[py], seed, options, extra)
            runs.append(run)
            print(f"torch {run.torch} seed {seed}: {dict(sorted(run.counts.items()))} in {run.seconds:.0f} s"
                  + (f"; {len(run.failures)} failing" if run.failures else "")
                  + (f"; {run.error}" if run.error else ""),
                  flush=True)
            for test, message in run.failures.items():
                print(f"  FAILED {test}: {message}", flush=True)
    print("\n" + _summary(runs))
    if options.json is not None:
        options.json.write_text(json.dumps({"command": shlex.join(["python", "-m", "conformance.tools.soak", *argv]),
                                            "runs": [asdict(r) for r in runs]}, indent=1))
    return 0 if not any(r.failures or r.error for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
