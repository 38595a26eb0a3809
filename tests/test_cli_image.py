"""Tests of ``waveback image`` (``waveback_cli.image``): the image is what ``waveback.rtm``
computes with the chosen options, on a tiny scene (31 x 41 grid, two shots, 180 steps, a
reflector at 100 m); every input error is one line and exit status 2, the output untouched.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.image import imread
from scipy.ndimage import gaussian_filter

import waveback as wb
from waveback.data import files
from waveback.data.locking import locked
from waveback.physics import checkpointing, footprint
from waveback.workflows.imaging import depth_mute
from waveback_cli.image import describe
from waveback_cli.main import ERROR_EXIT_CODE, cli
from waveback_cli.plots import plot_image

SCENE = """
description = "tiny imaging scene: one reflector at 100 m"

[model]
generator = "layered"
shape = [31, 41]
spacing = 10.0
depths = [100.0]
velocities = [1500.0, 2000.0]

[acquisition]
kind = "surface_line"
shots = 2
source_depth = 20.0

[wavelet]
kind = "ricker"
f0 = 10.0

[time]
nt = 180

[boundary]
nbl = 10
"""


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """The scene simulated, and a smoothed migration model as a model file and as .npy."""
    root = tmp_path_factory.mktemp("image")
    (root / "scene.toml").write_text(SCENE)
    shots = root / "shots.h5"
    result = invoke("-q", "simulate", root / "scene.toml", "-o", shots)
    assert result.exit_code == 0, result.output
    survey = files.read_survey(shots)
    smooth = survey.model.with_vp(gaussian_filter(survey.model.vp.astype(float), 3.0))
    files.write_model(root / "smooth.h5", smooth)
    np.save(root / "smooth.npy", smooth.vp)
    gathers = [files.read_gather(shots, i) for i in range(len(survey.shots))]
    return SimpleNamespace(root=root, shots=shots, survey=survey, gathers=gathers, smooth=smooth)


def library_image(scene, **options):
    """``waveback.rtm`` of the scene in the smoothed model, as ``waveback image`` stores it."""
    s = scene.survey
    image = wb.rtm(scene.smooth, s.shots, scene.gathers, s.dt, s.interpolation, **options)
    return image.astype(scene.smooth.dtype)


DEFAULTS = {"direct": "subtract", "illumination": True, "laplacian": True}


def test_image_writes_what_rtm_computes_and_plots(scene, tmp_path):
    out = tmp_path / "image.h5"
    result = invoke("image", scene.shots, "--model", scene.root / "smooth.h5", "-o", out)
    assert result.exit_code == 0, result.output
    image = files.read_image(out)
    np.testing.assert_array_equal(image.data, library_image(scene, **DEFAULTS))
    assert image.spacing == (10.0, 10.0) and image.origin == (0.0, 0.0)
    assert image.description == describe(scene.root / "smooth.h5", "subtract", True, True, False)
    meta = files.read_provenance(out)
    assert meta["command"].startswith(f"waveback image {scene.shots} --model ")
    assert "--direct subtract --illumination --laplacian --memory auto" in meta["command"]
    assert json.loads(meta["parameters"])["direct"] == "subtract"
    lines = result.stdout.splitlines()
    assert lines[0] == f"wrote {out}: 2 shot(s) imaged on a 31 x 41 grid"
    assert lines[1] == image.description
    assert lines[2].startswith("backward sweep of the first shot: full storage of 181 wavefields")
    assert lines[3].startswith("wall time ")
    assert "shots: 100%" in result.stderr  # the progress bar, off with -q
    result = invoke("-q", "plot", out, "-o", tmp_path / "image.png")
    assert result.exit_code == 0 and result.output == "", result.output
    assert imread(tmp_path / "image.png")[..., :3].std() > 0.05


def test_the_reflector_is_imaged_at_its_depth(scene, tmp_path):
    """The strongest image row below the near field lies within a quarter wavelength of 100 m,
    and the rows there hold most of the image's energy."""
    out = tmp_path / "image.h5"
    result = invoke("-q", "image", scene.shots, "--model", scene.root / "smooth.h5", "-o", out)
    assert result.exit_code == 0, result.output
    image = files.read_image(out).data
    energy = np.sum(image[5:, 5:-5] ** 2, axis=1)
    quarter = 1500.0 / 10.0 / 4  # a quarter wavelength (m)
    assert abs(10.0 * (5 + np.argmax(energy)) - 100.0) <= quarter  # measured 80 m
    near = np.abs(10.0 * np.arange(5, image.shape[0]) - 100.0) <= quarter
    # most of the image is the reflector: measured 0.82; a blank image gives NaN and fails
    assert energy[near].sum() / energy.sum() > 0.7


