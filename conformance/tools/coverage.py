"""Op coverage: which of the installed torch's differentiable functions the catalogue checks.

    python -m conformance.tools.coverage            # covered / total, then the uncovered ops and why
    python -m conformance.tools.coverage --all      # every op, covered or not, with the entries covering it
    python -m conformance.tools.coverage --list     # the catalogue entries and their calls
    python -m conformance.tools.coverage --markdown # the summary as a Markdown table (for the docs)

The reference list is PyTorch's own OpInfo database (``op_db`` entries with ``supports_autograd``),
which imports only where ``torch.testing._internal`` can (it needs the ``expecttest`` package:
``pip install expecttest``, or the kit's ``[coverage]`` extra).  Where it cannot, the report gives no
figure: it says what is missing and how to get it, and exits 1 (``--list`` needs no reference).

Which torch functions an entry covers is read from its call: ``torch.linalg.det(a)`` covers
``linalg.det``, ``F.relu(x)`` covers ``nn.functional.relu``, ``torch.ops.aten.slice.Tensor(x, ...)`` covers
``slice`` (and ``torch.ops.aten.slice.Tensor``, as OpInfo names some aten operators), ``x.sin()`` and
``x.sin_()`` cover ``sin``,
``x * y`` covers ``mul`` (``2 * x`` covers ``__rmul__`` too), ``x[1:]`` covers ``__getitem__``.
"""
from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict

import torch

from conformance.catalogue import CATALOGUE, FAMILIES
from conformance.model.case import Case
from conformance.tools import uncovered

# Python operator -> (torch function, reflected dunder when the left operand is a number)
_OPERATORS = {ast.Add: ("add", "__radd__"), ast.Sub: ("sub", "__rsub__"), ast.Mult: ("mul", "__rmul__"),
              ast.Div: ("div", "__rdiv__"), ast.Pow: ("pow", "__rpow__"), ast.MatMult: ("matmul", "__rmatmul__"),
              ast.Mod: ("remainder", "__rmod__"), ast.FloorDiv: ("floor_divide", "__rfloordiv__")}

# Tensor factories and conversions used to build constants inside calls: not functions under test.
_CONSTANTS = {"tensor", "as_tensor", "eye", "ones", "zeros", "full", "arange", "linspace", "empty", "ones_like",
              "zeros_like", "full_like", "empty_like", "new_ones", "new_zeros", "new_full", "new_tensor", "to",
              "bool", "long", "int", "double", "float", "detach", "requires_grad_", "item", "size", "dim"}


def _dotted(node: ast.AST) -> list[str] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def referenced(case: Case) -> set[str]:
    """The torch functions an entry's call uses, spelled as OpInfo names them."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(case.call, mode="eval")):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            chain = _dotted(node.func)
            if chain and chain[:3] == ["torch", "ops", "aten"] and len(chain) > 3:  # an aten operator
                names |= {chain[3], "torch.ops.aten." + ".".join(chain[3:])}  # OpInfo spells some either way
            elif chain and chain[0] == "torch":
                names.add(".".join(chain[1:]))
            elif chain and chain[0] == "F":
                names.add("nn.functional." + ".".join(chain[1:]))
            else:  # a Tensor method; an in-place variant covers its function
                names.add(node.func.attr.rstrip("_") if node.func.attr.endswith("_") and not
                          node.func.attr.startswith("_") else node.func.attr)
        elif isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            op, reflected = _OPERATORS[type(node.op)]
            names.add(op)
            if isinstance(node.left, ast.Constant):
                names.add(reflected)
        elif (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
              and not isinstance(node.operand, ast.Constant)):
            names.add("neg")
        elif isinstance(node, ast.Subscript):
            names.add("__getitem__")
        elif isinstance(node, ast.Attribute) and node.attr in {"mT", "mH", "T", "H"}:
            names.add(node.attr)
    return names - _CONSTANTS


def distinct_functions(catalogue: dict[str, Case] = CATALOGUE) -> set[str]:
    """Distinct torch functions over all entries (method and function spellings of one op count once)."""
    return set().union(*(referenced(c) for c in catalogue.values())) if catalogue else set()


class NoReference(RuntimeError):
    """torch's OpInfo database, the report's reference list, does not import here; the message says why
    and how to get it."""


def _missing(exc: Exception) -> str:
    where = "torch's OpInfo database (torch.testing._internal.common_methods_invocations)"
    if isinstance(exc, ModuleNotFoundError) and exc.name == "expecttest":
        return (f"op coverage needs {where}, which needs the expecttest package, not installed here: "
                f"pip install expecttest (or the kit's extra: pip install 'autograd-conformance[coverage]')")
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return f"op coverage needs {where}, which needs the module {exc.name!r}, not installed here"
    return f"op coverage needs {where}, which does not import with torch {torch.__version__}: {exc!r}"


def reference_ops() -> tuple[str, dict[str, set[str]]]:
    """(description of the source, op name -> names that cover it: the op and its aliases); NoReference
    where torch's OpInfo database does not import."""
    try:
        from torch.testing._internal.common_methods_invocations import op_db
    except Exception as exc:  # any import failure (re-raised): no reference, and the error says why
        raise NoReference(_missing(exc)) from exc
    ops: dict[str, set[str]] = defaultdict(set)
    for op in op_db:
        if op.supports_autograd:
            ops[op.name] |= {op.name, *(a.name for a in op.aliases)}
    return f"OpInfo op_db of torch {torch.__version__} (entries with supports_autograd)", dict(ops)


def coverage(catalogue: dict[str, Case] = CATALOGUE) -> tuple[str, dict[str, list[str]]]:
    """(source, op name -> catalogue entries covering it; empty list when uncovered)."""
    source, ops = reference_ops()
    uses = {name: referenced(case) for name, case in catalogue.items()}
    table = {op: sorted(n for n, refs in uses.items() if refs & spellings) for op, spellings in sorted(ops.items())}
    return source, table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m conformance.tools.coverage", description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="list every reference op, covered or not")
    parser.add_argument("--list", action="store_true", help="list the catalogue entries and their calls")
    parser.add_argument("--markdown", action="store_true", help="print the summary as a Markdown table")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list:
        for family in FAMILIES:
            for case in family.ENTRIES:
                print(f"{family.__name__.rsplit('.', 1)[-1]:12} {case.name:36} {case.call}")
        return 0
    try:
        source, table = coverage()
    except NoReference as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    covered = [op for op, entries in table.items() if entries]
    n_fn = len(distinct_functions())
    if args.markdown:
        print("| catalogue entries | distinct torch functions called | reference ops covered | reference |")
        print("| ---: | ---: | ---: | --- |")
        print(f"| {len(CATALOGUE)} | {n_fn} | {len(covered)} / {len(table)} ({100 * len(covered) / len(table):.0f}%) "
              f"| {source} |")
        return 0
    print(f"reference: {source}")
    print(f"catalogue: {len(CATALOGUE)} entries calling {n_fn} distinct torch functions")
    print(f"covered: {len(covered)} / {len(table)} reference ops ({100 * len(covered) / len(table):.1f}%)\n")
    for op, entries in table.items():
        if args.all:
            print(f"{'+' if entries else '-'} {op:45} {', '.join(entries)}")
        elif not entries:
            print(f"- {op:45} {uncovered.reason(op)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
