"""Drawing the input space real kernels see: sizes where code paths switch, broadcast shapes, layouts,
constant operands, values beyond the bulk, and special lanes.

Sizes come in *bands*, each biased toward where kernels change path:

* ``small``: 0, 1, 2, 3 and 2**k - 1, 2**k, 2**k + 1 up to 65 (the scalar tail after a vector);
* ``vector``: 2**k - 1, 2**k, 2**k + 1 for k = 7..12 and sizes between (vectorized loops, unrolling);
* ``grain``: 32769, 32768, 32767 (the CPU's parallel grain; the simplest, 32769, is past it), 2**16 + 1 and
  100,003 (several parallel chunks); the nightly profile adds 2**16 - 1, 2**16, 131,073, 262,147 and 1,000,003.

The innermost dimension has the band's size; up to two leading dimensions of 1 to 3 (1 to 2 in the
grain band) make batched shapes.

Every Hypothesis choice is a small integer or a pick from a list ordered simplest first, so a failing
example shrinks toward a smaller size, fewer dimensions, the contiguous layout, every input requiring
grad, full shapes and plain uniform values.  Element values come from a seed (numpy), as in
``conformance.run.strategies``, and are exactly representable in the tested dtype.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from hypothesis import strategies as st

from conformance.model.case import Case
from conformance.model.domain import Real
from conformance.run.strategies import INPUT_KINDS, WEIGHT_KINDS, real_array, representable, weight_array

_TAILS = tuple(2**k + d for k in range(2, 7) for d in (-1, 0, 1))
BANDS = {
    "small": (1, 2, 3, 0, *sorted(set(_TAILS))),
    "vector": tuple(sorted({2**k + d for k in range(7, 13) for d in (-1, 0, 1)} | {100, 1000, 3000})),
    "grain": (32769, 32768, 32767, 65537, 100_003),  # simplest first: just past the grain (ci's first example)
}
NIGHTLY_SIZES = (65535, 65536, 131_073, 262_147, 1_000_003)  # more parallel chunks: the nightly profile only
LAYOUTS = ("contiguous", "transposed", "stepped", "offset", "expanded")  # and "number" for a constant 0-d operand
OPERANDS = ("full", "suffix", "ones", "scalar", "number")  # how a further operand broadcasts against the first
# ("number": a constant Python float where the call takes one, else a 0-d tensor)
VALUE_KINDS = (*INPUT_KINDS, "tails")
_SEEDS = st.integers(0, 2**32 - 1)


@dataclass
class Operand:
    name: str
    values: np.ndarray  # float64 holding dtype values, at the operand's own shape
    layout: str
    grad: bool
    kind: str


@dataclass
class Point:
    """One drawn example: the broadcast shape, the operands and one weight array per output."""

    shape: tuple[int, ...]
    operands: list[Operand]
    weights: list[np.ndarray]
    weight_kinds: list[str] = field(default_factory=list)
    seed: int = 0

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


def sizes(band: str, nightly: bool = False) -> st.SearchStrategy[int]:
    if band not in BANDS:
        raise ValueError(f"unknown size band {band!r}; known: {', '.join(BANDS)}")
    extra = NIGHTLY_SIZES if nightly and band == "grain" else ()
    return st.sampled_from(BANDS[band] + extra)


def shape_of(size: int, ndim: int, lead: int) -> tuple[int, ...]:
    """A shape whose innermost dimension is ``size`` (the path-switching count), ``ndim`` dimensions, the
    leading ones of size ``lead`` (kept small, so the total stays near the band)."""
    return (*(lead,) * (ndim - 1), size)


def operand_shape(shape: tuple[int, ...], how: str, rng: np.random.Generator) -> tuple[int, ...]:
    """A shape broadcasting to ``shape``: itself, a trailing part (a lower-rank operand against a batched
    one), itself with some dimensions 1, or a 0-d tensor."""
    if how == "suffix" and len(shape) > 1:
        return shape[rng.integers(1, len(shape)):]
    if how == "ones" and shape:
        ones = rng.random(len(shape)) < 0.5
        ones[rng.integers(len(shape))] = True
        return tuple(1 if o else n for o, n in zip(ones, shape))
    if how in ("scalar", "number"):  # a 0-d tensor, or a Python number
        return ()
    return shape


def tails(domain: Real, rng: np.random.Generator, n: int) -> np.ndarray:
    """Values in the outer tenth of the domain at either end (where formulas lose digits), and, where the
    domain declares ``beyond``, log-uniformly out to it (large arguments, toward overflow)."""
    width = (domain.hi - domain.lo) / 10
    lo, hi = domain.beyond or (domain.lo, domain.hi)
    lower = rng.random(n) < 0.5
    near = np.where(lower, rng.uniform(domain.lo, domain.lo + width, n), rng.uniform(domain.hi - width, domain.hi, n))
    if domain.beyond is None:
        return near
    far = rng.random(n) < 0.5
    out_lo = -np.exp(rng.uniform(np.log(max(-domain.lo, 1.0)), np.log(max(-lo, 1.0)), n))
    out_hi = np.exp(rng.uniform(np.log(max(domain.hi, 1.0)), np.log(max(hi, 1.0)), n))
    return np.where(far, np.clip(np.where(lower, out_lo, out_hi), lo, hi), near)


def values(domain: Real, shape: tuple, dtype: torch.dtype, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Values of ``shape`` inside ``domain``, exactly representable in ``dtype``."""
    if kind == "tails":
        n = int(np.prod(shape, dtype=np.int64))
        raw = representable(tails(domain, rng, n), dtype)
        lo, hi = domain.beyond or (domain.lo, domain.hi)
        inside = (raw >= lo) & (raw <= hi)
        for p in domain.avoid:
            inside &= np.abs(raw - p) >= domain.margin
        filler = real_array(domain.of(n), dtype, "uniform", rng)
        return np.where(inside, raw, filler).reshape(shape)
    return real_array(domain.of(*shape), dtype, kind, rng)


