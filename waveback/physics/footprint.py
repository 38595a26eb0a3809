"""Memory known up front: what a propagation, a gradient or a run of shots will allocate.

An :class:`Estimate` adds up the arrays waveback allocates for one shot (wavefields, absorbing
boundary memory, coefficients, traces, snapshots, a gradient's history or checkpoints), from
shapes alone and without allocating anything, times the workers that run shots side by side
(each with its copy of the model). The interpreter and libraries are not counted, nor are
the float64 temporaries of the padded velocity (16 bytes per padded point) that a
propagator's set-up holds briefly, before the wavefields exist.
:func:`require` compares an estimate with the memory available now (``MemAvailable`` of
``/proc/meminfo``, see :func:`waveback.checkpointing.available_memory`) and refuses with both
figures and what to change, before any work starts.

The wavefield and boundary-array shapes come from :func:`waveback.propagation.state_shapes`,
the function :meth:`~waveback.propagation.Propagator.new_state` allocates from, so the
estimates follow the propagator's layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checkpointing, propagation

MIB, GIB = 2**20, 2**30


class MemoryShortage(ValueError):
    """The arrays of a computation do not fit in the memory available."""


@dataclass(frozen=True)
class Estimate:
    """The memory of one computation: named parts per worker, times the workers.

    Attributes
    ----------
    what : str
        The computation, as a message names it ("forward modelling of 2 shots").
    parts : tuple of (str, int)
        Bytes of each kind of array in one worker.
    workers : int
        Workers that each hold ``parts`` at the same time.
    """

    what: str
    parts: tuple
    workers: int = 1

    @property
    def per_worker(self) -> int:
        """Bytes one worker allocates."""
        return sum(n for _, n in self.parts)

    @property
    def total(self) -> int:
        """Bytes allocated in all: :attr:`per_worker` times :attr:`workers`."""
        return self.per_worker * self.workers

    def __str__(self) -> str:
        parts = ", ".join(f"{name} {size(n)}" for name, n in self.parts if n)
        workers = f" per worker x {self.workers} workers" if self.workers > 1 else ""
        return f"{size(self.total)} ({parts}{workers})"


def size(nbytes: int) -> str:
    """A byte count in KiB, MiB or GiB, e.g. ``"37.3 GiB"``."""
    if nbytes >= GIB:
        return f"{nbytes / GIB:.1f} GiB"
    return f"{nbytes / MIB:.1f} MiB" if nbytes >= MIB else f"{nbytes / 2**10:.1f} KiB"


def field_bytes(model) -> int:
    """Bytes of one wavefield on the padded grid, in the model's dtype."""
    return int(np.prod(model.padded_shape, dtype=np.int64)) * model.dtype.itemsize


def coefficient_bytes(model) -> int:
    """Bytes of a propagator's constant fields: ``w2``; with a density also ``w2 rho``, the
    buoyancy and the flux scratch of each axis (model dtype) and ``rho`` (float64); with
    attenuation the weights :math:`a_l` of the ``L`` mechanisms."""
    field = field_bytes(model)
    relaxation = 0 if model.attenuation is None else model.sls.n_mechanisms * field
    if model.rho is None:
        return field + relaxation
    return (2 + 2 * model.ndim) * field + field * 8 // model.dtype.itemsize + relaxation


def state_bytes(model) -> int:
    """Bytes of one propagator state: two time levels, the absorbing-boundary memory and the
    attenuation's memory variables."""
    u, u_prev, psi, zeta, memory = propagation.state_shapes(model)
    points = sum(int(np.prod(s, dtype=np.int64)) for s in (u, u_prev, *psi, *zeta, *memory))
    return points * model.dtype.itemsize


def memory_bytes(model) -> int:
    """Bytes of the attenuation's memory variables in one state (0 without attenuation)."""
    shapes = propagation.state_shapes(model)[4]
    return sum(int(np.prod(s, dtype=np.int64)) for s in shapes) * model.dtype.itemsize


def forward(model, nt: int, nrec: int, snapshots: int = 0) -> Estimate:
    """The arrays of :func:`waveback.forward`: ``nt`` steps, ``nrec`` receivers, snapshots."""
    field, itemsize = field_bytes(model), model.dtype.itemsize
    return Estimate(
        "forward modelling",
        (
            ("wavefields", 2 * field),
            ("coefficients", coefficient_bytes(model)),
            ("boundary arrays", state_bytes(model) - 2 * field - memory_bytes(model)),
            *((("memory variables", memory_bytes(model)),) if model.attenuation else ()),
            ("traces", int(nt) * int(nrec) * itemsize),
            ("snapshots", int(snapshots) * int(np.prod(model.shape)) * itemsize),
        ),
    )


def gradient(plan: checkpointing.Plan) -> Estimate:
    """The arrays of a gradient (or RTM) sweep under ``plan`` (:func:`waveback.gradient_plan`)."""
    stored = (
        f"history of {plan.nt + 1} wavefields"
        if plan.mode == "full"
        else f"{plan.checkpoints} checkpoints"
    )
    return Estimate(
        "the gradient",
        ((stored, plan.storage_bytes), ("wavefields and working arrays", plan.working_bytes)),
    )


def on_workers(estimate: Estimate, model, executor, what: str) -> Estimate | None:
    """``estimate`` for the shots an executor runs side by side on this machine.

    In this process (``serial``): the estimate itself. A ``local`` pool: each worker also
    holds the model. A ``dask`` cluster: None, its workers' memory is not this machine's (each
    dask worker has its own memory limit).
    """
    if executor.in_process:
        return Estimate(what, estimate.parts)
    if executor.kind != "local":
        return None
    return Estimate(what, (("model", model.vp.nbytes), *estimate.parts), int(executor.workers))


def require(estimate: Estimate | None, advice: str, held: int = 0) -> None:
    """Refuse a computation whose arrays do not fit in the available memory.

    ``held`` bytes are already allocated and reused or released by the computation (a
    :class:`~waveback.checkpointing.Workspace`'s history), so they count as available.

    Raises
    ------
    MemoryShortage
        If ``estimate.total`` exceeds :func:`waveback.checkpointing.available_memory` plus
        ``held``; the message gives both figures, the parts, and ``advice`` (what to change).
    """
    if estimate is None:
        return
    available = checkpointing.available_memory() + int(held)
    if estimate.total > available:
        raise MemoryShortage(
            f"{estimate.what} needs about {estimate} of memory, but only {size(available)} is "
            f"available; {advice}"
        )
