"""torch.nn.functional activations."""
import mpmath
import numpy as np
import sympy as sp

from conformance.catalogue import limits
from conformance.exact import spec as s
from conformance.model.case import Deviation, entry
from conformance.model.domain import Real
from conformance.model.family import declare

R = Real(-4.0, 4.0)
WIDE = Real(-10.0, 10.0)
NONZERO = Real(-4.0, 4.0, avoid=(0.0,))

# torch's SELU constants (torch/csrc/api and ATen: SELU_ALPHA, SELU_SCALE).
SELU_ALPHA = sp.Float("1.6732632423543772848170429916717", 40)
SELU_SCALE = sp.Float("1.0507009873554804934193349852946", 40)


class act_tanh(sp.Function):
    """tanh whose derivative is the opaque 1 - tanh**2 (``act_sech2``), so that 1 - tanh'(x) is not
    cancelled symbolically: torch's tanhshrink computes it as a difference, as written here."""

    def fdiff(self, argindex=1):
        return act_sech2(self.args[0])


class act_sech2(sp.Function):
    """1 - tanh(x)**2, torch's tanh backward factor."""

    def fdiff(self, argindex=1):
        return -2 * act_tanh(self.args[0]) * act_sech2(self.args[0])


s.register("act_tanh", mpmath.tanh, np.tanh)
s.register("act_sech2", lambda x: mpmath.sech(x) ** 2, lambda x: 1 / np.cosh(x) ** 2)


_q = s.decimal


def _pw(positive, negative, at=0):
    """Elementwise ``positive(v)`` where v > at, else ``negative(v)``."""
    return s.lift(lambda v: sp.Piecewise((positive(v), v > at), (negative(v), True)))


def _leaky(slope):
    slope = _q(slope)
    return _pw(lambda v: v, lambda v: slope * v)


def _elu(alpha, scale=1, input_scale=1, through_result=False):
    """ELU family: scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1)).

    With ``through_result`` the negative branch is written with expm1 (derivative through the value),
    as torch's in-place variants differentiate it."""
    alpha, input_scale = _q(alpha) if not isinstance(alpha, sp.Expr) else alpha, _q(input_scale)
    if through_result:
        return _pw(lambda v: scale * v, lambda v: scale * alpha * s.expm1_(input_scale * v))
    return _pw(lambda v: scale * v, lambda v: scale * alpha * (sp.exp(input_scale * v) - 1))


def _clamp(lo, hi):
    return s.lift(lambda v: sp.Piecewise((lo, v < lo), (hi, v > hi), (v, True)))


def _gelu(x):
    return x / 2 * (1 + s.erf(x / sp.sqrt(2)))


def _gelu_tanh(x):
    inner = sp.sqrt(2 / sp.pi) * (x + sp.Rational(44715, 10**6) * x**3)
    return x / 2 * (1 + s.tanh(inner))


def _hardswish(v):
    return sp.Piecewise((0, v < -3), (v, v > 3), (v * (v + 3) / 6, True))


def _hardsigmoid(v):
    return sp.Piecewise((0, v < -3), (1, v > 3), (v / 6 + sp.Rational(1, 2), True))


def _softplus_beta(beta, threshold):
    beta, threshold = _q(beta), _q(threshold)
    return s.lift(lambda v: sp.Piecewise((v, beta * v > threshold), (sp.log(1 + sp.exp(beta * v)) / beta, True)))


def _softshrink(lambd):
    lambd = _q(lambd)
    return s.lift(lambda v: sp.Piecewise((v - lambd, v > lambd), (v + lambd, v < -lambd), (0, True)))


def _hardshrink(lambd):
    lambd = _q(lambd)
    return s.lift(lambda v: sp.Piecewise((v, v > lambd), (v, v < -lambd), (0, True)))


def _glu(x):
    half = x.shape[-1] // 2
    return x[..., :half] * s.logistic(x[..., half:])


def _prelu(x, w):
    return s.lift(lambda v, a: sp.Piecewise((v, v > 0), (a * v, True)), 2)(x, w)


