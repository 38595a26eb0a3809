"""The operators of one shot, built once: forward, adjoint, Born and the gradient, side by side.

A :class:`Solver` holds what every operator of one shot geometry in one model shares: the
:class:`~waveback.propagation.Propagator` of ``(model, dt)`` (coefficients, absorbing profiles,
work partition) and the interpolation stencils of the sources and receivers with their
injection and sampling weights. Its methods are the discrete maps and their exact transposes:

- :meth:`forward`: wavelets ``(nt, nsrc)`` (or an initial pressure) → data ``(nt, nrec)``;
  its transposes are :meth:`adjoint` and :meth:`adjoint_initial_pressure`;
- :meth:`born`: a squared-slowness perturbation ``dm`` (model shape) → data,
  :math:`J\\,\\delta m`; its transpose is :meth:`gradient`, :math:`J^T r`.

The equation is :math:`m\\,\\partial_t^2 u - \\nabla^2 u = s`, ``m = 1/vp²``, discretised and
scaled as :mod:`waveback.propagation` says (a point source :math:`w(t)\\,\\delta(x - x_s)` is
injected as :math:`w(t_n) W^\\top e_s / \\Delta V` times :math:`\\Delta t^2 v^2`); the
linearisation is that of :mod:`waveback.linearised`. The public functions
:func:`waveback.forward`, :func:`waveback.adjoint`, :func:`waveback.born` and
:func:`waveback.gradient` build a solver and call one method; workflows that apply the
operators of a shot many times (:func:`waveback.born_operator`, LSRTM, the shot jobs) build it
once. The anchors' equivalent is Devito's ``AcousticWaveSolver(model, geometry)``.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

from . import checkpointing, dispersion, footprint, kernels
from .interpolation import check_points, point_stencils
from .progress import progress_bar
from .progress import time_steps as _steps
from .propagation import MIN_POINTS_PER_WAVELENGTH, Propagator, check_dt
from .wavelets import max_frequency

logger = logging.getLogger("waveback")


class Solver:
    """Forward, adjoint, Born and gradient of one shot geometry in one model.

    Parameters
    ----------
    model : Model
    dt : float
        Time step (s); refused above ``model.critical_dt()``.
    src : (nsrc, ndim) array_like or None
        Source positions (m), z first, in the model's frame; None for initial-pressure runs.
    rec : (nrec, ndim) array_like
        Receiver positions (m).
    interpolation : {"linear", "sinc"}
        Off-grid scheme for sources and receivers.
    propagator : Propagator, optional
        The propagator of this very ``(model, dt)``, to share one between the solvers of
        several shots (it holds every grid-sized coefficient); built here by default.

    Attributes
    ----------
    model : Model
    dt : float
    propagator : Propagator
    src, rec : ndarray
        The checked positions (``src`` None without sources).
    interpolation : str
    """

    def __init__(self, model, dt, src, rec, interpolation="linear", propagator=None):
        if propagator is None:
            propagator = Propagator(model, dt)
        elif propagator.model is not model or propagator.dt != check_dt(model, dt):
            raise ValueError("the propagator given was built for another model or time step")
        self.model = model
        self.propagator = prop = propagator
        self.dt = prop.dt
        self.interpolation = interpolation
        self.rec = check_points(rec, model, "rec")
        idx, w = point_stencils(self.rec, model, interpolation)
        self._sample = (idx, w.astype(model.dtype))
        self._residual = (idx, prop.receiver_adjoint_weights(idx, w))
        self.src = None if src is None else check_points(src, model, "src")
        if self.src is not None:
            idx, w = point_stencils(self.src, model, interpolation)
            self._inject = (idx, prop.source_weights(idx, w))
            self._read_sources = (idx, prop.source_adjoint_weights(idx, w))

    @classmethod
    def for_shot(cls, model, shot, dt, interpolation="linear") -> Solver:
        """The solver of a :class:`waveback.acquisition.Shot` (its ``src`` and ``rec``)."""
        return cls(model, dt, shot.src, shot.rec, interpolation)

    @property
    def nsrc(self) -> int:
        """Number of sources (0 without)."""
        return 0 if self.src is None else self.src.shape[0]

    @property
    def nrec(self) -> int:
        """Number of receivers."""
        return self.rec.shape[0]

    def forward(
        self,
        wavelet,
        *,
        initial_pressure=None,
        snapshots=None,
        progress=False,
        time_dispersion_correction=False,
    ):
        """Receiver data of the wavelets, as :func:`waveback.forward` (same parameters)."""
        if time_dispersion_correction:
            if snapshots is not None:
                raise ValueError(
                    "snapshots cannot be corrected for time dispersion: run without "
                    "time_dispersion_correction to get them"
                )
            return dispersion.corrected(
                lambda w: self.forward(w, initial_pressure=initial_pressure, progress=progress),
                check_wavelet(wavelet),
                self.dt,
            ).astype(self.model.dtype)
        model, prop = self.model, self.propagator
        amps = self.amplitudes(wavelet, initial_pressure)
        nt = amps.shape[0]
        require_forward_memory(model, nt, self.nrec, snapshots)
        wanted = {} if snapshots is None else {int(n): i for i, n in enumerate(snapshots)}
        if any(not 0 <= n < nt for n in wanted):
            raise ValueError(f"snapshots must be time indices in [0, {nt}), got {list(snapshots)}")
        if len(wanted) != (0 if snapshots is None else len(snapshots)):
            raise ValueError(f"snapshots must be distinct time indices, got {list(snapshots)}")
        state = self._start(initial_pressure)
        d = np.zeros((nt, self.nrec), model.dtype)
        fields = np.zeros((len(wanted),) + model.shape, model.dtype)
        for n in _steps(nt, progress):
            kernels.sample(state.u, *self._sample, d[n])
            if n in wanted:
                fields[wanted[n]] = prop.interior(state.u)
            prop.step(state, self.source(amps, n))
        return d if snapshots is None else (d, fields)

    def adjoint(self, data, *, progress=False, time_dispersion_correction=False):
        """Exact transpose of :meth:`forward`'s map from wavelets to data: ``(nt, nsrc)``."""
        if time_dispersion_correction:
            return dispersion.corrected_adjoint(
                lambda d: self.adjoint(d, progress=progress),
                check_data(data, self.nrec, np.float64),
                self.dt,
            ).astype(self.model.dtype)
        if self.src is None:
            raise ValueError("the adjoint of the wavelet map needs source positions (src)")
        out = []

        def read_sources(state, n):
            out.append(np.zeros(self.nsrc, self.model.dtype))
            self.propagator.read_source(state, *self._read_sources, out[-1])

        self._backpropagate(data, read_sources, progress)
        return np.array(out[::-1]).reshape(-1, self.nsrc)

    def adjoint_initial_pressure(self, data, *, progress=False, time_dispersion_correction=False):
        """Exact transpose of the map ``initial_pressure -> data`` of :meth:`forward`.

        The model-shaped adjoint of ``p0``, including the zero-initial-velocity start
        :math:`u^{-1} = (u^0 + T u^0) / 2` (``T`` one source-free step with empty CPML
        memory), whose transpose is one more adjoint step.
        """
        model, prop = self.model, self.propagator
        if time_dispersion_correction:
            data = check_data(data, self.nrec, np.float64)
            nsteps = dispersion.simulated_steps(data.shape[0])
            data = dispersion.remove_time_dispersion_adjoint(data, self.dt, nsteps)
            return self.adjoint_initial_pressure(data, progress=progress)
        state = self._backpropagate(data, None, progress)
        q_minus, q_zero = state.u, state.u_prev
        k = prop.sponge_field()
        q_t = np.where(prop.updated_mask(), -(2 * k - 1) * q_zero, 0.0).astype(model.dtype)
        if model.free_surface:  # the adjoint variable carries its mirror image, as in the loop
            kernels.mirror_free_surface(q_t, model.halo)
        start = prop.new_state()
        start.u[...] = q_t
        prop.adjoint_step(start)
        total = q_minus + 0.5 * (q_t + start.u - (2 * k - 1) * q_t)
        lam = total / (prop.wq * k)
        return prop.interior(lam).astype(model.dtype)

    def born(self, dm, wavelet, *, progress=False, time_dispersion_correction=False, wrt="m"):
        """Born data :math:`J\\,\\delta m`, as :func:`waveback.born` (same parameters)."""
        if time_dispersion_correction:
            return dispersion.corrected(
                lambda w: self.born(dm, w, progress=progress, wrt=wrt),
                check_wavelet(wavelet),
                self.dt,
            ).astype(self.model.dtype)
        model, prop = self.model, self.propagator
        names, single = check_wrt(wrt, model)
        if single:
            dm = {names[0]: dm}
        elif not isinstance(dm, dict) or set(dm) != set(names):
            raise ValueError(f"with wrt={wrt!r}, dm must be a dict with the keys {names}")
        amps = self.amplitudes(wavelet)
        nt = amps.shape[0]
        fields = {name: check_model_field(dm[name], model, f"d{name}") for name in names}
        if "vp" in fields:
            dm_vp = -2.0 * fields.pop("vp") / model.vp.astype(np.float64) ** 3
            fields["m"] = fields["m"] + dm_vp if "m" in fields else dm_vp
        scatter = None
        if "m" in fields:
            m = model.pad(model.m).reshape(prop.shape)
            scatter = np.where(
                prop.updated_mask(), -model.pad(fields["m"]).reshape(prop.shape) / m, 0.0
            ).astype(model.dtype)
        density = _DensityBorn(prop, fields["rho"]) if "rho" in fields else None
        state, linear = prop.new_state(), prop.new_state()
        spare = np.zeros(prop.shape, model.dtype)  # takes u^{n+1}, so u^{n-1} survives the step
        source = np.zeros(prop.shape, model.dtype)
        d = np.zeros((nt, self.nrec), model.dtype)
        for n in _steps(nt, progress):
            kernels.sample(linear.u, *self._sample, d[n])
            u_old = state.u_prev
            injected = self.source(amps, n)
            prop.step(state, injected, out=spare)
            if scatter is not None:
                kernels.scattering(source, scatter, state.u, state.u_prev, u_old, *prop.sponge)
            memory = None
            if density is not None:
                memory = density.source(
                    source, scatter is not None, state.u, state.u_prev, u_old, injected
                )
            prop.step(linear, add=source)
            if memory is not None:
                density.perturb_memory(linear, *memory)
            spare = u_old
        return d

    def gradient(
        self,
        residual,
        wavelet,
        *,
        memory="auto",
        progress=False,
        illumination=False,
        time_dispersion_correction=False,
        workspace=None,
        wrt="m",
    ):
        """:math:`J^T r` and optionally the source illumination of the same sweep.

        Returns ``(g, illum)``: ``g`` as :func:`waveback.gradient` returns it (a dict for a
        tuple ``wrt``); ``illum`` the model-shaped :math:`\\sum_n (u^n)^2` of the forward
        wavefield, or None when not asked for. Parameters as for :func:`waveback.gradient`.
        """
        model, prop, dt = self.model, self.propagator, self.dt
        if time_dispersion_correction:
            residual = check_data(residual, np.asarray(residual).shape[-1], np.float64)
            nsteps = dispersion.simulated_steps(residual.shape[0])
            residual = dispersion.remove_time_dispersion_adjoint(residual, dt, nsteps)
            wavelet = dispersion.add_time_dispersion(check_wavelet(wavelet), dt, nsteps)
        names, single = check_wrt(wrt, model)
        amps = self.amplitudes(wavelet)
        nt = amps.shape[0]
        plan = self.plan(nt, memory, illumination)
        require_gradient_memory(plan, workspace)
        residual = check_data(residual, self.nrec, model.dtype)
        if residual.shape[0] != nt:
            raise ValueError(f"residual has {residual.shape[0]} time samples, the wavelet {nt}")
        logger.info("gradient: %s", plan)
        state, adjoint_state = prop.new_state(), prop.new_state()
        image = np.zeros(prop.shape, model.dtype)
        illum = np.zeros(prop.shape, model.dtype) if illumination else None
        with_rho = "rho" in names
        flux_images = [np.zeros(prop.shape, model.dtype) for _ in range(3)] if with_rho else None
        source_image = np.zeros(prop.shape) if with_rho else None
        with progress_bar(progress, "gradient", "step", total=plan.forward_steps + nt) as shown:

            def advance(state, n, out=None):
                prop.step(state, self.source(amps, n), out=out)
                shown.update()

            for n, u_next, u, u_prev in checkpointing.reversed_fields(
                prop, state, advance, plan, workspace
            ):
                if illumination:
                    kernels.accumulate_square(illum, u)
                injected = self.source(amps, n)
                if with_rho and injected is not None:  # q^n S^n, S^n the injection
                    idx, weights, values = injected
                    q = prop.injection_adjoint(adjoint_state, idx)
                    np.add.at(source_image.reshape(-1), idx, q * weights * values[:, None])
                prop.adjoint_step(
                    adjoint_state,
                    (*self._residual, residual[n]),
                    image,
                    (u_next, u, u_prev),
                    flux_images,
                )
                shown.update()
        padded = {"m": -prop.born_scale() * image}
        if with_rho:
            padded["rho"] = prop.density.rho_gradient(image, source_image, flux_images)
        g = {
            name: model.unpad_adjoint(field.reshape(model.padded_shape)).astype(model.dtype)
            for name, field in padded.items()
        }
        if "vp" in names:
            g["vp"] = gradient_to_velocity(g["m"], model.vp)
        g = g[names[0]] if single else {name: g[name] for name in names}
        return g, None if illum is None else prop.interior(illum).copy()

    def plan(self, nt, memory="auto", illumination=False) -> checkpointing.Plan:
        """The storage :meth:`gradient` chooses for ``nt`` steps (see :func:`gradient_plan`)."""
        return gradient_plan(self.model, nt, self.dt, memory, self.nrec, illumination)

    def amplitudes(self, wavelet, initial_pressure=None):
        """The wavelet as ``(nt, nsrc)`` amplitudes in the model's dtype, checked.

        A 1D wavelet drives every source; warns when the grid under-samples it.
        """
        wavelet = check_wavelet(wavelet)
        nt = wavelet.shape[0]
        if self.src is None:
            if initial_pressure is None:
                raise ValueError(
                    "nothing to propagate: give src positions for the wavelet, or initial_pressure"
                )
            return np.zeros((nt, 0), self.model.dtype)
        amps = wavelet if wavelet.ndim == 2 else np.broadcast_to(wavelet[:, None], (nt, self.nsrc))
        if amps.shape[1] != self.nsrc:
            raise ValueError(
                f"wavelet has {amps.shape[1]} columns but there are {self.nsrc} sources; give "
                f"one wavelet (nt,) for all or one column per source (nt, nsrc)"
            )
        warn_grid_dispersion(self.model, wavelet, self.dt)
        return np.ascontiguousarray(amps, dtype=self.model.dtype)

    def source(self, amps, n):
        """``(idx, weights, amps[n])``: what :meth:`Propagator.step` injects at step ``n``."""
        return None if self.src is None else (*self._inject, amps[n])

    def _start(self, initial_pressure):
        state = self.propagator.new_state()
        if initial_pressure is not None:
            _set_initial_pressure(self.propagator, state, initial_pressure)
        return state

    def _backpropagate(self, data, read, progress):
        """The adjoint time loop from ``nt - 1`` down to 0, calling ``read(state, n)`` first."""
        data = check_data(data, self.nrec, self.model.dtype)
        state = self.propagator.new_state()
        for n in _steps(data.shape[0], progress, reverse=True):
            if read is not None:
                read(state, n)
            self.propagator.adjoint_step(state, (*self._residual, data[n]))
        return state


