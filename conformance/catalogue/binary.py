"""Binary and ternary elementwise functions: arithmetic and its aliases, powers, rounding divisions,
selections, interpolation; broadcast and in-place variants."""
import numpy as np
import sympy as sp

from conformance.catalogue import limits
from conformance.catalogue.conditions import POW_EXPONENT
from conformance.exact import spec as s
from conformance.model.case import REAL_AND_COMPLEX, Deviation, entry
from conformance.model.domain import Kinks, Real
from conformance.model.family import declare
from conformance.model.status import Where

R = Real(-4.0, 4.0)
NONZERO = Real(-4.0, 4.0, avoid=(0.0,), margin=0.1)
POS = Real(0.2, 3.0)
EXPONENT = Real(-2.0, 2.0)
APART = Kinks(lambda x, y: x - y, margin=0.05)

# Found by the higher-order properties (torch 2.13): pow's backward for the base is
# where(exponent == 0, 0, grad * exponent * x ** (exponent - 1)); the mask is right for the first
# derivative but has no derivative in the exponent, so at an exponent of exactly 0 the mixed second
# derivative is lost (and at exactly 1 the mixed third derivative, through x ** (exponent - 1)).
POW_HIGHER_ORDER = {"double_backward": Where(
    "at an exponent of exactly 0, d2(x**y)/dxdy is 0, exact 1/x: x = torch.tensor(0.5, dtype=torch.float64, "
    "requires_grad=True); y = torch.tensor(0.0, dtype=torch.float64, requires_grad=True); "
    "gx, = torch.autograd.grad(torch.pow(x, y), x, create_graph=True); torch.autograd.grad(gx, y) gives (0,), "
    "exact (2,); at an exponent of exactly 1 the mixed third derivative d3/dx2dy is lost the same way; its "
    "forward-mode formula the same: nested torch.func.jvp of torch.pow at x = 0.5, y = 0 with tangents (1, 0) then "
    "(0, 1) gives 0, exact 2", POW_EXPONENT)}
POW_HIGHER_ORDER["forward_over_forward"] = POW_HIGHER_ORDER["double_backward"]


floor, trunc, sign = s.floor, s.trunc, s.sign


def _off_integers(q):
    return q - np.round(q)


# Rounding divisions jump where the quotient is an integer.  The divisor stays in a narrow band and
# the dividend off the multiples of that band, so every quotient is >= 0.04 from an integer by
# construction (the joint constraint alone would reject many draws).
QUOTIENT = Kinks(lambda x, y: _off_integers(x / y), margin=0.02)
DIVIDEND = Real(-3.375, 3.375, avoid=(-2.45, -1.225, 0.0, 1.225, 2.45), margin=0.1)
DIVISOR = Real(1.2, 1.25)
NEG_DIVISOR = Real(-1.25, -1.2)

# A constant condition, written in the calls that use it.
COND = [True, False, True, True, False, False]
COND_SRC = "torch.tensor([True, False, True, True, False, False], device=x.device)"
COND23 = [[True, False, True], [False, False, True]]
COND23_SRC = "torch.tensor([[True, False, True], [False, False, True]], device=x.device)"

# Integer exponents for a base of either sign (0 included: torch masks its x**-1).
INT_EXPONENTS = [2, 3, -1, 0, -2, 1]
LDEXP_EXPONENTS = [-2, -1, 0, 1, 2, 3]
# where the integer 2**other shows (forward over reverse and torch.func.hessian differentiate another path)
LDEXP_PROPERTIES = ("test_vjp", "test_accumulation", "test_zeroing", "test_functional_grad", "test_func_grad",
                    "test_func_vjp", "test_func_jvp", "test_jacrev", "test_jacfwd", "test_jvp", "test_vmap_vjp",
                    "test_is_grads_batched", "test_hvp", "test_hvp_backward", "test_compile_vjp",
                    "test_compile_accumulation", "test_resized_vjp", "test_large_vjp")
LDEXP_INT = ("ldexp's backward computes 2**other in integer arithmetic for an integer exponent tensor, so the "
             "gradient w.r.t. the mantissa is 0 for every negative exponent (pytorch/pytorch#186556, #187460): "
             "x = torch.tensor([1.5, -1.75], dtype=torch.float64, requires_grad=True); "
             "torch.ldexp(x, torch.tensor([-2, -1])).sum().backward(); x.grad gives [0., 0.]; exact [0.25, 0.5]")

# Clamping by tensors: bounds in bands, the input off the bands (below, between and above them).
LO = Real(-1.25, -0.75)
HI = Real(0.75, 1.25)
CLAMPED = Real(-3.0, 3.0, avoid=(-1.0, 1.0), margin=0.35)
NEAR0 = Real(-0.25, 0.25)
OFF0 = Real(-3.0, 3.0, avoid=(0.0,), margin=0.35)
CLAMP_APART = Kinks(lambda x, lo, hi: np.concatenate([x - lo, x - hi, lo - hi]), margin=0.05)
BOUND_APART = Kinks(lambda x, b: x - b, margin=0.05)


