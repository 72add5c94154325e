"""Where the catalogue's deviations that show at some draws only show: each a named ``Condition`` over the
drawn example (``conformance.model.condition``), measured against the draws that show it (torch 2.13.0 CPU)."""
from __future__ import annotations

import numpy as np

from conformance.model.condition import (
    Condition,
    contiguous,
    layouts,
    nan_in_vector_body,
    overflowed,
    values,
    weight_expanded,
    weights,
)


# pow's backward masks the exponent's zeros (binary.POW_HIGHER_ORDER)
def _pow_mixed(draw) -> bool:
    """An exponent of exactly 0 where the lost mixed derivative, v · u_y / x, is at least 1e-4 of the size of the
    terms of x's HVP (y's own HVP is right); in a third-order property, an exponent of exactly 0 or 1."""
    vals, drawn = values(draw), weights(draw)
    x, y = vals.get("x"), vals.get("y")
    if "third" in str(getattr(draw, "prop", "")) or y is None or x is None:
        return y is not None and bool(np.isin(y, (0.0, 1.0)).any())
    v, ux, uy = drawn.get("gy0"), drawn.get("u_x"), drawn.get("u_y")
    if v is None or uy is None or ux is None:
        return bool((y == 0).any())
    shape = np.broadcast_shapes(x.shape, y.shape)
    own = (1,) * (len(shape) - x.ndim) + x.shape
    summed = tuple(k for k, (n, m) in enumerate(zip(own, shape)) if n == 1 and m > 1)  # a broadcast x sums these
    x, y, v, ux, uy = (np.broadcast_to(np.asarray(a, dtype=np.float64), shape) for a in (x, y, v, ux, uy))
    lost = np.abs(np.where(y == 0, v * uy / x, 0.0).sum(axis=summed))
    size = (np.abs(v * uy) * x ** (y - 1) * (1 + np.abs(y * np.log(x)))
            + np.abs(v * ux * y * (y - 1)) * x ** (y - 2)).sum(axis=summed)
    return bool((lost > 1e-4 * size).any())


POW_EXPONENT = Condition("a drawn exponent is exactly 0 where the lost mixed term v·u_y/x is at least 1e-4 of x's "
                         "HVP terms there (a second-order property), or exactly 0 or 1 (a third-order one)", _pow_mixed)

# the NaN lanes (limits.NAN_LANES_*): one vector a step for the clamps, two for elu, hardswish and logit
NAN_IN_CLAMP_BODY = nan_in_vector_body("a NaN lies in the vectorized body of the CPU loop (16 float32 lanes a step "
                                       "under AVX512), not the scalar tail, of a contiguous input", 1)
NAN_IN_CLAMP_BODY_COPIED = nan_in_vector_body("a NaN lies in the vectorized body of the CPU loop (16 float32 lanes a "
                                              "step under AVX512), not the scalar tail", 1, through_copy=True)
NAN_IN_ELU_BODY = nan_in_vector_body("a NaN lies in the vectorized body of the CPU loop (32 float32 lanes a step "
                                     "under AVX512), not the scalar tail, of a contiguous input", 2)
NAN_IN_ELU_BODY_COPIED = nan_in_vector_body("a NaN lies in the vectorized body of the CPU loop (32 float32 lanes a "
                                            "step under AVX512), not the scalar tail", 2, through_copy=True)


def _transposed(draw) -> bool:
    vals = values(draw)
    return any(lay == "permuted" and not contiguous(vals[k].shape, lay) for k, lay in layouts(draw).items())


# kron, take_along_dim without dim: a view of a transposed input (a strided one is copied first)
TRANSPOSED_INPUT = Condition("a drawn input is a transposed leaf that is not contiguous", _transposed)

# stack and dstack hand each leaf a view of an expanded gradient (shape.STOLEN_ALIASED_GRADS)
EXPANDED_ALONG_STACK = weight_expanded("the weight of a backward that another follows is expanded (stride 0) along "
                                       "the stacked dimension, 1", 1)
EXPANDED_ALONG_DSTACK = weight_expanded("the weight of a backward that another follows is expanded (stride 0) along "
                                        "the stacked dimension, 2", 2)


# float16 overflows (limits' Overflow declarations): an intermediate of torch's formula past float16's largest
F16_INTERMEDIATE = overflowed("a value torch forms in float16 is ±inf, NaN or 0 where the same script in float32, "
                              "from the drawn values, is finite (nonzero): an intermediate passed float16's range")


# masked.logaddexp's fill, -inf, at the lanes one mask leaves out (masked.LSE_X, LSE_Y)
MASKED_LANES = ((0, 2), (1, 1), (0, 1), (1, 0))
MASKED_LANE_WEIGHTED = Condition("a drawn weight or tangent is nonzero at a lane that one mask leaves out",
                                 lambda d: any(np.shape(w) == (2, 3) and any(w[i, j] != 0 for i, j in MASKED_LANES)
                                               for w in weights(d).values()))

# masked.normalize's eps rounds to 0 in float16: its fully masked row (masked.E23's second) is 0 / 0 in the forward
# value and tangent, at every draw; forward over reverse checks the HVP, 0 there (it passed at every ci draw)
NORMALIZE_ROW_CHECKED = Condition("the property checks the fully masked row's forward value or tangent (not the "
                                  "forward over reverse HVP, 0 there)",
                                  lambda d: getattr(d, "prop", "") != "forward_over_reverse")
