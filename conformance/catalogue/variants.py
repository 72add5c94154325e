"""Variants of functions the other modules check: the ``*_copy`` forms of views, the scatter forms of
views, splits and pads spelled through their own aten names, complex views and conversions, a few
composites (cov, corrcoef, trapz, gradient, renorm, mode, vander), and the reflected operators."""
import itertools
from dataclasses import replace

import numpy as np
import sympy as sp

from conformance.catalogue import limits
from conformance.catalogue.binary import DIVIDEND, DIVISOR, _off_integers
from conformance.catalogue.shape import _as_strided, _i, _pad, _unfold
from conformance.exact import spec as s
from conformance.model.case import COMPLEX, REAL_AND_COMPLEX, entry
from conformance.model.domain import TIES, Kinks, Real
from conformance.model.family import declare
from conformance.model.status import Always, Contract

R = Real(-4.0, 4.0)
NONZERO = Real(-4.0, 4.0, avoid=(0.0,), margin=0.05)
conj, re_, im_ = s.lift(sp.conjugate), s.lift(sp.re), s.lift(sp.im)
NO_BF16 = ("float32", "float64", "float16")  # torch has no bfloat16 complex dtype
# Verified by hand (torch 2.13.0, CPU): the tangent's values agree with float32's; only its dtype is wrong.
def _float32_tangent(call: str) -> dict:
    """``call`` of a dual ``d``."""
    reason = (f"forward AD of {call} with a bfloat16 or float16 primal returns a float32 tangent (the primal keeps "
              f"its dtype): import torch.autograd.forward_ad as fwAD; x = torch.tensor([[1.5], [-3.0]], "
              f"dtype=torch.bfloat16); with fwAD.dual_level(): d = fwAD.make_dual(x, torch.ones_like(x)); "
              f"print(fwAD.unpack_dual({call}).tangent.dtype)  # torch.float32")
    return {f"{prop}:{dtype}": Contract(reason, "dtype torch.float32, device", strict=True)
            for prop in ("test_jvp", "test_func_jvp") for dtype in ("bfloat16", "float16")}


# Verified by hand on 2.13.0 (12, the exact value), 2.14.1 and 2.15.0 (both raise); nested torch.func.jvp,
# jacfwd(jacrev) and hessian still give 12 there, so only the jacfwd-of-jacfwd property is keyed.
FILL_JACFWD_JACFWD = {"test_jacfwd_jacfwd": replace(Contract(
    "since torch 2.14, jacfwd of jacfwd through torch.fill's Tensor value raises: x = torch.rand(2, 3, "
    "dtype=torch.float64); v = torch.tensor(0.5, dtype=torch.float64); torch.func.jacfwd(torch.func.jacfwd("
    "lambda v: torch.fill(x, v).sum() * v))(v) raises NotImplementedError: Cannot access storage of TensorWrapper "
    "(2.13.0 gives 12, the exact d²(6v²)/dv²)", "Cannot access storage of TensorWrapper", strict=True),
    since="2.14")}


def _pairs(x, y):
    """The last dimension of size 2 holding ``x`` and ``y`` (view_as_real's layout)."""
    return np.stack([x, y], axis=-1)


def _flat_put(x, positions, src, accumulate=False):
    """``x`` with its flattened elements at ``positions`` replaced by (or, accumulating, added to) ``src``."""
    out = np.array(x, dtype=object)
    flat = out.reshape(-1)
    for k, pos in enumerate(positions):
        flat[pos] = flat[pos] + src.reshape(-1)[k] if accumulate else src.reshape(-1)[k]
    return out


def _diagonal_scatter(x, src, offset):
    out = np.array(x, dtype=object)
    for k, v in enumerate(src):
        out[k, k + offset] = v
    return out


def _trapz(y, dx):
    """Trapezoid rule along the last dimension, spacing ``dx``."""
    return s.sum(y[..., 1:] + y[..., :-1], axis=-1) * dx / 2


def _gradient(x, h):
    """torch.gradient along the last dimension, spacing ``h``, edge_order=1: central differences inside,
    one-sided at the ends."""
    inner = (x[..., 2:] - x[..., :-2]) / (2 * h)
    return np.concatenate([(x[..., 1:2] - x[..., :1]) / h, inner, (x[..., -1:] - x[..., -2:-1]) / h], axis=-1)


