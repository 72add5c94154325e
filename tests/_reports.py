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


# A property file of one's own whose items end in every outcome, the way the kit's properties end: a pass, a skip in
# the test body (torch has no kernel for a dtype), an expected failure raised in the body, a failure, an unexpected
# pass of a declared deviation, a skip at setup (a mark) and an error at setup (a fixture).
OUTCOMES = '''
import os
import pytest
import torch

pytestmark = pytest.mark.conformance(entries=("sin", "cos", "exp", "tanh"), dtypes=("float32", "float64"))


@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")


def test_kernel(case, dtype, device):
    if case.name == "cos" and dtype == torch.float64 and not os.environ.get("KERNEL_NOW"):
        pytest.skip("no kernel for float64 (in the test body)")
    if case.name == "tanh" and dtype == torch.float32:
        pytest.xfail("known deviation (in the test body)")
    assert (case.name, dtype) != ("exp", torch.float64), "exp deviates in float64"


@pytest.mark.conformance(entries=("sin",), dtypes=("float32",))
@pytest.mark.xfail(reason="a declared deviation that did not show")
def test_declared(case, dtype, device):
    pass


@pytest.mark.conformance(entries=("sin",), dtypes=("float32",))
@pytest.mark.skip(reason="skipped at setup")
def test_marked(case, dtype, device):
    pass


@pytest.mark.conformance(entries=("sin",), dtypes=("float32",))
def test_setup_error(case, dtype, device, broken):
    pass
'''

# A property file whose last item (tanh) runs until the run is stopped; it says it started by writing $STARTED.
SLEEPER = '''
import os
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.conformance(entries=("sin", "cos", "tanh"), dtypes=("float64",))


def test_until_stopped(case, dtype, device):
    if case.name == "cos":
        pytest.skip("no kernel (in the test body)")
    if case.name == "tanh":
        Path(os.environ["STARTED"]).write_text("started")
        time.sleep(300)
'''
