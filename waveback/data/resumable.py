"""A shot file written shot by shot that survives interruption and resumes where it stopped.

A finished shot is committed to its own small HDF5 file, ``PATH.partial/shot_NNNNNN.h5``,
written beside its final name and renamed into place (an atomic step: a shot file is either
absent or complete, even after SIGKILL). Every part carries the run's :func:`fingerprint
<waveback.files.fingerprint>`. When every shot is in, :meth:`ResumableShotFile.finish` assembles
``PATH`` (again written aside and renamed) and removes the parts.

A rerun with the same survey finds the committed shots and runs only the others; the final file
holds exactly the data an uninterrupted run writes. A file or a set of parts that belongs to a
different survey is never replaced or mixed in unless ``overwrite=True``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np

from . import files
from .acquisition import Survey

PART = "waveback-shot-part"
PART_NAME = re.compile(r"shot_(\d{6})\.h5")


class DifferentDatasetError(FileExistsError):
    """The output path (or its parts) already holds the output of a different simulation."""


class ResumableShotFile:
    """The shot file of one simulation, under construction.

    Parameters
    ----------
    path : path
        The final ``waveback-shots`` file.
    survey : Survey
        What is simulated; its fingerprint identifies the run.
    snapshots : sequence of int
        Time indices of the wavefield snapshots stored with every shot.
    command, parameters : str
        Provenance written into the final file.
    time_dispersion_correction : bool
        The gathers are simulated with the correction; part of the fingerprint, so corrected
        and uncorrected shots are never mixed.
    overwrite : bool
        Replace a ``path`` that holds something else, and discard parts of another run.

    Attributes
    ----------
    complete : bool
        ``path`` holds this simulation; nothing is left to do.
    found_complete : bool
        ``path`` already held this simulation when the run was opened (nothing is written);
        False when :meth:`finish` assembled it.
    committed : set of int
        Shots already committed (by this or by an interrupted earlier run).
    """

    def __init__(
        self,
        path,
        survey: Survey,
        snapshots: Sequence[int] = (),
        *,
        command: str = "",
        parameters: str = "",
        time_dispersion_correction: bool = False,
        overwrite: bool = False,
    ):
        self.path = Path(path)
        self.parts = self.path.with_name(self.path.name + ".partial")
        self.survey, self.snapshots = survey, tuple(int(n) for n in snapshots)
        self.command, self.parameters = command, parameters
        self.tdc = bool(time_dispersion_correction)
        self.fingerprint = files.fingerprint(survey, self.snapshots, self.tdc)
        self.complete = False
        if self.path.is_dir():
            raise IsADirectoryError(f"output {self.path} is a directory; give a file name")
        if self.path.exists() and not overwrite:
            found = _stored_fingerprint(self.path)
            if found is None:
                raise DifferentDatasetError(
                    f"{self.path} exists and is not a waveback shot file; choose another output "
                    f"path or overwrite it (--overwrite)"
                )
            if found != self.fingerprint:
                raise DifferentDatasetError(
                    f"{self.path} already holds a different simulation (another model, "
                    f"acquisition, time axis, snapshots or time-dispersion correction); choose "
                    f"another output path or "
                    f"overwrite it (--overwrite)"
                )
            self.complete = True
        self.found_complete = self.complete
        if overwrite and self.parts.exists():
            shutil.rmtree(self.parts)
        self.committed = set() if self.complete else self._scan_parts()
        if self.complete and self.parts.exists():
            shutil.rmtree(self.parts)

    @property
    def pending(self) -> list[int]:
        """Indices of the shots still to simulate, in order."""
        if self.complete:
            return []
        return [i for i in range(len(self.survey.shots)) if i not in self.committed]

    def commit(self, i: int, data: np.ndarray, wavefield: np.ndarray | None = None) -> None:
        """Store shot ``i``'s gather ``(nt, nrec)`` (and snapshots) durably, atomically."""
        shot = self.survey.shots[i]
        expected = (self.survey.nt, shot.rec.shape[0])
        if np.shape(data) != expected:
            raise ValueError(f"shot {i}: gather must have shape {expected}, got {np.shape(data)}")
        if bool(self.snapshots) != (wavefield is not None):
            raise ValueError(f"shot {i}: give wavefield snapshots exactly when snapshots are set")
        self.parts.mkdir(parents=True, exist_ok=True)
        with files.atomic_h5(self._part(i), PART, self.command) as f:
            f.attrs["fingerprint"] = self.fingerprint
            f.attrs["shot"] = i
            files.write_record(f, data, wavefield, self.snapshots)
        self.committed.add(i)

    def finish(self) -> Path:
        """Assemble the final file from the committed shots and remove the parts."""
        if self.complete:
            return self.path
        missing = self.pending
        if missing:
            raise RuntimeError(f"cannot finish {self.path}: shots {missing} are not committed")
        with files.atomic_h5(self.path, files.SHOTS, self.command, self.parameters) as f:
            groups = files.write_survey(f, self.survey, self.snapshots, self.tdc)
            for i, group in enumerate(groups):
                files.write_record(group, *self._read_part(i), self.snapshots)
        shutil.rmtree(self.parts, ignore_errors=True)
        self.complete = True
        return self.path

    def _part(self, i: int) -> Path:
        return self.parts / f"shot_{i:06d}.h5"

    def _read_part(self, i: int):
        with h5py.File(self._part(i), "r") as f:
            wavefield = f["wavefield"][()] if "wavefield" in f else None
            return f["data"][()], wavefield

    def _scan_parts(self) -> set[int]:
        """Committed shots of this run; removes leftovers of interrupted writes."""
        if not self.parts.is_dir():
            return set()
        done = set()
        for p in sorted(self.parts.iterdir()):
            match = PART_NAME.fullmatch(p.name)
            if match is None:  # a temporary file whose writer was killed
                p.unlink()
                continue
            i = int(match.group(1))
            found = _part_fingerprint(p, i)
            if found is None or i >= len(self.survey.shots):
                p.unlink()
            elif found != self.fingerprint:
                raise DifferentDatasetError(
                    f"{self.parts} holds an unfinished run of a different simulation; rerun that "
                    f"command to finish it, or discard it (--overwrite)"
                )
            else:
                done.add(i)
        return done


def _stored_fingerprint(path: Path) -> str | None:
    """The fingerprint of a valid shot file at ``path``, or None for anything else."""
    try:
        return files.read_fingerprint(path)
    except (files.FormatError, OSError):
        return None


def _part_fingerprint(path: Path, i: int) -> str | None:
    """The fingerprint of a readable part of shot ``i``, or None if it is not one."""
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != PART or int(f.attrs.get("shot", -1)) != i:
                return None
            if "data" not in f:
                return None
            return str(f.attrs["fingerprint"])
    except (OSError, KeyError, ValueError):
        return None
