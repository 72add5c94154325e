"""The autocast property's body: one entry's call under ``torch.autocast`` with float32 leaves.

The function autocast computes is the entry's function at the inputs as autocast casts them (a cast is an
exact rounding: ``conformance.exact.rounding``), run in the dtype its list gives (``conformance.model.autocast``).
So the expected gradient is exact and its bound small:

1. the output has the list's dtype (lower: the low dtype; fp32 and promote: float32);
2. each float32 leaf's ``.grad`` is float32 and equals the exact vᵀJ at the rounded inputs, within the bound
   of the dtype the op runs in, plus one rounding to the low dtype where a cast's backward rounds it;
3. the same backward with every weight scaled by 2**s (loss scaling, as a GradScaler does) gives exactly
   2**s times each gradient, bit for bit, wherever the unscaled gradient is a normal number.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import reject
from hypothesis import strategies as st

from conformance.exact.rounding import round_to
from conformance.model.autocast import Policy
from conformance.model.case import Case
from conformance.run.failure import dtype_name
from conformance.run.trial import Trial

SCALE_EXPONENTS = 16  # a GradScaler starts at 2**16; the drawn exponent stays at or below it, and within range


def autocast(case: Case, low: torch.dtype, device, data, policy: Policy | None, status=None) -> None:
    """Check ``case`` under ``torch.autocast(device.type, dtype=low)`` (see the module docstring); ``status``: the
    item's Status (``Trial``)."""
    __tracebackhide__ = True
    device_type, low_name = torch.device(device).type, dtype_name(low)
    if policy is None:
        pytest.skip(f"the kit has no autocast op lists for device type {device_type!r}")
    if low_name not in policy.dtypes:
        pytest.skip(f"torch.autocast({device_type!r}) takes {', '.join(policy.dtypes)}, not {low_name}")
    category = policy.category(case.name)
    t = Trial(case, torch.float32, device, data, f"autocast({device_type}, {low_name}, {category})",
              status=status)
    t.label = f"{case.name}-{low_name}"
    cast = t.grad_names if category in ("lower", "fp32") else t.grad_names[:1]
    point = {n: round_to(t.values[n], low_name) for n in cast}
    if not _admissible(case, {**t.values, **point}):
        reject()  # the rounding moved an input onto a kink or out of the domain: no derivative to check there
    t.exact_at(point, f"the exact values are taken at {', '.join(cast)} rounded to {low_name}, as autocast casts "
                      f"them ({category} op)")
    out_dtype = low if category == "lower" else torch.float32
    outs = _forward(t, device_type, low, category, cast)
    for o in outs:
        got = t.eval(f"{o}.dtype")
        if got != out_dtype:
            t.fail(f"{o}.dtype is {got}, expected {out_dtype}: torch.autocast({device_type!r}) lists this op as "
                   f"{category}")
    vs = t.weights(dtypes=[out_dtype] * len(outs))
    t.backward("out", vs)
    expected = t.expected(vs)
    compute = low if category == "lower" else torch.float32
    rounded = {} if category == "lower" else {n: low for n in cast}
    t.check(expected, dtype=torch.float32, compute=compute, rounded=rounded,
            what="vᵀJ of the function autocast computes")
    _loss_scaling(t, data, expected, vs, device_type, low, category, cast)


def _admissible(case: Case, values: dict[str, np.ndarray]) -> bool:
    """Whether ``values`` (the rounded point) is finite and inside every input's domain and the entry's kinks."""
    for a in case.args:
        if not a.differentiable:
            continue
        v = np.asarray(values[a.name], dtype=np.float64)
        if not np.isfinite(v).all() or not all(a.domain.contains(float(e)) for e in v.reshape(-1)):
            return False
    return case.kinks is None or not case.kinks.excluded(*(values[a.name] for a in case.args)).any()


def _forward(t: Trial, device_type: str, low: torch.dtype, category: str, cast: list[str]) -> list[str]:
    """``out`` = the call inside the autocast region (fp32 and promote ops fed their ``cast`` inputs in ``low``)."""
    region = f"with torch.autocast({device_type!r}, dtype=torch.{dtype_name(low)}):\n    out = "
    if category == "lower":  # autocast casts every input itself
        t.run(region + t.case.call)
    else:
        f = t.function("f")
        args = ", ".join(f"{n}.to(torch.{dtype_name(low)})" if n in cast else n for n in t.grad_names)
        t.run(region + f"{f}({args})")
    return t.outputs("out")


def _loss_scaling(t: Trial, data, expected, vs: list[str], device_type: str, low: torch.dtype, category: str,
                  cast: list[str]) -> None:
    """The backward again from fresh ``.grad``s with the weights scaled by 2**s: every gradient scales exactly."""
    __tracebackhide__ = True
    largest = max([abs(e) for g in expected.grads.values() for e in np.asarray(g, dtype=object).reshape(-1)]
                  + [float(np.abs(t.weight_values[v]).max(initial=0.0)) for v in vs] + [mpmath.mpf(1)])
    room = math.floor(math.log2(float(torch.finfo(low).max) / 4 / float(largest)))
    if room < 1:
        t.note("# no room for loss scaling within the dtype's range at this point")
        return
    top = min(SCALE_EXPONENTS, room)  # the simplest example (Hypothesis's first) is the largest scale
    s = data.draw(st.integers(0, top - 1).map(lambda k: top - k), label="loss-scale exponent")
    xs = ", ".join(t.grad_names)
    t.run(f"first = [leaf_.grad.clone() for leaf_ in [{xs}]]")
    t.run(f"for leaf_ in [{xs}]:\n    leaf_.grad = None")
    _forward(t, device_type, low, category, cast)
    scaled = []
    for v in vs:
        t.run(f"{v}_scaled = {v} * 2.0 ** {s}")
        scaled.append(f"{v}_scaled")
    t.backward("out", scaled)
    tiny = f"torch.finfo(torch.{dtype_name(low)}).tiny"  # every gradient passed a value in the low dtype
    t.run(f"normal = [f_.abs() >= {tiny} for f_ in first]  # where the unscaled gradient is a normal number")
    t.run(f"differ = [int((leaf_.grad[n_] != f_[n_] * 2.0 ** {s}).sum())\n"
          f"          for leaf_, f_, n_ in zip([{xs}], first, normal)]")
    for k, name in enumerate(t.grad_names):
        wrong = t.eval(f"differ[{k}]")
        if wrong:
            total = t.eval(f"int(normal[{k}].sum())")
            t.fail(f"loss scaling is not exact: with the weights scaled by 2**{s}, {name}.grad is not 2**{s} times "
                   f"the unscaled gradient at {wrong} of its {total} normal elements",
                   [f"unscaled {name}.grad = {t.eval(f'first[{k}].tolist()')}",
                    f"scaled {name}.grad / 2**{s} = {t.eval(f'({name}.grad / 2.0 ** {s}).tolist()')}"])
