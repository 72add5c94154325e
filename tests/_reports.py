"""Synthetic conformance reports for the tests of the report tools."""
from conformance.reports import FORMAT, FORMAT_VERSION


def item(case, outcome="passed", worst=None, prop="vjp", dtype="float32", message=None, test_id=None):
    """A report item; its id is derived from property, case and dtype unless given."""
    return {"id": test_id or f"cases/test_{prop}.py::test_{prop}[{case}-{dtype}]", "case": case, "property": prop,
            "dtype": dtype, "device": "cpu", "outcome": outcome, "worst": worst, "worst_at": None, "examples": 8,
            "seconds": 0.01, "message": message, "repro": None}


def report(items, torch="2.13.0+cpu", device="cpu", **env):
    """A version-1 report of the items, from an environment with the given torch, device and fields."""
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "counts": {},
            "environment": {"torch": torch, "device": device, "python": "3.11.7", "profile": "ci",
                            "max_examples": 8, "seed": None, "started": "2026-11-27T10:00:00+00:00", **env},
            "items": items}
