"""Time-dispersion transforms: remove the leapfrog's time error from simulated traces.

The leapfrog :math:`(u^{n+1} - 2u^n + u^{n-1}) / \\Delta t^2` applied to :math:`e^{i\\omega t}`
gives :math:`-\\omega'^2 e^{i\\omega t}` with

.. math:: \\omega' = \\frac{2}{\\Delta t} \\sin\\frac{\\omega \\Delta t}{2},

so, whatever the medium and the spatial scheme, the simulated trace at the frequency
:math:`\\omega` of the sample sequence is the time-continuous solution at :math:`\\omega'`:
:math:`D_{sim}(\\omega) = G(\\omega')\\, S(\\omega)` for a source spectrum ``S`` and the Green's
function ``G`` of the spatially discretised equation (Koene, Robertsson, Broggini and Andersson,
"Eliminating time dispersion from seismic wave modeling", GJI 213, 2018). Two frequency warps
undo this exactly:

* :func:`add_time_dispersion` (Koene et al.'s FTT), :math:`Y(\\omega) = X(\\omega')`, applied to
  the source wavelet ``w`` before the simulation, gives
  :math:`D_{sim}(\\omega) = G(\\omega') W(\\omega') = D(\\omega')`, the continuum data at
  :math:`\\omega'`;
* :func:`remove_time_dispersion` (ITT), :math:`Y(\\Omega) = X(\\omega(\\Omega))` with
  :math:`\\omega(\\Omega) = \\frac{2}{\\Delta t}\\arcsin\\frac{\\Omega\\Delta t}{2}`, applied to
  the recorded traces after it, returns :math:`D(\\Omega) = G(\\Omega) W(\\Omega)`.

The traces of an initial-pressure run, whose modes evolve as :math:`\\cos(n\\omega\\Delta t)` with
the same relation between :math:`\\omega` and the continuum frequency, are corrected by
:func:`remove_time_dispersion` alone. Wavefield snapshots cannot be corrected this way.

Conventions: samples at :math:`t_n = n\\Delta t`, time along axis 0, spectra
:math:`X(\\omega) = \\sum_n x_n e^{-i\\omega t_n}`. In the half-phases
:math:`\\theta = \\omega\\Delta t / 2` (simulated) and :math:`\\chi = \\Omega\\Delta t / 2`
(physical) the warp is :math:`\\chi = \\sin\\theta`; it does not depend on ``dt`` otherwise.

Band: the inverse warp exists for :math:`\\chi < 1` only, and near :math:`\\theta = \\pi/2` it
stretches frequencies by :math:`1/\\cos\\theta \\to \\infty`. The transforms are exact for
:math:`\\theta \\le \\pi/4` (:data:`BAND_HALF_PHASE`: physical frequencies up to
:func:`band_limit` :math:`= \\sin(\\pi/4)/(\\pi\\Delta t)`, 0.45 of the Nyquist frequency), then
taper smoothly to zero at :math:`\\theta = 0.4\\pi` (:data:`TAPER_END_HALF_PHASE`). Content above
the band is lost; :func:`add_time_dispersion` warns (:class:`TimeDispersionBandWarning`) when more
than :data:`BAND_TOLERANCE` of the wavelet (relative L2 norm) lies there.

Padding: the warps move content in time, by the group delay :math:`t\\cos\\theta \\le t`
(:func:`add_time_dispersion`) and :math:`t/\\cos\\theta \\ge t` (:func:`remove_time_dispersion`).
They are evaluated on a zero-padded DFT grid of
``nfft >= n_in / cos(0.4 pi) + n_in / 2 + n_out + 256`` samples: the delayed content of ``n_in``
input samples ends before ``n_in / cos(0.4 pi)``, and the rest holds the slowly decaying ringing
of the taper, so that nothing wraps around into the ``n_out`` kept samples (the matrices agree
with those of an 8 times longer grid to 4e-8 for records of a few samples, 1e-9 for a hundred and
to rounding from a thousand). Near the end of a record, the inverse warp of sample ``n`` also
reaches a little past ``n`` (an Airy tail of width :math:`(n/8)^{1/3}` samples, and the taper's
ringing), so a corrected simulation runs :func:`simulated_steps` ``(nt) > nt`` steps for its
first ``nt`` samples to be exact, even when the traces do not vanish at the end.

Each transform is a real ``(n_out, n_in)`` matrix, built once per shape and cached, and its
adjoint is the transpose of that matrix, so dot tests hold to rounding.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft

from .wavelets import check_time_step

#: Half-phase :math:`\theta = \omega\Delta t/2` of the simulated frequency up to which the
#: transforms are exact: half of the :math:`\pi/2` where the inverse warp breaks down.
BAND_HALF_PHASE = 0.25 * np.pi
#: Half-phase where the smooth taper above the band reaches zero; the inverse warp stretches
#: time by at most :math:`1/\cos(0.4\pi) = 3.2` there.
TAPER_END_HALF_PHASE = 0.4 * np.pi
#: Relative L2 norm of a wavelet's spectrum above :func:`band_limit` that triggers a warning.
BAND_TOLERANCE = 1e-3
#: Column block in which a transform matrix is built (bounds the complex work array).
_BLOCK = 256


class TimeDispersionBandWarning(UserWarning):
    """A wavelet has energy above the band where the time-dispersion correction is exact."""


def band_limit(dt) -> float:
    """Highest physical frequency (Hz) the time-dispersion correction is exact for.

    :math:`f_{max} = \\sin(\\theta_b) / (\\pi \\Delta t)` with :math:`\\theta_b` =
    :data:`BAND_HALF_PHASE`: the frequency whose simulated counterpart has
    :math:`\\omega \\Delta t / 2 = \\theta_b`.
    """
    return float(np.sin(BAND_HALF_PHASE) / (np.pi * check_time_step(dt)))


def simulated_steps(nt) -> int:
    """Number of time steps to simulate so that the first ``nt`` corrected samples are exact.

    ``nt`` plus eight Airy widths :math:`(n_t/8)^{1/3}` of the inverse warp's reach beyond a
    sample, plus 24 samples for the taper's ringing (51 extra steps for ``nt = 300``, 82 for
    3000). The largest neglected kernel entry, the weight of a simulated sample past the end in
    a kept corrected sample, is 8e-5 for ``nt = 1``, 3e-7 for 100, 2e-9 for 300 and rounding
    from 1000.
    """
    nt = _check_length(nt, "nt")
    return nt + int(np.ceil(8.0 * (nt / 8.0) ** (1.0 / 3.0))) + 24


def add_time_dispersion(traces, dt, nt=None):
    """Forward time-dispersion transform (FTT): :math:`Y(\\omega) = X(\\omega')`.

    Applied to a source wavelet before the simulation (see the module notes).

    Parameters
    ----------
    traces : (n, ...) array_like
        Time series along axis 0 (a wavelet ``(n,)`` or ``(n, nsrc)``, or traces).
    dt : float
        Time step (s).
    nt : int, optional
        Number of output samples (default ``n``); samples past ``n`` continue the
        input as zeros, e.g. ``nt = simulated_steps(n)`` to drive a corrected simulation.

    Returns
    -------
    (nt, ...) ndarray
        In the input's floating dtype (float64 for integers).

    Warns
    -----
    TimeDispersionBandWarning
        When more than :data:`BAND_TOLERANCE` of any trace (relative L2 norm) lies above
        :func:`band_limit`, where the transform tapers the spectrum away.
    """
    x = _check_traces(traces)
    dt = check_time_step(dt)
    nt = x.shape[0] if nt is None else _check_length(nt, "nt")
    _warn_outside_band(x, dt)
    return _apply(_matrix(nt, x.shape[0], False), x)


def add_time_dispersion_adjoint(traces, dt, nt):
    """Exact transpose of :func:`add_time_dispersion` from ``nt`` samples to ``len(traces)``.

    ``<add_time_dispersion(x, dt, len(y)), y> == <x, add_time_dispersion_adjoint(y, dt, len(x))>``.
    Returns ``(nt, ...)``, the input length of the forward map, in the input's floating dtype.
    """
    y = _check_traces(traces)
    check_time_step(dt)
    return _apply(_matrix(y.shape[0], _check_length(nt, "nt"), False).T, y)


def remove_time_dispersion(traces, dt, nt=None):
    """Inverse time-dispersion transform (ITT): :math:`Y(\\Omega) = X(\\omega(\\Omega))`.

    Applied to traces recorded by a simulation driven by :func:`add_time_dispersion` (or by an
    initial pressure), it returns the time-continuous traces (see the module notes).

    Parameters
    ----------
    traces : (n, ...) array_like
        Simulated time series along axis 0.
    dt : float
        Time step (s).
    nt : int, optional
        Number of output samples (default ``n``). Output sample ``m`` needs the input up to a
        little after ``m``: keep ``nt <= n`` with ``n >= simulated_steps(nt)``.

    Returns
    -------
    (nt, ...) ndarray
        In the input's floating dtype (float64 for integers).
    """
    x = _check_traces(traces)
    check_time_step(dt)
    nt = x.shape[0] if nt is None else _check_length(nt, "nt")
    return _apply(_matrix(nt, x.shape[0], True), x)


def remove_time_dispersion_adjoint(traces, dt, nt):
    """Exact transpose of :func:`remove_time_dispersion` from ``nt`` samples to ``len(traces)``.

    Returns ``(nt, ...)``, the input length of the forward map, in the input's floating dtype:
    back-propagate ``remove_time_dispersion_adjoint(residual, dt, simulated_steps(len(residual)))``
    for the adjoint of a corrected simulation.
    """
    y = _check_traces(traces)
    check_time_step(dt)
    return _apply(_matrix(y.shape[0], _check_length(nt, "nt"), True).T, y)


def corrected(simulate, wavelet, dt):
    """Run ``simulate`` free of time dispersion: ``ITT(simulate(FTT(wavelet)))``.

    Parameters
    ----------
    simulate : callable
        Linear in the wavelet: maps an ``(ns, ...)`` wavelet to ``(ns, nrec)`` traces, e.g.
        ``lambda w: forward(model, w, src, rec, dt)`` or the same with :func:`born`.
    wavelet : (nt,) or (nt, nsrc) array_like
    dt : float
        Time step (s) of the simulation.

    Returns
    -------
    (nt, nrec) ndarray
        The traces of ``simulate`` with the leapfrog's time dispersion removed; the simulation
        runs ``ns = simulated_steps(nt)`` steps.
    """
    nt = _check_traces(wavelet).shape[0]
    ns = simulated_steps(nt)
    return remove_time_dispersion(simulate(add_time_dispersion(wavelet, dt, ns)), dt, nt)


def corrected_adjoint(simulate_adjoint, data, dt):
    """Exact transpose of :func:`corrected`: ``FTTᵀ(simulate_adjoint(ITTᵀ(data)))``.

    ``simulate_adjoint`` is the transpose of ``corrected``'s ``simulate`` (e.g.
    ``lambda d: adjoint(model, d, src, rec, dt)``), called on ``(simulated_steps(nt), nrec)``
    data; returns ``(nt, nsrc)``.
    """
    nt = _check_traces(data).shape[0]
    ns = simulated_steps(nt)
    return add_time_dispersion_adjoint(
        simulate_adjoint(remove_time_dispersion_adjoint(data, dt, ns)), dt, nt
    )


@functools.lru_cache(maxsize=4)
def _matrix(n_out, n_in, inverse):
    """The real ``(n_out, n_in)`` matrix of a warp, read-only (cached).

    Column ``n`` is the warped unit sample at ``t_n``: the inverse DFT, on ``nfft`` points, of
    ``taper * exp(-2i n phi_k)`` at the output half-phases ``pi k / nfft``, with ``phi = sin``
    (forward) or ``arcsin`` (inverse) of them.
    """
    nfft = next_fast_len(
        int(np.ceil(n_in / np.cos(TAPER_END_HALF_PHASE))) + n_in // 2 + n_out + 256
    )
    half = np.pi * np.arange(nfft // 2 + 1) / nfft
    if inverse:
        inside = half < np.sin(TAPER_END_HALF_PHASE)
        phase = np.arcsin(np.where(inside, half, 0.0))
        weight = _taper(phase) * inside
    else:
        phase, weight = np.sin(half), _taper(half)
    out = np.empty((n_out, n_in))
    for start in range(0, n_in, _BLOCK):
        n = np.arange(start, min(start + _BLOCK, n_in))
        spectra = weight[:, None] * np.exp(-2j * phase[:, None] * n[None, :])
        out[:, n] = irfft(spectra, nfft, axis=0)[:n_out]
    out.flags.writeable = False
    return out


def _taper(theta):
    """1 up to :data:`BAND_HALF_PHASE`, 0 from :data:`TAPER_END_HALF_PHASE`, C-infinity between.

    :math:`\\tau = b(1 - x) / (b(x) + b(1 - x))` with :math:`b(x) = e^{-1/x}` (0 for
    :math:`x \\le 0`) and ``x`` the position of ``theta`` across the taper.
    """
    x = np.clip((theta - BAND_HALF_PHASE) / (TAPER_END_HALF_PHASE - BAND_HALF_PHASE), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        rise, fall = np.exp(-1.0 / x), np.exp(-1.0 / (1.0 - x))
    return fall / (rise + fall)


def _apply(matrix, x):
    flat = x.reshape(x.shape[0], -1).astype(np.float64)
    out = matrix @ flat
    return out.reshape((matrix.shape[0],) + x.shape[1:]).astype(np.result_type(x, np.float32))


def _warn_outside_band(x, dt):
    """Warn when a trace's spectrum above :func:`band_limit` exceeds :data:`BAND_TOLERANCE`."""
    flat = x.reshape(x.shape[0], -1).astype(np.float64)
    nfft = next_fast_len(4 * max(flat.shape[0], 16))
    power = np.abs(rfft(flat, nfft, axis=0)) ** 2
    total = power.sum(axis=0)
    if not np.any(total > 0):
        return
    above = np.cumsum(power[::-1], axis=0)[::-1]  # energy at and above each frequency
    fraction = np.sqrt(above / np.where(total > 0, total, 1.0))
    freqs = np.fft.rfftfreq(nfft, dt)
    limit = band_limit(dt)
    outside = fraction[np.searchsorted(freqs, limit, side="right")].max()
    if outside > BAND_TOLERANCE:
        f_tol = freqs[np.flatnonzero((fraction > BAND_TOLERANCE).any(axis=1))[-1]]
        warnings.warn(
            f"time-dispersion correction: {100 * outside:.3g} % of the wavelet (relative L2 "
            f"norm) lies above {limit:.4g} Hz, the band where the correction is exact for "
            f"dt = {dt:.6g} s, and will be tapered away; the wavelet needs up to {f_tol:.4g} Hz, "
            f"so use dt <= {np.sin(BAND_HALF_PHASE) / (np.pi * f_tol):.4g} s or a lower frequency",
            TimeDispersionBandWarning,
            stacklevel=3,
        )


def _check_traces(traces):
    x = np.asarray(traces)
    if x.ndim < 1 or x.shape[0] < 1:
        raise ValueError(f"traces must have time along axis 0, shape (nt, ...), got {x.shape}")
    if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
        raise TypeError(f"traces must be real numbers, got dtype {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise ValueError("traces contain NaN or infinite samples")
    return x


def _check_length(n, name):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer number of samples, got {n!r}")
    return int(n)
