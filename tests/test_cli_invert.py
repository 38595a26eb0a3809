"""Tests of ``waveback invert`` (``waveback_cli.invert``) on the tiny scene of
``test_cli_image`` (31 x 41 grid, two shots, 180 steps) from a constant starting model.

The inverted model and its misfit curve are what ``waveback.fwi`` computes; an inversion
interrupted (Ctrl-C, raised from the library's per-iteration callback) resumes from its history
when the same command is run again, bitwise equal to the run never interrupted, and continues
with a larger ``--iterations``; every option reaches ``fwi`` (checked with a stand-in that
records its arguments); bad input is one line and exit status 2, the output untouched.
"""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.image import imread
from test_cli_image import SCENE

import waveback as wb
from waveback.data import files
from waveback.workflows import fwi_history
from waveback.workflows.inversion import FWIResult
from waveback.workflows.regularisation import Regularisation
from waveback_cli.invert import parse_bands, velocity_bounds
from waveback_cli.main import ERROR_EXIT_CODE, cli


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """The scene simulated, and a constant 1500 m/s starting model (model file and .npy)."""
    root = tmp_path_factory.mktemp("invert")
    (root / "scene.toml").write_text(SCENE)
    shots = root / "shots.h5"
    result = invoke("-q", "simulate", root / "scene.toml", "-o", shots)
    assert result.exit_code == 0, result.output
    survey = files.read_survey(shots)
    start = survey.model.with_vp(np.full(survey.model.shape, 1500.0))
    files.write_model(root / "start.h5", start)
    np.save(root / "start.npy", start.vp)
    gathers = [files.read_gather(shots, i) for i in range(len(survey.shots))]
    return SimpleNamespace(root=root, shots=shots, survey=survey, gathers=gathers, start=start)


