"""torch.masked reductions, scans and normalizations over a constant mask.

Every call builds its mask from a fixed literal (``mask=torch.tensor([[True, False, True], ...],
device=x.device)``), so the mask is a constant of the entry and its spec reads the same literal.  Each slice
along the reduced dimension keeps its True elements: a reduction's spec is the plain reduction of the kept
elements, a normalization's kept lanes are the plain normalization of them, a scan carries its running value
across masked-out lanes.  A masked-out element enters no expression, so every derivative in it is 0.

A slice with no kept element gives the op's identity, a constant (derivative 0): sum 0, prod 1, norm 0,
cumsum 0, cumprod 1, normalize 0.  Fully masked slices are declared only for these: where torch gives NaN
(mean, median, var, std, softmax) there is no value to differentiate, and where it gives -inf (amax,
logsumexp, logaddexp) the output is not a real number.  Masked-out lanes of softmax and softmin are the
constant 0; those of log_softmax are -inf, which torch differentiates as x - logsumexp (not as a constant),
so that call keeps its kept lanes only (``[mask]``).  Order statistics stay away from ties among the kept
elements only.
"""
import numpy as np
import sympy as sp

from conformance.catalogue import conditions, limits
from conformance.catalogue.reductions import NONZERO, R, _median, _median_rank, _order, _sorted_gaps
from conformance.exact import spec as s
from conformance.model.case import entry
from conformance.model.domain import TIES, Kinks
from conformance.model.status import Overflow, Where

# the masks, as the calls write them
A23 = [[True, False, True], [False, True, True]]  # two kept per row
E23 = [[True, False, True], [False, False, False]]  # a fully masked row
B34 = [[True, True, False, True], [False, True, True, False], [True, False, True, True]]  # each column keeps two+
E34 = [[True, False, True, True], [False, False, False, False], [False, True, True, False]]
ROW = [True, False, True, True]  # broadcast over the rows of a 3x4 input
LSE_X = [[True, True, False], [True, False, True]]  # logaddexp: both, one or the other kept; never neither
LSE_Y = [[True, False, True], [False, True, True]]


# Verified by hand (torch 2.13.0, CPU, float64): the same second derivatives of the composite torch.where(m, x, y)
# (the output of a lane whose x is masked out) are 0, and plain torch.logaddexp(-inf, y), which the masked op
# evaluates there, gives the same NaN.
LOGADDEXP_NAN = Where(
    "torch.logaddexp's second derivatives are NaN where one argument is -inf, the fill of a masked-out element: "
    "logaddexp(-inf, y) = y, second derivatives 0: one = torch.ones(1, dtype=torch.float64); zero = "
    "torch.zeros(1, dtype=torch.float64); f = lambda x, y: torch.masked.logaddexp(x, y, input_mask="
    "torch.tensor([False]), other_mask=torch.tensor([True])); torch.func.jvp(lambda s, t: torch.func.jvp(f, "
    "(s, t), (zero, one))[1], (0.3 * one, 0.7 * one), (zero, one))[1] is nan, exact 0 (double backward with a "
    "nonzero tangent in x: nan in y; eager first order is right); at draws whose weights vanish in those lanes "
    "it passes", conditions.MASKED_LANE_WEIGHTED)
MASKED_CUMPROD_SECOND_ORDER = (
    "torch differentiates cumprod's backward, a reversed cumsum of grad * out divided by x: where a "
    "weight or tangent vanishes in a product's factors the exact HVP is 0 and torch leaves "
    "rounding noise (1.8e-15 in float64 over 200 random draws with v[0, 2] = 0); "
    + limits.EXACT_ZERO.format("1.38e293 (float64), 5.48e29 (float32)"))
LOGADDEXP_PROPERTIES = ("test_hvp", "test_hvp_backward", "test_third_order", "test_forward_over_hvp",
                        "test_jvp_of_jvp", "test_jacfwd_jacfwd")


def _call(op, mask, *args, x="x", mask_arg="mask", **kwargs):
    """``torch.masked.op(x, *args, **kwargs, mask=torch.tensor(<literal>, device=x.device))``."""
    rest = "".join(f", {a}" for a in args) + "".join(f", {k}={v}" for k, v in kwargs.items())
    return f"torch.masked.{op}({x}{rest}, {mask_arg}=torch.tensor({mask}, device={x}.device))"


# ---- slices of kept elements ---------------------------------------------------------------------

def _slices(x, mask, axis):
    """(index of the slice, its elements, its mask) for each 1-D slice of ``x`` along ``axis``
    (``axis=None``: the flattened input), the mask broadcast to ``x``'s shape."""
    x = np.asarray(x)
    m = np.broadcast_to(np.array(mask, dtype=bool), x.shape)
    if axis is None:
        return [((), x.reshape(-1), m.reshape(-1))]
    xm, mm = np.moveaxis(x, axis, -1), np.moveaxis(m, axis, -1)
    return [(idx, xm[idx], mm[idx]) for idx in np.ndindex(*xm.shape[:-1])]


