"""The false-alarm soak: one pytest run per (interpreter, seed), outcomes read back from JUnit XML."""
import json

import pytest

from conformance.reports.tables import table
from conformance.tools import soak

SUITE = '''
import pytest
from hypothesis import given, strategies as st

@given(st.integers())
def test_passes(n):
    assert n == n

def test_fails():
    assert 1 == 2, "one is not two"

@pytest.mark.xfail(reason="documented")
def test_expected():
    assert False

@pytest.mark.skip(reason="not here")
def test_skipped():
    pass
'''


@pytest.fixture
def suite(tmp_path):
    (tmp_path / "test_tiny.py").write_text(SUITE)
    return tmp_path


def test_soak_reports_every_failing_test_with_its_runs(suite, capsys, monkeypatch):
    monkeypatch.chdir(suite)
    out = suite / "soak.json"
    status = soak.main(["--seeds", "2", "--first-seed", "7", "-n", "0", "--json", str(out), "--", "test_tiny.py"])
    text = capsys.readouterr().out
    assert status == 1
    assert "test_tiny.py::test_fails" in text and "seed 7; torch" in text and "one is not two" in text
    runs = json.loads(out.read_text())["runs"]
    assert [r["seed"] for r in runs] == [7, 8]
    assert all(r["counts"] == {"passed": 1, "failed": 1, "xfailed": 1, "skipped": 1} for r in runs)
    assert "--hypothesis-seed=7" in runs[0]["args"] and "--hypothesis-seed=8" in runs[1]["args"]


def test_soak_passes_a_clean_suite_and_refuses_to_overwrite(suite, capsys, monkeypatch):
    monkeypatch.chdir(suite)
    status = soak.main(["--seeds", "1", "-n", "0", "--examples", "3", "--", "test_tiny.py", "-k", "passes"])
    assert status == 0 and "0 failing test(s), 0 broken run(s)" in capsys.readouterr().out
    (suite / "taken.json").write_text("{}")
    with pytest.raises(SystemExit, match="taken.json exists"):
        soak.main(["--json", str(suite / "taken.json")])


def test_a_broken_run_is_reported_not_hidden(suite, capsys, monkeypatch):
    monkeypatch.chdir(suite)
    status = soak.main(["--seeds", "1", "-n", "0", "--", "test_tiny.py", "--dtype", "float13"])
    assert status == 1 and "1 broken run(s)" in capsys.readouterr().out


def test_a_run_that_tests_nothing_is_broken(suite, capsys, monkeypatch):
    monkeypatch.chdir(suite)
    status = soak.main(["--seeds", "1", "-n", "0", "--", "test_tiny.py", "-k", "skipped"])
    out = capsys.readouterr().out
    assert status == 1 and "no test ran: all 1 collected were skipped" in out and "1 broken run(s)" in out


def test_an_interpreter_without_torch_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="cannot import torch"):
        soak.torch_version("/bin/false")


def test_tables_pad_columns_and_escape_markdown():
    assert table([["a", "b|c"]], ["x", "y"], markdown=True).splitlines()[-1] == "| a | b\\|c |"
    assert table([["long", "z"]], ["x", "y"]).splitlines() == ["x     y", "long  z"]


def test_option_values_after_the_separator_are_not_taken_for_paths(tmp_path):
    import argparse
    options = argparse.Namespace(profile="nightly", workers=0, examples=None)
    narrowed = soak.pytest_command("python", 1, tmp_path / "j.xml", options, ["--op", "sin"])
    assert narrowed[:4] == ["python", "-m", "conformance", "run"] and narrowed[-2:] == ["--op", "sin"]
    (tmp_path / "test_mine.py").write_text("")
    own = soak.pytest_command("python", 1, tmp_path / "j.xml", options, [str(tmp_path / "test_mine.py")])
    assert own[:3] == ["python", "-m", "pytest"] and own[-1] == str(tmp_path / "test_mine.py")
