"""On-disk cache of compiled oracles, so a second run skips sympy differentiation and ``lambdify``.

Differentiating a spec, building its error bound and generating code take most of an oracle's
compile time; the generated Python source is stored under a key that hashes everything it depends
on: the spec's output expressions (``srepr``), the argument symbols, the source of the kit modules
code generation depends on (case model, domains, spec primitives, tolerance policy, oracle, this
module and the whole catalogue, where custom primitives live) and the sympy and mpmath versions.  Any change to one of them is a different key, never a stale oracle.

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


# The kit's modules the generated code depends on (the catalogue package is added whole).
_SOURCES = ("case.py", "domain.py", "spec.py", "tolerance.py", "oracle.py", "complex_oracle.py", "disk_cache.py")


@functools.lru_cache(maxsize=1)
def _kit_fingerprint() -> str:
    digest = hashlib.sha256(f"sympy {sp.__version__} mpmath {mpmath.__version__}".encode())
    package = Path(__file__).resolve().parent
    sources = [package / name for name in _SOURCES] + sorted((package / "catalogue").rglob("*.py"))
    for path in sources:
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _key(outputs: list, symbols: list, kind: str) -> str:
    digest = hashlib.sha256(_kit_fingerprint().encode())
    digest.update(kind.encode())
    digest.update(repr([s.name for s in symbols]).encode())
    for expr in outputs:
        digest.update(sp.srepr(expr).encode())
    return digest.hexdigest()


def _path(outputs: list, symbols: list, kind: str) -> Path | None:
    root = directory()
    return None if root is None else root / f"{_key(outputs, symbols, kind)}.py"


def load(outputs: list, symbols: list, modules: list, kind: str = "vjp"):
    """The cached compiled program (``kind``: vjp, jvp, hvp...) for these outputs and symbols, or None."""
    path = _path(outputs, symbols, kind)
    if path is None or not path.is_file():
        return None
    namespace = dict(_namespace(tuple(sorted(modules[0].items()))))
    try:
        exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - our own generated code
        return namespace[_NAME]
    except Exception:  # noqa: BLE001 - a damaged cache file is rebuilt, never trusted
        return None


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
