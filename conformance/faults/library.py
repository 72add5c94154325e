"""Replacing an aten operator's autograd formula through ``torch.library``.

``replace(rules)`` registers, for the ``Autograd`` alias key (the autograd key of every device), a
Python kernel per operator overload: it computes the operator below autograd and records a
``torch.autograd.Function`` whose backward is the given rule.  Every spelling that reaches the
operator sees it (``torch.sin``, ``Tensor.sin``, ``F.*`` forms that call it, composite aliases such as
``torch.absolute``), and so does its in-place variant, computed out of place and copied into ``self``
(views, version counters and the leaf check then behave as for torch's own in-place ops).  The undo
destroys the ``Library``, which restores torch's kernels.

A rule is ``rule(grad, out, *args) -> tuple``: one gradient (or None) per argument of the schema, in
schema order, keyword-only arguments included; ``args`` hold the call's values (Python numbers where
the call passed them).  Forward-mode AD and ``torch.func`` transforms through a replaced operator
raise: the replacement defines only the backward.
"""
from __future__ import annotations

import re
import warnings
from typing import Callable

import torch

Rule = Callable[..., tuple]
_OVERRIDE_WARNING = r"(?s).*Overriding a previously registered kernel"


def overload(qualified: str):
    """``"mul.Tensor"`` -> ``torch.ops.aten.mul.Tensor``; ``"sin"`` -> ``torch.ops.aten.sin.default``."""
    name, _, which = qualified.partition(".")
    return getattr(getattr(torch.ops.aten, name), which or "default")


def _inplace_name(qualified: str) -> str | None:
    """The in-place overload of an out-of-place one (``sin`` -> ``sin_``), where aten has it."""
    name, _, which = qualified.partition(".")
    packet = getattr(torch.ops.aten, name + "_", None)
    if packet is None or not hasattr(packet, which or "default"):
        return None
    return f"{name}_.{which}" if which else f"{name}_"


def _function(op, rule: Rule, label: str) -> type:
    """The ``autograd.Function`` recording ``op`` computed below autograd, with ``rule`` as its backward."""
    arguments = op._schema.arguments
    npos = sum(not a.kwarg_only for a in arguments)
    kwnames = [a.name for a in arguments if a.kwarg_only]

    def forward(*args):
        with torch._C._AutoDispatchBelowAutograd():
            return op(*args[:npos], **dict(zip(kwnames, args[npos:])))

    def setup_context(ctx, inputs, output):
        ctx.is_tensor = [isinstance(a, torch.Tensor) for a in inputs]
        ctx.constants = [None if t else a for t, a in zip(ctx.is_tensor, inputs)]
        ctx.save_for_backward(*[a for a in inputs if isinstance(a, torch.Tensor)], output)

    def backward(ctx, grad):
        *tensors, out = ctx.saved_tensors
        it = iter(tensors)
        args = [next(it) if t else c for t, c in zip(ctx.is_tensor, ctx.constants)]
        grads = tuple(rule(grad, out, *args))
        if len(grads) != len(args):
            raise RuntimeError(f"{label}: the rule gave {len(grads)} gradients for {len(args)} arguments")
        return tuple(g if t else None for g, t in zip(grads, ctx.is_tensor))

    name = re.sub(r"\W", "_", label)
    return type(name, (torch.autograd.Function,), {
        "forward": staticmethod(forward), "setup_context": staticmethod(setup_context),
        "backward": staticmethod(backward)})


def _kernels(qualified: str, rule: Rule, label: str) -> tuple[Callable, Callable]:
    """The out-of-place and in-place Python kernels for one overload."""
    op = overload(qualified)
    arguments = op._schema.arguments
    defaults = {a.name: a.default_value for a in arguments if a.has_default_value()}
    names = [a.name for a in arguments]
    function = _function(op, rule, label)

    def kernel(*args, **kwargs):
        rest = [kwargs[n] if n in kwargs else defaults[n] for n in names[len(args):]]
        return function.apply(*args, *rest)

    def inplace(self, *args, **kwargs):
        return self.copy_(kernel(self.clone(), *args, **kwargs))

    return kernel, inplace


def replace(rules: dict[str, Rule], label: str) -> Callable[[], None]:
    """Install ``rules`` (overload name -> backward rule) for every device's autograd key; returns the undo."""
    lib = torch.library.Library("aten", "IMPL")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_OVERRIDE_WARNING)
            for qualified, rule in rules.items():
                kernel, inplace = _kernels(qualified, rule, f"{label}:{qualified}")
                lib.impl(qualified, kernel, "Autograd")
                inplace_name = _inplace_name(qualified)
                if inplace_name is not None:
                    lib.impl(inplace_name, inplace, "Autograd")
    except BaseException:
        lib._destroy()
        raise
    return lib._destroy


def touched(rules: dict[str, Rule]) -> tuple[str, ...]:
    """The aten overloads ``replace(rules)`` registers kernels for (in-place variants included)."""
    names = []
    for qualified in rules:
        names.append(qualified)
        inplace_name = _inplace_name(qualified)
        if inplace_name is not None:
            names.append(inplace_name)
    return tuple(f"aten::{n}" for n in names)


# -- helpers for rules --------------------------------------------------------------------------------
def conj(t):
    """The complex conjugate of a tensor (a real tensor or a number is returned as it is)."""
    return t.conj() if isinstance(t, torch.Tensor) and t.is_complex() else t


def sum_to(g: torch.Tensor, like):
    """``g`` summed over the dimensions ``like`` was broadcast along (None for a number)."""
    return g.sum_to_size(like.shape) if isinstance(like, torch.Tensor) else None


def scaled(rule: Rule, relative_error: float) -> Rule:
    """Every gradient of ``rule`` multiplied by ``1 + relative_error`` (rounded to the gradient's dtype)."""
    def wrong(grad, out, *args):
        return tuple(None if g is None else g * (1 + relative_error) for g in rule(grad, out, *args))
    return wrong


def detached(rule: Rule) -> Rule:
    """``rule`` evaluated under ``no_grad``: its gradients are constants to a ``create_graph`` backward."""
    def wrong(grad, out, *args):
        with torch.no_grad():
            return rule(grad, out, *args)
    return wrong


def lowered(rule: Rule, dtype: torch.dtype) -> Rule:
    """``rule`` evaluated with its floating tensors cast to ``dtype``, the gradients cast back."""
    def down(a):
        return a.to(dtype) if isinstance(a, torch.Tensor) and a.is_floating_point() else a

    def wrong(grad, out, *args):
        grads = rule(down(grad), down(out), *map(down, args))
        return tuple(None if g is None else g.to(grad.dtype) for g in grads)
    return wrong


def output_backward(backward: Callable) -> Callable:
    """``make`` for an ``installer`` patch of a torch function: its output passes through an identity whose
    backward is ``backward(grad)`` (a wrong gradient, or an exception, upstream of the function's own)."""
    class Identity(torch.autograd.Function):
        @staticmethod
        def forward(ctx, y):
            return y.view_as(y)

        @staticmethod
        def backward(ctx, g):
            return backward(g)

    def make(original):
        def patched(*args, **kwargs):
            return Identity.apply(original(*args, **kwargs))
        return patched
    return make
