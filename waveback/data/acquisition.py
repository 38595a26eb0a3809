"""Acquisition geometry: shots (sources, receivers, wavelets), surveys, and array layouts.

A *shot* fires ``nsrc`` point sources together, each with its own wavelet (a steered or
focused transmit of a transducer array, or one seismic source), and records ``nrec`` receivers.
A *survey* is a model, a time axis ``t_n = n dt`` (s, ``n < nt``) and a sequence of shots:
everything :func:`waveback.forward` needs, shot by shot. Positions are ``(npts, ndim)`` arrays
in metres, z first, in the model's frame.

The layout builders return, per shot, the source positions, the receiver positions and the
firing delays (s) of the sources; :func:`survey_from_layout` turns them into wavelets with
:func:`waveback.delayed`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..physics.interpolation import check_points, plane_wave_delays
from ..physics.model import Model
from ..physics.wavelets import delayed


@dataclass(frozen=True)
class Shot:
    """One shot: sources fired together and the receivers that record them.

    Attributes
    ----------
    src : (nsrc, ndim) ndarray
        Source positions (m), z first.
    rec : (nrec, ndim) ndarray
        Receiver positions (m), z first.
    wavelet : (nt, nsrc) ndarray or None
        Source time functions at ``t_n = n dt``; None for recorded data that arrive without
        one (SEG-Y from another tool).
    """

    src: np.ndarray
    rec: np.ndarray
    wavelet: np.ndarray | None = None


@dataclass(frozen=True)
class Survey:
    """A model, a time axis and the shots recorded over it.

    Attributes
    ----------
    model : Model or None
        The velocity model and boundary settings; None for data imported without one.
    dt : float
        Time step and sample interval (s).
    nt : int
        Number of time samples.
    shots : tuple of Shot
    interpolation : {"linear", "sinc"}
        Off-grid scheme for sources and receivers.
    """

    model: Model | None
    dt: float
    nt: int
    shots: tuple
    interpolation: str = "linear"

    def __post_init__(self):
        if not np.isfinite(self.dt) or self.dt <= 0:
            raise ValueError(f"dt must be a positive number of seconds, got {self.dt!r}")
        if int(self.nt) != self.nt or self.nt < 1:
            raise ValueError(f"nt must be an integer >= 1, got {self.nt!r}")
        if len(self.shots) == 0:
            raise ValueError("a survey needs at least one shot")
        ndim = self.shots[0].src.shape[1]
        for i, shot in enumerate(self.shots):
            _check_shot(shot, i, ndim, int(self.nt), self.model)

    @property
    def ndim(self) -> int:
        """Number of space dimensions of the positions."""
        return self.shots[0].src.shape[1]

    @property
    def time(self) -> np.ndarray:
        """Sample times ``n dt`` (s), ``(nt,)``."""
        return np.arange(self.nt) * self.dt


def one_gather_per_shot(shots, data) -> tuple[list, list]:
    """The shots and their recorded gathers as two lists of the same length.

    Parameters
    ----------
    shots : iterable of :class:`Shot`
    data : iterable of array_like
        One gather ``(nt, nrec)`` per shot, in the same order.

    Returns
    -------
    shots, data : list, list

    Raises
    ------
    ValueError
        The counts differ; the message is the same from every workflow that takes recorded
        data (:func:`waveback.rtm`, :func:`waveback.lsrtm`, :func:`waveback.fwi`,
        :func:`waveback.misfit_gradient`, :func:`waveback.estimate_wavelet`).
    """
    shots, data = list(shots), list(data)
    if len(shots) != len(data):
        raise ValueError(f"{len(shots)} shots but {len(data)} gathers: give one gather per shot")
    return shots, data


def _check_shot(shot: Shot, i: int, ndim: int, nt: int, model) -> None:
    for name in ("src", "rec"):
        pts = getattr(shot, name)
        if pts.ndim != 2 or pts.shape[1] != ndim or pts.shape[0] < 1:
            raise ValueError(
                f"shot {i}: {name} must have shape (n{name}, {ndim}) in metres, got {pts.shape}"
            )
        if model is not None:
            try:
                check_points(pts, model, name)
            except ValueError as exc:
                raise ValueError(f"shot {i}: {exc}") from None
    if shot.wavelet is not None:
        if shot.wavelet.shape != (nt, shot.src.shape[0]):
            raise ValueError(
                f"shot {i}: wavelet must have shape (nt, nsrc) = ({nt}, {shot.src.shape[0]}), "
                f"got {shot.wavelet.shape}"
            )
        if not np.all(np.isfinite(shot.wavelet)):
            raise ValueError(f"shot {i}: wavelet contains NaN or infinite samples")


def unpack_survey(shots, dt=None, interpolation=None) -> tuple[list, float, str]:
    """``(shots, dt, interpolation)`` from a :class:`Survey` or from the three given loosely.

    The workflows (:func:`waveback.rtm`, :func:`waveback.lsrtm`, :func:`waveback.born_operator`,
    :func:`waveback.fwi`, :func:`waveback.misfit_gradient`) take either a survey, which carries
    its time step and interpolation, or a sequence of :class:`Shot` with ``dt`` and
    ``interpolation`` (default ``"linear"``). With a survey, a ``dt`` or ``interpolation`` that
    differs from the survey's is refused rather than silently used (data simulated with sinc
    interpolation are migrated with sinc); the survey's model is not used (the workflow's own
    model is the migration or starting model).
    """
    if isinstance(shots, Survey):
        survey = shots
        if dt is not None and float(dt) != survey.dt:
            raise ValueError(
                f"dt = {dt} s differs from the survey's dt = {survey.dt} s: leave dt out, the "
                f"survey carries it"
            )
        if interpolation is not None and interpolation != survey.interpolation:
            raise ValueError(
                f"the survey was recorded with {survey.interpolation!r} interpolation, but "
                f"interpolation={interpolation!r} was given: leave it out, the survey carries it"
            )
        return list(survey.shots), survey.dt, survey.interpolation
    if isinstance(shots, Shot):
        raise TypeError("give a sequence of shots (e.g. [shot]) or a Survey, not one Shot")
    if dt is None:
        raise ValueError("dt is required with a sequence of shots (or give a Survey)")
    return list(shots), float(dt), "linear" if interpolation is None else interpolation


@dataclass(frozen=True)
class Layout:
    """One shot's geometry before wavelets: positions (m) and firing delays (s) per source."""

    src: np.ndarray
    rec: np.ndarray
    delays: np.ndarray


