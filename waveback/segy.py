"""SEG-Y exchange (through segyio): shot gathers and velocity models.

Shot gathers: one trace per (shot, receiver), IEEE float32 samples, shots numbered by
``FieldRecord`` (shot index + 1) and receivers by ``TraceNumber``. Positions in metres: x in
``SourceX``/``GroupX``, y in ``SourceY``/``GroupY``, source depth in ``SourceDepth`` and receiver
depth as minus ``ReceiverGroupElevation``, all integers scaled by ``SourceGroupScalar`` and
``ElevationScalar`` (SEG-Y rev 1: negative means divide). waveback picks the finest scalar
(down to 0.1 mm) at which every coordinate fits in 32 bits. The sample interval in the headers
is in whole microseconds; waveback also writes the exact ``dt`` (s) into the textual header and
reads it back from there when present, so HDF5 -> SEG-Y -> HDF5 keeps the time axis exactly.
SEG-Y has one source position per trace, so shots that fire several sources at once (array
transmits) stay in HDF5. Wavelets are not part of SEG-Y data.

Velocity models: one trace per column (samples along z, m/s); in 3D inline = y index,
crossline = x index. The textual header carries the grid spacing and origin.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import segyio

from .acquisition import Shot, Survey

#: Candidate coordinate scale factors (units per metre), finest first.
SCALES = (10000, 1000, 100, 10, 1)
INT32_MAX = 2**31 - 1
TF = segyio.TraceField
_DT = re.compile(r"WAVEBACK DT=(\S+)")
_GRID = re.compile(r"WAVEBACK (SPACING|ORIGIN)=(\S+)")


def write_segy_shots(path, survey: Survey, gathers) -> None:
    """Write the gathers of ``survey`` (an iterable, one ``(nt, nrec)`` array per shot).

    Raises
    ------
    ValueError
        For shots with more than one source, or a sample interval above 32.767 ms.
    """
    for i, shot in enumerate(survey.shots):
        if shot.src.shape[0] != 1:
            raise ValueError(
                f"shot {i} fires {shot.src.shape[0]} sources at once; SEG-Y stores one source "
                "position per trace, so keep this survey in HDF5"
            )
    interval = int(round(survey.dt * 1e6))
    if interval > 32767:
        raise ValueError(f"dt = {survey.dt} s exceeds the 32.767 ms that SEG-Y headers can hold")
    ndim = survey.ndim
    points = np.concatenate([np.concatenate([s.src, s.rec]) for s in survey.shots])
    scale = _scale(points[:, 1:])
    zscale = _scale(points[:, :1])
    counts = [s.rec.shape[0] for s in survey.shots]
    spec = segyio.spec()
    spec.format = 5
    spec.samples = np.arange(survey.nt) * interval / 1000.0
    spec.tracecount = int(sum(counts))
    text = {
        1: f"WAVEBACK SHOT GATHERS: {len(counts)} SHOTS, {ndim}D, ONE TRACE PER RECEIVER",
        2: f"WAVEBACK DT={survey.dt!r}",
        3: "FIELDRECORD = SHOT + 1, TRACENUMBER = RECEIVER + 1, COORDINATES IN METRES",
        4: "X: SOURCEX GROUPX, Y: SOURCEY GROUPY (SCALED BY SOURCEGROUPSCALAR)",
        5: "Z: SOURCEDEPTH, -RECEIVERGROUPELEVATION (SCALED BY ELEVATIONSCALAR)",
    }
    with _atomic(path) as tmp, segyio.create(str(tmp), spec) as f:
        f.text[0] = segyio.tools.create_text_header(text)
        f.bin.update({segyio.BinField.Interval: interval, segyio.BinField.Samples: survey.nt})
        k = 0
        for i, (shot, data) in enumerate(zip(survey.shots, gathers, strict=True)):
            data = np.asarray(data, dtype=np.float32)
            if data.shape != (survey.nt, shot.rec.shape[0]):
                raise ValueError(f"shot {i}: gather shape {data.shape} does not match the survey")
            s = shot.src[0]
            for j, r in enumerate(shot.rec):
                f.header[k] = {
                    TF.TRACE_SEQUENCE_LINE: k + 1,
                    TF.FieldRecord: i + 1,
                    TF.TraceNumber: j + 1,
                    TF.SourceX: _int(s[-1], scale),
                    TF.SourceY: _int(s[1], scale) if ndim == 3 else 0,
                    TF.GroupX: _int(r[-1], scale),
                    TF.GroupY: _int(r[1], scale) if ndim == 3 else 0,
                    TF.SourceDepth: _int(s[0], zscale),
                    TF.ReceiverGroupElevation: _int(-r[0], zscale),
                    TF.SourceGroupScalar: -scale if scale > 1 else 1,
                    TF.ElevationScalar: -zscale if zscale > 1 else 1,
                    TF.offset: int(round(float(np.linalg.norm(r[1:] - s[1:])))),
                    TF.TRACE_SAMPLE_COUNT: survey.nt,
                    TF.TRACE_SAMPLE_INTERVAL: interval,
                }
                f.trace[k] = np.ascontiguousarray(data[:, j])
                k += 1


def read_segy_shots(path) -> tuple[Survey, list[np.ndarray]]:
    """Shot gathers of a SEG-Y file, grouped by ``FieldRecord`` in order of appearance.

    Returns
    -------
    survey : Survey
        Without model or wavelets; 3D when any y coordinate is non-zero, else 2D.
    gathers : list of (nt, nrec) float32 ndarray
    """
    path = Path(path)
    with _open(path, ignore_geometry=True) as f:
        nt = len(f.samples)
        dt = _header_dt(f)
        if dt is None:
            interval = int(f.bin[segyio.BinField.Interval]) or int(
                f.header[0][TF.TRACE_SAMPLE_INTERVAL]
            )
            if interval <= 0:
                raise ValueError(f"{path}: no sample interval in the binary or trace headers")
            dt = interval * 1e-6
        head = {
            name: np.asarray(f.attributes(getattr(TF, name))[:], dtype=np.float64)
            for name in (
                "FieldRecord",
                "SourceX",
                "SourceY",
                "GroupX",
                "GroupY",
                "SourceDepth",
                "ReceiverGroupElevation",
                "SourceGroupScalar",
                "ElevationScalar",
            )
        }
        raw = f.trace.raw[:]
    xy = _apply_scalar(head["SourceGroupScalar"])
    ez = _apply_scalar(head["ElevationScalar"])
    ndim = 3 if np.any(head["SourceY"] != 0) or np.any(head["GroupY"] != 0) else 2
    src = [head["SourceDepth"] * ez, head["SourceY"] * xy, head["SourceX"] * xy]
    rec = [-head["ReceiverGroupElevation"] * ez, head["GroupY"] * xy, head["GroupX"] * xy]
    if ndim == 2:
        src, rec = [src[0], src[2]], [rec[0], rec[2]]
    src, rec = np.stack(src, axis=1), np.stack(rec, axis=1)
    _, first = np.unique(head["FieldRecord"], return_index=True)
    shots, gathers = [], []
    for record in head["FieldRecord"][np.sort(first)]:
        rows = np.flatnonzero(head["FieldRecord"] == record)
        shots.append(Shot(src[rows[:1]], rec[rows]))
        gathers.append(np.ascontiguousarray(raw[rows].T, dtype=np.float32))
    return Survey(None, dt, nt, tuple(shots)), gathers


def write_segy_model(path, vp, spacing, origin) -> None:
    """Write a velocity model ``(nz, nx)`` or ``(nz, ny, nx)`` (m/s), one trace per column."""
    vp = np.asarray(vp, dtype=np.float32)
    spacing = np.broadcast_to(np.asarray(spacing, np.float64), (vp.ndim,))
    origin = np.broadcast_to(np.asarray(origin, np.float64), (vp.ndim,))
    traces = vp.T if vp.ndim == 2 else vp.transpose(1, 2, 0)
    interval = int(round(spacing[0] * 1000))  # the "sample interval" field: dz in mm
    traces = np.ascontiguousarray(traces)
    text = {
        1: f"WAVEBACK VELOCITY MODEL (M/S), {vp.ndim}D, ONE TRACE PER COLUMN, SAMPLES ALONG Z",
        2: "INLINE = Y INDEX + 1, CROSSLINE = X INDEX + 1; GRID IN METRES, Z FIRST",
        3: "WAVEBACK SPACING=" + ",".join(repr(float(h)) for h in spacing),
        4: "WAVEBACK ORIGIN=" + ",".join(repr(float(o)) for o in origin),
    }
    with _atomic(path) as tmp:
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
        with _open(path) as f:
            cube = segyio.tools.cube(f)
            text = _text(f)
        vp = cube[0].T if cube.shape[0] == 1 else cube.transpose(2, 0, 1)
    except ValueError:
        with _open(path, ignore_geometry=True) as f:
            vp = f.trace.raw[:].T
            text = _text(f)
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
    with _open(path, ignore_geometry=True) as f:
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
    """Whether a SEG-Y file says (in waveback's textual header) that it is a velocity model."""
    with _open(Path(path), ignore_geometry=True) as f:
        return "WAVEBACK VELOCITY MODEL" in _text(f)


@contextmanager
def _atomic(path):
    """Yield a temporary path beside ``path``; rename it over ``path`` on success, else remove."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _open(path: Path, ignore_geometry: bool = False):
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        return segyio.open(str(path), "r", ignore_geometry=ignore_geometry)
    except (RuntimeError, OSError) as exc:
        raise ValueError(f"{path} is not a readable SEG-Y file ({exc})") from None


def _text(f) -> str:
    raw = f.text[0]
    return raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)


def _header_dt(f) -> float | None:
    match = _DT.search(_text(f))
    return float(match.group(1)) if match else None


def _scale(values: np.ndarray) -> int:
    biggest = float(np.abs(values).max()) if values.size else 0.0
    for s in SCALES:
        if biggest * s < INT32_MAX:
            return s
    raise ValueError(f"coordinates up to {biggest} m do not fit SEG-Y's 32-bit header fields")


def _int(value: float, scale: int) -> int:
    return int(round(float(value) * scale))


def _apply_scalar(scalar: np.ndarray) -> np.ndarray:
    """Metres per header unit for SEG-Y scalars (negative: divide, positive: multiply)."""
    s = np.where(scalar == 0, 1.0, scalar)
    return np.where(s < 0, 1.0 / np.abs(s), s)
