"""Where the catalogue's deviations that show at some draws only show: each a named ``Condition`` over the
drawn example (``conformance.model.condition``), measured against the draws that show it (torch 2.13.0 CPU)."""
from __future__ import annotations

import numpy as np

from conformance.model.condition import (
    Condition,
    an_input,
    contiguous,
    exactly,
    layouts,
    nan_in_vector_body,
    overflowed,
    values,
    weight_expanded,
    weights,
)

# pow's backward masks the exponent's zeros (binary.POW_HIGHER_ORDER)
POW_EXPONENT = exactly("a drawn exponent is exactly 0 or 1", "y", (0.0, 1.0))

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


def _trigamma_error(v: np.ndarray) -> float:
    import mpmath
    import torch
    got = torch.polygamma(1, torch.as_tensor(np.asarray(v, dtype=np.float64).reshape(-1))).tolist()
    return max((abs(float(g / mpmath.psi(1, float(x)) - 1)) for g, x in zip(got, np.reshape(v, -1))), default=0.0)


# digamma's backward and lgamma's second derivative are torch's trigamma: off by up to 4.9e-10 relative over
# [0.1, 6] (above 1e-11 everywhere below 5.9)
TRIGAMMA_INACCURATE = an_input("torch's trigamma at a drawn x is off the exact value by more than 1e-11 relative",
                               lambda v: v.dtype.kind == "f" and _trigamma_error(v) > 1e-11)

# matrix_exp's backward loses accuracy in proportion to the incoming gradient (linalg.DEVIATION_MATRIX_EXP)
# (measured: no draw with every weight below 128 showed it, 0 of 72 in float32 and float64; above 200 it shows
# at some draws only, 40 to 100% of them: no sharper condition over the draw is known)
LARGE_WEIGHT = Condition("a drawn weight or tangent exceeds 128 in magnitude",
                         lambda d: any(np.abs(w).max(initial=0) > 128 for w in weights(d).values()))

# masked.logaddexp's fill, -inf, at the lanes one mask leaves out (masked.LSE_X, LSE_Y)
MASKED_LANES = ((0, 2), (1, 1), (0, 1), (1, 0))
MASKED_LANE_WEIGHTED = Condition("a drawn weight or tangent is nonzero at a lane that one mask leaves out",
                                 lambda d: any(np.shape(w) == (2, 3) and any(w[i, j] != 0 for i, j in MASKED_LANES)
                                               for w in weights(d).values()))
