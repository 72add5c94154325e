"""Reductions, scans, order statistics and normalisations."""
import mpmath
import numpy as np
import sympy as sp

from conformance.catalogue import limits
from conformance.catalogue.dims import SIZE_ONE, enough, reduce_over, slices, spread
from conformance.exact import spec as s
from conformance.model.arguments import Bool, Choice, Dim, Dims, Shapes
from conformance.model.case import REAL_AND_COMPLEX, entry
from conformance.model.domain import TIES, Kinks, Real
from conformance.model.family import declare, untraced

R = Real(-4.0, 4.0)
NONZERO = Real(-3.0, 3.0, avoid=(0.0,), margin=0.1)
SMALL = Real(-2.0, 2.0)


# ---- spec builders -------------------------------------------------------------------------------

def _along(a, axis, fn, keepdims=False):
    """``fn`` (1-D object array -> expression or 1-D array) applied to every slice of ``a`` along ``axis``.

    A scalar result removes the axis (kept with size 1 under ``keepdims``); a 1-D result replaces it.
    ``axis=None`` applies ``fn`` to the flattened array.
    """
    a = np.asarray(a, dtype=object)
    if axis is None:
        return np.asarray(fn(a.reshape(-1)), dtype=object)
    moved = np.moveaxis(a, axis, -1)
    lead = moved.shape[:-1]
    results = {idx: np.asarray(fn(moved[idx]), dtype=object) for idx in np.ndindex(*lead)}
    tail = next(iter(results.values())).shape
    out = np.empty(lead + tail, dtype=object)
    for idx, r in results.items():
        if tail:
            out[idx] = r
        else:
            out[idx] = r.item()
    if tail:
        return np.moveaxis(out, -1, axis)
    return np.expand_dims(out, axis) if keepdims else out


class _Indicator(sp.Function):
    """A 0/1-valued piecewise-constant primitive: derivative zero away from its jumps (domains avoid them)."""

    is_integer = True
    is_nonnegative = True

    def fdiff(self, argindex=1):
        return sp.Integer(0)

    def _eval_derivative(self, s):
        return sp.Integer(0)


class order_is(_Indicator):
    """[x_i holds rank k (0-based, ascending) among x_i and the others]; arguments (k, x_i, *others)."""


def _mp_order_is(k, xi, *others):
    less = sum(1 for xj in others if xj < xi)
    ties = sum(1 for xj in others if xj == xi)
    if ties and less <= k <= less + ties:
        return mpmath.nan  # a tie at rank k: not differentiable (domains keep away)
    return mpmath.mpf(int(not ties and less == k))


s.register("order_is", _mp_order_is)


def _order(xs, ks=None):
    """Order statistics of a 1-D array, ascending (only ranks ``ks`` when given).

    The k-th is sum_i x_i [x_i holds rank k]: exact away from ties at rank k (which the entries' Kinks
    exclude; there the oracle's indicator is NaN), with derivative the indicator of the element holding
    rank k, which is what torch's sort/gather backward scatters.
    """
    xs = list(xs)
    ks = range(len(xs)) if ks is None else ks
    if s.traced(*xs):  # the tape selects by value
        return s.array(s.ranked(xs, ks))
    return s.array([s.add(*(xi * order_is(k, xi, *(xs[:i] + xs[i + 1:])) for i, xi in enumerate(xs)))
                    for k in ks])


class lse_exp(sp.Function):
    """exp in logcumsumexp's backward, which torch evaluates in log space (charged in the tolerance policy)."""

    def fdiff(self, argindex=1):
        return lse_exp(self.args[0])


class lse_value(sp.Function):
    """log(sum(exp(args))) differentiated as torch's backward computes it: d/dx_k = exp(x_k - value)."""

    def fdiff(self, argindex=1):
        return lse_exp(self.args[argindex - 1] - self)


s.register("lse_exp", mpmath.exp)
s.register("lse_value", lambda *xs: mpmath.log(mpmath.fsum(mpmath.exp(x) for x in xs)))


def _max(xs):
    return _order(xs, [len(xs) - 1])[0]


def _min(xs):
    return _order(xs, [0])[0]


