"""torch.nn.functional losses.

Class indices and ±1 labels are constant tensors written in the call; the specs read the same
constants (``Y6``, ``T2``... below).  Hinge-type losses keep their inputs away from the hinge with ``Kinks``.
"""
import mpmath
import numpy as np
import sympy as sp

from conformance.catalogue import conditions, limits
from conformance.exact import spec as s
from conformance.model.arguments import Choice
from conformance.model.case import entry
from conformance.model.domain import Kinks, Real
from conformance.model.family import declare
from conformance.model.status import Overflow

R = Real(-3.0, 3.0)
PROB = Real(0.05, 0.95)
UNIT = Real(0.0, 1.0)
LOGP = Real(-3.0, 0.0)


class loss_softplus(sp.Function):
    """log(1 + exp(x)) whose derivative is the logistic function, as torch's BCE-with-logits backward has it."""

    def fdiff(self, argindex=1):
        return s.sigmoid(self.args[0])


s.register("loss_softplus", lambda x: mpmath.log1p(mpmath.exp(x)), lambda x: np.log1p(np.exp(x)))
softplus = s.lift(loss_softplus)


_q = s.decimal


def _reduce(loss, reduction):
    if reduction == "mean":
        return s.mean(loss)
    if reduction == "sum":
        return s.sum(loss)
    return loss


def _constants(values) -> np.ndarray:
    return s.array([_q(v) for v in values])


APART = Kinks(lambda x, y: x - y)
hinge = s.lift(lambda v: sp.Piecewise((v, v > 0), (0, True)))  # max(v, 0)
smaller = s.lift(lambda a, b: sp.Piecewise((a, a < b), (b, True)), 2)  # min(a, b)


# -- regression losses ---------------------------------------------------------------------------
def _smooth_l1(beta, reduction="mean"):
    beta = _q(beta)
    f = s.lift(lambda d: sp.Piecewise((d**2 / (2 * beta), sp.Abs(d) < beta), (sp.Abs(d) - beta / 2, True)))
    return lambda x, y: _reduce(f(x - y), reduction)


def _huber(delta, reduction="mean"):
    delta = _q(delta)
    f = s.lift(lambda d: sp.Piecewise((d**2 / 2, sp.Abs(d) < delta), (delta * (sp.Abs(d) - delta / 2), True)))
    return lambda x, y: _reduce(f(x - y), reduction)


REDUCTION = Choice("mean", "sum", "none")  # a loss's reduction, drawn


def _off_threshold(t):
    return Kinks(lambda x, y: np.abs(x - y) - t)


# -- probabilistic losses ------------------------------------------------------------------------
BCE_W = (0.5, 2.0, 1.5)
POS_W = (3.0, 0.25, 2.0)


def _bce(x, y):
    return -(y * s.log(x) + (1 - y) * s.log(1 - x))


def _bce_logits(x, y, pos_weight=None):
    """(1 + (p - 1) y) softplus(x) - p y x: torch's backward is (1 + (p - 1) y) sigmoid(x) - p y."""
    if pos_weight is None:
        return softplus(x) - x * y
    p = _constants(pos_weight)
    return (1 + (p - 1) * y) * softplus(x) - p * y * x


def _nll(logp, target, weight=None, reduction="mean", ignore_index=-100):
    """nll_loss over class dim 1 of ``logp``, ``target`` a nested list of class indices."""
    target = np.asarray(target)
    lp = np.moveaxis(logp, 1, -1)
    losses, weights = np.empty(target.shape, dtype=object), np.empty(target.shape, dtype=object)
    for idx in np.ndindex(*target.shape):
        c = int(target[idx])
        w = 0 if c == ignore_index else (1 if weight is None else _q(weight[c]))
        weights[idx] = sp.Integer(w) if isinstance(w, int) else w
        losses[idx] = -w * lp[idx + (c,)] if w != 0 else sp.Integer(0)
    if reduction == "mean":
        return s.sum(losses) / s.sum(weights)
    return _reduce(losses, reduction)


def _ce(target, weight=None, reduction="mean", ignore_index=-100):
    return lambda x: _nll(s.log_softmax(x, axis=1), target, weight, reduction, ignore_index)