def gradient_plan(model, nt, dt, memory="auto", nrec=0, illumination=False):
    """The storage :func:`waveback.gradient` chooses for ``nt`` steps.

    Returns a :class:`waveback.checkpointing.Plan`: full storage or the number of
    checkpoints, the forward steps executed (recomputation factor) and the predicted peak
    memory of the arrays (``nrec`` receivers count for the residual; ``illumination`` for the
    extra field of an RTM sweep). Nothing is allocated: the sizes come from
    :mod:`waveback.footprint`.
    """
    check_dt(model, dt)
    field, one_state = footprint.field_bytes(model), footprint.state_bytes(model)
    extra = nt * nrec * model.dtype.itemsize + (field if illumination else 0)
    # the forward and adjoint states, the coefficients, the image, u^{n+1} and the residual (and
    # illumination); with a density also the images of the rho gradient
    if model.rho is not None:
        extra += model.ndim * field + field * 8 // model.dtype.itemsize
    if model.attenuation is not None:  # the adjoint's scratch for the relaxation's transpose
        extra += field
    working = 2 * one_state + footprint.coefficient_bytes(model) + 2 * field + extra
    return checkpointing.plan(nt, field, one_state, working, memory)


#: The parameters :meth:`Solver.born` and :meth:`Solver.gradient` differentiate with respect to.
PARAMETERS = ("m", "rho", "vp")


