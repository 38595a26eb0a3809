"""Forward propagation against analytic solutions, its convergence, and its input checks."""

import re

import numpy as np
import pytest

import waveback as wb
from waveback.verification.analytic import analytic_trace

C = 1500.0  # m/s
F0 = 15.0  # Hz; 20 points per wavelength at h = 5 m


def _homogeneous(ndim, h, length, **kw):
    n = int(round(length / h)) + 1
    return wb.Model(np.full((n,) * ndim, C), h, **kw)


def _rel(a, b):
    return np.linalg.norm(a - b, axis=0) / np.linalg.norm(b, axis=0)


def _run(model, src, rec, dt, t_end, interpolation="sinc", t0=1.5 / F0):
    nt = int(round(t_end / dt))
    w = wb.ricker(F0, dt, nt, t0=t0)
    return w, wb.forward(model, w, src, rec, dt, interpolation=interpolation)


@pytest.mark.parametrize(
    "ndim, length, t_end, bound",
    [
        (2, 600.0, 0.3, 0.005),  # measured 0.21 % / 0.24 %
        (3, 300.0, 0.2, 0.005),  # measured 0.28 % / 0.32 %
    ],
)
def test_sinc_order8_matches_analytic_green_function(ndim, length, t_end, bound):
    # Off-grid source and receivers, float32, ~20 points per wavelength of the peak frequency.
    h = 5.0
    model = _homogeneous(ndim, h, length)
    src = np.full((1, ndim), length / 2 + 0.37 * h)
    rec = src + np.array([[100.3] + [0.0] * (ndim - 1), [0.0] * (ndim - 1) + [110.6]])
    dt = 0.2 * h / C
    w, d = _run(model, src, rec, dt, t_end)
    assert d.dtype == np.float32
    exact = analytic_trace(w, dt, np.linalg.norm(rec - src, axis=1), C, ndim)
    assert np.all(_rel(d, exact) < bound)


def _linear_interpolation_error(trace, dt, delta, h):
    """Relative L2 error that linear interpolation at fractional offset delta adds to a wave
    travelling along the offset's axis: |(1-δ)e^{ikδh} + δe^{-ik(1-δ)h} - 1| per frequency."""
    spec = np.fft.rfft(trace, 8 * len(trace))
    k = 2 * np.pi * np.fft.rfftfreq(8 * len(trace), dt) / C
    eps = (1 - delta) * np.exp(1j * k * delta * h) + delta * np.exp(-1j * k * (1 - delta) * h) - 1
    return np.linalg.norm(eps * spec) / np.linalg.norm(spec)


@pytest.mark.parametrize("delta", [0.25, 0.5])
def test_linear_receiver_error_is_what_interpolation_theory_predicts(delta):
    h = 5.0
    model = _homogeneous(2, h, 600.0, dtype="float64")
    src = np.array([[300.0, 200.0]])  # on the grid: only the receiver is interpolated
    rec = np.array([[300.0, 350.0 + delta * h]])
    dt = 0.1 * h / C
    w, d_lin = _run(model, src, rec, dt, 0.3, interpolation="linear")
    _, d_sinc = _run(model, src, rec, dt, 0.3, interpolation="sinc")
    exact = analytic_trace(w, dt, np.linalg.norm(rec - src, axis=1), C, 2)
    scheme = _rel(d_sinc, exact)[0]  # everything but the interpolation
    predicted = _linear_interpolation_error(exact[:, 0], dt, delta, h)
    measured = _rel(d_lin, exact)[0]
    assert predicted > 5 * scheme  # the test resolves the interpolation error
    assert predicted - scheme <= measured <= predicted + scheme


def test_time_convergence_is_second_order():
    # On-grid points and order 16 leave the leapfrog's O(dt^2) error; CFL number fixed.
    errors = []
    for h in (10.0, 5.0):
        model = _homogeneous(2, h, 600.0, dtype="float64", space_order=16)
        src, rec = np.array([[300.0, 300.0]]), np.array([[300.0, 450.0]])
        dt = 0.3 * h / C
        w, d = _run(model, src, rec, dt, 0.3)
        errors.append(_rel(d, analytic_trace(w, dt, [150.0], C, 2))[0])
    # measured 2.42 % -> 0.61 %: slope 2.00
    assert np.log2(errors[0] / errors[1]) == pytest.approx(2.0, abs=0.15)


