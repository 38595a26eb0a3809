"""waveback's HDF5 files: shot gathers with their survey, velocity models, and images.

Three kinds of file, named by the root attribute ``format`` and versioned by
``format_version`` (:data:`FORMAT_VERSION`); every one carries the provenance attributes
``waveback_version``, ``created`` (ISO 8601, UTC), ``command`` and ``parameters`` (e.g. the
scene file's text). SI units, z first; every dataset has a ``units`` attribute and the arrays
over space an ``axes`` attribute (``"z,x"`` or ``"z,y,x"``).

``waveback-shots``
    ``/model`` (optional: data imported from SEG-Y have none), ``/time`` (``(nt,)`` s, attrs
    ``dt``, ``nt``), ``/shots`` (attrs ``count``, ``interpolation``, ``fingerprint``,
    ``time_dispersion_correction``) with one group per shot, ``/shots/000000`` ...: ``src``
    ``(nsrc, ndim)`` m, ``rec`` ``(nrec, ndim)`` m, ``wavelet`` ``(nt, nsrc)`` (optional),
    ``data`` ``(nt, nrec)`` (chunked per shot, gzip-compressed) and ``wavefield``
    ``(k, *shape)`` snapshots at attr ``time_index`` (optional).
``waveback-model``
    ``/model``: dataset ``vp`` (m/s) in the group whose attributes are the :class:`Model`
    settings (``spacing``, ``origin``, ``space_order``, ``boundary``, ``nbl``, ...), and
    optionally ``rho`` and ``attenuation`` (:mod:`waveback.data.medium`); a model
    from an inversion also has ``/inversion`` (its :class:`MisfitCurve`).
``waveback-image``
    ``/image`` with attrs ``spacing``, ``origin`` (m) and ``description``.

Readers check the format name, the version and the layout, and raise :class:`FormatError`
(a ``ValueError``) with a message that names the file and what is wrong. The full layout is
documented in ``docs/format.md``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np

from ..physics.model import Model, per_axis
from .acquisition import Shot, Survey
from .medium import fingerprint_items, read_medium, write_medium

FORMAT_VERSION = 1
SHOTS = "waveback-shots"
MODEL = "waveback-model"
IMAGE = "waveback-image"
FORMATS = (SHOTS, MODEL, IMAGE)
#: ``/inversion`` of a model file: the :class:`MisfitCurve` fields as (dataset, type, units).
MISFIT_LAYOUT = (
    ("misfit", np.float64, "data units squared"),
    ("band", np.int64, "1"),
    ("initial_misfit", np.float64, "data units squared"),
    ("bands", np.float64, "Hz"),
)
#: Target size (bytes) of one chunk of a shot gather; a chunk never spans two shots.
CHUNK_BYTES = 4 * 2**20
#: Model settings stored as attributes of ``/model``, beside ``spacing`` and ``origin``.
MODEL_SETTINGS = (
    "space_order",
    "boundary",
    "nbl",
    "free_surface",
    "pml_velocity",
    "pml_frequency",
    "reflection",
)


class FormatError(ValueError):
    """A file that is not, or not a well-formed, waveback HDF5 file of the expected kind."""


@dataclass(frozen=True)
class MisfitCurve:
    """The misfit history of an inversion, stored with the model it produced.

    Attributes
    ----------
    misfit : (niter,) ndarray
        The misfit (half the squared L2 norm of the data residual) after each iteration.
    band : (niter,) ndarray of int
        The frequency band (index into ``bands``) of each iteration.
    initial_misfit : (nstarted,) ndarray
        The misfit of the starting model of each band, in band order.
    bands : (nbands,) ndarray
        Upper frequency (Hz) of each band's low-pass; NaN for the full band.
    """

    misfit: np.ndarray
    band: np.ndarray
    initial_misfit: np.ndarray
    bands: np.ndarray


@dataclass(frozen=True)
class Image:
    """A model-shaped image with its grid: ``data`` (z first), ``spacing`` and ``origin`` (m)."""

    data: np.ndarray
    spacing: tuple
    origin: tuple
    description: str = ""


# ---------------------------------------------------------------------------------- writing


@contextmanager
def atomic_file(path):
    """Yield a temporary path beside ``path`` that becomes ``path`` only once complete.

    The caller writes (and closes) the file at the yielded path, ``.<name>.tmp`` in the same
    directory; on leaving the block it is flushed to disk (``fsync``), renamed over ``path``
    (``os.replace``, atomic on POSIX and Windows) and the directory is flushed, so that after a
    crash ``path`` is either the old file or the new one, whole. On any exception (or
    interruption) the temporary file is removed, ``path`` is left as it was, and the exception
    propagates. The one atomic write of waveback's HDF5 files, SEG-Y files and FWI history.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_h5(path, file_format: str, command: str = "", parameters: str = ""):
    """Write an HDF5 file that appears at ``path`` only once complete (:func:`atomic_file`).

    Yields the open ``h5py.File`` with the provenance attributes set. A directory that takes
    no new file raises ``PermissionError`` naming ``path``.
    """
    path = Path(path)
    with atomic_file(path) as tmp:
        try:
            created = h5py.File(tmp, "w")
        except OSError as exc:
            raise PermissionError(
                f"cannot write {path}: no new file can be created in {path.absolute().parent} "
                f"({exc}); choose another output path or make that directory writable"
            ) from None
        with created as f:
            f.attrs["format"] = file_format
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["waveback_version"] = _version()
            f.attrs["created"] = datetime.now(UTC).isoformat(timespec="seconds")
            f.attrs["command"] = command
            f.attrs["parameters"] = parameters
            yield f


