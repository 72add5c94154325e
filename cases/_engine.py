"""Steps shared by the engine-contract cases: required errors and warnings as recorded statements,
non-leaf nodes split out of catalogue entries, and exact gradients at such a node.

Every statement still runs through the trial's namespace and lands in its repro, so a contract that
torch stops keeping (an error no longer raised, a warning no longer given) fails with a script that
shows it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch

from conformance.catalogue import get
from conformance.exact import spec as s
from conformance.exact.oracle import oracle_for
from conformance.model.case import Case, entry
from conformance.model.domain import Real
from conformance.run.trial import Expected, Trial


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else ""


def expect_error(t: Trial, line: str, exc: type[BaseException], pattern: str, what: str) -> None:
    """Run ``line``, which must raise ``exc`` with a message matching ``pattern`` (case-insensitive).

    The repro records the statement inside ``try``/``else: raise AssertionError``, so it runs on past a
    raise and stops where torch no longer raises.
    """
    __tracebackhide__ = True
    name = exc.__name__
    block = (f"try:\n    {line}\nexcept {name} as exc_:\n    raised = exc_  # required: {what}\n"
             f"else:\n    raise AssertionError({f'`{line}` did not raise {name}: {what}'!r})")
    t.forget("raised")
    try:
        t.attempt(block)
    except AssertionError:
        t.fail(f"`{line}` did not raise {name} ({what})")
    except Exception as other:  # noqa: BLE001 - any other exception breaks the contract too
        t.fail(f"`{line}` raised {type(other).__name__}: {_first_line(other)}; expected {name} ({what})")
    message = str(t.get("raised"))
    if not re.search(pattern, message, re.IGNORECASE | re.DOTALL):
        t.fail(f"`{line}` raised {name} with the message {_first_line(t.get('raised'))!r}; expected one matching "
               f"{pattern!r} ({what})")


def expect_warning(t: Trial, line: str, category: type[Warning], pattern: str | None, what: str) -> None:
    """Run ``line`` recording warnings: one of ``category`` matching ``pattern`` is required (None: none allowed)."""
    __tracebackhide__ = True
    t.run("import warnings")
    t.run(f"with warnings.catch_warnings(record=True) as caught:\n    warnings.simplefilter('always')\n    {line}")
    hits = [w for w in t.get("caught") if issubclass(w.category, category)
            and (pattern is None or re.search(pattern, str(w.message), re.IGNORECASE))]
    if pattern is not None and not hits:
        seen = [f"{w.category.__name__}: {str(w.message)[:80]}" for w in t.get("caught")]
        t.fail(f"`{line}` gave no {category.__name__} matching {pattern!r} ({what}); warnings seen: {seen or 'none'}")
    if pattern is None and hits:
        t.fail(f"`{line}` warned {hits[0].category.__name__}: {str(hits[0].message)[:120]} ({what})")


def backward_line(y: str, v: str, **kwargs) -> str:
    """Source of ``y.backward(gradient=v, ...)`` (single-output entries)."""
    return f"{y}.backward(gradient={v}{''.join(f', {k}={val}' for k, val in kwargs.items())})"


def require_untouched(t: Trial, what: str, names: list[str] | None = None) -> None:
    """Each leaf's ``.grad`` is still None: a refused call accumulated nothing."""
    __tracebackhide__ = True
    for n in names or t.grad_names:
        if t.eval(f"{n}.grad") is not None:
            t.fail(f"{n}.grad is not None after {what} (a refused call must accumulate nothing)")


def require_grads_kept(t: Trial, before: dict[str, str | None], what: str) -> None:
    """Each named ``.grad`` is as it was: None (``before[n] is None``), or the same tensor, all 7.0 (its prime)."""
    __tracebackhide__ = True
    for n, src in before.items():
        if src is not None:
            if not t.eval(f"{n}.grad is {src} and bool(({n}.grad == 7.0).all())"):
                t.fail(f"{what} changed {n}.grad (expected the same tensor, all 7.0)")
        elif t.eval(f"{n}.grad") is not None:
            t.fail(f"{what} wrote {n}.grad (expected None)")


def refused_in_place(t: Trial, line: str, pattern: str, what: str) -> None:
    """An in-place op torch must refuse before it runs: it raises, and the first input keeps its values."""
    __tracebackhide__ = True
    leaf = t.grad_names[0]
    t.run(f"before = {leaf}.detach().clone()")
    expect_error(t, line, RuntimeError, pattern, what)
    if not t.eval(f"torch.equal({leaf}.detach(), before)"):
        t.fail(f"the refused `{line}` changed {leaf}")


def values_of(t: Trial, src: str) -> np.ndarray:
    """The exact values of a tensor the trial computed (float32 and float64 are exact in float64)."""
    return t.eval(src).detach().to("cpu", torch.float64).numpy().copy()


@dataclass(frozen=True)
class Split:
    """A catalogue entry cut at an inner node: ``node = head`` over the entry's inputs, then ``tail``.

    ``tail`` is an ad-hoc entry over the node (and any entry input used again after it) whose call,
    run after ``node = head``, computes the entry's output; its oracle at the node's computed values
    gives the exact vector-Jacobian product at the node.
    """

    case: Case
    node: str
    head: str
    tail: Case

    @property
    def id(self) -> str:
        return f"{self.case.name}-at-{self.node}"

    def forward(self, t: Trial) -> str:
        t.run(f"{self.node} = {self.head}")
        t.run(f"out = {self.tail.call}")
        return "out"

    def expected_at_node(self, t: Trial, vs: list[str]) -> Expected:
        """Exact vᵀJ of the tail at the values the trial computed (node and reused inputs)."""
        values = {a.name: values_of(t, a.name) for a in self.tail.args}
        return Expected.of(oracle_for(self.tail).vjp(values, [t.weight_values[v] for v in vs]))


SPLITS = [
    Split(get("tanh_mlp"), "h", "x @ w",
          entry("tanh_mlp_tail", "torch.tanh(h).sum(dim=0)", lambda h: s.sum(s.tanh(h), axis=0),
                h=Real(-27.0, 27.0, shape=(2, 2)))),
    Split(get("sin_exp_chain"), "e", "torch.exp(x)",
          entry("sin_exp_chain_tail", "torch.sin(e) * x", lambda e, x: s.sin(e) * x,
                e=Real(0.0, 5.0), x=Real(-3.0, 1.5))),
]
