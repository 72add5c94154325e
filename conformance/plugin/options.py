"""The kit's command-line options that need torch or the catalogue, checked: entries, device, compile backends,
examples, faults (the others: ``conformance.plugin.arguments``).

Each function reads one option from the pytest config and returns what the plugin keeps, or raises
``pytest.UsageError`` naming the option and what is wrong with its value.
"""
from __future__ import annotations

import fnmatch
import os
import re
import shutil

import pytest
import torch
from hypothesis import settings

from conformance.catalogue import CATALOGUE
from conformance.catalogue.guards import COMPILE_BACKENDS
from conformance.model.case import DTYPES
from conformance.plugin.arguments import listed, spelling

_CALLED = re.compile(r"\b(?:torch|F)(?:\.\w+)+")


def selected_entries(config) -> list[str]:
    patterns = listed(config, "--op")
    if not patterns:
        return list(CATALOGUE)
    unmatched = [p for p in patterns if not fnmatch.filter(CATALOGUE, p)]
    if unmatched:
        raise pytest.UsageError(f"{spelling(config, '--op')}: no catalogue entry matches "
                                f"{', '.join(map(repr, unmatched))} "
                                f"(entries: python -m conformance.tools.coverage --list)")
    return [n for n in CATALOGUE if any(fnmatch.fnmatchcase(n, p) for p in patterns)]


def called(call: str) -> str | None:
    """The torch function a call applies (``torch.linalg.vector_norm(x, 3)``: ``torch.linalg.vector_norm``)."""
    found = _CALLED.search(call)
    return found.group(0) if found else None


def selected_functions(config) -> set[str] | None:
    """The torch functions the selected entries call (a conventions row of another function is not theirs);
    None without ``--op``: every row."""
    if not listed(config, "--op"):
        return None
    return {called(CATALOGUE[n].call) for n in config._conformance_entries} - {None}


def resolve_device(config) -> torch.device:
    name, option = config.getoption("conformance_device"), spelling(config, "--device")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError) as exc:
        raise pytest.UsageError(f"{option}: {name!r} is not a torch device string ({exc})") from None
    try:
        torch.empty(1, device=device)
    except Exception as exc:  # noqa: BLE001 - any failure means the device cannot be used
        raise pytest.UsageError(f"{option}: {name!r} is not available in this torch "
                                f"({torch.__version__}): {str(exc).splitlines()[0]}") from None
    return device


def compile_backends(config) -> tuple[dict[str, str | None], bool]:
    """``--compile-backend``: each backend, with the reason it cannot run here (None: it can), and whether the
    run is the default guard (no option: ``aot_eager`` and ``inductor`` on the guarded entries); ``off``: none."""
    names = listed(config, "--compile-backend")
    if names == ["off"]:
        return {}, False
    guarded = not names
    names = names or list(COMPILE_BACKENDS)
    unknown = []
    if not guarded:  # names given: checked against dynamo's registry (the guard's are torch's own, and importing
        import torch._dynamo  # dynamo costs every process of a run seconds it may never compile in)
        known = set(torch._dynamo.list_backends(exclude_tags=()))
        unknown = [n for n in names if n not in known]
    if unknown:
        raise pytest.UsageError(f"{spelling(config, '--compile-backend')}: unknown backend "
                                f"{', '.join(map(repr, unknown))}; "
                                f"known: {', '.join(sorted(known))}")
    compiler = os.environ.get("CXX") or next((c for c in ("c++", "g++", "clang++") if shutil.which(c)), None)
    return {n: ("inductor needs a C++ compiler (none found; set CXX)" if n == "inductor" and not compiler else None)
            for n in dict.fromkeys(names)}, guarded


def lacking_dtypes(device: torch.device, names: list[str]) -> dict[str, str]:
    """The selected dtypes the device cannot compute in (float64 on MPS), with the device's own error."""
    lacking = {}
    for name in names:
        try:
            t = torch.ones(2, dtype=DTYPES[name], device=device, requires_grad=True)
            (t * t).sum().backward(torch.ones((), dtype=DTYPES[name], device=device))
        except Exception as exc:  # noqa: BLE001 - whatever the backend raises is the reason
            lacking[name] = (f"{device} does not support {name}: "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    return lacking


def override_examples(config) -> None:
    """``--conformance-examples N``: the loaded profile with its ``max_examples`` replaced."""
    examples = config.getoption("--conformance-examples")
    if examples is None:  # at least 1: arguments.check
        return
    name = settings.get_current_profile_name()
    settings.register_profile(f"{name}:{examples}", parent=settings.get_profile(name), max_examples=examples)
    settings.load_profile(f"{name}:{examples}")


def activate_fault(config) -> None:
    """``--conformance-fault NAME``: the fault is installed now and undone in ``pytest_unconfigure``."""
    name = config.getoption("--conformance-fault")
    if name:
        from conformance import faults
        try:
            config._conformance_fault = faults.activate(name)
        except faults.UnknownFault as exc:
            raise pytest.UsageError(f"--conformance-fault: {exc}") from None
