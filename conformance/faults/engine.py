"""Engine-level faults: autograd's Python entry points wrapped so the engine breaks its contract.

``torch.autograd.backward`` (which ``Tensor.backward`` calls), ``torch.autograd.grad``, ``Tensor.zero_``,
``Module.zero_grad``, ``Optimizer.zero_grad``, ``Tensor.retain_grad``, ``Tensor.register_hook`` and
``torch.no_grad`` are replaced on their module or class; the undo puts back exactly what was there
(or removes the override, for a method the class inherits from C).
"""
from __future__ import annotations

import inspect
from typing import Callable

import torch

from conformance.faults.model import Fault, Target, installer, register

CASE = "cases/test_{}.py".format
BACKWARD = (torch.autograd, "backward")
GRAD = (torch.autograd, "grad")
ZERO_GRADS = [(torch.nn.Module, "zero_grad"), (torch.optim.Optimizer, "zero_grad")]


def _fault(name: str, category: str, what: str, target: Target, patches: list[tuple[object, str, Callable]]):
    touches = tuple(f"{getattr(o, '__module__', '') or ''}.{getattr(o, '__name__', o)}.{n}".lstrip(".")
                    for o, n, _ in patches)
    register(Fault(name, "engine", category, what, target, install=installer(patches), touches=touches))


def _tensors(x) -> list:
    if x is None:
        return []
    if isinstance(x, torch.Tensor):
        return [x]
    return list(x.values()) if isinstance(x, dict) else list(x)


def leaves(outputs) -> list[torch.Tensor]:
    """The leaf tensors a backward of ``outputs`` accumulates into (walking ``grad_fn.next_functions``)."""
    found, seen, stack = {}, set(), []
    for t in _tensors(outputs):
        if not isinstance(t, torch.Tensor):
            continue
        if t.grad_fn is None and t.requires_grad:
            found[id(t)] = t
        elif t.grad_fn is not None:
            stack.append(t.grad_fn)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None:
            found[id(variable)] = variable
        stack.extend(f for f, _ in node.next_functions if f is not None)
    return list(found.values())


def _on_backward(change: Callable) -> Callable:
    """``make`` for ``torch.autograd.backward``: each call becomes ``change(call, arguments)``."""
    def make(original):
        signature = inspect.signature(original)

        def backward(*args, **kwargs):
            arguments = dict(signature.bind(*args, **kwargs).arguments)
            return change(lambda **a: original(**a), arguments)
        return backward
    return make


def _accumulated_into(arguments: dict) -> list[torch.Tensor]:
    """The tensors a backward call accumulates into: its ``inputs=``, or the leaves of its graph."""
    return [t for t in _tensors(arguments.get("inputs")) if isinstance(t, torch.Tensor)] or leaves(arguments["tensors"])


def _around(after: Callable, only_existing: bool = True) -> Callable:
    """A backward that runs, then calls ``after(leaf, grad, values)`` per leaf: ``grad`` is the ``.grad``
    object the leaf had before the call, ``values`` a copy of it (leaves without one are skipped if
    ``only_existing``)."""
    def change(call, arguments):
        before = [(t, t.grad, None if t.grad is None else t.grad.detach().clone())
                  for t in _accumulated_into(arguments)]
        result = call(**arguments)
        for leaf, grad, values in before:
            if grad is not None or not only_existing:
                after(leaf, grad, values)
        return result
    return _on_backward(change)


def overwriting(where: Callable[[torch.Tensor], bool] = lambda grad: True) -> Callable:
    """A backward change: each existing ``.grad`` for which ``where(grad)`` holds is set aside, the backward
    fills a fresh one, whose values overwrite the old tensor (the earlier contributions are lost)."""
    def change(call, arguments):
        kept = [(t, t.grad) for t in _accumulated_into(arguments) if t.grad is not None and where(t.grad)]
        for t, _ in kept:
            t.grad = None
        try:
            return call(**arguments)
        finally:
            for t, grad in kept:
                new, t.grad = t.grad, grad
                if new is not None:
                    with torch.no_grad():
                        grad.copy_(new)
    return change


def _doubled(leaf, grad, values):
    with torch.no_grad():
        leaf.grad.mul_(2).sub_(values)


def _replaced(leaf, grad, values):
    leaf.grad = leaf.grad.clone()


def _made_contiguous(leaf, grad, values):
    if grad is None and leaf.grad is not None:
        leaf.grad = leaf.grad.contiguous()


def _set(key: str, value_of: Callable) -> Callable:
    def change(call, arguments):
        arguments[key] = value_of(arguments)
        return call(**arguments)
    return _on_backward(change)


def _each_gradient(transform: Callable) -> Callable:
    def value_of(arguments):
        grads = arguments.get("grad_tensors")
        if grads is None:
            return None
        if isinstance(grads, torch.Tensor):
            return transform(grads)
        return [None if g is None else transform(g) for g in grads]
    return _set("grad_tensors", value_of)


def _implicit_ones(arguments):
    outputs = _tensors(arguments["tensors"])
    grads = arguments.get("grad_tensors")
    grads = [grads] if isinstance(grads, torch.Tensor) else list(grads or [None] * len(outputs))
    return [torch.ones_like(o) if g is None and o.numel() > 1 else g for o, g in zip(outputs, grads)]


def _without(key: str) -> Callable:
    def change(call, arguments):
        arguments.pop(key, None)
        return call(**arguments)
    return _on_backward(change)


