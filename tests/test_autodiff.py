"""The taped reference: it replays the forward exactly, and its vjps are exact transposes.

Tiny float64 grids (12 x 14 in 2D, 8 x 9 x 10 in 3D, nbl 4), random wavelets and velocities.
The forward's numba specialisations used are (2D, order 8), (2D, order 4) and (3D, order 4).
"""

import numpy as np
import pytest

import waveback as wb
import waveback.verification.autodiff as ad
from waveback.verification.checks import dot_error

pytestmark = pytest.mark.filterwarnings("ignore:grid dispersion")  # random wavelets on purpose

NT = 50
# name: (ndim, space_order, boundary, free_surface, interpolation, nsrc, initial_pressure)
CASES = {
    "2d-o8-cpml-linear": (2, 8, "cpml", False, "linear", 2, False),
    "2d-o8-sponge-fs-sinc-p0": (2, 8, "sponge", True, "sinc", 2, True),
    "2d-o4-cpml-fs-sinc-p0": (2, 4, "cpml", True, "sinc", 2, True),
    "2d-o4-sponge-p0-only": (2, 4, "sponge", False, "linear", 0, True),
    "3d-o4-cpml-linear": (3, 4, "cpml", False, "linear", 2, False),
    "3d-o4-cpml-fs-sinc-p0": (3, 4, "cpml", True, "sinc", 2, True),
    "3d-o4-sponge-fs-linear": (3, 4, "sponge", True, "linear", 2, False),
}


def _problem(name, seed=0):
    """Model, distinct random wavelets, sources, receivers, dt and initial pressure of a case."""
    ndim, order, boundary, free_surface, interpolation, nsrc, with_p0 = CASES[name]
    rng = np.random.default_rng(seed)
    shape = (12, 14) if ndim == 2 else (8, 9, 10)
    vp = 1500.0 + 800.0 * rng.random(shape)
    model = wb.Model(
        vp, 10.0, space_order=order, boundary=boundary, nbl=4, free_surface=free_surface,
        dtype="float64",
    )  # fmt: skip
    extent = np.array([hi for _, hi in model.extent])
    src = None if nsrc == 0 else (0.2 + 0.6 * rng.random((nsrc, ndim))) * extent
    rec = np.vstack([rng.random((3, ndim)) * extent, np.zeros(ndim)])  # one on the surface
    p0 = rng.standard_normal(shape) if with_p0 else None
    return dict(
        model=model,
        wavelet=rng.standard_normal((NT, nsrc)),
        src=src,
        rec=rec,
        dt=0.6 * model.critical_dt(),
        interpolation=interpolation,
        initial_pressure=p0,
    )


@pytest.mark.parametrize("name", CASES)
def test_taped_forward_equals_forward(name):
    p = _problem(name)
    expected = wb.forward(**p)
    run = ad.taped_forward(**p)
    assert np.linalg.norm(expected) > 0
    # measured 6e-16 to 1.9e-15 (summation order only)
    assert np.linalg.norm(run.data - expected) <= 1e-12 * np.linalg.norm(expected)


@pytest.mark.parametrize(
    "name", ["2d-o8-cpml-linear", "2d-o4-cpml-fs-sinc-p0", "3d-o4-sponge-fs-linear"]
)
def test_wavelet_adjoint_passes_the_dot_test(name):
    p = _problem(name)
    p.pop("initial_pressure")
    rng = np.random.default_rng(1)
    x = rng.standard_normal(p["wavelet"].shape)
    y = rng.standard_normal((NT, len(p["rec"])))
    forward = ad.taped_forward(**{**p, "wavelet": x}).data
    p.pop("wavelet")
    adjoint = ad.tape_adjoint(data_weights=y, nt=NT, **p)
    assert adjoint.shape == x.shape
    assert dot_error(np.vdot(forward, y), np.vdot(x, adjoint)) <= 1e-12  # measured 8e-16 to 1.6e-15


