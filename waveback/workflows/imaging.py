"""Reverse-time migration and least-squares migration.

Reverse-time migration (RTM) correlates, at every time step, the source wavefield
(propagated forward from the wavelet in a smooth migration model) with the receiver
wavefield (the recorded data back-propagated in reversed time). Here the correlation is the
one that is exact for the discrete scheme: the image of a shot is the gradient of
:func:`waveback.gradient` applied to its (processed) data,

.. math::

    I = J^T d = -\\sum_n \\frac{D^n q^n}{m w_2 K}, \\qquad
    D^n = u^{n+1} - 2K u^n + (2K - 1) u^{n-1},

an image of the squared-slowness perturbation ``dm`` (positive where ``m`` increases, i.e.
where the velocity drops). :math:`D^n` is :math:`\\Delta t^2` times the second time
derivative of the source wavefield, which is what the Born scattering of the wave equation
:math:`m \\partial_t^2 u - \\nabla^2 u = s` produces; correlating it with the adjoint field is
the zero-lag cross-correlation imaging condition with the correct wavelet phase.

Processing options: removal of the direct arrival (subtract the data modelled in a smooth
background, or mute before the first arrival), source-illumination compensation (divide the
stack by :math:`\\sum_{shots} \\sum_n (u^n)^2` plus a stabilising fraction of its maximum),
a Laplacian filter :math:`-\\nabla^2 I` against the low-wavenumber backscattering artefacts,
and stacking over shots.

Least-squares RTM inverts the Born operator :math:`J` of all shots; :func:`born_operator`
exposes it as a :class:`scipy.sparse.linalg.LinearOperator` (``matvec`` = :func:`born`,
``rmatvec`` = :func:`gradient`) for scipy's ``lsqr`` or ``cg``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse.linalg import LinearOperator, lsqr

from ..data.acquisition import one_gather_per_shot, unpack_survey
from ..physics.checkpointing import Workspace
from ..physics.propagation import Propagator
from ..physics.solver import Solver, forward
from . import executors

DIRECT = (None, "subtract", "mute")


def rtm(
    model,
    shots,
    data,
    dt=None,
    interpolation=None,
    *,
    direct=None,
    background=None,
    mute_velocity=None,
    illumination=False,
    epsilon=1e-3,
    laplacian=False,
    memory="auto",
    progress=False,
    time_dispersion_correction=False,
    executor=None,
):
    """Reverse-time migration of several shots, stacked.

    Parameters
    ----------
    model : Model
        The (smooth) migration model.
    shots : :class:`waveback.acquisition.Survey` or sequence of :class:`~waveback.acquisition.Shot`
        Per shot: source positions, receiver positions and the wavelets ``(nt, nsrc)``. A
        survey brings its ``dt`` and ``interpolation`` (its own model is not used).
    data : sequence of (nt, nrec) arrays
        The recorded gathers, one per shot.
    dt : float
        Time step and sample interval (s); only with a sequence of shots.
    interpolation : {"linear", "sinc"}
        Off-grid scheme; default ``"linear"``, or the survey's.
    direct : {None, "subtract", "mute"}
        Removal of the direct arrival: ``"subtract"`` the data modelled in ``background``
        (default: the migration model, whose smoothness keeps reflections out of it);
        ``"mute"`` zeroes each trace before the direct wave has passed (see :func:`mute`).
    background : Model, optional
        The model whose data ``direct="subtract"`` removes.
    mute_velocity : float, optional
        Velocity (m/s) of the direct wave for ``direct="mute"``; default the largest velocity
        of the model.
    illumination : bool
        Divide the stack by the source illumination
        :math:`\\sum_{shots}\\sum_n (u^n)^2 + \\epsilon \\max(\\cdot)`.
    epsilon : float
        Stabilisation of the illumination division, relative to the largest illumination.
    laplacian : bool
        Apply :math:`-\\nabla^2` (see :func:`laplacian_filter`) to the stack.
    memory : "auto", "full", int or str
        Memory budget of each shot's sweep, as for :func:`waveback.gradient`.
    progress : bool
        Show progress bars over shots and time steps.
    time_dispersion_correction : bool
        Image with the time-dispersion-corrected operators (:mod:`waveback.dispersion`).
    executor : None, {"serial", "local", "dask"} or executor, optional
        Where the shots run (:mod:`waveback.executors`); None runs them here, one after the
        other. The stack adds the shots in index order whatever the executor, so the image
        is bitwise the same.

    Returns
    -------
    ndarray
        The model-shaped image in the model's dtype (the stack is summed in float64).

    Raises
    ------
    waveback.executors.ShotFailures
        After the other shots have run, listing each shot that failed and why.
    """
    if direct not in DIRECT:
        raise ValueError(f"direct must be one of {DIRECT}, got {direct!r}")
    shots, dt, interpolation = unpack_survey(shots, dt, interpolation)
    shots, data = _check_shots(shots, data)
    image = np.zeros(model.shape)
    illum = np.zeros(model.shape) if illumination else None
    with executors.resolve(executor) as ex:
        job = ImageJob(
            model,
            dt,
            interpolation,
            direct,
            background,
            mute_velocity,
            illumination,
            memory,
            time_dispersion_correction,
            progress and ex.in_process,
        )
        items = ((i, pair) for i, pair in enumerate(zip(shots, data, strict=True)))
        arrivals = executors.counted(ex.map_shots(image_shot, job, items), len(shots), progress)
        for _, (g, ill) in executors.in_order(arrivals, range(len(shots))):
            image += g
            if illumination:
                illum += ill
    if illumination:
        image /= illum + epsilon * illum.max()
    if laplacian:
        image = laplacian_filter(image, model.spacing)
    return image.astype(model.dtype)


@dataclass(frozen=True)
class ImageJob:
    """The inputs every shot of :func:`rtm` shares (sent to each worker once).

    The attributes are :func:`rtm`'s parameters of the same names; ``progress`` asks for the
    time-step progress bars of each shot (only useful in this process). ``workspace`` keeps a
    full-storage history for the next shot in the same process (it travels empty).
    """

    model: object
    dt: float
    interpolation: str = "linear"
    direct: str | None = None
    background: object = None
    mute_velocity: float | None = None
    illumination: bool = False
    memory: object = "auto"
    time_dispersion_correction: bool = False
    progress: bool = False
    workspace: Workspace = field(default_factory=Workspace, compare=False, repr=False)


def image_shot(job: ImageJob, shot, data):
    """One shot's image and source illumination ``(g, illum)`` (illum None unless asked for).

    The shot function of :func:`rtm`: the direct arrival is removed from ``data`` as
    ``job.direct`` says, then :meth:`waveback.Solver.gradient` migrates it. Both are
    model-shaped, in the model's dtype.
    """
    model, dt, tdc = job.model, job.dt, job.time_dispersion_correction
    d = np.asarray(data, dtype=np.float64)
    if job.direct == "subtract":
        d = d - forward(
            job.background if job.background is not None else model,
            shot.wavelet,
            shot.src,
            shot.rec,
            dt,
            job.interpolation,
            time_dispersion_correction=tdc,
        )
    elif job.direct == "mute":
        velocity = job.mute_velocity or float(model.vp.max())
        d = mute(d, shot.src, shot.rec, dt, velocity, _duration(shot.wavelet, dt))
    return Solver.for_shot(model, shot, dt, job.interpolation).gradient(
        d,
        shot.wavelet,
        memory=executors.shot_memory(job.memory),
        progress=job.progress,
        illumination=job.illumination,
        time_dispersion_correction=tdc,
        workspace=job.workspace,
    )


def mute(data, src, rec, dt, velocity, duration, taper=None):
    """Zero each trace before its direct arrival has passed.

    Sample ``n`` of receiver ``r`` is kept when
    :math:`n\\,dt \\ge \\min_s |x_r - x_s| / v + \\text{duration}`, with a cosine ramp of
    ``taper`` seconds (default ``duration / 2``) before that time.

    Parameters
    ----------
    data : (nt, nrec) array_like
    src, rec : (nsrc, ndim), (nrec, ndim) array_like
        Positions (m).
    dt : float
        Sample interval (s).
    velocity : float
        Velocity of the direct wave (m/s); the fastest velocity near the sources is safe.
    duration : float
        Time (s) after the first-arrival time during which the direct wave lasts (the
        wavelet's duration including its delay).
    """
    data = np.asarray(data, dtype=np.float64)
    src, rec = np.atleast_2d(src), np.atleast_2d(rec)
    distance = np.linalg.norm(rec[:, None, :] - src[None, :, :], axis=2).min(axis=1)
    taper = duration / 2 if taper is None else taper
    t = np.arange(data.shape[0])[:, None] * dt
    start = distance[None, :] / velocity + duration
    ramp = np.clip((t - (start - taper)) / max(taper, dt), 0.0, 1.0)
    return data * (0.5 - 0.5 * np.cos(np.pi * ramp))


def laplacian_filter(image, spacing):
    """:math:`-\\nabla^2 I` by second-order differences (edge values replicated).

    Suppresses the smooth low-wavenumber artefacts of RTM (backscattering at sharp velocity
    contrasts) and sharpens reflectors; the sign keeps a positive bump positive.
    """
    image = np.asarray(image, dtype=np.float64)
    spacing = np.broadcast_to(np.asarray(spacing, dtype=np.float64), (image.ndim,))
    padded = np.pad(image, 1, mode="edge")
    out = np.zeros_like(image)
    centre = tuple(slice(1, -1) for _ in range(image.ndim))
    for axis, h in enumerate(spacing):
        lo = tuple(slice(0, -2) if a == axis else slice(1, -1) for a in range(image.ndim))
        hi = tuple(slice(2, None) if a == axis else slice(1, -1) for a in range(image.ndim))
        out -= (padded[lo] - 2 * padded[centre] + padded[hi]) / h**2
    return out


def depth_mute(image, spacing, origin, depth, taper=0.0):
    """Zero the image above ``depth`` and ramp it up over the ``taper`` metres below.

    The weight of a node at depth :math:`z` is :math:`\\sin^2(\\tfrac{\\pi}{2}
    \\min(1, \\max(0, (z - z_m) / \\tau)))` with :math:`z_m` = ``depth`` and :math:`\\tau` =
    ``taper`` (a step at ``depth`` when ``taper`` is 0): nodes at or above ``depth`` are
    zeroed, nodes ``taper`` or more below it kept. This removes the near field of a surface
    acquisition, where the source and receiver wavefields are both strong and the image holds
    no reflector.

    Parameters
    ----------
    image : (nz, ...) array_like
        A model-shaped image, z first.
    spacing, origin : float or sequence of float
        The image's grid (m); only their z components are used.
    depth : float
        Depth (m) down to which the image is zeroed.
    taper : float
        Length (m) of the ramp below ``depth``; 0 for a step.

    Returns
    -------
    ndarray
        The muted image, float64.
    """
    image = np.asarray(image, dtype=np.float64)
    if not (np.isfinite(depth) and np.isfinite(taper) and taper >= 0):
        raise ValueError(
            f"depth_mute needs a finite depth and a finite taper >= 0 (m), got depth {depth} "
            f"and taper {taper}"
        )
    h = float(np.atleast_1d(spacing)[0])
    z0 = float(np.atleast_1d(origin)[0])
    z = z0 + h * np.arange(image.shape[0])
    ramp = (z - depth) / taper if taper > 0 else np.where(z > depth, 1.0, 0.0)
    weight = np.sin(0.5 * np.pi * np.clip(ramp, 0.0, 1.0)) ** 2
    return image * weight.reshape((-1,) + (1,) * (image.ndim - 1))


def born_operator(
    model,
    shots,
    dt=None,
    interpolation=None,
    *,
    memory="auto",
    relative=False,
    time_dispersion_correction=False,
):
    """The Born operator :math:`J` of several shots as a scipy ``LinearOperator``.

    ``matvec(dm)`` maps a (flattened) model-shaped ``dm`` (of ``m = 1/vp²``, s²/m²) to the
    concatenated, flattened Born gathers of all shots (:meth:`waveback.Solver.born`);
    ``rmatvec(r)`` is the exact transpose, the sum of the shots' gradients
    (:meth:`waveback.Solver.gradient`). One :class:`waveback.Solver` per shot, sharing one
    propagator, is built here and reused by every product.

    Parameters
    ----------
    model : Model
        The background model.
    shots : :class:`waveback.acquisition.Survey` or sequence of :class:`~waveback.acquisition.Shot`
        The shots (with wavelets); a survey brings its ``dt`` and ``interpolation``.
    dt : float
        Time step (s); only with a sequence of shots.
    interpolation : {"linear", "sinc"}
        Default ``"linear"``, or the survey's.
    memory : "auto", "full", int or str
        Memory budget of each gradient (see :func:`waveback.gradient`).
    relative : bool
        Scale the model space by ``m``: ``x = dm / m`` (dimensionless, about ``-2 dv / v``)
        and the operator is :math:`J\\,\\mathrm{diag}(m)`. Without it, ``dm`` is in s²/m²
        (about 1e-8 for a 10 % change at 2000 m/s), so a regularisation weight on ``dm``
        (e.g. LSQR's ``damp``) must be about 1e6 times larger than one on ``x``.
    time_dispersion_correction : bool
        The corrected pair (:mod:`waveback.dispersion`).

    Returns
    -------
    scipy.sparse.linalg.LinearOperator
        Shape ``(sum_i nt * nrec_i, prod(model.shape))`` and the model's dtype (products are
        computed in it). ``dims`` (the model's shape) and ``dimsd`` (``(nrows,)``) say how a
        vector folds, as PyLops operators do; ``matvec`` also accepts a model-shaped array.
    """
    shots, dt, interpolation = unpack_survey(shots, dt, interpolation)
    shots, _ = _check_shots(shots, shots)
    tdc = time_dispersion_correction
    propagator = Propagator(model, dt)
    solvers = [Solver(model, dt, s.src, s.rec, interpolation, propagator) for s in shots]
    sizes = [shot.wavelet.shape[0] * shot.rec.shape[0] for shot in shots]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    dtype = model.dtype
    scale = model.m.astype(np.float64) if relative else np.ones(model.shape)

    def matvec(x):
        dm = np.asarray(x, dtype=np.float64).reshape(model.shape) * scale
        return np.concatenate(
            [
                solver.born(dm, s.wavelet, time_dispersion_correction=tdc).ravel()
                for solver, s in zip(solvers, shots, strict=True)
            ]
        ).astype(dtype)

    def rmatvec(r):
        r = np.asarray(r, dtype=np.float64).ravel()
        g = np.zeros(model.shape)
        for i, (solver, s) in enumerate(zip(solvers, shots, strict=True)):
            residual = r[offsets[i] : offsets[i + 1]].reshape(s.wavelet.shape[0], -1)
            g += solver.gradient(
                residual, s.wavelet, memory=memory, time_dispersion_correction=tdc
            )[0]
        return (g * scale).ravel().astype(dtype)

    n = int(np.prod(model.shape))
    op = LinearOperator((int(offsets[-1]), n), matvec=matvec, rmatvec=rmatvec, dtype=dtype)
    op.dims, op.dimsd = tuple(model.shape), (int(offsets[-1]),)
    return op


def lsrtm(
    model,
    shots,
    data,
    dt=None,
    interpolation=None,
    *,
    iterations=10,
    damp=0.0,
    memory="auto",
    time_dispersion_correction=False,
):
    """Least-squares RTM: :math:`\\min_{dm} \\|J dm - d\\|^2 + \\text{damp}^2 \\|dm\\|^2` by LSQR.

    ``data`` are the gathers of the scattered wavefield (direct arrival removed, e.g. with
    ``d - forward(background, ...)``). Returns ``(dm, info)``: the model-shaped estimate of the
    squared-slowness perturbation (s²/m², in the model's dtype) after ``iterations`` LSQR
    iterations, and a dict with the relative data residual ``residual`` and the
    ``iterations`` done. ``shots`` is a :class:`waveback.acquisition.Survey` (which brings
    ``dt`` and ``interpolation``) or a sequence of shots, as for :func:`rtm`. ``damp`` weighs
    ``dm`` in s²/m² (see :func:`born_operator` on the scale).
    """
    shots, dt, interpolation = unpack_survey(shots, dt, interpolation)
    shots, data = _check_shots(shots, data)
    op = born_operator(
        model,
        shots,
        dt,
        interpolation,
        memory=memory,
        time_dispersion_correction=time_dispersion_correction,
    )
    d = np.concatenate([np.asarray(g, dtype=np.float64).ravel() for g in data])
    if d.size != op.shape[0]:
        raise ValueError(
            f"data hold {d.size} samples, the shots' receivers and time axis {op.shape[0]}"
        )
    out = lsqr(op, d, damp=damp, iter_lim=iterations, atol=0.0, btol=0.0)
    dm = out[0].reshape(model.shape).astype(model.dtype)
    return dm, {"residual": float(out[3] / np.linalg.norm(d)), "iterations": int(out[2])}


def _check_shots(shots, data):
    shots, data = one_gather_per_shot(shots, data)
    for i, shot in enumerate(shots):
        if shot.wavelet is None:
            raise ValueError(
                f"shot {i} has no wavelet: give one (e.g. waveback.ricker) to image recorded data"
            )
    return shots, data


def _duration(wavelet, dt, level=0.01):
    """Time (s) of the last sample where the wavelet exceeds ``level`` of its peak."""
    w = np.abs(np.asarray(wavelet, dtype=np.float64)).reshape(wavelet.shape[0], -1).max(axis=1)
    return float(np.nonzero(w >= level * w.max())[0][-1] * dt)
