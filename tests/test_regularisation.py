"""Model penalties: exact transposed differences, Taylor tests, closed forms and input checks."""

import numpy as np
import pytest
from test_misfits import taylor_slopes

from waveback.verification.checks import dot_error
from waveback.workflows.regularisation import Regularisation, differences, differences_adjoint


@pytest.mark.parametrize("shape", [(7, 9), (4, 5, 6)])
def test_the_difference_transpose_passes_the_dot_test(shape):
    rng = np.random.default_rng(0)
    u, d = rng.standard_normal((2, *shape))
    for axis in range(len(shape)):
        left = np.sum(differences(u, axis) * d)
        right = np.sum(u * differences_adjoint(d, axis))
        assert dot_error(left, right) <= 1e-12


@pytest.mark.parametrize("kind", ["tikhonov", "tv"])
def test_the_penalty_gradient_passes_the_taylor_test(kind):
    rng = np.random.default_rng(1)
    vp = 1500.0 + 50.0 * rng.standard_normal((12, 10))
    penalty = Regularisation(kind, 0.3)
    value, grad = penalty.penalty(vp, 1700.0)
    assert value > 0 and grad.shape == vp.shape
    direction = grad / np.abs(grad).max() * 40.0 + 10.0 * rng.standard_normal(vp.shape)
    slope0, slope1 = taylor_slopes(lambda v: penalty.penalty(v, 1700.0)[0], vp, direction, grad)
    assert abs(slope0 - 1) < 0.1 and abs(slope1 - 2) < 0.1, (slope0, slope1)


def test_the_penalties_of_a_ramp_have_their_closed_forms():
    vp = 1500.0 + 10.0 * np.arange(5)[None, :] * np.ones((4, 1))  # +10 m/s per step along x
    steps = 4 * 4  # points with a forward difference along x; none along z
    value, grad = Regularisation("tikhonov", 2.0).penalty(vp, 1000.0)
    assert value == pytest.approx(0.5 * 2.0 * steps * 0.01**2 / vp.size, rel=1e-12)
    value, _ = Regularisation("tv", 2.0, smoothing=0.02).penalty(vp, 1000.0)
    expected = 2.0 * (steps * np.hypot(0.01, 0.02) + (vp.size - steps) * 0.02) / vp.size
    assert value == pytest.approx(expected, rel=1e-12)
    flat_value, flat_grad = Regularisation("tikhonov", 2.0).penalty(np.full((4, 5), 1500.0), 1e3)
    assert flat_value == 0 and np.all(flat_grad == 0)


def test_regularisation_input_checks():
    with pytest.raises(
        ValueError, match="regularisation 'l1' is not known: choose one of tikhonov"
    ):
        Regularisation("l1", 1.0)
    for weight in (0.0, -1.0, np.nan):
        with pytest.raises(ValueError, match="the tv weight must be a positive number"):
            Regularisation("tv", weight)
    with pytest.raises(ValueError, match="the tv smoothing must be positive, got 0.0"):
        Regularisation("tv", 1.0, smoothing=0.0)
