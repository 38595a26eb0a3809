"""Velocity-model generators: layered media, a fault, a salt body, a Marmousi-like section,
and the phantoms of medical ultrasound and photoacoustics.

Every velocity generator returns the P-wave velocity ``vp`` in m/s as a float32 array on a
regular grid, z (depth) first: ``(nz, nx)`` or ``(nz, ny, nx)``; :func:`absorbers` returns an
initial pressure (Pa) on such a grid instead. Positions (depths, centres, the fault trace) are
physical coordinates in metres in the model's frame, where ``vp[0, 0]`` sits at ``origin``
(default zeros). A grid point belongs to a body when its coordinates lie inside it; interfaces
belong to the layer below them. The random generators (:func:`marmousi_like`,
:func:`breast_phantom`, :func:`cyst_phantom`) are reproducible: the same ``seed`` gives the same
array.

This module needs only numpy, so scripts can load it by path (``data/make_models.py``).
"""

from __future__ import annotations

import numpy as np

from ..physics.model import per_axis

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
    spacing = per_axis(spacing, ndim, "spacing")
    if any(not h > 0 for h in spacing):
        raise ValueError(f"spacing must be positive (m), got {spacing}")
    origin = per_axis(0.0 if origin is None else origin, ndim, "origin")
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
    center = per_axis(salt_center, len(coords) - 1, "salt_center")
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
        center = per_axis(body["center"], ndim, f"inclusion {k} center")
        radius = per_axis(body["radius"], ndim, f"inclusion {k} radius")
        if any(not r > 0 for r in radius):
            raise ValueError(f"inclusion {k} radius must be positive (m), got {radius}")
        rho2 = sum(((c - c0) / r) ** 2 for c, c0, r in zip(coords, center, radius, strict=True))
        vp[rho2 <= 1.0] = _velocities([body["velocity"]], 1, f"inclusion {k} velocity")[0]
    return vp


#: Velocities (m/s) of :func:`marmousi_like`: water, the shallowest and deepest sediments, and
#: the range of its high-velocity wedges.
MARMOUSI_VELOCITIES = {"water": 1500.0, "top": 1700.0, "bottom": 4000.0, "wedge": (4200.0, 4700.0)}


