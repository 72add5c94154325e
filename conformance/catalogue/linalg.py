"""Matrix products."""
from .. import spec as s
from ..case import entry
from ..domain import Real

R = Real(-2.0, 2.0)

ENTRIES = [
    entry("mm", "torch.mm(a, b)", lambda a, b: a @ b, a=R.of(2, 3), b=R.of(3, 2)),
    entry("matmul_batched", "torch.matmul(a, b)", lambda a, b: a @ b, a=R.of(2, 2, 3), b=R.of(3, 2)),
    entry("mv", "torch.mv(a, x)", lambda a, x: a @ x, a=R.of(3, 4), x=R.of(4)),
    entry("dot", "torch.dot(x, y)", lambda x, y: s.sum(x * y), x=R.of(5), y=R.of(5)),
    entry("outer", "torch.outer(x, y)", lambda x, y: x[:, None] * y[None, :], x=R.of(3), y=R.of(2)),
]
