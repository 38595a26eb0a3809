"""SEG-Y exchange (through segyio): shot gathers and velocity models.

Shot gathers are written as SEG-Y rev 2.0, big-endian: one trace per (shot, receiver), IEEE
samples (format 5, float32; format 6, float64, for float64 gathers), ``FieldRecord`` = the
shot's field record number (shot index + 1 unless given), ``TraceNumber`` = receiver + 1,
trace identification code 1 (seismic data), coordinate units 1 (length) and measurement
system 1 (metres). The binary header holds the receivers per shot (the most of any shot), no
auxiliary traces, the sample interval rounded to whole microseconds and, exactly, the rev 2
*extended sample interval* (bytes 3273-3280, IEEE double, µs), which overrides it. waveback
also writes its ``dt`` (s) into the textual header and prefers it when it agrees with the
binary header, so HDF5 -> SEG-Y -> HDF5 keeps the time axis bit for bit.

Positions (m): x in ``SourceX``/``GroupX``, y in ``SourceY``/``GroupY`` (scaled by
``SourceGroupScalar``), and depth z from elevations above a datum (scaled by
``ElevationScalar``)::

    z_receiver = datum - ReceiverGroupElevation
    z_source   = datum - SourceSurfaceElevation + SourceDepth

The datum is 0 m unless given. The writer picks, for x/y and for elevations, the first scalar
of :data:`waveback.segyheaders.SCALARS` at which every value is stored exactly in 32 bits,
and refuses positions that no scalar holds exactly. SEG-Y has one source position per trace,
so shots that fire several sources at once (array transmits) stay in HDF5. Wavelets are not
part of SEG-Y data.

The reader takes either byte order, groups traces into shots by field record number (FFID)
when it is set and by source position when it is 0, and keeps the FFIDs. It refuses what it
cannot represent (a recording delay, geographic coordinates, traces without positions, such as
a velocity model) and warns, with counts, whenever it has to assume something.

Velocity models: one trace per column (samples along z, m/s); in 3D inline = y index,
crossline = x index. The textual header carries the grid spacing and origin.
"""

from __future__ import annotations

import re
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import segyio

from . import segyheaders as headers
from .acquisition import Shot, Survey
from .files import atomic_file

#: Default datum (m): the elevation at z = 0.
DATUM = 0.0
#: Most samples per trace: the trace header's count is 16 bits (unsigned in rev 2).
SAMPLES_MAX = 65535
#: Trace identification codes of pressure data: seismic data (1), seismic pressure sensor (11).
PRESSURE_TRACES = (1, 11)
TF = segyio.TraceField
BF = segyio.BinField
_DT = re.compile(r"WAVEBACK DT=(\S+)")
_GRID = re.compile(r"WAVEBACK (SPACING|ORIGIN)=(\S+)")
#: Trace header fields the shot reader uses.
FIELDS = (
    "FieldRecord",
    "TraceIdentificationCode",
    "SourceX",
    "SourceY",
    "GroupX",
    "GroupY",
    "SourceSurfaceElevation",
    "SourceDepth",
    "ReceiverGroupElevation",
    "ElevationScalar",
    "SourceGroupScalar",
    "CoordinateUnits",
    "DelayRecordingTime",
    "ScalarTraceHeader",
    "TRACE_SAMPLE_COUNT",
    "TRACE_SAMPLE_INTERVAL",
)
COORDINATE_UNITS = {2: "seconds of arc", 3: "decimal degrees", 4: "degrees, minutes, seconds"}


class SegyWarning(UserWarning):
    """An assumption made while reading or writing SEG-Y (what, and for how many traces)."""


@dataclass(frozen=True)
class SegyShots:
    """Shot gathers imported from SEG-Y.

    Attributes
    ----------
    survey : Survey
        Without model or wavelets; 3D when any y coordinate is non-zero, else 2D.
    gathers : list of (nt, nrec) ndarray
        float32, or float64 for IEEE double (format 6) files.
    field_records : tuple of int
        Each shot's field record number (FFID) from the file; 0 where it was unset.
    """

    survey: Survey
    gathers: list
    field_records: tuple


