"""GEMM-sized examples of the bilinear entries (those declaring ``contraction``), checked by the sampled
exact rule (``contraction``).

Each letter of the signature takes a size from ``SIZES`` (block and vector edges: 2^k − 1, 2^k, 2^k + 1
up to 513), the product of all letters (the multiply-adds of the forward) within the profile's
``BUDGET`` and every tensor within ``TENSOR`` elements (a batched operand such as ``bjk`` would
otherwise hold the whole product); half the draws put every letter at the largest common size the
budget allows (512 each for a three-letter GEMM in ``ci``), so one example meets it.  Inputs are contiguous
or transposed leaves (stepped for vectors), values uniform in the entry's domain, weights uniform in [−1, 1], both
exactly representable in the dtype; the second input may be constant.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis import target
from hypothesis.control import currently_in_test_context

from conformance import tolerance
from conformance.model.contraction import Signature
from conformance.run.compare import Verdict, compare, conclude, require_gradient
from conformance.run.failure import digits
from conformance.run.strategies import real_array, representable
from conformance.space.contraction import axis_positions, sampled_gradient
from conformance.space.draw import layout_source
from conformance.space.trial import ArrayScript

SIZES = (1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513)
BUDGET = {"ci": 512**3, "nightly": 1024**3}  # multiply-adds of the forward: the product of all letter sizes
TENSOR = {"ci": 2**20, "nightly": 2**22}  # elements of each input and of the output (a batched operand's memory)
MARGIN = 2.0**-100  # the sampled exact value's relative error (a float64 pair from two correctly rounded sums)


@dataclass(frozen=True)
class GemmPoint:
    sizes: dict[str, int]
    layouts: tuple[str, str]
    constant: bool  # the second input built without requires_grad
    seed: int


def _sizes(profile: str):
    return SIZES + ((1023, 1024, 1025) if profile == "nightly" else ())


@st.composite
def gemm_points(draw, case, profile: str) -> GemmPoint:
    sig = Signature.parse(case.contraction)
    key = "nightly" if profile == "nightly" else "ci"
    sizes_list, budget, letters = _sizes(profile), BUDGET[key], sig.letters
    parts = (*sig.inputs, sig.output)

    def fits(sizes: dict) -> bool:  # within the multiply-add budget, and every tensor within its element cap
        return (math.prod(sizes.values()) <= budget
                and all(math.prod(sizes.get(c, 1) for c in part) <= TENSOR[key] for part in parts))

    if draw(st.booleans(), label="largest sizes"):
        top = max(s for s in sizes_list if fits(dict.fromkeys(letters, s)))
        sizes = dict.fromkeys(letters, top)
    else:
        sizes = {}
        for c in letters:
            sizes[c] = draw(st.sampled_from([s for s in sizes_list if fits({**sizes, c: s})]), label=f"size of {c}")
    layouts = tuple(draw(st.sampled_from(("contiguous", "transposed") if len(part) >= 2 else ("contiguous", "stepped")),
                         label=f"layout of input {k}") for k, part in enumerate(sig.inputs))
    constant = draw(st.booleans(), label="second input constant")
    return GemmPoint(sizes, layouts, constant, draw(st.integers(0, 2**32 - 1), label="seed"))


class GemmTrial(ArrayScript):
    """One GEMM-sized example: the call, ``out.backward(gradient=gy0)``, and each ``.grad`` at the sample."""

    def __init__(self, case, dtype: torch.dtype, device, point: GemmPoint, prop: str = "gemm_vjp", status=None):
        self.case, self.dtype, self.device, self.point, self.prop = case, dtype, device, point, prop
        self.status = status  # the item's Status (``Trial``)
        self.sig = Signature.parse(case.contraction)
        self.rng = np.random.default_rng(point.seed)
        self.ns: dict = {"torch": torch, "F": torch.nn.functional, "np": np, **case.helpers}
        self.lines = ["import numpy as np", "import torch", "import torch.nn.functional as F"]
        self._arrays: dict[str, np.ndarray] = {}
        self.names = [a.name for a in case.args]
        self.values = []
        for k, (arg, part) in enumerate(zip(case.args, self.sig.inputs)):
            shape = tuple(point.sizes[c] for c in part)
            values = real_array(arg.domain.of(*shape), dtype, "uniform", self.rng)
            self.values.append(values)
            self._bind(f"{arg.name}_values", values)
            grad = "" if (k == 1 and point.constant) else ".requires_grad_()"
            self.run(f"{arg.name} = {layout_source(arg.name, values, point.layouts[k], dtype, device)}{grad}")

    def forward_backward(self) -> None:
        self.run(f"out = {self.case.call}")
        shape = tuple(self.point.sizes[c] for c in self.sig.output)
        if tuple(self.ns["out"].shape) != shape:
            self.fail(f"torch's output shape {tuple(self.ns['out'].shape)} is not the signature's {shape}")
        self.weight = representable(self.rng.uniform(-1.0, 1.0, shape), self.dtype)
        self._bind("gy0_values", self.weight)
        self.run(f"gy0 = torch.from_numpy(gy0_values.copy()).to({str(self.device)!r}, "
                 f"torch.{str(self.dtype).removeprefix('torch.')})")
        self.run("out.backward(gradient=gy0)")

    def check(self) -> float:
        """Every sampled element of every ``.grad`` within its bound (``compare``); returns the worst ratio."""
        __tracebackhide__ = True
        verdict = Verdict(widen=self.widening, accuracy=self.accuracy)
        terms = math.prod(self.point.sizes[c] for c in self.sig.output)
        u, tiny = tolerance.scale(self.dtype), tolerance.tiny(self.dtype)
        for k, name in enumerate(self.names):
            if k == 1 and self.point.constant:
                continue
            grad = self.ns[name].grad
            require_gradient(self, f"{name}.grad", grad, self.values[k].shape, self.dtype)
            picks = [axis_positions(n, self.rng) for n in self.values[k].shape]
            exact, err, count = sampled_gradient(self.sig, k, self.values, self.weight, picks)
            got = grad.detach().to("cpu", torch.float64).numpy()[np.ix_(*picks)] if picks else (
                grad.detach().to("cpu", torch.float64).numpy())
            bound = u * err + (terms + 1) * tiny + MARGIN * np.abs(exact[..., 0])
            found = compare(got, exact[..., 0], bound, self.dtype, name=name, widen=self.widening,
                            accuracy=self.accuracy, low=exact[..., 1],
                            locate=lambda at, picks=picks: tuple(int(p[i]) for p, i in zip(picks, at)))
            verdict = verdict.merge(replace(found, context=f" (a sum of {count} products)", note=" sampled"))
        conclude(self, verdict, f"{self.case.name}-{str(self.dtype).removeprefix('torch.')}", expected_lines=lambda v: [
            f"print({v.src}[{', '.join(map(str, v.worst.index))}].item() - {float(v.worst.exact)!r})  "
            f"# bound {digits(v.worst.bound, 3)}"])
        if currently_in_test_context():
            target(min(verdict.ratio, 1e6), label="error / bound")
        return verdict.ratio

    def describe(self) -> list[str]:
        p = self.point
        lines = [f"sizes {p.sizes} ({self.case.contraction})"]
        for k, name in enumerate(self.names):
            lines.append(f"input {name}: shape {self.values[k].shape}, layout {p.layouts[k]}, "
                         f"requires_grad={not (k == 1 and p.constant)}")
        return lines
