"""The exact discrete adjoint: dot-product, Born and Taylor tests over the option matrix."""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import waveback as wb
from waveback.verification.autodiff import (
    tape_adjoint,
    tape_gradient,
    tape_initial_pressure_adjoint,
)
from waveback.verification.checks import dot_error

OPTIONS = list(itertools.product([2, 3], ["cpml", "sponge"], [False, True], ["linear", "sinc"]))


def _setting(ndim, boundary, free_surface, seed, dtype="float64", space_order=8):
    """A random heterogeneous model with two off-grid sources and five off-grid receivers."""
    rng = np.random.default_rng(seed)
    shape = (14, 17) if ndim == 2 else (9, 10, 11)
    vp = 1500 + 1000 * rng.random(shape)
    model = wb.Model(
        vp,
        5.0,
        space_order=space_order,
        boundary=boundary,
        nbl=5,
        free_surface=free_surface,
        dtype=dtype,
    )
    lo, hi = np.array(model.extent).T
    src = lo + rng.random((2, ndim)) * (hi - lo)
    src[0, 0] = lo[0] + 1.5  # a source in the free surface's sinc reach
    rec = lo + rng.random((5, ndim)) * (hi - lo)
    dt = 0.8 * model.critical_dt()
    return model, src, rec, dt, rng


@pytest.mark.filterwarnings("ignore:grid dispersion")  # white-noise wavelets on purpose
@pytest.mark.parametrize("ndim, boundary, free_surface, interpolation", OPTIONS)
def test_adjoint_is_the_transpose_of_forward(ndim, boundary, free_surface, interpolation):
    model, src, rec, dt, rng = _setting(ndim, boundary, free_surface, seed=ndim)
    x = rng.standard_normal((60, 2))  # one wavelet per source
    y = rng.standard_normal((60, 5))
    fx = wb.forward(model, x, src, rec, dt, interpolation)
    fty = wb.adjoint(model, y, src, rec, dt, interpolation)
    assert fty.shape == (60, 2)
    assert dot_error(np.sum(fx * y), np.sum(x * fty)) < 1e-12  # measured 2e-16 .. 7e-15


@pytest.mark.parametrize("ndim, boundary, free_surface, interpolation", OPTIONS)
def test_gradient_is_the_transpose_of_born(ndim, boundary, free_surface, interpolation):
    model, src, rec, dt, rng = _setting(ndim, boundary, free_surface, seed=10 + ndim)
    nt = 60
    w = np.stack([wb.ricker(150.0, dt, nt), wb.ricker(120.0, dt, nt, t0=0.01)], axis=1)
    dm = rng.standard_normal(model.shape) * 1e-8
    r = rng.standard_normal((nt, 5))
    jdm = wb.born(model, dm, w, src, rec, dt, interpolation)
    g = wb.gradient(model, r, w, src, rec, dt, interpolation)
    assert g.shape == model.shape
    assert dot_error(np.sum(jdm * r), np.sum(dm * g)) < 1e-12  # measured 1e-16 .. 3e-14


@pytest.mark.filterwarnings("ignore:grid dispersion")
def test_float32_adjoint_agrees_to_single_precision():
    # Rounding of ~1e-7 per operation, accumulated over 60 steps of a few hundred operations
    # per point, leaves a few 1e-6 of relative dot-product mismatch: bound 1e-4.
    model, src, rec, dt, rng = _setting(2, "cpml", True, seed=5, dtype="float32")
    x = rng.standard_normal((60, 2))
    y = rng.standard_normal((60, 5))
    fx = wb.forward(model, x, src, rec, dt, "sinc").astype(np.float64)
    fty = wb.adjoint(model, y, src, rec, dt, "sinc").astype(np.float64)
    assert fty.dtype == np.float64 and wb.adjoint(model, y, src, rec, dt).dtype == np.float32
    assert dot_error(np.sum(fx * y), np.sum(x * fty)) < 1e-4


def _smooth_case(boundary, free_surface, seed):
    rng = np.random.default_rng(seed)
    shape = (20, 24)
    model = wb.Model(
        2000 + 300 * rng.random(shape),
        5.0,
        boundary=boundary,
        nbl=6,
        free_surface=free_surface,
        dtype="float64",
    )
    src = np.array([[20.3, 40.7]])
    rec = np.array([[10.0, 30.0], [80.0, 100.0], [50.0, 60.0]])
    dt = 0.6 * model.critical_dt()
    w = wb.ricker(60.0, dt, 150)

    def data(m):
        return wb.forward(model.with_vp(1 / np.sqrt(m)), w, src, rec, dt, "sinc")

    dm = rng.standard_normal(shape) * model.m * 0.05
    return model, src, rec, dt, w, data, dm, rng


