"""The one comparison of torch's gradient values with the exact ones, and the one report of a failing comparison.

Every trial (the plain ``Trial``, the sized and GEMM trials of ``conformance.space``, and any new one) checks a
gradient the same way: ``require_gradient`` (present, with the expected shape, dtype and device), then ``compare``
(each element's |got - exact| against its bound, widened by the item's Status, the range rule of
``conformance.run.ranges`` applied), then ``conclude`` (the record of the worst ratio and of the element census,
and the kit's one failure where an element is over its bound).

``compare`` takes numpy arrays.  Exact values held as mpmath numbers (an object array: the plain trial's oracle)
are compared element by element at mpmath's precision, exactly as the oracle gave them; float64 exact values (the
vectorized references) are compared vectorized.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import mpmath
import numpy as np
import torch

from conformance import tolerance
from conformance.run import ranges, record
from conformance.run.failure import digits

PARTS = ("real", "imag")  # the index suffix of a complex value's two compared parts


@dataclass(frozen=True)
class Element:
    """One compared element: its index (a complex value's part last), torch's value, the exact value, |error|,
    its bound (widened) and |error| / bound."""

    index: tuple
    got: float
    exact: object
    error: object
    bound: object
    ratio: float


@dataclass(frozen=True)
class Verdict:
    """What ``compare`` found in one gradient (or, ``merge``d, in several).

    ``ratio``: the largest |error| / bound (0 where nothing was checked); ``worst``: the element it was found at,
    ``name`` and ``src`` the gradient's name and source; ``over`` of ``total`` elements over their bound;
    ``census``: (checked, not checkable at this precision, meeting the claimed sensitivity), ``tolerance``'s;
    ``relative``: the largest relative error beyond the bound of an element over it (``tolerance.beyond``: what
    a deviation's envelope is measured in); ``outside``: elements past the dtype's range, not compared
    (``ranges.outside``); ``widen``: the factor the bounds were widened by; ``context``, ``note``: added to the
    worst-element and over-count lines of a failure; ``ratios``: each element's ratio (0 where not compared)."""

    ratio: float = 0.0
    worst: Element | None = None
    name: str = ""
    src: str = ""
    over: int = 0
    total: int = 0
    census: tuple[int, int, int] = (0, 0, 0)
    relative: float = 0.0
    outside: int = 0
    widen: float = 1.0
    accuracy: float = 0.0
    context: str = ""
    note: str = ""
    ratios: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def failed(self) -> bool:
        return self.ratio > 1

    def merge(self, other: Verdict) -> Verdict:
        """Both gradients' verdict: counts added, the worst element the later one's where it is as bad."""
        later = other.worst is not None and other.ratio >= self.ratio
        first = other if later or self.worst is None else self
        return replace(first, ratio=max(self.ratio, other.ratio), over=self.over + other.over,
                       total=self.total + other.total,
                       census=tuple(a + b for a, b in zip(self.census, other.census)),
                       relative=max(self.relative, other.relative), outside=self.outside + other.outside,
                       widen=max(self.widen, other.widen), accuracy=max(self.accuracy, other.accuracy),
                       ratios=None)

    @property
    def where(self) -> str:
        idx = self.worst.index if self.worst is not None else ()
        return f"{self.name}[{', '.join(map(str, idx))}]" if idx else self.name


def compare(got, exact, bound, dtype: torch.dtype, *, name: str = "", src: str | None = None, widen: float = 1.0,
            accuracy: float = 0.0, rounded: torch.dtype | None = None, low=None, skip=None, parts: bool = False,
            locate=None) -> Verdict:
    """Compare torch's values ``got`` with ``exact``, element by element, within ``bound`` times ``widen``.

    ``got``: torch's values (float64); ``exact``: the exact values, float64 or an object array of mpmath numbers
    (then compared exactly); ``bound``: each element's allowed |got - exact| before the widening; ``dtype``: the
    dtype of the computation (its range rule, ``ranges.outside``, and its claimed sensitivity, for the census);
    ``widen``: the item's Status's widening factor; ``accuracy``: torch's documented relative accuracy (each term of
    the bound may carry it: the bound grows by accuracy x E, after the widening: ``status.Accuracy``); ``rounded``:
    the dtype a cast's backward rounds the value to (``tolerance.cast``, after the widening); ``low``: the low part
    of an exact value held as a float64 pair (exact + low); ``skip``: a mask of elements not compared (outside a
    sample, a special lane); ``parts``: the last axis holds a complex value's real and imaginary parts; ``locate``:
    the index of an element as reported (a sampled element's place in the whole gradient).  An element whose got
    value is NaN or infinite where the exact one is finite is infinitely far from it."""
    got, exact = np.asarray(got), np.asarray(exact)
    bound = np.asarray(np.asarray(bound) * widen)  # (numpy gives a 0-d array's arithmetic as a scalar)
    total = exact if low is None else np.asarray(exact + np.asarray(low))
    if accuracy:  # torch's documented accuracy charged like its dtype's roundoff, on every term the bound counts
        bound = np.asarray(bound * (1 + accuracy / tolerance.scale(dtype)))
    if rounded is not None:
        bound = np.asarray(tolerance.cast(bound, total, rounded))
    skip = np.zeros(exact.shape, dtype=bool) if skip is None else np.asarray(skip, dtype=bool)
    outside = ranges.outside(total, dtype) & ~skip
    checked = ~outside & ~skip
    exactly = exact.dtype == object
    err = _errors_exactly(got, total) if exactly else _errors(got, exact, low)
    with np.errstate(all="ignore"):
        ratio = np.asarray(err / bound, dtype=np.float64)
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    ratio[~checked] = 0.0
    census = _census(bound[checked], total[checked], dtype, exactly)
    flat = ratio.reshape(-1)
    over = np.flatnonzero(flat > 1)
    verdict = Verdict(name=name, src=src if src is not None else f"{name}.grad", over=int(over.size),
                      total=int(checked.sum()), census=census, outside=int(outside.sum()),
                      widen=widen, accuracy=accuracy, ratios=ratio)
    if not flat.size or not checked.any():
        return verdict
    at = flat.size - 1 - int(np.argmax(flat[::-1]))  # the last of the largest (a later element wins a tie)
    idx = np.unravel_index(at, ratio.shape)
    errs, bounds, exacts = err.reshape(-1), bound.reshape(-1), total.reshape(-1)
    relative = max((tolerance.beyond(errs[k], bounds[k], exacts[k]) for k in over), default=0.0)
    shown = tuple(int(i) for i in idx)
    if parts:
        shown = (*(locate(shown[:-1]) if locate else shown[:-1]), PARTS[shown[-1]])
    elif locate is not None:
        shown = tuple(locate(shown))
    worst = Element(shown, float(got[idx]), total[idx], err[idx], bound[idx], float(flat[at]))
    return replace(verdict, ratio=float(flat[at]), worst=worst, relative=relative)


def _errors(got: np.ndarray, exact: np.ndarray, low) -> np.ndarray:
    with np.errstate(all="ignore"):
        diff = np.abs(got - exact) if low is None else np.abs((got - exact) - low)
    return np.asarray(np.where(np.isfinite(got), diff, np.inf), dtype=np.float64)


def _errors_exactly(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    err = np.empty(exact.shape, dtype=object)
    for idx in np.ndindex(*exact.shape):
        g = float(got[idx])
        err[idx] = mpmath.fabs(mpmath.mpf(g) - exact[idx]) if math.isfinite(g) else mpmath.inf
    return err


def _census(bound: np.ndarray, exact: np.ndarray, dtype: torch.dtype, exactly: bool) -> tuple[int, int, int]:
    if not exactly:
        return tolerance.tally(bound, exact, dtype)
    blind = sum(not tolerance.checkable(b, e) for b, e in zip(bound, exact))
    claim = sum(bool(tolerance.meets_claim(b, e, dtype)) for b, e in zip(bound, exact))
    return int(bound.size), int(blind), int(claim)


def split_parts(values: np.ndarray, exact: np.ndarray, errors: np.ndarray) -> tuple:
    """A complex gradient's values, exact values and errors as real arrays with a last axis of two parts
    (real, imaginary: each has its own bound); a real one's as they are."""
    exact = np.asarray(exact, dtype=object)
    if not any(isinstance(e, mpmath.mpc) for e in exact.reshape(-1)):
        return np.asarray(values, dtype=np.float64), exact, np.asarray(errors, dtype=object), False

    def pair(a):
        out = np.empty((*np.shape(a), 2), dtype=object)
        for idx in np.ndindex(*np.shape(a)):
            z = mpmath.mpmathify(a[idx])
            out[idx] = (z.real, z.imag) if isinstance(z, mpmath.mpc) else (z, mpmath.mpf(0))
        return out
    values = np.asarray(values, dtype=np.complex128)
    return np.stack([values.real, values.imag], -1), pair(exact), pair(np.asarray(errors, dtype=object)), True


def require_gradient(trial, src: str, got, shape: tuple, dtype: torch.dtype, what: str = "vᵀJ",
                     expected_lines=()) -> None:
    """``got`` (the value of ``src``) is a tensor of ``shape`` and ``dtype`` on the trial's device, or the trial
    fails (``expected_lines``: the repro's lines where it is None, or a function giving them)."""
    __tracebackhide__ = True
    if got is None:
        trial.fail(f"{src} is None, expected the exact {what}",
                   expected_lines=expected_lines() if callable(expected_lines) else expected_lines)
    device = torch.empty(0, device=trial.device).device  # "cuda" resolved to "cuda:0"
    if tuple(got.shape) != tuple(shape) or got.dtype != dtype or got.device != device:
        trial.fail(f"{src} has shape {tuple(got.shape)}, dtype {got.dtype}, device {got.device}; "
                   f"expected shape {tuple(shape)}, dtype {dtype}, device {trial.device}")


def conclude(trial, verdict: Verdict, label: str, what: str = "vᵀJ", expected_lines=()) -> None:
    """Record the verdict (its worst ratio under ``label``, its element census) and, where an element is over its
    bound, raise the kit's one failure through the trial's ``fail`` (numeric: a documented deviation's envelope
    may cover it); ``expected_lines``: the repro's lines, or a function of the verdict giving them."""
    __tracebackhide__ = True
    record.observe(verdict.ratio, label)
    record.elements(*verdict.census)
    if not verdict.failed:
        return
    w = verdict.worst
    detail = [f"worst element {verdict.where}: got {w.got!r}, exact {digits(w.exact)}, |error| {digits(w.error, 3)} "
              f"= {w.ratio:.3g} x bound ({digits(w.bound, 3)}){verdict.context}",
              f"elements over their bound: {verdict.over} of {verdict.total}{verdict.note}; the largest relative "
              f"error beyond the bound {verdict.relative:.3g}"]
    if verdict.widen != 1:
        detail.append(f"bounds widened {verdict.widen:g} x for this mode: {trial.status.reason[:160]}")
    if verdict.accuracy:
        detail.append(f"bounds raised by torch's documented accuracy, {verdict.accuracy:g} relative per term: "
                      f"{trial.status.reason[:160]}")
    trial.fail(f"{verdict.src} deviates from the exact {what} by {w.ratio:.3g} x its bound", detail,
               expected_lines(verdict) if callable(expected_lines) else expected_lines, numeric=True,
               relative=verdict.relative)
