"""The pytest plugin as a user meets it: options, usage errors, ids, header, failure report, summary."""
import os
import subprocess
import sys

import pytest

from conformance.catalogue import CATALOGUE

pytest_plugins = ["pytester"]

# A user's own property file: the kit's weighted-backward property, marked as a conformance property.
VJP_CASE = '''
import pytest
from hypothesis import given, strategies as st
from conformance.run import properties
from conformance.run.trial import Trial

pytestmark = pytest.mark.conformance()


@given(data=st.data())
def test_vjp(case, dtype, device, data):
    properties.vjp(Trial(case, dtype, device, data, "vjp"))
'''


@pytest.fixture
def suite(pytester):
    pytester.makepyfile(test_user_vjp=VJP_CASE)
    return pytester


def test_readable_ids_and_k_selection(suite):
    result = suite.runpytest("-p", "conformance.plugin", "--collect-only", "-q", "-k", "sin and float32")
    result.stdout.fnmatch_lines(["test_user_vjp.py::test_vjp[[]sin-float32[]]",
                                 "test_user_vjp.py::test_vjp[[]Tensor.sin-float32[]]"])


def test_header_names_torch_device_dtypes_profile(suite):
    result = suite.runpytest("-p", "conformance.plugin", "test_user_vjp.py::test_vjp[sin-float64]",
                             "--hypothesis-profile", "ci")
    result.stdout.fnmatch_lines(["autograd-conformance *: torch *, device cpu, dtypes float32, float64, bfloat16, "
                                 "float16, complex64, complex128, hypothesis profile ci*seed derandomized*"])
    result.stdout.fnmatch_lines(["*autograd conformance summary*", "user_vjp *1 *0 *0 *0 *"])
    assert result.ret == 0


def test_op_option_selects_entries_by_name_and_glob(suite):
    result = suite.runpytest("-p", "conformance.plugin", "--collect-only", "-q", "--conformance-op", "sin",
                             "--conformance-op", "norm*")
    ids = {line.split("[")[1].split("-")[0] for line in result.stdout.lines if "::test_vjp[" in line}
    assert ids == {"sin"} | {n for n in CATALOGUE if n.startswith("norm")}
    assert {"norm1", "norm2"} <= ids


def test_dtype_option_restricts(suite):
    result = suite.runpytest("-p", "conformance.plugin", "--collect-only", "-q", "--conformance-dtype", "float64",
                             "-k", "exp")
    assert "float32" not in result.stdout.str()
    assert "exp-float64" in result.stdout.str()


