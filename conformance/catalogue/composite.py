"""Functions composed of several ops, and outputs built by indexed assignment (as in the seed)."""
from .. import spec as s
from ..case import entry
from ..domain import Real
from . import helpers

R = Real(-3.0, 3.0)
HELPERS = {"seed_indexed": helpers.seed_indexed, "indexed_mix": helpers.indexed_mix}


def _seed_spec(x):
    return s.array([[x[0, 0] ** 2], [x[1, 0] ** 3], [x[1, 0] ** 4]])


def _mix_spec(x, w):
    return s.array([list(x * w), [x[0] ** 2, s.sin(w[1]) + x[2], s.sin(w[2]) + x[2]]])


ENTRIES = [
    entry("seed_indexed", "seed_indexed(x)", _seed_spec, x=R.of(2, 1), helpers=HELPERS),
    entry("indexed_mix", "indexed_mix(x, w)", _mix_spec, x=R.of(3), w=R.of(3), helpers=HELPERS),
    entry("sin_exp_chain", "torch.sin(torch.exp(x)) * x", lambda x: s.sin(s.exp(x)) * x, x=Real(-3.0, 1.5)),
    entry("tanh_mlp", "torch.tanh(x @ w).sum(dim=0)", lambda x, w: s.sum(s.tanh(x @ w), axis=0),
          x=R.of(2, 3), w=R.of(3, 2)),
]
