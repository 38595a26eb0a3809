import numpy as np
import pytest

import waveback as wb
from waveback.data import files
from waveback.data.phantoms import grid_coordinates
from waveback.physics.model import per_axis


def test_padding_layout_and_extent():
    m = wb.Model(np.full((10, 12), 2000.0), (4.0, 5.0), origin=(100.0, -20.0), nbl=7)
    assert m.halo == 4
    assert m.pads == ((11, 11), (11, 11))
    assert m.padded_shape == (32, 34)
    assert m.extent == ((100.0, 136.0), (-20.0, 35.0))
    fs = wb.Model(np.full((10, 12, 8), 2000.0), 5.0, nbl=7, free_surface=True, space_order=4)
    assert fs.pads == ((2, 9), (9, 9), (9, 9))
    np.testing.assert_allclose(fs.m, 1 / 2000.0**2)


def test_pad_copies_edge_velocities_into_the_layers():
    vp = np.arange(1, 13, dtype=float).reshape(3, 4) * 100 + 1000
    m = wb.Model(vp, 1.0, nbl=2, space_order=2)
    padded = m.pad(vp)
    assert padded.shape == m.padded_shape
    np.testing.assert_array_equal(padded[:3, 3], vp[0, 0])
    np.testing.assert_array_equal(padded[3:6, 3:7], vp)


def test_default_profile_parameters_come_from_the_model():
    m = wb.Model(np.array([[1500.0, 3000.0], [2000.0, 2500.0]]), 10.0)
    assert m.pml_velocity == 3000.0
    assert m.pml_frequency == pytest.approx(7.5)  # 20 points per wavelength at vmin
    assert m.with_vp(np.full((2, 2), 4000.0)).pml_velocity == 3000.0  # fixed, not re-derived


@pytest.mark.parametrize(
    "vp, kwargs, message",
    [
        (np.full((4, 4), np.nan), {}, "NaN or infinite"),
        (np.full((4, 4), -1.0), {}, "must be positive everywhere"),
        (np.zeros((4, 4)), {}, "must be positive everywhere"),
        (np.ones(5), {}, "must be 2D"),
        (np.ones((1, 5)), {}, "at least 2 points"),
        (np.ones((4, 4)), dict(spacing=(1.0, 2.0, 3.0)), "one value per axis"),
        (np.ones((4, 4)), dict(spacing=0.0), "spacing must be positive"),
        (np.ones((4, 4)), dict(space_order=5), "space_order must be one of"),
        (np.ones((4, 4)), dict(boundary="pml"), "boundary must be one of"),
        (np.ones((4, 4)), dict(nbl=0), "nbl"),
        (np.ones((4, 4)), dict(dtype="float16"), "dtype must be float32 or float64"),
    ],
)
def test_bad_models_are_refused_with_a_clear_message(vp, kwargs, message):
    args = dict(spacing=1.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        wb.Model(vp, **args)


def test_per_axis_repeats_a_scalar_and_needs_one_value_per_axis():
    assert per_axis(2.5, 3, "spacing") == (2.5, 2.5, 2.5)
    assert per_axis(np.array([1, 2]), 2, "origin") == (1.0, 2.0)
    with pytest.raises(ValueError) as exc:
        per_axis([1.0, 2.0, 3.0], 2, "spacing")
    assert str(exc.value) == (
        "spacing must be a scalar or have one value per axis (2), got [1.0, 2.0, 3.0]"
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda path: wb.Model(np.ones((4, 4)), (1.0, 2.0, 3.0)),
        lambda path: grid_coordinates((4, 4), (1.0, 2.0, 3.0)),
        lambda path: files.write_image(path, np.zeros((4, 4)), (1.0, 2.0, 3.0), 0.0),
    ],
    ids=["Model", "models", "io"],
)
def test_every_grid_spacing_is_read_by_per_axis(call, tmp_path):
    with pytest.raises(ValueError) as exc:
        call(tmp_path / "image.h5")
    assert str(exc.value) == (
        "spacing must be a scalar or have one value per axis (2), got (1.0, 2.0, 3.0)"
    )
    assert list(tmp_path.iterdir()) == []


def test_nan_reports_its_position():
    vp = np.full((4, 5), 1500.0)
    vp[2, 3] = np.nan
    with pytest.raises(ValueError, match=r"first at index \(2, 3\)"):
        wb.Model(vp, 1.0)


@pytest.mark.parametrize(
    "dtype, name",
    [(np.float64, "float64"), ("f8", "float64"), ("double", "float64"), ("single", "float32"),
     (np.dtype("float32"), "float32"), ("float32", "float32")],
)  # fmt: skip
def test_every_spelling_of_the_two_float_types_is_accepted(dtype, name):
    model = wb.Model(np.full((6, 7), 1500.0), 5.0, dtype=dtype)
    assert model.dtype == np.dtype(name) and model.vp.dtype == np.dtype(name)


@pytest.mark.parametrize("dtype", ["float16", np.int32, "complex64", "velocity"])
def test_other_dtypes_are_refused(dtype):
    with pytest.raises(ValueError, match=r"dtype must be float32 or float64 \(e\.g\."):
        wb.Model(np.full((6, 7), 1500.0), 5.0, dtype=dtype)


def test_attenuation_is_validated_stored_shown_and_carried():
    vp = np.full((4, 5), 2000.0)
    q = np.full((4, 5), 30.0)
    model = wb.Model(vp, 10.0, attenuation=wb.ConstantQ(q, (5, 50)))
    assert isinstance(model.attenuation, wb.ConstantQ)
    assert repr(model).endswith(
        "attenuation=ConstantQ(q=array(4, 5) in [30, 30], band=(5.0, 50.0)))"
    )
    assert model.with_vp(vp * 1.1).attenuation is model.attenuation
    plain = wb.Model(vp, 10.0)
    assert plain.attenuation is None and "attenuation" not in repr(plain)


@pytest.mark.parametrize(
    "attenuation, error, message",
    [
        ("Q=30", TypeError, "attenuation must be None, waveback.ConstantQ"),
        (30.0, TypeError, "attenuation must be None, waveback.ConstantQ"),
        (
            wb.ConstantQ(np.full((3, 5), 30.0), (5, 50)),
            ValueError,
            r"q must be a scalar or "
            r"have vp's shape \(4, 5\), got an array of shape \(3, 5\)",
        ),
        (wb.PowerLaw(np.ones(5), 1.5, (1e6, 4e6)), ValueError, r"alpha0 must be a scalar"),
    ],
)
def test_bad_attenuation_is_refused(attenuation, error, message):
    with pytest.raises(error, match=message):
        wb.Model(np.full((4, 5), 2000.0), 10.0, attenuation=attenuation)
