"""Tests of shots, surveys and the array layouts (``waveback.data.acquisition``)."""

from __future__ import annotations

import numpy as np
import pytest

import waveback as wb
from waveback.data import acquisition as acq

EXTENT_2D = ((0.0, 400.0), (0.0, 1000.0))


def test_surface_line_defaults_spread_sources_evenly_on_the_receiver_grid():
    layouts = acq.surface_line(EXTENT_2D, 3, 20.0, 10.0, 10.0)
    np.testing.assert_array_equal([lay.src[0, 1] for lay in layouts], [250.0, 500.0, 750.0])
    for lay in layouts:
        assert lay.src.shape == (1, 2) and lay.src[0, 0] == 20.0 and lay.delays.tolist() == [0.0]
        np.testing.assert_array_equal(lay.rec[:, 1], np.arange(101) * 10.0)
        np.testing.assert_array_equal(lay.rec[:, 0], 10.0)


def test_surface_line_with_explicit_ranges():
    layouts = acq.surface_line(EXTENT_2D, 2, 5.0, 5.0, 25.0, (100.0, 900.0), (200.0, 300.0))
    assert [lay.src[0, 1] for lay in layouts] == [100.0, 900.0]
    np.testing.assert_array_equal(layouts[0].rec[:, 1], [200.0, 225.0, 250.0, 275.0, 300.0])


def test_surface_grid_covers_the_surface():
    extent = ((0.0, 200.0), (0.0, 300.0), (0.0, 400.0))
    layouts = acq.surface_grid(extent, (2, 3), 10.0, 10.0, 100.0)
    assert len(layouts) == 6
    assert {tuple(lay.src[0]) for lay in layouts} == {
        (10.0, y, x) for y in (100.0, 200.0) for x in (100.0, 200.0, 300.0)
    }
    assert layouts[0].rec.shape == (4 * 5, 3)


def test_line_and_grid_refuse_the_wrong_dimension():
    with pytest.raises(ValueError, match="surface_grid"):
        acq.surface_line(((0, 1), (0, 1), (0, 1)), 1, 0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="surface_line"):
        acq.surface_grid(EXTENT_2D, (1, 1), 0.0, 0.0, 1.0)


def test_linear_array_plane_wave_delays_steer_towards_plus_x():
    layouts = acq.linear_array(8, 3e-4, 5e-4, 0.01, 1540.0, angles=[0.0, 10.0])
    straight, steered = layouts
    np.testing.assert_array_equal(straight.delays, 0.0)
    x = steered.src[:, 1]
    np.testing.assert_allclose(x - x.mean(), 3e-4 * (np.arange(8) - 3.5), rtol=0, atol=1e-15)
    expected = (x - x[0]) * np.sin(np.radians(10.0)) / 1540.0
    np.testing.assert_allclose(steered.delays, expected, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(steered.rec, steered.src)


def test_focused_transmit_pulses_reach_the_focus_together():
    (lay,) = acq.linear_array(16, 3e-4, 0.0, 0.01, 1540.0, foci=[(0.02, 0.011)])
    arrival = lay.delays + np.linalg.norm(lay.src - [0.02, 0.011], axis=1) / 1540.0
    np.testing.assert_allclose(arrival, arrival[0], rtol=1e-13)
    assert lay.delays.min() == 0.0


def test_linear_array_needs_one_kind_of_transmit():
    with pytest.raises(ValueError, match="exactly one of angles"):
        acq.linear_array(4, 1e-4, 0.0, 0.0, 1500.0)


def test_ring_array_elements_lie_on_the_circle_and_fire_in_turn():
    layouts = acq.ring_array(16, 0.02, (0.025, 0.03), 4)
    assert len(layouts) == 4
    rec = layouts[0].rec
    np.testing.assert_allclose(np.hypot(rec[:, 0] - 0.025, rec[:, 1] - 0.03), 0.02, rtol=1e-14)
    np.testing.assert_array_equal([lay.src for lay in layouts], rec[[0, 4, 8, 12]][:, None])
    with pytest.raises(ValueError, match="shots must be"):
        acq.ring_array(4, 0.01, (0, 0), 5)


def test_csv_groups_sources_by_shot_with_delays(tmp_path):
    (tmp_path / "src.csv").write_text("shot,z,x,delay\n1,10,100,0\n1,10,110,1e-3\n2,10,500,0\n")
    (tmp_path / "rec.csv").write_text("z,x\n5,0\n5,50\n5,100\n")
    layouts = acq.from_csv(tmp_path / "src.csv", tmp_path / "rec.csv", 2)
    assert len(layouts) == 2
    np.testing.assert_array_equal(layouts[0].src, [[10.0, 100.0], [10.0, 110.0]])
    np.testing.assert_array_equal(layouts[0].delays, [0.0, 1e-3])
    np.testing.assert_array_equal(layouts[1].rec, [[5.0, 0.0], [5.0, 50.0], [5.0, 100.0]])


def test_csv_receivers_per_shot(tmp_path):
    (tmp_path / "src.csv").write_text("shot,z,y,x\n0,1,2,3\n1,1,2,4\n")
    (tmp_path / "rec.csv").write_text("shot,z,y,x\n0,0,0,0\n1,0,0,1\n1,0,0,2\n")
    layouts = acq.from_csv(tmp_path / "src.csv", tmp_path / "rec.csv", 3)
    assert [lay.rec.shape[0] for lay in layouts] == [1, 2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("shot,z\n1,2\n", "missing \\['x'\\]"),
        ("shot,z,x,depth\n1,2,3,4\n", "unknown \\['depth'\\]"),
        ("shot,z,x\n1,2,abc\n", "must be a number"),
        ("shot,z,x\n", "at least one row"),
    ],
)
def test_csv_errors_name_the_file_and_the_problem(tmp_path, text, message):
    (tmp_path / "src.csv").write_text(text)
    (tmp_path / "rec.csv").write_text("z,x\n0,0\n")
    with pytest.raises(ValueError, match=message):
        acq.from_csv(tmp_path / "src.csv", tmp_path / "rec.csv", 2)