def write_segy_shots(path, survey: Survey, gathers, field_records=None, datum=DATUM) -> None:
    """Write the gathers of ``survey`` as SEG-Y rev 2.0.

    Parameters
    ----------
    path : path
    survey : Survey
        Single-source shots.
    gathers : iterable of (nt, nrec) ndarray
        One per shot, all float32 (written as IEEE float, format 5) or all float64 (IEEE
        double, format 6).
    field_records : sequence of int, optional
        Each shot's field record number; default shot index + 1.
    datum : float
        Elevation (m) of z = 0: elevations are written as ``datum - z``.

    Raises
    ------
    ValueError
        For shots with more than one source, positions that no SEG-Y scalar stores exactly,
        or gathers that do not match the survey.
    """
    nshots = len(survey.shots)
    if survey.nt > SAMPLES_MAX:
        raise ValueError(
            f"nt = {survey.nt} samples do not fit SEG-Y's 16-bit trace sample count (at most "
            f"{SAMPLES_MAX}); keep this survey in HDF5"
        )
    for i, shot in enumerate(survey.shots):
        if shot.src.shape[0] != 1:
            raise ValueError(
                f"shot {i} fires {shot.src.shape[0]} sources at once; SEG-Y stores one source "
                "position per trace, so keep this survey in HDF5"
            )
    records = np.arange(1, nshots + 1) if field_records is None else np.asarray(field_records)
    if records.shape != (nshots,) or np.any(records < 0) or np.any(records > headers.INT32_MAX):
        raise ValueError(
            f"field_records must be {nshots} integers from 0 to {headers.INT32_MAX}, one per shot"
        )
    gathers = iter(gathers)
    first = np.asarray(next(gathers, np.zeros(0, np.float32)))
    if first.dtype not in (np.float32, np.float64):
        raise TypeError(f"gathers must be float32 or float64 arrays, got dtype {first.dtype}")
    src = np.concatenate([np.repeat(s.src, s.rec.shape[0], axis=0) for s in survey.shots])
    rec = np.concatenate([s.rec for s in survey.shots])
    xy = _encode_positions(src, rec, survey.ndim)
    z = _encode_elevations(src[:, 0], rec[:, 0], float(datum))
    interval = _interval(survey.dt)
    counts = [s.rec.shape[0] for s in survey.shots]
    spec = segyio.spec()
    spec.format = 6 if first.dtype == np.float64 else 5
    spec.samples = np.arange(survey.nt) * interval / 1000.0
    spec.tracecount = len(rec)
    text = {
        1: f"WAVEBACK SHOT GATHERS: {nshots} SHOTS, {survey.ndim}D, ONE TRACE PER RECEIVER",
        2: f"WAVEBACK DT={survey.dt!r}",
        3: "TRACENUMBER = RECEIVER + 1, POSITIONS IN METRES, DT IN BYTES 3273-3280 (US)",
        4: "X: SOURCEX GROUPX, Y: SOURCEY GROUPY (SCALED BY SOURCEGROUPSCALAR)",
        5: f"Z = DATUM - ELEVATION (+ SOURCEDEPTH), DATUM = {float(datum)!r} M",
        39: "SEG-Y_REV2.0",
        40: "END TEXTUAL HEADER",
    }
    shot_of = np.repeat(np.arange(nshots), counts)
    receiver_of = np.concatenate([np.arange(n) for n in counts])
    with atomic_file(path) as tmp:
        with segyio.create(str(tmp), spec) as f:
            f.text[0] = segyio.tools.create_text_header(text)
            f.bin.update(
                {
                    BF.Traces: max(counts),
                    BF.AuxTraces: 0,
                    BF.Interval: interval,
                    BF.IntervalOriginal: interval,
                    BF.Samples: survey.nt,
                    BF.SamplesOriginal: survey.nt,
                    BF.SortingCode: 1,
                    BF.MeasurementSystem: 1,
                    BF.SEGYRevision: 2,
                    BF.SEGYRevisionMinor: 0,
                    BF.TraceFlag: 1,
                }
            )
            for k in range(len(rec)):
                f.header[k] = {
                    TF.TRACE_SEQUENCE_LINE: k + 1,
                    TF.TRACE_SEQUENCE_FILE: k + 1,
                    TF.FieldRecord: int(records[shot_of[k]]),
                    TF.TraceNumber: int(receiver_of[k]) + 1,
                    TF.TraceIdentificationCode: 1,
                    TF.NSummedTraces: 1,
                    TF.NStackedTraces: 1,
                    TF.CoordinateUnits: 1,
                    TF.offset: int(round(float(np.linalg.norm(rec[k, 1:] - src[k, 1:])))),
                    TF.TRACE_SAMPLE_COUNT: survey.nt,
                    TF.TRACE_SAMPLE_INTERVAL: interval,
                    **{field: int(values[k]) for field, values in {**xy, **z}.items()},
                }
            k = 0
            for i, (count, data) in enumerate(zip(counts, _chain(first, gathers), strict=False)):
                data = np.asarray(data)
                if data.shape != (survey.nt, count) or data.dtype != first.dtype:
                    raise ValueError(
                        f"shot {i}: gather of shape {data.shape} and dtype {data.dtype}, "
                        f"expected ({survey.nt}, {count}) {first.dtype} like shot 0"
                    )
                for j in range(count):
                    f.trace[k] = np.ascontiguousarray(data[:, j])
                    k += 1
            if k != len(rec):
                raise ValueError(f"got gathers for {i + 1} of {nshots} shots")
        with open(tmp, "r+b") as raw:
            raw.seek(3200 + headers.EXTENDED_INTERVAL)
            raw.write(struct.pack(">d", headers.extended_interval(survey.dt)))
            raw.seek(3200 + headers.BYTE_ORDER_MARKER)
            raw.write(struct.pack(">I", 0x01020304))


