"""torch.nn.functional layers: linear maps, normalisation, convolution, pooling, resampling.

Shapes are tiny (the oracle is symbolic per element).  Normalisation layers get an explicit
``eps=2**-16``, exact in both dtypes, so the spec's eps is the one the kernel adds.  Resampling sizes
are chosen so that torch's source coordinates and interpolation weights are exact dyadic numbers
(scale 1/2), as the spec's rational weights are.  Max-type pooling keeps every window's largest value
``margin`` away from its runner-up (``Kinks``).
"""
import itertools

import numpy as np
import sympy as sp

from conformance.catalogue import limits
from conformance.exact import spec as s
from conformance.model.arguments import Bool, Choice, Shapes
from conformance.model.case import entry
from conformance.model.domain import TIES, Kinks, Real
from conformance.model.family import declare, untraced

R = Real(-4.0, 4.0)
U = Real(-2.0, 2.0)
NONZERO = Real(-3.0, 3.0, avoid=(0.0,), margin=0.1)

EPS = sp.Rational(1, 2**16)  # the calls pass eps=2**-16
HALF = sp.Rational(1, 2)


# -- normalisation -------------------------------------------------------------------------------
def _standardize(x, axes, eps=EPS):
    """(x - mean) / sqrt(biased var + eps) over ``axes``."""
    d = x - s.mean(x, axis=axes, keepdims=True)
    var = s.mean(d * d, axis=axes, keepdims=True)
    return d / s.sqrt(var + eps)


def _channel(p, ndim):
    """A per-channel parameter (dim 1) broadcast against an input of ``ndim`` dimensions."""
    return p.reshape((1, -1) + (1,) * (ndim - 2))


def _group_norm(x, groups, w, b):
    y = _standardize(x.reshape(x.shape[0], groups, -1), axes=2).reshape(x.shape)
    return y * _channel(w, x.ndim) + _channel(b, x.ndim)


def _batch_norm(x, w, b):
    y = _standardize(x, axes=(0,) + tuple(range(2, x.ndim)))
    return y * _channel(w, x.ndim) + _channel(b, x.ndim)


def _instance_norm(x, w, b):
    y = _standardize(x, axes=tuple(range(2, x.ndim)))
    return y * _channel(w, x.ndim) + _channel(b, x.ndim)


def _local_response_norm(x, size, alpha, beta, k):
    """x / (k + alpha * mean of x² over a zero-padded window of ``size`` channels) ** beta."""
    c = x.shape[1]
    sq = x * x
    out = np.empty(x.shape, dtype=object)
    for ch in range(c):
        window = [j for j in range(ch - size // 2, ch + (size - 1) // 2 + 1) if 0 <= j < c]
        avg = s.sum(sq[:, window], axis=1) / size
        out[:, ch] = x[:, ch] / (avg * alpha + k) ** beta
    return out


def _rms_norm(x, w):
    return x / s.sqrt(s.mean(x * x, axis=-1, keepdims=True) + EPS) * w


def _l2(x, axis):
    return s.sqrt(s.sum(x * x, axis=axis, keepdims=True))


def _cosine_similarity(x1, x2):
    return s.sum((x1 / _l2(x1, 1)) * (x2 / _l2(x2, 1)), axis=1)


def _pdist(x):
    n = x.shape[0]
    return s.array([s.sqrt(s.sum((x[i] - x[j]) ** 2)) for i in range(n) for j in range(i + 1, n)])


def _pdist_gaps(x):
    n = x.shape[0]
    return [np.hypot(*(x[i] - x[j])) for i in range(n) for j in range(i + 1, n)]


# -- convolution ---------------------------------------------------------------------------------
def _tuple(v, nd):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd


def _pad(x, pads, fill=0):
    """Pad the spatial dims of (N, C, *S) with ``fill``; ``pads`` holds (before, after) per dim."""
    shape = x.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    out = np.full(shape, fill, dtype=object)
    out[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[2:], pads))] = x
    return out


