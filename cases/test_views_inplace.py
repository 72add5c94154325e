"""Views and in-place ops: the engine's side of writing into views and buffers.

The entries (``conformance/catalogue/composite.py``) build outputs by in-place writes: the seed's indexed
assignment, a mixed one, in-place ops on views of a non-leaf, ``index_put_`` / ``scatter_`` into a
buffer, and a view read after its base changed in place; every property checks their gradients.
Here: an in-place write through a view rebases the written tensor's history on a ``CopySlices`` node,
each write bumps the version counter shared by a base and its views, and the gradient through that
history is the exact vᵀJ.  An in-place op on a view of a leaf that requires grad is refused.
"""
import pytest

from conformance.run.trial import Trial

from ._engine import refused_in_place
from ._steps import drawn

# entry -> (in-place writes into the output's storage, whether the last one went through a view)
WRITES = {
    "seed_indexed": (3, True),
    "indexed_mix": (3, True),
    "inplace_on_view": (2, True),
    "buffer_index_put_scatter": (2, True),
    "view_after_base_inplace": (1, False),
}


@pytest.mark.conformance(entries=tuple(WRITES))
@drawn()
def test_inplace_writes_rebase_history_and_bump_versions(case, dtype, device, status, data):
    t = Trial(case, dtype, device, data, "views_inplace", status=status)
    y = t.forward()
    writes, through_view = WRITES[case.name]
    node = type(t.eval(f"{y}.grad_fn")).__name__
    if through_view and "CopySlices" not in node:
        t.fail(f"{y}.grad_fn is {node} after an in-place write through a view (expected CopySlices)")
    if t.eval(f"{y}._version") < writes:
        t.fail(f"{y}._version is {t.eval(f'{y}._version')} after {writes} in-place writes into its storage")
    vs = t.weights()
    t.backward(y, vs)
    t.check(t.expected(vs), what="vᵀJ through the in-place writes")


@pytest.mark.conformance(entries=("mul",))
@drawn()
def test_view_shares_version_with_its_base(case, dtype, device, status, data):
    """A view taken before an in-place change of its base (a non-leaf) reports the base's new version."""
    t = Trial(case, dtype, device, data, "views_inplace", status=status)
    t.run("base = x * y")
    t.run("view = base[1:]")
    t.run("before = view._version")
    t.run("base.mul_(2)")
    if not t.eval("view._base is base and view._version == base._version > before"):
        t.fail(f"after base.mul_(2) the view's version is {t.eval('view._version')} "
               f"(base {t.eval('base._version')}, before {t.eval('before')}): a view must share its base's counter")


@pytest.mark.conformance(entries=("mm", "seed_indexed"))
@drawn()
def test_inplace_op_on_view_of_leaf_raises(case, dtype, device, status, data):
    """The op is refused before it runs: the leaf keeps its values."""
    t = Trial(case, dtype, device, data, "views_inplace", status=status)
    refused_in_place(t, f"{t.grad_names[0]}[:1].mul_(2)", r"view of a leaf variable that requires grad.*in-place",
                     "an in-place op on a view of a leaf that requires grad")
