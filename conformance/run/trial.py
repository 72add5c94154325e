"""A trial: one drawn example of one property, executed as recorded source lines.

Property cases drive a ``Trial``: it draws the inputs, builds tensors, runs the forward and backward
calls, and compares gradients with the oracle.  Every statement is executed from its source text
and kept, so a failure carries the exact script that reproduced it (a PEP 678 note).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import reject

from conformance import tolerance
from conformance.exact import spec
from conformance.exact.complex import complex_oracle_for
from conformance.exact.oracle import oracle_for
from conformance.model.case import Case
from conformance.model.error import CatalogueError
from conformance.model.status import Status
from conformance.run import ranges, record
from conformance.run.compare import Verdict, compare, conclude, require_gradient, split_parts
from conformance.run.expected import Expected, hessian, jacobian
from conformance.run.failure import (
    ConformanceFailure,
    KnownDeviation,
    dtype_name,
    failure_message,
    helper_lines,
    layout_source,
    repro_note,
    tensor_source,
)
from conformance.run.ranges import LOW_PRECISION
from conformance.run.signatures import drawable, signature
from conformance.run.strategies import component
from conformance.run.strategies import inputs as input_strategy
from conformance.run.strategies import weights as weight_strategy
from conformance.tolerance import scale, unit_roundoff

# torch's messages where a kernel lacks a dtype (CPU linalg, some special functions in bfloat16/float16)
_LACKS = ("not implemented for 'BFloat16'", "not implemented for 'Half'", "Low precision dtypes not supported",
          "does not support bfloat16", "does not support float16", "not supported for BFloat16",
          "not supported for Half", "must be either float or double dtype", "of float, double, cfloat or cdouble types",
          "doesn't handle types other than float and double")


def lacks_kernel(exc: BaseException, dtype) -> str:
    """torch's own reason, where ``exc`` says a kernel lacks the trial's reduced-precision dtype; else ''."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    if dtype in LOW_PRECISION and any(p in text for p in _LACKS):
        return f"torch {torch.__version__} has no {dtype} kernel here: {type(exc).__name__}: {text}"
    return ""


class Script:
    """Statements executed from their source text and kept for the repro (``lines``, namespace ``ns``);
    a statement that raises is reported through ``fail``.  Shared by every kind of trial."""

    status: Status | None = None  # the item's Status, decided at collection (None: a plain pass expected)

    @property
    def widening(self) -> float:
        """The factor on the trial's bounds: its Status's measured widening (1: the plain policy)."""
        return getattr(self.status, "widen", 1.0)

    @property
    def accuracy(self) -> float:
        """torch's documented relative accuracy the trial's bounds allow for (0: its dtype's, the plain policy)."""
        return getattr(self.status, "accuracy", 0.0)

    lines: list[str]
    ns: dict

    def run(self, line: str):
        """Execute one statement in the trial's namespace and keep it for the repro.

        A statement that raises is a contract failure of torch (the kit only runs documented calls).
        """
        __tracebackhide__ = True
        self.lines.append(line)
        try:
            exec(line, self.ns)  # noqa: S102 - the statement text is the repro
        except Exception as exc:  # noqa: BLE001 - whatever torch raised is reported with the repro
            lacks = lacks_kernel(exc, getattr(self, "dtype", None))
            if lacks:
                pytest.skip(lacks)
            cause = getattr(exc, "inner_exception", None) or exc.__cause__
            self.fail(f"`{line}` raised {_first_line(exc)}" + (f" (from {_first_line(cause)})" if cause else ""))

    def raise_failure(self, msg: str, expected_lines=(), numeric: bool = False, header=(),
                      relative: float | None = None) -> None:
        """Raise ``msg`` (the kit's one failure format) with the repro, or as a known deviation where the
        item's Status covers it (numeric: a value off its bound, ``relative`` its worst element's relative
        error beyond the bound; else a broken contract)."""
        __tracebackhide__ = True
        status = self.status
        if status is not None and status.covers(numeric, relative, msg):
            if status.shows_at(self):
                if record.strict_failure():  # Hypothesis shrinks a strict failure: this draw is not one
                    reject()
                raise KnownDeviation(f"known torch deviation: {status.reason}\n{msg}")  # no shrinking of it
            msg = f"{msg}\n{status.strict_here()}"
        elif status is not None and numeric and status.outside(relative):
            msg = f"{msg}\n{status.outside(relative)}"
        record.failed_strictly()
        exc = ConformanceFailure(msg)
        exc.add_note(repro_note([*header, *self.lines], list(expected_lines)))
        raise exc