def survey_from_layout(model, dt, wavelet, layouts, interpolation="linear") -> Survey:
    """The survey that fires ``wavelet`` (nt,) from every layout, delayed per source.

    Undelayed sources get ``wavelet`` itself, sample for sample; delayed ones a Fourier-shifted
    copy (:func:`waveback.delayed`).
    """
    wavelet = np.asarray(wavelet, dtype=np.float64)
    shots = []
    for lay in layouts:
        if np.any(lay.delays != 0):
            w = delayed(wavelet, lay.delays, dt)
        else:
            w = np.repeat(wavelet[:, None], lay.src.shape[0], axis=1)
        shots.append(Shot(lay.src, lay.rec, w))
    return Survey(model, float(dt), wavelet.shape[0], tuple(shots), interpolation)


def surface_line(
    extent, shots, source_depth, receiver_depth, spacing, source_x=None, receiver_x=None
):
    """A 2D surface line: one source per shot, receivers at fixed positions along x.

    Parameters
    ----------
    extent : ((z0, z1), (x0, x1))
        The model's extent (m), e.g. ``Model.extent``.
    shots : int
        Number of shots.
    source_depth, receiver_depth : float
        Depths (m) of the sources and of the receivers.
    spacing : float
        Receiver interval (m) along x.
    source_x : (first, last), optional
        x (m) of the first and last source, evenly spaced in between; default ``shots``
        positions at ``k / (shots + 1)`` of the width (k = 1 .. shots) rounded to the receiver
        interval.
    receiver_x : (first, last), optional
        x (m) of the first and last receiver; default the model's full width.

    Returns
    -------
    list of Layout
    """
    if len(extent) != 2:
        raise ValueError("surface_line is a 2D acquisition; use surface_grid for a 3D model")
    (x0, x1) = extent[1]
    xs = _source_positions(x0, x1, shots, spacing, source_x)
    rec_x = _receiver_positions(x0, x1, spacing, receiver_x)
    rec = np.stack([np.full(rec_x.size, float(receiver_depth)), rec_x], axis=1)
    return [Layout(np.array([[float(source_depth), x]]), rec, np.zeros(1)) for x in xs]


