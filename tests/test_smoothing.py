"""Tests of :mod:`waveback.data.smoothing`: Gaussian smoothing in metres, per axis, above a
depth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

import waveback as wb
from waveback.data.phantoms import layered
from waveback.data.smoothing import smooth


def layered_model(spacing=(5.0, 10.0)):
    vp = layered((30, 20), spacing, [60.0], [1500.0, 2500.0])
    return wb.Model(vp, spacing, (100.0, 0.0), nbl=7, dtype="float64")


def test_sigma_is_in_metres_per_axis():
    model = layered_model()
    vp = model.vp.copy()
    vp[:, 7] += 300.0  # something to smooth along x as well
    model = model.with_vp(vp)
    out = smooth(model, [20.0, 30.0])
    np.testing.assert_array_equal(out.vp, gaussian_filter(vp, (4.0, 3.0), mode="nearest"))
    np.testing.assert_array_equal(
        smooth(model, 20.0).vp, gaussian_filter(vp, (4.0, 2.0), mode="nearest")
    )
    assert out.spacing == model.spacing and out.origin == model.origin and out.nbl == 7


def test_no_smoothing_across_a_layered_model_leaves_it_alone():
    model = layered_model()
    np.testing.assert_allclose(smooth(model, [0.0, 50.0]).vp, model.vp, rtol=1e-12)
    smoothed = smooth(model, [20.0, 0.0]).vp
    assert 1500.0 < smoothed[12, 0] < 2500.0  # the interface at 60 m below the origin: row 12


def test_keep_above_keeps_the_velocity_above_a_depth():
    model = layered_model()
    out = smooth(model, 30.0, keep_above=150.0)  # rows 0-9 (z = 100 to 145 m) kept
    whole = smooth(model, 30.0)
    np.testing.assert_array_equal(out.vp[:10], model.vp[:10])
    np.testing.assert_array_equal(out.vp[10:], whole.vp[10:])
    assert not np.array_equal(whole.vp[:10], model.vp[:10])


@pytest.mark.parametrize(
    ("sigma", "keep_above", "message"),
    [
        ([1.0, 2.0, 3.0], None, r"one per axis, z first \(2 for this 2D model\), got 3 values"),
        (-1.0, None, r"sigma must be finite lengths >= 0 \(m\), got \[-1.0\]"),
        ([1.0, np.nan], None, "sigma must be finite lengths"),
        (1.0, np.inf, "keep_above must be a finite depth"),
    ],
)
def test_bad_arguments_are_refused(sigma, keep_above, message):
    with pytest.raises(ValueError, match=message):
        smooth(layered_model(), sigma, keep_above)
