"""Functional gradient: ``torch.autograd.grad`` returns vᵀJ and leaves ``.grad`` untouched."""
from hypothesis import given
from hypothesis import strategies as st

from conformance.plugin import scaled_settings
from conformance.trial import Trial


@scaled_settings(0.5)  # an engine contract: half the profile's examples; test_vjp checks every op's values
@given(data=st.data(), primed=st.booleans())
def test_functional_grad(case, dtype, device, data, primed):
    t = Trial(case, dtype, device, data, "functional_grad")
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
    for n in names:
        if primed:
            if not t.eval(f"{n}.grad is before[{names.index(n)}] and bool(({n}.grad == 7.0).all())"):
                t.fail(f"torch.autograd.grad changed {n}.grad (expected the same tensor, all 7.0)")
        elif t.eval(f"{n}.grad") is not None:
            t.fail(f"torch.autograd.grad wrote {n}.grad (expected None)")
