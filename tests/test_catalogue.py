"""Every catalogue entry: its spec agrees with torch's forward, its domain strategy stays in its domain.

Also: malformed entries are refused with an error naming the problem, and ops absent from the
installed torch are skips, not collection errors.
"""
import inspect
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.torch_version import TorchVersion

from conformance.catalogue import CATALOGUE, get
from conformance.exact import spec as s
from conformance.exact.complex import complex_oracle_for
from conformance.exact.oracle import oracle_for
from conformance.model.case import Deviation, entry
from conformance.model.domain import Index, Real
from conformance.model.error import CatalogueError
from conformance.run.strategies import inputs

ENTRIES = [pytest.param(c, id=n) for n, c in CATALOGUE.items()]
REAL_ENTRIES = [pytest.param(c, id=n) for n, c in CATALOGUE.items() if "float64" in c.dtypes]
COMPLEX_ENTRIES = [pytest.param(c, id=n) for n, c in CATALOGUE.items() if "complex128" in c.dtypes]


@pytest.mark.parametrize("case", REAL_ENTRIES)
@settings(max_examples=5, deadline=None, database=None)
@given(data=st.data())
def test_spec_matches_torch_forward(case, data):
    """A wrong spec (a missing factor, a swapped argument) shows up as a forward mismatch."""
    values = data.draw(inputs(case, torch.float64))
    tensors = [torch.tensor(values[a.name], dtype=torch.float64 if a.differentiable else torch.int64)
               for a in case.args]
    out = case.fn(*tensors)
    got = np.concatenate([t.detach().reshape(-1).numpy() for t in (out if isinstance(out, tuple) else (out,))])
    exact = np.array([float(v) for v in oracle_for(case).forward(values)])
    assert np.allclose(got, exact, rtol=1e-9, atol=1e-12), f"{case.name}: torch {got} vs spec {exact}"


@pytest.mark.parametrize("case", COMPLEX_ENTRIES)
@settings(max_examples=5, deadline=None, database=None)
@given(data=st.data())
def test_complex_spec_matches_torch_forward(case, data):
    """The real and imaginary parts sympy derives from the spec agree with torch's complex forward."""
    values = data.draw(inputs(case, torch.complex128))
    tensors = [torch.tensor(values[a.name], dtype=torch.complex128 if a.differentiable else torch.int64)
               for a in case.args]
    out = case.fn(*tensors)
    got = np.concatenate([t.detach().reshape(-1).to(torch.complex128).numpy()
                          for t in (out if isinstance(out, tuple) else (out,))])
    exact = np.array([complex(v) for v in complex_oracle_for(case).forward(values)])
    assert np.allclose(got, exact, rtol=1e-9, atol=1e-12), f"{case.name}: torch {got} vs spec {exact}"


DRAWN = {"float32": torch.float32, "float64": torch.float64, "complex64": torch.complex64}
ENTRY_DTYPES = [pytest.param(c, DRAWN[d], id=f"{n}-{d}") for n, c in CATALOGUE.items() for d in c.dtypes if d in DRAWN]


@pytest.mark.parametrize("case, dtype", ENTRY_DTYPES)
@settings(max_examples=10, deadline=None, database=None)
@given(data=st.data())
def test_domain_strategy_stays_in_domain(case, dtype, data):
    values = data.draw(inputs(case, dtype))
    for a in case.args:
        arr = values[a.name]
        assert arr.shape == a.shape
        parts = [arr.real, arr.imag] if np.iscomplexobj(arr) else [arr]
        for part in parts:
            assert all(a.domain.contains(v) for v in part.reshape(-1)), f"{a.name} = {arr} leaves {a.domain}"
            if a.differentiable and dtype in (torch.float32, torch.complex64):
                assert np.array_equal(part.astype(np.float32).astype(np.float64), part), "not float32-representable"
    if case.kinks is not None:
        assert not case.kinks.excluded(*(values[a.name] for a in case.args)).any()


