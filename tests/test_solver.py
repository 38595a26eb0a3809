"""The per-shot solver: its operators equal the functions, it is built once, and workflows take
a Survey (with its interpolation) or loose shots, with dtypes that follow the model."""

import numpy as np
import pylops
import pytest

import waveback as wb
from waveback.physics import propagation
from waveback.verification.checks import dot_error

pytestmark = pytest.mark.filterwarnings("ignore:grid dispersion")


def _survey(interpolation="linear", dtype="float32", nshots=2):
    rng = np.random.default_rng(3)
    vp = 2000 + 200 * rng.random((24, 30))
    model = wb.Model(vp, 10.0, nbl=6, dtype=dtype)
    dt = 0.6 * model.critical_dt()
    w = wb.ricker(40.0, dt, 80)
    rec = np.stack([np.full(7, 12.3), np.linspace(20.5, 270.5, 7)], axis=1)
    shots = tuple(
        wb.Shot(np.array([[11.7, 60.4 + 100 * i]]), rec, w[:, None]) for i in range(nshots)
    )
    return wb.Survey(model, dt, w.shape[0], shots, interpolation)


def _smooth(model, dtype=None):
    return wb.Model(
        np.full(model.shape, 2100.0), model.spacing, nbl=model.nbl, dtype=dtype or model.dtype
    )


def test_solver_methods_equal_the_functions_bit_for_bit():
    survey = _survey(dtype="float64")
    model, dt, shot = survey.model, survey.dt, survey.shots[0]
    solver = wb.Solver.for_shot(model, shot, dt)
    rng = np.random.default_rng(0)
    y = rng.standard_normal((survey.nt, shot.rec.shape[0]))
    dm = rng.standard_normal(model.shape) * 1e-8
    args = (shot.src, shot.rec, dt)
    assert np.array_equal(solver.forward(shot.wavelet), wb.forward(model, shot.wavelet, *args))
    assert np.array_equal(solver.adjoint(y), wb.adjoint(model, y, *args))
    assert np.array_equal(solver.born(dm, shot.wavelet), wb.born(model, dm, shot.wavelet, *args))
    g, illum = solver.gradient(y, shot.wavelet)
    assert illum is None
    assert np.array_equal(g, wb.gradient(model, y, shot.wavelet, *args))
    assert np.array_equal(
        solver.adjoint_initial_pressure(y), wb.adjoint_initial_pressure(model, y, shot.rec, dt)
    )
    assert dot_error(np.sum(solver.born(dm, shot.wavelet) * y), np.sum(dm * g)) < 1e-12


def test_a_solver_builds_its_propagator_once(monkeypatch):
    survey = _survey()
    built = []
    init = propagation.Propagator.__init__

    def counted(self, model, dt):
        built.append(1)
        init(self, model, dt)

    monkeypatch.setattr(propagation.Propagator, "__init__", counted)
    shot = survey.shots[0]
    solver = wb.Solver.for_shot(survey.model, shot, survey.dt)
    y = np.ones((survey.nt, shot.rec.shape[0]))
    solver.forward(shot.wavelet)
    solver.adjoint(y)
    solver.born(np.zeros(survey.model.shape), shot.wavelet)
    solver.gradient(y, shot.wavelet)
    assert len(built) == 1
    built.clear()
    op = wb.born_operator(survey.model, survey)  # one propagator shared by every shot
    assert len(built) == 1
    op.matvec(np.zeros(op.shape[1]))
    op.rmatvec(np.zeros(op.shape[0]))
    assert len(built) == 1


def test_a_propagator_of_another_model_is_refused():
    survey = _survey()
    other = wb.Propagator(_smooth(survey.model), survey.dt)
    shot = survey.shots[0]
    with pytest.raises(ValueError, match="built for another model or time step"):
        wb.Solver(survey.model, survey.dt, shot.src, shot.rec, propagator=other)


def test_a_sinc_survey_is_migrated_with_sinc():
    survey = _survey("sinc")
    data = wb.simulate(survey)
    smooth = _smooth(survey.model)
    shots, dt = survey.shots, survey.dt
    image = wb.rtm(smooth, survey, data)
    assert np.array_equal(image, wb.rtm(smooth, shots, data, dt, "sinc"))
    assert not np.array_equal(image, wb.rtm(smooth, shots, data, dt))  # linear by default
    with pytest.raises(ValueError, match="recorded with 'sinc' interpolation, but"):
        wb.rtm(smooth, survey, data, interpolation="linear")
    with pytest.raises(ValueError, match="differs from the survey's dt"):
        wb.rtm(smooth, survey, data, 2 * dt)
    with pytest.raises(ValueError, match="dt is required with a sequence of shots"):
        wb.rtm(smooth, shots, data)


