"""Conventions: at each row's exact point torch's gradient is the one PyTorch's autograd notes prescribe.

For every row of ``conformance.catalogue.conventions.TABLE`` the inputs are built at the row's exact
point on the chosen device, ``out.backward(gradient=weight)`` runs (ones unless the row gives a
weight), and every input's ``.grad`` is compared with the rule's gradient:

- rules 1-4: equal to the prescribed gradient (rule 4 with several values: to one of them).  The
  comparison is exact: the values (0, ±1, 1/2, 6, ±inf...) are representable in both dtypes, and a
  value that is not (2/3) may differ by its rounding, one unit of roundoff u.  A row whose call holds a
  non-dyadic constant (selu's scale, leaky_relu's 0.01) or computes through a factorization (an SVD)
  declares ``roundoff``: that many units u of the largest entry of the input's gradient.
- rule 5 (undefined): the value is arbitrary, so it is not compared.  The check is that backward runs
  and leaves a gradient of the input's shape, dtype and device; that it follows the notes' finiteness
  rule ("most functions will use NaN as the gradient"): every element NaN, unless the row documents why
  torch gives a finite value there (``finite``, as for ``log(-1)``), and then every element finite; and
  that it is deterministic: a second forward and backward gives the same bits (NaN, sign of zero
  included).  (The notes also allow an error there; torch 2.13 raises for none of these rows, and a
  raising backward is reported so that a change shows.)

A missing ``.grad`` is a failure.  Each row's Status (``Row.status``, applied by the plugin like every
other): a row where torch departs records torch's own value (``torch_gives``: one gradient, or the
alternatives an index choice allows) and is a strict xfail covering that value only, so another wrong
value fails, and so does torch following the rule (a strict xpass: record the release in ``until``).  A
Contract departure (a missing gradient, a raising backward) covers its symptom only.  A row whose
deviation a torch release fixed (``until``) is a plain check from that release on.
"""
import functools
import re

import numpy as np
import pytest
import sympy as sp
import torch

from conformance.catalogue.conventions import RULES, TABLE, Row, gives_text, point_text, value_text
from conformance.catalogue.conventions.model import PINNED
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
    if value is sp.nan:
        return bool(np.isnan(got))
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


def _run(t: Trial, row: Row, y: str = "out", weight: str = "gy") -> dict[str, np.ndarray]:
    out = t.forward(y)
    t.backward(out, t.weights(weight, values=[np.asarray(row.weight, dtype=np.float64)]))
    return _gradients(t, row)


def _undefined(t: Trial, row: Row, got: dict[str, np.ndarray]) -> None:
    """Rule 5: the notes' finiteness rule (NaN, or finite where the row says why), and determinism."""
    __tracebackhide__ = True
    for n, g in got.items():
        wrong = ~np.isfinite(g) if row.finite else ~np.isnan(g)
        if wrong.any():
            rule = (f"the row documents a finite gradient here ({row.finite})" if row.finite else
                    "the notes' default at an undefined point is NaN ('most functions will use NaN as the "
                    "gradient'); a finite value here needs the row's finite= reason")
            t.fail(f"at {point_text(row)} (undefined): {n}.grad = {g.tolist()}; {rule}",
                   expected_lines=[f"print({n}.grad)  # expected {'finite' if row.finite else 'nan'}"])
    t.run("; ".join(f"{n}.grad = None" for n in row.inputs))
    again = _run(t, row, "out2", "gz")
    for n, g in got.items():
        if g.tobytes() != again[n].tobytes():
            t.fail(f"at {point_text(row)} (undefined): not deterministic, {n}.grad = {g.tolist()} then "
                   f"{again[n].tolist()} from the same forward and backward")


def test_convention(row, dtype, device, status):
    """The gradient at a non-differentiable or undefined point follows the first rule that applies."""
    t = Trial(_case(row), dtype, device, None, f"conventions (rule {row.rule})", values=row.values(), status=status)
    got = _run(t, row)
    if row.rule == 5:
        return _undefined(t, row, got)
    if any(_matches(got, alt, dtype, row.roundoff) for alt in row.expected()):
        return
    shown = "; ".join(f"{n}.grad = {g.tolist()}" for n, g in got.items())
    # a departure pins torch's own value: the Status covers a failure showing PINNED, any other value fails
    departure = ""
    if row.torch_gives is not None:
        pinned = any(_matches(got, alt, dtype, row.roundoff) for alt in row.departures())
        gives = gives_text(row)
        departure = f"; {PINNED} {gives}" if pinned else f"; a new value: the documented departure is {gives}"
    t.fail(f"at {point_text(row)}: {shown}; rule {row.rule} ({RULES[row.rule]}) gives {value_text(row)}{departure}",
           detail=[f"why: {row.why}", f"allowed error: {_allowance(row, dtype)}"],
           expected_lines=[f"print({', '.join(f'{n}.grad' for n in row.inputs)})  # expected {value_text(row)}"],
           numeric=True)

