"""Conditions over a drawn example: where a known deviation shows.

A deviation that shows at some draws only (a NaN lane in the vectorized loop, an intermediate past
float16's range, a transposed input, an exponent of exactly 0) carries a ``Condition``: a named predicate
over the trial (``draw``) that holds exactly at the draws where it shows.  Where it holds, the deviation
covers its failure (its envelope or symptom); where it does not, the example is strict.

A predicate reads the trial's drawn example through these attributes (missing ones read as empty):
``values`` (input name -> values), ``layouts`` (input name -> memory layout), ``weight_values`` and
``weight_layouts`` (weights and tangents by their recorded names: ``gy0``, ``u_x``...), ``dtype``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Condition:
    """``name``: what holds, in words (messages and the ledger show it); ``test(draw) -> bool``."""
    name: str
    test: Callable[[object], bool]

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("a condition needs a name: what holds at the draws where the deviation shows")
        if not callable(self.test):
            raise TypeError(f"condition {self.name!r}: test must be callable (draw -> bool), not {self.test!r}")

    def __call__(self, draw) -> bool:
        return bool(self.test(draw))

    def __str__(self) -> str:
        return self.name

    def __or__(self, other: "Condition") -> "Condition":
        return Condition(f"{self.name}, or {other.name}", lambda d: self(d) or other(d))


def _operands(draw) -> list:
    point = getattr(draw, "point", None)
    return list(getattr(point, "operands", None) or ()) if not isinstance(point, dict) else []


def values(draw) -> dict[str, np.ndarray]:
    """Input name -> drawn values (a trial's ``values``, or a sized trial's operands)."""
    found = getattr(draw, "values", None)
    if not isinstance(found, dict):
        found = {o.name: o.values for o in _operands(draw)}
    return {k: np.asarray(v) for k, v in found.items()}


def layouts(draw) -> dict[str, str]:
    """Input name -> memory layout of its leaf (``contiguous`` where none was drawn)."""
    found = getattr(draw, "layouts", None)
    if not isinstance(found, dict):
        found = {o.name: o.layout for o in _operands(draw)}
    return {k: found.get(k, "contiguous") for k in values(draw)}


def weights(draw) -> dict[str, np.ndarray]:
    """Weight or tangent name -> drawn values (a trial's ``weight_values``, or a sized trial's weights)."""
    found = getattr(draw, "weight_values", None)
    if not isinstance(found, dict):
        found = {f"gy{m}": w for m, w in enumerate(getattr(getattr(draw, "point", None), "weights", None) or ())}
    return {k: np.asarray(v) for k, v in found.items()}


def dtype_of(draw) -> str:
    return str(getattr(draw, "dtype", "")).removeprefix("torch.")


def an_input(name: str, test: Callable[[np.ndarray], bool], *inputs: str) -> Condition:
    """A drawn input (of ``inputs``; default any floating one) whose values meet ``test``."""
    def holds(draw) -> bool:
        vals = values(draw)
        return any(test(v) for k, v in vals.items() if (k in inputs if inputs else v.dtype.kind in "fc"))
    return Condition(name, holds)


def exactly(name: str, arg: str, exact: tuple[float, ...]) -> Condition:
    """An element of input ``arg`` (an exponent, a parameter) is exactly one of ``exact``."""
    return an_input(name, lambda v: bool(np.isin(v, exact).any()), arg)


def contiguous(shape: tuple, layout: str) -> bool:
    """Whether a leaf of ``shape`` built in ``layout`` (``conformance.run.failure.layout_source``) is contiguous
    (numpy's rule, torch's: dimensions of size 1 and empty tensors do not count)."""
    base = np.empty(shape, dtype=np.float32)
    if layout == "permuted":
        order = tuple(reversed(range(base.ndim)))
        base = np.ascontiguousarray(base.transpose(order)).transpose(order)
    elif layout == "strided":
        base = np.stack([base, base], -1).reshape(*shape[:-1], -1)[..., ::2] if base.ndim else base
    return layout == "contiguous" or bool(base.flags.c_contiguous)


def non_contiguous(name: str, *inputs: str) -> Condition:
    """A drawn input's leaf (of ``inputs``; default any) is not contiguous (a transposed or strided leaf)."""
    def holds(draw) -> bool:
        vals = values(draw)
        return any(not contiguous(vals[k].shape, lay) for k, lay in layouts(draw).items() if not inputs or k in inputs)
    return Condition(name, holds)


def weight_expanded(name: str, dim: int) -> Condition:
    """The weight of a backward that finds ``.grad`` None (the first, or the first after zeroing to None), which
    the engine hands to the leaves as their ``.grad``, is a broadcast view (stride 0) along dimension ``dim`` of
    its output, and another backward follows it (read off the trial's script)."""
    fresh_after = (".grad = None", "zero_grad()", "set_to_none=True")

    def holds(draw) -> bool:
        small = getattr(draw, "weight_small", None) or {}
        layouts = getattr(draw, "weight_layouts", None) or {}
        values = getattr(draw, "weight_values", None) or {}

        def expanded(k) -> bool:
            return (layouts.get(k) == "expanded" and small.get(k) is not None and small[k][dim] == 1
                    and np.shape(values[k])[dim] > 1)
        fresh, handed = True, False
        for line in getattr(draw, "lines", ()):
            if ".backward(" in line:
                if handed:
                    return True
                named = [k for k in layouts if f"gradient={k}" in line or f"gradient=[{k}" in line]
                handed = fresh and any(expanded(k) for k in named)
                fresh = False
            elif any(t in line for t in fresh_after):
                fresh, handed = True, False
        return False
    return Condition(name, holds)


