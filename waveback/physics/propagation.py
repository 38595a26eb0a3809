"""Propagation: one leapfrog time step of the constant-density acoustic equation, and its transpose.

Solves :math:`m\\,\\partial_t^2 u - \\nabla^2 u = s` with :math:`m = 1/v_p^2` (SI units: u in
pressure units per unit source, x in m, t in s) by

.. math:: u^{n+1} = 2u^n - u^{n-1} + \\Delta t^2 v^2 \\left(L u^n + s^n\\right),

where ``L`` is the centred Laplacian of order ``space_order`` plus the absorbing-boundary terms.
A point source :math:`w(t)\\,\\delta(x - x_s)` is injected as
:math:`s^n = w(t_n)\\, W^\\top e_s / \\Delta V` (interpolation weights ``W`` divided by the cell
volume), so traces converge to the continuum solution as the grid is refined.

Time convention: ``u`` is zero before the first step (``u^0 = u^{-1} = 0``); wavelet sample ``n``
enters the update that produces :math:`u^{n+1}`; ``d[n]`` samples :math:`u^n` at ``t_n = n dt``.
An initial-pressure source sets :math:`u^0 = p_0` with zero initial velocity
(:math:`u^{-1} = u^{1}`, i.e. :math:`u^{-1} = p_0 + \\tfrac12\\Delta t^2 v^2 L p_0`).

**Attenuation** (``Model(attenuation=...)``, :mod:`waveback.physics.attenuation`). The
update becomes :math:`u^{n+1} = K(2u^n + \\Delta t^2 v_R^2 h^n) - (2K - 1)u^{n-1}` with
:math:`h^n` the relaxation of the drive :math:`g^n = L u^n + s^n` (``L`` including the CPML
terms) by the memory variables :math:`r_l^{n-1/2}` of :mod:`waveback.physics.attenuation_kernels`
(carried in :attr:`State.memory`, zero at the start), and :math:`v_R` the relaxed velocity. The
source sits in the drive, inside the relaxation, so it enters the memory too; in a sponge
(``K < 1``) the whole relaxed increment, source included, is damped. The relaxation is fused
into the row sweeps that compute ``L u``; its transpose runs first in an adjoint step
(:math:`\\bar g` from :math:`q = w_2 K\\lambda` and the adjoint memory), then the lossless
transposed operator acts on :math:`\\bar g`. Sources are read from :math:`\\bar g` in the adjoint
(:meth:`Propagator.read_source`). With a density as well, the relaxation acts on
:math:`(L u + s)/\\rho` in the density kernels' sweep (:mod:`waveback.physics.density`).

:class:`Propagator` holds the coefficients of one ``(model, dt)`` pair with the step
(:meth:`Propagator.step`) and its exact transpose (:meth:`Propagator.adjoint_step`) side by
side; the time loops of the forward, adjoint, Born and gradient maps of a shot are the
methods of :class:`waveback.solver.Solver`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from . import attenuation_kernels, cpml_kernels, kernels
from .attenuation import memory_coefficients
from .boundaries import cpml_coefficients, layer_depth, sponge_factor
from .density import DensityOperator
from .interpolation import shape3 as _shape3
from .stencils import first_derivative_coefficients, second_derivative_coefficients
from .wavelets import check_time_step

#: Points per wavelength at the wavelet's highest significant frequency below which the
#: dispersion of each Laplacian order becomes visible (about 1 % phase error).
MIN_POINTS_PER_WAVELENGTH = {2: 10.0, 4: 6.0, 6: 4.5, 8: 4.0, 10: 3.5, 12: 3.3, 14: 3.1, 16: 3.0}


@dataclass
class State:
    """Everything one time step reads and writes: the two time levels, CPML memory and, with
    attenuation, the memory variables :math:`r_l^{n-1/2}` (one ``(L, *shape)`` array)."""

    u: np.ndarray
    u_prev: np.ndarray
    psi: tuple = ()
    zeta: tuple = ()
    memory: tuple = ()


class Propagator:
    """The constant coefficients of one ``(model, dt)`` pair and the forward time step.

    Parameters
    ----------
    model : Model
    dt : float
        Time step (s); refused above ``model.critical_dt()``.
    """

    def __init__(self, model, dt):
        dt = check_dt(model, dt)
        self.model, self.dt = model, dt
        dtype = model.dtype
        self.shape = _shape3(model.padded_shape)
        self.array_axes = (0, 2) if model.ndim == 2 else (0, 1, 2)
        self.relaxation = None if model.attenuation is None else _relaxation(model, dt)
        vp = model.pad(model.relaxed_velocity).reshape(self.shape)
        self.w2 = (dt**2 * vp**2).astype(dtype)
        r = model.halo
        c2 = second_derivative_coefficients(model.space_order)
        g1 = first_derivative_coefficients(model.space_order)
        zero = (dtype.type(0),)
        c, g = [zero, zero, zero], [zero, zero, zero]
        self.sponge = [np.ones(n, dtype) for n in self.shape]
        prof = [(np.zeros(n, dtype), np.zeros(n, dtype)) for n in self.shape]
        near = [np.zeros(n, dtype) for n in self.shape]
        self.free_columns = (0, self.shape[2] - 2 * r)
        for axis, ax3 in enumerate(self.array_axes):
            h = model.spacing[axis]
            c[ax3] = tuple(dtype.type(v) for v in c2 / h**2)
            g[ax3] = tuple(dtype.type(v) for v in g1 / h)
            lo, hi = model.pads[axis]
            xi = layer_depth(self.shape[ax3], lo, hi, r, model.nbl)
            if model.boundary == "sponge":
                s = sponge_factor(xi, h, model.nbl, dt, model.pml_velocity, model.reflection)
                self.sponge[ax3] = (1.0 / (1.0 + s)).astype(dtype)
                if ax3 == 2:
                    self.free_columns = (lo - r, self.shape[2] - hi - r)
            else:
                a, b = cpml_coefficients(
                    xi, h, model.nbl, dt, model.pml_velocity, model.pml_frequency, model.reflection
                )
                prof[ax3] = (a.astype(dtype), b.astype(dtype))
                near[ax3] = _dilate(xi > 0, r).astype(dtype)
                if ax3 == 2:
                    n = self.shape[2]
                    self.x_slabs = ((r, lo), (n - hi, n - r))
                    self.x_near = _ranges(near[2] != 0)
        self.c, self.g, self.prof, self.near = tuple(c), tuple(g), tuple(prof), tuple(near)
        #: The z rows onto which the transposed CPML folds the mirrored halo rows (nonzero only
        #: under a free surface with a z slab within ``2r`` rows of it: a model thinner than
        #: ``r`` points; see :func:`_mirror_folds`).
        self.fold = (_mirror_folds(prof[0][0], r) & model.free_surface).astype(dtype)
        self.cpml_axes = self.array_axes if model.boundary == "cpml" else ()
        ry = r if model.ndim == 3 else 0
        self.halos = (r, ry, r)
        self.box = np.array([r, self.shape[0] - r, ry, self.shape[1] - ry, r, self.shape[2] - r])
        regions = memory_regions(model)
        self.memory_regions = regions
        self.memory_offsets, self.memory_sizes = zip(
            *(_memory_offsets(n, reg) for n, reg in zip(self.shape, regions, strict=True)),
            strict=True,
        )
        split = 0 if model.ndim == 2 else 1  # the axis that work_boxes divides
        whole = [(max(a, r), min(b, self.shape[split] - r)) for a, b in regions[split]]
        self.boxes = kernels.work_boxes(
            self.shape, r, ry, numba.get_num_threads(), whole=whole, itemsize=dtype.itemsize
        )
        self.density = None if model.rho is None else DensityOperator(self)
        #: The field ``W`` of the adjoint variable ``q = W K lambda``: ``w2``, times ``rho``
        #: with a density (see :mod:`waveback.physics.density`).
        self.wq = self.w2 if self.density is None else self.density.wrho

    def new_state(self) -> State:
        """Zero wavefields and CPML memory variables, shaped as :func:`state_shapes` says."""
        u, u_prev, psi, zeta, memory = state_shapes(self.model)
        dtype = self.model.dtype
        return State(
            np.zeros(u, dtype),
            np.zeros(u_prev, dtype),
            tuple(np.zeros(s, dtype) for s in psi),
            tuple(np.zeros(s, dtype) for s in zeta),
            tuple(np.zeros(s, dtype) for s in memory),
        )

    def step(self, state: State, src=None, add=None, out=None) -> None:
        """Advance ``state`` by one time step, injecting ``src = (idx, weights, amps)``.

        ``add`` (a padded field) is added to :math:`u^{n+1}` before the free-surface mirror
        (the secondary source of Born modelling). :math:`u^{n+1}` overwrites ``state.u_prev``,
        or is written to ``out`` if given (a slot of a stored history, whose halo must be zero:
        only the non-halo points are written). On return ``state.u`` holds :math:`u^{n+1}` and
        ``state.u_prev`` :math:`u^n`.
        """
        u, u_prev = state.u, state.u_prev
        u_next = u_prev if out is None else out
        u_prev = None if out is None else u_prev
        relax = () if self.relaxation is None else (state.memory[0], *self.relaxation)
        if self.density is not None:
            self.density.step(u, u_next if u_prev is None else u_prev, u_next, state.psi,
                              state.zeta, relax)  # fmt: skip
        elif self.cpml_axes:
            cpml_kernels.forward_step(
                u,
                u_prev,
                u_next,
                self.w2,
                *self.c,
                *self.g,
                *(p for ab in self.prof for p in ab),
                *self.sponge,
                *state.psi,
                *state.zeta,
                *self.memory_offsets,
                *self.x_slabs[0],
                *self.x_slabs[1],
                self.boxes,
                *relax,
            )
        elif relax:
            attenuation_kernels.relaxed_step(
                u, u_prev, u_next, self.w2, *self.c, *self.sponge, *relax, self.boxes
            )
        else:
            kernels.laplacian_step(
                u, u_prev, u_next, self.w2, *self.c, *self.sponge, *self.free_columns, self.boxes
            )
        if src is not None and relax:
            weights, _, gain, half = self.relaxation
            attenuation_kernels.inject_relaxed(
                u_next, relax[0], *src, self.wq, *self.sponge, weights, gain, half
            )
        elif src is not None:
            kernels.inject(u_next, *src)
        if add is not None:
            u_next += add
        if self.model.free_surface:
            kernels.mirror_free_surface(u_next, self.model.halo)
        state.u, state.u_prev = u_next, state.u

    def adjoint_step(
        self, state: State, rec=None, image=None, fields=None, flux_images=None
    ) -> None:
        """One time step of the exact transpose of :meth:`step`, backwards in time.

        The adjoint is carried in the variable :math:`q = w_2 K \\lambda` (``K`` the sponge
        factor, 1 elsewhere), in which the transpose of the interior update is the forward
        update itself: ``state.u`` holds :math:`q^n`, ``state.u_prev`` :math:`q^{n+1}`, and on
        return ``state.u`` holds :math:`q^{n-1}`. ``state.psi``/``state.zeta`` carry the adjoint
        CPML memory (:func:`waveback.cpml_kernels.adjoint_step`, beside its forward). The
        free-surface mirror is its own transpose in this variable (image method: the Laplacian
        of the mirrored field equals the folded transpose). ``rec = (idx, weights, amps)``
        injects the data residual at time ``n`` with weights ``S * w2 * K`` (see
        :meth:`receiver_adjoint_weights`). With ``image`` (a padded field) and
        ``fields = (u^{n+1}, u^n, u^{n-1})`` of the forward pass, the same sweep adds
        :math:`q^n D^n` to ``image`` on the updated points, one step of the gradient's imaging
        condition (:math:`D^n` as in :meth:`born_scale`). With a density the adjoint variable is
        :math:`q = w_2 \\rho K \\lambda` (:attr:`wq`) and ``flux_images`` (one padded field per
        axis) collects the buoyancy part of the density gradient
        (:meth:`waveback.physics.density.DensityOperator.adjoint_step`).
        """
        q, q_next = state.u, state.u_prev
        if self.relaxation is not None:  # the operator acts on g_bar, the relaxation's transpose
            q, q_image, image = self._relaxed_drive(q, state.memory[0]), image, None
        if self.density is not None:
            self.density.adjoint_step(q, q_next, state.psi, state.zeta, image, fields, flux_images)
        elif self.cpml_axes:
            cpml_kernels.adjoint_step(
                q,
                q_next,
                self.w2,
                *self.c,
                *self.g,
                *(p for ab in self.prof for p in ab),
                *self.near[:2],
                self.fold,
                *self.sponge,
                *state.psi,
                *state.zeta,
                *self.memory_offsets,
                *self.x_slabs[0],
                *self.x_slabs[1],
                *self.x_near[0],
                *self.x_near[1],
                self.boxes,
                image,
                fields,
            )
        else:
            kernels.laplacian_step(
                q,
                None,
                q_next,
                self.w2,
                *self.c,
                *self.sponge,
                *self.free_columns,
                self.boxes,
                image,
                fields,
            )
        if self.relaxation is not None:
            q, g_bar = state.u, q
            attenuation_kernels.restore_inertia(q_next, q, g_bar, *self.sponge, self.box)
            if q_image is not None:
                attenuation_kernels.scatter_image(q_image, q, *fields, *self.sponge, self.box)
        if rec is not None:
            kernels.inject(q_next, *rec)
        if self.model.free_surface:
            kernels.mirror_free_surface(q_next, self.model.halo)
        state.u, state.u_prev = q_next, q

    def _relaxed_drive(self, q, memory):
        """:math:`\\bar g` of the adjoint variable ``q`` (moving the adjoint memory back one
        step), mirrored under a free surface like ``q``, in a scratch field."""
        if getattr(self, "_g_bar", None) is None:
            self._g_bar = np.zeros(self.shape, self.model.dtype)
        attenuation_kernels.relaxed_adjoint_drive(q, self._g_bar, memory, *self.relaxation,
                                                  self.box)  # fmt: skip
        if self.model.free_surface:
            kernels.mirror_free_surface(self._g_bar, self.model.halo)
        return self._g_bar

    def read_source(self, state, idx, weights, out) -> None:
        """The wavelet adjoint at step ``n`` from the adjoint state, before its step ``n``:
        ``out = S q`` with :meth:`source_adjoint_weights`; with attenuation, the sources sit in
        the drive, so ``S`` reads :math:`\\bar g` (:func:`~waveback.physics.
        attenuation_kernels.sample_relaxed`)."""
        if self.relaxation is None:
            kernels.sample(state.u, idx, weights, out)
        else:
            weights_a, _, gain, half = self.relaxation
            attenuation_kernels.sample_relaxed(
                state.u, state.memory[0], idx, weights, weights_a, gain, half, out
            )

    def injection_adjoint(self, state, idx):
        """What the density gradient correlates with the values injected at the flat points
        ``idx`` in step ``n``, from the adjoint state before its step ``n``: :math:`q^n`, or
        with attenuation :math:`K\\bar g^n` (the sources sit in the drive, as ``s / rho``;
        see :mod:`waveback.physics.density`). Model dtype, shaped like ``idx``."""
        if self.relaxation is None:
            return state.u.reshape(-1)[idx]
        weights_a, _, gain, half = self.relaxation
        points = idx.reshape(-1, 1)
        g_bar = np.zeros(points.shape[0], self.model.dtype)
        ones = np.ones(points.shape, self.model.dtype)
        attenuation_kernels.sample_relaxed(
            state.u, state.memory[0], points, ones, weights_a, gain, half, g_bar
        )
        return g_bar.reshape(idx.shape) * self.sponge_factor_at(idx)

    def born_scale(self) -> np.ndarray:
        """``1 / (m w2 K)`` on the updated points (0 in the halo), float64, padded shape.

        The forward update depends on ``m`` only through ``w2 = dt² / m``, and every term that
        carries ``w2`` is the update minus its ``m``-free part ``2K u^n - (2K - 1) u^{n-1}``, so
        :math:`\\partial u^{n+1} / \\partial m = -D^n / m` pointwise with
        :math:`D^n = u^{n+1} - 2K u^n + (2K - 1) u^{n-1}`. In the adjoint variable
        ``q = w2 K lambda`` the gradient is then :math:`-\\sum_n D^n q^n / (m w_2 K)`.
        """
        m = self.model.pad(self.model.m).reshape(self.shape)
        scale = 1.0 / (m * self.wq.astype(np.float64) * self.sponge_field())
        return np.where(self.updated_mask(), scale, 0.0)

    def updated_mask(self) -> np.ndarray:
        """Boolean padded field, True on the points the update writes (everything but halos)."""
        mask = np.zeros(self.shape, bool)
        mask[tuple(slice(r, n - r) for n, r in zip(self.shape, self.halos, strict=True))] = True
        return mask

    def sponge_field(self) -> np.ndarray:
        """The sponge factor ``K`` on the whole padded grid, float64 (1 outside sponges)."""
        kz, ky, kx = self.sponge  # the product in the model's dtype, as sponge_factor_at
        return (kz[:, None, None] * ky[None, :, None] * kx[None, None, :]).astype(np.float64)

    def sponge_factor_at(self, idx):
        """The sponge factor ``K = 1 / (1 + s)`` at flat padded indices (1 outside sponges)."""
        iz, iy, ix = np.unravel_index(idx, self.shape)
        return self.sponge[0][iz] * self.sponge[1][iy] * self.sponge[2][ix]

    def receiver_adjoint_weights(self, idx, weights):
        """Weights ``S * wq * K`` that inject a data residual into the adjoint variable."""
        w2 = self.wq.reshape(-1)[idx].astype(np.float64)
        return (weights * w2 * self.sponge_factor_at(idx)).astype(self.model.dtype)

    def source_adjoint_weights(self, idx, weights):
        """Weights ``W / (ΔV K)`` that read the wavelet adjoint from the adjoint variable
        (``W / (ΔV K rho)`` with a density); with attenuation ``W / ΔV`` (``W / (ΔV rho)``),
        read from :math:`\\bar g` (see :meth:`read_source`)."""
        cell = float(np.prod(self.model.spacing))
        if self.density is not None:
            cell = cell * self.density.rho.reshape(-1)[idx]
        if self.relaxation is not None:
            return (weights / cell).astype(self.model.dtype)
        return (weights / (cell * self.sponge_factor_at(idx))).astype(self.model.dtype)

    def source_weights(self, idx, weights):
        """Injection weights ``W * dt² v² / ΔV`` of a point stencil, in the model's dtype."""
        cell = float(np.prod(self.model.spacing))
        return (weights * self.w2.reshape(-1)[idx].astype(np.float64) / cell).astype(
            self.model.dtype
        )

    def embed(self, field) -> np.ndarray:
        """A model-shaped field placed on the padded grid (zero in the layers)."""
        out = np.zeros(self.model.padded_shape, self.model.dtype)
        out[self.model.interior] = field
        return out.reshape(self.shape)

    def interior(self, padded) -> np.ndarray:
        """The model-shaped part of a padded field."""
        return padded.reshape(self.model.padded_shape)[self.model.interior]


