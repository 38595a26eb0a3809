"""Tests of the FWI history file (``waveback.workflows.fwi_history``): its writes are atomic.

Replay and resume through :func:`waveback.fwi` are tested in ``test_inversion.py``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from test_files import assert_flushed, record_fsyncs

from waveback.workflows.fwi_history import History

SHAPE = (3, 4)


def state(vp):
    """An inversion's state after one iteration, as :meth:`History.save` takes it."""
    return SimpleNamespace(misfit=[1.0], band=[0], initial_misfit=[2.0], vp=vp)


def test_each_change_and_the_directory_are_flushed_to_disk(tmp_path, monkeypatch):
    path = tmp_path / "history.h5"
    history = History(path, "fingerprint", SHAPE, iterations=5)
    calls = record_fsyncs(monkeypatch)
    history.save(state(np.ones(SHAPE)))
    assert_flushed(path, calls)
    calls.clear()
    history.append(0, np.ones(12), 1.0, np.zeros(SHAPE), state(np.ones(SHAPE)))
    assert_flushed(path, calls)
    assert [p.name for p in tmp_path.iterdir()] == ["history.h5"]


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_a_failed_change_keeps_the_old_history_and_leaves_no_temporary(
    tmp_path, monkeypatch, error
):
    path = tmp_path / "history.h5"
    history = History(path, "fingerprint", SHAPE, iterations=5)
    history.save(state(np.ones(SHAPE)))
    before = path.read_bytes()

    def fail(f, result):
        f["vp"][...] = 2.0  # half-written before the failure
        raise error("stopped mid-write")

    monkeypatch.setattr("waveback.workflows.fwi_history._write_result", fail)
    with pytest.raises(error):
        history.save(state(np.full(SHAPE, 2.0)))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["history.h5"]
