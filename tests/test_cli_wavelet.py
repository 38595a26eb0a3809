"""Tests of ``waveback wavelet`` (``waveback_cli.estimate``) on the tiny scene of
``test_cli_image`` (31 x 41 grid, two shots, 180 steps, 10 Hz Ricker), and of reading its output
back with ``--wavelet``.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.image import imread
from test_cli_image import SCENE

import waveback as wb
from waveback.data import files
from waveback_cli.main import ERROR_EXIT_CODE, cli
from waveback_cli.wavelet import load_wavelet


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    root = tmp_path_factory.mktemp("wavelet")
    (root / "scene.toml").write_text(SCENE)
    path = root / "shots.h5"
    assert invoke("-q", "simulate", root / "scene.toml", "-o", path).exit_code == 0
    return path


def test_wavelet_writes_the_estimate_that_wavelet_options_read(shots, tmp_path):
    out = tmp_path / "w.h5"
    result = invoke("wavelet", shots, "--model", shots, "-o", out)
    assert result.exit_code == 0, result.output
    survey = files.read_survey(shots)
    gathers = [files.read_gather(shots, i) for i in range(len(survey.shots))]
    expected = wb.estimate_wavelet(survey.model, survey.shots, gathers, survey.dt)
    with h5py.File(out) as f:
        assert np.array_equal(f["wavelet"][...], expected)
        assert f["wavelet"].attrs["dt"] == survey.dt
        assert f.attrs["command"].startswith("waveback wavelet ")
        assert (
            f.attrs["format"] == "waveback-wavelet"
            and '"band_limit": null' in f.attrs["parameters"]
        )
    true = survey.shots[0].wavelet[:, 0]
    assert np.linalg.norm(expected - true) / np.linalg.norm(true) < 0.03  # measured 1.7 %
    assert np.array_equal(load_wavelet(str(out), survey.dt, survey.nt), expected)
    assert np.array_equal(load_wavelet(f"{out}:/wavelet", survey.dt, survey.nt), expected)
    height, width, _ = imread(tmp_path / "w.png").shape
    assert width > 2 * height
    assert result.stdout.startswith(f"wrote {out}: 180 samples at dt = ")
    assert result.stdout.rstrip().endswith(f"from 2 shot(s); figure {tmp_path / 'w.png'}")


def test_wavelet_options(shots, tmp_path):
    out = tmp_path / "w.h5"
    options = ["--band-limit", 25, "--reference", "ricker:20", "--plot", tmp_path / "p.png"]
    result = invoke("-q", "wavelet", shots, "--model", shots, "-o", out, *options)
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and (tmp_path / "p.png").exists()
    survey = files.read_survey(shots)
    gathers = [files.read_gather(shots, i) for i in range(len(survey.shots))]
    expected = wb.estimate_wavelet(
        survey.model,
        survey.shots,
        gathers,
        survey.dt,
        band_limit=25.0,
        reference=wb.ricker(20.0, survey.dt, survey.nt),
    )
    with h5py.File(out) as f:
        assert np.array_equal(f["wavelet"][...], expected)


def test_wavelet_files_of_another_sampling_or_without_the_dataset_are_refused(tmp_path):
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as f:
        f["wavelet"] = np.zeros(10)
        f["wavelet"].attrs["dt"] = 2e-3
        f["other"] = np.zeros(10)
    message = "the wavelet is sampled at dt = 0.002 s, the data at 0.001 s: estimate it"
    with pytest.raises(ValueError, match=message):
        load_wavelet(str(path), 1e-3, 10)
    assert np.array_equal(load_wavelet(f"{path}:/other", 1e-3, 10), np.zeros(10))
    with h5py.File(path, "w") as f:
        f["other"] = np.zeros(10)
    with pytest.raises(ValueError, match=f"{path} has no dataset /wavelet; give FILE.h5:/dataset"):
        load_wavelet(str(path), 1e-3, 10)


def test_wavelet_bad_input_is_one_line(shots, tmp_path):
    out = tmp_path / "w.h5"
    out.write_text("keep me")
    result = invoke("-q", "wavelet", shots, "--model", shots, "-o", out)
    assert result.exit_code == ERROR_EXIT_CODE
    assert result.stderr.strip().startswith("error: ") and "exists" in result.stderr
    assert out.read_text() == "keep me"
    result = invoke(
        "-q", "wavelet", shots, "--model", shots, "-o", tmp_path / "x.h5", "--band-limit", 0.01
    )
    assert result.exit_code == ERROR_EXIT_CODE
    assert "band limit 0.01 Hz keeps no frequency above 0 Hz" in result.stderr
    assert not (tmp_path / "x.h5").exists()