def write_model(
    path,
    model: Model,
    *,
    command: str = "",
    parameters: str = "",
    misfit: MisfitCurve | None = None,
) -> None:
    """Write ``model`` (velocity and settings) as a ``waveback-model`` file, atomically.

    ``misfit``, the history of the inversion that produced the model, goes to ``/inversion``.
    """
    with atomic_h5(path, MODEL, command, parameters) as f:
        write_model_group(f, model)
        if misfit is not None:
            _write_misfit(f, misfit)


def write_image(path, image, spacing, origin, *, description="", command="", parameters="") -> None:
    """Write a model-shaped ``image`` on a grid of ``spacing``/``origin`` (m), atomically."""
    image = np.asarray(image)
    spacing = per_axis(spacing, image.ndim, "spacing")
    origin = per_axis(origin, image.ndim, "origin")
    with atomic_h5(path, IMAGE, command, parameters) as f:
        ds = f.create_dataset("image", data=image, **_compression(image.shape, image.dtype))
        ds.attrs["spacing"] = spacing
        ds.attrs["origin"] = origin
        ds.attrs["description"] = description
        ds.attrs["units"] = "1"
        ds.attrs["axes"] = _axes(image.ndim)


def write_shots(
    path,
    survey: Survey,
    gathers: Iterable[np.ndarray],
    *,
    snapshots: Sequence[int] = (),
    wavefields: Iterable[np.ndarray] | None = None,
    command: str = "",
    parameters: str = "",
) -> None:
    """Write a complete ``waveback-shots`` file atomically.

    Parameters
    ----------
    path : path
    survey : Survey
    gathers : iterable of (nt, nrec) ndarray
        One gather per shot, in order; consumed one at a time.
    snapshots : sequence of int
        Time indices of the stored wavefield snapshots (empty: none).
    wavefields : iterable of (len(snapshots), *model.shape) ndarray, optional
        One per shot when ``snapshots`` is not empty.
    command, parameters : str
        Provenance: the command line and its parameters (e.g. the scene's text).
    """
    wavefields = iter(wavefields) if snapshots else None
    with atomic_h5(path, SHOTS, command, parameters) as f:
        groups = write_survey(f, survey, snapshots)
        count = 0
        for group, data in zip(groups, gathers, strict=False):
            write_record(group, data, next(wavefields) if wavefields else None, snapshots)
            count += 1
        if count != len(survey.shots):
            raise ValueError(f"got {count} gathers for {len(survey.shots)} shots")