def _reduce(fn, mask, axis=None, keepdims=False):
    """Spec: ``fn`` (a list of the kept elements -> expression) over each slice along ``axis``."""
    def spec(x):
        x = np.asarray(x, dtype=object)
        parts = _slices(x, mask, axis)
        shape = () if axis is None else np.moveaxis(x, axis, -1).shape[:-1]
        out = np.empty(shape, dtype=object)
        for idx, xs, keep in parts:
            out[idx] = fn(list(xs[keep]))
        if keepdims:
            return out.reshape((1,) * x.ndim) if axis is None else np.expand_dims(out, axis)
        return out
    return spec


def _lanes(fn, mask, axis):
    """Spec: ``fn`` (the slice's elements and its mask -> one expression per lane) along ``axis``."""
    def spec(x):
        x = np.asarray(x, dtype=object)
        out = np.empty(np.moveaxis(x, axis, -1).shape, dtype=object)
        for idx, xs, keep in _slices(x, mask, axis):
            out[idx] = s.array(fn(list(xs), list(keep)))
        return np.moveaxis(out, -1, axis)
    return spec


# ---- what each op makes of a slice -----------------------------------------------------------------

def _mean(xs):
    return s.add(*xs) / len(xs)


def _var(correction):
    def var(xs):
        m = _mean(xs)
        return s.add(*((xi - m) ** 2 for xi in xs)) / (len(xs) - correction)
    return var


def _std(correction):
    return lambda xs: s.sqrt(_var(correction)(xs))


def _norm(p):
    return lambda xs: s.norm(s.array(xs), p) if xs else sp.Integer(0)


def _scan(fn):
    """Inclusive scan over the kept elements; a masked-out lane repeats the running value (the identity first)."""
    return lambda xs, keep: [fn(*(xj for xj, k in zip(xs[: i + 1], keep[: i + 1]) if k)) for i in range(len(xs))]


def _softmax(sign):
    def softmax(xs, keep):
        e = [s.exp(sign * xi) for xi, k in zip(xs, keep) if k]
        total = s.add(*e)
        it = iter(e)
        return [next(it) / total if k else sp.Integer(0) for k in keep]
    return softmax


def _log_softmax(xs, keep):
    lse = s.log(s.add(*(s.exp(xi) for xi, k in zip(xs, keep) if k)))
    return [xi - lse if k else -sp.oo for xi, k in zip(xs, keep)]


def _kept(spec, mask):
    """Spec of ``call[mask]``: the kept lanes of ``spec``'s output, in row-major order."""
    return lambda x: spec(x)[np.array(mask, dtype=bool)]


def _normalize(p):
    def normalize(xs, keep):
        kept = [xi for xi, k in zip(xs, keep) if k]
        if not kept:  # x / max(0, eps): the constant 0
            return [sp.Integer(0)] * len(xs)
        n = _norm(p)(kept)
        return [xi / n if k else sp.Integer(0) for xi, k in zip(xs, keep)]
    return normalize


def _logaddexp(x, y):
    mx, my = np.array(LSE_X), np.array(LSE_Y)
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(*x.shape):
        kept = [v for v, k in ((x[idx], mx[idx]), (y[idx], my[idx])) if k]
        out[idx] = s.log(s.add(*(s.exp(v) for v in kept))) if len(kept) == 2 else kept[0]
    return out


# ---- kinks among the kept elements -------------------------------------------------------------------

def _kept_ties(mask, axis, ranks):
    """Kinks: no tie next to the order statistics ``ranks`` among each slice's kept elements."""
    def gaps(x):
        parts = [_sorted_gaps(xs[keep], 0, ranks) for _, xs, keep in _slices(x, mask, axis) if keep.sum() > 1]
        return np.concatenate(parts) if parts else np.ones(1)
    return Kinks(gaps, margin=TIES)


def _kept_spread(mask, axis):
    """Kinks: each slice's kept elements are not all equal (std is not differentiable there)."""
    return Kinks(lambda x: np.array([np.std(xs[keep]) for _, xs, keep in _slices(x, mask, axis)]))


def _top(xs):
    return _order(xs, [len(xs) - 1])[0] if xs else -sp.oo


def _bottom(xs):
    return _order(xs, [0])[0]


# Verified by hand (torch 2.13.0, CPU): masked.normalize divides by maximum(norm, eps) with eps = 1e-12, which
# rounds to 0 in float16, so a fully masked row is 0 / 0: NaN forward and tangent (bfloat16, float32, float64 give
# 0, the exact value); the backward there is 0 (the VJP properties pass).  Covers a NaN worst element only.
NORMALIZE_EPS_F16 = Overflow(
    "torch.masked.normalize's eps (1e-12) rounds to 0 in float16, so a fully masked row is 0 / 0: x = "
    "torch.tensor([[1., 2.], [3., 4.]], dtype=torch.float16); torch.masked.normalize(x, 2.0, 1, mask=torch.tensor("
    "[[True, False], [False, False]])) has NaN in row 1 (bfloat16 and float32 give 0); its forward-mode tangent "
    "too", conditions.NORMALIZE_ROW_CHECKED, nan=True)

