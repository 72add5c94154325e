"""Known deviations of one torch version: ``deviations/torch-X.Y.txt``, one exact test id per line.

    # comment lines and blank lines are ignored
    cases/test_vjp.py::test_vjp[sin-float32] | what torch does wrong | https://github.com/pytorch/pytorch/issues/N

Each line holds three fields separated by `` | ``: the exact pytest node id, the reason, and a link or
a plain-torch repro (the last field may itself contain ``|``).  A listed test must fail: its pass fails,
saying what to record (a deviation that shows at some draws only belongs in the catalogue, with the condition
that holds exactly there; a reason beginning ``sometimes:`` is refused).  The plugin reads the file named for the
installed torch (``--conformance-deviations auto``, the default: ``deviations/torch-2.13.txt`` under
the rootdir for torch 2.13.x if the project has one, else the kit's own ``conformance/deviations/``), or
the file given; each line is an ``Expectation`` (``conformance.model.expectation``) whose Selector names its
exact test id, and the test gets its Status ``listed`` (a strict expected failure, or a skip with
``--conformance-deviations-mode skip``).  An entry that no test could have (a file or test function that
does not exist, parameters no test of its function takes: judged against every entry, dtype, backend and
conventions row the kit could give it, not against the run's narrower selection) is a usage error naming file,
line and id; one that a test could have but the run, unnarrowed, did not collect is reported with a warning.
Deviations that hold for every torch version belong in the catalogue entry
(``deviations=``) instead, where they cover only the failure they describe.
"""
from __future__ import annotations

import ast
import re
import warnings
from collections import defaultdict
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

    def describe(self, version: str) -> str:
        return f"known deviation of torch {version} ({self.where}): {self.reason} [{self.reference}]"

    def expectation(self, version: str | None = None):
        """The line as an Expectation: the Status ``listed`` of the one item its Selector names by its exact id (the
        file is chosen for its torch version, so the selector's own torch range is unbounded)."""
        from conformance.model.expectation import Expectation, Selector
        from conformance.model.status import Status
        return Expectation(Status("listed", self.describe(version or torch.__version__)),
                           Selector(test_id=self.test_id), self.where, "per-version file", repro=self.reference)


SOMETIMES = "sometimes:"  # the refused prefix of a deviation that showed at some draws only
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
        if reason.startswith(SOMETIMES):
            raise DeviationFileError(f"{where}: a listed test must fail at every run ('sometimes:' is no longer "
                                     f"read): declare a deviation that shows at some draws only in the catalogue, "
                                     f"with the condition that holds there, or list a test that always shows it")
        if test_id in entries:
            raise DeviationFileError(f"{where}: {test_id} is listed twice (first at {entries[test_id].where})")
        entries[test_id] = Deviation(test_id, reason, reference, where)
    return list(entries.values())