def _slopes(errors):
    errors = np.array(errors)
    return np.log2(errors[:-1] / errors[1:])


@pytest.mark.parametrize("boundary, free_surface", [("cpml", False), ("sponge", True)])
def test_born_is_the_derivative_of_forward(boundary, free_surface):
    model, src, rec, dt, w, data, dm, _ = _smooth_case(boundary, free_surface, seed=1)
    d0 = data(model.m)
    jdm = wb.born(model, dm, w, src, rec, dt, "sinc")
    steps = 0.1 / 2.0 ** np.arange(5)
    rem = [np.linalg.norm(data(model.m + h * dm) - d0 - h * jdm) for h in steps]
    np.testing.assert_allclose(_slopes(rem), 2.0, atol=0.1)  # measured 1.998 .. 2.000


@pytest.mark.parametrize("boundary, free_surface", [("cpml", False), ("sponge", True)])
def test_gradient_passes_the_taylor_test(boundary, free_surface):
    model, src, rec, dt, w, data, dm, rng = _smooth_case(boundary, free_surface, seed=2)
    d_obs = data(model.m * (1 + 0.02 * rng.standard_normal(model.shape)))
    d0 = data(model.m)

    def misfit(m):
        return 0.5 * np.sum((data(m) - d_obs) ** 2)

    g = wb.gradient(model, d0 - d_obs, w, src, rec, dt, "sinc")
    phi0, slope = misfit(model.m), np.sum(g * dm)
    steps = 2.5e-4 / 2.0 ** np.arange(5)
    values = [misfit(model.m + h * dm) for h in steps]
    zeroth = [abs(v - phi0) for v in values]
    first = [abs(v - phi0 - h * slope) for v, h in zip(values, steps, strict=True)]
    np.testing.assert_allclose(_slopes(zeroth), 1.0, atol=0.1)
    np.testing.assert_allclose(_slopes(first), 2.0, atol=0.1)


def test_adjoint_input_checks():
    model, src, rec, dt, _ = _setting(2, "cpml", False, seed=0)
    with pytest.raises(ValueError, match=r"data must have shape \(nt, nrec\) = \(nt, 5\)"):
        wb.adjoint(model, np.zeros((10, 4)), src, rec, dt)
    with pytest.raises(ValueError, match="dm must have the model's shape"):
        wb.born(model, np.zeros(3), np.zeros(10), src, rec, dt)
    with pytest.raises(ValueError, match="residual has 9 time samples, the wavelet 10"):
        wb.gradient(model, np.zeros((9, 5)), np.zeros(10), src, rec, dt)


@pytest.mark.filterwarnings("ignore:grid dispersion")
@pytest.mark.parametrize("ndim, boundary, free_surface, interpolation", OPTIONS)
def test_initial_pressure_adjoint_is_the_transpose(ndim, boundary, free_surface, interpolation):
    model, _, rec, dt, rng = _setting(ndim, boundary, free_surface, seed=20 + ndim)
    p0 = rng.standard_normal(model.shape)
    y = rng.standard_normal((40, 5))
    fx = wb.forward(model, np.zeros(40), None, rec, dt, interpolation, initial_pressure=p0)
    fty = wb.adjoint_initial_pressure(model, y, rec, dt, interpolation)
    assert dot_error(np.sum(fx * y), np.sum(p0 * fty)) < 1e-12  # measured 2e-16 .. 9e-15


@pytest.mark.filterwarnings("ignore:grid dispersion")
@pytest.mark.parametrize("ndim, boundary, free_surface, interpolation", OPTIONS)
def test_hand_written_adjoints_match_the_tape(ndim, boundary, free_surface, interpolation):
    # The taped reverse pass (waveback.verification.autodiff) is independent of the
    # hand-written adjoint.
    model, src, rec, dt, rng = _setting(ndim, boundary, free_surface, seed=30 + ndim)
    nt = 30
    w = rng.standard_normal((nt, 2))
    r = rng.standard_normal((nt, 5))
    pairs = [
        (
            wb.adjoint(model, r, src, rec, dt, interpolation),
            tape_adjoint(model, r, src, rec, dt, interpolation),
        ),
        (
            wb.gradient(model, r, w, src, rec, dt, interpolation),
            tape_gradient(model, r, w, src, rec, dt, interpolation),
        ),
        (
            wb.adjoint_initial_pressure(model, r, rec, dt, interpolation),
            tape_initial_pressure_adjoint(model, r, rec, dt, nt, interpolation),
        ),
    ]
    for hand, tape in pairs:
        assert np.linalg.norm(hand - tape) / np.linalg.norm(tape) < 1e-10  # measured < 1e-14