VECTOR_BYTES = {"AVX512": 64}  # bytes of torch's CPU vector (Vectorized<T>) by capability; 32 otherwise


def vector_lanes(dtype: str, factor: int) -> int:
    """Elements a CPU loop of ``factor`` vectors takes at once in ``dtype`` (float32: 16 a vector under AVX512)."""
    import torch
    size = torch.empty(0, dtype=getattr(torch, dtype)).element_size()
    return factor * VECTOR_BYTES.get(torch.backends.cpu.get_cpu_capability(), 32) // size


def _chunks(n: int) -> list[tuple[int, int]]:
    """The ranges at::parallel_for hands each thread (one range up to the grain, 32768 elements)."""
    import torch
    grain = 32768
    tasks = min(torch.get_num_threads(), -(-n // grain)) if n > grain else 1
    size = -(-n // tasks)
    return [(b, min(n, b + size)) for b in range(0, n, size)]


def nan_in_vector_body(name: str, factor: int, through_copy: bool = False) -> Condition:
    """A NaN of a drawn 1-D input falls in the vectorized body of torch's CPU loop (CPU only): in each thread's
    range, below its length rounded down to ``factor`` vectors of the dtype (``vector_lanes``); the rest, the
    tail, runs in the scalar loop, as does a strided (``stepped``) input, unless the call copies it first
    (``through_copy``: an in-place variant of a clone)."""
    def holds(draw) -> bool:
        if str(getattr(draw, "device", "cpu")).split(":")[0] != "cpu":
            return False
        lanes = vector_lanes(dtype_of(draw), factor)
        lays = layouts(draw)
        for k, v in values(draw).items():
            if v.dtype.kind != "f" or (lays[k] == "stepped" and not through_copy):
                continue
            flat = v.reshape(-1)
            for b, e in _chunks(flat.size):
                body = b + (e - b) - (e - b) % lanes
                if np.isnan(flat[b:body]).any():
                    return True
        return False
    return Condition(name, holds)


def magnitude(name: str, test: Callable[[dict[str, np.ndarray], dict[str, np.ndarray]], bool],
              dtypes: tuple[str, ...] = ("float16",)) -> Condition:
    """An exact quantity of the draw (``test(values, weights)``, computed in float64 from the drawn
    values) passes a dtype's range: in ``dtypes`` only."""
    def holds(draw) -> bool:
        return dtype_of(draw) in dtypes and bool(test(values(draw), weights(draw)))
    return Condition(name, holds)


def _tensors(value) -> list:
    import torch
    items = value if isinstance(value, (list, tuple)) else (value,)
    return [t for t in items if isinstance(t, torch.Tensor) and t.is_floating_point()]


def _replayed(draw, wide: str) -> dict:
    """The namespace of the trial's recorded script run again with its dtype widened to ``wide``."""
    narrow = f"torch.{dtype_of(draw)}"
    ns = {k: v for k, v in (getattr(draw, "ns", None) or {}).items() if not _tensors(v) and not isinstance(v, list)}
    try:
        for line in getattr(draw, "lines", ()):
            exec(line.replace(narrow, f"torch.{wide}"), ns)  # noqa: S102 - the trial's own recorded script
    except Exception:  # noqa: BLE001 - a statement that fails in the wide dtype ends the replay
        level = ns.get("level")
        if hasattr(level, "__exit__"):
            try:
                level.__exit__(None, None, None)
            except Exception:  # noqa: BLE001 - already left
                pass
    return ns


def overflowed(name: str, dtypes: tuple[str, ...] = ("float16",)) -> Condition:
    """A value the trial's script forms in the narrow dtype (in ``dtypes`` only) is ±inf or NaN, or 0, where the
    same script replayed in float32 from the drawn values gives a finite value (a nonzero one above the narrow
    dtype's smallest normal): an intermediate of torch's formula passed the narrow dtype's range."""
    def holds(draw) -> bool:
        import torch
        if dtype_of(draw) not in dtypes:
            return False
        tiny = torch.finfo(getattr(torch, dtype_of(draw))).tiny
        wide = _replayed(draw, "float32")
        for k, v in (getattr(draw, "ns", None) or {}).items():
            for a, b in zip(_tensors(v), _tensors(wide.get(k))):
                if a.shape != b.shape:
                    continue
                a, b = a.detach().double(), b.detach().double()
                if bool(((~torch.isfinite(a) | (a == 0)) & torch.isfinite(b) & ((a != 0) | (b.abs() > tiny))).any()):
                    return True
        return False
    return Condition(name, holds)
