"""On-disk cache of compiled oracles, so a second run skips sympy differentiation and ``lambdify``.

Differentiating a spec, building its error bound and generating code take most of an oracle's
compile time; the generated Python source is stored under a key that hashes everything it depends
on, and on nothing else: the entry's own output expressions (``srepr``), the argument symbols, the
derivative rules of every custom primitive those expressions reach (each class's source and its
``fdiff`` at the expression's own arguments, closed over the primitives the derivatives bring in),
the source of the code generation (spec vocabulary, running-error model, oracle) and the
sympy and mpmath versions.  Adding or editing one catalogue entry changes that entry's keys only;
any change to what the generated code depends on is a different key, never a stale oracle.  (The
mpmath implementations of primitives are not in the generated code: the namespace supplies them at
load time, so they need no key.)

Location: ``$CONFORMANCE_ORACLE_CACHE`` if set, else ``$XDG_CACHE_HOME/autograd-conformance`` (or
``~/.cache/autograd-conformance``); ``CONFORMANCE_ORACLE_CACHE=off`` disables it.  Entries are written
atomically, so parallel workers can share one directory.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import os
import tempfile
from pathlib import Path

import mpmath
import sympy as sp

_NAME = "_lambdifygenerated"


def directory() -> Path | None:
    setting = os.environ.get("CONFORMANCE_ORACLE_CACHE")
    if setting == "off":
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "autograd-conformance"


# The code generation: the sources that decide the generated program (paths in the package).  Of the
# oracle only its code-generation section counts (from "# -- symbolic derivatives" to "# -- evaluation"); the
# running-error model counts whole, and the tolerance policy not at all: how programs are evaluated and how
# their bounds are scaled (K, u per dtype) do not change what they are.
SOURCES = ("exact/spec.py", "exact/oracle.py", "exact/complex.py", "exact/running_error.py")
SECTIONS = {"exact/oracle.py": ("# -- symbolic derivatives", "# -- evaluation")}


def _part(name: str, text: str) -> str:
    if name not in SECTIONS:
        return text
    start, end = SECTIONS[name]
    return text[text.index(start):text.index(end)]


@functools.lru_cache(maxsize=1)
def _kit_fingerprint() -> str:
    digest = hashlib.sha256(f"sympy {sp.__version__} mpmath {mpmath.__version__} format 1".encode())
    package = Path(__file__).resolve().parents[1]
    for name in SOURCES:
        digest.update(name.encode())
        digest.update(_part(name, (package / name).read_text()).encode())
    return digest.hexdigest()


def _custom(expr) -> list:
    """The applications of kit-defined primitives (sympy Function classes outside sympy) in ``expr``."""
    return [f for f in expr.atoms(sp.Function) if not type(f).__module__.startswith("sympy")]


def derivative_rules(outputs: list) -> list[str]:
    """What the derivatives of ``outputs`` take from custom primitives: per class, its source and the
    ``srepr`` of its ``fdiff`` at one application's own arguments, closed over the classes they bring in."""
    first: dict[type, sp.Expr] = {}
    todo = [f for e in outputs for f in _custom(sp.sympify(e))]
    while todo:
        f = todo.pop()
        if type(f) in first:
            continue
        first[type(f)] = f
        for i in range(1, len(f.args) + 1):
            try:
                todo.extend(_custom(f.fdiff(i)))
            except Exception:  # noqa: BLE001 - a rule that raises is recorded as such below
                pass
    rules = []
    for cls in sorted(first, key=lambda c: (c.__module__, c.__qualname__)):
        f = first[cls]
        try:
            source = inspect.getsource(cls)
        except (OSError, TypeError):
            source = cls.__qualname__
        parts = [f"{cls.__module__}.{cls.__qualname__}", source]
        for i in range(1, len(f.args) + 1):
            try:
                parts.append(sp.srepr(f.fdiff(i)))
            except Exception as exc:  # noqa: BLE001
                parts.append(type(exc).__name__)
        rules.append("\n".join(parts))
    return rules


def key(outputs: list, symbols: list, kind: str) -> str:
    """The cache key of one compiled program (see the module docstring for what it covers)."""
    digest = hashlib.sha256(_kit_fingerprint().encode())
    digest.update(kind.encode())
    digest.update(repr([s.name for s in symbols]).encode())
    for expr in outputs:
        digest.update(sp.srepr(expr).encode())
    for rule in derivative_rules(outputs):
        digest.update(rule.encode())
    return digest.hexdigest()


def _path(outputs: list, symbols: list, kind: str) -> Path | None:
    root = directory()
    return None if root is None else root / f"{key(outputs, symbols, kind)}.py"


def load(outputs: list, symbols: list, modules: list, kind: str = "vjp"):
    """The cached compiled program (``kind``: vjp, jvp, hvp...) for these outputs and symbols, or None."""
    path = _path(outputs, symbols, kind)
    if path is None or not path.is_file():
        return None
    namespace = dict(namespace_of(modules))
    try:
        exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - our own generated code
        return namespace[_NAME]
    except Exception:  # noqa: BLE001 - a damaged cache file is rebuilt, never trusted
        return None


def namespace_of(modules: list) -> dict:
    """The globals of code generated by ``lambdify`` with these modules (custom functions, then mpmath)."""
    return _namespace(tuple(sorted(modules[0].items())))


@functools.lru_cache(maxsize=4)
def _namespace(custom: tuple) -> dict:
    """The globals ``lambdify`` gives code generated with these custom functions and mpmath."""
    return sp.lambdify([], 0, modules=[dict(custom), "mpmath"]).__globals__


def store(outputs: list, symbols: list, fn, kind: str = "vjp") -> None:
    """Keep the generated source of ``fn`` (best effort: an unwritable cache only costs time)."""
    path = _path(outputs, symbols, kind)
    if path is None:
        return
    try:
        source = inspect.getsource(fn)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as tmp:
            tmp.write(source)
        os.replace(tmp.name, path)
    except (OSError, TypeError):
        pass
