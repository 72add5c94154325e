"""The kit's options in its own runs, and what they do there: the selection, usage errors, the header, the end of
the output."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.catalogue import CATALOGUE
from conformance.plugin import profiles

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


def test_op_runs_the_selected_entries_items_only():
    """A property over a fixed list of entries (or of entries' inner nodes), or over the conventions rows, runs
    those of the selection; an engine contract on a function of its own still runs."""
    run = _run("-m", "pytest", "cases", "--collect-only", "-q", "-p", "no:cacheprovider", "--op", "sin")
    ids = _ids(run.stdout)
    others = [i for i in ids if "[" in i and any(t in CATALOGUE and t != "sin" for t in i.split("[", 1)[1].split("-"))]
    assert len(ids) > 50 and others == [], others[:10]
    rows = {i.split("[")[1].rsplit("-", 1)[0] for i in ids if "::test_convention[" in i}
    assert rows == {"sin-at-nan"}  # the rows of torch.sin, the function the entry calls
    assert not [i for i in ids if "NOTSET" in i]  # a property over other entries has no item at all


@pytest.mark.parametrize("args, message", [
    (["run", "--dtype", "nope"], "--dtype: unknown dtype 'nope'"),
    (["run", "--hypothesis-profile", "weekly"], f"--hypothesis-profile: unknown profile 'weekly'; known: "
                                                f"{', '.join(profiles.NAMES)}\n"),
    (["run", "--hypothesis-seed", "abc"], "--hypothesis-seed: 'abc' is not an integer"),
    (["run", "--conformance-examples", "0"], "--conformance-examples: must be at least 1 (got 0)"),
    (["quick", "--dtype", "complex64"], "--dtype: the quick profile checks real dtypes only (its properties, vjp and "
                                        "accumulation, have no complex form): complex64; check complex dtypes with "
                                        "another profile (python -m conformance run --dtype complex64)"),
    (["run", "--help"], None),
])
def test_usage_errors_and_help_come_before_torch_loads(args, message, tmp_path):
    """A usage error, and --help, load neither torch nor the catalogue: they come at once."""
    code = ("import sys; from conformance.__main__ import main; rc = main(sys.argv[1:]); "
            "print('loaded:', [m for m in ('torch', 'conformance.catalogue') if m in sys.modules]); sys.exit(rc)")
    run = _run("-c", code, *args, cwd=tmp_path)
    assert "loaded: []" in run.stdout, run.stdout[-2000:] + run.stderr
    if message is None:
        assert run.returncode == 0 and "--conformance-device" in run.stdout
    else:
        assert run.returncode == pytest.ExitCode.USAGE_ERROR and message in run.stderr, run.stderr


def test_the_header_lists_the_dtypes_the_runs_properties_use(tmp_path):
    quick = _run("-m", "conformance", "quick", "--collect-only", "--op", "sin", cwd=tmp_path)
    assert ", dtypes float32, float64, bfloat16, float16, hypothesis profile quick" in quick.stdout, quick.stdout


def test_the_end_of_a_run_shows_failures_and_the_summary_not_every_expected_failure(tmp_path):
    """An expected failure's reason is not listed after the summary (hundreds, up to a thousand characters);
    a failure is, in the checkout's settings and in the installed kit's (conformance/suite.ini)."""
    items = ["cases/test_conventions.py::test_convention[relu-at-0-float64]",
             "cases/test_conventions.py::test_convention[clamp-at-min-float64]"]
    fault = ["--conformance-fault", "relu.grad-1-at-0"]
    for run in (_run("-m", "pytest", *items, *fault), _run("-m", "conformance", "run", *items, *fault, cwd=tmp_path)):
        out = run.stdout
        assert run.returncode == 1 and "1 failed, 1 xfailed" in out, out[-3000:]
        assert "XFAIL" not in out and any(line.startswith("FAILED") and "[relu-at-0-float64]" in line
                                          for line in out.splitlines())
        assert out.index("autograd conformance summary") > out.index("FAILURES")


def test_no_assertion_rewrite_warning_from_an_installed_kit(tmp_path):
    """Installed (not editable), the kit's distribution lists its modules and pytest marks them all for assertion
    rewriting; ``python -m conformance`` has imported the package by then.  A stand-in distribution record."""
    record = tmp_path / "site" / "kit_record-0.dist-info"
    record.mkdir(parents=True)
    (record / "METADATA").write_text("Metadata-Version: 2.1\nName: kit-record\nVersion: 0\n")
    (record / "entry_points.txt").write_text("[pytest11]\nconformance.plugin = conformance.plugin\n")
    (record / "RECORD").write_text("conformance/__init__.py,,\nconformance/plugin/__init__.py,,\n")
    run = _run("-m", "conformance", "run", "cases/test_vjp.py", "--op", "sin", "--dtype", "float32",
               "--collect-only", "-q", cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site")})
    assert "1 test collected" in run.stdout, run.stdout + run.stderr
    assert "PytestAssertRewriteWarning" not in run.stdout + run.stderr


HUGE_RATIO = '''
def test_far(device, request):
    request.node.user_properties.append(("conformance_worst", (2245192583339579.75, "far-float32")))

def test_near(device, request):
    request.node.user_properties.append(("conformance_worst", (0.01234, "near-float32")))
'''


def test_the_summary_prints_ratios_readably(pytester):
    pytester.makepyfile(test_ratio=HUGE_RATIO)
    result = pytester.runpytest("-p", "conformance.plugin")
    out = result.stdout.str()
    assert "2245192583339579" not in out
    result.stdout.fnmatch_lines(["ratio * 2 * 0 * 0 * 0 * -   2.2e+15 (far-float32)",
                                 "closest to their bound (passing): test_near 0.01"])