def check_wrt(wrt, model):
    """``(names, single)`` of a ``wrt`` argument, or a ValueError saying what is accepted."""
    single = isinstance(wrt, str)
    names = (wrt,) if single else tuple(wrt)
    if not names or any(name not in PARAMETERS for name in names) or len(set(names)) < len(names):
        raise ValueError(
            f"wrt must be one of {PARAMETERS} or a tuple of distinct ones, got {wrt!r}"
        )
    if "rho" in names and model.rho is None:
        raise ValueError(
            "wrt='rho' needs a model with a density: build it with Model(..., rho=...)"
        )
    return names, single


class _DensityBorn:
    """The ``rho`` part of :meth:`Solver.born`'s secondary sources (see
    :mod:`waveback.physics.density`; with attenuation, its *Density with attenuation*)."""

    def __init__(self, prop, drho):
        self.prop = prop
        padded = prop.model.pad(drho).reshape(prop.shape)
        self.ratio = np.where(prop.updated_mask(), padded / prop.density.rho, 0.0)
        self.dbuoy = prop.density.buoyancy_perturbation(padded)
        self.sponge = prop.sponge_field()
        self.wrho = prop.density.wrho.astype(np.float64)
        self.gain = self.wrho * self.sponge  # K w2 rho: p^{n+1} per unit of L u / rho
        self.into = None  # the relaxation of a drive: 1 + sum eta_l a_l, and b_l a_l
        if prop.relaxation is not None:
            weights, _, gain, half = prop.relaxation
            a = weights.astype(np.float64)
            relaxed = 1.0 + sum(float(eta) * a_l for eta, a_l in zip(half, a, strict=True))
            self.gain = self.gain * relaxed
            self.into = [float(b) * a_l for b, a_l in zip(gain, a, strict=True)]

    def source(self, out, accumulate, u_next, u, u_prev, src):
        """Add (or write) the ``rho`` terms of step ``n``; return the memory increments
        ``(dpsi, dzeta, drive)`` (``drive``: the drive perturbation, None without attenuation)."""
        dacc, dpsi, dzeta = self.prop.density.born_terms(u, self.dbuoy)
        k2 = 2.0 * self.sponge
        scattered = u_next - k2 * u + (k2 - 1.0) * u_prev
        injected = None
        if src is not None:
            injected = np.zeros(self.prop.shape, self.prop.model.dtype)
            kernels.inject(injected, *src)
        drive = None
        if self.into is None:
            add = dacc * self.gain
            if injected is not None:  # D - S: the injected source does not carry rho
                scattered -= injected
        else:  # the source sits in the drive as s / rho: D carries it, the drive moves
            drive = dacc if injected is None else dacc - self.ratio * injected / self.wrho
            add = drive * self.gain
        add += self.ratio * scattered
        if accumulate:
            out += add.astype(out.dtype)
        else:
            out[...] = add
        return dpsi, dzeta, drive

    def perturb_memory(self, state, dpsi, dzeta, drive):
        """The explicit ``rho`` increments of the CPML memory and, with attenuation, of the
        memory variables (:math:`b_l a_l` times the drive perturbation) after the linear step."""
        for ax in self.prop.array_axes:
            if dpsi[ax] is not None:
                state.psi[ax][...] += dpsi[ax]
                state.zeta[ax][...] += dzeta[ax]
        if drive is not None:
            for r_l, into in zip(state.memory[0], self.into, strict=True):
                r_l += into * drive