def _ce_smoothed(target, eps):
    """(1 - eps) nll + eps / C * mean over samples of -sum_c log_softmax (torch's label smoothing)."""
    eps = _q(eps)

    def spec(x):
        lp = s.log_softmax(x, axis=1)
        smooth = s.mean(-s.sum(lp, axis=1))
        return (1 - eps) * _nll(lp, target) + smooth * eps / x.shape[1]
    return spec


def _ce_probs(eps=0):
    eps = _q(eps)

    def spec(x, t):
        n, c = x.shape
        q = t * (1 - eps) + eps / c if eps else t
        return -s.sum(q * s.log_softmax(x, axis=1)) / n
    return spec


def _logsigmoid(x):
    return -s.log(1 + s.exp(-x))


def _multilabel_soft_margin(x, y):
    loss = -(y * _logsigmoid(x) + (1 - y) * _logsigmoid(-x))
    return s.mean(s.sum(loss, axis=1) / x.shape[1])


def _poisson_full(x, y):
    stirling = s.lift(lambda t: sp.Piecewise((t * sp.log(t) - t + sp.log(2 * sp.pi * t) / 2, t > 1), (0, True)))
    return s.mean(s.exp(x) - y * x + stirling(y))


def _gaussian_nll(reduction="mean"):
    return lambda x, y, var: _reduce((s.log(var) + (x - y) ** 2 / var) / 2, reduction)


# -- margin and embedding losses -----------------------------------------------------------------
Y6 = [1, -1, -1, 1, -1, 1]
Y2 = [1, -1]
T2 = [1, 3]
EPS_PAIRWISE = sp.Float(1e-6)  # F.pairwise_distance's eps, added to the difference
EPS_COSINE = sp.Float(1e-12)   # cosine_embedding_loss's eps, added to the squared norms


def _ranking(x1, x2):
    return s.mean(hinge(-np.array(Y6) * (x1 - x2) + sp.Rational(1, 2)))


def _hinge_embedding(x):
    y = np.array(Y6)
    return s.mean(np.where(y == 1, x, hinge(1 - x)))


def _distance(u, w):
    return s.sqrt(s.sum((u - w + EPS_PAIRWISE) ** 2, axis=1))


def _np_distance(u, w):
    return np.sqrt(np.sum((u - w + 1e-6) ** 2, axis=1))


def _triplet(margin, swap=False):
    margin = _q(margin)

    def spec(a, p, n):
        d_neg = _distance(a, n)
        if swap:
            d_neg = smaller(d_neg, _distance(p, n))
        return s.mean(hinge(_distance(a, p) - d_neg + margin))
    return spec


def _triplet_kinks(margin, swap=False):
    def gaps(a, p, n):
        d_pos, d_neg = _np_distance(a, p), _np_distance(a, n)
        extra = [d_pos]
        if swap:
            d_swap = _np_distance(p, n)
            extra += [d_neg - d_swap, d_swap]
            d_neg = np.minimum(d_neg, d_swap)
        return np.concatenate([d_pos - d_neg + margin, d_neg, *extra])
    return Kinks(gaps)


def _log_sq_triplet(a, p, n):
    """Triplet loss over the distance log(1 + |u - w|**2)."""
    d_pos, d_neg = s.log1p(s.sum((a - p) ** 2, axis=1)), s.log1p(s.sum((a - n) ** 2, axis=1))
    return s.mean(hinge(d_pos - d_neg + sp.Rational(1, 2)))


def _log_sq_triplet_gaps(a, p, n):
    return np.log1p(np.sum((a - p) ** 2, axis=1)) - np.log1p(np.sum((a - n) ** 2, axis=1)) + 0.5


def _cosine(x1, x2):
    dot = s.sum(x1 * x2, axis=1)
    cos = dot / s.sqrt((s.sum(x1 * x1, axis=1) + EPS_COSINE) * (s.sum(x2 * x2, axis=1) + EPS_COSINE))
    y = np.array(Y2)
    return s.mean(np.where(y == 1, 1 - cos, hinge(cos - sp.Rational(1, 4))))


def _cosine_gaps(x1, x2):
    n1, n2 = np.linalg.norm(x1, axis=1), np.linalg.norm(x2, axis=1)
    cos = np.sum(x1 * x2, axis=1) / (n1 * n2)
    return np.concatenate([(cos - 0.25)[np.array(Y2) == -1], n1, n2])


