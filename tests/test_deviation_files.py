"""Per-version deviation files: parsed strictly, applied as xfail or skip, stale entries warned about."""
import subprocess
import sys
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


USER_PROPERTY = '''
import pytest

pytestmark = pytest.mark.conformance(entries=("sin",), dtypes=("float32",))

def test_case(case, dtype, device):
    pass

def test_compiled(case, compile_backend, dtype, device):
    pass
'''


def test_an_entry_a_test_could_have_but_none_was_collected_is_warned_about(suite):
    suite.makepyfile(test_property=USER_PROPERTY)
    suite.path.joinpath("devs.txt").write_text(LISTED + "test_property.py::test_case[cos-float32] | r | l\n")
    result = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "devs.txt")
    result.stdout.fnmatch_lines(["*devs.txt: 1 deviation entry match no collected test"
                                 "*test_case[[]cos-float32[]] (devs.txt:2)*"])


@pytest.mark.parametrize("line, message", [
    ("test_user.py::test_sin_grad_renamed", "test_user.py defines no test_sin_grad_renamed"),
    ("test_gone.py::test_sin_grad", "no file test_gone.py"),
    ("test_user.py::test_other[gone]", "no test of its function takes these parameters (its ids read "
                                       "test_user.py::test_other)"),
    ("test_property.py::test_case[sin-float23]", "no test of its function takes these parameters (its ids read "
                                                 "test_property.py::test_case[{entry}-{dtype}])"),
    ("test_property.py::test_case[no_such_entry-float32]", "no test of its function takes these parameters"),
])
@pytest.mark.parametrize("narrowed", [(), ("--conformance-op", "sin", "-k", "test_other")])
def test_an_entry_no_test_could_have_is_a_usage_error_naming_file_line_and_id(suite, line, message, narrowed):
    suite.makepyfile(test_property=USER_PROPERTY)
    suite.path.joinpath("devs.txt").write_text(LISTED + f"{line} | r | l\n")
    result = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "devs.txt", *narrowed)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"--conformance-deviations: devs.txt:2: {line} can match no test: {message}" in result.stderr.str()


def test_a_narrow_selection_judges_entries_against_every_id_the_kit_could_give(suite):
    """sin and float32 only, and -k: an entry for another entry, dtype or backend is still one a test could have."""
    suite.makepyfile(test_property=USER_PROPERTY)
    suite.path.joinpath("devs.txt").write_text(
        LISTED + "test_property.py::test_case[cos-float64] | r | l\n"
        "test_property.py::test_compiled[nn.functional.multilabel_margin_loss-inductor-bfloat16] | r | l\n")
    result = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "devs.txt",
                             "--conformance-op", "sin", "--conformance-compile-backend", "aot_eager", "-k", "float32")
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()


def test_a_bad_file_is_a_usage_error(suite):
    suite.path.joinpath("devs.txt").write_text("nonsense\n")
    result = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "devs.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--conformance-deviations: devs.txt:1: expected 'TEST_ID | REASON | LINK OR REPRO'" in result.stderr.str()
    missing = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "nowhere.txt")
    assert "nowhere.txt: no such deviations file" in missing.stderr.str()


def test_an_entry_for_a_compile_backend_not_selected_is_not_stale(suite):
    suite.makepyfile(test_property=USER_PROPERTY)
    suite.path.joinpath("devs.txt").write_text(LISTED + "test_property.py::test_compiled[sin-inductor-float32] | r | "
                                               "l\n")
    result = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "devs.txt",
                             "--conformance-compile-backend", "aot_eager")
    result.assert_outcomes(passed=3, xfailed=1)
    assert "match no collected test" not in result.stdout.str()


def test_a_sometimes_line_is_refused_and_a_listed_pass_fails_saying_what_to_record(suite, tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("b.py::u | always | l\na.py::t | sometimes: shows at some draws | l\n")
    with pytest.raises(DeviationFileError, match=r"d.txt:2: a listed test must fail at every run \('sometimes:'"):
        parse(path)
    suite.path.joinpath("devs.txt").write_text("test_user.py::test_other | at every draw | repro\n")
    result = suite.runpytest("-p", "conformance.plugin", "--conformance-deviations", "devs.txt", "-rX")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*XPASS(strict)* no longer shows a known deviation*Record the release that fixed*"])


KIT_FILES = sorted((ROOT / "conformance" / "deviations").glob("torch-*.txt"))


def _collect(path: Path, *args: str) -> subprocess.CompletedProcess:
    """A kit run that collects and runs nothing (-k deselects every item after the plugin has judged them)."""
    return subprocess.run([sys.executable, "-m", "pytest", "-k", "no_such_test", "-q", "-p", "no:cacheprovider",
                           "--conformance-deviations", str(path), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize("path", KIT_FILES, ids=lambda p: p.name)
def test_the_kits_files_name_only_tests_the_kit_could_have(path):
    """Every shipped file, torch 2.14's and 2.15's too, passes the check in a narrow run (other entries, -k)."""
    modules = sorted({e.test_id.split("::")[0] for e in parse(path)}) or ["cases/test_vjp.py"]
    run = _collect(path, *modules, "--op", "sin")
    assert run.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, run.stderr


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["one process", "xdist"])
def test_a_typo_in_a_kit_file_is_an_error_naming_it_even_in_a_narrow_run(tmp_path, workers):
    lines = (ROOT / "conformance" / "deviations" / "torch-2.13.txt").read_text().splitlines()
    n = next(i for i, line in enumerate(lines) if "multilabel_margin_loss-aot_eager-float32]" in line)
    lines[n] = lines[n].replace("multilabel_margin_loss-aot_eager", "multilabel_margin_los-aot_eager")
    typo = tmp_path / "torch-2.13.txt"
    typo.write_text("\n".join(lines) + "\n")
    run = _collect(typo, "cases/test_compile.py", "--op", "sin", *workers)
    message = (f"--conformance-deviations: {typo}:{n + 1}: cases/test_compile.py::test_compile_vjp"
               f"[nn.functional.multilabel_margin_los-aot_eager-float32] can match no test")
    assert run.returncode == (pytest.ExitCode.USAGE_ERROR if not workers else pytest.ExitCode.TESTS_FAILED)
    assert message in (run.stdout if workers else run.stderr)