def gradient_to_velocity(g_m, vp):
    """Chain rule from a gradient with respect to ``m = 1/vp²`` to one with respect to ``vp``.

    :math:`\\partial\\Phi/\\partial v = \\partial\\Phi/\\partial m \\cdot dm/dv = -2 g_m / v^3`.

    Parameters
    ----------
    g_m : model-shaped array_like
        Gradient with respect to ``m`` (e.g. from :func:`waveback.gradient`).
    vp : model-shaped array_like
        Velocity (m/s) at which it was computed.

    Returns
    -------
    ndarray
        The gradient with respect to ``vp``, in the floating dtype of ``g_m`` (computed in
        float64): float32 for a float32 model's gradient.
    """
    g_m = np.asarray(g_m)
    dtype = g_m.dtype if np.issubdtype(g_m.dtype, np.floating) else np.dtype(np.float64)
    g_m, vp = g_m.astype(np.float64), np.asarray(vp, dtype=np.float64)
    if g_m.shape != vp.shape:
        raise ValueError(f"g_m {g_m.shape} and vp {vp.shape} must have the same shape")
    return (-2.0 * g_m / vp**3).astype(dtype)


def forward(
    model,
    wavelet,
    src,
    rec,
    dt,
    interpolation="linear",
    *,
    initial_pressure=None,
    snapshots=None,
    progress=False,
    time_dispersion_correction=False,
):
    """Model receiver data: the pressure at ``rec`` from point sources at ``src``.

    Parameters
    ----------
    model : Model
    wavelet : (nt,) or (nt, nsrc) array_like
        Source time functions sampled at ``t_n = n dt``; a 1D wavelet drives every source. Its
        length sets the number of time steps ``nt`` (for a pure initial-pressure run pass
        ``np.zeros(nt)`` and ``src=None``).
    src : (nsrc, ndim) array_like or None
        Source positions (m), z first, in the model's frame (``vp[0, 0]`` sits at
        ``model.origin``).
    rec : (nrec, ndim) array_like
        Receiver positions (m).
    dt : float
        Time step (s).
    interpolation : {"linear", "sinc"}
        Off-grid scheme for sources and receivers.
    initial_pressure : model-shaped array_like, optional
        ``u(0) = p0`` with zero initial velocity (photoacoustics); adds to any point sources.
    snapshots : sequence of int, optional
        Time indices ``n`` at which to also return the model-shaped wavefield :math:`u^n`.
    progress : bool
        Show a progress bar over time steps.
    time_dispersion_correction : bool
        Remove the leapfrog's time dispersion (:mod:`waveback.dispersion`): the wavelet is
        pre-warped, ``simulated_steps(nt)`` steps are run and the traces are post-warped, so
        only the spatial error is left. Not with ``snapshots``.

    Returns
    -------
    d : (nt, nrec) ndarray
        ``d[n]`` is the pressure at the receivers at ``t_n``, in the model's dtype.
    fields : (len(snapshots), *model.shape) ndarray
        Only when ``snapshots`` is given: returned as ``(d, fields)``.
    """
    nt = check_wavelet(wavelet).shape[0]
    require_forward_memory(model, nt, check_points(rec, model, "rec").shape[0], snapshots)
    return Solver(model, dt, src, rec, interpolation).forward(
        wavelet,
        initial_pressure=initial_pressure,
        snapshots=snapshots,
        progress=progress,
        time_dispersion_correction=time_dispersion_correction,
    )