def _multi_margin(target, p=1, margin=1, weight=None):
    margin = _q(margin)

    def spec(x):
        rows = []
        for i, t in enumerate(target):
            w = 1 if weight is None else _q(weight[t])
            terms = [hinge(margin - x[i, t] + x[i, j]) ** p for j in range(x.shape[1]) if j != t]
            rows.append(w * s.add(*terms) / x.shape[1])
        return s.mean(s.array(rows))
    return spec


def _multi_margin_gaps(target, margin=1):
    def gaps(x):
        return np.array([margin - x[i, t] + x[i, j] for i, t in enumerate(target) for j in range(x.shape[1]) if j != t])
    return Kinks(gaps)


ML_T = [[3, 0, -1, 1], [1, -1, 0, 0]]


def _ml_sets(target, c):
    """multilabel_margin_loss's targets: each row's indices up to the first -1, and the other classes."""
    for row in target:
        pos = row[: row.index(-1)] if -1 in row else row
        yield pos, [k for k in range(c) if k not in pos]


def _multilabel_margin(x):
    rows = []
    for i, (pos, neg) in enumerate(_ml_sets(ML_T, x.shape[1])):
        rows.append(s.add(*(hinge(1 - (x[i, j] - x[i, k])) for j in pos for k in neg)) / x.shape[1])
    return s.mean(s.array(rows))


def _multilabel_margin_gaps(x):
    return np.array([1 - (x[i, j] - x[i, k]) for i, (pos, neg) in enumerate(_ml_sets(ML_T, x.shape[1]))
                     for j in pos for k in neg])


# Verified by hand (torch 2.13.0 CPU) against float64 and float32, which agree with the exact value.
COSINE_EMBEDDING_FLOAT16 = (
    "cosine_embedding_loss's float16 backward overflows in an intermediate for short vectors and a weight of "
    "about 100, giving -inf where the exact gradient is about -150: x1 = torch.tensor([[-0.010246, -0.031235, "
    "-0.087952], [-1.3652, 0.4646, -2.4863]], dtype=torch.float16, requires_grad=True); x2 = "
    "torch.tensor([[-0.0099869, -0.025055, 0.08203], [-0.087646, 0.05954, -0.060272]], dtype=torch.float16, "
    "requires_grad=True); F.cosine_embedding_loss(x1, x2, torch.tensor([1., -1.], dtype=torch.float16), "
    "margin=0.25).backward(torch.tensor(-132.875, dtype=torch.float16)); x1.grad[0] is [-inf, -inf, -inf], "
    "float64: [-142.12, -389.07, 154.73] (representable in float16)")

