"""Off-grid point sources and receivers: interpolation weights on the padded grid.

A point ``x`` (metres, z first, same origin as the model) is represented by a small stencil of
grid points ``idx`` (flat indices into the padded wavefield) and weights ``w``:

* sampling (receivers): :math:`d = \\sum_k w_k\\, u[\\mathrm{idx}_k]`;
* injection (sources): :math:`u[\\mathrm{idx}_k] \\mathrel{+}= w_k\\, s / \\Delta V`, with the cell
  volume :math:`\\Delta V = \\prod_d h_d`, the discrete form of :math:`s(t)\\,\\delta(x - x_s)`.

Injection uses exactly the weights that sampling uses, so the two are transposes.

Two schemes:

``"linear"``
    Multilinear interpolation over the :math:`2^{ndim}` surrounding nodes.
``"sinc"``
    Kaiser-windowed sinc over 8 nodes per axis (Hicks, 2002, Geophysics 67, 156–165), with
    half-width 4 and Kaiser parameter 6.31. Next to a free surface the weights that fall above
    it are folded, negated, onto their mirror images (Hicks' image method).
"""

from __future__ import annotations

import numpy as np
from scipy.special import i0

INTERPOLATIONS = ("linear", "sinc")
SINC_HALF_WIDTH = 4
KAISER_BETA = 6.31


def check_points(points, model, name: str) -> np.ndarray:
    """Validate point coordinates ``(npts, ndim)`` in metres and return them as float64.

    Raises
    ------
    ValueError
        On a wrong shape, non-finite values, or a point outside the model's extent.
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim == 1 and pts.size == model.ndim:
        pts = pts[None, :]
    if pts.ndim != 2 or pts.shape[1] != model.ndim:
        raise ValueError(
            f"{name} must have shape (n{name}, {model.ndim}) with coordinates in metres, z first; "
            f"got shape {np.shape(points)}"
        )
    if not np.all(np.isfinite(pts)):
        raise ValueError(f"{name} coordinates contain NaN or infinite values")
    for axis, (lo, hi) in enumerate(model.extent):
        tol = 1e-9 * model.spacing[axis]
        out = np.flatnonzero((pts[:, axis] < lo - tol) | (pts[:, axis] > hi + tol))
        if out.size:
            p = out[0]
            raise ValueError(
                f"{name}[{p}] = {pts[p].tolist()} lies outside the model along axis {axis} "
                f"({'zyx'[-model.ndim :][axis] if model.ndim == 3 else 'zx'[axis]} must be within "
                f"[{lo:g}, {hi:g}] m); move it inside the model or enlarge the model"
            )
    return pts


def _weights_1d(frac: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Offsets ``(K,)`` and weights ``(npts, K)`` along one axis for fractional positions."""
    if method == "linear":
        offsets = np.array([0, 1])
        return offsets, np.stack([1.0 - frac, frac], axis=1)
    offsets = np.arange(-SINC_HALF_WIDTH + 1, SINC_HALF_WIDTH + 1)
    x = offsets[None, :] - frac[:, None]
    window = i0(KAISER_BETA * np.sqrt(np.clip(1.0 - (x / SINC_HALF_WIDTH) ** 2, 0.0, None)))
    return offsets, np.sinc(x) * window / i0(KAISER_BETA)


def point_stencils(points: np.ndarray, model, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Flat padded-grid indices and interpolation weights of validated points.

    Parameters
    ----------
    points : (npts, ndim) ndarray
        Coordinates in metres (from :func:`check_points`).
    model : Model
    method : {"linear", "sinc"}

    Returns
    -------
    idx : (npts, K) int64 ndarray
        Flat indices into the padded wavefield, laid out as ``(nz, ny, nx)`` (``ny = 1`` in 2D).
    weights : (npts, K) float64 ndarray
        Sampling weights (dimensionless; they sum to one for linear interpolation).
    """
    if method not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {method!r}")
    _, ny, nx = shape3(model.padded_shape)
    strides = np.array([ny * nx, nx, 1])[[0, 2] if model.ndim == 2 else [0, 1, 2]]
    idx = np.zeros((points.shape[0], 1), dtype=np.int64)
    wts = np.ones((points.shape[0], 1))
    for axis in range(model.ndim):
        g = (points[:, axis] - model.origin[axis]) / model.spacing[axis]
        base = np.floor(g + 1e-9).astype(np.int64)
        if method == "linear":
            base = np.minimum(base, model.shape[axis] - 2)
        offsets, w = _weights_1d(g - base, method)
        pos = base[:, None] + offsets[None, :] + model.pads[axis][0]
        if axis == 0 and model.free_surface:
            pos, w = _fold_above_surface(pos, w, model.halo)
        if pos.min() < model.halo or pos.max() >= model.padded_shape[axis] - model.halo:
            raise ValueError(
                f"a {method} interpolation stencil reaches the grid's halo along axis {axis}; "
                f"increase nbl to at least {SINC_HALF_WIDTH} or use interpolation='linear'"
            )
        idx = (idx[:, :, None] + strides[axis] * pos[:, None, :]).reshape(len(points), -1)
        wts = (wts[:, :, None] * w[:, None, :]).reshape(len(points), -1)
    return idx, wts


def _fold_above_surface(pos, w, surface):
    """Move weights on rows above the surface row onto their mirror rows, negated."""
    above = pos < surface
    return np.where(above, 2 * surface - pos, pos), np.where(above, -w, w)


def shape3(shape) -> tuple[int, int, int]:
    """A grid shape as the 3D ``(nz, ny, nx)`` the kernels index, with ``ny = 1`` in 2D.

    ``(nz, nx)`` becomes ``(nz, 1, nx)``; a 3D shape is returned as a tuple. Flat indices into
    a wavefield (:func:`point_stencils`) are ``(iz * ny + iy) * nx + ix`` in this shape.
    """
    return (shape[0], 1, shape[1]) if len(shape) == 2 else tuple(shape)


def plane_wave_delays(positions, angle: float, velocity: float) -> np.ndarray:
    """Firing delays (s) that steer a plane wave from an array of sources.

    Parameters
    ----------
    positions : (nsrc, ndim) array_like
        Element positions (m), z first.
    angle : float
        Steering angle in degrees (as everywhere in waveback: :func:`linear_array`, scene
        files) from the +z axis towards +x (the last axis).
    velocity : float
        Sound speed (m/s) in front of the array.

    Returns
    -------
    (nsrc,) ndarray
        :math:`\\tau_i = (z_i \\cos\\theta + x_i \\sin\\theta) / c`, shifted so the first element
        fires at 0. Use with :func:`waveback.delayed` to build the ``(nt, nsrc)`` wavelets.
    """
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] not in (2, 3):
        raise ValueError(f"positions must have shape (nsrc, 2) or (nsrc, 3), got {pos.shape}")
    if velocity <= 0:
        raise ValueError(f"velocity must be positive (m/s), got {velocity!r}")
    theta = np.radians(angle)
    tau = (pos[:, 0] * np.cos(theta) + pos[:, -1] * np.sin(theta)) / velocity
    return tau - tau.min()