def write_survey(
    f: h5py.Group,
    survey: Survey,
    snapshots: Sequence[int] = (),
    time_dispersion_correction: bool = False,
) -> list:
    """Write the model, time axis and acquisition of ``survey``; return the shot groups.

    ``time_dispersion_correction`` records whether the gathers were simulated with it.
    """
    if survey.model is not None:
        write_model_group(f, survey.model)
    t = f.create_dataset("time", data=survey.time)
    t.attrs["dt"] = survey.dt
    t.attrs["nt"] = survey.nt
    t.attrs["units"] = "s"
    shots = f.create_group("shots")
    shots.attrs["count"] = len(survey.shots)
    shots.attrs["interpolation"] = survey.interpolation
    shots.attrs["fingerprint"] = fingerprint(survey, snapshots, time_dispersion_correction)
    shots.attrs["time_dispersion_correction"] = bool(time_dispersion_correction)
    groups = []
    for i, shot in enumerate(survey.shots):
        g = shots.create_group(shot_name(i))
        for name in ("src", "rec"):
            ds = g.create_dataset(name, data=np.asarray(getattr(shot, name), np.float64))
            ds.attrs["units"] = "m"
            ds.attrs["axes"] = f"point,{_axes(survey.ndim)}"
        if shot.wavelet is not None:
            w = np.asarray(shot.wavelet, np.float64)
            ds = g.create_dataset("wavelet", data=w, **_compression(w.shape, w.dtype))
            ds.attrs["units"] = "source amplitude"
            ds.attrs["axes"] = "t,src"
        groups.append(g)
    return groups


def write_record(group: h5py.Group, data, wavefield=None, snapshots: Sequence[int] = ()) -> None:
    """Write one shot's gather ``(nt, nrec)`` and, optionally, its wavefield snapshots."""
    data = np.asarray(data)
    if data.ndim != 2:
        raise ValueError(f"a shot gather must be (nt, nrec), got shape {data.shape}")
    ds = group.create_dataset("data", data=data, **_compression(data.shape, data.dtype))
    ds.attrs["units"] = "pressure per unit source"
    ds.attrs["axes"] = "t,rec"
    if wavefield is not None:
        wavefield = np.asarray(wavefield)
        ds = group.create_dataset(
            "wavefield", data=wavefield, **_compression(wavefield.shape, wavefield.dtype)
        )
        ds.attrs["time_index"] = np.asarray(snapshots, dtype=np.int64)
        ds.attrs["units"] = "pressure per unit source"
        ds.attrs["axes"] = f"snapshot,{_axes(wavefield.ndim - 1)}"


def write_model_group(f: h5py.Group, model: Model) -> None:
    """Write ``/model``: datasets ``vp`` (and ``rho``, ``attenuation`` when set), settings as
    attributes (:mod:`waveback.data.medium`)."""
    g = f.create_group("model")
    g.attrs["spacing"] = np.asarray(model.spacing)
    g.attrs["origin"] = np.asarray(model.origin)
    for name in MODEL_SETTINGS:
        g.attrs[name] = getattr(model, name)
    ds = g.create_dataset("vp", data=model.vp, **_compression(model.shape, model.dtype))
    ds.attrs["units"] = "m/s"
    ds.attrs["axes"] = _axes(model.ndim)
    write_medium(g, model, _compression)


def shot_name(i: int) -> str:
    """Name of shot ``i``'s group under ``/shots``: six digits, so listings sort by number."""
    return f"{i:06d}"


def fingerprint(
    survey: Survey, snapshots: Sequence[int] = (), time_dispersion_correction: bool = False
) -> str:
    """SHA-256 (hex) of everything that determines a simulation's output.

    The model (velocities, settings, and density and attenuation when set), ``dt``, ``nt``,
    the interpolation, every shot's positions and wavelets, the snapshot indices, and whether
    the time dispersion is corrected (only hashed when it is, so the fingerprints of
    uncorrected simulations do not depend on this setting; likewise density and attenuation).
    Two runs with equal fingerprints write the same data.
    """
    h = hashlib.sha256()

    def add(*items):
        for item in items:
            if isinstance(item, np.ndarray):
                h.update(f"{item.dtype.str}{item.shape}".encode())
                h.update(np.ascontiguousarray(item).tobytes())
            else:
                h.update(repr(item).encode())

    model = survey.model
    if model is not None:
        add(model.vp, model.spacing, model.origin, *(getattr(model, n) for n in MODEL_SETTINGS))
        add(*fingerprint_items(model))
    add(float(survey.dt), int(survey.nt), survey.interpolation, tuple(int(n) for n in snapshots))
    for shot in survey.shots:
        add(np.asarray(shot.src, np.float64), np.asarray(shot.rec, np.float64))
        add(None if shot.wavelet is None else np.asarray(shot.wavelet, np.float64))
    if time_dispersion_correction:
        add("time_dispersion_correction")
    return h.hexdigest()


