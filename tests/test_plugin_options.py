"""The kit's options in its own runs, and what they do there: the selection, usage errors, the header, the end of
the output."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


def _ids(out: str) -> list[str]:
    return [line for line in out.splitlines() if "::" in line]


@pytest.mark.parametrize("where", ["checkout", "installed"])
def test_the_kits_own_runs_take_the_short_spellings(where, tmp_path):
    args = ["cases/test_vjp.py", "--collect-only", "-q", "--device", "cpu", "--dtype", "float64", "--op", "sin",
            "--compile-backend", "off"]
    run = _run("-m", "pytest", "-p", "no:cacheprovider", *args) if where == "checkout" else \
        _run("-m", "conformance", "run", *args, cwd=tmp_path)
    assert _ids(run.stdout) == ["cases/test_vjp.py::test_vjp[sin-float64]"], run.stdout + run.stderr
