"""Tests of waveback.physics.attenuation_kernels: the memory update, its transpose, its transfer."""

import numpy as np
import pytest

import waveback as wb
from waveback.physics.attenuation import (
    discrete_dispersion,
    discrete_modulus_ratio,
    fit_sls,
    memory_coefficients,
)
from waveback.physics.attenuation_kernels import memory_adjoint, memory_forward


def random_problem(rng, shape, dtype):
    q = rng.uniform(10, 100, shape)
    sls = fit_sls(wb.ConstantQ(q, (5, 50)), 2000.0)
    weights = np.ascontiguousarray(sls.weights, dtype=dtype)
    return weights, memory_coefficients(sls, 1e-3, dtype)


@pytest.mark.parametrize("shape", [(7, 9), (4, 5, 6)])
def test_dot_test(shape):
    # <F(g, r), (h', r')> = <(g, r), F^T(h', r')> in float64, to rounding.
    rng = np.random.default_rng(3)
    weights, coefficients = random_problem(rng, shape, np.float64)
    g, r = rng.standard_normal(shape), rng.standard_normal((3, *shape))
    h_bar, r_bar = rng.standard_normal(shape), rng.standard_normal((3, *shape))
    h, r_new = g.copy(), r.copy()
    memory_forward(h, r_new, weights, *coefficients)
    g_bar, r_old_bar = h_bar.copy(), r_bar.copy()
    memory_adjoint(g_bar, r_old_bar, weights, *coefficients)
    lhs = np.vdot(h, h_bar) + np.vdot(r_new, r_bar)
    rhs = np.vdot(g, g_bar) + np.vdot(r, r_old_bar)
    assert abs(lhs - rhs) <= 1e-12 * abs(lhs)


def test_float32_follows_the_dtype():
    rng = np.random.default_rng(4)
    weights, coefficients = random_problem(rng, (5, 6), np.float32)
    g = rng.standard_normal((5, 6)).astype(np.float32)
    r = np.zeros((3, 5, 6), np.float32)
    h = g.copy()
    memory_forward(h, r, weights, *coefficients)
    assert h.dtype == np.float32 and r.dtype == np.float32
    # from rest, h = (1 + sum eta_l a_l) g and r = b a g
    decay, gain, half = coefficients
    np.testing.assert_allclose(h, g * (1 + np.tensordot(half, weights, 1)), rtol=1e-6)
    np.testing.assert_allclose(r, gain[:, None, None] * weights * g, rtol=1e-6)


def test_transfer_function_is_the_discrete_modulus_ratio():
    # Run the update on one point driven by a Ricker g^n; H/G at the band's frequencies must be
    # mu(tan-warped frequency) (discrete_modulus_ratio), to the truncation of the record.
    dt, nt = 2e-3, 1500
    sls = fit_sls(wb.ConstantQ(20, (5, 50)), 2000.0)
    coefficients = memory_coefficients(sls, dt)
    weights = np.ascontiguousarray(sls.weights[:, None])
    g = wb.ricker(20.0, dt, nt)
    h = np.empty(nt)
    memory = np.zeros((3, 1))
    for n in range(nt):
        drive = g[n : n + 1].copy()
        memory_forward(drive, memory, weights, *coefficients)
        h[n] = drive[0]
    f = np.array([5.0, 12.0, 20.0, 35.0, 50.0])
    kernel = np.exp(-2j * np.pi * np.outer(f, np.arange(nt) * dt))
    transfer = (kernel @ h) / (kernel @ g)
    np.testing.assert_allclose(transfer, discrete_modulus_ratio(sls, dt, f), rtol=1e-10)
    # and the tan warp matters: the continuous mu at f differs by far more
    assert np.abs(transfer / sls.modulus_ratio(f) - 1).max() > 1e-4


def test_leapfrog_with_the_memory_update_shows_the_discrete_dispersion():
    # One spatial Fourier mode (L p = -kappa^2 p) stepped by the leapfrog of the module
    # docstring: P(w) / S(w) = 1 / (kappa^2 - k_d(w)^2), with k_d the wavenumber that
    # discrete_dispersion gives. The mode rings at about 40 Hz with Q = 10 and has decayed to
    # 1e-10 by the end of the record.
    dt, nt = 1e-3, 3000
    sls = fit_sls(wb.ConstantQ(10, (5, 50)), 2000.0)
    coefficients = memory_coefficients(sls, dt)
    weights = np.ascontiguousarray(sls.weights[:, None])
    kappa2 = (2 * np.pi * 40.0 / 2000.0) ** 2
    s = wb.ricker(25.0, dt, nt)
    w2 = dt**2 * sls.relaxed_velocity**2
    p, p_prev, memory = np.zeros(nt), 0.0, np.zeros((3, 1))
    for n in range(nt - 1):
        drive = np.array([-kappa2 * p[n] + s[n]])
        memory_forward(drive, memory, weights, *coefficients)
        p[n + 1], p_prev = 2 * p[n] - p_prev + w2 * drive[0], p[n]
    assert np.abs(p[-200:]).max() < 1e-10 * np.abs(p).max()
    f = np.array([10.0, 25.0, 38.0, 40.0, 45.0])
    kernel = np.exp(-2j * np.pi * np.outer(f, np.arange(nt) * dt))
    response = (kernel @ p) / (kernel @ s)
    k_d = discrete_dispersion(sls, dt, f).wavenumber
    np.testing.assert_allclose(response, 1 / (kappa2 - k_d**2), rtol=1e-8)
