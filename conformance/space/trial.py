"""A sized trial: one drawn Point of an elementwise entry, run through torch and checked at every element.

The tensors are built from source text (``draw.layout_source``) over numpy arrays bound in the script, so
the repro is the code that ran; arrays of more than ``LITERAL`` elements are written to an ``.npz`` file
the repro loads.  The comparison: each element of every gradient against the vectorized exact value
(``pointwise``), its bound K·u·E + (terms + 1)·tiny plus the reference's margin; a rejected element is
re-evaluated exactly before it is reported (``_confirm``).
"""
from __future__ import annotations

import itertools
import math
import os
import tempfile
from dataclasses import replace

import mpmath
import numpy as np
import torch
from hypothesis import target
from hypothesis.control import currently_in_test_context

from conformance import tolerance
from conformance.run import record
from conformance.run.compare import Verdict, compare, conclude, require_gradient
from conformance.run.failure import digits, failure_message
from conformance.run.trial import Script
from conformance.space.draw import Point, layout_source
from conformance.space.pointwise import pairwise_margin, pointwise_for, reference_dtype, reference_roundoff
from conformance.space.sample import positions

LITERAL = 64  # arrays up to this size are written into the repro; larger ones go to an .npz file
RECHECK = 16  # rejected elements re-evaluated exactly (the worst ones)
EXACT_SUM = 4096  # a broadcast-summed element of more terms is confirmed by the vectorized sum and its margin


class ReferenceError_(AssertionError):
    """The vectorized reference disagrees with the exact oracle beyond its margin: a defect of the kit."""


class ArrayScript(Script):
    """A script over numpy arrays bound by name: written into the repro up to ``LITERAL`` elements, larger
    ones saved to an ``.npz`` file the repro loads.  Failures carry ``describe()``'s lines."""

    case: object
    dtype: torch.dtype
    device: object
    prop: str
    _arrays: dict

    def _bind(self, name: str, array: np.ndarray) -> None:
        self.ns[name] = array
        self._arrays[name] = array
        if array.size <= LITERAL:
            self.lines.append(f"{name} = np.array({np.asarray(array).tolist()!r}, dtype=np.float64)")
        else:
            self.lines.append(f"{name} = REPRO[{name!r}]  # {array.size} values, shape {array.shape}")

    def describe(self) -> list[str]:
        return []

    def fail(self, title: str, detail=(), expected_lines=(), numeric: bool = False,
             relative: float | None = None) -> None:
        __tracebackhide__ = True
        msg = failure_message(title=title, case=self.case.name, prop=self.prop, dtype=self.dtype, device=self.device,
                              detail=[*detail, *self.describe()], inputs={})
        self.raise_failure(msg, expected_lines, numeric, header=self._repro_header(), relative=relative)

    def _repro_header(self) -> list[str]:
        big = {k: v for k, v in self._arrays.items() if v.size > LITERAL}
        if not big:
            return []
        folder = os.path.join(tempfile.gettempdir(), "autograd-conformance-repros")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{self.case.name}-{str(self.dtype).removeprefix('torch.')}-{os.getpid()}.npz")
        np.savez(path, **big)
        return ["import numpy as np", f"REPRO = np.load({path!r})  # the drawn arrays"]


