"""One failure format for the whole kit, and the source text of tensors for repro snippets.

Every tensor a trial builds is built by executing source text made here (``tensor_source``), so a
failure's repro snippet is exactly the code that ran.  Floats are written with ``repr``, which is
the exact binary value of a float64 (and of any float32 stored in it).
"""
from __future__ import annotations

import mpmath
import numpy as np
import torch

from conformance.run.binding import binding_lines


class ConformanceFailure(AssertionError):
    """Torch deviates from the exact result or from autograd's contract."""


class KnownDeviation(BaseException):
    """A documented torch deviation showed up (the plugin reports it as xfailed).

    A BaseException so that Hypothesis does not shrink it: the deviation is already documented.
    """


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _nested(values: np.ndarray) -> str:
    if values.ndim == 0:
        if values.dtype.kind == "c":
            return repr(complex(values))
        if values.dtype.kind != "f":
            return repr(int(values))
        v = float(values)
        return repr(v) if np.isfinite(v) else f"float('{v}')" if v > 0 or np.isnan(v) else "-float('inf')"
    return "[" + ", ".join(_nested(v) for v in values) + "]"


def tensor_source(values: np.ndarray, dtype: torch.dtype, device: torch.device) -> str:
    values = np.asarray(values)
    dt = "torch.int64" if values.dtype.kind in "iu" else f"torch.{dtype_name(dtype)}"
    return f"torch.tensor({_nested(values)}, dtype={dt}, device={str(device)!r})"


def layout_source(values: np.ndarray, layout: str, small: tuple, dtype, device) -> str:
    """Source for a tensor equal to ``values`` in the given memory layout."""
    values = np.asarray(values)
    values = values.astype(np.complex128 if values.dtype.kind == "c" else np.float64)
    if layout == "contiguous":
        return tensor_source(values, dtype, device)
    if layout == "permuted":
        order = tuple(reversed(range(values.ndim)))
        return f"{tensor_source(values.transpose(order), dtype, device)}.permute{order}"
    if layout == "strided":
        base = tensor_source(values, dtype, device)
        return f"(lambda t: torch.stack([t, torch.zeros_like(t)], -1).flatten(-2)[..., ::2])({base})"
    if layout == "channels_last":  # 4-D NHWC or 5-D NDHWC strides
        fmt = "channels_last" if values.ndim == 4 else "channels_last_3d"
        return f"{tensor_source(values, dtype, device)}.contiguous(memory_format=torch.{fmt})"
    if layout == "expanded":
        part = values[tuple(slice(0, n) for n in small)]
        return f"{tensor_source(part, dtype, device)}.expand{tuple(values.shape)}"
    raise ValueError(f"unknown weight layout {layout!r}")


def digits(x, n: int = 20) -> str:
    return mpmath.nstr(x, n, min_fixed=-4, max_fixed=4)


def failure_message(*, title: str, case: str, prop: str, dtype: torch.dtype, device, detail: list[str],
                    inputs: dict[str, np.ndarray], weights: list[str] | None = None) -> str:
    lines = [f"{prop} of {case!r} ({dtype_name(dtype)}, {device}): {title}"]
    lines += [f"  {d}" for d in detail]
    for name, vals in inputs.items():
        lines.append(f"  input {name} = {_nested(np.asarray(vals))}")
    for w in weights or []:
        lines.append(f"  weight {w}")
    return "\n".join(lines)


REPRO = "Repro (copy-paste into Python):"  # how a failure's repro note begins


def repro_note(source_lines: list[str], expected_lines: list[str]) -> str:
    body = "\n".join(source_lines + expected_lines)
    return f"{REPRO}\n{body}"


def helper_lines(helpers: dict) -> list[str]:
    """How a repro gets the names a call uses beyond torch and F: the kit's helpers are imported, a
    user's own function (``check_grads``) is bound by ``binding_lines``."""
    from conformance.catalogue import helpers as kit
    ours = sorted(n for n, v in helpers.items() if getattr(kit, n, None) is v)
    lines = [f"from conformance.catalogue.helpers import {', '.join(ours)}"] if ours else []
    for n, v in sorted(helpers.items()):
        if n not in ours:
            lines += binding_lines(n, v)
    return lines
