"""Tests of waveback.physics.attenuation_kernels: the memory update, its transpose, its transfer."""

import functools
import itertools

import numpy as np
import pytest
from test_checks import assert_taylor_slopes
from test_cpml_kernels import wavelet_map_matrices

import waveback as wb
from waveback.physics import footprint
from waveback.physics.attenuation import (
    discrete_dispersion,
    discrete_modulus_ratio,
    fit_sls,
    memory_coefficients,
)
from waveback.physics.attenuation_kernels import memory_adjoint, memory_forward
from waveback.physics.checkpointing import state_bytes
from waveback.verification.checks import dot_error


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


# --- The relaxation in the time loop: exact transposes, derivatives, checkpoints. ------------

LOOP_OPTIONS = list(itertools.product([2, 3], ["cpml", "sponge"], [False, True]))


def attenuating_setting(ndim, boundary, free_surface, seed, dtype="float64"):
    """A random model with Q from 20 to 100 point by point, two off-grid sources (one in the
    free surface's sinc reach), five receivers."""
    rng = np.random.default_rng(seed)
    shape = (14, 17) if ndim == 2 else (9, 10, 11)
    model = wb.Model(
        1500 + 1000 * rng.random(shape), 5.0, boundary=boundary, nbl=5,
        free_surface=free_surface, dtype=dtype,
        attenuation=wb.ConstantQ(20 + 80 * rng.random(shape), (20, 200)),
    )  # fmt: skip
    lo, hi = np.array(model.extent).T
    src = lo + rng.random((2, ndim)) * (hi - lo)
    src[0, 0] = lo[0] + 1.5
    rec = lo + rng.random((5, ndim)) * (hi - lo)
    return model, src, rec, 0.8 * model.critical_dt(), rng


@pytest.mark.filterwarnings("ignore:grid dispersion")
@pytest.mark.parametrize("ndim, boundary, free_surface", LOOP_OPTIONS)
def test_attenuating_operators_are_exact_transposes(ndim, boundary, free_surface):
    model, src, rec, dt, rng = attenuating_setting(ndim, boundary, free_surface, seed=ndim)
    nt = 40
    x, y = rng.standard_normal((nt, 2)), rng.standard_normal((nt, 5))
    solver = wb.Solver(model, dt, src, rec, "sinc")
    fx = solver.forward(x)
    assert np.abs(fx).max() > 0
    # measured 4e-16 .. 8e-15 for the three pairs
    assert dot_error(np.sum(fx * y), np.sum(x * solver.adjoint(y))) < 1e-12
    p0 = rng.standard_normal(model.shape)
    fp = solver.forward(np.zeros_like(x), initial_pressure=p0)
    assert dot_error(np.sum(fp * y), np.sum(p0 * solver.adjoint_initial_pressure(y))) < 1e-12
    dm = rng.standard_normal(model.shape) * 1e-8
    g, _ = solver.gradient(y, x)
    assert dot_error(np.sum(solver.born(dm, x) * y), np.sum(dm * g)) < 1e-12


@pytest.mark.filterwarnings("ignore:grid dispersion")
def test_attenuating_cpml_under_a_free_surface_folds_the_mirrored_terms():
    # A model 6 points deep at order 16 (r = 8): the z slab's stencils read the mirrored halo,
    # and the relaxed transpose goes through the same fold as the lossless one
    # (test_cpml_kernels.test_transpose_folds_the_cpml_terms_read_through_the_free_surface).
    rng = np.random.default_rng(5)
    shape = (6, 4)
    model = wb.Model(
        1500 + 1000 * rng.random(shape), 5.0, space_order=16, nbl=2, free_surface=True,
        dtype="float64", attenuation=wb.ConstantQ(20 + 80 * rng.random(shape), (20, 200)),
    )  # fmt: skip
    prop = wb.Propagator(model, 0.8 * model.critical_dt())
    assert prop.fold.any()
    forward, adjoint = wavelet_map_matrices(prop, nt=3)
    assert np.abs(adjoint - forward.T).max() <= 1e-14 * np.abs(forward).max()  # measured 3e-16


