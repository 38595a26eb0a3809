"""Tests of the progress bars (``waveback.physics.progress``): one helper makes every bar, on stderr
only when asked for."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import waveback as wb
from waveback.physics.progress import progress_bar, time_steps
from waveback.workflows.executors import counted

ROOT = Path(__file__).resolve().parent.parent


def test_a_silent_bar_passes_items_through_and_prints_nothing(capsys):
    assert list(time_steps(4, False)) == [0, 1, 2, 3]
    assert list(time_steps(4, False, reverse=True)) == [3, 2, 1, 0]
    with progress_bar(False, "gradient", "step", total=3) as bar:
        bar.update()
    assert list(counted(iter([(0, "a"), (1, "b")]), 2, False)) == [(0, "a"), (1, "b")]
    assert capsys.readouterr() == ("", "")


def test_a_shown_bar_counts_on_stderr(capsys):
    assert list(time_steps(4, True, reverse=True)) == [3, 2, 1, 0]
    assert list(counted(iter([(0, "a"), (1, "b")]), 2, True)) == [(0, "a"), (1, "b")]
    steps, shots = capsys.readouterr().err.split("\rshots:", 1)
    assert steps.startswith("\radjoint time steps:   0%|") and "| 0/4 [" in steps
    assert re.search(r"\r +\r$", steps)  # a step bar is cleared when done
    assert re.search(r"\rshots: 100%\|.*\| 2/2 \[.*\]\n$", shots)  # a shot bar stays


@pytest.fixture(scope="module")
def tiny():
    model = wb.Model(np.full((12, 14), 1500.0), 10.0, nbl=4)
    dt = 0.5 * model.critical_dt()
    src, rec = np.array([[30.0, 60.0]]), np.array([[30.0, 40.0], [30.0, 80.0]])
    return model, wb.ricker(10.0, dt, 20)[:, None], src, rec, dt


@pytest.mark.parametrize(
    "run, label",
    [
        (lambda m, w, s, r, dt, p: wb.forward(m, w, s, r, dt, progress=p), "time steps"),
        (
            lambda m, w, s, r, dt, p: wb.adjoint(m, np.ones((20, 2)), s, r, dt, progress=p),
            "adjoint time steps",
        ),
        (
            lambda m, w, s, r, dt, p: wb.gradient(m, np.ones((20, 2)), w, s, r, dt, progress=p),
            "gradient",
        ),
    ],
    ids=["forward", "adjoint", "gradient"],
)
@pytest.mark.filterwarnings("ignore:grid dispersion")  # a 20-step wavelet: only the bars matter
def test_the_propagators_show_their_step_bar_only_when_asked(tiny, capsys, run, label):
    run(*tiny, False)
    assert capsys.readouterr().err == ""
    run(*tiny, True)
    assert re.match(rf"\r{label}:   0%\|.*\|", capsys.readouterr().err)


def test_tqdm_is_used_in_one_place_only():
    users = [
        p.relative_to(ROOT).as_posix()
        for folder in ("waveback", "cli")
        for p in sorted((ROOT / folder).rglob("*.py"))
        if re.search(r"^\s*(from tqdm|import tqdm)", p.read_text(), re.MULTILINE)
    ]
    assert users == ["waveback/physics/progress.py"]