@pytest.mark.filterwarnings("ignore:grid dispersion")  # coarse on purpose
@pytest.mark.parametrize("order, expected", [(2, 2.0), (4, 4.0)])
def test_space_convergence_has_the_stencil_order(order, expected):
    errors = []
    for h in (10.0, 5.0):
        model = _homogeneous(2, h, 600.0, dtype="float64", space_order=order)
        src, rec = np.array([[300.0, 300.0]]), np.array([[300.0, 450.0]])
        dt = 0.02 * h / C
        w, d = _run(model, src, rec, dt, 0.3)
        errors.append(_rel(d, analytic_trace(w, dt, [150.0], C, 2))[0])
    # measured slopes 2.13 (order 2: 30 % -> 6.9 %) and 3.97 (order 4: 3.7 % -> 0.24 %)
    assert np.log2(errors[0] / errors[1]) == pytest.approx(expected, abs=0.3)


def test_free_surface_matches_image_source_solution():
    # Pressure release at z = 0: u = G(source) - G(image source at -z_s).
    h = 5.0
    model = _homogeneous(2, h, 600.0, free_surface=True)
    src = np.array([[31.3, 300.0]])
    rec = np.array([[12.2, 400.0], [12.2, 480.0]])
    dt = 0.2 * h / C
    w, d = _run(model, src, rec, dt, 0.3)
    image = src * np.array([-1.0, 1.0])
    exact = analytic_trace(w, dt, np.linalg.norm(rec - src, axis=1), C, 2) - analytic_trace(
        w, dt, np.linalg.norm(rec - image, axis=1), C, 2
    )
    assert np.all(_rel(d, exact) < 0.01)  # measured 0.27 % / 0.50 %


def test_initial_pressure_matches_spherical_solution_3d():
    # Radial Gaussian p0 = exp(-r²/s²): r u(r, t) = [(r-ct) p0(r-ct) + (r+ct) p0(r+ct)] / 2.
    h, sigma = 5.0, 15.0
    model = _homogeneous(3, h, 200.0)
    centre = np.array([100.0, 100.0, 100.0])
    axes = [np.arange(n) * h - c for n, c in zip(model.shape, centre, strict=True)]
    radius = np.sqrt(sum(x**2 for x in np.meshgrid(*axes, indexing="ij")))
    p0 = np.exp(-(radius**2) / sigma**2)
    rec = centre + np.array([[60.0, 0.0, 0.0], [0.0, 35.0, 35.0], [0.0, 0.0, 0.0]])
    dt = 0.2 * h / C
    nt = int(0.07 / dt)
    d = wb.forward(model, np.zeros(nt), None, rec, dt, initial_pressure=p0)
    t = np.arange(nt) * dt
    r = np.linalg.norm(rec - centre, axis=1)[None, :2]
    f = lambda s: s * np.exp(-(s**2) / sigma**2)  # noqa: E731
    exact = (f(r - C * t[:, None]) + f(r + C * t[:, None])) / (2 * r)
    assert np.all(_rel(d[:, :2], exact) < 0.01)  # measured 0.71 % / 0.64 %
    at_centre = (1 - 2 * (C * t / sigma) ** 2) * np.exp(-((C * t / sigma) ** 2))
    assert _rel(d[:, 2], at_centre) < 0.01  # measured 0.23 %
    assert d[0, 2] == pytest.approx(1.0, rel=1e-6)


def test_sources_superpose_with_their_own_wavelets():
    model = wb.Model(1500 + 500 * np.random.default_rng(0).random((30, 40)), 5.0, dtype="float64")
    src = np.array([[40.0, 60.0], [100.2, 120.9]])
    rec = np.array([[10.0, 10.0], [130.0, 170.0]])
    dt, nt = 1e-3, 150
    w = np.stack([wb.ricker(20.0, dt, nt), wb.gaussian_derivative(25.0, dt, nt)], axis=1)
    both = wb.forward(model, w, src, rec, dt, interpolation="sinc")
    each = sum(wb.forward(model, w[:, i], src[i : i + 1], rec, dt, "sinc") for i in range(2))
    np.testing.assert_allclose(both, each, rtol=0, atol=1e-12 * np.abs(both).max())


