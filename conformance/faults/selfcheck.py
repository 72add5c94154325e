"""Checks of the fault machinery itself: undo restores torch, and the reference formulas are torch's own.

``check_undo`` compares what a fault replaces (each aten operator's dispatcher table, or each attribute's
object) before, during and after injecting it with an exception raised inside the block.
``reference_mismatches`` installs each correct formula of ``kernel.REFERENCE`` and compares its
gradients with torch's own at sample calls (real, complex, broadcast, in-place), so that a fault,
built as a reference altered, differs from torch only by its alteration.
"""
from __future__ import annotations

import importlib

import torch

from conformance.faults import library
from conformance.faults.kernel import REFERENCE
from conformance.faults.model import FAULTS, Fault, get, injected

_MISSING = "<not set>"

SAMPLES = {
    "sin": ["torch.sin(x)", "x.sin()", "x.clone().sin_()", "torch.sin(z)"],
    "cos": ["torch.cos(x)", "torch.cos(z)"],
    "exp": ["torch.exp(x)", "x.clone().exp_()", "torch.exp(z)"],
    "log": ["torch.log(x.abs() + 0.5)", "torch.log(z)"],
    "atan": ["torch.atan(x)"],
    "tanh": ["torch.tanh(x)", "torch.tanh(z)"],
    "sigmoid": ["torch.sigmoid(x)"],
    "abs": ["torch.abs(x)", "torch.absolute(x)", "torch.abs(z)"],
    "relu": ["torch.relu(x)", "torch.nn.functional.relu(x.clone(), inplace=True)"],
    "clamp": ["torch.clamp(x, -0.5, 0.5)", "torch.clamp(x, min=-0.5)", "x.clone().clamp_(max=0.5)"],
    "special_erfcx": ["torch.special.erfcx(x)"],
    "special_log_ndtr": ["torch.special.log_ndtr(x)"],
    "mul.Tensor": ["x * y", "x * 2.5", "x.clone().mul_(y)", "z * w"],
    "add.Tensor": ["torch.add(x, y, alpha=0.5)", "x + y", "z + w"],
    "mm": ["a.mm(b)", "a @ b", "ca.mm(cb)"],
    "gather": ["torch.gather(x, 1, torch.tensor([[0, 0, 2], [1, 2, 1]]))"],
    "index_select": ["torch.index_select(x, 1, torch.tensor([2, 0, 2]))"],
    "scatter_add": ["torch.scatter_add(x, 1, torch.tensor([[0, 2, 0], [1, 1, 1]]), s)"],
}


def _leaves() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    shapes = {"x": (2, 3), "y": (3,), "s": (2, 3), "a": (2, 3), "b": (3, 2), "z": (2, 3), "w": (3,), "ca": (2, 3),
              "cb": (3, 2)}
    complex_names = {"z", "w", "ca", "cb"}
    return {n: (torch.rand(shape, dtype=torch.complex128 if n in complex_names else torch.float64, generator=g) * 4 - 2
                ).requires_grad_() for n, shape in shapes.items()}


def _gradients(expr: str) -> list:
    leaves = _leaves()
    out = eval(expr, {"torch": torch, **leaves})  # noqa: S307 - the sample's own source
    weight = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(2))
    grads = torch.autograd.grad(out, list(leaves.values()), weight, allow_unused=True)
    return [None if g is None else g.detach() for g in grads]


def reference_mismatches() -> list[str]:
    """Each reference formula, installed alone, against torch's own gradients at the sample calls."""
    problems = []
    for op, rule in REFERENCE.items():
        for expr in SAMPLES[op]:
            want = _gradients(expr)
            undo = library.replace({op: rule}, f"reference:{op}")
            try:
                got = _gradients(expr)
            finally:
                undo()
            for name, g, w in zip(_leaves(), got, want):
                if (g is None) != (w is None) or (g is not None and not torch.allclose(g, w, rtol=1e-12, atol=1e-14)):
                    problems.append(f"{op}: {expr}: gradient of {name} is {g}, torch gives {w}")
    missing = sorted(set(REFERENCE) - set(SAMPLES))
    return problems + [f"{op}: no sample call" for op in missing]
def _attribute(path: str):
    """The object stored at ``package.module.Class.attribute`` (in its owner's ``__dict__``), or a marker."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:cut]))
            break
        except ImportError:
            continue
    for name in parts[cut:-1]:
        owner = getattr(owner, name)
    return owner.__dict__.get(parts[-1], _MISSING)


def snapshot(fault: Fault) -> dict:
    """What the fault replaces, as it is now: each aten operator's dispatcher table, or each attribute's object."""
    if fault.level == "kernel":  # ``aten::op`` or ``aten::op[DispatchKey]``: the operator's whole table either way
        return {op: torch._C._dispatch_dump(op.split("[")[0]) for op in fault.touches}
    return {path: _attribute(path) for path in fault.touches}


def _same(a, b) -> bool:
    return a == b if isinstance(a, str) and isinstance(b, str) else a is b


class _Probe(Exception):
    pass


def check_undo(name: str) -> list[str]:
    """Inject the fault, raise inside the block, and list what it failed to replace or to restore."""
    fault = get(name)
    before, during = snapshot(fault), {}
    try:
        with injected(name):
            during = snapshot(fault)
            raise _Probe
    except _Probe:
        pass
    after = snapshot(fault)
    problems = [f"{k}: not replaced while injected" for k in before if _same(before[k], during.get(k))]
    return problems + [f"{k}: not restored" for k in before if not _same(before[k], after[k])]


def undo_problems(names: list[str] | None = None) -> dict[str, list[str]]:
    """``check_undo`` for each named fault (default: all); only faults with problems appear."""
    problems = {name: check_undo(name) for name in (names or list(FAULTS))}
    return {name: p for name, p in problems.items() if p}
