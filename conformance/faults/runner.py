"""Running the suite once per fault, each run in its own process.

Each run is a child process that activates the fault through the plugin (``--conformance-fault``),
runs ``pytest.main`` on the selection with ``-x`` and records the first failing test; the fault dies
with its process, so it can never reach another run.  Where the platform has it, children are forked
from a server process that has imported torch, the kit and pytest once (multiprocessing's
``forkserver``), so a run costs its tests rather than an interpreter start; elsewhere each child is a
fresh interpreter (``spawn``).  Runs skip Hypothesis's shrinking: the examples drawn are the same, and
whether a test fails, and which one first, does not depend on it.
"""
from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import os
import pickle
import shlex
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from hypothesis import Phase, settings

import conformance.plugin  # noqa: F401 - imported once in the fork server, not once per run
from conformance.plugin.profiles import CI
from conformance.suite import own_paths, suite_args

BASE_ARGS = ["-x", "-q", "-p", "no:cacheprovider"]
PROFILE_ARGS = ["--hypothesis-profile", CI]


def pytest_args(selection: list[str], extra: list[str] = ()) -> list[str]:
    """The arguments of one run: the selection, ``-x``, no cache, the ``ci`` profile unless ``extra`` names one.

    The shipped suite (a selection such as ``cases/test_vjp.py``, or none: all of it) runs with the kit's
    settings wherever the kit is installed (``suite_args``); test files of one's own run as they are."""
    extra = list(extra)
    profile = [] if any(a.startswith("--hypothesis-profile") for a in extra) else PROFILE_ARGS
    args = list(selection) + BASE_ARGS + profile + extra
    return args if own_paths(args) else suite_args(args)


@dataclass
class Outcome:
    """The result of one run: ``killed`` (a test failed: ``test`` is the first), ``survived`` (tests ran,
    none failed), ``error`` (the run itself broke: a usage error, a selection that collected no test or
    whose tests were all skipped, a crash) or ``timeout``."""

    fault: str | None
    args: list[str]
    status: str
    test: str | None = None
    message: str = ""
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    log: str = ""

    @property
    def passed(self) -> bool:
        """Tests ran and none failed (a run without a fault must end so)."""
        return self.status == "survived"

    def describe(self) -> str:
        what = f"fault {self.fault}" if self.fault else "no fault"
        counts = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items())) or "no tests"
        by = f" by {self.test}" if self.test else ""
        head = f"{what}: {self.status}{by} ({counts}; {self.seconds:.1f} s)"
        lines = [head, "  pytest " + shlex.join(self.args)]
        if self.message:
            lines.append("  " + self.message)
        if self.status in ("error", "timeout") and self.log:
            lines.append("  output (tail):\n" + self.log[-3000:])
        return "\n".join(lines)


