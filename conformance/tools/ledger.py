"""The expectation ledger: every item of the shipped suite whose expectation is other than "it passes", as the
kit's plugin decided it (``conformance.plugin.session.decide``), with where each Status is declared.

``collect`` runs a collection-only pytest session of the shipped suite in this process (``suite_args``, as
``python -m conformance run`` does): every dtype, the ``nightly`` selection (every mode on every entry, no
guard) and both torch.compile backends, so every declared expectation has its items.  ``Recorder``, a plugin
of that session only, wraps the kit's ``pytest_collection_modifyitems``: when the plugin has decided and
stashed each item's Status (``STATUS``), it turns each into a ``Line`` and finds its declaration (a catalogue
entry's ``deviations=``/``unsupported=``/``unmodelled=``/``widened=``/``dtypes=``/``removed_since=``, with the
shared declaration of ``conformance/catalogue/limits`` it uses; a conventions row; a line of a per-version
file; the device): the Expectations (``conformance.model.expectation``) that ``Case.status`` matched, with the
file and line each was declared at.

``torch="X.Y"``: the decisions as they hold for that release.  During the decisions the installed torch's
version reads as X.Y.0 (every ``until``/``since`` and ``removed_since`` is evaluated against it)
and the per-version file is that release's (``deviations/torch-X.Y.txt``); what the kit reads from the
installed torch itself stays the installed torch's: the calls it lacks (``absent``) and the dtypes the
device computes in (``EVALUATED``).
"""
from __future__ import annotations

import contextlib
import functools
import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest

COMPILE_BACKENDS = "aot_eager,inductor"
EVALUATED = ("until, since and removed_since evaluated for torch {version}, with its per-version file; "
             "absent calls and the device's dtypes are read from the installed torch ({installed})")


@dataclass(frozen=True)
class Line:
    """One item's Status, and where it is declared (``file``, ``line`` and what there)."""
    item: str
    kind: str
    subject: str | None  # the catalogue entry or conventions row
    property: str  # the test function
    dtype: str | None
    backend: str | None  # the torch.compile backend
    strict: bool
    condition: str | None  # where a deviation that shows at some draws only shows (the others are strict)
    envelope: float | None
    symptom: tuple[str, ...]
    widen: float
    accuracy: float  # torch's documented relative accuracy the bound allows for (``Accuracy``)
    since: str | None
    until: str | None
    reason: str
    file: str | None
    line: int | None
    declaration: str

    @property
    def declared(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line else self.file or ""
        return f"{where} {self.declaration}".strip()


@dataclass
class Ledger:
    torch: str  # the release the decisions hold for (X.Y)
    installed: str
    device: str
    note: str  # what is evaluated for ``torch`` and what comes from the installed torch
    deviations_file: str | None
    lines: list[Line] = field(default_factory=list)
    properties: dict[str, set[str]] = field(default_factory=dict)  # entry or row -> every property collected for it
    declared: list = field(default_factory=list)  # each Expectation in force and the items it covers (declarations)


@contextlib.contextmanager
def torch_reads(version: str | None):
    """The installed torch's ``__version__`` reads as ``version`` inside (None: unchanged)."""
    import torch
    from torch.torch_version import TorchVersion
    if version is None:
        yield
        return
    saved = torch.__version__
    torch.__version__ = TorchVersion(version)
    try:
        yield
    finally:
        torch.__version__ = saved


class Recorder:
    """The ledger's plugin in its collection session: the Lines of the items the kit's plugin decided."""

    def __init__(self, version: str | None):
        self.version = version
        self.lines: list[Line] = []
        self.properties: dict[str, set[str]] = {}
        self.facts: list = []  # every collected item's Facts
        self.config = None

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, session, config, items):
        with torch_reads(self.version):
            yield
            from conformance.plugin.deviations import by_id
            from conformance.plugin.session import STATUS, facts
            self.config = config
            self.facts = [facts(config, item) for item in items]
            listed = by_id(config)  # the per-version file's Expectations, as the decision read them
            self.lines = [line_of(config, item, item.stash[STATUS], listed) for item in items
                          if item.stash.get(STATUS, None) is not None]
            for item in items:
                subject = _subject(item)
                if subject:
                    self.properties.setdefault(subject, set()).add(getattr(item, "originalname", item.name))


