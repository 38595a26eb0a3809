"""Tests of the SEG-Y exchange (``waveback.data.segy``): round trips, and files written by
segyio and by ObsPy directly, each imported exactly, refused, or imported with a warning that
counts what was assumed; exports read back by ObsPy and segyio."""

from __future__ import annotations

import json
import struct
import warnings

import numpy as np
import pytest
import segyio
from click.testing import CliRunner
from obspy import Stream, Trace, read
from obspy.core import AttribDict
from obspy.io.segy.segy import SEGYBinaryFileHeader, SEGYTraceHeader
from test_files import assert_flushed, gathers_of, record_fsyncs, small_survey

import waveback as wb
from waveback.data import acquisition as acq
from waveback.data import files, segy
from waveback_cli.main import ERROR_EXIT_CODE, cli, warning_printer

TF = segyio.TraceField


def seismic_survey(ndim, nt=40, dt=9.5079853656958e-4):
    """Single-source shots on a metre grid, with an irregular dt (not whole microseconds)."""
    shots = []
    for i in range(3):
        src = np.array([[12.5] + [100.0] * (ndim - 2) + [250.0 + 100.0 * i]])
        n = 6 + i
        rec = np.stack(
            [np.full(n, 7.25)] + [np.full(n, 37.5)] * (ndim - 2) + [np.arange(n) * 12.5 + 3.0],
            axis=1,
        )
        shots.append(acq.Shot(src, rec))
    return acq.Survey(None, dt, nt, tuple(shots))


