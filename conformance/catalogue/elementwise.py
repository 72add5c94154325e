"""Elementwise unary functions."""
import sympy as sp

from conformance.catalogue import limits
from conformance.exact import spec as s
from conformance.model.case import REAL_AND_COMPLEX, Contract, entry
from conformance.model.domain import Real
from conformance.model.family import declare
from conformance.model.status import Accuracy

R = Real(-4.0, 4.0)
PERIODIC = Real(-4.0, 4.0, beyond=(-1e4, 1e4))  # large arguments: range reduction
POS = Real(0.1, 6.0)
NONZERO = Real(-4.0, 4.0, avoid=(0.0,), margin=0.05)
UNIT = Real(-0.95, 0.95)
ABOVE1 = Real(1.1, 6.0)
INTS = tuple(float(k) for k in range(-4, 5))
HALVES = tuple(k + 0.5 for k in range(-5, 5))
TENTHS_HALVES = tuple((k + 0.5) / 10 for k in range(-21, 21))


floor, ceil, trunc, round_, sign = s.floor, s.ceil, s.trunc, s.round_, s.sign


def _clamp(x, lo, hi):
    return sp.Piecewise((lo, x < lo), (x, x < hi), (hi, True))


def clamp(x, lo=None, hi=None):
    """clamp with scalar bounds; both bounds as one Piecewise (nested Max/Min compile slowly)."""
    if lo is not None and hi is not None:
        return s.lift(lambda e: _clamp(e, lo, hi))(x)
    return s.maximum(x, lo) if lo is not None else s.minimum(x, hi)


SGN_ZEROTENSOR = ("torch.sgn's backward on real inputs stores an immutable ZeroTensor in the leaf's .grad: the "
                  "next backward into it, grad.zero_() and .numpy() raise. x = torch.tensor([1.0, -2.0], "
                  "requires_grad=True); torch.sgn(x).backward(torch.ones(2)); x.grad._is_zerotensor() is True; "
                  "(2 * x).sum().backward() raises 'ZeroTensors are immutable' (torch.sign is fine)")
TRIGAMMA = ("digamma's backward, torch's trigamma, is accurate to only ~5e-10 relative in float64 (CPU): "
            "torch.polygamma(1, torch.tensor(1.0, dtype=torch.float64)) gives 1.6449340676383375; "
            "exact pi**2/6 = 1.6449340668482264")
# envelope: up to 4.86e-10 relative over the domain (40,000 points against mpmath; the same in the suite), so 1e-9
TRIGAMMA_BACKWARD = Accuracy(TRIGAMMA, relative=1e-9)

