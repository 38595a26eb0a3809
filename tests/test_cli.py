"""Tests of the ``waveback`` command line (``waveback_cli``): options, the demo's files, errors.

The demo test runs ``demo --size small`` once per module (101 x 201 grid, one shot, 0.6 s;
a few seconds once numba's cache is warm) and checks every part of its output.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
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
from waveback_cli.demo import FORMAT, SIZES, SURFACE_DEPTH, make_survey, write_shots
from waveback_cli.main import ERROR_EXIT_CODE, WavebackGroup, cli
from waveback_cli.models import LAYERED_VELOCITIES, layered_2d

REPO = Path(__file__).resolve().parent.parent
SMALL = SIZES["small"]


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"waveback, version {wb.__version__}"


def test_help_lists_options_and_demo():
    result = invoke("--help")
    assert result.exit_code == 0, result.output
    for word in ("--version", "--verbose", "--quiet", "demo"):
        assert word in result.stdout
    result = invoke("demo", "--help")
    assert result.exit_code == 0, result.output
    for word in ("--output", "--size", "small", "full"):
        assert word in result.stdout


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
    assert f"{SMALL.nz} x {SMALL.nx} grid" in lines[1] and "nt = " in lines[1]
    assert lines[2].startswith("wall time ")


def test_demo_emits_no_dispersion_warning(small_demo):
    _, _, caught = small_demo
    messages = [str(w.message) for w in caught if "dispersion" in str(w.message)]
    assert messages == []


def test_demo_shot_file_layout(small_demo):
    out, _, _ = small_demo
    names = sorted(p.name for p in out.iterdir())
    assert names == ["image.h5", "image.png", "shots.h5", "shots.png", "wavefield.png"]
    with h5py.File(out / "shots.h5", "r") as f:
        assert f.attrs["format"] == FORMAT == "waveback-shots"
        assert f.attrs["format_version"] == 1
        assert f.attrs["waveback_version"] == wb.__version__
        assert f.attrs["command"] == shlex.join(
            ["waveback", "demo", "--size", "small", "-o", str(out)]
        )
        assert datetime.fromisoformat(f.attrs["created"]).tzinfo is not None

        vp = f["model/vp"]
        np.testing.assert_array_equal(vp[()], layered_2d(SMALL.nz, SMALL.nx))
        np.testing.assert_array_equal(vp.attrs["spacing"], [10.0, 10.0])
        np.testing.assert_array_equal(vp.attrs["origin"], [0.0, 0.0])

        dt, nt = float(f["time"].attrs["dt"]), int(f["time"].attrs["nt"])
        model = wb.Model(vp[()], 10.0)
        assert dt == pytest.approx(0.6 * model.critical_dt(), rel=1e-12)
        assert abs((nt - 1) * dt - SMALL.duration) <= dt
        np.testing.assert_allclose(f["time"][()], np.arange(nt) * dt, rtol=1e-15)
        assert f["wavelet"].shape == (nt,)

        assert sorted(f["shots"]) == [str(i) for i in range(SMALL.nshots)]
        for shot in f["shots"].values():
            data = shot["data"]
            assert data.shape == (nt, SMALL.nx) and data.dtype == np.float32
            assert data.compression == "gzip" and data.chunks is not None
            assert shot["src"].shape == (1, 2)
            np.testing.assert_array_equal(shot["src"][:, 0], [SURFACE_DEPTH])
            np.testing.assert_array_equal(
                shot["rec"][()],
                np.stack([np.full(SMALL.nx, SURFACE_DEPTH), np.arange(SMALL.nx) * 10.0], 1),
            )
            assert np.all(np.isfinite(data[()])) and np.abs(data[()]).max() > 0


def test_demo_direct_wave_arrives_at_offset_over_top_velocity(small_demo):
    """Geometry and time axis agree: the direct wave peaks at offset / v + 1 / f0.

    The 2D Green's function delays the Ricker peak by about an eighth of a period
    (8 ms at 15 Hz), hence the 15 ms tolerance; the sample interval is about 1 ms.
    """
    out, _, _ = small_demo
    with h5py.File(out / "shots.h5", "r") as f:
        t, d = f["time"][()], f["shots/0/data"][()]
        src_x, rec_x = f["shots/0/src"][0, 1], f["shots/0/rec"][:, 1]
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


def test_failed_write_leaves_no_temporary_and_keeps_old_file(tmp_path):
    survey = make_survey("small")
    path = tmp_path / "shots.h5"
    path.write_bytes(b"previous")
    good = np.zeros((survey.nt, len(survey.rec)), np.float32)
    with pytest.raises(ValueError):
        write_shots(path, survey, [good, "not a gather"], "test")
    assert path.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shots.h5"]


def test_bundled_model_file_matches_generator():
    vp = np.load(REPO / "data" / "models" / "layered_2d.npy")
    np.testing.assert_array_equal(vp, layered_2d())
    assert vp.shape == (201, 401) and vp.dtype == np.float32


def test_layered_model_velocity_increases_with_depth():
    vp = layered_2d(61, 81)
    assert set(np.unique(vp)) == set(LAYERED_VELOCITIES)
    assert np.all(np.diff(vp, axis=0) >= 0)
    dip_rows = [np.argmax(vp[:, j] == LAYERED_VELOCITIES[3]) for j in (0, 80)]
    assert dip_rows[1] > dip_rows[0]  # the dipping interface deepens with x


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
    import waveback.checks

    failing = [{"name": "dot forward/adjoint x", "error": 1.0, "tolerance": 1e-12, "passed": False}]
    monkeypatch.setattr(waveback.checks, "run_checks", lambda *a, **k: failing)
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
    assert image.shape == (SMALL.nz, SMALL.nx)
    z, x = np.arange(SMALL.nz) * 10.0, np.arange(SMALL.nx) * 10.0
    offset = np.abs(x - (SMALL.nx - 1) * 10.0 / 2)
    energy = np.sum(image[:, (offset > 100.0) & (offset < 450.0)] ** 2, axis=1)
    deep = z > 100.0
    z_peak = z[deep][np.argmax(energy[deep])]
    assert abs(z_peak - 0.2 * (SMALL.nz - 1) * 10.0) <= LAYERED_VELOCITIES[0] / 15.0 / 4
