"""The call space: entries that declare their arguments, drawn per example (conformance.model.arguments,
conformance.run.signatures)."""
import numpy as np
import pytest
import torch
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from conformance.catalogue import get
from conformance.exact import spec as s
from conformance.exact.oracle import oracle_for
from conformance.model.arguments import Bool, Choice, Dim, Dims, Shapes
from conformance.model.case import entry
from conformance.model.domain import Real
from conformance.model.error import CatalogueError
from conformance.run import properties
from conformance.run.failure import ConformanceFailure
from conformance.run.signatures import drawable, signature
from conformance.run.trial import Trial
from conformance.space.resize import resized

R = Real(-2.0, 2.0)
EXAMPLES = settings(database=None, max_examples=300)  # not the profile a kit run loads (one example)


def _sum(**kw):
    spec = kw.pop("spec", lambda x, dim, keepdim: s.sum(x, axis=dim, keepdims=keepdim))
    return entry(kw.pop("name", "drawn_sum"), kw.pop("call", "torch.sum(x, dim={dim}, keepdim={keepdim})"), spec,
                 x=R.of(2, 3), arguments=kw.pop("arguments", dict(dim=Dims("x"), keepdim=Bool())), **kw)


def test_dims_are_every_valid_dim_negative_and_positive_single_and_tuples():
    assert Dim("x").choices({"x": (2, 3, 4)}) == [0, 1, 2, -3, -2, -1]
    assert Dim("x", default=-1).choices({"x": (2, 3)})[0] == -1
    assert Dim("x").choices({"x": ()}) == [0, -1]  # a 0-d tensor has dims 0 and -1
    dims = Dims("x").choices({"x": (2, 3, 4)})
    assert dims[:7] == [None, 0, 1, 2, -3, -2, -1]
    assert (0, 2) in dims and (0, -1) in dims and (-3, -2, -1) in dims and (0, 1, 2) in dims
    normal = {tuple(sorted(d % 3 for d in t)) for t in dims if isinstance(t, tuple)}
    assert normal == {(0, 1), (0, 2), (1, 2), (0, 1, 2)}
    assert Dims("x", none=False, tuples=False).choices({"x": (2,)}) == [0, -1]
    assert Bool().values == (False, True) and Bool(True).values == (True, False)


def test_an_entry_is_its_default_signature_outside_a_drawing_trial():
    case = _sum()
    assert case.call == "torch.sum(x, dim=None, keepdim=False)"
    assert dict(case.bound) == {"dim": None, "keepdim": False} and case.title == "drawn_sum(dim=None, keepdim=False)"
    assert drawable(case)
    fixed = get("sin")
    assert fixed.arguments is None and fixed.bound == () and fixed.title == "sin" and not drawable(fixed)


def test_binding_builds_the_concrete_call_spec_and_shapes():
    case = _sum(arguments=dict(x=Shapes((3, 1, 2)), dim=Dims("x"), keepdim=Bool()))
    bound = case.bind({"dim": (0, -1), "keepdim": True}, {"x": (3, 1, 2)})
    assert bound.call == "torch.sum(x, dim=(0, -1), keepdim=True)" and repr(bound) == f"<case drawn_sum: {bound.call}>"
    assert bound.args[0].shape == (3, 1, 2) and bound.title == "drawn_sum(dim=(0, -1), keepdim=True)"
    assert bound is case.bind({"dim": (0, -1), "keepdim": True}, {"x": (3, 1, 2)})  # one Case per signature
    assert oracle_for(bound).output_shapes == [(1, 1, 1)]
    x = torch.arange(6.0).reshape(3, 1, 2)
    assert bound.fn(x).shape == (1, 1, 1) and not drawable(bound)  # a bound signature is not redrawn


def test_oracle_is_cached_per_signature():
    case = _sum()
    a, b = case.bind({"dim": 1, "keepdim": False}), case.bind({"dim": 1, "keepdim": True})
    assert oracle_for(a) is oracle_for(case.bind({"dim": 1, "keepdim": False}))
    assert oracle_for(a) is not oracle_for(b)
    assert oracle_for(a).output_shapes == [(2,)] and oracle_for(b).output_shapes == [(2, 1)]
    assert oracle_for(case).output_shapes == [()]


def test_constraints_between_arguments_and_shapes_hold_for_every_signature():
    case = entry("drawn_var", "torch.var(x, dim={dim}, correction={correction})",
                 lambda x, dim, correction: s.sum(x, axis=dim), x=R.of(2, 3),
                 arguments=dict(x=Shapes((1, 3)), dim=Dim("x"), correction=Choice(0, 1, 2)),
                 constraint=lambda v, sh: sh["x"][v["dim"]] > v["correction"])
    signatures = list(case.arguments.signatures())
    assert all(sh["x"][v["dim"]] > v["correction"] for v, sh in signatures)
    assert ({"dim": 0, "correction": 0}, {"x": (1, 3)}) in signatures
    assert ({"dim": 0, "correction": 1}, {"x": (1, 3)}) not in signatures
    with pytest.raises(CatalogueError, match="not a signature"):
        case.bind({"dim": 0, "correction": 1}, {"x": (1, 3)})
    with pytest.raises(NoSuchExample):  # a drawn signature never breaks the constraint
        find(signature(case), lambda c: c.args[0].shape[dict(c.bound)["dim"]] <= dict(c.bound)["correction"],
             settings=EXAMPLES)


