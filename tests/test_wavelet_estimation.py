"""Source-wavelet estimation: recovery from analytic data, the exact reduced gradient, FWI."""

import numpy as np
import pytest
from test_inversion import _tiny_problem, tiny_true_velocity
from test_misfits import taylor_slopes

import waveback as wb
from waveback.data.acquisition import Shot
from waveback.verification.analytic import analytic_trace
from waveback.workflows.inversion import _objective, estimation_mode
from waveback.workflows.misfits import MISFITS
from waveback.workflows.wavelet_estimation import default_reference, filtered, reduced_misfit

pytestmark = pytest.mark.filterwarnings("ignore:grid dispersion")

C, H = 1500.0, 5.0


def _foreign_wavelet(dt, nt):
    """A zero-mean, 60°-phase-rotated Gaussian-windowed tone at 12 Hz: not a waveback wavelet."""
    t = np.arange(nt) * dt - 0.1
    pulse = np.exp(-((t / 0.03) ** 2)) * np.sin(2 * np.pi * 12.0 * t + np.radians(60))
    return np.gradient(pulse, dt) / (2 * np.pi * 12.0)


@pytest.fixture(scope="module")
def analytic_survey():
    """Two shots of 8 receivers 150 m away in 1500 m/s (2D), traces from the exact solution."""
    n = 121
    model = wb.Model(np.full((n, n), C), H)
    dt = 0.2 * H / C
    nt = int(0.4 / dt)
    w = _foreign_wavelet(dt, nt)
    angle = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    ring = 150.0 * np.stack([np.sin(angle), np.cos(angle)], axis=1)
    shots, data = [], []
    for src in ([[300.0, 300.0]], [[250.0, 350.0]]):
        src = np.array(src)
        rec = np.round((src + ring) / H) * H  # on the grid: linear interpolation is exact
        shots.append(Shot(src, rec))
        data.append(analytic_trace(w, dt, np.linalg.norm(rec - src, axis=1), C, 2))
    return model, shots, data, dt, w


