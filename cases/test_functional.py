"""Functional gradient: ``torch.autograd.grad`` returns vᵀJ and leaves ``.grad`` untouched."""
from hypothesis import strategies as st

from conformance.run.trial import Trial

from ._engine import require_grads_kept
from ._steps import drawn


@drawn(primed=st.booleans())
def test_functional_grad(case, dtype, device, status, data, primed):
    t = Trial(case, dtype, device, data, "functional_grad", status=status)
    names = t.grad_names
    if primed:  # a .grad already present must stay as it was, object and values
        for n in names:
            t.run(f"{n}.grad = torch.full_like({n}, 7.0)")
        t.run(f"before = [{', '.join(f'{n}.grad' for n in names)}]")
    y = t.forward()
    vs = t.weights()
    outs = t.outputs(y)
    t.run(f"g = torch.autograd.grad([{', '.join(outs)}], [{', '.join(names)}], grad_outputs=[{', '.join(vs)}])")
    t.check(t.expected(vs), grads={n: f"g[{i}]" for i, n in enumerate(names)}, what="vᵀJ from autograd.grad")
    require_grads_kept(t, {n: f"before[{i}]" if primed else None for i, n in enumerate(names)}, "torch.autograd.grad")
