"""The kit's side of a pytest run, loaded only when the run asks for the kit (``conformance.plugin``):
selections, device, profile, faults and deviations at session start; parametrization of the kit's
cases; each item's Status, decided once at collection (``decide``); the record around each call; and
the report of a known deviation.
"""
from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, settings

from conformance import __version__
from conformance.catalogue import CATALOGUE, guards
from conformance.model import properties
from conformance.model.case import COMPLEX, DTYPES, Case, expanded
from conformance.model.expectation import Expectation, Facts
from conformance.model.status import Status, first
from conformance.plugin import KIT_ITEM, _in_kit, arguments, deviations, options, profiles, schedule, summary, terminate
from conformance.run import record
from conformance.run.failure import ConformanceFailure, KnownDeviation, dtype_name

STATUS = pytest.StashKey[Status]()


def status_mark(status: Status, skip_listed: bool = False):
    """The pytest mark of ``status`` (``skip_listed``: per-version file lines skip instead); None for a
    widening, which runs as a plain check with its bounds widened, and for a deviation with a condition, whose
    outcome the run decides (``unshown``): xfailed where it showed, passed where no draw met the condition.
    Every xfail is strict: a pass fails, saying what to record."""
    if status.kind == "widened" or (status.when is not None and not status.skips):
        return None
    if status.skips or (status.kind == "listed" and skip_listed):
        return pytest.mark.skip(reason=status.reason)
    if status.kind == "listed":
        return pytest.mark.xfail(reason=status.reason, strict=True)
    return pytest.mark.xfail(reason=f"known torch deviation: {status.reason}", strict=True, raises=KnownDeviation)


def setup(config) -> None:
    """What the kit's options select, checked (each bad value is a one-line usage error)."""
    config._conformance_dtypes = arguments.selected_dtypes(config)
    config._conformance_entries = options.selected_entries(config)
    config._conformance_emptied = set()  # test functions whose entries or dtypes the selection left empty
    config._conformance_device = options.resolve_device(config)
    config._conformance_compile, config._conformance_compile_guarded = options.compile_backends(config)
    config._conformance_lacking = options.lacking_dtypes(config._conformance_device, config._conformance_dtypes)
    if not config.getoption("hypothesis_profile", default=None):
        settings.load_profile(arguments.profile(config))  # a known one: arguments.check
    options.override_examples(config)
    options.activate_fault(config)
    config._conformance_deviations = deviations.load_for(config)
    terminate.install(config)  # SIGTERM stops the run as Ctrl-C does: summary and report of the tests that ran
    path = config.getoption("--conformance-report")
    if path and not hasattr(config, "workerinput"):  # the controller writes it (xdist workers send it their reports)
        from conformance.reports.writer import ReportWriter
        config.pluginmanager.register(ReportWriter(config, Path(path).resolve()), "conformance-report")


def report_header(config):
    seed = config.getoption("hypothesis_seed", default=None)
    profile = settings.default
    return ([f"autograd-conformance {__version__}: torch {torch.__version__}, device {config._conformance_device}, "
             f"dtypes {', '.join(arguments.header_dtypes(config, config._conformance_dtypes))}, hypothesis profile "
             f"{settings.get_current_profile_name()}, max_examples {profile.max_examples}, "
             f"seed {'derandomized' if profile.derandomize else seed} (replay: --hypothesis-seed=SEED)"]
            + _fault_header(config) + deviations.header(config))


def _fault_header(config) -> list[str]:
    active = getattr(config, "_conformance_fault", None)
    return [f"fault injected: {active.fault.name} ({active.fault.level}: {active.fault.what})"] if active else []


def _explicit(node, name: str) -> bool:
    """Whether the test parametrizes ``name`` itself (then the plugin leaves it alone)."""
    for mark in node.iter_markers("parametrize"):
        names = mark.args[0]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        if name in names:
            return True
    return False


MARKER = ("requires", "entries", "complex", "family", "declares", "exact", "dtypes", "guard")