def test_invert_writes_what_fwi_computes_with_its_misfit_curve(scene, tmp_path):
    out = tmp_path / "inv.h5"
    args = ("--iterations", 2, "--bands", "8,none", "--vmin", 1300)
    result = invoke("invert", scene.shots, "--model", scene.root / "start.h5", "-o", out, *args)
    assert result.exit_code == 0, result.output
    s = scene.survey
    expected = wb.fwi(
        scene.start,
        s.shots,
        scene.gathers,
        s.dt,
        s.interpolation,
        bounds=(1300.0, 1875.0),
        bands=(8.0, None),
        iterations=2,
    )
    np.testing.assert_array_equal(files.read_model(out).vp, scene.start.with_vp(expected.vp).vp)
    curve = files.read_misfit(out)
    np.testing.assert_array_equal(curve.misfit, expected.misfit)
    np.testing.assert_array_equal(curve.band, [0, 0, 1, 1])
    np.testing.assert_array_equal(curve.initial_misfit, expected.initial_misfit)
    np.testing.assert_array_equal(curve.bands, [8.0, np.nan])
    assert np.all(curve.misfit[curve.band == 1][-1] < curve.initial_misfit[1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inv.h5"]  # history removed

    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"inverting 2 shot(s) from {scene.root / 'start.h5'}: 2 band(s) x 2 iterations, "
        f"velocity 1300 to 1875 m/s"
    )
    printed = [float(m) for m in re.findall(r"iteration \d/2: misfit (\S+)", result.stdout)]
    np.testing.assert_allclose(printed, curve.misfit, rtol=1e-5)
    assert lines[1].startswith("band 1/2 (up to 8 Hz) iteration 1/2: misfit ")
    assert lines[4].startswith("band 2/2 (full band) iteration 2/2: misfit ")
    assert lines[5] == f"wrote {out}: 4 iterations"
    assert lines[6].startswith("band 1 (up to 8 Hz): misfit ") and "% of its start" in lines[6]
    assert lines[7].startswith("band 2 (full band): misfit ")
    assert lines[8].startswith("backward sweep of the first shot: full storage")

    assert "inversion: 4 iterations in 2 of 2 band(s)" in invoke("info", out).stdout
    result = invoke("-q", "plot", out, "-o", tmp_path / "inv.png")
    assert result.exit_code == 0, result.output
    figure = imread(tmp_path / "inv.png")
    assert figure.shape[1] > 1200 and figure[..., :3].std() > 0.05  # model and misfit panels


#: Two bands of three iterations, from the .npy start (the issue's command).
RESUMED = ("--model", "start.npy", "--bands", "8,none", "--vmin", 1300)


@pytest.fixture(scope="module")
def uninterrupted(scene, tmp_path_factory):
    """The output of ``waveback invert ... --iterations 3`` never interrupted."""
    out = tmp_path_factory.mktemp("uninterrupted") / "inv.h5"
    args = [scene.root / a if a == "start.npy" else a for a in RESUMED]
    result = invoke("-q", "invert", scene.shots, "-o", out, "--iterations", 3, *args)
    assert result.exit_code == 0, result.output
    return files.read_model(out).vp, files.read_misfit(out)


def _interrupt_at(monkeypatch, band, iteration):
    """Make ``waveback.fwi`` raise KeyboardInterrupt after reporting ``(band, iteration)``."""
    fwi, reported = wb.fwi, []

    def interrupted(*args, callback, **kwargs):
        def on_iteration(b, i, misfit, vp):
            callback(b, i, misfit, vp)
            reported.append(misfit)
            if (b, i) == (band, iteration):
                raise KeyboardInterrupt

        return fwi(*args, callback=on_iteration, **kwargs)

    monkeypatch.setattr(wb, "fwi", interrupted)
    return reported


def _assert_bitwise_equal(out, expected):
    vp, curve = expected
    np.testing.assert_array_equal(files.read_model(out).vp, vp)
    found = files.read_misfit(out)
    for name in ("misfit", "band", "initial_misfit"):
        np.testing.assert_array_equal(getattr(found, name), getattr(curve, name))


def test_an_interrupted_inversion_resumes_bitwise(scene, tmp_path, monkeypatch, uninterrupted):
    out = tmp_path / "inv.h5"
    history = tmp_path / "inv.h5.history.h5"
    args = [scene.root / a if a == "start.npy" else a for a in RESUMED]
    command = ("invert", scene.shots, "-o", out, "--iterations", 3, *args)
    with monkeypatch.context() as patch:
        reported = _interrupt_at(patch, 0, 2)
        result = invoke(*command)
    assert result.exit_code == 130  # 128 + SIGINT, as a shell reports Ctrl-C
    assert f"interrupted: run the same command again to resume from {history}" in result.stderr
    assert len(reported) == 2 and history.exists() and not out.exists()

    result = invoke(*command)
    assert result.exit_code == 0, result.output
    assert f"resuming from {history}" in result.stdout
    assert f"wrote {out}: 6 iterations (2 resumed from {history})" in result.stdout
    assert "band 1/2 (up to 8 Hz) iteration 3/3" in result.stdout
    assert "band 1/2 (up to 8 Hz) iteration 2/3" not in result.stdout
    _assert_bitwise_equal(out, uninterrupted)
    np.testing.assert_array_equal(files.read_misfit(out).misfit[:2], reported)
    assert not history.exists()


def test_more_iterations_continue_an_inversion_bitwise(scene, tmp_path, monkeypatch, uninterrupted):
    """Interrupted with --iterations 2, then finished with 3: the run made with 3 throughout."""
    out, history = tmp_path / "inv.h5", tmp_path / "kept.h5"
    args = [scene.root / a if a == "start.npy" else a for a in RESUMED]
    command = ("invert", scene.shots, "-o", out, *args, "--history", history)
    with monkeypatch.context() as patch:
        _interrupt_at(patch, 1, 1)
        assert invoke(*command, "--iterations", 2).exit_code == 130
    result = invoke(*command, "--iterations", 3)
    assert result.exit_code == 0, result.output
    # band 1 continues, so band 2 starts again from its new end: 2 iterations are replayed
    assert f"wrote {out}: 6 iterations (2 resumed from {history})" in result.stdout
    _assert_bitwise_equal(out, uninterrupted)
    assert history.exists()  # given with --history: kept

    result = invoke("-q", *command, "--iterations", 2, "--overwrite")
    assert result.exit_code == ERROR_EXIT_CODE
    assert result.stderr == (
        f"error: {history} holds 3 iterations of band 1, more than the 2 asked for: ask for at "
        f"least 3 to continue it, or give another history file (--history) or delete it to "
        f"start again\n"
    )
    _assert_bitwise_equal(out, uninterrupted)


class Recorder:
    """A stand-in for ``waveback.fwi`` that records its arguments and returns the start."""

    def __init__(self):
        self.shots, self.kwargs = None, None

    def __call__(self, model, shots, data, dt, interpolation, **kwargs):
        self.shots, self.kwargs = shots, kwargs
        kwargs["history"].write_text("history")
        return FWIResult(np.asarray(model.vp, dtype=float), [1.0], [0], [2.0])


def test_every_option_reaches_fwi(scene, tmp_path, monkeypatch):
    fake = Recorder()
    monkeypatch.setattr(wb, "fwi", fake)
    model = scene.root / "start.h5"
    result = invoke("-q", "invert", scene.shots, "--model", model, "-o", tmp_path / "a.h5")
    assert result.exit_code == 0, result.output
    assert fake.kwargs["bounds"] == (1200.0, 1875.0) and fake.kwargs["bands"] == (None,)
    assert (fake.kwargs["iterations"], fake.kwargs["memory"]) == (10, "auto")
    assert fake.kwargs["source_radius"] == fake.kwargs["depth_scaling"] == 0.0
    assert fake.kwargs["time_dispersion_correction"] is False
    assert (fake.kwargs["misfit"], fake.kwargs["source_estimation"]) == ("l2", False)
    assert fake.kwargs["precondition"] is fake.kwargs["regularisation"] is None
    assert fake.kwargs["history"] == tmp_path / "a.h5.history.h5"
    assert not (tmp_path / "a.h5.history.h5").exists()  # the default history is removed

    options = ["--iterations", 3, "--bands", "4, 8,none", "--vmin", 1000, "--vmax", 2500]
    options += ["--source-radius", 30, "--depth-scaling", 1.5, "--memory", "2MiB", "--tdc"]
    options += ["--history", tmp_path / "h.h5", "--misfit", "correlation", "--estimate-wavelet"]
    options += ["--precondition", "illumination", "--regularisation", "TV:0.5"]
    result = invoke(
        "-q", "invert", scene.shots, "--model", model, "-o", tmp_path / "b.h5", *options
    )
    assert result.exit_code == 0, result.output
    assert fake.kwargs["bounds"] == (1000.0, 2500.0) and fake.kwargs["bands"] == (4.0, 8.0, None)
    assert (fake.kwargs["iterations"], fake.kwargs["memory"]) == (3, "2MiB")
    assert (fake.kwargs["source_radius"], fake.kwargs["depth_scaling"]) == (30.0, 1.5)
    assert fake.kwargs["time_dispersion_correction"] is True
    assert (fake.kwargs["misfit"], fake.kwargs["source_estimation"]) == ("correlation", True)
    assert fake.kwargs["precondition"] == "illumination"
    assert fake.kwargs["regularisation"] == Regularisation("tv", 0.5)
    assert fake.kwargs["history"] == tmp_path / "h.h5" and (tmp_path / "h.h5").exists()
    meta = files.read_provenance(tmp_path / "b.h5")
    assert "--tdc" in meta["command"] and '"vmax": 2500.0' in meta["parameters"]


def test_bands_are_frequencies_low_to_high_with_the_full_band_last():
    assert parse_bands("4, 8,none", 1e-3) == (4.0, 8.0, None)
    assert parse_bands("FULL", 1e-3) == (None,)
    for text, message in [
        ("4,x", "neither a frequency"),
        ("8,4", "increasing"),
        ("none,4", "increasing"),
        ("4,4", "increasing"),
        ("600", "Nyquist frequency 500 Hz"),
        ("0", "between 0"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_bands(text, 1e-3)


def test_default_bounds_respect_the_stability_of_dt():
    model = wb.Model(np.full((11, 11), 2000.0), 10.0)
    dt = 0.6 * model.critical_dt()
    assert velocity_bounds(model, dt, None, None) == (1600.0, 2500.0, False)
    dt = 0.9 * model.critical_dt()  # stable up to 2000 / 0.9 = 2222 m/s
    vmin, vmax, limited = velocity_bounds(model, dt, None, None)
    assert limited and vmax == math.floor(2000.0 / 0.9)
    with pytest.raises(ValueError, match=r"--vmax 2500 m/s is unstable .* 2222.2"):
        velocity_bounds(model, dt, None, 2500.0)
    with pytest.raises(ValueError, match="must contain the starting model's velocities"):
        velocity_bounds(model, dt, 2100.0, None)
    for vmin in (-100.0, 0.0, math.nan):
        with pytest.raises(ValueError, match=f"^--vmin {vmin:g} m/s: the lower velocity bound"):
            velocity_bounds(model, dt, vmin, None)
    with pytest.raises(ValueError, match="unstable for the starting model"):
        velocity_bounds(model, 1.01 * model.critical_dt(), None, None)


def _history_of_another_inversion(root):
    with h5py.File(root / "out.h5.history.h5", "w") as f:
        f.attrs["format"], f.attrs["version"] = fwi_history.FORMAT, fwi_history.VERSION
        f.attrs["fingerprint"] = "another inversion"


BAD = {
    "missing model": (["--model", "missing.h5"], "no such file"),
    "foreign HDF5 model": (["--model", "foreign.h5"], "not a waveback file"),
    "bad bands": (["--model", "start.h5", "--bands", "8,4"], "increasing"),
    "unstable vmax": (["--model", "start.h5", "--vmax", "1e5"], "is unstable"),
    "bounds without the start": (["--model", "start.h5", "--vmin", "1600"], "must contain"),
    "bad memory": (["--model", "start.h5", "--memory", "lots"], "--memory lots"),
    "existing output": (["--model", "start.h5"], "exists; choose another name"),
    "history of another inversion": (
        ["--model", "start.h5"],
        "holds the history of a different inversion (other data, model or settings): give "
        "another history file (--history), or delete it to start this inversion afresh",
    ),
    "bad regularisation weight": (
        ["--model", "start.h5", "--regularisation", "tv:x"],
        "--regularisation tv:x: give KIND:WEIGHT with KIND one of tikhonov, tv and a positive "
        "WEIGHT, e.g. tv:0.01",
    ),
    "bad regularisation kind": (
        ["--model", "start.h5", "--regularisation", "l1:1"],
        "--regularisation l1:1: regularisation 'l1' is not known: choose one of tikhonov, tv",
    ),
    "negative vmin": (
        ["--model", "start.h5", "--vmin", "-1500"],
        "--vmin -1500 m/s: the lower velocity bound must be positive, and at most the starting "
        "model's smallest velocity, 1500 m/s",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_leaves_the_output_alone(scene, tmp_path, case):
    args, message = BAD[case]
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["vp"] = np.ones((3, 3))
    (tmp_path / "start.h5").write_bytes((scene.root / "start.h5").read_bytes())
    out = tmp_path / "out.h5"
    if case == "existing output":
        out.write_text("keep me")
    if case == "history of another inversion":
        _history_of_another_inversion(tmp_path)
    args = [tmp_path / a if a.endswith(".h5") else a for a in args]
    result = invoke("-q", "invert", scene.shots, "-o", out, *args)
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert "Traceback" not in result.output
    assert out.read_text() == "keep me" if case == "existing output" else not out.exists()


def test_invert_estimates_the_wavelet_with_the_correlation_misfit(scene, tmp_path):
    """From a wrong (20 Hz, 0.2 x) reference wavelet: what fwi computes with the same settings."""
    out = tmp_path / "inv.h5"
    s = scene.survey
    wrong = 0.2 * wb.ricker(20.0, s.dt, s.nt)
    np.save(tmp_path / "wrong.npy", wrong)
    assert invoke("-q", "convert", scene.shots, tmp_path / "s.sgy").exit_code == 0
    assert invoke("-q", "convert", tmp_path / "s.sgy", tmp_path / "bare.h5").exit_code == 0
    args = ["--iterations", 2, "--estimate-wavelet", "--misfit", "correlation"]
    args += ["--wavelet", tmp_path / "wrong.npy", "--regularisation", "tikhonov:0.1"]
    result = invoke(
        "-q", "invert", tmp_path / "bare.h5", "--model", scene.root / "start.h5", "-o", out, *args
    )
    assert result.exit_code == 0, result.output
    survey = files.read_survey(tmp_path / "bare.h5")
    gathers = [files.read_gather(tmp_path / "bare.h5", i) for i in range(len(survey.shots))]
    shots = [type(shot)(shot.src, shot.rec, wrong[:, None]) for shot in survey.shots]
    expected = wb.fwi(
        scene.start,
        shots,
        gathers,
        s.dt,
        s.interpolation,
        bounds=(1200.0, 1875.0),
        iterations=2,
        misfit="correlation",
        source_estimation=True,
        regularisation=Regularisation("tikhonov", 0.1),
    )
    np.testing.assert_array_equal(files.read_model(out).vp, scene.start.with_vp(expected.vp).vp)
    assert expected.misfit[-1] < expected.initial_misfit[0]


def test_data_without_a_wavelet_need_one(scene, tmp_path, monkeypatch):
    assert invoke("-q", "convert", scene.shots, tmp_path / "s.sgy").exit_code == 0
    assert invoke("-q", "convert", tmp_path / "s.sgy", tmp_path / "bare.h5").exit_code == 0
    command = ["-q", "invert", tmp_path / "bare.h5", "--model", scene.root / "start.h5"]
    result = invoke(*command, "-o", tmp_path / "out.h5")
    assert result.exit_code == ERROR_EXIT_CODE
    assert "holds no source wavelet" in result.stderr and "--wavelet" in result.stderr
    fake = Recorder()
    monkeypatch.setattr(wb, "fwi", fake)
    result = invoke(*command, "-o", tmp_path / "out.h5", "--wavelet", "ricker:10")
    assert result.exit_code == 0, result.output
    for shot in fake.shots:
        np.testing.assert_array_equal(shot.wavelet[:, 0], wb.ricker(10.0, scene.survey.dt, 180))


def test_sweeps_that_do_not_fit_are_refused_before_the_inversion(scene, tmp_path, monkeypatch):
    from waveback.physics import checkpointing, footprint

    def no_work(*args, **kwargs):
        raise AssertionError("fwi ran before the memory check")

    monkeypatch.setattr(wb, "fwi", no_work)
    survey = scene.survey
    nrec = max(shot.rec.shape[0] for shot in survey.shots)
    plan = wb.gradient_plan(scene.start, survey.nt, survey.dt, "full", nrec)
    monkeypatch.setattr(checkpointing, "available_memory", lambda: plan.peak_bytes - 1)
    out = tmp_path / "inverted.h5"
    result = invoke(
        "-q", "invert", scene.shots, "--model", scene.root / "start.h5", "-o", out,
        "--memory", "full",
    )  # fmt: skip
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    assert result.stderr.startswith(
        f"error: the backward sweep of each of {len(survey.shots)} shots needs about "
        f"{footprint.size(plan.peak_bytes)} "
    )
    assert not out.exists()


def test_invert_shows_the_shots_done_within_an_iteration(scene, tmp_path):
    out = tmp_path / "inverted.h5"
    result = invoke(
        "invert", scene.shots, "--model", scene.root / "start.h5", "-o", out,
        "--iterations", 1, "--bands", "none",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shots = len(scene.survey.shots)
    # one bar over the shots per misfit evaluation, cleared when the evaluation ends
    assert re.search(rf"shots: +\d+%\|.*\| \d/{shots} ", result.stderr), result.stderr
    quiet = invoke("-q", "invert", scene.shots, "--model", scene.root / "start.h5", "-o",
                   tmp_path / "quiet.h5", "--iterations", 1, "--bands", "none")  # fmt: skip
    assert quiet.exit_code == 0 and "shots" not in quiet.stderr
