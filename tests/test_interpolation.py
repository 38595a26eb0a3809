import numpy as np
import pytest

import waveback as wb
from waveback.physics import kernels
from waveback.physics.interpolation import check_points, point_stencils, shape3
from waveback.physics.propagation import Propagator
from waveback.verification.checks import dot_error


def _model(ndim=2, free_surface=False, nbl=6, dtype="float64"):
    shape = (14, 17) if ndim == 2 else (9, 10, 11)
    return wb.Model(
        np.full(shape, 1500.0),
        (2.0, 3.0, 4.0)[:ndim],
        origin=(-5.0, 1.0, 2.0)[:ndim],
        nbl=nbl,
        free_surface=free_surface,
        dtype=dtype,
    )


def _padded_field(model, func):
    """Sample func(coords) on every padded grid point (coordinates extend into the layers)."""
    axes = [
        o + h * (np.arange(n) - lo)
        for o, h, n, (lo, _) in zip(
            model.origin, model.spacing, model.padded_shape, model.pads, strict=True
        )
    ]
    return func(np.meshgrid(*axes, indexing="ij"))


def _sample(field, idx, w):
    out = np.zeros(idx.shape[0])
    kernels.sample(np.ascontiguousarray(field), idx, w, out)
    return out


@pytest.mark.parametrize("ndim", [2, 3])
def test_linear_weights_reproduce_linear_fields_exactly(ndim):
    model = _model(ndim)
    rng = np.random.default_rng(0)
    lo, hi = np.array(model.extent).T
    pts = lo + rng.random((20, ndim)) * (hi - lo)
    pts[0] = hi  # the last grid point is a legal position
    idx, w = point_stencils(check_points(pts, model, "rec"), model, "linear")
    coef = np.array([0.3, -1.2, 0.7])[:ndim]
    field = _padded_field(model, lambda X: 2.0 + sum(c * x for c, x in zip(coef, X, strict=True)))
    np.testing.assert_allclose(_sample(field, idx, w), 2.0 + pts @ coef, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-14)


def test_sinc_weights_interpolate_band_limited_fields():
    # Hicks (2002): r = 4, b = 6.31 keeps the error near 1e-3 up to 2/3 of Nyquist.
    model = _model(2, nbl=8)
    k = 0.5 * np.pi / np.array(model.spacing)  # half the Nyquist wavenumber on each axis
    pts = np.array([[3.3, 20.7], [7.9, 11.1], [-5.0, 1.0]])
    idx, w = point_stencils(check_points(pts, model, "rec"), model, "sinc")
    field = _padded_field(model, lambda X: np.cos(k[0] * X[0] + 0.3) * np.sin(k[1] * X[1]))
    exact = np.cos(k[0] * pts[:, 0] + 0.3) * np.sin(k[1] * pts[:, 1])
    np.testing.assert_allclose(_sample(field, idx, w), exact, atol=2e-3)


def test_on_grid_points_get_a_single_unit_weight_with_both_schemes():
    model = _model(2, nbl=8)
    pts = np.array([[model.origin[0] + 4 * 2.0, model.origin[1] + 5 * 3.0]])
    for method in ("linear", "sinc"):
        idx, w = point_stencils(pts, model, method)
        big = np.abs(w) > 1e-12
        assert big.sum() == 1 and w[big][0] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("ndim", [2, 3])
def test_shape3_is_the_propagators_grid_and_the_layout_of_the_stencils(ndim):
    model = _model(ndim, nbl=8)
    padded = model.padded_shape
    assert shape3(padded) == ((padded[0], 1, padded[1]) if ndim == 2 else padded)
    assert Propagator(model, 0.5 * model.critical_dt()).shape == shape3(padded)
    cell = (4, 5, 6)[:ndim]
    pts = np.array([[o + i * h for o, i, h in zip(model.origin, cell, model.spacing, strict=True)]])
    idx, w = point_stencils(pts, model, "linear")
    flat = idx[0, np.argmax(np.abs(w[0]))]
    padded_cell = [i + lo for i, (lo, _) in zip(cell, model.pads, strict=True)]
    expected = padded_cell if ndim == 3 else [padded_cell[0], 0, padded_cell[1]]
    assert [int(i) for i in np.unravel_index(flat, shape3(padded))] == expected


def test_free_surface_folding_samples_the_mirrored_field():
    # Under a free surface the rows above z = origin hold -u of their mirror rows, so a stencil
    # that reaches above the surface must equal the folded stencil applied to the field below.
    model = _model(2, free_surface=True, nbl=8)
    pts = np.array([[model.origin[0] + 1.3, 7.7], [model.origin[0], 12.0]])
    idx, w = point_stencils(check_points(pts, model, "rec"), model, "sinc")
    assert idx.min() >= model.halo * model.padded_shape[1]  # nothing above the surface row
    rng = np.random.default_rng(1)
    field = rng.standard_normal(model.padded_shape)
    r = model.halo
    field[r] = 0.0
    field[:r] = -field[2 * r : r : -1]
    x = np.arange(model.padded_shape[1])
    z = np.arange(model.padded_shape[0])
    unfolded = []
    for p in pts:
        g = (p - np.array(model.origin)) / np.array(model.spacing) + np.array([r, model.pads[1][0]])
        wz = np.sinc(z - g[0]) * np.i0(6.31 * np.sqrt(np.clip(1 - ((z - g[0]) / 4) ** 2, 0, None)))
        wx = np.sinc(x - g[1]) * np.i0(6.31 * np.sqrt(np.clip(1 - ((x - g[1]) / 4) ** 2, 0, None)))
        wz[np.abs(z - g[0]) >= 4] = 0
        wx[np.abs(x - g[1]) >= 4] = 0
        unfolded.append(wz @ field @ wx / np.i0(6.31) ** 2)
    np.testing.assert_allclose(_sample(field, idx, w), unfolded, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("method", ["linear", "sinc"])
def test_injection_is_the_transpose_of_sampling(method):
    model = _model(3, nbl=5)
    rng = np.random.default_rng(2)
    lo, hi = np.array(model.extent).T
    pts = lo + rng.random((7, 3)) * (hi - lo)
    idx, w = point_stencils(pts, model, method)
    u = rng.standard_normal(model.padded_shape)
    d = rng.standard_normal(7)
    injected = np.zeros(model.padded_shape)
    kernels.inject(injected, idx, w, d)
    lhs, rhs = _sample(u, idx, w) @ d, np.sum(u * injected)
    assert dot_error(lhs, rhs) < 1e-13


def test_points_outside_the_model_are_refused_with_the_range():
    model = _model(2)
    with pytest.raises(ValueError, match=r"src\[1\].*outside the model along axis 1.*\[1, 49\] m"):
        check_points([[0.0, 5.0], [0.0, 50.0]], model, "src")
    with pytest.raises(ValueError, match="shape"):
        check_points(np.zeros((3, 3)), model, "rec")
    with pytest.raises(ValueError, match="NaN"):
        check_points([[np.nan, 5.0]], model, "rec")


def test_sinc_stencil_in_the_halo_is_refused():
    model = _model(2, nbl=2)
    with pytest.raises(ValueError, match="increase nbl"):
        point_stencils(np.array([[-5.0, 1.0]]), model, "sinc")
    with pytest.raises(ValueError, match="interpolation must be one of"):
        point_stencils(np.array([[-5.0, 1.0]]), model, "cubic")
