import numpy as np
import pytest

import waveback as wb
from waveback.physics.wavelets import max_frequency


def test_ricker_peaks_at_delay_with_peak_frequency_f0():
    dt, nt, f0 = 1e-3, 2000, 12.0
    w = wb.ricker(f0, dt, nt)
    assert np.argmax(w) * dt == pytest.approx(1 / f0, abs=dt)
    assert w.max() == pytest.approx(1.0, rel=1e-3)
    freqs = np.fft.rfftfreq(8 * nt, dt)
    spec = np.abs(np.fft.rfft(w, 8 * nt))
    assert freqs[np.argmax(spec)] == pytest.approx(f0, rel=0.01)


@pytest.mark.parametrize("order", [0, 1, 2])
def test_gaussian_derivatives_are_peak_normalised_derivatives(order):
    dt, nt, f0 = 1e-4, 4000, 20.0
    w = wb.gaussian_derivative(f0, dt, nt, order=order)
    assert np.abs(w).max() == pytest.approx(1.0, rel=1e-3)
    if order > 0:
        lower = wb.gaussian_derivative(f0, dt, nt, order=order - 1)
        deriv = np.gradient(lower, dt)
        corr = deriv @ w / np.linalg.norm(deriv) / np.linalg.norm(w)
        assert corr == pytest.approx(1.0, abs=1e-6)


def test_tone_burst_is_windowed_and_at_its_frequency():
    dt, f0 = 1e-8, 5e6
    w = wb.tone_burst(f0, 3, dt, 2000, t0=1e-7)
    t = np.arange(2000) * dt
    assert np.all(w[(t < 1e-7) | (t > 1e-7 + 3 / f0)] == 0)
    freqs = np.fft.rfftfreq(16384, dt)
    assert freqs[np.argmax(np.abs(np.fft.rfft(w, 16384)))] == pytest.approx(f0, rel=0.03)


def test_delayed_matches_integer_shift_and_keeps_fractional_energy():
    dt = 1e-3
    w = wb.ricker(10.0, dt, 500)
    shifted = wb.delayed(w, [0.0, 7 * dt, 7.5 * dt], dt)
    assert shifted.shape == (500, 3)
    np.testing.assert_allclose(shifted[:, 0], w, atol=1e-12)
    np.testing.assert_allclose(shifted[7:, 1], w[:-7], atol=1e-9)
    assert np.argmax(shifted[:, 2]) * dt == pytest.approx(0.1 + 7.5 * dt, abs=dt)
    assert np.sum(shifted[:, 2] ** 2) == pytest.approx(np.sum(w**2), rel=1e-6)
    with pytest.raises(ValueError, match="non-negative"):
        wb.delayed(w, [-1e-3], dt)


def test_max_frequency_of_ricker():
    # The Ricker spectrum (f/f0)^2 exp(1 - (f/f0)^2) falls to 3 % near 2.55 f0.
    dt = 1e-3
    assert max_frequency(wb.ricker(10.0, dt, 1000), dt) == pytest.approx(25.5, rel=0.03)


def test_bad_time_axis_is_refused():
    with pytest.raises(ValueError, match="dt > 0"):
        wb.ricker(10.0, 0.0, 100)
