"""Tests of waveback's HDF5 files (``waveback.data.files``): round trips, layout, and refusals."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import h5py
import numpy as np
import pytest

import waveback as wb
from waveback.data import acquisition as acq
from waveback.data import files


def small_survey(ndim=2, nshots=3, nt=50, model=True):
    shape = (11, 21) if ndim == 2 else (9, 7, 11)
    vp = np.linspace(1500.0, 2500.0, int(np.prod(shape))).reshape(shape)
    m = wb.Model(vp, 10.0, origin=[5.0] * ndim, boundary="sponge", nbl=7, free_surface=True)
    shots = []
    for i in range(nshots):
        src = np.array([[10.0] + [20.0] * (ndim - 2) + [20.0 + 10 * i]])
        rec = np.stack(
            [np.full(5 + i, 10.0)]
            + [np.full(5 + i, 20.0)] * (ndim - 2)
            + [np.arange(5 + i) * 10.0 + 5],
            axis=1,
        )
        shots.append(acq.Shot(src, rec, wb.ricker(30.0, 1e-3, nt)[:, None]))
    return acq.Survey(m if model else None, 1e-3, nt, tuple(shots), "sinc")


def gathers_of(survey, seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((survey.nt, s.rec.shape[0])).astype(np.float32) for s in survey.shots
    ]


def assert_same_survey(a, b):
    assert files.fingerprint(a) == files.fingerprint(b)
    assert (a.dt, a.nt, a.interpolation, len(a.shots)) == (
        b.dt,
        b.nt,
        b.interpolation,
        len(b.shots),
    )


@pytest.mark.parametrize("ndim", [2, 3])
def test_shot_file_round_trip_keeps_everything(tmp_path, ndim):
    survey = small_survey(ndim)
    gathers = gathers_of(survey)
    path = tmp_path / "shots.h5"
    files.write_shots(path, survey, gathers, command="waveback simulate x", parameters="[model]")
    back = files.read_survey(path)
    assert_same_survey(survey, back)
    assert repr(back.model) == repr(survey.model)
    assert back.model.pml_velocity == survey.model.pml_velocity
    for i, (shot, g) in enumerate(zip(survey.shots, gathers, strict=True)):
        np.testing.assert_array_equal(files.read_gather(path, i), g)
        np.testing.assert_array_equal(back.shots[i].wavelet, shot.wavelet)
        np.testing.assert_array_equal(back.shots[i].rec, shot.rec)
    meta = files.read_provenance(path)
    assert meta["format"] == files.SHOTS and meta["format_version"] == files.FORMAT_VERSION
    assert meta["command"] == "waveback simulate x" and meta["parameters"] == "[model]"
    assert meta["waveback_version"] == wb.__version__ and meta["created"].endswith("+00:00")
    assert files.read_fingerprint(path) == files.fingerprint(survey)


def test_layout_is_readable_and_documented_attributes_exist(tmp_path):
    survey = small_survey()
    path = tmp_path / "shots.h5"
    files.write_shots(path, survey, gathers_of(survey))
    with h5py.File(path) as f:
        assert sorted(f) == ["model", "shots", "time"]
        assert sorted(f["shots"]) == ["000000", "000001", "000002"]
        assert sorted(f["shots/000001"]) == ["data", "rec", "src", "wavelet"]
        data = f["shots/000001/data"]
        assert data.compression == "gzip" and data.shuffle and data.chunks == data.shape
        assert data.attrs["axes"] == "t,rec" and f["model/vp"].attrs["units"] == "m/s"
        assert f["time"].attrs["dt"] == 1e-3 and f["time"].attrs["units"] == "s"
        np.testing.assert_array_equal(f["model"].attrs["spacing"], [10.0, 10.0])
        assert bool(f["model"].attrs["free_surface"]) is True


def test_big_gathers_are_chunked_in_whole_rows_within_one_shot(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "CHUNK_BYTES", 4 * 7 * 10)
    survey = small_survey(nshots=3)
    path = tmp_path / "shots.h5"
    files.write_shots(path, survey, gathers_of(survey))
    with h5py.File(path) as f:
        assert f["shots/000002/data"].chunks == (10, 7)


def test_survey_without_model_or_wavelets(tmp_path):
    survey = small_survey(model=False)
    survey = acq.Survey(
        None, survey.dt, survey.nt, tuple(acq.Shot(s.src, s.rec) for s in survey.shots)
    )
    path = tmp_path / "shots.h5"
    files.write_shots(path, survey, gathers_of(survey))
    back = files.read_survey(path)
    assert back.model is None and all(s.wavelet is None for s in back.shots)
    with pytest.raises(files.FormatError, match="holds no velocity model"):
        files.read_model(path)


def test_wavefield_snapshots_round_trip(tmp_path):
    survey = small_survey(nshots=2)
    fields = [np.full((2, 11, 21), float(i), np.float32) for i in range(2)]
    path = tmp_path / "shots.h5"
    files.write_shots(path, survey, gathers_of(survey), snapshots=[10, 20], wavefields=fields)
    indices, back = files.read_wavefield(path, 1)
    assert indices.tolist() == [10, 20]
    np.testing.assert_array_equal(back, fields[1])
    assert (
        files.read_fingerprint(path)
        == files.fingerprint(survey, [10, 20])
        != files.fingerprint(survey)
    )


def test_model_and_image_files_round_trip(tmp_path):
    model = small_survey(3).model
    files.write_model(tmp_path / "m.h5", model, command="c")
    back = files.read_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(back.vp, model.vp)
    assert repr(back) == repr(model)
    image = np.arange(6.0).reshape(2, 3)
    files.write_image(tmp_path / "i.h5", image, 5.0, (1.0, 2.0), description="test image")
    img = files.read_image(tmp_path / "i.h5")
    np.testing.assert_array_equal(img.data, image)
    assert img.spacing == (5.0, 5.0) and img.origin == (1.0, 2.0)
    assert img.description == "test image"
    assert files.file_format(tmp_path / "i.h5") == files.IMAGE


def test_model_file_of_an_inversion_keeps_its_misfit_curve(tmp_path):
    model = small_survey().model
    curve = files.MisfitCurve(
        np.array([3.0, 2.0, 1.5, 0.5]),
        np.array([0, 0, 1, 1]),
        np.array([4.0, 2.5]),
        np.array([8.0, np.nan]),
    )
    files.write_model(tmp_path / "inv.h5", model, misfit=curve)
    back = files.read_misfit(tmp_path / "inv.h5")
    for name, dtype, _ in files.MISFIT_LAYOUT:
        np.testing.assert_array_equal(getattr(back, name), getattr(curve, name))
        assert getattr(back, name).dtype == dtype
    np.testing.assert_array_equal(files.read_model(tmp_path / "inv.h5").vp, model.vp)
    with h5py.File(tmp_path / "inv.h5") as f:
        assert f["inversion/bands"].attrs["units"] == "Hz"
    files.write_model(tmp_path / "m.h5", model)
    assert files.read_misfit(tmp_path / "m.h5") is None
    with h5py.File(tmp_path / "inv.h5", "a") as f:
        del f["inversion/band"]
        f["inversion/band"] = np.array([0, 0, 1])
    with pytest.raises(files.FormatError, match="does not match"):
        files.read_misfit(tmp_path / "inv.h5")


def test_time_dispersion_correction_is_recorded_and_fingerprinted(tmp_path):
    survey = small_survey()
    assert files.fingerprint(survey, (), True) != files.fingerprint(survey)
    assert files.fingerprint(survey, (), False) == files.fingerprint(survey)
    with h5py.File(tmp_path / "s.h5", "w") as f:
        f.attrs["format"], f.attrs["format_version"] = files.SHOTS, files.FORMAT_VERSION
        for group, g in zip(
            files.write_survey(f, survey, (), True), gathers_of(survey), strict=True
        ):
            files.write_record(group, g)
    assert files.read_time_dispersion_correction(tmp_path / "s.h5")
    assert files.read_fingerprint(tmp_path / "s.h5") == files.fingerprint(survey, (), True)
    files.write_shots(tmp_path / "plain.h5", survey, gathers_of(survey))
    assert not files.read_time_dispersion_correction(tmp_path / "plain.h5")


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    survey = small_survey()
    path = tmp_path / "shots.h5"
    path.write_bytes(b"previous")
    bad = gathers_of(survey)[:2] + ["not a gather"]
    with pytest.raises(ValueError):
        files.write_shots(path, survey, bad)
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["shots.h5"]


def record_fsyncs(monkeypatch) -> list[tuple[bool, int]]:
    """Record ``(is a directory, inode)`` of every ``os.fsync`` from now on (and still do it)."""
    calls, fsync = [], os.fsync

    def recording(fd):
        st = os.fstat(fd)
        calls.append((stat.S_ISDIR(st.st_mode), st.st_ino))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return calls


def assert_flushed(path, calls):
    """``path`` (the renamed temporary file) and its directory were flushed to disk."""
    path = Path(path)
    assert (False, path.stat().st_ino) in calls and (True, path.parent.stat().st_ino) in calls


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_an_exception_inside_the_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, error):
    path = tmp_path / "m.h5"
    files.write_model(path, small_survey().model)
    before = path.read_bytes()
    with pytest.raises(error), files.atomic_h5(path, files.MODEL) as f:
        f["half"] = np.zeros(10)
        assert (tmp_path / ".m.h5.tmp").exists()
        raise error("stopped mid-write")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.h5"]


def test_a_written_file_and_its_directory_are_flushed_to_disk(tmp_path, monkeypatch):
    calls = record_fsyncs(monkeypatch)
    files.write_model(tmp_path / "m.h5", small_survey().model)
    assert_flushed(tmp_path / "m.h5", calls)
    assert [p.name for p in tmp_path.iterdir()] == ["m.h5"]


def test_too_few_gathers_is_an_error(tmp_path):
    survey = small_survey()
    with pytest.raises(ValueError, match="got 2 gathers for 3 shots"):
        files.write_shots(tmp_path / "s.h5", survey, gathers_of(survey)[:2])
    assert not (tmp_path / "s.h5").exists()


def _foreign(path):
    with h5py.File(path, "w") as f:
        f["x"] = np.zeros(3)


def _other_kind(path):
    files.write_model(path, small_survey().model)


def _newer(path):
    files.write_shots(path, small_survey(nshots=1), gathers_of(small_survey(nshots=1)))
    with h5py.File(path, "a") as f:
        f.attrs["format_version"] = files.FORMAT_VERSION + 1


def _missing_time(path):
    files.write_shots(path, small_survey(nshots=1), gathers_of(small_survey(nshots=1)))
    with h5py.File(path, "a") as f:
        del f["time"]


def _missing_shot(path):
    files.write_shots(path, small_survey(nshots=2), gathers_of(small_survey(nshots=2)))
    with h5py.File(path, "a") as f:
        del f["shots/000001"]


def _wrong_data_shape(path):
    survey = small_survey(nshots=1)
    files.write_shots(path, survey, gathers_of(survey))
    with h5py.File(path, "a") as f:
        del f["shots/000000/data"]
        f["shots/000000/data"] = np.zeros((3, 3), np.float32)


def _bad_model(path):
    files.write_shots(path, small_survey(nshots=1), gathers_of(small_survey(nshots=1)))
    with h5py.File(path, "a") as f:
        f["model/vp"][0, 0] = -1.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("hello"), "is not an HDF5 file"),
        (_foreign, "not a waveback file"),
        (_other_kind, "is a waveback-model file; expected a waveback-shots file"),
        (_newer, "newer than this waveback reads"),
        (_missing_time, "missing dataset /time"),
        (_missing_shot, "/shots must hold groups 000000 .. 000001"),
        (_wrong_data_shape, r"data has shape \(3, 3\), expected"),
        (_bad_model, "invalid model in /model: vp must be positive"),
    ],
)
def test_readers_refuse_foreign_and_malformed_files_with_a_clear_message(tmp_path, make, message):
    path = tmp_path / "file.h5"
    make(path)
    with pytest.raises(files.FormatError, match=message):
        files.read_survey(path)


def test_missing_file_mentions_an_unfinished_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file$"):
        files.read_survey(tmp_path / "shots.h5")
    (tmp_path / "shots.h5.partial").mkdir()
    with pytest.raises(FileNotFoundError, match="unfinished simulation"):
        files.read_survey(tmp_path / "shots.h5")


def test_shot_index_out_of_range(tmp_path):
    survey = small_survey(nshots=2)
    files.write_shots(tmp_path / "s.h5", survey, gathers_of(survey))
    with pytest.raises(ValueError, match="shot index 2 out of range"):
        files.read_gather(tmp_path / "s.h5", 2)
    with pytest.raises(files.FormatError, match="no wavefield snapshots"):
        files.read_wavefield(tmp_path / "s.h5", 0)


def test_fingerprint_changes_with_anything_that_changes_the_data():
    survey = small_survey()
    base = files.fingerprint(survey)
    assert files.fingerprint(small_survey()) == base
    moved = acq.Shot(survey.shots[0].src + 1.0, survey.shots[0].rec, survey.shots[0].wavelet)
    variants = [
        acq.Survey(survey.model, 1.0001e-3, survey.nt, survey.shots, survey.interpolation),
        acq.Survey(survey.model, survey.dt, survey.nt, survey.shots, "linear"),
        acq.Survey(survey.model, survey.dt, survey.nt, (moved, *survey.shots[1:]), "sinc"),
        acq.Survey(
            survey.model.with_vp(survey.model.vp * 1.01), survey.dt, survey.nt, survey.shots, "sinc"
        ),
    ]
    assert len({base, *(files.fingerprint(v) for v in variants)}) == 5


def _written(path, nshots=1):
    survey = small_survey(nshots=nshots)
    files.write_shots(path, survey, gathers_of(survey))
    return survey


def _set_time(path, values):
    with h5py.File(path, "a") as f:
        f["time"][...] = values


@pytest.mark.parametrize(
    ("start", "advice"),
    [
        (0.1, "0.1 s early; pad every trace and /time with 100 leading samples"),
        (-0.02, "0.02 s late; drop the first 20 samples of every trace and of /time"),
    ],
)
def test_a_record_that_does_not_start_at_zero_is_refused(tmp_path, start, advice):
    path = tmp_path / "late.h5"
    survey = _written(path)
    _set_time(path, start + survey.time)
    with pytest.raises(files.FormatError) as exc:
        files.read_survey(path)
    assert str(exc.value) == (
        f"{path}: /time starts at {start} s, not at 0: waveback's records start when the sources "
        f"start (t_n = n dt), so these traces would be read {advice} so that they start at 0 s"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t * 2, r"sample 1 is at 0.002 s, expected 0.001 s \(t_n = n dt\)$"),
        (lambda t: np.where(np.arange(t.size) == 7, 0.5, t), "sample 7 is at 0.5 s, expected"),
    ],
)
def test_time_axis_must_match_dt_and_nt(tmp_path, change, message):
    path = tmp_path / "s.h5"
    survey = _written(path)
    _set_time(path, change(survey.time))
    with pytest.raises(files.FormatError, match="/time does not match its attributes dt = 0.001 s"):
        files.read_survey(path)
    with pytest.raises(files.FormatError, match=message):
        files.read_survey(path)


def test_time_axis_length_must_be_nt(tmp_path):
    path = tmp_path / "s.h5"
    _written(path)
    with h5py.File(path, "a") as f:
        f["time"].attrs["nt"] = 49
    with pytest.raises(
        files.FormatError, match=r"/time has shape \(50,\), but its attribute nt is 49"
    ):
        files.read_survey(path)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("name", ["src", "rec"])
def test_nan_or_infinite_positions_are_refused_when_read(tmp_path, bad, name):
    path = tmp_path / "s.h5"
    survey = small_survey(nshots=2, model=False)
    files.write_shots(path, survey, gathers_of(survey))
    with h5py.File(path, "a") as f:
        f[f"shots/000001/{name}"][-1, 0] = bad
    with pytest.raises(files.FormatError) as exc:
        files.read_survey(path)
    point = survey.shots[1].src.shape[0] - 1 if name == "src" else survey.shots[1].rec.shape[0] - 1
    assert str(exc.value) == (
        f"{path}: /shots/000001/{name} holds NaN or infinite positions (first at point "
        f"{point}); every position must be a finite coordinate in m"
    )


def test_optional_model_attributes_take_the_models_defaults(tmp_path):
    path = tmp_path / "m.h5"
    vp = np.linspace(1500.0, 2500.0, 11 * 21).reshape(11, 21).astype(np.float32)
    with files.atomic_h5(path, files.MODEL) as f:
        f.create_group("model").attrs["spacing"] = [10.0, 5.0]
        f["model/vp"] = vp
    model = files.read_model(path)
    default = wb.Model(vp, (10.0, 5.0))
    assert repr(model) == repr(default) and model.origin == (0.0, 0.0)
    for name in files.MODEL_SETTINGS:
        assert getattr(model, name) == getattr(default, name), name
    with h5py.File(path, "a") as f:
        del f["model"].attrs["spacing"]
    with pytest.raises(files.FormatError, match="missing attribute 'spacing' on /model"):
        files.read_model(path)


@pytest.mark.parametrize("size", [2000, 40000])
def test_a_truncated_file_is_named(tmp_path, size):
    whole, cut = tmp_path / "whole.h5", tmp_path / "cut.h5"
    _written(whole, nshots=3)
    cut.write_bytes(whole.read_bytes()[:size])
    with pytest.raises(files.FormatError) as exc:
        files.read_survey(cut)
    assert str(exc.value).startswith(f"{cut} cannot be read as HDF5, it is truncated or damaged (")
    assert "truncated file" in str(exc.value)


def test_a_damaged_dataset_is_named(tmp_path):
    path = tmp_path / "s.h5"
    survey = _written(path)
    with h5py.File(path, "r") as f:
        offset = f["shots/000000/data"].id.get_chunk_info(0).byte_offset
    data = bytearray(path.read_bytes())
    data[offset : offset + 64] = b"\xff" * 64  # the gzip stream of the first chunk
    path.write_bytes(bytes(data))
    assert len(files.read_survey(path).shots) == len(survey.shots)
    with pytest.raises(files.FormatError, match=f"^{path}: damaged waveback-shots file, a part"):
        files.read_gather(path, 0)


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs Linux's read-only /sys")
def test_an_unwritable_directory_is_named(tmp_path):
    with pytest.raises(PermissionError) as exc:
        files.write_image("/sys/image.h5", np.zeros((3, 3)), 1.0, 0.0)
    assert str(exc.value).startswith(
        "cannot write /sys/image.h5: no new file can be created in /sys ("
    )
