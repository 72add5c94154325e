"""The fault model: a named wrong behaviour of torch, the part of the suite aimed at it, and its undo.

A fault is installed for the duration of a run (``activate``) or of a ``with`` block (``injected``);
installing returns the undo, which restores every kernel and attribute the fault replaced, also when
the run fails.  One fault at a time per process.
"""
from __future__ import annotations

import contextlib
import fnmatch
import shlex
from dataclasses import dataclass, field
from typing import Callable

_MISSING = object()

LEVELS = ("kernel", "engine")


@dataclass(frozen=True)
class Target:
    """The part of the conformance suite aimed at a fault: property files (named as in a checkout,
    ``cases/test_vjp.py``; ``runner.pytest_args`` finds them in the installed kit), catalogue entry globs
    (``--op``) and a ``-k`` expression; a run per fault stays short."""

    files: tuple[str, ...]
    ops: tuple[str, ...] = ()
    k: str | None = None

    def args(self) -> list[str]:
        out = list(self.files)
        for op in self.ops:
            out += ["--op", op]
        return out + (["-k", self.k] if self.k else [])

    def __str__(self) -> str:
        return " ".join(shlex.quote(a) for a in self.args())


@dataclass(frozen=True)
class Fault:
    """``install()`` puts the fault in place and returns its undo.

    ``touches`` names what it replaces (aten operators for kernel faults, ``module.attribute`` for engine
    faults).  ``survives`` documents a known blind spot of the kit: why the target cannot kill it.
    """

    name: str
    level: str
    category: str
    what: str
    target: Target
    install: Callable[[], Callable[[], None]] = field(repr=False, compare=False)
    touches: tuple[str, ...] = ()
    survives: str | None = None


class UnknownFault(LookupError):
    """A fault name or glob that matches no registered fault."""

    def __str__(self) -> str:
        return f"no fault matches {self.args[0]!r} (list them: python -m conformance.faults --list)"


FAULTS: dict[str, Fault] = {}


def register(fault: Fault) -> Fault:
    if fault.name in FAULTS:
        raise ValueError(f"fault {fault.name!r} is registered twice")
    if fault.level not in LEVELS:
        raise ValueError(f"fault {fault.name!r}: level {fault.level!r} is not one of {LEVELS}")
    FAULTS[fault.name] = fault
    return fault


def get(name: str) -> Fault:
    if name not in FAULTS:
        raise UnknownFault(name)
    return FAULTS[name]


def select(patterns: list[str] | None) -> list[Fault]:
    """The faults matching any of the names or globs (all when none is given), in catalogue order."""
    if not patterns:
        return list(FAULTS.values())
    for p in patterns:
        if not fnmatch.filter(FAULTS, p):
            raise UnknownFault(p)
    return [f for n, f in FAULTS.items() if any(fnmatch.fnmatchcase(n, p) for p in patterns)]


class Activation:
    """An installed fault; calling ``undo()`` (idempotent) restores torch."""

    _current: "Activation | None" = None

    def __init__(self, fault: Fault):
        if Activation._current is not None:
            raise RuntimeError(f"fault {Activation._current.fault.name!r} is already active; one fault at a time")
        self.fault = fault
        self._undo = fault.install()
        Activation._current = self

    def undo(self) -> None:
        if self._undo is not None:
            undo, self._undo = self._undo, None
            Activation._current = None
            undo()


def activate(name: str) -> Activation:
    """Install the named fault until ``undo()`` (the plugin does this for ``--conformance-fault``)."""
    return Activation(get(name))


@contextlib.contextmanager
def injected(name: str):
    """The named fault, installed for a ``with`` block and undone on leaving it, also on an exception."""
    active = activate(name)
    try:
        yield active.fault
    finally:
        active.undo()


class Undo:
    """Collects the undo steps of a fault made of several replacements; undoes them in reverse order.

    Used as ``with Undo() as undo: ...; return undo.release()``: a replacement that raises undoes the
    ones already made."""

    def __init__(self):
        self._steps: list[Callable[[], None]] = []

    def add(self, step: Callable[[], None]) -> None:
        self._steps.append(step)

    def __call__(self) -> None:
        while self._steps:
            self._steps.pop()()

    def __enter__(self) -> "Undo":
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is not None:
            self()

    def release(self) -> Callable[[], None]:
        steps, self._steps = self._steps, []
        done = Undo()
        done._steps = steps
        return done


def patch(owner, name: str, make: Callable, undo: Undo) -> None:
    """Replace ``owner.name`` by ``make(original)``; ``undo`` restores the very object found there."""
    raw = owner.__dict__.get(name, _MISSING)
    original = getattr(owner, name)
    setattr(owner, name, make(original))
    undo.add(lambda: setattr(owner, name, raw) if raw is not _MISSING else delattr(owner, name))


def installer(patches: list[tuple[object, str, Callable]]) -> Callable[[], Callable[[], None]]:
    """The ``install`` of a fault made of attribute replacements ``(owner, name, make)``."""
    def install():
        with Undo() as undo:
            for owner, name, make in patches:
                patch(owner, name, make, undo)
            return undo.release()
    return install