def test_survey_fires_the_wavelet_itself_or_delayed_copies():
    model = wb.Model(np.full((11, 21), 1500.0), 10.0)
    w = wb.ricker(20.0, 1e-3, 200)
    plain = acq.Layout(np.array([[10.0, 50.0]]), np.array([[0.0, 0.0]]), np.zeros(1))
    pos = np.array([[10.0, 50.0], [10.0, 60.0]])
    steered = acq.Layout(pos, pos, np.array([0.0, 5e-3]))
    survey = acq.survey_from_layout(model, 1e-3, w, [plain, steered])
    assert survey.nt == 200 and survey.ndim == 2
    np.testing.assert_array_equal(survey.shots[0].wavelet[:, 0], w)
    np.testing.assert_allclose(survey.shots[1].wavelet[5:, 1], w[:-5], atol=1e-6)


def test_survey_refuses_a_source_outside_the_model_naming_the_shot():
    model = wb.Model(np.full((11, 21), 1500.0), 10.0)
    shot = acq.Shot(np.array([[10.0, 250.0]]), np.array([[0.0, 0.0]]), np.zeros((5, 1)))
    with pytest.raises(ValueError, match=r"shot 0: src\[0\] .* outside the model"):
        acq.Survey(model, 1e-3, 5, (shot,))


def test_survey_checks_wavelet_shape():
    shot = acq.Shot(np.zeros((2, 2)), np.zeros((1, 2)), np.zeros((5, 1)))
    with pytest.raises(ValueError, match=r"wavelet must have shape \(nt, nsrc\) = \(5, 2\)"):
        acq.Survey(None, 1e-3, 5, (shot,))


def test_with_wavelet_gives_every_source_the_wavelet():
    pos = np.array([[0.0, 0.0], [0.0, 10.0]])
    survey = acq.Survey(None, 1e-3, 4, (acq.Shot(pos, pos), acq.Shot(pos[:1], pos)))
    w = np.arange(4.0)
    out = acq.with_wavelet(survey, w)
    assert out.shots[0].wavelet.shape == (4, 2) and out.shots[1].wavelet.shape == (4, 1)
    np.testing.assert_array_equal(out.shots[0].wavelet[:, 1], w)
    with pytest.raises(ValueError, match="nt = 4 samples"):
        acq.with_wavelet(survey, np.zeros(5))


@pytest.mark.parametrize(
    "entry",
    [
        lambda m, shots, data, dt: wb.rtm(m, shots, data, dt),
        lambda m, shots, data, dt: wb.lsrtm(m, shots, data, dt),
        lambda m, shots, data, dt: wb.misfit_gradient(m, shots, data, dt),
        lambda m, shots, data, dt: wb.fwi(m, shots, data, dt, bounds=(1000.0, 2000.0)),
        lambda m, shots, data, dt: wb.estimate_wavelet(m, shots, data, dt),
        lambda m, shots, data, dt: acq.one_gather_per_shot(shots, data),
    ],
    ids=["rtm", "lsrtm", "misfit_gradient", "fwi", "estimate_wavelet", "one_gather_per_shot"],
)
def test_every_workflow_refuses_shots_and_gathers_that_do_not_pair_alike(entry):
    model = wb.Model(np.full((10, 12), 1500.0), 10.0)
    dt = 0.5 * model.critical_dt()
    shot = acq.Shot(np.array([[20.0, 50.0]]), np.array([[20.0, 30.0]]), wb.ricker(10.0, dt, 30))
    with pytest.raises(ValueError) as exc:
        entry(model, (shot, shot), iter([np.zeros((30, 1))]), dt)
    assert str(exc.value) == "2 shots but 1 gathers: give one gather per shot"


def test_estimate_wavelet_needs_a_shot():
    model = wb.Model(np.full((10, 12), 1500.0), 10.0)
    with pytest.raises(ValueError, match="^no shots: give at least one shot and its gather$"):
        wb.estimate_wavelet(model, [], [], 1e-3)