def _conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Cross-correlation of (N, Cin, *S) with (Cout, Cin / groups, *K); padding an int or (before, after) pairs."""
    nd = x.ndim - 2
    stride, dilation = _tuple(stride, nd), _tuple(dilation, nd)
    pads = padding if isinstance(padding, list) else [(p, p) for p in _tuple(padding, nd)]
    xp = _pad(x, pads)
    cout, cin_g, ks = w.shape[0], w.shape[1], w.shape[2:]
    size = [(xp.shape[2 + d] - dilation[d] * (ks[d] - 1) - 1) // stride[d] + 1 for d in range(nd)]
    out = np.empty((x.shape[0], cout, *size), dtype=object)
    for n, co, *o in np.ndindex(*out.shape):
        g = co // (cout // groups)
        terms = [w[(co, ci) + k]
                 * xp[(n, g * cin_g + ci) + tuple(o[d] * stride[d] + k[d] * dilation[d] for d in range(nd))]
                 for ci in range(cin_g) for k in np.ndindex(*ks)]
        out[(n, co, *o)] = s.add(*terms) + (b[co] if b is not None else 0)
    return out


def _conv_transpose(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution of (N, Cin, *S) with (Cin, Cout / groups, *K): each input scatters x * w."""
    nd = x.ndim - 2
    stride, padding, dilation = _tuple(stride, nd), _tuple(padding, nd), _tuple(dilation, nd)
    output_padding = _tuple(output_padding, nd)
    cin, cout_g, ks = w.shape[0], w.shape[1], w.shape[2:]
    full = [(x.shape[2 + d] - 1) * stride[d] + dilation[d] * (ks[d] - 1) + 1 + output_padding[d] for d in range(nd)]
    acc = np.full((x.shape[0], cout_g * groups, *full), sp.Integer(0), dtype=object)
    for n, ci, *i in np.ndindex(*x.shape):
        g = ci // (cin // groups)
        for co, k in itertools.product(range(cout_g), np.ndindex(*ks)):
            pos = tuple(i[d] * stride[d] + k[d] * dilation[d] for d in range(nd))
            acc[(n, g * cout_g + co) + pos] += x[(n, ci, *i)] * w[(ci, co) + k]
    out = acc[(slice(None), slice(None)) + tuple(slice(padding[d], full[d] - padding[d]) for d in range(nd))]
    return out + _channel(b, x.ndim) if b is not None else out


def _unfold(x, k, stride=1, padding=0, dilation=1):
    """im2col of (N, C, H, W): (N, C * kh * kw, L), column l the l-th window in row-major order."""
    n, c = x.shape[:2]
    kh, kw = _tuple(k, 2)
    eye = np.empty((c * kh * kw, c, kh, kw), dtype=object)
    eye[...] = sp.Integer(0)
    for r, idx in enumerate(np.ndindex(c, kh, kw)):
        eye[(r,) + idx] = sp.Integer(1)
    cols = _conv(x, eye, stride=stride, padding=padding, dilation=dilation)
    return cols.reshape(n, c * kh * kw, -1)


def _fold(x, size, k):
    """col2im: sums the (N, C * kh * kw, L) columns back into overlapping (N, C, *size) windows."""
    n = x.shape[0]
    kh, kw = _tuple(k, 2)
    c = x.shape[1] // (kh * kw)
    oh, ow = size[0] - kh + 1, size[1] - kw + 1
    out = np.full((n, c) + tuple(size), sp.Integer(0), dtype=object)
    cols = x.reshape(n, c, kh, kw, oh, ow)
    for b, ch, i, j, p, q in np.ndindex(*cols.shape):
        out[b, ch, p + i, q + j] += cols[b, ch, i, j, p, q]
    return out


# -- pooling -------------------------------------------------------------------------------------
def _windows(size, k, stride=None, pad=0, dil=1):
    """Input indices of each pooling window along one dim (padding positions left out)."""
    stride = k if stride is None else stride
    count = (size + 2 * pad - dil * (k - 1) - 1) // stride + 1
    return [[p for p in (o * stride - pad + j * dil for j in range(k)) if 0 <= p < size] for o in range(count)]