def surface_grid(
    extent, shots, source_depth, receiver_depth, spacing, source_y=None, source_x=None
):
    """A 3D surface survey: a ``(ny, nx)`` grid of single-source shots over a receiver grid.

    Parameters
    ----------
    extent : ((z0, z1), (y0, y1), (x0, x1))
        The model's extent (m).
    shots : (int, int)
        Number of shots along y and along x.
    source_depth, receiver_depth : float
        Depths (m).
    spacing : float or (float, float)
        Receiver interval (m) along y and x; receivers cover the full horizontal extent.
    source_y, source_x : (first, last), optional
        Source range (m) per axis; default evenly inside, as for :func:`surface_line`.
    """
    if len(extent) != 3:
        raise ValueError("surface_grid is a 3D acquisition; use surface_line for a 2D model")
    shots = np.broadcast_to(np.asarray(shots, dtype=np.int64), (2,))
    hy, hx = np.broadcast_to(np.asarray(spacing, dtype=np.float64), (2,))
    (y0, y1), (x0, x1) = extent[1], extent[2]
    sy = _source_positions(y0, y1, int(shots[0]), hy, source_y)
    sx = _source_positions(x0, x1, int(shots[1]), hx, source_x)
    ry, rx = np.meshgrid(
        _receiver_positions(y0, y1, hy, None), _receiver_positions(x0, x1, hx, None), indexing="ij"
    )
    rec = np.stack([np.full(ry.size, float(receiver_depth)), ry.ravel(), rx.ravel()], axis=1)
    return [
        Layout(np.array([[float(source_depth), y, x]]), rec, np.zeros(1)) for y in sy for x in sx
    ]


def linear_array(elements, pitch, depth, center_x, sound_speed, angles=None, foci=None):
    """A 2D linear transducer array firing plane waves or focused beams; all elements receive.

    Parameters
    ----------
    elements : int
        Number of elements.
    pitch : float
        Element interval (m) along x.
    depth : float
        z (m) of the array.
    center_x : float
        x (m) of the array's centre.
    sound_speed : float
        Speed (m/s) that sets the transmit delays.
    angles : sequence of float, optional
        Plane-wave steering angles (degrees from +z towards +x), one shot each.
    foci : sequence of (z, x), optional
        Focal points (m), one shot each; elements fire so that their pulses reach the focus
        together. Give exactly one of ``angles`` and ``foci``.
    """
    if (angles is None) == (foci is None):
        raise ValueError("give exactly one of angles (plane waves) and foci (focused transmits)")
    if int(elements) != elements or elements < 1:
        raise ValueError(f"elements must be an integer >= 1, got {elements!r}")
    if not pitch > 0 or not sound_speed > 0:
        raise ValueError(
            f"pitch (m) and sound_speed (m/s) must be positive, got {pitch} and {sound_speed}"
        )
    x = center_x + pitch * (np.arange(int(elements)) - (elements - 1) / 2)
    pos = np.stack([np.full(x.size, float(depth)), x], axis=1)
    if angles is not None:
        delays = [plane_wave_delays(pos, a, sound_speed) for a in angles]
    else:
        foci = np.asarray(foci, dtype=np.float64).reshape(-1, 2)
        delays = []
        for focus in foci:
            dist = np.linalg.norm(pos - focus, axis=1)
            delays.append((dist.max() - dist) / sound_speed)
    return [Layout(pos, pos, tau) for tau in delays]


def ring_array(elements, radius, center, shots):
    """A 2D ring of elements; each shot fires one element and every element receives.

    Parameters
    ----------
    elements : int
        Number of elements, evenly spaced on the circle starting at angle 0 (the +x side).
    radius : float
        Ring radius (m).
    center : (z, x)
        Centre of the ring (m).
    shots : int
        Number of transmitting elements, evenly spaced around the ring (at most ``elements``).
    """
    if int(elements) != elements or elements < 1:
        raise ValueError(f"elements must be an integer >= 1, got {elements!r}")
    if int(shots) != shots or not 1 <= shots <= elements:
        raise ValueError(f"shots must be an integer in [1, elements = {elements}], got {shots!r}")
    if not radius > 0:
        raise ValueError(f"radius must be positive (m), got {radius}")
    theta = 2 * np.pi * np.arange(int(elements)) / elements
    pos = np.stack([center[0] + radius * np.sin(theta), center[1] + radius * np.cos(theta)], 1)
    firing = (np.arange(int(shots)) * elements) // shots
    return [Layout(pos[k : k + 1], pos, np.zeros(1)) for k in firing]


