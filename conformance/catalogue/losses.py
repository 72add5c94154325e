"""torch.nn.functional losses."""
from .. import spec as s
from ..case import entry
from ..domain import Kinks, Real

ENTRIES = [
]
