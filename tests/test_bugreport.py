"""``python -m conformance bugreport``: a failed item of a real JSON report (a run with an injected fault) as
the text of a bug report for PyTorch's issue tracker."""
import json
import platform
import subprocess
import sys

import pytest
import torch

import conformance
from conformance.__main__ import main as conformance_main
from conformance.reports import ratio_text
from conformance.tools.bugreport import main

SIN, COS = "cases/test_vjp.py::test_vjp[sin-float32]", "cases/test_vjp.py::test_vjp[cos-float32]"
SIN64 = "cases/test_vjp.py::test_vjp[sin-float64]"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A report of sin (wrong gradients: the fault sin.scale-1e-3) and cos (passing), and the run's output."""
    path = tmp_path_factory.mktemp("report") / "run.json"
    result = subprocess.run([sys.executable, "-m", "conformance", "run", "cases/test_vjp.py", "--op", "sin,cos",
                             "--dtype", "float32,float64", "--conformance-fault", "sin.scale-1e-3",
                             "--conformance-report", str(path), "-p", "no:xdist", "--hypothesis-profile", "ci", "-q"],
                            cwd=path.parent, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1 and path.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return path, json.loads(path.read_text()), result.stdout


def test_a_failed_item_is_a_bug_report(run, capsys):
    path, report, _ = run
    (item,) = [i for i in report["items"] if i["id"] == SIN and i["outcome"] == "failed"]
    assert main([str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Title: Wrong gradient: sin backward in float32 on cpu\n")
    assert out.count("Title: ") == 2 and "\nTitle: Wrong gradient: sin backward in float64 on cpu\n" in out
    assert main([str(path), SIN]) == 0
    out, err = capsys.readouterr()
    assert out.count("Title: ") == 1 and SIN64 not in out
    assert "x.grad deviates from the exact vᵀJ by" in out and COS not in out
    repro = item["repro"].split("\n", 1)[1]
    assert f"```python\n{repro}\n```" in out and "conformance" not in repro  # plain torch
    assert "a sympy oracle" in out and "K = 4, u = 2^-24" in out
    assert f"across the run's {item['examples']} examples the worst error was {ratio_text(item['worst'])} x" in out
    assert f"- torch {torch.__version__} (git {torch.version.git_version}; CUDA none; release build)" in out
    assert f"- Python {platform.python_version()} on " in out and "- device: cpu (" in out
    assert f"autograd-conformance {conformance.__version__}, item `{SIN}`" in out
    assert item["details"].startswith(item["message"]) and "worst element x[" in item["details"]
    worst = next(ln.strip() for ln in item["details"].splitlines() if ln.strip().startswith("worst element x["))
    assert f"Exact versus got, at the worst element:\n\n    {worst}\n" in out  # from the report itself
    assert err.startswith("warning: ") and "the fault 'sin.scale-1e-3' injected" in err


def test_exact_versus_got_of_an_older_report_points_at_the_repro(run, capsys, tmp_path):
    """A report of an earlier kit keeps a failure's first line only: the bug report says where got and exact are."""
    path, report, _ = run
    for item in report["items"]:
        item.pop("details", None)
    older = tmp_path / "older.json"
    older.write_text(json.dumps(report))
    assert main([str(older), SIN]) == 0
    assert "the repro's last line prints" in capsys.readouterr().out


def test_bad_choices_are_one_line_errors(run, capsys, tmp_path):
    path, report, _ = run
    assert main([str(path), "cases/test_vjp.py::nope"]) == 2
    assert capsys.readouterr().err == f"error: {path}: no item 'cases/test_vjp.py::nope' in the report\n"
    assert main([str(path), COS]) == 1
    assert capsys.readouterr().err == f"error: {path}: item '{COS}' passed, not failed: nothing to report\n"
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps({**report, "items": [i for i in report["items"] if i["outcome"] == "passed"]}))
    assert main([str(clean)]) == 1
    assert capsys.readouterr().err == f"error: {clean}: no failed item: nothing to report\n"
    other = tmp_path / "other.json"
    other.write_text("{}")
    assert main([str(other)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {other}: not an autograd-conformance report") and err.count("\n") == 1


def test_the_command_line_lists_it(capsys):
    assert conformance_main(["--help"]) == 0
    assert "python -m conformance bugreport REPORT.json [ITEM_ID ...]" in capsys.readouterr().out
