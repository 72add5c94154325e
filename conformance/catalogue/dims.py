"""Spec helpers of the entries that draw the dims they reduce over (``Dim``/``Dims`` arguments): a reduction over
any dims, the slices it reads, and the constraints between a reduction's arguments and its input's shape."""
import numpy as np

from conformance.model.arguments import Shapes, dims_of

# shapes the drawn reductions also run at: size-1 dimensions (where kernels take shortcuts) and other ranks
SIZE_ONE = Shapes((2, 1, 3), (1, 3), (3,), (1,))


def slices(a, dims) -> np.ndarray:
    """``a`` with the dimensions ``dims`` (a dim, a tuple, None: all) moved last and flattened into one."""
    axes = dims_of(dims, a.ndim)
    rest = [d for d in range(a.ndim) if d not in axes]
    return np.transpose(a, rest + list(axes)).reshape([a.shape[d] for d in rest] + [-1])


def reduce_over(a, dims, fn, keepdims=False) -> np.ndarray:
    """``fn`` (1-D object array -> expression) applied to every slice of ``a`` over ``dims`` (kept with size 1
    under ``keepdims``)."""
    a = np.asarray(a, dtype=object)
    flat = slices(a, dims)
    out = np.empty(flat.shape[:-1], dtype=object)
    for idx in np.ndindex(*out.shape):
        out[idx] = fn(flat[idx])
    axes = dims_of(dims, a.ndim)
    return out.reshape([1 if d in axes else n for d, n in enumerate(a.shape)]) if keepdims else out


def enough(values, shapes, least=1) -> bool:
    """A variance's constraint: more elements in each reduced slice than its correction, and ``least`` at least."""
    x = shapes["x"]
    n = int(np.prod([x[d] for d in dims_of(values["dim"], len(x))]))
    return n > values["correction"] and n >= least


def spread(values, shapes) -> bool:
    """A standard deviation's constraint: as a variance's, and two elements at least (one is a constant slice)."""
    return enough(values, shapes, 2)
