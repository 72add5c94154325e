"""The exact oracle at large shapes: the spec traced once on recording scalars, then one reverse pass.

The fixed-shape oracle (``oracle.py``) asks sympy for every Jacobian element, which grows with the
square of the shape (a large ``sum`` alone takes seconds to build in sympy: docs/figures.md, input space).  Here the
spec runs on numpy object arrays of ``Node`` scalars that evaluate eagerly in 50-digit mpmath at the exact binary
inputs and record what they were made from; one reverse pass from the weighted outputs then gives
vᵀJ for every input element, in time linear in the trace.  Values are as exact as the fixed-shape
oracle's.

Each node also carries its running-error bound E, by the very rules of ``running_error.error_expr``
applied to the same expressions (a chain of ``+`` is one flattened sum: E = ΣE + ⌈log₂ n⌉ Σ|a|, as
sympy flattens it; a product's factors, powers, and a primitive's charge and partial derivatives
alike), and every contribution of the reverse pass is charged as the product and the sum the
expanded vᵀJ writes: E(ḡ·∂) = E(ḡ)|∂| + |ḡ|E(∂) + |ḡ·∂|, and a node's adjoint, the sum of its m
contributions, adds ⌈log₂ m⌉ Σ|c|.  Bounds are floats (they only scale the tolerance).

Primitives (``spec.lift``-ed sympy functions and the catalogue's own) are evaluated through the oracle's
mpmath namespace; each (function, constant arguments) is compiled once: its value, local error,
first and second partial derivatives.  A spec that builds sympy expressions itself (``sp.Piecewise``,
``sp.Add`` over its arguments) cannot be traced: ``Untraceable`` says which.
"""
from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import sympy as sp

from conformance.exact import spec
from conformance.exact.oracle import DIGITS, Exact, as_outputs, namespace
from conformance.exact.running_error import error_expr
from conformance.model.case import Case

MAX_ARITY = 8  # a primitive of more tensor arguments (the kit's whole-matrix det, inverse) is not traced


class Untraceable(Exception):
    """The spec does something the recording scalars cannot follow."""


def _abs(x) -> float:
    return float(abs(x))


def _log2ceil(n: int) -> int:
    return math.ceil(math.log2(n)) if n > 1 else 0


class Tape:
    """The nodes of one trace, in creation order (a valid topological order); ``compares`` counts the
    comparisons the spec made (its cost beyond the nodes: a sort or a running min compares without
    recording)."""

    def __init__(self):
        self.nodes: list[Node] = []
        self.compares = 0

    @property
    def cost(self) -> int:
        return len(self.nodes) + self.compares


class Node:
    """A recording scalar: value ``v`` (mpf), bound ``e`` (float), ``parts``: (argument node, partial value,
    partial's E, None for the exact ±1 of a sum or negation) for each argument it depends on.  Sums keep
    their flattened count, Σ|a| and ΣE."""

    __slots__ = ("tape", "v", "e", "parts", "adj", "terms", "absum", "errsum", "__weakref__")
    __array_priority__ = 100

    def __init__(self, tape: Tape, v, e: float, parts=(), terms: int = 0, absum: float = 0.0,
                 errsum: float = 0.0):
        self.tape, self.v, self.e, self.parts, self.adj = tape, v, e, parts, None
        self.terms, self.absum, self.errsum = terms, absum, errsum
        tape.nodes.append(self)

    # -- arithmetic ----------------------------------------------------------------------------
    def __add__(self, other):
        return _add(self, _lift(self.tape, other))

    def __radd__(self, other):
        return _add(_lift(self.tape, other), self)

    def __sub__(self, other):
        return _add(self, _neg(_lift(self.tape, other)))

    def __rsub__(self, other):
        return _add(_lift(self.tape, other), _neg(self))

    def __neg__(self):
        return _neg(self)

    def __pos__(self):
        return self

    def __mul__(self, other):
        return _mul(self, _lift(self.tape, other))

    def __rmul__(self, other):
        return _mul(_lift(self.tape, other), self)

    def __truediv__(self, other):
        return _mul(self, _pow(_lift(self.tape, other), -1))

    def __rtruediv__(self, other):
        return _mul(_lift(self.tape, other), _pow(self, -1))

    def __pow__(self, other):
        return _pow(self, other)

    def __rpow__(self, other):
        return apply(sp.Pow, (other, self))

    def __abs__(self):
        return apply(sp.Abs, (self,))

    # -- comparisons select by value (away from kinks, where domains keep inputs) ----------------
    def _against(self, other):
        """The other side's value, the comparison counted."""
        self.tape.compares += 1
        return _value(other)

    def __lt__(self, other):
        return self.v < self._against(other)

    def __le__(self, other):
        return self.v <= self._against(other)

    def __gt__(self, other):
        return self.v > self._against(other)

    def __ge__(self, other):
        return self.v >= self._against(other)

    def __bool__(self):
        return bool(self.v)

    def __repr__(self):
        return f"<traced {mpmath.nstr(self.v, 8)}>"


