"""The bodies of the core properties, shared by the suite's cases and the public API (``conformance.api``).

Each takes a ``Trial`` (one drawn example of one entry) and checks one contract against the exact
oracle; the cases in ``cases/`` and ``check_grads`` call the same bodies, so both give the same
verdict, bound, failure message and repro.
"""
from __future__ import annotations

from conformance.run.trial import Expected, Trial


def weighted_backward(t: Trial, prefix: str = "gy", **kwargs) -> tuple[str, list[str]]:
    """The forward call, drawn weights (one per output) and ``backward``: returns the output's and weights' names."""
    y = t.forward()
    vs = t.weights(prefix=prefix)
    t.backward(y, vs, **kwargs)
    return y, vs


def vjp(t: Trial) -> None:
    """``y.backward(gradient=v)`` leaves ``x.grad == vᵀJ`` for every input."""
    __tracebackhide__ = True
    _, vs = weighted_backward(t)
    t.check(t.expected(vs))


def require_updated_in_place(t: Trial, call: int) -> None:
    """After backward call ``call`` (0-based, create_graph=False), every ``.grad`` is the tensor the first left."""
    __tracebackhide__ = True
    if call == 0:
        t.run(f"first = [{', '.join(f'{n}.grad' for n in t.grad_names)}]")
    elif not t.eval(f"all(n.grad is f for n, f in zip([{', '.join(t.grad_names)}], first))"):
        t.fail(f".grad was replaced by backward call {call + 1} (create_graph=False must update it in place)")


def accumulate(t: Trial, k: int, retain: bool, forward=None) -> Expected:
    """k backward calls, each with its own weights, on one retained graph or on fresh forwards
    (``forward(t)``: how the output is made, default the eager call); ``.grad`` updated in place.
    Returns the exact sum of the k vᵀJ."""
    __tracebackhide__ = True
    forward = forward or (lambda trial: trial.forward())
    expected = None
    y = forward(t)
    for call in range(k):
        if not retain and call:
            y = forward(t)
        vs = t.weights(prefix=f"gy{call}_")
        t.backward(y, vs, **({"retain_graph": True} if retain and call < k - 1 else {}))
        expected = t.expected(vs) if expected is None else expected + t.expected(vs)
        require_updated_in_place(t, call)
    return expected


def accumulation(t: Trial, k: int, retain: bool) -> None:
    """k backward calls leave ``x.grad == Σ vₖᵀJ``, updated in place."""
    __tracebackhide__ = True
    t.check(accumulate(t, k, retain), what=f"sum of {k} vᵀJ")


def duals(t: Trial, us: list[str]) -> str:
    """The statement rebinding every differentiable input to a dual tensor with its tangent."""
    return "; ".join(f"{n} = fwAD.make_dual({n}, {u})" for n, u in zip(t.grad_names, us))


def jvp(t: Trial) -> None:
    """``make_dual`` inputs, the call, ``unpack_dual(out).tangent == J u`` per output (None means zero)."""
    __tracebackhide__ = True
    us = t.tangents()
    t.run("import torch.autograd.forward_ad as fwAD")
    t.run("level = fwAD.dual_level(); level.__enter__()")
    try:
        t.run(f"{duals(t, us)}; out = {t.case.call}")
        outs = t.outputs("out")
        t.run(f"tangent = [fwAD.unpack_dual(o).tangent for o in [{', '.join(outs)}]]")
        t.run(f"tangent = [tg if tg is not None else torch.zeros_like(o) "
              f"for tg, o in zip(tangent, [{', '.join(outs)}])]")
    finally:
        t.run("level.__exit__(None, None, None)")
    t.check(t.expected_jvp(us), grads={f"out{k}": f"tangent[{k}]" for k in range(len(outs))}, what="J u",
            dtype=t.eval(f"{outs[0]}.dtype"))


def first_order_graph(t: Trial, y: str, vs: list[str]) -> None:
    """``g`` = vᵀJ through ``autograd.grad(create_graph=True)``: differentiable in the inputs."""
    t.run(f"g = torch.autograd.grad([{', '.join(t.outputs(y))}], [{', '.join(t.grad_names)}], "
          f"grad_outputs=[{', '.join(vs)}], create_graph=True)")


def directional(t: Trial, g: str, us: list[str], target: str) -> None:
    """``target`` = the derivative of Σ g_i·u_i (g from a create_graph backward) w.r.t. every input.

    A gradient that does not require grad was built without a graph: torch claims it is constant, so
    its contribution is zero, and the exact HVP must say so too.
    """
    xs = ", ".join(t.grad_names)
    t.run(f"pairs = [(g_, u_) for g_, u_ in zip({g}, [{', '.join(us)}]) if g_ is not None and g_.requires_grad]")
    t.run(f"{target} = torch.autograd.grad([p[0] for p in pairs], [{xs}], [p[1] for p in pairs], allow_unused=True, "
          f"create_graph=True) if pairs else [None] * {len(t.grad_names)}")
    t.run(f"{target} = [h_ if h_ is not None else torch.zeros_like(x_) for h_, x_ in zip({target}, [{xs}])]")


def hvp(t: Trial) -> None:
    """``autograd.grad(create_graph=True)`` chained twice gives ∇²(vᵀF) u."""
    __tracebackhide__ = True
    y = t.forward()
    vs = t.weights()
    first_order_graph(t, y, vs)
    t.check(t.expected(vs), grads={n: f"g[{i}]" for i, n in enumerate(t.grad_names)}, what="vᵀJ with create_graph")
    us = t.tangents()
    directional(t, "g", us, "h")
    t.check(t.expected_hvp(vs, us), grads={n: f"h[{i}]" for i, n in enumerate(t.grad_names)}, what="HVP ∇²(vᵀF) u")
