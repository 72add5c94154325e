"""A trial: one drawn example of one property, executed as recorded source lines.

Property cases drive a ``Trial``: it draws the inputs, builds tensors, runs the forward and backward
calls, and compares gradients with the oracle.  Every statement is executed from its source text
and kept, so a failure carries the exact script that reproduced it (a PEP 678 note).
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np
import torch

from . import record
from .case import Case, CatalogueError
from .oracle import Exact, oracle_for
from .report import ConformanceFailure, KnownDeviation, digits, dtype_name, failure_message, layout_source, repro_note, tensor_source
from .strategies import inputs as input_strategy
from .strategies import weights as weight_strategy
from .tolerance import K, accumulated, tiny, unit_roundoff

_ACCUMULATED = np.vectorize(accumulated, otypes=[object])


@dataclass
class Expected:
    """Exact gradients with their running-error bounds (``tolerance`` units), per input name."""

    grads: dict[str, np.ndarray]
    errors: dict[str, np.ndarray]
    terms: int

    @classmethod
    def of(cls, exact: Exact) -> "Expected":
        return cls(dict(exact.grads), dict(exact.errors), exact.terms)

    def __add__(self, other: "Expected") -> "Expected":
        """The accumulated gradient: one more rounding (of the running sum) per element."""
        grads = {n: np.asarray(self.grads[n] + other.grads[n], dtype=object) for n in self.grads}  # 0-d stays an array
        errors = {n: np.asarray(_ACCUMULATED(self.errors[n], other.errors[n], grads[n]), dtype=object)
                  for n in self.grads}
        return Expected(grads, errors, self.terms + other.terms)


class Trial:
    def __init__(self, case: Case, dtype: torch.dtype, device: torch.device, data, prop: str,
                 values: dict[str, np.ndarray] | None = None):
        """``data`` is Hypothesis's ``st.data()``; pass ``values`` (and data=None) for a fixed point."""
        __tracebackhide__ = True
        self.case, self.dtype, self.device, self.prop = case, dtype, device, prop
        self._device = torch.empty(0, device=device).device  # "cuda" resolved to "cuda:0"
        if values is None:
            values = data.draw(input_strategy(case, dtype), label="inputs")
        self.values = {k: np.asarray(v) for k, v in values.items()}
        constants = {a.name: self.values[a.name] for a in case.args if not a.differentiable}
        self.oracle = oracle_for(case, constants)
        self._data = data
        self.ns: dict = {"torch": torch, "F": torch.nn.functional, **case.helpers}
        self.lines: list[str] = ["import torch", "import torch.nn.functional as F"]
        if case.helpers:
            self.lines.append(f"from conformance.catalogue.helpers import {', '.join(sorted(case.helpers))}")
        self.weight_values: dict[str, np.ndarray] = {}
        self.weight_layouts: dict[str, str] = {}
        for a in case.args:
            src = tensor_source(self.values[a.name], dtype, device)
            self.run(f"{a.name} = {src}.requires_grad_()" if a.differentiable else f"{a.name} = {src}")

    # -- executing recorded statements -------------------------------------------------------
    def run(self, line: str):
        """Execute one statement in the trial's namespace and keep it for the repro.

        A statement that raises is a contract failure of torch (the kit only runs documented calls).
        """
        __tracebackhide__ = True
        self.lines.append(line)
        try:
            exec(line, self.ns)  # noqa: S102 - the statement text is the repro
        except Exception as exc:  # noqa: BLE001 - whatever torch raised is reported with the repro
            self.fail(f"`{line}` raised {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")

    def eval(self, expr: str):
        return eval(expr, self.ns)  # noqa: S307

    @property
    def grad_names(self) -> list[str]:
        return [a.name for a in self.case.args if a.differentiable]

    @property
    def n_outputs(self) -> int:
        return len(self.oracle.output_shapes)

    def outputs(self, y: str) -> list[str]:
        """Source names of the differentiable outputs held in variable ``y``."""
        return [y] if self.n_outputs == 1 and not isinstance(self.ns[y], tuple) else [f"{y}[{k}]" for k in range(self.n_outputs)]

    def forward(self, y: str = "out") -> str:
        self.run(f"{y} = {self.case.call}")
        got = [self.eval(o) for o in self.outputs(y)]
        shapes = [tuple(t.shape) for t in got]
        if shapes != [tuple(s) for s in self.oracle.output_shapes]:
            raise CatalogueError(f"catalogue entry {self.case.name!r}: torch output shapes {shapes} differ from "
                                 f"the spec's {[tuple(s) for s in self.oracle.output_shapes]}")
        return y

    def weights(self, prefix: str = "gy", values: list[np.ndarray] | None = None) -> list[str]:
        """One weight per output (recorded as ``gy0``, ``gy1``... or ``{prefix}0``...): drawn, or given."""
        names = []
        for k, shape in enumerate(self.oracle.output_shapes):
            if values is None:
                drawn = self._data.draw(weight_strategy(tuple(shape), self.dtype), label=f"{prefix}{k}")
            else:
                drawn = (np.broadcast_to(np.asarray(values[k], dtype=np.float64), shape).copy(), "contiguous", shape)
            values_k, layout, small = drawn
            name = f"{prefix}{k}"
            self.run(f"{name} = {layout_source(values_k, layout, small, self.dtype, self.device)}")
            self.weight_values[name], self.weight_layouts[name] = values_k, layout
            names.append(name)
        return names

    def implicit_weights(self, name: str = "ones") -> str:
        """The weight of ``y.backward()`` without ``gradient``: ones, for a one-element output."""
        self.weight_values[name] = np.ones(self.oracle.output_shapes[0])
        self.weight_layouts[name] = "implicit: backward() without gradient"
        return name

    def backward(self, y: str, vs: list[str], **kwargs) -> None:
        extra = "".join(f", {k}={v!r}" for k, v in kwargs.items())
        outs = self.outputs(y)
        if len(outs) == 1:
            self.run(f"{outs[0]}.backward(gradient={vs[0]}{extra})")
        else:
            self.run(f"torch.autograd.backward([{', '.join(outs)}], grad_tensors=[{', '.join(vs)}]{extra})")

    def expected(self, vs: list[str], case: Case | None = None) -> Expected:
        """The exact vᵀJ for the weights named ``vs`` (one per output), of this case or another over the same inputs."""
        oracle = self.oracle if case is None else oracle_for(case)
        return Expected.of(oracle.vjp(self.values, [self.weight_values[v] for v in vs]))

    # -- checks ----------------------------------------------------------------------------------
    def fail(self, title: str, detail: list[str] = (), expected_lines: list[str] = (), numeric: bool = False) -> None:
        """Raise the kit's one failure format; failures a documented deviation covers are xfailed."""
        __tracebackhide__ = True
        known = self.case.deviation(dtype_name(self.dtype), numeric)
        weights = [f"{n} = {_short(v)} (layout {self.weight_layouts[n]})" for n, v in self.weight_values.items()]
        msg = failure_message(title=title, case=self.case.name, prop=self.prop, dtype=self.dtype,
                              device=self.device, detail=list(detail), inputs=self.values, weights=weights)
        if known:  # stop at the first deviating example: no shrinking of a documented deviation
            raise KnownDeviation(f"known torch deviation: {known}\n{msg}")
        exc = ConformanceFailure(msg)
        exc.add_note(repro_note(self.lines, list(expected_lines)))
        raise exc

    def check(self, expected: Expected, grads: dict[str, str] | None = None, what: str = "vᵀJ") -> None:
        """Assert each gradient (source expression, default ``x.grad``) equals the exact one within its bound."""
        __tracebackhide__ = True
        grads = grads or {n: f"{n}.grad" for n in self.grad_names}
        u, floor = unit_roundoff(self.dtype), (expected.terms + 1) * tiny(self.dtype)
        worst, worst_at, over, total = 0.0, None, 0, 0
        for name, src in grads.items():
            got = self.eval(src)
            exact, errors = expected.grads[name], expected.errors[name]
            if got is None:
                self.fail(f"{src} is None, expected the exact {what}", expected_lines=self._expected_lines(src, exact, errors))
            self._check_layout(src, got, exact.shape)
            values = got.detach().to("cpu", torch.float64).clone().numpy()  # clone: a ZeroTensor has no numpy view
            for idx in np.ndindex(*exact.shape):
                bound = K * u * errors[idx] + floor
                g = float(values[idx])
                err = mpmath.fabs(mpmath.mpf(g) - exact[idx]) if np.isfinite(g) else mpmath.inf
                ratio = float(err / bound)
                total += 1
                over += ratio > 1
                if ratio >= worst:
                    worst, worst_at = ratio, (src, name, idx, g, exact[idx], err, bound)
        record.observe(worst, f"{self.case.name}-{dtype_name(self.dtype)}")
        if worst > 1:
            src, name, idx, g, ex, err, bound = worst_at
            where = f"{name}[{', '.join(map(str, idx))}]" if idx else name
            detail = [f"worst element {where}: got {g!r}, exact {digits(ex)}, |error| {digits(err, 3)} = "
                      f"{worst:.3g} x bound ({digits(bound, 3)})",
                      f"elements over their bound: {over} of {total}"]
            self.fail(f"{src} deviates from the exact {what} by {worst:.3g} x its bound", detail,
                      self._expected_lines(src, expected.grads[name], expected.errors[name]), numeric=True)

    def _check_layout(self, src: str, got: torch.Tensor, shape: tuple) -> None:
        __tracebackhide__ = True
        if tuple(got.shape) != tuple(shape) or got.dtype != self.dtype or got.device != self._device:
            self.fail(f"{src} has shape {tuple(got.shape)}, dtype {got.dtype}, device {got.device}; "
                      f"expected shape {tuple(shape)}, dtype {self.dtype}, device {self.device}")

    def _expected_lines(self, src: str, exact, errors) -> list[str]:
        exact = np.asarray(exact, dtype=object)
        bound = np.vectorize(lambda e: float(K * unit_roundoff(self.dtype) * e), otypes=[float])(np.asarray(errors, dtype=object))
        ex = np.vectorize(lambda v: float(v), otypes=[float])(exact)
        return [f"expected = {tensor_source(ex, torch.float64, self.device)}  # exact, rounded to float64",
                f"bound = {tensor_source(bound, torch.float64, self.device)}",
                f"print({src}, ((({src}).double() - expected).abs() / bound).max())  # > 1 means a deviation"]


def _short(values: np.ndarray) -> str:
    return np.array2string(np.asarray(values), precision=17, separator=", ", threshold=64)
