"""The pytest plugin: options, Hypothesis profiles, parametrization, report header and summary.

Registered through the ``pytest11`` entry point ``conformance.plugin``, so its options work wherever
the kit is installed.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, settings

from . import __version__, deviations, options, record, summary
from .case import COMPLEX, DTYPES, Case
from .catalogue import CATALOGUE
from .report import KnownDeviation, dtype_name

# Profiles derive from Hypothesis's own "default" profile, never from whatever is loaded at import time:
# with a CI environment variable set, Hypothesis loads its built-in "ci" profile (derandomized) first.
_BASE = settings.get_profile("default")
_COMMON = dict(parent=_BASE, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=1, derandomize=False, **_COMMON)  # a smoke run: new points each time
settings.register_profile("ci", max_examples=8, derandomize=True, database=None, print_blob=True, **_COMMON)
settings.register_profile("nightly", max_examples=150, derandomize=False, database=None, print_blob=True,
                          **_COMMON)
PROFILES = ("dev", "ci", "nightly")
DEFAULT_PROFILE = "dev"


def _profile_from_args(args: list[str]) -> str:
    for i, arg in enumerate(args):
        if arg == "--hypothesis-profile" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--hypothesis-profile="):
            return arg.split("=", 1)[1]
    return os.environ.get("CONFORMANCE_PROFILE", DEFAULT_PROFILE)


def pytest_load_initial_conftests(early_config, parser, args):
    """Random profiles get a seed chosen here, so the header can print it and a run can be replayed."""
    if any(a.startswith("--hypothesis-seed") for a in args):
        return
    if os.environ.get("PYTEST_XDIST_WORKER"):  # workers inherit the controller's environment
        if "CONFORMANCE_SEED" in os.environ:
            args.append(f"--hypothesis-seed={os.environ['CONFORMANCE_SEED']}")
        return
    profile = _profile_from_args(args)
    if profile in PROFILES and not settings.get_profile(profile).derandomize:
        os.environ["CONFORMANCE_SEED"] = str(random.randrange(2**32))
        args.append(f"--hypothesis-seed={os.environ['CONFORMANCE_SEED']}")


def pytest_addoption(parser):
    group = parser.getgroup("conformance", "autograd conformance")
    group.addoption("--device", default="cpu",
                    help="torch device the suite runs on (any torch device string: cpu, cuda, cuda:1, mps, xpu...)")
    group.addoption("--op", action="append", default=None, metavar="PATTERN",
                    help="restrict to catalogue entries matching these names or glob patterns "
                         "(repeatable or comma-separated: --op sin,cos --op 'linalg.*')")
    group.addoption("--dtype", action="append", default=None, metavar="NAME",
                    help=f"restrict to these dtypes (repeatable or comma-separated; known: {', '.join(DTYPES)})")
    group.addoption("--conformance-fault", default=os.environ.get("CONFORMANCE_FAULT") or None, metavar="NAME",
                    help="inject the named fault into torch for the whole run (python -m conformance.faults --list; "
                         "default: $CONFORMANCE_FAULT)")
    group.addoption("--conformance-report", default=None, metavar="PATH",
                    help="write a JSON report of the run (environment, and per test: case, property, dtype, device, "
                         "outcome, worst error / bound, examples, repro); merge and diff them with python -m "
                         "conformance.reports")
    group.addoption("--conformance-deviations", default="auto", metavar="PATH|auto|none",
                    help="known deviations of this torch version, one test id per line (default auto: "
                         "deviations/torch-X.Y.txt under the rootdir, if present)")
    group.addoption("--conformance-deviations-mode", choices=("xfail", "skip"), default="xfail",
                    help="listed deviations are non-strict expected failures (default) or skipped")
    group.addoption("--compile-backend", action="append", default=None, metavar="NAME",
                    help="run the torch.compile properties (cases/test_compile.py) with these backends (repeatable "
                         "or comma-separated: eager, aot_eager, inductor); off by default")
    group.addoption("--conformance-examples", type=int, default=None, metavar="N",
                    help="override the Hypothesis profile's max_examples (its other settings stay): "
                         "--hypothesis-profile nightly --conformance-examples 20 is a shorter random soak")


@pytest.hookimpl(trylast=True)  # after Hypothesis's plugin has loaded --hypothesis-profile
def pytest_configure(config):
    config.addinivalue_line("markers", "conformance(requires=(), entries=None): catalogue features a conformance "
                            "case requires of an entry, and an optional fixed list of entries")
    config._conformance_dtypes = options.selected_dtypes(config)
    config._conformance_entries = options.selected_entries(config)
    config._conformance_device = options.resolve_device(config)
    config._conformance_compile = options.compile_backends(config)
    config._conformance_lacking = options.lacking_dtypes(config._conformance_device, config._conformance_dtypes)
    if not config.getoption("hypothesis_profile", default=None):
        profile = os.environ.get("CONFORMANCE_PROFILE", DEFAULT_PROFILE)
        if profile not in PROFILES:
            raise pytest.UsageError(f"CONFORMANCE_PROFILE: unknown profile {profile!r}; known: {', '.join(PROFILES)}")
        settings.load_profile(profile)
    options.override_examples(config)
    options.activate_fault(config)
    config._conformance_deviations = deviations.load_for(config)
    path = config.getoption("--conformance-report")
    if path and not hasattr(config, "workerinput"):  # the controller writes it (xdist workers send it their reports)
        from .reports.writer import ReportWriter
        config.pluginmanager.register(ReportWriter(config, Path(path).resolve()), "conformance-report")


def pytest_unconfigure(config):
    active = getattr(config, "_conformance_fault", None)
    if active is not None:
        active.undo()


def pytest_report_header(config):
    seed = config.getoption("hypothesis_seed", default=None)
    profile = settings.default
    return [f"autograd-conformance {__version__}: torch {torch.__version__}, device {config._conformance_device}, "
            f"dtypes {', '.join(config._conformance_dtypes)}, hypothesis profile "
            f"{settings.get_current_profile_name()}, max_examples {profile.max_examples}, "
            f"seed {'derandomized' if profile.derandomize else seed} (replay: --hypothesis-seed=SEED)"] + _fault_header(config) + deviations.header(config)


def _fault_header(config) -> list[str]:
    active = getattr(config, "_conformance_fault", None)
    return [f"fault injected: {active.fault.name} ({active.fault.level}: {active.fault.what})"] if active else []


@pytest.fixture(scope="session")
def device(request) -> torch.device:
    """The torch device under test (``--device``)."""
    return request.config._conformance_device


def _explicit(node, name: str) -> bool:
    """Whether the test parametrizes ``name`` itself (then the plugin leaves it alone)."""
    for mark in node.iter_markers("parametrize"):
        names = mark.args[0]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        if name in names:
            return True
    return False


def _marker(definition) -> dict:
    """The test's ``@pytest.mark.conformance(requires=..., entries=...)`` options."""
    mark = definition.get_closest_marker("conformance")
    if mark is None:
        return {}
    unknown = set(mark.kwargs) - {"requires", "entries", "complex"}
    if mark.args or unknown:
        raise pytest.UsageError(f"{definition.nodeid}: conformance marker takes only requires=, entries= and complex= "
                                f"keywords (got {mark.args!r} {sorted(unknown)})")
    return mark.kwargs


