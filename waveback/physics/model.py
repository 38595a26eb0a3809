"""The velocity model and the padded computational grid.

``Model`` holds the P-wave velocity ``vp`` (m/s) on a regular grid with spacing ``spacing`` (m),
z (depth) first: ``(nz, nx)`` in 2D, ``(nz, ny, nx)`` in 3D. The squared slowness
``m = 1 / vp**2`` (s²/m²) is the parameter of the wave equation
:math:`m\\,\\partial_t^2 u - \\nabla^2 u = s` and of its gradients.

The computational grid pads the model on every side by ``nbl`` absorbing points plus a halo
of ``space_order // 2`` points that is never updated. With ``free_surface=True`` the first
model row (z = origin) is a pressure-release surface: no absorbing layer on top, and the halo
above it holds the negated mirror image of the field (image method).
Velocities are extended into the absorbing layers by copying the nearest model value.

An optional density ``rho`` (kg/m³) selects the variable-density equation
:math:`m\\,\\partial_t^2 p - \\rho\\nabla\\cdot(\\rho^{-1}\\nabla p) = s` and its staggered
discretisation (:mod:`waveback.physics.density`); it is padded like the velocity. ``rho=None`` keeps
the constant-density scheme (:mod:`waveback.propagation`).

An optional ``attenuation`` (:class:`~waveback.physics.attenuation.ConstantQ` or
:class:`~waveback.physics.attenuation.PowerLaw`) makes the medium viscoacoustic; ``vp`` is then
the phase velocity at the reference frequency :math:`\\sqrt{f_{lo} f_{hi}}` of its band (see
:mod:`waveback.physics.attenuation`).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from .attenuation import ATTENUATIONS, ConstantQ, fit_sls
from .stencils import critical_dt, second_derivative_coefficients, staggered_critical_dt

BOUNDARIES = ("cpml", "sponge")
DTYPES = ("float32", "float64")


class Model:
    """A velocity model on a regular grid, with its absorbing boundary settings.

    Parameters
    ----------
    vp : (nz, nx) or (nz, ny, nx) array_like
        P-wave velocity in m/s; finite and positive.
    spacing : float or sequence of float
        Grid spacing in metres, one per axis (z first) or one for all.
    origin : sequence of float, optional
        Physical coordinates (m) of ``vp[0, 0]`` / ``vp[0, 0, 0]``; default zeros.
    space_order : int
        Even accuracy order of the Laplacian, 2 to 16.
    boundary : {"cpml", "sponge"}
        Convolutional PML, or a graded damping (sponge) layer.
    nbl : int
        Absorbing layer thickness in grid points.
    free_surface : bool
        Pressure-release surface on the first row (z = origin) instead of an absorbing top.
    dtype : {"float32", "float64"} or numpy dtype
        Floating-point type of every wavefield and coefficient; any spelling numpy gives one of
        the two (``np.float64``, ``"f8"``, ``"double"``, ``np.dtype("float32")``) is accepted.
    pml_velocity : float, optional
        Velocity (m/s) that scales the absorbing profiles; default ``vp.max()``. It is fixed
        at construction, so gradients with respect to ``m`` never differentiate it.
    pml_frequency : float, optional
        Frequency (Hz) of the CPML's complex frequency shift :math:`\\alpha_0 = \\pi f`;
        default the frequency with 20 points per wavelength at the lowest velocity.
    reflection : float, optional
        Nominal reflection coefficient that sets the absorbing profile strength; default 1e-8
        for the CPML (small, so that grazing waves are absorbed too) and 1e-2 for the sponge.
    attenuation : ConstantQ or PowerLaw, optional
        Frequency-dependent absorption over a band; None (default) for a lossless medium.
        Its vp-shaped parameters (``q``, ``alpha0``) must have ``vp``'s shape.
    """

    def __init__(
        self,
        vp,
        spacing,
        origin=None,
        space_order=8,
        boundary="cpml",
        nbl=20,
        free_surface=False,
        dtype="float32",
        pml_velocity=None,
        pml_frequency=None,
        reflection=None,
        rho=None,
        attenuation=None,
    ):
        vp = np.asarray(vp)
        if vp.ndim not in (2, 3):
            raise ValueError(
                f"vp must be 2D (nz, nx) or 3D (nz, ny, nx), z first; got an array of shape "
                f"{vp.shape}"
            )
        if not np.issubdtype(vp.dtype, np.number):
            raise TypeError(
                f"vp must be a numeric array of velocities in m/s, got dtype {vp.dtype}"
            )
        if min(vp.shape) < 2:
            raise ValueError(f"vp needs at least 2 points along every axis, got shape {vp.shape}")
        if not np.all(np.isfinite(vp)):
            bad = np.argwhere(~np.isfinite(vp))[0]
            raise ValueError(
                f"vp contains NaN or infinite values (first at index {tuple(int(i) for i in bad)});"
                " fill them with valid velocities in m/s"
            )
        if np.any(vp <= 0):
            bad = np.argwhere(vp <= 0)[0]
            raise ValueError(
                f"vp must be positive everywhere (m/s); found {vp[tuple(bad)]} at index "
                f"{tuple(int(i) for i in bad)}"
            )
        self.dtype = _float_dtype(dtype)
        self.ndim = vp.ndim
        self.shape = vp.shape
        self.vp = np.ascontiguousarray(vp, dtype=self.dtype)
        self.spacing = per_axis(spacing, self.ndim, "spacing")
        if any(not np.isfinite(h) or h <= 0 for h in self.spacing):
            raise ValueError(f"spacing must be positive and finite (m), got {self.spacing}")
        self.origin = per_axis(0.0 if origin is None else origin, self.ndim, "origin")
        second_derivative_coefficients(space_order)
        self.space_order = int(space_order)
        if boundary not in BOUNDARIES:
            raise ValueError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
        self.boundary = boundary
        if int(nbl) != nbl or nbl < 1:
            raise ValueError(
                f"nbl (absorbing layer thickness in grid points) must be an integer >= 1, "
                f"got {nbl!r}"
            )
        self.nbl = int(nbl)
        self.free_surface = bool(free_surface)
        self.pml_velocity = float(vp.max() if pml_velocity is None else pml_velocity)
        self.pml_frequency = float(
            vp.min() / (20 * max(self.spacing)) if pml_frequency is None else pml_frequency
        )
        default_reflection = 1e-8 if boundary == "cpml" else 1e-2
        self.reflection = float(default_reflection if reflection is None else reflection)
        if not 0 < self.reflection < 1:
            raise ValueError(f"reflection must lie in (0, 1), got {self.reflection}")
        self.rho = None if rho is None else _density(rho, self.shape, self.dtype)
        self.attenuation = _check_attenuation(attenuation, self.shape)

    @property
    def m(self) -> np.ndarray:
        """Squared slowness ``1 / vp**2`` in s²/m², model shape."""
        return 1.0 / self.vp.astype(np.float64) ** 2

    @property
    def halo(self) -> int:
        """Points of never-updated halo on each side: ``space_order // 2``."""
        return self.space_order // 2

    @property
    def pads(self) -> tuple[tuple[int, int], ...]:
        """``(before, after)`` padding of every axis: absorbing layer plus halo."""
        r, nbl = self.halo, self.nbl
        pads = [(nbl + r, nbl + r) for _ in range(self.ndim)]
        if self.free_surface:
            pads[0] = (r, nbl + r)
        return tuple(pads)

    @property
    def padded_shape(self) -> tuple[int, ...]:
        """Shape of the computational grid, z first."""
        return tuple(n + lo + hi for n, (lo, hi) in zip(self.shape, self.pads, strict=True))

    @property
    def interior(self) -> tuple[slice, ...]:
        """Slices that cut the model out of a padded-grid array."""
        return tuple(slice(lo, lo + n) for (lo, _), n in zip(self.pads, self.shape, strict=True))

    @property
    def extent(self) -> tuple[tuple[float, float], ...]:
        """``(first, last)`` physical coordinate (m) of the model's grid points per axis."""
        return tuple(
            (o, o + (n - 1) * h)
            for o, n, h in zip(self.origin, self.shape, self.spacing, strict=True)
        )

    @cached_property
    def sls(self):
        """The standard linear solid fitted to ``attenuation`` for ``vp``
        (:func:`~waveback.physics.attenuation.fit_sls`), or None for a lossless model."""
        if self.attenuation is None:
            return None
        return fit_sls(self.attenuation, self.vp.astype(np.float64))

    @property
    def relaxed_velocity(self) -> np.ndarray:
        """The velocity (m/s) of the leapfrog's :math:`\\Delta t^2 v^2`: ``vp``, or with
        attenuation the relaxed velocity :math:`v_R` of :attr:`sls`; float64, model shape."""
        if self.sls is None:
            return self.vp.astype(np.float64)
        return np.broadcast_to(self.sls.relaxed_velocity, self.shape).astype(np.float64)

    @property
    def fastest_velocity(self) -> np.ndarray:
        """The velocity (m/s) that bounds the time step: ``vp``, or with attenuation the
        unrelaxed velocity :math:`v_U = v_R\\sqrt{1 + \\sum_l a_l} > v_p`, model shape."""
        if self.sls is None:
            return self.vp.astype(np.float64)
        return np.broadcast_to(self.sls.unrelaxed_velocity, self.shape)

    def critical_dt(self) -> float:
        """Largest stable time step (s) for this model's order, dimension and velocities.

        With a density, the bound of :func:`waveback.stencils.staggered_critical_dt`, which
        accounts for the density contrasts. With attenuation, the bound for the unrelaxed
        velocity :attr:`fastest_velocity`.
        """
        velocity = self.fastest_velocity
        if self.rho is None:
            return critical_dt(float(velocity.max()), self.spacing, self.space_order)
        return staggered_critical_dt(
            velocity, self.rho, self.spacing, self.space_order, self.free_surface
        )

    def pad(self, field: np.ndarray) -> np.ndarray:
        """Extend a model-shaped field onto the computational grid by edge replication."""
        return np.pad(np.asarray(field), self.pads, mode="edge")

    def unpad_adjoint(self, padded: np.ndarray) -> np.ndarray:
        """Transpose of :meth:`pad`: fold every layer value back onto the edge value it copies."""
        out = np.asarray(padded)
        for axis, (lo, hi) in enumerate(self.pads):
            n = out.shape[axis] - lo - hi
            core = np.take(out, np.arange(lo, lo + n), axis=axis).copy()
            edge = [slice(None)] * out.ndim
            edge[axis] = slice(0, 1)
            core[tuple(edge)] += np.take(out, np.arange(lo), axis=axis).sum(axis, keepdims=True)
            edge[axis] = slice(n - 1, n)
            tail = np.arange(lo + n, out.shape[axis])
            core[tuple(edge)] += np.take(out, tail, axis=axis).sum(axis, keepdims=True)
            out = core
        return out

    def with_vp(self, vp) -> Model:
        """The same grid, density and boundary settings with another velocity (profiles kept
        fixed)."""
        return self.with_parameters(vp, self.rho)

    def with_rho(self, rho) -> Model:
        """The same grid, velocity and boundary settings with another density (or None)."""
        return self.with_parameters(self.vp, rho)

    def with_parameters(self, vp, rho) -> Model:
        """The same grid and boundary settings (profiles kept fixed) with ``vp`` and ``rho``."""
        return Model(
            vp,
            self.spacing,
            self.origin,
            self.space_order,
            self.boundary,
            self.nbl,
            self.free_surface,
            self.dtype.name,
            self.pml_velocity,
            self.pml_frequency,
            self.reflection,
            rho=rho,
            attenuation=self.attenuation,
        )

    def __repr__(self) -> str:
        return (
            f"Model(shape={self.shape}, spacing={self.spacing}, origin={self.origin}, "
            f"space_order={self.space_order}, boundary={self.boundary!r}, nbl={self.nbl}, "
            f"free_surface={self.free_surface}, dtype={self.dtype.name!r}"
            + ("" if self.rho is None else ", rho=...")
            + ("" if self.attenuation is None else f", attenuation={self.attenuation!r}")
            + ")"
        )


