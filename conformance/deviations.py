"""Known deviations of one torch version: ``deviations/torch-X.Y.txt``, one exact test id per line.

    # comment lines and blank lines are ignored
    cases/test_vjp.py::test_vjp[sin-float32] | what torch does wrong | https://github.com/pytorch/pytorch/issues/N

Each line holds three fields separated by `` | ``: the exact pytest node id, the reason, and a link or
a plain-torch repro (the last field may itself contain ``|``).  The plugin reads the file named for the
installed torch (``--conformance-deviations auto``, the default: ``deviations/torch-2.13.txt`` under
the rootdir for torch 2.13.x), or the file given, and marks each listed test a non-strict expected
failure (or skips it, ``--conformance-deviations-mode skip``); an entry matching no collected test is
reported with a warning.  Deviations that hold for every torch version belong in the catalogue entry
(``deviations=``) instead, where they cover only the failure they describe.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch


class DeviationFileError(ValueError):
    """A deviations file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Deviation:
    test_id: str
    reason: str
    reference: str  # a link or a repro
    where: str  # file:line

    def describe(self, version: str) -> str:
        return f"known deviation of torch {version} ({self.where}): {self.reason} [{self.reference}]"


def default_path(rootpath: Path, version: str = torch.__version__) -> Path:
    major, minor = str(version).split("+")[0].split(".")[:2]
    return Path(rootpath) / "deviations" / f"torch-{major}.{minor}.txt"


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
