"""The conventions table: the departure reasons ``D``, the row constructors and ``TABLE`` (data only)."""
from __future__ import annotations

import itertools
import sys

import numpy as np
import sympy as sp

from conformance.catalogue.activations import SELU_ALPHA, SELU_SCALE
from conformance.catalogue.conventions.model import Row
from conformance.exact import spec as s
from conformance.model.status import Contract

INF = sp.oo


def one_hots(size: int, positions) -> tuple:
    """Rule 4 alternatives: the gradient on any one of the tied positions."""
    return tuple({"x": [1.0 if i == k else 0.0 for i in range(size)]} for k in positions)


def permutations(values, positions, size: int) -> tuple:
    """Rule 4 alternatives: ``values`` spread over the tied positions in any order (sort/topk ties)."""
    out = []
    for perm in dict.fromkeys(itertools.permutations(values)):
        g = [0.0] * size
        for k, v in zip(positions, perm):
            g[k] = v
        out.append({"x": g})
    return tuple(out)


def one_hots_in(shape: tuple, *groups) -> tuple:
    """Rule 4 alternatives, or torch's index-dependent departure: the whole gradient on one position of each
    group of tied (flat) positions, in every combination."""
    out = []
    for chosen in itertools.product(*groups):
        g = np.zeros(shape)
        g.reshape(-1)[list(chosen)] = 1.0
        out.append({"x": g.tolist()})
    return tuple(out)


def departs(reason: str, repro: str) -> str:
    return f"{reason}. Repro: `{repro}`"


def row(id: str, call: str, at, rule: int, grad=None, **kw) -> Row:  # noqa: A002 - the row's id
    """One row; ``at`` and ``grad`` may be plain lists for a single input named ``x``."""
    at = at if isinstance(at, dict) else {"x": at}
    if grad is not None and not isinstance(grad, dict):
        grad = {next(iter(at)): grad}
    if kw.get("torch_gives") is not None and not isinstance(kw["torch_gives"], (dict, tuple)):
        kw["torch_gives"] = {next(iter(at)): kw["torch_gives"]}
    caller = sys._getframe(1)
    return Row(id, call, at, rule, grad, **kw, where=f"{caller.f_code.co_filename}:{caller.f_lineno}")


def _pw(pos, neg, at=0):
    return s.lift(lambda v: sp.Piecewise((pos(v), v > at), (neg(v), True)))


def _celu(a):
    return _pw(lambda v: v, lambda v: a * (sp.exp(v / a) - 1))


def _huber(delta):
    return s.lift(lambda d: sp.Piecewise((d**2 / 2, sp.Abs(d) < delta), (delta * (sp.Abs(d) - delta / 2), True)))


_ZERO_POW = s.lift(lambda y: sp.Piecewise((0, y > 0), (1, sp.Eq(y, 0)), (sp.zoo, True)))  # 0**y for real y
_Z = [0.0, 0.0, 0.0]
_X2 = {"x": [0.5, 1.0], "y": [0.5, 1.0]}
_R2 = {"x": [[0.5, 1.0]], "y": [[0.5, 1.0]]}
_T = {"x": [0.5], "y": [0.5]}
_Z2 = {"x": [0.0], "y": [0.0]}
_HALVES = {"x": [0.5], "y": [0.5]}  # the even split of a tie's gradient