@st.composite
def points(draw, case: Case, dtype: torch.dtype, band: str, nightly: bool = False):
    """A Point of an elementwise entry in ``band`` (None where its joint constraint cannot be met)."""
    size = draw(sizes(band, nightly), label="size")
    ndim = draw(st.integers(1, 3), label="ndim")
    shape = shape_of(size, ndim, draw(st.integers(1, 2 if size >= 32767 else 3), label="lead"))
    real = list(case.args)
    operands = []
    rng_seed = draw(_SEEDS, label="seed")
    rng = np.random.default_rng(rng_seed)
    grads = [a.differentiable for a in real]
    if len(real) > 1:  # some operands constant (no gradient needed), at least one differentiable
        grads = [draw(st.booleans().map(lambda b: not b), label=f"{a.name} requires grad") for a in real]
        if not any(grads):
            grads[0] = True
    from conformance.space.pointwise import pointwise_for
    every = pointwise_for(case).vectorized(dtype)  # else a sample of elements, of full-shape operands only
    for i, a in enumerate(real):
        how = ("full" if i == 0 or case.kinks is not None or not every
               else draw(st.sampled_from(OPERANDS), label=f"{a.name} shape"))
        if how == "number" and not accepts_number(case, i):
            how = "scalar"
        own = operand_shape(shape, how, rng)
        layout = draw(st.sampled_from(LAYOUTS), label=f"{a.name} layout")
        if layout == "transposed" and len(own) < 2:
            layout = "stepped" if own else "contiguous"
        if layout == "stepped" and not own:
            layout = "contiguous"
        if how == "number":  # torch's wrapped-scalar path: a constant, so the others need a gradient
            layout, grads[i] = "number", False
        if layout == "expanded" and (not own or own[-1] < 2 or case.kinks is not None):
            layout = "contiguous"
        kind = draw(st.sampled_from(VALUE_KINDS), label=f"{a.name} values")
        vals = values(a.domain, own, dtype, kind, rng)
        if layout == "expanded":  # one value along the last dimension, built with stride 0 there
            vals = np.ascontiguousarray(np.broadcast_to(vals[..., :1], own))
        operands.append(Operand(a.name, vals, layout, grads[i], kind))
    if not any(o.grad for o in operands):  # a Python number made the only differentiable operand constant
        operands[0].grad = True
    if case.kinks is not None and not _meet_kinks(case, operands, dtype, rng):
        return None
    out_shape = np.broadcast_shapes(*(o.values.shape for o in operands))
    weights, kinds = [], []
    for m in range(_outputs(case)):
        kind = draw(st.sampled_from(WEIGHT_KINDS), label=f"gy{m} kind")
        weights.append(weight_array(out_shape, dtype, kind, rng))
        kinds.append(kind)
    return Point(tuple(out_shape), operands, weights, kinds, rng_seed)


def _outputs(case: Case) -> int:
    from conformance.space.pointwise import pointwise_for
    return pointwise_for(case).n_outputs


