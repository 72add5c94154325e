"""Reductions and normalisations."""
from .. import spec as s
from ..case import entry
from ..domain import Real

R = Real(-4.0, 4.0)
NONZERO = Real(-3.0, 3.0, avoid=(0.0,), margin=0.1)

ENTRIES = [
    entry("sum", "torch.sum(x)", lambda x: s.sum(x), x=R.of(2, 3)),
    entry("sum_dim", "torch.sum(x, dim=1)", lambda x: s.sum(x, axis=1), x=R.of(2, 3)),
    entry("mean", "torch.mean(x, dim=0)", lambda x: s.mean(x, axis=0), x=R.of(3, 2)),
    entry("prod", "torch.prod(x)", lambda x: s.prod(x), x=NONZERO.of(5)),
    entry("logsumexp", "torch.logsumexp(x, dim=-1)", lambda x: s.logsumexp(x, axis=-1), x=R.of(2, 4)),
    entry("softmax", "torch.softmax(x, dim=-1)", lambda x: s.softmax(x, axis=-1), x=R.of(2, 3)),
    entry("log_softmax", "torch.log_softmax(x, dim=0)", lambda x: s.log_softmax(x, axis=0), x=R.of(3, 2)),
    entry("norm2", "torch.linalg.vector_norm(x)", lambda x: s.norm(x, 2), x=NONZERO.of(5)),
    entry("norm1", "torch.linalg.vector_norm(x, ord=1)", lambda x: s.norm(x, 1), x=NONZERO.of(5)),
    entry("norm3", "torch.linalg.vector_norm(x, ord=3, dim=1)", lambda x: s.norm(x, 3, axis=1), x=NONZERO.of(2, 3)),
]