def pytest_generate_tests(metafunc):
    """Tests that take ``case`` run over the catalogue, and ``dtype`` over the selected dtypes.

    ``@pytest.mark.conformance(requires=("double_backward",))`` skips entries that declare the feature
    unsupported (with their reason); ``entries=(...)`` restricts a test to the named entries;
    ``complex=True`` runs it over the selected complex dtypes and the entries declaring them (other
    tests run over the selected real dtypes).
    """
    config = metafunc.config
    options = _marker(metafunc.definition)
    if "case" in metafunc.fixturenames and not _explicit(metafunc.definition, "case"):
        names = config._conformance_entries
        if options.get("entries") is not None:
            unknown = [n for n in options["entries"] if n not in CATALOGUE]
            if unknown:
                raise pytest.UsageError(f"{metafunc.definition.nodeid}: unknown catalogue entries {unknown}")
            names = [n for n in names if n in options["entries"]]
        # complex properties run the entries that declare complex dtypes, the others those with real ones
        names = [n for n in names if any((d in COMPLEX) == bool(options.get("complex")) for d in CATALOGUE[n].dtypes)]
        params = []
        for name in names:
            case, marks = CATALOGUE[name], []
            missing = case.missing()
            lacks = case.lacks(options.get("requires", ()))
            if missing:
                marks.append(pytest.mark.skip(reason=f"{missing} is absent from torch {torch.__version__}"))
            elif lacks:
                marks.append(pytest.mark.skip(reason=lacks))
            params.append(pytest.param(case, id=name, marks=marks))
        metafunc.parametrize("case", params)
    if "compile_backend" in metafunc.fixturenames:
        backends = config._conformance_compile
        metafunc.parametrize("compile_backend", [
            pytest.param(n, id=n, marks=[pytest.mark.skip(reason=why)] if why else []) for n, why in backends.items()
        ] or [pytest.param(None, id="compile-off", marks=pytest.mark.skip(
            reason="torch.compile properties run with --compile-backend eager,aot_eager,inductor"))])
    if "dtype" in metafunc.fixturenames and not _explicit(metafunc.definition, "dtype"):
        wanted = [n for n in config._conformance_dtypes if (n in COMPLEX) == bool(options.get("complex"))]
        metafunc.parametrize("dtype", [DTYPES[n] for n in wanted], ids=wanted)


