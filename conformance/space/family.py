"""Checking a declared shape family against the entry's spec and torch (the kit's tests run it)."""
from __future__ import annotations

import numpy as np
import sympy as sp
import torch

from conformance.exact.oracle import as_outputs, symbols_of
from conformance.model.case import Case


def elementwise_problem(case: Case) -> str | None:
    """Why ``case`` is not elementwise (None: it is) at its declared shapes, at (3,) and at (2, 2): every
    output element depends only on the inputs at its broadcast position, and torch's output has the
    broadcast shape."""
    if not all(a.differentiable for a in case.args):
        return "it has integer inputs"
    declared = [a.shape for a in case.args]
    try:
        np.broadcast_shapes(*declared)
    except ValueError:
        return f"its declared shapes {declared} do not broadcast"
    for shapes in (declared, [(3,) if s else () for s in declared], [(2, 2) if s else () for s in declared]):
        problem = _structure(case, shapes)
        if problem:
            return f"at shapes {shapes}: {problem}"
    return None


def _structure(case: Case, shapes: list[tuple]) -> str | None:
    symbols = {a.name: symbols_of(a.name, s) for a, s in zip(case.args, shapes)}
    out_shape = np.broadcast_shapes(*shapes)
    try:
        outs = as_outputs(case.spec(*(symbols[a.name] for a in case.args)))
    except Exception as exc:  # noqa: BLE001
        return f"the spec fails: {type(exc).__name__}: {exc}"
    aligned = {n: np.broadcast_to(v, out_shape) for n, v in symbols.items()}
    for o in outs:
        if o.shape != out_shape:
            return f"the spec's output has shape {o.shape}, not {out_shape}"
        for idx in np.ndindex(*out_shape):
            allowed = {aligned[a.name][idx] for a in case.args}
            if not sp.sympify(o[idx]).free_symbols <= allowed:
                return f"output element {idx} depends on inputs at other positions"
    rng = np.random.default_rng(0)
    tensors = [torch.tensor(rng.uniform(a.domain.lo, a.domain.hi, s)) for a, s in zip(case.args, shapes)]
    try:
        got = case.fn(*tensors)
    except Exception as exc:  # noqa: BLE001
        return f"torch raises {type(exc).__name__}: {exc}"
    got = got if isinstance(got, tuple) else (got,)
    if any(tuple(t.shape) != out_shape for t in got):
        return f"torch's output shapes {[tuple(t.shape) for t in got]} are not {out_shape}"
    return None