def _no_create_graph(original):
    signature = inspect.signature(original)

    def call(*args, **kwargs):
        arguments = signature.bind(*args, **kwargs).arguments
        if arguments.get("create_graph") and arguments.get("retain_graph") is None:
            arguments["retain_graph"] = True
        arguments["create_graph"] = False
        return original(**arguments)
    return call


def _leaking_grad(original):
    signature = inspect.signature(original)

    def grad(*args, **kwargs):
        result = original(*args, **kwargs)
        inputs = signature.bind(*args, **kwargs).arguments["inputs"]
        pairs = zip(_tensors(inputs), _tensors(result))
        with torch.no_grad():
            for t, g in pairs:
                if isinstance(t, torch.Tensor) and t.is_leaf and g is not None:
                    t.grad = g.detach().clone() if t.grad is None else t.grad + g
        return result
    return grad


class _GradModeIgnored:
    """A ``torch.no_grad`` that records anyway (context manager, decorator with or without parentheses)."""

    def __new__(cls, fn=None):
        return super().__new__(cls) if fn is None else fn

    def __call__(self, fn):
        return fn

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


ACCUMULATE = Target((CASE("accumulation"), CASE("seed")), ("mul", "sin", "mm"), "accumulation or y_then_z")
EACH_ZEROING = Target((CASE("zeroing"),), (), "each_method")
_fault("engine.accumulate-overwrite", "accumulation", "a backward into an existing .grad overwrites it (in place) "
       "instead of adding", ACCUMULATE, [(*BACKWARD, _on_backward(overwriting()))])
_fault("engine.accumulate-doubled", "accumulation", "a backward into an existing .grad adds its contribution twice",
       ACCUMULATE, [(*BACKWARD, _around(_doubled))])
_fault("engine.grad-replaced", "accumulation", "a backward into an existing .grad replaces the tensor (same values: "
       "accumulation is not in place)", Target((CASE("accumulation"),), ("mul", "sin")),
       [(*BACKWARD, _around(_replaced))])
_fault("engine.grad-layout-contiguous", "layout", "a new .grad is always contiguous (the parameter's strides ignored)",
       Target((CASE("grad_layout"),), (), "permuted or channels_last"),
       [(*BACKWARD, _around(_made_contiguous, only_existing=False))])
_fault("engine.gradient-ignored", "gradient argument", "backward(gradient=v) uses ones instead of v",
       Target((CASE("vjp"),), ("mul", "mm")), [(*BACKWARD, _each_gradient(torch.ones_like))])
_fault("engine.gradient-permuted", "gradient argument", "backward(gradient=v) uses v's elements in reverse order",
       Target((CASE("vjp"),), ("mul", "mm")),
       [(*BACKWARD, _each_gradient(lambda g: g.reshape(-1).flip(0).reshape(g.shape)))])
_fault("engine.implicit-gradient-nonscalar", "gradient argument", "backward() without gradient on a non-scalar "
       "output uses ones instead of raising", Target((CASE("engine_errors"), CASE("seed")), ("mul",), "nonscalar"),
       [(*BACKWARD, _set("grad_tensors", _implicit_ones))])
_fault("engine.inputs-ignored", "inputs argument", "backward(inputs=[...]) accumulates into every leaf",
       Target((CASE("backward_inputs"),), ("mul", "mm")), [(*BACKWARD, _without("inputs"))])
_fault("engine.retain_graph-always", "retain_graph", "every backward keeps the graph (a second backward does not "
       "raise)", Target((CASE("retain_graph"),), ("mul",)), [(*BACKWARD, _set("retain_graph", lambda a: True))])
_fault("engine.create_graph-ignored", "second order", "backward and autograd.grad ignore create_graph=True",
       Target((CASE("higher_order"),), ("mul", "sin"), "test_hvp"),
       [(*BACKWARD, _no_create_graph), (*GRAD, _no_create_graph)])
_fault("engine.grad-leaks-into-.grad", "functional", "torch.autograd.grad also accumulates into the inputs' .grad",
       Target((CASE("functional"),), ("mul", "sin")), [(*GRAD, _leaking_grad)])
_fault("engine.zero_-noop", "zeroing", "Tensor.zero_() leaves the values as they are", EACH_ZEROING,
       [(torch.Tensor, "zero_", lambda original: lambda self: self)])
_fault("engine.set_to_none-ignored", "zeroing", "Module.zero_grad and Optimizer.zero_grad zero in place even with "
       "set_to_none=True", EACH_ZEROING,
       [(o, n, lambda original: lambda self, set_to_none=True: original(self, set_to_none=False))
        for o, n in ZERO_GRADS])
_fault("engine.zero_grad-noop", "zeroing", "Module.zero_grad and Optimizer.zero_grad do nothing", EACH_ZEROING,
       [(o, n, lambda original: lambda self, set_to_none=True: None) for o, n in ZERO_GRADS])
_fault("engine.retain_grad-ignored", "non-leaf", "Tensor.retain_grad() does nothing",
       Target((CASE("nonleaf"),), ("mul",), "retain"),
       [(torch.Tensor, "retain_grad", lambda original: lambda self: None)])
_fault("engine.hook-result-ignored", "hooks", "a tensor hook runs but its returned tensor is ignored",
       Target((CASE("hooks"),), ("mul",), "tensor_hook"),
       [(torch.Tensor, "register_hook",
         lambda original: lambda self, hook: original(self, lambda g: (hook(g), None)[1]))])
_fault("engine.no_grad-ignored", "grad mode", "torch.no_grad() records the graph anyway",
       Target((CASE("grad_mode"),), ("mul",), "untracked"),
       [(torch, "no_grad", lambda original: _GradModeIgnored)])