OPTIONS = {
    "mute, no filters": (
        ["--direct", "mute", "--no-illumination", "--no-laplacian"],
        {"direct": "mute", "illumination": False, "laplacian": False},
    ),
    "direct wave kept": (["--direct", "none"], {**DEFAULTS, "direct": None}),
    "time-dispersion correction": (["--tdc"], {**DEFAULTS, "time_dispersion_correction": True}),
}


@pytest.mark.parametrize("case", list(OPTIONS))
def test_options_reach_rtm_and_change_the_image(scene, tmp_path, case):
    args, options = OPTIONS[case]
    out = tmp_path / "image.h5"
    result = invoke(
        "-q", "image", scene.shots, "--model", scene.root / "smooth.npy", "-o", out, *args
    )
    assert result.exit_code == 0, result.output
    image = files.read_image(out)
    np.testing.assert_array_equal(image.data, library_image(scene, **options))
    assert not np.array_equal(image.data, library_image(scene, **DEFAULTS))
    assert all(a in files.read_provenance(out)["command"] for a in args)


def test_memory_budget_changes_the_plan_not_the_image(scene, tmp_path, caplog):
    images, lines = [], []
    for memory in ("full", "1MiB"):
        out = tmp_path / f"{memory}.h5"
        model = scene.root / "smooth.h5"
        with caplog.at_level(logging.INFO, logger="waveback"):
            result = invoke(
                "-v", "image", scene.shots, "--model", model, "-o", out, "--memory", memory
            )
        assert result.exit_code == 0, result.output
        images.append(files.read_image(out).data)
        lines.append(result.stdout.splitlines()[2])
    np.testing.assert_array_equal(images[0], images[1])
    assert "full storage" in lines[0] and "checkpoints (binomial, Revolve)" in lines[1]
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("gradient: ")]
    assert len(logged) == 4 and "checkpoints" in logged[-1]  # two shots per run, with -v


def test_models_from_a_model_file_a_shot_file_or_npy(scene, tmp_path):
    for name in ("smooth.h5", "smooth.npy"):
        result = invoke(
            "-q", "image", scene.shots, "--model", scene.root / name, "-o", tmp_path / name
        )
        assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(
        files.read_image(tmp_path / "smooth.h5").data,
        files.read_image(tmp_path / "smooth.npy").data,
    )
    result = invoke("-q", "image", scene.shots, "--model", scene.shots, "-o", tmp_path / "true.h5")
    assert result.exit_code == 0, result.output


def test_migration_model_on_another_grid(scene, tmp_path):
    wide = wb.Model(np.full((31, 61), 1500.0), 10.0, origin=(0.0, -100.0), nbl=10)
    files.write_model(tmp_path / "wide.h5", wide)
    result = invoke(
        "-q", "image", scene.shots, "--model", tmp_path / "wide.h5", "-o", tmp_path / "i.h5"
    )
    assert result.exit_code == 0, result.output
    image = files.read_image(tmp_path / "i.h5")
    assert image.data.shape == (31, 61) and image.origin == (0.0, -100.0)
    narrow = wb.Model(np.full((31, 21), 1500.0), 10.0, origin=(0.0, 100.0), nbl=10)
    files.write_model(tmp_path / "narrow.h5", narrow)
    result = invoke(
        "-q", "image", scene.shots, "--model", tmp_path / "narrow.h5", "-o", tmp_path / "n.h5"
    )
    assert result.exit_code == ERROR_EXIT_CODE
    assert "outside the model" in result.stderr and not (tmp_path / "n.h5").exists()