@pytest.mark.parametrize("make, message", [
    (lambda: entry("bad name!", "torch.sin(x)", s.sin, x=Real()), "not a plain identifier"),
    (lambda: entry("noargs", "torch.sin(x)", s.sin), "declares no inputs"),
    (lambda: entry("syntax", "torch.sin(x", s.sin, x=Real()), "is not an expression"),
    (lambda: entry("dtype", "torch.sin(x)", s.sin, dtypes=("float8",), x=Real()), "unknown dtypes"),
    (lambda: entry("reserved", "torch.sin(out)", s.sin, out=Real()), "reserved"),
    (lambda: entry("loopvar", "torch.sin(p)", s.sin, p=Real()), "reserved"),
    (lambda: entry("domain", "torch.sin(x)", s.sin, x=(-1, 1)), "needs a Real or Index domain"),
    (lambda: entry("onlyint", "x", lambda x: x, x=Index(3)), "no differentiable"),
    (lambda: Real(1.0, -1.0), "lo < hi"),
])
def test_malformed_entry_is_refused_with_its_reason(make, message):
    with pytest.raises((CatalogueError, ValueError), match=message):
        make()


def test_unknown_entry_names_the_known_ones():
    with pytest.raises(CatalogueError, match="unknown catalogue entry 'sine'.*sin"):
        get("sine")


def test_op_absent_from_torch_is_reported_by_name():
    case = entry("future_op", "torch.special.not_yet_an_op(x)", s.sin, x=Real())
    assert case.missing() == "torch.special.not_yet_an_op"
    method = entry("future_method", "x.clone().not_yet_a_method_(2)", s.sin, x=Real())
    assert method.missing() == "Tensor.not_yet_a_method_"
    assert get("sin").missing() is None


def test_spec_that_fails_to_build_is_a_catalogue_error():
    case = entry("broken", "torch.sin(x)", lambda x: x @ x @ x, x=Real(shape=(2, 3)))
    with pytest.raises(CatalogueError, match="broken.*spec failed"):
        oracle_for(case)



_CONSTRUCTOR = re.compile(r"torch\.(tensor|arange|ones|zeros|eye|full|empty|rand|randn|randint|linspace|"
                          r"tril_indices|triu_indices|randperm|as_tensor)\(")


def _off_device(source: str) -> list[str]:
    """Tensor constructors in ``source`` that name no device and are not moved with ``.to(input)``."""
    found = []
    for m in _CONSTRUCTOR.finditer(source):
        depth, i = 1, m.end()
        while depth and i < len(source):
            depth += {"(": 1, ")": -1}.get(source[i], 0)
            i += 1
        if "device" not in source[m.start():i] and not source[i:].startswith(".to("):
            found.append(source[m.start():i])
    return found


def test_every_constant_tensor_follows_the_inputs_device():
    """A call's constant tensors (targets, indices, weights) live on the input's device, so --device cuda runs."""
    offenders = {}
    for name, case in CATALOGUE.items():
        sources = [case.call] + [inspect.getsource(f) for f in case.helpers.values() if callable(f)]
        found = [seg for src in sources for seg in _off_device(src)]
        if found:
            offenders[name] = found
    assert not offenders, f"constants built on the default device: {offenders}"
    assert (_off_device("f(x, torch.tensor([1, 2]))")
            and not _off_device("torch.eye(2).to(a) + torch.ones(2, device=x.device)"))


@pytest.mark.parametrize("case", [c for c in CATALOGUE.values() if c.removed_since], ids=lambda c: c.name)
def test_a_removal_is_declared_for_the_release_that_made_it(case):
    """``removed_since``: before that release the call runs, from it on it raises (so the skip is true)."""
    x = {a.name: torch.full(a.shape, 0.25, dtype=torch.float64) for a in case.args}
    removed = TorchVersion(torch.__version__) >= case.removed_since
    assert (case.missing() is not None) == removed
    if removed:
        with pytest.raises(RuntimeError, match="removed"):
            case.fn(**x)
    else:
        case.fn(**x)


def test_until_retires_an_entrys_deviations_from_that_release():
    """``until``: before that release the deviations cover failures (xfail); from it on none applies."""
    def declare(until):
        return entry("t_fixed", "torch.sin(x)", lambda x: s.sin(x), x=Real(-1.0, 1.0),
                     deviations={"float64": Deviation("reason. Repro: `x`", relative=1e-6)}, until=until)
    assert declare("0.1").deviation_keys("float64") == [] and declare("0.1").deviation("float64", True) is None
    assert declare("999.0").deviation_keys("float64") == ["float64"]
    assert declare("999.0").deviation("float64", True, relative=1e-7) == "reason. Repro: `x`"
    with pytest.raises(CatalogueError, match="until='2.14' without deviations"):
        entry("t_fixed", "torch.sin(x)", lambda x: s.sin(x), x=Real(-1.0, 1.0), until="2.14")