# ---------------------------------------------------------------------------------- reading


@contextmanager
def open_file(path, formats: Sequence[str] = FORMATS):
    """Open a waveback HDF5 file for reading after checking its format and version.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    FormatError
        If it is not HDF5, not a waveback file, of another kind than ``formats``, or of an
        unsupported format version.
    """
    path = Path(path)
    if not path.exists():
        partial = path.with_name(path.name + ".partial")
        hint = (
            f"; an unfinished simulation is in {partial}: rerun its command to finish it"
            if partial.is_dir()
            else ""
        )
        raise FileNotFoundError(f"{path}: no such file{hint}")
    if path.is_dir() or not h5py.is_hdf5(path):
        raise FormatError(f"{path} is not an HDF5 file; expected a {' or '.join(formats)} file")
    try:
        opened = h5py.File(path, "r")
    except OSError as exc:
        raise FormatError(
            f"{path} cannot be read as HDF5, it is truncated or damaged ({exc}); write it "
            f"again (rerun the command that made it)"
        ) from None
    with opened as f:
        kind = _text(f.attrs.get("format"))
        if kind not in FORMATS:
            raise FormatError(
                f"{path} is an HDF5 file but not a waveback file (its root attribute 'format' is "
                f"{kind!r}); expected a {' or '.join(formats)} file"
            )
        if kind not in formats:
            raise FormatError(f"{path} is a {kind} file; expected a {' or '.join(formats)} file")
        version = f.attrs.get("format_version")
        if not isinstance(version, (int, np.integer)) or version < 1:
            raise FormatError(f"{path}: malformed {kind} file (format_version is {version!r})")
        if version > FORMAT_VERSION:
            raise FormatError(
                f"{path} is a {kind} file of format version {int(version)}, newer than this "
                f"waveback reads ({FORMAT_VERSION}); upgrade waveback"
            )
        try:
            yield f
        except (KeyError, TypeError) as exc:
            raise FormatError(f"{path}: malformed {kind} file ({exc})") from None
        except OSError as exc:
            raise FormatError(
                f"{path}: damaged {kind} file, a part of it cannot be read ({exc}); write it "
                f"again (rerun the command that made it)"
            ) from None


def file_format(path) -> str:
    """The ``format`` of a waveback file (one of :data:`FORMATS`), after validation."""
    with open_file(path) as f:
        return _text(f.attrs["format"])


def read_provenance(path) -> dict:
    """The root attributes of a waveback file: format, version, who wrote it, when and how."""
    with open_file(path) as f:
        return {k: _plain(v) for k, v in f.attrs.items()}


def read_fingerprint(path) -> str:
    """The :func:`fingerprint` stored in a ``waveback-shots`` file."""
    with open_file(path, (SHOTS,)) as f:
        return _text(_attr(path, _group(path, f, "shots"), "fingerprint"))


def read_time_dispersion_correction(path) -> bool:
    """Whether the gathers of a ``waveback-shots`` file were simulated with the correction."""
    with open_file(path, (SHOTS,)) as f:
        return bool(_group(path, f, "shots").attrs.get("time_dispersion_correction", False))


def read_model(path) -> Model:
    """The :class:`Model` of a ``waveback-model`` file, or the model of a shot file."""
    with open_file(path, (MODEL, SHOTS)) as f:
        if "model" not in f:
            raise FormatError(
                f"{path} holds no velocity model (data imported without one); give a model file"
            )
        return _read_model_group(path, f["model"])


def read_misfit(path) -> MisfitCurve | None:
    """The misfit history stored with an inverted model, or None for any other model file."""
    with open_file(path, (MODEL,)) as f:
        if "inversion" not in f:
            return None
        g = _group(path, f, "inversion")
        curve = MisfitCurve(
            *(np.asarray(_dataset(path, g, name)[()], dtype) for name, dtype, _ in MISFIT_LAYOUT)
        )
    if curve.band.shape != curve.misfit.shape or np.any(curve.band >= curve.bands.size):
        raise FormatError(f"{path}: /inversion/band does not match /inversion/misfit and bands")
    return curve