class Constant(Node):
    """A number in the spec: exact (E = 0) when dyadic, else charged one rounding (E = |c|)."""

    __slots__ = ("exact",)

    def __init__(self, tape: Tape, value):
        if isinstance(value, sp.Basic):
            exact = _dyadic(value)
            v = mpmath.mpf(value.p) / value.q if value.is_Rational else mpmath.mpf(sp.N(value, DIGITS + 10))
        else:
            exact, v = True, mpmath.mpf(value)  # Python and numpy numbers are binary: exact
        super().__init__(tape, v, 0.0 if exact else _abs(v))
        self.exact = exact


def _dyadic(c: sp.Basic) -> bool:
    if c.is_Integer:
        return True
    if c.is_Rational:
        return int(c.q) & (int(c.q) - 1) == 0
    return bool(c.is_Float and float(c) == c)


def _value(x):
    if isinstance(x, Node):
        return x.v
    if isinstance(x, sp.Basic):
        return mpmath.mpf(sp.N(x, DIGITS + 10))
    return mpmath.mpf(x)


def _lift(tape: Tape, x) -> Node:
    if isinstance(x, Node):
        return x
    if isinstance(x, (bool, np.bool_)):
        x = int(x)
    if isinstance(x, (int, float, np.integer, np.floating)) or (isinstance(x, sp.Basic) and x.is_number):
        return Constant(tape, x)
    raise Untraceable(f"the spec combines a traced value with {type(x).__name__}")


def _is_one(x: Node) -> bool:
    return isinstance(x, Constant) and x.exact and abs(x.v) == 1


def _sum_stats(a: Node) -> tuple[int, float, float]:
    return (a.terms, a.absum, a.errsum) if a.terms else (1, _abs(a.v), a.e)


def _add(a: Node, b: Node) -> Node:
    """One more term of a flattened sum: E = ΣE + ⌈log₂ n⌉ Σ|a| over all its terms."""
    na, sa, ea = _sum_stats(a)
    nb, sb, eb = _sum_stats(b)
    n, s, e = na + nb, sa + sb, ea + eb
    return Node(a.tape, a.v + b.v, e + _log2ceil(n) * s, ((a, 1, None), (b, 1, None)), n, s, e)


def _neg(a: Node) -> Node:
    return Node(a.tape, -a.v, a.e, ((a, -1, None),))


def _mul(a: Node, b: Node) -> Node:
    v = a.v * b.v
    rounding = 0.0 if (_is_one(a) or _is_one(b)) else _abs(v)
    return Node(a.tape, v, a.e * _abs(b.v) + b.e * _abs(a.v) + rounding,
                ((a, b.v, b.e), (b, a.v, a.e)))


def _pow(a: Node, c) -> Node:
    if isinstance(c, Node):
        return apply(sp.Pow, (a, c))
    c = sp.Rational(c) if isinstance(c, (int, np.integer)) else (sp.nsimplify(c) if isinstance(c, float) else c)
    if c == 1:
        return a
    if not (isinstance(c, sp.Basic) and c.is_number):
        raise Untraceable(f"the spec raises a traced value to {type(c).__name__}")
    return apply(sp.Pow, (a, c))


# -- primitives --------------------------------------------------------------------------------------
_Z = sp.symbols("z0:%d" % MAX_ARITY, real=True)


@functools.lru_cache(maxsize=None)
def _program(fn, signature: tuple):
    """The compiled value, local E, partials, their local E and second partials of ``fn`` at a signature
    (per argument: None for a traced one, else the constant), in the oracle's mpmath namespace."""
    zs, args = [], []
    for k, const in enumerate(signature):
        if const is None:
            zs.append(_Z[k])
            args.append(_Z[k])
        else:
            args.append(const)
    expr = fn(*args)
    memo: dict = {}
    parts = [sp.diff(expr, z) for z in zs]
    second = [[sp.diff(p, z) for z in zs] for p in parts]
    out = [expr, error_expr(expr, memo), *parts, *(error_expr(p, memo) for p in parts),
           *(s for row in second for s in row)]
    return sp.lambdify(zs, out, modules=namespace()), len(zs)


def apply(fn, args: tuple) -> Node:
    """``fn`` (a sympy function, lifted in the spec) at arguments some of which are traced nodes."""
    tape = next(a.tape for a in args if isinstance(a, Node))
    if len(args) > MAX_ARITY:
        raise Untraceable(f"{getattr(fn, '__name__', fn)} takes {len(args)} arguments")
    signature = tuple(None if isinstance(a, Node) else _constant_of(a) for a in args)
    program, n = _program(fn, signature)
    traced = [a for a in args if isinstance(a, Node)]
    with mpmath.workdps(DIGITS):
        out = program(*(a.v for a in traced))
    value, local = _real(out[0]), _abs(out[1])
    d = [_real(x) for x in out[2 : 2 + n]]
    d_local = [_abs(x) for x in out[2 + n : 2 + 2 * n]]
    dd = out[2 + 2 * n :]
    e = local + sum(_abs(dk) * a.e for dk, a in zip(d, traced))
    parts = tuple((a, dk, d_local[k] + sum(_abs(dd[k * n + j]) * traced[j].e for j in range(n)))
                  for k, (a, dk) in enumerate(zip(traced, d)))
    return Node(tape, value, e, parts)