ENTRIES = [
    # regression
    entry("nn.functional.mse_loss", "F.mse_loss(x, y, reduction={reduction})",
          lambda x, y, reduction: _reduce((x - y) ** 2, reduction), x=R.of(2, 3), y=R.of(2, 3),
          arguments=dict(reduction=REDUCTION)),
    entry("nn.functional.mse_loss_none", "F.mse_loss(x, y, reduction='none')", lambda x, y: (x - y) ** 2, x=R, y=R,
          family="elementwise"),
    entry("nn.functional.l1_loss", "F.l1_loss(x, y, reduction={reduction})",
          lambda x, y, reduction: _reduce(s.abs(x - y), reduction), x=R.of(2, 3), y=R.of(2, 3), kinks=APART,
          arguments=dict(reduction=REDUCTION)),
    entry("nn.functional.l1_loss_none", "F.l1_loss(x, y, reduction='none')", lambda x, y: s.abs(x - y), x=R, y=R,
          kinks=APART, family="elementwise"),
    entry("nn.functional.smooth_l1_loss", "F.smooth_l1_loss(x, y)", _smooth_l1(1.0), x=R.of(2, 3), y=R.of(2, 3),
          kinks=_off_threshold(1.0)),
    entry("nn.functional.smooth_l1_loss_beta", "F.smooth_l1_loss(x, y, reduction='sum', beta=0.5)",
          _smooth_l1(0.5, "sum"), x=R, y=R, kinks=_off_threshold(0.5)),
    entry("nn.functional.huber_loss", "F.huber_loss(x, y, reduction={reduction}, delta={delta})",
          lambda x, y, reduction, delta: _huber(delta, reduction)(x, y), x=R.of(2, 3), y=R.of(2, 3),
          kinks=lambda reduction, delta: _off_threshold(delta),
          arguments=dict(reduction=REDUCTION, delta=Choice(1.0, 0.5, 1.5)),
          unsupported=limits.unsupported(forward_of_backward="huber_loss_backward",
                                         forward_of_forward="huber_loss_backward")),
    entry("nn.functional.huber_loss_delta", "F.huber_loss(x, y, reduction='none', delta=1.5)", _huber(1.5, "none"),
          x=R, y=R, kinks=_off_threshold(1.5),
          unsupported=limits.unsupported(forward_of_backward="huber_loss_backward",
                                         forward_of_forward="huber_loss_backward"), family="elementwise"),
    # binary classification
    entry("nn.functional.binary_cross_entropy", "F.binary_cross_entropy(x, y)", lambda x, y: s.mean(_bce(x, y)),
          x=PROB.of(2, 3), y=UNIT.of(2, 3),
          widened=limits.widened("double_backward:float64", limits.UNCLASSIFIED_SECOND_ORDER, 9.47e3, 2e4)
          | limits.widened("forward_over_forward:float64", limits.UNCLASSIFIED_SECOND_ORDER, 8.61e3, 2e4)),
    entry("nn.functional.binary_cross_entropy_weight",
          f"F.binary_cross_entropy(x, y, weight=torch.tensor({list(BCE_W)}, dtype=x.dtype, device=x.device), "
          "reduction='sum')",
          lambda x, y: s.sum(_constants(BCE_W) * _bce(x, y)), x=PROB.of(2, 3), y=UNIT.of(2, 3),
          widened=limits.widened("double_backward:float64", limits.UNCLASSIFIED_SECOND_ORDER, 9.47e3, 2e4)
          | limits.widened("forward_over_forward:float64", limits.UNCLASSIFIED_SECOND_ORDER, 9.47e3, 2e4)),
    entry("nn.functional.binary_cross_entropy_with_logits", "F.binary_cross_entropy_with_logits(x, y)",
          lambda x, y: s.mean(_bce_logits(x, y)), x=Real(-6.0, 6.0).of(2, 3), y=UNIT.of(2, 3)),
    entry("nn.functional.binary_cross_entropy_with_logits_pos_weight",
          f"F.binary_cross_entropy_with_logits(x, y, pos_weight=torch.tensor({list(POS_W)}, dtype=x.dtype, "
          "device=x.device))",
          lambda x, y: s.mean(_bce_logits(x, y, POS_W)), x=Real(-6.0, 6.0).of(2, 3), y=UNIT.of(2, 3),
          deviations=limits.BCE_LOGITS_JACFWD2,
          widened=limits.widened("third_order", limits.UNCLASSIFIED_SECOND_ORDER, 2.61, 7)),
    entry("nn.functional.soft_margin_loss",
          f"F.soft_margin_loss(x, torch.tensor({Y6}, dtype=x.dtype, device=x.device))",
          lambda x: s.mean(s.log(1 + s.exp(-np.array(Y6) * x))), x=Real(-6.0, 6.0),
          unsupported=limits.unsupported(forward_of_backward="soft_margin_loss_backward",
                                         forward_of_forward="soft_margin_loss_backward")),
    entry("nn.functional.multilabel_soft_margin_loss", "F.multilabel_soft_margin_loss(x, y)", _multilabel_soft_margin,
          x=Real(-6.0, 6.0).of(2, 3), y=UNIT.of(2, 3),
          widened=limits.widened("double_backward", limits.LOGSIGMOID_SECOND_ORDER, 2.36, 5)),
    # multi-class classification
    entry("nn.functional.cross_entropy", "F.cross_entropy(x, torch.tensor([2, 0], device=x.device))", _ce([2, 0]),
          x=R.of(2, 3)),
    entry("nn.functional.cross_entropy_weight",
          "F.cross_entropy(x, torch.tensor([2, 0, 2], device=x.device), weight=torch.tensor([0.5, 2.0, 1.25], "
          "dtype=x.dtype, device=x.device))",
          _ce([2, 0, 2], weight=(0.5, 2.0, 1.25)), x=R.of(3, 3)),
    entry("nn.functional.cross_entropy_ignore_index", "F.cross_entropy(x, torch.tensor([1, -100, 0], device=x.device))",
          _ce([1, -100, 0]), x=R.of(3, 3)),
    entry("nn.functional.cross_entropy_label_smoothing",
          "F.cross_entropy(x, torch.tensor([2, 0], device=x.device), label_smoothing=0.25)", _ce_smoothed([2, 0], 0.25),
          x=R.of(2, 3)),
    entry("nn.functional.cross_entropy_probs", "F.cross_entropy(x, t)", _ce_probs(), x=R.of(2, 3), t=UNIT.of(2, 3)),
    entry("nn.functional.cross_entropy_probs_label_smoothing", "F.cross_entropy(x, t, label_smoothing=0.25)",
          _ce_probs(0.25), x=R.of(2, 3), t=UNIT.of(2, 3)),
    entry("nn.functional.cross_entropy_spatial",
          "F.cross_entropy(x, torch.tensor([[2, 0], [1, 1]], device=x.device), reduction='none')",
          _ce([[2, 0], [1, 1]], reduction="none"), x=R.of(2, 3, 2)),
    entry("nn.functional.nll_loss", "F.nll_loss(x, torch.tensor([2, 0, 1], device=x.device))",
          lambda x: _nll(x, [2, 0, 1]), x=LOGP.of(3, 3)),
    entry("nn.functional.nll_loss_weight",
          "F.nll_loss(x, torch.tensor([2, 0, 0], device=x.device), weight=torch.tensor([0.75, 2.0, 1.5], "
          "dtype=x.dtype, device=x.device), reduction='sum')",
          lambda x: _nll(x, [2, 0, 0], weight=(0.75, 2.0, 1.5), reduction="sum"), x=LOGP.of(3, 3)),
    entry("nn.functional.multi_margin_loss", f"F.multi_margin_loss(x, torch.tensor({T2}, device=x.device))",
          _multi_margin(T2), x=R.of(2, 4), kinks=_multi_margin_gaps(T2),
          unsupported=limits.unsupported(double="multi_margin_loss_backward", forward="multi_margin_loss")),
    entry("nn.functional.multi_margin_loss_p2",
          f"F.multi_margin_loss(x, torch.tensor({T2}, device=x.device), p=2, margin=0.5, "
          "weight=torch.tensor([0.5, 2.0, 1.0, 1.5], dtype=x.dtype, device=x.device))",
          _multi_margin(T2, p=2, margin=0.5, weight=(0.5, 2.0, 1.0, 1.5)), x=R.of(2, 4),
          kinks=_multi_margin_gaps(T2, margin=0.5),
          unsupported=limits.unsupported(double="multi_margin_loss_backward", forward="multi_margin_loss")),
    entry("nn.functional.multilabel_margin_loss", f"F.multilabel_margin_loss(x, torch.tensor({ML_T}, device=x.device))",
          _multilabel_margin, x=R.of(2, 4), kinks=Kinks(_multilabel_margin_gaps),
          unsupported=limits.unsupported(double="multilabel_margin_loss_backward",
                                         forward="multilabel_margin_loss_forward")),
    # distribution losses
    entry("nn.functional.kl_div", "F.kl_div(x, t, reduction='mean')", lambda x, t: s.mean(t * s.log(t) - t * x),
          x=LOGP.of(2, 3), t=PROB.of(2, 3)),
    entry("nn.functional.kl_div_batchmean", "F.kl_div(x, t, reduction='batchmean')",
          lambda x, t: s.sum(t * s.log(t) - t * x) / 2, x=LOGP.of(2, 3), t=PROB.of(2, 3)),
    entry("nn.functional.kl_div_log_target", "F.kl_div(x, t, reduction='sum', log_target=True)",
          lambda x, t: s.sum(s.exp(t) * (t - x)), x=LOGP.of(2, 3), t=LOGP.of(2, 3)),
    entry("nn.functional.poisson_nll_loss", "F.poisson_nll_loss(x, y)", lambda x, y: s.mean(s.exp(x) - y * x),
          x=Real(-2.0, 2.0), y=Real(0.0, 4.0)),
    entry("nn.functional.poisson_nll_loss_no_log_input", "F.poisson_nll_loss(x, y, log_input=False)",
          lambda x, y: s.mean(x - y * s.log(x + sp.Float(1e-8))), x=Real(0.1, 4.0), y=Real(0.0, 4.0)),
    entry("nn.functional.poisson_nll_loss_full", "F.poisson_nll_loss(x, y, full=True)", _poisson_full,
          x=Real(-2.0, 2.0), y=Real(0.2, 4.0, avoid=(1.0,))),
    entry("nn.functional.gaussian_nll_loss", "F.gaussian_nll_loss(x, y, var)", _gaussian_nll(),
          x=R.of(2, 3), y=R.of(2, 3), var=Real(0.1, 3.0).of(2, 3)),
    entry("nn.functional.gaussian_nll_loss_broadcast", "F.gaussian_nll_loss(x, y, var, reduction='sum')",
          _gaussian_nll("sum"), x=R.of(2, 3), y=R.of(2, 3), var=Real(0.1, 3.0).of(2, 1),
          deviations=limits.GAUSSIAN_NLL_F16),
    # margin and embedding losses
    entry("nn.functional.margin_ranking_loss",
          f"F.margin_ranking_loss(x1, x2, torch.tensor({Y6}, dtype=x1.dtype, device=x1.device), margin=0.5)", _ranking,
          x1=R, x2=R, kinks=Kinks(lambda x1, x2: -np.array(Y6) * (x1 - x2) + 0.5)),
    entry("nn.functional.hinge_embedding_loss",
          f"F.hinge_embedding_loss(x, torch.tensor({Y6}, dtype=x.dtype, device=x.device))",
          _hinge_embedding, x=Real(-3.0, 3.0, avoid=(1.0,))),
    entry("nn.functional.triplet_margin_loss", "F.triplet_margin_loss(a, pos, neg)", _triplet(1.0),
          a=Real(-1.0, 1.0).of(2, 3), pos=Real(-1.0, 1.0).of(2, 3), neg=Real(-1.0, 1.0).of(2, 3),
          kinks=_triplet_kinks(1.0)),
    entry("nn.functional.triplet_margin_loss_swap", "F.triplet_margin_loss(a, pos, neg, margin=0.5, swap=True)",
          _triplet(0.5, swap=True), a=Real(-1.0, 1.0).of(2, 2), pos=Real(-1.0, 1.0).of(2, 2),
          neg=Real(-1.0, 1.0).of(2, 2), kinks=_triplet_kinks(0.5, swap=True)),
    entry("nn.functional.triplet_margin_with_distance_loss",
          "F.triplet_margin_with_distance_loss(a, pos, neg, "
          "distance_function=lambda u, w: torch.log1p(((u - w) ** 2).sum(-1)), margin=0.5)",
          _log_sq_triplet, a=Real(-1.0, 1.0).of(2, 3), pos=Real(-1.0, 1.0).of(2, 3), neg=Real(-1.0, 1.0).of(2, 3),
          kinks=Kinks(_log_sq_triplet_gaps)),
    entry("nn.functional.cosine_embedding_loss",
          f"F.cosine_embedding_loss(x1, x2, torch.tensor({Y2}, dtype=x1.dtype, device=x1.device), margin=0.25)",
          _cosine, x1=R.of(2, 3), x2=R.of(2, 3), kinks=Kinks(_cosine_gaps),
          # the reverse properties in float16 (under autocast this loss runs in float32: no overflow)
          deviations={f"{p}:float16": Overflow(COSINE_EMBEDDING_FLOAT16, conditions.F16_INTERMEDIATE)
                      for p in limits.FIRST_ORDER_REVERSE}),
]

# redrawn sizes hold here (the input-space properties; tests/test_space.py checks the spec at them)
ENTRIES = declare(ENTRIES, "resizable", but=(
    "nn.functional.binary_cross_entropy_weight", "nn.functional.binary_cross_entropy_with_logits_pos_weight",
    "nn.functional.soft_margin_loss", "nn.functional.cross_entropy", "nn.functional.cross_entropy_weight",
    "nn.functional.cross_entropy_ignore_index", "nn.functional.cross_entropy_label_smoothing",
    "nn.functional.cross_entropy_spatial", "nn.functional.nll_loss", "nn.functional.nll_loss_weight",
    "nn.functional.multi_margin_loss", "nn.functional.multi_margin_loss_p2", "nn.functional.multilabel_margin_loss",
    "nn.functional.kl_div_batchmean", "nn.functional.margin_ranking_loss", "nn.functional.hinge_embedding_loss",
    "nn.functional.cosine_embedding_loss"))
