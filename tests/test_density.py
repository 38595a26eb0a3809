"""Variable density: exact transposes, derivatives in m, rho and vp, stability, accuracy."""

import functools
import itertools

import numba
import numpy as np
import pytest
from test_checks import assert_taylor_slopes
from test_cpml_kernels import run_on_boxes, wavelet_map_matrices

import waveback as wb
import waveback.verification.autodiff as ad
from waveback.physics import kernels
from waveback.physics.density import half_depth
from waveback.physics.stencils import staggered_coefficients, staggered_critical_dt
from waveback.verification.analytic import analytic_trace
from waveback.verification.checks import dot_error

pytestmark = pytest.mark.filterwarnings("ignore:grid dispersion")  # random signals on purpose

OPTIONS = list(itertools.product([2, 3], ["cpml", "sponge"], [False, True], ["linear", "sinc"]))


def _setting(ndim, boundary, free_surface, seed, space_order=8, dtype="float64"):
    """A random model with strong density contrasts, two off-grid sources, five receivers."""
    rng = np.random.default_rng(seed)
    shape = (14, 17) if ndim == 2 else (9, 10, 11)
    model = wb.Model(
        1500 + 1000 * rng.random(shape),
        5.0,
        space_order=space_order,
        boundary=boundary,
        nbl=5,
        free_surface=free_surface,
        dtype=dtype,
        rho=1000 + 1500 * rng.random(shape),
    )
    lo, hi = np.array(model.extent).T
    src = lo + rng.random((2, ndim)) * (hi - lo)
    src[0, 0] = lo[0] + 1.5  # in the free surface's sinc reach
    rec = lo + rng.random((5, ndim)) * (hi - lo)
    return model, src, rec, 0.8 * model.critical_dt(), rng


def test_staggered_coefficients_are_exact_on_odd_polynomials():
    for order in (2, 4, 8, 16):
        beta = staggered_coefficients(order)
        k = np.arange(1, beta.size + 1)
        for p in range(1, order, 2):  # d/dx x^p at 0 from nodes ±(k - 1/2)
            terms = beta * ((k - 0.5) ** p - (0.5 - k) ** p)
            scale = np.abs(terms).sum()
            assert terms.sum() == pytest.approx(1.0 if p == 1 else 0.0, abs=1e-13 * scale)
    np.testing.assert_allclose(staggered_coefficients(4), [9 / 8, -1 / 24], rtol=1e-14)


@pytest.mark.parametrize("ndim, boundary, free_surface, interpolation", OPTIONS)
def test_adjoint_is_the_transpose_of_forward(ndim, boundary, free_surface, interpolation):
    model, src, rec, dt, rng = _setting(ndim, boundary, free_surface, seed=ndim)
    x, y = rng.standard_normal((60, 2)), rng.standard_normal((60, 5))
    fx = wb.forward(model, x, src, rec, dt, interpolation)
    fty = wb.adjoint(model, y, src, rec, dt, interpolation)
    assert np.abs(fx).max() > 0
    assert dot_error(np.sum(fx * y), np.sum(x * fty)) < 1e-12  # measured 1e-16 .. 7e-15
    p0 = rng.standard_normal(model.shape)
    fp = wb.forward(model, np.zeros(60), None, rec, dt, interpolation, initial_pressure=p0)
    fpy = wb.adjoint_initial_pressure(model, y, rec, dt, interpolation)
    assert dot_error(np.sum(fp * y), np.sum(p0 * fpy)) < 1e-12  # measured 0 .. 5e-14