def kit_property(node) -> properties.Property | None:
    """The kit property a test function of the kit's cases is (None: a test of one's own, or no kit case)."""
    path = getattr(node, "path", None)
    if path is None or not _kit_file(path):
        return None
    return properties.get(getattr(node, "originalname", node.name))


@functools.lru_cache(maxsize=None)
def _kit_file(path) -> bool:
    return _in_kit(Path(path).resolve())


def declared_options(node) -> dict:
    """The test's conformance options: a kit property's declaration (``conformance.model.properties``) with its
    ``@pytest.mark.conformance(entries=..., guard=...)``; a test of one's own, its marker's."""
    mark = node.get_closest_marker("conformance")
    given = mark.kwargs if mark is not None else {}
    unknown = set(given) - set(MARKER)
    if mark is not None and (mark.args or unknown):
        raise pytest.UsageError(f"{node.nodeid}: conformance marker takes only {', '.join(k + '=' for k in MARKER)} "
                                f"keywords (got {mark.args!r} {sorted(unknown)})")
    prop = kit_property(node)
    if prop is None:
        return dict(given)
    owned = sorted(set(given) & set(properties.MARKER_DEFAULTS))
    if owned:
        raise pytest.UsageError(f"{node.nodeid}: {', '.join(owned)} of a kit property is declared once, in "
                                f"conformance/model/properties.py, not in its conformance marker")
    return {**prop.marker, **given}


def generate_tests(metafunc):
    """Tests that take ``case`` run over the catalogue, and ``dtype`` over the selected dtypes.

    ``@pytest.mark.conformance(requires=("double_backward",))`` skips entries that declare the feature
    unsupported (with their reason); ``entries=(...)`` restricts a test to the named entries (or a function of
    the device under test giving them: the entries of that device's autocast lists); ``dtypes=(...)`` its
    dtypes to those named (of the selected ones);
    ``complex=True`` runs it over the selected complex dtypes and the entries declaring them (other
    tests run over the selected real dtypes); ``family="elementwise"`` over the entries of that shape family;
    ``declares="contraction"`` over the entries that declare that (optional) field; ``guard=(...)``: an
    expensive mode, run on those entries only but under the nightly profile or with ``--op``
    (``conformance.catalogue.guards``).  A kit property's own are declared in ``conformance.model.properties``
    (its marker gives ``entries=`` and ``guard=`` only); a test function of the kit's cases not declared there is a
    usage error.
    """
    config = metafunc.config
    definition = metafunc.definition
    if kit_property(definition) is None and _kit_file(definition.path):
        raise pytest.UsageError(f"{definition.nodeid}: a test function of the kit's cases is a property: declare "
                                f"{definition.originalname} in conformance/model/properties.py")
    options = declared_options(definition)
    if "case" in metafunc.fixturenames and not _explicit(metafunc.definition, "case"):
        names = config._conformance_entries
        if options.get("entries") is not None:
            wanted = options["entries"]
            wanted = wanted(config._conformance_device) if callable(wanted) else wanted
            unknown = [n for n in wanted if n not in CATALOGUE]
            if unknown:
                raise pytest.UsageError(f"{metafunc.definition.nodeid}: unknown catalogue entries {unknown}")
            names = [n for n in names if n in wanted]
        if "compile_backend" in metafunc.fixturenames and config._conformance_compile_guarded:
            names = [n for n in names if n in guards.COMPILE]  # the default guard: its entries only
        if options.get("guard") is not None and _guarded(config):  # an expensive mode: its guard, but nightly
            names = [n for n in names if n in options["guard"]]
        if options.get("family") is not None:  # an input-space property: the entries of that shape family
            names = [n for n in names if CATALOGUE[n].family == options["family"]]
        if options.get("declares") is not None:
            names = [n for n in names if getattr(CATALOGUE[n], options["declares"]) is not None]
        # complex properties run the entries that declare complex dtypes, the others those with real ones
        names = [n for n in names if any((d in COMPLEX) == bool(options.get("complex")) for d in CATALOGUE[n].dtypes)]
        if not names:  # pytest makes one skipped item of an empty set; a narrowed run deselects it
            config._conformance_emptied.add(metafunc.definition.nodeid)
        metafunc.parametrize("case", [pytest.param(CATALOGUE[name], id=name) for name in names])
    if "compile_backend" in metafunc.fixturenames:
        backends = config._conformance_compile
        metafunc.parametrize("compile_backend", [
            pytest.param(n, id=n, marks=[pytest.mark.skip(reason=why)] if why else []) for n, why in backends.items()
        ] or [pytest.param(None, id="compile-off", marks=pytest.mark.skip(
            reason="torch.compile properties are off (--compile-backend off)"))])
    if "dtype" in metafunc.fixturenames and not _explicit(metafunc.definition, "dtype"):
        wanted = [n for n in config._conformance_dtypes if (n in COMPLEX) == bool(options.get("complex"))
                  and n in options.get("dtypes", (n,))]
        if not wanted:
            config._conformance_emptied.add(metafunc.definition.nodeid)
        metafunc.parametrize("dtype", [DTYPES[n] for n in wanted], ids=wanted)


