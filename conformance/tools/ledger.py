"""The expectation ledger: every item of the shipped suite whose expectation is other than "it passes", as the
kit's plugin decided it (``conformance.plugin.session.decide``), with where each Status is declared.

``collect`` runs a collection-only pytest session of the shipped suite in this process (``suite_args``, as
``python -m conformance run`` does): every dtype, the ``nightly`` selection (every mode on every entry, no
guard) and both torch.compile backends, so every declared expectation has its items.  ``Recorder``, a plugin
of that session only, wraps the kit's ``pytest_collection_modifyitems``: when the plugin has decided and
stashed each item's Status (``STATUS``), it turns each into a ``Line`` and finds its declaration (a catalogue
entry's ``deviations=``/``unsupported=``/``unmodelled=``/``widened=``/``dtypes=``/``removed_in=``, with the
shared declaration of ``conformance/catalogue/limits.py`` it uses; a conventions row; a line of a per-version
file; the device).

``torch="X.Y"``: the decisions as they hold for that release.  During the decisions the installed torch's
version reads as X.Y.0 (every ``until``/``since``, ``fixed_in`` and ``removed_in`` is evaluated against it)
and the per-version file is that release's (``deviations/torch-X.Y.txt``); what the kit reads from the
installed torch itself stays the installed torch's: the calls it lacks (``absent``) and the dtypes the
device computes in (``EVALUATED``).
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

COMPILE_BACKENDS = "aot_eager,inductor"
EVALUATED = ("fixed_in, until, since and removed_in evaluated for torch {version}, with its per-version file; "
             "absent calls and the device's dtypes are read from the installed torch ({installed})")
_KIT = Path(__file__).resolve().parents[2]  # the folder holding the conformance package


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


def relative(path) -> str:
    """A path under the kit's folder as ``conformance/...``; another one as given."""
    path = Path(path).resolve()
    return path.relative_to(_KIT).as_posix() if path.is_relative_to(_KIT) else str(path)


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
        self.config = None

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, session, config, items):
        with torch_reads(self.version):
            yield
            from conformance.plugin.session import STATUS
            self.config = config
            _, entries = config._conformance_deviations
            listed = {e.test_id: e for e in entries}
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
    reason = f"{listed[item.nodeid].reason} [{listed[item.nodeid].reference}]" if status.kind == "listed" \
        else status.reason
    return Line(item.nodeid, status.kind, name, getattr(item, "originalname", item.name), dtype, backend,
                status.strict, None if status.when is None else status.when.name, status.envelope, status.symptoms,
                status.widen, status.since,
                status.until, reason, file, line, what)


def declaration(config, item, status, subject, dtype, listed) -> tuple[str | None, int | None, str]:
    """Where ``status`` is declared: (file, line, what there)."""
    from conformance.catalogue.conventions.model import Row
    from conformance.model.case import Case
    lacking = config._conformance_lacking
    if status.kind == "listed":
        path, _, number = listed[item.nodeid].where.rpartition(":")
        return relative(path), int(number), "per-version file"
    if status.kind == "dtype" and lacking.get(dtype) == status.reason:
        return None, None, f"device {config._conformance_device}"
    if isinstance(subject, Row):
        file, line = _source_line("conformance.catalogue.conventions.table", "row", subject.id)
        return file, line, f"row {subject.id} " + {"absent": "call", "dtype": f"roundoff={subject.roundoff}"}.get(
            status.kind, "deviation" + (f", until={subject.until}" if subject.until else ""))
    if not isinstance(subject, Case):
        return None, None, "-"
    file, line = _source_line(_family(subject.name), "entry", subject.name)
    return file, line, f"{subject.name} {_entry_field(item, status, subject, dtype)}"


def _entry_field(item, status, case, dtype) -> str:
    """The entry's field that declares ``status`` (with its key, and the shared declaration it uses)."""
    if status.kind == "absent":
        return "call"
    if status.kind == "removed":
        return f"removed_in={case.removed_in}"
    if status.kind == "dtype":
        return "dtypes="
    if status.kind in ("unsupported", "unmodelled"):
        declared = getattr(case, status.kind)
        keys = [f for f in declared if case.lacks((f,)) == status.reason]
        return _keyed(status.kind, keys, declared)
    mark = item.get_closest_marker("conformance")
    requires = mark.kwargs.get("requires", ()) if mark else ()
    widened = [k for k in dict.fromkeys(case._keys(dtype, requires))
               if k in case.widened and case.widened[k].widen == status.widen]
    if status.kind == "widened":
        return _keyed("widened", widened, case.widened)
    prop = getattr(item, "originalname", None)
    backend = getattr(getattr(item, "callspec", None), "params", {}).get("compile_backend")
    prop = f"{prop}[{backend}]" if prop and backend else prop
    reasons = status.reason.split("; or: ")  # several contracts, whichever raises first
    keys = [k for k in dict.fromkeys(case.deviation_keys(dtype, requires, prop))
            if case.deviations[k].reason in reasons]
    text = _keyed("deviations", keys, case.deviations) + (f", fixed_in={case.fixed_in}" if case.fixed_in else "")
    return text + (f"; {_keyed('widened', widened, case.widened)}" if status.widen > 1 and widened else "")


def _keyed(name: str, keys: list[str], declared: dict) -> str:
    shared = [s for s in dict.fromkeys(_shared().get(id(declared[k])) for k in keys) if s]
    return f"{name}[{', '.join(keys)}]" + (f" ({', '.join('limits.' + s for s in shared)})" if shared else "")


@functools.lru_cache(maxsize=None)
def _shared() -> dict[int, str]:
    """id of each declaration ``conformance/catalogue/limits.py`` holds (a Status, a reason, a dict's value) ->
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


@functools.lru_cache(maxsize=None)
def _family(name: str) -> str:
    from conformance.catalogue import FAMILIES
    return next(f.__name__ for f in FAMILIES if any(c.name == name for c in f.ENTRIES))


@functools.lru_cache(maxsize=None)
def _source(module: str) -> tuple[str, str]:
    import importlib
    path = inspect.getsourcefile(importlib.import_module(module))
    return relative(path), Path(path).read_text(encoding="utf-8")


def _source_line(module: str, function: str, name: str) -> tuple[str, int | None]:
    """The module's file, and the line of its one ``function("name", ...)`` (None: not written so)."""
    file, text = _source(module)
    found = list(re.finditer(rf"\b{function}\(\s*[\"']{re.escape(name)}[\"']", text))
    return file, text.count("\n", 0, found[0].start()) + 1 if len(found) == 1 else None


def installed_release() -> str:
    import torch
    return ".".join(str(torch.__version__).split("+")[0].split(".")[:2])


def collect(torch: str | None = None, pytest_args: list[str] = ()) -> Ledger:
    """The ledger of the shipped suite for torch release ``torch`` (X.Y; None: the installed one), its collection
    narrowed by ``pytest_args`` (``--op``, ``--dtype``, test ids); raises RuntimeError when the collection fails."""
    import torch as installed

    from conformance.plugin import deviations
    from conformance.suite import suite_args
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
                  relative(path) if path.is_file() else None, recorder.lines, recorder.properties)
