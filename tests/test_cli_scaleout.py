"""Tests of the CLI's executor options (``waveback_cli.scaleout``): the same files, bit for bit,
from the serial, local and dask executors, also when a dask worker dies; one-line errors for
impossible combinations."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from waveback.data import files
from waveback_cli.main import ERROR_EXIT_CODE, cli, interrupt_redeliverer

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
    assert np.array_equal(files.read_image(out_image).data, files.read_image(image).data)


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


def _wait_for(condition, timeout, what):
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.1)


@contextlib.contextmanager
def _processes():
    """``start(args, log)`` starts a process in its own process group; all are killed at exit."""
    started = []

    def start(args, log):
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", *map(str, args)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.slow
def test_a_dask_worker_killed_during_the_run_costs_nothing_but_time(serial, tmp_path):
    """A ``dask scheduler`` and two ``dask worker`` processes on loopback. One worker is stopped
    (SIGSTOP) before the client connects, so the client's first messages to it go unanswered,
    then killed with its nanny (SIGKILL to its process group) while the client waits on it.
    Scattering the model with broadcast hung for ever here, replicating to the dead worker."""
    pytest.importorskip("distributed")
    root, shots, _ = serial
    address_file = tmp_path / "scheduler.json"
    scheduler_log = tmp_path / "scheduler.log"
    out = tmp_path / "out.h5"
    with _processes() as start:
        start(
            [
                "distributed.cli.dask_scheduler",
                *("--host", "127.0.0.1", "--port", "0", "--no-dashboard"),
                *("--scheduler-file", address_file),
            ],
            scheduler_log,
        )
        _wait_for(address_file.exists, 60, "the scheduler")
        address = json.loads(address_file.read_text())["address"]
        workers = [
            start(
                [
                    "distributed.cli.dask_worker",
                    address,
                    *("--nworkers", "1", "--nthreads", "1"),
                    *("--host", "127.0.0.1", "--no-dashboard"),
                ],
                tmp_path / f"worker{k}.log",
            )
            for k in range(2)
        ]
        _wait_for(
            lambda: scheduler_log.read_text().count("Register worker") >= 2, 60, "two workers"
        )
        os.killpg(workers[1].pid, signal.SIGSTOP)
        client = start(
            [
                *("waveback_cli", "-q", "simulate", root / "scene.toml", "-o", out),
                *("--executor", "dask", "--scheduler", address),
            ],
            tmp_path / "client.log",
        )
        _wait_for(
            lambda: "Receive client connection" in scheduler_log.read_text(), 60, "the client"
        )
        time.sleep(2)
        os.killpg(workers[1].pid, signal.SIGKILL)
        try:
            client.wait(timeout=30)  # dask's replication retried every 30 s
        except subprocess.TimeoutExpired:
            pytest.fail("the client did not finish within 30 s of the worker's death")
    assert client.returncode == 0, (tmp_path / "client.log").read_text()
    assert (tmp_path / "client.log").read_text() == ""
    for a, b in zip(_gathers(out), _gathers(shots), strict=True):
        assert np.array_equal(a, b)


CTRL_C_SCENE = (
    SCENE.replace("shape = [31, 41]", "shape = [201, 301]")
    .replace("shots = 3", "shots = 12")
    .replace("nt = 150", "nt = 2000")
)


def _parts(path):
    parts = path.with_name(path.name + ".partial")
    return sorted(p.name for p in parts.glob("shot_??????.h5")) if parts.is_dir() else []


def _group_is_gone(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["local", "dask"])
def test_ctrl_c_stops_the_workers_at_once_and_the_rerun_resumes(kind, tmp_path):
    """SIGINT to the process group, as a terminal's Ctrl-C sends it, while shots run on two
    local workers (a process pool, or a dask LocalCluster): one line, exit status 130, no
    process left; the committed shots resume."""
    if kind == "dask":
        pytest.importorskip("distributed")
    scene = tmp_path / "scene.toml"
    scene.write_text(CTRL_C_SCENE)
    out = tmp_path / "out.h5"
    command = ["waveback_cli", "-q", "simulate", scene, "-o", out]
    command += ["--executor", kind, "--workers", "2"]
    for trial, delay in enumerate([0.0, 0.3, 0.7]):
        before = len(_parts(out))
        with _processes() as start:
            run = start(command, tmp_path / f"trial{trial}.log")
            _wait_for(lambda n=before: len(_parts(out)) > n, 120, "a shot to be committed")
            time.sleep(delay)
            os.killpg(run.pid, signal.SIGINT)
            interrupted = time.monotonic()
            try:
                run.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pytest.fail(f"trial {trial}: still running 10 s after SIGINT")
            _wait_for(lambda pid=run.pid: _group_is_gone(pid), 5, "the workers to be gone")
            stopped = time.monotonic() - interrupted
        log = (tmp_path / f"trial{trial}.log").read_text()
        assert run.returncode == 130, log
        assert log == "interrupted: run the same command again to resume\n", log
        assert stopped < 10 and len(_parts(out)) < 12 and not out.exists()
    resumed = len(_parts(out))
    rerun = subprocess.run(
        [sys.executable, "-m", *map(str, command[:1] + command[2:])],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"({12 - resumed} simulated, {resumed} resumed from an earlier run)" in rerun.stdout
    straight = tmp_path / "serial.h5"
    result = invoke("-q", "simulate", scene, "-o", straight, "--executor", "serial")
    assert result.exit_code == 0, result.output
    for a, b in zip(_gathers(out), _gathers(straight), strict=True):
        assert np.array_equal(a, b)


def test_dask_without_its_extra_is_one_line_naming_the_extra(serial, monkeypatch):
    root, _, _ = serial
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    out = root / "no_dask.h5"
    result = invoke("simulate", root / "scene.toml", "-o", out, "--executor", "dask")
    assert result.exit_code == ERROR_EXIT_CODE
    assert result.output.splitlines() == [
        "error: the dask executor needs dask.distributed, which cannot be imported (import of "
        "distributed halted; None in sys.modules): install the dask extra, "
        'pip install "waveback[dask]"'
    ]
    assert not out.exists()


def test_quiet_silences_dask_logs(serial, tmp_path):
    """dask's scheduler, nanny and worker log lines (INFO and up) follow -q."""
    pytest.importorskip("distributed")
    root, shots, _ = serial
    out = tmp_path / "quiet.h5"
    run = subprocess.run(
        [sys.executable, "-m", "waveback_cli", "-q", "simulate", root / "scene.toml", "-o", out]
        + ["--executor", "dask", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == "" and run.stdout == ""
    for a, b in zip(_gathers(out), _gathers(shots), strict=True):
        assert np.array_equal(a, b)


class _RaisesInFinalizer:
    def __init__(self, exc):
        self.exc = exc

    def __del__(self):
        raise self.exc


def test_a_ctrl_c_dropped_in_a_finalizer_is_raised_again(monkeypatch):
    """Python drops an exception raised in a finalizer; a Ctrl-C landing there was lost."""
    others = []
    monkeypatch.setattr(sys, "unraisablehook", interrupt_redeliverer(others.append))
    _RaisesInFinalizer(ValueError("not an interrupt"))
    assert [type(info.exc_value) for info in others] == [ValueError]
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _RaisesInFinalizer(KeyboardInterrupt())
        time.sleep(3)
    assert time.monotonic() - start < 1
    assert len(others) == 1
