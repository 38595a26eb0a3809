"""The variable-density operator: staggered discretisation, its exact transpose, its derivatives.

Solves :math:`m\\,\\partial_t^2 p - \\rho\\nabla\\cdot(\\rho^{-1}\\nabla p) = s` with the leapfrog
of :mod:`waveback.propagation` and the same source convention (injection of
:math:`w\\,W^T e_s/\\Delta V` times :math:`\\Delta t^2 v^2`, so a source in a region of constant
density radiates today's constant-density wave), with the spatial operator

.. math:: L p = \\rho \\sum_a D^-_a \\big(B_a D^+_a p\\big), \\qquad D^-_a = -(D^+_a)^T,

``D+`` the staggered first derivative of order ``space_order``
(:func:`waveback.stencils.staggered_coefficients`) from integer to half points and ``B_a`` the
buoyancy at the half points of axis ``a``, the arithmetic mean of :math:`b = 1/\\rho` of the two
neighbours: :math:`B_{i+1/2} = (1/\\rho_i + 1/\\rho_{i+1})/2`. A density jump between rows ``i``
and ``i + 1`` therefore acts as an interface at ``i + 1/2``. With constant ``rho`` the operator
is the staggered Laplacian :math:`\\sum_a D^-_a D^+_a` (not the centred one of the constant-density
scheme: traces differ by the discretisation error only).

**Halo.** The composite stencil reaches ``2M - 1`` points (``M = space_order / 2``), beyond the
``M``-point halo. Fluxes are computed only on the half points whose ``D+`` taps exist
(``M - 1 <= j <= n - 1 - M`` along the axis, on the non-halo points of the other axes) and are
zero elsewhere; ``D+`` restricted to those rows and ``D- = -(D+)^T`` keep
:math:`\\sum_a (D^+_a)^T B_a D^+_a` exactly symmetric. These half points lie in the halo and the
absorbing layers, away from the model.

**Free surface.** The pressure is mirrored oddly about the surface row ``r`` as in the
constant-density scheme; the z flux is computed on the half points below the surface and
mirrored evenly above it (:math:`F_{r-1/2-k} = F_{r+1/2+k}`), which is the flux of the odd
pressure for buoyancy mirrored about the surface. The update of the rows below the surface is
then the infinite-grid operator applied to the odd field, which commutes with the reflection:
the mirror stays its own transpose in the adjoint variable.

**CPML.** Memory on the first derivatives, with the profiles of
:func:`waveback.boundaries.cpml_coefficients` evaluated at half (``a_h, b_h``) and integer
(``a_i, b_i``) points: :math:`\\psi_a \\leftarrow b_h\\psi_a + a_h B_a D^+_a p` and
:math:`F_a = B_a D^+_a p + \\psi_a` (``psi`` holds the convolution of the flux, i.e. ``B`` times
the usual memory of ``D+p``; ``B`` is constant in time, so it is the same PML, and a step's
derivative with respect to ``rho`` then reads only the pressure), then
:math:`\\zeta_a \\leftarrow b_i\\zeta_a + a_i D^-_a F_a` and
:math:`L p = \\rho\\sum_a (D^-_a F_a + \\zeta_a)`. Memory is stored on the slabs only, packed
as the constant-density CPML's (:func:`waveback.physics.propagation.memory_regions`), so a state
has the same shapes with or without a density. The sponge is the constant-density one.

**Kernels.** One step is one fused sweep (:mod:`waveback.physics.density_kernels`): the fluxes
live in a ring buffer of ``2M`` half planes along z, a plane buffer along y and a row buffer
along x, nothing of grid size is written but the new pressure and the memory, and the result
does not depend on the work partition or the thread count. ``B_a`` is formed in the model's
dtype from ``b = 1/rho`` (:attr:`DensityOperator.buoyancy` gives the same values).

**Adjoint.** In :math:`q = \\Delta t^2 v^2 \\rho K \\lambda` the transposed interior update is the
forward update (``W L = \\Delta t^2\\kappa D^- B D^+`` with :math:`\\kappa = \\rho v^2`, and
:math:`(W L)^T = D^- B D^+ \\kappa\\Delta t^2`); the CPML transposes as in
:mod:`waveback.physics.density_kernels`.

**Derivatives.** ``m`` enters through :math:`w_2 = \\Delta t^2/m` only, exactly as in the
constant-density scheme. ``rho`` enters a step at fixed state through the factor in front and
through ``B``: with :math:`D^n = p^{n+1} - 2Kp^n + (2K - 1)p^{n-1}` and :math:`S^n` the injected
source values,

.. math:: \\partial_\\rho p^{n+1}\\,\\delta\\rho = \\frac{\\delta\\rho}{\\rho}(D^n - S^n)
          + K w_2\\rho\\sum_a (1 + a_i) D^-_a T_a, \\quad T_a = (1 + a_h)\\,\\delta B_a D^+_a p^n,

and the memory moves by :math:`\\delta\\psi_a = a_h\\delta B_a D^+_a p^n`,
:math:`\\delta\\zeta_a = a_i D^-_a T_a`, with
:math:`\\delta B_{i+1/2} = -(\\delta\\rho_i/\\rho_i^2 + \\delta\\rho_{i+1}/\\rho_{i+1}^2)/2`.
The transpose (the gradient) correlates :math:`q^n (D^n - S^n)/(K w_2\\rho^2)` at integer
points and :math:`-\\,D^+_a p^n \\cdot F^\\dagger_a / B_a` at half points (``F†`` the transposed
flux of the adjoint step, :math:`B_a(H - a_h\\ell_\\psi)`), then folds the half-point terms onto
``rho`` through the mean of ``1/rho``.

**Density with attenuation** (``Model(rho=..., attenuation=...)``). The relaxation of
:mod:`waveback.physics.attenuation_kernels` acts on the drive
:math:`\\tilde g = \\sum_a (D^-_a F_a + \\zeta_a) + s/\\rho`, i.e. on :math:`(L p + s)/\\rho`, and

.. math:: p^{n+1} = K\\big(2p^n + w_2\\rho\\,\\tilde h^n\\big) - (2K - 1)p^{n-1}, \\qquad
          \\tilde h = \\Big(1 + \\sum_l \\eta_l a_l\\Big)\\tilde g - \\sum_l \\eta_l \\tilde r_l,
          \\quad \\tilde r_l \\leftarrow e_l\\tilde r_l + b_l a_l\\tilde g,

with :math:`w_2 = \\Delta t^2 v_R^2` (the relaxed velocity). The relaxation being pointwise and
linear, this is the attenuating scheme of :math:`L p + s` with the memory variables
:math:`r_l = \\rho\\tilde r_l`: the memory is kept in the units of the kernel's per-row
divergence, so the fused sweep relaxes it where it is computed
(:func:`waveback.physics.density_kernels.forward_step` with the memory arguments). Sources
are added to the drive after the sweep as :math:`s/\\rho`
(:func:`~waveback.physics.attenuation_kernels.inject_relaxed` with ``w2 rho``); the adjoint
reads them from :math:`\\bar g` with the weights :math:`W/(\\Delta V\\rho)`.

The transposed step is composed as without a density: :math:`\\bar g` from
:math:`q = w_2\\rho K\\lambda` (:math:`\\bar h = q`) and the adjoint memory, the transposed
density step on :math:`\\bar g`, then the inertial term. ``m`` still enters through
:math:`w_2` only (the solid held fixed). At fixed state ``rho`` moves a step through the factor
:math:`w_2\\rho`, through ``B`` and through the source's share :math:`s/\\rho` of the drive:

.. math:: \\partial_\\rho p^{n+1}\\,\\delta\\rho = \\frac{\\delta\\rho}{\\rho} D^n
          + K w_2\\rho\\Big(1 + \\sum_l \\eta_l a_l\\Big)\\delta\\tilde g, \\qquad
          \\delta\\tilde r_l = b_l a_l\\,\\delta\\tilde g, \\qquad
          \\delta\\tilde g = \\sum_a (1 + a_i) D^-_a T_a - \\frac{\\delta\\rho}{\\rho}\\,
          \\frac{S^n}{w_2\\rho},

(``D`` now holds the whole relaxed increment, source included, so no ``- S`` in the first
term; the CPML memory moves as above). The Born step puts :math:`\\delta\\tilde g` through the
relaxation of the linearised state (:meth:`waveback.physics.solver.Solver.born`). Its
transpose pairs :math:`\\delta\\tilde g` with :math:`\\bar g` instead of ``q``: the flux images
of the transposed density step run on :math:`\\bar g` are right as they are, and the source
term correlates :math:`K\\bar g^n S^n` (:meth:`~waveback.physics.propagation.Propagator.
injection_adjoint`) where the density alone correlates :math:`q^n S^n`, with the same scale
in :meth:`DensityOperator.rho_gradient`.
"""

