"""Tests of the ``waveback`` command line (``waveback_cli``): options, the demo's files, errors.

The demo test runs ``demo --size small`` once per module (101 x 201 grid, one shot, 0.6 s;
a few seconds once numba's cache is warm) and checks every part of its output. The other
commands run on a tiny scene (41 x 61 grid, three shots, 120 steps); the interruption test
kills a real ``simulate`` process with SIGKILL and completes its file with a rerun.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path

import click
import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.image import imread

import waveback as wb
from waveback.data import files
from waveback.data.locking import locked
from waveback.data.phantoms import LAYERED_VELOCITIES, layered_2d
from waveback.data.resumable import ResumableShotFile
from waveback.data.scenes import read_scene
from waveback.physics import checkpointing, footprint
from waveback.workflows import simulation
from waveback_cli.main import ERROR_EXIT_CODE, WavebackGroup, cli, warning_printer
from waveback_cli.simulate import snapshot_indices

REPO = Path(__file__).resolve().parent.parent
SCENES = REPO / "data" / "scenes"
SMALL_SHAPE = (101, 201)


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"waveback, version {wb.__version__}"


def test_help_lists_options_and_demo():
    result = invoke("--help")
    assert result.exit_code == 0, result.output
    for word in ("--version", "--verbose", "--quiet", "demo", "simulate", "image", "invert"):
        assert word in result.stdout
    for command in ("simulate", "image", "invert", "plot", "info", "convert", "check"):
        result = invoke(command, "--help")
        assert result.exit_code == 0 and "Usage: " in result.stdout, result.output
    result = invoke("demo", "--help")
    assert result.exit_code == 0, result.output
    for word in ("--output", "--size", "small", "full"):
        assert word in result.stdout


#: Options declared once (``waveback_cli.options``) and the commands that run shots that take them.
SHARED_OPTIONS = {
    "--executor": ("simulate", "image", "invert"),
    "--workers": ("simulate", "image", "invert"),
    "--scheduler": ("simulate", "image", "invert"),
    "--overwrite": ("simulate", "image", "invert"),
    "--tdc": ("simulate", "image", "invert"),
    "--memory": ("image", "invert"),
    "--wavelet": ("image", "invert"),
}


@pytest.mark.parametrize("option, commands", SHARED_OPTIONS.items(), ids=list(SHARED_OPTIONS))
def test_shared_options_have_one_name_type_and_default_in_every_command(option, commands):
    declared = []
    for command in commands:
        param = next(p for p in cli.commands[command].params if option in p.opts)
        info = param.to_info_dict()
        del info["help"]  # may say what the option is for in this command
        declared.append(info)
        result = invoke(command, "--help")
        assert result.exit_code == 0, result.output
        shown = " ".join(result.stdout.split())
        assert f" {option}{'' if info['is_flag'] else ' '}" in shown, (command, option)
        if option == "--memory":
            assert "[default: auto]" in shown
    assert all(info == declared[0] for info in declared[1:]), declared


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    """Run ``waveback demo --size small`` into a directory that does not exist yet."""
    out = tmp_path_factory.mktemp("demo") / "nested" / "out"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = CliRunner().invoke(cli, ["demo", "--size", "small", "-o", str(out)])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return out, result, caught


def test_demo_prints_three_line_summary(small_demo):
    out, result, _ = small_demo
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3, result.stdout
    assert lines[0].startswith("wrote ") and str(out / "shots.h5") in lines[0]
    assert "101 x 201 grid" in lines[1] and "nt = " in lines[1]
    assert lines[2].startswith("wall time ")


def test_demo_emits_no_dispersion_warning(small_demo):
    _, _, caught = small_demo
    messages = [str(w.message) for w in caught if "dispersion" in str(w.message)]
    assert messages == []


def test_demo_shot_file_layout(small_demo):
    out, _, _ = small_demo
    names = sorted(p.name for p in out.iterdir())
    assert names == ["image.h5", "image.png", "shots.h5", "shots.png", "wavefield.png"]
    meta = files.read_provenance(out / "shots.h5")
    assert meta["format"] == files.SHOTS and meta["format_version"] == files.FORMAT_VERSION
    assert meta["waveback_version"] == wb.__version__
    assert meta["command"] == shlex.join(["waveback", "demo", "--size", "small", "-o", str(out)])
    assert datetime.fromisoformat(meta["created"]).tzinfo is not None
    assert meta["parameters"] == (SCENES / "demo_small.toml").read_text()

    survey = files.read_survey(out / "shots.h5")
    scene = read_scene(SCENES / "demo_small.toml").survey
    assert files.fingerprint(survey, snapshot_indices(survey.nt, 3)) == files.read_fingerprint(
        out / "shots.h5"
    )
    np.testing.assert_array_equal(survey.model.vp, layered_2d(101, 201))
    assert survey.model.spacing == (10.0, 10.0) and survey.model.origin == (0.0, 0.0)
    assert survey.dt == pytest.approx(0.6 * survey.model.critical_dt(), rel=1e-12)
    assert abs((survey.nt - 1) * survey.dt - 0.6) <= survey.dt
    assert files.fingerprint(survey) == files.fingerprint(scene)
    (shot,) = survey.shots
    np.testing.assert_array_equal(shot.src, [[20.0, 1000.0]])
    np.testing.assert_array_equal(
        shot.rec, np.stack([np.full(201, 20.0), np.arange(201) * 10.0], 1)
    )
    with h5py.File(out / "shots.h5") as f:
        data = f["shots/000000/data"]
        assert data.shape == (survey.nt, 201) and data.dtype == np.float32
        assert data.compression == "gzip" and data.chunks is not None
        assert np.all(np.isfinite(data[()])) and np.abs(data[()]).max() > 0
        assert f["shots/000000/wavefield"].shape == (3, 101, 201)


def test_demo_direct_wave_arrives_at_offset_over_top_velocity(small_demo):
    """Geometry and time axis agree: the direct wave peaks at offset / v + 1 / f0.

    The 2D Green's function delays the Ricker peak by about an eighth of a period
    (8 ms at 15 Hz), hence the 15 ms tolerance; the sample interval is about 1 ms.
    """
    out, _, _ = small_demo
    with h5py.File(out / "shots.h5", "r") as f:
        t, d = f["time"][()], f["shots/000000/data"][()]
        src_x, rec_x = f["shots/000000/src"][0, 1], f["shots/000000/rec"][:, 1]
    for offset in (300.0, 500.0, 700.0):
        trace = d[:, np.argmin(np.abs(rec_x - (src_x + offset)))]
        expected = offset / LAYERED_VELOCITIES[0] + 1.0 / 15.0
        assert abs(t[np.argmax(np.abs(trace))] - expected) < 0.015, offset


@pytest.mark.parametrize("name", ["shots.png", "wavefield.png", "image.png"])
def test_demo_figures_are_images(small_demo, name):
    out, _, _ = small_demo
    image = imread(out / name)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 400
    assert image[..., :3].std() > 0.05  # not a blank canvas


def test_demo_into_existing_file_is_one_line_error(tmp_path):
    target = tmp_path / "not_a_dir"
    target.write_text("keep me")
    result = invoke("demo", "--size", "small", "-o", str(target))
    assert result.exit_code == ERROR_EXIT_CODE
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "not a directory" in lines[0]
    assert "Traceback" not in result.output
    assert target.read_text() == "keep me"


def test_verbose_error_shows_traceback_then_the_line(tmp_path):
    target = tmp_path / "not_a_dir"
    target.write_text("")
    result = invoke("-v", "demo", "--size", "small", "-o", str(target))
    assert result.exit_code == ERROR_EXIT_CODE
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")


def _group_raising(exc):
    @click.group(cls=WavebackGroup)
    @click.option("-v", "--verbose", is_flag=True)
    def group(verbose):
        pass

    @group.command()
    def boom():
        raise exc

    return group


@pytest.mark.parametrize("exc", [ValueError, TypeError, FileNotFoundError, PermissionError])
def test_library_errors_become_one_line_and_exit_2(exc):
    result = CliRunner().invoke(_group_raising(exc("what was wrong;\n  how to fix it")), ["boom"])
    assert result.exit_code == ERROR_EXIT_CODE
    assert result.stderr == "error: what was wrong; how to fix it\n"


def test_library_error_message_reaches_the_user_verbatim():
    with pytest.raises(ValueError) as info:
        wb.Model(np.zeros((3, 3)), 10.0)
    result = CliRunner().invoke(_group_raising(info.value), ["boom"])
    assert result.exit_code == ERROR_EXIT_CODE
    assert result.stderr == f"error: {info.value}\n"


def test_other_exceptions_are_not_swallowed():
    result = CliRunner().invoke(_group_raising(RuntimeError("bug")), ["boom"])
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)


def test_each_kind_of_library_warning_is_printed_once(capsys):
    show = warning_printer()
    for velocity in (1444, 1447):
        message = f"grid dispersion: the slowest velocity {velocity} m/s gives\n  3.9 points"
        show(UserWarning(message), UserWarning, "propagation.py", 1)
    show(UserWarning("other: x"), UserWarning, "propagation.py", 2)
    assert capsys.readouterr().err == (
        "warning: grid dispersion: the slowest velocity 1444 m/s gives 3.9 points\n"
        "warning: other: x\n"
    )


def _console_script():
    """The installed ``waveback`` executable: on PATH, else beside this Python (a venv's bin)."""
    found = shutil.which("waveback")
    if found:
        return found
    beside = Path(sys.executable).parent / ("waveback.exe" if os.name == "nt" else "waveback")
    return str(beside) if beside.is_file() else None


def test_console_script_version():
    exe = _console_script()
    if exe is None:
        pytest.skip(
            "no `waveback` executable on PATH or beside sys.executable: the package is not "
            "installed in this environment (python -m pip install .)"
        )
    result = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"waveback, version {wb.__version__}"


def test_python_dash_m_waveback_cli():
    result = subprocess.run(
        [sys.executable, "-m", "waveback_cli", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"waveback, version {wb.__version__}"


def test_check_json_reports_dot_and_tape_results():
    result = CliRunner().invoke(
        cli,
        [
            "check",
            "--json",
            "--ndim",
            "2",
            "--boundary",
            "cpml",
            "--free-surface",
            "on",
            "--interpolation",
            "sinc",
            "--no-linearisation",
        ],
    )
    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)["results"]
    assert {"name", "error", "tolerance", "passed"} <= set(results[0])
    assert any("tape" in r["name"] for r in results) and any("dot" in r["name"] for r in results)
    assert all(r["passed"] and r["error"] <= r["tolerance"] for r in results)


def test_check_exits_non_zero_when_a_check_fails(monkeypatch):
    import waveback.verification.checks

    failing = [{"name": "dot forward/adjoint x", "error": 1.0, "tolerance": 1e-12, "passed": False}]
    monkeypatch.setattr(waveback.verification.checks, "run_checks", lambda *a, **k: failing)
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 1
    assert "FAILED" in result.stdout and "0 passed, 1 failed" in result.stdout


def test_demo_image_puts_the_first_reflector_at_its_depth(small_demo):
    # The first interface of layered_2d lies at 0.2 of the depth extent (200 m). In the
    # columns 100-450 m from the single source (clear of its near-field artefacts, where the
    # shot's reflections are imaged) the strongest image row below 100 m must lie within a
    # quarter of the peak wavelength of it (measured: 190 m).
    out, _, _ = small_demo
    with h5py.File(out / "image.h5") as f:
        assert f.attrs["format"] == "waveback-image"
        image = f["image"][...]
    nz, nx = SMALL_SHAPE
    assert image.shape == (nz, nx)
    z, x = np.arange(nz) * 10.0, np.arange(nx) * 10.0
    offset = np.abs(x - (nx - 1) * 10.0 / 2)
    energy = np.sum(image[:, (offset > 100.0) & (offset < 450.0)] ** 2, axis=1)
    deep = z > 100.0
    z_peak = z[deep][np.argmax(energy[deep])]
    assert abs(z_peak - 0.2 * (nz - 1) * 10.0) <= LAYERED_VELOCITIES[0] / 15.0 / 4


TINY = """
description = "tiny test scene"

[model]
generator = "layered"
shape = [41, 61]
spacing = 10.0
depths = [200.0]
velocities = [1500.0, 2000.0]

[acquisition]
kind = "surface_line"
shots = 3
source_depth = 20.0

[wavelet]
kind = "ricker"
f0 = 12.0

[time]
nt = 120

[boundary]
nbl = 10
"""


def quiet(*args):
    result = CliRunner().invoke(cli, ["-q", *map(str, args)])
    return result


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny scene simulated with two snapshots per shot: (directory, scene, shots.h5)."""
    root = tmp_path_factory.mktemp("tiny")
    scene = root / "tiny.toml"
    scene.write_text(TINY)
    result = quiet("simulate", scene, "-o", root / "shots.h5", "--snapshots", 2)
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return root, scene, root / "shots.h5"


def test_simulate_writes_what_forward_computes(tiny):
    _, scene, shots = tiny
    survey = read_scene(scene).survey
    assert files.read_fingerprint(shots) == files.fingerprint(
        survey, snapshot_indices(survey.nt, 2)
    )
    for i, shot in enumerate(survey.shots):
        d = wb.forward(survey.model, shot.wavelet, shot.src, shot.rec, survey.dt)
        np.testing.assert_array_equal(files.read_gather(shots, i), d)
    assert files.read_provenance(shots)["parameters"] == TINY


def test_simulate_prints_a_summary_and_a_rerun_does_nothing(tiny, tmp_path):
    _, scene, shots = tiny
    result = invoke("simulate", str(scene), "-o", str(tmp_path / "s.h5"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"wrote {tmp_path / 's.h5'}: 3 shots (3 simulated)"
    assert lines[1].startswith("41 x 61 grid, nt = 120 at dt = ")
    assert "shots: 100%" in result.stderr  # the progress bar
    before = (tmp_path / "s.h5").stat().st_mtime_ns
    result = invoke("simulate", str(scene), "-o", str(tmp_path / "s.h5"))
    assert result.exit_code == 0, result.output
    assert "already holds this simulation (3 shots); nothing to do" in result.stdout
    assert (tmp_path / "s.h5").stat().st_mtime_ns == before


def test_simulate_tdc_corrects_the_data_and_is_part_of_the_fingerprint(tiny, tmp_path):
    _, scene, plain = tiny
    corrected = tmp_path / "tdc.h5"
    result = invoke("simulate", str(scene), "-o", str(corrected), "--tdc")
    assert result.exit_code == 0, result.output
    assert "time dispersion corrected" in result.stdout
    survey = read_scene(scene).survey
    for i, shot in enumerate(survey.shots):
        d = wb.forward(
            survey.model,
            shot.wavelet,
            shot.src,
            shot.rec,
            survey.dt,
            time_dispersion_correction=True,
        )
        np.testing.assert_array_equal(files.read_gather(corrected, i), d)
        assert not np.array_equal(files.read_gather(corrected, i), files.read_gather(plain, i))
    assert files.read_time_dispersion_correction(corrected)
    assert files.read_fingerprint(corrected) == files.fingerprint(survey, (), True)
    assert files.read_fingerprint(corrected) != files.fingerprint(survey)
    assert files.read_provenance(corrected)["command"].endswith(" --tdc")
    assert "time dispersion corrected" in invoke("info", str(corrected)).stdout
    before = corrected.read_bytes()
    result = quiet("simulate", scene, "-o", corrected)  # without --tdc: another simulation
    assert result.exit_code == ERROR_EXIT_CODE and "different simulation" in result.stderr
    assert corrected.read_bytes() == before
    result = quiet("simulate", scene, "-o", tmp_path / "x.h5", "--tdc", "--snapshots", 2)
    assert result.exit_code == ERROR_EXIT_CODE and "drop --snapshots or --tdc" in result.stderr
    assert not (tmp_path / "x.h5").exists() and not (tmp_path / "x.h5.partial").exists()


def test_simulate_refuses_to_overwrite_a_different_dataset(tiny, tmp_path):
    _, scene, shots = tiny
    target = tmp_path / "shots.h5"
    shutil.copy(shots, target)
    other = tmp_path / "other.toml"
    other.write_text(TINY.replace("shots = 3", "shots = 2"))
    result = quiet("simulate", other, "-o", target)
    assert result.exit_code == ERROR_EXIT_CODE
    assert result.stderr.startswith("error: ") and "different simulation" in result.stderr
    assert "--overwrite" in result.stderr
    assert target.read_bytes() == shots.read_bytes()
    result = quiet("simulate", other, "-o", target, "--overwrite")
    assert result.exit_code == 0, result.output
    assert len(files.read_survey(target).shots) == 2


def test_info_describes_every_kind_of_file(tiny, tmp_path):
    _, _, shots = tiny
    result = invoke("info", str(shots))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{shots}: waveback-shots, format version {files.FORMAT_VERSION}"
    assert lines[2].startswith("command: waveback simulate")
    assert lines[3].startswith("model: 41 x 61 (z, x) at spacing 10 x 10 m")
    assert lines[4] == "density: none (constant density)"
    assert lines[5] == "attenuation: none (lossless)"
    assert lines[6].startswith("time: nt = 120 samples")
    assert lines[7].startswith("shots: 3 (1 source(s) and 61 receivers each, 2D positions")
    files.write_model(tmp_path / "m.h5", files.read_model(shots))
    assert "model: 41 x 61" in invoke("info", str(tmp_path / "m.h5")).stdout
    files.write_image(tmp_path / "i.h5", np.zeros((3, 4)), 1.0, 0.0, description="zeros")
    assert "description: zeros" in invoke("info", str(tmp_path / "i.h5")).stdout


@pytest.mark.parametrize(
    ("args", "kind"),
    [((), "gather"), (("--wavefield", "--shot", "0"), "wavefield"), (("--model",), "model")],
)
def test_plot_shot_file(tiny, tmp_path, args, kind):
    _, _, shots = tiny
    out = tmp_path / f"{kind}.png"
    result = invoke("plot", str(shots), "-o", str(out), *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {out}"
    image = imread(out)
    assert image.shape[0] > 200 and image[..., :3].std() > 0.05


def test_plot_model_image_and_segy_files(tiny, tmp_path):
    _, _, shots = tiny
    files.write_model(tmp_path / "m.h5", files.read_model(shots))
    files.write_image(tmp_path / "i.h5", np.random.default_rng(0).random((41, 61)), 10.0, 0.0)
    assert quiet("convert", shots, tmp_path / "s.sgy").exit_code == 0
    for name in ("m.h5", "i.h5", "s.sgy"):
        result = quiet("plot", tmp_path / name, "-o", tmp_path / f"{name}.png")
        assert result.exit_code == 0, result.output
        assert imread(tmp_path / f"{name}.png")[..., :3].std() > 0.05


def test_plot_refuses_a_shot_out_of_range(tiny, tmp_path):
    _, _, shots = tiny
    result = quiet("plot", shots, "-o", tmp_path / "x.png", "--shot", 3)
    assert result.exit_code == ERROR_EXIT_CODE
    assert result.stderr == "error: --shot 3 is out of range: the file holds shots 0 to 2\n"


def test_convert_round_trip_through_segy(tiny, tmp_path):
    _, _, shots = tiny
    assert quiet("convert", shots, tmp_path / "s.sgy").exit_code == 0
    result = quiet("convert", tmp_path / "s.sgy", tmp_path / "back.h5")
    assert result.exit_code == 0, result.output
    a, b = files.read_survey(shots), files.read_survey(tmp_path / "back.h5")
    assert b.model is None and b.dt == a.dt and b.nt == a.nt
    for i in range(3):
        np.testing.assert_array_equal(b.shots[i].src, a.shots[i].src)
        np.testing.assert_array_equal(b.shots[i].rec, a.shots[i].rec)
        np.testing.assert_array_equal(
            files.read_gather(tmp_path / "back.h5", i), files.read_gather(shots, i)
        )
    result = quiet("convert", tmp_path / "s.sgy", tmp_path / "back.h5")
    assert result.exit_code == ERROR_EXIT_CODE and "--overwrite" in result.stderr
    files.write_model(tmp_path / "m.h5", a.model)
    assert quiet("convert", tmp_path / "m.h5", tmp_path / "m.sgy").exit_code == 0
    assert quiet("convert", tmp_path / "m.sgy", tmp_path / "m2.h5").exit_code == 0
    np.testing.assert_array_equal(files.read_model(tmp_path / "m2.h5").vp, a.model.vp)


def _bad_scene(root, text_change):
    old, new = text_change
    assert old in TINY
    path = root / "bad.toml"
    path.write_text(TINY.replace(old, new))
    return path


def _velocity_file_scene(root, values):
    np.save(root / "vp.npy", values)
    text = TINY.split("[acquisition]")[1]
    path = root / "bad.toml"
    path.write_text('[model]\nfile = "vp.npy"\nspacing = 10.0\n[acquisition]' + text)
    return path


BAD_SCENES = {
    "broken TOML": (lambda r: _bad_scene(r, ("[model]", "[model")), "invalid TOML"),
    "missing scene": (lambda r: r / "missing.toml", "scene"),
    "unknown key": (lambda r: _bad_scene(r, ("nt = 120", "nt = 120\nn_t = 3")), "'time.n_t'"),
    "negative velocity": (
        lambda r: _velocity_file_scene(r, np.full((41, 61), -1500.0)),
        "vp must be positive everywhere",
    ),
    "NaN velocity": (
        lambda r: _velocity_file_scene(r, np.where(np.eye(41, 61) > 0, np.nan, 1500.0)),
        "vp contains NaN",
    ),
    "unstable dt": (lambda r: _bad_scene(r, ("nt = 120", "nt = 120\ndt = 0.01")), "unstable"),
    "source outside": (
        lambda r: _bad_scene(r, ("source_depth = 20.0", "source_depth = -20.0")),
        "lies outside the model",
    ),
}


@pytest.mark.parametrize("case", list(BAD_SCENES))
def test_bad_input_to_simulate_is_one_line_and_leaves_the_output_alone(tiny, tmp_path, case):
    _, _, shots = tiny
    make, message = BAD_SCENES[case]
    scene = make(tmp_path)
    target = tmp_path / "out.h5"
    shutil.copy(shots, target)
    result = quiet("simulate", scene, "-o", target)
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert "Traceback" not in result.output
    assert target.read_bytes() == shots.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out")) == ["out.h5"]


def _foreign_hdf5(path):
    with h5py.File(path, "w") as f:
        f["data"] = np.zeros(4)


BAD_FILES = {
    "missing file": (lambda p: None, "no such file"),
    "not HDF5": (lambda p: p.write_text("not hdf5"), "is not an HDF5 file"),
    "foreign HDF5": (_foreign_hdf5, "not a waveback file"),
}


@pytest.mark.parametrize("command", ["info", "plot", "convert"])
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_for_reading_commands(tmp_path, command, case):
    make, message = BAD_FILES[case]
    path = tmp_path / "input.h5"
    make(path)
    extra = {"info": [], "plot": ["-o", tmp_path / "x.png"], "convert": [tmp_path / "x.sgy"]}
    result = quiet(command, path, *extra[command])
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "x.sgy").exists()


def _waveback(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "waveback_cli", "-q", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_bad_input_in_a_real_process_exits_2_without_traceback(tmp_path):
    scene = _bad_scene(tmp_path, ("[model]", "[model"))
    proc = _waveback("simulate", scene, "-o", tmp_path / "out.h5")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == ERROR_EXIT_CODE
    assert err.startswith("error: scene ") and "invalid TOML" in err and err.count("\n") == 1
    assert out == "" and not (tmp_path / "out.h5").exists()


KILL_SCENE = (
    TINY.replace("shape = [41, 61]", "shape = [61, 81]")
    .replace("shots = 3", "shots = 6")
    .replace("nt = 120", "nt = 300")
)


def test_simulate_killed_with_sigkill_resumes_to_the_uninterrupted_result(tmp_path):
    scene = tmp_path / "kill.toml"
    scene.write_text(KILL_SCENE)
    target = tmp_path / "killed.h5"
    parts = tmp_path / "killed.h5.partial"
    proc = _waveback("simulate", scene, "-o", target)
    try:
        deadline = time.monotonic() + 240
        while not (parts.is_dir() and any(p.name.startswith("shot_") for p in parts.iterdir())):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no shot committed in time"
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists(), "the run finished before it was killed: enlarge KILL_SCENE"
    committed = sorted(p.name for p in parts.iterdir() if p.name.startswith("shot_"))
    assert 1 <= len(committed) < 6

    rerun = _waveback("simulate", scene, "-o", target)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert not parts.exists()

    result = quiet("simulate", scene, "-o", tmp_path / "straight.h5")
    assert result.exit_code == 0, result.output
    assert files.read_fingerprint(target) == files.read_fingerprint(tmp_path / "straight.h5")
    for i in range(6):
        np.testing.assert_array_equal(
            files.read_gather(target, i), files.read_gather(tmp_path / "straight.h5", i)
        )


def test_wavelet_option_reads_ricker_npy_and_hdf5(tmp_path):
    from waveback_cli.wavelet import load_wavelet

    np.testing.assert_array_equal(load_wavelet("ricker:10", 1e-3, 50), wb.ricker(10.0, 1e-3, 50))
    np.save(tmp_path / "w.npy", np.arange(50.0))
    np.testing.assert_array_equal(load_wavelet(str(tmp_path / "w.npy"), 1e-3, 50), np.arange(50))
    with h5py.File(tmp_path / "w.h5", "w") as f:
        f["source/w"] = np.ones(50)
    np.testing.assert_array_equal(load_wavelet(f"{tmp_path / 'w.h5'}:/source/w", 1e-3, 50), 1.0)
    for spec, message in [
        ("ricker:x", "give ricker:F0"),
        ("ricker:-1", "must be positive"),
        (str(tmp_path / "w.npy"), None),
        (f"{tmp_path / 'w.h5'}:/nothing", "naming a dataset"),
        (str(tmp_path / "missing.npy"), "no such file"),
    ]:
        if message is None:
            with pytest.raises(ValueError, match="need 60 finite samples, got 50"):
                load_wavelet(spec, 1e-3, 60)
        else:
            with pytest.raises((ValueError, FileNotFoundError), match=message):
                load_wavelet(spec, 1e-3, 50)


# ------------------------------------------------------------- faults and foreign data


def test_a_file_assembled_from_committed_parts_is_reported_as_written(tiny, tmp_path):
    _, scene, _ = tiny
    survey = read_scene(scene).survey
    out = tmp_path / "s.h5"
    parts = ResumableShotFile(out, survey)  # a run killed after its last commit
    for i, gather in enumerate(wb.simulate(survey)):
        parts.commit(i, gather)
    result = invoke("simulate", str(scene), "-o", str(out))
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first == f"wrote {out}: 3 shots (0 simulated, 3 resumed from an earlier run)"
    assert len(files.read_survey(out).shots) == 3 and not (tmp_path / "s.h5.partial").exists()


def test_snapshots_beyond_the_record_are_one_line(tiny, tmp_path):
    _, scene, _ = tiny
    result = quiet("simulate", scene, "-o", tmp_path / "s.h5", "--snapshots", 119)
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    assert result.stderr == (
        "error: --snapshots 119: the record has nt = 120 time samples, so at most 118 distinct "
        "snapshots fit strictly inside it; give fewer\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_plot_needs_a_figure_extension(tiny, tmp_path):
    _, _, shots = tiny
    result = quiet("plot", shots, "-o", tmp_path / "gather")
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    assert result.stderr.startswith(f"error: -o {tmp_path / 'gather'}: give the figure's format ")
    assert ".png, " in result.stderr and result.stderr.endswith(" (e.g. gather.png)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["info", "plot"])
def test_a_truncated_file_is_named_in_one_line(tiny, tmp_path, command):
    _, _, shots = tiny
    cut = tmp_path / "cut.h5"
    cut.write_bytes(shots.read_bytes()[:50000])
    extra = ["-o", tmp_path / "x.png"] if command == "plot" else []
    result = quiet(command, cut, *extra)
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    assert result.stderr.startswith(f"error: {cut} cannot be read as HDF5, it is truncated or ")
    assert result.stderr.count("\n") == 1 and "truncated file" in result.stderr


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs Linux's read-only /sys")
def test_simulate_into_a_read_only_directory_names_it_before_simulating(tiny, monkeypatch):
    _, scene, _ = tiny
    monkeypatch.setattr(wb, "simulate", _no_work)
    result = quiet("simulate", scene, "-o", "/sys/shots.h5")
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    assert result.stderr.startswith(
        "error: cannot write /sys/shots.h5: the directory /sys does not accept new files ("
    )
    assert result.stderr.endswith("); choose another output path or make it writable\n")


def test_simulate_into_a_path_under_a_file_is_one_line(tiny, tmp_path):
    _, scene, _ = tiny
    (tmp_path / "file").write_text("")
    result = quiet("simulate", scene, "-o", tmp_path / "file" / "shots.h5")
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    assert result.stderr == (
        f"error: cannot write {tmp_path / 'file' / 'shots.h5'}: {tmp_path / 'file'} is not a "
        f"directory\n"
    )


def _no_work(*args, **kwargs):
    raise AssertionError("the work started before the output was checked")


HOLD_LOCK = """
import sys, time
from waveback.data.locking import locked
with locked(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_a_second_run_on_one_output_is_refused_and_a_killed_runs_lock_taken_over(tiny, tmp_path):
    _, scene, _ = tiny
    out = tmp_path / "s.h5"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        second = _waveback("simulate", scene, "-o", out)
        _, err = second.communicate(timeout=120)
        assert second.returncode == ERROR_EXIT_CODE
        assert err.startswith(
            f"error: {out} is being written by another run (pid {holder.pid} on host "
            f"{socket.gethostname()}, since "
        )
        assert err.count("\n") == 1
        assert sorted(p.name for p in tmp_path.iterdir()) == ["s.h5.lock"]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    rerun = _waveback("simulate", scene, "-o", out)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.h5"]
    assert len(files.read_survey(out).shots) == 3


def test_a_model_too_big_for_memory_is_refused_before_it_is_built(tmp_path):
    scene = tmp_path / "huge.toml"
    scene.write_text(TINY.replace("shape = [41, 61]", "shape = [100000, 100000]"))
    result = quiet("simulate", scene, "-o", tmp_path / "s.h5")
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    assert result.stderr.startswith(
        f"error: scene {scene}: model: the scene's 100000 x 100000 model needs about 298.0 GiB "
        f"(generator arrays 223.5 GiB, velocity 74.5 GiB) of memory, but only "
    )
    assert result.stderr.endswith(
        " is available; give a smaller 'model.shape' (a coarser 'model.spacing' over the same "
        "extent)\n"
    )


def test_simulate_refuses_shots_that_do_not_fit_before_running_any(tiny, tmp_path, monkeypatch):
    _, scene, _ = tiny
    survey = read_scene(scene).survey
    need = footprint.forward(survey.model, survey.nt, survey.shots[0].rec.shape[0])
    monkeypatch.setattr(checkpointing, "available_memory", lambda: need.total - 1)
    monkeypatch.setattr(simulation, "forward_shot", _no_work)
    result = quiet("simulate", scene, "-o", tmp_path / "s.h5")
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    assert result.stderr == (
        f"error: forward modelling of 3 shots needs about {need} of memory, but only "
        f"{footprint.size(need.total - 1)} is available; use a coarser grid or a smaller model, "
        f"fewer workers, or fewer snapshots\n"
    )


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs Linux's read-only /sys")
@pytest.mark.parametrize("target", ["output", "history"])
def test_invert_checks_its_outputs_before_the_first_iteration(tiny, tmp_path, monkeypatch, target):
    _, _, shots = tiny
    monkeypatch.setattr(wb, "fwi", _no_work)
    out, history = tmp_path / "inv.h5", tmp_path / "h.h5"
    if target == "output":
        out = Path("/sys/inv.h5")
    else:
        history = Path("/sys/h.h5")
    result = quiet("invert", shots, "--model", shots, "-o", out, "--history", history)
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    bad = out if target == "output" else history
    assert result.stderr.startswith(
        f"error: cannot write {bad}: the directory /sys does not accept new files ("
    )


def test_invert_refuses_an_output_another_run_holds(tiny, tmp_path, monkeypatch):
    _, _, shots = tiny
    monkeypatch.setattr(wb, "fwi", _no_work)
    out = tmp_path / "inv.h5"
    with locked(out):
        result = quiet("invert", shots, "--model", shots, "-o", out)
    assert result.exit_code == ERROR_EXIT_CODE, result.output
    assert result.stderr.startswith(
        f"error: {out} is being written by another run (pid {os.getpid()} on host "
        f"{socket.gethostname()}, since "
    )


@pytest.mark.parametrize("delay", [0.15, 0.6])
def test_ctrl_c_while_the_command_line_starts_is_one_line_and_exit_130(delay):
    # The console script imports numpy, numba, scipy and matplotlib first: a Ctrl-C during
    # those imports, or just after them, is the same one line as during a command.
    proc = subprocess.Popen(
        [sys.executable, "-m", "waveback_cli", "check"],  # the console script's entry point
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    # a shell reports 130 for both: the exit status 130, and death by SIGINT after the message
    assert proc.returncode in (130, -signal.SIGINT), (proc.returncode, err)
    assert err.startswith("interrupted") and len(err.splitlines()) == 1, err


_SWALLOWING_IMPORT = """
import os, signal, sys, time

class Swallowing:
    # a library whose import meets the Ctrl-C inside a bare except (numba's, matplotlib's
    # and others' imports have such clauses)
    def find_spec(self, name, path=None, target=None):
        if name == "waveback_cli.main":
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(2)
            except:  # noqa: E722
                pass
        return None

sys.meta_path.insert(0, Swallowing())
sys.argv = ["waveback", "--version"]
from waveback_cli import run
run()
"""


def test_ctrl_c_swallowed_by_an_import_still_stops_the_command_line():
    # A KeyboardInterrupt raised inside the start-up imports can be swallowed there (the
    # command then ran to its end on CI) or become an ImportError; the start-up handler exits.
    proc = subprocess.run(
        [sys.executable, "-c", _SWALLOWING_IMPORT], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 130, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr == "interrupted\n" and proc.stdout == ""
