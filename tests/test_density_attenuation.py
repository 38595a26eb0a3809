"""Density and attenuation together: exact transposes, derivatives in m, rho and vp, the tape,
checkpoints, and the physics (an interface in an attenuating medium, the two limits)."""

import functools
import itertools

import numpy as np
import pytest
from test_checks import assert_taylor_slopes
from test_density import assert_tape_matches_hand

import waveback as wb
from waveback.physics import footprint
from waveback.verification.analytic import analytic_trace, attenuating_trace
from waveback.verification.checks import dot_error

pytestmark = pytest.mark.filterwarnings("ignore:grid dispersion")  # random signals on purpose

OPTIONS = list(itertools.product([2, 3], ["cpml", "sponge"], [False, True]))


def _setting(ndim, boundary, free_surface, seed, space_order=8):
    """A random float64 model with strong density contrasts and Q from 20 to 100 point by
    point, two off-grid sources (one in the free surface's sinc reach), five receivers."""
    rng = np.random.default_rng(seed)
    shape = (14, 17) if ndim == 2 else (9, 10, 11)
    model = wb.Model(
        1500 + 1000 * rng.random(shape), 5.0, space_order=space_order, boundary=boundary, nbl=5,
        free_surface=free_surface, dtype="float64", rho=1000 + 1500 * rng.random(shape),
        attenuation=wb.ConstantQ(20 + 80 * rng.random(shape), (20, 200)),
    )  # fmt: skip
    lo, hi = np.array(model.extent).T
    src = lo + rng.random((2, ndim)) * (hi - lo)
    src[0, 0] = lo[0] + 1.5
    rec = lo + rng.random((5, ndim)) * (hi - lo)
    return model, src, rec, 0.8 * model.critical_dt(), rng


@pytest.mark.parametrize("ndim, boundary, free_surface", OPTIONS)
def test_operators_are_exact_transposes(ndim, boundary, free_surface):
    model, src, rec, dt, rng = _setting(ndim, boundary, free_surface, seed=ndim)
    nt = 40
    x, y = rng.standard_normal((nt, 2)), rng.standard_normal((nt, 5))
    solver = wb.Solver(model, dt, src, rec, "sinc")
    fx = solver.forward(x)
    assert np.abs(fx).max() > 0
    errors = [dot_error(np.sum(fx * y), np.sum(x * solver.adjoint(y)))]
    p0 = rng.standard_normal(model.shape)
    fp = solver.forward(np.zeros_like(x), initial_pressure=p0)
    errors.append(dot_error(np.sum(fp * y), np.sum(p0 * solver.adjoint_initial_pressure(y))))
    g, _ = solver.gradient(y, x, wrt=("m", "rho", "vp"))
    for name, scale in (("m", 1e-8), ("rho", 10.0), ("vp", 10.0)):
        dx = rng.standard_normal(model.shape) * scale
        errors.append(dot_error(np.sum(solver.born(dx, x, wrt=name) * y), np.sum(dx * g[name])))
    assert max(errors) < 1e-12  # measured 0 .. 1.1e-14 over the five pairs and eight cases


@pytest.mark.parametrize("ndim, boundary, free_surface", [(2, "cpml", True), (3, "sponge", False)])
def test_hand_written_adjoints_match_the_tape(ndim, boundary, free_surface):
    # measured: forward 4e-16 .. 1.3e-15, reverse pass 7e-16 .. 2.2e-15 (summation order only)
    assert_tape_matches_hand(*_setting(ndim, boundary, free_surface, seed=30, space_order=4))


@pytest.mark.parametrize(
    "boundary, free_surface",
    [("cpml", False), pytest.param("sponge", True, marks=pytest.mark.slow)],  # 7 s, 12 s
)
def test_taylor_and_born_slopes_in_m_rho_and_vp(boundary, free_surface):
    rng = np.random.default_rng(2)
    shape = (20, 24)
    vp, rho = 2000 + 300 * rng.random(shape), 1800 + 600 * rng.random(shape)
    model = wb.Model(
        vp, 5.0, boundary=boundary, nbl=6, free_surface=free_surface, dtype="float64", rho=rho,
        attenuation=wb.ConstantQ(15 + 30 * rng.random(shape), (20, 200)),
    )  # fmt: skip
    src, rec = np.array([[20.3, 40.7]]), np.array([[10.0, 30.0], [80.0, 100.0], [50.0, 60.0]])
    dt = 0.6 * model.critical_dt()
    w = wb.ricker(60.0, dt, 150)

    def data(name, x):
        params = {"m": (1 / np.sqrt(x), rho), "rho": (vp, x), "vp": (x, rho)}[name]
        return wb.forward(model.with_parameters(*params), w, src, rec, dt, "sinc")

    observed = (vp * (1 + 0.02 * rng.standard_normal(shape)),
                rho * (1 + 0.05 * rng.standard_normal(shape)))  # fmt: skip
    d_obs = wb.forward(model.with_parameters(*observed), w, src, rec, dt, "sinc")
    d0 = data("m", model.m)
    g = wb.gradient(model, d0 - d_obs, w, src, rec, dt, "sinc", wrt=("m", "rho", "vp"))
    # measured slopes 0.91 .. 1.0002, 2.0000 .. 2.0001, 1.999 .. 2.0004; small steps: the misfit
    # is nearly flat in rho
    for name, base in (("m", model.m), ("rho", rho), ("vp", vp)):
        dx = rng.standard_normal(shape) * base * 0.05
        jdx = wb.born(model, dx, w, src, rec, dt, "sinc", wrt=name)
        assert_taylor_slopes(functools.partial(data, name), d_obs, g[name], jdx, base, dx,
                             1e-4 / 2.0 ** np.arange(5))  # fmt: skip