def _avg_windows(size, k, stride, pad, ceil_mode, include_pad):
    """(input indices, divisor) of each window of a 1-d average pool, as torch computes them: a ceil_mode window
    must start inside the input or its left padding; the divisor counts the padding (``include_pad``) up to the
    padded end only."""
    span = size + 2 * pad - k
    count = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (count - 1) * stride >= size + pad:
        count -= 1
    out = []
    for o in range(count):
        start = o * stride - pad
        end = min(start + k, size + pad)
        idx = [p for p in range(start, end) if 0 <= p < size]
        out.append((idx, end - start if include_pad else len(idx)))
    return out


def _avg_pool1d(x, kernel_size, stride, padding, ceil_mode, count_include_pad):
    wins = _avg_windows(x.shape[-1], kernel_size, stride, padding, ceil_mode, count_include_pad)
    out = np.empty(x.shape[:2] + (len(wins),), dtype=object)
    for n, c, o in np.ndindex(*out.shape):
        idx, div = wins[o]
        out[n, c, o] = s.add(*(x[n, c, i] for i in idx)) / div
    return out


def _pool_fits(values, shapes):
    """torch's constraints on a pool's arguments: padding at most half the kernel, one window at least."""
    k, pad = values["kernel_size"], values["padding"]
    return pad <= k // 2 and shapes["x"][-1] + 2 * pad >= k


