"""Which elements of a large gradient are checked where not every one can be (the documented sample).

Elementwise entries whose derivative has a vectorized reference are checked at every element
(``pointwise``).  The others (derivatives through erf, the gamma family, Bessel functions, or float64 on a
platform without an extended ``longdouble``) are checked exactly, in mpmath, at every element up to
``EVERY`` elements and above it at a sample that always contains:

* the first and last element along every dimension (the corners of the flattened tensor);
* every position at a multiple of 4, 8, 16, 32 and 64 and its neighbours, up to ``ALIGNED`` positions
  from the start and as many from the end (vector-width and unrolled-loop boundaries, the scalar tail);
* the boundaries of the CPU's parallel chunks (multiples of 32768) and their neighbours;
* ``RANDOM`` positions drawn from the example's seed.

What a sample can miss: an error confined to interior positions of the middle of a long tensor that
are not aligned, not chunk boundaries and not drawn (a fault hitting every k-th element for a k that
is not a power of two, say).  The vectorized path has no such gap.
"""
from __future__ import annotations

import numpy as np

EVERY = 128
ALIGNED = 64
RANDOM = 32
GRAIN = 32768


def positions(size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted flat positions to check in a tensor of ``size`` elements (all of them up to ``EVERY``)."""
    if size <= EVERY:
        return np.arange(size)
    picked = {0, 1, size - 2, size - 1}
    for step in (4, 8, 16, 32, 64):
        for k in range(step, min(size, ALIGNED + 1), step):
            picked.update((k - 1, k, k + 1, size - 1 - k, size - k, size + 1 - k))
    for k in range(GRAIN, size, GRAIN):
        picked.update((k - 1, k, k + 1))
    picked.update(int(p) for p in rng.integers(0, size, RANDOM))
    return np.array(sorted(p for p in picked if 0 <= p < size))