@pytest.mark.parametrize("args, message", [
    (["--conformance-device", "nosuchdevice"], "--conformance-device: 'nosuchdevice' is not a torch device string"),
    (["--conformance-device", "cuda:7"], "--conformance-device: 'cuda:7' is not available"),
    (["--conformance-dtype", "float8"], "--conformance-dtype: unknown dtype 'float8'"),
    (["--conformance-op", "sin,no_such_op*"], "--conformance-op: no catalogue entry matches 'no_such_op*'"),
    (["--conformance-examples", "0"], "--conformance-examples: must be at least 1"),
])
def test_bad_option_is_a_usage_error_naming_it(suite, args, message):
    result = suite.runpytest("-p", "conformance.plugin", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_failure_report_has_bound_inputs_and_runnable_repro(suite):
    suite.makeconftest('''
import pytest
from conformance.faults import scaled_backward

@pytest.fixture(autouse=True)
def fault():
    with scaled_backward("sin", 1e-6):
        yield
''')
    result = suite.runpytest("-p", "conformance.plugin", "test_user_vjp.py::test_vjp[sin-float64]",
                             "--hypothesis-profile", "ci")
    assert result.ret == 1
    out = result.stdout.str()
    assert "vjp of 'sin' (float64, cpu): x.grad deviates from the exact vᵀJ by" in out
    assert "input x = [" in out and "weight gy0 = " in out
    repro = out[out.index("Repro (copy-paste into Python):"):]
    result.stdout.fnmatch_lines(["user_vjp * 0 * 1 *"])
    # The repro is plain torch and runs as printed (without the fault, torch is right: ratio <= 1).
    lines = []
    for line in repro.splitlines()[1:]:
        line = line.removeprefix("E").strip()
        if not line or line.startswith("Falsifying") or line.startswith("Failing"):
            break
        lines.append(line)
    namespace = {}
    exec("\n".join(lines[:-1]), namespace)  # noqa: S102 - runs the repro statements the failure printed
    ratio = ((namespace["x"].grad.double() - namespace["expected"]).abs() / namespace["bound"]).nan_to_num().max()
    assert float(ratio) <= 1


def test_random_profile_prints_a_replayable_seed(suite, monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # the inner run is a controller of its own
    monkeypatch.delenv("CONFORMANCE_SEED", raising=False)
    result = suite.runpytest("-p", "conformance.plugin", "--collect-only", "--hypothesis-profile", "nightly")
    result.stdout.fnmatch_lines(["*hypothesis profile nightly, max_examples 150, seed [0-9]* "
                                 "(replay: --hypothesis-seed=SEED)"])


def test_examples_option_keeps_the_profile_but_its_example_count(suite, monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    result = suite.runpytest("-p", "conformance.plugin", "--collect-only", "--hypothesis-profile", "nightly",
                             "--conformance-examples", "12", "--hypothesis-seed", "5")
    result.stdout.fnmatch_lines(["*hypothesis profile nightly:12, max_examples 12, seed 5 *"])


def test_unknown_profile_in_environment_is_a_usage_error(suite, monkeypatch):
    monkeypatch.setenv("CONFORMANCE_PROFILE", "weekly")
    result = suite.runpytest("-p", "conformance.plugin", "--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "CONFORMANCE_PROFILE: unknown profile 'weekly'" in result.stderr.str()


def test_profiles_ignore_a_ci_environment():
    """With ``CI`` set, Hypothesis loads its derandomized "ci" profile before the kit registers its own."""
    code = ("from hypothesis import settings; from conformance.plugin import profiles; profiles.register(); "
            "print(settings.get_profile('nightly').derandomize, settings.get_profile('dev').derandomize)")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "CI": "true"},
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


USER_PROPERTY = '''
import pytest
from hypothesis import given, strategies as st
from conformance.run.trial import Trial

@pytest.mark.conformance(requires=("forward_ad",), entries=("sin", "mul", "abs_square_complex"))
@given(data=st.data())
def test_needs_forward_ad(case, dtype, device, data):
    Trial(case, dtype, device, data, "user")

@pytest.mark.conformance(complex=True, entries=("sin", "mm", "relu"))
@given(data=st.data())
def test_complex_only(case, dtype, device, data):
    Trial(case, dtype, device, data, "user")

@pytest.mark.conformance(entries=lambda device: ("mm",) if device.type == "cpu" else (), dtypes=("float16",))
@given(data=st.data())
def test_per_device_in_float16(case, dtype, device, data):
    Trial(case, dtype, device, data, "user")
'''


def test_conformance_marker_selects_entries_dtypes_and_features(pytester):
    pytester.makepyfile(test_user_marker=USER_PROPERTY)
    result = pytester.runpytest("-p", "conformance.plugin", "--collect-only", "-q")
    ids = {line.split("::")[1] for line in result.stdout.lines if "::" in line}
    assert ids == {f"test_needs_forward_ad[{op}-{d}]" for op in ("sin", "mul")
                   for d in ("float32", "float64", "bfloat16", "float16")} | {
                   "test_complex_only[sin-complex64]", "test_complex_only[sin-complex128]",
                   "test_complex_only[mm-complex64]", "test_complex_only[mm-complex128]",
                   "test_per_device_in_float16[mm-float16]"}
    narrowed = pytester.runpytest("-p", "conformance.plugin", "--collect-only", "-q", "--conformance-op", "mul",
                                  "--conformance-dtype", "complex64")
    # mul is not among the complex test's entries; the real test has no dtype left: no item of either
    assert [line for line in narrowed.stdout.lines if "::" in line] == []


LACKS_FLOAT64 = '''
import torch
_ones = torch.ones
def _ones_without_float64(*args, dtype=None, **kwargs):
    if dtype is torch.float64:
        raise TypeError("Cannot convert a tensor to float64: this backend has no float64 support")
    return _ones(*args, dtype=dtype, **kwargs)
torch.ones = _ones_without_float64
'''


def test_a_dtype_the_device_lacks_is_skipped_with_the_devices_reason(suite, monkeypatch):
    import torch
    monkeypatch.setattr(torch, "ones", torch.ones)  # the in-process run's conftest replaces it: restored at teardown
    suite.makeconftest(LACKS_FLOAT64)
    result = suite.runpytest("-p", "conformance.plugin", "-k", "sin and not Tensor", "-rs", "--conformance-op", "sin",
                             "--conformance-dtype", "float32,float64")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*cpu does not support float64: Cannot convert a tensor to float64*"])


def test_junitxml_keeps_readable_ids(suite):
    result = suite.runpytest("-p", "conformance.plugin", "test_user_vjp.py", "--conformance-op", "sin",
                             "--conformance-dtype", "float32", "--hypothesis-profile", "ci", "--junitxml", "junit.xml")
    result.assert_outcomes(passed=1)
    import xml.etree.ElementTree as ET
    cases = [c.get("name") for c in ET.parse(suite.path / "junit.xml").getroot().iter("testcase")]
    assert cases == ["test_vjp[sin-float32]"]


def test_the_cpu_lacks_no_dtype_of_the_kit():
    from conformance.model.case import DTYPES
    from conformance.plugin.options import lacking_dtypes
    assert lacking_dtypes(__import__("torch").device("cpu"), list(DTYPES)) == {}


SETTINGS_DEPTH = '''
import pytest
from hypothesis import given, strategies as st

pytestmark = pytest.mark.conformance()  # the kit's own properties get the fix


def depth(s):
    n = 0
    while s is not None:
        s, n = s._fallback, n + 1
    return n


@pytest.mark.parametrize("k", range(40))
@given(x=st.integers())
def test_many(k, x):
    assert depth(test_many._hypothesis_internal_use_settings) < 8
'''


def test_parametrized_hypothesis_settings_stay_shallow(pytester):
    """Hypothesis's pytest plugin parents each parametrized item's settings on the previous item's; the
    kit restores them after each item, or the chain (walked by every settings lookup) grows per item."""
    pytester.makepyfile(test_depth=SETTINGS_DEPTH)
    pytester.runpytest("-p", "conformance.plugin", "--hypothesis-profile", "ci").assert_outcomes(passed=40)


GUARDED_PROPERTY = '''
import pytest
from hypothesis import given, strategies as st
from conformance.run.trial import Trial

@pytest.mark.conformance(guard=("sin", "mul"), dtypes=("float64",))
@given(data=st.data())
def test_expensive(case, dtype, device, data):
    Trial(case, dtype, device, data, "user")
'''


@pytest.mark.parametrize("args, entries", [
    ((), {"sin", "mul"}),  # every profile but nightly: the guard
    (("--hypothesis-profile", "ci"), {"sin", "mul"}),
    (("--hypothesis-profile", "nightly"), "all"),  # nightly: the whole catalogue
    (("--conformance-op", "exp,sin"), {"exp", "sin"}),  # entries named: those, guarded or not
])
def test_guard_narrows_an_expensive_mode_but_under_nightly_or_op(pytester, args, entries):
    pytester.makepyfile(test_user_guard=GUARDED_PROPERTY)
    result = pytester.runpytest("-p", "conformance.plugin", "--collect-only", "-q", *args)
    ids = {line.split("[")[1].rsplit("-", 1)[0] for line in result.stdout.lines if "::test_expensive[" in line}
    every = {n for n, c in CATALOGUE.items() if "float64" in c.dtypes}
    assert ids == (every if entries == "all" else entries)


def _kit_run(*args: str) -> str:
    root = os.path.join(os.path.dirname(__file__), "..")
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=root,
                         capture_output=True, text=True, timeout=600)
    return run.stdout


def test_compile_properties_guard_by_default_and_switch_off():
    from conformance.catalogue import guards
    by_default = _kit_run("cases/test_compile.py", "--collect-only", "-q", "--dtype", "float32,float64", "-k",
                          "test_compile_vjp")
    ids = {line.split("[")[1].rstrip("]") for line in by_default.splitlines() if "::test_compile_vjp[" in line}
    assert ids == {f"{e}-{b}-{d}" for e in guards.COMPILE for b in ("aot_eager", "inductor")
                   for d in guards.COMPILE_DTYPES.get(b, ("float32", "float64"))}
    assert {f"sin-aot_eager-{d}" for d in ("float32", "float64")} | {"sin-inductor-float32"} <= ids
    named = _kit_run("cases/test_compile.py", "--collect-only", "-q", "--compile-backend", "inductor", "--op", "sin",
                     "-k", "test_compile_vjp")
    assert "test_compile_vjp[sin-inductor-float64]" in named
    off = _kit_run("cases/test_compile.py", "--compile-backend", "off", "-rs", "--op", "sin", "--dtype", "float64",
                   "-k", "test_compile_vjp")
    assert "1 skipped" in off and "torch.compile properties are off (--compile-backend off)" in off, off


def test_shards_keep_whole_entries():
    """Under pytest-split the items are ordered by entry, so its contiguous chunks hold whole entries."""
    def entries(group):
        out = _kit_run("cases/test_vjp.py", "cases/test_accumulation.py", "--collect-only", "-q", "--op",
                       "sin,cos,tan,exp", "--splits", "2", "--group", group)
        return [line.split("[")[1].split("-")[0] for line in out.splitlines() if "::" in line]
    first, second = entries("1"), entries("2")
    assert set(first) | set(second) == {"sin", "cos", "tan", "exp"} and not set(first) & set(second)
    assert len(first) == len(second)


def test_an_argument_too_long_for_a_path_does_not_stop_the_plugin(tmp_path):
    from conformance.plugin import requested
    assert requested(["-k", "x" * 5000, "cases"], tmp_path) is False
    assert requested(["--conformance-op", "sin"], tmp_path) is True
    assert requested(["--op", "sin"], tmp_path) is False  # a project's own option: the kit's is --conformance-op


STATUS_PROPERTY = '''
import pytest
from hypothesis import given, strategies as st

@pytest.mark.conformance(requires=("double_backward",), entries=("prod_dim", "sin"), dtypes=("float64",))
@given(data=st.data())
def test_second_order(case, dtype, device, status, data):
    assert (status.widen if case.name == "prod_dim" else status) == (5.0 if case.name == "prod_dim" else None)
'''


def test_a_property_gets_its_items_status_as_the_status_fixture(pytester):
    """The Status decided at collection reaches the property as an argument (a widened mode here; none for
    sin), under ``@given`` without Hypothesis's function-scoped fixture check failing it."""
    pytester.makepyfile(test_user_status=STATUS_PROPERTY)
    pytester.runpytest("-p", "conformance.plugin", "--hypothesis-profile", "ci").assert_outcomes(passed=2)
