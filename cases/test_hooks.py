"""Hooks: what they see and what their return value replaces, checked against the exact vᵀJ.

* A tensor hook returning a tensor replaces the gradient flowing on (on the output: every input then
  gets the VJP of the new weight; on a leaf: that leaf's ``.grad``).
* Several tensor hooks run in registration order, each seeing the previous one's result.
* ``register_post_accumulate_grad_hook`` fires once per backward with the parameter itself, after
  ``.grad`` holds the accumulated sum.
* Node hooks: ``grad_fn.register_prehook`` sees the grad_outputs and may replace them;
  ``grad_fn.register_hook`` sees grad_inputs (each the exact VJP for one input) and grad_outputs, and may
  replace the grad_inputs.
Hooks that double a gradient are exact (a power of two), so their effect is the VJP of twice the weight.
"""
import pytest
import torch
from hypothesis import strategies as st

from conformance.run.trial import Trial

from ._steps import drawn

NAMES = ("seed_indexed", "mul", "mm", "tanh", "addcmul")
CASES = pytest.mark.conformance(entries=NAMES)
NODE_CASES = pytest.mark.conformance(entries=NAMES[1:])  # their output's grad_fn feeds the leaves directly


def _doubled(t: Trial, v: str) -> str:
    """A recorded weight of twice ``v``'s values: the oracle's input for a hook that doubles the gradient."""
    return t.weights(prefix=f"twice_{v}_", values=[2 * t.weight_values[v]])[0]


def _require_equal(t: Trial, got: str, want: str, what: str) -> None:
    __tracebackhide__ = True
    if not t.eval(f"torch.equal({got}, {want})"):
        t.fail(f"{what}: {got} is {t.eval(got)!r}, expected exactly {want}")


@pytest.mark.parametrize("where", ["output", "leaf"])
@CASES
@drawn()
def test_tensor_hook_replaces_gradient(case, where, dtype, device, status, data):
    t = Trial(case, dtype, device, data, "hooks", status=status)
    y = t.forward()
    vs = t.weights()
    if where == "output":  # every input then gets the VJP of the hook's tensor
        new = t.weights(prefix="gz")
        t.run(f"{y}.register_hook(lambda g: {new[0]})")
        t.backward(y, vs)
        t.check(t.expected(new), what="VJP of the tensor the output's hook returned")
        return
    leaf, rest = t.grad_names[0], t.grad_names[1:]
    t.run(f"{leaf}.register_hook(lambda g: g * 2)")
    t.backward(y, vs)
    t.check(t.expected([_doubled(t, vs[0])]), grads={leaf: f"{leaf}.grad"}, what="twice the vᵀJ (the leaf's hook)")
    if rest:
        t.check(t.expected(vs), grads={n: f"{n}.grad" for n in rest}, what="vᵀJ of the leaves without a hook")


@CASES
@drawn()
def test_tensor_hooks_run_in_registration_order(case, dtype, device, status, data):
    """The first hook sees the weight and returns a new one; the second sees that and doubles it."""
    t = Trial(case, dtype, device, data, "hooks", status=status)
    y = t.forward()
    vs = t.weights()
    new = t.weights(prefix="gz")
    t.run("seen = []")
    t.run(f"{y}.register_hook(lambda g: (seen.append(g.clone()), {new[0]})[1])")
    t.run(f"{y}.register_hook(lambda g: (seen.append(g.clone()), g * 2)[1])")
    t.backward(y, vs)
    if t.eval("len(seen)") != 2:
        t.fail(f"the two hooks ran {t.eval('len(seen)')} times in all (expected once each)")
    _require_equal(t, "seen[0]", vs[0], "the first hook's argument")
    _require_equal(t, "seen[1]", new[0], "the second hook's argument (the first hook's result)")
    t.check(t.expected([_doubled(t, new[0])]), what="VJP of the second hook's result")