def _subject(item) -> str | None:
    """The name of the catalogue entry or conventions row an item checks."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    subject = params.get("case") or params.get("row")
    return getattr(subject, "name", None) or getattr(subject, "id", None)


def line_of(config, item, status, listed: dict) -> Line:
    """The Line of one decided item."""
    from conformance.run.failure import dtype_name
    params = getattr(getattr(item, "callspec", None), "params", {})
    dtype = params.get("dtype")
    dtype = dtype_name(dtype) if dtype is not None and not isinstance(dtype, str) else dtype
    subject = params.get("case") or params.get("row")
    name = _subject(item)
    backend = params.get("compile_backend")
    file, line, what = declaration(config, item, status, subject, dtype, listed)
    # a per-version file's line: its own reason and reference (the Status's text adds the file's path and line)
    own = next((e for e in config._conformance_deviations[1] if e.test_id == item.nodeid), None) \
        if status.kind == "listed" else None
    reason = f"{own.reason} [{own.reference}]" if own else status.reason
    return Line(item.nodeid, status.kind, name, getattr(item, "originalname", item.name), dtype, backend,
                status.strict, None if status.when is None else status.when.name, status.envelope, status.symptoms,
                status.widen, status.accuracy, status.since,
                status.until, reason, file, line, what)


def declaration(config, item, status, subject, dtype, listed) -> tuple[str | None, int | None, str]:
    """Where ``status`` is declared: (file, line, what there), from the Expectations that gave it."""
    from conformance.catalogue.conventions.model import Row
    from conformance.model.case import Case
    lacking = config._conformance_lacking
    if status.kind == "listed":
        return (*_where(listed[item.nodeid].where), listed[item.nodeid].field)
    if status.kind == "dtype" and lacking.get(dtype) == status.reason:
        return None, None, f"device {config._conformance_device}"
    if isinstance(subject, Row):
        found = subject.expectations[0].field if subject.expectations else "deviation"
        return (*_where(subject.where), f"row {subject.id} " + {"absent": "call", "dtype": f"roundoff="
                                                               f"{subject.roundoff}"}.get(status.kind, found))
    if not isinstance(subject, Case):
        return None, None, "-"
    return (*_where(subject.where), f"{subject.name} {_entry_field(item, status, subject, dtype)}")


def _where(where: str | None) -> tuple[str | None, int | None]:
    """An Expectation's ``file:line`` as (the file relative to the kit, the line)."""
    if not where:
        return None, None
    from conformance.tools.declarations import relative
    path, _, number = where.rpartition(":")
    return relative(path), int(number)


def expectations_of(item, status, case, dtype) -> list:
    """The entry's Expectations that gave an item its ``status`` (the same ones ``Case.status`` matched)."""
    from conformance.model.case import expanded
    if status.kind == "removed":
        return list(case.declared("removed"))
    if status.kind in ("unsupported", "unmodelled"):
        return [e for e in case.declared(status.kind) if case.lacks((e.selector.feature,)) == status.reason]
    from conformance.plugin.session import declared_options
    requires = expanded(declared_options(item).get("requires", ()))
    prop = getattr(item, "originalname", None)
    backend = getattr(getattr(item, "callspec", None), "params", {}).get("compile_backend")
    prop = f"{prop}[{backend}]" if prop and backend else prop
    widened = [e for e in case.matching(dtype, requires, prop, "widened") if e.status.widen == status.widen]
    accurate = [e for e in case.matching(dtype, requires, prop, "deviations") if e.kind == "widened"]
    if status.kind == "widened":
        return widened + accurate
    reasons = status.reason.split("; or: ")  # several contracts, whichever raises first
    found = [e for e in case.matching(dtype, requires, prop, "deviations") if e.reason in reasons]
    return found + (widened if status.widen > 1 else []) + (accurate if status.accuracy else [])


