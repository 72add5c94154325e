"""What torch lacks for a function, as its own errors say: the modes ``check_grads`` reports as unsupported
instead of failing.

Only torch's "not implemented / not supported" errors for forward-mode AD (mode ``jvp``) and for
differentiating a backward again (mode ``hvp``) count; any other error, and any wrong value, is a failure.
"""
from __future__ import annotations

import re

import torch

FEATURES = {"jvp": "forward-mode AD", "hvp": "double backward"}  # what a mode needs that torch may lack

# torch's messages, per mode (RuntimeError covers NotImplementedError, which torch raises for most of them)
MESSAGES = {
    "jvp": (r"You must implement the jvp function for custom autograd\.Function to use it with forward mode AD",
            r"^Trying to use forward AD with \S+ that does not support it because it has not been implemented yet",
            r"jvp is not implemented for the c\+\+ API of custom Function"),
    "hvp": (r"^the derivative for '\w*backward\w*' is not implemented",  # the derivative of a backward function
            r"trying to differentiate twice a function that was marked with @once_differentiable",
            r"^Trying to backward through \S+ but no autograd formula was registered",  # a custom op in a backward
            r"(?i)double backwards? (is )?(not implemented|unsupported|not supported)"),
}


def lacking(mode: str, failure: BaseException, trial=None) -> str:
    """Torch's own error (``Type: first line``) where ``failure`` of ``mode`` comes from a feature torch lacks
    for the function, else ''.  ``trial``: the failing one, for the HVP of a backward that builds no graph."""
    seen, exc = set(), failure.__context__ or failure.__cause__
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        reason = _matching(mode, exc)
        if reason:
            return reason
        exc = exc.__cause__ or exc.__context__
    if mode == "hvp" and trial is not None and trial.get("h") is not None:  # the first order passed, the HVP not
        return _refused_double_backward(trial)
    return ""


def _matching(mode: str, exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, RuntimeError) and any(re.search(p, text) for p in MESSAGES.get(mode, ())):
        return f"{type(exc).__name__}: {text}"
    return ""


def _refused_double_backward(t) -> str:
    """Torch's error where the function's backward, run on weights that require grad, refuses to be differentiated:
    a ``@once_differentiable`` backward builds no graph for weights that do not, and its HVP comes out zero."""
    leaves = {a.name: t.get(a.name).detach().requires_grad_() if a.name in t.grad_names else t.get(a.name)
              for a in t.case.args}
    xs = [leaves[n] for n in t.grad_names]
    try:
        out = t.case.fn(*leaves.values())
        outs = [o for o in (out if isinstance(out, tuple) else (out,)) if o.requires_grad]
        vs = [torch.ones_like(o).requires_grad_() for o in outs]
        g = torch.autograd.grad(outs, xs, vs, create_graph=True, allow_unused=True)
        g = [gi.sum() for gi in g if gi is not None and gi.requires_grad]
        if g:  # the refusal hangs off detached copies, off every path to the inputs: a full backward meets it
            torch.autograd.backward(g)
    except RuntimeError as exc:
        return _matching("hvp", exc)
    return ""