def check_dt(model, dt) -> float:
    """``dt`` as a float, refused with the stable limit when above ``model.critical_dt()``."""
    dt = check_time_step(dt)
    limit = model.critical_dt()
    if dt > limit:
        raise ValueError(
            f"dt = {dt:.6g} s is unstable for this model: the largest stable time step for "
            f"space_order={model.space_order} in {model.ndim}D with "
            f"vmax = {float(model.fastest_velocity.max()):.6g} m/s "
            f"is {limit:.6g} s; use dt <= {limit:.6g} (e.g. {0.9 * limit:.3g})"
        )
    return dt


def _relaxation(model, dt) -> tuple:
    """``(weights, decay, gain, half)`` of the memory update: the per-point weights
    :math:`a_l` padded ``(L, *padded)`` and the coefficients of
    :func:`~waveback.physics.attenuation.memory_coefficients`, in the model's dtype."""
    sls = model.sls
    weights = np.broadcast_to(
        sls.weights.reshape(sls.weights.shape + (1,) * (model.ndim + 1 - sls.weights.ndim)),
        (sls.n_mechanisms, *model.shape),
    )
    padded = np.stack([model.pad(a) for a in weights])
    padded = padded.reshape(sls.n_mechanisms, *_shape3(model.padded_shape))
    coefficients = memory_coefficients(sls, dt, model.dtype)  # tuples: one unrolled loop per L
    return (
        np.ascontiguousarray(padded, model.dtype),
        *(tuple(model.dtype.type(v) for v in c) for c in coefficients),
    )


