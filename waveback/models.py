"""Velocity-model generators: layered media, a fault, a salt body, and inclusion phantoms.

Every generator returns the P-wave velocity ``vp`` in m/s as a float32 array on a regular grid,
z (depth) first: ``(nz, nx)`` or ``(nz, ny, nx)``. Positions (depths, centres, the fault trace)
are physical coordinates in metres in the model's frame, where ``vp[0, 0]`` sits at ``origin``
(default zeros). A grid point belongs to a body when its coordinates lie inside it; interfaces
belong to the layer below them.

This module needs only numpy, so scripts can load it by path (``data/make_models.py``).
"""

from __future__ import annotations

import numpy as np

#: Layer velocities (m/s) of :func:`layered_2d`, from the top down.
LAYERED_VELOCITIES = (1800.0, 2200.0, 2600.0, 3000.0, 3500.0)


def grid_coordinates(shape, spacing, origin=None) -> tuple[np.ndarray, ...]:
    """Broadcastable coordinate arrays (m) of every axis, z first.

    Parameters
    ----------
    shape : sequence of int
        ``(nz, nx)`` or ``(nz, ny, nx)``, at least 2 points per axis.
    spacing : float or sequence of float
        Grid spacing (m), one for all axes or one per axis.
    origin : sequence of float, optional
        Coordinates (m) of the first grid point; default zeros.

    Returns
    -------
    tuple of ndarray
        One array per axis, of shape 1 everywhere except along its own axis.
    """
    shape = tuple(int(n) for n in shape)
    ndim = len(shape)
    if ndim not in (2, 3) or min(shape) < 2:
        raise ValueError(
            f"shape must be (nz, nx) or (nz, ny, nx) with at least 2 points per axis, got {shape}"
        )
    spacing = _per_axis(spacing, ndim, "spacing")
    if any(not h > 0 for h in spacing):
        raise ValueError(f"spacing must be positive (m), got {spacing}")
    origin = _per_axis(0.0 if origin is None else origin, ndim, "origin")
    coords = []
    for axis, (n, h, o) in enumerate(zip(shape, spacing, origin, strict=True)):
        view = [1] * ndim
        view[axis] = n
        coords.append((o + h * np.arange(n)).reshape(view))
    return tuple(coords)


def layered(shape, spacing, depths, velocities, origin=None) -> np.ndarray:
    """Layers separated by flat or dipping interfaces.

    Parameters
    ----------
    shape, spacing, origin
        The grid, as for :func:`grid_coordinates`.
    depths : sequence
        One entry per interface, top down: a depth (m) for a flat interface, or a pair
        ``(z_left, z_right)`` for an interface that dips linearly along x from ``z_left`` at the
        first grid column to ``z_right`` at the last.
    velocities : sequence of float
        ``len(depths) + 1`` layer velocities (m/s), top down.

    Returns
    -------
    ndarray of float32, shape ``shape``
    """
    coords = grid_coordinates(shape, spacing, origin)
    velocities = _velocities(velocities, len(depths) + 1, "velocities")
    layer = sum((coords[0] >= z).astype(np.int64) for z in _interfaces(coords, depths))
    return np.broadcast_to(velocities[layer], tuple(int(n) for n in shape)).copy()


def layered_2d(nz: int = 201, nx: int = 401, spacing: float = 10.0) -> np.ndarray:
    """The demo's 2D layered model with one dipping interface, ``(nz, nx)`` float32 in m/s.

    Interfaces sit at fixed fractions of the depth extent ``D = (nz - 1) * spacing``, so smaller
    grids keep the same geometry: flat at ``0.2 D`` and ``0.45 D``, dipping from ``0.55 D`` at
    ``x = 0`` to ``0.75 D`` at the last column, flat at ``0.88 D``; velocities
    :data:`LAYERED_VELOCITIES`, slowest at the top.
    """
    depth = (nz - 1) * spacing
    depths = [0.2 * depth, 0.45 * depth, (0.55 * depth, 0.75 * depth), 0.88 * depth]
    return layered((nz, nx), spacing, depths, LAYERED_VELOCITIES)


def faulted(
    shape, spacing, depths, velocities, fault_x, fault_dip, throw, origin=None
) -> np.ndarray:
    """Layers cut by a planar normal fault striking along y.

    The fault plane reaches ``z = 0`` at ``x = fault_x`` and dips towards +x at ``fault_dip``
    degrees from the horizontal. On its +x side (the hanging wall) every interface of
    :func:`layered` lies ``throw`` metres deeper.

    Parameters
    ----------
    shape, spacing, depths, velocities, origin
        As for :func:`layered`.
    fault_x : float
        x (m) where the fault plane meets ``z = 0``.
    fault_dip : float
        Dip (degrees from the horizontal), in (0, 90].
    throw : float
        Vertical offset (m) of the interfaces across the fault; negative for a reverse fault.
    """
    if not 0 < fault_dip <= 90:
        raise ValueError(f"fault_dip must be in (0, 90] degrees from horizontal, got {fault_dip}")
    coords = grid_coordinates(shape, spacing, origin)
    velocities = _velocities(velocities, len(depths) + 1, "velocities")
    z, x = coords[0], coords[-1]
    hanging = x > fault_x + z / np.tan(np.radians(fault_dip))
    layer = sum(
        (z >= np.where(hanging, zi + throw, zi)).astype(np.int64)
        for zi in _interfaces(coords, depths)
    )
    return np.broadcast_to(velocities[layer], tuple(int(n) for n in shape)).copy()