ENTRIES = [
    # sums and means
    entry("masked.sum", _call("sum", A23, 1), _reduce(lambda xs: s.add(*xs), A23, 1), x=R.of(2, 3)),
    entry("masked.sum_masked_row", _call("sum", E23, -1, keepdim=True),
          _reduce(lambda xs: s.add(*xs), E23, -1, keepdims=True), x=R.of(2, 3)),
    entry("masked.sum_broadcast_mask", _call("sum", ROW), _reduce(lambda xs: s.add(*xs), ROW), x=R.of(3, 4)),
    entry("masked.mean", _call("mean", B34, 1), _reduce(_mean, B34, 1), x=R.of(3, 4)),

    # products (polynomials: exact at any point; a fully masked row is the constant 1)
    entry("masked.prod", _call("prod", E23, 1), _reduce(lambda xs: s.product(*xs), E23, 1), x=NONZERO.of(2, 3),
          normwise=True, widened=limits.widened("double_backward", limits.PROD_SECOND_ORDER, 2.26, 6),
          unmodelled=limits.unmodelled("third_order", limits.PROD_THIRD_ORDER)),

    # scans
    entry("masked.cumsum", _call("cumsum", E34, 1), _lanes(_scan(s.add), E34, 1), x=R.of(3, 4)),
    entry("masked.cumprod", _call("cumprod", E23, 1), _lanes(_scan(s.product), E23, 1), x=NONZERO.of(2, 3),
          normwise=True, widened=limits.widened("forward_over_forward", limits.PROD_SECOND_ORDER, 11.3, 28),
          unmodelled=limits.unmodelled("double_backward", MASKED_CUMPROD_SECOND_ORDER)),

    # extremes and the median, away from ties among the kept elements
    entry("masked.amax", _call("amax", A23, 1), _reduce(_top, A23, 1), x=R.of(2, 3), kinks=_kept_ties(A23, 1, [-1])),
    entry("masked.amin", _call("amin", B34, 0), _reduce(_bottom, B34, 0), x=R.of(3, 4), kinks=_kept_ties(B34, 0, [0])),
    entry("masked.median", _call("median", B34, 1), _reduce(_median, B34, 1), x=R.of(3, 4),
          kinks=_kept_ties(B34, 1, _median_rank)),

    # variance and standard deviation (std away from slices whose kept elements are equal)
    entry("masked.var", _call("var", A23, 1), _reduce(_var(1), A23, 1), x=R.of(2, 3)),
    entry("masked.std", _call("std", B34, 0, unbiased=False), _reduce(_std(0), B34, 0), x=R.of(3, 4),
          kinks=_kept_spread(B34, 0)),

    # norms (away from zero), normalize
    entry("masked.norm", _call("norm", E23, 2.0, 1), _reduce(_norm(2), E23, 1), x=NONZERO.of(2, 3)),
    entry("masked.norm_ord1", _call("norm", B34, 1.0, 0), _reduce(_norm(1), B34, 0), x=NONZERO.of(3, 4)),
    entry("masked.normalize", _call("normalize", E23, 2.0, 1), _lanes(_normalize(2), E23, 1), x=NONZERO.of(2, 3),
          deviations={"forward_ad:float16": NORMALIZE_EPS_F16}),

    # log-sum-exp family and softmax
    entry("masked.logsumexp", _call("logsumexp", A23, 1), _reduce(lambda xs: s.log(s.add(*map(s.exp, xs))), A23, 1),
          x=R.of(2, 3)),
    entry("masked.logaddexp",
          f"torch.masked.logaddexp(x, y, input_mask=torch.tensor({LSE_X}, device=x.device), "
          f"other_mask=torch.tensor({LSE_Y}, device=x.device))", _logaddexp, x=R.of(2, 3), y=R.of(2, 3),
          deviations=limits.in_properties(LOGADDEXP_PROPERTIES, LOGADDEXP_NAN)),
    entry("masked.softmax", _call("softmax", A23, 1), _lanes(_softmax(1), A23, 1), x=R.of(2, 3)),
    entry("masked.softmin", _call("softmin", B34, 0), _lanes(_softmax(-1), B34, 0), x=R.of(3, 4)),
    entry("masked.log_softmax", _call("log_softmax", A23, 1) + f"[torch.tensor({A23}, device=x.device)]",
          _kept(_lanes(_log_softmax, A23, 1), A23), x=R.of(2, 3)),
]