def read_image(path) -> Image:
    """The image of a ``waveback-image`` file with its grid."""
    with open_file(path, (IMAGE,)) as f:
        ds = _dataset(path, f, "image")
        if ds.ndim not in (2, 3):
            raise FormatError(f"{path}: /image must be 2D or 3D, got shape {ds.shape}")
        origin = _tuple(path, ds, "origin", ds.ndim) if "origin" in ds.attrs else (0.0,) * ds.ndim
        return Image(
            ds[()],
            _tuple(path, ds, "spacing", ds.ndim),
            origin,
            _text(ds.attrs.get("description", "")),
        )


def read_survey(path) -> Survey:
    """The survey of a ``waveback-shots`` file: model (or None), time axis and shots.

    Gathers are read separately, one shot at a time, with :func:`read_gather`.
    """
    with open_file(path, (SHOTS,)) as f:
        model = _read_model_group(path, f["model"]) if "model" in f else None
        t = _dataset(path, f, "time")
        dt, nt = float(_attr(path, t, "dt")), int(_attr(path, t, "nt"))
        _check_time(path, t[()], dt, nt)
        shots_group = _group(path, f, "shots")
        names = _shot_names(path, shots_group)
        shots = []
        for name in names:
            g = shots_group[name]
            src, rec = (_positions(path, g, n) for n in ("src", "rec"))
            wavelet = g["wavelet"][()] if "wavelet" in g else None
            shape = _dataset(path, g, "data").shape
            if shape != (nt, rec.shape[0]):
                raise FormatError(
                    f"{path}: /shots/{name}/data has shape {shape}, expected (nt, nrec) = "
                    f"({nt}, {rec.shape[0]})"
                )
            shots.append(Shot(src, rec, wavelet))
        interpolation = _text(shots_group.attrs.get("interpolation", "linear"))
        try:
            return Survey(model, dt, nt, tuple(shots), interpolation)
        except ValueError as exc:
            raise FormatError(f"{path}: malformed {SHOTS} file ({exc})") from None


def read_gather(path, i: int) -> np.ndarray:
    """Shot ``i``'s gather ``(nt, nrec)`` from a ``waveback-shots`` file."""
    with open_file(path, (SHOTS,)) as f:
        g = _shot_group(path, f, i)
        return _dataset(path, g, "data")[()]


