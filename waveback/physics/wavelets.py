"""Source wavelets sampled at ``t_n = n * dt`` (seconds), and their frequency content.

All functions return float64 arrays of length ``nt``; the propagator casts them to the
model's dtype.
"""

from __future__ import annotations

import numpy as np


def check_time_step(dt) -> float:
    """``dt`` as a float, refused unless it is a finite positive number of seconds."""
    try:
        dt = float(dt)
    except (TypeError, ValueError):
        raise TypeError(f"dt must be a number of seconds, got {dt!r}") from None
    if not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"dt must be a positive number of seconds, got {dt!r}")
    return dt


def _time_axis(dt: float, nt: int) -> np.ndarray:
    if dt <= 0 or int(nt) != nt or nt < 1:
        raise ValueError(f"need dt > 0 and an integer nt >= 1, got dt={dt!r}, nt={nt!r}")
    return np.arange(int(nt)) * dt


def ricker(f0: float, dt: float, nt: int, t0: float | None = None) -> np.ndarray:
    """Ricker wavelet :math:`(1 - 2\\pi^2 f_0^2 \\tau^2)\\,e^{-\\pi^2 f_0^2 \\tau^2}`.

    With :math:`\\tau = t - t_0`.

    Parameters
    ----------
    f0 : float
        Peak frequency (Hz).
    dt, nt : float, int
        Sampling interval (s) and number of samples.
    t0 : float, optional
        Delay of the peak (s); default ``1 / f0``.
    """
    t = _time_axis(dt, nt) - (1.0 / f0 if t0 is None else t0)
    a = (np.pi * f0 * t) ** 2
    return (1.0 - 2.0 * a) * np.exp(-a)


def gaussian_derivative(
    f0: float, dt: float, nt: int, order: int = 1, t0: float | None = None
) -> np.ndarray:
    """Derivative of order 0, 1 or 2 of a Gaussian :math:`e^{-\\pi^2 f_0^2 \\tau^2}`.

    Peak-normalised.

    ``order=2`` is minus the Ricker wavelet up to normalisation. ``t0`` defaults to ``1 / f0``.
    """
    if order not in (0, 1, 2):
        raise ValueError(f"order must be 0, 1 or 2, got {order!r}")
    t = _time_axis(dt, nt) - (1.0 / f0 if t0 is None else t0)
    a = (np.pi * f0) ** 2
    g = np.exp(-a * t**2)
    w = [g, -2.0 * a * t * g, (4.0 * a**2 * t**2 - 2.0 * a) * g][order]
    peak = [1.0, np.sqrt(2.0 * a) * np.exp(-0.5), 2.0 * a][order]
    return w / peak


def tone_burst(f0: float, n_cycles: float, dt: float, nt: int, t0: float = 0.0) -> np.ndarray:
    """Hann-windowed tone burst of ``n_cycles`` periods at ``f0`` Hz from ``t0`` (ultrasound).

    :math:`\\sin(2\\pi f_0\\tau)\\,\\sin^2(\\pi\\tau/T)` for
    :math:`0 \\le \\tau = t - t_0 \\le T = n/f_0`.
    """
    if n_cycles <= 0:
        raise ValueError(f"n_cycles must be positive, got {n_cycles!r}")
    tau = _time_axis(dt, nt) - t0
    duration = n_cycles / f0
    inside = (tau >= 0) & (tau <= duration)
    return np.where(inside, np.sin(2 * np.pi * f0 * tau) * np.sin(np.pi * tau / duration) ** 2, 0.0)


def max_frequency(wavelet: np.ndarray, dt: float, level: float = 0.03) -> float:
    """Highest frequency (Hz) where the amplitude spectrum reaches ``level`` of its peak.

    Works on ``(nt,)`` or ``(nt, nsrc)`` arrays (the maximum over sources).
    """
    w = np.asarray(wavelet, dtype=np.float64).reshape(len(wavelet), -1)
    nfft = 4 * max(len(w), 16)
    spec = np.abs(np.fft.rfft(w, n=nfft, axis=0)).max(axis=1)
    if spec.max() == 0:
        return 0.0
    freqs = np.fft.rfftfreq(nfft, dt)
    return float(freqs[np.flatnonzero(spec >= level * spec.max())[-1]])


def delayed(wavelet: np.ndarray, delays, dt: float) -> np.ndarray:
    """One copy of ``wavelet`` per delay, shifted by a fractional delay (s): ``(nt, ndelays)``.

    For transducer arrays (focused or steered plane-wave transmits): source ``i`` fires
    :math:`w(t - \\tau_i)`. The shift is exact for band-limited signals (Fourier phase ramp on a
    zero-padded axis, so nothing wraps around for delays within the padding).
    """
    w = np.asarray(wavelet, dtype=np.float64)
    delays = np.atleast_1d(np.asarray(delays, dtype=np.float64))
    if w.ndim != 1:
        raise ValueError(f"wavelet must be 1D (nt,), got shape {w.shape}")
    if np.any(delays < 0) or not np.all(np.isfinite(delays)):
        raise ValueError("delays must be finite and non-negative (s); subtract their minimum")
    nt = w.size
    nfft = int(2 ** np.ceil(np.log2(2 * nt + delays.max() / dt + 1)))
    omega = 2 * np.pi * np.fft.rfftfreq(nfft, dt)
    spec = np.fft.rfft(w, nfft)[:, None] * np.exp(-1j * omega[:, None] * delays[None, :])
    return np.fft.irfft(spec, nfft, axis=0)[:nt]