def test_lossless_limit_and_memory_in_the_state():
    # Q = 1e9: the relaxation changes the traces by ~1e-9 only; the state carries (L, *padded).
    model, src, rec, dt, rng = attenuating_setting(2, "cpml", False, seed=5)
    lossless = wb.Model(model.vp, 5.0, nbl=5, dtype="float64")
    quiet = wb.Model(model.vp, 5.0, nbl=5, dtype="float64",
                     attenuation=wb.ConstantQ(1e9, (20, 200)))  # fmt: skip
    w = wb.ricker(100.0, dt, 60)
    d0 = wb.forward(lossless, w, src, rec, dt)
    d1 = wb.forward(quiet, w, src, rec, dt)
    np.testing.assert_allclose(d1, d0, rtol=0, atol=1e-7 * np.abs(d0).max())
    state = wb.Propagator(quiet, dt).new_state()
    nz, nx = quiet.padded_shape
    assert state.memory[0].shape == (quiet.sls.n_mechanisms, nz, 1, nx)


@pytest.mark.filterwarnings("ignore:grid dispersion")
@pytest.mark.parametrize("boundary, free_surface", [("cpml", False), ("sponge", True)])
def test_taylor_and_born_slopes_in_m_and_vp_with_attenuation(boundary, free_surface):
    rng = np.random.default_rng(2)
    shape = (20, 24)
    vp = 2000 + 300 * rng.random(shape)
    att = wb.ConstantQ(15 + 30 * rng.random(shape), (20, 200))
    model = wb.Model(vp, 5.0, boundary=boundary, nbl=6, free_surface=free_surface,
                     dtype="float64", attenuation=att)  # fmt: skip
    src, rec = np.array([[20.3, 40.7]]), np.array([[10.0, 30.0], [80.0, 100.0], [50.0, 60.0]])
    dt = 0.6 * model.critical_dt()
    w = wb.ricker(60.0, dt, 150)

    def data(name, x):
        return wb.forward(model.with_vp(1 / np.sqrt(x) if name == "m" else x), w, src, rec, dt,
                          "sinc")  # fmt: skip

    d0 = data("vp", vp)
    d_obs = data("vp", vp * (1 + 0.02 * rng.standard_normal(shape)))
    g = wb.gradient(model, d0 - d_obs, w, src, rec, dt, "sinc", wrt=("m", "vp"))
    for name, base in (("m", model.m), ("vp", vp)):  # measured 0.998 .. 1.03, 2.0000 .. 2.0001
        dx = rng.standard_normal(shape) * base * 0.05
        jdx = wb.born(model, dx, w, src, rec, dt, "sinc", wrt=name)
        assert_taylor_slopes(functools.partial(data, name), d_obs, g[name], jdx, base, dx,
                             4e-4 / 2.0 ** np.arange(5))  # fmt: skip


@pytest.mark.filterwarnings("ignore:grid dispersion")
def test_checkpointed_gradient_with_attenuation_is_bit_identical_to_full_storage():
    model, src, rec, dt, rng = attenuating_setting(2, "cpml", True, seed=4)
    nt = 40
    w, r = rng.standard_normal((nt, 2)), rng.standard_normal((nt, 5))
    full = wb.gradient(model, r, w, src, rec, dt, memory="full")
    state = wb.Propagator(model, dt).new_state()
    assert footprint.state_bytes(model) == state_bytes(state)
    field = footprint.field_bytes(model)
    plan = wb.gradient_plan(model, nt, dt, memory="full", nrec=5)
    small = plan.working_bytes + 3 * footprint.state_bytes(model)
    assert small < plan.peak_bytes
    assert wb.gradient_plan(model, nt, dt, memory=small, nrec=5).mode == "revolve"
    checkpointed = wb.gradient(model, r, w, src, rec, dt, memory=small)
    np.testing.assert_array_equal(full, checkpointed)
    assert field * 2 < footprint.state_bytes(model)