ENTRIES = [
    entry("sin", "torch.sin(x)", lambda x: s.sin(x), x=PERIODIC, dtypes=REAL_AND_COMPLEX),
    entry("cos", "torch.cos(x)", lambda x: s.cos(x), x=PERIODIC, dtypes=REAL_AND_COMPLEX),
    entry("tan", "torch.tan(x)", lambda x: s.tan(x), x=Real(-1.4, 1.4)),
    entry("Tensor.sin", "x.sin()", lambda x: s.sin(x), x=R.of(2, 3)),
    entry("exp", "torch.exp(x)", lambda x: s.exp(x), x=Real(-4.0, 4.0, beyond=(-80.0, 80.0)), dtypes=REAL_AND_COMPLEX),
    entry("expm1", "torch.expm1(x)", lambda x: s.expm1(x), x=R),
    entry("log", "torch.log(x)", lambda x: s.log(x), x=POS, dtypes=REAL_AND_COMPLEX),
    entry("log1p", "torch.log1p(x)", lambda x: s.log1p(x), x=Real(-0.9, 5.0)),
    entry("log2", "torch.log2(x)", lambda x: s.log2(x), x=POS),
    entry("sqrt", "torch.sqrt(x)", lambda x: s.sqrt(x), x=POS, dtypes=REAL_AND_COMPLEX),
    entry("rsqrt", "torch.rsqrt(x)", lambda x: s.rsqrt(x), x=POS),
    entry("reciprocal", "torch.reciprocal(x)", lambda x: 1 / x, x=NONZERO, dtypes=REAL_AND_COMPLEX),
    entry("square", "torch.square(x)", lambda x: x**2, x=R, dtypes=REAL_AND_COMPLEX),
    entry("tanh", "torch.tanh(x)", lambda x: s.tanh(x), x=Real(-10.0, 10.0, beyond=(-40.0, 40.0))),
    entry("sigmoid", "torch.sigmoid(x)", lambda x: s.logistic(x), x=Real(-12.0, 12.0, beyond=(-80.0, 80.0))),
    entry("sinh", "torch.sinh(x)", lambda x: s.sinh(x), x=R, dtypes=REAL_AND_COMPLEX),
    entry("cosh", "torch.cosh(x)", lambda x: s.cosh(x), x=R, dtypes=REAL_AND_COMPLEX),
    entry("erf", "torch.erf(x)", lambda x: s.erf(x), x=R),
    entry("erfc", "torch.erfc(x)", lambda x: s.erfc(x), x=R),
    entry("atan", "torch.atan(x)", lambda x: s.atan(x), x=R),
    entry("asin", "torch.asin(x)", lambda x: s.asin(x), x=UNIT),
    entry("acos", "torch.acos(x)", lambda x: s.acos(x), x=UNIT),
    entry("asinh", "torch.asinh(x)", lambda x: s.asinh(x), x=R),
    entry("atanh", "torch.atanh(x)", lambda x: s.atanh(x), x=UNIT),
    entry("lgamma", "torch.lgamma(x)", lambda x: s.lgamma(x), x=POS, deviations=limits.TRIGAMMA_SECOND_ORDER),
    entry("digamma", "torch.digamma(x)", lambda x: s.digamma(x), x=POS, deviations={"float64": TRIGAMMA_BACKWARD}),
    entry("abs", "torch.abs(x)", lambda x: s.abs(x), x=NONZERO, dtypes=REAL_AND_COMPLEX),
    entry("relu", "torch.relu(x)", lambda x: s.relu(x), x=NONZERO),
    entry("silu", "F.silu(x)", lambda x: s.silu(x), x=R,
          unsupported=limits.unsupported(forward_of_backward="silu_backward")),
    entry("softplus", "F.softplus(x)", lambda x: s.softplus(x), x=R),
    entry("pow_int", "torch.pow(x, 3)", lambda x: x**3, x=R),
    entry("pow_neg_int", "x ** -2", lambda x: x**-2, x=NONZERO),
    entry("pow_real", "torch.pow(x, 2.5)", lambda x: x**2.5, x=POS),

    # acosh, exp2, log10, angle conversions and the numpy-style arc* aliases
    entry("acosh", "torch.acosh(x)", lambda x: s.acosh(x), x=ABOVE1),
    entry("exp2", "torch.exp2(x)", lambda x: 2**x, x=Real(-8.0, 8.0)),
    entry("log10", "torch.log10(x)", lambda x: s.log10(x), x=POS),
    entry("deg2rad", "torch.deg2rad(x)", lambda x: x * s.pi / 180, x=Real(-360.0, 360.0)),
    entry("rad2deg", "torch.rad2deg(x)", lambda x: x * 180 / s.pi, x=R),
    entry("arcsin", "torch.arcsin(x)", lambda x: s.asin(x), x=UNIT),
    entry("arccos", "torch.arccos(x)", lambda x: s.acos(x), x=UNIT),
    entry("arctan", "torch.arctan(x)", lambda x: s.atan(x), x=R),
    entry("arcsinh", "torch.arcsinh(x)", lambda x: s.asinh(x), x=R),
    entry("arccosh", "torch.arccosh(x)", lambda x: s.acosh(x), x=ABOVE1),
    entry("arctanh", "torch.arctanh(x)", lambda x: s.atanh(x), x=UNIT),
    # sign changes and identities
    entry("neg", "torch.neg(x)", lambda x: -x, x=R, dtypes=REAL_AND_COMPLEX),
    entry("negative", "torch.negative(x)", lambda x: -x, x=R),
    entry("positive", "torch.positive(x)", lambda x: x, x=R),
    entry("absolute", "torch.absolute(x)", lambda x: s.abs(x), x=NONZERO),
    entry("sgn", "torch.sgn(x)", lambda x: sign(x), x=NONZERO,
          deviations={"accumulation": Contract(SGN_ZEROTENSOR, "ZeroTensors are immutable",  # every second
                                               strict=True)}),                          # backward raises
    entry("sign", "torch.sign(x)", lambda x: sign(x), x=NONZERO),
    entry("nan_to_num", "torch.nan_to_num(x)", lambda x: x, x=R),
    # rounding: zero derivative (frac: unit) away from the jumps
    entry("floor", "torch.floor(x)", lambda x: floor(x), x=Real(-4.0, 4.0, avoid=INTS)),
    entry("ceil", "torch.ceil(x)", lambda x: ceil(x), x=Real(-4.0, 4.0, avoid=INTS)),
    entry("trunc", "torch.trunc(x)", lambda x: trunc(x), x=Real(-4.0, 4.0, avoid=INTS)),
    entry("fix", "torch.fix(x)", lambda x: trunc(x), x=Real(-4.0, 4.0, avoid=INTS)),
    entry("frac", "torch.frac(x)", lambda x: x - trunc(x), x=Real(-4.0, 4.0, avoid=INTS)),
    entry("round", "torch.round(x)", lambda x: round_(x), x=Real(-4.0, 4.0, avoid=HALVES)),
    entry("round_decimals", "torch.round(x, decimals=1)", lambda x: round_(10 * x) / 10,
          x=Real(-2.0, 2.0, avoid=TENTHS_HALVES, margin=0.01)),
    # clamping with scalar bounds
    entry("clamp", "torch.clamp(x, -1.0, 2.0)", lambda x: clamp(x, -1, 2), x=Real(-4.0, 4.0, avoid=(-1.0, 2.0))),
    entry("clamp_lower", "torch.clamp(x, min=-1.0)", lambda x: clamp(x, lo=-1), x=Real(-4.0, 4.0, avoid=(-1.0,))),
    entry("clamp_upper", "torch.clamp(x, max=0.5)", lambda x: clamp(x, hi=sp.Rational(1, 2)),
          x=Real(-4.0, 4.0, avoid=(0.5,))),
    entry("clamp_min", "torch.clamp_min(x, -1.5)", lambda x: clamp(x, lo=sp.Rational(-3, 2)),
          x=Real(-4.0, 4.0, avoid=(-1.5,))),
    entry("clamp_max", "torch.clamp_max(x, 1.0)", lambda x: clamp(x, hi=1), x=Real(-4.0, 4.0, avoid=(1.0,))),
    entry("clip", "torch.clip(x, -2.0, 1.0)", lambda x: clamp(x, -2, 1), x=Real(-4.0, 4.0, avoid=(-2.0, 1.0))),
    # method spellings
    entry("Tensor.exp", "x.exp()", lambda x: s.exp(x), x=R.of(2, 3)),
    entry("Tensor.log", "x.log()", lambda x: s.log(x), x=POS.of(2, 3)),
    entry("Tensor.log1p", "x.log1p()", lambda x: s.log1p(x), x=Real(-0.9, 5.0).of(2, 3)),
    entry("Tensor.expm1", "x.expm1()", lambda x: s.expm1(x), x=R.of(2, 3)),
    entry("Tensor.tanh", "x.tanh()", lambda x: s.tanh(x), x=Real(-10.0, 10.0).of(2, 3)),
    entry("Tensor.sigmoid", "x.sigmoid()", lambda x: s.logistic(x), x=Real(-12.0, 12.0).of(2, 3)),
    entry("Tensor.sqrt", "x.sqrt()", lambda x: s.sqrt(x), x=POS.of(2, 3)),
    entry("Tensor.erf", "x.erf()", lambda x: s.erf(x), x=R.of(2, 3)),
    entry("Tensor.reciprocal", "x.reciprocal()", lambda x: 1 / x, x=NONZERO.of(2, 3)),
    entry("Tensor.clamp_scalar", "x.clamp(-1.0, 2.0)", lambda x: clamp(x, -1, 2),
          x=Real(-4.0, 4.0, avoid=(-1.0, 2.0)).of(2, 3)),
    # in-place variants on a non-leaf
    entry("Tensor.sin_", "x.clone().sin_()", lambda x: s.sin(x), x=R),
    entry("Tensor.exp_", "x.clone().exp_()", lambda x: s.exp(x), x=R),
    entry("Tensor.log_", "x.clone().log_()", lambda x: s.log(x), x=POS),
    entry("Tensor.sqrt_", "x.clone().sqrt_()", lambda x: s.sqrt(x), x=POS),
    entry("Tensor.tanh_", "x.clone().tanh_()", lambda x: s.tanh(x), x=Real(-10.0, 10.0)),
    entry("Tensor.sigmoid_", "x.clone().sigmoid_()", lambda x: s.logistic(x), x=Real(-12.0, 12.0)),
    entry("Tensor.reciprocal_", "x.clone().reciprocal_()", lambda x: 1 / x, x=NONZERO),
    entry("Tensor.clamp_", "x.clone().clamp_(-1.0, 2.0)", lambda x: clamp(x, -1, 2),
          x=Real(-4.0, 4.0, avoid=(-1.0, 2.0))),
]
ENTRIES = declare(ENTRIES, "elementwise")
