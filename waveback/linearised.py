"""Born modelling and its exact transpose, the gradient of the least-squares misfit.

Both differentiate the discrete forward map of :mod:`waveback.propagation` with respect to
the squared slowness ``m = 1 / vp**2``. The update depends on ``m`` only through
``w2 = dt² / m``, so the derivative of one step is the secondary source
:math:`-\\delta m\\, D^n / m` with :math:`D^n = u^{n+1} - 2K u^n + (2K - 1) u^{n-1}`
(``K`` the sponge factor, 1 elsewhere) on the updated points; the source injection, which
also carries ``w2``, is included. ``dm`` and the gradient live on the model grid; the
absorbing layers copy the edge values (edge padding) and the gradient folds them back.
The absorbing profiles do not depend on ``m`` (``Model.pml_velocity`` is fixed).

With a density (``Model(rho=...)``) both also differentiate with respect to ``rho`` and ``vp``
(``wrt``): ``m`` at fixed ``rho`` as above, ``rho`` through the factor in front of the operator
and the half-point buoyancy (the exact derivative of the discrete scheme, see
:mod:`waveback.density`), and ``vp`` by the chain rule :math:`\\partial/\\partial v_p =
-2 g_m / v_p^3` at fixed ``rho``.
"""

from __future__ import annotations

import contextlib
import logging

import numpy as np

from . import checkpointing, dispersion, footprint, kernels
from .geometry import check_points
from .propagation import _check_data, _check_dt, _check_wavelet, _setup, _steps

logger = logging.getLogger("waveback")

PARAMETERS = ("m", "rho", "vp")


def born(
    model,
    dm,
    wavelet,
    src,
    rec,
    dt,
    interpolation="linear",
    *,
    progress=False,
    time_dispersion_correction=False,
    wrt="m",
):
    """Born (linearised) data :math:`J\\,\\delta m`: the derivative of :func:`forward` w.r.t. ``m``.

    The perturbation ``dm`` of the squared slowness ``m = 1/vp²`` (s²/m², model shape) scatters
    the background wavefield: the linearised field obeys the same discrete equation with the
    secondary source :math:`-\\delta m\\, D^n / m`, :math:`D^n = u^{n+1} - 2K u^n + (2K - 1)
    u^{n-1}` (see :meth:`Propagator.born_scale`); ``dm`` is extended into the absorbing layers
    by edge replication like the model. Returns ``(nt, nrec)`` data in the model's dtype.
    ``time_dispersion_correction`` differentiates the corrected :func:`forward` (the same warps
    around the simulation, see :mod:`waveback.dispersion`).

    ``wrt`` names the parameter ``dm`` perturbs: ``"m"`` (default), ``"rho"`` (kg/m³, models
    with a density) or ``"vp"`` (m/s, at fixed ``rho``); a tuple of names takes ``dm`` as a
    dict ``{name: perturbation}`` and returns the data of their sum.
    """
    if time_dispersion_correction:
        return dispersion.corrected(
            lambda w: born(model, dm, w, src, rec, dt, interpolation, progress=progress, wrt=wrt),
            _check_wavelet(wavelet),
            dt,
        ).astype(model.dtype)
    names, single = _check_wrt(wrt, model)
    if single:
        dm = {names[0]: dm}
    elif not isinstance(dm, dict) or set(dm) != set(names):
        raise ValueError(f"with wrt={wrt!r}, dm must be a dict with the keys {names}")
    run = _setup(model, wavelet, src, rec, dt, interpolation, None)
    prop, state, nt = run["prop"], run["state"], run["nt"]
    rec_idx, rec_w = run["rec"]
    fields = {name: _check_model_field(dm[name], model, f"d{name}") for name in names}
    if "vp" in fields:
        dm_vp = -2.0 * fields.pop("vp") / model.vp.astype(np.float64) ** 3
        fields["m"] = fields["m"] + dm_vp if "m" in fields else dm_vp
    scatter = None
    if "m" in fields:
        m = model.pad(model.m).reshape(prop.shape)
        scatter = np.where(
            prop.updated_mask(), -model.pad(fields["m"]).reshape(prop.shape) / m, 0.0
        )
        scatter = scatter.astype(model.dtype)
    density = _DensityBorn(prop, fields["rho"]) if "rho" in fields else None
    linear = prop.new_state()
    spare = np.zeros(prop.shape, model.dtype)  # takes u^{n+1}, so u^{n-1} survives the step
    source = np.zeros(prop.shape, model.dtype)
    d = np.zeros((nt, rec_idx.shape[0]), model.dtype)
    for n in _steps(nt, progress):
        kernels.sample(linear.u, rec_idx, rec_w, d[n])
        u_old = state.u_prev
        prop.step(state, run["source_at"](n), out=spare)
        if scatter is not None:
            kernels.scattering(source, scatter, state.u, state.u_prev, u_old, *prop.keep)
        memory = None
        if density is not None:
            memory = density.source(source, scatter is not None, state.u, state.u_prev, u_old,
                                    run["source_at"](n))  # fmt: skip
        prop.step(linear, add=source)
        if memory is not None:
            density.perturb_memory(linear, *memory)
        spare = u_old
    return d