def test_every_workflow_takes_a_survey():
    survey = _survey("sinc", dtype="float64")
    data = wb.simulate(survey)
    smooth = _smooth(survey.model)
    loose = (survey.shots, data, survey.dt, "sinc")
    phi, g = wb.misfit_gradient(smooth, survey, data)
    phi_loose, g_loose = wb.misfit_gradient(smooth, *loose)
    assert phi == phi_loose and np.array_equal(g, g_loose)
    dm, info = wb.lsrtm(smooth, survey, data, iterations=2)
    assert np.array_equal(dm, wb.lsrtm(smooth, *loose, iterations=2)[0])
    op = wb.born_operator(smooth, survey)
    x = np.random.default_rng(1).standard_normal(op.shape[1])
    loose_op = wb.born_operator(smooth, survey.shots, survey.dt, "sinc")
    assert np.array_equal(op.matvec(x), loose_op.matvec(x))
    w = wb.estimate_wavelet(survey.model, survey, data)
    assert np.array_equal(w, wb.estimate_wavelet(survey.model, *loose))
    result = wb.fwi(smooth, survey, data, bounds=(1800.0, 2500.0), iterations=1)
    loose_result = wb.fwi(smooth, *loose, bounds=(1800.0, 2500.0), iterations=1)
    assert np.array_equal(result.vp, loose_result.vp)


def test_a_single_shot_is_refused_with_a_hint():
    survey = _survey()
    with pytest.raises(TypeError, match=r"sequence of shots \(e.g. \[shot\]\) or a Survey"):
        wb.born_operator(survey.model, survey.shots[0], survey.dt)


def test_dtypes_follow_the_model():
    survey = _survey(dtype="float32")
    model = survey.model
    data = wb.simulate(survey)
    assert wb.rtm(_smooth(model), survey, data).dtype == np.float32
    g = wb.gradient(model, data[0], *_shot_args(survey))
    assert g.dtype == np.float32
    assert wb.gradient_to_velocity(g, model.vp).dtype == np.float32
    assert wb.gradient_to_velocity(g.astype(np.float64), model.vp).dtype == np.float64
    op = wb.born_operator(model, survey)
    assert op.dtype == np.float32
    assert op.dims == model.shape and op.dimsd == (op.shape[0],)
    assert op.matvec(np.zeros(op.shape[1], np.float32)).dtype == np.float32
    assert op.rmatvec(np.zeros(op.shape[0], np.float32)).dtype == np.float32
    assert wb.lsrtm(_smooth(model), survey, data, iterations=1)[0].dtype == np.float32


def _shot_args(survey):
    shot = survey.shots[0]
    return shot.wavelet, shot.src, shot.rec, survey.dt


def test_born_operator_works_as_a_pylops_operator_on_model_shaped_arrays():
    survey = _survey(dtype="float64")
    op = pylops.LinearOperator(wb.born_operator(survey.model, survey))
    assert op.dims == survey.model.shape
    dm = np.random.default_rng(2).standard_normal(survey.model.shape) * 1e-8
    data = op @ dm  # model-shaped in, flattened data out
    assert data.shape == (op.shape[0],)
    back = op.H @ data
    assert back.shape == survey.model.shape
    assert pylops.utils.dottest(op, *op.shape, rtol=1e-12, atol=0.0)


def test_relative_born_operator_is_scaled_by_m():
    survey = _survey(dtype="float64")
    model = survey.model
    op, rel = wb.born_operator(model, survey), wb.born_operator(model, survey, relative=True)
    rng = np.random.default_rng(4)
    x, r = rng.standard_normal(op.shape[1]), rng.standard_normal(op.shape[0])
    m = model.m.ravel()
    assert np.allclose(rel.matvec(x), op.matvec(m * x), rtol=1e-13, atol=0.0)
    assert np.allclose(rel.rmatvec(r), m * op.rmatvec(r), rtol=1e-13, atol=0.0)
    assert dot_error(np.dot(rel.matvec(x), r), np.dot(x, rel.rmatvec(r))) < 1e-12