def _adaptive(size, out):
    return [list(range(i * size // out, -(-(i + 1) * size // out))) for i in range(out)]


def _pool(x, wins, reduce):
    """Apply ``reduce`` to each window of (N, C, *S); ``wins`` lists per spatial dim the window indices."""
    out = np.empty(x.shape[:2] + tuple(len(w) for w in wins), dtype=object)
    for idx in np.ndindex(*out.shape):
        o = idx[2:]
        out[idx] = reduce([x[idx[:2] + p] for p in itertools.product(*(wins[d][o[d]] for d in range(len(o))))])
    return out


def window_max(vals):
    """The largest value, as the piece whose value beats the later ones (first wins, as no tie is drawn)."""
    if s.traced(*vals):  # the tape selects by value
        return s.largest(*vals)
    pieces = [(a, sp.And(*(a > b for b in vals[i + 1:]))) for i, a in enumerate(vals[:-1])]
    return s.Piecewise(*pieces, (vals[-1], True))


def runner_up_gap(vals):
    top = sorted(vals, reverse=True)
    return top[0] - top[1] if len(top) > 1 else np.inf


def _max_gaps(wins):
    """Kinks of a max pool: each window's largest value minus its runner-up."""
    return lambda x: _pool(x, wins, runner_up_gap).astype(float)


def _lp2(vals):
    return s.sqrt(s.add(*(v * v for v in vals)))


ENTRIES = [
    # -- linear maps ------------------------------------------------------------------------------
    entry("nn.functional.linear", "F.linear(x, w, b)", lambda x, w, b: x @ w.T + b,
          x=R.of(2, 3), w=R.of(2, 3), b=R.of(2)),
    entry("nn.functional.linear_nobias", "F.linear(x, w)", lambda x, w: x @ w.T, x=R.of(3, 2), w=R.of(3, 2)),
    entry("nn.functional.bilinear", "F.bilinear(x1, x2, w, b)",
          lambda x1, x2, w, b: np.einsum("ni,oij,nj->no", x1, w, x2) + b,
          x1=U.of(2, 2), x2=U.of(2, 3), w=U.of(2, 2, 3), b=U.of(2)),
    # -- normalisation ----------------------------------------------------------------------------
    entry("nn.functional.layer_norm", "F.layer_norm(x, (3,), w, b, eps=2**-16)",
          lambda x, w, b: _standardize(x, axes=-1) * w + b, x=R.of(2, 3), w=U.of(3), b=U.of(3),
          deviations=limits.NORM_HESSIAN_FUNC | limits.NORM_HIGHER_ORDER),
    entry("nn.functional.layer_norm_2d", "F.layer_norm(x, (2, 2), eps=2**-16)",
          lambda x: _standardize(x, axes=(1, 2)), x=R.of(1, 2, 2), deviations=limits.NORM_HIGHER_ORDER),
    entry("nn.functional.group_norm", "F.group_norm(x, 2, w, b, eps=2**-16)",
          lambda x, w, b: _group_norm(x, 2, w, b), x=R.of(1, 6), w=U.of(6), b=U.of(6),
          unsupported=limits.unsupported(forward_of_backward="native_group_norm_backward")),
    entry("nn.functional.batch_norm", "F.batch_norm(x, None, None, w, b, training=True, eps=2**-16)",
          _batch_norm, x=R.of(3, 2), w=U.of(2), b=U.of(2),
          deviations=limits.NORM_HESSIAN_FUNC | limits.BATCH_NORM_HIGHER_ORDER),
    entry("nn.functional.batch_norm_3d_input", "F.batch_norm(x, None, None, training=True, eps=2**-16)",
          lambda x: _standardize(x, axes=(0, 2)), x=R.of(1, 2, 3), deviations=limits.BATCH_NORM_HIGHER_ORDER),
    entry("nn.functional.instance_norm", "F.instance_norm(x, weight=w, bias=b, eps=2**-16)",
          _instance_norm, x=R.of(1, 2, 3), w=U.of(2), b=U.of(2),
          deviations=limits.NORM_HESSIAN_FUNC | limits.BATCH_NORM_HIGHER_ORDER),
    entry("nn.functional.local_response_norm", "F.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=1.0)",
          lambda x: _local_response_norm(x, 3, HALF, sp.Rational(3, 4), 1), x=R.of(1, 4, 2)),
    entry("nn.functional.rms_norm", "F.rms_norm(x, (4,), w, eps=2**-16)", _rms_norm, x=R.of(2, 4), w=U.of(4)),
    entry("nn.functional.normalize", "F.normalize(x, dim=1)", lambda x: x / _l2(x, 1), x=NONZERO.of(2, 3)),
    entry("nn.functional.normalize_p1", "F.normalize(x, p=1, dim=0)",
          lambda x: x / s.sum(s.abs(x), axis=0, keepdims=True), x=NONZERO.of(3, 2)),
    entry("nn.functional.cosine_similarity", "F.cosine_similarity(x1, x2)", _cosine_similarity,
          x1=NONZERO.of(2, 3), x2=NONZERO.of(2, 3)),
    entry("nn.functional.pairwise_distance", "F.pairwise_distance(x1, x2, eps=2**-20)",
          lambda x1, x2: s.sqrt(s.sum((x1 - x2 + sp.Rational(1, 2**20)) ** 2, axis=-1)),
          x1=U.of(2, 3), x2=U.of(2, 3), kinks=Kinks(lambda x1, x2: np.linalg.norm(x1 - x2, axis=-1), margin=0.1)),
    entry("nn.functional.pdist", "F.pdist(x)", _pdist, x=U.of(4, 2), kinks=Kinks(_pdist_gaps, margin=0.1),
          unsupported=limits.unsupported(double="_pdist_backward", forward="_pdist_forward")),
    # -- convolution ------------------------------------------------------------------------------
    entry("nn.functional.conv1d", "F.conv1d(x, w, b)", _conv, x=R.of(1, 2, 5), w=R.of(2, 2, 2), b=R.of(2)),
    entry("nn.functional.conv1d_stride_padding", "F.conv1d(x, w, stride=2, padding=1)",
          lambda x, w: _conv(x, w, stride=2, padding=1), x=R.of(2, 1, 5), w=R.of(2, 1, 3)),
    entry("nn.functional.conv1d_same_dilated", "F.conv1d(x, w, padding='same', dilation=2)",
          lambda x, w: _conv(x, w, padding=[(1, 1)], dilation=2), x=R.of(1, 2, 5), w=R.of(1, 2, 2)),
    entry("nn.functional.conv2d", "F.conv2d(x, w, b)", _conv, x=R.of(1, 1, 4, 4), w=R.of(1, 1, 2, 2), b=R.of(1)),
    entry("nn.functional.conv2d_channels", "F.conv2d(x, w)", _conv, x=R.of(1, 2, 3, 3), w=R.of(2, 2, 2, 2)),
    entry("nn.functional.conv2d_groups_padding", "F.conv2d(x, w, padding=1, groups=2)",
          lambda x, w: _conv(x, w, padding=1, groups=2), x=R.of(1, 2, 3, 3), w=R.of(4, 1, 2, 2)),
    entry("nn.functional.conv2d_stride_dilation", "F.conv2d(x, w, stride=(1, 2), dilation=(2, 1))",
          lambda x, w: _conv(x, w, stride=(1, 2), dilation=(2, 1)), x=R.of(1, 1, 4, 5), w=R.of(2, 1, 2, 2)),
    entry("nn.functional.conv3d", "F.conv3d(x, w)", _conv, x=R.of(1, 1, 2, 3, 3), w=R.of(1, 1, 2, 2, 2)),
    entry("nn.functional.conv_transpose1d", "F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1)",
          lambda x, w, b: _conv_transpose(x, w, b, stride=2, padding=1, output_padding=1),
          x=R.of(1, 2, 3), w=R.of(2, 2, 3), b=R.of(2)),
    entry("nn.functional.conv_transpose2d", "F.conv_transpose2d(x, w, stride=2)",
          lambda x, w: _conv_transpose(x, w, stride=2), x=R.of(1, 1, 2, 2), w=R.of(1, 2, 2, 2)),
    entry("nn.functional.conv_transpose2d_groups", "F.conv_transpose2d(x, w, b, padding=1, groups=2, dilation=2)",
          lambda x, w, b: _conv_transpose(x, w, b, padding=1, groups=2, dilation=2),
          x=R.of(1, 2, 2, 2), w=R.of(2, 1, 2, 2), b=R.of(2)),
    entry("nn.functional.unfold", "F.unfold(x, 2, padding=1, stride=2)", lambda x: _unfold(x, 2, stride=2, padding=1),
          x=R.of(1, 2, 3, 3)),
    entry("nn.functional.fold", "F.fold(x, (3, 3), 2)", lambda x: _fold(x, (3, 3), 2), x=R.of(1, 4, 4)),
    # -- pooling ----------------------------------------------------------------------------------
    entry("nn.functional.avg_pool1d", "F.avg_pool1d(x, {kernel_size}, stride={stride}, padding={padding}, "
          "ceil_mode={ceil_mode}, count_include_pad={count_include_pad})", _avg_pool1d, x=R.of(1, 2, 6),
          arguments=dict(x=Shapes((1, 1, 5), (1, 1, 7)), kernel_size=Choice(3, 2, 4), stride=Choice(2, 1, 3),
                         padding=Choice(1, 0, 2), ceil_mode=Bool(), count_include_pad=Bool(True)),
          constraint=_pool_fits),
    entry("nn.functional.avg_pool2d", "F.avg_pool2d(x, 2)",
          lambda x: _pool(x, [_windows(4, 2)] * 2, lambda v: s.add(*v) / 4), x=R.of(1, 1, 4, 4)),
    entry("nn.functional.avg_pool2d_exclude_pad", "F.avg_pool2d(x, 2, stride=1, padding=1, count_include_pad=False)",
          lambda x: _pool(x, [_windows(3, 2, 1, 1)] * 2, lambda v: s.add(*v) / len(v)), x=R.of(1, 1, 3, 3)),
    entry("nn.functional.avg_pool3d", "F.avg_pool3d(x, 2, divisor_override=3)",
          lambda x: _pool(x, [_windows(2, 2), _windows(2, 2), _windows(4, 2)], lambda v: s.add(*v) / 3),
          x=R.of(1, 1, 2, 2, 4)),
    entry("nn.functional.lp_pool1d", "F.lp_pool1d(x, 2, 2)", lambda x: _pool(x, [_windows(6, 2)], _lp2),
          x=NONZERO.of(1, 2, 6)),
    entry("nn.functional.lp_pool2d", "F.lp_pool2d(x, 2, 2)", lambda x: _pool(x, [_windows(4, 2)] * 2, _lp2),
          x=NONZERO.of(1, 1, 4, 4)),
    entry("nn.functional.adaptive_avg_pool1d", "F.adaptive_avg_pool1d(x, 3)",
          lambda x: _pool(x, [_adaptive(5, 3)], lambda v: s.add(*v) / len(v)), x=R.of(1, 2, 5)),
    entry("nn.functional.adaptive_avg_pool2d", "F.adaptive_avg_pool2d(x, (2, 3))",
          lambda x: _pool(x, [_adaptive(3, 2), _adaptive(4, 3)], lambda v: s.add(*v) / len(v)), x=R.of(1, 1, 3, 4)),
    entry("nn.functional.adaptive_max_pool1d", "F.adaptive_max_pool1d(x, 3)",
          lambda x: _pool(x, [_adaptive(5, 3)], window_max), x=R.of(1, 2, 5),
          kinks=Kinks(_max_gaps([_adaptive(5, 3)]), margin=TIES)),
    entry("nn.functional.adaptive_max_pool2d", "F.adaptive_max_pool2d(x, (2, 2))",
          lambda x: _pool(x, [_adaptive(3, 2), _adaptive(4, 2)], window_max), x=R.of(1, 1, 3, 4),
          kinks=Kinks(_max_gaps([_adaptive(3, 2), _adaptive(4, 2)]), margin=TIES)),
    entry("nn.functional.max_pool1d", "F.max_pool1d(x, 3, stride=2, padding=1)",
          lambda x: _pool(x, [_windows(6, 3, 2, 1)], window_max), x=R.of(1, 2, 6),
          kinks=Kinks(_max_gaps([_windows(6, 3, 2, 1)]), margin=TIES)),
    entry("nn.functional.max_pool2d", "F.max_pool2d(x, 2)", lambda x: _pool(x, [_windows(4, 2)] * 2, window_max),
          x=R.of(1, 1, 4, 4), kinks=Kinks(_max_gaps([_windows(4, 2)] * 2), margin=TIES)),
    entry("nn.functional.max_pool2d_dilated", "F.max_pool2d(x, 2, stride=1, dilation=2)",
          lambda x: _pool(x, [_windows(4, 2, 1, 0, 2)] * 2, window_max), x=R.of(1, 1, 4, 4),
          kinks=Kinks(_max_gaps([_windows(4, 2, 1, 0, 2)] * 2), margin=TIES)),
]

# redrawn sizes hold here (the input-space properties; tests/test_space.py checks the spec at them)
ENTRIES = declare(ENTRIES, "resizable", only=(
    "nn.functional.linear", "nn.functional.linear_nobias", "nn.functional.bilinear", "nn.functional.batch_norm",
    "nn.functional.batch_norm_3d_input", "nn.functional.instance_norm", "nn.functional.local_response_norm",
    "nn.functional.normalize", "nn.functional.normalize_p1", "nn.functional.cosine_similarity",
    "nn.functional.pairwise_distance", "nn.functional.conv1d",
    "nn.functional.conv1d_stride_padding", "nn.functional.conv2d", "nn.functional.conv2d_channels",
    "nn.functional.conv3d",
    "nn.functional.conv_transpose1d", "nn.functional.conv_transpose2d", "nn.functional.unfold"))
ENTRIES = untraced(ENTRIES, "its one declared dimension size is every dimension: grown to 17 together, its "
                   "trace exceeds the tape oracle's nightly budget of 200,000 nodes",
                   ("nn.functional.conv_transpose2d",))