def read_segy_shots(path, datum=DATUM) -> tuple[Survey, list[np.ndarray]]:
    """Shot gathers of a SEG-Y file: ``(survey, gathers)`` of :func:`import_segy_shots`."""
    shots = import_segy_shots(path, datum)
    return shots.survey, shots.gathers


def import_segy_shots(path, datum=DATUM) -> SegyShots:
    """Shot gathers of a SEG-Y file (either byte order), with their field record numbers.

    Traces of one shot share a field record number (FFID) and a source position; traces with
    FFID 0 are grouped by source position alone. Shots and their receivers keep the order of
    their first trace in the file.

    Parameters
    ----------
    path : path
    datum : float
        Elevation (m) of z = 0: ``z = datum - elevation`` (plus the source depth for sources).

    Returns
    -------
    SegyShots

    Raises
    ------
    ValueError
        For a file that is not SEG-Y, a waveback velocity model, traces without positions, a
        recording delay, geographic or unknown coordinate units, an unknown measurement
        system, or sample intervals that are missing or disagree.

    Warns
    -----
    SegyWarning
        With counts, for every assumption: unset measurement system, coordinate units or
        trace identification codes; dropped auxiliary traces; FFIDs split by source position.
    """
    path = Path(path)
    binary = headers.binary_header(path)
    with headers.open_segy(path, ignore_geometry=True) as f:
        text = headers.textual_header(f)
        if "WAVEBACK VELOCITY MODEL" in text:
            raise ValueError(
                f"{path} is a waveback velocity model, not shot gathers; read it with "
                "read_segy_model (waveback convert --model)"
            )
        head = {name: np.asarray(f.attributes(getattr(TF, name))[:]) for name in FIELDS}
        nt = len(f.samples)
        dt = _sample_interval(path, binary, f, head, text)
        measurement = int(f.bin[BF.MeasurementSystem])
        keep = _pressure_traces(path, head["TraceIdentificationCode"])
        raw = f.trace.raw[:][keep]
    head = {name: values[keep] for name, values in head.items()}
    _check_samples(path, head["TRACE_SAMPLE_COUNT"], nt)
    _check_delay(path, head["DelayRecordingTime"], head["ScalarTraceHeader"])
    src, rec = _positions(path, head, measurement, float(datum))
    shots, records, rows = _group(head["FieldRecord"], src, rec)
    dtype = np.float64 if raw.dtype == np.float64 else np.float32
    gathers = [np.ascontiguousarray(raw[r].T, dtype=dtype) for r in rows]
    return SegyShots(Survey(None, dt, nt, tuple(shots)), gathers, records)