class _DensityBorn:
    """The ``rho`` part of :func:`born`'s secondary sources (see :mod:`waveback.density`)."""

    def __init__(self, prop, drho):
        self.prop = prop
        padded = prop.model.pad(drho).reshape(prop.shape)
        self.ratio = np.where(prop.updated_mask(), padded / prop.density.rho, 0.0)
        self.dbuoy = prop.density.buoyancy_perturbation(padded)
        self.keep = prop.sponge_field()

    def source(self, out, accumulate, u_next, u, u_prev, src):
        """Add (or write) the ``rho`` terms of step ``n``; return the memory increments."""
        add, dpsi, dzeta = self.prop.density.born_terms(u, self.dbuoy)
        k2 = 2.0 * self.keep
        scattered = u_next - k2 * u + (k2 - 1.0) * u_prev
        if src is not None:  # D - S: the injected source does not carry rho
            injected = np.zeros(self.prop.shape, self.prop.model.dtype)
            kernels.inject(injected, *src)
            scattered -= injected
        add += self.ratio * scattered
        if accumulate:
            out += add.astype(out.dtype)
        else:
            out[...] = add
        return dpsi, dzeta

    def perturb_memory(self, state, dpsi, dzeta):
        """The explicit ``rho`` increments of the CPML memory after the linear step."""
        for ax in self.prop.array_axes:
            if dpsi[ax] is not None:
                state.psi[ax][...] += dpsi[ax]
                state.zeta[ax][...] += dzeta[ax]