def test_drawing_shrinks_toward_the_defaults():
    case = _sum(arguments=dict(x=Shapes((2, 1, 3)), dim=Dims("x"), keepdim=Bool()))
    simplest = find(signature(case), lambda c: dict(c.bound)["keepdim"], settings=EXAMPLES)
    assert simplest.call == "torch.sum(x, dim=None, keepdim=True)" and simplest.args[0].shape == (2, 3)
    simplest = find(signature(case), lambda c: 1 in c.args[0].shape, settings=EXAMPLES)
    assert simplest.call == "torch.sum(x, dim=None, keepdim=False)" and simplest.args[0].shape == (2, 1, 3)
    simplest = find(signature(case), lambda c: isinstance(dict(c.bound)["dim"], tuple),
                    settings=EXAMPLES)
    assert simplest.call == "torch.sum(x, dim=(0, 1), keepdim=False)"


def test_declarations_that_disagree_are_catalogue_errors():
    with pytest.raises(CatalogueError, match="placeholders"):
        _sum(call="torch.sum(x, dim={dim})")
    with pytest.raises(CatalogueError, match="spec does not take"):
        _sum(spec=lambda x, dim: s.sum(x, axis=dim))
    with pytest.raises(CatalogueError, match="not inputs"):
        _sum(arguments=dict(y=Shapes((3,)), dim=Dims("x"), keepdim=Bool()))
    with pytest.raises(CatalogueError, match="not an input"):
        _sum(arguments=dict(dim=Dims("y"), keepdim=Bool()))
    with pytest.raises(CatalogueError, match="not Choice"):
        _sum(arguments=dict(dim=[0, 1], keepdim=Bool()))
    with pytest.raises(CatalogueError, match="declares none"):
        entry("fixed", "torch.sin(x)", s.sin, x=R, constraint=lambda v, sh: True)


def test_a_resized_entry_keeps_its_default_signature():
    case = get("sum")
    assert drawable(case) and not drawable(resized(case, {2: 5, 3: 4}))


def _wrong_for_keepdim(x, dim, keepdim):
    out = s.sum(x, axis=dim, keepdims=keepdim)
    return out * 2 if keepdim else out


def test_a_failure_names_and_repeats_the_drawn_call_shrunk_to_the_simplest():
    case = _sum(name="sum_wrong_keepdim", spec=_wrong_for_keepdim,
                arguments=dict(x=Shapes((2, 1, 3)), dim=Dims("x"), keepdim=Bool()))

    @settings(max_examples=40, database=None, deadline=None, derandomize=True)
    @given(st.data())
    def run(data):
        properties.vjp(Trial(case, torch.float64, torch.device("cpu"), data, "vjp"))

    with pytest.raises(ConformanceFailure) as failed:
        run()
    text = str(failed.value) + "\n".join(getattr(failed.value, "__notes__", []))
    assert "'sum_wrong_keepdim(dim=None, keepdim=True)'" in text
    assert "out = torch.sum(x, dim=None, keepdim=True)" in text


def test_catalogue_specs_match_torch_at_sampled_signatures():
    """Each drawn catalogue entry's spec gives torch's forward values at its first signatures and a spread of others."""
    from conformance.run.strategies import uniform_point
    names = [n for n in ("sum", "mean", "logsumexp", "softmax", "log_softmax", "amax", "amin", "std_correction0",
                         "var_correction0", "cumsum", "nn.functional.mse_loss", "nn.functional.l1_loss",
                         "nn.functional.huber_loss", "nn.functional.avg_pool1d")]
    for name in names:
        case = get(name)
        signatures = list(case.arguments.signatures())
        for values, shapes in signatures[:2] + signatures[2::max(1, len(signatures) // 4)]:
            bound = case.bind(values, shapes)
            point = uniform_point(bound, torch.float64, 3)
            got = bound.fn(*(torch.tensor(point[a.name]) for a in bound.args))
            exact = np.array([float(v) for v in oracle_for(bound).forward(point)])
            assert np.allclose(got.detach().reshape(-1).numpy(), exact, rtol=1e-12, atol=1e-12), bound


def test_compile_property_compiles_each_drawn_signature_apart():
    """A compiled function is reused across examples only within one signature: keepdim=True keeps its shape."""
    from _cases import load_cases

    from conformance.run.strategies import uniform_point
    compiled = load_cases("test_compile.py")
    case = get("sum")
    shapes = []
    for keepdim in (False, True):
        bound = case.bind({"dim": None, "keepdim": keepdim})
        t = Trial(bound, torch.float64, torch.device("cpu"), None, "compile",
                  values=uniform_point(bound, torch.float64, 0))
        shapes.append(tuple(t.get(compiled._compiled(t, "eager"))(t.get("x")).shape))
    assert shapes == [(), (1, 1, 1)]
