"""Tests of the SEG-Y exchange (``waveback.segy``): round trips and foreign files."""

from __future__ import annotations

import numpy as np
import pytest
import segyio
from test_io import gathers_of, small_survey

import waveback as wb
from waveback import acquisition as acq
from waveback import io, segy


def seismic_survey(ndim, nt=40):
    """Single-source shots on a metre grid, with an irregular dt (not whole microseconds)."""
    shots = []
    for i in range(3):
        src = np.array([[12.5] + [100.0] * (ndim - 2) + [250.0 + 100.0 * i]])
        n = 6 + i
        rec = np.stack(
            [np.full(n, 7.25)] + [np.full(n, 37.5)] * (ndim - 2) + [np.arange(n) * 12.5 + 3.0],
            axis=1,
        )
        shots.append(acq.Shot(src, rec))
    return acq.Survey(None, 9.5079853656958e-4, nt, tuple(shots))


@pytest.mark.parametrize("ndim", [2, 3])
def test_hdf5_to_segy_to_hdf5_keeps_data_and_geometry(tmp_path, ndim):
    survey = seismic_survey(ndim)
    gathers = gathers_of(survey)
    io.write_shots(tmp_path / "a.h5", survey, gathers)
    first = io.read_survey(tmp_path / "a.h5")
    segy.write_segy_shots(
        tmp_path / "a.sgy", first, (io.read_gather(tmp_path / "a.h5", i) for i in range(3))
    )
    back, back_gathers = segy.read_segy_shots(tmp_path / "a.sgy")
    io.write_shots(tmp_path / "b.h5", back, back_gathers)
    again = io.read_survey(tmp_path / "b.h5")
    assert io.fingerprint(again) == io.fingerprint(survey)
    assert again.dt == survey.dt and again.nt == survey.nt
    for i in range(3):
        np.testing.assert_array_equal(io.read_gather(tmp_path / "b.h5", i), gathers[i])
        np.testing.assert_array_equal(again.shots[i].src, survey.shots[i].src)
        np.testing.assert_array_equal(again.shots[i].rec, survey.shots[i].rec)


def test_segy_headers_are_standard_for_other_tools(tmp_path):
    survey = seismic_survey(2)
    segy.write_segy_shots(tmp_path / "a.sgy", survey, gathers_of(survey))
    with segyio.open(tmp_path / "a.sgy", ignore_geometry=True) as f:
        assert f.tracecount == 6 + 7 + 8
        assert f.bin[segyio.BinField.Format] == 5  # IEEE float
        assert segyio.tools.dt(f) == 951.0  # µs, rounded
        h = f.header[6]  # shot 2, receiver 0
        assert h[segyio.TraceField.FieldRecord] == 2 and h[segyio.TraceField.TraceNumber] == 1
        assert h[segyio.TraceField.SourceGroupScalar] == -10000
        assert h[segyio.TraceField.SourceX] == 350 * 10000
        assert h[segyio.TraceField.offset] == 347


def test_foreign_segy_without_waveback_header_uses_the_sample_interval(tmp_path):
    data = np.arange(5 * 20, dtype=np.float32).reshape(5, 20)
    path = tmp_path / "foreign.sgy"
    segyio.tools.from_array(str(path), data, format=5, dt=2000)
    with segyio.open(path, "r+", ignore_geometry=True) as f:
        for k in range(5):
            f.header[k] = {segyio.TraceField.FieldRecord: 7, segyio.TraceField.GroupX: 10 * k}
    survey, gathers = segy.read_segy_shots(path)
    assert survey.dt == 2e-3 and survey.nt == 20 and len(survey.shots) == 1
    assert survey.model is None and survey.shots[0].wavelet is None
    np.testing.assert_array_equal(survey.shots[0].rec[:, 1], [0, 10, 20, 30, 40])
    np.testing.assert_array_equal(gathers[0], data.T)


def test_multi_source_shots_stay_in_hdf5(tmp_path):
    model = wb.Model(np.full((11, 21), 1500.0), 1e-4)
    pos = np.array([[0.0, 0.0], [0.0, 1e-4]])
    survey = acq.Survey(model, 1e-8, 10, (acq.Shot(pos, pos, np.zeros((10, 2))),))
    with pytest.raises(ValueError, match="fires 2 sources at once"):
        segy.write_segy_shots(tmp_path / "x.sgy", survey, [np.zeros((10, 2))])
    assert not (tmp_path / "x.sgy").exists()


@pytest.mark.parametrize("ndim", [2, 3])
def test_model_round_trip(tmp_path, ndim):
    model = small_survey(ndim).model
    segy.write_segy_model(tmp_path / "m.sgy", model.vp, model.spacing, model.origin)
    assert segy.is_segy_model(tmp_path / "m.sgy")
    vp, spacing, origin = segy.read_segy_model(tmp_path / "m.sgy")
    np.testing.assert_array_equal(vp, model.vp)
    assert tuple(spacing) == model.spacing and tuple(origin) == model.origin


def test_foreign_model_needs_a_spacing(tmp_path):
    path = tmp_path / "foreign.sgy"
    vp = np.full((7, 9), 2000.0, np.float32)  # 7 traces (x) of 9 samples (z)
    segyio.tools.from_array(str(path), vp, format=5)
    with pytest.raises(ValueError, match="does not say its grid spacing"):
        segy.read_segy_model(path)
    got, spacing, origin = segy.read_segy_model(path, 12.5)
    assert got.shape == (9, 7) and spacing == 12.5 and origin == 0.0


def test_not_a_segy_file(tmp_path):
    path = tmp_path / "x.sgy"
    path.write_text("hello")
    with pytest.raises(ValueError, match="not a readable SEG-Y file"):
        segy.read_segy_shots(path)
    with pytest.raises(FileNotFoundError):
        segy.read_segy_shots(tmp_path / "missing.sgy")


def test_read_marmousi_knows_the_public_grid_and_converts_km_per_s(tmp_path):
    path = tmp_path / "marmousi.segy"
    traces = np.linspace(1.5, 5.5, 751, dtype=np.float32)[None, :] * np.ones((2301, 1), np.float32)
    traces[1000] += 0.25  # one column (x index 1000) is faster
    segyio.tools.from_array(str(path), traces, format=1)  # IBM floats in km/s, like the original
    vp, spacing = segy.read_marmousi(path)
    assert vp.shape == (751, 2301) and vp.dtype == np.float32 and spacing == 4.0
    np.testing.assert_allclose(vp[:, 0], np.linspace(1500.0, 5500.0, 751), rtol=1e-6)
    assert vp[300, 1000] == pytest.approx(vp[300, 999] + 250.0, rel=1e-5)
    coarse, h = segy.read_marmousi(path, step=5)
    assert coarse.shape == (151, 461) and h == 20.0 and coarse[3, 200] == vp[15, 1000]


def test_read_marmousi_of_another_size_needs_a_spacing(tmp_path):
    path = tmp_path / "cut.sgy"
    segyio.tools.from_array(str(path), np.full((7, 9), 2000.0, np.float32), format=5)
    with pytest.raises(ValueError, match="give its grid spacing"):
        segy.read_marmousi(path)
    vp, spacing = segy.read_marmousi(path, spacing=10.0)
    assert vp.shape == (9, 7) and spacing == 10.0 and np.all(vp == 2000.0)
    with pytest.raises(ValueError, match="step must be"):
        segy.read_marmousi(path, spacing=10.0, step=0)