def salt(
    shape,
    spacing,
    depths,
    velocities,
    salt_velocity,
    salt_top,
    salt_base,
    salt_center,
    salt_radius,
    origin=None,
) -> np.ndarray:
    """Layers with a salt diapir rising from a flat base.

    The salt fills ``top(r) <= z <= salt_base`` with
    ``top(r) = salt_base - (salt_base - salt_top) cos²(π r / (2 salt_radius))`` for
    ``r < salt_radius``, ``r`` the horizontal distance (m) from the diapir's axis.

    Parameters
    ----------
    shape, spacing, depths, velocities, origin
        The background, as for :func:`layered`.
    salt_velocity : float
        Velocity (m/s) of the salt.
    salt_top, salt_base : float
        Depth (m) of the diapir's crest and of its flat base, ``salt_top < salt_base``.
    salt_center : float or sequence of float
        x (m) of the axis in 2D; ``(y, x)`` in 3D.
    salt_radius : float
        Half-width (m) of the diapir at its base.
    """
    if not salt_top < salt_base:
        raise ValueError(f"need salt_top < salt_base (m), got {salt_top} and {salt_base}")
    if not salt_radius > 0:
        raise ValueError(f"salt_radius must be positive (m), got {salt_radius}")
    vp = layered(shape, spacing, depths, velocities, origin)
    coords = grid_coordinates(shape, spacing, origin)
    center = _per_axis(salt_center, len(coords) - 1, "salt_center")
    r = np.sqrt(sum((c - c0) ** 2 for c, c0 in zip(coords[1:], center, strict=True)))
    bell = np.where(r < salt_radius, np.cos(0.5 * np.pi * r / salt_radius) ** 2, 0.0)
    top = salt_base - (salt_base - salt_top) * bell
    inside = (coords[0] >= top) & (coords[0] <= salt_base) & (r < salt_radius)
    vp[np.broadcast_to(inside, vp.shape)] = np.float32(_velocities([salt_velocity], 1, "salt")[0])
    return vp


def inclusions(shape, spacing, background, bodies, origin=None) -> np.ndarray:
    """A homogeneous background with circular, elliptic or ellipsoidal inclusions (phantoms).

    Parameters
    ----------
    shape, spacing, origin
        The grid, as for :func:`grid_coordinates`.
    background : float
        Background velocity (m/s), e.g. 1540 for soft tissue.
    bodies : sequence of dict
        Each with ``center`` (m, z first, one value per axis), ``radius`` (m: one value for a
        circle or sphere, one per axis for an axis-aligned ellipse or ellipsoid) and
        ``velocity`` (m/s). Later bodies are drawn over earlier ones.
    """
    coords = grid_coordinates(shape, spacing, origin)
    ndim = len(coords)
    vp = np.full(tuple(int(n) for n in shape), _velocities([background], 1, "background")[0])
    for k, body in enumerate(bodies):
        missing = {"center", "radius", "velocity"} - set(body)
        if missing:
            raise ValueError(
                f"inclusion {k} needs keys center, radius, velocity; missing {missing}"
            )
        center = _per_axis(body["center"], ndim, f"inclusion {k} center")
        radius = _per_axis(body["radius"], ndim, f"inclusion {k} radius")
        if any(not r > 0 for r in radius):
            raise ValueError(f"inclusion {k} radius must be positive (m), got {radius}")
        rho2 = sum(((c - c0) / r) ** 2 for c, c0, r in zip(coords, center, radius, strict=True))
        vp[rho2 <= 1.0] = _velocities([body["velocity"]], 1, f"inclusion {k} velocity")[0]
    return vp


def _interfaces(coords, depths) -> list[np.ndarray]:
    """Interface depths (m) as arrays that broadcast against the grid (dipping along x)."""
    x = coords[-1]
    span = x.max() - x.min()
    out = []
    for k, d in enumerate(depths):
        d = np.atleast_1d(np.asarray(d, dtype=np.float64))
        if d.size == 1:
            out.append(d.reshape(()))
        elif d.size == 2:
            out.append(d[0] + (d[1] - d[0]) * (x - x.min()) / span)
        else:
            raise ValueError(
                f"depths[{k}] must be a depth (m) or a pair (z_left, z_right), got {d.tolist()}"
            )
    return out


def _velocities(values, count: int, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size != count:
        raise ValueError(f"{name} needs {count} velocities (m/s), got {v.size}")
    if not np.all(np.isfinite(v)) or np.any(v <= 0):
        raise ValueError(f"{name} must be positive and finite (m/s), got {v.tolist()}")
    return v.astype(np.float32)


def _per_axis(value, ndim: int, name: str) -> tuple[float, ...]:
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if arr.size == 1:
        arr = np.repeat(arr, ndim)
    if arr.shape != (ndim,):
        raise ValueError(f"{name} must be a scalar or have {ndim} values, got {value!r}")
    return tuple(float(v) for v in arr)