class SizedTrial(ArrayScript):
    def __init__(self, case, dtype: torch.dtype, device, point: Point, prop: str, exclude=(), status=None):
        """``exclude``: flat positions not compared with the exact value (special lanes, see ``check_lanes``);
        ``status``: the item's Status (``Trial``)."""
        self.case, self.dtype, self.device, self.point, self.prop = case, dtype, device, point, prop
        self.status = status
        record.trial(self)  # the drawn point a Status's condition reads
        self.exclude = np.array(sorted(exclude), dtype=np.int64)
        self.pw = pointwise_for(case)
        self.ns: dict = {"torch": torch, "F": torch.nn.functional, "np": np, **case.helpers}
        self.lines = ["import numpy as np", "import torch", "import torch.nn.functional as F"]
        self._arrays: dict[str, np.ndarray] = {}
        for o in point.operands:
            self._bind(f"{o.name}_values", o.values)
            grad = ".requires_grad_()" if o.grad else ""
            self.run(f"{o.name} = {layout_source(o.name, o.values, o.layout, dtype, device)}{grad}")

    def forward_backward(self) -> None:
        self.run(f"out = {self.case.call}")
        outs = ["out"] if self.pw.n_outputs == 1 else [f"out[{m}]" for m in range(self.pw.n_outputs)]
        for m, w in enumerate(self.point.weights):
            self._bind(f"gy{m}_values", w)
            self.run(f"gy{m} = torch.from_numpy(gy{m}_values.copy()).to({str(self.device)!r}, "
                     f"torch.{str(self.dtype).removeprefix('torch.')})")
        got = [self.ns["out"]] if self.pw.n_outputs == 1 else list(self.ns["out"])
        shapes = [tuple(t.shape) for t in got]
        if any(s != self.point.shape for s in shapes):
            self.fail(f"torch's output shapes {shapes} are not the broadcast shape {self.point.shape}")
        # an output that needs no gradient (it depends on constant operands only) takes no part
        live = [m for m, t in enumerate(got) if t.requires_grad]
        grads = ", ".join(f"gy{m}" for m in live)
        self.run(f"torch.autograd.backward([{', '.join(outs[m] for m in live)}], grad_tensors=[{grads}])")

    # -- the check -------------------------------------------------------------------------------
    def expected(self) -> dict[str, tuple]:
        """Per differentiable operand: (exact-to-margin value, E, margin, terms), at the operand's shape."""
        vals = {o.name: o.values for o in self.point.operands}
        if not self.pw.vectorized(self.dtype):
            return self._sampled()
        full = self.pw.evaluate(vals, self.point.weights, self.dtype)
        self._patch_nonfinite(full)
        u_ref = reference_roundoff(reference_dtype(self.dtype))
        out = {}
        for o in self.point.operands:
            if not o.grad:
                continue
            g, e, margin = full[o.name]
            axes = _broadcast_axes(self.point.shape, o.values.shape)
            count = int(np.prod([self.point.shape[a] for a in axes], dtype=np.int64)) if axes else 1
            if axes:
                size = np.abs(g).astype(np.float64).sum(axis=axes)
                g = g.sum(axis=axes).reshape(o.values.shape)
                e = (e.sum(axis=axes) + math.ceil(math.log2(max(count, 1))) * size).reshape(o.values.shape)
                margin = (margin.sum(axis=axes) + pairwise_margin(count, u_ref) * size).reshape(o.values.shape)
            out[o.name] = (np.asarray(g), np.asarray(e), np.asarray(margin), self.pw.n_outputs * count, axes)
        return out

    def _patch_nonfinite(self, full: dict) -> None:
        """Elements the vectorized reference could not evaluate (an overflow, 0·inf) evaluated exactly."""
        shape = self.point.shape
        for name, (g, e, margin) in full.items():
            bad = np.setdiff1d(np.flatnonzero(~(np.isfinite(g) & np.isfinite(e)).reshape(-1)), self.exclude)
            if not bad.size:
                continue
            if bad.size > EXACT_SUM:
                raise ReferenceError_(f"{self.case.name}: the vectorized reference is not finite at {bad.size} "
                                      "elements")
            g, e, margin = g.copy(), e.copy(), margin.copy()
            for flat in bad:
                pos = np.unravel_index(flat, shape)
                point = {p.name: p.values[_at(p.values.shape, pos)] for p in self.point.operands}
                ex, err = self.pw.exact(point, [w[pos] for w in self.point.weights])[name]
                g[pos], e[pos], margin[pos] = g.dtype.type(mpmath.nstr(ex, 25)), float(err), 2.0**-60 * abs(float(ex))
            full[name] = (g, e, margin)

    def _sampled(self) -> dict[str, tuple]:
        """The exact values at the documented sample of positions (``sample``), NaN elsewhere (unchecked)."""
        shape = self.point.shape
        picked = positions(self.point.size, np.random.default_rng(self.point.seed))
        out = {}
        for o in self.point.operands:
            if not o.grad:
                continue
            g, e = np.full(shape, np.nan), np.zeros(shape)
            for flat in np.setdiff1d(picked, self.exclude):
                pos = np.unravel_index(flat, shape)
                point = {p.name: p.values[pos] for p in self.point.operands}
                ex, err = self.pw.exact(point, [w[pos] for w in self.point.weights])[o.name]
                g[pos], e[pos] = float(ex), float(err)
            out[o.name] = (g, e, 2.0**-53 * np.abs(g), self.pw.n_outputs, ())
        return out

    def check(self) -> float:
        """Every element of every ``.grad`` within its bound (``compare``: the item's widening and the range rule
        applied); returns the worst ratio (also Hypothesis's target)."""
        __tracebackhide__ = True
        verdict = Verdict(widen=self.widening, accuracy=self.accuracy)
        for name, (g, e, margin, terms, axes) in self.expected_cache.items():
            grad = self.ns[name].grad
            require_gradient(self, f"{name}.grad", grad, g.shape, self.dtype)
            got = grad.detach().to("cpu", torch.float64).clone().numpy().astype(g.dtype)  # clone: a ZeroTensor
            bound = tolerance.scale(self.dtype) * e + (terms + 1) * tolerance.tiny(self.dtype) + margin
            skip = np.isnan(g)  # outside the sample (see ``sample``): not checked
            skip.reshape(-1)[self.exclude] = True
            found = compare(got, g, bound, self.dtype, name=name, widen=self.widening, accuracy=self.accuracy,
                            skip=skip)
            verdict = verdict.merge(self._confirm(found, got, terms, axes) if found.over else found)
        self._cross_check()
        conclude(self, verdict, f"{self.case.name}-{str(self.dtype).removeprefix('torch.')}", expected_lines=_lines)
        if currently_in_test_context():
            target(min(verdict.ratio, 1e6), label="error / bound")
        return verdict.ratio

    def _confirm(self, found: Verdict, got: np.ndarray, terms: int, axes) -> Verdict:
        """The verdict on the rejected elements the exact oracle confirms (up to ``RECHECK``, the worst first, are
        re-evaluated exactly): its worst element is the exact comparison's."""
        ratios = found.ratios.reshape(-1)
        over = np.flatnonzero(ratios > 1)
        idxs, values, exact, bound = [], [], [], []
        for flat in over[np.argsort(-ratios[over])][:RECHECK]:
            idx = tuple(int(i) for i in np.unravel_index(flat, got.shape))
            ex, error = self._exact_at(found.name, idx, axes)
            idxs.append(idx)
            values.append(float(got[idx]))
            exact.append(ex)
            bound.append(tolerance.bound(error, terms, self.dtype))
        exactly = compare(np.array(values), np.array(exact, dtype=object), np.array(bound, dtype=object), self.dtype,
                          name=found.name, widen=found.widen, accuracy=found.accuracy,
                          locate=lambda at: idxs[at[0]])
        if not exactly.over:
            raise ReferenceError_(f"{self.case.name}: the vectorized reference rejected {over.size} elements of "
                                  f"{found.name}.grad that the exact oracle accepts: the reference's margin is wrong")
        idx = exactly.worst.index
        at = ", ".join(f"{o.name} = {float(o.values[_at(o.values.shape, idx)])!r}" for o in self.point.operands
                       if not _broadcast_axes(self.point.shape, o.values.shape))
        return replace(found, worst=exactly.worst, relative=exactly.relative, context=f" at {at}" if at else "",
                       note=f" (confirmed exactly: {exactly.over} of the {len(idxs)} worst)")

    def _exact_at(self, name: str, idx: tuple, axes) -> tuple:
        """The exact gradient element and its E (a sum over the broadcast positions it gathers)."""
        positions = _positions(self.point.shape, idx, axes)
        if len(positions) > EXACT_SUM:  # too many terms to sum in mpmath: the vectorized sum and its margin
            g, e, margin, _, _ = self.expected_cache[name]
            return mpmath.mpf(str(g[idx])), mpmath.mpf(float(e[idx])) + mpmath.mpf(float(margin[idx])) / (
                tolerance.scale(self.dtype))
        total, error, parts = mpmath.mpf(0), mpmath.mpf(0), []
        with mpmath.workdps(50):
            for pos in positions:
                point = {o.name: o.values[_at(o.values.shape, pos)] for o in self.point.operands}
                ex, e = self.pw.exact(point, [w[pos] for w in self.point.weights])[name]
                total += ex
                error += e
                parts.append(mpmath.fabs(ex))
            if len(positions) > 1:
                error += math.ceil(math.log2(len(positions))) * mpmath.fsum(parts)
        return total, error

    def _cross_check(self, count: int = 3) -> None:
        """A few elements (the first, the last, one between) against the exact oracle: the reference's check."""
        for o in self.point.operands:
            if not o.grad or _broadcast_axes(self.point.shape, o.values.shape) or not self.pw.vectorized(self.dtype):
                continue
            g, _, margin, _, axes = self.expected_cache[o.name]
            n = g.size
            for flat in sorted({0, n - 1, n // 2} - set(self.exclude.tolist()))[:count] if n else []:
                idx = np.unravel_index(flat, g.shape)
                exact, _ = self._exact_at(o.name, idx, axes)
                with mpmath.workdps(50):
                    diff = mpmath.fabs(mpmath.mpf(str(g[idx])) - exact)
                if diff > margin[idx] * 1.01 + 1e-300:
                    raise ReferenceError_(f"{self.case.name}: vectorized reference {g[idx]!r} at {o.name}{list(idx)} "
                                          f"is {digits(diff, 3)} from the exact {digits(exact)}, margin "
                                          f"{margin[idx]:.3g}")

    @property
    def expected_cache(self) -> dict:
        if not hasattr(self, "_expected"):
            self._expected = self.expected()
        return self._expected

    def check_lanes(self, special: dict[int, float]) -> None:
        """At each special lane, every ``.grad`` equals torch's for that element alone (NaN where it is NaN):
        a result that depends on the position or the tensor's length is a deviation."""
        __tracebackhide__ = True
        dt, dev = f"torch.{str(self.dtype).removeprefix('torch.')}", repr(str(self.device))
        for p in sorted(special):
            one = {o.name: f"{o.name}_{p}" for o in self.point.operands}
            for o in self.point.operands:
                self.run(f"{one[o.name]} = torch.tensor([{_float_source(o.values[p])}], dtype={dt}, device={dev})"
                         ".requires_grad_()")
            args = ", ".join(one[n] for n in self.pw.names)
            self.run(f"alone = (lambda {', '.join(self.pw.names)}: {self.case.call})({args})")
            outs = ["alone"] if self.pw.n_outputs == 1 else [f"alone[{m}]" for m in range(self.pw.n_outputs)]
            weights = ", ".join(f"gy{m}[{p}:{p + 1}]" for m in range(self.pw.n_outputs))
            self.run(f"torch.autograd.backward([{', '.join(outs)}], grad_tensors=[{weights}])")
            for o in self.point.operands:
                long, single = self.ns[o.name].grad, self.ns[one[o.name]].grad
                a = long.detach().reshape(-1)[p].item() if long is not None else None
                b = single.detach().reshape(-1)[0].item() if single is not None else None
                same = a == b or (a is not None and b is not None and math.isnan(a) and math.isnan(b))
                if not same:  # a value, numeric: a documented lane deviation covers it
                    self.fail(f"{o.name}.grad[{p}] is {a!r} in a tensor of {self.point.size} elements but {b!r} for "
                              f"the same element alone (input {special[p]!r} at position {p})",
                              expected_lines=[f"print({o.name}.grad[{p}].item(), {one[o.name]}.grad.item())  "
                                              "# must be equal (both NaN counts as equal)"], numeric=True)

    def describe(self) -> list[str]:
        p = self.point
        lines = [f"broadcast shape {p.shape} ({p.size} elements)"]
        for o in p.operands:
            lines.append(f"input {o.name}: shape {o.values.shape}, layout {o.layout}, values {o.kind}, "
                         f"requires_grad={o.grad}")
        lines += [f"weight gy{m}: {k}" for m, k in enumerate(p.weight_kinds)]
        return lines


def _lines(verdict: Verdict) -> list[str]:
    w = verdict.worst
    return [f"print({verdict.src}[{', '.join(map(str, w.index))}].item() - {float(w.exact)!r})  "
            f"# exact {digits(w.exact)}, bound {digits(w.bound, 3)}"]


def _float_source(value: float) -> str:
    return f"float({str(float(value))!r})" if not math.isfinite(value) else repr(float(value))


def _broadcast_axes(shape: tuple, own: tuple) -> tuple[int, ...]:
    """The axes of the broadcast ``shape`` that an operand of shape ``own`` is summed over."""
    lead = len(shape) - len(own)
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(own) if n == 1 and shape[lead + i] != 1)


def _at(own: tuple, pos: tuple) -> tuple:
    """The element of an operand of shape ``own`` at broadcast position ``pos``."""
    lead = len(pos) - len(own)
    return tuple(0 if n == 1 else p for n, p in zip(own, pos[lead:]))


def _positions(shape: tuple, idx: tuple, axes: tuple) -> list[tuple]:
    """The broadcast positions whose terms sum into the operand element ``idx`` (of the reduced shape)."""
    if not axes:
        return [tuple(idx)]
    lead = len(shape) - len(idx)
    fixed = {lead + i: v for i, v in enumerate(idx)}
    ranges = [range(shape[d]) if d in axes else [fixed[d]] for d in range(len(shape))]
    return list(itertools.product(*ranges))