from __future__ import annotations

import numpy as np

from . import density_kernels as dk
from .boundaries import cpml_coefficients, layer_depth
from .stencils import staggered_coefficients


class DensityOperator:
    """The constants of the variable-density step of one :class:`~waveback.Propagator`.

    Parameters
    ----------
    prop : Propagator
        A propagator of a model with ``rho``; its ``w2``, sponge factors and shape are used.
    """

    def __init__(self, prop):
        model, shape, dtype = prop.model, prop.shape, prop.model.dtype
        self.prop, self.axes = prop, prop.array_axes
        r = model.halo
        rho = model.pad(model.rho.astype(np.float64)).reshape(shape)
        vp = model.pad(model.relaxed_velocity).reshape(shape)
        self.rho = rho
        self.wrho = (prop.dt**2 * vp**2 * rho).astype(dtype)
        #: ``1/rho`` in the model's dtype; the kernels form ``B_a`` from it (:attr:`buoyancy`).
        self.b = (1.0 / rho).astype(dtype)
        beta = staggered_coefficients(model.space_order)
        self.beta = [tuple(dtype.type(v) for v in beta)] * 3
        self.prof_h = [(np.zeros(1, dtype), np.zeros(1, dtype))] * 3
        self.prof_i = [(np.zeros(1, dtype), np.zeros(1, dtype))] * 3
        self.near = [np.zeros(1, np.bool_)] * 3
        ry = r if model.ndim == 3 else 0
        self.box = np.array([r, shape[0] - r, ry, shape[1] - ry, r, shape[2] - r], np.int64)
        self.flux_boxes = [None] * 3
        for axis, ax3 in enumerate(self.axes):
            h, n = model.spacing[axis], shape[ax3]
            self.beta[ax3] = tuple(dtype.type(v / h) for v in beta)
            box = self.box.copy()
            box[2 * ax3 : 2 * ax3 + 2] = (r if ax3 == 0 and model.free_surface else r - 1, n - r)
            self.flux_boxes[ax3] = box
            if model.boundary == "cpml":
                lo, hi = model.pads[axis]
                args = (h, model.nbl, prop.dt, model.pml_velocity, model.pml_frequency)
                args += (model.reflection,)
                a_i, b_i = cpml_coefficients(layer_depth(n, lo, hi, r, model.nbl), *args)
                a_h, b_h = cpml_coefficients(half_depth(n, lo, hi, r, model.nbl), *args)
                self.prof_i[ax3] = (a_i.astype(dtype), b_i.astype(dtype))
                self.prof_h[ax3] = (a_h.astype(dtype), b_h.astype(dtype))
                reach = np.convolve(a_i != 0, np.ones(2 * r), mode="full")[r : r + n] > 0
                self.near[ax3] = reach | (a_h != 0)
        if model.free_surface and model.boundary == "cpml":  # mirrored fluxes carry no memory
            _check_depth_under_free_surface(model, self.prof_h[0][0])
        # The x ranges of the half-point profile, the integer-point profile and ``near``,
        # within the half points of the fluxes and the updated points.
        x_runs = [self.prof_h[2][0] != 0, self.prof_i[2][0] != 0, self.near[2].copy()]
        if x_runs[0].size > 1:
            inside = np.zeros(shape[2], bool)
            inside[r - 1 : shape[2] - r] = True
            x_runs = [x_runs[0] & inside, x_runs[1] & inside, x_runs[2] & inside]
            x_runs[1][r - 1] = False
        # The columns (counted from the first non-halo one) free of damping (and of x memory):
        # there the update is fused (see density_kernels._row).
        undamped = prop.sponge[2][r : shape[2] - r] == 1
        no_memory = undamped & ~x_runs[1][r : shape[2] - r] if x_runs[1].size > 1 else undamped
        free = [_longest_run(no_memory), _longest_run(undamped)]
        self.runs = np.array([_runs(mask) for mask in x_runs] + [free], np.int64)

    @property
    def buoyancy(self):
        """``B_a`` on the half points of each axis, as the kernels form it (model dtype):
        ``(b[j] + b[j + 1]) / 2`` along the axis, 0 on the last point."""
        out = [np.zeros((1, 1, 1), self.b.dtype)] * 3
        half = self.b.dtype.type(0.5)
        for ax in self.axes:
            n = self.prop.shape[ax]
            lo, up = [slice(None)] * 3, [slice(None)] * 3
            lo[ax], up[ax] = slice(0, n - 1), slice(1, n)
            out[ax] = np.zeros_like(self.b)
            out[ax][tuple(lo)] = half * (self.b[tuple(lo)] + self.b[tuple(up)])
        return out

    # --- The step and its transpose. ---------------------------------------------------------

    def _constants(self):
        """The kernels' arguments after the memory: profiles, ``near``, offsets, ranges."""
        profiles = (*(p for ab in self.prof_h for p in ab), *(p for ab in self.prof_i for p in ab))
        return (*profiles, *self.near, *self.prop.memory_offsets, self.runs,
                int(self.prop.model.free_surface), self.prop.boxes)  # fmt: skip

    def step(self, u, u_prev, u_next, psi, zeta, relax=()):
        """``u_next <- K (2u + w2 L u) - (2K - 1) u_prev`` with CPML memory ``psi``, ``zeta``
        (one fused sweep, :func:`waveback.physics.density_kernels.forward_step`); with
        ``relax = (memory, weights, decay, gain, half)`` the attenuating step, ``L u / rho``
        relaxed by the memory variables (see the module docstring)."""
        u_prev = None if u_prev is u_next else u_prev  # in place: its own specialisation
        dk.forward_step(u, u_prev, u_next, self.wrho, self.b, *self.beta, *self.prop.sponge, *psi,
                        *zeta, *self._constants(), *relax)  # fmt: skip

    def adjoint_step(self, q, q_next, lpsi, lzeta, image=None, fields=None, flux_images=None):
        """The exact transpose of :meth:`step` in ``q = w2 rho K lambda``: ``q_next`` holds
        :math:`q^{n+1}` on entry and :math:`q^{n-1}` on return.

        With ``image`` and ``fields = (u^{n+1}, u^n, u^{n-1})`` adds :math:`q^n D^n`; with
        ``flux_images`` (one padded field per axis) adds :math:`D^+_a u^n \\cdot F^\\dagger_a`,
        the buoyancy part of the density gradient (see :meth:`rho_gradient`).
        """
        images = (self.prop.sponge[0][:1].reshape(1, 1, 1),) * 3  # size 1: no flux images
        images = images if flux_images is None else tuple(flux_images)
        fu = q if flux_images is None else fields[1]
        dk.adjoint_step(q, q_next, self.wrho, self.b, *self.beta, *self.prop.sponge, *lpsi, *lzeta,
                        *self._constants(), image, fields, *images, fu)  # fmt: skip

    # --- Derivatives with respect to rho. ----------------------------------------------------

    def _mirror_flux(self, f):
        """Even mirror of the z flux about the free surface: ``F[j] = F[2r - 1 - j]``, j < r."""
        if self.prop.model.free_surface:
            r = self.prop.model.halo
            f[:r] = f[r : 2 * r][::-1]

    def _pack(self, field, ax):
        """A padded memory field in the slab storage of axis ``ax`` (see ``memory_regions``)."""
        idx = np.concatenate([np.arange(a, b) for a, b in self.prop.memory_regions[ax]])
        return np.take(field, idx, axis=ax)

    def buoyancy_perturbation(self, drho):
        """``dB_a`` at the half points of each axis for a padded ``drho`` (float64)."""
        db = -drho / self.rho**2
        out = [None] * 3
        for ax in self.axes:
            n = self.prop.shape[ax]
            inner = [slice(None)] * 3
            inner[ax] = slice(0, n - 1)
            half = np.zeros(self.prop.shape)
            half[tuple(inner)] = 0.5 * (db[tuple(inner)] + np.roll(db, -1, ax)[tuple(inner)])
            out[ax] = half
        return out

    def born_terms(self, u, dbuoy):
        """The ``rho`` part of one linearised step at fixed state, from the pressure ``u^n``.

        Returns ``(dacc, dpsi, dzeta)``: the perturbation of ``L u / rho``,
        ``dacc = sum_a (1 + a_i) D-T_a`` (float64, padded; ``p^{n+1}`` moves by ``K w2 rho``
        times it, or its relaxation with attenuation) and the memory increments per axis (None
        without CPML), ``T_a = (1 + a_h) dB_a D+u`` (see the module docstring; the
        ``(D - S) drho/rho`` term is the caller's).
        """
        dtype = self.prop.model.dtype
        add = np.zeros(self.prop.shape)
        dpsi, dzeta = [None] * 3, [None] * 3
        e = np.zeros(self.prop.shape, dtype)
        for ax in self.axes:
            dk.difference(e, u, self.beta[ax], ax, self.flux_boxes[ax], True)
            a_h, a_i = (self.prof_h[ax][0], self.prof_i[ax][0])
            s = dbuoy[ax] * e
            t = s * _along(1.0 + a_h.astype(np.float64), ax) if a_h.size > 1 else s
            self._mirror_flux(t)
            g = np.zeros(self.prop.shape)
            dk.difference(g, t, self.beta[ax], ax, self.box, False)
            if a_h.size > 1:
                dpsi[ax] = self._pack(s * _along(a_h.astype(np.float64), ax), ax)
                dzeta_ax = g * _along(a_i.astype(np.float64), ax)
                dzeta[ax] = self._pack(dzeta_ax, ax)
                g = g + dzeta_ax
            add += g
        return add, dpsi, dzeta

    def rho_gradient(self, image, source_image, flux_images):
        """The padded gradient with respect to ``rho`` from the sweep's images (float64).

        ``image`` is :math:`\\sum_n q^n D^n`, ``source_image`` :math:`\\sum_n q^n S^n` and
        ``flux_images[a]`` :math:`\\sum_n D^+_a p^n F^\\dagger_a`.
        """
        w2 = self.prop.w2.astype(np.float64)
        scale = 1.0 / (self.prop.sponge_field() * w2 * self.rho**2)
        g = np.where(self.prop.updated_mask(), (image - source_image) * scale, 0.0)
        for ax in self.axes:
            buoy = self.buoyancy[ax].astype(np.float64)
            g_b = -np.divide(flux_images[ax], buoy, out=np.zeros(self.prop.shape), where=buoy != 0)
            g -= (g_b + np.roll(g_b, 1, ax)) / (2.0 * self.rho**2)
        return g