def write_quietly(path, survey, gathers, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", segy.SegyWarning)
        segy.write_segy_shots(path, survey, gathers, **kwargs)


def import_quietly(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", segy.SegyWarning)
        return segy.import_segy_shots(path, **kwargs)


def segyio_file(path, data, headers, binary=None, endian="big", dt=2000):
    """A SEG-Y file written by segyio: ``data`` (ntraces, nt), header values per trace."""
    spec = segyio.spec()
    spec.format = 5
    spec.samples = np.arange(data.shape[1]) * dt / 1000.0
    spec.tracecount = data.shape[0]
    spec.endian = endian
    with segyio.create(str(path), spec) as f:
        f.bin.update({segyio.BinField.Interval: dt, segyio.BinField.MeasurementSystem: 1})
        f.bin.update(binary or {})
        for k in range(data.shape[0]):
            defaults = {TF.TraceIdentificationCode: 1, TF.CoordinateUnits: 1}
            f.header[k] = (
                defaults
                | {TF.TRACE_SAMPLE_INTERVAL: dt}
                | {field: int(values[k]) for field, values in headers.items()}
            )
            f.trace[k] = data[k]
    return path


def obspy_file(path, data, headers, byteorder=">", dt=2e-3, measurement=1):
    """A SEG-Y file written by ObsPy: ``data`` (ntraces, nt), ObsPy header names per trace."""
    stream = Stream()
    for k, samples in enumerate(data):
        trace = Trace(np.ascontiguousarray(samples, dtype=np.float32))
        trace.stats.delta = dt
        header = SEGYTraceHeader()
        header.trace_identification_code = 1
        header.coordinate_units = 1
        for name, values in headers.items():
            setattr(header, name, int(values[k]))
        trace.stats.segy = AttribDict({"trace_header": header})
        stream.append(trace)
    binary = SEGYBinaryFileHeader()
    binary.measurement_system = measurement
    stream.stats = AttribDict({"textual_file_header": b"", "binary_file_header": binary})
    stream.write(str(path), format="SEGY", data_encoding=5, byteorder=byteorder)
    return path


def line_of_shots(ntraces=6, nt=12):
    """Two shots of three receivers, interleaved in the file, with FFID 0 (unset)."""
    data = np.arange(ntraces * nt, dtype=np.float32).reshape(ntraces, nt)
    headers = {
        TF.SourceX: [100, 300, 100, 300, 100, 300],
        TF.GroupX: [10, 20, 30, 40, 50, 60],
        TF.ReceiverGroupElevation: [0] * 6,
    }
    return data, headers


# --- export: standard headers that ObsPy and segyio read back exactly ---------------------------


@pytest.mark.parametrize("ndim", [2, 3])
def test_hdf5_to_segy_to_hdf5_keeps_data_and_geometry(tmp_path, ndim):
    survey = seismic_survey(ndim)
    gathers = gathers_of(survey)
    files.write_shots(tmp_path / "a.h5", survey, gathers)
    first = files.read_survey(tmp_path / "a.h5")
    write_quietly(
        tmp_path / "a.sgy", first, (files.read_gather(tmp_path / "a.h5", i) for i in range(3))
    )
    back, back_gathers = segy.read_segy_shots(tmp_path / "a.sgy")
    files.write_shots(tmp_path / "b.h5", back, back_gathers)
    again = files.read_survey(tmp_path / "b.h5")
    assert files.fingerprint(again) == files.fingerprint(survey)
    assert again.dt == survey.dt and again.nt == survey.nt
    for i in range(3):
        np.testing.assert_array_equal(files.read_gather(tmp_path / "b.h5", i), gathers[i])
        np.testing.assert_array_equal(again.shots[i].src, survey.shots[i].src)
        np.testing.assert_array_equal(again.shots[i].rec, survey.shots[i].rec)


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_a_failed_export_keeps_the_old_file_and_leaves_no_temporary(tmp_path, error):
    survey, path = seismic_survey(2), tmp_path / "a.sgy"
    good = gathers_of(survey)
    write_quietly(path, survey, good)
    before = path.read_bytes()

    def gathers():
        yield good[0]
        if error is KeyboardInterrupt:
            raise KeyboardInterrupt
        yield good[1][:, :2]  # the wrong shape: a ValueError raised while writing

    with pytest.raises(error):
        write_quietly(path, survey, gathers())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.sgy"]


def test_an_export_and_its_directory_are_flushed_to_disk(tmp_path, monkeypatch):
    survey, model = seismic_survey(2), small_survey().model
    calls = record_fsyncs(monkeypatch)
    write_quietly(tmp_path / "a.sgy", survey, gathers_of(survey))
    assert_flushed(tmp_path / "a.sgy", calls)
    calls.clear()
    segy.write_segy_model(tmp_path / "m.sgy", model.vp, model.spacing, model.origin)
    assert_flushed(tmp_path / "m.sgy", calls)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.sgy", "m.sgy"]


def test_export_is_standard_rev2_that_obspy_reads_exactly(tmp_path):
    survey = seismic_survey(3, dt=1.109265e-3)
    gathers = gathers_of(survey)
    with pytest.warns(segy.SegyWarning, match=r"dt = 1109.265 µs .* see 1109 µs"):
        segy.write_segy_shots(tmp_path / "a.sgy", survey, gathers, field_records=[7, 8, 9])
    stream = read(str(tmp_path / "a.sgy"), format="SEGY", unpack_trace_headers=True)
    b = stream.stats.binary_file_header
    assert b.seg_y_format_revision_number == 0x0200  # rev 2.0: byte 3501 = 2, byte 3502 = 0
    assert b.data_sample_format_code == 5 and b.measurement_system == 1
    assert b.number_of_data_traces_per_ensemble == 8  # the largest shot
    assert b.number_of_auxiliary_traces_per_ensemble == 0
    assert b.sample_interval_in_microseconds == 1109 and b.fixed_length_trace_flag == 1
    extended = struct.unpack(">d", b.unassigned_1[12:20])[0]  # bytes 3273-3280
    assert extended == survey.dt * 1e6 and extended / 1e6 == pytest.approx(survey.dt, abs=0)
    assert struct.unpack(">I", b.unassigned_1[36:40])[0] == 0x01020304  # byte-order marker
    assert stream.stats.textual_file_header[38 * 80 : 38 * 80 + 16] == b"C39 SEG-Y_REV2.0"
    assert len(stream) == 6 + 7 + 8
    k = 0
    for i, (shot, gather) in enumerate(zip(survey.shots, gathers, strict=True)):
        for j, (z, y, x) in enumerate(shot.rec):
            h = stream[k].stats.segy.trace_header
            assert (
                h.original_field_record_number,
                h.trace_number_within_the_original_field_record,
            ) == (
                7 + i,
                j + 1,
            )
            assert h.trace_identification_code == 1 and h.coordinate_units == 1
            assert h.scalar_to_be_applied_to_all_coordinates == -10
            assert h.scalar_to_be_applied_to_all_elevations_and_depths == -100
            assert (h.group_coordinate_x / 10, h.group_coordinate_y / 10) == (x, y)
            assert -h.receiver_group_elevation / 100 == z
            assert h.source_coordinate_x / 10 == shot.src[0, 2]
            assert h.source_depth_below_surface / 100 == shot.src[0, 0]
            assert h.surface_elevation_at_source == 0
            np.testing.assert_array_equal(stream[k].data, gather[:, j])
            k += 1


def test_export_headers_read_by_segyio(tmp_path):
    survey = seismic_survey(2)
    write_quietly(tmp_path / "a.sgy", survey, gathers_of(survey))
    with segyio.open(tmp_path / "a.sgy", ignore_geometry=True) as f:
        assert f.tracecount == 6 + 7 + 8
        assert f.bin[segyio.BinField.Format] == 5  # IEEE float
        assert f.bin[segyio.BinField.SEGYRevision] == 2
        assert f.bin[segyio.BinField.Traces] == 8 and f.bin[segyio.BinField.AuxTraces] == 0
        assert f.bin[segyio.BinField.MeasurementSystem] == 1
        assert segyio.tools.dt(f) == 951.0  # µs, rounded; the exact one is in bytes 3273-3280
        h = f.header[6]  # shot 2, receiver 0
        assert h[TF.FieldRecord] == 2 and h[TF.TraceNumber] == 1
        assert h[TF.SourceGroupScalar] == -10 and h[TF.SourceX] == 3500
        assert h[TF.offset] == 347


def test_export_keeps_an_ultrasound_dt_and_sub_millimetre_positions(tmp_path):
    pos = np.array([[1.2e-3, 0.0], [2.5e-3, 3.3e-3]])  # a 0.1 mm grid
    survey = acq.Survey(None, 25e-9, 30, (acq.Shot(pos[:1], pos),))
    data = [np.random.default_rng(1).standard_normal((30, 2))]  # float64: IEEE double
    with pytest.warns(segy.SegyWarning, match=r"dt = 0.025 µs .* see 0 µs"):
        segy.write_segy_shots(tmp_path / "u.sgy", survey, data)
    back, gathers = segy.read_segy_shots(tmp_path / "u.sgy")
    assert back.dt == 25e-9 and gathers[0].dtype == np.float64
    np.testing.assert_array_equal(gathers[0], data[0])
    np.testing.assert_array_equal(back.shots[0].rec, pos)
    with segyio.open(tmp_path / "u.sgy", ignore_geometry=True) as f:
        assert f.bin[segyio.BinField.Format] == 6
        assert f.header[1][TF.GroupX] == 33 and f.header[1][TF.SourceGroupScalar] == -10000


def test_export_and_import_long_traces(tmp_path):
    pos = np.array([[0.0, 1.0]])
    data = np.arange(40000, dtype=np.float32)[:, None]  # more than 32767: unsigned counts
    segy.write_segy_shots(
        tmp_path / "a.sgy", acq.Survey(None, 1e-3, 40000, (acq.Shot(pos, pos),)), [data]
    )
    assert read(str(tmp_path / "a.sgy"), format="SEGY")[0].stats.npts == 40000
    np.testing.assert_array_equal(segy.read_segy_shots(tmp_path / "a.sgy")[1][0], data)
    with pytest.raises(ValueError, match="nt = 65536 samples do not fit"):
        segy.write_segy_shots(
            tmp_path / "b.sgy", acq.Survey(None, 1e-3, 65536, (acq.Shot(pos, pos),)), [data]
        )


def test_export_refuses_positions_that_no_scalar_holds(tmp_path):
    pos = np.array([[0.0, 1.2e-3], [0.0, 1.2345e-3]])  # the second is not on a 0.1 mm grid
    survey = acq.Survey(None, 1e-3, 10, (acq.Shot(pos[:1], pos),))
    with pytest.raises(ValueError, match=r"x and y exactly: 0.0012345 m is not a whole number"):
        segy.write_segy_shots(tmp_path / "x.sgy", survey, [np.zeros((10, 2), np.float32)])
    assert not (tmp_path / "x.sgy").exists()


def test_export_datum_writes_elevations_that_import_turns_back(tmp_path):
    src = np.array([[5.0, 40.0]])
    rec = np.array([[0.0, 10.0], [0.0, 20.0]])
    survey = acq.Survey(None, 1e-3, 10, (acq.Shot(src, rec),))
    path = tmp_path / "land.sgy"
    segy.write_segy_shots(path, survey, [np.zeros((10, 2), np.float32)], datum=120.0)
    with segyio.open(path, ignore_geometry=True) as f:
        h = f.header[0]
        assert h[TF.ReceiverGroupElevation] == 120 and h[TF.SourceSurfaceElevation] == 120
        assert h[TF.SourceDepth] == 5
    back = import_quietly(path, datum=120.0).survey
    np.testing.assert_array_equal(back.shots[0].src, src)
    np.testing.assert_array_equal(back.shots[0].rec, rec)


def test_multi_source_shots_stay_in_hdf5(tmp_path):
    model = wb.Model(np.full((11, 21), 1500.0), 1e-4)
    pos = np.array([[0.0, 0.0], [0.0, 1e-4]])
    survey = acq.Survey(model, 1e-8, 10, (acq.Shot(pos, pos, np.zeros((10, 2))),))
    with pytest.raises(ValueError, match="fires 2 sources at once"):
        segy.write_segy_shots(tmp_path / "x.sgy", survey, [np.zeros((10, 2))])
    assert not (tmp_path / "x.sgy").exists()


# --- import of files written by segyio and ObsPy -----------------------------------------------


def test_foreign_segy_without_waveback_header_uses_the_sample_interval(tmp_path):
    data = np.arange(5 * 20, dtype=np.float32).reshape(5, 20)
    path = tmp_path / "foreign.sgy"
    segyio.tools.from_array(str(path), data, format=5, dt=2000)
    with segyio.open(path, "r+", ignore_geometry=True) as f:
        for k in range(5):
            f.header[k] = {TF.FieldRecord: 7, TF.GroupX: 10 * k}
    shots = import_quietly(path)
    survey = shots.survey
    assert survey.dt == 2e-3 and survey.nt == 20 and len(survey.shots) == 1
    assert survey.model is None and survey.shots[0].wavelet is None
    assert shots.field_records == (7,)
    np.testing.assert_array_equal(survey.shots[0].rec[:, 1], [0, 10, 20, 30, 40])
    np.testing.assert_array_equal(shots.gathers[0], data.T)


def test_traces_without_ffid_are_grouped_by_source_position(tmp_path):
    data, headers = line_of_shots()
    path = segyio_file(tmp_path / "a.sgy", data, headers)
    with pytest.warns(segy.SegyWarning, match="6 of 6 traces have FFID 0; grouped into 2 shots"):
        shots = segy.import_segy_shots(path)
    assert shots.field_records == (0, 0)
    assert [s.src[0, 1] for s in shots.survey.shots] == [100.0, 300.0]
    np.testing.assert_array_equal(shots.survey.shots[0].rec[:, 1], [10, 30, 50])
    np.testing.assert_array_equal(shots.survey.shots[1].rec[:, 1], [20, 40, 60])
    np.testing.assert_array_equal(shots.gathers[1], data[[1, 3, 5]].T)


def test_ffids_group_shots_and_are_kept(tmp_path):
    data, headers = line_of_shots()
    headers[TF.FieldRecord] = [1001, 1002, 1001, 1002, 1001, 1002]
    shots = segy.import_segy_shots(segyio_file(tmp_path / "a.sgy", data, headers))
    assert shots.field_records == (1001, 1002)
    np.testing.assert_array_equal(shots.gathers[0], data[[0, 2, 4]].T)
    headers[TF.SourceX] = [100, 300, 100, 300, 200, 300]  # FFID 1001 at two positions
    path = segyio_file(tmp_path / "b.sgy", data, headers)
    with pytest.warns(segy.SegyWarning, match="1 field record numbers .* imported as 3 shots"):
        shots = segy.import_segy_shots(path)
    assert shots.field_records == (1001, 1002, 1001)
    assert [s.rec.shape[0] for s in shots.survey.shots] == [2, 3, 1]


def test_a_recording_delay_is_refused(tmp_path):
    data, headers = line_of_shots()
    headers[TF.DelayRecordingTime] = [0, 0, 100, 100, 100, 100]
    path = segyio_file(tmp_path / "a.sgy", data, headers)
    with pytest.raises(ValueError, match=r"4 of 6 traces start recording 100 ms after time zero"):
        import_quietly(path)


@pytest.mark.parametrize("byteorder", [">", "<"])
def test_elevations_datum_and_scalars_from_obspy(tmp_path, byteorder):
    data = np.random.default_rng(0).standard_normal((3, 16)).astype(np.float32)
    headers = {
        "original_field_record_number": [3, 3, 3],
        "source_coordinate_x": [12345] * 3,  # 123.45 m at scalar -100
        "group_coordinate_x": [10000, 10125, 10250],
        "scalar_to_be_applied_to_all_coordinates": [-100] * 3,
        "receiver_group_elevation": [1200] * 3,  # 120 m at scalar -10
        "surface_elevation_at_source": [1200] * 3,
        "source_depth_below_surface": [50] * 3,  # 5 m
        "scalar_to_be_applied_to_all_elevations_and_depths": [-10] * 3,
    }
    path = obspy_file(tmp_path / "land.sgy", data, headers, byteorder)
    shots = segy.import_segy_shots(path, datum=120.0)
    shot = shots.survey.shots[0]
    np.testing.assert_array_equal(shot.src, [[5.0, 123.45]])
    np.testing.assert_array_equal(shot.rec, [[0.0, 100.0], [0.0, 101.25], [0.0, 102.5]])
    np.testing.assert_array_equal(shots.gathers[0], data.T)
    assert shots.survey.dt == 2e-3 and shots.field_records == (3,)
    default = segy.import_segy_shots(path).survey.shots[0]  # datum 0: z = -elevation
    assert default.src[0, 0] == -115.0 and np.all(default.rec[:, 0] == -120.0)


def test_little_endian_segyio_file_reads_like_the_big_endian_one(tmp_path):
    data, headers = line_of_shots()
    headers[TF.FieldRecord] = [1, 2, 1, 2, 1, 2]
    big = segy.import_segy_shots(segyio_file(tmp_path / "big.sgy", data, headers))
    little = segy.import_segy_shots(
        segyio_file(tmp_path / "le.sgy", data, headers, endian="little")
    )
    assert files.fingerprint(little.survey) == files.fingerprint(big.survey)
    for a, b in zip(big.gathers, little.gathers, strict=True):
        np.testing.assert_array_equal(a, b)


def test_feet_are_converted_to_metres(tmp_path):
    data, headers = line_of_shots()
    headers[TF.FieldRecord] = [1] * 6
    headers[TF.SourceX] = [100] * 6
    path = segyio_file(tmp_path / "ft.sgy", data, headers, {segyio.BinField.MeasurementSystem: 2})
    shot = segy.import_segy_shots(path).survey.shots[0]
    np.testing.assert_array_equal(shot.rec[:, 1], np.array([10, 20, 30, 40, 50, 60]) * 0.3048)
    assert shot.src[0, 1] == 100 * 0.3048


def test_geographic_coordinates_are_refused(tmp_path):
    data, headers = line_of_shots()
    headers[TF.CoordinateUnits] = [3] * 6
    with pytest.raises(ValueError, match=r"6 traces give coordinates in decimal degrees"):
        import_quietly(segyio_file(tmp_path / "geo.sgy", data, headers))


def test_unset_fields_and_auxiliary_traces_are_counted_in_warnings(tmp_path):
    data, headers = line_of_shots()
    headers[TF.FieldRecord] = [1] * 6
    headers[TF.SourceX] = [100] * 6
    headers[TF.TraceIdentificationCode] = [0, 1, 1, 1, 7, 0]  # 7: timing trace
    headers[TF.CoordinateUnits] = [0, 0, 0, 1, 1, 1]
    path = segyio_file(tmp_path / "a.sgy", data, headers, {segyio.BinField.MeasurementSystem: 0})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shots = segy.import_segy_shots(path)
    messages = sorted(str(w.message) for w in caught if w.category is segy.SegyWarning)
    assert [m.split(":")[0] for m in messages] == [
        "coordinate units unset",
        "measurement system unset",
        "trace identification code unset",
        "traces dropped",
    ]
    assert "3 of 5 traces have 0 in trace bytes 89-90" in messages[0]
    assert "2 of 6 traces have 0 in trace bytes 29-30" in messages[2]
    assert "1 of 6 traces are not pressure data (1 with code 7" in messages[3]
    np.testing.assert_array_equal(shots.survey.shots[0].rec[:, 1], [10, 20, 30, 40, 60])


def test_disagreeing_sample_intervals_are_refused(tmp_path):
    data, headers = line_of_shots()
    headers[TF.TRACE_SAMPLE_INTERVAL] = [4000] * 6
    with pytest.raises(ValueError, match="binary header 2000 µs, trace headers 4000 µs"):
        import_quietly(segyio_file(tmp_path / "a.sgy", data, headers))


def test_a_velocity_model_is_not_taken_for_shots(tmp_path):
    path = tmp_path / "model.sgy"
    segyio.tools.from_array(str(path), np.full((7, 9), 2000.0, np.float32), format=5)
    with pytest.raises(ValueError, match="no source or receiver positions"):
        import_quietly(path)
    model = small_survey(2).model
    segy.write_segy_model(tmp_path / "m.sgy", model.vp, model.spacing, model.origin)
    with pytest.raises(ValueError, match="is a waveback velocity model, not shot gathers"):
        segy.read_segy_shots(tmp_path / "m.sgy")


def test_not_a_segy_file(tmp_path):
    path = tmp_path / "x.sgy"
    path.write_text("hello")
    with pytest.raises(ValueError, match="not a readable SEG-Y file"):
        segy.read_segy_shots(path)
    path.write_bytes(bytes(3600))
    with pytest.raises(ValueError, match="data sample format code .* 0000"):
        segy.read_segy_shots(path)
    with pytest.raises(FileNotFoundError):
        segy.read_segy_shots(tmp_path / "missing.sgy")


# --- the convert command -----------------------------------------------------------------------


def run_convert(monkeypatch, *args):
    monkeypatch.setattr(warnings, "showwarning", warning_printer())
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        return CliRunner().invoke(cli, ["convert", *map(str, args)])


def test_convert_keeps_ffids_and_datum_both_ways(tmp_path, monkeypatch):
    data, headers = line_of_shots()
    headers[TF.FieldRecord] = [41, 42, 41, 42, 41, 42]
    headers[TF.ReceiverGroupElevation] = [120] * 6
    headers[TF.SourceSurfaceElevation] = [120] * 6
    headers[TF.SourceDepth] = [5] * 6
    path = segyio_file(tmp_path / "a.sgy", data, headers)
    result = run_convert(monkeypatch, path, tmp_path / "a.h5", "--datum", 120)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    survey = files.read_survey(tmp_path / "a.h5")
    np.testing.assert_array_equal(survey.shots[1].src, [[5.0, 300.0]])
    np.testing.assert_array_equal(survey.shots[1].rec[:, 0], [0.0, 0.0, 0.0])
    parameters = json.loads(files.read_provenance(tmp_path / "a.h5")["parameters"])
    assert parameters == {"datum": 120.0, "field_records": [41, 42]}
    result = run_convert(monkeypatch, tmp_path / "a.h5", tmp_path / "b.sgy", "--datum", 120)
    assert result.exit_code == 0, result.output
    with segyio.open(tmp_path / "b.sgy", ignore_geometry=True) as f:
        assert list(f.attributes(TF.FieldRecord)[:]) == [41, 41, 41, 42, 42, 42]
        assert list(f.attributes(TF.ReceiverGroupElevation)[:]) == [120] * 6
        np.testing.assert_array_equal(f.trace.raw[:], data[[0, 2, 4, 1, 3, 5]])


def test_convert_prints_guesses_as_counted_warnings(tmp_path, monkeypatch):
    data, headers = line_of_shots()
    path = segyio_file(tmp_path / "a.sgy", data, headers)
    result = run_convert(monkeypatch, path, tmp_path / "a.h5")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: field record numbers unset: 6 of 6 traces have FFID 0; grouped into 2 "
        "shots by source position\n"
    )


def test_convert_refusals_are_one_error_line(tmp_path, monkeypatch):
    model = tmp_path / "model.sgy"
    segyio.tools.from_array(str(model), np.full((7, 9), 2000.0, np.float32), format=5)
    data, headers = line_of_shots()
    headers[TF.DelayRecordingTime] = [40] * 6
    delayed = segyio_file(tmp_path / "delayed.sgy", data, headers)
    for source, expected in [
        (model, "no source or receiver positions"),
        (delayed, "6 of 6 traces start recording 40 ms after time zero"),
    ]:
        result = run_convert(monkeypatch, source, tmp_path / "x.h5")
        assert result.exit_code == ERROR_EXIT_CODE
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and expected in errors[0], result.stderr
        assert not (tmp_path / "x.h5").exists()
    pos = np.array([[0.0, 1.2e-3], [0.0, 1.2345e-3]])
    survey = acq.Survey(None, 1e-3, 10, (acq.Shot(pos[:1], pos),))
    files.write_shots(tmp_path / "fine.h5", survey, [np.zeros((10, 2), np.float32)])
    result = run_convert(monkeypatch, tmp_path / "fine.h5", tmp_path / "fine.sgy")
    assert result.exit_code == ERROR_EXIT_CODE and result.stderr == (
        "error: SEG-Y cannot store the x and y exactly: 0.0012345 m is not a whole number of "
        "0.1 mm that fits its 32-bit fields (scalars 1, -10, -100, -1000, -10000, 10, 100, "
        "1000, 10000); round the positions to 0.1 mm first\n"
    )
    assert not (tmp_path / "fine.sgy").exists()


# --- velocity models ---------------------------------------------------------------------------


@pytest.mark.parametrize("ndim", [2, 3])
def test_model_round_trip(tmp_path, ndim):
    model = small_survey(ndim).model
    segy.write_segy_model(tmp_path / "m.sgy", model.vp, model.spacing, model.origin)
    assert segy.is_segy_model(tmp_path / "m.sgy")
    vp, spacing, origin = segy.read_segy_model(tmp_path / "m.sgy")
    np.testing.assert_array_equal(vp, model.vp)
    assert tuple(spacing) == model.spacing and tuple(origin) == model.origin


def test_foreign_model_needs_a_spacing(tmp_path):
    path = tmp_path / "foreign.sgy"
    vp = np.full((7, 9), 2000.0, np.float32)  # 7 traces (x) of 9 samples (z)
    segyio.tools.from_array(str(path), vp, format=5)
    with pytest.raises(ValueError, match="does not say its grid spacing"):
        segy.read_segy_model(path)
    got, spacing, origin = segy.read_segy_model(path, 12.5)
    assert got.shape == (9, 7) and spacing == 12.5 and origin == 0.0


def test_read_marmousi_knows_the_public_grid_and_converts_km_per_s(tmp_path):
    path = tmp_path / "marmousi.segy"
    traces = np.linspace(1.5, 5.5, 751, dtype=np.float32)[None, :] * np.ones((2301, 1), np.float32)
    traces[1000] += 0.25  # one column (x index 1000) is faster
    segyio.tools.from_array(str(path), traces, format=1)  # IBM floats in km/s, like the original
    vp, spacing = segy.read_marmousi(path)
    assert vp.shape == (751, 2301) and vp.dtype == np.float32 and spacing == 4.0
    np.testing.assert_allclose(vp[:, 0], np.linspace(1500.0, 5500.0, 751), rtol=1e-6)
    assert vp[300, 1000] == pytest.approx(vp[300, 999] + 250.0, rel=1e-5)
    coarse, h = segy.read_marmousi(path, step=5)
    assert coarse.shape == (151, 461) and h == 20.0 and coarse[3, 200] == vp[15, 1000]


def test_read_marmousi_of_another_size_needs_a_spacing(tmp_path):
    path = tmp_path / "cut.sgy"
    segyio.tools.from_array(str(path), np.full((7, 9), 2000.0, np.float32), format=5)
    with pytest.raises(ValueError, match="give its grid spacing"):
        segy.read_marmousi(path)
    vp, spacing = segy.read_marmousi(path, spacing=10.0)
    assert vp.shape == (9, 7) and spacing == 10.0 and np.all(vp == 2000.0)
    with pytest.raises(ValueError, match="step must be"):
        segy.read_marmousi(path, spacing=10.0, step=0)