#: Quantities a waveback SEG-Y model file holds, with the units its textual header names.
MODEL_QUANTITIES = {
    "velocity": "M/S",
    "density": "KG/M3",
    "q": "DIMENSIONLESS QUALITY FACTOR",
    "alpha0": "DB/(CM MHZ^Y)",
}
_QUANTITY = re.compile(r"WAVEBACK (VELOCITY|DENSITY|Q|ALPHA0) MODEL")


def write_segy_model(path, vp, spacing, origin, quantity="velocity", notes=()) -> None:
    """Write a model ``(nz, nx)`` or ``(nz, ny, nx)``, one trace per column.

    ``quantity`` (:data:`MODEL_QUANTITIES`) is what the samples are: velocity (m/s, the
    default), density (kg/m³), q or alpha0 (dB/(cm MHz^y)); the textual header says so, with
    the grid and ``notes`` (up to 30 lines of at most 76 characters, e.g. an attenuation band).
    """
    if quantity not in MODEL_QUANTITIES:
        raise ValueError(f"quantity must be one of {', '.join(MODEL_QUANTITIES)}, got {quantity!r}")
    vp = np.asarray(vp, dtype=np.float32)
    spacing = np.broadcast_to(np.asarray(spacing, np.float64), (vp.ndim,))
    origin = np.broadcast_to(np.asarray(origin, np.float64), (vp.ndim,))
    traces = vp.T if vp.ndim == 2 else vp.transpose(1, 2, 0)
    interval = int(round(spacing[0] * 1000))  # the "sample interval" field: dz in mm
    traces = np.ascontiguousarray(traces)
    text = {
        1: f"WAVEBACK {quantity.upper()} MODEL ({MODEL_QUANTITIES[quantity]}), {vp.ndim}D, "
        "ONE TRACE PER COLUMN",
        2: "SAMPLES ALONG Z; INLINE = Y INDEX + 1, CROSSLINE = X INDEX + 1; METRES",
        3: "WAVEBACK SPACING=" + ",".join(repr(float(h)) for h in spacing),
        4: "WAVEBACK ORIGIN=" + ",".join(repr(float(o)) for o in origin),
    }
    text.update({5 + i: line for i, line in enumerate(notes)})
    with atomic_file(path) as tmp:
        segyio.tools.from_array(str(tmp), traces, format=5, dt=max(1, min(interval, 32767)))
        with segyio.open(str(tmp), "r+") as f:
            f.text[0] = segyio.tools.create_text_header(text)


def read_segy_model(path, spacing=None, origin=None):
    """A velocity model from SEG-Y: ``(vp, spacing, origin)``, z first.

    Structured files with several inlines are 3D ``(nz, ny, nx)`` (inline = y, crossline = x);
    anything else is 2D ``(nz, ntraces)``. The grid comes from waveback's textual header, or
    from ``spacing`` (m, required otherwise) and ``origin`` (default zeros).
    """
    path = Path(path)
    try:
        with headers.open_segy(path) as f:
            cube = segyio.tools.cube(f)
            text = headers.textual_header(f)
        vp = cube[0].T if cube.shape[0] == 1 else cube.transpose(2, 0, 1)
    except ValueError:
        with headers.open_segy(path, ignore_geometry=True) as f:
            vp = f.trace.raw[:].T
            text = headers.textual_header(f)
    grid = {k.lower(): v for k, v in _GRID.findall(text)}
    if spacing is None:
        if "spacing" not in grid:
            raise ValueError(f"{path}: this SEG-Y model does not say its grid spacing; give it (m)")
        spacing = [float(v) for v in grid["spacing"].split(",")]
    if origin is None:
        origin = [float(v) for v in grid["origin"].split(",")] if "origin" in grid else 0.0
    return np.ascontiguousarray(vp, dtype=np.float32), spacing, origin


#: Grid spacing (m) of the public Marmousi velocity files, by (samples per trace, traces): the
#: original IFP model (751 x 2301 at 4 m) and Marmousi2 (2801 x 13601 at 1.25 m).
MARMOUSI_GRIDS = {(751, 2301): 4.0, (2801, 13601): 1.25}


