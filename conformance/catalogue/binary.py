"""Binary functions, same shapes and broadcast."""
from .. import spec as s
from ..case import entry
from ..domain import Kinks, Real

R = Real(-4.0, 4.0)
NONZERO = Real(-4.0, 4.0, avoid=(0.0,), margin=0.1)
APART = Kinks(lambda x, y: x - y, margin=0.05)

ENTRIES = [
    entry("add", "torch.add(x, y)", lambda x, y: x + y, x=R, y=R),
    entry("add_alpha", "torch.add(x, y, alpha=0.5)", lambda x, y: x + y / 2, x=R, y=R),
    entry("sub", "torch.sub(x, y)", lambda x, y: x - y, x=R, y=R),
    entry("mul", "torch.mul(x, y)", lambda x, y: x * y, x=R, y=R),
    entry("mul_broadcast", "x * y", lambda x, y: x * y, x=R.of(3, 1), y=R.of(1, 4)),
    entry("div", "torch.div(x, y)", lambda x, y: x / y, x=R, y=NONZERO),
    entry("div_broadcast", "x / y", lambda x, y: x / y, x=R.of(2, 3), y=NONZERO.of(3)),
    entry("pow", "torch.pow(x, y)", lambda x, y: x**y, x=Real(0.2, 3.0), y=Real(-2.0, 2.0)),
    entry("atan2", "torch.atan2(x, y)", lambda x, y: s.atan2(x, y), x=NONZERO, y=NONZERO),
    entry("hypot", "torch.hypot(x, y)", lambda x, y: s.hypot(x, y), x=NONZERO, y=NONZERO),
    entry("maximum", "torch.maximum(x, y)", lambda x, y: s.maximum(x, y), x=R, y=R, kinks=APART),
    entry("minimum", "torch.minimum(x, y)", lambda x, y: s.minimum(x, y), x=R, y=R, kinks=APART),
]