@pytest.mark.parametrize("ndim, boundary, free_surface", [o[:3] for o in OPTIONS[::2]])
def test_gradient_is_the_transpose_of_born(ndim, boundary, free_surface):
    model, src, rec, dt, rng = _setting(ndim, boundary, free_surface, seed=10 + ndim)
    nt = 60
    w = np.stack([wb.ricker(150.0, dt, nt), wb.ricker(120.0, dt, nt, t0=0.01)], axis=1)
    r = rng.standard_normal((nt, 5))
    perturbations = {
        "m": rng.standard_normal(model.shape) * 1e-8,
        "rho": rng.standard_normal(model.shape) * 10.0,
        "vp": rng.standard_normal(model.shape) * 10.0,
    }
    g = wb.gradient(model, r, w, src, rec, dt, "sinc", wrt=("m", "rho", "vp"))
    assert set(g) == {"m", "rho", "vp"} and g["rho"].shape == model.shape
    for name, dx in perturbations.items():
        jdx = wb.born(model, dx, w, src, rec, dt, "sinc", wrt=name)
        assert dot_error(np.sum(jdx * r), np.sum(dx * g[name])) < 1e-12  # measured < 4e-15
    both = wb.born(model, {"m": perturbations["m"], "rho": perturbations["rho"]}, w, src, rec,
                   dt, "sinc", wrt=("m", "rho"))  # fmt: skip
    separate = sum(wb.born(model, perturbations[k], w, src, rec, dt, "sinc", wrt=k)
                   for k in ("m", "rho"))  # fmt: skip
    np.testing.assert_allclose(both, separate, rtol=0, atol=1e-12 * np.abs(separate).max())


def _smooth_case(boundary, free_surface, seed=2):
    rng = np.random.default_rng(seed)
    shape = (20, 24)
    vp, rho = 2000 + 300 * rng.random(shape), 1800 + 600 * rng.random(shape)
    model = wb.Model(
        vp, 5.0, boundary=boundary, nbl=6, free_surface=free_surface, dtype="float64", rho=rho
    )
    src = np.array([[20.3, 40.7]])
    rec = np.array([[10.0, 30.0], [80.0, 100.0], [50.0, 60.0]])
    dt = 0.6 * model.critical_dt()
    w = wb.ricker(60.0, dt, 150)

    def data(name, x):
        params = {"m": (1 / np.sqrt(x), rho), "rho": (vp, x), "vp": (x, rho)}[name]
        return wb.forward(model.with_parameters(*params), w, src, rec, dt, "sinc")

    d_obs = wb.forward(
        model.with_parameters(
            vp * (1 + 0.02 * rng.standard_normal(shape)),
            rho * (1 + 0.05 * rng.standard_normal(shape)),
        ),
        w, src, rec, dt, "sinc",
    )  # fmt: skip
    base = {"m": model.m, "rho": rho, "vp": vp}
    return model, src, rec, dt, w, data, d_obs, base, rng


@pytest.mark.parametrize("boundary, free_surface", [("cpml", False), ("sponge", True)])
def test_taylor_and_born_slopes_in_m_rho_and_vp(boundary, free_surface):
    model, src, rec, dt, w, data, d_obs, base, rng = _smooth_case(boundary, free_surface)
    d0 = data("m", model.m)
    g = wb.gradient(model, d0 - d_obs, w, src, rec, dt, "sinc", wrt=("m", "rho", "vp"))
    for name in ("m", "rho", "vp"):  # measured slopes 0.91 .. 1.04, 1.99 .. 2.00, 1.998 .. 2.001
        dx = rng.standard_normal(model.shape) * base[name] * 0.05
        jdx = wb.born(model, dx, w, src, rec, dt, "sinc", wrt=name)
        assert_taylor_slopes(functools.partial(data, name), d_obs, g[name], jdx, base[name], dx,
                             1e-2 / 2.0 ** np.arange(5))  # fmt: skip


def test_checkpointed_gradient_is_bit_identical_to_full_storage():
    model, src, rec, dt, rng = _setting(2, "cpml", True, seed=4)
    nt = 40
    w = rng.standard_normal((nt, 2))
    r = rng.standard_normal((nt, 5))
    full = wb.gradient(model, r, w, src, rec, dt, wrt=("m", "rho"), memory="full")
    field = 8 * int(np.prod(model.padded_shape))
    plan = wb.gradient_plan(model, nt, dt, memory=12 * field + 40 * field, nrec=5)
    assert plan.mode != "full"
    small = 12 * field + 40 * field
    checkpointed = wb.gradient(model, r, w, src, rec, dt, wrt=("m", "rho"), memory=small)
    for name in ("m", "rho"):
        np.testing.assert_array_equal(full[name], checkpointed[name])


