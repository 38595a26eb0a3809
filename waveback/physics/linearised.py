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
:mod:`waveback.physics.density`), and ``vp`` by the chain rule :math:`\\partial/\\partial v_p =
-2 g_m / v_p^3` at fixed ``rho``. The loops are :meth:`waveback.Solver.born` and
:meth:`waveback.Solver.gradient`.

With attenuation (:mod:`waveback.physics.attenuation`) ``m`` enters through the relaxed
slowness only: :math:`w_2 = \\Delta t^2 v_R^2` with :math:`v_R = v_p \\operatorname{Re}
(\\mu(\\omega_{ref})^{-1/2})`, the fitted solid (relaxation times and weights :math:`a_l`) held
fixed, as ``pml_velocity`` is. The update is :math:`K(2u + w_2 h) - (2K - 1)u_{prev}`, so the
secondary source is again :math:`-\\delta m\\, D^n/m`, added after the relaxation (the memory
variables do not depend on ``m``), and the gradient correlates :math:`D^n` with the adjoint
variable :math:`q = w_2 K\\lambda` (:math:`\\bar h`). With :class:`~waveback.PowerLaw` the
weights depend on ``vp`` but are not differentiated.
"""

from __future__ import annotations

from .interpolation import check_points
from .solver import (
    PARAMETERS,
    Solver,
    check_wavelet,
    gradient_plan,
    gradient_to_velocity,
    require_gradient_memory,
)

__all__ = ["PARAMETERS", "born", "gradient", "gradient_to_velocity", "image_sweep"]


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
    check_wavelet(wavelet)
    return Solver(model, dt, src, rec, interpolation).born(
        dm,
        wavelet,
        progress=progress,
        time_dispersion_correction=time_dispersion_correction,
        wrt=wrt,
    )


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
    if not time_dispersion_correction:  # refused before the propagator is built
        nt, nrec = check_wavelet(wavelet).shape[0], check_points(rec, model, "rec").shape[0]
        require_gradient_memory(gradient_plan(model, nt, dt, memory, nrec, illumination), workspace)
    return Solver(model, dt, src, rec, interpolation).gradient(
        residual,
        wavelet,
        memory=memory,
        progress=progress,
        illumination=illumination,
        time_dispersion_correction=time_dispersion_correction,
        workspace=workspace,
        wrt=wrt,
    )
