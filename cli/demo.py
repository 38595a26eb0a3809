"""The ``waveback demo`` survey: surface shots over a layered model, and its HDF5 shot file.

Shot file layout (``format = "waveback-shots"``, ``format_version = 1``), SI units, z first:

``/``
    attrs ``format``, ``format_version``, ``waveback_version``, ``command``, ``created``
    (ISO 8601, UTC).
``/model/vp``
    ``(nz, nx)`` velocity (m/s); attrs ``spacing``, ``origin`` (m, z first).
``/time``
    ``(nt,)`` sample times ``t_n = n dt`` (s); attrs ``dt``, ``nt``.
``/wavelet``
    ``(nt,)`` source time function; attrs ``kind``, ``f0`` (Hz).
``/shots/{i}/data``
    ``(nt, nrec)`` float32 pressure at the receivers, chunked and gzip-compressed.
``/shots/{i}/src``, ``/shots/{i}/rec``
    ``(1, ndim)`` source and ``(nrec, ndim)`` receiver positions (m).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import h5py
import numpy as np
from scipy.ndimage import gaussian_filter, laplace
from tqdm import tqdm

import waveback as wb

from .models import layered_2d

FORMAT = "waveback-shots"
FORMAT_VERSION = 1
SPACING = 10.0  # m
SURFACE_DEPTH = 20.0  # m, depth of the sources and the receivers
PEAK_FREQUENCY = 15.0  # Hz, Ricker wavelet
DT_FRACTION = 0.6  # of the stability limit
SNAPSHOT_FRACTIONS = (0.25, 0.5, 0.75)  # of the duration
SMOOTHING_POINTS = 6.0  # Gaussian smoothing (grid points) of the migration velocity
MUTE_DEPTH = 60.0  # m, image mute below the acquisition (see migrate)


@dataclass(frozen=True)
class DemoSize:
    """Grid points, number of shots and recording time (s) of one demo size."""

    nz: int
    nx: int
    nshots: int
    duration: float


SIZES = {
    "small": DemoSize(nz=101, nx=201, nshots=1, duration=0.6),
    "full": DemoSize(nz=201, nx=401, nshots=3, duration=1.5),
}


@dataclass(frozen=True)
class Survey:
    """A model, a time axis, a wavelet and the acquisition geometry of a set of shots."""

    model: wb.Model
    dt: float
    nt: int
    wavelet: np.ndarray
    src: np.ndarray  # (nshots, 2) source positions (m)
    rec: np.ndarray  # (nrec, 2) receiver positions (m), shared by every shot

    @property
    def time(self) -> np.ndarray:
        """Sample times ``n * dt`` (s)."""
        return np.arange(self.nt) * self.dt


def make_survey(size: str) -> Survey:
    """The demo survey of ``size`` (a key of :data:`SIZES`).

    Sources are evenly spread along x at the surface depth; a receiver sits on every grid
    column at the same depth. ``dt`` is :data:`DT_FRACTION` of the model's stability limit.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {tuple(SIZES)}, got {size!r}")
    s = SIZES[size]
    model = wb.Model(layered_2d(s.nz, s.nx, SPACING), SPACING, boundary="cpml")
    dt = DT_FRACTION * model.critical_dt()
    nt = int(round(s.duration / dt)) + 1
    width = (s.nx - 1) * SPACING
    src_x = np.round(width * np.arange(1, s.nshots + 1) / (s.nshots + 1) / SPACING) * SPACING
    src = np.stack([np.full(s.nshots, SURFACE_DEPTH), src_x], axis=1)
    rec = np.stack([np.full(s.nx, SURFACE_DEPTH), np.arange(s.nx) * SPACING], axis=1)
    return Survey(model, dt, nt, wb.ricker(PEAK_FREQUENCY, dt, nt), src, rec)


def snapshot_indices(nt: int) -> list[int]:
    """Time indices of the wavefield snapshots, at :data:`SNAPSHOT_FRACTIONS` of the record."""
    return [int(round(f * (nt - 1))) for f in SNAPSHOT_FRACTIONS]


