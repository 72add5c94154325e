"""Matrix products, decompositions, solves and matrix functions.

Matrices are 2x2 or 3x3 and well-conditioned by construction inside the call: ``a + 3 I`` (2x2) or
``a + 4 I`` (3x3) with a in [-1, 1] has all Gershgorin discs away from zero; ``a aᵀ + I`` is SPD with
eigenvalues in [1, 1 + |a|²]; ``tril(a) + 3 I`` is triangular with diagonal in [2, 4].  Building the
SPD or symmetric matrix from ``a`` inside the call also makes the gradient independent of whether a
backward formula reads one triangle or symmetrizes.  Specs are closed forms: cofactor determinants
and adjugate inverses, the Cholesky recurrence, and 2x2 eigen/singular values.  ``minv`` and ``mdet``
are the inverse and determinant differentiated through their own values, as torch's backward
formulas are: for specs whose exact Jacobian has structural zeros that torch's formula (through A⁻¹)
only reaches up to rounding, or whose closed-form gradient is a single input (2x2 det) that torch
computes through an LU solve.
"""
import math

import mpmath
import numpy as np
import sympy as sp

from conformance.catalogue import conditions, limits
from conformance.exact import spec as s
from conformance.model.case import LOW, REAL_AND_COMPLEX, Contract, Deviation, entry
from conformance.model.domain import Kinks, Real
from conformance.model.family import declare, untraced
from conformance.model.status import Accuracy

R = Real(-2.0, 2.0)
U = Real(-1.0, 1.0)
NONZERO = Real(-2.0, 2.0, avoid=(0.0,), margin=0.1)

HALF = sp.Rational(1, 2)


# -- closed forms over object arrays of sympy expressions ---------------------------------------
def _eye(n, m=None, c=1):
    m = n if m is None else m
    return s.array([[sp.Integer(c) if i == j else sp.Integer(0) for j in range(m)] for i in range(n)])


def _batched(fn):
    """Apply a matrix function over leading batch dimensions."""
    def wrapped(a, *rest):
        if a.ndim == 2:
            return fn(a, *rest)
        return np.stack([wrapped(a[k], *(r[k] for r in rest)) for k in range(a.shape[0])])
    return wrapped


def _minor(m, i, j):
    return np.delete(np.delete(m, i, axis=0), j, axis=1)


@_batched
def _det(m):
    """Cofactor expansion along the first row."""
    n = m.shape[0]
    if n == 0:
        return sp.Integer(1)
    if n == 1:
        return m[0, 0]
    if n == 2:
        return m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
    return s.add(*((-1) ** j * m[0, j] * _det(_minor(m, 0, j)) for j in range(n)))


@_batched
def _inv(m):
    """Adjugate over determinant."""
    n = m.shape[0]
    d = _det(m)
    return s.array([[(-1) ** (i + j) * _det(_minor(m, j, i)) / d for j in range(n)] for i in range(n)])


def _spd(a):
    """a aᵀ + I, as the calls build it."""
    return a @ np.swapaxes(a, -1, -2) + _eye(a.shape[-1])


def _sym(a):
    """a + aᵀ, as the calls build it."""
    return a + np.swapaxes(a, -1, -2)