def _selected(x, y, pick):
    """max/min(x, y) written as torch differentiates it, y + pick(x - y, 0): its forward-mode formula is
    other_t + mask * (self_t - other_t), whose rounding of u |other_t| the spec then charges (the unselected
    input's 1 - mask is a rounded sum)."""
    return y + pick(x - y, 0 * x)

ENTRIES = [
    entry("add", "torch.add(x, y)", lambda x, y: x + y, x=R, y=R, dtypes=REAL_AND_COMPLEX),
    entry("add_alpha", "torch.add(x, y, alpha=0.5)", lambda x, y: x + y / 2, x=R, y=R),
    entry("sub", "torch.sub(x, y)", lambda x, y: x - y, x=R, y=R, dtypes=REAL_AND_COMPLEX),
    entry("mul", "torch.mul(x, y)", lambda x, y: x * y, x=R, y=R, dtypes=REAL_AND_COMPLEX),
    entry("mul_broadcast", "x * y", lambda x, y: x * y, x=R.of(3, 1), y=R.of(1, 4)),
    entry("div", "torch.div(x, y)", lambda x, y: x / y, x=R, y=NONZERO, dtypes=REAL_AND_COMPLEX),
    entry("div_broadcast", "x / y", lambda x, y: x / y, x=R.of(2, 3), y=NONZERO.of(3)),
    entry("pow", "torch.pow(x, y)", lambda x, y: x**y, x=Real(0.2, 3.0), y=Real(-2.0, 2.0),
          deviations=POW_HIGHER_ORDER),
    entry("atan2", "torch.atan2(x, y)", lambda x, y: s.atan2(x, y), x=NONZERO, y=NONZERO),
    entry("hypot", "torch.hypot(x, y)", lambda x, y: s.hypot(x, y), x=NONZERO, y=NONZERO),
    entry("maximum", "torch.maximum(x, y)", lambda x, y: _selected(x, y, s.maximum), x=R, y=R, kinks=APART,),
    entry("minimum", "torch.minimum(x, y)", lambda x, y: _selected(x, y, s.minimum), x=R, y=R, kinks=APART,),

    # Aliases and method spellings of the arithmetic.
    entry("Tensor.add", "x.add(y)", lambda x, y: x + y, x=R, y=R),
    entry("subtract", "torch.subtract(x, y, alpha=2)", lambda x, y: x - 2 * y, x=R, y=R),
    entry("Tensor.sub", "x.sub(y)", lambda x, y: x - y, x=R, y=R),
    entry("rsub", "torch.rsub(x, y, alpha=0.5)", lambda x, y: y - x / 2, x=R, y=R),
    entry("multiply", "torch.multiply(x, y)", lambda x, y: x * y, x=R, y=R),
    entry("Tensor.mul", "x.mul(y)", lambda x, y: x * y, x=R, y=R),
    entry("divide", "torch.divide(x, y)", lambda x, y: x / y, x=R, y=NONZERO),
    entry("true_divide", "torch.true_divide(x, y)", lambda x, y: x / y, x=R, y=NONZERO),
    entry("Tensor.div", "x.div(y)", lambda x, y: x / y, x=R, y=NONZERO),

    # Rounding divisions and remainders (piecewise constant quotients, kept off their jumps).
    entry("div_trunc", "torch.div(x, y, rounding_mode='trunc')", lambda x, y: trunc(x / y),
          x=DIVIDEND, y=NEG_DIVISOR, kinks=QUOTIENT),
    entry("div_floor", "torch.div(x, y, rounding_mode='floor')", lambda x, y: floor(x / y),
          x=DIVIDEND, y=DIVISOR, kinks=QUOTIENT),
    entry("fmod", "torch.fmod(x, y)", lambda x, y: x - y * trunc(x / y), x=DIVIDEND, y=DIVISOR, kinks=QUOTIENT),
    entry("fmod_scalar", "torch.fmod(x, -1.5)", lambda x: x + sp.Rational(3, 2) * trunc(-x / sp.Rational(3, 2)),
          x=Real(-4.0, 4.0, avoid=(-3.0, -1.5, 1.5, 3.0), margin=0.03)),
    entry("remainder", "torch.remainder(x, y)", lambda x, y: x - y * floor(x / y),
          x=DIVIDEND, y=NEG_DIVISOR, kinks=QUOTIENT),
    entry("remainder_scalar", "torch.remainder(x, 1.25)",
          lambda x: x - sp.Rational(5, 4) * floor(x / sp.Rational(5, 4)),
          x=Real(-4.0, 4.0, avoid=(-3.75, -2.5, -1.25, 0.0, 1.25, 2.5, 3.75), margin=0.03)),
    entry("Tensor.__mod__", "x % y", lambda x, y: x - y * floor(x / y), x=DIVIDEND, y=DIVISOR, kinks=QUOTIENT),

    # Powers: tensor and scalar exponents, scalar bases, bases of either sign with integer exponents.
    entry("Tensor.pow", "x.pow(y)", lambda x, y: x**y, x=POS, y=EXPONENT, deviations=POW_HIGHER_ORDER),
    entry("pow_scalar_base", "torch.pow(2.5, x)", lambda x: sp.Rational(5, 2) ** x, x=R),
    entry("Tensor.__rpow__", "2 ** x", lambda x: 2**x, x=R),
    entry("pow_int_exponents",
          "torch.pow(x, torch.tensor([2.0, 3.0, -1.0, 0.0, -2.0, 1.0], dtype=x.dtype, device=x.device))",
          lambda x: x ** np.array(INT_EXPONENTS, dtype=object), x=NONZERO),
    entry("float_power", "torch.float_power(x, y)", lambda x, y: x**y, x=POS, y=EXPONENT, deviations=POW_HIGHER_ORDER),
    entry("float_power_int", "torch.float_power(x, 3)", lambda x: x**3, x=R),

    entry("arctan2", "torch.arctan2(x, y)", lambda x, y: s.atan2(x, y), x=NONZERO, y=NONZERO),
    entry("fmax", "torch.fmax(x, y)", lambda x, y: _selected(x, y, s.maximum), x=R, y=R, kinks=APART,),
    entry("fmin", "torch.fmin(x, y)", lambda x, y: _selected(x, y, s.minimum), x=R, y=R, kinks=APART,),
    entry("copysign", "torch.copysign(x, y)", lambda x, y: s.abs(x) * sign(y), x=NONZERO, y=NONZERO,
          unmodelled=limits.unmodelled("double_backward", limits.COPYSIGN_SECOND_ORDER)),
    entry("copysign_scalar", "torch.copysign(x, -1.0)", lambda x: -s.abs(x), x=NONZERO,
          unmodelled=limits.unmodelled("double_backward", limits.COPYSIGN_SECOND_ORDER)),
    entry("ldexp", "torch.ldexp(x, y)", lambda x, y: x * 2**y, x=R, y=Real(-3.0, 3.0)),
    entry("ldexp_int", "torch.ldexp(x, torch.tensor([-2, -1, 0, 1, 2, 3], device=x.device))",
          lambda x: x * np.array([sp.Integer(2) ** k for k in LDEXP_EXPONENTS], dtype=object), x=R,
          deviations=limits.in_properties(LDEXP_PROPERTIES, Deviation(LDEXP_INT, relative=1.0)),  # a lost value
          until="2.14"),
    entry("logaddexp", "torch.logaddexp(x, y)", lambda x, y: s.log(s.exp(x) + s.exp(y)),
          x=Real(-8.0, 8.0), y=Real(-8.0, 8.0), deviations=limits.LOGADDEXP_F16 | limits.LOGADDEXP_FIRST_F16),
    entry("logaddexp2", "torch.logaddexp2(x, y)", lambda x, y: s.log(2**x + 2**y) / sp.log(2),
          x=Real(-8.0, 8.0), y=Real(-8.0, 8.0)),
    entry("xlogy", "torch.xlogy(x, y)", lambda x, y: x * s.log(y), x=R, y=Real(0.1, 6.0)),
    entry("special.xlogy", "torch.special.xlogy(x, y)", lambda x, y: x * s.log(y), x=R, y=Real(0.1, 6.0)),
    entry("xlogy_scalar_self", "torch.xlogy(2.5, y)", lambda y: sp.Rational(5, 2) * s.log(y), y=Real(0.1, 6.0)),
    entry("special.xlog1py", "torch.special.xlog1py(x, y)", lambda x, y: x * s.log1p(y), x=R, y=Real(-0.9, 5.0)),

    # Interpolation and fused multiply-adds.
    entry("lerp", "torch.lerp(x, y, 0.3)", lambda x, y: x + sp.Rational(3, 10) * (y - x), x=R, y=R),
    entry("lerp_tensor", "torch.lerp(x, y, w)", lambda x, y, w: x + w * (y - x), x=R, y=R, w=Real(-0.5, 1.5)),
    entry("addcmul", "torch.addcmul(x, a, b, value=0.5)", lambda x, a, b: x + a * b / 2, x=R, a=R, b=R,
          dtypes=REAL_AND_COMPLEX),
    entry("addcdiv", "torch.addcdiv(x, a, b, value=-1.5)", lambda x, a, b: x - sp.Rational(3, 2) * a / b,
          x=R, a=R, b=NONZERO),
    entry("Tensor.addcmul", "x.addcmul(a, b)", lambda x, a, b: x + a * b, x=R, a=R, b=R),

    # Clamping by tensors; torch's clamp with min > max gives max everywhere.
    entry("clamp_tensor", "torch.clamp(x, lo, hi)", lambda x, lo, hi: s.minimum(s.maximum(x, lo), hi),
          x=CLAMPED, lo=LO, hi=HI, kinks=CLAMP_APART),
    entry("clip_tensor", "torch.clip(x, lo, hi)", lambda x, lo, hi: s.minimum(s.maximum(x, lo), hi),
          x=CLAMPED, lo=LO, hi=HI, kinks=CLAMP_APART),
    entry("clamp_tensor_crossed", "torch.clamp(x, lo, hi)", lambda x, lo, hi: s.minimum(s.maximum(x, lo), hi),
          x=CLAMPED, lo=HI, hi=LO, kinks=CLAMP_APART),
    entry("clamp_min_tensor", "torch.clamp_min(x, lo)", lambda x, lo: s.maximum(x, lo),
          x=OFF0, lo=NEAR0, kinks=BOUND_APART),
    entry("clamp_max_tensor", "torch.clamp_max(x, hi)", lambda x, hi: s.minimum(x, hi),
          x=OFF0, hi=NEAR0, kinks=BOUND_APART),

    # Selection by a constant condition.
    entry("where", f"torch.where({COND_SRC}, x, y)", lambda x, y: np.where(COND, x, y), x=R, y=R),
    entry("Tensor.where", f"x.where({COND_SRC}, y)", lambda x, y: np.where(COND, x, y), x=R, y=R),
    entry("where_scalar", f"torch.where({COND_SRC}, x, 0.5)", lambda x: np.where(COND, x, sp.Rational(1, 2)), x=R),

    # Broadcasting.
    entry("add_broadcast", "torch.add(x, y)", lambda x, y: x + y, x=R.of(2, 3), y=R.of(3)),
    entry("sub_broadcast", "x - y", lambda x, y: x - y, x=R.of(3, 1), y=R.of(1, 4)),
    entry("mul_broadcast_one", "x * y", lambda x, y: x * y, x=R.of(2, 3), y=R.of(1)),
    entry("mul_0dim", "x * y", lambda x, y: x * y, x=R.of(2, 3), y=R.of()),
    entry("pow_broadcast", "torch.pow(x, y)", lambda x, y: x**y, x=POS.of(2, 1), y=EXPONENT.of(3),
          deviations=POW_HIGHER_ORDER),
    entry("atan2_broadcast", "torch.atan2(x, y)", lambda x, y: s.atan2(x, y), x=NONZERO.of(2, 3), y=NONZERO.of(3)),
    entry("lerp_broadcast", "torch.lerp(x, y, w)", lambda x, y, w: x + w * (y - x),
          x=R.of(2, 3), y=R.of(3), w=Real(-0.5, 1.5).of(2, 1)),
    entry("where_broadcast", f"torch.where({COND23_SRC}, x, y)", lambda x, y: np.where(COND23, x, y),
          x=R.of(2, 3), y=R.of(3)),
    entry("clamp_tensor_broadcast", "x.clamp(min=lo)", lambda x, lo: s.maximum(x, lo), x=OFF0.of(2, 3),
          lo=NEAR0.of(3), kinks=BOUND_APART),

    # In place, on a non-leaf.
    entry("Tensor.add_", "x.clone().add_(y, alpha=2)", lambda x, y: x + 2 * y, x=R, y=R),
    entry("Tensor.sub_", "x.clone().sub_(y)", lambda x, y: x - y, x=R, y=R),
    entry("Tensor.mul_", "x.clone().mul_(y)", lambda x, y: x * y, x=R, y=R),
    entry("Tensor.div_", "x.clone().div_(y)", lambda x, y: x / y, x=R, y=NONZERO),
    entry("Tensor.pow_", "x.clone().pow_(y)", lambda x, y: x**y, x=POS, y=EXPONENT, deviations=POW_HIGHER_ORDER),
    entry("Tensor.lerp_", "x.clone().lerp_(y, w)", lambda x, y, w: x + w * (y - x), x=R, y=R, w=Real(-0.5, 1.5)),
    entry("Tensor.addcmul_", "x.clone().addcmul_(a, b, value=2)", lambda x, a, b: x + 2 * a * b, x=R, a=R, b=R),
    entry("Tensor.addcdiv_", "x.clone().addcdiv_(a, b)", lambda x, a, b: x + a / b, x=R, a=R, b=NONZERO),
]
ENTRIES = declare(ENTRIES, "elementwise", but=("pow_int_exponents", "ldexp_int", "where", "Tensor.where",
                                                 "where_scalar", "where_broadcast"))