@pytest.mark.parametrize("boundary", ["sponge", "cpml"])
def test_reciprocity_in_a_heterogeneous_medium(boundary):
    # The discrete Green's function is symmetric for the sponge and the free surface (a symmetric
    # operator); the CPML is not self-adjoint, so it is reciprocal only to its reflection level.
    rng = np.random.default_rng(3)
    vp = 1500 + 1000 * rng.random((30, 36))
    model = wb.Model(vp, 5.0, boundary=boundary, free_surface=True, dtype="float64")
    a, b = np.array([[12.3, 40.1]]), np.array([[120.7, 150.2]])
    dt = 0.5 * model.critical_dt()
    w = wb.ricker(25.0, dt, 300)
    ab = wb.forward(model, w, a, b, dt, "sinc")
    ba = wb.forward(model, w, b, a, dt, "sinc")
    bound = 1e-10 if boundary == "sponge" else 1e-2
    assert _rel(ab, ba)[0] < bound


def test_snapshots_return_the_sampled_wavefield():
    model = _homogeneous(2, 5.0, 200.0, dtype="float64")
    dt = 0.5 * model.critical_dt()
    w = wb.ricker(20.0, dt, 120)
    rec = np.array([[50.0, 75.0]])
    d, fields = wb.forward(model, w, [[100.0, 100.0]], rec, dt, snapshots=[0, 60, 119])
    assert fields.shape == (3,) + model.shape
    assert np.all(fields[0] == 0)
    assert d[60, 0] == pytest.approx(fields[1][10, 15], rel=1e-12)
    assert d[119, 0] == pytest.approx(fields[2][10, 15], rel=1e-12)
    with pytest.raises(
        ValueError, match=r"^snapshots must be distinct time indices, got \[5, 5\]$"
    ):
        wb.forward(model, w, [[100.0, 100.0]], rec, dt, snapshots=[5, 5])


def test_float32_path_stays_float32_and_agrees_with_float64():
    models = [_homogeneous(2, 5.0, 200.0, dtype=t) for t in ("float32", "float64")]
    prop = wb.Propagator(models[0], 1e-3)
    state = prop.new_state()
    arrays = [
        prop.w2,
        state.u,
        state.u_prev,
        *state.psi,
        *state.zeta,
        *(p for ab in prop.prof for p in ab),
    ]
    assert all(a.dtype == np.float32 for a in arrays)
    assert all(type(v) is np.float32 for c in prop.c + prop.g for v in c)
    w = wb.ricker(20.0, 1e-3, 200)
    d32, d64 = (wb.forward(m, w, [[100.0, 100.0]], [[20.0, 30.0]], 1e-3) for m in models)
    assert d32.dtype == np.float32 and d64.dtype == np.float64
    assert _rel(d32.astype(np.float64), d64)[0] < 1e-5


def test_unstable_dt_is_refused_with_the_limit():
    model = _homogeneous(2, 5.0, 100.0)
    limit = model.critical_dt()
    with pytest.raises(ValueError, match=f"largest stable time step .* is {limit:.6g} s"):
        wb.forward(model, np.zeros(10), [[50.0, 50.0]], [[50.0, 60.0]], 1.01 * limit)
    with pytest.raises(ValueError, match="positive"):
        wb.forward(model, np.zeros(10), [[50.0, 50.0]], [[50.0, 60.0]], -1e-3)


def test_coarse_grid_warns_about_dispersion_with_numbers():
    model = _homogeneous(2, 20.0, 400.0)
    with pytest.warns(UserWarning, match=r"only 1\.\d+ points per wavelength.*refine the grid"):
        wb.forward(model, wb.ricker(30.0, 1e-3, 100), [[200.0, 200.0]], [[100.0, 100.0]], 1e-3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(src=[[50.0, 500.0]]), r"src\[0\].*outside the model"),
        (dict(rec=[[-1.0, 50.0]]), r"rec\[0\].*outside the model"),
        (dict(src=[[1.0, 2.0, 3.0]]), r"src must have shape \(nsrc, 2\)"),
        (dict(wavelet=np.zeros((10, 3))), "3 columns but there are 1 sources"),
        (dict(wavelet=np.full(10, np.nan)), "wavelet contains NaN"),
        (dict(interpolation="nearest"), "interpolation must be one of"),
        (dict(src=None), "nothing to propagate"),
    ],
)
def test_bad_forward_input_is_refused(kwargs, message):
    model = _homogeneous(2, 5.0, 100.0)
    args = dict(wavelet=np.zeros(10), src=[[50.0, 50.0]], rec=[[50.0, 60.0]], dt=1e-4)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        wb.forward(model, **args)


