"""Across devices: the device's VJP agrees with the CPU's, and accumulation is the device's own sum.

``test_cross_device_vjp``: at one drawn point and weight, ``--device``'s ``x.grad`` and the CPU's are
each within the exact oracle's bound, so they agree within the sum of both bounds (a device kernel
that differs from the CPU's by more than rounding is caught even where each alone looks plausible).
It compares two devices, so it skips with ``--device cpu``.

``test_device_accumulation_bitwise``: two backward calls into one leaf leave ``.grad`` bitwise equal to
the device's own ``g1 + g2``, where g1 and g2 are the gradients the engine delivered to the leaf
(captured by a tensor hook as they arrive): accumulation adds, it does not rescale, reorder or
recompute.  Holds on every device, the CPU included, and needs no determinism of the kernels.
"""
import numpy as np
import pytest
import torch

from conformance.run.trial import Trial

from ._steps import drawn, weighted_backward


@drawn()
def test_cross_device_vjp(case, dtype, device, status, data):
    if device.type == "cpu":
        pytest.skip("compares --device with the CPU: run with --device cuda (mps, xpu...)")
    t = Trial(case, dtype, device, data, "cross_device", status=status)
    y, vs = weighted_backward(t)
    t.check(t.expected(vs), what=f"vᵀJ on {device}")
    cpu = Trial(case, dtype, torch.device("cpu"), None, "cross_device", values=t.values, status=status)
    yc = cpu.forward()
    vc = cpu.weights(values=[np.asarray(t.weight_values[n]) for n in vs])
    cpu.backward(yc, vc)
    cpu.check(cpu.expected(vc), what=f"vᵀJ on cpu at the point and weights {device} was given")


# torch against itself, not the exact value: accuracy deviations do not apply
@drawn()
def test_device_accumulation_bitwise(case, dtype, device, status, data):
    t = Trial(case, dtype, device, data, "accumulation_bitwise", status=status)
    names = t.grad_names
    t.run("arrived = {}")
    for n in names:  # the hook sees each gradient as the engine delivers it, before it is accumulated
        t.run(f"_ = {n}.register_hook(lambda g, n={n!r}: arrived.setdefault(n, []).append(g.detach().clone()))")
    y = t.forward()
    t.backward(y, t.weights(prefix="gy0_"), retain_graph=True)
    t.backward(y, t.weights(prefix="gy1_"))
    for n in names:
        if len(t.eval(f"arrived.get({n!r}, [])")) != 2:
            continue  # a gradient that never arrives (an input the output ignores) leaves nothing to add
        t.run(f"own_sum_{n} = arrived[{n!r}][0] + arrived[{n!r}][1]")
        if not t.eval(f"torch.equal({n}.grad, own_sum_{n}) or torch.allclose({n}.grad, own_sum_{n}, rtol=0, atol=0, "
                      f"equal_nan=True)"):  # the same values, NaN where the sum has NaN
            diff = t.eval(f"({n}.grad.double() - own_sum_{n}.double()).abs().max().item()")
            t.fail(f"{n}.grad after two backward calls differs from {device}'s own g1 + g2 (max difference {diff!r}): "
                   "accumulation must be a plain add", expected_lines=[f"print(torch.equal({n}.grad, own_sum_{n}))"],
                   numeric=True)  # a wrong value: an entry's documented numeric deviation covers it