def read_marmousi(path, spacing=None, step=1):
    """The Marmousi or Marmousi2 velocity from the SEG-Y file a user downloaded: ``(vp, spacing)``.

    One trace per column, samples along z; the spacing of the public files is known from their
    size (:data:`MARMOUSI_GRIDS`), other files need ``spacing``. Velocities in km/s (largest
    below 10) are converted to m/s.

    Parameters
    ----------
    path : path
        The SEG-Y velocity file (e.g. ``MODEL_P-WAVE_VELOCITY_1.25m.segy`` of Marmousi2).
    spacing : float, optional
        Grid spacing (m) of the file, for files of another size.
    step : int
        Keep every ``step``-th sample along both axes (a coarser grid for quick runs).

    Returns
    -------
    vp : ndarray of float32, ``(nz, nx)`` in m/s
    spacing : float
        The spacing (m) of ``vp``, ``step`` times the file's.
    """
    path = Path(path)
    if int(step) != step or step < 1:
        raise ValueError(f"step must be an integer >= 1, got {step!r}")
    with headers.open_segy(path, ignore_geometry=True) as f:
        vp = np.asarray(f.trace.raw[:], dtype=np.float64).T
    if spacing is None:
        if vp.shape not in MARMOUSI_GRIDS:
            raise ValueError(
                f"{path}: {vp.shape[0]} samples x {vp.shape[1]} traces is not the size of a "
                f"public Marmousi file ({', '.join(f'{a} x {b}' for a, b in MARMOUSI_GRIDS)}); "
                f"give its grid spacing (m)"
            )
        spacing = MARMOUSI_GRIDS[vp.shape]
    if not np.all(np.isfinite(vp)) or vp.min() <= 0:
        raise ValueError(f"{path}: velocities must be positive and finite")
    if vp.max() < 10.0:
        vp = vp * 1000.0  # km/s
    step = int(step)
    return np.ascontiguousarray(vp[::step, ::step], dtype=np.float32), float(spacing) * step


def is_segy(path) -> bool:
    """Whether ``path`` has a SEG-Y file extension (``.sgy``, ``.segy``)."""
    return Path(path).suffix.lower() in (".sgy", ".segy")


def is_segy_model(path) -> bool:
    """Whether a SEG-Y file says (in waveback's textual header) that it is a model."""
    return model_quantity(path) is not None


def model_quantity(path) -> str | None:
    """What a waveback SEG-Y model holds (a key of :data:`MODEL_QUANTITIES`), else None."""
    with headers.open_segy(Path(path), ignore_geometry=True) as f:
        found = _QUANTITY.search(headers.textual_header(f))
    return None if found is None else found.group(1).lower()


def segy_model_notes(path) -> dict[str, str]:
    """The ``WAVEBACK KEY=VALUE`` lines of a SEG-Y model's textual header, keys lower case."""
    with headers.open_segy(Path(path), ignore_geometry=True) as f:
        text = headers.textual_header(f)
    return {k.lower(): v for k, v in re.findall(r"WAVEBACK ([A-Z_0-9]+)=(\S+)", text)}


def _chain(first, rest):
    yield first
    yield from rest


def _interval(dt: float) -> int:
    """The 16-bit sample interval (whole µs, 0 if out of range); warns unless it is exact."""
    us = dt * 1e6
    interval = int(round(us))
    if not 1 <= interval <= headers.INTERVAL_MAX:
        interval = 0
    if interval != us:
        warnings.warn(
            f"sample interval not whole microseconds: dt = {us:.12g} µs is written exactly in the "
            f"SEG-Y rev 2 extended sample interval (binary header bytes 3273-3280); readers "
            f"of the rev 0/1 fields only (such as ObsPy) see {interval} µs",
            SegyWarning,
            stacklevel=3,
        )
    return interval


