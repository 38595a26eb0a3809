"""Velocity arrays from ``.npy`` files, put on the grid of a model they are meant to replace.

``image`` and ``invert`` (``--model VP.npy``), ``model`` and ``smooth`` (``--like FILE``)
read a velocity array that carries no grid and take the grid (spacing, origin, boundary
settings) of a model they already have. Every way such an array can be wrong for it is one
precise error naming the file: missing, not real numbers, another shape, NaN or infinite, or
a velocity that is not positive.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from waveback.data import files
from waveback.physics.model import Model


def read_velocity(path: Path, grid: Model, label: str) -> Model:
    """``grid`` with the velocity (m/s) of the ``.npy`` file at ``path``.

    Parameters
    ----------
    path : Path
        A ``.npy`` file holding a real array of the shape of ``grid``, z first.
    grid : Model
        The model whose grid and settings the velocity takes.
    label : str
        How the user gave ``path`` (``--model v.npy``), at the start of every message.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    TypeError
        If the array is not real numbers (complex, text, objects).
    ValueError
        If its shape is not ``grid.shape``, or a value is NaN, infinite or not positive.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{label}: no such file")
    vp = np.load(path, allow_pickle=False)
    if vp.dtype.kind not in "iuf":
        raise TypeError(
            f"{label}: the velocity must be real numbers in m/s, got {vp.dtype} values; "
            f"save a real array (e.g. np.real(vp) if its imaginary part is zero)"
        )
    if vp.shape != grid.shape:
        raise ValueError(
            f"{label}: the velocity must have the grid shape {grid.shape} (z first), got {vp.shape}"
        )
    bad = np.argwhere(~np.isfinite(vp) | ~(vp > 0))
    if len(bad):
        first = tuple(int(i) for i in bad[0])
        raise ValueError(
            f"{label}: the velocity must be a positive finite number of m/s everywhere, but "
            f"{len(bad)} value(s) are not (the first, at index {first} (z first), is "
            f"{vp[first]})"
        )
    return grid.with_vp(vp)


def model_on_grid(path: Path, like: Path | None, label: str) -> Model:
    """The model at ``path``: a model or shot file, or a ``.npy`` velocity on ``like``'s grid.

    ``like`` (a model file or a shot file with a model) is required for a ``.npy`` file and
    refused for the others, which carry their own grid.
    """
    if path.suffix.lower() != ".npy":
        if like is not None:
            raise ValueError(
                f"--like {like}: {path} carries its own grid; --like is for a .npy velocity"
            )
        return files.read_model(path)
    if like is None:
        raise ValueError(
            f"{label}: a .npy velocity carries no grid; give the model or shot file whose grid "
            f"it is on with --like (e.g. --like shots.h5)"
        )
    return read_velocity(path, files.read_model(like), label)
