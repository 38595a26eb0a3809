"""Tests of density and attenuation in HDF5 files (``waveback.data.medium`` via ``files``)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from test_files import gathers_of, small_survey
from test_resumable import Interrupted, run

import waveback as wb
from waveback.data import acquisition as acq
from waveback.data import files
from waveback.data.resumable import DifferentDatasetError, ResumableShotFile


def with_medium(model, rho=True, attenuation=None):
    density = np.linspace(1000.0, 2000.0, model.vp.size).reshape(model.shape) if rho else None
    return wb.Model(
        model.vp,
        model.spacing,
        model.origin,
        model.space_order,
        model.boundary,
        model.nbl,
        model.free_surface,
        model.dtype.name,
        rho=density,
        attenuation=attenuation,
    )


def survey_with(model, survey=None):
    survey = small_survey() if survey is None else survey
    return acq.Survey(model, survey.dt, survey.nt, survey.shots, survey.interpolation)


def attenuations(shape):
    q = np.linspace(20.0, 200.0, int(np.prod(shape))).reshape(shape)
    alpha0 = np.linspace(0.5, 1.0, int(np.prod(shape))).reshape(shape)
    return [
        None,
        wb.ConstantQ(50.0, (5.0, 50.0)),
        wb.ConstantQ(q, (5.0, 50.0), n_mechanisms=4),
        wb.PowerLaw(0.75, 1.5, (1e6, 4e6)),
        wb.PowerLaw(alpha0, 1.1, (1e6, 4e6), n_mechanisms=3),
    ]


def assert_same_attenuation(a, b):
    assert type(a) is type(b)
    if a is None:
        return
    name = "q" if isinstance(a, wb.ConstantQ) else "alpha0"
    np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert np.ndim(getattr(a, name)) == np.ndim(getattr(b, name))
    assert (a.band, a.n_mechanisms, getattr(a, "y", None)) == (
        b.band,
        b.n_mechanisms,
        getattr(b, "y", None),
    )


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("rho", [False, True])
@pytest.mark.parametrize("case", range(5))
def test_model_files_keep_density_and_attenuation(tmp_path, ndim, rho, case):
    base = small_survey(ndim).model
    model = with_medium(base, rho, attenuations(base.shape)[case])
    files.write_model(tmp_path / "m.h5", model)
    back = files.read_model(tmp_path / "m.h5")
    assert repr(back) == repr(model)
    if rho:
        np.testing.assert_array_equal(back.rho, model.rho)
        assert back.rho.dtype == model.rho.dtype
    else:
        assert back.rho is None
    assert_same_attenuation(back.attenuation, model.attenuation)


def test_shot_files_keep_the_models_density_and_attenuation(tmp_path):
    base = small_survey().model
    model = with_medium(base, True, attenuations(base.shape)[4])
    survey = survey_with(model)
    files.write_shots(tmp_path / "s.h5", survey, gathers_of(survey))
    back = files.read_survey(tmp_path / "s.h5").model
    np.testing.assert_array_equal(back.rho, model.rho)
    assert_same_attenuation(back.attenuation, model.attenuation)
    assert files.read_fingerprint(tmp_path / "s.h5") == files.fingerprint(survey)
    with h5py.File(tmp_path / "s.h5") as f:
        assert f["model/rho"].attrs["units"] == "kg/m^3"
        assert f["model/attenuation"].attrs["kind"] == "power_law"
        assert f["model/attenuation/alpha0"].attrs["units"] == "dB/(cm MHz^y)"


def test_fingerprint_includes_density_and_attenuation():
    survey = small_survey()
    model = survey.model
    shape = model.shape
    variants = [
        survey_with(with_medium(model, True)),
        survey_with(with_medium(model, True).with_rho(model.vp)),
        *(survey_with(with_medium(model, False, a)) for a in attenuations(shape)[1:]),
        survey_with(with_medium(model, False, wb.ConstantQ(50.0, (5.0, 60.0)))),
        survey_with(with_medium(model, False, wb.ConstantQ(50.0, (5.0, 50.0), 3))),
        survey_with(with_medium(model, False, wb.PowerLaw(0.75, 1.4, (1e6, 4e6)))),
    ]
    prints = [files.fingerprint(v) for v in variants]
    assert len({files.fingerprint(survey), *prints}) == len(variants) + 1
    # the fingerprint of a constant-density, lossless model is unchanged (files written before)
    assert files.fingerprint(survey_with(with_medium(model, False))) == files.fingerprint(survey)


def test_a_resumed_run_with_another_density_or_q_is_refused(tmp_path):
    survey = survey_with(with_medium(small_survey().model, True, wb.ConstantQ(50.0, (5, 50))))
    gathers = gathers_of(survey)
    path = tmp_path / "shots.h5"
    with pytest.raises(Interrupted):
        run(path, survey, gathers, stop_after=1)
    other_q = survey_with(with_medium(survey.model, True, wb.ConstantQ(60.0, (5, 50))))
    with pytest.raises(DifferentDatasetError, match="unfinished run of a different simulation"):
        ResumableShotFile(path, other_q)
    with pytest.raises(DifferentDatasetError, match="unfinished run of a different simulation"):
        ResumableShotFile(path, survey_with(survey.model.with_rho(survey.model.rho * 1.01)))
    resumed = ResumableShotFile(path, survey)
    assert resumed.pending == [1, 2]


def _edit(path, change):
    base = small_survey().model
    model = with_medium(base, True, wb.PowerLaw(0.75, 1.5, (1e6, 4e6)))
    files.write_model(path, model)
    with h5py.File(path, "a") as f:
        change(f["model"])


def _replace(g, name, value):
    del g[name]
    g[name] = value


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda g: _replace(g, "rho", np.ones((3, 4))), r"/model/rho has shape \(3, 4\), but"),
        (lambda g: g["rho"].__setitem__((0, 0), 0.0), "/model/rho must be finite and positive"),
        (lambda g: g["rho"].__setitem__((0, 0), np.nan), "/model/rho must be finite and posit"),
        (
            lambda g: g["attenuation"].attrs.__setitem__("kind", "kelvin_voigt"),
            "/model/attenuation has kind 'kelvin_voigt'; expected one of constant_q, power_law",
        ),
        (
            lambda g: _replace(g["attenuation"], "alpha0", np.ones((2, 2))),
            r"/model/attenuation/alpha0 has shape \(2, 2\); it must be a scalar or have",
        ),
        (
            lambda g: _replace(g["attenuation"], "alpha0", -1.0),
            "/model/attenuation: alpha0 must be positive and finite",
        ),
        (
            lambda g: g["attenuation"].attrs.__setitem__("band", [5.0, 1.0]),
            r"/model/attenuation: band must satisfy 0 < f_lo < f_hi",
        ),
        (
            lambda g: g["attenuation"].attrs.__delitem__("y"),
            "/model/attenuation of kind power_law needs the attribute 'y'",
        ),
        (
            lambda g: g["attenuation"].attrs.__delitem__("band"),
            "/model/attenuation needs the attribute 'band'",
        ),
        (
            lambda g: g["attenuation"].__delitem__("alpha0"),
            "/model/attenuation of kind power_law needs the dataset 'alpha0'",
        ),
    ],
)
def test_malformed_density_or_attenuation_is_refused_with_a_clear_message(
    tmp_path, change, message
):
    path = tmp_path / "m.h5"
    _edit(path, change)
    with pytest.raises(files.FormatError, match=f"{path}: invalid model in /model: {message}"):
        files.read_model(path)


def test_files_without_density_or_attenuation_read_as_none(tmp_path):
    files.write_model(tmp_path / "m.h5", small_survey().model)
    with h5py.File(tmp_path / "m.h5") as f:
        assert sorted(f["model"]) == ["vp"]
    back = files.read_model(tmp_path / "m.h5")
    assert back.rho is None and back.attenuation is None