def _check_attenuation(attenuation, shape):
    """``attenuation`` if it is None, ConstantQ or PowerLaw with scalar or ``shape`` arrays."""
    if attenuation is None:
        return None
    if not isinstance(attenuation, ATTENUATIONS):
        raise TypeError(
            "attenuation must be None, waveback.ConstantQ(q, band=(f_lo, f_hi)) or "
            f"waveback.PowerLaw(alpha0, y, band=(f_lo, f_hi)), got {attenuation!r}"
        )
    name = "q" if isinstance(attenuation, ConstantQ) else "alpha0"
    value = getattr(attenuation, name)
    if np.ndim(value) != 0 and np.shape(value) != shape:
        raise ValueError(
            f"attenuation {name} must be a scalar or have vp's shape {shape}, got an array of "
            f"shape {np.shape(value)}"
        )
    return attenuation


def per_axis(value, ndim: int, name: str) -> tuple[float, ...]:
    """``value`` as one float per axis: a scalar is repeated ``ndim`` times.

    Parameters
    ----------
    value : float or sequence of float
        A scalar, or exactly ``ndim`` values (z first).
    ndim : int
        The number of axes.
    name : str
        What ``value`` is, for the error message (e.g. ``"spacing"``).

    Returns
    -------
    tuple of float
        ``ndim`` values.

    Raises
    ------
    ValueError
        ``value`` is neither a scalar nor ``ndim`` values.
    """
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if arr.size == 1:
        arr = np.repeat(arr, ndim)
    if arr.shape != (ndim,):
        raise ValueError(
            f"{name} must be a scalar or have one value per axis ({ndim}), got {value!r}"
        )
    return tuple(float(v) for v in arr)


def _float_dtype(dtype) -> np.dtype:
    """``dtype`` as float32 or float64, or a ValueError naming what is accepted."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in DTYPES:
        raise ValueError(
            f"dtype must be float32 or float64 (e.g. 'float32', np.float64, 'f8'), got {dtype!r}"
        )
    return resolved


def _density(rho, shape, dtype) -> np.ndarray:
    """``rho`` as a finite, positive array of the model's shape and dtype, or a ValueError."""
    arr = np.asarray(rho)
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"rho must be numeric (density in kg/m³), got dtype {arr.dtype}")
    if arr.ndim != 0 and arr.shape != shape:
        raise ValueError(
            f"rho must be a scalar or have vp's shape {shape} (kg/m³), got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError("rho must be finite and positive everywhere (kg/m³)")
    return np.ascontiguousarray(np.broadcast_to(arr, shape), dtype=dtype)