def _entry_field(item, status, case, dtype) -> str:
    """The entry's field that declares ``status`` (with its key, and the shared declaration it uses)."""
    if status.kind == "absent":
        return "call"
    if status.kind == "dtype":
        return "dtypes="
    found = expectations_of(item, status, case, dtype)
    if status.kind == "removed":
        return found[0].field
    groups = {}
    for e in found:
        groups.setdefault(e.field.split("[")[0], []).append(e)
    text = "; ".join(_keyed(name, group) + (f", until={case.until}" if name == "deviations" and case.until else "")
                     for name, group in groups.items())
    return text or status.kind


def _keyed(name: str, found: list) -> str:
    keys = list(dict.fromkeys(e.selector.key() for e in found))
    shared = [s for s in dict.fromkeys(_shared().get(id(_declared(e))) for e in found) if s]
    return f"{name}[{', '.join(keys)}]" + (f" ({', '.join('limits.' + s for s in shared)})" if shared else "")


def _declared(e):
    """The value an Expectation's key was declared with, in its entry's field (for the shared declarations)."""
    from conformance.catalogue import CATALOGUE
    field, _, key = e.field.partition("[")
    return getattr(CATALOGUE[e.selector.entry], field).get(key[:-1])


@functools.lru_cache(maxsize=None)
def _shared() -> dict[int, str]:
    """id of each declaration ``conformance/catalogue/limits`` holds (a Status, a reason, a dict's value) ->
    its name there."""
    from conformance.catalogue import limits
    out: dict[int, str] = {}
    for name, value in vars(limits).items():
        if name.startswith("_") or not name.isupper():
            continue
        for v in (value.values() if isinstance(value, dict) else (value,)):
            if not isinstance(v, str) or len(v) > 40:
                out.setdefault(id(v), name)
    return out


def installed_release() -> str:
    import torch
    return ".".join(str(torch.__version__).split("+")[0].split(".")[:2])


def collect(torch: str | None = None, pytest_args: list[str] = ()) -> Ledger:
    """The ledger of the shipped suite for torch release ``torch`` (X.Y; None: the installed one), its collection
    narrowed by ``pytest_args`` (``--op``, ``--dtype``, test ids); raises RuntimeError when the collection fails."""
    import torch as installed

    from conformance.plugin import deviations
    from conformance.suite import suite_args
    from conformance.tools.declarations import count, in_force, relative
    release = torch or installed_release()
    version = None if release == installed_release() else f"{release}.0"
    args = suite_args(["--collect-only", "-qq", "--hypothesis-profile", "nightly", "--hypothesis-seed=0",
                       "--compile-backend", COMPILE_BACKENDS, *pytest_args])
    root = Path(args[args.index("--rootdir") + 1])
    path = deviations.default_path(root, version or installed.__version__)
    args += ["--conformance-deviations", str(path) if path.is_file() else "none"]
    recorder = Recorder(version)
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main(args, plugins=[recorder])
    if code not in (0, 5) or recorder.config is None:
        raise RuntimeError(f"collecting the suite failed (pytest exit {int(code)}): "
                           + "\n".join(output.getvalue().strip().splitlines()[-15:]))
    note = (EVALUATED.format(version=release, installed=installed.__version__) if version else
            f"torch {installed.__version__} installed")
    return Ledger(release, str(installed.__version__), str(recorder.config._conformance_device), note,
                  relative(path) if path.is_file() else None, recorder.lines, recorder.properties,
                  count(in_force(recorder.config), recorder.facts))