def _kth(k):
    return lambda xs: _order(xs, [k])[0]


def _median(xs):
    """The lower median, as torch's: rank (n - 1) // 2."""
    return _order(xs, [(len(xs) - 1) // 2])[0]


def _median_rank(n):
    return [(n - 1) // 2]


def _interpolated(*qs):
    """The ranks a linear-interpolation quantile reads at size n (both ends of each lerp)."""
    return lambda n: sorted({j for q in qs for j in (int(sp.floor(sp.Rational(q) * (n - 1))),
                                                      int(sp.floor(sp.Rational(q) * (n - 1))) + 1) if j < n})


def _quantile(q):
    """Linear-interpolation quantile of a 1-D array, as torch computes it: lerp(x_(j), x_(j+1), w)."""
    def fn(xs):
        pos = sp.Rational(q) * (len(xs) - 1)
        j = int(sp.floor(pos))
        w = pos - j
        if w == 0:
            return _order(xs, [j])[0]
        lo, hi = _order(xs, [j, j + 1])
        return (1 - w) * lo + w * hi
    return fn


def _var(a, axis=None, correction=1, keepdims=False):
    a = np.asarray(a, dtype=object)
    n = a.size if axis is None else np.prod([a.shape[d] for d in np.atleast_1d(axis)])
    d = a - s.mean(a, axis, keepdims=True)
    return s.sum(d * d, axis, keepdims) / sp.Integer(int(n) - correction)


def _std(a, axis=None, correction=1, keepdims=False):
    return s.sqrt(_var(a, axis, correction, keepdims))


def _ties_over(ranks):
    """Kinks of a drawn reduction: no tie next to ``ranks`` within the slices its ``dim`` reads."""
    return lambda dim, keepdim=False: Kinks(lambda x: _sorted_gaps(slices(np.asarray(x, dtype=np.float64), dim), -1,
                                                                   ranks), margin=TIES)


def _scan(fn):
    """Inclusive scan along a slice: out_i = fn(x_0, ..., x_i)."""
    return lambda xs: s.array([fn(*xs[: i + 1]) for i in range(len(xs))])


def _diff(a, axis=-1):
    a = np.asarray(a, dtype=object)
    n = a.shape[axis]
    return np.take(a, range(1, n), axis=axis) - np.take(a, range(0, n - 1), axis=axis)


def _rational(a):
    return np.vectorize(lambda v: sp.Rational(float(v)), otypes=[object])(np.asarray(a, dtype=np.float64))


# ---- kinks: gaps that must stay away from zero --------------------------------------------------

def _sorted_gaps(x, axis, ranks=None):
    """Gaps between neighbours in sorted order along ``axis``; with ``ranks``, only those next to the ranks
    (a negative rank counts from the largest, as the spec's ``_max`` does at every size; a callable gives the
    ranks at each size, as a median's or an interpolated quantile's)."""
    x = np.asarray(x, dtype=np.float64)
    if axis is None:
        x, axis = x.reshape(-1), 0
    d = np.diff(np.sort(x, axis=axis), axis=axis)
    if ranks is None:
        return d
    n = x.shape[axis]
    ranks = [r % n for r in (ranks(n) if callable(ranks) else ranks)]
    keep = sorted({g for r in ranks for g in (r - 1, r) if 0 <= g < n - 1})
    return np.take(d, keep, axis=axis)


def _ties(axis, ranks=None):
    """Kinks: no tie next to the order statistics ``ranks`` (all of them by default) along ``axis``."""
    return Kinks(lambda x: _sorted_gaps(x, axis, ranks), margin=TIES)


def _scan_gaps(x, axis, sign=1.0):
    """x_i - max(x_0..x_{i-1}) along ``axis`` (sign=-1: against the running min)."""
    y = np.moveaxis(sign * np.asarray(x, dtype=np.float64), axis, -1)
    prev = np.maximum.accumulate(y, axis=-1)[..., :-1]
    return y[..., 1:] - prev


def _abs_top2(x):
    a = np.sort(np.abs(np.asarray(x)).reshape(-1))
    return a[-1] - a[-2]


def _abs_bottom(x):
    a = np.sort(np.abs(np.asarray(x)).reshape(-1))
    return np.array([a[0], a[1] - a[0]])


# trapezoid's sample points, constant: the exact gradient in the points cancels the y terms that torch's
# rounded (y[i] + y[i+1]) sums keep, so its bound would be too tight
T5 = [0.0, 0.5, 1.5, 1.75, 3.0]


def _pairwise(x1, x2):
    return (x1[:, None, :] - x2[None, :, :]).reshape(-1)


def _row_distances(x1, x2):
    return np.sqrt(((x1[:, None, :] - x2[None, :, :]) ** 2).sum(-1)).reshape(-1)


ENTRIES = [
    entry("sum", "torch.sum(x, dim={dim}, keepdim={keepdim})",
          lambda x, dim, keepdim: s.sum(x, axis=dim, keepdims=keepdim), x=R.of(2, 3, 2), dtypes=REAL_AND_COMPLEX,
          arguments=dict(x=SIZE_ONE, dim=Dims("x"), keepdim=Bool())),
    entry("mean", "torch.mean(x, dim={dim}, keepdim={keepdim})",
          lambda x, dim, keepdim: s.mean(x, axis=dim, keepdims=keepdim), x=R.of(3, 2), dtypes=REAL_AND_COMPLEX,
          arguments=dict(x=Shapes((2, 3, 2), (2, 1, 3), (3,)), dim=Dims("x"), keepdim=Bool())),
    entry("prod", "torch.prod(x)", lambda x: s.prod(x), x=NONZERO.of(5), dtypes=REAL_AND_COMPLEX,
          unmodelled=limits.unmodelled("third_order", limits.PROD_THIRD_ORDER), normwise=True,
          deviations=limits.PROD_F16),
    entry("logsumexp", "torch.logsumexp(x, dim={dim}, keepdim={keepdim})",
          lambda x, dim, keepdim: s.logsumexp(x, axis=dim, keepdims=keepdim), x=R.of(2, 4),
          arguments=dict(x=Shapes((2, 3, 2), (1, 3), (3,)), dim=Dims("x", none=False), keepdim=Bool())),
    entry("softmax", "torch.softmax(x, dim={dim})", lambda x, dim: s.softmax(x, axis=dim), x=R.of(2, 3),
          arguments=dict(x=Shapes((2, 3, 2), (3, 1), (1,)), dim=Dim("x", default=-1))),
    entry("log_softmax", "torch.log_softmax(x, dim={dim})", lambda x, dim: s.log_softmax(x, axis=dim), x=R.of(3, 2),
          arguments=dict(x=Shapes((2, 3, 2), (1, 3), (1,)), dim=Dim("x"))),
    entry("norm2", "torch.linalg.vector_norm(x)", lambda x: s.norm(x, 2), x=NONZERO.of(5)),
    entry("norm1", "torch.linalg.vector_norm(x, ord=1)", lambda x: s.norm(x, 1), x=NONZERO.of(5)),
    entry("norm3", "torch.linalg.vector_norm(x, ord=3, dim=1)", lambda x: s.norm(x, 3, axis=1), x=NONZERO.of(2, 3)),

    # sums and means
    entry("Tensor.sum", "x.sum(-1)", lambda x: s.sum(x, axis=-1), x=R.of(3, 2)),
    entry("Tensor.mean", "x.mean()", lambda x: s.mean(x), x=R.of(2, 3)),
    entry("nansum", "torch.nansum(x, dim=1)", lambda x: s.sum(x, axis=1), x=R.of(2, 3)),
    entry("nanmean", "torch.nanmean(x, dim=0)", lambda x: s.mean(x, axis=0), x=R.of(3, 2)),

    # products (zeros are drawn often: the spec is a polynomial, exact at zeros)
    entry("prod_dim", "torch.prod(x, dim=1, keepdim=True)", lambda x: s.prod(x, axis=1, keepdims=True),
          x=NONZERO.of(2, 3), widened=limits.widened("double_backward", limits.PROD_SECOND_ORDER, 1.35, 5),
          normwise=True, unmodelled=limits.unmodelled("third_order", limits.PROD_THIRD_ORDER),
          deviations=limits.PROD_F16),
    entry("prod_zeros", "torch.prod(x)", lambda x: s.prod(x), x=SMALL.of(5),
          widened=limits.widened("double_backward", limits.PROD_SECOND_ORDER, 1.19, 4), normwise=True,
          unmodelled=limits.unmodelled("forward_over_reverse", limits.PROD_ZEROS_FORWARD_OVER_REVERSE)
          | limits.unmodelled("third_order", limits.PROD_THIRD_ORDER), deviations=limits.PROD_F16),
    entry("prod_dim_zeros", "torch.prod(x, dim=0)", lambda x: s.prod(x, axis=0), x=SMALL.of(3, 2),
          widened=limits.widened("double_backward", limits.PROD_SECOND_ORDER, 7.56, 20), normwise=True,
          unmodelled=limits.unmodelled("third_order", limits.PROD_THIRD_ORDER), deviations=limits.PROD_F16),
    entry("Tensor.prod", "x.prod(-1)", lambda x: s.prod(x, axis=-1), x=NONZERO.of(2, 3),
          widened=limits.widened("double_backward", limits.PROD_SECOND_ORDER, 1.35, 5),
          normwise=True, unmodelled=limits.unmodelled("third_order", limits.PROD_THIRD_ORDER),
          deviations=limits.PROD_F16),

    # max/min (away from ties of the extreme)
    entry("amax", "torch.amax(x, dim={dim}, keepdim={keepdim})",
          lambda x, dim, keepdim: reduce_over(x, dim, _max, keepdim), x=R.of(2, 3), kinks=_ties_over([-1]),
          arguments=dict(x=Shapes((2, 3, 2), (1, 3)), dim=Dims("x", none=False), keepdim=Bool())),
    entry("amin", "torch.amin(x, dim={dim}, keepdim={keepdim})",
          lambda x, dim, keepdim: reduce_over(x, dim, _min, keepdim), x=R.of(2, 3), kinks=_ties_over([0]),
          arguments=dict(x=Shapes((2, 3, 2), (1, 3)), dim=Dims("x", none=False), keepdim=Bool())),
    entry("Tensor.amax", "x.amax(0, keepdim=True)", lambda x: _along(x, 0, _max, keepdims=True), x=R.of(3, 2),
          kinks=_ties(0, [-1])),
    entry("max_no_dim", "torch.max(x)", lambda x: _along(x, None, _max), x=R.of(6), kinks=_ties(None, [-1])),
    entry("max_dim", "torch.max(x, dim=1).values", lambda x: _along(x, 1, _max), x=R.of(2, 3), kinks=_ties(1, [-1])),
    entry("min_no_dim", "torch.min(x)", lambda x: _along(x, None, _min), x=R.of(6), kinks=_ties(None, [0])),
    entry("min_dim", "torch.min(x, dim=0, keepdim=True).values", lambda x: _along(x, 0, _min, keepdims=True),
          x=R.of(3, 2), kinks=_ties(0, [0])),
    entry("aminmax", "torch.aminmax(x, dim=-1)", lambda x: (_along(x, -1, _min), _along(x, -1, _max)), x=R.of(2, 3),
          kinks=_ties(-1, [0, -1])),

    # order statistics (the lower median, linear-interpolation quantiles), away from ties at the ranks used
    entry("median", "torch.median(x)", _median, x=R.of(5), kinks=_ties(None, _median_rank)),
    entry("median_dim", "torch.median(x, dim=1).values", lambda x: _along(x, 1, _median), x=R.of(2, 3),
          kinks=_ties(1, _median_rank)),
    entry("nanmedian", "torch.nanmedian(x, dim=0, keepdim=True).values",
          lambda x: _along(x, 0, _median, keepdims=True), x=R.of(3, 2), kinks=_ties(0, _median_rank)),
    entry("kthvalue", "torch.kthvalue(x, 2, dim=1).values", lambda x: _along(x, 1, _kth(1)), x=R.of(2, 4),
          kinks=_ties(1, [1])),
    entry("sort", "torch.sort(x).values", _order, x=R.of(6), kinks=_ties(0)),
    entry("sort_descending", "torch.sort(x, dim=0, descending=True).values",
          lambda x: _along(x, 0, lambda r: _order(r)[::-1]), x=R.of(3, 2), kinks=_ties(0)),
    entry("msort", "torch.msort(x)", lambda x: _along(x, 0, _order), x=R.of(3, 2), kinks=_ties(0)),
    entry("topk", "torch.topk(x, 3).values", lambda x: _order(x, [len(x) - 1, len(x) - 2, len(x) - 3]), x=R.of(6),
          kinks=_ties(0, [-3, -2, -1])),
    entry("topk_smallest", "torch.topk(x, 2, dim=1, largest=False).values",
          lambda x: _along(x, 1, lambda r: _order(r, [0, 1])), x=R.of(2, 4), kinks=_ties(1, [0, 1])),
    entry("quantile", "torch.quantile(x, 0.3125)", _quantile(0.3125), x=R.of(5),
          kinks=_ties(None, _interpolated(0.3125))),
    entry("quantile_dim", "torch.quantile(x, torch.tensor([0.25, 0.625], dtype=x.dtype, device=x.device), dim=1)",
          lambda x: np.stack([_along(x, 1, _quantile(0.25)), _along(x, 1, _quantile(0.625))]), x=R.of(2, 5),
          kinks=_ties(1, _interpolated(0.25, 0.625))),
    entry("nanquantile", "torch.nanquantile(x, 0.875, dim=0)", lambda x: _along(x, 0, _quantile(0.875)),
          x=R.of(5, 2), kinks=_ties(0, _interpolated(0.875))),

    # logsumexp spellings
    entry("special.logsumexp", "torch.special.logsumexp(x, 0)", lambda x: s.logsumexp(x, axis=0), x=R.of(3, 2)),
    entry("Tensor.logsumexp", "x.logsumexp(1)", lambda x: s.logsumexp(x, axis=1), x=R.of(2, 3)),

    # variance and standard deviation (std away from constant slices, where it is not differentiable)
    entry("std", "torch.std(x)", lambda x: _std(x), x=R.of(6), kinks=Kinks(lambda x: np.std(x))),
    entry("std_correction0", "torch.std(x, dim={dim}, correction={correction}, keepdim={keepdim})",
          lambda x, dim, correction, keepdim: _std(x, dim, correction, keepdim), x=R.of(2, 3),
          kinks=lambda dim, correction, keepdim: Kinks(lambda x: np.std(x, axis=dim)), constraint=spread,
          arguments=dict(x=Shapes((2, 3, 2), (1, 3)), dim=Dims("x"), correction=Choice(0, 1, 2), keepdim=Bool())),
    entry("Tensor.std", "x.std(0, keepdim=True)", lambda x: _std(x, 0, 1, keepdims=True), x=R.of(3, 2),
          kinks=Kinks(lambda x: np.std(x, axis=0))),
    entry("var", "torch.var(x, dim=0)", lambda x: _var(x, 0), x=R.of(3, 2)),
    entry("var_correction0", "torch.var(x, dim={dim}, correction={correction}, keepdim={keepdim})",
          lambda x, dim, correction, keepdim: _var(x, dim, correction, keepdim), x=R.of(6), constraint=enough,
          arguments=dict(x=Shapes((2, 3, 2), (2, 1)), dim=Dims("x"), correction=Choice(0, 1, 2), keepdim=Bool())),
    entry("var_unbiased_false", "torch.var(x, 1, unbiased=False)", lambda x: _var(x, 1, 0), x=R.of(2, 3)),
    entry("std_mean", "torch.std_mean(x, dim=1)", lambda x: (_std(x, 1), s.mean(x, axis=1)), x=R.of(2, 3),
          kinks=Kinks(lambda x: np.std(x, axis=1))),
    entry("var_mean", "torch.var_mean(x, correction=0)", lambda x: (_var(x, None, 0), s.mean(x)), x=R.of(6)),

    # scans
    entry("cumsum", "torch.cumsum(x, dim={dim})", lambda x, dim: _along(x, dim, _scan(s.add)), x=R.of(2, 4),
          dtypes=REAL_AND_COMPLEX, arguments=dict(x=Shapes((2, 1, 3), (3,)), dim=Dim("x", default=1))),
    entry("Tensor.cumsum", "x.cumsum(0)", lambda x: _along(x, 0, _scan(s.add)), x=R.of(6)),
    entry("cumprod", "torch.cumprod(x, dim=0)", lambda x: _along(x, 0, _scan(s.product)), x=NONZERO.of(4, 2),
          widened=limits.widened("double_backward", limits.PROD_SECOND_ORDER, 4.51, 12)
          | limits.widened("forward_over_forward", limits.PROD_SECOND_ORDER, 1.89, 5), normwise=True,
          unmodelled=limits.unmodelled("third_order", limits.PROD_THIRD_ORDER)),
    entry("cumprod_zeros", "torch.cumprod(x, dim=-1)", lambda x: _along(x, -1, _scan(s.product)), x=SMALL.of(2, 4),
          unmodelled=limits.unmodelled("double_backward", limits.CUMPROD_SECOND_ORDER)
          | limits.unmodelled("forward_over_forward", limits.CUMPROD_SECOND_TANGENT)),
    entry("cummax", "torch.cummax(x, dim=0).values", lambda x: _along(x, 0, _scan(lambda *xs: _max(xs))),
          x=R.of(4, 2), kinks=Kinks(lambda x: _scan_gaps(x, 0), margin=TIES)),
    entry("cummin", "torch.cummin(x, dim=1).values", lambda x: _along(x, 1, _scan(lambda *xs: _min(xs))),
          x=R.of(2, 4), kinks=Kinks(lambda x: _scan_gaps(x, 1, -1.0), margin=TIES)),
    entry("logcumsumexp", "torch.logcumsumexp(x, dim=0)",
          lambda x: _along(x, 0, _scan(lse_value)), x=R.of(5),
          widened=limits.widened("forward_ad:float64", limits.LOGCUMSUMEXP_FORWARD, 8.23e5, 2e6),
          deviations={**limits.LOGCUMSUMEXP_THIRD_ORDER, **limits.LOGCUMSUMEXP_F16}),

    # softmax spellings
    entry("Tensor.softmax", "x.softmax(0)", lambda x: s.softmax(x, axis=0), x=R.of(3, 2)),
    entry("Tensor.log_softmax", "x.log_softmax(-1)", lambda x: s.log_softmax(x, axis=-1), x=R.of(2, 3)),
    entry("nn.functional.softmax", "F.softmax(x, dim=0)", lambda x: s.softmax(x, axis=0), x=R.of(3, 2)),
    entry("nn.functional.log_softmax", "F.log_softmax(x, dim=1)", lambda x: s.log_softmax(x, axis=1),
          x=R.of(2, 3, 2)),
    entry("special.softmax", "torch.special.softmax(x, 1)", lambda x: s.softmax(x, axis=1), x=R.of(2, 3)),
    entry("special.log_softmax", "torch.special.log_softmax(x, 0)", lambda x: s.log_softmax(x, axis=0),
          x=R.of(3, 2)),

    # norms and distances (away from zero, and from ties of the largest magnitude)
    entry("norm", "torch.norm(x)", lambda x: s.norm(x, 2), x=NONZERO.of(2, 3)),
    entry("norm_fro", "torch.norm(x, p='fro', dim=(0, 1))", lambda x: s.norm(x, 2, axis=(0, 1)),
          x=NONZERO.of(2, 3)),
    entry("norm_p1", "torch.norm(x, p=1, dim=1)", lambda x: s.norm(x, 1, axis=1), x=NONZERO.of(2, 3)),
    entry("norm_inf", "torch.norm(x, p=torch.inf)", lambda x: _max(s.abs(x).reshape(-1)), x=NONZERO.of(2, 3),
          kinks=Kinks(_abs_top2, margin=TIES)),
    entry("linalg.vector_norm_inf", "torch.linalg.vector_norm(x, ord=torch.inf)",
          lambda x: _max(s.abs(x)), x=NONZERO.of(5), kinks=Kinks(_abs_top2, margin=TIES)),
    entry("linalg.vector_norm_neginf", "torch.linalg.vector_norm(x, ord=-torch.inf)",
          lambda x: _min(s.abs(x)), x=NONZERO.of(5), kinks=Kinks(_abs_bottom, margin=TIES)),
    entry("linalg.vector_norm_half", "torch.linalg.vector_norm(x, ord=0.5)",
          lambda x: s.norm(x, sp.Rational(1, 2)), x=NONZERO.of(5)),
    entry("dist", "torch.dist(x, y)", lambda x, y: s.norm(x - y, 2), x=R.of(2, 3), y=R.of(2, 3),
          kinks=Kinks(lambda x, y: np.linalg.norm(x - y))),
    entry("dist_p1", "torch.dist(x, y, p=1)", lambda x, y: s.norm(x - y, 1), x=R.of(5), y=R.of(5),
          kinks=Kinks(lambda x, y: x - y)),
    entry("dist_p3", "torch.dist(x, y, 3)", lambda x, y: s.norm(x - y, 3), x=R.of(5), y=R.of(5),
          kinks=Kinks(lambda x, y: np.linalg.norm(x - y))),
    entry("dist_inf", "torch.dist(x, y, p=torch.inf)", lambda x, y: _max(s.abs(x - y)), x=R.of(5), y=R.of(5),
          kinks=Kinks(lambda x, y: _abs_top2(x - y))),
    entry("cdist", "torch.cdist(x, y)",
          lambda x, y: s.array([[s.norm(xi - yj, 2) for yj in y] for xi in x]), x=R.of(2, 3), y=R.of(3, 3),
          kinks=Kinks(_row_distances),
          unsupported=limits.unsupported(double="_cdist_backward", forward="_cdist_forward"),
          deviations=limits.CDIST_FUNC, sequential=True),
    entry("cdist_p1", "torch.cdist(x, y, p=1)",
          lambda x, y: s.array([[s.norm(xi - yj, 1) for yj in y] for xi in x]), x=R.of(2, 2), y=R.of(3, 2),
          kinks=Kinks(_pairwise), unsupported=limits.unsupported(double="_cdist_backward", forward="_cdist_forward"),
          deviations=limits.CDIST_FUNC, sequential=True),

    # trace, differences, trapezoid rule
    entry("trace", "torch.trace(x)", lambda x: s.add(*np.diag(x)), x=R.of(3, 3), dtypes=REAL_AND_COMPLEX),
    entry("diff", "torch.diff(x)", lambda x: _diff(x), x=R.of(2, 4)),
    entry("diff_n2", "torch.diff(x, n=2, dim=0)", lambda x: _diff(_diff(x, 0), 0), x=R.of(4, 2)),
    entry("diff_prepend", "torch.diff(x, dim=0, prepend=y)", lambda x, y: _diff(np.concatenate([y, x]), 0),
          x=R.of(2, 3), y=R.of(1, 3)),
    entry("diff_append", "torch.diff(x, append=y)", lambda x, y: _diff(np.concatenate([x, y], -1)),
          x=R.of(2, 3), y=R.of(2, 1)),
    entry("trapezoid", f"torch.trapezoid(y, torch.tensor({T5}, dtype=y.dtype, device=y.device))",
          lambda y: s.sum(_diff(_rational(T5)) * (y[1:] + y[:-1]) / 2), y=R.of(5)),
    entry("cumulative_trapezoid", "torch.cumulative_trapezoid(y, dx=0.5)",
          lambda y: _along((y[1:] + y[:-1]) / 4, 0, _scan(s.add)), y=R.of(6)),
]

# redrawn sizes hold here (the input-space properties; tests/test_space.py checks the spec at them)
ENTRIES = declare(ENTRIES, "resizable", but=("trapezoid",))  # its sample points are five constants
ENTRIES = untraced(ENTRIES, "its spec scans lse_value, a sympy function of the whole prefix, which the tape oracle "
                   "cannot evaluate at traced arguments", ("logcumsumexp",))