def from_csv(sources, receivers, ndim: int):
    """Shots read from CSV files with a header row.

    Parameters
    ----------
    sources : path
        Columns ``shot, z, x`` (2D) or ``shot, z, y, x`` (3D), and optionally ``delay`` (s): one
        row per source; rows with the same ``shot`` number fire together. Shots run in order of
        their number.
    receivers : path
        Columns ``z, x`` (or ``z, y, x``): the receivers of every shot; or with a leading
        ``shot`` column, receivers per shot.
    ndim : int
        2 or 3.
    """
    axes = ["z", "x"] if ndim == 2 else ["z", "y", "x"]
    src = _read_csv(sources, ["shot", *axes], ["delay"])
    rec = _read_csv(receivers, axes, ["shot"])
    layouts = []
    for shot in np.unique(src["shot"]):
        rows = src["shot"] == shot
        pos = np.stack([src[a][rows] for a in axes], axis=1)
        delays = src["delay"][rows] if "delay" in src else np.zeros(pos.shape[0])
        keep = rec["shot"] == shot if "shot" in rec else np.ones(rec["z"].size, bool)
        if not keep.any():
            raise ValueError(f"{receivers}: no receivers for shot {shot:g}")
        layouts.append(Layout(pos, np.stack([rec[a][keep] for a in axes], axis=1), delays))
    return layouts


def _read_csv(path, required, optional) -> dict[str, np.ndarray]:
    path = Path(path)
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError(f"{path}: empty CSV file; expected a header row {','.join(required)}")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required + optional]
    if missing or unknown:
        raise ValueError(
            f"{path}: header {','.join(header)} must have the columns {','.join(required)}"
            f" (optional: {','.join(optional)}); missing {missing}, unknown {unknown}"
        )
    try:
        values = np.array([[float(v) for v in r] for r in rows[1:] if r], dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{path}: every value must be a number ({exc})") from None
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] != len(header):
        raise ValueError(f"{path}: need at least one row of {len(header)} numbers")
    return {name: values[:, j] for j, name in enumerate(header)}


def _source_positions(lo, hi, count, spacing, given) -> np.ndarray:
    if int(count) != count or count < 1:
        raise ValueError(f"the number of shots must be an integer >= 1, got {count!r}")
    if given is not None:
        return np.linspace(float(given[0]), float(given[1]), int(count))
    frac = np.arange(1, count + 1) / (count + 1)
    return lo + np.round((hi - lo) * frac / spacing) * spacing


def _receiver_positions(lo, hi, spacing, given) -> np.ndarray:
    if not spacing > 0:
        raise ValueError(f"the receiver spacing must be positive (m), got {spacing}")
    first, last = (lo, hi) if given is None else (float(given[0]), float(given[1]))
    count = int(np.floor((last - first) / spacing + 1e-9)) + 1
    if count < 1:
        raise ValueError(f"receiver range [{first}, {last}] m is empty")
    return first + spacing * np.arange(count)


def with_wavelet(survey: Survey, wavelet) -> Survey:
    """The same survey with every source of every shot firing ``wavelet`` ``(nt,)``.

    For recorded data that arrive without wavelets (SEG-Y from another tool), before imaging
    or inversion.
    """
    w = np.asarray(wavelet, dtype=np.float64)
    if w.shape != (survey.nt,):
        raise ValueError(
            f"the wavelet must have the data's nt = {survey.nt} samples, got shape {w.shape}"
        )
    shots = tuple(
        Shot(s.src, s.rec, np.repeat(w[:, None], s.src.shape[0], axis=1)) for s in survey.shots
    )
    return Survey(survey.model, survey.dt, survey.nt, shots, survey.interpolation)