def test_data_without_a_wavelet_need_one(scene, tmp_path):
    """Through SEG-Y and back, the data lose wavelet and model; --wavelet gives the wavelet."""
    assert invoke("-q", "convert", scene.shots, tmp_path / "s.sgy").exit_code == 0
    assert invoke("-q", "convert", tmp_path / "s.sgy", tmp_path / "bare.h5").exit_code == 0
    smooth = scene.root / "smooth.h5"
    result = invoke("-q", "image", tmp_path / "bare.h5", "--model", smooth, "-o", tmp_path / "i.h5")
    assert result.exit_code == ERROR_EXIT_CODE
    assert result.stderr.startswith("error: ") and "--wavelet" in result.stderr
    result = invoke(
        "-q",
        "image",
        tmp_path / "bare.h5",
        "--model",
        smooth,
        "-o",
        tmp_path / "i.h5",
        "--wavelet",
        "ricker:10",
    )
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(
        files.read_image(tmp_path / "i.h5").data, library_image(scene, **DEFAULTS)
    )
    npy, out = scene.root / "smooth.npy", tmp_path / "j.h5"
    result = invoke(
        "-q", "image", tmp_path / "bare.h5", "--model", npy, "-o", out, "--wavelet", "ricker:10"
    )
    assert result.exit_code == ERROR_EXIT_CODE and "has none" in result.stderr
    result = invoke(
        "-q", "image", scene.shots, "--model", smooth, "-o", out, "--wavelet", "ricker:10"
    )
    assert result.exit_code == ERROR_EXIT_CODE and "stores the source wavelets" in result.stderr


def _foreign(path):
    with h5py.File(path, "w") as f:
        f["vp"] = np.ones((3, 3))