@_batched
def _cholesky(m):
    """Lower Cholesky factor by the Cholesky-Banachiewicz recurrence."""
    n = m.shape[0]
    low = [[sp.Integer(0)] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            acc = m[i, j] - s.add(*(low[i][k] * low[j][k] for k in range(j)))
            low[i][j] = sp.sqrt(acc) if i == j else acc / low[j][j]
    return s.array(low)


class minv(sp.Function):
    """Entry (i, j) of the inverse of the n x n matrix whose entries follow row-major: minv(i, j, *A).

    Differentiated through its own values, d(A⁻¹) = -A⁻¹ dA A⁻¹, as torch's backward formulas are.
    """

    def fdiff(self, argindex=1):
        i, j, *a = self.args
        if argindex <= 2:
            return sp.Integer(0)
        k, l = divmod(argindex - 3, math.isqrt(len(a)))
        return -minv(i, k, *a) * minv(l, j, *a)


class mdet(sp.Function):
    """The determinant of the n x n matrix whose entries follow row-major: mdet(*A).

    Differentiated through its own value and the inverse, d det = det tr(A⁻¹ dA), as torch's backward is.
    """

    def fdiff(self, argindex=1):
        k, l = divmod(argindex - 1, math.isqrt(len(self.args)))
        return mdet(*self.args) * minv(l, k, *self.args)


def _matrix_mpmath(a):
    n = math.isqrt(len(a))
    return mpmath.matrix([list(a[r * n:(r + 1) * n]) for r in range(n)])


s.register("minv", lambda i, j, *a: (_matrix_mpmath(a) ** -1)[int(i), int(j)])
s.register("mdet", lambda *a: mpmath.det(_matrix_mpmath(a)))


def _inv_through_value(m):
    """The inverse as ``minv`` entries (for specs whose backward torch writes through A⁻¹)."""
    n, flat = m.shape[0], list(m.reshape(-1))
    return s.array([[minv(i, j, *flat) for j in range(n)] for i in range(n)])


@_batched
def _det_through_value(m):
    return mdet(*m.reshape(-1))


def _tril(m, k=0):
    out = m.copy()
    for idx in np.ndindex(*m.shape):
        if idx[-1] - idx[-2] > k:
            out[idx] = sp.Integer(0)
    return out


def _triu(m, k=0):
    out = m.copy()
    for idx in np.ndindex(*m.shape):
        if idx[-1] - idx[-2] < k:
            out[idx] = sp.Integer(0)
    return out


def _rotations(m):
    """r1 = |(m00 + m11, m10 - m01)|, r2 = |(m00 - m11, m01 + m10)| of a 2x2 matrix: σ = (r1 ± r2) / 2."""
    r1 = sp.sqrt((m[0, 0] + m[1, 1]) ** 2 + (m[1, 0] - m[0, 1]) ** 2)
    r2 = sp.sqrt((m[0, 0] - m[1, 1]) ** 2 + (m[0, 1] + m[1, 0]) ** 2)
    return r1, r2


def _svdvals2(m):
    """Singular values of a 2x2 matrix with positive determinant, descending."""
    r1, r2 = _rotations(m)
    return s.array([(r1 + r2) / 2, (r1 - r2) / 2])


@_batched
def _eigvalsh2(m):
    """Eigenvalues of a symmetric 2x2 matrix, ascending."""
    mid = (m[0, 0] + m[1, 1]) / 2
    q = sp.sqrt(((m[0, 0] - m[1, 1]) / 2) ** 2 + m[0, 1] ** 2)
    return s.array([mid - q, mid + q])


def _expm_sym2(m):
    """exp of a symmetric 2x2 matrix: e^mid (cosh q I + sinh(q)/q (m - mid I))."""
    mid = (m[0, 0] + m[1, 1]) / 2
    half = (m[0, 0] - m[1, 1]) / 2
    q = sp.sqrt(half**2 + m[0, 1] ** 2)
    e, ch, sh = sp.exp(mid), sp.cosh(q), sp.sinh(q) / q
    return s.array([[e * (ch + sh * half), e * sh * m[0, 1]], [e * sh * m[1, 0], e * (ch - sh * half)]])


def _split(a):
    """The gap between the singular values of ``a + SKEW`` (r2 of ``_rotations``).

    Torch's U diag(g) Vᵀ errs by about u |A| / gap, the closed form's bound grows more slowly: kept at 0.5.
    """
    return np.hypot(a[..., 0, 0] - a[..., 1, 1], a[..., 0, 1] + a[..., 1, 0])


SPLIT = Kinks(_split, margin=0.5)


def _cross(x, y):
    return np.stack([x[..., 1] * y[..., 2] - x[..., 2] * y[..., 1],
                     x[..., 2] * y[..., 0] - x[..., 0] * y[..., 2],
                     x[..., 0] * y[..., 1] - x[..., 1] * y[..., 0]], axis=-1)


def _diag(x, k=0):
    n = x.shape[0] + abs(k)
    out = np.full((n, n), sp.Integer(0), dtype=object)
    for i, v in enumerate(x):
        out[(i, i + k) if k >= 0 else (i - k, i)] = v
    return out


# The calls' constant matrices (dtype and device of the input through .to(a)): I_n; SKEW, a scaled
# rotation, and SWAP, added three times to a symmetric matrix, keep the off-diagonal away from zero, so
# that no entry of the exact gradient of singular values or eigenvalues is a sum of tiny terms (torch's
# U diag(g) Vᵀ is accurate relative to the gradient's norm, not entrywise); SWAP also keeps the
# eigenvalue split at least 1.
I2, I3 = "torch.eye(2).to(a)", "torch.eye(3).to(a)"
SKEW, _SKEW = "torch.tensor([[3.0, 1.5], [-1.5, 3.0]]).to(a)", s.array([[3, HALF * 3], [-HALF * 3, 3]])
SWAP, _SWAP = "torch.tensor([[0.0, 1.0], [1.0, 0.0]]).to(a)", s.array([[0, 1], [1, 0]])
SYM = f"a + a.mT + 3 * {SWAP}"


def _sym3(a):
    return _sym(a) + 3 * _SWAP


DEVIATION_MATRIX_EXP = (
    "torch.linalg.matrix_exp's backward loses relative accuracy in proportion to the size of the incoming "
    "gradient, although the gradient is linear in it: A = torch.tensor([[2., 2.], [2., 2.]], dtype=torch.float64, "
    "requires_grad=True), W = torch.tensor([[0., 0.], [1., -0.7]], dtype=torch.float64); "
    "torch.autograd.grad(torch.linalg.matrix_exp(A), A, W) = [[8.359699380385928, -2.179907501657209], "
    "[11.219630006628835, -1.0199768754143013]] (exact to 1e-15), while the same with 1e6 * W, divided by 1e6, "
    "gives [[8.359699380686248, -2.1799075017355305], [11.219630007031899, -1.019976875450956]]: relative error "
    "3.6e-11 (about 3e5 u); with 1e3 * W 1.0e-13 (about 900 u). float32, 1e3 * W: [[8.3594837, -2.1798501], "
    "[11.2193375, -1.0199494]] vs [[8.3597002, -2.1799078], [11.2196321, -1.0199759]] (relative 2.6e-5).")

MATRIX_EXP_LOW = (
    "torch.linalg.matrix_exp's CPU kernel is wrong in bfloat16 and float16, forward and backward: "
    "torch.linalg.matrix_exp(torch.diag(torch.tensor([0.5, 0.25], dtype=torch.bfloat16))) has -1.297e30 on its "
    "diagonal (float16: -21040 and -21072), exact e^0.5 = 1.6487 and e^0.25 = 1.2840 (float32 gives them); "
    "a = torch.diag(torch.tensor([0.5, 0.25], dtype=torch.float16)).requires_grad_(); "
    "torch.linalg.matrix_exp(a).backward(torch.ones(2, 2, dtype=torch.float16)); a.grad is NaN everywhere "
    "(torch 2.13.0, 2.14.1 and 2.15.0)")

VANDER = ("torch.vander's backward raises for every N and increasing setting: x = torch.tensor([0.5, -1.0, 2.0], "
          "dtype=torch.float64, requires_grad=True); torch.vander(x, N=3).backward(torch.ones(3, 3, "
          "dtype=torch.float64)) -> RuntimeError: one of the variables needed for gradient computation has been "
          "modified by an inplace operation (the forward is right: rows [x**2, x, 1])")

# Inductor rebuilds a saved view of a graph input (reinterpret_tensor) instead of saving the input, so its
# backward loses autograd's version-counter check: every input of these products, written in place between the
# forward and the backward, is used modified, silently (eager and aot_eager raise).
INDUCTOR_MUTATION = {"test_compile_mutation[inductor]": Contract(
    "torch.compile with backend='inductor' loses the 'modified by an inplace operation' check when its backward "
    "saves a view of an input: https://github.com/pytorch/pytorch/issues/197887 ; a = torch.tensor([[1., 2., 3.], "
    "[4., 5., 6.]], dtype=torch.float64, requires_grad=True); b = torch.tensor([[1., 0.], [0., 1.], [1., 1.]], "
    "dtype=torch.float64, requires_grad=True); out = torch.compile(torch.mm, backend='inductor')(a, b); "
    "with torch.no_grad(): a.mul_(2); out.backward(torch.ones(2, 2, dtype=torch.float64)) raises nothing and "
    "b.grad = [[10, 10], [14, 14], [18, 18]], twice aᵀ·1 = [[5, 5], [7, 7], [9, 9]] (eager and aot_eager raise; "
    "torch 2.13.0, 2.14.0 per the issue)",
    symptom="the compiled backward raises nothing and leaves gradients computed from the modified input",
    strict=True)}

_conj = s.lift(sp.conjugate)  # the identity on real inputs

ENTRIES = [
    # -- products -------------------------------------------------------------------------------
    entry("mm", "torch.mm(a, b)", lambda a, b: a @ b, a=R.of(2, 3), b=R.of(3, 2), dtypes=REAL_AND_COMPLEX,
          contraction="ij,jk->ik", deviations=INDUCTOR_MUTATION),
    entry("matmul_batched", "torch.matmul(a, b)", lambda a, b: a @ b, a=R.of(2, 2, 3), b=R.of(3, 2),
          contraction="bij,jk->bik", deviations=INDUCTOR_MUTATION),
    entry("mv", "torch.mv(a, x)", lambda a, x: a @ x, a=R.of(3, 4), x=R.of(4), contraction="ij,j->i"),
    entry("dot", "torch.dot(x, y)", lambda x, y: s.sum(x * y), x=R.of(5), y=R.of(5), dtypes=REAL_AND_COMPLEX,
          contraction="i,i->"),
    entry("outer", "torch.outer(x, y)", lambda x, y: x[:, None] * y[None, :], x=R.of(3), y=R.of(2),
          dtypes=REAL_AND_COMPLEX, contraction="i,j->ij"),
    entry("bmm", "torch.bmm(a, b)", lambda a, b: a @ b, a=R.of(2, 2, 3), b=R.of(2, 3, 2), contraction="bij,bjk->bik",
          deviations=INDUCTOR_MUTATION),
    entry("matmul_1d_2d", "torch.matmul(x, b)", lambda x, b: x @ b, x=R.of(3), b=R.of(3, 2), contraction="j,jk->k"),
    entry("matmul_1d_batched", "torch.matmul(x, b)", lambda x, b: np.stack([x @ b[k] for k in range(b.shape[0])]),
          x=R.of(3), b=R.of(2, 3, 2), contraction="j,bjk->bk"),
    entry("matmul_broadcast", "torch.matmul(a, b)",
          lambda a, b: np.einsum("pqij,rjk->prik", a, b), a=R.of(2, 1, 2, 2), b=R.of(2, 2, 2)),
    entry("Tensor.__matmul__", "a @ b", lambda a, b: a @ b, a=R.of(2, 3), b=R.of(3, 2), contraction="ij,jk->ik"),
    entry("linalg.matmul", "torch.linalg.matmul(a, b)", lambda a, b: a @ b, a=R.of(3, 2), b=R.of(2, 2),
          contraction="ij,jk->ik"),
    entry("vdot", "torch.vdot(x, y)", lambda x, y: s.sum(_conj(x) * y), x=R.of(4), y=R.of(4), dtypes=REAL_AND_COMPLEX),
    entry("inner", "torch.inner(a, b)", lambda a, b: a @ b.T, a=R.of(2, 3), b=R.of(2, 3), contraction="ik,jk->ij"),
    entry("linalg.vecdot", "torch.linalg.vecdot(x, y, dim=-1)", lambda x, y: s.sum(x * y, axis=-1),
          x=R.of(2, 3), y=R.of(2, 3), contraction="ij,ij->i"),
    entry("addmm", "torch.addmm(c, a, b, beta=0.5, alpha=-1.5)",
          lambda c, a, b: HALF * c - sp.Rational(3, 2) * (a @ b), c=R.of(2, 2), a=R.of(2, 3), b=R.of(3, 2),
          deviations=INDUCTOR_MUTATION),
    entry("addmv", "torch.addmv(c, a, x, beta=2, alpha=0.5)",
          lambda c, a, x: 2 * c + HALF * (a @ x), c=R.of(2), a=R.of(2, 3), x=R.of(3)),
    entry("addr", "torch.addr(c, x, y, beta=-1, alpha=3)",
          lambda c, x, y: -c + 3 * (x[:, None] * y[None, :]), c=R.of(2, 3), x=R.of(2), y=R.of(3)),
    entry("baddbmm", "torch.baddbmm(c, a, b, beta=0.5, alpha=2)",
          lambda c, a, b: HALF * c + 2 * (a @ b), c=R.of(2, 2, 2), a=R.of(2, 2, 3), b=R.of(2, 3, 2)),
    entry("addbmm", "torch.addbmm(c, a, b, beta=1.5, alpha=-0.5)",
          lambda c, a, b: sp.Rational(3, 2) * c - HALF * s.sum(a @ b, axis=0),
          c=R.of(2, 2), a=R.of(2, 2, 3), b=R.of(2, 3, 2)),
    entry("einsum_bmm", "torch.einsum('bij,bjk->bik', a, b)", lambda a, b: a @ b, a=R.of(2, 2, 3), b=R.of(2, 3, 2),
          contraction="bij,bjk->bik", deviations=INDUCTOR_MUTATION),
    entry("einsum_rowdot", "torch.einsum('ij,ij->i', x, y)", lambda x, y: s.sum(x * y, axis=1),
          x=R.of(2, 3), y=R.of(2, 3), contraction="ij,ij->i"),
    entry("einsum_bilinear", "torch.einsum('i,ij,j->', x, a, y)", lambda x, a, y: x @ a @ y,
          x=R.of(2), a=R.of(2, 3), y=R.of(3)),
    entry("einsum_diag_outer", "torch.einsum('ii,j->ij', a, x)", lambda a, x: np.diagonal(a)[:, None] * x[None, :],
          a=R.of(3, 3), x=R.of(2)),
    entry("tensordot", "torch.tensordot(a, b, dims=2)", lambda a, b: np.tensordot(a, b, axes=2),
          a=R.of(2, 3, 2), b=R.of(3, 2, 2), contraction="ijk,jkl->il"),
    entry("kron", "torch.kron(a, b)", lambda a, b: np.kron(a, b), a=R.of(2, 2), b=R.of(1, 3), dtypes=REAL_AND_COMPLEX,
          deviations={"layouts": Contract(limits.KRON_LAYOUT, limits.VIEW_SIZE, when=conditions.TRANSPOSED_INPUT)}),
    entry("cross", "torch.cross(x, y, dim=1)", _cross, x=R.of(2, 3), y=R.of(2, 3)),
    entry("linalg.cross", "torch.linalg.cross(x, y)", _cross, x=R.of(2, 3), y=R.of(1, 3)),
    entry("chain_matmul", "torch.chain_matmul(a, b, c)", lambda a, b, c: a @ b @ c,
          a=R.of(2, 3), b=R.of(3, 2), c=R.of(2, 2)),
    entry("linalg.multi_dot", "torch.linalg.multi_dot([a, b, y])", lambda a, b, y: a @ b @ y,
          a=R.of(2, 3), b=R.of(3, 2), y=R.of(2)),
    # -- determinants ---------------------------------------------------------------------------
    entry("det", f"torch.det(a + 4 * {I3})", lambda a: _det(a + _eye(3, c=4)), a=U.of(3, 3),
          deviations=limits.LINALG_HIGHER_ORDER,
          widened={**limits.widened("func", limits.DET_FUNC, 890, 2000),
                   **limits.widened("double_backward", limits.UNCLASSIFIED_SECOND_ORDER, 39.9, 100)},
          normwise=True),
    entry("linalg.det", f"torch.linalg.det(a + 3 * {I2})", lambda a: _det_through_value(a + _eye(2, c=3)),
          a=U.of(2, 2, 2), deviations=limits.LINALG_HIGHER_ORDER,
          unmodelled=limits.unmodelled("double_backward", limits.DET_STRUCTURAL_ZEROS), normwise=True,
          widened=limits.seen("func", limits.DET_FUNC, 1.92, 5)),
    entry("slogdet", f"torch.slogdet(a + 4 * {I3}).logabsdet", lambda a: sp.log(_det(a + _eye(3, c=4))),
          a=U.of(3, 3), deviations=limits.LINALG_HIGHER_ORDER, normwise=True),
    entry("linalg.slogdet", f"torch.linalg.slogdet(a + 3 * {I2}).logabsdet",
          lambda a: s.log(_det(a + _eye(2, c=3))), a=U.of(2, 2, 2), deviations=limits.LINALG_HIGHER_ORDER,
          normwise=True),
    entry("logdet", f"torch.logdet(a @ a.mT + {I3})", lambda a: sp.log(_det(_spd(a))), a=U.of(3, 3),
          deviations=limits.LINALG_HIGHER_ORDER, normwise=True),
    # -- inverses and solves --------------------------------------------------------------------
    entry("inverse", f"torch.inverse(a + 3 * {I2})", lambda a: _inv(a + _eye(2, c=3)), a=U.of(2, 2), normwise=True),
    entry("linalg.inv", f"torch.linalg.inv(a + 3 * {I2})", lambda a: _inv(a + _eye(2, c=3)), a=U.of(2, 2, 2),
          normwise=True),
    entry("linalg.inv_ex", f"torch.linalg.inv_ex(a + 3 * {I2}).inverse", lambda a: _inv(a + _eye(2, c=3)),
          a=U.of(2, 2), normwise=True),
    entry("linalg.solve", f"torch.linalg.solve(a + 3 * {I2}, b)", lambda a, b: _inv(a + _eye(2, c=3)) @ b,
          a=U.of(2, 2), b=R.of(2), deviations=limits.LINALG_HIGHER_ORDER, normwise=True),
    entry("linalg.solve_ex", f"torch.linalg.solve_ex(a + 3 * {I2}, b).result",
          lambda a, b: _inv(a + _eye(2, c=3)) @ b, a=U.of(2, 2), b=R.of(2, 3),
          deviations=limits.LINALG_HIGHER_ORDER, normwise=True),
    entry("linalg.solve_left_false", f"torch.linalg.solve(a + 3 * {I2}, b, left=False)",
          lambda a, b: b @ _inv(a + _eye(2, c=3)), a=U.of(2, 2), b=R.of(3, 2),
          deviations=limits.LINALG_HIGHER_ORDER, normwise=True),
    entry("linalg.solve_triangular", f"torch.linalg.solve_triangular(torch.tril(a) + 3 * {I3}, b, upper=False)",
          lambda a, b: _inv(_tril(a) + _eye(3, c=3)) @ b, a=U.of(3, 3), b=R.of(3, 2), normwise=True),
    entry("triangular_solve", f"torch.triangular_solve(b, torch.triu(a) + 3 * {I2}, upper=True).solution",
          lambda b, a: _inv(_triu(a) + _eye(2, c=3)) @ b, b=R.of(2, 3), a=U.of(2, 2),
          deviations=limits.TRIANGULAR_SOLVE_FOR, normwise=True),
    entry("linalg.pinv", "torch.linalg.pinv(a + 3 * torch.eye(1, 3).to(a))",
          lambda a: (lambda m: m.T @ _inv(m @ m.T))(a + _eye(1, 3, c=3)), a=U.of(1, 3), normwise=True),
    entry("pinverse", "torch.pinverse(a + 3 * torch.eye(3, 1).to(a))",
          lambda a: (lambda m: _inv(m.T @ m) @ m.T)(a + _eye(3, 1, c=3)), a=U.of(3, 1), normwise=True),
    entry("linalg.lstsq", "torch.linalg.lstsq(a + 3 * torch.eye(3, 1).to(a), b).solution",
          lambda a, b: (lambda m: _inv(m.T @ m) @ m.T @ b)(a + _eye(3, 1, c=3)), a=U.of(3, 1), b=R.of(3, 2),
          normwise=True),
    entry("linalg.tensorinv", f"torch.linalg.tensorinv((a + 3 * {I2}).reshape(2, 1, 1, 2), ind=2)",
          lambda a: _inv(a + _eye(2, c=3)).reshape(1, 2, 2, 1), a=U.of(2, 2), normwise=True),
    entry("linalg.tensorsolve", f"torch.linalg.tensorsolve(a + 3 * {I2}, b)", lambda a, b: _inv(a + _eye(2, c=3)) @ b,
          a=U.of(2, 2), b=R.of(2), deviations=limits.LINALG_HIGHER_ORDER, normwise=True),
    entry("matrix_power", "torch.matrix_power(a, 3)", lambda a: a @ a @ a, a=R.of(2, 2)),
    entry("linalg.matrix_power", f"torch.linalg.matrix_power(a + 3 * {I2}, -2)",
          lambda a: (lambda m: m @ m)(_inv(a + _eye(2, c=3))), a=U.of(2, 2)),
    # -- factorizations -------------------------------------------------------------------------
    entry("cholesky", f"torch.cholesky(a @ a.mT + {I2})", lambda a: _cholesky(_spd(a)), a=U.of(2, 2),
          unsupported=limits.unsupported(forward="cholesky"), normwise=True, removed_since="2.14"),
    entry("linalg.cholesky", f"torch.linalg.cholesky(a @ a.mT + {I2})", lambda a: _cholesky(_spd(a)),
          a=U.of(2, 2, 2), normwise=True),
    entry("linalg.cholesky_ex", f"torch.linalg.cholesky_ex(a @ a.mT + {I2}, upper=True).L",
          lambda a: _cholesky(_spd(a)).T, a=U.of(2, 2), normwise=True),
    entry("cholesky_solve", f"torch.cholesky_solve(b, torch.tril(a) + 3 * {I2})",
          lambda b, a: (lambda low: _inv_through_value(low @ low.T) @ b)(_tril(a) + _eye(2, c=3)),
          b=R.of(2, 2), a=U.of(2, 2), normwise=True),
    entry("cholesky_inverse", f"torch.cholesky_inverse(torch.tril(a) + 3 * {I2})",
          lambda a: (lambda low: _inv_through_value(low @ low.T))(_tril(a) + _eye(2, c=3)), a=U.of(2, 2),
          deviations=limits.CHOLESKY_INVERSE_FORWARD, normwise=True),
    entry("linalg.lu_solve", f"torch.linalg.lu_solve(*torch.linalg.lu_factor(a + 3 * {I2}), b)",
          lambda a, b: _inv(a + _eye(2, c=3)) @ b, a=U.of(2, 2), b=R.of(2, 2), normwise=True),
    # -- matrix functions, eigen- and singular values (2x2 closed forms) --------------------------
    entry("linalg.matrix_exp", f"torch.linalg.matrix_exp({SYM})", lambda a: _expm_sym2(_sym3(a)), a=U.of(2, 2),
          # envelopes: measured 1.29e-4 and 4.7e-13 (benchmarks/envelopes.py, 3 seeds x 40 examples), times 4
          deviations={"float32": Accuracy(DEVIATION_MATRIX_EXP, relative=5e-4),
                      "float64": Accuracy(DEVIATION_MATRIX_EXP, relative=2e-12),
                      # NaN at every draw: any error, in the reduced dtypes only
                      **{d: Deviation(MATRIX_EXP_LOW, relative=math.inf, strict=True) for d in LOW}}, normwise=True),
    entry("linalg.eigvalsh", f"torch.linalg.eigvalsh({SYM})", lambda a: _eigvalsh2(_sym3(a)), a=U.of(2, 2),
          normwise=True),
    entry("linalg.eigh", f"torch.linalg.eigh({SYM}).eigenvalues", lambda a: _eigvalsh2(_sym3(a)), a=U.of(2, 2, 2),
          normwise=True),
    entry("linalg.svdvals", f"torch.linalg.svdvals(a + {SKEW})", lambda a: _svdvals2(a + _SKEW),
          a=U.of(2, 2), kinks=SPLIT, normwise=True),
    entry("linalg.svd", f"torch.linalg.svd(a + {SKEW}).S", lambda a: _svdvals2(a + _SKEW), a=U.of(2, 2), kinks=SPLIT,
          normwise=True),
    entry("linalg.cond", f"torch.linalg.cond(a + {SKEW})",
          lambda a: (lambda r: (r[0] + r[1]) / (r[0] - r[1]))(_rotations(a + _SKEW)), a=U.of(2, 2), kinks=SPLIT,
          normwise=True),
    entry("linalg.matrix_norm", "torch.linalg.matrix_norm(a)", lambda a: s.sqrt(s.sum(a * a, axis=(-2, -1))),
          a=NONZERO.of(2, 2, 3)),
    entry("linalg.matrix_norm_nuc", f"torch.linalg.matrix_norm(a + {SKEW}, ord='nuc')",
          lambda a: _rotations(a + _SKEW)[0], a=U.of(2, 2), kinks=SPLIT, normwise=True),
    entry("linalg.matrix_norm_2", f"torch.linalg.matrix_norm(a + {SKEW}, ord=2)",
          lambda a: _svdvals2(a + _SKEW)[0], a=U.of(2, 2), kinks=SPLIT, normwise=True),
    entry("linalg.norm", "torch.linalg.norm(a)", lambda a: s.sqrt(s.sum(a * a)), a=NONZERO.of(2, 3)),
    # -- triangles and diagonals ----------------------------------------------------------------
    entry("tril", "torch.tril(a)", _tril, a=R.of(3, 3)),
    entry("triu", "torch.triu(a, diagonal=1)", lambda a: _triu(a, 1), a=R.of(2, 3, 3)),
    entry("diag", "torch.diag(x, 1)", lambda x: _diag(x, 1), x=R.of(3)),
    entry("diag_2d", "torch.diag(a, -1)", lambda a: np.diagonal(a, -1), a=R.of(3, 3)),
    entry("diag_embed", "torch.diag_embed(x)", lambda x: np.stack([_diag(r) for r in x]), x=R.of(2, 3)),
    entry("diagonal", "torch.diagonal(a, offset=1, dim1=1, dim2=2)",
          lambda a: np.stack([np.diagonal(m, 1) for m in a]), a=R.of(2, 3, 3)),
    entry("linalg.diagonal", "torch.linalg.diagonal(a, offset=-1)",
          lambda a: np.stack([np.diagonal(m, -1) for m in a]), a=R.of(2, 3, 3)),
    entry("diagflat", "torch.diagflat(x)", lambda x: _diag(x.reshape(-1)), x=R.of(2, 2)),
    entry("vander", "torch.vander(x, N=3)", lambda x: s.array([[v**2, v, 1] for v in x]), x=R.of(3),
          deviations=limits.in_properties(limits.REVERSE, Contract(  # every backward raises
              VANDER, "modified by an inplace operation", strict=True)),
          unmodelled=limits.unmodelled("forward_over_forward", limits.VANDER_SECOND_TANGENT)),
]

# redrawn sizes hold here (the input-space properties; tests/test_space.py checks the spec at them)
ENTRIES = declare(ENTRIES, "resizable", but=(
    "cross", "linalg.cross", "det", "linalg.det", "slogdet", "linalg.slogdet", "logdet",
    "inverse", "linalg.inv", "linalg.inv_ex", "linalg.solve", "linalg.solve_ex", "linalg.solve_left_false",
    "linalg.solve_triangular", "triangular_solve", "linalg.pinv", "pinverse", "linalg.lstsq", "linalg.tensorinv",
    "linalg.tensorsolve", "linalg.matrix_power", "cholesky", "linalg.cholesky", "linalg.cholesky_ex",
    "cholesky_solve", "cholesky_inverse", "linalg.lu_solve", "linalg.matrix_exp", "linalg.eigvalsh", "linalg.eigh",
    "linalg.svdvals", "linalg.svd", "linalg.cond", "linalg.matrix_norm_nuc", "linalg.matrix_norm_2"))
ENTRIES = untraced(ENTRIES, "its one declared dimension size is every dimension: grown to 17 together, its "
                   "trace exceeds the tape oracle's nightly budget of 200,000 nodes", ("matmul_broadcast",))
