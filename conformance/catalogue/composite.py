"""Functions composed of several ops, and outputs built by indexed assignment (as in the seed)."""
import sympy as sp

from conformance.catalogue import helpers, limits
from conformance.exact import spec as s
from conformance.model.case import COMPLEX, entry
from conformance.model.domain import Real
from conformance.model.family import declare

R = Real(-3.0, 3.0)
OFF_AXES = Real(-3.0, 3.0, avoid=(0.0,), margin=0.05)  # complex parts away from 0: off angle's branch cut and 0
conj, re_, im_, angle = s.lift(sp.conjugate), s.lift(sp.re), s.lift(sp.im), s.lift(sp.arg)
HELPERS = {name: getattr(helpers, name) for name in
           ("seed_indexed", "indexed_mix", "inplace_on_view", "buffer_index_put_scatter", "view_after_base_inplace")}


def _seed_spec(x):
    return s.array([[x[0, 0] ** 2], [x[1, 0] ** 3], [x[1, 0] ** 4]])


def _mix_spec(x, w):
    return s.array([list(x * w), [x[0] ** 2, s.sin(w[1]) + x[2], s.sin(w[2]) + x[2]]])


def _inplace_on_view_spec(x, w):
    y = x * w
    y[1:] = y[1:] * w[:-1]
    y[:3] = y[:3] + s.tanh(x[3:])
    return y


def _buffer_spec(x, w):
    e = s.exp(w)
    return s.array([list(x[0] + x[2]), [e[0, 1], 0, e[0, 0]], [x[1, 0], e[1, 0], e[1, 1]]])


ENTRIES = [
    entry("seed_indexed", "seed_indexed(x)", _seed_spec, x=R.of(2, 1), helpers=HELPERS),
    entry("indexed_mix", "indexed_mix(x, w)", _mix_spec, x=R.of(3), w=R.of(3), helpers=HELPERS),
    entry("sin_exp_chain", "torch.sin(torch.exp(x)) * x", lambda x: s.sin(s.exp(x)) * x, x=Real(-3.0, 1.5),
          family="elementwise"),
    entry("tanh_mlp", "torch.tanh(x @ w).sum(dim=0)", lambda x, w: s.sum(s.tanh(x @ w), axis=0),
          x=R.of(2, 3), w=R.of(3, 2), deviations=limits.TANH_MLP_F16),
    # in-place writes into views and buffers (the engine side: cases/test_views_inplace.py)
    entry("inplace_on_view", "inplace_on_view(x, w)", _inplace_on_view_spec, x=R, w=R, helpers=HELPERS),
    entry("buffer_index_put_scatter", "buffer_index_put_scatter(x, w)", _buffer_spec, x=R.of(3, 3), w=R.of(2, 2),
          helpers=HELPERS),
    entry("view_after_base_inplace", "view_after_base_inplace(x, w)", lambda x, w: (x * w * s.tanh(w))[1:],
          x=R, w=R, helpers=HELPERS),

    # Complex-only: non-holomorphic functions and real outputs of complex inputs (the real-loss convention).
    entry("abs_square_complex", "(x * x.conj()).real", lambda x: re_(x * conj(x)), x=R, dtypes=COMPLEX),
    entry("conj_mul_complex", "x.conj() * y", lambda x, y: conj(x) * y, x=R, y=R, dtypes=COMPLEX),
    entry("real_imag_complex", "torch.real(x) * torch.imag(y)", lambda x, y: re_(x) * im_(y), x=R, y=R,
          dtypes=COMPLEX),
    entry("angle_complex", "torch.angle(x)", lambda x: angle(x), x=OFF_AXES, dtypes=COMPLEX),
    entry("abs_complex", "torch.abs(x) * x", lambda x: s.abs(x) * x, x=OFF_AXES, dtypes=COMPLEX),
]

# redrawn sizes hold here (the input-space properties; tests/test_space.py checks the spec at them)
ENTRIES = declare(ENTRIES, "resizable", only=("seed_indexed", "tanh_mlp", "view_after_base_inplace"))