BAD = {
    "missing model": (lambda root: ["--model", root / "missing.h5"], "no such file"),
    "foreign HDF5 model": (
        lambda root: (_foreign(root / "foreign.h5"), ["--model", root / "foreign.h5"])[1],
        "not a waveback file",
    ),
    "image as model": (
        lambda root: (
            files.write_image(root / "i.h5", np.zeros((3, 3)), 1.0, 0.0),
            ["--model", root / "i.h5"],
        )[1],
        "is a waveback-image file; expected a waveback-model or waveback-shots file",
    ),
    "npy of another shape": (
        lambda root: (np.save(root / "v.npy", np.ones((3, 3))), ["--model", root / "v.npy"])[1],
        "grid shape (31, 41)",
    ),
    "complex npy": (
        lambda root: (
            np.save(root / "c.npy", np.full((31, 41), 1500.0 + 1.0j)),
            ["--model", root / "c.npy"],
        )[1],
        "the velocity must be real numbers in m/s, got complex128 values; save a real array",
    ),
    "bad memory": (lambda root: ["--model", root / "m.h5", "--memory", "lots"], "--memory lots"),
    "existing output": (lambda root: ["--model", root / "m.h5"], "exists; choose another name"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_leaves_the_output_alone(scene, tmp_path, case):
    make, message = BAD[case]
    shutil.copy(scene.root / "smooth.h5", tmp_path / "m.h5")
    args = make(tmp_path)
    out = tmp_path / "out.h5"
    if case == "existing output":
        out.write_text("keep me")
    result = invoke("-q", "image", scene.shots, "-o", out, *args)
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert "Traceback" not in result.output
    assert out.read_text() == "keep me" if case == "existing output" else not out.exists()


def _no_work(*args, **kwargs):
    raise AssertionError("the work started before the output was checked")


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs Linux's read-only /sys")
def test_a_read_only_output_is_refused_before_imaging(scene, monkeypatch):
    monkeypatch.setattr(wb, "rtm", _no_work)
    result = invoke("-q", "image", scene.shots, "--model", scene.shots, "-o", "/sys/image.h5")
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    assert result.stderr.startswith(
        "error: cannot write /sys/image.h5: the directory /sys does not accept new files ("
    )


def test_an_output_held_by_another_run_is_refused_before_imaging(scene, tmp_path, monkeypatch):
    monkeypatch.setattr(wb, "rtm", _no_work)
    out = tmp_path / "image.h5"
    with locked(out):  # this process is the other run; its lock is a real flock
        result = invoke("-q", "image", scene.shots, "--model", scene.shots, "-o", out)
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    assert result.stderr.startswith(
        f"error: {out} is being written by another run (pid {os.getpid()} on host "
        f"{socket.gethostname()}, since "
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_sweeps_that_do_not_fit_are_refused_before_imaging(scene, tmp_path, monkeypatch):
    monkeypatch.setattr(wb, "rtm", _no_work)
    model = scene.survey.model
    survey = scene.survey
    plan = wb.gradient_plan(model, survey.nt, survey.dt, "full", 41, illumination=True)
    monkeypatch.setattr(checkpointing, "available_memory", lambda: plan.peak_bytes - 1)
    out = tmp_path / "image.h5"
    result = invoke(
        "-q", "image", scene.shots, "--model", scene.shots, "-o", out, "--memory", "full"
    )
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    assert result.stderr == (
        f"error: the backward sweep of each of 2 shots needs about "
        f"{footprint.size(plan.peak_bytes)} (history of {survey.nt + 1} wavefields "
        f"{footprint.size(plan.storage_bytes)}, wavefields and working arrays "
        f"{footprint.size(plan.working_bytes)}) of memory, but only "
        f"{footprint.size(plan.peak_bytes - 1)} is available; lower --memory (or use auto) so "
        f"that checkpointing keeps each sweep within it, use fewer --workers, or a coarser "
        f"model\n"
    )
    assert not out.exists()


def test_mute_depth_zeroes_the_image_above_it_and_tapers_below(scene, tmp_path):
    out = tmp_path / "image.h5"
    model = scene.root / "smooth.h5"
    args = ["--mute-depth", 40, "--mute-taper", 20]
    result = invoke("image", scene.shots, "--model", model, "-o", out, *args, "-q")
    assert result.exit_code == 0 and result.output == "", result.output
    s = scene.survey
    full = wb.rtm(scene.smooth, s.shots, scene.gathers, s.dt, s.interpolation, **DEFAULTS)
    image = files.read_image(out)
    expected = depth_mute(full, (10.0, 10.0), (0.0, 0.0), 40.0, 20.0).astype(np.float32)
    np.testing.assert_array_equal(image.data, expected)
    assert np.all(image.data[:5] == 0) and np.array_equal(image.data[6:], np.float32(full[6:]))
    assert image.description.endswith(", muted above 40 m (tapered over 20 m)")
    assert "--mute-depth 40.0 --mute-taper 20.0" in files.read_provenance(out)["command"]
    result = invoke("image", scene.shots, "--model", model, "-o", out, "--mute-taper", 20)
    assert result.exit_code == ERROR_EXIT_CODE and result.stderr == (
        "error: --mute-taper goes with --mute-depth: give the depth of the mute\n"
    )


#: A seismic_2d in small: sources and receivers 20 m deep over a faulted stack of layers.
SEISMIC = """
[model]
generator = "faulted"
shape = [41, 81]
spacing = 10.0
depths = [150.0, 300.0]
velocities = [1800.0, 2200.0, 2600.0]
fault_x = 300.0
fault_dip = 60.0
throw = 50.0

[acquisition]
kind = "surface_line"
shots = 3
source_depth = 20.0

[wavelet]
kind = "ricker"
f0 = 15.0

[time]
duration = 0.5

[boundary]
nbl = 10
"""


def visible_fraction(png: Path, image_file: Path) -> float:
    """Fraction of the image's pixels in the figure ``png`` visibly off the grey of zero.

    The axes' place in the figure comes from drawing it again (:func:`plot_image`).
    """
    image = files.read_image(image_file)
    fig = plot_image(png.with_suffix(".again.png"), image, image.description)
    x0, y0, x1, y1 = fig.axes[0].get_window_extent().extents
    pixels = imread(png)[..., 0]
    top, bottom = pixels.shape[0] - int(y1) + 2, pixels.shape[0] - int(y0) - 2
    grey = pixels[top:bottom, int(x0) + 2 : int(x1) - 2]
    return float(np.mean(np.abs(grey - 0.5) > 0.1))


def test_a_seismic_image_muted_below_the_acquisition_is_not_blank(tmp_path):
    """The near field above 60 m outshines the reflectors and leaves the figure grey."""
    (tmp_path / "seismic.toml").write_text(SEISMIC)
    shots = tmp_path / "shots.h5"
    assert invoke("-q", "simulate", tmp_path / "seismic.toml", "-o", shots).exit_code == 0
    assert invoke("-q", "smooth", shots, "-o", tmp_path / "smooth.h5", "--sigma", 80).exit_code == 0
    fractions = {}
    for name, mute in (("raw", []), ("muted", ["--mute-depth", 60])):
        out = tmp_path / f"{name}.h5"
        args = ["image", shots, "--model", tmp_path / "smooth.h5", "-o", out, *mute]
        assert invoke("-q", *args).exit_code == 0
        assert invoke("-q", "plot", out, "-o", tmp_path / f"{name}.png").exit_code == 0
        fractions[name] = visible_fraction(tmp_path / f"{name}.png", out)
    assert fractions["raw"] < 0.08 and fractions["muted"] > 0.15, fractions
