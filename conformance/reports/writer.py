"""``--conformance-report PATH``: the JSON report of a run (format in ``conformance.reports``).

Registered by the plugin on the controlling process only: under pytest-xdist the workers' reports,
with their ``user_properties`` (case, dtype, property, worst ratio, examples, repro), reach it.

An item's outcome is decided by its phases as pytest's terminal counts them: a skip in any phase (a mark, a
fixture, or ``pytest.skip`` in the test body, as where torch has no kernel for a dtype) is ``skipped``, a
failure in the call ``failed`` and in setup or teardown ``error``, a call that passed ``passed``.  A test the
run was interrupted in (its setup done, its call never reported) is left out, and the environment says
``"interrupted": true`` when the run stopped before its end (Ctrl-C, SIGTERM, ``-x``/``--maxfail``).
"""
from __future__ import annotations

import datetime
import json
import platform
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import torch
from hypothesis import settings

from conformance import __version__
from conformance.reports import FORMAT, FORMAT_VERSION


def _first_line(text) -> str | None:
    text = str(text or "").strip()
    return text.splitlines()[0][:500] if text else None


def _details(text) -> str | None:
    """A failure's message up to its repro (worst element, exact and got, elements over, inputs), bounded."""
    text = str(text or "").split("\nRepro", 1)[0].strip()
    return text[:4000] if "\n" in text else None


class ReportWriter:
    def __init__(self, config, path: Path):
        self.config, self.path = config, path
        self.items: dict[str, dict] = {}
        self.started, self.t0 = datetime.datetime.now(datetime.timezone.utc), time.perf_counter()
        self.interrupted = False

    def _item(self, report) -> dict:
        if report.nodeid not in self.items:
            props = dict(report.user_properties)
            self.items[report.nodeid] = {
                "id": report.nodeid, "case": props.get("conformance_case"),
                "property": props.get("conformance_property"),
                "dtype": props.get("conformance_dtype"), "device": str(self.config._conformance_device),
                "outcome": None, "worst": None, "worst_at": None, "examples": None, "elements": None,
                "seconds": 0.0,
                "message": None, "details": None, "repro": None}
        return self.items[report.nodeid]

    def pytest_runtest_logreport(self, report):
        item = self._item(report)
        item["seconds"] = round(item["seconds"] + report.duration, 6)
        props = dict(report.user_properties)
        if "conformance_worst" in props:
            item["worst"], item["worst_at"] = float(props["conformance_worst"][0]), props["conformance_worst"][1]
        if "conformance_examples" in props:
            item["examples"] = int(props["conformance_examples"])
        if "conformance_elements" in props:
            checked, blind, claim = props["conformance_elements"]
            item["elements"] = {"checked": int(checked), "not_checkable": int(blind), "meets_claim": int(claim)}
        if hasattr(report, "wasxfail"):
            item["outcome"] = "xpassed" if report.passed else ("xfailed" if report.skipped else "failed")
            item["message"] = _first_line(report.wasxfail)
        elif report.skipped and item["outcome"] in (None, "passed"):  # setup, or pytest.skip in the test body
            item["outcome"] = "skipped"
            item["message"] = _first_line(report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr)
        elif report.failed:
            item["outcome"] = "error" if report.when in ("setup", "teardown") else "failed"  # xdist's crash: "???"
            text = (getattr(report.longrepr, "reprcrash", None) and report.longrepr.reprcrash.message
                    or report.longreprtext)
            item["message"], item["details"] = _first_line(text), _details(text)
            item["repro"] = props.get("conformance_repro")
        elif report.when == "call" and item["outcome"] is None:
            item["outcome"] = "passed"

    def environment(self) -> dict:
        profile = settings.default
        active = getattr(self.config, "_conformance_fault", None)
        return {
            "torch": torch.__version__, "torch_git": getattr(torch.version, "git_version", None),
            "torch_cuda": torch.version.cuda, "torch_debug": bool(torch.version.debug),
            "device": str(self.config._conformance_device), "python": platform.python_version(),
            "platform": platform.platform(), "kit": __version__, "profile": settings.get_current_profile_name(),
            "max_examples": profile.max_examples, "seed": self.config.getoption("hypothesis_seed", default=None),
            "dtypes": list(self.config._conformance_dtypes), "fault": active.fault.name if active else None,
            "started": self.started.isoformat(timespec="seconds"), "seconds": round(time.perf_counter() - self.t0, 3),
            "args": list(self.config.invocation_params.args), "executable": sys.executable, "shard": self._shard(),
            "interrupted": self.interrupted}

    def _shard(self) -> str | None:
        """``I/N`` when pytest-split runs one group of N (``--splits N --group I``), else None."""
        splits = getattr(self.config.option, "splits", None)
        return f"{self.config.option.group}/{splits}" if splits else None

    def pytest_sessionfinish(self, session, exitstatus):
        self.interrupted = (exitstatus == pytest.ExitCode.INTERRUPTED or bool(session.shouldfail)
                            or bool(session.shouldstop))
        items = [i for i in self.items.values() if i["outcome"] is not None]  # not those the stop cut short
        data = {"format": FORMAT, "format_version": FORMAT_VERSION, "environment": self.environment(),
                "counts": dict(Counter(i["outcome"] for i in items)), "items": items}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=0, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path)  # never a half-written report

    def pytest_terminal_summary(self, terminalreporter):
        stopped = " (interrupted: the tests that ran)" if self.interrupted else ""
        terminalreporter.write_sep("-", f"conformance report{stopped}: {self.path}")