def run_shots(survey: Survey, progress: bool = True) -> tuple[list[np.ndarray], np.ndarray]:
    """Model every shot; the middle shot also returns its wavefield snapshots.

    Returns
    -------
    shots : list of (nt, nrec) ndarray
    fields : (3, nz, nx) ndarray
        Snapshots of the middle shot at :func:`snapshot_indices`.
    """
    nshots = len(survey.src)
    middle = nshots // 2
    shots, fields = [], None
    for i in tqdm(range(nshots), desc="shots", unit="shot", disable=not progress):
        args = (survey.model, survey.wavelet, survey.src[i : i + 1], survey.rec, survey.dt)
        if i == middle:
            d, fields = wb.forward(*args, snapshots=snapshot_indices(survey.nt))
        else:
            d = wb.forward(*args)
        shots.append(d)
    return shots, fields


def migrate(survey: Survey, shots: list[np.ndarray], progress: bool = True) -> np.ndarray:
    """Reverse-time-migration image of the shots in a smoothed model, ``(nz, nx)``.

    The migration velocity is the true model smoothed by a Gaussian of
    :data:`SMOOTHING_POINTS` grid points; the residual ``d(smooth) - d_obs`` removes the direct
    wave, and the image is minus the gradient of ``0.5 ||d(smooth) - d_obs||²`` with respect to
    ``m`` summed over shots (the zero-lag correlation of source and back-propagated residual
    wavefields, exact for the discrete scheme), followed by a Laplacian filter against the
    low-wavenumber backscattering artefacts of raw reverse-time migration, and a mute of the
    acquisition's near field (zero down to :data:`MUTE_DEPTH` below the sources, tapered over
    the next :data:`MUTE_DEPTH`).
    """
    vp = gaussian_filter(survey.model.vp.astype(np.float64), SMOOTHING_POINTS, mode="nearest")
    smooth = survey.model.with_vp(vp)
    image = np.zeros(survey.model.shape)
    for i in tqdm(range(len(shots)), desc="migration", unit="shot", disable=not progress):
        args = (survey.wavelet, survey.src[i : i + 1], survey.rec, survey.dt)
        residual = wb.forward(smooth, *args) - shots[i]
        image -= wb.gradient(smooth, residual, *args)
    z = np.arange(survey.model.shape[0]) * SPACING
    taper = np.clip((z - SURFACE_DEPTH) / MUTE_DEPTH - 1.0, 0.0, 1.0)[:, None]
    return -laplace(image) * np.sin(0.5 * np.pi * taper) ** 2


@contextmanager
def _atomic_h5(path: Path, file_format: str, command: str):
    """An HDF5 file with the provenance attributes, written to ``.<name>.tmp`` beside ``path``
    and renamed over it only once complete; removed if anything fails."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = file_format
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["waveback_version"] = wb.__version__
            f.attrs["command"] = command
            f.attrs["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
            yield f
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_image(path: Path, survey: Survey, image: np.ndarray, command: str) -> None:
    """Write the migrated image atomically (``format = "waveback-image"``, version 1)."""
    with _atomic_h5(path, "waveback-image", command) as f:
        dataset = f.create_dataset("image", data=image.astype(np.float32))
        dataset.attrs["spacing"] = np.asarray(survey.model.spacing)
        dataset.attrs["origin"] = np.asarray(survey.model.origin)
        dataset.attrs["kind"] = "reverse-time migration, Laplacian-filtered"
        dataset.attrs["smoothing_points"] = SMOOTHING_POINTS


def write_shots(path: Path, survey: Survey, shots: list[np.ndarray], command: str) -> None:
    """Write the shot file atomically: to ``.<name>.tmp`` beside ``path``, then rename."""
    model = survey.model
    with _atomic_h5(path, FORMAT, command) as f:
        vp = f.create_dataset("model/vp", data=model.vp)
        vp.attrs["spacing"] = np.asarray(model.spacing)
        vp.attrs["origin"] = np.asarray(model.origin)
        time = f.create_dataset("time", data=survey.time)
        time.attrs["dt"] = survey.dt
        time.attrs["nt"] = survey.nt
        wavelet = f.create_dataset("wavelet", data=survey.wavelet)
        wavelet.attrs["kind"] = "ricker"
        wavelet.attrs["f0"] = PEAK_FREQUENCY
        for i, d in enumerate(shots):
            g = f.create_group(f"shots/{i}")
            g.create_dataset(
                "data",
                data=np.asarray(d, dtype=np.float32),
                chunks=True,
                compression="gzip",
                compression_opts=4,
                shuffle=True,
            )
            g.create_dataset("src", data=survey.src[i : i + 1])
            g.create_dataset("rec", data=survey.rec)