def test_bad_initial_pressure_is_refused():
    model = _homogeneous(2, 5.0, 100.0)
    with pytest.raises(ValueError, match="initial_pressure must have the model's shape"):
        wb.forward(model, np.zeros(10), None, [[50.0, 60.0]], 1e-4, initial_pressure=np.ones(3))


def test_steered_plane_wave_from_a_delayed_array_travels_at_its_angle():
    # 61 elements along x at z = 10 m fire with plane-wave delays for 20 degrees; the arrival
    # time along a line at depth must follow t = t0 + (x sin + z cos) / c across the beam.
    h = 2.0
    model = _homogeneous(2, h, 240.0, dtype="float64")
    x = np.arange(60.0, 180.1, h)
    src = np.stack([np.full(x.size, 10.0), x], axis=1)
    angle = np.deg2rad(20.0)
    dt = 0.5 * model.critical_dt()
    tau = wb.plane_wave_delays(src, 20.0, C)  # degrees
    w = wb.delayed(wb.ricker(60.0, dt, int(0.12 / dt), t0=1 / 60.0), tau, dt)
    rec = np.stack([np.full(5, 90.0), np.linspace(130.0, 150.0, 5)], axis=1)
    d = wb.forward(model, w, src, rec, dt)
    picked = np.argmax(d, axis=0) * dt
    expected = (rec[:, 1] - x[0]) * np.sin(angle) / C + (rec[:, 0] - 10.0) * np.cos(angle) / C
    assert np.ptp(picked - expected) < 3 * dt  # the wavefront is straight and tilted by 20°


def test_float32_kernels_do_no_float64_arithmetic():
    # Numba promotes float32 with a Python int to float64. Compile each row kernel afresh (the
    # disk cache hides the IR) with the float32 arguments a propagator passes, and look for
    # double arithmetic or float-to-double extension in its LLVM IR.
    from numba import njit

    from waveback.physics import cpml_kernels, kernels

    prop = wb.Propagator(wb.Model(np.full((12, 14), 1500.0), 5.0, nbl=4), 1e-3)
    damped = wb.Propagator(wb.Model(np.full((12, 14), 1500.0), 5.0, nbl=4, boundary="sponge"), 1e-3)
    st = prop.new_state()
    u, v, w2 = st.u, st.u_prev, prop.w2
    rows = (*prop.c, *damped.sponge, 2, 4, prop.boxes[0])
    idx, weights = np.zeros((1, 4), np.int64), np.ones((1, 4), np.float32)
    calls = [
        (kernels._update_rows, (u, None, v, w2, *rows, None, None)),
        (kernels._update_rows, (u, v, w2.copy(), w2, *rows, None, None)),
        (kernels._update_rows, (u, None, v, w2, *rows, w2.copy(), (u, u, v))),
        (kernels.sample, (u, idx, weights, np.zeros(1, np.float32))),
        (kernels.inject, (u, idx, weights, np.ones(1, np.float32))),
        (kernels.scattering, (v, u, u, u, u, *prop.sponge)),
    ]
    cpml = (prop.c, prop.g, prop.prof)
    memory = (tuple(prop.sponge), st.psi, st.zeta, prop.memory_offsets, prop.x_slabs)
    calls += [
        (cpml_kernels._forward_rows, (u, None, v, w2, *cpml, *memory, prop.boxes[0], None)),
        (cpml_kernels._forward_rows, (u, v, w2.copy(), w2, *cpml, *memory, prop.boxes[0], None)),
    ]
    near, box = prop.near[:2], prop.boxes[0]
    adjoint = (u, v, w2, *cpml, near, prop.fold, *memory, prop.x_near, box)
    calls += [
        (cpml_kernels._adjoint_rows, (*adjoint, None, None)),
        (cpml_kernels._adjoint_rows, (*adjoint, w2.copy(), (u, u, v))),
    ]
    for kernel, args in calls:
        fresh = njit(fastmath=kernels.SERIAL["fastmath"])(kernel.py_func)
        fresh(*args)
        (llvm,) = fresh.inspect_llvm().values()
        assert "fmul" in llvm  # the IR is really there
        assert not re.search(r"f(add|sub|mul|div)[a-z ]* double|fpext float", llvm), kernel