def adjoint(
    model,
    data,
    src,
    rec,
    dt,
    interpolation="linear",
    *,
    progress=False,
    time_dispersion_correction=False,
):
    """Exact transpose of :func:`forward`'s map from wavelets ``(nt, nsrc)`` to data ``(nt, nrec)``.

    Back-propagates ``data`` from the receivers in reversed time (the same leapfrog, CPML and
    free surface, transposed step by step; see :meth:`Propagator.adjoint_step`) and reads the
    adjoint field at the sources, so that ``<forward(w), d> == <w, adjoint(d)>`` to rounding.

    Parameters
    ----------
    model, src, rec, dt, interpolation
        As for :func:`forward`.
    data : (nt, nrec) array_like
        Data (or residual) to back-propagate.
    progress : bool
        Show a progress bar over time steps.
    time_dispersion_correction : bool
        The exact transpose of :func:`forward` with the correction.

    Returns
    -------
    (nt, nsrc) ndarray
        The adjoint source time functions, in the model's dtype.
    """
    return Solver(model, dt, src, rec, interpolation).adjoint(
        data, progress=progress, time_dispersion_correction=time_dispersion_correction
    )


def adjoint_initial_pressure(
    model,
    data,
    rec,
    dt,
    interpolation="linear",
    *,
    progress=False,
    time_dispersion_correction=False,
):
    """Exact transpose of the map ``initial_pressure -> data`` of :func:`forward`.

    Returns the model-shaped adjoint of ``p0`` for back-propagated ``data`` ``(nt, nrec)``:
    the time-reversal image of photoacoustics, exactly consistent with the forward model
    (see :meth:`Solver.adjoint_initial_pressure`). With ``time_dispersion_correction`` the
    transpose of the corrected map.
    """
    return Solver(model, dt, None, rec, interpolation).adjoint_initial_pressure(
        data, progress=progress, time_dispersion_correction=time_dispersion_correction
    )


