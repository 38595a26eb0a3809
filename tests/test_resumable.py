"""Tests of the resumable shot file (``waveback.data.resumable``): commit, resume, refuse."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from test_files import gathers_of, small_survey

from waveback.data import files
from waveback.data.resumable import DifferentDatasetError, ResumableShotFile


class Interrupted(Exception):
    pass


def run(path, survey, gathers, stop_after=None, **kwargs):
    """Commit the pending shots (stopping after ``stop_after`` commits) and finish."""
    shot_file = ResumableShotFile(path, survey, **kwargs)
    for count, i in enumerate(shot_file.pending):
        if count == stop_after:
            raise Interrupted
        shot_file.commit(i, gathers[i])
    shot_file.finish()
    return shot_file


def gathers_in(path, n):
    return [files.read_gather(path, i) for i in range(n)]


def test_uninterrupted_run_equals_write_shots(tmp_path):
    survey, gathers = small_survey(), gathers_of(small_survey())
    run(tmp_path / "a.h5", survey, gathers)
    files.write_shots(tmp_path / "b.h5", survey, gathers)
    assert files.read_fingerprint(tmp_path / "a.h5") == files.read_fingerprint(tmp_path / "b.h5")
    for a, b in zip(
        gathers_in(tmp_path / "a.h5", 3), gathers_in(tmp_path / "b.h5", 3), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.h5", "b.h5"]


def test_interrupted_run_resumes_with_the_missing_shots_only(tmp_path):
    survey, gathers = small_survey(), gathers_of(small_survey())
    path = tmp_path / "shots.h5"
    with pytest.raises(Interrupted):
        run(path, survey, gathers, stop_after=2)
    assert not path.exists()
    parts = sorted(p.name for p in (tmp_path / "shots.h5.partial").iterdir())
    assert parts == ["shot_000000.h5", "shot_000001.h5"]
    resumed = ResumableShotFile(path, survey)
    assert resumed.committed == {0, 1} and resumed.pending == [2]
    resumed.commit(2, gathers[2])
    resumed.finish()
    for got, want in zip(gathers_in(path, 3), gathers, strict=True):
        np.testing.assert_array_equal(got, want)
    assert not (tmp_path / "shots.h5.partial").exists()


def test_leftovers_of_a_killed_write_are_discarded(tmp_path):
    survey, gathers = small_survey(), gathers_of(small_survey())
    path = tmp_path / "shots.h5"
    with pytest.raises(Interrupted):
        run(path, survey, gathers, stop_after=1)
    parts = tmp_path / "shots.h5.partial"
    (parts / ".shot_000001.h5.tmp").write_bytes(b"half a shot")
    (parts / "shot_000002.h5").write_bytes(b"not hdf5")
    resumed = ResumableShotFile(path, survey)
    assert resumed.pending == [1, 2]
    assert sorted(p.name for p in parts.iterdir()) == ["shot_000000.h5"]


def test_rerun_of_a_finished_file_does_nothing(tmp_path):
    survey, gathers = small_survey(), gathers_of(small_survey())
    path = tmp_path / "shots.h5"
    run(path, survey, gathers)
    before = path.stat().st_mtime_ns
    again = ResumableShotFile(path, survey)
    assert again.complete and again.pending == []
    again.finish()
    assert path.stat().st_mtime_ns == before


def test_a_different_dataset_is_never_overwritten_without_overwrite(tmp_path):
    survey, gathers = small_survey(), gathers_of(small_survey())
    path = tmp_path / "shots.h5"
    run(path, survey, gathers)
    other = small_survey(nt=60)
    with pytest.raises(DifferentDatasetError, match="already holds a different simulation"):
        ResumableShotFile(path, other)
    assert files.read_fingerprint(path) == files.fingerprint(survey)
    run(path, other, gathers_of(other), overwrite=True)
    assert files.read_fingerprint(path) == files.fingerprint(other)


def test_corrected_and_uncorrected_shots_are_never_mixed(tmp_path):
    survey, gathers = small_survey(), gathers_of(small_survey())
    path = tmp_path / "shots.h5"
    with pytest.raises(Interrupted):
        run(path, survey, gathers, stop_after=1, time_dispersion_correction=True)
    with pytest.raises(DifferentDatasetError, match="unfinished run of a different simulation"):
        ResumableShotFile(path, survey)
    run(path, survey, gathers, time_dispersion_correction=True)
    assert files.read_time_dispersion_correction(path)
    with pytest.raises(DifferentDatasetError, match="time-dispersion correction"):
        ResumableShotFile(path, survey)


def test_a_foreign_file_is_not_overwritten(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("my notes")
    with pytest.raises(DifferentDatasetError, match="not a waveback shot file"):
        ResumableShotFile(path, small_survey())
    assert path.read_text() == "my notes"


def test_parts_of_another_run_are_not_mixed_in(tmp_path):
    survey, gathers = small_survey(), gathers_of(small_survey())
    path = tmp_path / "shots.h5"
    with pytest.raises(Interrupted):
        run(path, survey, gathers, stop_after=1)
    other = small_survey(nt=60)
    with pytest.raises(DifferentDatasetError, match="unfinished run of a different simulation"):
        ResumableShotFile(path, other)
    fresh = ResumableShotFile(path, other, overwrite=True)
    assert fresh.pending == [0, 1, 2]


def test_snapshots_are_committed_with_their_shot(tmp_path):
    survey = small_survey(nshots=2)
    path = tmp_path / "shots.h5"
    shot_file = ResumableShotFile(path, survey, [3, 7])
    for i in shot_file.pending:
        shot_file.commit(i, gathers_of(survey)[i], np.full((2, 11, 21), i, np.float32))
    shot_file.finish()
    indices, fields = files.read_wavefield(path, 1)
    assert indices.tolist() == [3, 7] and np.all(fields == 1)
    with pytest.raises(ValueError, match="give wavefield snapshots exactly"):
        ResumableShotFile(tmp_path / "x.h5", survey, [3]).commit(0, gathers_of(survey)[0])


def test_commit_checks_the_gather_shape_and_finish_needs_every_shot(tmp_path):
    shot_file = ResumableShotFile(tmp_path / "s.h5", small_survey())
    with pytest.raises(ValueError, match=r"gather must have shape \(50, 5\)"):
        shot_file.commit(0, np.zeros((50, 4), np.float32))
    with pytest.raises(RuntimeError, match=r"shots \[0, 1, 2\] are not committed"):
        shot_file.finish()


def test_part_files_carry_the_fingerprint_and_the_shot(tmp_path):
    survey, gathers = small_survey(), gathers_of(small_survey())
    with pytest.raises(Interrupted):
        run(tmp_path / "s.h5", survey, gathers, stop_after=1)
    with h5py.File(tmp_path / "s.h5.partial" / "shot_000000.h5") as f:
        assert f.attrs["fingerprint"] == files.fingerprint(survey) and f.attrs["shot"] == 0


def test_a_file_assembled_now_is_not_reported_as_found_complete(tmp_path):
    survey, gathers = small_survey(), gathers_of(small_survey())
    path = tmp_path / "shots.h5"
    first = ResumableShotFile(path, survey)
    for i in first.pending:
        first.commit(i, gathers[i])  # killed before finish: every part is in
    resumed = ResumableShotFile(path, survey)
    assert resumed.pending == [] and not resumed.complete and not resumed.found_complete
    resumed.finish()
    assert resumed.complete and not resumed.found_complete
    again = ResumableShotFile(path, survey)
    assert again.complete and again.found_complete
