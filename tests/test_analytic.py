"""Tests of waveback.verification.analytic against independent closed forms and quadratures."""

import numpy as np
import pytest

from waveback.verification.analytic import analytic_trace


def ricker_at(t, f0):
    """Ricker wavelet (1 − 2a) e^{−a}, a = (π f0 t)², peak 1 at t = 0."""
    a = (np.pi * f0 * t) ** 2
    return (1 - 2 * a) * np.exp(-a)


def ricker(f0, dt, nt, t0=None):
    """Ricker wavelet sampled at t_n = n·dt, peak at t0 (default 1.5/f0).

    With t0 = 1.5/f0 the wavelet is below 1e-8 of its peak at t = 0, so the
    samples are, to that accuracy, a causal band-limited signal.
    """
    t0 = 1.5 / f0 if t0 is None else t0
    return ricker_at(np.arange(nt) * dt - t0, f0)


def rel_l2(u, ref):
    return np.linalg.norm(u - ref) / np.linalg.norm(ref)


def convolve_2d_green(w, t, a, panels=64, order=32):
    """Reference 2D trace u(t) = ∫₀^{t−a} w(τ) dτ / (2π √((t − τ)² − a²)).

    Here a = r/c.  The substitution t − τ = a cosh θ removes the inverse square-root
    singularity exactly (the kernel times dτ becomes dθ/2π):
    u(t) = (1/2π) ∫₀^{arccosh(t/a)} w(t − a cosh θ) dθ, evaluated with composite
    Gauss-Legendre quadrature (``panels`` × ``order`` nodes per time sample).
    ``w`` is a callable giving the source time function at any time.
    """
    x, wx = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(0.0, 1.0, panels + 1)
    half = np.diff(edges)[:, None] / 2
    s = ((edges[:-1, None] + half) + half * x).ravel()
    ws = (half * wx).ravel()
    u = np.zeros_like(t)
    late = t > a
    theta_max = np.arccosh(t[late] / a)[:, None]
    tau = t[late, None] - a * np.cosh(theta_max * s)
    u[late] = (w(tau) * ws).sum(axis=1) * theta_max[:, 0] / (2 * np.pi)
    return u


def test_3d_matches_delayed_wavelet():
    f0, dt, nt, c = 15.0, 1e-3, 800, 1800.0
    t0 = 1.5 / f0
    t = np.arange(nt) * dt
    for r in (1.0, 333.3, 617.9):  # fractional delays of 0.56, 185.17, 343.28 samples
        u = analytic_trace(ricker(f0, dt, nt), dt, r, c, 3)
        ref = ricker_at(t - r / c - t0, f0) / (4 * np.pi * r)
        assert rel_l2(u, ref) < 1e-6


def test_2d_matches_time_domain_convolution():
    # The reference quadrature is converged to ~1e-15; the FFT result differs from the
    # exact convolution only by periodic copies of the 2D tail (padding) and the 1e-8
    # truncation of the Ricker at t = 0, about 1e-6 in total; a wrong Hankel branch,
    # sign or scale factor gives O(1) errors.
    f0, dt, nt, c = 15.0, 1e-3, 1000, 2000.0
    t0 = 1.5 / f0
    t = np.arange(nt) * dt

    def w(tau):
        return np.where(tau >= 0, ricker_at(tau - t0, f0), 0.0)

    for r in (5.0, 400.0, 1234.5):
        u = analytic_trace(w(t), dt, r, c, 2)
        ref = convolve_2d_green(w, t, r / c)
        assert rel_l2(u, ref) < 1e-5


@pytest.mark.parametrize("ndim", [2, 3])
def test_causal(ndim):
    # The wavelet peaks at t0 and is < 1e-8 of its peak outside t0 ± half_width, so
    # the pulse is recorded around r/c + t0 and nothing may arrive before
    # r/c + t0 − half_width (= r/c here).
    f0, dt, nt, c, r = 20.0, 1e-3, 1000, 1500.0, 600.0
    t0 = half_width = 1.5 / f0
    u = analytic_trace(ricker(f0, dt, nt, t0), dt, r, c, ndim)
    t = np.arange(nt) * dt
    early = t < r / c + t0 - half_width
    assert early.sum() > 300
    assert np.sum(u[early] ** 2) < 1e-6 * np.sum(u**2)


def test_2d_far_field_decay():
    # Asymptotically u ∝ 1/√r, with corrections O(1/(8 k r)) ≈ 2e-3 at 10 wavelengths.
    f0, dt, nt, c = 25.0, 1e-3, 1800, 1500.0
    r = np.array([10.0, 40.0]) * c / f0
    u = analytic_trace(ricker(f0, dt, nt), dt, r, c, 2)
    peak = np.abs(u).max(axis=0)
    assert abs(peak[0] / peak[1] / 2 - 1) < 0.02


@pytest.mark.parametrize("ndim", [2, 3])
def test_distance_array_equals_loop(ndim):
    # Per-distance FFT lengths differ here (4096 and 8192 samples).
    f0, dt, nt, c = 15.0, 1e-3, 1000, 2000.0
    w = ricker(f0, dt, nt)
    r = np.array([3.0, 250.0, 777.7])
    u = analytic_trace(w, dt, r, c, ndim)
    assert u.shape == (nt, r.size)
    for j, rj in enumerate(r):
        uj = analytic_trace(w, dt, rj, c, ndim)
        assert uj.shape == (nt,)
        assert rel_l2(u[:, j], uj) < 1e-12


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"ndim": 1}, "ndim must be 2 or 3"),
        ({"ndim": 4}, "ndim must be 2 or 3"),
        ({"distance": 0.0}, "distance must be > 0"),
        ({"distance": -10.0}, "distance must be > 0"),
        ({"distance": [100.0, 0.0]}, "distance must be > 0"),
        ({"velocity": 0.0}, "velocity must be > 0"),
        ({"velocity": -1500.0}, "velocity must be > 0"),
        ({"dt": 0.0}, "dt must be > 0"),
    ],
)
def test_bad_input(kwargs, match):
    args = {
        "wavelet": ricker(10.0, 1e-3, 100),
        "dt": 1e-3,
        "distance": 100.0,
        "velocity": 1500.0,
        "ndim": 2,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        analytic_trace(**args)