@pytest.mark.parametrize("name", ["2d-o8-sponge-fs-sinc-p0", "3d-o4-cpml-fs-sinc-p0"])
def test_initial_pressure_adjoint_passes_the_dot_test(name):
    p = _problem(name)
    rng = np.random.default_rng(2)
    y = rng.standard_normal((NT, len(p["rec"])))
    x = p["initial_pressure"]
    args = dict(model=p["model"], rec=p["rec"], dt=p["dt"], interpolation=p["interpolation"])
    forward = ad.taped_forward(wavelet=np.zeros(NT), src=None, initial_pressure=x, **args).data
    adjoint = ad.tape_initial_pressure_adjoint(data_weights=y, nt=NT, **args)
    assert adjoint.shape == x.shape
    assert (
        dot_error(np.vdot(forward, y), np.vdot(x, adjoint)) <= 1e-12
    )  # measured 1.1e-15 to 2.8e-15


def _misfit_problem(name):
    """``J(m) = 0.5 ||d(m) - d_obs||²``, its taped gradient at ``model.m``, and ``model.m``.

    ``d(m)`` is the taped forward, equal to :func:`waveback.forward` (previous test) and free of
    the thread start-up cost of the numba kernels on tiny grids.
    """
    p = _problem(name)
    rng = np.random.default_rng(3)
    m0 = p["model"].m
    d_obs = ad.taped_forward(**p, m=m0 * (1.0 + 0.1 * rng.standard_normal(m0.shape))).data

    def misfit(m):
        return 0.5 * np.sum((ad.taped_forward(**p, m=m).data - d_obs) ** 2)

    residual = ad.taped_forward(**p).data - d_obs
    return misfit, ad.tape_gradient(residual=residual, **p), m0


def _direction(kind, m0, rng):
    dm = m0 * rng.standard_normal(m0.shape)
    if kind == "edges":  # only the outermost model points: the padding's fold-back
        inside = tuple(slice(1, -1) for _ in m0.shape)
        dm[inside] = 0.0
    return dm


@pytest.mark.parametrize(
    "name, kind",
    [
        ("2d-o8-cpml-linear", "random"),
        ("2d-o4-cpml-fs-sinc-p0", "random"),
        ("2d-o4-cpml-fs-sinc-p0", "edges"),
        ("2d-o4-sponge-p0-only", "random"),
        ("3d-o4-cpml-linear", "random"),
        ("3d-o4-sponge-fs-linear", "edges"),
    ],
)
def test_gradient_matches_central_differences(name, kind):
    misfit, gradient, m0 = _misfit_problem(name)
    dm = _direction(kind, m0, np.random.default_rng(4))
    h = 1e-5  # relative perturbation of m; the O(h²) error is ~1e-8
    fd = (misfit(m0 + h * dm) - misfit(m0 - h * dm)) / (2 * h)
    assert dot_error(np.vdot(gradient, dm), fd) < 1e-6  # measured 2.6e-9 to 1.2e-8


@pytest.mark.parametrize("name", ["2d-o8-sponge-fs-sinc-p0", "3d-o4-cpml-linear"])
def test_taylor_remainder_decays_quadratically(name):
    misfit, gradient, m0 = _misfit_problem(name)
    dm = _direction("random", m0, np.random.default_rng(5))
    j0, slope = misfit(m0), np.vdot(gradient, dm)
    steps = 2e-2 / 2.0 ** np.arange(5)
    remainder = np.array([abs(misfit(m0 + h * dm) - j0 - h * slope) for h in steps])
    orders = np.log2(remainder[:-1] / remainder[1:])
    assert np.all(np.abs(orders - 2.0) <= 0.2)  # measured 2.01 to 2.09


def test_tape_memory_grows_linearly_with_nt():
    p = _problem("2d-o8-cpml-linear")
    model, nrec = p["model"], len(p["rec"])
    sizes = []
    for nt in (10, 20, 40):
        args = {**p, "wavelet": p["wavelet"][:nt], "residual": np.zeros((nt, nrec))}
        args.pop("initial_pressure")
        sizes.append(ad.tape_gradient(**args, return_tape_bytes=True)[1])
    per_step = (sizes[1] - sizes[0]) / 10
    assert sizes[2] - sizes[1] == 20 * per_step  # exactly linear
    # per step: w2's operands in the interior and in the two CPML axes, 3 padded wavefields,
    # plus the wavelet samples and their indices (2 sources: 32 bytes); measured 20192 bytes
    field = 8 * np.prod(model.padded_shape)
    assert 3 * field <= per_step <= 3 * field + 64


