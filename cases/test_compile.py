"""torch.compile: gradients through a compiled function equal the exact vᵀJ, as they do in eager mode.

The entry's call becomes ``f`` over its differentiable inputs (``Trial.function``); ``cf =
torch.compile(f, backend=...)`` runs the forward, and autograd's ``backward`` runs the backward the
backend produced (``eager``: Dynamo's captured graph run by eager autograd; ``aot_eager``: AOTAutograd's
joint forward/backward graphs; ``inductor``: generated kernels).  The checks are test_vjp's and
test_accumulation's, with the same exact oracle and bounds.  The properties run with
``--compile-backend eager,aot_eager,inductor``; without it each (entry, dtype) is one skipped item
(``compile-off``).

Compilation is done once per (entry, dtype, backend, device) and reused by every Hypothesis example
(input shapes are fixed per entry): the compiled function is the first example's ``f`` rebuilt over
globals of its own (``torch``, ``F``, the catalogue helpers, and the current example's non-differentiable
inputs, refreshed before each call), so no example sees another's tensors.  Hitting Dynamo's recompile
limit is an error here, never a silent fallback to eager code.  The repro still reads
``cf = torch.compile(f, backend=...)``.
"""
import builtins
import contextlib
import types

import torch
from hypothesis import strategies as st

from conformance.run.trial import Trial

from ._steps import accumulate, drawn

RECOMPILE_LIMIT = 64  # one compile per key is expected; a helper's frame is shared by every key using it
_COMPILED: dict[tuple, tuple] = {}  # (entry, dtype, backend, device) -> (compiled f, its globals)


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
    key = (t.case.name, t.dtype, backend, str(t.device))
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


@drawn(0.5)
def test_compile_vjp(case, dtype, device, compile_backend, request, data):
    """``cf(x).backward(gradient=v)`` leaves ``x.grad == vᵀJ`` for the compiled ``cf = torch.compile(f)``."""
    with _compile_config(request):
        t = Trial(case, dtype, device, data, f"compile[{compile_backend}].vjp")
        y = _compiled_forward(t, _compiled(t, compile_backend))
        vs = t.weights()
        t.backward(y, vs)
        t.check(t.expected(vs), what=f"vᵀJ through torch.compile (backend {compile_backend})")


@drawn(0.25, k=st.integers(1, 3))
def test_compile_accumulation(case, dtype, device, compile_backend, request, data, k):
    """k backward calls, each through a fresh compiled forward, leave ``x.grad == Σ vₖᵀJ``, updated in place."""
    with _compile_config(request):
        t = Trial(case, dtype, device, data, f"compile[{compile_backend}].accumulation")
        cf = _compiled(t, compile_backend)
        expected = accumulate(t, k, retain=False, forward=lambda trial: _compiled_forward(trial, cf))
        t.check(expected, what=f"sum of {k} vᵀJ through torch.compile (backend {compile_backend})")
