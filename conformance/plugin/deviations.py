"""Known deviations of one torch version: ``deviations/torch-X.Y.txt``, one exact test id per line.

    # comment lines and blank lines are ignored
    cases/test_vjp.py::test_vjp[sin-float32] | what torch does wrong | https://github.com/pytorch/pytorch/issues/N

Each line holds three fields separated by `` | ``: the exact pytest node id, the reason, and a link or
a plain-torch repro (the last field may itself contain ``|``).  A reason that begins ``sometimes:`` is a
deviation that shows at some draws only: a pass of that test is the draw missing it, explained in the
summary like a catalogue entry's ``Sometimes``.  The plugin reads the file named for the
installed torch (``--conformance-deviations auto``, the default: ``deviations/torch-2.13.txt`` under
the rootdir for torch 2.13.x if the project has one, else the kit's own ``conformance/deviations/``), or
the file given; each listed test gets the Status ``listed`` (a non-strict expected failure, or a skip
with ``--conformance-deviations-mode skip``); an entry matching no collected test is reported with a
warning.  Deviations that hold for every torch version belong in the catalogue entry
(``deviations=``) instead, where they cover only the failure they describe.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

COMPILE_BACKENDS = ("eager", "aot_eager", "inductor")  # parameter ids of the torch.compile properties


class DeviationFileError(ValueError):
    """A deviations file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Deviation:
    test_id: str
    reason: str
    reference: str  # a link or a repro
    where: str  # file:line

    @property
    def sometimes(self) -> bool:
        """The reason begins ``sometimes:``: the deviation shows at some draws only."""
        return self.reason.startswith(SOMETIMES)

    def describe(self, version: str) -> str:
        return f"known deviation of torch {version} ({self.where}): {self.reason} [{self.reference}]"


SOMETIMES = "sometimes:"
KIT_FILES = Path(__file__).resolve().parents[1] / "deviations"  # the kit's own, shipped in the package


def default_path(rootpath: Path, version: str = torch.__version__) -> Path:
    """The project's ``deviations/torch-X.Y.txt`` under ``rootpath`` if present, else the kit's own file."""
    major, minor = str(version).split("+")[0].split(".")[:2]
    name = f"torch-{major}.{minor}.txt"
    own = Path(rootpath) / "deviations" / name
    return own if own.is_file() else KIT_FILES / name


def parse(path: Path) -> list[Deviation]:
    """The entries of a deviations file; malformed lines and repeated ids raise DeviationFileError."""
    path = Path(path)
    if not path.is_file():
        raise DeviationFileError(f"{path}: no such deviations file")
    entries: dict[str, Deviation] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(" | ", 2)]
        where = f"{path}:{n}"
        if len(fields) < 3 or not all(fields):
            missing = ["test id", "reason", "link or repro"][len([f for f in fields if f]):]
            raise DeviationFileError(f"{where}: expected 'TEST_ID | REASON | LINK OR REPRO', {', '.join(missing)} "
                                     f"missing in {line!r}")
        test_id, reason, reference = fields
        if "::" not in test_id or " " in test_id:
            raise DeviationFileError(f"{where}: {test_id!r} is not an exact pytest test id (path::test[params])")
        if test_id in entries:
            raise DeviationFileError(f"{where}: {test_id} is listed twice (first at {entries[test_id].where})")
        entries[test_id] = Deviation(test_id, reason, reference, where)
    return list(entries.values())


def unmatched(entries: list[Deviation], collected: set[str]) -> list[Deviation]:
    """Entries naming no collected test, among those whose test function was collected at all."""
    functions = {c.split("[", 1)[0] for c in collected}
    return [e for e in entries if e.test_id not in collected and e.test_id.split("[", 1)[0] in functions]


# -- the plugin's use: --conformance-deviations and --conformance-deviations-mode ------------------
def load_for(config) -> tuple[Path | None, list]:
    """The deviations file in force (``--conformance-deviations``) and its entries."""
    option = config.getoption("--conformance-deviations")
    if option == "none":
        return None, []
    path = default_path(config.rootpath) if option == "auto" else Path(option)
    if option == "auto" and not path.is_file():
        return None, []
    try:
        return path, parse(path)
    except DeviationFileError as exc:
        raise pytest.UsageError(f"--conformance-deviations: {exc}") from None


def by_id(config) -> dict:
    """Test id -> the Status ``listed`` of each entry of the deviations file in force."""
    from conformance.model.status import Status
    _, entries = config._conformance_deviations
    return {e.test_id: Status("listed", e.describe(torch.__version__), sometimes=e.sometimes) for e in entries}


def warn_stale(config, items) -> None:
    """Warn of entries that match no collected test (unless the run is narrowed)."""
    path, entries = config._conformance_deviations
    if not entries:
        return
    narrowed = config.getoption("keyword") or config.getoption("markexpr") or config.getoption("conformance_op") \
        or config.getoption("conformance_dtype")
    first_worker = getattr(config, "workerinput", {}).get("workerid", "gw0") == "gw0"
    stale = unmatched(entries, {i.nodeid for i in items}) if not narrowed and first_worker else []
    # a backend not selected, or the default compile guard (a subset of the entries): its lines are not stale
    guarded = getattr(config, "_conformance_compile_guarded", False)
    off = set(COMPILE_BACKENDS) - (set() if guarded else set(getattr(config, "_conformance_compile", {})))
    stale = [e for e in stale if not off & set(e.test_id.partition("[")[2].rstrip("]").split("-"))]
    if stale:
        warnings.warn(pytest.PytestWarning(
            f"{path}: {len(stale)} deviation entr{'y' if len(stale) == 1 else 'ies'} match no collected test "
            f"(renamed or removed?): " + ", ".join(f"{e.test_id} ({e.where})" for e in stale[:5])))


def header(config) -> list[str]:
    path, entries = config._conformance_deviations
    mode = config.getoption("--conformance-deviations-mode")
    return [f"known deviations: {path} ({len(entries)} entries, {mode})"] if path else []