def _cov(x):
    """Covariance of the rows of ``x`` (observations along the columns), correction 1."""
    d = x - s.mean(x, axis=1, keepdims=True)
    return d @ d.T / (x.shape[1] - 1)


def _corrcoef_upper(x):
    """corrcoef above its diagonal (the diagonal is 1 identically: torch leaves rounding noise in its derivatives)."""
    c = _cov(x)
    sd = s.sqrt(np.diagonal(c))
    return np.where(np.triu(np.ones(c.shape, dtype=bool), 1), c / sd[:, None] / sd[None, :], sp.Integer(0))


def _corr_kinks(x):
    """corrcoef divides by each row's deviation and clips to [-1, 1]: rows' spread, off-diagonal 1 - |r|."""
    r = np.corrcoef(x)
    return np.concatenate([np.std(x, axis=1), (1 - np.abs(r))[~np.eye(len(x), dtype=bool)]])


RENORM_EPS = s.decimal(1e-7)  # torch's renorm scales by maxnorm / (norm + 1e-7)


def _renorm_rows(x, maxnorm):
    out = np.empty(x.shape, dtype=object)
    for k, row in enumerate(x):
        n = s.sqrt(s.sum(row * row))
        if s.traced(n):  # the tape evaluates eagerly: select by value (the kinks keep n off maxnorm)
            scale = maxnorm / (n + RENORM_EPS) if n > maxnorm else 1
        else:
            scale = sp.Piecewise((maxnorm / (n + RENORM_EPS), n > maxnorm), (1, True))
        out[k] = [v * scale for v in row]
    return out


def _row_gaps(x):
    """The gaps between neighbours of each sorted row (mode counts equal values: a tie is a zero gap).  The
    smallest pairwise difference of a row is one of them: O(n log n), where all pairs of a row grown to 32,769
    elements (the large property) are 5·10⁸."""
    return np.diff(np.sort(np.asarray(x, dtype=np.float64), axis=-1), axis=-1)


def _exponent(x):
    """frexp's exponent: the integer e with |x| / 2**e in [1/2, 1)."""
    return s.floor(s.log(s.abs(x)) / sp.log(2)) + 1


# frexp's exponent jumps at powers of two; a remainder where the quotient is an integer
POW2 = Kinks(lambda x: _off_integers(np.log2(np.abs(x))), margin=0.02)
RMOD = Kinks(lambda x, y: _off_integers(y / x), margin=0.02)  # x.__rmod__(y) is y % x

# Verified by hand (torch 2.13.0, CPU, float64) against clone + as_strided(...).copy_(src), whose x.grad is exact.
AS_STRIDED_SCATTER_SELF = Always(
    "torch.as_strided_scatter's backward for self passes the output gradient at the scattered positions and "
    "zeros elsewhere, the complement of the right mask: x = torch.arange(9., dtype=torch.float64).reshape(3, "
    "3).requires_grad_(); torch.as_strided_scatter(x, torch.ones(2, 2, dtype=torch.float64), (2, 2), (3, 1), 1)"
    ".backward(torch.arange(1., 10, dtype=torch.float64).reshape(3, 3)); x.grad -> [[0, 2, 3], [0, 5, 6], [0, 0, "
    "0]], exact [[1, 0, 0], [4, 0, 0], [7, 8, 9]] (src.grad [[2, 3], [5, 6]] is right; offset 0 the same)")
AS_STRIDED_SCATTER_PROPERTIES = (
    "test_vjp", "test_accumulation", "test_zeroing", "test_functional_grad", "test_func_vjp", "test_func_grad",
    "test_jacrev", "test_vmap_vjp", "test_is_grads_batched", "test_hvp", "test_hvp_backward")
# torch.func.jacfwd vmaps the forward-mode formula, which calls as_strided_scatter itself
AS_STRIDED_SCATTER_VMAP = Contract(
    "torch.func.jacfwd (and hessian, jacfwd of jacfwd) of as_strided_scatter raises: torch.func.jacfwd(lambda x: "
    "torch.as_strided_scatter(x, torch.ones(2, 2), (2, 2), (3, 1), 1))(torch.zeros(3, 3)) -> RuntimeError: "
    "aten::as_strided_scatter requires special handling, and does not yet have a batching rule",
    "does not yet have a batching rule", strict=True)
