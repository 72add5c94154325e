"""The plugin minds its own business: a foreign project's run in the same environment loads nothing
of the kit, parametrizes nothing, keeps Hypothesis's settings; a bad profile is a one-line usage error."""
import pytest

from conformance.plugin import profiles

pytest_plugins = ["pytester"]

FOREIGN_CONFTEST = '''
import pytest

@pytest.fixture(params=["a", "b"])
def case(request):
    return request.param

@pytest.fixture
def dtype():
    return "theirs"
'''

FOREIGN_TESTS = '''
import sys
from hypothesis import given, settings, strategies as st


def test_own_fixtures(case, dtype):
    assert dtype == "theirs" and case in ("a", "b")


def test_nothing_heavy_was_imported():
    heavy = [m for m in ("torch", "sympy", "conformance.catalogue", "conformance.plugin.session") if m in sys.modules]
    assert heavy == []


@given(st.integers())
def test_hypothesis_keeps_its_own_profile(x):
    registered = getattr(settings, "_profiles", {})
    assert "quick" not in registered and "nightly" not in registered  # the kit registered none of its profiles
    assert settings.get_current_profile_name() in ("default", "ci")  # Hypothesis's own choice (ci under CI=true)
'''


@pytest.fixture
def foreign(pytester):
    pytester.makeconftest(FOREIGN_CONFTEST)
    pytester.makepyfile(test_theirs=FOREIGN_TESTS)
    return pytester


def test_a_foreign_run_is_untouched(foreign):
    """Two items of their own parametrized fixture, no kit header or summary, no torch in the process; the
    plugin is loaded as an installed kit's is, through its entry point."""
    result = foreign.runpytest_subprocess("-v")
    result.assert_outcomes(passed=4)
    out = result.stdout.str()
    assert "autograd-conformance" in out.split("collect")[0]  # pytest's "plugins:" line: it is loaded
    assert "test_own_fixtures[a]" in out and "test_own_fixtures[b]" in out
    assert "hypothesis profile dev" not in out and "autograd conformance summary" not in out


def test_a_kit_option_asks_for_the_kit(foreign):
    result = foreign.runpytest_subprocess("--conformance-dtype", "float32", "--collect-only")
    assert "hypothesis profile dev" in result.stdout.str()  # the kit's header


@pytest.mark.parametrize("where", ["foreign", "kit"])
def test_an_unknown_hypothesis_profile_is_a_usage_error(foreign, where):
    args = ["--conformance-dtype", "float32"] if where == "kit" else []
    result = foreign.runpytest_subprocess("--hypothesis-profile", "bogus", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--hypothesis-profile: unknown profile 'bogus'; known:" in result.stderr.str()
    if where == "kit":  # the kit's own, as profiles.py defines them
        assert f"known: {', '.join(profiles.NAMES)}\n" in result.stderr.str()
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


OPTIONS_CONFTEST = '''
import pytest

def pytest_addoption(parser):
    parser.addoption("--device", default="cpu")
    parser.addoption("--dtype", default="float32")
    parser.addoption("--op", action="append", default=[])

@pytest.fixture
def given(request):
    return [request.config.getoption(name) for name in ("--device", "--dtype", "--op")]
'''

OPTIONS_TESTS = '''
def test_their_options_are_theirs(given):
    assert given == ["cuda:3", "float16", ["matmul"]]
'''


@pytest.mark.parametrize("load", [(), ("-p", "conformance.plugin")], ids=["entry point", "named"])
def test_a_project_with_its_own_device_dtype_and_op_options_runs_untouched(pytester, load):
    """The kit's options are --conformance-device and the like: a project's own --device, --dtype and --op (common in
    ML test suites) stay theirs, with the kit installed (found through its entry point) or even asked for."""
    pytester.makeconftest(OPTIONS_CONFTEST)
    pytester.makepyfile(test_theirs=OPTIONS_TESTS)
    result = pytester.runpytest_subprocess(*load, "--device", "cuda:3", "--dtype", "float16", "--op", "matmul")
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert "autograd-conformance" in out.split("collect")[0]  # pytest's "plugins:" line: it is loaded
    if load:  # asked for: its header shows its own defaults, untouched by their options
        assert "device cpu, dtypes float32, float64, bfloat16, float16, complex64, complex128" in out
    else:
        assert "hypothesis profile dev" not in out and "autograd conformance summary" not in out