def _check_depth_under_free_surface(model, a_h):
    """Refuse a CPML model with a density under a free surface whose z layer reaches the half
    planes ``r .. 2r - 1`` the mirror copies (a model at most ``r = space_order / 2`` points
    deep): those mirrored fluxes would carry memory, which the kernels do not model."""
    r = model.halo
    if a_h[r : 2 * r].any():
        raise ValueError(
            f"a model with a density, a free surface and boundary='cpml' needs more than "
            f"space_order / 2 = {r} points in depth, got {model.shape[0]}: use a deeper model, "
            f"space_order <= {2 * (model.shape[0] - 1)}, boundary='sponge' or "
            f"free_surface=False"
        )


def half_depth(n_padded, pad_lo, pad_hi, halo, nbl):
    """Normalised layer depth at the half points ``j + 1/2`` of one padded axis (0 outside
    the layers, at most 1), the half-point counterpart of
    :func:`waveback.boundaries.layer_depth`."""
    xi = np.zeros(n_padded)
    j = np.arange(n_padded)
    x = j + 0.5
    if pad_lo > halo:
        sel = (x < pad_lo) & (j >= halo - 1)
        xi[sel] = (pad_lo - x[sel]) / nbl
    if pad_hi > halo:
        last = n_padded - pad_hi - 1
        sel = (x > last) & (j <= n_padded - halo - 1)
        xi[sel] = (x[sel] - last) / nbl
    return np.minimum(xi, 1.0)


def _runs(mask):
    """The (at most two) runs of True in a 1D mask as ``[(start, stop), (start, stop)]``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    runs = [(int(edges[i]), int(edges[i + 1])) for i in range(0, len(edges), 2)]
    assert len(runs) <= 2
    return runs + [(0, 0)] * (2 - len(runs))


def _longest_run(mask):
    """The longest run of True in a 1D mask as ``(start, stop)`` (``(0, 0)`` if none)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    runs = [(int(edges[i]), int(edges[i + 1])) for i in range(0, len(edges), 2)]
    return max(runs, key=lambda run: run[1] - run[0], default=(0, 0))


def _along(profile, axis):
    return profile.reshape([-1 if ax == axis else 1 for ax in range(3)])