def read_wavefield(path, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Shot ``i``'s stored wavefield snapshots: ``(time_index (k,), fields (k, *shape))``."""
    with open_file(path, (SHOTS,)) as f:
        g = _shot_group(path, f, i)
        if "wavefield" not in g:
            raise FormatError(
                f"{path}: shot {i} has no wavefield snapshots (simulate with --snapshots)"
            )
        ds = g["wavefield"]
        return np.asarray(_attr(path, ds, "time_index"), np.int64), ds[()]


# ---------------------------------------------------------------------------------- helpers


def _write_misfit(f: h5py.Group, curve: MisfitCurve) -> None:
    g = f.create_group("inversion")
    for name, dtype, units in MISFIT_LAYOUT:
        ds = g.create_dataset(name, data=np.asarray(getattr(curve, name), dtype=dtype))
        ds.attrs["units"] = units


def _read_model_group(path, g) -> Model:
    if not isinstance(g, h5py.Group):
        raise FormatError(f"{path}: /model must be a group")
    vp = _dataset(path, g, "vp")
    if vp.ndim not in (2, 3):
        raise FormatError(f"{path}: /model/vp must be 2D or 3D, got shape {vp.shape}")
    settings = {name: _plain(g.attrs[name]) for name in MODEL_SETTINGS if name in g.attrs}
    origin = _tuple(path, g, "origin", vp.ndim) if "origin" in g.attrs else None
    try:
        rho, attenuation = read_medium(g, vp.shape)
        return Model(
            vp[()],
            _tuple(path, g, "spacing", vp.ndim),
            origin,
            dtype=vp.dtype.name,
            rho=rho,
            attenuation=attenuation,
            **settings,
        )
    except (ValueError, TypeError) as exc:
        raise FormatError(f"{path}: invalid model in /model: {exc}") from None


def _check_time(path, t, dt: float, nt: int) -> None:
    """``/time`` must be ``t_n = n dt`` for ``n < nt``, to a thousandth of a sample."""
    if not np.isfinite(dt) or dt <= 0:
        raise FormatError(f"{path}: /time attribute dt must be a positive time step (s), got {dt}")
    if t.shape != (nt,):
        raise FormatError(
            f"{path}: /time has shape {t.shape}, but its attribute nt is {nt}; they must agree"
        )
    tolerance = 1e-3 * dt
    if nt and not abs(t[0]) <= tolerance:
        shift, samples = (
            ("early", f"pad every trace and /time with {t[0] / dt:.6g} leading samples")
            if t[0] > 0
            else ("late", f"drop the first {-t[0] / dt:.6g} samples of every trace and of /time")
        )
        raise FormatError(
            f"{path}: /time starts at {t[0]:.6g} s, not at 0: waveback's records start when the "
            f"sources start (t_n = n dt), so these traces would be read {abs(t[0]):.6g} s "
            f"{shift}; {samples} so that they start at 0 s"
        )
    wrong = np.flatnonzero(~(np.abs(t - np.arange(nt) * dt) <= tolerance))
    if wrong.size:
        n = int(wrong[0])
        raise FormatError(
            f"{path}: /time does not match its attributes dt = {dt:.6g} s and nt = {nt}: sample "
            f"{n} is at {t[n]:.6g} s, expected {n * dt:.6g} s (t_n = n dt)"
        )


def _positions(path, g, name) -> np.ndarray:
    """Source or receiver positions ``(npts, ndim)``, refused unless every one is finite."""
    points = np.atleast_2d(_dataset(path, g, name)[()])
    bad = np.argwhere(~np.isfinite(points)) if points.dtype.kind in "fc" else ()
    if len(bad):
        raise FormatError(
            f"{path}: {g.name}/{name} holds NaN or infinite positions (first at point "
            f"{int(bad[0][0])}); every position must be a finite coordinate in m"
        )
    return points


def _shot_names(path, g) -> list[str]:
    count = int(_attr(path, g, "count"))
    names = [shot_name(i) for i in range(count)]
    if sorted(g) != names:
        raise FormatError(
            f"{path}: /shots must hold groups {names[0]} .. {names[-1]} (count = {count}), "
            f"found {len(g)} entries"
            if count
            else f"{path}: /shots holds no shots"
        )
    return names


def _shot_group(path, f, i):
    g = _group(path, f, "shots")
    count = int(_attr(path, g, "count"))
    if not 0 <= int(i) < count:
        raise ValueError(
            f"shot index {i} out of range: {path} holds {count} shots (0..{count - 1})"
        )
    return _group(path, g, shot_name(int(i)))


def _group(path, parent, name):
    obj = parent.get(name)
    if not isinstance(obj, h5py.Group):
        raise FormatError(f"{path}: missing group {parent.name.rstrip('/')}/{name}")
    return obj


def _dataset(path, parent, name):
    obj = parent.get(name)
    if not isinstance(obj, h5py.Dataset):
        raise FormatError(f"{path}: missing dataset {parent.name.rstrip('/')}/{name}")
    return obj


def _attr(path, obj, name):
    if name not in obj.attrs:
        raise FormatError(f"{path}: missing attribute {name!r} on {obj.name}")
    return obj.attrs[name]


def _tuple(path, obj, name, ndim) -> tuple:
    value = np.atleast_1d(np.asarray(_attr(path, obj, name), dtype=np.float64))
    if value.shape != (ndim,):
        raise FormatError(f"{path}: attribute {name!r} on {obj.name} must have {ndim} values")
    return tuple(float(v) for v in value)


def _text(value) -> str | None:
    if isinstance(value, bytes):
        return value.decode()
    return None if value is None else str(value)


def _plain(value):
    """An attribute as a plain Python value (str, bool, int, float, or list)."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _compression(shape, dtype) -> dict:
    """gzip with shuffle, in chunks of whole rows of about :data:`CHUNK_BYTES`."""
    shape = tuple(int(n) for n in shape)
    if 0 in shape:
        return {}
    row = int(np.prod(shape[1:], dtype=np.int64)) * np.dtype(dtype).itemsize
    rows = max(1, min(shape[0], CHUNK_BYTES // max(row, 1)))
    return {
        "chunks": (rows, *shape[1:]),
        "compression": "gzip",
        "compression_opts": 4,
        "shuffle": True,
    }


def _axes(ndim: int) -> str:
    return "z,x" if ndim == 2 else "z,y,x"


def _fsync(path: Path) -> None:
    """Flush a file's (or a directory's) data to disk; a no-op where not supported."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _version() -> str:
    from ..version import __version__

    return __version__