def _guarded(config) -> bool:
    """Whether the expensive modes run on their guards: every profile but nightly, when ``--op`` names nothing."""
    return not profiles.running(profiles.NIGHTLY) and not arguments.listed(config, "--op")


def modify_items(config, items):
    deviations.check(config, items)  # every item of the run, before any selection narrows them
    files = deviations.by_id(config)
    skip_listed = config.getoption("--conformance-deviations-mode") == "skip"
    for item in items:
        if not item.stash.get(KIT_ITEM, False):
            continue
        fixtures = getattr(item, "fixturenames", ())
        if "device" in fixtures or ("case" in fixtures and not _explicit(item, "case")):  # a conformance case
            item.user_properties.append(("conformance_property", _group(item)))
        callspec = getattr(item, "callspec", None)
        if callspec is not None:
            _describe(item, callspec)
        found = decide(config, item, files.get(item.nodeid))
        if found is not None:
            item.stash[STATUS] = found
            marked = status_mark(found, skip_listed)
            if marked is not None:  # a widening alone runs unmarked
                item.add_marker(marked)
    deviations.warn_stale(config, items)
    _narrowed(config, items)
    _quick(config, items)
    _low_in_ci(config, items)
    _compile_guard_dtypes(config, items)
    schedule.group_for_shards(config, items)


def outside_quick(filename: str) -> bool:
    """Whether the quick profile skips collecting this kit module (a file of properties it does not run)."""
    group = summary.property_of(filename)
    return group is not None and profiles.running(profiles.QUICK) and group not in profiles.QUICK_PROPERTIES


def _group(item) -> str | None:
    """The summary's row of an item: its property's group (a test of one's own: its module's name)."""
    prop = kit_property(item)
    return prop.group if prop is not None else summary.property_of(item.nodeid)


def _declares(item, field: str) -> bool:
    """Whether the item is a kit property declaring ``field`` true (``quick``, ``low_ci``...)."""
    prop = kit_property(item)
    return prop is not None and getattr(prop, field)


def _deselect(config, items, drop) -> None:
    """Deselect the kit's items for which ``drop(item)`` holds (a profile's narrower selection)."""
    dropped = [i for i in items if i.stash.get(KIT_ITEM, False) and drop(i)]
    if dropped:
        gone = set(map(id, dropped))
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if id(i) not in gone]


def _narrowed(config, items) -> None:
    """With ``--op``, the items of the selected entries only: a property over a fixed list of entries (or explicit
    ones, or an entry's inner nodes) runs those of the selection, the conventions property the rows of the
    functions the selected entries call (an engine contract on a function of its own, no entry, still runs);
    with ``--op`` or ``--dtype``, a property the selection left without entries or dtypes has no item."""
    if not (arguments.listed(config, "--op") or arguments.listed(config, "--dtype")):
        return
    selected, functions = set(config._conformance_entries), options.selected_functions(config)

    def outside(item) -> bool:
        params = getattr(getattr(item, "callspec", None), "params", {})
        entries = [v if isinstance(v, Case) else getattr(v, "case", None) for v in params.values()]  # a Split's too
        row = params.get("row")
        return (item.nodeid.split("[", 1)[0] in config._conformance_emptied
                or any(isinstance(e, Case) and e.name not in selected for e in entries)
                or functions is not None and hasattr(row, "call") and options.called(row.call) not in functions)
    _deselect(config, items, outside)


