"""Per-version deviation files: parsed strictly, applied as xfail or skip, stale entries warned about."""
from pathlib import Path

import pytest
import torch

from conformance.plugin.deviations import DeviationFileError, default_path, parse, unmatched

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
USER_TESTS = '''
def test_sin_grad(device):
    assert False, "torch deviates here"

def test_other(device):
    pass
'''
LISTED = "test_user.py::test_sin_grad | sin's gradient is wrong here | x = torch.ones(1); print(x)\n"


@pytest.fixture
def suite(pytester):
    pytester.makepyfile(test_user=USER_TESTS)
    return pytester


def test_the_file_for_the_installed_torch_is_found_and_well_formed():
    path = default_path(ROOT)
    major, minor = torch.__version__.split(".")[:2]
    assert path.name == f"torch-{major}.{minor}.txt" and path.is_file(), "every tested version has its file"
    for entry in parse(path):
        assert entry.reason and entry.reference


@pytest.mark.parametrize("line, message", [
    ("cases/test_vjp.py::test_vjp[sin-float32] | reason only", "link or repro missing"),
    ("cases/test_vjp.py::test_vjp[sin-float32]", "reason, link or repro missing"),
    ("test_vjp sin | reason | link", "is not an exact pytest test id"),
])
def test_a_malformed_line_is_an_error_naming_file_and_line(tmp_path, line, message):
    path = tmp_path / "torch-9.9.txt"
    path.write_text(f"# header\n\n{line}\n")
    with pytest.raises(DeviationFileError, match=f"torch-9.9.txt:3: .*{message}"):
        parse(path)


def test_a_repeated_id_is_an_error(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("a.py::t | r | l\na.py::t | r2 | l2 | with | bars\n")
    with pytest.raises(DeviationFileError, match=r"d.txt:2: a.py::t is listed twice \(first at .*d.txt:1\)"):
        parse(path)


def test_the_reference_keeps_its_bars(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("a.py::t | r | print(x | y)\n")
    assert parse(path)[0].reference == "print(x | y)"


def test_unmatched_ignores_tests_not_collected_at_all(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("a.py::t[x] | r | l\na.py::t[gone] | r | l\nb.py::u[y] | r | l\n")
    assert [e.test_id for e in unmatched(parse(path), {"a.py::t[x]"})] == ["a.py::t[gone]"]


@pytest.mark.parametrize("mode, outcome", [("xfail", "xfailed"), ("skip", "skipped")])
def test_listed_tests_are_expected_failures_or_skips(suite, mode, outcome):
    suite.path.joinpath("devs.txt").write_text(LISTED)
    result = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "devs.txt",
                             "--conformance-deviations-mode", mode, "-rxs")
    result.assert_outcomes(passed=1, **{outcome: 1})
    result.stdout.fnmatch_lines([f"*known deviations: devs.txt (1 entries, {mode})*",
                                 "*known deviation of torch * (devs.txt:1): sin's gradient is wrong here*"])


def test_auto_picks_the_installed_versions_file_and_none_disables_it(suite):
    assert default_path(suite.path).parent == ROOT / "conformance" / "deviations"  # none of the project's: the kit's
    target = suite.path / "deviations" / default_path(suite.path).name
    target.parent.mkdir()
    target.write_text(LISTED)
    assert default_path(suite.path) == target  # the project's own file takes precedence
    suite.runpytest("-p", "conformance.plugin").assert_outcomes(passed=1, xfailed=1)
    suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "none").assert_outcomes(passed=1, failed=1)


def test_an_entry_matching_no_test_is_warned_about(suite):
    suite.path.joinpath("devs.txt").write_text(LISTED + "test_user.py::test_sin_grad_renamed | r | l\n"
                                               "test_user.py::test_other[gone] | r | l\n")
    result = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "devs.txt")
    result.stdout.fnmatch_lines(["*devs.txt: 1 deviation entry match no collected test"
                                 "*test_other[[]gone[]] (devs.txt:3)*"])


def test_a_bad_file_is_a_usage_error(suite):
    suite.path.joinpath("devs.txt").write_text("nonsense\n")
    result = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "devs.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--conformance-deviations: devs.txt:1: expected 'TEST_ID | REASON | LINK OR REPRO'" in result.stderr.str()
    missing = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "nowhere.txt")
    assert "nowhere.txt: no such deviations file" in missing.stderr.str()


def test_an_entry_for_a_compile_backend_not_selected_is_not_stale(suite):
    suite.path.joinpath("devs.txt").write_text(LISTED + "test_user.py::test_other[f-inductor-float32] | r | l\n")
    result = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "devs.txt")
    assert "match no collected test" not in result.stdout.str()


def test_a_sometimes_line_explains_its_pass_and_a_plain_line_does_not(suite, tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("a.py::t | sometimes: shows at some draws | l\nb.py::u | always | l\n")
    assert [e.sometimes for e in parse(path)] == [True, False]
    suite.path.joinpath("devs.txt").write_text("test_user.py::test_other | sometimes: at some draws only | repro\n")
    result = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "devs.txt", "-rX")
    result.assert_outcomes(failed=1, xpassed=1)
    result.stdout.fnmatch_lines(["*xpassed: 1, 1 explained*"])
    suite.path.joinpath("devs.txt").write_text("test_user.py::test_other | at every draw | repro\n")
    result = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "devs.txt", "-rX")
    result.stdout.fnmatch_lines(["*1 unexplained: test_other*"])