_ONE = "x = torch.zeros(1, requires_grad=True); "
_TIE = "x = torch.tensor([0.5], requires_grad=True); y = torch.tensor([0.5], requires_grad=True); "
_WHERE = "autograd does not tell 'no gradient' from 'zero gradient' (pytorch/pytorch#23395, #52248)"
_INDEX = "torch sends the whole gradient to the one returned index"
NAN = float("nan")
_SPLIT_NONE = {"x": [1.0], "y": [0.0]}  # a tie's whole gradient to x, none to y
# Where torch 2.13 departs from the rules: reason, then a minimal plain-torch repro (``F`` is torch.nn.functional).
D = {
    "leaky2": departs("leaky_relu with slope > 1 is concave at 0 (slopes 2 then 1), min-norm supergradient 1; "
                      "the backward uses the negative side's slope for x <= 0",
                      _ONE + "F.leaky_relu(x, 2.0).backward(); print(x.grad)  # 2, not 1"),
    "leakyneg": departs("leaky_relu with slope < 0 is convex at 0 (slopes -0.5 then 1), ∂ = [-0.5, 1] holds 0; "
                        "the backward uses the negative side's slope",
                        _ONE + "F.leaky_relu(x, -0.5).backward(); print(x.grad)  # -0.5, not 0"),
    "clamp": departs("clamp's backward passes the gradient where min <= x <= max, by choice since pytorch/pytorch#7049 "
                     "(issues #7002, #184574), where relu6/hardtanh give the min-norm 0",
                     "x = torch.tensor([-1.0, 1.0], requires_grad=True); "
                     "torch.clamp(x, -1.0, 1.0).backward(torch.ones(2)); print(x.grad)  # [1, 1], not [0, 0]"),
    "clamp_minmax": departs("clamp_min/clamp_max pass the gradient at their bound (x >= min, x <= max), as clamp does "
                            "(see clamp-at-min)",
                            _ONE + "torch.clamp_min(x, 0.0).backward(); print(x.grad); x.grad = None; "
                            "torch.clamp_max(x, 0.0).backward(); print(x.grad)  # 1, 1; not 0, 0"),
    "clamp_t": departs("with a tensor bound, clamp is maximum/minimum(x, bound), but at a tie x takes the whole "
                       "gradient and the bound none; torch.maximum splits it (1/2, 1/2), the min-norm choice",
                       _TIE + "torch.clamp(x, min=y).backward(); torch.clamp(x, max=y).backward(); "
                       "torch.clamp_min(x, y).backward(); torch.clamp_max(x, y).backward(); "
                       "print(x.grad, y.grad)  # 4, 0; not 2, 2"),
    "fmax": departs("fmax/fmin at a tie give the whole gradient to the first argument (maximum/minimum split it)",
                    _TIE + "torch.fmax(x, y).backward(); torch.fmin(x, y).backward(); print(x.grad, y.grad)  # 2, 0; "
                           "not 1, 1"),
    "hypot": departs("hypot is the 2-norm of (x, y), min-norm subgradient 0 at the origin; "
                     "the backward computes x / hypot = 0/0",
                     _TIE.replace("0.5", "0.0") + "torch.hypot(x, y).backward(); print(x.grad, y.grad)  # nan, nan; "
                                                  "not 0, 0"),
    "norm0": Contract(departs("the backward of the ord-0 'norm' (a count, locally constant) returns no gradient, so "
                              "x.grad stays None where rule 4 gives zeros", "x = torch.zeros(3, requires_grad=True); "
                              "torch.linalg.vector_norm(x, 0).backward(); print(x.grad)  # None, not zeros"),
                      "x.grad is None"),
    "dist0": Contract(departs("torch.dist(x, y, 0).backward() raises 'Expected a proper Tensor but got None' at every "
                              "point (the undefined ord-0 gradient is negated for y)",
                              "x = torch.zeros(2, requires_grad=True); "
                              "y = torch.ones(2, requires_grad=True); torch.dist(x, y, 0).backward()  # RuntimeError"),
                      "Expected a proper Tensor but got None"),
    "nuc": departs("at the zero matrix the nuclear norm's min-norm subgradient is 0; "
                   "the backward returns U Vᴴ of an SVD of zero, a subgradient of norm √2",
                   "x = torch.zeros(2, 2, requires_grad=True); "
                   "torch.linalg.matrix_norm(x, 'nuc').backward(); print(x.grad)  # identity, not zeros"),
    "spectral": departs("at the zero matrix the spectral norm's min-norm subgradient is 0; "
                        "the backward splits the gradient between the tied zero singular values, U diag(1/2, 1/2) Vᴴ",
                        "x = torch.zeros(2, 2, requires_grad=True); "
                        "torch.linalg.matrix_norm(x, 2).backward(); print(x.grad)  # I/2, not zeros"),
    "maxdim": departs(f"at a tie along dim, {_INDEX}; amax(dim) splits it evenly (the min-norm choice)",
                      "x = torch.tensor([[1.0, 3.0, 3.0]], requires_grad=True); "
                      "torch.max(x, dim=1).values.sum().backward(); print(x.grad); x.grad = None; "
                      "torch.min(-x, dim=1).values.sum().backward(); print(x.grad)  # [[0, 1, 0]], [[0, -1, 0]]; "
                      "not [[0, 1/2, 1/2]], [[0, -1/2, -1/2]]"),
    "maxdim_doc": "torch.amax: 'For max/min: ... If reduce over one specified axis, only propagate to the indexed "
                  "element.'",
    "pool": departs(f"a window's max is convex, min-norm subgradient splits a tie evenly; {_INDEX}",
                    "x = torch.tensor([[[1.0, 3.0, 3.0, 2.0]]], requires_grad=True); "
                    "F.max_pool1d(x, 4).sum().backward(); z = torch.ones(1, 1, 2, 2, requires_grad=True); "
                    "F.max_pool2d(z, 2).sum().backward(); print(x.grad, z.grad)  # one-hot, not [[[0, 1/2, 1/2, 0]]] "
                    "and 1/4 each"),
    "median": departs("the median of three tied values is neither convex nor concave: the values by continuity are the "
                      "one-hot gradients of the tied positions; median() spreads it evenly (1/3 each, in the Clarke "
                      "gradient but no limit of gradients; its docs promise 'deterministic (sub)gradients')",
                      "x = torch.full((3,), 2.0, requires_grad=True); torch.median(x).backward(); print(x.grad); "
                      "x.grad = None; torch.nanmedian(x).backward(); print(x.grad)  # 1/3 each, not one-hot"),
    "order": departs("at this tie the order statistic is the min (or max) of the tied values, whose min-norm super- "
                     f"(sub-) gradient splits evenly; {_INDEX}",
                     "x = torch.tensor([1.0, 2.0, 2.0, 3.0], requires_grad=True); "
                     "torch.median(x, 0).values.backward(); print(x.grad); x.grad = None; "
                     "torch.kthvalue(x, 2).values.backward(); print(x.grad); x.grad = None; "
                     "torch.kthvalue(x, 3).values.backward(); print(x.grad)  # one-hot each, not [0, 1/2, 1/2, 0]"),
    "median_doc": "torch.median(input, dim): 'indices does not necessarily contain the first occurrence ... do not "
                  "expect the gradients to be deterministic.'",
    "sort": departs("w·sort(x) with increasing w is convex (a max over permutations); "
                    "at a tie the min-norm subgradient averages the tied weights; "
                    "torch scatters the weights through the returned indices",
                    "x = torch.tensor([2.0, 1.0, 2.0], requires_grad=True); "
                    "torch.sort(x).values.backward(torch.tensor([1.0, 2.0, 3.0])); "
                    "print(x.grad)  # [2, 1, 3], not [2.5, 1, 2.5]"),
    "topk": departs("the sum of the k largest is convex; at a 3-way tie for 2 places the min-norm subgradient is 2/3 "
                    f"on each; {_INDEX.replace('one returned index', 'returned indices')}",
                    "x = torch.tensor([3.0, 1.0, 3.0, 3.0], requires_grad=True); "
                    "torch.topk(x, 2).values.sum().backward(); print(x.grad)  # [0, 0, 1, 1], not 2/3 on each 3"),
    "cum": departs(f"cummax's (cummin's) last output is max(x0, x1) (min), which splits a tie evenly; {_INDEX}",
                   "x = torch.ones(2, requires_grad=True); torch.cummax(x, 0).values.backward(torch.tensor([0.0, "
                   "1.0])); print(x.grad); x.grad = None; torch.cummin(x, 0).values.backward(torch.tensor([0.0, "
                   "1.0])); print(x.grad)  # [0, 1] each, not [1/2, 1/2]"),
    "hinge": departs("max(0, margin - x) is convex at x = margin, ∂ = [-1, 0] holds 0; "
                     "the clamp inside keeps gradient 1 at its bound",
                     "x = torch.ones(1, requires_grad=True); F.hinge_embedding_loss(x, -torch.ones(1)).backward(); "
                     "print(x.grad)  # -1, not 0"),
    "ranking": departs("max(0, y - x) is convex at a tie, min-norm subgradient 0; "
                       "the clamp inside keeps gradient 1 at its bound",
                       _TIE + "F.margin_ranking_loss(x, y, torch.ones(1)).backward(); print(x.grad, y.grad)  # -1, 1; "
                              "not 0, 0"),
    "where_sqrt": departs("the selected branch is x (gradient 1) but the unselected sqrt's backward computes 0 / (2 "
                          f"sqrt(-1)) = NaN, which where's zero does not mask: {_WHERE}",
                          "x = torch.tensor([-1.0], requires_grad=True); "
                          "torch.where(x > 0, torch.sqrt(x), x).backward(torch.ones(1)); print(x.grad)  # nan, not 1"),
    "where_sinc": departs("sin(x)/x guarded at 0 is differentiable there (derivative 0) but the unselected division's "
                          f"backward computes 0/0 = NaN: {_WHERE}", "x = torch.zeros(1, requires_grad=True); "
                          "torch.where(x == 0, torch.ones_like(x), torch.sin(x) / x).backward(torch.ones(1)); "
                          "print(x.grad)  # nan, not 0"),
}