def _sample_interval(path: Path, binary: bytes, f, head: dict, text: str) -> float:
    """dt (s): the rev 2 extended interval, else the binary header's or the traces' (µs).

    waveback's exact ``WAVEBACK DT=`` of the textual header wins when it agrees.
    """
    extended = headers.read_extended_interval(path, binary)
    match = _DT.search(text)
    if extended:
        if match and headers.extended_interval(float(match.group(1))) == extended:
            return float(match.group(1))
        return extended / 1e6
    interval = int(f.bin[BF.Interval])
    traces = np.unique(head["TRACE_SAMPLE_INTERVAL"][head["TRACE_SAMPLE_INTERVAL"] > 0])
    if traces.size > 1 or (interval and traces.size and traces[0] != interval):
        raise ValueError(
            f"{path}: sample intervals disagree: binary header {interval} µs, trace headers "
            f"{', '.join(str(t) for t in traces)} µs (bytes 117-118); fix the headers"
        )
    interval = interval or (int(traces[0]) if traces.size else 0)
    if interval <= 0:
        raise ValueError(f"{path}: no sample interval in the binary or trace headers")
    if match and round(float(match.group(1)) * 1e6) == interval:
        return float(match.group(1))
    return interval / 1e6


def _pressure_traces(path: Path, code: np.ndarray) -> np.ndarray:
    """Which traces to import: pressure data (codes 1, 11) and unset codes (0), with warnings."""
    unset = code == 0
    keep = unset | np.isin(code, PRESSURE_TRACES)
    if not keep.any():
        raise ValueError(
            f"{path}: none of its {code.size} traces is seismic pressure data (trace "
            f"identification codes {', '.join(str(c) for c in np.unique(code))}; bytes 29-30)"
        )
    if (~keep).any():
        kinds, counts = np.unique(code[~keep], return_counts=True)
        listing = ", ".join(f"{n} with code {c}" for c, n in zip(kinds, counts, strict=True))
        _warn(
            f"traces dropped: {(~keep).sum()} of {code.size} traces are not pressure data "
            f"({listing}; trace bytes 29-30: 1 and 11 are pressure)"
        )
    if unset.any():
        _warn(
            f"trace identification code unset: {unset.sum()} of {code.size} traces have 0 in "
            "trace bytes 29-30; taken as seismic pressure data"
        )
    return keep


def _check_samples(path: Path, counts: np.ndarray, nt: int) -> None:
    counts = counts & 0xFFFF  # unsigned 16 bits
    other = (counts != 0) & (counts != nt)
    if other.any():
        raise ValueError(
            f"{path}: {other.sum()} traces have a sample count (trace bytes 115-116) other "
            f"than the file's {nt}; traces of different lengths are not supported"
        )


def _check_delay(path: Path, delay: np.ndarray, scalar: np.ndarray) -> None:
    late = delay != 0
    if late.any():
        ms = np.unique(headers.decode(delay[late], scalar[late]))
        raise ValueError(
            f"{path}: {late.sum()} of {delay.size} traces start recording "
            f"{', '.join(f'{t:g}' for t in ms)} ms after time zero (delay recording time, "
            "trace bytes 109-110), but waveback's shot files start at t = 0: remove the delay "
            "(pad or trim the traces and zero bytes 109-110) before importing"
        )


def _positions(path: Path, head: dict, measurement: int, datum: float):
    """Source and receiver positions (m), z first, one row per trace; 2D when y is all 0."""
    units = head["CoordinateUnits"]
    foreign = ~np.isin(units, (0, 1))
    if foreign.any():
        code = int(units[foreign][0])
        name = COORDINATE_UNITS.get(code, "an unknown unit")
        raise ValueError(
            f"{path}: {foreign.sum()} traces give coordinates in {name} (coordinate units "
            f"{code}, trace bytes 89-90); waveback needs lengths (code 1): project them first"
        )
    names = ("SourceX", "SourceY", "GroupX", "GroupY")
    heights = ("SourceSurfaceElevation", "SourceDepth", "ReceiverGroupElevation")
    if not any(np.any(head[name] != 0) for name in names + heights):
        raise ValueError(
            f"{path}: its traces have no source or receiver positions (every coordinate and "
            "elevation is 0), so they are not shot gathers; a velocity model is read with "
            "read_segy_model (waveback convert --model)"
        )
    if measurement not in (0, 1, 2):
        raise ValueError(
            f"{path}: unknown measurement system {measurement} (binary header bytes "
            "3255-3256); expected 1 (metres) or 2 (feet)"
        )
    if measurement == 0:
        _warn(
            "measurement system unset: binary header bytes 3255-3256 are 0; all "
            f"{units.size} traces' coordinates and elevations taken as metres"
        )
    if (units == 0).any():
        _warn(
            f"coordinate units unset: {(units == 0).sum()} of {units.size} traces have 0 in "
            "trace bytes 89-90; their coordinates taken as lengths"
        )
    unit = headers.FEET if measurement == 2 else 1.0
    xy = {n: headers.decode(head[n], head["SourceGroupScalar"]) * unit for n in names}
    h = {n: headers.decode(head[n], head["ElevationScalar"]) * unit for n in heights}
    src = [datum - h["SourceSurfaceElevation"] + h["SourceDepth"], xy["SourceY"], xy["SourceX"]]
    rec = [datum - h["ReceiverGroupElevation"], xy["GroupY"], xy["GroupX"]]
    if not (np.any(xy["SourceY"] != 0) or np.any(xy["GroupY"] != 0)):
        src, rec = [src[0], src[2]], [rec[0], rec[2]]
    return np.stack(src, axis=1), np.stack(rec, axis=1)