VANDER_CUMPROD = ("torch.linalg.vander forms the powers as a cumulative product of x, so its second and third "
                  "derivatives go through cumprod's formulas (products divided by x), whose rounding the exact "
                  "powers' running-error model does not follow: measured (dev and ci profiles, torch 2.13.0 CPU) "
                  "HVP 1.69 x the bound in float32 and 3.01 x in float64, HVP plus gradient 29.6 x (float64), "
                  "forward over reverse 2.35 x (float32), third order 229 x (float64, 4e-13 relative): rounding "
                  "level, not classified")
POLAR_EXACT_ZERO = ("torch's polar backward multiplies the gradient by sgn(result) = result / |result|, constant in "
                    "the modulus only up to rounding, so its second and third derivatives leave rounding noise where "
                    "the exact value is 0 (the output is linear in the modulus): measured up to 1.5e25 x the plain "
                    "bound there (float32, 2.6e-11 at an exact 0; float64 6.1e-20; ci profile, torch 2.13.0 CPU); the "
                    "bound of an exact zero is 0")

ENTRIES = [
    # -- the copying forms of views ----------------------------------------------------------------
    entry("view_copy", "torch.view_copy(x, (2, 6))", lambda x: x.reshape(2, 6), x=R.of(3, 4)),
    entry("alias_copy", "torch.alias_copy(x)", lambda x: x, x=R.of(2, 3)),
    entry("as_strided_copy", "torch.as_strided_copy(x, (2, 3), (3, 2), 1)",
          lambda x: _as_strided(x, (2, 3), (3, 2), 1), x=R.of(3, 3)),
    entry("diagonal_copy", "torch.diagonal_copy(x, 1)", lambda x: np.diagonal(x, 1).copy(), x=R.of(3, 4)),
    entry("expand_copy", "torch.expand_copy(x, (2, 3, 2))", lambda x: np.broadcast_to(x, (2, 3, 2)), x=R.of(3, 1)),
    entry("narrow_copy", "torch.narrow_copy(x, 1, 1, 2)", lambda x: x[:, 1:3], x=R.of(2, 4)),
    entry("permute_copy", "torch.permute_copy(x, (2, 0, 1))", lambda x: np.transpose(x, (2, 0, 1)), x=R.of(2, 3, 2)),
    entry("squeeze_copy", "torch.squeeze_copy(x, 1)", lambda x: x[:, 0], x=R.of(2, 1, 3)),
    entry("t_copy", "torch.t_copy(x)", lambda x: x.T, x=R.of(2, 3)),
    entry("transpose_copy", "torch.transpose_copy(x, 0, 2)", lambda x: np.swapaxes(x, 0, 2), x=R.of(2, 3, 2)),
    entry("unbind_copy", "torch.unbind_copy(x, dim=1)", lambda x: tuple(x[:, k] for k in range(3)), x=R.of(2, 3)),
    entry("unfold_copy", "torch.unfold_copy(x, 1, 2, 2)", lambda x: _unfold(x, 1, 2, 2), x=R.of(2, 5)),
    entry("unsqueeze_copy", "torch.unsqueeze_copy(x, 1)", lambda x: x[:, None], x=R.of(2, 3)),
    entry("split_with_sizes_copy", "torch.split_with_sizes_copy(x, [1, 3], dim=1)", lambda x: (x[:, :1], x[:, 1:]),
          x=R.of(2, 4)),
    # -- scattering into views ---------------------------------------------------------------------
    entry("as_strided_scatter", "torch.as_strided_scatter(x, src, (2, 2), (3, 1), 1)",
          lambda x, src: _flat_put(x, (1, 2, 4, 5), src), x=R.of(3, 3), src=R.of(2, 2),
          deviations={**limits.in_properties(AS_STRIDED_SCATTER_PROPERTIES, AS_STRIDED_SCATTER_SELF),
                      **limits.in_properties(("test_jacfwd", "test_hessian", "test_jacfwd_jacfwd"),
                                             AS_STRIDED_SCATTER_VMAP)}),
    entry("diagonal_scatter", "torch.diagonal_scatter(x, src, 1)", lambda x, src: _diagonal_scatter(x, src, 1),
          x=R.of(3, 4), src=R.of(3)),
    entry("put", f"torch.put(x, {_i([4, 0, 2])}, src)", lambda x, src: _flat_put(x, (4, 0, 2), src),
          x=R.of(2, 3), src=R.of(3)),
    entry("put_accumulate", f"torch.put(x, {_i([1, 4, 1])}, src, accumulate=True)",
          lambda x, src: _flat_put(x, (1, 4, 1), src, accumulate=True), x=R.of(2, 3), src=R.of(3)),
    # -- splits, slices, pads ----------------------------------------------------------------------
    entry("split_with_sizes", "torch.split_with_sizes(x, [2, 1, 2])", lambda x: (x[:2], x[2:3], x[3:]), x=R.of(5, 2)),
    entry("unsafe_split", "torch.unsafe_split(x, 2)", lambda x: (x[:2], x[2:4], x[4:]), x=R.of(5, 2)),
    entry("unsafe_chunk", "torch.unsafe_chunk(x, 3, dim=1)", lambda x: (x[:, :2], x[:, 2:4], x[:, 4:]), x=R.of(2, 5)),
    entry("dsplit", "torch.dsplit(x, [1])", lambda x: (x[..., :1], x[..., 1:]), x=R.of(2, 2, 3)),
    entry("hsplit", "torch.hsplit(x, 2)", lambda x: (x[:, :2], x[:, 2:]), x=R.of(3, 4)),
    entry("atleast_1d", "torch.atleast_1d(x)", lambda x: x.reshape(1), x=R.of()),
    entry("slice", "torch.ops.aten.slice.Tensor(x, 1, 1, 4, 2)", lambda x: x[:, 1:4:2], x=R.of(2, 5)),
    entry("contiguous", "x.mT.contiguous()", lambda x: x.T, x=R.of(2, 3)),
    entry("constant_pad_nd", "torch.constant_pad_nd(x, (1, -1, 2, 0), 0.5)",
          lambda x: _pad(x, (1, -1, 2, 0), value=0.5), x=R.of(2, 3)),
    entry("sum_to_size", "x.sum_to_size(1, 3)", lambda x: s.sum(x, axis=0, keepdims=True), x=R.of(2, 3)),
    # -- filling ------------------------------------------------------------------------------------
    entry("fill", "torch.fill(x, v)", lambda x, v: np.full(x.shape, v[()], dtype=object), x=R.of(2, 3), v=R.of(),
          deviations=FILL_JACFWD_JACFWD),
    entry("zero_", "torch.zero_(x * y) + y", lambda x, y: y, x=R.of(2, 3), y=R.of(2, 3)),
    # -- products of index sets, integrals, differences, statistics ---------------------------------
    entry("cartesian_prod", "torch.cartesian_prod(x, y)", lambda x, y: s.array([[a, b] for a in x for b in y]),
          x=R.of(2), y=R.of(3)),
    entry("combinations", "torch.combinations(x, r=2)",
          lambda x: s.array([list(c) for c in itertools.combinations(x, 2)]), x=R.of(4)),
    entry("trapz", "torch.trapz(y, dx=0.5)", lambda y: _trapz(y, sp.Rational(1, 2)), y=R.of(2, 4)),
    entry("gradient", "torch.gradient(x, spacing=0.5, dim=1)[0]", lambda x: _gradient(x, sp.Rational(1, 2)),
          x=R.of(2, 5)),
    entry("cov", "torch.cov(x)", _cov, x=R.of(2, 4)),
    entry("corrcoef", "torch.corrcoef(x).triu(1)", _corrcoef_upper, x=R.of(3, 4),
          kinks=Kinks(_corr_kinks, margin=0.05)),
    entry("renorm", "torch.renorm(x, 2, 0, 2.5)", lambda x: _renorm_rows(x, sp.Rational(5, 2)), x=R.of(3, 2),
          deviations=_float32_tangent("torch.renorm(d, 2, 0, 1.0)"),
          kinks=Kinks(lambda x: np.linalg.norm(x, axis=1) - 2.5, margin=0.05)),
    entry("mode", "torch.mode(torch.cat([x, x[:, :1]], 1), 1).values", lambda x: x[:, 0], x=R.of(2, 4),
          kinks=Kinks(_row_gaps, margin=TIES)),
    entry("linalg.vander", "torch.linalg.vander(x, N=4)", lambda x: s.array([[1, v, v**2, v**3] for v in x]),
          x=R.of(3), dtypes=("float32", "float64"),
          unmodelled={"double_backward": VANDER_CUMPROD, "forward_over_forward": limits.VANDER_SECOND_TANGENT}),
    # -- complex numbers ---------------------------------------------------------------------------
    entry("complex", "torch.view_as_real(torch.complex(x, y))", _pairs, x=R.of(2, 3), y=R.of(2, 3),
          dtypes=NO_BF16),
    entry("polar", "torch.view_as_real(torch.polar(r, t))", lambda r, t: _pairs(r * s.cos(t), r * s.sin(t)),
          r=Real(0.1, 4.0).of(2, 3), t=R.of(2, 3), dtypes=NO_BF16, unmodelled={"double_backward": POLAR_EXACT_ZERO}),
    entry("view_as_real", "torch.view_as_real(x)", lambda x: _pairs(re_(x), im_(x)), x=R.of(2, 3), dtypes=COMPLEX),
    entry("view_as_complex", "torch.view_as_real(torch.view_as_complex(x) * torch.view_as_complex(y))",
          lambda x, y: _pairs(x[..., 0] * y[..., 0] - x[..., 1] * y[..., 1],
                              x[..., 0] * y[..., 1] + x[..., 1] * y[..., 0]), x=R.of(3, 2), y=R.of(3, 2),
          dtypes=NO_BF16),
    entry("conj_physical", "torch.conj_physical(x)", lambda x: conj(x), x=R.of(2, 3), dtypes=REAL_AND_COMPLEX),
    entry("resolve_conj", "torch.resolve_conj(x.conj())", lambda x: conj(x), x=R.of(2, 3), dtypes=REAL_AND_COMPLEX),
    entry("resolve_neg", "torch.resolve_neg(x.conj().imag)", lambda x: -im_(x), x=R.of(2, 3), dtypes=COMPLEX),
    entry("Tensor.H", "x.H", lambda x: conj(x).T, x=R.of(2, 3), dtypes=REAL_AND_COMPLEX),
    # -- floating-point decomposition --------------------------------------------------------------
    entry("frexp", "torch.frexp(x).mantissa", lambda x: x / 2 ** _exponent(x), x=NONZERO, kinks=POW2,
          deviations=_float32_tangent("torch.frexp(d).mantissa")),
    entry("nextafter", "torch.nextafter(x, y)", lambda x, y: x, x=R, y=R),
    # -- reflected operators: a number on the left -------------------------------------------------
    entry("Tensor.__radd__", "2.5 + x", lambda x: sp.Rational(5, 2) + x, x=R),
    entry("Tensor.__rsub__", "1.5 - x", lambda x: sp.Rational(3, 2) - x, x=R),
    entry("Tensor.__rdiv__", "2 / x", lambda x: 2 / x, x=NONZERO),
    entry("Tensor.__rmod__", "x.__rmod__(y)", lambda x, y: y - x * s.floor(y / x), x=DIVISOR, y=DIVIDEND,
          kinks=RMOD),
    entry("Tensor.__rmatmul__", "x.__rmatmul__(y)", lambda x, y: y @ x, x=R.of(3, 2), y=R.of(2, 3)),
]

ENTRIES = declare(ENTRIES, "elementwise", only=(
    "frexp", "nextafter", "Tensor.__radd__", "Tensor.__rsub__", "Tensor.__rdiv__", "Tensor.__rmod__"))
# redrawn sizes hold here (the input-space properties; tests/test_space.py checks the spec at them, in real dtypes:
# the complex-only entries keep their declared shapes)
ENTRIES = declare(ENTRIES, "resizable", only=(
    "alias_copy", "diagonal_copy", "narrow_copy", "permute_copy", "squeeze_copy", "t_copy", "transpose_copy",
    "unfold_copy", "unsqueeze_copy", "diagonal_scatter", "slice", "contiguous", "constant_pad_nd", "fill", "zero_",
    "cartesian_prod", "combinations", "trapz", "gradient", "cov", "corrcoef", "renorm", "mode", "linalg.vander",
    "complex", "polar", "conj_physical", "resolve_conj", "Tensor.H",
    "Tensor.__rmatmul__"))