def _meet_kinks(case: Case, operands: list[Operand], dtype, rng, tries: int = 50) -> bool:
    """Redraw, element by element, the positions where the entry's joint constraint fails (full shapes)."""
    if operands[0].values.size == 0:
        return True
    for _ in range(tries):
        bad = case.kinks.excluded(*(o.values for o in operands))
        bad = bad.reshape(-1, *operands[0].values.shape).any(axis=0)  # several constraints per element
        if not bad.any():
            return True
        for o, a in zip(operands, case.args):
            o.values[bad] = real_array(a.domain.of(int(bad.sum())), dtype, "uniform", rng)
    return False


_NUMBERS: dict[tuple[str, int], bool] = {}


def accepts_number(case: Case, i: int) -> bool:
    """Whether torch's call takes a Python number for input ``i`` (probed once, at one-element tensors): only
    then may a constant 0-d operand be drawn as one, the scalar-operand overload real code calls."""
    key = (case.name, i)
    if key not in _NUMBERS:
        ns = {"torch": torch, "F": torch.nn.functional, **case.helpers}
        for k, a in enumerate(case.args):
            value = float(real_array(a.domain.of(1), torch.float64, "uniform", np.random.default_rng(0))[0])
            ns[a.name] = value if k == i else torch.tensor([value], dtype=torch.float64, requires_grad=k != i)
        try:
            out = eval(case.call, ns)  # noqa: S307 - the catalogue's own call
            _NUMBERS[key] = all(isinstance(o, torch.Tensor) for o in (out if isinstance(out, tuple) else (out,)))
        except Exception:  # noqa: BLE001 - whatever the call raises for a number: it takes none there
            _NUMBERS[key] = False
    return _NUMBERS[key]


def layout_source(name: str, values: np.ndarray, layout: str, dtype: torch.dtype, device) -> str:
    """Source building a tensor equal to ``<name>_values`` (a numpy array bound in the script) in ``layout``
    (``number``: a Python float, for a constant 0-d operand)."""
    dt, dev, v = f"torch.{str(dtype).removeprefix('torch.')}", repr(str(device)), f"{name}_values"
    if layout == "number":
        return f"float({v})"
    if layout == "transposed":
        return f"torch.from_numpy(np.ascontiguousarray(np.swapaxes({v}, -1, -2))).to({dev}, {dt}).transpose(-1, -2)"
    if layout == "stepped":
        return f"torch.from_numpy(np.repeat({v}, 2, axis=-1)).to({dev}, {dt})[..., ::2]"
    if layout == "expanded":
        return (f"torch.from_numpy(np.ascontiguousarray({v}[..., :1])).to({dev}, {dt})"
                f".expand({tuple(values.shape)})")
    if layout == "offset":
        return (f"torch.from_numpy(np.concatenate([np.zeros(3), {v}.reshape(-1)])).to({dev}, {dt})[3:]"
                f".view({tuple(values.shape)})")
    return f"torch.from_numpy({v}.copy()).to({dev}, {dt})"


SPECIALS = (float("nan"), float("inf"), float("-inf"))
LANE_SIZES = (17, 31, 33, 63, 65, 127, 129, 1023, 1025, 32769)


def lane_positions(n: int) -> tuple[int, ...]:
    """Where a special value may sit: before, in and after a full vector, mid-tensor, the scalar tail."""
    tail = n - n % 16
    return tuple(sorted({p for p in (0, 1, 7, 8, 15, 16, n // 2, tail - 1, tail, n - 1) if 0 <= p < n}))


@st.composite
def lanes(draw, case: Case, dtype: torch.dtype):
    """A 1-D Point (full-shape operands) with NaN or ±inf at chosen positions of one differentiable operand;
    returns (point, {position: special value})."""
    n = draw(st.sampled_from(LANE_SIZES), label="size")
    rng_seed = draw(_SEEDS, label="seed")
    rng = np.random.default_rng(rng_seed)
    operands = []
    for a in case.args:
        layout = draw(st.sampled_from(("contiguous", "stepped", "offset")), label=f"{a.name} layout")
        operands.append(Operand(a.name, values(a.domain, (n,), dtype, "uniform", rng), layout, True, "uniform"))
    if case.kinks is not None and not _meet_kinks(case, operands, dtype, rng):
        return None
    which = draw(st.integers(0, len(operands) - 1), label="special operand")
    picked = draw(st.lists(st.sampled_from(lane_positions(n)), min_size=1, max_size=4, unique=True), label="positions")
    special = {p: draw(st.sampled_from(SPECIALS), label=f"value at {p}") for p in picked}
    for p, v in special.items():
        operands[which].values[p] = v
    operands[which].kind = f"uniform, {', '.join(f'{v} at {p}' for p, v in sorted(special.items()))}"
    weights = [weight_array((n,), dtype, "unit", rng) for _ in range(_outputs(case))]
    return Point((n,), operands, weights, ["unit"] * len(weights), rng_seed), special