def require_forward_memory(model, nt, nrec, snapshots=None) -> None:
    """Refuse a forward run whose arrays do not fit in the memory available, before any."""
    footprint.require(
        footprint.forward(model, nt, nrec, 0 if snapshots is None else len(snapshots)),
        "use a coarser grid or a smaller model, or fewer snapshots",
    )


def require_gradient_memory(plan, workspace=None) -> None:
    """Refuse a gradient sweep whose ``plan`` does not fit (a workspace's history counts)."""
    footprint.require(
        footprint.gradient(plan),
        "give a memory budget that fits (memory='auto', or a size: checkpointing keeps the "
        "forward wavefield within it), or use a coarser grid",
        held=0 if workspace is None else workspace.nbytes,
    )


def check_wavelet(wavelet) -> np.ndarray:
    """``wavelet`` as a float64 ``(nt,)`` or ``(nt, nsrc)`` array with finite samples."""
    if wavelet is None:
        raise ValueError(
            "wavelet is required: give (nt,) or (nt, nsrc) samples; for a pure "
            "initial-pressure run pass np.zeros(nt) and src=None"
        )
    wavelet = np.asarray(wavelet, dtype=np.float64)
    if wavelet.ndim not in (1, 2) or wavelet.shape[0] < 1:
        raise ValueError(f"wavelet must have shape (nt,) or (nt, nsrc), got {wavelet.shape}")
    if not np.all(np.isfinite(wavelet)):
        raise ValueError("wavelet contains NaN or infinite samples")
    return wavelet