HARDSIGMOID_SIXTH = (
    "hardsigmoid's backward uses 1/6 rounded to float32 even for float64 (the CPU kernel's constant is "
    "1.0f / 6.0f): x = torch.zeros(1, dtype=torch.float64, requires_grad=True); "
    "F.hardsigmoid(x).backward(torch.ones(1, dtype=torch.float64)) gives x.grad = 0.1666666716337204; "
    "exact 1/6 = 0.16666666666666666 (relative error 3.0e-8; the forward x / 6 + 0.5 is correctly rounded)")

RRELU_SLOPE = (_q(1.0 / 8) + _q(1.0 / 3)) / 2  # F.rrelu's eval-mode slope, (lower + upper) / 2 at the defaults

ENTRIES = [
    entry("nn.functional.relu", "F.relu(x)", lambda x: s.relu(x), x=NONZERO),
    entry("nn.functional.relu_inplace", "F.relu(x.clone(), inplace=True)", lambda x: s.relu(x), x=NONZERO.of(2, 3)),
    entry("nn.functional.leaky_relu", "F.leaky_relu(x)", _leaky(0.01), x=NONZERO),
    entry("nn.functional.leaky_relu_inplace", "F.leaky_relu(x.clone(), 0.2, inplace=True)", _leaky(0.2),
          x=NONZERO.of(2, 3)),
    entry("nn.functional.rrelu", "F.rrelu(x, training=False)", _pw(lambda v: v, lambda v: RRELU_SLOPE * v),
          x=NONZERO,
          unsupported=limits.unsupported(func="vmap has no batching rule for aten::rrelu_with_noise "
                                              "(jacfwd, hessian)")),
    entry("nn.functional.prelu", "F.prelu(x, w)", _prelu, x=NONZERO.of(2, 3), w=Real(-1.0, 1.0).of(3)),
    entry("nn.functional.prelu_shared", "F.prelu(x, w)", _prelu, x=NONZERO.of(2, 3), w=Real(-1.0, 1.0).of(1)),
    entry("nn.functional.elu", "F.elu(x)", _elu(1.0), x=NONZERO, deviations=limits.NAN_LANES_ELU),
    entry("nn.functional.elu_inplace", "F.elu(x.clone(), alpha=0.5, inplace=True)", _elu(0.5, through_result=True),
          x=NONZERO.of(2, 3), deviations=limits.NAN_LANES_ELU_COPIED),
    entry("nn.functional.selu", "F.selu(x)", _elu(SELU_ALPHA, SELU_SCALE), x=NONZERO, deviations=limits.NAN_LANES_ELU),
    entry("nn.functional.celu", "F.celu(x, alpha=2.0)", _elu(2.0, input_scale=0.5), x=NONZERO,
          deviations=limits.NAN_LANES_ELU),
    entry("nn.functional.gelu", "F.gelu(x)", _gelu, x=Real(-5.0, 5.0)),
    entry("nn.functional.gelu_tanh", "F.gelu(x, approximate='tanh')", _gelu_tanh, x=Real(-5.0, 5.0)),
    entry("nn.functional.silu_inplace", "F.silu(x.clone(), inplace=True)", lambda x: s.silu(x), x=R.of(2, 3),
          unsupported=limits.unsupported(forward_of_backward="silu_backward")),
    entry("nn.functional.mish", "F.mish(x)", lambda x: x * s.tanh(s.softplus(x)), x=Real(-5.0, 5.0),
          unsupported=limits.unsupported(forward_of_backward="mish_backward")),
    entry("nn.functional.softplus_beta", "F.softplus(x, beta=2.0, threshold=5.0)", _softplus_beta(2.0, 5.0),
          x=Real(-4.0, 4.0, avoid=(2.5,))),
    entry("nn.functional.logsigmoid", "F.logsigmoid(x)", lambda x: -s.log(1 + s.exp(-x)), x=WIDE,
          widened=limits.widened("double_backward", limits.LOGSIGMOID_SECOND_ORDER, 353, 1000)
          | limits.widened("forward_over_forward", limits.LOGSIGMOID_SECOND_ORDER, 353, 1000)),
    entry("nn.functional.sigmoid", "F.sigmoid(x)", lambda x: s.logistic(x), x=WIDE),
    entry("nn.functional.tanh", "F.tanh(x)", lambda x: s.tanh(x), x=R),
    entry("nn.functional.softsign", "F.softsign(x)", lambda x: x / (1 + s.abs(x)), x=NONZERO),
    entry("nn.functional.tanhshrink", "F.tanhshrink(x)", lambda x: x - s.lift(act_tanh)(x), x=R,
          widened=limits.widened("double_backward", limits.UNCLASSIFIED_SECOND_ORDER, 12, 30)
          | limits.widened("forward_over_forward", limits.UNCLASSIFIED_SECOND_ORDER, 9.49, 25)),
    entry("nn.functional.softshrink", "F.softshrink(x, 0.5)", _softshrink(0.5), x=Real(-3.0, 3.0, avoid=(-0.5, 0.5)),
          deviations=limits.NAN_LANES_CLAMP),
    entry("nn.functional.hardshrink", "F.hardshrink(x, 0.5)", _hardshrink(0.5), x=Real(-3.0, 3.0, avoid=(-0.5, 0.5)),
          deviations=limits.NAN_LANES_CLAMP),
    entry("nn.functional.threshold", "F.threshold(x, 0.5, -1.0)", _pw(lambda v: v, lambda v: sp.Integer(-1), at=0.5),
          x=Real(-3.0, 3.0, avoid=(0.5,))),
    entry("nn.functional.hardtanh", "F.hardtanh(x)", _clamp(-1, 1), x=Real(-3.0, 3.0, avoid=(-1.0, 1.0)),
          deviations=limits.NAN_LANES_CLAMP),
    entry("nn.functional.hardtanh_inplace", "F.hardtanh(x.clone(), -2.0, 1.5, inplace=True)",
          _clamp(-2, sp.Rational(3, 2)), x=Real(-4.0, 4.0, avoid=(-2.0, 1.5)).of(2, 3),
          deviations=limits.NAN_LANES_CLAMP_COPIED),
    entry("nn.functional.relu6", "F.relu6(x)", _clamp(0, 6), x=Real(-3.0, 9.0, avoid=(0.0, 6.0)),
          deviations=limits.NAN_LANES_CLAMP),
    entry("nn.functional.hardswish", "F.hardswish(x)", s.lift(_hardswish), x=Real(-5.0, 5.0, avoid=(-3.0, 3.0)),
          deviations=limits.NAN_LANES_ELU),
    entry("nn.functional.hardsigmoid", "F.hardsigmoid(x)", s.lift(_hardsigmoid), x=Real(-5.0, 5.0, avoid=(-3.0, 3.0)),
          deviations={"float64": Deviation(HARDSIGMOID_SIXTH, relative=3e-8)},  # fl32(1/6): 2.98e-8
          unsupported=limits.unsupported(double="hardsigmoid_backward", forward_of_backward="hardsigmoid_backward",
                                         forward_of_forward="aten::hardsigmoid_backward")),
    entry("nn.functional.glu", "F.glu(x)", _glu, x=R.of(2, 4),
          unsupported=limits.unsupported(forward_of_forward="aten::glu_jvp")),
    entry("nn.functional.softmin", "F.softmin(x, dim=1)", lambda x: s.softmax(-x, axis=1), x=R.of(2, 3)),
]
ENTRIES = declare(ENTRIES, "elementwise", but=("nn.functional.prelu", "nn.functional.prelu_shared",
                                                 "nn.functional.glu", "nn.functional.softmin"))

# redrawn sizes hold here (the input-space properties; tests/test_space.py checks the spec at them)
ENTRIES = declare(ENTRIES, "resizable", but=("nn.functional.glu",))
