"""Discrete Fourier transforms (torch.fft), their index shifts, and the short-time transforms.

Specs are the transforms' defining sums: every transform is a product with an exact DFT matrix
(``_dft``), whose entries are roots of unity cos(2πj/n) ∓ i sin(2πj/n) that sympy evaluates exactly
(0, ±1, 1/2, √2/2, √3/2...), scaled by the ``norm`` argument's 1, 1/n or 1/√n.  ``n=``/``s=`` zero-pad
or truncate the input first (``_resize``).  The real-to-complex transforms keep the first n//2 + 1
bins; the complex-to-real ones (irfft, hfft and their n-dimensional forms) read those bins, complete
the spectrum by conjugate symmetry (``_hermitian``) and keep the real part, so the imaginary parts of
the zero and Nyquist bins drop out, as torch's c2r transforms ignore them.  The n-dimensional forms
transform one dimension at a time, in torch's order (c2c over the leading dimensions, then the real
transform over the last).

A complex output of a real input is compared through ``torch.view_as_real`` (the spec gives the real
and imaginary parts, ``_parts``); the same calls run with complex inputs, where the oracle splits the
spec into real and imaginary parts itself.  The transforms are linear, so every shape is small (a
length of 4 to 8, a 3x4 matrix): each output element is a sum over a whole dimension.
"""
import numpy as np
import sympy as sp

from conformance.catalogue import limits
from conformance.exact import spec as s
from conformance.model.case import COMPLEX, REAL_AND_COMPLEX, entry
from conformance.model.domain import Real
from conformance.model.family import declare

R = Real(-2.0, 2.0)
re_, im_, conj = s.lift(sp.re), s.lift(sp.im), s.lift(sp.conjugate)
# torch's CPU transforms have no float16/bfloat16 kernel ("Unsupported dtype Half", which the kit does not read as
# a missing kernel): the real dtypes are float32 and float64, and the complex-to-complex and complex-to-real calls
# take complex inputs too (a real input is read as complex)
FULL = ("float32", "float64")
C2C = FULL + COMPLEX


def _scale(norm, n, inverse):
    """The factor ``norm`` applies to a transform of length n: "backward" scales the inverse by 1/n,
    "forward" the forward transform, "ortho" both by 1/√n."""
    if norm == "ortho":
        return 1 / sp.sqrt(n)
    return sp.Rational(1, n) if (norm == "forward") != inverse else sp.Integer(1)


def _resize(x, axis, n):
    """``x`` zero-padded or truncated to length n along ``axis`` (the ``n=``/``s=`` arguments)."""
    x = np.moveaxis(np.asarray(x, dtype=object), axis, -1)
    if n is not None and n < x.shape[-1]:
        x = x[..., :n]
    elif n is not None and n > x.shape[-1]:
        pad = np.full(x.shape[:-1] + (n - x.shape[-1],), sp.Integer(0), dtype=object)
        x = np.concatenate([x, pad], axis=-1)
    return np.moveaxis(x, -1, axis)


def _matrix(n, inverse):
    """The n x n DFT matrix exp(∓2πi jk/n), each entry an exact root of unity."""
    sign = 1 if inverse else -1
    turn = [2 * sp.pi * sp.Rational(j, n) for j in range(n)]
    return s.array([[sp.cos(turn[j * k % n]) + sign * sp.I * sp.sin(turn[j * k % n]) for k in range(n)]
                    for j in range(n)])


def _dft(x, axis=-1, n=None, inverse=False, norm="backward"):
    """The (inverse) DFT of ``x`` along ``axis``, at length n."""
    x = np.moveaxis(_resize(x, axis, n), axis, -1)
    m = x.shape[-1]
    return np.moveaxis(x @ _matrix(m, inverse).T * _scale(norm, m, inverse), -1, axis)


def _fftn(x, axes, sizes=None, inverse=False, norm="backward"):
    """The DFT over several axes, one after another (at lengths ``sizes``)."""
    for axis, n in zip(axes, sizes or (None,) * len(axes)):
        x = _dft(x, axis, n, inverse, norm)
    return x