def _transpose_gap(op, shapes, rng):
    """Relative gap ``<A x, y>`` vs ``<x, A^T y>`` of a taped linear map of random inputs."""
    tape = ad.Tape()
    xs = [tape.input(rng.standard_normal(s)) for s in shapes]
    out = op(*xs)
    y = rng.standard_normal(out.value.shape)
    adjoints = tape.backward([(out, y)], xs)
    back = sum(np.vdot(x.value, a) for x, a in zip(xs, adjoints, strict=True))
    return dot_error(np.vdot(out.value, y), back)


SHAPE = (7, 1, 9)
BOX = (slice(2, 5), slice(0, 1), slice(2, 7))
IDX = np.array([[3, 10, 10], [62, 40, 3]])


@pytest.mark.parametrize(
    "op, shapes",
    [
        (lambda x: ad.stencil(x, (((0, 0, 0), -2.5), ((2, 0, 0), 1.1), ((0, 0, -1), 0.3)), (BOX,)),
         [SHAPE]),
        (lambda x: ad.gather(x, IDX), [SHAPE]),
        (lambda x: ad.scatter(x, np.array([[1, 5], [9, 20]]), SHAPE), [(2, 2)]),
        (lambda x: ad.sample(x, IDX, np.array([[0.2, -1.0, 0.5], [2.0, 0.1, 0.7]])), [SHAPE]),
        (lambda f, a: ad.inject(f, IDX, f.tape.input(np.ones((2, 3))), a), [SHAPE, (2,)]),
        (lambda x: ad.mirror(x, 2), [SHAPE]),
        (lambda x, y: ad.lincomb((np.arange(9.0), x), (-2.0, y)), [SHAPE, SHAPE]),
    ],
)  # fmt: skip
def test_linear_primitives_are_transposed_exactly(op, shapes):
    assert _transpose_gap(op, shapes, np.random.default_rng(6)) <= 1e-14


def test_fanned_out_adjoints_are_summed():
    tape = ad.Tape()
    x = tape.input([1.0, 2.0])
    y = ad.multiply(x, ad.lincomb((3.0, x)))  # y = 3 x², dy/dx = 6 x
    (adj,) = tape.backward([(y, np.ones(2))], [x])
    np.testing.assert_allclose(adj, [6.0, 12.0], rtol=1e-15, atol=0)
    (adj,) = tape.backward([(ad.reciprocal(x, 4.0), np.ones(2))], [x])
    np.testing.assert_allclose(adj, [-4.0, -1.0], rtol=1e-15, atol=0)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(model=wb.Model(np.full((6, 6), 1500.0), 10.0, nbl=4)), "runs in float64"),
        (dict(m=np.ones((3, 3))), r"m must have the model's shape \(12, 14\)"),
        (dict(m=-np.ones((12, 14))), "m must be finite and positive"),
        (dict(wavelet=np.zeros((NT, 3))), r"wavelet must have shape .* nsrc = 2"),
        (dict(src=None), "nothing to propagate"),
    ],
)
def test_bad_input_is_refused(change, message):
    p = _problem("2d-o8-cpml-linear")
    p.pop("initial_pressure")
    p.update(change)
    with pytest.raises(ValueError, match=message):
        ad.taped_forward(**p)


def test_data_weights_of_the_wrong_shape_are_refused():
    p = _problem("2d-o8-cpml-linear")
    run = ad.taped_forward(**p)
    with pytest.raises(ValueError, match=r"shape \(nt, nrec\) = \(50, 4\), got \(50, 3\)"):
        run.vjp(np.zeros((NT, 3)))