def _dilate(mask, r):
    """``mask`` grown by ``r`` points on each side, never into the ``r``-point halo."""
    out = np.zeros_like(mask)
    for k in range(-r, r + 1):
        out |= np.roll(mask, k)
    out[:r] = False
    out[len(out) - r :] = False
    return out


def _mirror_folds(a, r):
    """The rows ``r < i <= 2r`` whose mirror images ``2r - i`` about a free surface on row ``r``
    lie within ``r`` rows of a point where the profile ``a`` is non-zero.

    The forward CPML stencils of those slab points read the mirrored pressure on the halo rows
    ``2r - i``; the transposed step folds their terms back onto row ``i``
    (:func:`waveback.physics.cpml_kernels.adjoint_step`). A slab lies that close to the surface
    only on a model less than ``r`` points deep.
    """
    fold = np.zeros(len(a), bool)
    for i in range(r + 1, min(2 * r, len(a) - 1) + 1):
        fold[i] = np.any(a[2 * r - i + 1 : 3 * r - i + 1] != 0)
    return fold


def _ranges(mask):
    """The (at most two) runs of True in a 1D mask as ``((start, stop), (start, stop))``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    runs = [tuple(int(e) for e in edges[i : i + 2]) for i in range(0, len(edges), 2)]
    runs += [(0, 0)] * (2 - len(runs))
    return tuple(runs)


def state_shapes(model) -> tuple:
    """The shapes of a :class:`State`'s arrays: ``(u, u_prev, psi shapes, zeta shapes,
    memory shapes)`` (the last empty without attenuation).

    The CPML memory of an axis is stored for its slabs only (:func:`memory_regions`, layout in
    :mod:`waveback.cpml_kernels`): as many points along that axis as its regions hold, full
    size along the others; an axis without CPML gets a 1-point dummy. Memory estimates read
    the sizes from here without allocating. A model with a density stores its memory the same
    way (:mod:`waveback.physics.density_kernels`).
    """
    shape = _shape3(model.padded_shape)
    aux = []
    for ax, regions in enumerate(memory_regions(model)):
        size = sum(stop - start for start, stop in regions)
        aux.append(shape[:ax] + (size,) + shape[ax + 1 :] if regions else (1, 1, 1))
    return shape, shape, tuple(aux), tuple(aux), _memory_shapes(model)


def _memory_shapes(model) -> tuple:
    """``((L, *padded),)`` for the memory variables of an attenuating model, else ``()``."""
    if model.attenuation is None:
        return ()
    return ((model.sls.n_mechanisms, *_shape3(model.padded_shape)),)


def memory_regions(model) -> tuple:
    """Per padded array axis (z, y, x), the index ranges where CPML memory is stored.

    Each slab (the pad beyond the ``r``-point halo) is widened by ``2r`` zeros toward the
    model, the reach of the transposed stencils; where the two ranges of an axis would meet
    they become one range over the whole axis. Empty for axes without CPML.
    """
    shape, r = _shape3(model.padded_shape), model.halo
    axes = (0, 2) if model.ndim == 2 else (0, 1, 2)
    regions = [[], [], []]
    if model.boundary != "cpml":
        return tuple(regions)
    for axis, ax3 in enumerate(axes):
        (lo, hi), n = model.pads[axis], shape[ax3]
        if lo > r:
            regions[ax3].append((0, min(n, lo + 2 * r)))
        if hi > r:
            regions[ax3].append((max(0, n - hi - 2 * r), n))
        if len(regions[ax3]) == 2 and regions[ax3][0][1] >= regions[ax3][1][0]:
            regions[ax3] = [(0, n)]
    return tuple(tuple(reg) for reg in regions)


def _memory_offsets(n, regions):
    """``(off, size)``: padded index ``t`` of a region is stored at ``t - off[t]``."""
    off = np.zeros(n, np.int64)
    size = 0
    for start, stop in regions:
        off[start:stop] = start - size
        size += stop - start
    return off, size