def _update_matrix(prop):
    """``-W L`` on the points a step updates (below the surface under a free surface)."""
    model = prop.model
    rows = np.arange(int(np.prod(prop.shape))) // (prop.shape[1] * prop.shape[2])
    idx = np.flatnonzero(prop.updated_mask().reshape(-1) & (rows > model.halo * model.free_surface))
    a = np.zeros((idx.size, idx.size))
    for col, i in enumerate(idx):
        state = prop.new_state()
        state.u.reshape(-1)[i] = 1.0
        if model.free_surface:
            wb.propagation.kernels.mirror_free_surface(state.u, model.halo)
        prop.step(state)  # u_prev = 0: u_next = 2 u + W L u
        a[:, col] = 2.0 * (np.arange(idx.size) == col) - state.u.reshape(-1)[idx]
    return a


@pytest.mark.parametrize("ndim, free_surface", [(2, False), (2, True), (3, False)])
def test_a_run_at_the_stated_limit_stays_bounded(ndim, free_surface):
    # A 1:10 checkerboard of densities, a near-lossless sponge (K = 1 to 5e-13): at exactly
    # critical_dt the eigenvalues of -W L lie in [0, 4] (measured max 1.88: the bound is
    # safe, by sqrt(2) in dt for so extreme a contrast) and 3000 steps stay bounded.
    rng = np.random.default_rng(7)
    shape = (10, 12) if ndim == 2 else (6, 7, 8)
    model = wb.Model(
        1500 + 1000 * rng.random(shape), 5.0, space_order=4, boundary="sponge", nbl=2,
        reflection=1 - 1e-12, free_surface=free_surface, dtype="float64",
        rho=np.where(rng.random(shape) < 0.5, 300.0, 3000.0),
    )  # fmt: skip
    dt = model.critical_dt()
    assert dt < wb.Model(model.vp, 5.0, space_order=4, rho=1000.0).critical_dt()
    eigenvalues = np.linalg.eigvals(_update_matrix(wb.Propagator(model, dt)))
    assert np.abs(eigenvalues.imag).max() < 1e-12  # similar to a symmetric matrix
    assert -1e-12 < eigenvalues.real.min() and eigenvalues.real.max() <= 4.0
    if ndim == 2:
        nt = 3000
        wavelet = np.zeros(nt)
        wavelet[:20] = rng.standard_normal(20)
        centre = np.array(model.extent).mean(axis=1)[None]
        d = wb.forward(model, wavelet, centre, centre, dt)
        # measured late / early 0.96 and 1.02: no growth
        assert np.abs(d[-500:]).max() <= 1.5 * np.abs(d[:500]).max()
    with pytest.raises(ValueError, match="unstable"):
        wb.forward(model, np.zeros(5), np.zeros((1, ndim)), np.zeros((1, ndim)), 1.01 * dt)


def test_the_bound_is_the_von_neumann_limit_for_constant_density():
    # The staggered symbol at Nyquist is 2 sum |beta_k| / h per axis: the bound is tight.
    vp = np.full((10, 12), 2000.0)
    beta = np.abs(staggered_coefficients(8)).sum()
    expected = 2.0 / (2000.0 * np.sqrt(2 * (2 * beta / 5.0) ** 2))
    for rho in (1.0, 1000.0):
        got = staggered_critical_dt(vp, np.full(vp.shape, rho), (5.0, 5.0), 8)
        assert got == pytest.approx(expected, rel=1e-12)


def test_constant_density_matches_the_green_function():
    # A scalar rho: the staggered operator of the same order, any density, today's source
    # scaling: the analytic 2D trace to the discretisation error of the constant-density scheme.
    h, c = 5.0, 1500.0
    src = np.array([[150.37, 150.37]])
    rec = src + np.array([[80.3, 0.0], [0.0, 90.6]])
    dt = 0.2 * h / c
    w = wb.ricker(15.0, dt, int(round(0.25 / dt)), t0=0.1)
    exact = analytic_trace(w, dt, np.linalg.norm(rec - src, axis=1), c, 2)
    for rho in (None, 1.0, 2500.0):
        model = wb.Model(np.full((61, 61), c), h, rho=rho)
        d = wb.forward(model, w, src, rec, dt, "sinc")
        rel = np.linalg.norm(d - exact, axis=0) / np.linalg.norm(exact, axis=0)
        assert np.all(rel < 0.005)  # measured 0.18 % / 0.19 % (both schemes)


def test_half_point_layer_depth():
    xi = half_depth(12, 4, 3, 2, 2)  # layers: rows 2, 3 (nbl 2) and row 9; halo 2
    np.testing.assert_allclose(xi[:5], [0.0, 1.0, 0.75, 0.25, 0.0])
    np.testing.assert_allclose(xi[7:], [0.0, 0.25, 0.75, 0.0, 0.0])


