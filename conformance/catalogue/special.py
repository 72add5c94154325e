"""Special functions (torch.special and friends) and elementwise aliases."""
from .. import spec as s
from ..case import entry
from ..domain import Kinks, Real

ENTRIES = [
]
