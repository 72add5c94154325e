"""Elementwise unary functions."""
from .. import spec as s
from ..case import entry
from ..domain import Real

R = Real(-4.0, 4.0)
POS = Real(0.1, 6.0)
NONZERO = Real(-4.0, 4.0, avoid=(0.0,), margin=0.05)
UNIT = Real(-0.95, 0.95)

TRIGAMMA = ("digamma's backward, torch's trigamma, is accurate to only ~5e-10 relative in float64 (CPU): "
            "torch.polygamma(1, torch.tensor(1.0, dtype=torch.float64)) gives 1.6449340676383375; "
            "exact pi**2/6 = 1.6449340668482264")

ENTRIES = [
    entry("sin", "torch.sin(x)", lambda x: s.sin(x), x=R),
    entry("cos", "torch.cos(x)", lambda x: s.cos(x), x=R),
    entry("tan", "torch.tan(x)", lambda x: s.tan(x), x=Real(-1.4, 1.4)),
    entry("Tensor.sin", "x.sin()", lambda x: s.sin(x), x=R.of(2, 3)),
    entry("exp", "torch.exp(x)", lambda x: s.exp(x), x=R),
    entry("expm1", "torch.expm1(x)", lambda x: s.expm1(x), x=R),
    entry("log", "torch.log(x)", lambda x: s.log(x), x=POS),
    entry("log1p", "torch.log1p(x)", lambda x: s.log1p(x), x=Real(-0.9, 5.0)),
    entry("log2", "torch.log2(x)", lambda x: s.log2(x), x=POS),
    entry("sqrt", "torch.sqrt(x)", lambda x: s.sqrt(x), x=POS),
    entry("rsqrt", "torch.rsqrt(x)", lambda x: s.rsqrt(x), x=POS),
    entry("reciprocal", "torch.reciprocal(x)", lambda x: 1 / x, x=NONZERO),
    entry("square", "torch.square(x)", lambda x: x**2, x=R),
    entry("tanh", "torch.tanh(x)", lambda x: s.tanh(x), x=Real(-10.0, 10.0)),
    entry("sigmoid", "torch.sigmoid(x)", lambda x: s.logistic(x), x=Real(-12.0, 12.0)),
    entry("sinh", "torch.sinh(x)", lambda x: s.sinh(x), x=R),
    entry("cosh", "torch.cosh(x)", lambda x: s.cosh(x), x=R),
    entry("erf", "torch.erf(x)", lambda x: s.erf(x), x=R),
    entry("erfc", "torch.erfc(x)", lambda x: s.erfc(x), x=R),
    entry("atan", "torch.atan(x)", lambda x: s.atan(x), x=R),
    entry("asin", "torch.asin(x)", lambda x: s.asin(x), x=UNIT),
    entry("acos", "torch.acos(x)", lambda x: s.acos(x), x=UNIT),
    entry("asinh", "torch.asinh(x)", lambda x: s.asinh(x), x=R),
    entry("atanh", "torch.atanh(x)", lambda x: s.atanh(x), x=UNIT),
    entry("lgamma", "torch.lgamma(x)", lambda x: s.lgamma(x), x=POS),
    entry("digamma", "torch.digamma(x)", lambda x: s.digamma(x), x=POS, deviations={"float64": TRIGAMMA}),
    entry("abs", "torch.abs(x)", lambda x: s.abs(x), x=NONZERO),
    entry("relu", "torch.relu(x)", lambda x: s.relu(x), x=NONZERO),
    entry("silu", "F.silu(x)", lambda x: s.silu(x), x=R),
    entry("softplus", "F.softplus(x)", lambda x: s.softplus(x), x=R),
    entry("pow_int", "torch.pow(x, 3)", lambda x: x**3, x=R),
    entry("pow_neg_int", "x ** -2", lambda x: x**-2, x=NONZERO),
    entry("pow_real", "torch.pow(x, 2.5)", lambda x: x**2.5, x=POS),
]
