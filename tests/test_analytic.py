"""Tests of waveback.verification.analytic against independent closed forms and quadratures."""

import numpy as np
import pytest

import waveback as wb
from waveback.physics.attenuation import fit_sls
from waveback.verification.analytic import (
    analytic_trace,
    attenuating_trace,
    interface_reflection_trace,
    measure_attenuation,
)


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


@pytest.mark.parametrize("ndim", [2, 3])
def test_attenuating_trace_without_loss_is_the_lossless_trace(ndim):
    # Q = 1e9: k differs from omega/c by 1e-9 relative (dispersion ln(f/f_ref)/(pi Q)).
    f0, dt, nt, c = 15.0, 1e-3, 1500, 2000.0
    w = ricker(f0, dt, nt)
    r = np.array([300.0, 1000.0])
    u = attenuating_trace(w, dt, r, c, wb.ConstantQ(1e9, (5, 50)), ndim)
    assert rel_l2(u, analytic_trace(w, dt, r, c, ndim)) < 1e-6


@pytest.mark.parametrize("ndim", [2, 3])
def test_attenuating_trace_loses_amplitude_as_q_says(ndim):
    # At 10 wavelengths a Q = 30 medium keeps exp(-pi * 10 / 30) = 35 % of the amplitude.
    f0, dt, nt, c = 20.0, 1e-3, 1500, 2000.0
    w = ricker(f0, dt, nt)
    r = 10 * c / f0
    lossy = np.abs(attenuating_trace(w, dt, r, c, wb.ConstantQ(30, (5, 50)), ndim)).max()
    lossless = np.abs(analytic_trace(w, dt, r, c, ndim)).max()
    assert 0.3 < lossy / lossless < 0.45


@pytest.mark.parametrize("ndim", [2, 3])
def test_measure_attenuation_recovers_q_and_phase_velocity(ndim):
    # Against the SLS model's own Q(f) and c(f): 3D exact to 1e-8, 2D to 1e-4 (the 2D traces'
    # truncated tails). Against the requested Q = 30, the fit's 0.23 % remains.
    f0, dt, nt, c = 20.0, 1e-3, 2000, 2000.0
    attenuation = wb.ConstantQ(30, (5, 50))
    sls = fit_sls(attenuation, c)
    r_near, r_far = 400.0, 1200.0
    u = attenuating_trace(ricker(f0, dt, nt), dt, [r_near, r_far], c, attenuation, ndim)
    f = np.geomspace(5, 50, 7)
    q, velocity = measure_attenuation(u[:, 0], u[:, 1], r_near, r_far, dt, f, ndim)
    assert np.abs(q / sls.quality_factor(f) - 1).max() < 1e-3
    assert np.abs(velocity / sls.phase_velocity(f) - 1).max() < 5e-5
    assert np.abs(q / 30 - 1).max() < 0.01
    assert np.abs(velocity / sls.phase_velocity(f) - 1).max() < 5e-4


def test_measure_attenuation_of_lossless_traces_finds_the_velocity():
    f0, dt, nt, c = 20.0, 1e-3, 2000, 1800.0
    u = analytic_trace(ricker(f0, dt, nt), dt, [300.0, 900.0], c, 3)
    q, velocity = measure_attenuation(u[:, 0], u[:, 1], 300.0, 900.0, dt, [10.0, 30.0], 3)
    np.testing.assert_allclose(velocity, c, rtol=1e-10)
    assert np.all(np.abs(1 / q) < 1e-9)


@pytest.mark.parametrize("ndim", [2, 3])
def test_interface_reflection_satisfies_the_interface_conditions(ndim):
    # Below the interface the field is (1 + R) G(|x - x_s|); p and (1/rho) dp/dz must be
    # continuous at z = interface_z. One-sided second-order differences, h = 0.05 m.
    f0, dt, nt, c, z_i, rho1, rho2 = 20.0, 1e-3, 800, 2000.0, 300.0, 1000.0, 2500.0
    w = ricker(f0, dt, nt)
    src = np.array([100.0] + [0.0] * (ndim - 1))
    h = 0.05
    rec = np.zeros((3, ndim))
    rec[:, 0] = z_i - h * np.arange(3)[::-1]
    rec[:, -1] = 250.0
    above = interface_reflection_trace(w, dt, src, rec, z_i, rho1, rho2, c, ndim)
    transmission = 2 * rho2 / (rho1 + rho2)
    z_below = z_i + h * np.arange(3)
    below = transmission * analytic_trace(w, dt, np.hypot(z_below - src[0], 250.0), c, ndim)
    np.testing.assert_allclose(above[:, 2], below[:, 0], atol=1e-9 * np.abs(below).max())
    dz_above = (3 * above[:, 2] - 4 * above[:, 1] + above[:, 0]) / (2 * h)
    dz_below = (-3 * below[:, 0] + 4 * below[:, 1] - below[:, 2]) / (2 * h)
    assert rel_l2(dz_above / rho1, dz_below / rho2) < 1e-4


def test_interface_reflection_without_contrast_is_the_direct_wave():
    w = ricker(20.0, 1e-3, 600)
    src, rec = np.array([50.0, 0.0]), np.array([[60.0, 200.0], [10.0, 300.0]])
    u = interface_reflection_trace(w, 1e-3, src, rec, 120.0, 1500.0, 1500.0, 2000.0, 2)
    direct = analytic_trace(w, 1e-3, np.linalg.norm(rec - src, axis=1), 2000.0, 2)
    np.testing.assert_array_equal(u, direct)
    assert u.shape == (600, 2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"src": [400.0, 0.0]}, "above the interface"),
        ({"rec": [[10.0, 5.0], [300.0, 5.0]]}, "above the interface"),
        ({"src": [10.0, 0.0, 0.0]}, "src must have shape"),
        ({"rho1": 0.0}, "densities must be positive"),
    ],
)
def test_interface_reflection_bad_input(kwargs, match):
    args = dict(
        wavelet=ricker(20.0, 1e-3, 100),
        dt=1e-3,
        src=[10.0, 0.0],
        rec=[20.0, 50.0],
        interface_z=200.0,
        rho1=1000.0,
        rho2=2000.0,
        velocity=1500.0,
        ndim=2,
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        interface_reflection_trace(**args)
