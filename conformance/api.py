"""The public API: check any function's gradients against an exact sympy spec, from any test or script.

    import torch
    from conformance import Real, check_grads, spec as s

    def my_op(x, y):                                   # the function under test (torch in, torch out)
        return torch.sin(x) * y

    check_grads(my_op, lambda x, y: s.sin(x) * y,      # its exact spec over sympy symbols
                x=Real(-3.0, 3.0, shape=(4,)), y=Real(-2.0, 2.0, shape=(4,)))

Each property draws inputs from the domains (exactly representable in the dtype) and weights with
Hypothesis, runs torch, and compares every gradient element with the exact value under the kit's
tolerance policy: the suite's own oracle, bound, failure message and copy-pasteable repro (a PEP 678
note on the ``ConformanceFailure``), shrunk by Hypothesis to a simple failing example.

Properties (``modes``): ``vjp`` (weighted backward), ``accumulation`` (k backward calls into ``.grad``),
``jvp`` (forward mode), ``hvp`` (Hessian-vector product through double backward).
"""
from __future__ import annotations

import itertools
from typing import Callable

from conformance.model.domain import Index, Real

MODES = ("vjp", "accumulation", "jvp", "hvp")
_NAMES = (f"check_grads_fn_{i}" for i in itertools.count())


def check_grads(fn: Callable, spec: Callable, *, modes=MODES, dtype: str = "float64", device: str = "cpu",
                examples: int = 20, derandomize: bool = True, name: str | None = None, **inputs: Real | Index) -> None:
    """Check ``fn``'s gradients against ``spec`` over the input domains (keywords, in call order).

    ``spec`` receives numpy object arrays of real sympy symbols (``Index`` inputs: integer arrays) and
    returns the exact output(s), written with ``conformance.spec`` (``s.sin``, ``s.sum``...).  Raises
    ``ConformanceFailure`` on the first (shrunk) deviation; an unknown mode, dtype or device is a
    ``ValueError`` naming it.
    """
    import torch
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from conformance.model.case import DTYPES, entry
    from conformance.run import properties
    from conformance.run.trial import Trial

    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise ValueError(f"check_grads: unknown modes {unknown}; known: {', '.join(MODES)}")
    if dtype not in DTYPES:
        raise ValueError(f"check_grads: unknown dtype {dtype!r}; known: {', '.join(DTYPES)}")
    try:
        where = torch.empty(0, device=device).device
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"check_grads: device {device!r} is not available: {str(exc).splitlines()[0]}") from None
    case = entry(name or next(_NAMES), f"fn({', '.join(inputs)})", spec, helpers={"fn": fn},
                 dtypes=(dtype,), **inputs)
    run = settings(max_examples=examples, derandomize=derandomize, database=None, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    bodies = {
        "vjp": (lambda data: properties.vjp(_trial(data, "vjp")), {}),
        "accumulation": (lambda data, k, retain: properties.accumulation(_trial(data, "accumulation"), k, retain),
                         {"k": st.integers(1, 5), "retain": st.booleans()}),
        "jvp": (lambda data: properties.jvp(_trial(data, "jvp")), {}),
        "hvp": (lambda data: properties.hvp(_trial(data, "hvp")), {}),
    }

    def _trial(data, prop):
        return Trial(case, DTYPES[dtype], where, data, prop)

    for mode in modes:
        body, extra = bodies[mode]
        run(given(data=st.data(), **extra)(body))()


def check_vjp(fn: Callable, spec: Callable, **kwargs) -> None:
    """``check_grads`` with the weighted-backward property only."""
    check_grads(fn, spec, modes=("vjp",), **kwargs)


def check_jvp(fn: Callable, spec: Callable, **kwargs) -> None:
    """``check_grads`` with the forward-mode property only."""
    check_grads(fn, spec, modes=("jvp",), **kwargs)


def check_hvp(fn: Callable, spec: Callable, **kwargs) -> None:
    """``check_grads`` with the Hessian-vector-product property only."""
    check_grads(fn, spec, modes=("hvp",), **kwargs)