def gradient(
    model,
    residual,
    wavelet,
    src,
    rec,
    dt,
    interpolation="linear",
    *,
    memory="auto",
    progress=False,
    time_dispersion_correction=False,
    workspace=None,
    wrt="m",
):
    """:math:`J^T r`: the gradient w.r.t. ``m = 1/vp²`` of :math:`\\tfrac12\\|d(m) - d_{obs}\\|^2`
    when ``residual = d(m) - d_obs``; the exact transpose of :func:`born`.

    Back-propagates the residual with :meth:`Propagator.adjoint_step` and correlates
    :math:`D^n` with the adjoint field at every step (the imaging condition that is exact for
    the discrete scheme), then folds the absorbing layers back onto the model edges (the
    transpose of the edge padding). The forward wavefield is read in reversed time from full
    storage or from optimal checkpoints (:mod:`waveback.checkpointing`), as ``memory`` allows;
    the result is bit-identical either way.

    Parameters
    ----------
    model, wavelet, src, rec, dt, interpolation
        As for :func:`forward`.
    residual : (nt, nrec) array_like
        Data residual ``d(m) - d_obs``.
    memory : "auto", "full", int or str
        Memory budget for the arrays of the computation: ``"full"`` stores every time step;
        a size such as ``"700MiB"`` or a number of bytes uses full storage when it fits and
        binomial checkpointing otherwise; ``"auto"`` is half the available memory. See
        :func:`gradient_plan` for the schedule it gives.
    progress : bool
        Show a progress bar over the forward and adjoint time steps.
    time_dispersion_correction : bool
        The gradient of the misfit of the corrected :func:`forward` (transpose of the corrected
        :func:`born`).
    workspace : Workspace, optional
        Keeps the full-storage history for the next call on the same grid, saving its
        allocation (:class:`waveback.checkpointing.Workspace`); the result is the same.
    wrt : str or tuple of str
        ``"m"`` (default), ``"rho"`` (models with a density; per kg/m³) or ``"vp"`` (per m/s,
        at fixed ``rho``: :math:`-2 g_m / v_p^3`); a tuple returns a dict ``{name: gradient}``
        from one sweep.

    Returns
    -------
    ndarray or dict
        Model-shaped, in units of the misfit per unit ``m`` (s⁻²·m²) (or of ``rho``, ``vp``),
        in the model's dtype.
    """
    return image_sweep(
        model,
        residual,
        wavelet,
        src,
        rec,
        dt,
        interpolation,
        memory=memory,
        progress=progress,
        time_dispersion_correction=time_dispersion_correction,
        workspace=workspace,
        wrt=wrt,
    )[0]


def image_sweep(
    model,
    residual,
    wavelet,
    src,
    rec,
    dt,
    interpolation="linear",
    *,
    memory="auto",
    progress=False,
    illumination=False,
    time_dispersion_correction=False,
    workspace=None,
    wrt="m",
):
    """:func:`gradient`, and optionally the source illumination of the same sweep.

    Returns ``(g, illum)``: ``g`` as from :func:`gradient`; ``illum`` the model-shaped
    :math:`\\sum_n (u^n)^2` of the forward (source) wavefield, or None when not asked for.
    """
    if time_dispersion_correction:
        residual = _check_data(residual, np.asarray(residual).shape[-1], np.float64)
        steps = dispersion.simulated_steps(residual.shape[0])
        residual = dispersion.remove_time_dispersion_adjoint(residual, dt, steps)
        wavelet = dispersion.add_time_dispersion(_check_wavelet(wavelet), dt, steps)
    names, single = _check_wrt(wrt, model)
    nt, nrec = _check_wavelet(wavelet).shape[0], check_points(rec, model, "rec").shape[0]
    plan = gradient_plan(model, nt, dt, memory, nrec, illumination)
    footprint.require(
        footprint.gradient(plan),
        "give a memory budget that fits (memory='auto', or a size: checkpointing keeps the "
        "forward wavefield within it), or use a coarser grid",
        held=0 if workspace is None else workspace.nbytes,
    )
    run = _setup(model, wavelet, src, rec, dt, interpolation, None)
    prop, state = run["prop"], run["state"]
    rec_idx, rec_w = run["rec"]
    residual = _check_data(residual, nrec, model.dtype)
    if residual.shape[0] != nt:
        raise ValueError(f"residual has {residual.shape[0]} time samples, the wavelet {nt}")
    logger.info("gradient: %s", plan)
    adj_w = prop.receiver_adjoint_weights(rec_idx, rec_w.astype(np.float64))
    adjoint_state = prop.new_state()
    image = np.zeros(prop.shape, model.dtype)
    illum = np.zeros(prop.shape, model.dtype) if illumination else None
    with_rho = "rho" in names
    flux_images = [np.zeros(prop.shape, model.dtype) for _ in range(3)] if with_rho else None
    source_image = np.zeros(prop.shape) if with_rho else None
    with _progress_bar(plan.forward_steps + nt, progress, "gradient") as bar:

        def advance(state, n, out=None):
            prop.step(state, run["source_at"](n), out=out)
            bar.update()

        for n, u_next, u, u_prev in checkpointing.reversed_fields(
            prop, state, advance, plan, workspace
        ):
            if illumination:
                kernels.accumulate_square(illum, u)
            prop.adjoint_step(
                adjoint_state,
                (rec_idx, adj_w, residual[n]),
                image,
                (u_next, u, u_prev),
                flux_images,
            )
            if with_rho and run["source_at"](n) is not None:  # q^n S^n, S^n the injection
                idx, weights, amps = run["source_at"](n)
                q = adjoint_state.u_prev.reshape(-1)
                np.add.at(source_image.reshape(-1), idx, q[idx] * weights * amps[:, None])
            bar.update()
    padded = {"m": -prop.born_scale() * image}
    if with_rho:
        padded["rho"] = prop.density.rho_gradient(image, source_image, flux_images)
    g = {
        name: model.unpad_adjoint(field.reshape(model.padded_shape)).astype(model.dtype)
        for name, field in padded.items()
    }
    if "vp" in names:
        g["vp"] = gradient_to_velocity(g["m"], model.vp).astype(model.dtype)
    g = g[names[0]] if single else {name: g[name] for name in names}
    return g, None if illum is None else prop.interior(illum).copy()