def _group(ffid: np.ndarray, src: np.ndarray, rec: np.ndarray):
    """Shots by (FFID, source position) in order of first appearance; warns on guesses."""
    keys = np.column_stack([ffid.astype(np.float64), src])
    _, first, which = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)
    which = np.argsort(order)[which.ravel()]
    starts = first[order]
    records = tuple(int(ffid[i]) for i in starts)
    rows = [np.flatnonzero(which == g) for g in range(len(starts))]
    shots = [Shot(src[r[:1]], rec[r]) for r in rows]
    set_records = [r for r in records if r != 0]
    if len(set_records) > len(set(set_records)):
        split = sum(1 for r in set(set_records) if set_records.count(r) > 1)
        _warn(
            f"field records split: {split} field record numbers (FFID) have traces at "
            f"several source positions; imported as {len(set_records)} shots, one per FFID "
            "and source position"
        )
    if 0 in records:
        unset = int(np.sum(ffid == 0))
        _warn(
            f"field record numbers unset: {unset} of {ffid.size} traces have FFID 0; grouped "
            f"into {records.count(0)} shots by source position"
        )
    return shots, records, rows


def _encode_positions(src: np.ndarray, rec: np.ndarray, ndim: int) -> dict:
    """Header values of x and y (one per trace) and their ``SourceGroupScalar``."""
    fields = {TF.SourceX: src[:, -1], TF.GroupX: rec[:, -1]}
    if ndim == 3:
        fields |= {TF.SourceY: src[:, 1], TF.GroupY: rec[:, 1]}
    scalar, values = headers.exact_scalar(fields, "x and y")
    return values | {TF.SourceGroupScalar: np.full(len(rec), scalar)}


def _encode_elevations(z_src: np.ndarray, z_rec: np.ndarray, datum: float) -> dict:
    """Header values of elevations and source depths (datum - z) and their ``ElevationScalar``.

    A source at or below the datum is written at depth z below a surface at the datum, one
    above it on a surface at ``datum - z`` with depth 0.
    """
    below = z_src >= 0
    fields = {
        TF.ReceiverGroupElevation: datum - z_rec,
        TF.SourceSurfaceElevation: np.where(below, datum, datum - z_src),
        TF.SourceDepth: np.where(below, z_src, 0.0),
    }
    scalar, values = headers.exact_scalar(fields, "elevations and depths")
    h = {field: headers.decode(values[field], scalar) for field in fields}
    back_src = datum - h[TF.SourceSurfaceElevation] + h[TF.SourceDepth]
    back_rec = datum - h[TF.ReceiverGroupElevation]
    if not (np.array_equal(back_src, z_src) and np.array_equal(back_rec, z_rec)):
        raise ValueError(
            f"depths cannot be written exactly as elevations below the datum {datum!r} m; "
            "use datum 0"
        )
    return values | {TF.ElevationScalar: np.full(len(z_rec), scalar)}


def _warn(message: str) -> None:
    warnings.warn(message, SegyWarning, stacklevel=4)
