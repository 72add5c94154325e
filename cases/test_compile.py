"""torch.compile: gradients through a compiled function equal the exact vᵀJ, as they do in eager mode.

The entry's call becomes ``f`` over its differentiable inputs (``Trial.function``); ``cf =
torch.compile(f, backend=...)`` runs the forward, and autograd's ``backward`` runs the backward the
backend produced (``eager``: Dynamo's captured graph run by eager autograd; ``aot_eager``: AOTAutograd's
joint forward/backward graphs; ``inductor``: generated kernels).  The checks are test_vjp's and
test_accumulation's, with the same exact oracle and bounds.  The properties run with
``--compile-backend eager,aot_eager,inductor``; without it each (entry, dtype) is one skipped item
(``compile-off``).

Compilation is done once per (entry, dtype, backend, device), and per drawn signature of an entry that
draws its arguments (its call and input shapes), and reused by every Hypothesis example: the compiled
function is the first example's ``f`` rebuilt over globals of its own (``torch``, ``F``, the catalogue
helpers, and the current example's non-differentiable inputs, refreshed before each call), so no example
sees another's tensors.  Hitting Dynamo's recompile limit is an error here, never a silent fallback to
eager code.  The repro still reads
``cf = torch.compile(f, backend=...)``.
"""
import builtins
import contextlib
import types

import pytest
import torch
from hypothesis import strategies as st

from conformance.catalogue import guards
from conformance.run.trial import Trial

from ._steps import accumulate, drawn

RECOMPILE_LIMIT = 64  # one compile per key is expected; a helper's frame is shared by every key using it
_COMPILED: dict[tuple, tuple] = {}  # (entry, call, shapes, dtype, backend, device) -> (compiled f, its globals)


def _compile_config(request) -> contextlib.ExitStack:
    """Dynamo's config patched so a recompile storm raises instead of running ``f`` uncompiled; under an
    injected fault (``--conformance-fault``), Inductor's on-disk caches are off: their keys do not cover a
    backward formula replaced through ``torch.library``, so a cached (sound) graph would hide the fault."""
    import torch._dynamo
    stack = contextlib.ExitStack()
    config = torch._dynamo.config
    limit = next((k for k in ("recompile_limit", "cache_size_limit") if hasattr(config, k)), None)
    fail = next((k for k in ("fail_on_recompile_limit_hit", "fail_on_cache_limit_hit") if hasattr(config, k)), None)
    if hasattr(config, "patch"):
        stack.enter_context(config.patch({**({limit: RECOMPILE_LIMIT} if limit else {}),
                                          **({fail: True} if fail else {})}))
    if request.config.getoption("--conformance-fault"):
        import torch._inductor.config as inductor
        if hasattr(inductor, "force_disable_caches"):
            stack.enter_context(inductor.patch(force_disable_caches=True))
    return stack


def _compiled(t: Trial, backend: str) -> str:
    """Define ``f``, record ``cf = torch.compile(f, backend=...)`` and bind this key's one compiled function."""
    f = t.function()
    key = (t.case.name, t.case.call, tuple(a.shape for a in t.case.args), t.dtype, backend, str(t.device))
    if key not in _COMPILED:
        scope = {"__builtins__": builtins, "torch": torch, "F": torch.nn.functional, **t.case.helpers}
        stable = types.FunctionType(t.get(f).__code__, scope, f"compiled_{t.case.name.replace('.', '_')}")
        _COMPILED[key] = (torch.compile(stable, backend=backend), scope)
    compiled, scope = _COMPILED[key]
    scope.update({a.name: t.get(a.name) for a in t.case.args if not a.differentiable})  # this example's
    return t.bind("cf", compiled, f"cf = torch.compile({f}, backend={backend!r})")


def _compiled_forward(t: Trial, cf: str, y: str = "out") -> str:
    """``y = cf(inputs)``; its outputs must have the spec's shapes, as the eager call's do."""
    __tracebackhide__ = True
    t.run(f"{y} = {cf}({', '.join(t.grad_names)})")
    shapes = [tuple(t.eval(o).shape) for o in t.outputs(y)]
    want = [tuple(s) for s in t.oracle.output_shapes]
    if shapes != want:
        t.fail(f"the compiled call's outputs have shapes {shapes}; the eager call's (the spec's) are {want}")
    return y


