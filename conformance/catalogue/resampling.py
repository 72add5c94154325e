"""torch.nn.functional resampling, embeddings, shuffles, dropout and attention.

Resampling sizes are chosen so that torch's source coordinates and interpolation weights are exact
dyadic numbers (scale 1/2), as the spec's rational weights are; embedding bags and attention use the
vocabulary of ``layers`` (tiny shapes, exact constants).
"""
import itertools

import numpy as np
import sympy as sp

from conformance.catalogue import limits
from conformance.catalogue.layers import HALF, R, U, runner_up_gap, window_max
from conformance.exact import spec as s
from conformance.model.case import entry
from conformance.model.domain import TIES, Kinks, Real
from conformance.model.family import declare


# -- resampling ----------------------------------------------------------------------------------
def _linear_taps(n_in, n_out, align_corners):
    """(index, weight) pairs of torch's linear interpolation along one dim, per output index."""
    if align_corners:
        src = [sp.Rational(n_in - 1, n_out - 1) * i for i in range(n_out)]
    else:
        scale = sp.Rational(n_in, n_out)
        src = [max(scale * (i + HALF) - HALF, sp.Integer(0)) for i in range(n_out)]
    taps = []
    for p in src:
        i0 = int(sp.floor(p))
        lam = p - i0
        taps.append([(i0, 1 - lam), (min(i0 + 1, n_in - 1), lam)])
    return taps


def _cubic_taps(n_in, n_out, a=sp.Rational(-3, 4)):  # noqa: B008 - an immutable exact constant
    """(index, weight) pairs of torch's bicubic convolution (align_corners=True; indices clamped)."""
    def near(t):
        return ((a + 2) * t - (a + 3)) * t * t + 1

    def far(t):
        return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a

    taps = []
    for i in range(n_out):
        p = sp.Rational(n_in - 1, n_out - 1) * i
        i0 = int(sp.floor(p))
        t = p - i0
        weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
        taps.append([(min(max(i0 - 1 + j, 0), n_in - 1), weights[j]) for j in range(4)])
    return taps


def _resample(x, taps):
    """Separable interpolation of (N, C, *S): ``taps`` per spatial dim, per output index."""
    out = np.empty(x.shape[:2] + tuple(len(t) for t in taps), dtype=object)
    for idx in np.ndindex(*out.shape):
        o = idx[2:]
        terms = []
        for combo in itertools.product(*(taps[d][o[d]] for d in range(len(o)))):
            weight = s.product(*(c[1] for c in combo))
            terms.append(weight * x[idx[:2] + tuple(c[0] for c in combo)])
        out[idx] = s.add(*terms)
    return out


def _nearest(x, picks):
    """Nearest-neighbour resampling: ``picks`` lists per spatial dim the source index of each output."""
    return x[np.ix_(range(x.shape[0]), range(x.shape[1]), *picks)]


class grid_pixel(sp.Function):
    """g + 1: grid_sample's pixel coordinate of g (align_corners=True, size 3), kept as one rounded value.

    torch rounds ((g + 1) / 2) * 2 before subtracting the cell's corner, so the interpolation weight
    g + 1 - corner carries that rounding; sympy would cancel it (1 + g - 1 = g) if written inline.
    """

    def fdiff(self, argindex=1):
        return sp.Integer(1)


s.register("grid_pixel", lambda g: g + 1)


def _grid_sample(x, grid):
    """Bilinear grid_sample of (N, C, 3, 3) at align_corners=True: pixel coordinate = g + 1.

    The cell (left or right of the middle pixel) follows the sign of g; the domain keeps g off 0.
    """
    n, c = x.shape[:2]
    out = np.empty((n, c) + grid.shape[1:3], dtype=object)
    for b, ch, h, w in np.ndindex(*out.shape):
        gx, gy = grid[b, h, w]
        px, py = grid_pixel(gx), grid_pixel(gy)
        pieces = []
        for cx, cy in itertools.product((0, 1), (0, 1)):
            tx, ty = px - cx, py - cy
            value = ((1 - tx) * (1 - ty) * x[b, ch, cy, cx] + tx * (1 - ty) * x[b, ch, cy, cx + 1]
                     + (1 - tx) * ty * x[b, ch, cy + 1, cx] + tx * ty * x[b, ch, cy + 1, cx + 1])
            pieces.append((value, sp.And(gx < 0 if cx == 0 else gx > 0, gy < 0 if cy == 0 else gy > 0)))
        out[b, ch, h, w] = sp.Piecewise(*pieces[:-1], (pieces[-1][0], True))
    return out