def check_data(data, nrec, dtype) -> np.ndarray:
    """``data`` as a contiguous ``(nt, nrec)`` array of ``dtype`` with finite samples."""
    data = np.asarray(data)
    if data.ndim != 2 or data.shape[1] != nrec or data.shape[0] < 1:
        raise ValueError(f"data must have shape (nt, nrec) = (nt, {nrec}), got {data.shape}")
    if not np.all(np.isfinite(data)):
        raise ValueError("data contain NaN or infinite samples")
    return np.ascontiguousarray(data, dtype=dtype)


def check_model_field(field, model, name) -> np.ndarray:
    """A model-shaped float64 field with finite values (a perturbation such as ``dm``)."""
    field = np.asarray(field, dtype=np.float64)
    if field.shape != model.shape:
        raise ValueError(f"{name} must have the model's shape {model.shape}, got {field.shape}")
    if not np.all(np.isfinite(field)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return field


def warn_grid_dispersion(model, wavelet, dt) -> None:
    """Warn when the wavelet's highest significant frequency is under-sampled by the grid.

    Compares the points per wavelength at the slowest velocity with
    :data:`waveback.propagation.MIN_POINTS_PER_WAVELENGTH` of the model's order.
    """
    fmax = max_frequency(wavelet, dt)
    if fmax <= 0:
        return
    ppw = float(model.vp.min()) / (fmax * max(model.spacing))
    need = MIN_POINTS_PER_WAVELENGTH[model.space_order]
    if ppw < need:
        warnings.warn(
            f"grid dispersion: the wavelet has energy up to {fmax:.4g} Hz, where the slowest "
            f"velocity {float(model.vp.min()):.4g} m/s gives only {ppw:.2f} points per wavelength "
            f"(space_order={model.space_order} needs about {need}); refine the grid to "
            f"h <= {float(model.vp.min()) / (fmax * need):.4g} m or lower the frequency",
            stacklevel=5,
        )


def _set_initial_pressure(prop, state, p0):
    """``u^0 = p0`` and ``u^{-1} = p0 + dt² v² L p0 / 2`` (zero initial velocity)."""
    model = prop.model
    p0 = np.asarray(p0, dtype=np.float64)
    if p0.shape != model.shape:
        raise ValueError(
            f"initial_pressure must have the model's shape {model.shape}, got {p0.shape}"
        )
    if not np.all(np.isfinite(p0)):
        raise ValueError("initial_pressure contains NaN or infinite values")
    u0 = prop.embed(p0)
    if model.free_surface:
        kernels.mirror_free_surface(u0, model.halo)
    tmp = prop.new_state()
    tmp.u[...] = u0
    tmp.u_prev[...] = u0
    prop.step(tmp)
    state.u[...] = u0
    state.u_prev[...] = 0.5 * (u0 + tmp.u)