@CASES
@drawn(calls=st.integers(1, 3))
def test_post_accumulate_grad_hook_sees_accumulated_grad(case, dtype, device, status, data, calls):
    if not hasattr(torch.Tensor, "register_post_accumulate_grad_hook"):
        pytest.skip(f"Tensor.register_post_accumulate_grad_hook is absent from torch {torch.__version__}")
    t = Trial(case, dtype, device, data, "hooks", status=status)
    names = t.grad_names
    for n in names:
        t.run(f"seen_{n} = []")
        t.run(f"{n}.register_post_accumulate_grad_hook(lambda p: seen_{n}.append((p is {n}, p.grad.detach().clone())))")
    total = None
    for call in range(calls):
        y = t.forward()
        vs = t.weights(prefix=f"gy{call}_")
        t.backward(y, vs)
        total = t.expected(vs) if total is None else total + t.expected(vs)
        for n in names:
            if t.eval(f"len(seen_{n})") != call + 1 or not t.eval(f"seen_{n}[-1][0]"):
                t.fail(f"after backward {call + 1}, {n}'s hook ran {t.eval(f'len(seen_{n})')} times "
                       f"(expected {call + 1}, each with the parameter {n} itself)")
        t.check(total, grads={n: f"seen_{n}[-1][1]" for n in names},
                what=f".grad the hook saw after backward {call + 1} (the accumulated sum)")


@NODE_CASES
@drawn()
def test_node_prehook_sees_and_replaces_grad_outputs(case, dtype, device, status, data):
    t = Trial(case, dtype, device, data, "hooks", status=status)
    y = t.forward()
    if not hasattr(t.eval(f"{y}.grad_fn"), "register_prehook"):
        pytest.skip(f"autograd nodes have no register_prehook in torch {torch.__version__}")
    vs = t.weights()
    new = t.weights(prefix="gz")
    t.run("seen = []")
    t.run(f"{y}.grad_fn.register_prehook(lambda grad_outputs: (seen.append(grad_outputs), ({new[0]},))[1])")
    t.backward(y, vs)
    if t.eval("len(seen)") != 1 or t.eval("len(seen[0])") != 1:
        t.fail(f"the prehook saw {t.eval('seen')!r} (expected one call with one grad_output)")
    _require_equal(t, "seen[0][0]", vs[0], "the prehook's grad_outputs[0]")
    t.check(t.expected(new), what="VJP of the grad_outputs the prehook returned")


@NODE_CASES
@drawn()
def test_node_hook_sees_and_replaces_grad_inputs(case, dtype, device, status, data):
    """grad_inputs[i] is the exact VJP for the input behind ``next_functions[i]``; doubled, it doubles ``.grad``."""
    t = Trial(case, dtype, device, data, "hooks", status=status)
    y = t.forward()
    vs = t.weights()
    t.run("seen = []")
    t.run(f"{y}.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (seen.append((grad_inputs, grad_outputs)), "
          f"tuple(None if g_ is None else g_ * 2 for g_ in grad_inputs))[1])")
    t.run(f"order = [getattr(f_[0], 'variable', None) for f_ in {y}.grad_fn.next_functions]")
    t.backward(y, vs)
    if t.eval("len(seen)") != 1:
        t.fail(f"the node hook ran {t.eval('len(seen)')} times (expected once)")
    _require_equal(t, "seen[0][1][0]", vs[0], "the node hook's grad_outputs[0]")
    slots = {n: [i for i, v in enumerate(t.eval("order")) if v is t.eval(n)] for n in t.grad_names}
    assert all(len(s) == 1 for s in slots.values()), f"{case.name}: output node does not feed each leaf once: {slots}"
    t.check(t.expected(vs), grads={n: f"seen[0][0][{s[0]}]" for n, s in slots.items()}, what="the node's grad_inputs")
    t.check(t.expected([_doubled(t, vs[0])]), what="twice the vᵀJ (grad_inputs doubled by the hook)")
