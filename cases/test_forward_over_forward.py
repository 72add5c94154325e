"""Forward over forward: forward mode applied to torch's forward-mode formulas gives the exact second
directional derivative ∂²F[u, w] = Σ u_j w_k ∂²F/∂x_j∂x_k of every output, and ``jacfwd(jacfwd(·))`` the
exact Hessian of vᵀF.

PyTorch's own gradient tests have no such mode (gradgradcheck is reverse over reverse): a second-order
tangent formula that is wrong only here is checked by nobody else.  Three compositions: nested
``torch.func.jvp``, nested ``torch.autograd.forward_ad`` dual levels, and ``jacfwd`` of ``jacfwd``.  Every
entry with forward-mode AD under the nightly profile (or ``--op``), the higher-order guard otherwise
(``conformance.catalogue.guards``).
"""
import functools

import pytest
import torch

from conformance.catalogue.guards import HIGHER_ORDER
from conformance.run.trial import Trial

from ._steps import drawn
from .test_func import _argnums, _scalar


def _tangent_of_tangent(t: Trial, expr: str) -> dict[str, str]:
    """Where each output's ∂²F[u, w] is, for ``expr`` holding one tensor (one output) or one per output."""
    return {"out0": expr} if t.n_outputs == 1 else {f"out{k}": f"{expr}[{k}]" for k in range(t.n_outputs)}


@pytest.mark.conformance(guard=HIGHER_ORDER)
@drawn()
def test_jvp_of_jvp(case, dtype, device, status, data):
    """``jvp(lambda *x: jvp(f, x, u)[1], x, w)[1] == ∂²F[u, w]`` (torch.func, nested)."""
    t = Trial(case, dtype, device, data, "func.jvp(func.jvp)", status=status)
    f = t.function()
    us, ws = t.tangents(), t.tangents(prefix="w")
    xs = ", ".join(t.grad_names)
    t.run(f"inner = lambda {xs}: torch.func.jvp({f}, ({xs},), ({', '.join(us)},))[1]")
    t.run(f"out, second = torch.func.jvp(inner, ({xs},), ({', '.join(ws)},))")
    t.check(t.expected_jvp2(us, ws), grads=_tangent_of_tangent(t, "second"), what="∂²F[u, w] from nested jvp",
            dtype=t.eval("second[0].dtype" if t.n_outputs > 1 else "second.dtype"))


@functools.cache
def nested_dual_levels() -> str:
    """Why the installed torch cannot nest ``forward_ad.dual_level`` (torch's own message), or "" if it can."""
    import torch.autograd.forward_ad as fwAD
    try:
        with fwAD.dual_level(), fwAD.dual_level():
            return ""
    except RuntimeError as exc:
        return str(exc).splitlines()[0]


@pytest.mark.conformance(guard=HIGHER_ORDER)
@drawn()
def test_nested_dual(case, dtype, device, status, data):
    """Inputs dual at an outer level (tangent w) and again at an inner one (tangent u): the outer tangent of the
    inner tangent of every output is ∂²F[u, w]."""
    lacking = nested_dual_levels()
    if lacking:
        pytest.skip(f"torch {torch.__version__} has no nested forward-mode AD: {lacking}")
    t = Trial(case, dtype, device, data, "forward_ad nested levels", status=status)
    us, ws = t.tangents(), t.tangents(prefix="w")
    t.run("import torch.autograd.forward_ad as fwAD")
    t.run("outer = fwAD.dual_level(); outer.__enter__()")
    try:
        t.run("; ".join(f"{n} = fwAD.make_dual({n}, {w})" for n, w in zip(t.grad_names, ws)))
        t.run("inner = fwAD.dual_level(); inner.__enter__()")
        try:
            t.run("; ".join(f"{n} = fwAD.make_dual({n}, {u})" for n, u in zip(t.grad_names, us)))
            t.run(f"out = {t.case.call}")
            outs = t.outputs("out")
            t.run(f"first = [fwAD.unpack_dual(o, level=inner.level).tangent for o in [{', '.join(outs)}]]")
        finally:
            t.run("inner.__exit__(None, None, None)")
        t.run("second = [fwAD.unpack_dual(f_, level=outer.level).tangent if f_ is not None else None "
              "for f_ in first]")
        t.run(f"second = [s_ if s_ is not None else torch.zeros_like(o) for s_, o in zip(second, [{', '.join(outs)}])]")
    finally:
        t.run("outer.__exit__(None, None, None)")
    t.check(t.expected_jvp2(us, ws), grads={f"out{k}": f"second[{k}]" for k in range(t.n_outputs)},
            what="∂²F[u, w] from nested dual levels", dtype=t.eval("second[0].dtype"))


@pytest.mark.conformance(guard=HIGHER_ORDER)
@drawn()
def test_jacfwd_jacfwd(case, dtype, device, status, data):
    """``jacfwd(jacfwd(Σ v·f))`` (forward over forward, one JVP of a JVP per pair of input elements) gives the
    exact Hessian H[a][b]."""
    t = Trial(case, dtype, device, data, "func.jacfwd(func.jacfwd)", status=status)
    vs = t.weights()
    L = _scalar(t, vs)
    names = t.grad_names
    argnums = _argnums(t)
    t.run(f"H = torch.func.jacfwd(torch.func.jacfwd({L}, argnums={argnums}), argnums={argnums})({', '.join(names)})")
    grads = {f"{a}/{b}": f"H[{i}][{j}]" for i, a in enumerate(names) for j, b in enumerate(names)}
    t.check(t.expected_hessian(vs), grads=grads, what="Hessian from jacfwd(jacfwd)",
            dtype=t.eval("H[0][0].dtype"))  # forward mode: the output's dtype (float64 for float_power)