def _affine_grid(theta, xs, ys):
    """Grid (N, H, W, 2) = theta @ (x, y, 1) at the base coordinates ``xs`` (width) and ``ys`` (height)."""
    base = s.array([[[xv, yv, 1] for xv in xs] for yv in ys])
    return np.stack([base @ t.T for t in theta])


# -- embeddings, shuffles, attention -------------------------------------------------------------
def _embedding_bag(w, bags, reduce):
    return s.array([[reduce([w[i, j] for i in bag]) for j in range(w.shape[1])] for bag in bags])


BAGS = [[0, 2], [1, 0, 3]]  # the calls' indices [0, 2, 1, 0, 3] with offsets [0, 2]


def _bag_gaps(w):
    return [runner_up_gap([w[i, j] for i in bag]) for bag in BAGS for j in range(w.shape[1])]


def _pixel_shuffle(x, r):
    n, c, h, w = x.shape
    return x.reshape(n, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, c // (r * r), h * r, w * r)


def _pixel_unshuffle(x, r):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // r, r, w // r, r).transpose(0, 1, 3, 5, 2, 4).reshape(n, c * r * r, h // r, w // r)


def _channel_shuffle(x, groups):
    n, c = x.shape[:2]
    return x.reshape((n, groups, c // groups) + x.shape[2:]).swapaxes(1, 2).reshape(x.shape)


def _attention(q, k, v, scale):
    return np.stack([s.softmax(q[b] @ k[b].T * scale, axis=-1) @ v[b] for b in range(q.shape[0])])


ENTRIES = [
    # -- resampling -------------------------------------------------------------------------------
    entry("nn.functional.interpolate_linear", "F.interpolate(x, size=6, mode='linear')",
          lambda x: _resample(x, [_linear_taps(3, 6, False)]), x=R.of(1, 2, 3)),
    entry("nn.functional.interpolate_linear_align_corners",
          "F.interpolate(x, size=5, mode='linear', align_corners=True)",
          lambda x: _resample(x, [_linear_taps(3, 5, True)]), x=R.of(1, 2, 3)),
    entry("nn.functional.interpolate_bilinear", "F.interpolate(x, scale_factor=2, mode='bilinear')",
          lambda x: _resample(x, [_linear_taps(2, 4, False), _linear_taps(3, 6, False)]), x=R.of(1, 1, 2, 3)),
    entry("nn.functional.interpolate_bilinear_align_corners",
          "F.interpolate(x, size=(3, 5), mode='bilinear', align_corners=True)",
          lambda x: _resample(x, [_linear_taps(2, 3, True), _linear_taps(3, 5, True)]), x=R.of(1, 1, 2, 3)),
    entry("nn.functional.interpolate_bicubic_align_corners",
          "F.interpolate(x, size=(3, 5), mode='bicubic', align_corners=True)",
          lambda x: _resample(x, [_cubic_taps(2, 3), _cubic_taps(3, 5)]), x=R.of(1, 1, 2, 3)),
    entry("nn.functional.interpolate_nearest", "F.interpolate(x, scale_factor=2)",
          lambda x: _nearest(x, [[i // 2 for i in range(6)]]), x=R.of(1, 2, 3)),
    entry("nn.functional.interpolate_nearest_exact", "F.interpolate(x, size=(2, 3), mode='nearest-exact')",
          lambda x: _nearest(x, [[1, 3], [0, 2, 4]]), x=R.of(1, 1, 4, 5)),
    entry("nn.functional.pixel_shuffle", "F.pixel_shuffle(x, 2)", lambda x: _pixel_shuffle(x, 2), x=R.of(1, 4, 1, 2)),
    entry("nn.functional.pixel_unshuffle", "F.pixel_unshuffle(x, 2)", lambda x: _pixel_unshuffle(x, 2),
          x=R.of(1, 2, 2, 4)),
    entry("nn.functional.channel_shuffle", "F.channel_shuffle(x, 2)", lambda x: _channel_shuffle(x, 2),
          x=R.of(1, 4, 3)),
    entry("nn.functional.grid_sample", "F.grid_sample(x, grid, align_corners=True)", _grid_sample,
          x=R.of(1, 1, 3, 3), grid=Real(-0.9, 0.9, avoid=(0.0,), margin=0.05).of(1, 1, 2, 2),
          unsupported=limits.unsupported(forward="grid_sampler_2d")),
    entry("nn.functional.affine_grid", "F.affine_grid(theta, (1, 1, 2, 3), align_corners=True)",
          lambda theta: _affine_grid(theta, [-1, 0, 1], [-1, 1]), theta=R.of(1, 2, 3)),
    entry("nn.functional.affine_grid_half_pixel", "F.affine_grid(theta, (2, 1, 2, 2), align_corners=False)",
          lambda theta: _affine_grid(theta, [-HALF, HALF], [-HALF, HALF]), theta=R.of(2, 2, 3)),
    # -- embeddings, dropout, attention -----------------------------------------------------------
    entry("nn.functional.embedding", "F.embedding(torch.tensor([[0, 2], [1, 0]], device=w.device), w)",
          lambda w: w[np.array([[0, 2], [1, 0]])], w=R.of(3, 2)),
    entry("nn.functional.embedding_bag_sum",
          "F.embedding_bag(torch.tensor([0, 2, 1, 0, 3], device=w.device), w, torch.tensor([0, 2], device=w.device), "
          "mode='sum')",
          lambda w: _embedding_bag(w, BAGS, lambda v: s.add(*v)), w=R.of(4, 2),
          unsupported=limits.unsupported(forward="_embedding_bag")),
    entry("nn.functional.embedding_bag_mean",
          "F.embedding_bag(torch.tensor([0, 2, 1, 0, 3], device=w.device), w, torch.tensor([0, 2], device=w.device))",
          lambda w: _embedding_bag(w, BAGS, lambda v: s.add(*v) / len(v)), w=R.of(4, 2),
          unsupported=limits.unsupported(forward="_embedding_bag")),
    entry("nn.functional.embedding_bag_max",
          "F.embedding_bag(torch.tensor([0, 2, 1, 0, 3], device=w.device), w, torch.tensor([0, 2], device=w.device), "
          "mode='max')",
          lambda w: _embedding_bag(w, BAGS, window_max), w=R.of(4, 2), kinks=Kinks(_bag_gaps, margin=TIES),
          unsupported=limits.unsupported(forward="_embedding_bag")),
    entry("nn.functional.embedding_bag_per_sample_weights",
          "F.embedding_bag(torch.tensor([0, 2, 1, 0, 3], device=w.device), w, torch.tensor([0, 2], device=w.device), "
          "mode='sum', per_sample_weights=sw)",
          lambda w, sw: s.array([w[0] * sw[0] + w[2] * sw[1], w[1] * sw[2] + w[0] * sw[3] + w[3] * sw[4]]),
          w=R.of(4, 2), sw=R.of(5),
          unsupported=limits.unsupported(forward="_embedding_bag",
                                         double="_embedding_bag_per_sample_weights_backward")),
    entry("nn.functional.dropout_eval", "F.dropout(x, 0.5, training=False)", lambda x: x, x=R.of(2, 3),
          family="elementwise"),
    entry("nn.functional.scaled_dot_product_attention", "F.scaled_dot_product_attention(q, k, v, scale=0.5)",
          lambda q, k, v: _attention(q, k, v, HALF), q=U.of(1, 2, 2), k=U.of(1, 2, 2), v=U.of(1, 2, 1)),
]

# redrawn sizes hold here (the input-space properties; tests/test_space.py checks the spec at them)
ENTRIES = declare(ENTRIES, "resizable", only=(
    "nn.functional.embedding", "nn.functional.embedding_bag_sum", "nn.functional.embedding_bag_mean",
    "nn.functional.embedding_bag_max", "nn.functional.scaled_dot_product_attention"))
