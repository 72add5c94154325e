"""Fault injection: the suite kills every fault of the catalogue, and stays silent without them.

Each fault runs in a process of its own (``conformance.faults.runner``, as ``python -m conformance.faults``
does) on its declared target with the ``ci`` profile, so no fault can reach another test of this suite.
A fault the kit documents as a blind spot (``survives=``) is a strict expected failure: the day the
kit kills it, the test says so.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.faults import FAULTS, check_undo, reference_mismatches, undo_problems
from conformance.faults.__main__ import main
from conformance.faults.runner import Runner, pytest_args

ROOT = Path(__file__).resolve().parents[1]
TARGETS = list(dict.fromkeys(f.target for f in FAULTS.values()))


def _fault_param(fault):
    blind_spot = pytest.mark.xfail(strict=True, reason=f"known blind spot of the kit: {fault.survives}")
    return pytest.param(fault, id=fault.name, marks=[blind_spot] if fault.survives else [])


@pytest.fixture(scope="module")
def runner():
    return Runner(ROOT)


def test_catalogue_spans_the_categories():
    levels = {lvl: [f for f in FAULTS.values() if f.level == lvl] for lvl in ("kernel", "engine")}
    assert len(levels["kernel"]) >= 20 and len(levels["engine"]) >= 10
    assert {"scale", "sign", "precision", "broadcast", "conjugation", "second order", "non-differentiable point",
            "overflow", "index"} <= {f.category for f in levels["kernel"]}
    scales = {f.name.split(".scale-")[-1] for f in levels["kernel"] if f.category == "scale"}
    assert {"1e-3", "1e-6", "1e-9", "1e-12"} <= scales


@pytest.mark.parametrize("fault", [_fault_param(f) for f in FAULTS.values()])
def test_fault_is_killed_by_its_target(fault, runner):
    (outcome,) = runner.run([(fault.name, pytest_args(fault.target.args()))])
    assert outcome.status == "killed", outcome.describe()


@pytest.mark.parametrize("target", TARGETS, ids=[str(t) for t in TARGETS])
def test_target_passes_without_fault(target, runner):
    (outcome,) = runner.run([(None, pytest_args(target.args()))])
    assert outcome.passed, outcome.describe()


def test_every_fault_is_undone_also_on_failure(runner):
    """Injected, an exception raised inside, left: every kernel table and attribute is as before (in a child)."""
    assert runner.call(undo_problems) == {}


def test_undo_check_notices_a_fault_left_in_place(runner):
    """The undo check can fail: a fault whose undo does nothing is reported as not restored."""
    assert runner.call(_leaky_undo_problems) == ["torch.Tensor.retain_grad: not restored"]


def _leaky_undo_problems():
    """In a child process: the retain_grad fault with an undo that does nothing."""
    fault = FAULTS["engine.retain_grad-ignored"]
    install = fault.install
    object.__setattr__(fault, "install", lambda: (install(), lambda: None)[1])
    return check_undo(fault.name)


def test_reference_formulas_are_torchs_own(runner):
    """Each fault is a correct formula altered; the correct formulas match torch's gradients (in a child)."""
    assert runner.call(reference_mismatches) == []


def test_command_prints_table_and_kill_rate(capsys):
    status = main(["--fault", "relu.grad-1-at-0", "--fault", "clamp.*"])
    out = capsys.readouterr().out
    assert "killed by cases/test_conventions.py::test_convention[relu-at-0-float32]" in out
    assert "killed by cases/test_conventions.py::test_convention[clamp-at-min-float32]" in out
    assert "killed 2 of 2 faults (100.0%)" in out
    assert status == 0


def test_a_selection_that_runs_no_test_is_an_error_not_a_survivor(runner):
    """A target that names no file, or whose every test skips, broke: its fault was not measured."""
    missing, skipped = runner.run([("relu.grad-1-at-0", pytest_args(["cases/no_such_file.py"])),
                                   ("relu.grad-1-at-0", pytest_args(["cases/test_cross_device.py", "--op", "sin",
                                                                     "-k", "test_cross_device_vjp"]))])
    assert missing.status == "error", missing.describe()
    assert missing.message == ("the selection collected no test (pytest exit code 4 (USAGE_ERROR): "
                               "file or directory not found: cases/no_such_file.py)")
    assert skipped.status == "error" and skipped.counts.get("skipped"), skipped.describe()
    assert skipped.message == f"the selection ran no test: all {skipped.counts['skipped']} it collected were skipped"


def test_command_says_a_run_broke_instead_of_a_kill_rate(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the suite is found from any directory
    assert main(["--fault", "relu.grad-1-at-0", "--all", "--", "cases/no_such_file.py"]) == 2
    captured = capsys.readouterr()
    assert "ERROR: the selection collected no test" in captured.out
    assert "killed 0 of 1 faults (0.0%); 1 run(s) broke, their faults not measured (below)" in captured.out
    assert "file or directory not found: cases/no_such_file.py" in captured.err


def test_command_lists_faults_and_refuses_unknown_names(capsys):
    assert main(["--list", "--level", "engine"]) == 0
    out = capsys.readouterr().out
    assert "engine.zero_-noop" in out and "cases/test_zeroing.py" in out and "sin.scale-1e-3" not in out
    assert main(["--fault", "no.such.fault"]) == 2
    assert "no fault matches 'no.such.fault'" in capsys.readouterr().err


def test_unknown_fault_is_a_usage_error(runner):
    (outcome,) = runner.run([("no.such.fault", ["cases/test_seed.py", "-p", "no:cacheprovider"])])
    assert outcome.status == "error" and "USAGE_ERROR" in outcome.message
    assert "--conformance-fault: no fault matches 'no.such.fault'" in outcome.log


def test_environment_variable_reaches_xdist_workers():
    """``CONFORMANCE_FAULT`` alone activates the fault in every pytest-xdist worker."""
    pytest.importorskip("xdist")
    env = {**os.environ, "CONFORMANCE_FAULT": "relu.grad-1-at-0"}
    env = {k: v for k, v in env.items() if not k.startswith("PYTEST_XDIST") and k != "PYTEST_CURRENT_TEST"}
    result = subprocess.run([sys.executable, "-m", "pytest", "cases/test_conventions.py", "-k", "relu-at-0 or abs-at-0",
                             "-n", "2", "-p", "no:cacheprovider"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert "fault injected: relu.grad-1-at-0" in result.stdout
    failed = sorted(line.split()[1] for line in result.stdout.splitlines() if line.startswith("FAILED "))
    assert failed == sorted(f"cases/test_conventions.py::test_convention[relu-at-0-{d}]"
                            for d in ("float32", "float64", "bfloat16", "float16")), \
        result.stdout[-3000:]
