"""Volumetric layers and aten-level internals: 3-D convolution and pooling, unpooling, the legacy upsample
functions, grid samplers, antialiased resampling, CTC loss, the native normalization kernels, segment
reductions, masked indexing, and backward kernels differentiated as functions of their own.

The vocabulary is ``layers``' and ``resampling``'s (convolution, windows, taps, standardization); constant
indices and masks are written in the call and read by the specs as the same constants (``UNPOOL2``...).
Max-type selections keep every window's winner apart from its runner-up (``Kinks``, ``TIES``).
"""
import itertools

import numpy as np
import sympy as sp

from conformance.catalogue import limits
from conformance.catalogue.layers import (
    HALF,
    R,
    U,
    _adaptive,
    _batch_norm,
    _conv_transpose,
    _group_norm,
    _max_gaps,
    _pool,
    _standardize,
    _windows,
    runner_up_gap,
    window_max,
)
from conformance.catalogue.resampling import _grid_sample, _linear_taps, _nearest, _resample, grid_pixel
from conformance.exact import spec as s
from conformance.model.case import entry
from conformance.model.domain import TIES, Kinks, Real
from conformance.model.family import declare, untraced

GRID = Real(-0.9, 0.9, avoid=(0.0,), margin=0.05)
EPS = "2**-16"  # the eps the normalization calls pass (layers.EPS in the specs)


# -- unpooling -----------------------------------------------------------------------------------
UNPOOL1 = [[[1, 2]]]  # kernel 2: one flat output index per window, (1, 1, 2) -> (1, 1, 4)
UNPOOL2 = [[[[0, 3], [9, 14]]]]  # kernel 2: (1, 1, 2, 2) -> (1, 1, 4, 4)
UNPOOL3 = [[[[[9, 14]]]]]  # kernel 2: (1, 1, 1, 1, 2) -> (1, 1, 2, 2, 4)


def _unpool(x, indices, size):
    """Scatter each (n, c) plane of ``x`` to the flat positions ``indices`` of a zero plane of ``size``."""
    out = np.full(x.shape[:2] + (int(np.prod(size)),), sp.Integer(0), dtype=object)
    idx = np.asarray(indices)
    for pos in np.ndindex(*x.shape):
        out[pos[:2] + (int(idx[pos]),)] = x[pos]
    return out.reshape(x.shape[:2] + tuple(size))


# -- antialiased bilinear resampling -------------------------------------------------------------
def _aa_taps(n_in, n_out):
    """(index, weight) pairs of torch's antialiased bilinear resampling (align_corners=False) along one dim:
    a triangle filter stretched by the scale, its weights normalized to sum to 1."""
    scale = sp.Rational(n_in, n_out)
    support = scale if scale >= 1 else sp.Integer(1)
    inv = 1 / scale if scale >= 1 else sp.Integer(1)
    taps = []
    for i in range(n_out):
        center = scale * (i + HALF)
        lo = max(int(center - support + HALF), 0)
        hi = min(int(center + support + HALF), n_in)
        w = [max(1 - abs((j - center + HALF) * inv), sp.Integer(0)) for j in range(lo, hi)]
        taps.append([(j, wj / sum(w)) for j, wj in zip(range(lo, hi), w) if wj != 0])
    return taps



# -- trilinear grid sampling ---------------------------------------------------------------------
def _grid_sample_3d(x, grid):
    """Trilinear grid_sampler_3d of (N, C, 2, 2, 2) at align_corners=True: pixel coordinate (g + 1) / 2, one cell."""
    out = np.empty(x.shape[:2] + grid.shape[1:4], dtype=object)
    for n, c, d, h, w in np.ndindex(*out.shape):
        px, py, pz = (grid_pixel(g) / 2 for g in grid[n, d, h, w])
        terms = [(pz if k else 1 - pz) * (py if j else 1 - py) * (px if i else 1 - px) * x[n, c, k, j, i]
                 for k, j, i in itertools.product((0, 1), repeat=3)]
        out[n, c, d, h, w] = s.add(*terms)
    return out


# -- CTC -----------------------------------------------------------------------------------------
def _collapse(path, blank=0):
    """The label sequence of an alignment: repeats merged, then blanks removed."""
    return [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]


def _ctc(x, target):
    """CTC loss of softmax(x) over (T, 1, C): -log of the total probability of the alignments of ``target``."""
    p = s.softmax(x, axis=2)[:, 0, :]
    paths = [a for a in itertools.product(range(x.shape[2]), repeat=x.shape[0]) if _collapse(a) == target]
    return -s.log(s.add(*(s.product(*(p[t, c] for t, c in enumerate(a))) for a in paths)))


# -- segment reductions, masked indexing ---------------------------------------------------------
LENGTHS = [2, 1, 3]
SEGMENTS = [list(range(sum(LENGTHS[:i]), sum(LENGTHS[:i + 1]))) for i in range(len(LENGTHS))]


