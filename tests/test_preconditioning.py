"""The illumination preconditioner: the energy of the forward wavefields, and its scale."""

import numpy as np
import pytest
from test_inversion import _tiny_problem

import waveback as wb
from waveback.workflows.preconditioning import (
    EPSILON,
    IlluminationJob,
    check_preconditioner,
    illumination,
    illumination_scale,
)

pytestmark = pytest.mark.filterwarnings("ignore:grid dispersion")


def test_illumination_is_the_energy_of_every_forward_wavefield():
    start, shots, _, dt = _tiny_problem()
    model = wb.Model(start.vp, start.spacing, 0.0, 4, "sponge", 6, dtype="float64")
    illum = illumination(IlluminationJob(model, dt), shots)
    nt = shots[0].wavelet.shape[0]
    expected = np.zeros(model.shape)
    for s in shots:
        _, fields = wb.forward(model, s.wavelet, s.src, s.rec, dt, snapshots=list(range(nt)))
        expected += np.sum(fields**2, axis=0)
    assert np.abs(illum - expected).max() <= 1e-12 * expected.max()  # measured 4.9e-16


def test_the_scale_divides_the_update_by_the_damped_normalised_illumination():
    illum = np.array([[4.0, 1.0], [0.0, 2.0]])
    s = illumination_scale(illum)
    expected = 1.0 / ((illum / 4.0 + EPSILON) / (1.0 + EPSILON))  # the update's factor, s²
    assert np.allclose(s**2, expected, rtol=1e-14, atol=0)
    assert s[0, 0] == 1.0
    with pytest.raises(ValueError, match="the sources illuminate no point of the model"):
        illumination_scale(np.zeros((2, 2)))


def test_preconditioner_names_are_checked():
    assert check_preconditioner(None) is None
    assert check_preconditioner("illumination") == "illumination"
    with pytest.raises(ValueError, match="precondition 'hessian' is not known: choose None or"):
        check_preconditioner("hessian")