def _first_line(exc: BaseException) -> str:
    """``Type: first line of the message`` (a wrapper's cause, as torch.compile's BackendCompilerFailed wraps what
    the traced backward raised, is reported after it)."""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


class Trial(Script):
    def __init__(self, case: Case, dtype: torch.dtype, device: torch.device, data, prop: str,
                 values: dict[str, np.ndarray] | None = None, layouts: dict[str, str] | None = None,
                 constant: tuple[str, ...] = (), oracle=None, status: Status | None = None):
        """``data`` is Hypothesis's ``st.data()``; pass ``values`` (and data=None) for a fixed point.

        ``layouts``: input name -> memory layout of its leaf (``contiguous``, ``permuted``, ``strided``; default
        contiguous); ``constant``: differentiable inputs built without ``requires_grad`` (their gradients are
        not checked, the others' are); ``oracle``: (case, values) -> the oracle to use instead of the
        fixed-shape one (the tape oracle at large sizes); ``status``: the item's Status (what a failure may
        be, if not a plain pass; the kit's ``status`` fixture gives it; None: a plain pass expected)."""
        __tracebackhide__ = True
        if values is None and oracle is None and drawable(case):  # one signature of its call space per example
            case = data.draw(signature(case), label="arguments")
        self.case, self.dtype, self.device, self.prop = case, dtype, device, prop
        self.status = status
        self.label = f"{case.name}-{dtype_name(dtype)}"  # how the run's summary names this trial's item
        self.layouts = dict(layouts or {})  # what a Status's condition reads, with values and weights
        record.example(data)
        record.trial(self)
        self._device = torch.empty(0, device=device).device  # "cuda" resolved to "cuda:0"
        if values is None:
            values = data.draw(input_strategy(case, dtype), label="inputs")
        self.values = {k: np.asarray(v) for k, v in values.items()}
        self.point = self.values  # where the exact values are taken (``exact_at``)
        constants = {a.name: self.values[a.name] for a in case.args if not a.differentiable}
        if oracle is None:
            self.oracle = (complex_oracle_for if dtype.is_complex else oracle_for)(case, constants)
        else:
            try:
                self.oracle = oracle(case, self.values)
            except spec.AtKink:  # a tie the entry's kinks did not foresee at this size: no vᵀJ to check
                reject()
        self._output_dtypes: list | None = None
        self._data = data
        self.ns: dict = {"torch": torch, "F": torch.nn.functional, **case.helpers}
        self.lines: list[str] = ["import torch", "import torch.nn.functional as F"]
        self.lines += helper_lines(case.helpers)
        self.weight_values: dict[str, np.ndarray] = {}
        self.weight_layouts: dict[str, str] = {}
        self.weight_small: dict[str, tuple] = {}  # a weight's shape before its expansion
        self.constant = tuple(constant)
        for a in case.args:
            layout = (layouts or {}).get(a.name, "contiguous")
            src = layout_source(self.values[a.name], layout, a.shape, dtype, device) if a.differentiable else (
                tensor_source(self.values[a.name], dtype, device))
            grad = a.differentiable and a.name not in self.constant
            self.run(f"{a.name} = {src}.requires_grad_()" if grad else f"{a.name} = {src}")

    # -- executing recorded statements (``run``: see ``Script``) ---------------------------------
    def eval(self, expr: str):
        return eval(expr, self.ns)  # noqa: S307

    # The recorded script, for cases: everything a case adds goes through these, never into the
    # namespace or the line list directly.
    def note(self, *lines: str) -> None:
        """Add lines to the repro without running them (comments, or what ran elsewhere)."""
        self.lines.extend(lines)

    def attempt(self, block: str) -> None:
        """Record and run ``block``, letting whatever it raises reach the caller (``run`` reports it)."""
        self.lines.append(block)
        exec(block, self.ns)  # noqa: S102 - the statement text is the repro

    def bind(self, name: str, value, source: str) -> str:
        """Bind ``name`` to ``value`` made outside the script (a compiled function), recording ``source``."""
        self.lines.append(source)
        self.ns[name] = value
        return name

    def get(self, name: str, default=None):
        """The value a statement bound to ``name`` (``default`` if none did)."""
        return self.ns.get(name, default)

    def forget(self, name: str) -> None:
        self.ns.pop(name, None)

    @property
    def script(self) -> tuple[str, ...]:
        """The statements recorded so far."""
        return tuple(self.lines)

    @property
    def grad_names(self) -> list[str]:
        return [a.name for a in self.case.args if a.differentiable and a.name not in self.constant]

    @property
    def n_outputs(self) -> int:
        return len(self.oracle.output_shapes)

    def outputs(self, y: str) -> list[str]:
        """Source names of the differentiable outputs held in variable ``y``."""
        return ([y] if self.n_outputs == 1 and not isinstance(self.ns[y], tuple)
                else [f"{y}[{k}]" for k in range(self.n_outputs)])

    def forward(self, y: str = "out") -> str:
        self.run(f"{y} = {self.case.call}")
        got = [self.eval(o) for o in self.outputs(y)]
        shapes = [tuple(t.shape) for t in got]
        if self.dtype.is_complex:  # a complex entry's real outputs (abs, angle) take real weights
            self._output_dtypes = [t.dtype for t in got]
        if shapes != [tuple(s) for s in self.oracle.output_shapes]:
            raise CatalogueError(f"catalogue entry {self.case.name!r}: torch output shapes {shapes} differ from "
                                 f"the spec's {[tuple(s) for s in self.oracle.output_shapes]}")
        if not all(bool(torch.isfinite(t).all()) for t in got if t.is_floating_point()):
            ranges.output_within_range(self.oracle, self.point, self.dtype, self._data)
        return y

    def weights(self, prefix: str = "gy", values: list[np.ndarray] | None = None,
                dtypes: list | None = None) -> list[str]:
        """One weight per output (recorded as ``gy0``, ``gy1``... or ``{prefix}0``...): drawn, or given; each in its
        output's dtype (``dtypes``: where the outputs' dtypes differ from the trial's)."""
        shapes = [tuple(s) for s in self.oracle.output_shapes]
        dtypes = dtypes or self._output_dtypes or [self.dtype] * len(shapes)
        return [self._vector(f"{prefix}{k}", shape, None if values is None else values[k], dtypes[k])
                for k, shape in enumerate(shapes)]

    def tangents(self, prefix: str = "u") -> list[str]:
        """One drawn direction per differentiable input, shaped like it (``u_x``...), layouts as for weights."""
        return [self._vector(f"{prefix}_{a.name}", a.shape) for a in self.case.args if a.differentiable]

    def _vector(self, name: str, shape: tuple, values: np.ndarray | None = None, dtype=None) -> str:
        dtype = dtype or self.dtype
        if values is None:
            drawn = self._data.draw(weight_strategy(tuple(shape), dtype), label=name)
        else:
            drawn = (np.broadcast_to(np.asarray(values, dtype=np.float64), shape).copy(), "contiguous", shape)
        values_k, layout, small = drawn
        self.run(f"{name} = {layout_source(values_k, layout, small, dtype, self.device)}")
        self.weight_values[name], self.weight_layouts[name], self.weight_small[name] = values_k, layout, small
        return name

    def function(self, name: str = "f") -> str:
        """Define ``f`` as the call over the differentiable inputs (integer inputs stay bound), for torch.func."""
        self.run(f"{name} = lambda {', '.join(self.grad_names)}: {self.case.call}")
        return name

    def implicit_weights(self, name: str = "ones") -> str:
        """The weight of ``y.backward()`` without ``gradient``: ones, for a one-element output."""
        self.weight_values[name] = np.ones(self.oracle.output_shapes[0])
        self.weight_layouts[name] = "implicit: backward() without gradient"
        return name

    def backward(self, y: str, vs: list[str], **kwargs) -> None:
        extra = "".join(f", {k}={v!r}" for k, v in kwargs.items())
        outs = self.outputs(y)
        if self.constant and len(outs) > 1:  # an output of constant inputs alone has no graph to weigh
            kept = [(o, v) for o, v in zip(outs, vs) if self.eval(f"{o}.requires_grad")]
            self.note(*(f"# {o} depends on constant inputs alone: no weight for it" for o in outs
                        if o not in dict(kept)))
            outs, vs = [o for o, _ in kept], [v for _, v in kept]
        if len(outs) == 1:
            self.run(f"{outs[0]}.backward(gradient={vs[0]}{extra})")
        else:
            self.run(f"torch.autograd.backward([{', '.join(outs)}], grad_tensors=[{', '.join(vs)}]{extra})")

    def exact_at(self, point: dict[str, np.ndarray], why: str) -> None:
        """Take the exact values at ``point`` (input name -> values) instead of the leaves' values: the inputs as
        the function under test sees them (``why``, a comment in the repro: autocast's casts round them)."""
        self.point = {**self.values, **{k: np.asarray(v, dtype=np.float64) for k, v in point.items()}}
        self.note(f"# {why}")

    def expected(self, vs: list[str], case: Case | None = None) -> Expected:
        """The exact vᵀJ for the weights named ``vs`` (one per output), of this case or another over the same inputs."""
        oracle = self.oracle if case is None else oracle_for(case)
        expected = Expected.of(oracle.vjp(self.point, self._values(vs)))
        return expected.matrixwise() if (case or self.case).normwise == "always" else expected

    def expected_jvp(self, us: list[str]) -> Expected:
        """The exact J u per output (keys ``out0``...), for tangents named ``us`` (one per differentiable input)."""
        return self._higher(Expected.of(self.oracle.jvp(self.point, self._values(us))))

    def expected_jvp2(self, us: list[str], ws: list[str]) -> Expected:
        """The exact second directional derivative ∂²F[u, w] per output (keys ``out0``...): forward over forward."""
        return self._higher(Expected.of(self.oracle.jvp2(self.point, self._values(us), self._values(ws))))

    def expected_hvp(self, vs: list[str], us: list[str]) -> Expected:
        """The exact Hessian-vector product ∇²(vᵀF) u per differentiable input."""
        return self._higher(Expected.of(self.oracle.hvp(self.point, self._values(vs), self._values(us))))

    def expected_third(self, vs: list[str], us: list[str], ws: list[str]) -> Expected:
        """The exact third-order term: the derivative of ∇²(vᵀF) u along w, per differentiable input."""
        return self._higher(Expected.of(self.oracle.third(self.point, self._values(vs), self._values(us),
                                                          self._values(ws))))

    def _higher(self, expected: Expected) -> Expected:
        """A forward-mode or higher-order value: normwise entries get their matrix's largest bound."""
        return expected.matrixwise() if self.case.normwise else expected

    def expected_jacobian(self) -> Expected:
        """The exact Jacobian, keys ``out{k}/{input}`` with shape output + input (one row per output element)."""
        return jacobian(self.oracle, self.point, self.case)

    def expected_hessian(self, vs: list[str]) -> Expected:
        """The exact Hessian of vᵀF, keys ``{a}/{b}`` with shape a.shape + b.shape."""
        return hessian(self.oracle, self.point, self._values(vs), self.case)

    def _values(self, names: list[str]) -> list[np.ndarray]:
        return [self.weight_values[n] for n in names]

    # -- checks ----------------------------------------------------------------------------------
    def fail(self, title: str, detail: list[str] = (), expected_lines: list[str] = (), numeric: bool = False,
             relative: float | None = None) -> None:
        """Raise the kit's one failure format; failures a documented deviation covers are xfailed."""
        __tracebackhide__ = True
        weights = [f"{n} = {_short(v)} (layout {self.weight_layouts[n]})" for n, v in self.weight_values.items()]
        msg = failure_message(title=title, case=self.case.title, prop=self.prop, dtype=self.dtype,
                              device=self.device, detail=list(detail), inputs=self.values, weights=weights)
        self.raise_failure(msg, expected_lines, numeric, relative=relative)

    def check(self, expected: Expected, grads: dict[str, str] | None = None, what: str = "vᵀJ",
              dtype: torch.dtype | None = None, compute: torch.dtype | None = None,
              rounded: dict[str, torch.dtype] | None = None) -> None:
        """Assert each gradient (source expression, default ``x.grad``) equals the exact one within its bound.

        ``dtype``: the dtype the values must have (default the trial's; an output-shaped value such as a
        tangent has its output's dtype, e.g. float64 for ``float_power`` of float32 inputs).  ``compute``: the
        dtype whose roundoff bounds torch's computation (default the trial's); ``rounded``: gradient name ->
        the dtype a cast's backward rounds it to on its way to the leaf (``tolerance.cast``)."""
        __tracebackhide__ = True
        grads = grads or {n: f"{n}.grad" for n in self.grad_names}
        part_dtype = compute or component(self.dtype)
        rounded = rounded or {}
        ranges.gradients_within_range(expected, part_dtype, self._data)
        verdict = Verdict(widen=self.widening, accuracy=self.accuracy)
        for name, src in grads.items():
            got = self.eval(src)
            exact, errors = expected.grads[name], expected.errors[name]
            require_gradient(self, src, got, exact.shape, dtype or self.dtype, what,
                             lambda src=src, exact=exact, errors=errors: self._expected_lines(src, exact, errors))
            wide = torch.complex128 if self.dtype.is_complex else torch.float64
            values = got.detach().to("cpu", wide).clone().numpy()  # clone: a ZeroTensor has no numpy view
            values, exact, errors, parts = split_parts(values, exact, errors)
            bound = np.frompyfunc(lambda e: tolerance.bound(e, expected.terms, part_dtype), 1, 1)(errors)
            verdict = verdict.merge(compare(values, exact, np.asarray(bound, dtype=object), part_dtype, name=name,
                                            src=src, widen=self.widening, accuracy=self.accuracy,
                                            rounded=rounded.get(name), parts=parts))
        conclude(self, verdict, self.label, what, lambda v: self._expected_lines(
            v.src, expected.grads[v.name], expected.errors[v.name], part_dtype, rounded.get(v.name)))

    def _expected_lines(self, src: str, exact, errors, compute=None, rounded=None) -> list[str]:
        u = scale(compute or component(self.dtype)) * self.widening
        if self.dtype.is_complex:  # real and imaginary parts have their own bounds
            ex = np.vectorize(complex, otypes=[complex])(np.asarray(exact, dtype=object))
            bound = np.vectorize(lambda e: complex(u * e), otypes=[complex])(np.asarray(errors, dtype=object))
            return [f"expected = {tensor_source(ex, torch.complex128, self.device)}  # exact, rounded",
                    f"bound = {tensor_source(bound, torch.complex128, self.device)}  "
                    "# real part's bound + i imaginary's",
                    f"d = {src}.to(torch.complex128) - expected",
                    f"print({src}, (d.real.abs() / bound.real).max(), (d.imag.abs() / bound.imag).max())  "
                    "# > 1: deviation"]
        bound = np.vectorize(lambda e: float(u * e), otypes=[float])(np.asarray(errors, dtype=object))
        ex = np.vectorize(float, otypes=[float])(np.asarray(exact, dtype=object))
        bound = bound * (1 + self.accuracy / scale(compute or component(self.dtype)))  # torch's documented accuracy
        if rounded is not None:  # the cast's rounding of the result (tiny terms aside, as above)
            bound = bound + unit_roundoff(rounded) * np.abs(ex)
        return [f"expected = {tensor_source(ex, torch.float64, self.device)}  # exact, rounded to float64",
                f"bound = {tensor_source(bound, torch.float64, self.device)}",
                f"print({src}, ((({src}).double() - expected).abs() / bound).max())  # > 1 means a deviation"]


def _short(values: np.ndarray) -> str:
    return np.array2string(np.asarray(values), precision=17, separator=", ", threshold=64)