def _segments(x, reduce):
    return s.array([reduce([x[i] for i in seg]) for seg in SEGMENTS])


MASK = [True, False, True]
TAKE = [0, 5, 2]
PUT = [0, 5, 0]
DROP = [True, False, True, True, False, True]
POOL_IDX = [[[[0, 3], [9, 14]]]]  # each 2 x 2 window's argmax in a 4 x 4 plane


def _masked_index(x):
    return s.array([x[i] if m else sp.Integer(0) for i, m in zip(TAKE, MASK)])


def _masked_put(x, values):
    out = np.array(x, dtype=object)
    for i, m, v in zip(PUT, MASK, values):
        if m:
            out[i] = out[i] + v
    return out


NO_SEGMENT = limits.unsupported(double="_segment_reduce_backward", forward="segment_reduce")
# the kernels F.layer_norm and F.batch_norm call: their deviations, verified on these spellings (torch 2.13.0,
# CPU: the same second tangent and third derivative; torch.func's Hessian as the composite's, except
# _batch_norm_with_update's, which agrees with double backward)
BN_STATS = limits.BATCH_NORM_HIGHER_ORDER
NO_GROUP_FWD = limits.unsupported(forward_of_backward="native_group_norm_backward")

ENTRIES = [
    # -- 3-D convolution and pooling --------------------------------------------------------------
    entry("nn.functional.conv_transpose3d", "F.conv_transpose3d(x, w, b, stride=(1, 2, 1))",
          lambda x, w, b: _conv_transpose(x, w, b, stride=(1, 2, 1)), x=R.of(1, 1, 2, 2, 1), w=R.of(1, 2, 1, 2, 2),
          b=R.of(2)),
    entry("nn.functional.max_pool3d", "F.max_pool3d(x, 2)", lambda x: _pool(x, [_windows(2, 2)] * 3, window_max),
          x=R.of(1, 1, 2, 2, 2), kinks=Kinks(_max_gaps([_windows(2, 2)] * 3), margin=TIES)),
    entry("nn.functional.adaptive_avg_pool3d", "F.adaptive_avg_pool3d(x, (1, 2, 2))",
          lambda x: _pool(x, [_adaptive(2, 1), _adaptive(3, 2), _adaptive(3, 2)], lambda v: s.add(*v) / len(v)),
          x=R.of(1, 1, 2, 3, 3)),
    entry("nn.functional.adaptive_max_pool3d", "F.adaptive_max_pool3d(x, (1, 1, 2))",
          lambda x: _pool(x, [_adaptive(2, 1), _adaptive(2, 1), _adaptive(3, 2)], window_max), x=R.of(1, 1, 2, 2, 3),
          kinks=Kinks(_max_gaps([_adaptive(2, 1), _adaptive(2, 1), _adaptive(3, 2)]), margin=TIES)),
    # -- unpooling --------------------------------------------------------------------------------
    entry("nn.functional.max_unpool1d", f"F.max_unpool1d(x, torch.tensor({UNPOOL1}, device=x.device), 2)",
          lambda x: _unpool(x, UNPOOL1, (4,)), x=R.of(1, 1, 2)),
    entry("nn.functional.max_unpool2d", f"F.max_unpool2d(x, torch.tensor({UNPOOL2}, device=x.device), 2)",
          lambda x: _unpool(x, UNPOOL2, (4, 4)), x=R.of(1, 1, 2, 2)),
    entry("nn.functional.max_unpool3d", f"F.max_unpool3d(x, torch.tensor({UNPOOL3}, device=x.device), 2)",
          lambda x: _unpool(x, UNPOOL3, (2, 2, 4)), x=R.of(1, 1, 1, 1, 2)),
    # -- resampling -------------------------------------------------------------------------------
    entry("nn.functional.upsample_bilinear", "F.upsample_bilinear(x, size=(3, 5))",
          lambda x: _resample(x, [_linear_taps(2, 3, True), _linear_taps(3, 5, True)]), x=R.of(1, 1, 2, 3)),
    entry("nn.functional.upsample_nearest", "F.upsample_nearest(x, scale_factor=2)",
          lambda x: _nearest(x, [[0, 0, 1, 1], [0, 0, 1, 1, 2, 2]]), x=R.of(1, 1, 2, 3)),
    entry("_upsample_bilinear2d_aa", "torch.ops.aten._upsample_bilinear2d_aa(x, [2, 3], False)",
          lambda x: _resample(x, [_aa_taps(4, 2), _aa_taps(4, 3)]), x=R.of(1, 1, 4, 4)),
    entry("grid_sampler_2d", "torch.grid_sampler_2d(x, grid, 0, 0, True)", _grid_sample,
          x=R.of(1, 1, 3, 3), grid=GRID.of(1, 1, 2, 2), unsupported=limits.unsupported(forward="grid_sampler_2d")),
    entry("grid_sampler_3d", "torch.grid_sampler_3d(x, grid, 0, 0, True)", _grid_sample_3d,
          x=R.of(1, 1, 2, 2, 2), grid=GRID.of(1, 1, 1, 2, 3),
          unsupported=limits.unsupported(forward="grid_sampler_3d")),
    # -- CTC --------------------------------------------------------------------------------------
    entry("nn.functional.ctc_loss",
          "F.ctc_loss(x.log_softmax(2), torch.tensor([[1, 2]], device=x.device), (3,), (2,), reduction='sum')",
          lambda x: _ctc(x, [1, 2]), x=R.of(3, 1, 3),
          unsupported=limits.unsupported(double="_ctc_loss_backward", forward="_ctc_loss")),
    # -- native normalization kernels -------------------------------------------------------------
    entry("native_layer_norm", f"torch.native_layer_norm(x, (3,), w, b, {EPS})[0]",
          lambda x, w, b: _standardize(x, axes=-1) * w + b, x=R.of(2, 3), w=U.of(3), b=U.of(3),
          deviations=limits.NORM_HESSIAN_FUNC | limits.NORM_HIGHER_ORDER),
    entry("native_batch_norm", f"torch.native_batch_norm(x, w, b, None, None, True, 0.1, {EPS})[0]",
          _batch_norm, x=R.of(3, 2), w=U.of(2), b=U.of(2), deviations=limits.NORM_HESSIAN_FUNC | BN_STATS),
    entry("_native_batch_norm_legit", f"torch._native_batch_norm_legit(x, w, b, True, 0.1, {EPS})[0]",
          _batch_norm, x=R.of(3, 2), w=U.of(2), b=U.of(2), deviations=limits.NORM_HESSIAN_FUNC | BN_STATS),
    entry("_batch_norm_with_update",
          f"torch.ops.aten._batch_norm_with_update(x, w, b, x.new_zeros(2), x.new_ones(2), 0.1, {EPS})[0]",
          _batch_norm, x=R.of(3, 2), w=U.of(2), b=U.of(2), deviations=BN_STATS),
    entry("native_group_norm", f"torch.native_group_norm(x, w, b, 1, 6, 1, 2, {EPS})[0]",
          lambda x, w, b: _group_norm(x, 2, w, b), x=R.of(1, 6), w=U.of(6), b=U.of(6), unsupported=NO_GROUP_FWD),
    # -- backward kernels as functions ------------------------------------------------------------
    entry("max_pool2d_with_indices_backward",
          "torch.ops.aten.max_pool2d_with_indices_backward(grad, grad.new_zeros(1, 1, 4, 4), [2, 2], [2, 2], "
          f"[0, 0], [1, 1], False, torch.tensor({POOL_IDX}, device=grad.device))",
          lambda grad: _unpool(grad, POOL_IDX, (4, 4)), grad=R.of(1, 1, 2, 2)),
    entry("native_dropout_backward",
          f"torch.ops.aten.native_dropout_backward(grad, torch.tensor({DROP}, device=grad.device), 2.0)",
          lambda grad: np.where(DROP, grad * 2, sp.Integer(0)), grad=R.of(6),
          unsupported=limits.unsupported(forward="native_dropout_backward")),
    # -- segment reductions, masked indexing ------------------------------------------------------
    entry("_segment_reduce_sum", f"torch._segment_reduce(x, 'sum', lengths=torch.tensor({LENGTHS}, device=x.device))",
          lambda x: _segments(x, lambda v: s.add(*v)), x=R.of(6), unsupported=NO_SEGMENT),
    entry("_segment_reduce_max", f"torch._segment_reduce(x, 'max', lengths=torch.tensor({LENGTHS}, device=x.device))",
          lambda x: _segments(x, window_max), x=R.of(6),
          kinks=Kinks(lambda x: [runner_up_gap([x[i] for i in seg]) for seg in SEGMENTS], margin=TIES),
          unsupported=NO_SEGMENT),
    entry("_unsafe_masked_index",
          f"torch._unsafe_masked_index(x, torch.tensor({MASK}, device=x.device), "
          f"[torch.tensor({TAKE}, device=x.device)], 0.0)", _masked_index, x=R.of(6)),
    entry("_unsafe_masked_index_put_accumulate",
          f"torch._unsafe_masked_index_put_accumulate(x, torch.tensor({MASK}, device=x.device), "
          f"[torch.tensor({PUT}, device=x.device)], values)", _masked_put, x=R.of(6), values=R.of(3)),
]

# redrawn sizes hold here (the input-space properties; tests/test_space.py checks the spec at them)
ENTRIES = declare(ENTRIES, "resizable", only=("nn.functional.conv_transpose3d",))
ENTRIES = untraced(ENTRIES, "every dimension of size 1 or more grows with the grown one: at 17 its five-dimensional "
                   "trace exceeds the tape oracle's nightly budget of 200,000 nodes",
                   ("nn.functional.conv_transpose3d",))
