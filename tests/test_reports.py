"""The report tools: ``merge`` into a conformance matrix, ``diff`` two reports, and their handling of bad input.

Reports here are small synthetic dicts written as JSON; the others are written by real runs: of the kit's vjp
property, of a property file whose items end in every outcome (the report counts what the terminal counts), and
of one stopped by SIGINT or SIGTERM (summary and report of the tests that ran).
Every bad input (missing, empty, truncated, foreign, wrong version, malformed item) must end in one
line ``error: FILE: ...`` and exit status 2, and an existing output file is never overwritten
without ``--force``.
"""
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _reports import OUTCOMES, SLEEPER, item, report

from conformance.reports import load
from conformance.reports.__main__ import main
from conformance.reports.diff import compare, moved
from conformance.reports.matrix import Cell, Counts

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def write(tmp_path):
    """``write(name, content)``: a file in tmp_path holding a report dict as JSON, or the text given."""
    def write(name, content):
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        return str(path)
    return write


def run(capsys, *argv):
    """``main(argv)``'s exit status, stdout and stderr."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def first_cells(markdown, heading):
    """The first cell of each body row of the Markdown table under the heading starting with ``heading``."""
    lines = markdown.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(heading)) + 4  # heading, blank, header, rule
    rows = lines[start:lines.index("", start)]
    return [row.split(" | ")[0].lstrip("| ") for row in rows]


OLD = [item("sin", worst=0.41), item("sin", worst=0.2, dtype="float64"), item("exp", worst=0.03),
       item("exp", worst=0.02, dtype="float64"), item("tanh", worst=0.1, dtype="float64")]
NEW = [item("sin", "failed", 2097.0, message="vjp of 'sin' deviates by 2.1e+03 x its bound"),
       item("sin", worst=0.3, dtype="float64"), item("exp", worst=0.03), item("exp", worst=0.02, dtype="float64"),
       item("tanh", "xfailed", dtype="float64", message="known deviation"), item("seed", prop="seed", dtype=None)]
NEW[-1]["case"] = None


def test_merge_markdown_shows_properties_and_the_functions_that_fail_or_differ(write, capsys):
    a, b = write("a.json", report(OLD)), write("b.json", report(NEW, torch="2.14.1+cu128", device="cuda"))
    status, out, err = run(capsys, "merge", a, b)
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert "| property | torch 2.13.0+cpu / cpu | torch 2.14.1+cu128 / cuda |" in lines
    assert "| vjp | 5/0/0/0/0 · 0.41 | 3/1/1/0/0 · 2.1e+03 |" in lines
    assert "| seed | — | 1/0/0/0/0 |" in lines
    header = ("| function | torch 2.13.0+cpu / cpu float32 | torch 2.13.0+cpu / cpu float64 | torch 2.14.1+cu128 / "
              "cuda float32 | torch 2.14.1+cu128 / cuda float64 | torch 2.14.1+cu128 / cuda no dtype |")
    assert header in lines
    assert "| sin | 0.41 | 0.20 | ✗ failed | 0.30 | — |" in lines
    assert "| tanh | — | 0.10 | — | xfail | — |" in lines
    assert "### Functions that fail or differ between columns (2 of 4)" in lines
    assert first_cells(out, "### Functions that fail or differ") == ["sin", "tanh"]
    status, out, _ = run(capsys, "merge", a, b, "--full")
    assert "| exp | 0.03 | 0.02 | 0.03 | 0.02 | — |" in out.splitlines()
    assert "| seed | — | — | — | — | ok |" in out.splitlines()


def test_merge_rows_items_without_case_under_property_then_file(write, capsys):
    items = [item(None, prop="seed", dtype=None, test_id="cases/test_seed.py::test_seed_sum"),
             item(None, prop=None, dtype=None, outcome="skipped", test_id="tests/test_x.py::test_y")]
    status, out, _ = run(capsys, "merge", write("a.json", report(items)), "--full")
    assert status == 0
    assert "| seed | ok |" in out.splitlines() and "| tests/test_x.py | skip |" in out.splitlines()
    assert "| (other tests) | 0/0/0/0/1 |" in out.splitlines()


def test_merge_tells_reports_of_one_environment_apart_by_file_name(write, capsys):
    a, b = write("before.json", report(OLD)), write("after.json", report(NEW))
    _, out, _ = run(capsys, "merge", a, b)
    assert "| property | torch 2.13.0+cpu / cpu (before) | torch 2.13.0+cpu / cpu (after) |" in out.splitlines()


def test_cell_aggregates_failure_first_then_xfail_then_worst_ratio():
    assert Cell([item("f", worst=0.2), item("f", "failed", 3.0), item("f", "xfailed")]).text() == "✗ failed"
    assert Cell([item("f", "error")]).state == "failed"
    assert Cell([item("f", worst=0.2), item("f", "xfailed"), item("f", "xfailed")]).text() == "xfail ×2"
    assert Cell([item("f", worst=0.2), item("f", worst=0.7), item("f", "skipped")]).text() == "0.70"
    assert Cell([item("f", "skipped"), item("f", "skipped")]).text() == "skip"
    assert Cell([item("f", "passed")]).text() == "ok"
    assert math.isnan(Cell([item("f", worst=0.5), item("f", worst=math.nan)]).worst)
    # an expected failure's ratio is the documented deviation, not a measurement of the bound
    assert Cell([item("f", worst=0.2), item("f", "xfailed", 1e300)]).worst == 0.2
    counts = Counts()
    for i in (item("f", worst=0.3), item("f", "xfailed", 1e300), item("f", "failed", 2.0)):
        counts.add(i)
    assert counts.worst == 2.0
    notes = Cell([item("f", worst=0.2), item("f", "failed", 3.0, message="boom", test_id="t::fails")]).notes()
    assert notes.splitlines()[0] == "t::fails: failed, worst 3.00: boom"


def test_merge_writes_files_and_never_overwrites_without_force(write, tmp_path, capsys):
    a = write("a.json", report(OLD))
    md, page = tmp_path / "m.md", tmp_path / "m.html"
    status, out, err = run(capsys, "merge", a, "--markdown", md, "--html", page)
    assert status == 0 and out == "" and "wrote" in err
    assert md.read_text().startswith("## Conformance matrix") and page.read_text().startswith("<!DOCTYPE html>")
    md.write_text("mine")
    status, out, err = run(capsys, "merge", a, "--html", tmp_path / "new.html", "--markdown", md)
    assert (status, out) == (2, "")
    assert err == f"error: {md}: output file exists; pass --force to overwrite it\n"
    assert md.read_text() == "mine" and not (tmp_path / "new.html").exists()
    assert run(capsys, "merge", a, "--markdown", md, "--force")[0] == 0
    assert md.read_text().startswith("## Conformance matrix")


def test_moved_needs_more_than_the_factor_above_the_floor():
    assert moved(0.1, 0.41, 4, 0.05) == "grew" and moved(0.41, 0.1, 4, 0.05) == "shrank"
    assert moved(0.1, 0.4, 4, 0.05) is None  # exactly the factor
    assert moved(0.001, 0.04, 4, 0.05) is None  # both below the floor: noise
    assert moved(0.0, 0.06, 4, 0.05) == "grew" and moved(0.2, math.nan, 4, 0.05) == "grew"
    assert moved(None, 0.9, 4, 0.05) is None and moved(0.0, 0.0, 4, 0.05) is None


DIFF_OLD = [item("a"), item("b", "failed", 9.0), item("c", worst=0.01), item("d", worst=0.1), item("e", worst=0.8),
            item("f", worst=0.1), item("g"), item("h"), item("k", "xfailed")]
DIFF_NEW = [item("a", "error"), item("b", worst=0.2), item("c", worst=0.04), item("d", worst=0.5),
            item("e", worst=0.1), item("f", worst=0.3), item("g", "skipped"), item("i"), item("k", "failed")]


def test_diff_sorts_changes_into_categories():
    diff = compare(report(DIFF_OLD), report(DIFF_NEW))
    ids = lambda changes: [c.id.split("[")[1][0] for c in changes]  # noqa: E731
    assert ids(diff.newly_failing) == ["a", "k"] and ids(diff.newly_passing) == ["b"]
    assert ids(diff.grew) == ["d"] and ids(diff.shrank) == ["e"] and ids(diff.other) == ["g"]
    assert ids(diff.old_only) == ["h"] and ids(diff.new_only) == ["i"]
    assert diff.regressions() == 3 and diff.regressions(fail_on_missing=True) == 4


def test_diff_prints_tables_and_exits_1_on_regression(write, capsys):
    old, new = write("old.json", report(DIFF_OLD)), write("new.json", report(DIFF_NEW))
    status, out, _ = run(capsys, "diff", old, new, "--markdown")
    assert status == 1
    lines = out.splitlines()
    assert "### Newly failing (2)" in lines and "### Error ratio grew more than ×4 (1)" in lines
    assert "| cases/test_vjp.py::test_vjp[d-float32] | 0.10 | 0.50 | ×5 |" in lines
    assert "| cases/test_vjp.py::test_vjp[e-float32] | 0.80 | 0.10 | ÷8 |" in lines
    assert lines[-1].startswith("REGRESSION (3): 2 newly failing, 1 newly passing, 1 ratio grew, 1 ratio shrank")
    status, out, _ = run(capsys, "diff", old, new, "--factor", "10", "--floor", "0.9")
    assert status == 1 and "Error ratio" not in out and out.splitlines()[-1].startswith("REGRESSION (2)")


def test_diff_exits_0_on_improvements_and_missing_tests_unless_asked(write, capsys):
    old = write("old.json", report([item("a", "failed", 5.0), item("b", worst=0.9), item("gone")]))
    new = write("new.json", report([item("a", worst=0.1), item("b", worst=0.1)]))
    status, out, _ = run(capsys, "diff", old, new)
    assert status == 0 and out.splitlines()[-1].startswith("no regression: 0 newly failing, 1 newly passing")
    assert "Only in " + old + " (1):" in out.splitlines()
    status, out, _ = run(capsys, "diff", old, new, "--fail-on-missing")
    assert status == 1 and out.splitlines()[-1].startswith("REGRESSION (1)")


BAD = {
    "missing": (None, "no such report file"),
    "empty": ("  \n", "empty file, not a conformance report"),
    "truncated": (json.dumps(report(OLD))[:300], "not valid JSON (truncated?)"),
    "foreign": ('{"a": 1}', 'not an autograd-conformance report (no "format": "autograd-conformance-report" field'),
    "version": (json.dumps({**report(OLD), "format_version": 7}), "report format version 7; this kit reads version 1"),
    "no-items": (json.dumps({**report(OLD), "items": None}), "field 'items' missing or not a JSON list"),
    "outcome": (json.dumps(report([item("a", "fine")])), "item 0 malformed (needs a string \"id\" and an \"outcome\""),
    "worst": (json.dumps(report([item("a", worst="big")])), "item 0 (cases/test_vjp.py::test_vjp[a-float32]) "
                                                               "malformed: 'worst' must be a number or null"),
    "repeated": (json.dumps(report([item("a"), item("a")])), "item 1 repeats the test id"),
}


@pytest.mark.parametrize("command", ["merge", "diff"])
@pytest.mark.parametrize("kind", list(BAD))
def test_bad_input_is_one_error_line_and_status_2(kind, command, write, tmp_path, capsys):
    content, words = BAD[kind]
    bad = write("bad.json", content) if content is not None else str(tmp_path / "bad.json")
    good = write("good.json", report(OLD))
    status, out, err = run(capsys, command, good, bad)
    assert (status, out) == (2, "")
    assert err.startswith(f"error: {bad}: ") and words in err and err.count("\n") == 1, err


def test_bad_input_from_the_command_line_is_no_traceback(write, tmp_path):
    bad = write("cut.json", json.dumps(report(OLD))[:-40])
    command = [sys.executable, "-m", "conformance.reports", "merge", bad, "--html", str(tmp_path / "x.html")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stdout == ""
    assert done.stderr.startswith(f"error: {bad}: not valid JSON (truncated?)") and done.stderr.count("\n") == 1
    assert not (tmp_path / "x.html").exists()


def test_merges_the_report_of_a_real_run(tmp_path, capsys):
    path = tmp_path / "run.json"
    env = {k: v for k, v in os.environ.items() if k not in ("CONFORMANCE_FAULT", "PYTEST_ADDOPTS")}
    done = subprocess.run([sys.executable, "-m", "pytest", "cases/test_vjp.py", "--op", "sin", "-q", "-p",
                           "no:cacheprovider", "--hypothesis-profile", "ci", "--dtype", "float32,float64",
                           "--conformance-report", str(path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    status, out, err = run(capsys, "merge", path, "--full")
    assert status == 0 and err == "", err
    rows = [line for line in out.splitlines() if line.startswith(("| vjp |", "| sin |"))]
    assert len(rows) == 2 and rows[0].startswith("| vjp | 2/0/0/0/0 · "), out
    ratios = [float(cell) for cell in rows[1].strip("| ").split(" | ")[1:]]
    assert len(ratios) == 2 and all(0 <= r <= 1 for r in ratios), rows[1]
    assert run(capsys, "diff", path, path)[0] == 0


def test_merge_combines_the_shards_of_one_run_into_one_column(write, capsys):
    one = write("s1.json", report([item("sin")], shard="1/2", seconds=10.0))
    two = write("s2.json", report([item("cos", "failed")], shard="2/2", seconds=12.5))
    other = write("other.json", report([item("sin")], torch="2.15.0+cpu", shard="1/1"))
    _, out, _ = run(capsys, "merge", one, two, other)
    lines = out.splitlines()
    assert "| property | torch 2.13.0+cpu / cpu | torch 2.15.0+cpu / cpu |" in lines
    env = next(line for line in lines if line.startswith("| torch 2.13.0+cpu / cpu |"))
    assert "| 2/2 |" in env
    assert any(line.startswith("| cos |") and "failed" in line for line in lines)


def test_a_missing_shard_shows_and_a_repeated_one_is_an_error(write, capsys):
    one = write("s1.json", report([item("sin")], shard="1/3"))
    three = write("s3.json", report([item("cos")], shard="3/3"))
    _, out, _ = run(capsys, "merge", one, three)
    assert "| 1,3 of 3 |" in out
    again = write("again.json", report([item("tan")], shard="1/3"))
    status, _, err = run(capsys, "merge", one, again)
    assert status == 2 and "shard 1/3 given twice" in err
    same_id = write("dup.json", report([item("sin")], shard="2/3"))
    status, _, err = run(capsys, "merge", one, same_id)
    assert status == 2 and "is also in" in err


def test_property_counts_keep_xpassed_apart_and_out_of_the_worst_ratio(write, capsys):
    items = [item("sin", worst=0.3), item("cos", "xpassed", 0.9, message="declared"), item("exp", "skipped")]
    _, out, _ = run(capsys, "merge", write("a.json", report(items)))
    assert "| vjp | 1/0/0/1/1 · 0.30 |" in out.splitlines()


def _kit_run(pytester, path, *args):
    """An in-process run of the property files in ``pytester`` writing the report ``path``: its outcome counts as
    the terminal printed them, and the report."""
    result = pytester.runpytest("-p", "conformance.plugin", "--hypothesis-profile", "ci", "--conformance-report",
                                str(path), *args)
    counts = {("error" if k == "errors" else k): n for k, n in result.parseoutcomes().items()
              if k not in ("warnings", "deselected")}
    return counts, load(path)


def test_a_skip_in_the_test_body_is_a_skip_in_the_report_the_matrix_and_the_diff(pytester, tmp_path, capsys,
                                                                                 monkeypatch):
    pytester.makepyfile(test_user_outcomes=OUTCOMES)
    terminal, data = _kit_run(pytester, tmp_path / "run.json")
    assert data["counts"] == terminal == {"passed": 5, "failed": 1, "skipped": 2, "xfailed": 1, "xpassed": 1,
                                          "error": 1}
    items = {i["id"].split("::")[1]: i for i in data["items"]}
    assert items["test_kernel[cos-float64]"]["outcome"] == "skipped"
    assert "no kernel for float64 (in the test body)" in items["test_kernel[cos-float64]"]["message"]
    assert data["environment"]["interrupted"] is False
    _, out, _ = run(capsys, "merge", tmp_path / "run.json", "--full")
    assert "| user_outcomes | 5/2/1/1/2 |" in out.splitlines()  # passed/failed (with error)/xfailed/xpassed/skipped
    assert "| cos | ok | skip |" in out.splitlines()
    monkeypatch.setenv("KERNEL_NOW", "1")  # a later torch with the kernel: the skip turns into a pass
    _, later = _kit_run(pytester, tmp_path / "later.json")
    diff = compare(data, later)
    assert [(c.id.split("::")[1], c.old["outcome"], c.new["outcome"]) for c in diff.other] == [
        ("test_kernel[cos-float64]", "skipped", "passed")]
    assert not diff.newly_failing and not diff.newly_passing


def test_the_terminal_summary_counts_xpassed_apart_from_passed(pytester):
    """The per-property row counts as the report does: the xpassed item is not one of the passed."""
    pytester.makepyfile(test_user_outcomes=OUTCOMES)
    result = pytester.runpytest("-p", "conformance.plugin", "--hypothesis-profile", "ci")
    result.stdout.fnmatch_lines(["property *passed *failed *skipped *xfailed *xpassed *unchecked*",
                                 "user_outcomes *5 *1 *2 *1 *1 *"])


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups are POSIX")
@pytest.mark.parametrize("name, workers", [("SIGINT", 0), ("SIGTERM", 0), ("SIGTERM", 2)],
                         ids=["SIGINT", "SIGTERM", "SIGTERM-xdist"])
def test_an_interrupted_run_prints_its_summary_and_writes_its_report(tmp_path, capsys, name, workers):
    """Ctrl-C and ``timeout`` signal the whole process group once the sin and cos items have reported and tanh
    sleeps: the summary and the report hold sin and cos, and the report says the run was interrupted."""
    (tmp_path / "test_user_sleep.py").write_text(SLEEPER)
    path, started, log = tmp_path / "run.json", tmp_path / "started", tmp_path / "out.txt"
    env = {k: v for k, v in os.environ.items()
           if k not in ("CONFORMANCE_FAULT", "PYTEST_ADDOPTS") and not k.startswith("PYTEST_XDIST")}
    env.update(STARTED=str(started), PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "pytest", "test_user_sleep.py", "-p", "conformance.plugin", "-v", "-p",
               "no:cacheprovider", "--hypothesis-profile", "ci", "--conformance-report", str(path)]
    with open(log, "w") as out:
        proc = subprocess.Popen(command + (["-n", str(workers)] if workers else []), cwd=tmp_path, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not (started.exists() and len(re.findall(r"\b(PASSED|SKIPPED)\b", log.read_text())) == 2):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)
        os.killpg(proc.pid, getattr(signal, name))
        status = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = log.read_text()
    assert status == pytest.ExitCode.INTERRUPTED, text[-3000:]
    assert "autograd conformance summary" in text and re.search(r"^user_sleep +1 +0 +1 +0 ", text, re.M), text[-3000:]
    assert "conformance report (interrupted: the tests that ran)" in text
    data = load(path)
    assert data["environment"]["interrupted"] is True and data["counts"] == {"passed": 1, "skipped": 1}
    assert sorted((i["case"], i["outcome"]) for i in data["items"]) == [("cos", "skipped"), ("sin", "passed")]
    page = tmp_path / "matrix.html"
    _, out, _ = run(capsys, "merge", path, "--html", page)
    stopped = (f"Interrupted: torch {data['environment']['torch']} / cpu ({path}) holds only the tests that ran "
               "before its run stopped.")
    assert f"**{stopped}**" in out.splitlines() and f'<p class="warn">{stopped}</p>' in page.read_text()
    assert out.splitlines()[4].endswith(" | yes |")  # the environment table's interrupted column
    _, out, _ = run(capsys, "diff", path, path)
    assert f"Note: {path} and {path} are reports of interrupted runs: the tests they lack did not run." in out


def test_the_kit_handles_sigterm_in_its_runs_only_and_restores_the_handler(pytester):
    pytester.makepyfile(test_user_kit="""
import signal
import pytest

@pytest.mark.conformance(entries=("sin",), dtypes=("float32",))
def test_kit(case, dtype):
    assert signal.getsignal(signal.SIGTERM).__module__ == "conformance.plugin.terminate"
""", test_theirs="""
import signal

def test_theirs():
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
""")
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        pytester.runpytest("-p", "conformance.plugin", "test_user_kit.py").assert_outcomes(passed=1)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored at unconfigure
        pytester.runpytest("test_theirs.py").assert_outcomes(passed=1)
    finally:
        signal.signal(signal.SIGTERM, previous)