def test_density_input_checks():
    vp = np.full((6, 7), 2000.0)
    with pytest.raises(ValueError, match="rho must be a scalar or have vp's shape"):
        wb.Model(vp, 5.0, rho=np.ones((3, 3)))
    with pytest.raises(ValueError, match="rho must be finite and positive"):
        wb.Model(vp, 5.0, rho=-1.0)
    model = wb.Model(vp, 5.0)
    src = rec = np.array([[10.0, 10.0]])
    with pytest.raises(ValueError, match="needs a model with a density"):
        wb.gradient(model, np.zeros((5, 1)), np.zeros(5), src, rec, 1e-4, wrt="rho")
    with pytest.raises(ValueError, match="wrt must be one of"):
        wb.gradient(model, np.zeros((5, 1)), np.zeros(5), src, rec, 1e-4, wrt="q")
    dense = model.with_rho(1000.0)
    assert dense.rho.shape == vp.shape and dense.with_vp(vp).rho is not None
    with pytest.raises(ValueError, match="dm must be a dict"):
        wb.born(dense, np.zeros(vp.shape), np.zeros(5), src, rec, 1e-4, wrt=("m", "rho"))


def test_the_shallowest_cpml_model_under_a_free_surface_is_an_exact_transpose():
    # r + 1 = 5 points deep at order 8: the z layer's half-point profile starts on the half
    # plane 2r, the first one the mirror does not copy; one point less is refused (below). (The
    # order the kernels are compiled for elsewhere in the tests; order 16 behaves the same.)
    rng = np.random.default_rng(4)
    shape = (5, 3)
    model = wb.Model(
        1500 + 1000 * rng.random(shape), 5.0, space_order=8, nbl=2, free_surface=True,
        dtype="float64", rho=1000 + 1500 * rng.random(shape),
    )  # fmt: skip
    forward, adjoint = wavelet_map_matrices(wb.Propagator(model, 0.8 * model.critical_dt()), 3)
    assert np.abs(adjoint - forward.T).max() <= 1e-14 * np.abs(forward).max()
    with pytest.raises(ValueError, match=r"more than space_order / 2 = 4 points in depth, got 4"):
        wb.Propagator(wb.Model(model.vp[:4], 5.0, space_order=8, free_surface=True, rho=1e3), 1e-4)


def assert_tape_matches_hand(model, src, rec, dt, rng, nt=30):
    """The taped forward equals the hand-written one, and its reverse pass the hand-written
    adjoint, gradients in ``m`` and ``rho`` and initial-pressure adjoint, to 1e-12 relative."""
    w, r = rng.standard_normal((nt, 2)), rng.standard_normal((nt, 5))
    run = ad.taped_forward(model, w, src, rec, dt, "sinc")
    expected = wb.forward(model, w, src, rec, dt, "sinc")
    assert np.linalg.norm(run.data - expected) <= 1e-12 * np.linalg.norm(expected)
    tape = run.vjp(r)
    g = wb.gradient(model, r, w, src, rec, dt, "sinc", wrt=("m", "rho"))
    pairs = [
        (wb.adjoint(model, r, src, rec, dt, "sinc"), tape["wavelet"]),
        (g["m"], tape["m"]),
        (g["rho"], tape["rho"]),
        (
            wb.adjoint_initial_pressure(model, r, rec, dt, "sinc"),
            ad.tape_initial_pressure_adjoint(model, r, rec, dt, nt, "sinc"),
        ),
    ]
    for hand, taped in pairs:
        assert np.linalg.norm(hand - taped) / np.linalg.norm(taped) < 1e-12


@pytest.mark.parametrize("ndim, boundary, free_surface", [(2, "cpml", True), (3, "sponge", False)])
def test_hand_written_adjoints_match_the_tape(ndim, boundary, free_surface):
    # measured < 2e-15 (summation order only)
    assert_tape_matches_hand(*_setting(ndim, boundary, free_surface, seed=30, space_order=4))


