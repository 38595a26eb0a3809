"""Full-waveform inversion: misfit, gradient and a bounded quasi-Newton loop over frequency bands.

The misfit of a velocity model ``vp`` over shots ``i`` is by default the least-squares data
misfit

.. math::

    \\Phi(v) = \\tfrac12 \\sum_i \\| F_i(m(v)) - d_i \\|^2, \\qquad m = 1 / v^2,

with its exact gradient :math:`\\sum_i J_i^T (F_i(m) - d_i)` (:func:`waveback.gradient`)
taken to velocity by the chain rule; the other misfits of :mod:`waveback.misfits` replace the
residual by their adjoint source. With source estimation the data are modelled with the
wavelet estimated at every evaluation (:mod:`waveback.wavelet_estimation`), and the gradient
is that of this reduced misfit, exactly. An illumination preconditioner
(:mod:`waveback.preconditioning`) is one more change of variables, and a model penalty
(:mod:`waveback.regularisation`) is added to the normalised misfit of each band.

:func:`fwi` minimises it with scipy's L-BFGS-B under velocity bounds, band by band
(multiscale frequency continuation: the observed data and the wavelets are low-passed together
by the same zero-phase filter, so each band is a consistent problem), optionally with a mask
that freezes the model near the sources, a depth scaling and the illumination preconditioner.
These conditionings are changes of variable, :math:`v = v_0 + P x`-style, so the
optimiser always sees the exact gradient of the function it minimises. Every iteration and
evaluation is saved (atomically) to a history file (:mod:`waveback.fwi_history`), from which
an interrupted inversion resumes bitwise where it stopped.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.signal import butter, sosfiltfilt

from ..data.acquisition import one_gather_per_shot, unpack_survey
from ..physics.checkpointing import Workspace
from ..physics.linearised import gradient_to_velocity
from ..physics.solver import Solver, warn_grid_dispersion
from . import executors, preconditioning, wavelet_estimation
from .fwi_history import VERSION as HISTORY_VERSION
from .fwi_history import History
from .misfits import check_misfit
from .misfits import misfit as evaluate_misfit
from .regularisation import Regularisation

logger = logging.getLogger("waveback")

#: The values of ``source_estimation`` other than False: one wavelet for all shots, or one each.
SOURCE_ESTIMATION = ("shared", "per-shot")


def estimation_mode(source_estimation):
    """None (no estimation), ``"shared"`` (also for True) or ``"per-shot"``; else ValueError."""
    if source_estimation is False or source_estimation is None:
        return None
    if source_estimation is True:
        return "shared"
    if source_estimation not in SOURCE_ESTIMATION:
        raise ValueError(
            f"source_estimation {source_estimation!r} is not known: give False, True "
            f"(one wavelet for all shots), 'shared' or 'per-shot'"
        )
    return source_estimation


def misfit_gradient(
    model,
    shots,
    data,
    dt=None,
    interpolation=None,
    *,
    misfit="l2",
    source_estimation=False,
    source_band_limit=None,
    memory="auto",
    time_dispersion_correction=False,
    executor=None,
    progress=False,
):
    """:math:`\\Phi` and its gradient with respect to ``m = 1/vp²`` summed over shots.

    Parameters
    ----------
    model : Model
    shots : :class:`waveback.acquisition.Survey` or sequence of :class:`~waveback.acquisition.Shot`
        A survey brings its ``dt`` and ``interpolation`` (its own model is not used).
    data : sequence of (nt, nrec) arrays
        Observed gathers, one per shot.
    dt : float
        Time step (s); only with a sequence of shots.
    interpolation : {"linear", "sinc"}
        Default ``"linear"``, or the survey's.
    misfit : {"l2", "correlation", "envelope"}
        The data misfit (:mod:`waveback.misfits`).
    source_estimation : bool or {"shared", "per-shot"}
        Model the data with the wavelet that fits them best in ``model``
        (:mod:`waveback.wavelet_estimation`, the shots' wavelets as reference): one for all
        shots (True, ``"shared"``) or one per shot. :math:`\\Phi` is then the reduced misfit
        and ``g`` its exact gradient (the change of the wavelet with the model included).
    source_band_limit : float, optional
        Highest frequency (Hz) of the estimated wavelets.
    memory : "auto", "full", int or str
        Memory budget of each gradient (see :func:`waveback.gradient`).
    time_dispersion_correction : bool
        Model and differentiate with the corrected operators (:mod:`waveback.dispersion`).
    executor : None, {"serial", "local", "dask"} or executor, optional
        Where the shots run (:mod:`waveback.executors`); None runs them here, one after the
        other. The sums run in shot order whatever the executor, so the result is bitwise
        the same.
    progress : bool
        Show a progress bar over the shots as they finish.

    Returns
    -------
    phi : float
        :math:`\\Phi`, e.g. :math:`\\tfrac12 \\sum_i \\|F_i(m) - d_i\\|^2`.
    g : ndarray
        Model-shaped float64 gradient with respect to ``m``, shots summed in order.

    Raises
    ------
    waveback.executors.ShotFailures
        After the other shots have run, listing each shot that failed and why.
    """
    shots, dt, interpolation = unpack_survey(shots, dt, interpolation)
    shots, data = one_gather_per_shot(shots, data)
    mode = estimation_mode(source_estimation)
    check_misfit(misfit)
    job = MisfitJob(model, dt, interpolation, memory, time_dispersion_correction, misfit)
    phi, g = 0.0, np.zeros(model.shape)
    with executors.resolve(executor) as ex:
        if mode is None:
            items = ((i, pair) for i, pair in enumerate(zip(shots, data, strict=True)))
            arrivals = ex.map_shots(misfit_gradient_shot, job, items)
        else:
            reference = wavelet_estimation.ReferenceJob(
                model, dt, interpolation, time_dispersion_correction
            )
            refs = wavelet_estimation.reference_data(
                reference, shots, [s.wavelet for s in shots], ex
            )
            fit = wavelet_estimation.reduced_misfit(
                refs,
                data,
                dt,
                misfit,
                per_shot=mode == "per-shot",
                band_limit=source_band_limit,
            )
            items = enumerate(zip(shots, fit.shot_misfits, fit.adjoint_sources, strict=True))
            arrivals = ex.map_shots(adjoint_source_gradient_shot, job, items)
        arrivals = executors.counted(arrivals, len(shots), progress, leave=False)
        for _, (phi_shot, g_shot) in executors.in_order(arrivals, range(len(shots))):
            phi += phi_shot
            g += g_shot
    return phi, g


@dataclass(frozen=True)
class MisfitJob:
    """The inputs every shot of :func:`misfit_gradient` shares (sent to each worker once).

    ``workspace`` keeps a full-storage history for the next shot in the same process (it
    travels empty).
    """

    model: object
    dt: float
    interpolation: str = "linear"
    memory: object = "auto"
    time_dispersion_correction: bool = False
    misfit: str = "l2"
    workspace: Workspace = field(default_factory=Workspace, compare=False, repr=False)


def misfit_gradient_shot(job: MisfitJob, shot, data):
    """One shot's misfit :math:`\\Phi(F(m), d)` (float) and its gradient in ``m``.

    The shot function of :func:`misfit_gradient` with the shot's own wavelet; the gradient
    is in the model's dtype.
    """
    solver = Solver.for_shot(job.model, shot, job.dt, job.interpolation)
    modelled = solver.forward(
        shot.wavelet, time_dispersion_correction=job.time_dispersion_correction
    )
    if job.misfit == "l2":  # in the model's dtype, as the residual always was
        residual = modelled - data
        phi = 0.5 * float(np.sum(residual.astype(np.float64) ** 2))
    else:
        phi, residual = evaluate_misfit(job.misfit, modelled, data)
    return adjoint_source_gradient_shot(job, shot, phi, residual, solver)


def adjoint_source_gradient_shot(job: MisfitJob, shot, phi, adjoint_source, solver=None):
    """``(phi, J^T adjoint_source)`` for one shot: the backward sweep of :func:`misfit_gradient`.

    ``solver`` is the shot's :class:`waveback.Solver` when the caller has built it already.
    """
    if solver is None:
        solver = Solver.for_shot(job.model, shot, job.dt, job.interpolation)
    g, _ = solver.gradient(
        adjoint_source,
        shot.wavelet,
        memory=executors.shot_memory(job.memory),
        time_dispersion_correction=job.time_dispersion_correction,
        workspace=job.workspace,
    )
    return phi, g


def lowpass(traces, dt, f_max, order=6):
    """Zero-phase Butterworth low-pass of ``traces`` along axis 0 (time) at ``f_max`` Hz.

    Applied forwards and backwards (``sosfiltfilt``), so the phase is untouched and the
    attenuation is squared; ``f_max`` of None returns the traces unchanged (float64).
    """
    traces = np.asarray(traces, dtype=np.float64)
    if f_max is None:
        return traces
    nyquist = 0.5 / dt
    if not 0 < f_max < nyquist:
        raise ValueError(f"band limit {f_max} Hz must lie between 0 and the Nyquist {nyquist} Hz")
    sos = butter(order, f_max / nyquist, output="sos")
    return sosfiltfilt(sos, traces, axis=0)


@dataclass
class FWIResult:
    """The inverted velocity and the history of the inversion.

    Attributes
    ----------
    vp : ndarray
        Final velocity (m/s), model-shaped.
    misfit : list of float
        :math:`\\Phi` after each iteration (of the band it belongs to).
    band : list of int
        The band index of each entry of ``misfit``.
    initial_misfit : list of float
        :math:`\\Phi` of the starting model of each band.
    """

    vp: np.ndarray
    misfit: list = field(default_factory=list)
    band: list = field(default_factory=list)
    initial_misfit: list = field(default_factory=list)


def fwi(
    model,
    shots,
    data,
    dt=None,
    interpolation=None,
    *,
    bounds,
    bands=(None,),
    iterations=10,
    misfit="l2",
    source_estimation=False,
    precondition=None,
    regularisation=None,
    source_radius=0.0,
    depth_scaling=0.0,
    memory="auto",
    history=None,
    callback=None,
    progress=False,
    time_dispersion_correction=False,
    executor=None,
):
    """Full-waveform inversion by L-BFGS-B with velocity bounds and frequency continuation.

    Parameters
    ----------
    model : Model
        The starting model (its grid, boundary and dtype are kept).
    shots : :class:`waveback.acquisition.Survey` or sequence of :class:`~waveback.acquisition.Shot`
        A survey brings its ``dt`` and ``interpolation`` (its own model is not used).
    data : sequence of (nt, nrec) arrays
        Observed gathers, one per shot.
    dt : float
        Time step (s); only with a sequence of shots.
    interpolation : {"linear", "sinc"}
        Default ``"linear"``, or the survey's.
    bounds : (float, float)
        Smallest and largest velocity (m/s) allowed; ``dt`` must be stable for the largest.
    bands : sequence of float or None
        Low-pass limits (Hz), low to high; None is the full band.
    iterations : int
        L-BFGS-B iterations per band.
    misfit : {"l2", "correlation", "envelope"}
        The data misfit (:mod:`waveback.misfits`): least squares; the trace-normalised
        cross-correlation, blind to the amplitude of every trace; or the squared-envelope
        difference, which resists cycle skipping.
    source_estimation : bool or {"shared", "per-shot"}
        Re-estimate the source wavelet at every evaluation (:mod:`waveback.wavelet_estimation`)
        from the shots' wavelets (reference, low-passed with the band, which also limits the
        estimate): one for all shots (True, ``"shared"``) or one per shot. The optimiser then
        minimises the reduced misfit with its exact gradient (variable projection: at the
        least-squares wavelet the derivative of the least-squares misfit with respect to the
        wavelet vanishes, and what the truncation and stabilisation leave is included).
    precondition : None or "illumination"
        Divide the gradient by the source illumination of each band's starting model, as a
        change of variables (:mod:`waveback.preconditioning`); one extra sweep per shot and band.
    regularisation : :class:`waveback.regularisation.Regularisation`, optional
        Tikhonov or total-variation penalty on the velocity (relative to the upper bound),
        added to the data misfit normalised by its value at the start of each band.
    source_radius : float
        Points within this distance (m) of a source keep their starting velocity.
    depth_scaling : float
        Exponent ``p``: updates are scaled by :math:`(z / z_{max})^p` (``z`` the depth below
        the model top, at least one grid spacing), countering the decay of the gradient.
    memory : "auto", "full", int or str
        Memory budget of each gradient.
    history : path, optional
        HDF5 file (:mod:`waveback.fwi_history`) to which every misfit evaluation and every
        iteration is saved atomically. If it exists, it must hold the history of this very
        inversion (the same model and settings, data, acquisition, bands, bounds, misfit,
        source estimation, preconditioning and regularisation; ``memory``, ``executor`` and
        ``iterations`` may differ): the inversion is then replayed from it and continues
        where it stopped, bitwise equal to one that was never interrupted. A larger
        ``iterations`` continues a finished inversion, again bitwise equal to one run with that
        many from the start; a smaller one is refused.
    callback : callable, optional
        ``callback(band, iteration, misfit, vp)`` after every iteration (not again for the
        iterations replayed from ``history``).
    progress : bool
        Show a progress bar over the shots of every misfit evaluation (the misfit of every
        iteration is logged at INFO level, to the ``waveback`` logger, either way).
    time_dispersion_correction : bool
        Invert with the time-dispersion-corrected operators (:mod:`waveback.dispersion`).
    executor : None, {"serial", "local", "dask"} or executor, optional
        Where each misfit evaluation runs its shots (:mod:`waveback.executors`); None runs
        them here. A kind given by name is started once for the whole inversion. The
        gradients, hence the iterates, are bitwise the same for every executor.

    Returns
    -------
    FWIResult
        Its ``misfit`` includes the regularisation term (in units of the data misfit).

    Raises
    ------
    ValueError
        Bad bounds, an unstable ``dt`` or an unknown setting; a ``history`` of another
        inversion, of more iterations, or one that this optimiser does not follow.
    """
    shots, dt, interpolation = unpack_survey(shots, dt, interpolation)
    shots, data = one_gather_per_shot(shots, data)
    data = [np.asarray(d, dtype=np.float64) for d in data]
    vmin, vmax = (float(b) for b in bounds)
    if not 0 < vmin < vmax:
        raise ValueError(f"bounds must be 0 < vmin < vmax (m/s), got {bounds}")
    if dt > model.with_vp(np.full(model.shape, vmax)).critical_dt():
        raise ValueError(
            f"dt = {dt} s is unstable for the upper velocity bound {vmax} m/s: lower dt or vmax"
        )
    check_misfit(misfit)
    mode = estimation_mode(source_estimation)
    preconditioning.check_preconditioner(precondition)
    if regularisation is not None and not isinstance(regularisation, Regularisation):
        raise TypeError(
            f"regularisation must be None or a waveback.regularisation.Regularisation, e.g. "
            f"Regularisation('tv', 1e-2), got {type(regularisation).__name__}"
        )
    tdc = time_dispersion_correction
    scale = _variable_scale(model, vmax, depth_scaling)
    frozen = _near_sources(model, shots, source_radius)
    limits = tuple(None if f is None else float(f) for f in bands)
    settings = (str(interpolation), limits, (vmin, vmax), float(source_radius))
    settings += (float(depth_scaling), bool(tdc), misfit, mode, wavelet_estimation.EPSILON)
    settings += (precondition, preconditioning.EPSILON, regularisation)
    key = _fingerprint(model, shots, data, dt, scale, frozen, settings)
    record = History(history, key, model.shape, iterations)
    result = FWIResult(np.asarray(model.vp, dtype=np.float64).copy())

    def report(b, n, phi):
        record.save(result)
        logger.info("band %d iteration %d: misfit %.6g", b, n, phi)
        if callback is not None:
            callback(b, n, phi, result.vp)

    slowest = model.with_vp(np.full(model.shape, vmin))  # the dispersion check, once, at vmin
    for wavelet in {s.wavelet.tobytes(): s.wavelet for s in shots}.values():
        warn_grid_dispersion(slowest, wavelet, dt)
    with executors.resolve(executor) as ex, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="grid dispersion")
        for b, f_max in enumerate(bands):
            band_data = [lowpass(d, dt, f_max).astype(model.dtype) for d in data]
            band_shots = [type(s)(s.src, s.rec, lowpass(s.wavelet, dt, f_max)) for s in shots]
            problem = (model, band_shots, band_data, dt, interpolation, memory, tdc)
            options = {"misfit": misfit, "source_estimation": mode, "source_band_limit": f_max}
            options["progress"] = progress  # how it shows, not what it computes: not hashed
            band_scale = scale
            if precondition == "illumination":
                job = preconditioning.IlluminationJob(
                    model.with_vp(result.vp), dt, interpolation, memory, tdc
                )
                illum = preconditioning.illumination(job, band_shots, ex)
                band_scale = scale * preconditioning.illumination_scale(illum)
            penalty = None if regularisation is None else (regularisation, vmax)
            _run_band(
                (problem, options, penalty),
                result,
                b,
                iterations,
                band_scale,
                frozen,
                (vmin, vmax),
                record,
                report,
                ex,
            )
    return result


#: scipy's L-BFGS-B options of every band (part of the fingerprint of an inversion).
LBFGSB_OPTIONS = {"ftol": 1e-14, "gtol": 0.0, "maxcor": 10}


def _run_band(band, result, b, iterations, scale, frozen, bounds, record, report, executor):
    """L-BFGS-B on ``x = vp / scale`` for one band, the misfit normalised by its start value.

    ``band`` is ``(problem, options, penalty)``: the arguments and keyword options of
    :func:`_objective`, and ``(regularisation, reference velocity)`` or None. Every
    evaluation ``record`` holds for this band is answered from it, the others are computed
    and recorded; iterations the record already held are not reported again. The penalty,
    cheap and deterministic, is added to the recorded data misfit at every evaluation.
    """
    problem, options, penalty = band
    x0 = (result.vp / scale).ravel()
    count = 0

    def evaluate(x):
        nonlocal count
        recorded = record.recorded(b, count)
        if recorded is None:
            value = _objective(*problem, _velocity(x, scale), executor=executor, **options)
        else:
            recorded_x, *value = recorded
            record.check(b, count, x, recorded_x.ravel())
        if count == 0:
            result.initial_misfit.append(value[0])
        if recorded is None:
            record.append(b, x, *value, result)
        count += 1
        return tuple(value)

    phi0, g0 = evaluate(x0)
    norm = phi0 if phi0 > 0 else 1.0
    cache = {"x": x0.copy(), "value": (phi0, g0)}

    def fun(x):
        if not np.array_equal(x, cache["x"]):
            cache["x"] = x.copy()
            cache["value"] = evaluate(cache["x"])
        phi, g_v = cache["value"]
        value, grad = phi / norm, g_v / norm
        if penalty is not None:
            r, g_r = penalty[0].penalty(_velocity(x, scale), penalty[1])
            value, grad = value + r, grad + g_r
        return value, (grad * scale).ravel()

    def on_iteration(intermediate_result):
        result.vp = _velocity(intermediate_result.x, scale)
        result.misfit.append(float(intermediate_result.fun * norm))
        result.band.append(b)
        n = result.band.count(b)
        if n > record.iterations.get(b, 0):
            report(b, n, result.misfit[-1])

    lo = np.where(frozen.ravel(), x0, bounds[0] / scale.ravel())
    hi = np.where(frozen.ravel(), x0, bounds[1] / scale.ravel())
    minimize(
        fun,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=list(zip(lo, hi, strict=True)),
        callback=on_iteration,
        options={"maxiter": iterations, **LBFGSB_OPTIONS},
    )


def _velocity(x, scale):
    return np.asarray(x, dtype=np.float64).reshape(scale.shape) * scale


def _objective(model, shots, data, dt, interpolation, memory, tdc, vp, executor=None, **options):
    """Misfit and its gradient with respect to velocity (float64, model-shaped).

    ``options``: ``misfit``, ``source_estimation``, ``source_band_limit`` and ``progress`` of
    :func:`misfit_gradient`.
    """
    trial = model.with_vp(vp)
    phi, g_m = misfit_gradient(
        trial,
        shots,
        data,
        dt,
        interpolation,
        memory=memory,
        time_dispersion_correction=tdc,
        executor=executor,
        **options,
    )
    return phi, gradient_to_velocity(g_m, vp)


def _variable_scale(model, vmax, depth_scaling):
    """``vp = scale * x``: a velocity scale times :math:`(z / z_{max})^{p/2}` (update ∝ scale²)."""
    h = model.spacing[0]
    z = np.maximum(np.arange(model.shape[0]) * h, h)
    weight = (z / z[-1]) ** (0.5 * depth_scaling)
    return vmax * np.broadcast_to(weight.reshape((-1,) + (1,) * (model.ndim - 1)), model.shape)


def _near_sources(model, shots, radius):
    """Boolean model-shaped mask of the points within ``radius`` (m) of any source."""
    if radius <= 0:
        return np.zeros(model.shape, bool)
    axes = [
        o + np.arange(n) * h
        for o, n, h in zip(model.origin, model.shape, model.spacing, strict=True)
    ]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    mask = np.zeros(model.shape, bool)
    for shot in shots:
        for s in shot.src:
            mask |= np.linalg.norm(grid - s, axis=-1) <= radius
    return mask


def _fingerprint(model, shots, data, dt, scale, frozen, settings):
    """A hash of everything that defines the inversion (a history must match it to resume).

    Every attribute of ``model`` (velocities, grid, order, boundary and absorbing-layer
    settings, free surface, dtype), the acquisition and wavelets, the data, ``dt``, the
    variable scale and the frozen mask, ``settings`` (interpolation, bands, bounds,
    conditioning, time-dispersion correction, misfit, source estimation, preconditioner and
    regularisation, with their stabilisations), the optimiser's options and the history
    format. Not the memory budget nor the executor: they leave the result bitwise the same.
    """
    digest = hashlib.sha256()

    def add(item):
        if isinstance(item, np.ndarray):
            digest.update(f"{item.dtype.str}{item.shape}".encode())
            digest.update(np.ascontiguousarray(item).tobytes())
        else:
            digest.update(repr(item).encode())

    for name, value in sorted(vars(model).items()):
        add(name)
        add(value)
    for shot in shots:
        add(np.asarray(shot.src, dtype=np.float64))
        add(np.asarray(shot.rec, dtype=np.float64))
        add(np.asarray(shot.wavelet, dtype=np.float64))
    for gather in data:
        add(gather)
    for item in (float(dt), scale, frozen, settings, LBFGSB_OPTIONS, HISTORY_VERSION):
        add(item)
    return digest.hexdigest()
