"""``conformance.suite``: the shipped suite's pytest arguments from any directory, and test files of one's own."""
from conformance.suite import cases_dir, suite_args, suite_root


def test_no_path_runs_the_whole_shipped_suite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = suite_args(["--op", "sin"])
    assert str(cases_dir()) in args and args[-2:] == ["--op", "sin"]


def test_a_suite_file_is_named_as_in_a_checkout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = suite_args(["cases/test_vjp.py", "-q"])
    assert str(suite_root() / "cases/test_vjp.py") in args and str(cases_dir()) not in args


def test_a_test_file_of_ones_own_runs_without_the_whole_suite(tmp_path, monkeypatch):
    """``python -m conformance run test_mine.py`` runs that file, not the shipped suite beside it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "test_mine.py").write_text("def test_one():\n    pass\n")
    args = suite_args(["test_mine.py", "--op", "sin"])
    assert "test_mine.py" in args and str(cases_dir()) not in args