DRAWN = {
    "order": st.sampled_from([2, 4, 6, 8, 16]),
    "boundary": st.sampled_from(["cpml", "sponge"]),
    "free_surface": st.booleans(),
    "interpolation": st.sampled_from(["linear", "sinc"]),
    "nbl": st.integers(4, 7),
    "nt": st.integers(30, 45),
    "seed": st.integers(0, 2**16),
}


@settings(max_examples=12, deadline=None, derandomize=True)
@given(**DRAWN)
def test_dot_tests_hold_for_drawn_configurations(
    order, boundary, free_surface, interpolation, nbl, nt, seed
):
    errors = _drawn_dot_errors(2, order, boundary, free_surface, interpolation, nbl, nt, seed)
    assert max(errors) <= 1e-12


@pytest.mark.slow
@settings(max_examples=150, deadline=None, derandomize=True)
@given(ndim=st.sampled_from([2, 3]), **DRAWN)
def test_dot_tests_hold_for_a_wide_sweep_in_2d_and_3d(
    ndim, order, boundary, free_surface, interpolation, nbl, nt, seed
):
    errors = _drawn_dot_errors(ndim, order, boundary, free_surface, interpolation, nbl, nt, seed)
    assert max(errors) <= 1e-12


def test_order16_cpml_under_a_free_surface_is_an_exact_transpose():
    # A model 6 points deep, less than r = 8: the z slab's stencils read the mirrored halo
    # (see test_cpml_kernels.test_transpose_folds_the_cpml_terms_read_through_the_free_surface).
    # Measured 1.1e-5 and 7.8e-7 before the transposed step folded those terms back.
    errors = _drawn_dot_errors(2, 16, "cpml", True, "linear", 4, 30, 65536)
    assert max(errors) <= 1e-12


def _drawn_dot_errors(ndim, order, boundary, free_surface, interpolation, nbl, nt, seed):
    """The forward/adjoint and born/gradient dot-test errors of one drawn configuration."""
    # Random configurations: any stencil order, layer width, odd or even nt, positions
    # anywhere in the model (on its edges too), float64. nt >= 30 lets the waves of every
    # source reach every receiver (30 cells apart at most, one cell per step at order 2), so
    # no drawn case passes on all-zero data.
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(6, 16 if ndim == 2 else 10, size=ndim))
    model = wb.Model(
        1500 + 1000 * rng.random(shape),
        (4.0, 5.0, 4.5)[:ndim],
        space_order=order,
        boundary=boundary,
        nbl=nbl,
        free_surface=free_surface,
        dtype="float64",
    )
    lo, hi = np.array(model.extent).T
    src = lo + rng.random((2, ndim)) * (hi - lo)
    rec = lo + rng.random((3, ndim)) * (hi - lo)
    rec[0] = hi  # the far corner is a legal position
    dt = 0.9 * model.critical_dt()
    x, y = rng.standard_normal((nt, 2)), rng.standard_normal((nt, 3))
    dm = rng.standard_normal(shape) * 1e-8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fx = wb.forward(model, x, src, rec, dt, interpolation)
        jdm = wb.born(model, dm, x, src, rec, dt, interpolation)
        g = wb.gradient(model, y, x, src, rec, dt, interpolation)
    fty = wb.adjoint(model, y, src, rec, dt, interpolation)
    assert np.all(np.abs(fx).max(axis=0) > 0) and np.all(np.abs(jdm).max(axis=0) > 0)
    pairs = ((np.sum(fx * y), np.sum(x * fty)), (np.sum(jdm * y), np.sum(dm * g)))
    return [dot_error(lhs, rhs) for lhs, rhs in pairs]


def test_velocity_gradient_matches_finite_differences():
    model, src, rec, dt, w, data, _, rng = _smooth_case("cpml", False, seed=3)
    vp = model.vp.astype(np.float64)
    d_obs = data(1 / (vp * (1 + 0.02 * rng.standard_normal(model.shape))) ** 2)
    residual = data(model.m) - d_obs
    g_v = wb.gradient_to_velocity(wb.gradient(model, residual, w, src, rec, dt, "sinc"), vp)
    dv = rng.standard_normal(model.shape) * 10.0
    h = 1e-3

    def misfit(v):
        return 0.5 * np.sum((data(1 / v**2) - d_obs) ** 2)

    fd = (misfit(vp + h * dv) - misfit(vp - h * dv)) / (2 * h)
    assert np.sum(g_v * dv) == pytest.approx(fd, rel=1e-6)  # measured 1.5e-9
    with pytest.raises(ValueError, match="same shape"):
        wb.gradient_to_velocity(np.zeros(3), vp)