def _check_wrt(wrt, model):
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


def gradient_plan(model, nt, dt, memory="auto", nrec=0, illumination=False):
    """The storage :func:`gradient` (or :func:`image_sweep`) chooses for ``nt`` steps.

    Returns a :class:`waveback.checkpointing.Plan`: full storage or the number of
    checkpoints, the forward steps executed (recomputation factor) and the predicted peak
    memory of the arrays (``nrec`` receivers count for the residual; ``illumination`` for the
    extra field of :func:`image_sweep`).
    Nothing is allocated: the sizes come from :mod:`waveback.footprint`.
    """
    _check_dt(model, dt)
    field, one_state = footprint.field_bytes(model), footprint.state_bytes(model)
    extra = nt * nrec * model.dtype.itemsize + (field if illumination else 0)
    # the forward and adjoint states, the coefficients, the image, u^{n+1} and the residual (and
    # illumination); with a density also the images of the rho gradient
    if model.rho is not None:
        extra += model.ndim * field + field * 8 // model.dtype.itemsize
    working = 2 * one_state + footprint.coefficient_bytes(model) + 2 * field + extra
    return checkpointing.plan(nt, field, one_state, working, memory)


def _progress_bar(total, progress, desc):
    if not progress:
        return contextlib.nullcontext(_NoBar())
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step", leave=False)


class _NoBar:
    def update(self, n=1):
        pass


def _check_model_field(field, model, name):
    field = np.asarray(field, dtype=np.float64)
    if field.shape != model.shape:
        raise ValueError(f"{name} must have the model's shape {model.shape}, got {field.shape}")
    if not np.all(np.isfinite(field)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return field


def gradient_to_velocity(g_m, vp):
    """Chain rule from a gradient with respect to ``m = 1/vp²`` to one with respect to ``vp``.

    :math:`\\partial\\Phi/\\partial v = \\partial\\Phi/\\partial m \\cdot dm/dv = -2 g_m / v^3`.

    Parameters
    ----------
    g_m : model-shaped array_like
        Gradient with respect to ``m`` (e.g. from :func:`gradient`).
    vp : model-shaped array_like
        Velocity (m/s) at which it was computed.

    Returns
    -------
    ndarray
        The gradient with respect to ``vp``, float64.
    """
    g_m, vp = np.asarray(g_m, dtype=np.float64), np.asarray(vp, dtype=np.float64)
    if g_m.shape != vp.shape:
        raise ValueError(f"g_m {g_m.shape} and vp {vp.shape} must have the same shape")
    return -2.0 * g_m / vp**3
