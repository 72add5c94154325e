"""The pytest plugin: options, Hypothesis profiles, parametrization, Status marks, header and summary.

Registered through the ``pytest11`` entry point ``conformance.plugin``, so its options work wherever
the kit is installed; and it minds its own business.  It imports nothing heavy (no torch, no sympy,
no catalogue) and changes nothing until the run asks for the kit:

- the plugin is asked for by name (``-p conformance.plugin``, ``PYTEST_PLUGINS``, a conftest's
  ``pytest_plugins``), not only found through its entry point, or
- a kit option is given (``--conformance-*``; the short spellings ``--device``, ``--op``, ``--dtype`` and
  ``--compile-backend`` where the kit's own conftest declares them: ``conformance.plugin.arguments``), or
- the run's paths (its arguments, else ``testpaths``) lie in the kit's cases or contain them (not through
  a ``site-packages`` folder), or ``--pyargs`` names ``conformance.cases``, or
- a collected module lies in the kit's cases, or a test carries ``@pytest.mark.conformance`` (a property
  file of one's own).

Only then does it load torch and the catalogue (``conformance.plugin.session``), and it parametrizes
only the kit's own cases and tests that carry its marker.  ``--hypothesis-profile`` with an unknown name
is a usage error naming the known profiles, in every run (the kit's, in a kit run).
"""
from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

from conformance.plugin import arguments, profiles

KIT_ITEM = pytest.StashKey[bool]()
_REQUESTED = pytest.StashKey[bool]()
_OPTIONS = "--conformance-"  # the kit's option names in every run
_PACKAGE = Path(__file__).resolve().parents[1]
CASES_DIRS = tuple(p for p in (_PACKAGE / "cases", _PACKAGE.parent / "cases") if (p / "_steps.py").is_file())


def _in_kit(path: Path) -> bool:
    """Whether ``path`` is, or lies in, one of the kit's cases folders."""
    return any(path == d or d in path.parents for d in CASES_DIRS)


def _names_kit(path: Path) -> bool:
    """Whether collecting ``path`` collects kit cases: it lies in them, or holds them (not through site-packages)."""
    path = path.resolve()
    if _in_kit(path):
        return True
    for d in CASES_DIRS:
        if path in d.parents and not {"site-packages", "dist-packages"} & set(d.relative_to(path).parts):
            return True
    return False


