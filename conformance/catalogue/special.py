"""Special functions (torch.special and friends) and elementwise aliases."""
import mpmath
import sympy as sp

from conformance.catalogue import limits
from conformance.catalogue.elementwise import HALVES, TRIGAMMA_BACKWARD, round_
from conformance.exact import spec as s
from conformance.model.case import entry
from conformance.model.domain import Real
from conformance.model.family import declare

R = Real(-4.0, 4.0)
POS = Real(0.1, 6.0)
PROB = Real(0.015625, 0.984375)
TAILS = Real(0.0009765625, 0.9990234375)
ERFINV = Real(-0.9990234375, 0.9990234375)
GAMMA = Real(0.05, 12.0)
BESSEL = Real(-8.0, 8.0)
NONZERO = Real(-20.0, 20.0, avoid=(0.0,), margin=0.05)


class special_i1(sp.Function):
    """I1(x); derivative I0(x) - I1(x)/x, through its own value as torch's i1_backward."""

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sp.besseli(0, x) - special_i1(x) / x


class special_i0e(sp.Function):
    """exp(-|x|) I0(x); derivative i1e(x) - sgn(x) i0e(x) (torch's formula)."""

    def fdiff(self, argindex=1):
        x = self.args[0]
        return special_i1e(x) - sp.sign(x) * special_i0e(x)


class special_i1e(sp.Function):
    """exp(-|x|) I1(x); derivative i0e(x) - i1e(x) (sgn(x) + 1/x) (torch's i1e_backward)."""

    def fdiff(self, argindex=1):
        x = self.args[0]
        return special_i0e(x) - special_i1e(x) * (sp.sign(x) + 1 / x)


class special_ndtri(sp.Function):
    """Inverse of the standard normal CDF; derivative sqrt(2 pi) exp(ndtri(x)**2 / 2)."""

    def fdiff(self, argindex=1):
        return sp.sqrt(2 * sp.pi) * sp.exp(special_ndtri(self.args[0]) ** 2 / 2)


class special_log_ndtr(sp.Function):
    """log of the standard normal CDF; derivative exp(-(log_ndtr(x) + x**2 / 2)) / sqrt(2 pi)."""

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sp.exp(-(special_log_ndtr(x) + x**2 / 2)) / sp.sqrt(2 * sp.pi)


class special_erfcx(sp.Function):
    """Scaled complementary error function exp(x**2) erfc(x); derivative 2 x erfcx(x) - 2 / sqrt(pi)."""

    def fdiff(self, argindex=1):
        x = self.args[0]
        return 2 * x * special_erfcx(x) - 2 / sp.sqrt(sp.pi)


s.register("special_i1", lambda x: mpmath.besseli(1, x))
s.register("special_i0e", lambda x: mpmath.exp(-abs(x)) * mpmath.besseli(0, x))
s.register("special_i1e", lambda x: mpmath.exp(-abs(x)) * mpmath.besseli(1, x))
s.register("special_ndtri", lambda x: mpmath.sqrt(2) * mpmath.erfinv(2 * x - 1))
s.register("special_log_ndtr", lambda x: mpmath.log(mpmath.ncdf(x)))
s.register("special_erfcx", lambda x: mpmath.exp(x**2) * mpmath.erfc(x))

i0 = s.lift(lambda x: sp.besseli(0, x))
i1 = s.lift(special_i1)
i0e = s.lift(special_i0e)
i1e = s.lift(special_i1e)
erfinv = s.lift(sp.erfinv)
ndtri = s.lift(special_ndtri)
log_ndtr = s.lift(special_log_ndtr)
erfcx = s.lift(special_erfcx)


def polygamma(n):
    return s.lift(lambda x: sp.polygamma(n, x))


def mvlgamma(x, p):
    """log of the multivariate gamma function of dimension p."""
    return sp.Rational(p * (p - 1), 4) * sp.log(sp.pi) + sum(s.lgamma(x - sp.Rational(j, 2)) for j in range(p))


def sinc(x):
    return s.sin(s.pi * x) / (s.pi * x)


def logit(x):
    return s.log(x) - s.log(1 - x)


def _logit_eps(x, eps):
    """logit of x clamped to [eps, 1 - eps]."""
    return sp.Piecewise((sp.log(eps) - sp.log(1 - eps), x < eps), (sp.log(x) - sp.log(1 - x), x < 1 - eps),
                        (sp.log(1 - eps) - sp.log(eps), True))


def logit_eps(x, eps):
    return s.lift(lambda e: _logit_eps(e, eps))(x)


def ndtr(x):
    return (1 + s.erf(x * sp.sqrt(2) / 2)) / 2


EIGHTH = sp.Rational(1, 8)