@pytest.mark.parametrize(
    "ndim, boundary, free_surface", [(2, "cpml", True), (2, "sponge", False), (3, "cpml", False)]
)
def test_density_tape_replays_forward_and_its_rho_gradient_matches_differences(
    ndim, boundary, free_surface
):
    rng = np.random.default_rng(8)
    shape = (12, 14) if ndim == 2 else (8, 9, 10)
    model = wb.Model(
        1500.0 + 800.0 * rng.random(shape), 10.0, space_order=4, boundary=boundary, nbl=4,
        free_surface=free_surface, dtype="float64", rho=1000.0 + 1500.0 * rng.random(shape),
    )  # fmt: skip
    extent = np.array([hi for _, hi in model.extent])
    p = dict(
        model=model,
        wavelet=rng.standard_normal((NT, 2)),
        src=(0.2 + 0.6 * rng.random((2, ndim))) * extent,
        rec=rng.random((3, ndim)) * extent,
        dt=0.6 * model.critical_dt(),
        interpolation="sinc",
    )
    run = ad.taped_forward(**p)
    expected = wb.forward(**p)
    # measured 7e-16 .. 1.1e-15 (summation order only)
    assert np.linalg.norm(run.data - expected) <= 1e-12 * np.linalg.norm(expected)
    d_obs = ad.taped_forward(**p, rho=model.rho * (1 + 0.1 * rng.standard_normal(shape))).data

    def misfit(rho):
        return 0.5 * np.sum((ad.taped_forward(**p, rho=rho).data - d_obs) ** 2)

    g = ad.tape_gradient(residual=run.data - d_obs, wrt="rho", **p)
    drho = model.rho * rng.standard_normal(shape)
    h = 1e-5
    fd = (misfit(model.rho + h * drho) - misfit(model.rho - h * drho)) / (2 * h)
    assert dot_error(np.vdot(g, drho), fd) < 1e-6  # measured 2.6e-10 .. 2.9e-9
    with pytest.raises(ValueError, match="only taped for a model with a density"):
        ad.taped_forward(**{**p, "model": model.with_rho(None)}, rho=model.rho)


# name: (ndim, boundary, free_surface, interpolation)
ATTENUATION_CASES = {
    "2d-cpml-linear": (2, "cpml", False, "linear"),
    "2d-sponge-fs-sinc": (2, "sponge", True, "sinc"),
    "3d-cpml-fs-sinc": (3, "cpml", True, "sinc"),
    "3d-sponge-linear": (3, "sponge", False, "linear"),
}


def _attenuating_problem(name, seed=9):
    """A case of :data:`ATTENUATION_CASES`: Q from 10 to 40 per point over 5-50 Hz."""
    ndim, boundary, free_surface, interpolation = ATTENUATION_CASES[name]
    rng = np.random.default_rng(seed)
    shape = (12, 14) if ndim == 2 else (8, 9, 10)
    vp, q = 1500.0 + 800.0 * rng.random(shape), 10.0 + 30.0 * rng.random(shape)
    settings = dict(
        space_order=4, boundary=boundary, nbl=4, free_surface=free_surface, dtype="float64"
    )
    model = wb.Model(vp, 10.0, **settings, attenuation=wb.ConstantQ(q, (5.0, 50.0)))
    extent = np.array([hi for _, hi in model.extent])
    p = dict(
        model=model,
        wavelet=rng.standard_normal((NT, 2)),
        src=(0.2 + 0.6 * rng.random((2, ndim))) * extent,
        rec=np.vstack([rng.random((3, ndim)) * extent, np.zeros(ndim)]),
        dt=0.6 * model.critical_dt(),
        interpolation=interpolation,
    )
    return p, rng, wb.Model(vp, 10.0, **settings)


@pytest.mark.parametrize("name", ATTENUATION_CASES)
def test_attenuating_tape_replays_forward_and_equals_the_hand_written_adjoints(name):
    p, rng, lossless_model = _attenuating_problem(name)
    model, nrec = p["model"], len(p["rec"])
    p0, y = rng.standard_normal(model.shape), rng.standard_normal((NT, nrec))
    runs = {"wavelet": ad.taped_forward(**p), "p0": ad.taped_forward(**p, initial_pressure=p0)}
    lossless = wb.forward(**{**p, "model": lossless_model})
    for key, run in runs.items():
        expected = wb.forward(**p, initial_pressure=p0 if key == "p0" else None)
        # measured 6e-16 .. 2.0e-15 (summation order only)
        assert np.linalg.norm(run.data - expected) <= 1e-12 * np.linalg.norm(expected), key
    # the memory variables matter: the lossless data differ by 10 % to 36 %
    assert np.linalg.norm(lossless - runs["wavelet"].data) > 0.05 * np.linalg.norm(lossless)
    solver = wb.Solver(model, p["dt"], p["src"], p["rec"], p["interpolation"])
    taped = {**runs["wavelet"].vjp(y), "initial_pressure": runs["p0"].vjp(y)["initial_pressure"]}
    hand = {
        "wavelet": solver.adjoint(y),
        "m": solver.gradient(y, p["wavelet"])[0],
        "initial_pressure": solver.adjoint_initial_pressure(y),
    }
    for key, value in hand.items():  # measured 5.6e-16 .. 1.7e-15
        assert np.linalg.norm(value - taped[key]) <= 1e-10 * np.linalg.norm(taped[key]), key