# Rule 5 rows where torch's gradient is finite (the notes: "most functions will use NaN as the gradient, but for
# performance reasons, some functions will use other values (log(-1), for example)"); every other rule 5 row is NaN.
_MASK = "its backward selects the gradient by a comparison with x, which is false for NaN"
_FINITE = {
    "log-at-neg1": "log's backward is grad / x, no domain check: -1 at x = -1 (the notes' own example)",
    "atan2-at-origin": "atan2's backward gives 0 at the origin (x² + y² = 0), not 0/0",
    "relu-at-nan": f"{_MASK} (x <= 0): the whole gradient passes, 1",
    "elu-at-nan": f"{_MASK} (x <= 0): the positive side's slope, 1",
    "leaky_relu-at-nan": f"{_MASK} (x > 0): the negative side's slope, 0.01",
    "hardtanh-at-nan": f"{_MASK} (x <= min or x >= max): the whole gradient passes, 1",
    "clamp-at-nan": f"{_MASK} (min <= x <= max): no gradient passes, 0",
    "abs-at-nan": "abs's backward is grad · sgn(x), and sgn(NaN) is 0",
    "sign-at-nan": "a step: its backward is zeros, whatever x",
    "floor-at-nan": "a step: its backward is zeros, whatever x",
}

TABLE: list[Row] = [
    # ---- kinks of elementwise activations -------------------------------------------------------
    row("abs-at-0", "torch.abs(x)", [0.0], 2, [0.0], why="|x|: ∂ = [-1, 1]"),
    row("relu-at-0", "F.relu(x)", [0.0], 2, [0.0], why="max(x, 0): ∂ = [0, 1]"),
    row("relu6-at-0", "F.relu6(x)", [0.0], 2, [0.0], why="slopes 0 → 1"),
    row("relu6-at-6", "F.relu6(x)", [6.0], 3, [0.0], why="slopes 1 → 0"),
    row("leaky_relu-slope0.01-at-0", "F.leaky_relu(x, 0.01)", [0.0], 2, [0.01], why="∂ = [0.01, 1]", roundoff=2),
    row("leaky_relu-slope2-at-0", "F.leaky_relu(x, 2.0)", [0.0], 3, [1.0], why="slopes 2 → 1: ∂ = [1, 2]",
        deviation=D["leaky2"], torch_gives=[2.0]),
    row("leaky_relu-slope_neg0.5-at-0", "F.leaky_relu(x, -0.5)", [0.0], 2, [0.0], why="slopes -0.5 → 1",
        deviation=D["leakyneg"], torch_gives=[-0.5]),
    row("prelu-at-0", "F.prelu(x, torch.full((1,), 0.25, dtype=x.dtype, device=x.device))", [0.0], 2, [0.25],
        why="∂ = [1/4, 1]"),
    row("rrelu-eval-at-0", "F.rrelu(x, training=False)", [0.0], 2, [sp.Rational(11, 48)], why="slope (1/8 + 1/3)/2",
        roundoff=2),
    row("elu-alpha1-at-0", "F.elu(x)", [0.0], 1, spec=_pw(lambda v: v, lambda v: sp.exp(v) - 1), why="C¹ at 0"),
    row("elu-alpha0.5-at-0", "F.elu(x, 0.5)", [0.0], 2, [0.5], why="slopes 1/2 → 1, convex"),
    row("elu-alpha2-at-0", "F.elu(x, 2.0)", [0.0], 4, accept=({"x": [1.0]}, {"x": [2.0]}),
        why="slopes 2 → 1, convex left: neither"),
    row("selu-at-0", "F.selu(x)", [0.0], 4, accept=({"x": [SELU_SCALE]}, {"x": [SELU_SCALE * SELU_ALPHA]}),
        why="slopes λα → λ, convex left: neither", roundoff=4),
    row("celu-alpha1-at-0", "F.celu(x)", [0.0], 1, spec=_celu(1), why="C¹ at 0"),
    row("celu-alpha2-at-0", "F.celu(x, 2.0)", [0.0], 1, spec=_celu(2), why="C¹ at 0"),
    row("celu-alpha3-at-0", "F.celu(x, 3.0)", [0.0], 1, spec=_celu(3), why="C¹ at 0", roundoff=2),
    row("hardsigmoid-at-neg3", "F.hardsigmoid(x)", [-3.0], 2, [0.0], why="slopes 0 → 1/6"),
    row("hardsigmoid-at-3", "F.hardsigmoid(x)", [3.0], 3, [0.0], why="slopes 1/6 → 0"),
    row("hardswish-at-neg3", "F.hardswish(x)", [-3.0], 4, accept=({"x": [0.0]}, {"x": [-0.5]}),
        why="slopes 0 → -1/2, convex right: neither"),
    row("hardswish-at-3", "F.hardswish(x)", [3.0], 4, accept=({"x": [1.5]}, {"x": [1.0]}),
        why="slopes 3/2 → 1, convex left: neither"),
    row("hardtanh-at-neg1", "F.hardtanh(x)", [-1.0], 2, [0.0], why="slopes 0 → 1"),
    row("hardtanh-at-1", "F.hardtanh(x)", [1.0], 3, [0.0], why="slopes 1 → 0"),
    row("softshrink-at-lambda", "F.softshrink(x, 0.5)", [0.5], 2, [0.0], why="slopes 0 → 1"),
    row("softshrink-at-neg-lambda", "F.softshrink(x, 0.5)", [-0.5], 3, [0.0], why="slopes 1 → 0"),
    row("hardshrink-at-lambda", "F.hardshrink(x, 0.5)", [0.5], 4, accept=({"x": [0.0]}, {"x": [1.0]}),
        why="jump: slopes 0 and 1"),
    row("hardshrink-at-neg-lambda", "F.hardshrink(x, 0.5)", [-0.5], 4, accept=({"x": [0.0]}, {"x": [1.0]}),
        why="jump: slopes 0 and 1"),
    row("threshold-at-0-value-0", "F.threshold(x, 0.0, 0.0)", [0.0], 2, [0.0], why="relu"),
    row("threshold-jump", "F.threshold(x, 1.0, 0.5)", [1.0], 4, accept=({"x": [0.0]}, {"x": [1.0]}),
        why="jump 1/2 → 1"),
    row("clamp-at-min", "torch.clamp(x, -1.0, 1.0)", [-1.0], 2, [0.0], why="slopes 0 → 1", deviation=D["clamp"],
        torch_gives=[1.0], until="2.14"),
    row("clamp-at-max", "torch.clamp(x, -1.0, 1.0)", [1.0], 3, [0.0], why="slopes 1 → 0", deviation=D["clamp"],
        torch_gives=[1.0], until="2.14"),
    row("clamp_min-at-bound", "torch.clamp_min(x, 0.0)", [0.0], 2, [0.0], why="relu", deviation=D["clamp_minmax"],
        torch_gives=[1.0], until="2.14"),
    row("clamp_max-at-bound", "torch.clamp_max(x, 0.0)", [0.0], 3, [0.0], why="min(x, 0)", deviation=D["clamp_minmax"],
        torch_gives=[1.0], until="2.14"),
    row("clamp-tensor-min-tie", "torch.clamp(x, min=y)", _T, 2, _HALVES, why="max(x, y)", deviation=D["clamp_t"],
        torch_gives=_SPLIT_NONE,
        until="2.14"),
    row("clamp-tensor-max-tie", "torch.clamp(x, max=y)", _T, 3, _HALVES, why="min(x, y)", deviation=D["clamp_t"],
        torch_gives=_SPLIT_NONE,
        until="2.14"),
    row("clamp_min-tensor-tie", "torch.clamp_min(x, y)", _T, 2, _HALVES, why="max(x, y)", deviation=D["clamp_t"],
        torch_gives=_SPLIT_NONE,
        until="2.14"),
    row("clamp_max-tensor-tie", "torch.clamp_max(x, y)", _T, 3, _HALVES, why="min(x, y)", deviation=D["clamp_t"],
        torch_gives=_SPLIT_NONE,
        until="2.14"),
    # ---- steps, roots, logs and inverse functions at the edge of their domain -------------------
    row("sign-at-0", "torch.sign(x)", [0.0], 4, [0.0], why="derivative 0 on both sides"),
    row("sgn-at-0", "torch.sgn(x)", [0.0], 4, [0.0], why="derivative 0 on both sides"),
    row("floor-at-1", "torch.floor(x)", [1.0], 4, [0.0], why="derivative 0 on both sides"),
    row("round-at-half", "torch.round(x)", [0.5], 4, [0.0], why="derivative 0 on both sides"),
    row("frac-at-1", "torch.frac(x)", [1.0], 4, [1.0], why="derivative 1 on both sides"),
    row("remainder-at-jump", "torch.remainder(x, 2.0)", [2.0], 4, [1.0], why="derivative 1 on both sides"),
    row("sqrt-at-0", "torch.sqrt(x)", [0.0], 4, [INF], why="1/(2√x) → ∞"),
    row("pow-half-at-0", "torch.pow(x, 0.5)", [0.0], 4, [INF], why="x^(-1/2)/2 → ∞"),
    row("rsqrt-at-0", "torch.rsqrt(x)", [0.0], 4, [-INF], why="-x^(-3/2)/2 → -∞"),
    row("log-at-0", "torch.log(x)", [0.0], 4, [INF], why="log(0) = -∞ as a limit; 1/x → ∞"),
    row("reciprocal-at-0", "torch.reciprocal(x)", [0.0], 4, [-INF], why="-1/x² → -∞ on both sides"),
    row("logit-at-0", "torch.logit(x)", [0.0], 4, [INF], why="1/(x(1-x)) → ∞"),
    row("entr-at-0", "torch.special.entr(x)", [0.0], 4, [INF], why="-log(x) - 1 → ∞"),
    row("acos-at-1", "torch.acos(x)", [1.0], 4, [-INF], why="-1/√(1-x²) → -∞"),
    row("asin-at-1", "torch.asin(x)", [1.0], 4, [INF], why="1/√(1-x²) → ∞"),
    row("acosh-at-1", "torch.acosh(x)", [1.0], 4, [INF], why="1/√(x²-1) → ∞"),
    row("pow-exponent0-at-0", "torch.pow(x, 0)", [0.0], 1, spec=lambda x: x**0, why="x⁰ = 1"),
    row("pow-zero-base-wrt-exponent", "torch.pow(torch.zeros_like(y), y)", {"y": [2.0]}, 1, spec=_ZERO_POW,
        why="0^y = 0 for y > 0"),
    row("pow-scalar-zero-base", "torch.pow(0.0, y)", {"y": [2.0]}, 1, spec=_ZERO_POW, why="0^y = 0 for y > 0"),
    row("sinc-at-0", "torch.sinc(x)", [0.0], 1, spec=s.lift(lambda v: sp.sinc(sp.pi * v)), why="even, analytic"),
    row("hypot-at-origin", "torch.hypot(x, y)", _Z2, 2, {"x": [0.0], "y": [0.0]}, why="‖(x, y)‖₂",
        deviation=D["hypot"], torch_gives={"x": [NAN], "y": [NAN]}),
    row("sqrt-at-neg1", "torch.sqrt(x)", [-1.0], 5, why="sqrt(-1)"),
    row("log-at-neg1", "torch.log(x)", [-1.0], 5, why="log(-1)", finite=_FINITE["log-at-neg1"]),
    row("atan2-at-origin", "torch.atan2(x, y)", _Z2, 5, why="the angle of the zero vector",
        finite=_FINITE["atan2-at-origin"]),
    # ---- NaN inputs: undefined; the notes' default gradient is NaN, some backwards give a finite value ----
    *[row(f"{name}-at-nan", call, [NAN], 5, why="a NaN input", finite=_FINITE.get(f"{name}-at-nan", ""))
      for name, call in (("sin", "torch.sin(x)"), ("exp", "torch.exp(x)"), ("tanh", "torch.tanh(x)"),
                         ("sigmoid", "torch.sigmoid(x)"), ("sqrt", "torch.sqrt(x)"), ("log", "torch.log(x)"),
                         ("square", "x * x"), ("softplus", "F.softplus(x)"), ("gelu", "F.gelu(x)"),
                         ("relu", "F.relu(x)"), ("elu", "F.elu(x)"), ("leaky_relu", "F.leaky_relu(x)"),
                         ("hardtanh", "F.hardtanh(x)"), ("abs", "torch.abs(x)"), ("clamp", "torch.clamp(x, -1.0, 1.0)"),
                         ("sign", "torch.sign(x)"), ("floor", "torch.floor(x)"))],
    # ---- norms and distances at zero --------------------------------------------------------------
    row("vector_norm-ord0-at-zero", "torch.linalg.vector_norm(x, 0)", _Z, 4, [0.0] * 3,
        why="count of nonzeros: locally constant", deviation=D["norm0"]),
    *[row(f"vector_norm-ord{o}-at-zero", f"torch.linalg.vector_norm(x, {src})", _Z, 2, [0.0] * 3,
          why="a norm: ∂ is the dual ball")
      for o, src in (("1", "1"), ("2", "2"), ("3", "3"), ("inf", "float('inf')"))],
    row("norm2-at-zero", "torch.norm(x)", _Z, 2, [0.0] * 3, why="a norm"),
    row("linalg.norm-at-zero", "torch.linalg.norm(x)", _Z, 2, [0.0] * 3, why="a norm"),
    row("dist-p0-coincident", "torch.dist(x, y, 0)", _X2, 4, {"x": [0.0] * 2, "y": [0.0] * 2}, why="count of nonzeros",
        deviation=D["dist0"]),
    *[row(f"dist-p{o}-coincident", f"torch.dist(x, y, {src})", _X2, 2, {"x": [0.0] * 2, "y": [0.0] * 2},
          why="a norm of x - y")
      for o, src in (("1", "1"), ("2", "2"), ("3", "3"), ("inf", "float('inf')"))],
    row("cdist-p0-coincident", "torch.cdist(x, y, 0)", _R2, 4, {"x": [[0.0] * 2], "y": [[0.0] * 2]},
        why="count of nonzeros"),
    *[row(f"cdist-p{o}-coincident", f"torch.cdist(x, y, {src})", _R2, 2, {"x": [[0.0] * 2], "y": [[0.0] * 2]},
          why="a norm of x - y")
      for o, src in (("1", "1"), ("2", "2"), ("3", "3"), ("inf", "float('inf')"))],
    row("pdist-coincident", "F.pdist(x)", {"x": [[0.5, 1.0], [0.5, 1.0]]}, 2, {"x": [[0.0] * 2] * 2},
        why="a norm of x₀ - x₁"),
    row("pairwise_distance-coincident", "F.pairwise_distance(x, y)", _R2, 1, roundoff=4,
        why="‖x - y + ε‖: ε moves the kink", spec=lambda x, y: s.norm(x - y + s.decimal(1e-6), axis=-1)),
    row("normalize-at-zero", "F.normalize(x, dim=0)", _Z, 1, roundoff=4, why="x / max(‖x‖, ε) = x/ε near 0",
        spec=lambda x: x / s.maximum(s.norm(x), s.decimal(1e-12))),
    row("matrix_norm-fro-at-zero", "torch.linalg.matrix_norm(x)", {"x": [[0.0] * 2] * 2}, 2, [[0.0] * 2] * 2,
        why="a norm"),
    row("matrix_norm-nuc-at-zero", "torch.linalg.matrix_norm(x, 'nuc')", {"x": [[0.0] * 2] * 2}, 2, [[0.0] * 2] * 2,
        why="∂ = spectral-norm unit ball", deviation=D["nuc"],
        torch_gives=[[1.0, 0.0], [0.0, 1.0]]),
    row("matrix_norm-2-at-zero", "torch.linalg.matrix_norm(x, 2)", {"x": [[0.0] * 2] * 2}, 2, [[0.0] * 2] * 2,
        why="∂ = nuclear-norm unit ball", deviation=D["spectral"],
        torch_gives=[[0.5, 0.0], [0.0, 0.5]]),
    row("matrix_norm-2-at-identity", "torch.linalg.matrix_norm(x, 2)", {"x": [[1.0, 0.0], [0.0, 1.0]]}, 2,
        [[0.5, 0.0], [0.0, 0.5]], why="∂ = {G ⪰ 0, tr G = 1}: min-norm I/2", roundoff=8),
    row("std-constant", "torch.std(x)", [1.5] * 4, 2, [0.0] * 4, why="‖x - mean‖/√3, a norm of a linear map"),
    row("std-correction0-constant", "torch.std(x, correction=0)", [1.5] * 4, 2, [0.0] * 4,
        why="a norm of a linear map"),
    row("var-constant", "torch.var(x)", [1.5] * 4, 1, spec=lambda x: s.sum((x - s.mean(x)) ** 2) / 3,
        why="a polynomial"),
    # ---- ties of max/min, pooling and order statistics -------------------------------------------
    row("max-tie", "torch.max(x)", [1.0, 3.0, 3.0, 2.0], 2, [0.0, 0.5, 0.5, 0.0], why="max: ∂ = conv of the tied e_i"),
    row("min-tie", "torch.min(x)", [2.0, 1.0, 3.0, 1.0], 3, [0.0, 0.5, 0.0, 0.5], why="min: concave"),
    row("amax-tie", "torch.amax(x)", [1.0, 3.0, 3.0, 2.0], 2, [0.0, 0.5, 0.5, 0.0], why="max"),
    row("amin-tie", "torch.amin(x)", [2.0, 1.0, 3.0, 1.0], 3, [0.0, 0.5, 0.0, 0.5], why="min"),
    row("amax-dim-tie", "torch.amax(x, dim=1)", [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], 2,
        [[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]], why="max per row"),
    row("amin-dim-tie", "torch.amin(x, dim=1)", [[1.0, 3.0, 1.0], [2.0, 2.0, 4.0]], 3,
        [[0.5, 0.0, 0.5], [0.5, 0.5, 0.0]], why="min per row"),
    row("max-dim-tie", "torch.max(x, dim=1).values", [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], 2,
        [[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]], why="max per row", deviation=D["maxdim"], documented=D["maxdim_doc"],
        torch_gives=one_hots_in((2, 3), (1, 2), (3, 4))),
    row("min-dim-tie", "torch.min(x, dim=1).values", [[1.0, 3.0, 1.0], [2.0, 2.0, 4.0]], 3,
        [[0.5, 0.0, 0.5], [0.5, 0.5, 0.0]], why="min per row", deviation=D["maxdim"], documented=D["maxdim_doc"],
        torch_gives=one_hots_in((2, 3), (0, 2), (3, 4))),
    row("maximum-tie", "torch.maximum(x, y)", _T, 2, _HALVES, why="max(x, y)"),
    row("minimum-tie", "torch.minimum(x, y)", _T, 3, _HALVES, why="min(x, y)"),
    row("fmax-tie", "torch.fmax(x, y)", _T, 2, _HALVES, why="max(x, y)", deviation=D["fmax"], until="2.14",
        torch_gives=_SPLIT_NONE),
    row("fmin-tie", "torch.fmin(x, y)", _T, 3, _HALVES, why="min(x, y)", deviation=D["fmax"], until="2.14",
        torch_gives=_SPLIT_NONE),
    row("max_pool1d-tie", "F.max_pool1d(x, 4)", [[[1.0, 3.0, 3.0, 2.0]]], 2, [[[0.0, 0.5, 0.5, 0.0]]], why="window max",
        deviation=D["pool"], torch_gives=one_hots_in((1, 1, 4), (1, 2))),
    row("max_pool2d-tie", "F.max_pool2d(x, 2)", [[[[1.0, 1.0], [1.0, 1.0]]]], 2, [[[[0.25, 0.25], [0.25, 0.25]]]],
        why="window max", deviation=D["pool"], torch_gives=one_hots_in((1, 1, 2, 2), range(4))),
    row("median-tie3", "torch.median(x)", [2.0, 2.0, 2.0], 4, accept=one_hots(3, range(3)),
        why="median of 3 tied: neither", deviation=D["median"], torch_gives=[sp.Rational(1, 3)] * 3),
    row("median-lower-tie", "torch.median(x)", [1.0, 2.0, 2.0, 3.0], 3, [0.0, 0.5, 0.5, 0.0],
        why="lower median = min of the tie"),
    row("median-dim-tie3", "torch.median(x, 0).values", [2.0, 2.0, 2.0], 4, accept=one_hots(3, range(3)),
        why="neither"),
    row("median-dim-lower-tie", "torch.median(x, 0).values", [1.0, 2.0, 2.0, 3.0], 3, [0.0, 0.5, 0.5, 0.0],
        why="min of the tie", deviation=D["order"], documented=D["median_doc"], torch_gives=one_hots(4, (1, 2))),
    row("nanmedian-tie3", "torch.nanmedian(x)", [2.0, 2.0, 2.0], 4, accept=one_hots(3, range(3)), why="neither",
        deviation=D["median"], torch_gives=[sp.Rational(1, 3)] * 3),
    row("nanmedian-lower-tie", "torch.nanmedian(x)", [1.0, 2.0, 2.0, 3.0], 3, [0.0, 0.5, 0.5, 0.0],
        why="min of the tie"),
    row("kthvalue-tie3", "torch.kthvalue(x, 2).values", [2.0, 2.0, 2.0], 4, accept=one_hots(3, range(3)),
        why="neither"),
    row("kthvalue-first-of-tie", "torch.kthvalue(x, 2).values", [1.0, 2.0, 2.0, 3.0], 3, [0.0, 0.5, 0.5, 0.0],
        why="min of the tie", deviation=D["order"], torch_gives=one_hots(4, (1, 2))),
    row("kthvalue-last-of-tie", "torch.kthvalue(x, 3).values", [1.0, 2.0, 2.0, 3.0], 2, [0.0, 0.5, 0.5, 0.0],
        why="max of the tie", deviation=D["order"], torch_gives=one_hots(4, (1, 2))),
    row("quantile-tie3", "torch.quantile(x, 0.5)", [2.0, 2.0, 2.0], 4, accept=one_hots(3, range(3)), why="neither"),
    row("sort-tie-increasing-weight", "torch.sort(x).values", [2.0, 1.0, 2.0], 2, [2.5, 1.0, 2.5],
        weight=[1.0, 2.0, 3.0], why="w·sort(x), w increasing: a max over permutations", deviation=D["sort"],
        torch_gives=({"x": [2.0, 1.0, 3.0]}, {"x": [3.0, 1.0, 2.0]})),
    row("sort-tie3-mixed-weight", "torch.sort(x).values", [1.0, 1.0, 1.0], 4,
        accept=permutations([1.0, 3.0, 2.0], range(3), 3), weight=[1.0, 3.0, 2.0], why="w not monotone: neither"),
    row("topk-tie3", "torch.topk(x, 2).values", [3.0, 1.0, 3.0, 3.0], 2,
        [sp.Rational(2, 3), 0.0, sp.Rational(2, 3), sp.Rational(2, 3)],
        why="sum of the 2 largest: convex", deviation=D["topk"],
        torch_gives=tuple({"x": g} for g in ([1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]))),
    row("topk-tie3-mixed-weight", "torch.topk(x, 2).values", [3.0, 3.0, 3.0, 0.0], 4, weight=[1.0, 2.0],
        accept=tuple({"x": g["x"] + [0.0]} for g in permutations([1.0, 2.0, 0.0], range(3), 3)),
        why="w not monotone: neither"),
    row("cummax-tie", "torch.cummax(x, 0).values", [1.0, 1.0], 2, [1.0, 1.0],
        why="x₀ + max(x₀, x₁): ∂ = (1 + t, 1 - t)"),
    row("cummax-tie-last-output", "torch.cummax(x, 0).values", [1.0, 1.0], 2, [0.5, 0.5], weight=[0.0, 1.0],
        why="max(x₀, x₁)", deviation=D["cum"], torch_gives=one_hots(2, (0, 1))),
    row("cummin-tie-last-output", "torch.cummin(x, 0).values", [1.0, 1.0], 3, [0.5, 0.5], weight=[0.0, 1.0],
        why="min(x₀, x₁)", deviation=D["cum"], torch_gives=one_hots(2, (0, 1))),
    # ---- products with zeros -----------------------------------------------------------------------
    row("prod-one-zero", "torch.prod(x)", [0.0, 2.0, 3.0], 1, spec=s.prod, why="a polynomial"),
    row("prod-two-zeros", "torch.prod(x)", [0.0, 2.0, 0.0], 1, spec=s.prod, why="a polynomial"),
    row("prod-dim-one-zero", "torch.prod(x, 1)", [[0.0, 2.0, 3.0], [2.0, 0.0, 0.0]], 1,
        spec=lambda x: s.prod(x, axis=1), why="a polynomial"),
    row("cumprod-one-zero", "torch.cumprod(x, 0)", [2.0, 0.0, 3.0], 1, spec=np.cumprod, why="polynomials"),
    row("cumprod-two-zeros", "torch.cumprod(x, 0)", [2.0, 0.0, 0.0, 3.0], 1, spec=np.cumprod,
        weight=[1.0, 2.0, -1.0, 0.5], why="polynomials"),
    # ---- losses at their kinks ---------------------------------------------------------------------
    row("l1_loss-tie", "F.l1_loss(x, y)", _T, 2, {"x": [0.0], "y": [0.0]}, why="|x - y|"),
    row("smooth_l1_loss-at-beta", "F.smooth_l1_loss(x, y)", {"x": [1.5], "y": [0.5]}, 1,
        spec=lambda x, y: s.mean(_huber(1)(x - y)), why="C¹ where the pieces meet"),
    row("smooth_l1_loss-beta0-tie", "F.smooth_l1_loss(x, y, beta=0.0)", _T, 2, {"x": [0.0], "y": [0.0]}, why="|x - y|"),
    row("huber_loss-at-delta", "F.huber_loss(x, y)", {"x": [1.5], "y": [0.5]}, 1,
        spec=lambda x, y: s.mean(_huber(1)(x - y)), why="C¹ where the pieces meet"),
    row("hinge_embedding_loss-at-margin", "F.hinge_embedding_loss(x, torch.full_like(x, -1.0))", [1.0], 2, [0.0],
        why="max(0, 1 - x): ∂ = [-1, 0]", deviation=D["hinge"], until="2.14", torch_gives=[-1.0]),
    row("margin_ranking_loss-tie", "F.margin_ranking_loss(x, y, torch.ones_like(x))", _T, 2, {"x": [0.0], "y": [0.0]},
        why="max(0, y - x)", deviation=D["ranking"], until="2.14",
        torch_gives={"x": [-1.0], "y": [1.0]}),
    row("multi_margin_loss-at-kink", "F.multi_margin_loss(x, torch.zeros(1, dtype=torch.int64, device=x.device))",
        [[1.0, 0.0]], 2, [[0.0, 0.0]], why="max(0, 1 - x₀ + x₁)/2"),
    # ---- where: the gradient of the selected branch ------------------------------------------------
    row("where-log-unselected", "torch.where(x > 0, torch.log(x), x)", [-1.0], 1, why="x near -1",
        spec=_pw(sp.log, lambda v: v)),
    row("where-sqrt-unselected", "torch.where(x > 0, torch.sqrt(x), x)", [-1.0], 1, why="x near -1",
        spec=_pw(sp.sqrt, lambda v: v), deviation=D["where_sqrt"], torch_gives=[NAN]),
    row("where-sinc-guard", "torch.where(x == 0, torch.ones_like(x), torch.sin(x) / x)", [0.0], 1,
        why="sin(x)/x, continued", spec=s.lift(sp.sinc), deviation=D["where_sinc"], torch_gives=[NAN]),
]

