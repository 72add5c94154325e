"""The shipped suite as pytest arguments, and which tests a command's arguments name.

The properties ship as the package ``conformance.cases`` (a checkout's ``cases/``), with the kit's pytest
settings (``conformance/suite.ini``).  ``python -m conformance run|quick``, ``faults`` and ``soak`` run them
through ``suite_args`` from any directory, their files named as in a checkout (``cases/test_vjp.py``).  Test
files of one's own (paths that exist from the current directory, outside the suite) run as they are: then
the suite is not added to the run.
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def cases_dir() -> Path:
    """The folder of the shipped properties (the installed ``conformance.cases``, or a checkout's ``cases/``)."""
    try:
        import conformance.cases
        return Path(conformance.cases.__file__).resolve().parent
    except ImportError:  # a checkout that is not pip-installed: the cases folder beside the package
        return _PACKAGE.parent / "cases"


def suite_root() -> Path:
    """The folder the shipped suite's file names are relative to (the one holding ``cases/``)."""
    return cases_dir().parent


def own_paths(args: list[str]) -> list[str]:
    """The arguments naming test files of one's own: paths that exist from the current directory and are
    not the shipped suite's (an option's value, ``--op sin``, names no file here)."""
    root = suite_root()

    def shipped(path: Path) -> bool:
        return path.resolve().is_relative_to(root) if path.is_absolute() else (root / path).exists()

    return [a for a in args if not a.startswith("-") and Path(a.split("::")[0]).exists()
            and not shipped(Path(a.split("::")[0]))]


def suite_args(argv: list[str]) -> list[str]:
    """pytest's arguments for the shipped suite: its folder (unless ``argv`` names suite files or files of one's
    own), the kit's settings file and rootdir, the plugin."""
    root = suite_root()
    paths = [a for a in argv if not a.startswith("-") and (root / a.split("::")[0]).exists()]
    named = paths or own_paths(argv)
    return ["-c", str(_PACKAGE / "suite.ini"), "--rootdir", str(root), "-p", "conformance.plugin",
            *([] if named else [str(cases_dir())]), *[str(root / a) if a in paths else a for a in argv]]