def test_checkpointed_gradient_is_bit_identical_to_full_storage():
    model, src, rec, dt, rng = _setting(2, "cpml", True, seed=4)
    nt = 40
    w, r = rng.standard_normal((nt, 2)), rng.standard_normal((nt, 5))
    full = wb.gradient(model, r, w, src, rec, dt, wrt=("m", "rho"), memory="full")
    plan = wb.gradient_plan(model, nt, dt, memory="full", nrec=5)
    small = plan.working_bytes + 3 * footprint.state_bytes(model)
    assert small < plan.peak_bytes
    assert wb.gradient_plan(model, nt, dt, memory=small, nrec=5).mode == "revolve"
    checkpointed = wb.gradient(model, r, w, src, rec, dt, wrt=("m", "rho"), memory=small)
    for name in ("m", "rho"):
        np.testing.assert_array_equal(full[name], checkpointed[name])


def test_the_limits_constant_density_and_no_loss():
    # A constant density scales out (wrho = w2 rho times L u / rho, the memory in those units):
    # the traces of rho = 1000 and rho = 2500 agree to rounding. As Q -> infinity the traces
    # tend to the lossless density model's.
    model, src, rec, dt, rng = _setting(2, "cpml", False, seed=5)
    w = wb.ricker(100.0, dt, 60)
    light, heavy = (wb.forward(model.with_rho(np.full(model.shape, rho)), w, src, rec, dt)
                    for rho in (1000.0, 2500.0))  # fmt: skip
    # measured 1.2e-15
    assert np.linalg.norm(light - heavy) <= 1e-13 * np.linalg.norm(light)
    lossless = wb.Model(model.vp, 5.0, nbl=5, dtype="float64", rho=model.rho)
    quiet = wb.Model(model.vp, 5.0, nbl=5, dtype="float64", rho=model.rho,
                     attenuation=wb.ConstantQ(1e9, (20, 200)))  # fmt: skip
    d0 = wb.forward(lossless, w, src, rec, dt)
    d1 = wb.forward(quiet, w, src, rec, dt)
    np.testing.assert_allclose(d1, d0, rtol=0, atol=1e-7 * np.abs(d0).max())  # measured 6.8e-9
    nz, nx = quiet.padded_shape
    assert wb.Propagator(quiet, dt).new_state().memory[0].shape == (
        quiet.sls.n_mechanisms,
        nz,
        1,
        nx,
    )


def test_an_interface_in_an_attenuating_medium_reflects_with_the_impedance_coefficient():
    # As test_density.test_density_interface_reflects_with_the_impedance_coefficient, with
    # Q = 30 on both sides: equal complex velocities, so R = (rho2 - rho1) / (rho2 + rho1) at
    # every frequency and angle, and above the interface the exact field is the attenuating
    # direct wave plus R times the attenuating wave of the image source.
    h, c, f0 = 5.0, 1500.0, 15.0
    rho1, rho2 = 1000.0, 2500.0
    att = wb.ConstantQ(30.0, (3.0, 60.0))
    rho = np.repeat(np.where(np.arange(61) <= 30, rho1, rho2)[:, None], 81, axis=1)
    model = wb.Model(np.full(rho.shape, c), h, rho=rho, attenuation=att)
    src = np.array([[100.37, 150.37]])
    rec = np.array([[60.3, 150.2], [60.3, 210.6], [80.8, 270.9], [120.4, 330.1]])
    dt = 0.2 * h / c
    w = wb.ricker(f0, dt, int(round(0.36 / dt)), t0=1.5 / f0)
    d = wb.forward(model, w, src, rec, dt, "sinc")
    image = src * [-1.0, 1.0] + [2 * 30.5 * h, 0.0]
    r = (rho2 - rho1) / (rho2 + rho1)
    distances = (np.linalg.norm(rec - src, axis=1), np.linalg.norm(rec - image, axis=1))

    def error(trace):
        exact = trace(distances[0]) + r * trace(distances[1])
        return np.linalg.norm(d - exact, axis=0) / np.linalg.norm(exact, axis=0)

    # measured 0.48 % .. 1.0 % (float32, 20 points per wavelength at the peak frequency)
    assert np.all(error(lambda x: attenuating_trace(w, dt, x, c, att, 2)) < 0.02)
    # the lossless exact field (the interface without the loss) is 5.5 % .. 17 % off
    assert np.all(error(lambda x: analytic_trace(w, dt, x, c, 2)) > 0.04)
