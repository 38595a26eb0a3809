"""Analytic point-source solutions of the constant-density acoustic wave equation.

The equation solved is

    m ∂²u/∂t² − ∇²u = s,    m = 1/c²,

in a homogeneous medium of velocity c, with a point source
s(x, t) = w(t) δ(x − x_s).  Its solution at distance r = |x − x_s| is the
time convolution u = w * G of the source time function with the Green's
function (the response to δ(t) δ(x)):

    3D:  G(r, t) = δ(t − r/c) / (4π r)
    2D:  G(r, t) = H(t − r/c) / (2π √(t² − r²/c²))

(there is no 1/c² factor in 3D and no 1/c factor in 2D because the operator
is m ∂²/∂t² − ∇², not ∂²/∂t² − c²∇²).

Conventions: SI units (m, s, m/s).  The source time function is given by its
samples w_n = w(t_n) on the time axis t_n = n·dt, n = 0, ..., nt − 1; it is
taken to be zero for t < 0 and band-limited below the Nyquist frequency
1/(2 dt), and the result is sampled on the same time axis.

Method: the convolution is evaluated exactly for the band-limited
interpolant of the samples, in the frequency domain, on a zero-padded FFT
grid (numpy convention, forward transform ∫ u(t) e^{−iωt} dt).
"""

import numpy as np
from scipy.special import hankel2

__all__ = ["analytic_trace"]


def analytic_trace(wavelet, dt, distance, velocity, ndim):
    """Pressure recorded at a distance from a point source in a homogeneous medium.

    Parameters
    ----------
    wavelet : array_like, shape (nt,)
        Source time function samples, ``wavelet[n] = w(n * dt)``.
    dt : float
        Time step (s).
    distance : float or array_like, shape (ndist,)
        Source-receiver distance(s) r (m), all > 0.
    velocity : float
        Velocity c of the medium (m/s), > 0.
    ndim : {2, 3}
        Number of space dimensions.

    Returns
    -------
    numpy.ndarray, shape (nt,) or (nt, ndist)
        ``u(n * dt)`` at each distance; shape (nt,) for a scalar distance,
        (nt, ndist) for a 1-D array of distances.

    Raises
    ------
    ValueError
        If ``ndim`` is not 2 or 3, if ``dt``, a distance or ``velocity`` is not
        positive, or if ``wavelet`` is not a non-empty 1-D array.

    Notes
    -----
    With W(ω) the Fourier transform of w, the trace is u = F⁻¹[W(ω) Ĝ(ω)].

    3D: u(r, t) = w(t − r/c) / (4π r), i.e. Ĝ(ω) = e^{−iωr/c} / (4π r): the
    wavelet is delayed by an exact band-limited (Fourier, i.e. sinc) shift,
    not by interpolation between samples.

    2D: u(r, t) = (1/2π) ∫₀^{t−r/c} w(τ) / √((t − τ)² − r²/c²) dτ, with

        Ĝ(ω) = −(i/4) H₀⁽²⁾(ω r/c)  for ω > 0,  Ĝ(−ω) = conj(Ĝ(ω)),

    the outgoing (causal) solution of (−ω²/c² − ∇²) Ĝ = δ(x).  Ĝ diverges
    logarithmically at ω = 0, Ĝ ≈ −(ln(ωr/2c) + γ)/(2π) − i/4.  The DC bin is
    set to (1/2π) arccosh(cT/r) = ∫_{r/c}^{T} G dt, the zero-frequency value of
    G truncated at the padded duration T = nfft·dt.  This bin multiplies
    W(0) = ∫ w dt, so it does not matter for zero-mean wavelets (e.g. Ricker).
    For wavelets of non-zero mean, the exact 2D response has a non-integrable
    tail W(0)/(2π t) that a finite FFT grid cannot hold, and the result is only
    approximate (a relative error of order 1e-2 for a Gaussian pulse).

    Each distance is computed separately, with the time axis zero-padded to
    nfft ≥ 4·nt + (r/c)/dt samples, a power of two, so that nothing wraps
    around into the output window in 3D, and the periodic copies of the
    slowly decaying 2D tail are negligible (for a Ricker wavelet, relative
    error about 1e-6).  The Nyquist bin keeps only
    its real part, which is harmless for a band-limited wavelet.
    """
    w = np.asarray(wavelet, dtype=float)
    r = np.asarray(distance, dtype=float)
    if ndim not in (2, 3):
        raise ValueError(f"ndim must be 2 or 3, got {ndim!r}")
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"wavelet must be a non-empty 1-D array, got shape {w.shape}")
    if r.ndim > 1:
        raise ValueError(f"distance must be a scalar or a 1-D array, got shape {r.shape}")
    if not np.all(r > 0):
        raise ValueError(f"distance must be > 0 m, got {distance!r}")
    if not velocity > 0:
        raise ValueError(f"velocity must be > 0 m/s, got {velocity!r}")
    if not dt > 0:
        raise ValueError(f"dt must be > 0 s, got {dt!r}")

    u = np.empty((w.size, r.size))
    for j, rj in enumerate(r.ravel()):
        u[:, j] = _trace(w, dt, rj, velocity, ndim)
    return u if r.ndim == 1 else u[:, 0]


def _trace(w, dt, r, velocity, ndim):
    """Trace at one distance r (validated arguments); see `analytic_trace`."""
    delay = r / velocity
    nfft = 1 << int(np.ceil(np.log2(4 * w.size + delay / dt)))
    omega = 2 * np.pi * np.fft.rfftfreq(nfft, dt)
    if ndim == 3:
        transfer = np.exp(-1j * omega * delay) / (4 * np.pi * r)
    else:
        transfer = np.empty(omega.size, dtype=complex)
        transfer[1:] = -0.25j * hankel2(0, omega[1:] * delay)
        transfer[0] = np.arccosh(nfft * dt / delay) / (2 * np.pi)
    return np.fft.irfft(np.fft.rfft(w, nfft) * transfer, nfft)[: w.size]
