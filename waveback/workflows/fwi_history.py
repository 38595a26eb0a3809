"""The history of an inversion: every objective evaluation, saved atomically, replayed to resume.

An L-BFGS-B run is a deterministic function of the misfits and gradients it is given. The
history records, band by band, every point ``x`` at which the optimiser evaluated the objective,
with the misfit and the velocity gradient found there, and the misfit after each iteration. A
resumed inversion runs the optimiser again from the start of the first band and answers every
evaluation the history holds from it, after checking that the optimiser asks for the recorded
``x`` bit for bit; the first evaluation past the record is computed and appended. The
quasi-Newton memory, the misfit normalisation of each band and the state of an unfinished line
search are thereby rebuilt exactly: a resumed inversion is bitwise the inversion that was never
interrupted, wherever the interruption fell, and one continued with more iterations is bitwise
the one run with that many from the start.

File layout (HDF5, ``format = "waveback-fwi-history"``, version 2; attribute ``fingerprint``,
the hash of everything that defines the inversion):

========================================  ==========================================
``/vp``                                   the latest iterate (m/s), model-shaped
``/misfit``, ``/band``                    misfit after each iteration and its band
``/initial_misfit``                       misfit of each started band's first model
``/evaluations/band_B/x``                 ``(k, *shape)`` float64, the points asked for
``/evaluations/band_B/misfit``            ``(k,)`` float64, the misfit there
``/evaluations/band_B/gradient``          ``(k, *shape)`` float64, its velocity gradient
========================================  ==========================================

Every change is written to a copy of the file, flushed to disk and renamed over it
(:func:`waveback.io.atomic_file`), so the file is always a complete history, even after SIGKILL,
and a failed write leaves no temporary file behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np

from ..data.files import atomic_file

FORMAT, VERSION = "waveback-fwi-history", 2
EVALUATIONS = "evaluations"


class History:
    """The recorded evaluations and iterations of one inversion, kept in an HDF5 file.

    Parameters
    ----------
    path : path or None
        The history file. If it exists it must hold a history of this inversion, which is
        then replayed; None records nothing (every evaluation is computed).
    fingerprint : str
        The hash of everything that defines the inversion (see :func:`waveback.fwi`).
    shape : tuple of int
        The model's shape.
    iterations : int
        Iterations per band asked for now; a history that holds more is refused.

    Raises
    ------
    ValueError
        ``path`` is not a readable FWI history of this version, belongs to another inversion,
        or holds more iterations of a band than ``iterations``.
    """

    def __init__(self, path, fingerprint: str, shape: tuple, iterations: int):
        self.path = None if path is None else Path(path)
        self.fingerprint, self.shape = fingerprint, tuple(shape)
        self.evaluations: dict[int, int] = {}
        self.iterations: dict[int, int] = {}
        if self.path is not None and self.path.exists():
            self._open()
        for band, n in self.iterations.items():
            if n > iterations:
                raise ValueError(
                    f"{self.path} holds {n} iterations of band {band + 1}, more than the "
                    f"{iterations} asked for: ask for at least {n} to continue it, or give "
                    f"another history file (--history) or delete it to start again"
                )

    def recorded(self, band: int, i: int):
        """Evaluation ``i`` of ``band`` as ``(x, misfit, gradient)``, or None if not recorded."""
        if i >= self.evaluations.get(band, 0):
            return None
        with h5py.File(self.path, "r") as f:
            group = f[f"{EVALUATIONS}/band_{band}"]
            return group["x"][i], float(group["misfit"][i]), group["gradient"][i]

    def check(self, band: int, i: int, x: np.ndarray, recorded_x: np.ndarray) -> None:
        """Refuse to replay a record the optimiser does not follow bit for bit."""
        if x.shape != recorded_x.shape or x.tobytes() != recorded_x.tobytes():
            raise ValueError(
                f"{self.path}: at evaluation {i + 1} of band {band + 1} the optimiser asks for "
                f"another model than the history records (was it written with other versions "
                f"of scipy or waveback?); delete it to start again, or give another history "
                f"file (--history)"
            )

    def append(self, band: int, x, misfit: float, gradient, result) -> None:
        """Record a computed evaluation of ``band`` with the inversion's state ``result``.

        The records of later bands are dropped: they started from where ``band`` ended
        before it was continued.
        """
        if self.path is None:
            return
        later = [b for b in self.evaluations if b > band]
        n = self.evaluations.get(band, 0)

        def write(f):
            for b in later:
                del f[f"{EVALUATIONS}/band_{b}"]
            group = f.require_group(EVALUATIONS).require_group(f"band_{band}")
            row = {
                "x": np.reshape(x, self.shape),
                "misfit": np.float64(misfit),
                "gradient": gradient,
            }
            for name, value in row.items():
                if name not in group:
                    group.create_dataset(
                        name,
                        shape=(0, *np.shape(value)),
                        maxshape=(None, *np.shape(value)),
                        dtype=np.float64,
                        chunks=(1, *np.shape(value)) if np.ndim(value) else (64,),
                    )
                group[name].resize(n + 1, axis=0)
                group[name][n] = value
            _write_result(f, result)

        self._commit(write)
        for b in later:
            del self.evaluations[b]
        self.iterations = {b: k for b, k in self.iterations.items() if b <= band}
        self.evaluations[band] = n + 1

    def save(self, result) -> None:
        """Record the inversion's state after an iteration (its model and misfit curve)."""
        if self.path is None:
            return
        self._commit(lambda f: _write_result(f, result))

    def _open(self) -> None:
        try:
            with h5py.File(self.path, "r") as f:
                found = (f.attrs.get("format"), f.attrs.get("version"))
                if found[0] != FORMAT:
                    raise ValueError(
                        f"{self.path} is not a waveback FWI history; give another history "
                        f"file (--history) or delete it"
                    )
                if found[1] != VERSION:
                    raise ValueError(
                        f"{self.path} is a version {found[1]} FWI history, which this waveback "
                        f"(version {VERSION}) cannot resume; delete it to start again, or give "
                        f"another history file (--history)"
                    )
                if f.attrs.get("fingerprint") != self.fingerprint:
                    raise ValueError(
                        f"{self.path} holds the history of a different inversion (other data, "
                        f"model or settings): give another history file (--history), or delete "
                        f"it to start this inversion afresh"
                    )
                for name, group in f.get(EVALUATIONS, {}).items():
                    self.evaluations[int(name.removeprefix("band_"))] = len(group["misfit"])
                bands = f["band"][...]
        except (OSError, KeyError) as err:
            raise ValueError(
                f"{self.path} is not a readable HDF5 FWI history ({err}); delete it to start "
                f"again, or give another history file (--history)"
            ) from err
        for band in bands:
            self.iterations[int(band)] = self.iterations.get(int(band), 0) + 1

    def _commit(self, write) -> None:
        """Apply ``write(h5py.File)`` to a copy of the file, put in place by :func:`atomic_file`."""
        exists = self.path.exists()
        with atomic_file(self.path) as tmp:
            if exists:
                shutil.copyfile(self.path, tmp)
            with h5py.File(tmp, "r+" if exists else "w") as f:
                if not exists:
                    f.attrs["format"], f.attrs["version"] = FORMAT, VERSION
                    f.attrs["fingerprint"] = self.fingerprint
                write(f)


def _write_result(f, result) -> None:
    """Store ``result``'s latest model and misfit curve in the open history ``f``."""
    curves = {
        "misfit": np.asarray(result.misfit, dtype=np.float64),
        "band": np.asarray(result.band, dtype=np.int64),
        "initial_misfit": np.asarray(result.initial_misfit, dtype=np.float64),
    }
    for name, values in curves.items():
        if name not in f:
            f.create_dataset(name, shape=(0,), maxshape=(None,), dtype=values.dtype, chunks=(64,))
        f[name].resize(values.size, axis=0)
        f[name][...] = values
    if "vp" not in f:
        f.create_dataset("vp", shape=result.vp.shape, dtype=np.float64)
        f["vp"].attrs["units"] = "m/s"
    f["vp"][...] = result.vp
