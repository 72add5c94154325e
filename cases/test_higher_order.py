"""Higher order: differentiating torch's backward gives the exact Hessian-vector product ∇²(vᵀF) u.

With ``create_graph=True`` the gradient is itself a differentiable function of the inputs; its
derivative along a drawn direction u is checked against sympy's exact second derivatives, through
``torch.autograd.grad`` chains and through ``backward(create_graph=True)`` into ``.grad`` (which must
then be replaced, not updated in place).  Third order, reverse over reverse over reverse and forward over
reverse over reverse: every entry with double backward under the nightly profile (or ``--op``), the
higher-order guard otherwise (``conformance.catalogue.guards``; what both properties cost over the whole
catalogue: docs/figures.md, "third order").
"""
import pytest

from conformance.catalogue.guards import HIGHER_ORDER
from conformance.run import properties
from conformance.run.trial import Trial

from ._steps import drawn


@drawn()
def test_hvp(case, dtype, device, status, data):
    """``autograd.grad(create_graph=True)`` chained twice gives ∇²(vᵀF) u."""
    properties.hvp(Trial(case, dtype, device, data, "hvp", status=status))


@drawn()
def test_hvp_backward(case, dtype, device, status, data):
    """``backward(create_graph=True)`` fills ``.grad`` with a differentiable vᵀJ; a second such backward of
    Σ x.grad·u accumulates ∇²(vᵀF) u into a *new* ``.grad`` tensor (no in-place update under create_graph)."""
    t = Trial(case, dtype, device, data, "hvp_backward", status=status)
    names = t.grad_names
    y = t.forward()
    vs = t.weights()
    t.backward(y, vs, create_graph=True)
    first = t.expected(vs)
    t.check(first, what="vᵀJ with create_graph")
    t.run(f"first = [{', '.join(f'{n}.grad' for n in names)}]; before = [g_.detach().clone() for g_ in first]")
    us = t.tangents()
    t.run(f"pairs = [(g_, u_) for g_, u_ in zip(first, [{', '.join(us)}]) if g_.requires_grad]")
    if not t.eval("pairs"):
        t.check(first + t.expected_hvp(vs, us), grads={n: f"first[{i}]" for i, n in enumerate(names)},
                what="vᵀJ + HVP (torch built no second-order graph, so the exact HVP must vanish)")
        return
    t.run("sum((g_ * u_).sum() for g_, u_ in pairs).backward(create_graph=True)")
    t.check(first + t.expected_hvp(vs, us), what="vᵀJ + HVP accumulated into .grad")
    for i, n in enumerate(names):  # an input the second graph does not reach keeps its .grad untouched
        if t.eval(f"{n}.grad is first[{i}] and not torch.equal({n}.grad.detach(), before[{i}])"):
            t.fail(f"{n}.grad was updated in place by a create_graph=True backward (it must be replaced)")


@pytest.mark.conformance(guard=HIGHER_ORDER)
@drawn()
def test_third_order(case, dtype, device, status, data):
    """Three chained ``autograd.grad(create_graph=True)`` calls give the exact third directional derivative
    (reverse over reverse over reverse)."""
    t = Trial(case, dtype, device, data, "third_order", status=status)
    y = t.forward()
    vs = t.weights()
    properties.first_order_graph(t, y, vs)
    us = t.tangents()
    properties.directional(t, "g", us, "h")
    ws = t.tangents(prefix="w")
    properties.directional(t, "h", ws, "k")
    t.check(t.expected_third(vs, us, ws), grads={n: f"k[{i}]" for i, n in enumerate(t.grad_names)},
            what="third-order derivative")


@pytest.mark.conformance(guard=HIGHER_ORDER)
@drawn()
def test_forward_over_hvp(case, dtype, device, status, data):
    """Dual inputs (tangent w) through two chained ``autograd.grad(create_graph=True)`` calls: the HVP's tangent
    is the exact third directional derivative (forward over reverse over reverse)."""
    t = Trial(case, dtype, device, data, "forward_over_hvp", status=status)
    vs = t.weights()
    us = t.tangents()
    ws = t.tangents(prefix="w")
    t.run("import torch.autograd.forward_ad as fwAD")
    t.run("level = fwAD.dual_level(); level.__enter__()")
    try:
        t.run(f"{properties.duals(t, ws)}; out = {t.case.call}")
        properties.first_order_graph(t, "out", vs)
        properties.directional(t, "g", us, "h")
        t.run("k = [fwAD.unpack_dual(h_).tangent for h_ in h]")
        t.run(f"k = [k_ if k_ is not None else torch.zeros_like(x_) for k_, x_ in zip(k, [{', '.join(t.grad_names)}])]")
    finally:
        t.run("level.__exit__(None, None, None)")
    t.check(t.expected_third(vs, us, ws), grads={n: f"k[{i}]" for i, n in enumerate(t.grad_names)},
            what="third-order derivative (the HVP's tangent)")
