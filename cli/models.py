"""Example velocity models for the demo (numpy only, so scripts can load this file directly).

Every model is P-wave velocity in m/s on a regular grid, z (depth) first.
"""

from __future__ import annotations

import numpy as np

#: Layer velocities (m/s) of :func:`layered_2d`, from the top down.
LAYERED_VELOCITIES = (1800.0, 2200.0, 2600.0, 3000.0, 3500.0)


def layered_2d(nz: int = 201, nx: int = 401, spacing: float = 10.0) -> np.ndarray:
    """A 2D layered model with one dipping interface, ``(nz, nx)`` float32 in m/s.

    Interfaces are placed at fixed fractions of the depth extent ``D = (nz - 1) * spacing``
    and width ``W = (nx - 1) * spacing``, so smaller grids keep the same geometry:

    * flat interfaces at ``z = 0.2 D`` and ``z = 0.45 D``;
    * a dipping interface from ``z = 0.55 D`` at ``x = 0`` to ``z = 0.75 D`` at ``x = W``;
    * a flat interface at ``z = 0.88 D``.

    Parameters
    ----------
    nz, nx : int
        Grid points along depth and along x, both >= 2.
    spacing : float
        Grid spacing (m), the same along both axes.

    Returns
    -------
    (nz, nx) ndarray of float32
        Velocities from :data:`LAYERED_VELOCITIES`, slowest at the top.
    """
    if nz < 2 or nx < 2:
        raise ValueError(f"layered_2d needs nz, nx >= 2, got nz={nz}, nx={nx}")
    if not spacing > 0:
        raise ValueError(f"spacing must be positive (m), got {spacing!r}")
    depth, width = (nz - 1) * spacing, (nx - 1) * spacing
    z = np.arange(nz)[:, None] * spacing
    x = np.arange(nx)[None, :] * spacing
    dip = (0.55 + 0.20 * x / width) * depth
    interfaces = [
        np.broadcast_to(0.20 * depth, dip.shape),
        np.broadcast_to(0.45 * depth, dip.shape),
        dip,
        np.broadcast_to(0.88 * depth, dip.shape),
    ]
    layer = sum((z >= zi).astype(np.int64) for zi in interfaces)
    return np.asarray(LAYERED_VELOCITIES, dtype=np.float32)[layer]
