"""The vocabulary of sympy specs: elementwise functions over numpy object arrays of symbols.

A catalogue spec is a Python function that receives each float input as a numpy object array of
real sympy symbols (integer inputs arrive as plain numpy integer arrays) and returns the exact
output as an array (or a tuple of arrays) of sympy expressions.  Arithmetic (+, -, *, /, **, @)
works on such arrays directly; the names below lift sympy functions elementwise and add the few
reductions torch specs need.  Nothing here knows a particular torch op.
"""
from __future__ import annotations

import functools

import mpmath
import numpy as np
import sympy as sp

# (scalar type, apply(fn, args)) of the oracle's recording scalars (``conformance.exact.tape``), once imported
TRACER: list = []


def lift(fn, nargs: int = 1):
    """Lift a scalar sympy function to broadcast elementwise over numpy object arrays (of sympy
    expressions, or of the tape's recording scalars, which evaluate ``fn`` themselves)."""

    def scalar(*args):
        if TRACER and any(isinstance(a, TRACER[0]) for a in args):
            return TRACER[1](fn, args)
        return fn(*args)

    ufunc = np.frompyfunc(scalar, nargs, 1)

    @functools.wraps(fn)
    def lifted(*args):
        if any(isinstance(a, np.ndarray) for a in args):
            return ufunc(*args)
        return scalar(*args)

    return lifted


class sigmoid(sp.Function):
    """Logistic function; its derivative is written through its own value, as torch's backward is."""

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)


class expm1_(sp.Function):
    """exp(x) - 1 whose derivative is written through its own value (torch: grad * (result + 1))."""

    def fdiff(self, argindex=1):
        return expm1_(self.args[0]) + 1


# mpmath implementations of the custom functions above, for the oracle's lambdify namespace.
MPMATH_FUNCTIONS = {
    "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
    "expm1_": mpmath.expm1,
    "step_floor": mpmath.floor,
    "step_ceil": mpmath.ceil,
    "step_trunc": lambda x: mpmath.floor(x) if x >= 0 else mpmath.ceil(x),
    "step_round": mpmath.nint,
    "step_sign": mpmath.sign,
}



class Step(sp.Function):
    """A piecewise-constant primitive: derivative zero away from its jumps (which domains avoid).

    sympy leaves floor's derivative unevaluated and writes sign's as a DiracDelta; torch's backward of
    these is zero, and so is the spec's.  The tolerance policy counts a step as exact.
    """

    def fdiff(self, argindex=1):
        return sp.Integer(0)


class step_floor(Step):
    pass


class step_ceil(Step):
    pass


class step_trunc(Step):
    pass


class step_round(Step):
    """Round half to even (torch.round); only evaluated away from half-integers."""


class step_sign(Step):
    pass


def decimal(value) -> sp.Rational:
    """A constant as the exact decimal a call writes (``0.01`` is 1/100; a non-dyadic one is charged a rounding)."""
    return sp.Rational(str(value))


# numpy forms of catalogue primitives (keeping the argument's precision, longdouble included), for the
# vectorized oracle of elementwise entries at any size (``conformance.space.pointwise``).
NUMPY_FUNCTIONS: dict = {}


def register(name: str, mpmath_impl, numpy_impl=None) -> None:
    """Give the oracle an mpmath implementation of a custom ``sympy.Function`` subclass named ``name``
    (and, optionally, a numpy one that keeps its argument's precision, for elementwise entries at size).

    Catalogue modules that define their own primitive (a function torch differentiates through its
    value, say) call this at import time, before any oracle is compiled.
    """
    if name in MPMATH_FUNCTIONS and MPMATH_FUNCTIONS[name] is not mpmath_impl:
        raise ValueError(f"spec primitive {name!r} is registered twice")
    MPMATH_FUNCTIONS[name] = mpmath_impl
    if numpy_impl is not None:
        NUMPY_FUNCTIONS[name] = numpy_impl


sin = lift(sp.sin)
cos = lift(sp.cos)
tan = lift(sp.tan)
asin = lift(sp.asin)
acos = lift(sp.acos)
atan = lift(sp.atan)
sinh = lift(sp.sinh)
cosh = lift(sp.cosh)
tanh = lift(sp.tanh)
asinh = lift(sp.asinh)
acosh = lift(sp.acosh)
atanh = lift(sp.atanh)
exp = lift(sp.exp)
log = lift(sp.log)
sqrt = lift(sp.sqrt)
erf = lift(sp.erf)
erfc = lift(sp.erfc)
lgamma = lift(sp.loggamma)
digamma = lift(sp.digamma)
abs = lift(sp.Abs)  # shadows the builtin: the spec vocabulary mirrors torch's names
atan2 = lift(sp.atan2, 2)
maximum = lift(sp.Max, 2)
minimum = lift(sp.Min, 2)
logistic = lift(sigmoid)
floor = lift(step_floor)
ceil = lift(step_ceil)
trunc = lift(step_trunc)
round_ = lift(step_round)
sign = lift(step_sign)
pi = sp.pi


