"""Simulating a survey: every shot's forward modelling, in parallel over shots.

Each shot is one call of :meth:`waveback.Solver.forward` (see :mod:`waveback.propagation` for the
equation, the discretisation and the source scaling) with the survey's model, time step and
interpolation, which travel to each worker once as a :class:`ForwardJob`. Results are handed
to a callback as each shot finishes (in any order), e.g. to commit it to a
:class:`waveback.resumable.ResumableShotFile`; a shot's traces are the same whichever
executor ran it, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..physics import dispersion, footprint
from ..physics.solver import Solver
from . import executors


@dataclass(frozen=True)
class ForwardJob:
    """The inputs every shot of a simulation shares (sent to each worker once).

    Attributes
    ----------
    model : Model
    dt : float
        Time step and sample interval (s).
    interpolation : {"linear", "sinc"}
    snapshots : tuple of int or None
        Time indices of the wavefield snapshots to return with each gather.
    time_dispersion_correction : bool
    progress : bool
        Time-step progress bar of each shot (only useful in this process).
    """

    model: object
    dt: float
    interpolation: str = "linear"
    snapshots: tuple | None = None
    time_dispersion_correction: bool = False
    progress: bool = False


def forward_shot(job: ForwardJob, shot):
    """One shot's gather ``(nt, nrec)``, or ``(gather, snapshots)`` when the job has snapshots.

    The shot function of :func:`simulate` (module-level, so that workers can import it).
    """
    return Solver.for_shot(job.model, shot, job.dt, job.interpolation).forward(
        shot.wavelet,
        snapshots=job.snapshots,
        progress=job.progress,
        time_dispersion_correction=job.time_dispersion_correction,
    )


def simulate(
    survey,
    *,
    executor=None,
    indices=None,
    snapshots=None,
    on_shot=None,
    progress=False,
    time_dispersion_correction=False,
):
    """Model the shots of ``survey``, in parallel over shots.

    Parameters
    ----------
    survey : :class:`waveback.acquisition.Survey`
        Model, time axis and shots (each with its wavelet).
    executor : None, {"serial", "local", "dask"} or executor, optional
        Where the shots run (:mod:`waveback.executors`); None runs them here, one after the
        other. A kind given by name is started and closed by this call; an executor object
        (:func:`waveback.executors.make_executor`) is left open for reuse.
    indices : sequence of int, optional
        The shots to model (e.g. the pending ones of a resumed run); default all.
    snapshots : sequence of int, optional
        Time indices of wavefield snapshots to keep per shot.
    on_shot : callable, optional
        ``on_shot(i, gather, fields)`` in this process as soon as shot ``i`` is done (``fields``
        is None without snapshots); its signature is that of
        :meth:`waveback.resumable.ResumableShotFile.commit`. Shots arrive in any order.
    progress : bool
        Time-step progress bars of each shot with the in-process executor.
    time_dispersion_correction : bool
        Model with the time-dispersion-corrected operators (:mod:`waveback.dispersion`).

    Returns
    -------
    list or None
        Without ``on_shot``: the results in the order of ``indices``, each a gather
        ``(nt, nrec)`` in the model's dtype or, with snapshots, ``(gather, fields)``. With
        ``on_shot``: None (nothing is kept).

    Raises
    ------
    waveback.executors.ShotFailures
        After every other shot has finished (and been passed to ``on_shot``), listing each
        shot that failed with its index and reason.
    """
    if survey.model is None:
        raise ValueError("the survey has no model to simulate in: give one (Survey.model)")
    if any(shot.wavelet is None for shot in survey.shots):
        raise ValueError("every shot needs a wavelet to be simulated")
    count = len(survey.shots)
    indices = list(range(count)) if indices is None else [int(i) for i in indices]
    bad = [i for i in indices if not 0 <= i < count]
    if bad:
        raise ValueError(f"shot indices {bad} are outside the survey's {count} shots")
    snapshots = None if snapshots is None else tuple(int(n) for n in snapshots)
    kept = {}
    with executors.resolve(executor) as ex:
        shot = footprint.forward(
            survey.model,
            dispersion.simulated_steps(survey.nt) if time_dispersion_correction else survey.nt,
            max(survey.shots[i].rec.shape[0] for i in indices) if indices else 0,
            len(snapshots or ()),
        )
        footprint.require(
            footprint.on_workers(
                shot, survey.model, ex, f"forward modelling of {len(indices)} shots"
            ),
            "use a coarser grid or a smaller model, fewer workers, or fewer snapshots",
        )
        job = ForwardJob(
            survey.model,
            float(survey.dt),
            survey.interpolation,
            snapshots or None,
            time_dispersion_correction,
            progress and ex.in_process,
        )
        items = ((i, (survey.shots[i],)) for i in indices)
        for i, result in ex.map_shots(forward_shot, job, items):
            if on_shot is None:
                kept[i] = result
            elif job.snapshots:
                on_shot(i, *result)
            else:
                on_shot(i, result, None)
    return None if on_shot is not None else [kept[i] for i in indices]