def _relative(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def test_the_wavelet_of_analytic_data_is_recovered_in_the_true_model(analytic_survey):
    model, shots, data, dt, w = analytic_survey
    estimate = wb.estimate_wavelet(model, shots, data, dt, interpolation="linear")
    assert estimate.shape == w.shape
    assert _relative(estimate, w) < 0.02  # measured 1.17 %
    each = wb.estimate_wavelet(model, shots, data, dt, per_shot=True, band_limit=40.0)
    assert each.shape == (2, w.size)
    for e in each:
        assert _relative(e, w) < 0.02  # measured 1.2 %


def test_the_default_reference_peaks_at_twice_the_data_peak_frequency():
    dt, nt = 1e-3, 500
    data = [np.stack([wb.ricker(10.0, dt, nt), 2 * wb.ricker(10.0, dt, nt)], axis=1)]
    reference = default_reference(data, dt)
    f = np.fft.rfftfreq(4 * nt, dt)
    assert f[np.argmax(np.abs(np.fft.rfft(reference, 4 * nt)))] == pytest.approx(20.0, rel=0.05)
    with pytest.raises(ValueError, match="the observed data are zero"):
        default_reference([np.zeros((nt, 2))], dt)


@pytest.mark.parametrize("per_shot", [False, True])
@pytest.mark.parametrize("name", MISFITS)
def test_the_reduced_misfit_has_the_exact_derivative_in_the_reference_data(name, per_shot):
    """The derivative includes the change of the least-squares filter with the data."""
    rng = np.random.default_rng(4)
    nt, dt = 60, 1e-3
    w = wb.ricker(80.0, dt, nt)
    references = [
        np.convolve(w, rng.standard_normal(nt))[:nt, None] * rng.uniform(0.5, 2, 3)
        for _ in range(2)
    ]
    observed = [
        filtered(np.exp(-0.3j * np.arange(61)), r, 120) + 0.05 * rng.standard_normal(r.shape)
        for r in references
    ]
    options = {"per_shot": per_shot, "band_limit": 300.0, "epsilon": 0.05}
    fit = reduced_misfit(references, observed, dt, name, **options)
    assert len(fit.filters) == (2 if per_shot else 1) and fit.nfft == 120
    stacked = np.stack(references)

    def value(x):
        return reduced_misfit(list(x), observed, dt, name, **options).misfit

    gradient = np.stack(fit.adjoint_sources)
    direction = gradient / np.linalg.norm(gradient) + 0.1 * rng.standard_normal(gradient.shape) / 20
    direction *= 0.3 * np.linalg.norm(stacked) / np.linalg.norm(direction)
    slope0, slope1 = taylor_slopes(value, stacked, direction, gradient)
    assert abs(slope0 - 1) < 0.1 and abs(slope1 - 2) < 0.1, (slope0, slope1)


@pytest.mark.parametrize(
    "options",
    [
        {"misfit": "l2", "source_estimation": True},
        {"misfit": "correlation", "source_estimation": "per-shot"},
    ],
)
def test_the_fwi_gradient_with_source_estimation_passes_the_taylor_test(options):
    """The reduced misfit of the tiny ring problem, float64, its reference a wrong wavelet."""
    start, shots, data, dt = _tiny_problem()
    model = wb.Model(start.vp, start.spacing, 0.0, 4, "sponge", 6, dtype="float64")
    nt = shots[0].wavelet.shape[0]
    wrong = [Shot(s.src, s.rec, 0.3 * wb.ricker(400e3, dt, nt).reshape(-1, 1)) for s in shots]
    problem = (model, wrong, [d.astype(np.float64) for d in data], dt, "linear", "auto", False)
    phi0, g_v = _objective(*problem, model.vp, **options)
    n = model.shape[0]
    z, x = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    dv = 40.0 * np.exp(-((z - 13) ** 2 + (x - 10) ** 2) / 8.0)  # a lens where the body is

    def value(vp):
        return _objective(*problem, vp, **options)[0]

    slope0, slope1 = taylor_slopes(value, model.vp, dv, g_v)
    assert abs(slope0 - 1) < 0.1 and abs(slope1 - 2) < 0.1, (slope0, slope1)


def test_fwi_with_estimation_from_a_wrong_wavelet_does_as_well_as_with_the_true_one():
    """Started from a 400 kHz Ricker at 0.3 x the amplitude (the truth: 300 kHz, 1)."""
    start, shots, data, dt = _tiny_problem()
    true = tiny_true_velocity(start)
    nt = shots[0].wavelet.shape[0]
    wrong = [Shot(s.src, s.rec, 0.3 * wb.ricker(400e3, dt, nt).reshape(-1, 1)) for s in shots]
    options = {"bounds": (1400.0, 1700.0), "iterations": 8}
    reference = wb.fwi(start, shots, data, dt, **options)
    guessed = wb.fwi(start, wrong, data, dt, **options)
    estimated = wb.fwi(start, wrong, data, dt, source_estimation=True, **options)

    def error(vp):
        return _relative(vp, true) / _relative(start.vp, true)

    assert error(reference.vp) < 0.7  # measured 0.661
    assert error(guessed.vp) > 2.0  # measured 6.13: the wrong wavelet alone diverges
    assert error(estimated.vp) < 1.1 * error(reference.vp)  # measured 0.627


def test_estimation_input_checks(analytic_survey):
    model, shots, data, dt, w = analytic_survey
    with pytest.raises(ValueError, match="2 shots but 1 gathers: give one gather per shot"):
        wb.estimate_wavelet(model, shots, data[:1], dt)
    with pytest.raises(ValueError, match=f"must have the data's nt = {w.size} samples, got"):
        wb.estimate_wavelet(model, shots, data, dt, reference=w[:-1])
    with pytest.raises(ValueError, match="band limit 0.1 Hz keeps no frequency above 0 Hz"):
        reduced_misfit(data, data, dt, band_limit=0.1)
    with pytest.raises(
        ValueError, match=r"shot 1: the modelled gather \(600, 8\) and the observed one \(600, 7\)"
    ):
        reduced_misfit(data, [data[0], data[1][:, :7]], dt)
    with pytest.raises(ValueError, match="the reference data are zero"):
        reduced_misfit([np.zeros_like(d) for d in data], data, dt)
    with pytest.raises(ValueError, match="epsilon must be >= 0"):
        reduced_misfit(data, data, dt, epsilon=-1.0)
    with pytest.raises(ValueError, match="source_estimation 'each' is not known: give False, True"):
        estimation_mode("each")
    assert [estimation_mode(v) for v in (False, None, True, "shared", "per-shot")] == [
        None,
        None,
        "shared",
        "shared",
        "per-shot",
    ]


def test_the_filter_term_is_not_negligible_in_the_gradient():
    """Variable projection alone (the filtered residual) is not the derivative: the truncation
    to the record and the stabilisation leave a term, here 10 % of the adjoint source."""
    start, shots, data, dt = _tiny_problem()
    nt = shots[0].wavelet.shape[0]
    w = 0.3 * wb.ricker(400e3, dt, nt)
    refs = np.stack([wb.forward(start, w, s.src, s.rec, dt).astype(np.float64) for s in shots])
    fit = reduced_misfit(list(refs), data, dt)
    c = fit.filters[0]
    direct = np.stack(
        [
            filtered(np.conj(c), filtered(c, r, fit.nfft) - o, fit.nfft)
            for r, o in zip(refs, data, strict=True)
        ]
    )
    full = np.stack(fit.adjoint_sources)
    share = np.linalg.norm(full - direct) / np.linalg.norm(full)
    assert 0.05 < share < 0.2  # measured 0.0985

    def value(x):
        return reduced_misfit(list(x), data, dt).misfit

    direction = 0.05 * (full - direct) / np.linalg.norm(full - direct) * np.linalg.norm(refs)
    assert abs(taylor_slopes(value, refs, direction, full)[1] - 2) < 0.1
    assert taylor_slopes(value, refs, direction, direct)[1] < 1.5


@pytest.mark.slow  # about 15 s on two shared cores
def test_the_wavelet_of_analytic_3d_data_is_recovered_in_the_true_model():
    """One shot, four receivers 60 to 80 m away in 1500 m/s (3D, 41³ grid), exact traces."""
    model = wb.Model(np.full((41, 41, 41), C), H, nbl=10)
    dt = 0.2 * H / C
    nt = int(0.22 / dt)
    t = np.arange(nt) * dt - 0.08
    pulse = np.exp(-((t / 0.025) ** 2)) * np.sin(2 * np.pi * 14.0 * t + np.radians(60))
    w = np.gradient(pulse, dt) / (2 * np.pi * 14.0)
    src = np.array([[100.0, 100.0, 100.0]])
    rec = np.array([[100, 100, 180], [180, 100, 100], [100, 30, 100], [40, 160, 100]], float)
    data = analytic_trace(w, dt, np.linalg.norm(rec - src, axis=1), C, 3)
    estimate = wb.estimate_wavelet(model, [Shot(src, rec)], [data], dt)
    assert _relative(estimate, w) < 0.05  # measured 3.9 %