@drawn()
def test_compile_vjp(case, dtype, device, compile_backend, request, status, data):
    """``cf(x).backward(gradient=v)`` leaves ``x.grad == vᵀJ`` for the compiled ``cf = torch.compile(f)``."""
    with _compile_config(request):
        t = Trial(case, dtype, device, data, f"compile[{compile_backend}].vjp", status=status)
        y = _compiled_forward(t, _compiled(t, compile_backend))
        vs = t.weights()
        t.backward(y, vs)
        t.check(t.expected(vs), what=f"vᵀJ through torch.compile (backend {compile_backend})")


@drawn(k=st.integers(1, 3))
def test_compile_accumulation(case, dtype, device, compile_backend, request, status, data, k):
    """k backward calls, each through a fresh compiled forward, leave ``x.grad == Σ vₖᵀJ``, updated in place."""
    with _compile_config(request):
        t = Trial(case, dtype, device, data, f"compile[{compile_backend}].accumulation", status=status)
        cf = _compiled(t, compile_backend)
        expected = accumulate(t, k, retain=False, forward=lambda trial: _compiled_forward(trial, cf))
        t.check(expected, what=f"sum of {k} vᵀJ through torch.compile (backend {compile_backend})")


VERSION_ERROR = "modified by an inplace operation"  # autograd's version-counter check, at backward


def _backward_outcome(t: Trial, out: str, vs: list[str], name: str) -> str | None:
    """Run ``out``'s backward recording ``{name}_error`` (the version-counter message, or None); other errors fail."""
    outs = ", ".join(t.outputs(out))
    t.run(f"try:\n    torch.autograd.backward([{outs}], [{', '.join(vs)}])\n    {name}_error = None\n"
          f"except RuntimeError as e:\n    {name}_error = str(e).splitlines()[0]")
    error = t.eval(f"{name}_error")
    if error is not None and VERSION_ERROR not in error:
        t.fail(f"the {name} backward after an in-place write raised an unexpected RuntimeError: {error}")
    return error


@pytest.mark.conformance(entries=guards.MUTATION)
@drawn()
def test_compile_mutation(case, dtype, device, compile_backend, request, status, data):
    """An in-place write to an input (under ``no_grad``) between the forward and its backward, for each
    differentiable input in turn, on fresh copies: the compiled function behaves as eager does on the same
    values. Where eager's backward raises autograd's version-counter error, the compiled backward must raise
    it too (a gradient computed from the modified input is silently wrong); where eager's does not (its
    backward saved no such input), both give the exact vᵀJ of the forward that ran."""
    with _compile_config(request):
        t = Trial(case, dtype, device, data, f"compile[{compile_backend}].mutation", status=status)
        cf = _compiled(t, compile_backend)
        names = t.grad_names
        vs = t.weights()
        expected = t.expected(vs)
        for written in names:
            for side, call in (("eager", "f"), ("compiled", cf)):
                t.run("; ".join(f"{n}_{side} = {n}.detach().clone().requires_grad_()" for n in names))
                t.run(f"out_{side} = {call}({', '.join(f'{n}_{side}' for n in names)})")
            t.run(f"with torch.no_grad():  # after the forward\n"
                  f"    {written}_eager.mul_(2); {written}_compiled.mul_(2)")
            eager = _backward_outcome(t, "out_eager", vs, "eager")
            got = _backward_outcome(t, "out_compiled", vs, "compiled")
            what = (f"in-place write to {written} between a torch.compile (backend {compile_backend}) forward and "
                    f"backward")
            if eager is not None and got is None:
                t.fail(f"{what}: eager's backward raises ({eager}), the compiled backward raises nothing and leaves "
                       f"gradients computed from the modified input",
                       [f"{n}.grad = {t.eval(f'{n}_compiled.grad.tolist()')}" for n in names])
            if eager is None and got is not None:
                t.fail(f"{what}: the compiled backward raises ({got}), eager's raises nothing")
            if eager is None:
                t.check(expected, grads={n: f"{n}_eager.grad" for n in names}, what=f"vᵀJ in eager after an {what}")
                t.check(expected, grads={n: f"{n}_compiled.grad" for n in names}, what=f"vᵀJ after an {what}")