ENTRIES = [
    # torch.* spellings of special functions
    entry("erfinv", "torch.erfinv(x)", erfinv, x=ERFINV),
    entry("polygamma_1", "torch.polygamma(1, x)", polygamma(1), x=GAMMA),
    entry("polygamma_2", "torch.polygamma(2, x)", polygamma(2), x=GAMMA, deviations=limits.POLYGAMMA_F16),
    entry("mvlgamma", "torch.mvlgamma(x, p=2)", lambda x: mvlgamma(x, 2), x=Real(0.75, 6.0),
          deviations=limits.TRIGAMMA_SECOND_ORDER),
    entry("sinc", "torch.sinc(x)", sinc, x=Real(-4.0, 4.0, avoid=(0.0,))),
    entry("logit", "torch.logit(x)", logit, x=PROB,
          unsupported=limits.unsupported(forward_of_backward="logit_backward")),
    entry("logit_eps", "torch.logit(x, eps=0.125)", lambda x: logit_eps(x, EIGHTH),
          x=Real(0.015625, 0.984375, avoid=(0.125, 0.875)),
          unsupported=limits.unsupported(forward_of_backward="logit_backward"), deviations=limits.NAN_LANES_LOGIT),
    entry("i0", "torch.i0(x)", i0, x=BESSEL,
          unmodelled=limits.unmodelled("third_order", limits.I0_THIRD_ORDER)),
    entry("Tensor.erfinv", "x.erfinv()", erfinv, x=ERFINV.of(2, 3)),
    entry("Tensor.polygamma", "x.polygamma(1)", polygamma(1), x=GAMMA.of(2, 3)),
    entry("Tensor.logit", "x.logit()", logit, x=PROB.of(2, 3),
          unsupported=limits.unsupported(forward_of_backward="logit_backward")),
    entry("Tensor.i0", "x.i0()", i0, x=BESSEL.of(2, 3),
          unmodelled=limits.unmodelled("third_order", limits.I0_THIRD_ORDER)),
    # torch.special
    entry("special.i0", "torch.special.i0(x)", i0, x=BESSEL,
          unmodelled=limits.unmodelled("third_order", limits.I0_THIRD_ORDER)),
    entry("special.i0e", "torch.special.i0e(x)", i0e, x=NONZERO),
    entry("special.i1", "torch.special.i1(x)", i1, x=NONZERO),
    entry("special.i1e", "torch.special.i1e(x)", i1e, x=NONZERO),
    entry("special.ndtr", "torch.special.ndtr(x)", ndtr, x=R),
    entry("special.ndtri", "torch.special.ndtri(x)", ndtri, x=TAILS),
    entry("special.log_ndtr", "torch.special.log_ndtr(x)", log_ndtr, x=Real(-20.0, 6.0)),
    entry("special.erfcx", "torch.special.erfcx(x)", erfcx, x=Real(-3.0, 20.0)),
    entry("special.entr", "torch.special.entr(x)", lambda x: -x * s.log(x), x=POS),
    entry("special.expit", "torch.special.expit(x)", s.logistic, x=Real(-12.0, 12.0)),
    entry("special.logit", "torch.special.logit(x)", logit, x=PROB,
          unsupported=limits.unsupported(forward_of_backward="logit_backward")),
    entry("special.expm1", "torch.special.expm1(x)", s.expm1, x=R),
    entry("special.exp2", "torch.special.exp2(x)", lambda x: 2**x, x=Real(-8.0, 8.0)),
    entry("special.log1p", "torch.special.log1p(x)", s.log1p, x=Real(-0.9, 5.0)),
    entry("special.sinc", "torch.special.sinc(x)", sinc, x=Real(-4.0, 4.0, avoid=(0.0,))),
    entry("special.erf", "torch.special.erf(x)", s.erf, x=R),
    entry("special.erfc", "torch.special.erfc(x)", s.erfc, x=R),
    entry("special.erfinv", "torch.special.erfinv(x)", erfinv, x=ERFINV),
    entry("special.psi", "torch.special.psi(x)", s.digamma, x=POS, deviations={"float64": TRIGAMMA_BACKWARD}),
    entry("special.digamma", "torch.special.digamma(x)", s.digamma, x=POS, deviations={"float64": TRIGAMMA_BACKWARD}),
    entry("special.gammaln", "torch.special.gammaln(x)", s.lgamma, x=POS, deviations=limits.TRIGAMMA_SECOND_ORDER),
    entry("special.polygamma", "torch.special.polygamma(2, x)", polygamma(2), x=GAMMA,
          deviations=limits.POLYGAMMA_F16),
    entry("special.multigammaln", "torch.special.multigammaln(x, 3)", lambda x: mvlgamma(x, 3), x=Real(1.2, 6.0),
          deviations=limits.TRIGAMMA_SECOND_ORDER),
    entry("special.round", "torch.special.round(x)", round_, x=Real(-4.0, 4.0, avoid=HALVES)),
]
ENTRIES = declare(ENTRIES, "elementwise")
