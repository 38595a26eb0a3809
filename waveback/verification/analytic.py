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

Attenuating media (:mod:`waveback.physics.attenuation`): the standard linear solid replaces m by
m_R/μ(ω), so the same Green's functions hold with the complex wavenumber
k(ω) = ω/c(ω), c(ω) = v_R √μ(ω), Im k < 0 (decay): e^{−ikr}/(4πr) in 3D and
−(i/4) H₀⁽²⁾(kr) in 2D (`attenuating_trace`). `measure_attenuation` inverts these for k
from the spectral ratio of two traces. `interface_reflection_trace` adds the image source of a
density contrast.
"""

import numpy as np
from scipy.special import hankel2

from ..physics.attenuation import ATTENUATIONS, dispersion_from_wavenumber, fit_sls

__all__ = [
    "analytic_trace",
    "attenuating_trace",
    "measure_attenuation",
    "interface_reflection_trace",
]


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
    _check(w, dt, r, distance, velocity, ndim)
    return _traces(w, dt, r, velocity, ndim, lambda omega: omega / velocity)


def attenuating_trace(wavelet, dt, distance, velocity, attenuation, ndim):
    """Pressure at a distance from a point source in a homogeneous attenuating medium.

    Parameters
    ----------
    wavelet, dt, distance, ndim
        As for `analytic_trace`.
    velocity : float
        ``vp`` (m/s), the phase velocity at the band's reference frequency.
    attenuation : ConstantQ, PowerLaw or StandardLinearSolid
        Scalar parameters; a ConstantQ or PowerLaw is fitted by
        :func:`waveback.physics.attenuation.fit_sls` for ``velocity``, a fitted solid is used as is
        (``velocity`` is then ignored: its ``relaxed_velocity`` holds it).

    Returns
    -------
    numpy.ndarray, shape (nt,) or (nt, ndist)

    Notes
    -----
    As `analytic_trace` with the SLS wavenumber k(ω) = ω/(v_R √μ(ω)) in place of ω/c: the
    response of the continuous viscoacoustic equation of :mod:`waveback.physics.attenuation`. The
    zero-frequency bin of the 2D transfer is the lossless one at the relaxed velocity
    (μ(0) = 1). As Q → ∞ it tends to ``analytic_trace(wavelet, dt, distance, velocity, ndim)``.
    """
    w = np.asarray(wavelet, dtype=float)
    r = np.asarray(distance, dtype=float)
    _check(w, dt, r, distance, velocity, ndim)
    sls = attenuation
    if isinstance(attenuation, ATTENUATIONS):
        sls = fit_sls(attenuation, velocity)
    if np.ndim(sls.relaxed_velocity) != 0:
        raise ValueError("attenuating_trace needs a homogeneous medium: scalar q/alpha0")

    def wavenumber(omega):
        return omega / sls.complex_velocity(omega / (2 * np.pi))

    return _traces(w, dt, r, sls.relaxed_velocity, ndim, wavenumber)


def _check(w, dt, r, distance, velocity, ndim):
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


def _traces(w, dt, r, low_velocity, ndim, wavenumber):
    """Traces at every distance of ``r``: (nt,) for a scalar, (nt, ndist) for an array."""
    u = np.empty((w.size, r.size))
    for j, rj in enumerate(r.ravel()):
        u[:, j] = _trace(w, dt, rj, low_velocity, ndim, wavenumber)
    return u if r.ndim == 1 else u[:, 0]


def _trace(w, dt, r, low_velocity, ndim, wavenumber):
    """Trace at one distance r for the wavenumber k(ω) > 0 (ω > 0); see `analytic_trace`.

    ``low_velocity`` is the zero-frequency limit of the velocity: it sets the padding and the
    2D zero-frequency bin.
    """
    delay = r / low_velocity
    nfft = 1 << int(np.ceil(np.log2(4 * w.size + delay / dt)))
    omega = 2 * np.pi * np.fft.rfftfreq(nfft, dt)
    if ndim == 3:
        transfer = np.exp(-1j * wavenumber(omega) * r) / (4 * np.pi * r)
    else:
        transfer = np.empty(omega.size, dtype=complex)
        transfer[1:] = -0.25j * hankel2(0, wavenumber(omega[1:]) * r)
        transfer[0] = np.arccosh(nfft * dt / delay) / (2 * np.pi)
    return np.fft.irfft(np.fft.rfft(w, nfft) * transfer, nfft)[: w.size]


def measure_attenuation(trace_near, trace_far, r_near, r_far, dt, freqs, ndim):
    """Quality factor and phase velocity from two traces on a line from a point source.

    Parameters
    ----------
    trace_near, trace_far : array_like, shape (nt,)
        Pressure at distances ``r_near < r_far`` (m) from the same source, sampled at
        ``n * dt``; each must hold its whole pulse.
    r_near, r_far : float
        Source-receiver distances (m).
    dt : float
        Time step (s).
    freqs : array_like
        Frequencies (Hz) at which to measure, within the pulses' band.
    ndim : {2, 3}
        Space dimensions (sets the geometrical spreading).

    Returns
    -------
    quality_factor, phase_velocity : numpy.ndarray, shape of ``freqs``
        :math:`Q = -\\operatorname{Re}(k^2)/\\operatorname{Im}(k^2)` and
        :math:`c = \\omega/\\operatorname{Re} k`.

    Notes
    -----
    The spectra :math:`U(\\omega) = \\sum_n u_n e^{-i\\omega n\\Delta t}` at ``freqs`` give the
    ratio :math:`\\rho = U_{far}/U_{near} = G(k r_{far})/G(k r_{near})`, solved for the complex
    wavenumber ``k`` with the spreading removed exactly: in 3D
    :math:`k = i(\\ln\\rho + \\ln(r_{far}/r_{near}))/\\Delta r`; in 2D that expression with
    :math:`\\tfrac12\\ln(r_{far}/r_{near})` (the Hankel asymptotics) starts Newton's method on
    :math:`H_0^{(2)}(k r_{far}) - \\rho H_0^{(2)}(k r_{near}) = 0`. The phase of
    :math:`\\rho` is unwrapped after removing the delay of the traces' cross-correlation peak.
    Q follows the SLS definition :math:`\\operatorname{Re}\\mu/\\operatorname{Im}\\mu` of
    :mod:`waveback.physics.attenuation` (for :math:`k^2 = \\omega^2 m_R/\\mu`).
    """
    near, far = (np.asarray(t, dtype=float) for t in (trace_near, trace_far))
    if near.ndim != 1 or near.shape != far.shape:
        raise ValueError(
            f"trace_near and trace_far must be 1-D of equal length, got {near.shape}, {far.shape}"
        )
    if not 0 < r_near < r_far:
        raise ValueError(f"need 0 < r_near < r_far (m), got {r_near!r}, {r_far!r}")
    if ndim not in (2, 3):
        raise ValueError(f"ndim must be 2 or 3, got {ndim!r}")
    f = np.asarray(freqs, dtype=float)
    order = np.argsort(f.ravel())
    omega = 2 * np.pi * f.ravel()[order]
    t = np.arange(near.size) * dt
    spectra = np.exp(-1j * np.outer(omega, t)) @ np.stack([near, far], axis=1)
    ratio = spectra[:, 1] / spectra[:, 0]
    delay = _correlation_delay(near, far, dt)
    phase = np.unwrap(np.angle(ratio * np.exp(1j * omega * delay))) - omega * delay
    log_ratio = np.log(np.abs(ratio)) + 1j * phase
    spread = np.log(r_far / r_near) * (1.0 if ndim == 3 else 0.5)
    k = 1j * (log_ratio + spread) / (r_far - r_near)
    if ndim == 2:
        for _ in range(30):
            residual = hankel2(0, k * r_far) - ratio * hankel2(0, k * r_near)
            slope = ratio * r_near * hankel2(1, k * r_near) - r_far * hankel2(1, k * r_far)
            step = residual / slope
            k = k - step
            if np.all(np.abs(step) <= 1e-13 * np.abs(k)):
                break
    result = dispersion_from_wavenumber(omega / (2 * np.pi), k)
    unsort = np.argsort(order)
    return (
        result.quality_factor[unsort].reshape(f.shape),
        result.phase_velocity[unsort].reshape(f.shape),
    )


def _correlation_delay(near, far, dt):
    """Lag (s) of the peak of the cross-correlation of ``far`` with ``near`` (parabolic fit)."""
    n = 2 * near.size
    cc = np.fft.irfft(np.conj(np.fft.rfft(near, n)) * np.fft.rfft(far, n), n)
    i = int(np.argmax(cc))
    left, mid, right = cc[i - 1], cc[i], cc[(i + 1) % n]
    shift = 0.5 * (left - right) / (left - 2 * mid + right)
    lag = i if i < near.size else i - n
    return (lag + shift) * dt


def interface_reflection_trace(wavelet, dt, src, rec, interface_z, rho1, rho2, velocity, ndim):
    """Direct wave plus the reflection from a flat density contrast, for receivers above it.

    Parameters
    ----------
    wavelet, dt, velocity, ndim
        As for `analytic_trace`; ``velocity`` is the same on both sides.
    src : array_like, shape (ndim,)
        Source position (m), z first, above the interface (``src[0] < interface_z``).
    rec : array_like, shape (ndim,) or (nrec, ndim)
        Receiver position(s) (m), z first, above the interface or on it, away from the source.
    interface_z : float
        Depth (m) of the horizontal interface.
    rho1, rho2 : float
        Densities (kg/m³) above and below, positive.

    Returns
    -------
    numpy.ndarray, shape (nt,) or (nt, nrec)

    Notes
    -----
    For :math:`m\\,\\partial_t^2 p - \\rho\\nabla\\cdot(\\rho^{-1}\\nabla p) = s`, i.e. today's
    equation in each layer, with :math:`p` and :math:`\\rho^{-1}\\partial_z p` continuous across
    the interface. With equal velocities the plane-wave reflection coefficient
    :math:`R = (\\rho_2 - \\rho_1)/(\\rho_2 + \\rho_1)` does not depend on the angle, so the
    image method is exact: :math:`p = G(|x - x_s|) + R\\, G(|x - x_s'|)` above, with
    :math:`x_s'` the mirror image of the source in the interface (and
    :math:`(1 + R)\\, G(|x - x_s|)` below). A propagator whose source term is
    :math:`s/\\rho` instead (:math:`\\nabla\\cdot(\\rho^{-1}\\nabla p)` form) records
    :math:`1/\\rho_1` times this.
    """
    src = np.asarray(src, dtype=float)
    rec = np.asarray(rec, dtype=float)
    if src.shape != (ndim,) or rec.shape[-1:] != (ndim,) or rec.ndim > 2:
        raise ValueError(
            f"src must have shape ({ndim},) and rec ({ndim},) or (nrec, {ndim}), z first; got "
            f"{src.shape} and {rec.shape}"
        )
    if not (src[0] < interface_z and np.all(rec[..., 0] <= interface_z)):
        raise ValueError(
            f"src must lie above the interface and rec above or on it (z < interface_z = "
            f"{interface_z!r} m, z first)"
        )
    if not (rho1 > 0 and rho2 > 0):
        raise ValueError(f"densities must be positive (kg/m³), got {rho1!r}, {rho2!r}")
    image = src.copy()
    image[0] = 2 * interface_z - src[0]
    reflection = (rho2 - rho1) / (rho2 + rho1)
    direct = analytic_trace(wavelet, dt, np.linalg.norm(rec - src, axis=-1), velocity, ndim)
    mirror = analytic_trace(wavelet, dt, np.linalg.norm(rec - image, axis=-1), velocity, ndim)
    return direct + reflection * mirror