def _quick(config, items) -> None:
    """The quick profile runs the kit's properties declared ``quick`` only (weighted backward, accumulation)."""
    if profiles.running(profiles.QUICK):
        _deselect(config, items, lambda i: not _declares(i, "quick"))


def _low_dtype(item) -> bool:
    dtype = getattr(getattr(item, "callspec", None), "params", {}).get("dtype")
    return isinstance(dtype, torch.dtype) and dtype_name(dtype) in profiles.LOW_PRECISION


def _low_in_ci(config, items) -> None:
    """The kit's own properties (``cases/``) run reduced precision in those declared ``low_ci`` under ci;
    elsewhere in all but those not ``low_verified`` (none now), or in every one where ``--dtype`` names a
    reduced-precision dtype."""
    def kit_low(i) -> bool:
        return _low_dtype(i) and i.nodeid.startswith("cases/")
    if profiles.running(profiles.CI):
        _deselect(config, items, lambda i: kit_low(i) and not _declares(i, "low_ci"))
    elif not (arguments.listed(config, "--dtype")
              and any(n in profiles.LOW_PRECISION for n in config._conformance_dtypes)):
        _deselect(config, items, lambda i: kit_low(i) and getattr(i, "originalname", None) in profiles.LOW_UNVERIFIED)


def _compile_guard_dtypes(config, items) -> None:
    """The default compile guard runs each backend in its ``guards.COMPILE_DTYPES`` only (``--compile-backend``
    runs every selected dtype)."""
    def outside(i) -> bool:
        params = getattr(getattr(i, "callspec", None), "params", {})
        backend, dtype = params.get("compile_backend"), params.get("dtype")
        return (backend in guards.COMPILE_DTYPES and isinstance(dtype, torch.dtype)
                and dtype_name(dtype) not in guards.COMPILE_DTYPES[backend])
    if config._conformance_compile_guarded:
        _deselect(config, items, outside)


def _describe(item, callspec) -> None:
    case, dtype = callspec.params.get("case"), callspec.params.get("dtype")
    entry = case if case is not None else callspec.params.get("row")  # a catalogue entry, or a conventions row
    if getattr(entry, "name", None) or getattr(entry, "id", None):
        item.user_properties.append(("conformance_case", getattr(entry, "name", None) or entry.id))
    if isinstance(dtype, torch.dtype):
        item.user_properties.append(("conformance_dtype", dtype_name(dtype)))


def subject_of(item) -> Case | object | None:
    """The catalogue entry or conventions row an item checks (None: neither, or a test naming its own cases)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    subject = params.get("case") if not _explicit(item, "case") else None
    return subject if isinstance(subject, Case) else params.get("row")


def facts(config, item) -> Facts:
    """What an item is, as an Expectation's Selector reads it: its entry or row, property (test function) and the
    features it requires, dtype, device type, torch.compile backend and exact id."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    dtype, subject = params.get("dtype"), subject_of(item)
    return Facts(getattr(subject, "name", None) or getattr(subject, "id", None), getattr(item, "originalname", None),
                 expanded(declared_options(item).get("requires", ())),
                 dtype_name(dtype) if isinstance(dtype, torch.dtype) else None,
                 str(config._conformance_device).split(":")[0], params.get("compile_backend"), item.nodeid)