def _onesided(z):
    """The first n//2 + 1 bins of the last axis (a real input's spectrum, the rest being their conjugates)."""
    return z[..., : z.shape[-1] // 2 + 1]


def _hermitian(z, n):
    """The length-n spectrum whose first n//2 + 1 bins along the last axis are ``z``'s (padded or truncated)
    and whose bins n - k are the conjugates of bins k: the spectrum a c2r transform reads."""
    half = _resize(z, -1, n // 2 + 1)
    return np.concatenate([half, conj(half[..., 1 : (n + 1) // 2][..., ::-1])], axis=-1)


def _parts(z):
    """Real and imaginary parts in a last dimension of size 2 (``torch.view_as_real``'s layout)."""
    return np.stack([re_(z), im_(z)], axis=-1)


def r2c(axes=(-1,), size=None, norm="backward", inverse=False):
    """rfft, rfft2, rfftn (``inverse``: ihfft and its forms: the conjugate, i.e. the inverse transform) of a
    real input, as view_as_real gives it."""
    return lambda x: _parts(_onesided(_fftn(x, axes, size, inverse, norm)))


def c2r(axes=(-1,), size=None, norm="backward", inverse=True):
    """irfft, irfft2, irfftn (``inverse=False``: hfft and its forms): c2c over the leading axes, then the
    Hermitian completion of the last one and its real transform (default length 2 (m - 1))."""
    def spec(x):
        *lead, last = axes
        sizes = size or [x.shape[a] for a in lead] + [2 * (x.shape[last] - 1)]
        z = np.moveaxis(_fftn(x, lead, sizes[:-1], inverse, norm), last, -1)
        return np.moveaxis(re_(_dft(_hermitian(z, sizes[-1]), -1, None, inverse, norm)), -1, last)
    return spec


def c2c(axes=(-1,), size=None, norm="backward", inverse=False):
    """fft, ifft, fft2, ifft2, fftn, ifftn, as view_as_real gives them."""
    return lambda x: _parts(_fftn(x, axes, size, inverse, norm))


# -- the short-time transforms: hop 2, the periodic Hann window of length 4 ----------------------
# written out: its values are dyadic, but torch.hann_window(4, dtype=torch.float64) rounds 1/2 -+ cos(pi/2)/2 to
# 0.49999999999999994 and 0.5000000000000001, an error of the window, not of the transform
N_FFT, HOP = 4, 2
HANN = "torch.tensor([0.0, 0.5, 1.0, 0.5], dtype=x.real.dtype, device=x.device)"
WINDOW = s.array([sp.Rational(1, 2) - sp.cos(2 * sp.pi * sp.Rational(k, N_FFT)) / 2 for k in range(N_FFT)])


def _stft(x, center):
    """Windowed frames every HOP samples (``center``: of x reflect-padded by N_FFT // 2), their onesided DFTs
    as (bins, frames)."""
    x = np.pad(x, N_FFT // 2, mode="reflect") if center else x
    frames = s.array([list(x[f : f + N_FFT] * WINDOW) for f in range(0, len(x) - N_FFT + 1, HOP)])
    return _parts(_onesided(_dft(frames)).T)


def _istft(x):
    """Each frame's inverse real DFT, windowed and overlap-added, divided by the overlap-added squared
    window, N_FFT // 2 trimmed from each end (center=True)."""
    frames = c2r(size=[N_FFT])(x.T) * WINDOW
    total = N_FFT + HOP * (len(frames) - 1)
    signal = np.full(total, sp.Integer(0), dtype=object)
    envelope = np.full(total, sp.Integer(0), dtype=object)
    for f, frame in enumerate(frames):
        signal[f * HOP : f * HOP + N_FFT] += frame
        envelope[f * HOP : f * HOP + N_FFT] += WINDOW**2
    return (signal / envelope)[N_FFT // 2 : total - N_FFT // 2]


def _vr(call, conjugated=False):
    """A call whose complex result is compared as its real and imaginary parts (``conjugated``: ifft and
    ihfft of a real input return a lazily conjugated tensor, which view_as_real refuses until resolved)."""
    return f"torch.view_as_real({call}.resolve_conj())" if conjugated else f"torch.view_as_real({call})"


ENTRIES = [
    # -- one dimension ------------------------------------------------------------------------------
    entry("fft.rfft", _vr("torch.fft.rfft(x)"), r2c(), x=R.of(8), dtypes=FULL),
    entry("fft.rfft_n_ortho", _vr("torch.fft.rfft(x, n=5, norm='ortho')"), r2c(size=[5], norm="ortho"), x=R.of(7),
          dtypes=FULL),
    entry("fft.fft", _vr("torch.fft.fft(x)"), c2c(), x=R.of(6), dtypes=C2C),
    entry("fft.fft_n_ortho", _vr("torch.fft.fft(x, n=8, norm='ortho')"), c2c(size=[8], norm="ortho"), x=R.of(5),
          dtypes=C2C),
    entry("fft.ifft", _vr("torch.fft.ifft(x)", True), c2c(inverse=True), x=R.of(6), dtypes=C2C),
    entry("fft.ifft_n_forward", _vr("torch.fft.ifft(x, n=4, norm='forward')", True),
          c2c(size=[4], norm="forward", inverse=True), x=R.of(6), dtypes=C2C),
    entry("fft.irfft", "torch.fft.irfft(x)", c2r(), x=R.of(5), dtypes=C2C),
    entry("fft.irfft_n_forward", "torch.fft.irfft(x, n=7, norm='forward')", c2r(size=[7], norm="forward"),
          x=R.of(5), dtypes=C2C),
    entry("fft.hfft", "torch.fft.hfft(x)", c2r(inverse=False), x=R.of(4), dtypes=C2C),
    entry("fft.hfft_n_ortho", "torch.fft.hfft(x, n=5, norm='ortho')", c2r(size=[5], norm="ortho", inverse=False),
          x=R.of(4), dtypes=C2C),
    entry("fft.ihfft", _vr("torch.fft.ihfft(x)", True), r2c(inverse=True), x=R.of(6), dtypes=FULL),
    entry("fft.ihfft_n_forward", _vr("torch.fft.ihfft(x, n=8, norm='forward')", True),
          r2c(size=[8], norm="forward", inverse=True), x=R.of(6), dtypes=FULL),
    # -- two dimensions -----------------------------------------------------------------------------
    entry("fft.fft2", _vr("torch.fft.fft2(x)"), c2c((-2, -1)), x=R.of(3, 4), dtypes=C2C),
    entry("fft.ifft2", _vr("torch.fft.ifft2(x, norm='ortho')"), c2c((-2, -1), norm="ortho", inverse=True),
          x=R.of(3, 4), dtypes=C2C),
    entry("fft.rfft2", _vr("torch.fft.rfft2(x)"), r2c((-2, -1)), x=R.of(3, 4), dtypes=FULL),
    entry("fft.irfft2", "torch.fft.irfft2(x)", c2r((-2, -1)), x=R.of(3, 3), dtypes=C2C),
    entry("fft.hfft2", "torch.fft.hfft2(x, norm='forward')", c2r((-2, -1), norm="forward", inverse=False),
          x=R.of(3, 3), dtypes=C2C),
    entry("fft.ihfft2", _vr("torch.fft.ihfft2(x)"), r2c((-2, -1), inverse=True), x=R.of(3, 4), dtypes=FULL),
    # -- n dimensions, s= padding and truncating ----------------------------------------------------
    entry("fft.fftn", _vr("torch.fft.fftn(x, dim=(0, 2))"), c2c((0, 2)), x=R.of(2, 3, 3), dtypes=C2C),
    entry("fft.ifftn", _vr("torch.fft.ifftn(x, s=(4, 3))"), c2c((0, 1), [4, 3], inverse=True), x=R.of(3, 4),
          dtypes=C2C),
    entry("fft.rfftn", _vr("torch.fft.rfftn(x, s=(4, 4), norm='ortho')"), r2c((0, 1), [4, 4], "ortho"),
          x=R.of(3, 4), dtypes=FULL),
    entry("fft.irfftn", "torch.fft.irfftn(x, s=(3, 5))", c2r((0, 1), [3, 5]), x=R.of(3, 3), dtypes=C2C),
    entry("fft.hfftn", "torch.fft.hfftn(x)", c2r((0, 1), inverse=False), x=R.of(2, 3), dtypes=C2C),
    entry("fft.ihfftn", _vr("torch.fft.ihfftn(x, s=(3, 5))"), r2c((0, 1), [3, 5], inverse=True), x=R.of(3, 4),
          dtypes=FULL),
    # -- shifts -------------------------------------------------------------------------------------
    entry("fft.fftshift", "torch.fft.fftshift(x)", np.fft.fftshift, x=R.of(3, 4),
          dtypes=REAL_AND_COMPLEX),
    entry("fft.ifftshift", "torch.fft.ifftshift(x, dim=1)", lambda x: np.fft.ifftshift(x, axes=1), x=R.of(3, 5),
          dtypes=REAL_AND_COMPLEX),
    # -- short-time transforms ----------------------------------------------------------------------
    entry("stft", _vr(f"torch.stft(x, 4, hop_length=2, window={HANN}, center=False, return_complex=True)"),
          lambda x: _stft(x, center=False), x=R.of(8), dtypes=FULL),
    entry("stft_center", _vr(f"torch.stft(x, 4, hop_length=2, window={HANN}, return_complex=True)"),
          lambda x: _stft(x, center=True), x=R.of(8), dtypes=FULL,
          widened={**limits.seen("func", limits.STFT_CENTER, 1.9, 5),
                   **limits.seen("accumulation", limits.STFT_CENTER, 10, 25)}),
    entry("istft", f"torch.istft(torch.view_as_complex(x), 4, hop_length=2, window={HANN})",
          lambda x: _istft(x[..., 0] + sp.I * x[..., 1]), x=R.of(3, 5, 2), dtypes=FULL),
    entry("istft_complex", f"torch.istft(x, 4, hop_length=2, window={HANN})", _istft, x=R.of(3, 5), dtypes=COMPLEX),
]

# redrawn sizes hold for the shifts (a permutation at any size)
ENTRIES = declare(ENTRIES, "resizable", only=("fft.fftshift", "fft.ifftshift"))
