"""Conventions: at each row's exact point torch's gradient is the one PyTorch's autograd notes prescribe.

For every row of ``conformance.catalogue.conventions.TABLE`` the inputs are built at the row's exact
point on the chosen device, ``out.backward(gradient=weight)`` runs (ones unless the row gives a
weight), and every input's ``.grad`` is compared with the rule's gradient:

- rules 1-4: equal to the prescribed gradient (rule 4 with several values: to one of them).  The
  comparison is exact: the values (0, ±1, 1/2, 6, ±inf...) are representable in both dtypes, and a
  value that is not (2/3) may differ by its rounding, one unit of roundoff u.  A row whose call holds a
  non-dyadic constant (selu's scale, leaky_relu's 0.01) or computes through a factorization (an SVD)
  declares ``roundoff``: that many units u of the largest entry of the input's gradient.
- rule 5 (undefined): the value is arbitrary, so it is not compared; the check is that backward runs
  and leaves a gradient of the input's shape, dtype and device.  (The notes also allow an error there;
  torch 2.13 raises for none of these rows, and a raising backward is reported so that a change shows.)

A missing ``.grad`` is a failure.  Each row's Status (``Row.status``, applied by the plugin like every
other): rows with a documented torch deviation are non-strict xfails; a row that also records torch's
own departing value (``torch_gives``) is a strict xfail covering that value only.  A row whose
deviation a torch release fixed (``until``) is strict again from that release on.
"""
import functools
import re

import numpy as np
import pytest
import sympy as sp
import torch

from conformance.catalogue.conventions import RULES, TABLE, Row, exact_array, point_text, value_text
from conformance.model.case import Case, entry
from conformance.model.domain import Real
from conformance.run.failure import dtype_name
from conformance.run.trial import Trial
from conformance.tolerance import unit_roundoff


def _output_shape(row: Row) -> tuple:
    fn = eval(f"lambda {', '.join(row.inputs)}: {row.call}",  # noqa: S307 - the row's own source
              {"torch": torch, "F": torch.nn.functional})
    with torch.no_grad():
        return tuple(fn(*(torch.tensor(v, dtype=torch.float64) for v in row.values().values())).shape)


@functools.lru_cache(maxsize=None)
def _case(row: Row) -> Case:
    """The row as a Case, so that a Trial records its statements and reports in the kit's one format.

    The expected gradients come from the row, never from the kit's oracle: the Trial's oracle only
    lends the output shape (its spec is zeros of the shape torch's forward gives; it is never evaluated)."""
    return entry("conventions." + re.sub(r"[^\w.]", "_", row.id), row.call,
                 lambda *_: np.full(_output_shape(row), sp.Integer(0), dtype=object),
                 **{n: Real(shape=v.shape) for n, v in row.values().items()})


def _representable(value: sp.Expr, dtype: torch.dtype) -> bool:
    if not value.is_Rational:
        return False
    as_float = np.array(float(value), dtype=np.float32 if dtype == torch.float32 else np.float64)
    return sp.Rational(float(as_float)) == value


def _close(got: float, value: sp.Expr, dtype: torch.dtype, roundoff: int, scale: sp.Expr) -> bool:
    """``got`` equals the exact ``value``: exactly (a value the dtype lacks: to its rounding, one unit u of
    ``|value|``), or, for a row declaring ``roundoff``, within that many units u of ``scale``."""
    if value.is_infinite:
        return got == float(value)
    if not np.isfinite(got):
        return False
    u = sp.Rational(unit_roundoff(dtype))
    bound = roundoff * u * scale if roundoff else (0 if _representable(value, dtype) else u * abs(value))
    return bool(abs(sp.Rational(got) - value) <= bound)


def _allowance(row: Row, dtype) -> str:
    if row.roundoff:
        return f"{row.roundoff} units of roundoff of {dtype_name(dtype)}, of the gradient's largest entry"
    return f"none (a value {dtype_name(dtype)} cannot hold: its rounding)"


def _matches(got: dict[str, np.ndarray], expected: dict[str, np.ndarray], dtype, roundoff: int) -> bool:
    for n, exact in expected.items():
        scale = max((abs(e) for e in exact.reshape(-1) if e.is_finite), default=sp.Integer(0))
        if not all(_close(float(got[n][idx]), exact[idx], dtype, roundoff, scale) for idx in np.ndindex(*exact.shape)):
            return False
    return True


def _gradients(t, row: Row) -> dict[str, np.ndarray]:
    """Each input's ``.grad`` as float64 values; a missing or misshapen gradient fails."""
    __tracebackhide__ = True
    out = {}
    for n, v in row.values().items():
        g = t.eval(f"{n}.grad")
        if g is None:
            t.fail(f"{n}.grad is None after backward; rule {row.rule} ({RULES[row.rule]}) gives a gradient",
                   expected_lines=[f"print({n}.grad)  # expected {value_text(row)}"])
        if tuple(g.shape) != v.shape or g.dtype != t.dtype or g.device != t.eval(f"{n}.device"):
            t.fail(f"{n}.grad has shape {tuple(g.shape)}, dtype {g.dtype}, device {g.device}; expected the input's "
                   f"{v.shape}, {t.dtype}, {t.eval(f'{n}.device')}")
        out[n] = g.detach().to("cpu", torch.float64).clone().numpy()  # clone: a ZeroTensor has no numpy view
    return out


def pytest_generate_tests(metafunc):
    """Rows first (before the plugin adds dtypes), so that ids read ``[relu-at-0-float32]``."""
    if "row" in metafunc.fixturenames:
        metafunc.parametrize("row", [pytest.param(r, id=r.id) for r in TABLE])  # Status: Row.status


def test_convention(row, dtype, device):
    """The gradient at a non-differentiable or undefined point follows the first rule that applies."""
    t = Trial(_case(row), dtype, device, None, f"conventions (rule {row.rule})", values=row.values())
    out = t.forward()
    t.backward(out, t.weights(values=[np.asarray(row.weight, dtype=np.float64)]))
    got = _gradients(t, row)
    if row.rule == 5:
        return  # undefined: any value; backward ran and left gradients of the inputs' layout
    alternatives = row.expected()
    if any(_matches(got, alt, dtype, row.roundoff) for alt in alternatives):
        return
    shown = "; ".join(f"{n}.grad = {g.tolist()}" for n, g in got.items())
    # a departure documented with torch's own value covers that value only: any other gradient fails
    documented = row.torch_gives is None or _matches(got, {n: exact_array(v) for n, v in row.torch_gives.items()},
                                                     dtype, row.roundoff)
    t.fail(f"at {point_text(row)}: {shown}; rule {row.rule} ({RULES[row.rule]}) gives {value_text(row)}"
           + ("" if documented else f", and the documented departure is {row.torch_gives}"),
           detail=[f"why: {row.why}", f"allowed error: {_allowance(row, dtype)}"],
           expected_lines=[f"print({', '.join(f'{n}.grad' for n in row.inputs)})  # expected {value_text(row)}"],
           numeric=documented)