class _Recorder:
    """Pytest plugin object inside a run: outcome counts and the first failing test."""

    def __init__(self):
        self.first, self.message, self.counts = None, "", Counter()

    def _fail(self, report) -> None:
        if self.first is None:
            self.first = report.nodeid
            errors = [ln[1:].strip() for ln in report.longreprtext.splitlines() if ln.startswith("E ")]
            lines = errors or report.longreprtext.strip().splitlines()[-1:] or [""]
            self.message = lines[0][:300]

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config):
        """No shrinking after a failure: the run asks only whether a test fails, and which one first (the
        examples drawn are the same; the profile keeps its name)."""
        name = settings.get_current_profile_name()
        phases = [p for p in settings.default.phases if p not in (Phase.shrink, Phase.explain)]
        settings.register_profile(name, parent=settings.default, phases=phases)
        settings.load_profile(name)

    def pytest_collectreport(self, report):
        if report.failed:
            self.counts["collection errors"] += 1
            self._fail(report)

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.counts["failed"] += 1
            self._fail(report)
        elif report.when == "call" or (report.when == "setup" and report.skipped):
            self.counts["xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome] += 1


def _child(root: str, args: list[str], fault: str | None, result_path: str, log_path: str) -> None:
    """A run's process: output to ``log_path``, the fault from the plugin option, the result as JSON."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    inherited = ("PYTEST_CURRENT_TEST", "CONFORMANCE_FAULT")  # from a parent pytest run (an xdist worker...)
    for key in [k for k in os.environ if k.startswith("PYTEST_XDIST") or k in inherited]:
        del os.environ[key]
    if fault:
        os.environ["CONFORMANCE_FAULT"] = fault  # xdist workers of this run inherit it
        args = [*args, "--conformance-fault", fault]
    os.chdir(root)
    torch.set_num_threads(1)  # small tensors; a forked OpenMP pool must not be reused
    recorder = _Recorder()
    try:
        rc = int(pytest.main(args, plugins=[recorder]))
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    Path(result_path).write_text(json.dumps({"rc": rc, "test": recorder.first, "message": recorder.message,
                                             "counts": dict(recorder.counts)}))


def _call(fn, args: tuple, result_path: str) -> None:
    Path(result_path).write_bytes(pickle.dumps(fn(*args)))


def _context():
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


def _outcome(fault, args, result_path: Path, log_path: Path, seconds: float, exitcode) -> Outcome:
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    if not result_path.exists():
        return Outcome(fault, args, "error", message=f"the run's process ended with exit code {exitcode}",
                       seconds=seconds, log=log[-6000:])
    data = json.loads(result_path.read_text())
    rc, counts = data["rc"], data["counts"]
    code = f"pytest exit code {rc} ({pytest.ExitCode(rc).name})"
    if rc == pytest.ExitCode.TESTS_FAILED and data["test"]:
        status = "killed"
    elif not any(n for k, n in counts.items() if k != "skipped"):  # nothing ran: never a fault that survived
        status = "error"
        said = [ln.removeprefix("ERROR: ").strip() for ln in log.splitlines() if ln.startswith("ERROR: ")]
        data["message"] = (f"the selection ran no test: all {counts['skipped']} it collected were skipped"
                           if counts.get("skipped") else
                           f"the selection collected no test ({code}{': ' + said[-1] if said else ''})")
    elif rc == pytest.ExitCode.OK:
        status = "survived"
    else:
        status = "error"
        data["message"] = data["message"] or code
    return Outcome(fault, args, status, data["test"], data["message"], counts, seconds, log[-6000:])


class Runner:
    """Runs selections, each with or without a fault, in child processes (``jobs`` at a time)."""

    def __init__(self, root: str | Path | None = None, jobs: int = 1, timeout: float = 600.0):
        """``root``: the directory each run starts in (default: the current one)."""
        self.root, self.jobs, self.timeout = str(root or Path.cwd()), max(1, jobs), timeout
        self._ctx = _context()

    def run(self, runs: list[tuple[str | None, list[str]]], progress=None) -> list[Outcome]:
        """``runs``: (fault name or None, pytest arguments); ``progress(outcome)`` is called as each ends."""
        outcomes: list[Outcome | None] = [None] * len(runs)
        with tempfile.TemporaryDirectory(prefix="conformance-faults-") as tmp:
            pending, active = list(enumerate(runs)), {}
            while pending or active:
                while pending and len(active) < self.jobs:
                    i, (fault, args) = pending.pop(0)
                    paths = (Path(tmp) / f"{i}.json", Path(tmp) / f"{i}.log")
                    proc = self._ctx.Process(target=_child, args=(self.root, list(args), fault, *map(str, paths)))
                    proc.start()
                    active[proc.sentinel] = (i, fault, list(args), proc, time.monotonic(), paths)
                multiprocessing.connection.wait(list(active), timeout=1.0)
                for sentinel, (i, fault, args, proc, start, paths) in list(active.items()):
                    late = time.monotonic() - start > self.timeout
                    if proc.is_alive() and not late:
                        continue
                    if late and proc.is_alive():
                        proc.terminate()
                    proc.join()
                    del active[sentinel]
                    seconds = time.monotonic() - start
                    out = (Outcome(fault, args, "timeout", message=f"no result within {self.timeout:g} s",
                                   seconds=seconds, log=paths[1].read_text(errors="replace")[-6000:])
                           if late else _outcome(fault, args, *paths, seconds, proc.exitcode))
                    outcomes[i] = out
                    if progress:
                        progress(out)
        return outcomes

    def call(self, fn, *args):
        """``fn(*args)`` (a module-level function, picklable result) in a child process of its own."""
        with tempfile.TemporaryDirectory(prefix="conformance-faults-") as tmp:
            path = Path(tmp) / "result.pickle"
            proc = self._ctx.Process(target=_call, args=(fn, args, str(path)))
            proc.start()
            proc.join(self.timeout)
            if proc.is_alive():
                proc.terminate()
                proc.join()
            if not path.exists():
                raise RuntimeError(f"{fn.__name__}{args!r} gave no result (exit code {proc.exitcode})")
            return pickle.loads(path.read_bytes())