expm1 = lift(expm1_)


def log1p(x):
    return log(1 + x)


def log2(x):
    return log(x) / sp.log(2)


def log10(x):
    return log(x) / sp.log(10)


def rsqrt(x):
    return 1 / sqrt(x)


def hypot(x, y):
    return sqrt(x**2 + y**2)


def relu(x):
    return maximum(x, 0)


def silu(x):
    return x * logistic(x)


def softplus(x):
    return log(1 + exp(x))


class Piecewise(sp.Piecewise):
    """``sympy.Piecewise`` that keeps its pieces as written, for a spec whose pieces are already disjoint and
    ordered (a max over a window, a nearest tap).  sympy canonicalizes every condition of each new Piecewise,
    the derivative's and the error bound's included, which grows exponentially with the conditions' terms:
    one 2 x 2 x 2 max-pool window took minutes.  Named as sympy's, so the printers and the cache treat it as one."""

    @classmethod
    def eval(cls, *args):
        return None


def traced(*values) -> bool:
    """Whether any of ``values`` is one of the tape oracle's recording scalars (a spec may then select by
    value: the tape evaluates eagerly, away from ties, where domains keep inputs)."""
    return bool(TRACER) and any(isinstance(v, TRACER[0]) for v in values)


def add(*terms):
    """The sum of ``terms`` as one flattened sum (``sympy.Add``; the tape's scalars sum themselves)."""
    if traced(*terms):
        return functools.reduce(lambda a, b: a + b, terms)
    return sp.Add(*terms)


def product(*terms):
    """The product of ``terms`` (``sympy.Mul``; the tape's scalars multiply themselves)."""
    if traced(*terms):
        return functools.reduce(lambda a, b: a * b, terms)
    return sp.Mul(*terms)


class AtKink(Exception):
    """Traced inputs where a selection ties (the winner equals another term): vᵀJ is undefined there.  The
    entry's kinks keep drawn points away; a trial that meets one anyway rejects the example."""


def _tied(a, b) -> bool:
    return a is not b and not (a < b or b < a)


def _selected(winner, terms):
    if any(_tied(t, winner) for t in terms):
        raise AtKink(f"a selection ties at its winner {winner!r}")
    return winner


def largest(*terms):
    """max of ``terms`` (``sympy.Max``; the tape's scalars are compared by value, a tie raises ``AtKink``)."""
    if traced(*terms):
        return _selected(functools.reduce(lambda a, b: a if a >= b else b, terms), terms)
    return sp.Max(*terms)


def smallest(*terms):
    """min of ``terms`` (``sympy.Min``; as ``largest``)."""
    if traced(*terms):
        return _selected(functools.reduce(lambda a, b: a if a <= b else b, terms), terms)
    return sp.Min(*terms)


def ranked(terms, ks) -> list:
    """The traced ``terms`` at ascending ranks ``ks``, by value; a tie at a chosen rank raises ``AtKink``."""
    order = sorted(terms)
    for k in ks:
        if any(_tied(order[k], order[j]) for j in (k - 1, k + 1) if 0 <= j < len(order)):
            raise AtKink(f"rank {k} of {len(order)} ties with a neighbour")
    return [order[k] for k in ks]


def array(rows) -> np.ndarray:
    """An object array from nested lists of expressions (the seed's indexed assignment, for one)."""
    out = np.empty(np.shape(np.array(rows, dtype=object)), dtype=object)
    out[...] = rows
    return out


def sum(a, axis=None, keepdims=False):  # shadows the builtin, as torch.sum's name
    return np.sum(np.asarray(a, dtype=object), axis=axis, keepdims=keepdims)


def mean(a, axis=None, keepdims=False):
    a = np.asarray(a, dtype=object)
    n = a.size if axis is None else np.prod([a.shape[d] for d in np.atleast_1d(axis)])
    return sum(a, axis, keepdims) / sp.Integer(int(n))


def prod(a, axis=None, keepdims=False):
    return np.prod(np.asarray(a, dtype=object), axis=axis, keepdims=keepdims)


def logsumexp(a, axis, keepdims=False):
    return log(sum(exp(a), axis, keepdims))


def softmax(a, axis):
    e = exp(a)
    return e / sum(e, axis, keepdims=True)


def log_softmax(a, axis):
    return a - logsumexp(a, axis, keepdims=True)


def norm(a, p=2, axis=None):
    if p == 2:
        return sqrt(sum(a * a, axis))
    if p == 1:
        return sum(abs(a), axis)
    return sum(abs(a) ** p, axis) ** (sp.Integer(1) / p)
