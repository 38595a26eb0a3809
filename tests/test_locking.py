"""Tests of :mod:`waveback.data.locking` with real processes: a holder, refusal, stale take-over."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import pytest

from waveback.data.locking import OutputLocked, lock_path, locked

HOLD = """
import sys, time
from waveback.data.locking import locked
with locked(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(120)
"""


def _holder(path):
    """A real process that holds ``path``'s lock (returned once it holds it)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline() == "locked\n"
    return proc


def test_a_second_process_is_refused_with_the_holders_pid_and_host(tmp_path):
    out = tmp_path / "out.h5"
    proc = _holder(out)
    try:
        with pytest.raises(OutputLocked) as exc, locked(out):
            pass
        assert exc.value.holder["pid"] == str(proc.pid)
        assert exc.value.holder["host"] == socket.gethostname()
        assert str(exc.value).startswith(
            f"{out} is being written by another run (pid {proc.pid} on host "
            f"{socket.gethostname()}, since "
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_lock_of_a_killed_run_is_taken_over_and_removed_at_the_end(tmp_path):
    out = tmp_path / "out.h5"
    proc = _holder(out)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert lock_path(out).read_text().split()[:2] == [str(proc.pid), socket.gethostname()]
    with locked(out) as stale:
        assert stale["pid"] == str(proc.pid) and stale["host"] == socket.gethostname()
        assert lock_path(out).read_text().split()[0] != str(proc.pid)
    assert not lock_path(out).exists()
    with locked(out) as stale:  # a clean release leaves nothing stale
        assert stale is None


def test_the_lock_is_released_when_the_block_raises(tmp_path):
    out = tmp_path / "out.h5"
    with pytest.raises(RuntimeError), locked(out):
        raise RuntimeError("boom")
    assert not lock_path(out).exists()
    with locked(out) as stale:
        assert stale is None