def _defined(file: Path) -> set[str] | None:
    """The test names a Python file defines (``test_f``, ``TestC::test_m``); None where it cannot tell (a star
    import, a class with bases, a file that does not parse)."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            if node.bases:
                return None
            names |= {node.name} | {f"{node.name}::{n.name}" for n in node.body
                                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any(a.name == "*" for a in node.names):
                return None
            names |= {a.asname or a.name for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            names |= {t.id for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                      if isinstance(t, ast.Name)}
    return names


def missing_tests(entries: list[Deviation], base: Path) -> list[str]:
    """Entries naming a test file (relative to ``base``) or a test function that does not exist."""
    problems = []
    for e in entries:
        file, _, test = e.test_id.split("[", 1)[0].partition("::")
        if not (base / file).is_file():
            problems.append(f"{e.where}: {e.test_id} can match no test: no file {file} (under {base})")
            continue
        defined = _defined(base / file) if file.endswith(".py") else None
        if defined is not None and test not in defined:
            problems.append(f"{e.where}: {e.test_id} can match no test: {file} defines no {test}")
    return problems


def shape(params: str, kinds: dict[str, str]) -> str:
    """A test's parameter id with each value the kit varies replaced by its kind (``kinds``: value -> kind):
    ``sin-aot_eager-float32`` -> ``{entry}-{backend}-{dtype}``; the longest value at each place first (a
    conventions row's id holds dashes)."""
    tokens, out, i = params.split("-"), [], 0
    while i < len(tokens):
        j = next((j for j in range(len(tokens), i, -1) if "-".join(tokens[i:j]) in kinds), None)
        out.append(kinds["-".join(tokens[i:j])] if j else tokens[i])
        i = j or i + 1
    return "-".join(out)


def kinds(backends=()) -> dict[str, str]:
    """Every value the kit varies in its test ids, by kind: entries, conventions rows, compile backends, dtypes."""
    from conformance.catalogue import CATALOGUE
    from conformance.catalogue.conventions import TABLE
    from conformance.model.dtypes import NAMES
    return {**{r.id: "{row}" for r in TABLE}, **{n: "{entry}" for n in CATALOGUE},
            **{b: "{backend}" for b in (*COMPILE_BACKENDS, *backends, "compile-off")}, **{n: "{dtype}" for n in NAMES}}


def impossible(entries: list[Deviation], nodeids, values: dict[str, str]) -> dict[Deviation, str]:
    """Entries whose parameters no test of their (collected) function could have, with the shapes its ids take.

    Each collected id of the function gives a shape (``shape``) in which an entry, a dtype, a backend or a row
    stands for any of its kind (and pytest's ``NOTSET``, an emptied parameter set, for any kind), so the
    judgement holds for every selection, however narrow.  An entry of a function not collected is not judged."""
    shapes: dict[str, set] = defaultdict(set)
    for nodeid in nodeids:
        function, bracket, params = nodeid.partition("[")
        shapes[function].add(shape(params[:-1], values) if bracket else None)
    found = {}
    for e in entries:
        function, bracket, params = e.test_id.partition("[")
        if function not in shapes:
            continue
        line = shape(params[:-1], values) if bracket else None
        patterns = [re.escape(s).replace("NOTSET", r"\{\w+\}") for s in shapes[function] if s is not None]
        if not (line is None and None in shapes[function]
                or line is not None and any(re.fullmatch(p, line) for p in patterns)):
            known = sorted(f"{function}[{s}]" if s is not None else function for s in shapes[function])
            found[e] = ", ".join(known[:3]) + (f" and {len(known) - 3} more" if len(known) > 3 else "")
    return found


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
        entries = parse(path)
    except DeviationFileError as exc:
        raise pytest.UsageError(f"--conformance-deviations: {exc}") from None
    _refuse(missing_tests(entries, _base(path, config.rootpath)))
    return path, entries


def _base(path: Path, rootpath: Path) -> Path:
    """Where a file's test ids start: the kit's own files name the kit's cases, the others the rootdir's tests."""
    from conformance.plugin import CASES_DIRS
    return CASES_DIRS[0].parent if path.resolve().parent == KIT_FILES and CASES_DIRS else Path(rootpath)


def _message(problems: list[str]) -> str:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"--conformance-deviations: {problems[0]}{more}"


def _refuse(problems: list[str]) -> None:
    if problems:
        raise pytest.UsageError(_message(problems))


def check(config, items) -> None:
    """Entries no test of their collected function could have (``impossible``): a usage error (under xdist, the
    first worker reports it as a collection error, the one kind of error a worker can show)."""
    _, entries = config._conformance_deviations
    nodeids = [i.nodeid for i in items]
    found = impossible(entries, nodeids, kinds()) if entries else {}
    if found:  # a backend only --compile-backend names: any registered one counts
        import torch._dynamo
        found = impossible(list(found), nodeids, kinds(torch._dynamo.list_backends(exclude_tags=())))
    problems = [f"{e.where}: {e.test_id} can match no test: no test of its function takes these parameters "
                f"(its ids read {shapes})" for e, shapes in found.items()]
    worker = getattr(config, "workerinput", None)
    if problems and worker is None:
        _refuse(problems)
    elif problems and worker["workerid"] == "gw0":
        config.hook.pytest_collectreport(report=pytest.CollectReport(
            str(config._conformance_deviations[0]), "failed", _message(problems), []))


def by_id(config) -> dict:
    """Test id -> the Expectation (Status ``listed``) of each entry of the deviations file in force."""
    _, entries = config._conformance_deviations
    return {e.test_id: e.expectation(torch.__version__) for e in entries}


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