def marmousi_like(
    shape, spacing, seed=0, layers=24, faults=3, wedges=2, water=0.04, origin=None
) -> np.ndarray:
    """A procedural 2D section in the spirit of Marmousi: folded, faulted layers and wedges.

    Under a flat water layer, ``layers`` sedimentary layers of random thickness get faster with
    depth (:data:`MARMOUSI_VELOCITIES`, with random jitter that leaves a few slower layers
    under faster ones, and a gradient inside each layer). Their interfaces dip regionally and
    are folded (a few random sinusoids and an anticline, more strongly with depth), then cut by
    ``faults`` planar normal faults (dip 50 to 70 degrees, alternately towards +x and -x; the
    hanging wall drops by 2 to 5 % of the depth and tilts, so the throw grows away from the
    fault) and intruded by ``wedges`` high-velocity wedges that pinch out sideways. Every
    length is a fraction of the section's extent, so coarser or finer grids of the same extent
    draw the same geology, and the same ``seed`` always gives the same section.

    Parameters
    ----------
    shape : (nz, nx)
        Grid size, at least 2 points per axis.
    spacing, origin
        As for :func:`grid_coordinates`.
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    layers, faults, wedges : int
        Numbers of sedimentary layers (at least 2), faults and wedges (at least 0).
    water : float
        Depth of the water layer as a fraction of the section's depth, in [0, 0.5).

    Returns
    -------
    ndarray of float32, shape ``(nz, nx)``
        Velocities between 1500 and 4700 m/s.
    """
    coords = grid_coordinates(shape, spacing, origin)
    if len(coords) != 2:
        raise ValueError(f"marmousi_like draws a 2D section (nz, nx), got shape {tuple(shape)}")
    if int(layers) != layers or layers < 2 or min(faults, wedges) < 0:
        raise ValueError(
            f"need layers >= 2 and faults, wedges >= 0 (integers), got {layers}, {faults}, {wedges}"
        )
    if not 0 <= water < 0.5:
        raise ValueError(f"water is a fraction of the depth in [0, 0.5), got {water}")
    rng = np.random.default_rng(seed)
    n = int(layers)
    z, x = coords
    zeta = (z - z.min()) / (z.max() - z.min())  # (nz, 1), 0 at the top, 1 at the bottom
    xi = (x - x.min()) / (x.max() - x.min())  # (1, nx)
    v = MARMOUSI_VELOCITIES

    # Interfaces: random thicknesses between the sea floor and the bottom, folded more with depth.
    thick = rng.uniform(0.5, 1.5, n)
    tops = water + (1 - water) * np.concatenate([[0.0], np.cumsum(thick)[:-1]]) / thick.sum()
    fold = sum(
        rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * rng.uniform(0.6, 2.5) * xi + rng.uniform(0, 6))
        for _ in range(3)
    )
    fold = fold / np.abs(fold).max()
    anticline = np.exp(-(((xi - rng.uniform(0.55, 0.75)) / 0.12) ** 2))
    regional = rng.choice([-1.0, 1.0]) * (xi - 0.5)
    bend = 0.06 * fold - 0.15 * anticline + 0.2 * regional  # |bend| < 1 keeps them in order
    iface = tops[:, None, None] + (tops[:, None, None] - water) * bend[None]  # (layers, 1, nx)

    # Faults move the layering of their hanging wall down by the throw and tilt the block.
    depth, width = z.max() - z.min(), x.max() - x.min()
    zeta_eff = np.broadcast_to(zeta, (zeta.size, xi.size)).copy()
    for k in range(int(faults)):
        x0 = x.min() + width * rng.uniform(0.25, 0.75)
        side = 1.0 if k % 2 == 0 else -1.0
        plane = x0 + side * (z - z.min() - water * depth) / np.tan(np.radians(rng.uniform(50, 70)))
        beyond = side * (x - plane) / width  # > 0 on the hanging wall
        shift = rng.uniform(0.02, 0.05) + rng.uniform(0.05, 0.15) * beyond
        zeta_eff -= np.where((beyond > 0) & (zeta > water), shift, 0.0)

    # Layer velocities: faster with depth, jittered; a gradient inside each layer.
    frac = np.arange(n) / (n - 1)
    speeds = v["top"] + (v["bottom"] - v["top"]) * frac**0.8 + rng.normal(0.0, 150.0, n)
    speeds = np.clip(speeds, v["top"] - 100.0, v["bottom"])
    layer = np.clip((zeta_eff[None] >= iface).sum(axis=0) - 1, 0, n - 1)
    top = np.take_along_axis(np.broadcast_to(iface, (n,) + zeta_eff.shape), layer[None], 0)[0]
    below = np.append(tops[1:], 1.0)[layer] - tops[layer]
    within = np.clip((zeta_eff - top) / below, 0.0, 1.0)
    vp = speeds[layer] + 0.15 * (speeds[np.minimum(layer + 1, n - 1)] - speeds[layer]) * within

    # High-velocity wedges on interfaces of the middle of the section, pinching out sideways.
    for _ in range(int(wedges)):
        base = iface[int(rng.integers(n // 3, max(n // 3 + 1, 2 * n // 3)))]
        x0, length = rng.uniform(0.1, 0.6), rng.uniform(0.15, 0.3)
        u = (xi - x0) / length  # 0 to 1 across the wedge
        taper = np.where((u >= 0) & (u <= 1), u if rng.random() < 0.5 else 1 - u, 0.0)
        inside = (zeta_eff >= base) & (zeta_eff < base + rng.uniform(0.03, 0.07) * taper)
        vp = np.where(inside, rng.uniform(*v["wedge"]), vp)

    vp = np.where(np.broadcast_to(zeta, vp.shape) < water, v["water"], vp)
    return vp.astype(np.float32)


#: Sound speeds (m/s) of :func:`breast_phantom`, typical of the ultrasound-tomography
#: literature near body temperature: fat is slower than water, fibroglandular tissue and
#: tumours (carcinomas, fibroadenomas) faster.
BREAST_SPEEDS = {
    "water": 1500.0,
    "skin": 1600.0,
    "fat": 1470.0,
    "glandular": 1540.0,
    "tumour": 1580.0,
}


def breast_phantom(
    shape, spacing, seed=0, center=None, radius=None, tumours=2, origin=None, values=None
) -> np.ndarray:
    """A coronal slice of a breast in water for ultrasound computed tomography (2D).

    A lobulated outline of radius about ``radius`` with a skin layer (4 % of the radius, at
    least one grid spacing), fat inside it, fibroglandular tissue as a random smooth texture
    that is densest in the middle, and ``tumours`` round tumours in the glandular zone; speeds
    :data:`BREAST_SPEEDS`, water outside.

    Parameters
    ----------
    shape : (nz, nx)
    spacing, origin
        As for :func:`grid_coordinates`.
    seed : int
        Seed of :func:`numpy.random.default_rng` (texture, outline, tumour positions).
    center : (z, x), optional
        Centre (m); default the middle of the grid.
    radius : float, optional
        Mean radius (m); default 0.4 of the smaller extent.
    tumours : int
        Number of tumours (radius 8 to 14 % of ``radius``).
    values : dict, optional
        A value per tissue (the keys of :data:`BREAST_SPEEDS`) drawn instead of the speeds,
        e.g. densities: the same seed draws the same anatomy.

    Returns
    -------
    ndarray of float32, shape ``(nz, nx)``
    """
    coords = grid_coordinates(shape, spacing, origin)
    if len(coords) != 2:
        raise ValueError(f"breast_phantom draws a 2D slice (nz, nx), got shape {tuple(shape)}")
    z, x = coords
    lo = np.array([z.min(), x.min()])
    hi = np.array([z.max(), x.max()])
    cz, cx = per_axis((lo + hi) / 2 if center is None else center, 2, "center")
    radius = 0.4 * float(np.min(hi - lo)) if radius is None else float(radius)
    if not radius > 0:
        raise ValueError(f"radius must be positive (m), got {radius}")
    if int(tumours) != tumours or tumours < 0:
        raise ValueError(f"tumours must be an integer >= 0, got {tumours!r}")
    rng = np.random.default_rng(seed)
    s = BREAST_SPEEDS if values is None else values
    if set(s) != set(BREAST_SPEEDS):
        raise ValueError(f"values needs one value per tissue: {', '.join(BREAST_SPEEDS)}")
    r = np.hypot(z - cz, x - cx)
    theta = np.arctan2(z - cz, x - cx)
    outline = radius * (
        1
        + 0.06 * np.sin(2 * theta + rng.uniform(0, 6))
        + 0.03 * np.sin(3 * theta + rng.uniform(0, 6))
    )
    skin = max(0.04 * radius, max(per_axis(spacing, 2, "spacing")))
    texture = _smooth_noise(r.shape, spacing, 0.12 * radius, rng)
    density = texture + 1.6 * (1 - r / (0.8 * outline)) - 0.9
    vp = np.full(r.shape, s["water"])
    vp[r < outline] = s["skin"]
    vp[r < outline - skin] = s["fat"]
    vp[(r < 0.85 * (outline - skin)) & (density > 0)] = s["glandular"]
    for _ in range(int(tumours)):
        angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(0.1, 0.5) * radius
        size = rng.uniform(0.08, 0.14) * radius
        tz, tx = cz + dist * np.sin(angle), cx + dist * np.cos(angle)
        vp[np.hypot(z - tz, x - tx) <= size] = s["tumour"]
    return vp.astype(np.float32)


def cyst_phantom(
    shape,
    spacing,
    cysts=(),
    points=(),
    background=1540.0,
    speckle=0.01,
    point_contrast=0.1,
    point_radius=None,
    margin=0.0,
    seed=0,
    origin=None,
) -> np.ndarray:
    """Soft tissue for pulse-echo imaging: speckle, anechoic cysts and point scatterers.

    Density is constant (the wave equation has velocity only), so every echo comes from speed
    contrast. The speckle is a random speed fluctuation, Gaussian with relative standard
    deviation ``speckle`` (clipped at 3 of them) and correlated over one grid spacing, so that
    it holds no detail at the grid's Nyquist wavenumber: sub-resolution scatterers whose echoes
    interfere into speckle. A cyst is a round region without them (anechoic, at the background
    speed); a point scatterer is a small disc ``point_contrast`` faster than the background.

    Parameters
    ----------
    shape, spacing, origin
        The grid, as for :func:`grid_coordinates` (2D or 3D).
    cysts : sequence of dict
        Each with ``center`` (m, z first) and ``radius`` (m).
    points : sequence of sequence of float
        Centres (m, z first) of the point scatterers.
    background : float
        Mean speed (m/s).
    speckle : float
        Relative standard deviation of the speckle, >= 0.
    point_contrast : float
        Relative speed excess of the point scatterers.
    point_radius : float, optional
        Radius (m) of a point scatterer; default one grid spacing (the largest).
    margin : float
        Width (m) of a speckle-free band along every edge of the grid. The absorbing layers
        copy the edge values outwards, so speckle on the edge becomes long streaks inside them
        that scatter strongly; a margin of a few grid points keeps the edges homogeneous.
    seed : int
        Seed of :func:`numpy.random.default_rng` (the speckle).

    Returns
    -------
    ndarray of float32, shape ``shape``
    """
    coords = grid_coordinates(shape, spacing, origin)
    ndim = len(coords)
    c0 = float(_velocities([background], 1, "background")[0])
    if not speckle >= 0 or not point_contrast > -1 or not margin >= 0:
        raise ValueError(
            f"need speckle >= 0, point_contrast > -1 and margin >= 0, got {speckle}, "
            f"{point_contrast} and {margin}"
        )
    rng = np.random.default_rng(seed)
    grid = tuple(int(n) for n in shape)
    h = max(per_axis(spacing, ndim, "spacing"))
    vp = c0 * (1 + speckle * np.clip(_smooth_noise(grid, spacing, h, rng), -3.0, 3.0))
    edge = np.zeros(grid, bool)
    for c in coords:
        edge |= (c - c.min() < margin) | (c.max() - c < margin)
    vp[edge] = c0
    for k, cyst in enumerate(cysts):
        if set(cyst) != {"center", "radius"}:
            raise ValueError(f"cyst {k} needs exactly the keys center, radius; got {sorted(cyst)}")
        center = per_axis(cyst["center"], ndim, f"cyst {k} center")
        vp[_distance(coords, center) <= float(cyst["radius"])] = c0
    size = h if point_radius is None else point_radius
    for k, point in enumerate(points):
        center = per_axis(point, ndim, f"point {k}")
        vp[_distance(coords, center) <= size * (1 + 1e-9)] = c0 * (1 + point_contrast)
    return vp.astype(np.float32)


def absorbers(shape, spacing, bodies, edge=None, origin=None) -> np.ndarray:
    """Initial pressure (Pa) of optical absorbers for photoacoustics: smooth-edged discs.

    Each body is a circle (sphere) or an axis-aligned ellipse (ellipsoid) of constant pressure
    whose rim falls to zero over ``edge`` metres by a half cosine, so that the pressure holds
    no more detail than the grid carries. Later bodies are drawn over earlier ones.

    Parameters
    ----------
    shape, spacing, origin
        The grid, as for :func:`grid_coordinates`.
    bodies : sequence of dict
        Each with ``center`` (m, z first), ``radius`` (m: one value, or one per axis) and
        ``amplitude`` (Pa).
    edge : float, optional
        Width (m) of the rim; default twice the largest grid spacing.

    Returns
    -------
    ndarray of float32, shape ``shape``
    """
    coords = grid_coordinates(shape, spacing, origin)
    ndim = len(coords)
    edge = 2 * max(per_axis(spacing, ndim, "spacing")) if edge is None else float(edge)
    if not edge > 0:
        raise ValueError(f"edge must be a positive width (m), got {edge}")
    p0 = np.zeros(tuple(int(n) for n in shape))
    for k, body in enumerate(bodies):
        missing = {"center", "radius", "amplitude"} - set(body)
        if missing:
            raise ValueError(
                f"absorber {k} needs keys center, radius, amplitude; missing {missing}"
            )
        center = per_axis(body["center"], ndim, f"absorber {k} center")
        radius = per_axis(body["radius"], ndim, f"absorber {k} radius")
        if any(not r > 0 for r in radius):
            raise ValueError(f"absorber {k} radius must be positive (m), got {radius}")
        rho = np.sqrt(
            sum(((c - c0) / r) ** 2 for c, c0, r in zip(coords, center, radius, strict=True))
        )
        outside = np.clip((rho - 1) * min(radius) / edge, -0.5, 0.5)  # signed distance / edge
        weight = 0.5 - 0.5 * np.sin(np.pi * outside)
        p0 = p0 * (1 - weight) + float(body["amplitude"]) * weight
    return p0.astype(np.float32)


def _distance(coords, center) -> np.ndarray:
    return np.sqrt(sum((c - c0) ** 2 for c, c0 in zip(coords, center, strict=True)))


def _smooth_noise(shape, spacing, correlation, rng) -> np.ndarray:
    """Gaussian random field of unit standard deviation and correlation length (m)."""
    spacing = per_axis(spacing, len(shape), "spacing")
    white = rng.standard_normal(shape)
    k2 = sum(
        (2 * np.pi * np.fft.fftfreq(n, h)).reshape([-1 if a == i else 1 for a in range(len(shape))])
        ** 2
        for i, (n, h) in enumerate(zip(shape, spacing, strict=True))
    )
    field = np.fft.ifftn(np.fft.fftn(white) * np.exp(-0.5 * k2 * correlation**2)).real
    return (field - field.mean()) / field.std()


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
