"""Conformance reports: the JSON a run writes (``--conformance-report PATH``), read back with clear errors.

A report is one JSON object::

    {"format": "autograd-conformance-report", "format_version": 1,
     "environment": {"torch": "2.13.0+cpu", "torch_git": "...", "torch_cuda": null, "device": "cpu",
                     "python": "3.11.7", "platform": "Linux-...", "kit": "0.1.0", "profile": "ci",
                     "max_examples": 8, "seed": null, "dtypes": [...], "fault": null,
                     "started": "2026-11-27T10:00:00+00:00", "seconds": 512.3, "args": [...],
                     "shard": null, "interrupted": false},
     "counts": {"passed": 19045, "failed": 0, ...},
     "items": [{"id": "cases/test_vjp.py::test_vjp[sin-float32]", "case": "sin", "property": "vjp",
                "dtype": "float32", "device": "cpu", "outcome": "passed", "worst": 0.21,
                "worst_at": "sin-float32", "examples": 8,
                "elements": {"checked": 24, "not_checkable": 0, "meets_claim": 24}, "seconds": 0.02,
                "message": null, "details": null, "repro": null}, ...]}

``outcome`` is one of OUTCOMES, as pytest's terminal counts it (``skipped`` also for a ``pytest.skip`` in the
test body, e.g. where torch has no kernel for a dtype; ``counts`` equals the terminal's, but for a test that passes
and then errors in teardown, which the terminal counts twice and the report once, as ``error``); ``interrupted``
is true when the run stopped before its end (Ctrl-C, SIGTERM, ``-x``/``--maxfail``: the items are those that
ran; absent from reports of earlier kit versions); ``worst`` is the largest observed error as a fraction of its
bound (null where the test compares nothing numerically); ``elements`` counts the gradient elements its checks
compared, those *not checkable at this precision* (the bound reaches half the exact value, so a wrong sign or a
factor 2 would pass: ``conformance.tolerance.checkable``) and those where a relative error of the claimed
sensitivity (1e-5 float32, 1e-12 float64) would be caught (null where nothing was compared; absent from reports
of earlier kit versions); ``message`` is the first line of a failure, or the reason of a skip or expected
failure; ``details`` the rest of a failure's message before its repro (the worst element with its exact and got
values, the elements over their bound, the inputs; null otherwise, absent from reports of earlier kit versions);
``repro`` the copy-pasteable snippet of a failure.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

FORMAT = "autograd-conformance-report"
FORMAT_VERSION = 1
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


class ReportError(ValueError):
    """A report file that cannot be used: missing, not JSON, truncated, or not a conformance report."""


def load(path: str | Path) -> dict:
    """The report at ``path``, checked; a ReportError names the file and what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise ReportError(f"{path}: no such report file" if not path.exists() else f"{path}: not a file")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror}") from None
    if not text.strip():
        raise ReportError(f"{path}: empty file, not a conformance report")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string")  # ran into the end
        hint = " (truncated?)" if cut else ""
        raise ReportError(f"{path}: not valid JSON{hint}: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ReportError(f"{path}: not an autograd-conformance report (no \"format\": \"{FORMAT}\" field; "
                          f"write one with pytest --conformance-report PATH)")
    if data.get("format_version") != FORMAT_VERSION:
        raise ReportError(f"{path}: report format version {data.get('format_version')!r}; this kit reads "
                          f"version {FORMAT_VERSION}")
    for key, kind in (("environment", dict), ("items", list), ("counts", dict)):
        if not isinstance(data.get(key), kind):
            raise ReportError(f"{path}: field {key!r} missing or not a JSON {kind.__name__}")
    seen = set()
    for k, item in enumerate(data["items"]):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or item.get("outcome") not in OUTCOMES:
            raise ReportError(f"{path}: item {k} malformed (needs a string \"id\" and an \"outcome\" in {OUTCOMES})")
        for key, kinds, what in _ITEM_FIELDS:
            if item.get(key) is not None and (not isinstance(item[key], kinds) or isinstance(item[key], bool)):
                raise ReportError(f"{path}: item {k} ({item['id']}) malformed: {key!r} must be {what} or null, "
                                  f"not {item[key]!r:.60}")
        if item["id"] in seen:
            raise ReportError(f"{path}: item {k} repeats the test id {item['id']!r}")
        seen.add(item["id"])
    return data


# Optional item fields the report tools read: (key, accepted types, what to say).
_ITEM_FIELDS = tuple((key, str, "a string") for key in ("case", "property", "dtype", "device", "worst_at", "message",
                                                        "details", "repro")) + (
    ("worst", (int, float), "a number"), ("seconds", (int, float), "a number"), ("examples", int, "an integer"))


def label(report: dict) -> str:
    """A column label for a report: torch version and device (``torch 2.13.0+cpu / cpu``)."""
    env = report["environment"]
    return f"torch {env.get('torch', '?')} / {env.get('device', '?')}"


def ratio_text(worst: float | None) -> str:
    """A worst ratio as printed by the report tools: ``0.41``, ``3.2e-04``, ``1.1e+12``; ``""`` for None."""
    if worst is None:
        return ""
    if not math.isfinite(worst) or worst == 0:
        return str(worst).replace("0.0", "0")
    return f"{worst:.2f}" if 0.01 <= abs(worst) < 1000 else f"{worst:.1e}"


def ratio_key(worst: float) -> float:
    """An ordering key for worst ratios in which NaN (an error that is not even a number) ranks highest."""
    return math.inf if math.isnan(worst) else worst
