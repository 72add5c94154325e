"""The conventions table's row model: a row, the exact numbers it types, and rule 1's derived gradient."""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
import sympy as sp
import torch
from torch.torch_version import TorchVersion

from conformance.exact.oracle import symbols_of
from conformance.model.case import LOW, missing
from conformance.model.expectation import Expectation, Facts, Selector
from conformance.model.status import Contract, Status
from conformance.model.status import deviation as as_status

RULES = {1: "differentiable: the gradient", 2: "convex: min-norm subgradient",
         3: "concave: min-norm supergradient", 4: "defined: by continuity", 5: "undefined: arbitrary"}
_H = sp.Symbol("h", positive=True)
PINNED = "as documented, torch gives"  # a departing row's failure shows it when torch gives its pinned value


def exact(v) -> sp.Expr:
    """A typed value as the exact number it writes: ``0.01`` is 1/100, ``inf`` is ∞, ``nan`` is NaN, sympy stays
    sympy."""
    if isinstance(v, sp.Basic):
        return v
    if isinstance(v, float) and not np.isfinite(v):
        return sp.nan if np.isnan(v) else sp.oo if v > 0 else -sp.oo
    return sp.Integer(v) if isinstance(v, (int, np.integer)) else sp.Rational(repr(float(v)))


def exact_array(values, convert=exact) -> np.ndarray:
    """``values`` (nested lists or an array) as an object array of ``convert``ed entries: exact numbers by default."""
    arr = np.asarray(values, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx in np.ndindex(*arr.shape):
        out[idx] = convert(arr[idx])
    return out


@dataclass(frozen=True, eq=False)
class Row:
    id: str
    call: str
    at: dict[str, Any]
    rule: int
    grad: dict[str, Any] | None = None
    accept: tuple = ()
    spec: Callable | None = None
    weight: Any = 1.0
    why: str = ""
    deviation: str | Contract | None = None
    documented: str = ""
    roundoff: int = 0
    torch_gives: Any = None  # a departing row's gradient as torch gives it (a dict, or a tuple of alternatives)
    until: str | None = None  # the first torch version that follows the rule (the deviation holds before it)
    finite: str = ""  # rule 5: why torch gives a finite gradient where the notes' default is NaN
    where: str | None = None  # file:line of its declaration (set by the table's ``row``)

    def __post_init__(self):
        problem = self._malformed()
        if problem:
            raise ValueError(f"conventions row {self.id!r}: {problem}")

    def _malformed(self) -> str:
        if self.rule not in RULES:
            return f"rule {self.rule!r} is not one of {sorted(RULES)}"
        if self.rule == 5 and (self.grad is not None or self.accept or self.torch_gives is not None or self.deviation):
            return "rule 5 (undefined) prescribes nothing and cannot depart: give finite= where torch is finite"
        if self.finite and self.rule != 5:
            return "finite= describes an undefined point (rule 5)"
        if self.torch_gives is not None and not self.deviation:
            return "torch_gives pins a departure: give its deviation"
        contract = getattr(self.deviation, "kind", None) == "contract"
        if self.deviation and not contract and self.torch_gives is None:
            return "a departing row pins torch's own value (torch_gives=), so that another wrong value fails"
        if contract and self.torch_gives is not None:
            return "a Contract departure pins its symptom (the failure's text), not a value"
        return ""

    @property
    def departing(self) -> str | Contract | None:
        """The deviation, where the installed torch still has it (``until`` names the version that fixed it)."""
        if self.deviation and self.until and TorchVersion(torch.__version__) >= self.until:
            return None
        return self.deviation

    def status(self, dtype: str = "", features=()) -> Status | None:
        """The row's one Status: absent call, or its deviation.  A row's point is fixed, so a deviation shows at
        every run: strict, and covering only torch's pinned value (``PINNED`` in the failure) or, for a
        Contract, its symptom."""
        absent = missing(self.call)
        if absent:
            return Status("absent", f"{absent} is absent from torch {torch.__version__}")
        if self.roundoff and dtype in LOW:
            return Status("dtype", f"the call holds a constant that is not dyadic (roundoff {self.roundoff}): in "
                                   f"{dtype} it rounds differently from the row's exact spec; checked in float32 and "
                                   f"float64")
        found = [e for e in self.expectations if e.matches(Facts(self.id, dtype=dtype or None), version=False)]
        return found[0].status if found else None

    @functools.cached_property
    def expectations(self) -> tuple[Expectation, ...]:
        """The row's declared deviation as an Expectation (none where it follows its rule)."""
        if not self.deviation:
            return ()
        pinned = {} if getattr(self.deviation, "kind", None) == "contract" else {"symptom": PINNED}
        status = replace(as_status(self.deviation), until=self.until, strict=True, **pinned)
        return (Expectation(status, Selector(self.id), self.where, "deviation"
                            + (f", until={self.until}" if self.until else "")),)

    def departures(self) -> list[dict[str, np.ndarray]]:
        """The gradients torch is documented to give where it departs (exact numbers per input); empty otherwise."""
        gives = self.torch_gives
        if gives is None:
            return []
        return [{n: exact_array(g[n]) for n in self.inputs} for g in (gives if isinstance(gives, tuple) else (gives,))]

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(self.at)

    def values(self) -> dict[str, np.ndarray]:
        """The exact point, as float64 arrays (every value is a float32 too)."""
        return {n: np.asarray(v, dtype=np.float64) for n, v in self.at.items()}

    def expected(self) -> list[dict[str, np.ndarray]]:
        """The acceptable gradients (exact sympy numbers per input); empty for rule 5 (arbitrary)."""
        if self.rule == 1:
            return [derived(self)]
        alternatives = ([self.grad] if self.grad is not None else []) + list(self.accept)
        return [{n: exact_array(g[n]) for n in self.inputs} for g in alternatives]


_DERIVED: dict[Row, dict[str, np.ndarray]] = {}  # rows hash by identity


def derived(row: Row) -> dict[str, np.ndarray]:
    """Rule 1: each partial derivative of Σ weight·spec at the exact point, as its one-sided limits.

    The limits (x → p from each side, the other inputs at the point) must agree and be finite: with the
    function continuous at p, the mean value theorem makes their common value the derivative at p, so a
    row claiming rule 1 at a kink is refused rather than given a one-sided value."""
    if row in _DERIVED:
        return _DERIVED[row]
    syms = {n: symbols_of(n, v.shape) for n, v in row.values().items()}
    outs = row.spec(*syms.values())
    outs = [np.asarray(o, dtype=object) for o in (outs if isinstance(outs, tuple) else (outs,))]
    total = sp.Add(*[np.sum(o * np.broadcast_to(exact_array(row.weight), o.shape)) for o in outs])
    point = {syms[n][idx]: sp.Rational(float(v)) for n, vals in row.values().items() for idx, v in np.ndenumerate(vals)}
    grads = {}
    for n, arr in syms.items():
        grads[n] = np.empty(arr.shape, dtype=object)
        for idx in np.ndindex(*arr.shape):
            x = arr[idx]
            d = sp.diff(total, x).subs({k: v for k, v in point.items() if k != x}).rewrite(sp.Piecewise)
            left, right = (sp.limit(d.subs(x, point[x] + side * _H), _H, 0, "+") for side in (-1, 1))
            if left != right or not left.is_finite:
                raise ValueError(f"conventions row {row.id!r}: not differentiable in {x} at the point "
                                 f"(one-sided derivatives {left}, {right}); rule 1 does not apply")
            grads[n][idx] = left
    _DERIVED[row] = grads
    return grads