def requested(args: list[str], invocation: Path, testpaths=(), pyargs: bool = False) -> bool:
    """Whether a run with these arguments asks for the kit (see the module docstring)."""
    if any(a.startswith(_OPTIONS) for a in args) or _named(args):
        return True
    paths = [a.split("::", 1)[0] for a in args if not a.startswith("-")]
    if pyargs or "--pyargs" in args:
        if any(p == "conformance" or p.startswith("conformance.cases") for p in paths):
            return True
    existing = [invocation / p for p in paths if _exists(invocation / p)]
    if not existing:
        existing = [invocation / p for p in testpaths] or [invocation]
    return any(_names_kit(p) for p in existing)


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; an argument that cannot be a path (a long ``-k`` expression's value) does not."""
    try:
        return path.exists()
    except OSError:
        return False


def _named(args: list[str]) -> bool:
    """Whether the run names the plugin itself (``-p conformance.plugin`` or ``PYTEST_PLUGINS``)."""
    named = [b for a, b in zip(args, args[1:]) if a == "-p"] + [a[2:] for a in args if a.startswith("-p") and a != "-p"]
    return "conformance.plugin" in named or "conformance.plugin" in os.environ.get("PYTEST_PLUGINS", "").split(",")


def active(config) -> bool:
    return config.stash.get(_REQUESTED, False)


def _activate(config) -> None:
    """Load the kit for this run (torch, catalogue, selections); idempotent."""
    if not active(config):
        config.stash[_REQUESTED] = True
        from conformance.plugin import session
        profiles.register()
        session.setup(config)


def _profile_from_args(args: list[str]) -> str:
    for i, arg in enumerate(args):
        if arg == "--hypothesis-profile" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--hypothesis-profile="):
            return arg.split("=", 1)[1]
    return os.environ.get("CONFORMANCE_PROFILE", profiles.DEFAULT)


def _parsed(parser, args):
    """The options as parsed so far (None where a value is malformed: pytest's own parse reports it)."""
    try:
        return parser.parse_known_args(list(args))
    except pytest.UsageError:
        return None


@pytest.hookimpl(hookwrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Random profiles get a seed chosen here, so the header can print it and a run can be replayed.

    After the initial conftests: their options are declared by then (the kit's short spellings, where the
    kit's own conftest declares them; a project's own ``--device``, which is not the kit's)."""
    outcome = yield
    if outcome.excinfo is not None:
        return
    testpaths = early_config.getini("testpaths") if early_config.inipath else []
    base = early_config.inipath.parent if early_config.inipath and testpaths else Path.cwd()
    if not (requested(list(args), Path.cwd(), [str(base / p) for p in testpaths])
            or arguments.given(_parsed(parser, args))):
        return
    early_config.stash[_REQUESTED] = None  # asked for; loaded at configure
    if any(a.startswith("--hypothesis-seed") for a in args):
        return
    if os.environ.get("PYTEST_XDIST_WORKER"):  # workers inherit the controller's environment
        if "CONFORMANCE_SEED" in os.environ:
            args.append(f"--hypothesis-seed={os.environ['CONFORMANCE_SEED']}")
        return
    if profiles.RANDOM.get(_profile_from_args(args)):
        os.environ["CONFORMANCE_SEED"] = str(random.randrange(2**32))
        args.append(f"--hypothesis-seed={os.environ['CONFORMANCE_SEED']}")


def pytest_addoption(parser):
    arguments.declare(parser)


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's plugin loads --hypothesis-profile
def pytest_configure(config):
    config.addinivalue_line("markers", "conformance(requires=(), entries=None, complex=False): a conformance "
                            "property: catalogue features it requires of an entry, an optional fixed list of "
                            "entries, complex dtypes (the kit's own properties are declared in "
                            "conformance.model.properties)")
    named = [str(a) for a in config.invocation_params.args] + (["-p", "conformance.plugin"] if any(
        getattr(m, "pytest_plugins", None) and "conformance.plugin" in m.pytest_plugins
        for m in config.pluginmanager.get_plugins() if hasattr(m, "__file__")) else [])
    if _REQUESTED not in config.stash and (arguments.given(config.option) or _named(named) or requested(
            [str(a) for a in config.args], config.invocation_params.dir, pyargs=config.option.pyargs)):
        config.stash[_REQUESTED] = None  # asked for (an xdist worker learns it here); loaded at session start
    kit = _REQUESTED in config.stash
    if kit:
        arguments.check(config)  # before torch loads: a usage error comes at once
    name = config.getoption("hypothesis_profile", default=None)
    if name and not _known_profile(name, kit):
        known = profiles.NAMES if kit else sorted(getattr(sys.modules["hypothesis"].settings, "_profiles", {}))
        raise pytest.UsageError(f"--hypothesis-profile: unknown profile {name!r}; known: {', '.join(known)}")
    if kit and (name or not config.option.help):  # --help alone needs no Hypothesis
        profiles.register()


def _known_profile(name: str, kit: bool) -> bool:
    """Whether Hypothesis knows the profile; in a kit run, one of the kit's, or one a conftest has registered
    (a conftest that registers one has imported Hypothesis: without it, the lookup is skipped, and its cost)."""
    if kit and (name in profiles.NAMES or "hypothesis" not in sys.modules):
        return name in profiles.NAMES
    from hypothesis import settings
    from hypothesis.errors import InvalidArgument
    try:
        settings.get_profile(name)
    except InvalidArgument:
        return False
    return True


@pytest.hookimpl(tryfirst=True)  # after Hypothesis loaded its profile, before the header and xdist's nodes
def pytest_sessionstart(session):
    if _REQUESTED in session.config.stash:
        _activate(session.config)


def pytest_unconfigure(config):
    active_fault = getattr(config, "_conformance_fault", None)
    if active_fault is not None:
        active_fault.undo()


def pytest_ignore_collect(collection_path, config):
    """The quick profile does not even collect the kit's other properties."""
    path = Path(collection_path).resolve()
    if active(config) and path.suffix == ".py" and _in_kit(path):
        from conformance.plugin import session
        return True if session.outside_quick(path.name) else None
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):
    """A module of the kit's cases loads the kit before it is imported (its decorators read the profile)."""
    if _in_kit(Path(module_path).resolve()):
        _activate(parent.config)


def _kit_function(definition) -> bool:
    """A kit property: in the kit's cases, marked ``@pytest.mark.conformance``, or using the kit's ``device``."""
    module = getattr(definition, "module", None)
    path = getattr(module, "__file__", None)
    if (path is not None and _in_kit(Path(path).resolve())) or definition.get_closest_marker("conformance"):
        return True
    info = getattr(definition, "_fixtureinfo", None)
    defs = info.name2fixturedefs.get("device", ()) if info is not None else ()
    return bool(defs) and getattr(defs[-1], "func", None) is _device_fixture


def pytest_generate_tests(metafunc):
    if not _kit_function(metafunc.definition):
        return
    _activate(metafunc.config)
    from conformance.plugin import session
    session.generate_tests(metafunc)


@pytest.hookimpl(tryfirst=True)  # before -k, -m and pytest-split: the deviations file is judged on every item
def pytest_collection_modifyitems(config, items):
    if not active(config):
        return
    for item in items:
        definition = getattr(item, "_pyfuncitem", item)
        if hasattr(item, "obj") and _kit_function(getattr(item, "definition", definition)):
            item.stash[KIT_ITEM] = True
    from conformance.plugin import session
    session.modify_items(config, items)


def pytest_report_header(config):
    if active(config):
        from conformance.plugin import session
        return session.report_header(config)
    return None


def _device_fixture(request):
    """The torch device under test (``--conformance-device``)."""
    _activate(request.config)
    return request.config._conformance_device


device = pytest.fixture(scope="session", name="device")(_device_fixture)


def _status_fixture(request):
    """The item's Status (``conformance.model.status``), decided at collection: what a failure of it may be, if
    not a plain pass (None).  A property hands it to the trial it builds (``Trial(..., status=status)``)."""
    from conformance.plugin import session
    return session.status(request.node) if active(request.config) else None


status = pytest.fixture(name="status")(_status_fixture)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under ``-n N`` with xdist's default ``--dist load``, keep each entry's items on one worker."""
    if not active(config) or config.getvalue("dist") != "load":
        return None
    from conformance.plugin.schedule import EntryScheduling
    return EntryScheduling(config, log)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)  # outside Hypothesis's own wrapper
def pytest_runtest_call(item):
    if not item.stash.get(KIT_ITEM, False):
        yield
        return
    from conformance.plugin import session
    with session.recording(item):
        outcome = yield
        session.unshown(item, outcome)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if item.stash.get(KIT_ITEM, False):
        from conformance.plugin import session
        session.report(outcome.get_result(), call)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if active(config):
        from conformance.plugin import summary
        summary.write(terminalreporter, config)
