"""Which tests a command's pytest arguments name: the kit's shipped suite or test files of one's own.

The shipped suite runs through ``suite_args`` (as ``python -m conformance run`` does): the installed
package's ``conformance.cases`` (a checkout's ``cases/``) with the kit's settings, from any directory, its
files named as in a checkout (``cases/test_vjp.py``).  Test files of one's own run as they are, from the
current directory, with the settings found beside them.
"""
from __future__ import annotations

from pathlib import Path

from conformance.__main__ import suite_args


def suite_root() -> Path:
    """The folder the shipped suite's file names are relative to (the one holding ``cases/``)."""
    args = suite_args([])
    return Path(args[args.index("--rootdir") + 1])


def own_paths(args: list[str]) -> list[str]:
    """The arguments naming test files of one's own: paths that exist from the current directory and are
    not the shipped suite's (an option's value, ``--op sin``, names no file here)."""
    root = suite_root()

    def shipped(path: Path) -> bool:
        return path.resolve().is_relative_to(root) if path.is_absolute() else (root / path).exists()

    return [a for a in args if not a.startswith("-") and Path(a.split("::")[0]).exists()
            and not shipped(Path(a.split("::")[0]))]
