"""Tests of the CLI's executor options (``waveback_cli.scaleout``): the same files, bit for bit,
from the serial, local and dask executors, and one-line errors for impossible combinations."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from waveback import io
from waveback_cli.main import ERROR_EXIT_CODE, cli

SCENE = """
description = "tiny scene: three shots over one reflector"

[model]
generator = "layered"
shape = [31, 41]
spacing = 10.0
depths = [100.0]
velocities = [1500.0, 2000.0]

[acquisition]
kind = "surface_line"
shots = 3
source_depth = 20.0

[wavelet]
kind = "ricker"
f0 = 10.0

[time]
nt = 150

[boundary]
nbl = 10
"""


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _gathers(path):
    with h5py.File(path) as f:
        return [f["shots"][name]["data"][...] for name in sorted(f["shots"])]


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    root = tmp_path_factory.mktemp("scaleout")
    (root / "scene.toml").write_text(SCENE)
    shots = root / "serial.h5"
    assert invoke("-q", "simulate", root / "scene.toml", "-o", shots).exit_code == 0
    image = root / "serial_image.h5"
    result = invoke("-q", "image", shots, "--model", shots, "-o", image)
    assert result.exit_code == 0, result.output
    return root, shots, image


@pytest.mark.parametrize(
    "options", [["--executor", "local", "--workers", "2"], ["--executor", "dask", "--workers", "2"]]
)
def test_parallel_executors_write_the_serial_files_bit_for_bit(serial, options):
    root, shots, image = serial
    name = options[1]
    out = root / f"{name}.h5"
    result = invoke("-q", "simulate", root / "scene.toml", "-o", out, *options)
    assert result.exit_code == 0, result.output
    for a, b in zip(_gathers(out), _gathers(shots), strict=True):
        assert np.array_equal(a, b)
    out_image = root / f"{name}_image.h5"
    result = invoke("-q", "image", shots, "--model", shots, "-o", out_image, *options)
    assert result.exit_code == 0, result.output
    assert np.array_equal(io.read_image(out_image).data, io.read_image(image).data)


@pytest.mark.parametrize(
    "options, message",
    [
        (["--executor", "local", "--scheduler", "tcp://127.0.0.1:1"], "scheduler address"),
        (["--executor", "dask"], "workers"),
        (["--executor", "serial", "--workers", "2"], "serial executor"),
    ],
)
def test_impossible_executor_options_are_one_line_errors(serial, options, message):
    root, shots, _ = serial
    out = root / "refused.h5"
    result = invoke("simulate", root / "scene.toml", "-o", out, *options)
    assert result.exit_code == ERROR_EXIT_CODE
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()
