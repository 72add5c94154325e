"""Declared limitations stay true: an entry's ``unsupported={feature: reason}`` must still fail in torch.

A property requiring the feature skips the entry with its reason; once torch gains the feature this
test fails, telling the maintainer to drop the declaration (and so to run the property again).
"""
import numpy as np
import pytest
import torch

from conformance.catalogue import CATALOGUE
from conformance.run.strategies import _point

PROBES = {
    # feature -> statement over f (the call over the differentiable inputs), xs and their tangents/weights
    "double_backward": "g = torch.autograd.grad(f(*xs).sum(), xs, create_graph=True); "
                       "torch.autograd.grad(sum(gi.sum() for gi in g), xs, allow_unused=True)",
    "forward_ad": "torch.func.jvp(f, tuple(xs), tuple(torch.ones_like(x) for x in xs))",
    "forward_over_reverse": "import torch.autograd.forward_ad as fwAD\n"
                            "with fwAD.dual_level():\n"
                            "    ds = [fwAD.make_dual(x, torch.ones_like(x)) for x in xs]\n"
                            "    g = torch.autograd.grad(f(*ds).sum(), ds, allow_unused=True)\n"
                            "    [fwAD.unpack_dual(t).tangent for t in g if t is not None]",
    "func": "torch.func.jacfwd(f, argnums=tuple(range(len(xs))))(*xs)",
}

DECLARED = [pytest.param(case, feature, id=f"{name}-{feature}")
            for name, case in CATALOGUE.items() for feature in case.unsupported]


@pytest.mark.parametrize("case, feature", DECLARED or [pytest.param(None, None, marks=pytest.mark.skip(
    reason="no entry declares an unsupported feature"))])
def test_declared_limitation_still_holds(case, feature):
    dtype = torch.float64 if "float64" in case.dtypes else torch.complex128
    values = _point(case, dtype, ("uniform",) * len(case.args), 0)
    tensors = {a.name: torch.tensor(np.asarray(values[a.name]), dtype=dtype if a.differentiable else torch.int64)
               for a in case.args}
    names = [a.name for a in case.args if a.differentiable]
    xs = [tensors[n].requires_grad_() for n in names]

    def f(*diff):
        bound = {**tensors, **dict(zip(names, diff))}
        out = case.fn(*(bound[a.name] for a in case.args))
        return out[0] if isinstance(out, tuple) else out

    with pytest.raises(Exception):  # whatever torch raises for the missing feature
        exec(PROBES[feature], {"torch": torch, "f": f, "xs": xs})  # noqa: S102