def _constant_of(a):
    if isinstance(a, (bool, np.bool_, int, np.integer)):
        return sp.Integer(int(a))
    if isinstance(a, (float, np.floating)):
        return sp.Float(float(a), 60) if float(a) != int(float(a)) else sp.Integer(int(float(a)))
    if isinstance(a, sp.Basic) and a.is_number:
        return a
    raise Untraceable(f"a primitive receives {type(a).__name__}")


def _real(x):
    x = x if isinstance(x, (mpmath.mpf, mpmath.mpc)) else mpmath.mpf(x)
    if isinstance(x, mpmath.mpc):
        if x.imag != 0:
            raise Untraceable("a primitive is not real at the drawn point")
        x = x.real
    return x


# -- the oracle --------------------------------------------------------------------------------------
def node_array(tape: Tape, values: np.ndarray) -> np.ndarray:
    arr = np.empty(values.shape, dtype=object)
    flat = arr.reshape(-1)
    for i, v in enumerate(np.asarray(values, dtype=np.float64).reshape(-1)):
        flat[i] = Node(tape, mpmath.mpf(float(v)), 0.0)
    return arr


class TapeOracle:
    """The exact vᵀJ of ``case`` at the given input values (any shapes), by one trace and one reverse pass.

    Offers what a first-order trial asks of an oracle: ``output_shapes``, ``forward`` and ``vjp``."""

    def __init__(self, case: Case, values: dict[str, np.ndarray]):
        self.case, self.tape = case, Tape()
        with mpmath.workdps(DIGITS):
            self.inputs = {a.name: node_array(self.tape, values[a.name]) for a in case.args if a.differentiable}
            call = [self.inputs[a.name] if a.differentiable else np.asarray(values[a.name]) for a in case.args]
            try:
                outputs = as_outputs(case.spec(*call))
            except Untraceable:
                raise
            except (TypeError, AttributeError, ValueError, sp.SympifyError) as exc:
                raise Untraceable(f"{type(exc).__name__}: {exc}") from exc
        self.outputs = outputs
        self.output_shapes = [o.shape for o in outputs]
        self.terms = sum(o.size for o in outputs)

    def forward(self, values) -> list:
        """Exact forward values, flattened over the outputs (the traced ones: ``values`` as for ``vjp``)."""
        del values
        return [_value(node) for out in self.outputs for node in out.reshape(-1)]

    def vjp(self, values, weights: list[np.ndarray]) -> Exact:
        """Exact vᵀJ per differentiable input (``values`` are the traced ones), with running-error bounds."""
        del values
        for node in self.tape.nodes:
            node.adj = None
        with mpmath.workdps(DIGITS):
            for out, w in zip(self.outputs, weights):
                for node, v in zip(out.reshape(-1), np.broadcast_to(w, out.shape).reshape(-1)):
                    if isinstance(node, Node) and v != 0:
                        _contribute(node, mpmath.mpf(float(v)), 0.0, 0.0)
            for node in reversed(self.tape.nodes):
                if node.adj is None or not node.parts:
                    continue
                g, eg = _adjoint(node, self.case.sequential)
                for arg, d, ed in node.parts:
                    if d == 0:
                        continue
                    c = g * d
                    if ed is None:  # a sum's or a negation's partial: no rounding
                        _contribute(arg, c, eg, 0.0)
                    else:
                        _contribute(arg, c, eg * _abs(d) + _abs(g) * ed, _abs(c))
            grads, errors = {}, {}
            for name, arr in self.inputs.items():
                gv, ge = np.empty(arr.shape, dtype=object), np.empty(arr.shape, dtype=object)
                for idx in np.ndindex(*arr.shape):
                    g, e = (_adjoint(arr[idx], self.case.sequential) if arr[idx].adj is not None
                            else (mpmath.mpf(0), 0.0))
                    gv[idx], ge[idx] = g, mpmath.mpf(e)
                grads[name], errors[name] = gv, ge
        return Exact(grads, errors, self.terms)


def _contribute(node: Node, c, e: float, rounding: float) -> None:
    if node.adj is None:
        node.adj = [mpmath.mpf(0), 0.0, 0.0, 0]  # Σc, ΣE(c), Σ|c|, count
    acc = node.adj
    acc[0] += c
    acc[1] += e + rounding
    acc[2] += _abs(c)
    acc[3] += 1


def _adjoint(node: Node, sequential: bool = False) -> tuple:
    """A node's adjoint and its bound: its m contributions summed in a tree (⌈log₂ m⌉ roundings each), or
    one after another (m − 1) for an entry whose backward accumulates sequentially."""
    total, err, absum, count = node.adj
    return total, err + (max(count - 1, 0) if sequential else _log2ceil(count)) * absum


spec.TRACER[:] = [Node, apply]
