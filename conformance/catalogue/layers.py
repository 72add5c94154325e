"""torch.nn.functional layers: linear maps, normalisation, convolution, pooling, resampling."""
from .. import spec as s
from ..case import entry
from ..domain import Kinks, Real

ENTRIES = [
]