def test_density_interface_reflects_with_the_impedance_coefficient():
    # Equal vp, rho1 above and rho2 below an interface between rows 30 and 31, i.e. at
    # z = 30.5 h: above it the exact field is the direct wave plus R = (rho2 - rho1) /
    # (rho2 + rho1) times the wave of the image source (equal velocities: R is the same at
    # every angle). Off-grid source and receivers at four offsets, float32, 20 points per
    # wavelength at the peak frequency.
    h, c, f0 = 5.0, 1500.0, 15.0
    rho1, rho2 = 1000.0, 2500.0
    rho = np.repeat(np.where(np.arange(61) <= 30, rho1, rho2)[:, None], 81, axis=1)
    model = wb.Model(np.full(rho.shape, c), h, rho=rho)
    src = np.array([[100.37, 150.37]])
    rec = np.array([[60.3, 150.2], [60.3, 210.6], [80.8, 270.9], [120.4, 330.1]])
    dt = 0.2 * h / c
    w = wb.ricker(f0, dt, int(round(0.36 / dt)), t0=1.5 / f0)
    d = wb.forward(model, w, src, rec, dt, "sinc")
    direct = analytic_trace(w, dt, np.linalg.norm(rec - src, axis=1), c, 2)
    r = (rho2 - rho1) / (rho2 + rho1)

    def error(z_interface):
        image = src * [-1.0, 1.0] + [2 * z_interface, 0.0]
        exact = direct + r * analytic_trace(w, dt, np.linalg.norm(rec - image, axis=1), c, 2)
        return np.linalg.norm(d - exact, axis=0) / np.linalg.norm(exact, axis=0)

    assert np.all(error(30.5 * h) < 0.02)  # measured 0.53 % .. 1.1 %
    # the test resolves the interface's position: half a cell off gives 4 % .. 11 %
    assert np.all(error(30.0 * h) > 0.03) and np.all(error(31.0 * h) > 0.03)


@pytest.mark.parametrize("ndim, boundary, free_surface",
                         [(2, "cpml", False), (2, "cpml", True), (2, "sponge", False),
                          (3, "cpml", False), (3, "sponge", True)])  # fmt: skip
def test_steps_do_not_depend_on_the_work_partition_or_threads(ndim, boundary, free_surface):
    # The fused kernels recompute the flux lines next to a work item's edge in each item that
    # reads them; as long as no edge cuts a CPML memory range, every bit is the same.
    shape = (30, 26) if ndim == 2 else (22, 20, 18)
    rng = np.random.default_rng(3)
    model = wb.Model(1500 + 500 * rng.random(shape), 10.0, space_order=8, nbl=6,
                     boundary=boundary, free_surface=free_surface, dtype="float32",
                     rho=1000 + 1500 * rng.random(shape))  # fmt: skip
    prop = wb.Propagator(model, 1e-3)
    split, r = (0 if ndim == 2 else 1), prop.halos
    n = prop.shape[split]
    whole = [(max(a, r[split]), min(b, n - r[split])) for a, b in prop.memory_regions[split]]
    one = kernels.work_boxes(prop.shape, r[0], r[1], 1, whole=[(r[split], n - r[split])])
    many = kernels.work_boxes(prop.shape, r[0], r[1], 4, tile=2, whole=whole)
    assert len(one) == 1 and len(many) >= 3
    reference = run_on_boxes(prop, one, nt=12)
    assert np.abs(reference[-4]).max() > 0 and np.abs(reference[-1]).max() > 0
    threads = numba.get_num_threads()
    try:
        for count in (numba.config.NUMBA_NUM_THREADS, 1):  # all this process may use, then one
            numba.set_num_threads(count)
            for a, b in zip(reference, run_on_boxes(prop, many, nt=12), strict=True):
                assert np.array_equal(a, b)
    finally:
        numba.set_num_threads(threads)


@pytest.mark.parametrize("ndim", [2, 3])
def test_cpml_memory_of_a_density_model_is_stored_on_the_slabs(ndim):
    shape = (30, 26) if ndim == 2 else (22, 20, 18)
    vp = np.full(shape, 2000.0)
    model = wb.Model(vp, 10.0, space_order=8, nbl=6, rho=np.full(shape, 1000.0))
    state = wb.Propagator(model, 1e-3).new_state()
    plain = wb.Propagator(wb.Model(vp, 10.0, space_order=8, nbl=6), 1e-3).new_state()
    for a, b in zip((*state.psi, *state.zeta), (*plain.psi, *plain.zeta), strict=True):
        assert a.shape == b.shape
    assert sum(a.size for a in state.psi) < model.ndim * state.u.size