def pytest_collection_modifyitems(config, items):
    deviations.apply(config, items)
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "device" in fixtures or ("case" in fixtures and not _explicit(item, "case")):  # a conformance case
            item.user_properties.append(("conformance_property", summary.property_of(item.nodeid)))
        callspec = getattr(item, "callspec", None)
        if callspec is None:
            continue
        case, dtype = callspec.params.get("case"), callspec.params.get("dtype")
        entry = case if case is not None else callspec.params.get("row")  # a catalogue entry, or a conventions row
        if getattr(entry, "name", None) or getattr(entry, "id", None):
            item.user_properties.append(("conformance_case", getattr(entry, "name", None) or entry.id))
        if isinstance(dtype, torch.dtype):
            item.user_properties.append(("conformance_dtype", dtype_name(dtype)))
        if isinstance(dtype, torch.dtype) and dtype_name(dtype) in config._conformance_lacking:
            item.add_marker(pytest.mark.skip(reason=config._conformance_lacking[dtype_name(dtype)]))
            continue
        if not isinstance(case, Case) or not isinstance(dtype, torch.dtype) or _explicit(item, "case"):  # empty sets
            continue
        if dtype_name(dtype) not in case.dtypes:
            item.add_marker(pytest.mark.skip(reason=f"{case.name} does not support {dtype_name(dtype)}"))
        else:
            mark = item.get_closest_marker("conformance")
            keys = case.deviation_keys(dtype_name(dtype), mark.kwargs.get("requires", ()) if mark else ())
            if keys:  # only a failure the deviation covers (raised as KnownDeviation) is an xfail; any other fails
                item.add_marker(pytest.mark.xfail(reason=f"known torch deviation: {case.live_deviations[keys[0]]}",
                                                  strict=False, raises=KnownDeviation))


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under ``-n N`` with xdist's default ``--dist load``, keep each entry's items on one worker."""
    if config.getvalue("dist") != "load":
        return None
    from .schedule import EntryScheduling
    return EntryScheduling(config, log)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)  # outside Hypothesis's own wrapper
def pytest_runtest_call(item):
    mark = item.get_closest_marker("conformance")
    record.start(mark.kwargs.get("requires", ()) if mark else ())
    # Hypothesis's pytest plugin wraps a parametrized test's settings in a new settings object on every
    # item, parented on the previous wrapper: over a function's 1,206 items the chain grows to 1,206
    # levels and every settings lookup walks it (quadratic in the items).  Restoring the function's own
    # settings after each item keeps the chain one level deep.
    function = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
    own = getattr(function, "_hypothesis_internal_use_settings", None)
    try:
        yield
    finally:
        if own is not None:
            function._hypothesis_internal_use_settings = own
        result = record.stop()
        if result and result[1]:
            item.user_properties.append(("conformance_worst", result))
        if record.examples():
            item.user_properties.append(("conformance_examples", record.examples()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(KnownDeviation):
        report.outcome = "skipped"
        report.wasxfail = str(call.excinfo.value).splitlines()[0]
        report.longrepr = str(call.excinfo.value)
    elif report.failed and call.excinfo is not None:  # the repro note travels with the report (xdist too)
        notes = [n for n in getattr(call.excinfo.value, "__notes__", []) if n.startswith("Repro")]
        if notes:
            report.user_properties = [*report.user_properties, ("conformance_repro", notes[0])]


def scaled_settings(fraction: float):
    """Hypothesis settings with a fraction of the active profile's examples (at least one)."""
    return settings(max_examples=max(1, int(settings.default.max_examples * fraction)))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    summary.write(terminalreporter, config)
