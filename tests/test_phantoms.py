"""Tests of the velocity-model generators (``waveback.data.phantoms``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from waveback.data import phantoms
from waveback.data.phantoms import LAYERED_VELOCITIES

REPO = Path(__file__).resolve().parent.parent
V3 = [1500.0, 2000.0, 2500.0]


def test_bundled_model_file_matches_generator():
    vp = np.load(REPO / "data" / "models" / "layered_2d.npy")
    np.testing.assert_array_equal(vp, phantoms.layered_2d())
    assert vp.shape == (201, 401) and vp.dtype == np.float32


def test_layered_2d_velocity_increases_with_depth_and_the_interface_dips():
    vp = phantoms.layered_2d(61, 81)
    assert set(np.unique(vp)) == set(LAYERED_VELOCITIES)
    assert np.all(np.diff(vp, axis=0) >= 0)
    dip_rows = [np.argmax(vp[:, j] == LAYERED_VELOCITIES[3]) for j in (0, 80)]
    assert dip_rows[1] > dip_rows[0]


@pytest.mark.parametrize("shape", [(11, 7), (11, 5, 7)])
def test_flat_layers_start_at_their_depth_in_2d_and_3d(shape):
    vp = phantoms.layered(shape, 10.0, [25.0, 60.0], V3)
    assert vp.shape == shape and vp.dtype == np.float32
    column = vp.reshape(shape[0], -1)
    expected = np.array([1500.0] * 3 + [2000.0] * 3 + [2500.0] * 5)  # z = 0, 10, ..., 100 m
    assert np.all(column == expected[:, None])


def test_interface_on_a_grid_point_belongs_to_the_layer_below():
    vp = phantoms.layered((5, 3), 10.0, [20.0], V3[:2])
    np.testing.assert_array_equal(vp[:, 0], [1500.0, 1500.0, 2000.0, 2000.0, 2000.0])


def test_dipping_interface_goes_from_left_depth_to_right_depth():
    vp = phantoms.layered((21, 11), 10.0, [(50.0, 150.0)], V3[:2])
    first_row = np.argmax(vp == 2000.0, axis=0)
    np.testing.assert_array_equal(first_row, np.arange(5, 16))


def test_origin_shifts_the_coordinates():
    vp = phantoms.layered((5, 3), 10.0, [120.0], V3[:2], origin=(100.0, 0.0))
    np.testing.assert_array_equal(vp[:, 0], [1500.0, 1500.0, 2000.0, 2000.0, 2000.0])


def test_fault_downthrows_the_hanging_wall_by_the_throw():
    shape, h = (41, 61), 10.0
    vp = phantoms.faulted(shape, h, [200.0], V3[:2], fault_x=300.0, fault_dip=90.0, throw=50.0)
    depth_of_interface = np.argmax(vp == 2000.0, axis=0) * h
    np.testing.assert_array_equal(depth_of_interface[:31], 200.0)  # x <= 300 m: footwall
    np.testing.assert_array_equal(depth_of_interface[31:], 250.0)


def test_dipping_fault_plane_moves_with_depth():
    vp = phantoms.faulted((41, 61), 10.0, [100.0, 300.0], V3, 200.0, 45.0, 40.0)
    # at 45 degrees the fault plane is x = 200 + z: left of it the interfaces lie at 100 and
    # 300 m, right of it (where the plane is deeper than they are) 40 m lower
    shallow = np.argmax(vp >= 2000.0, axis=0) * 10.0
    assert shallow[29] == 100.0 and shallow[40] == 140.0
    deep = np.argmax(vp == 2500.0, axis=0) * 10.0
    assert deep[49] == 300.0 and deep[60] == 340.0


def test_salt_diapir_reaches_its_crest_on_its_axis_and_is_absent_far_away():
    vp = phantoms.salt((51, 81), 10.0, [100.0], V3[:2], 4500.0, 150.0, 400.0, 400.0, 200.0)
    salt = vp == 4500.0
    rows = np.flatnonzero(salt[:, 40])
    assert rows[0] * 10.0 == 150.0 and rows[-1] * 10.0 == 400.0
    assert not salt[:, :20].any() and not salt[:, 61:].any()
    assert not salt[41:].any()


def test_salt_in_3d_is_round_about_its_axis():
    vp = phantoms.salt(
        (21, 21, 21), 10.0, [50.0], V3[:2], 4500.0, 60.0, 150.0, (100.0, 100.0), 80.0
    )
    salt = vp == 4500.0
    np.testing.assert_array_equal(salt, salt.transpose(0, 2, 1))
    assert salt[6, 10, 10] and not salt[5, 10, 10]


def test_inclusions_draw_circles_and_ellipses_over_the_background():
    bodies = [
        {"center": (50.0, 50.0), "radius": 20.0, "velocity": 1450.0},
        {"center": (50.0, 150.0), "radius": (10.0, 30.0), "velocity": 1600.0},
    ]
    vp = phantoms.inclusions((11, 21), 10.0, 1540.0, bodies)
    assert vp[5, 5] == 1450.0 and vp[3, 5] == 1450.0 and vp[2, 5] == 1540.0
    assert vp[5, 12] == 1600.0 and vp[5, 11] == 1540.0 and vp[4, 15] == 1600.0
    assert vp[3, 15] == 1540.0
    assert np.count_nonzero(vp == 1540.0) == vp.size - 13 - 9


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: phantoms.layered((1, 5), 1.0, [], [1500.0]), "at least 2 points"),
        (lambda: phantoms.layered((5, 5), -1.0, [], [1500.0]), "spacing must be positive"),
        (lambda: phantoms.layered((5, 5), 1.0, [2.0], [1500.0]), "needs 2 velocities"),
        (lambda: phantoms.layered((5, 5), 1.0, [2.0], [1500.0, -1.0]), "positive and finite"),
        (lambda: phantoms.layered((5, 5), 1.0, [[1, 2, 3]], V3[:2]), "depths[0]"),
        (lambda: phantoms.faulted((5, 5), 1.0, [2.0], V3[:2], 1.0, 0.0, 1.0), "fault_dip"),
        (lambda: phantoms.salt((5, 5), 1.0, [], [1.0], 2.0, 3.0, 2.0, 1.0, 1.0), "salt_top"),
        (lambda: phantoms.inclusions((5, 5), 1.0, 1500.0, [{"center": (1, 1)}]), "missing"),
    ],
)
def test_bad_parameters_are_refused_with_a_message(call, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_marmousi_like_is_reproducible_layered_faulted_and_bounded():
    vp = phantoms.marmousi_like((60, 150), 20.0, seed=3)
    assert vp.shape == (60, 150) and vp.dtype == np.float32
    np.testing.assert_array_equal(vp, phantoms.marmousi_like((60, 150), 20.0, seed=3))
    assert not np.array_equal(vp, phantoms.marmousi_like((60, 150), 20.0, seed=4))
    assert np.all(vp[:2] == phantoms.MARMOUSI_VELOCITIES["water"])  # 4 % of 1180 m of water
    assert 1500.0 <= vp.min() and vp.max() <= 4700.0
    mean = vp.mean(axis=1)
    assert np.corrcoef(np.arange(60), mean)[0, 1] > 0.9  # faster with depth
    assert (vp >= 4200.0).any()  # the high-velocity wedges
    # structure: most rows hold several velocities (folds, faults), many distinct values
    assert np.mean([np.unique(row).size > 3 for row in vp[5:]]) > 0.8
    assert np.unique(vp).size > 100


def test_marmousi_like_draws_the_same_geology_on_a_finer_grid():
    coarse = phantoms.marmousi_like((31, 76), 40.0, seed=1)
    fine = phantoms.marmousi_like((61, 151), 20.0, seed=1)
    agree = np.isclose(fine[::2, ::2], coarse, rtol=0.02)
    assert agree.mean() > 0.9


def test_breast_phantom_has_water_skin_fat_gland_and_tumours():
    h = 0.5e-3
    vp = phantoms.breast_phantom((128, 128), h, seed=0, tumours=2)
    s = phantoms.BREAST_SPEEDS
    assert vp.dtype == np.float32 and set(np.unique(vp)) == set(s.values())
    assert vp[0, 0] == s["water"] and vp[-1, -1] == s["water"]
    counts = {name: np.count_nonzero(vp == v) for name, v in s.items()}
    assert counts["fat"] > counts["glandular"] > counts["tumour"] > 0
    # the skin encloses the tissue: along the middle row, water, skin, ..., skin, water
    row = vp[64]
    inside = np.flatnonzero(row != s["water"])
    assert row[inside[0]] == s["skin"] and row[inside[-1]] == s["skin"]
    assert abs((inside[-1] - inside[0]) * h - 2 * 0.4 * 127 * h) < 0.15 * 2 * 0.4 * 127 * h
    np.testing.assert_array_equal(vp, phantoms.breast_phantom((128, 128), h, seed=0, tumours=2))


def test_cyst_phantom_speckle_cyst_and_points():
    h = 1e-4
    cyst = {"center": (3e-3, 3e-3), "radius": 1e-3}
    vp = phantoms.cyst_phantom(
        (61, 61), h, cysts=[cyst], points=[(1e-3, 1e-3)], speckle=0.01, seed=2
    )
    z, x = np.meshgrid(np.arange(61) * h, np.arange(61) * h, indexing="ij")
    inside = np.hypot(z - 3e-3, x - 3e-3) <= 1e-3
    assert np.all(vp[inside] == 1540.0)  # anechoic: no speckle
    far = ~inside & (np.hypot(z - 1e-3, x - 1e-3) > 2 * h)
    assert abs(vp[far].std() / 1540.0 - 0.01) < 0.001
    assert np.abs(vp[far] / 1540.0 - 1).max() <= 0.03 + 1e-6
    assert vp[10, 10] == np.float32(1540.0 * 1.1) and vp[10, 11] == vp[10, 10]
    assert np.count_nonzero(vp == np.float32(1694.0)) == 5  # a disc of one grid spacing
    plain = phantoms.cyst_phantom((61, 61), h, speckle=0.01, seed=2)
    edged = phantoms.cyst_phantom((61, 61), h, speckle=0.01, margin=3.5 * h, seed=2)
    ring = np.ones((61, 61), bool)
    ring[4:-4, 4:-4] = False
    assert np.all(edged[ring] == 1540.0) and np.all(edged[~ring] == plain[~ring])


def test_absorbers_are_smooth_discs_of_the_given_amplitude():
    h = 1e-4
    bodies = [
        {"center": (2e-3, 2e-3), "radius": 1e-3, "amplitude": 2.0},
        {"center": (2e-3, 2e-3), "radius": (2e-4, 5e-4), "amplitude": 5.0},
    ]
    p0 = phantoms.absorbers((41, 41), h, bodies)
    assert p0.dtype == np.float32 and p0[20, 20] == 5.0
    assert p0[20, 28] == 2.0 and p0[20, 31] == 0.0 and 0 < p0[20, 30] < 2.0  # rim 2 h wide
    assert p0[0, 0] == 0.0 and p0.min() >= 0.0 and p0.max() == 5.0
    np.testing.assert_allclose(p0, p0[:, ::-1], atol=1e-6)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: phantoms.marmousi_like((5, 5, 5), 1.0), "2D section"),
        (lambda: phantoms.marmousi_like((5, 5), 1.0, layers=1), "layers >= 2"),
        (lambda: phantoms.marmousi_like((5, 5), 1.0, water=0.7), "water"),
        (lambda: phantoms.breast_phantom((5, 5), 1.0, radius=-1.0), "radius must be positive"),
        (lambda: phantoms.breast_phantom((5, 5, 5), 1.0), "2D slice"),
        (lambda: phantoms.cyst_phantom((5, 5), 1.0, speckle=-0.1), "speckle >= 0"),
        (lambda: phantoms.cyst_phantom((5, 5), 1.0, margin=-1.0), "margin >= 0"),
        (lambda: phantoms.cyst_phantom((5, 5), 1.0, cysts=[{"center": 1.0}]), "cyst 0 needs"),
        (lambda: phantoms.absorbers((5, 5), 1.0, [{"center": (1, 1)}]), "absorber 0 needs"),
        (lambda: phantoms.absorbers((5, 5), 1.0, [], edge=0.0), "edge must be"),
    ],
)
def test_bad_phantom_parameters_are_refused_with_a_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
