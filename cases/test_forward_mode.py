"""Forward mode: ``torch.autograd.forward_ad`` gives the exact J u; forward-over-reverse the exact HVP.

Each differentiable input becomes a dual tensor (``make_dual``) carrying a drawn tangent u; the
tangent of every output (``unpack_dual``) must equal sympy's J u.  Differentiating the backward in
forward mode (a dual input, then ``autograd.grad`` with weights v) must give ∇²(vᵀF) u.
"""

from conformance.run import properties
from conformance.run.trial import Trial

from ._steps import drawn


@drawn()
def test_jvp(case, dtype, device, status, data):
    """``make_dual`` inputs, the call, ``unpack_dual(out).tangent == J u`` per output (None means zero)."""
    properties.jvp(Trial(case, dtype, device, data, "jvp", status=status))


@drawn()
def test_forward_over_reverse(case, dtype, device, status, data):
    """Dual inputs (tangent u), ``autograd.grad`` of the outputs with weights v: the gradient's tangent is ∇²(vᵀF) u."""
    t = Trial(case, dtype, device, data, "forward_over_reverse", status=status)
    us = t.tangents()
    vs = t.weights()
    names = t.grad_names
    t.run("import torch.autograd.forward_ad as fwAD")
    t.run("level = fwAD.dual_level(); level.__enter__()")
    try:
        t.run(f"{properties.duals(t, us)}; out = {t.case.call}")
        outs = t.outputs("out")
        t.run(f"g = torch.autograd.grad([{', '.join(outs)}], [{', '.join(names)}], grad_outputs=[{', '.join(vs)}], "
              "allow_unused=True)")
        t.run("h = [fwAD.unpack_dual(g_).tangent if g_ is not None else None for g_ in g]")
        t.run(f"h = [h_ if h_ is not None else torch.zeros_like(x_) for h_, x_ in zip(h, [{', '.join(names)}])]")
    finally:
        t.run("level.__exit__(None, None, None)")
    t.check(t.expected_hvp(vs, us), grads={n: f"h[{i}]" for i, n in enumerate(names)}, what="HVP ∇²(vᵀF) u")
