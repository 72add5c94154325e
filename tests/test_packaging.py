"""The kit installs and runs without a checkout: the properties, deviations and settings ship in the
wheel, and ``python -m conformance run|quick`` runs them against the installed torch from anywhere."""
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "conformance").rglob("__init__.py")}
    assert found | {"conformance.cases"} == listed


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from this checkout, installed into a folder of its own (no checkout on the path)."""
    out = tmp_path_factory.mktemp("wheel")
    # built from a copy: setuptools writes build/ and *.egg-info beside the sources, and under xdist two workers
    # may each build this fixture at once
    source = out / "source"
    top = {".git", ".venv", ".tox", "build", "reports"}  # the checkout's own folders, not the package's
    shutil.copytree(ROOT, source, ignore=lambda folder, names: [
        n for n in names if n == "__pycache__" or n.endswith(".egg-info") or (Path(folder) == ROOT and n in top)])
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(source)], check=True, capture_output=True)
    (wheel,) = out.glob("autograd_conformance-*.whl")
    site = out / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    return wheel, site


def test_the_wheel_ships_the_suite(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"conformance/cases/test_vjp.py", "conformance/cases/_steps.py", "conformance/suite.ini",
            "conformance/deviations/torch-2.13.txt"} <= names


def test_the_installed_suite_runs_from_anywhere(installed, tmp_path):
    _, site = installed
    env = {**os.environ, "PYTHONPATH": str(site), "CONFORMANCE_ORACLE_CACHE": "off"}
    result = subprocess.run([sys.executable, "-m", "conformance", "quick", "--op", "sin", "--dtype", "float32",
                             "-p", "no:xdist", "-v"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"{site}" in subprocess.run([sys.executable, "-c", "import conformance; print(conformance.__file__)"],
                                       cwd=tmp_path, env=env, capture_output=True, text=True).stdout
    assert "cases/test_vjp.py::test_vjp[sin-float32] PASSED" in result.stdout
    assert "cases/test_accumulation.py::test_accumulation[sin-float32] PASSED" in result.stdout
    assert "hypothesis profile quick" in result.stdout


def test_faults_and_soak_run_from_anywhere(installed, tmp_path):
    """The fault runner and the soak find the installed suite (their targets are named as in a checkout)."""
    _, site = installed
    env = {**os.environ, "PYTHONPATH": str(site), "CONFORMANCE_ORACLE_CACHE": "off"}

    def command(*args):
        return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)

    faults = command("faults", "--fault", "relu.grad-1-at-0", "-v")
    assert faults.returncode == 0, faults.stdout[-2000:] + faults.stderr[-2000:]
    assert "killed by cases/test_conventions.py::test_convention[relu-at-0-float32]" in faults.stdout
    assert f"{site}/conformance/cases/test_conventions.py" in faults.stdout and "killed 1 of 1" in faults.stdout
    soak = command("soak", "--seeds", "1", "-n", "0", "--profile", "ci", "--",
                   "cases/test_conventions.py", "-k", "relu-at-0", "--dtype", "float32")
    assert soak.returncode == 0, soak.stdout[-2000:] + soak.stderr[-2000:]
    assert re.search(r"1 run\(s\), [1-9]\d* test outcomes, 0 failing test\(s\), 0 broken run\(s\)", soak.stdout)
    assert not list(tmp_path.iterdir())  # nothing written where it ran


def test_the_quick_profile_runs_every_entry_under_vjp_and_accumulation(pytester_quick):
    ids = pytester_quick
    properties = {i.split("::")[0] for i in ids}
    assert properties == {"cases/test_vjp.py", "cases/test_accumulation.py"}
    from conformance.catalogue import CATALOGUE
    real = {n for n, c in CATALOGUE.items() if {"float32", "float64"} & set(c.dtypes)}
    assert {i.split("[")[1].rsplit("-", 1)[0] for i in ids if "test_vjp" in i} == real


@pytest.fixture
def pytester_quick():
    result = subprocess.run([sys.executable, "-m", "pytest", "cases", "--hypothesis-profile", "quick", "--collect-only",
                             "-q", "-p", "no:xdist"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_the_command_line_names_an_unknown_command():
    result = subprocess.run([sys.executable, "-m", "conformance", "bogus"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and "unknown command 'bogus'; known: run, quick, coverage" in result.stderr
