"""How a repro binds a user's function (``check_grads``) to the name its call uses: Python source that gets
the very object, checked by looking it up again, or a comment saying it must be pasted.

- a ``torch.library.custom_op`` (or an op overload): ``fn = torch.ops.mylib.myop``, after importing the
  module that registers it;
- an ``autograd.Function`` subclass's ``apply``: ``from mymodule import MyFn`` and ``fn = MyFn.apply``;
- a function reachable from its module: ``from mymodule import my_op as fn``;
- a lambda, a local function or one defined in a script (``__main__``): a comment naming where it is
  defined, to paste its definition above the binding (a lambda: in place of ``...``).
"""
from __future__ import annotations

import inspect
import sys

import torch


def binding_lines(name: str, value) -> list[str]:
    """Source lines binding ``name`` to ``value`` (the function under test) in a repro."""
    op = op_path(value)
    if op:
        return [*_registering(value, op), f"{name} = {op}"]
    return _importable(name, value) or [f"{name} = {_pasted(value)}"]


def op_path(value) -> str | None:
    """``torch.ops.namespace.name[.overload]`` for a custom op or an operator, if it resolves to that op."""
    if isinstance(value, torch._ops.OpOverload):
        qualified, overload = value.name(), value._overloadname
    elif isinstance(value, torch._ops.OpOverloadPacket):
        qualified, overload = value._qualified_op_name, None
    else:
        qualified, overload = getattr(value, "_qualname", None), None  # torch.library.custom_op's CustomOpDef
        if not (isinstance(qualified, str) and hasattr(value, "register_autograd")):
            return None
    namespace, _, op = str(qualified).partition("::")
    if not (namespace.isidentifier() and op.isidentifier()) or not hasattr(getattr(torch.ops, namespace), op):
        return None
    return f"torch.ops.{namespace}.{op}" + (f".{overload}" if overload else "")


def _registering(value, op: str) -> list[str]:
    """The import that registers a custom op in a fresh interpreter (none for torch's own operators)."""
    module = getattr(getattr(value, "_init_fn", None), "__module__", None)
    if not module or module.startswith("torch"):
        return []
    if module == "__main__":
        return [f"# {op} is registered by the script that defines it: run its definition first"]
    return [f"import {module}  # registers {op}"]


def _importable(name: str, value) -> list[str]:
    """``from module import ...`` lines that give ``value`` back, or [] where its names do not reach it."""
    owner = _owner(value)
    if owner is not None:  # a classmethod such as autograd.Function.apply, or a method descriptor (Tensor.sin)
        head = _importable(owner.__name__, owner)
        return [*head, f"{name} = {owner.__name__}.{value.__name__}"] if head else []
    module = getattr(value, "__module__", None)
    if not module or module == "__main__" or module not in sys.modules:
        return []
    for path in dict.fromkeys(p for p in (getattr(value, "__qualname__", None), getattr(value, "__name__", None))
                              if isinstance(p, str) and "<" not in p):
        found = sys.modules[module]
        for part in path.split("."):
            found = getattr(found, part, None)
        if found is value or (found is not None and found == value and inspect.ismethod(value)):
            head, _, rest = path.partition(".")
            if not rest:
                return [f"from {module} import {head}" + (f" as {name}" if head != name else "")]
            return [f"from {module} import {head}", f"{name} = {path}"]
    return []


def _owner(value) -> type | None:
    """The class a classmethod is bound to, or a method descriptor belongs to, where the name reaches the value."""
    owner = getattr(value, "__self__", None) if inspect.ismethod(value) else getattr(value, "__objclass__", None)
    name = getattr(value, "__name__", None)
    return owner if isinstance(owner, type) and isinstance(name, str) and getattr(owner, name, None) == value else None


def _pasted(value) -> str:
    """The binding of a function that cannot be imported by name, with a comment saying what to paste above it."""
    owner = _owner(value)
    target, expr = value, None
    if owner is not None:  # MyFn.apply, MyFn defined locally or in a script
        target, expr = owner, f"{owner.__name__}.{value.__name__}"
    label = getattr(target, "__qualname__", None)
    if not isinstance(label, str):
        return f"...  # {type(value).__name__} {value!r} cannot be imported by name: bind it here"
    where = _where(target)
    kind = ("a local function" if "<locals>" in label or "<lambda>" in label else "defined in a script (__main__)"
            if getattr(target, "__module__", None) == "__main__" else "not importable by name")
    if getattr(target, "__name__", None) == "<lambda>":
        return f"...  # the lambda {label}{where} is {kind}: paste it here"
    return f"{expr or target.__name__}  # {label}{where} is {kind}: paste its definition above"


def _where(target) -> str:
    """`` (file:line)`` of a function's definition (a class's: its file), '' where there is none to point at."""
    code = getattr(target, "__code__", None)
    if code is not None:
        return f" ({code.co_filename}:{code.co_firstlineno})"
    try:
        file = inspect.getsourcefile(target)
    except TypeError:  # a class without a module file
        file = None
    return f" ({file})" if file else ""
