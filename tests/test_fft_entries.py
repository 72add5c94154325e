"""The FFT family's spec helpers: exact roots of unity, and numpy's transforms at numeric points."""
import numpy as np
import pytest
import sympy as sp

from conformance.catalogue import fft


@pytest.mark.parametrize("n", range(1, 9))
def test_dft_matrices_hold_exact_roots_of_unity(n):
    for inverse in (False, True):
        w = fft._matrix(n, inverse)
        assert not any(e.atoms(sp.Float) for e in w.reshape(-1))
        assert all(sp.simplify(sp.Abs(e) - 1) == 0 for e in w.reshape(-1))


def _numeric(z):
    return np.vectorize(complex, otypes=[complex])(np.asarray(z, dtype=object))


RNG = np.random.default_rng(3)
X = RNG.uniform(-2, 2, (3, 4)) + 1j * RNG.uniform(-2, 2, (3, 4))
CASES = [  # spec, numpy's transform of the same complex input (c2c specs give view_as_real's layout)
    (fft.c2c(), lambda x: np.stack([np.fft.fft(x).real, np.fft.fft(x).imag], -1)),
    (fft.c2c(size=[6], norm="ortho", inverse=True),
     lambda x: np.stack([np.fft.ifft(x, n=6, norm="ortho").real, np.fft.ifft(x, n=6, norm="ortho").imag], -1)),
    (fft.c2r(), lambda x: np.fft.irfft(x)),
    (fft.c2r(size=[5], norm="forward"), lambda x: np.fft.irfft(x, n=5, norm="forward")),
    (fft.c2r(inverse=False), lambda x: np.fft.hfft(x)),
    (fft.c2r(size=[7], norm="ortho", inverse=False), lambda x: np.fft.hfft(x, n=7, norm="ortho")),
    (fft.c2r((0, 1), [4, 5]), lambda x: np.fft.irfftn(x, s=(4, 5), axes=(0, 1))),
]


@pytest.mark.parametrize("spec, reference", CASES)
def test_specs_agree_with_numpy_at_complex_points(spec, reference):
    x = np.vectorize(lambda c: sp.Float(c.real) + sp.I * sp.Float(c.imag), otypes=[object])(X)
    assert np.allclose(_numeric(spec(x)), reference(X), atol=1e-12)
