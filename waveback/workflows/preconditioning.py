"""The source-illumination preconditioner of FWI, as a change of variables.

The source illumination :math:`I(x) = \\sum_i \\sum_n u_i^n(x)^2` (the energy of every
shot's forward wavefield) is a diagonal approximation of the Gauss-Newton Hessian
(pseudo-Hessian, Shin, Jang & Min 2001). :func:`waveback.fwi` writes the velocity as
:math:`v = s \\odot x` with

.. math::

    s = \\Bigl(\\frac{I / \\max I + \\epsilon}{1 + \\epsilon}\\Bigr)^{-1/2} \\ge 1,

computed once per band at the band's starting model, so the optimiser works on ``x`` with
the exact gradient :math:`s \\odot \\nabla_v \\Phi` and its steepest-descent update in ``v``
is :math:`s^2 \\odot \\nabla_v\\Phi`: the gradient divided by the normalised illumination,
damped by :math:`\\epsilon` (:data:`EPSILON`) where the sources barely reach.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..physics.linearised import image_sweep
from . import executors

#: The preconditioners by name.
PRECONDITIONERS = ("illumination",)

#: Relative stabilisation :math:`\epsilon` of the illumination division.
EPSILON = 1e-2


def check_preconditioner(name):
    """``name`` if it is None or one of :data:`PRECONDITIONERS`, else a ``ValueError``."""
    if name is not None and name not in PRECONDITIONERS:
        raise ValueError(
            f"precondition {name!r} is not known: choose None or one of "
            f"{', '.join(PRECONDITIONERS)}"
        )
    return name


@dataclass(frozen=True)
class IlluminationJob:
    """What every shot of :func:`illumination` shares (sent to each worker once)."""

    model: object
    dt: float
    interpolation: str = "linear"
    memory: object = "auto"
    time_dispersion_correction: bool = False


def illumination_shot(job: IlluminationJob, shot):
    """One shot's source illumination :math:`\\sum_n (u^n)^2` (model-shaped)."""
    nt = np.shape(shot.wavelet)[0]
    return image_sweep(
        job.model,
        np.zeros((nt, shot.rec.shape[0])),
        shot.wavelet,
        shot.src,
        shot.rec,
        job.dt,
        job.interpolation,
        memory=executors.shot_memory(job.memory),
        illumination=True,
        time_dispersion_correction=job.time_dispersion_correction,
    )[1]


def illumination(job: IlluminationJob, shots, executor=None) -> np.ndarray:
    """:math:`I = \\sum_i \\sum_n (u_i^n)^2` over ``shots`` (float64, summed in shot order)."""
    total = np.zeros(job.model.shape)
    with executors.resolve(executor) as ex:
        arrivals = ex.map_shots(illumination_shot, job, ((i, (s,)) for i, s in enumerate(shots)))
        for _, illum in executors.in_order(arrivals, range(len(shots))):
            total += illum
    return total


def illumination_scale(illum, epsilon=EPSILON) -> np.ndarray:
    """The variable scale :math:`s = ((I / \\max I + \\epsilon) / (1 + \\epsilon))^{-1/2}`."""
    illum = np.asarray(illum, dtype=np.float64)
    peak = illum.max()
    if not peak > 0:
        raise ValueError(
            "the sources illuminate no point of the model (zero wavefield): check the shots' "
            "positions and wavelets"
        )
    return ((illum / peak + epsilon) / (1.0 + epsilon)) ** -0.5
