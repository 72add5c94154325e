"""The decomposition entries' domain claims: LU never swaps rows, eig's eigenvalues are real and apart, and
the low-rank entries do not depend on torch's generator."""
import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.catalogue import get
from conformance.run.strategies import inputs

F64 = torch.float64


def _corners(shape):
    """Every matrix with entries ±1 (the domain U's corners)."""
    for signs in itertools.product((-1.0, 1.0), repeat=int(torch.Size(shape).numel())):
        yield torch.tensor(signs, dtype=F64).reshape(shape)


@pytest.mark.parametrize("n, shift", [(2, 3), (3, 4)])
def test_lu_domains_never_pivot(n, shift):
    for a in _corners((n, n)):
        pivots = torch.linalg.lu_factor(a + shift * torch.eye(n, dtype=F64)).pivots
        assert torch.equal(pivots, torch.arange(1, n + 1, dtype=pivots.dtype)), a


@pytest.mark.parametrize("name", ["lu_solve"])
@settings(max_examples=20, deadline=None, database=None)
@given(data=st.data())
def test_lu_entries_never_pivot_at_drawn_inputs(name, data):
    case = get(name)
    a = torch.tensor(data.draw(inputs(case, F64))["a"], dtype=F64)
    n = a.shape[-1]
    shift = 4 if n == 3 else 3
    pivots = torch.linalg.lu_factor(a + shift * torch.eye(n, dtype=F64)).pivots
    assert torch.equal(pivots, torch.arange(1, n + 1, dtype=pivots.dtype).expand_as(pivots))


def test_eig_domain_has_real_eigenvalues_apart():
    spread = torch.tensor([[3.0, 0.0], [0.0, -3.0]], dtype=F64)
    for a in _corners((2, 2)):
        w = torch.linalg.eigvals(a + spread)
        assert torch.all(w.imag == 0) and abs(w.real[0] - w.real[1]) >= 2 * 3**0.5 - 1e-12, a


@pytest.mark.parametrize("name", ["svd_lowrank", "pca_lowrank"])
def test_lowrank_entries_do_not_depend_on_the_generator(name):
    case = get(name)
    a = torch.tensor([[0.3], [-0.7], [0.9]], dtype=F64, requires_grad=True)
    results = []
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        out = case.fn(a)
        results.append((*out, *torch.autograd.grad(out, a, [torch.ones_like(o) for o in out])))
    for other in results[1:]:
        for x, y in zip(results[0], other):
            torch.testing.assert_close(x, y, rtol=1e-14, atol=1e-15)
