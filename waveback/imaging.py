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

from . import executors
from .checkpointing import Workspace
from .linearised import born, gradient, image_sweep
from .propagation import forward

DIRECT = (None, "subtract", "mute")


def rtm(
    model,
    shots,
    data,
    dt,
    interpolation="linear",
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
    shots : sequence of :class:`waveback.acquisition.Shot`
        Per shot: source positions, receiver positions and the wavelets ``(nt, nsrc)``.
    data : sequence of (nt, nrec) arrays
        The recorded gathers, one per shot.
    dt : float
        Time step and sample interval (s).
    interpolation : {"linear", "sinc"}
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
        The model-shaped image, float64.

    Raises
    ------
    waveback.executors.ShotFailures
        After the other shots have run, listing each shot that failed and why.
    """
    if direct not in DIRECT:
        raise ValueError(f"direct must be one of {DIRECT}, got {direct!r}")
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
    return image


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
    ``job.direct`` says, then :func:`waveback.linearised.image_sweep` migrates it. Both are
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
    return image_sweep(
        model,
        d,
        shot.wavelet,
        shot.src,
        shot.rec,
        dt,
        job.interpolation,
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
    model, shots, dt, interpolation="linear", *, memory="auto", time_dispersion_correction=False
):
    """The Born operator :math:`J` of several shots as a scipy ``LinearOperator``.

    ``matvec(dm)`` maps a flattened model-shaped ``dm`` (of ``m = 1/vp²``) to the
    concatenated, flattened Born gathers of all shots (:func:`waveback.born`);
    ``rmatvec(r)`` is the exact transpose, the sum of the shots' :func:`waveback.gradient`.
    Both work in float64 (the propagation in the model's dtype). Use it with
    ``scipy.sparse.linalg.lsqr`` for least-squares RTM (see :func:`lsrtm`).
    ``time_dispersion_correction`` uses the corrected pair (:mod:`waveback.dispersion`).
    """
    shots = list(shots)
    tdc = time_dispersion_correction
    sizes = [shot.wavelet.shape[0] * shot.rec.shape[0] for shot in shots]
    offsets = np.concatenate([[0], np.cumsum(sizes)])

    def matvec(dm):
        dm = np.asarray(dm, dtype=np.float64).reshape(model.shape)
        return np.concatenate(
            [
                born(
                    model,
                    dm,
                    s.wavelet,
                    s.src,
                    s.rec,
                    dt,
                    interpolation,
                    time_dispersion_correction=tdc,
                ).ravel()
                for s in shots
            ]
        ).astype(np.float64)

    def rmatvec(r):
        r = np.asarray(r, dtype=np.float64).ravel()
        g = np.zeros(model.shape)
        for i, s in enumerate(shots):
            residual = r[offsets[i] : offsets[i + 1]].reshape(s.wavelet.shape[0], -1)
            g += gradient(
                model,
                residual,
                s.wavelet,
                s.src,
                s.rec,
                dt,
                interpolation,
                memory=memory,
                time_dispersion_correction=tdc,
            )
        return g.ravel()

    n = int(np.prod(model.shape))
    return LinearOperator((int(offsets[-1]), n), matvec=matvec, rmatvec=rmatvec, dtype=np.float64)


def lsrtm(
    model,
    shots,
    data,
    dt,
    interpolation="linear",
    *,
    iterations=10,
    damp=0.0,
    memory="auto",
    time_dispersion_correction=False,
):
    """Least-squares RTM: :math:`\\min_{dm} \\|J dm - d\\|^2 + \\text{damp}^2 \\|dm\\|^2` by LSQR.

    ``data`` are the gathers of the scattered wavefield (direct arrival removed, e.g. with
    ``d - forward(background, ...)``). Returns ``(dm, info)``: the model-shaped estimate of the
    squared-slowness perturbation (s²/m²) after ``iterations`` LSQR iterations, and a dict
    with the relative data residual ``residual`` and the ``iterations`` done.
    """
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
    dm = out[0].reshape(model.shape)
    return dm, {"residual": float(out[3] / np.linalg.norm(d)), "iterations": int(out[2])}


def _check_shots(shots, data):
    shots, data = list(shots), list(data)
    if len(shots) != len(data):
        raise ValueError(f"{len(shots)} shots but {len(data)} gathers: give one gather per shot")
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
