"""torch.func: ``vjp``, ``jvp``, ``grad``, ``jacrev``, ``jacfwd``, ``hessian`` and ``vmap`` against the exact
Jacobian and Hessian; batched gradients (``vmap`` over the VJP, ``is_grads_batched=True``) equal the
stack of single VJPs.

The entry's call becomes ``f`` over its differentiable inputs (integer inputs stay bound).  A multi-output
entry's ``grad``/``hessian`` act on the weighted scalar Σ vₖ·outₖ.
"""

from conformance.run.trial import Trial

from ._steps import drawn

BATCH = 3


def _scalar(t: Trial, vs: list[str]) -> str:
    """Define ``L`` = Σ (vₖ·outₖ).sum() over the inputs, the scalar whose gradient is vᵀJ."""
    f = t.function()
    args = ", ".join(t.grad_names)
    outs = ["r"] if t.n_outputs == 1 else [f"r[{k}]" for k in range(t.n_outputs)]
    t.run(f"L = lambda {args}: (lambda r: {' + '.join(f'({o} * {v}).sum()' for o, v in zip(outs, vs))})({f}({args}))")
    return "L"


def _cotangents(t: Trial, items: list[str]) -> str:
    """Cotangents with the pytree structure of the output (a tensor, a tuple, or torch's named return types)."""
    if t.n_outputs == 1:
        return items[0]
    t.run(f"cot = ({', '.join(items)},); cot = cot if type(out) is tuple else type(out)(cot)")
    return "cot"


def _argnums(t: Trial) -> str:
    return repr(tuple(range(len(t.grad_names))))


@drawn()
def test_func_vjp(case, dtype, device, status, data):
    """``torch.func.vjp(f, *x)[1](v) == vᵀJ``."""
    t = Trial(case, dtype, device, data, "func.vjp", status=status)
    f = t.function()
    vs = t.weights()
    t.run(f"out, vjp_fn = torch.func.vjp({f}, {', '.join(t.grad_names)})")
    t.run(f"g = vjp_fn({_cotangents(t, vs)})")
    t.check(t.expected(vs), grads={n: f"g[{i}]" for i, n in enumerate(t.grad_names)}, what="vᵀJ from torch.func.vjp")


@drawn()
def test_func_jvp(case, dtype, device, status, data):
    """``torch.func.jvp(f, x, u)[1] == J u``."""
    t = Trial(case, dtype, device, data, "func.jvp", status=status)
    f = t.function()
    us = t.tangents()
    t.run(f"out, tangent = torch.func.jvp({f}, ({', '.join(t.grad_names)},), ({', '.join(us)},))")
    grads = {"out0": "tangent"} if t.n_outputs == 1 else {f"out{k}": f"tangent[{k}]" for k in range(t.n_outputs)}
    t.check(t.expected_jvp(us), grads=grads, what="J u from torch.func.jvp",
            dtype=t.eval("out[0].dtype" if t.n_outputs > 1 else "out.dtype"))


@drawn()
def test_func_grad(case, dtype, device, status, data):
    """``torch.func.grad`` of Σ v·f over all inputs is vᵀJ."""
    t = Trial(case, dtype, device, data, "func.grad", status=status)
    vs = t.weights()
    L = _scalar(t, vs)
    t.run(f"g = torch.func.grad({L}, argnums={_argnums(t)})({', '.join(t.grad_names)})")
    t.check(t.expected(vs), grads={n: f"g[{i}]" for i, n in enumerate(t.grad_names)}, what="vᵀJ from torch.func.grad")


def _jacobian(t: Trial, transform: str) -> None:
    __tracebackhide__ = True
    f = t.function()
    t.run(f"J = torch.func.{transform}({f}, argnums={_argnums(t)})({', '.join(t.grad_names)})")
    grads = {}
    for k in range(t.n_outputs):
        for i, n in enumerate(t.grad_names):
            grads[f"out{k}/{n}"] = f"J[{i}]" if t.n_outputs == 1 else f"J[{k}][{i}]"
    t.check(t.expected_jacobian(), grads=grads, what=f"Jacobian from torch.func.{transform}",
            dtype=t.eval(f"{next(iter(grads.values()))}.dtype"))


@drawn()
def test_jacrev(case, dtype, device, status, data):
    """``torch.func.jacrev`` gives the whole exact Jacobian: J[out][input] of shape output + input."""
    _jacobian(Trial(case, dtype, device, data, "func.jacrev", status=status), "jacrev")


@drawn()
def test_jacfwd(case, dtype, device, status, data):
    """``torch.func.jacfwd`` gives the whole exact Jacobian (forward mode, one JVP per input element)."""
    _jacobian(Trial(case, dtype, device, data, "func.jacfwd", status=status), "jacfwd")


@drawn()
def test_hessian(case, dtype, device, status, data):
    """``torch.func.hessian`` (forward-over-reverse) of Σ v·f gives the exact Hessian H[a][b]."""
    t = Trial(case, dtype, device, data, "func.hessian", status=status)
    vs = t.weights()
    L = _scalar(t, vs)
    names = t.grad_names
    t.run(f"H = torch.func.hessian({L}, argnums={_argnums(t)})({', '.join(names)})")
    grads = {f"{a}/{b}": f"H[{i}][{j}]" for i, a in enumerate(names) for j, b in enumerate(names)}
    t.check(t.expected_hessian(vs), grads=grads, what="Hessian from torch.func.hessian")


def _batched(t: Trial, how: str) -> None:
    """A batch of weights through ``vmap(vjp_fn)`` or ``autograd.grad(is_grads_batched=True)``."""
    __tracebackhide__ = True
    names = t.grad_names
    batches = [t.weights(prefix=f"gy_b{b}_") for b in range(BATCH)]
    stacked = [f"torch.stack([{', '.join(batch[k] for batch in batches)}])" for k in range(t.n_outputs)]
    if how == "vmap":
        f = t.function()
        t.run(f"out, vjp_fn = torch.func.vjp({f}, {', '.join(names)})")
        t.run(f"G = torch.func.vmap(vjp_fn)({_cotangents(t, stacked)})")
    else:
        y = t.forward()
        t.run(f"G = torch.autograd.grad([{', '.join(t.outputs(y))}], [{', '.join(names)}], "
              f"grad_outputs=[{', '.join(stacked)}], is_grads_batched=True)")
    for b, vs in enumerate(batches):
        t.check(t.expected(vs), grads={n: f"G[{i}][{b}]" for i, n in enumerate(names)},
                what=f"vᵀJ of batch element {b}")


@drawn()
def test_vmap_vjp(case, dtype, device, status, data):
    """``torch.func.vmap`` over a VJP function, 3 stacked weights: each weight's own exact vᵀJ."""
    _batched(Trial(case, dtype, device, data, "func.vmap(vjp)", status=status), "vmap")


@drawn()
def test_is_grads_batched(case, dtype, device, status, data):
    """``torch.autograd.grad(..., is_grads_batched=True)`` with 3 stacked weights: each weight's own exact vᵀJ."""
    _batched(Trial(case, dtype, device, data, "autograd.grad(is_grads_batched=True)", status=status),
             "is_grads_batched")