def decide(config, item, listed: Expectation | None = None) -> Status | None:
    """The one place that decides an item's Status: the device's dtypes, the Expectations of the entry (or
    conventions row) that match the item, and the per-version file's line naming it (``listed``)."""
    found = facts(config, item)
    name = found.dtype
    lacking = Status("dtype", config._conformance_lacking[name]) if name in config._conformance_lacking else None
    declared = None
    subject = subject_of(item)
    if subject is not None and hasattr(subject, "status"):  # an entry or a conventions row
        marked = declared_options(item)
        prop = found.property
        if prop and found.compile_backend:  # a torch.compile property: keyed per backend too
            prop = f"{prop}[{found.compile_backend}]"
        declared = (subject.status(name, found.features, prop, marked.get("exact", True))
                    if isinstance(subject, Case) else subject.status(name, found.features))
    return first(lacking, declared, listed.status if listed is not None else None)



@contextlib.contextmanager
def recording(item):
    """The record around one kit item's call: its features in, its worst ratio and examples out."""
    record.start(declared_options(item).get("requires", ()))
    # Hypothesis's pytest plugin wraps a parametrized test's settings in a new settings object on every
    # item, parented on the previous wrapper: over a function's 1,206 items the chain grows to 1,206
    # levels and every settings lookup walks it (quadratic in the items).  Restoring the function's own
    # settings after each item keeps the chain one level deep.
    function = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
    own = getattr(function, "_hypothesis_internal_use_settings", None)
    changes = {}
    if own is not None and _low_dtype(item) and profiles.running(profiles.CI):
        changes["max_examples"] = profiles.LOW_CI_EXAMPLES
    if own is not None and _status_alone(item):
        changes["suppress_health_check"] = {*own.suppress_health_check, HealthCheck.function_scoped_fixture}
    if changes:
        function._hypothesis_internal_use_settings = settings(own, **changes)
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
        if record.element_counts()[0]:
            item.user_properties.append(("conformance_elements", record.element_counts()))


def status(item) -> Status | None:
    """The item's Status, decided at collection (``decide``): the kit's ``status`` fixture, which a property
    hands to the trial it builds (None: a plain pass expected)."""
    return item.stash.get(STATUS, None)


def _status_alone(item) -> bool:
    """Whether ``status`` is the one function-scoped fixture the test takes (parameters aside).  Hypothesis
    flags a function-scoped fixture under ``@given`` (not reset between examples); the Status is the item's,
    the same for every example, so the check is lifted for it alone."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None or "status" not in info.argnames:
        return False
    params = getattr(getattr(item, "callspec", None), "params", {})
    scoped = {n for n, defs in info.name2fixturedefs.items()
              if n in info.argnames and n not in params and defs and defs[-1].scope == "function"}
    return scoped == {"status"}


def unshown(item, outcome) -> None:
    """An item with a conditioned deviation that passed although its draws met the condition fails, saying
    what to record (the deviation did not show where it should)."""
    status = item.stash.get(STATUS, None)
    if outcome.excinfo is None and status is not None and status.when is not None and not status.skips:
        met = record.condition_met()
        if met:
            outcome.force_exception(ConformanceFailure(status.unshown(met)))


def report(report, call) -> None:
    """A failure a Status covers is an expected failure; a real one carries its repro (xdist too)."""
    if call.excinfo is not None and call.excinfo.errisinstance(KnownDeviation):
        report.outcome = "skipped"
        report.wasxfail = str(call.excinfo.value).splitlines()[0]
        report.longrepr = str(call.excinfo.value)
    elif report.failed and str(report.longrepr).startswith("[XPASS(strict)]"):
        import torch
        reason = str(report.longrepr).removeprefix("[XPASS(strict)]").strip().removeprefix("known torch deviation: ")
        report.longrepr = (f"[XPASS(strict)] torch {torch.__version__} no longer shows a known deviation: this check "
                           f"passes now.  Record the release that fixed it (the entry's until=, the row's "
                           f"until=, or the version file's line removed), and the check is strict from it on; or, "
                           f"where it shows at some draws only, give it the condition that holds exactly there.  "
                           f"The deviation: {reason}")
    elif report.failed and call.excinfo is not None:
        notes = [n for n in getattr(call.excinfo.value, "__notes__", []) if n.startswith("Repro")]
        if notes:
            report.user_properties = [*report.user_properties, ("conformance_repro", notes[0])]
