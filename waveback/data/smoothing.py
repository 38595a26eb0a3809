"""Smooth velocity models: the migration and starting models of imaging and inversion.

Reverse-time migration needs a model without the sharp contrasts that make reflections, and
full-waveform inversion starts from one; the usual way to make it is a Gaussian smoothing of a
known or picked model. :func:`smooth` convolves the velocity with a Gaussian of standard
deviation ``sigma`` metres along each axis (z first; ``scipy.ndimage.gaussian_filter`` with
the edge values extended outwards, so the model's edges keep their velocity), and can keep
the velocity above a depth as it was (a water layer, whose velocity is known).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from ..physics.model import Model


def smooth(model: Model, sigma, keep_above: float | None = None) -> Model:
    """``model`` with its velocity smoothed by a Gaussian of ``sigma`` metres.

    Parameters
    ----------
    model : Model
    sigma : float or sequence of float
        Standard deviation of the Gaussian (m): one value for every axis, or one per axis
        (z first). 0 leaves an axis unsmoothed.
    keep_above : float, optional
        Depth (m): the nodes above it keep their velocity (e.g. the water layer).

    Returns
    -------
    Model
        The same grid and settings with the smoothed velocity.

    Raises
    ------
    ValueError
        If ``sigma`` has neither one value nor one per axis, or a value that is negative or
        not finite, or if ``keep_above`` is not finite.
    """
    sigma = np.atleast_1d(np.asarray(sigma, dtype=np.float64))
    if sigma.ndim != 1 or sigma.size not in (1, model.ndim):
        raise ValueError(
            f"sigma must be one length (m) or one per axis, z first ({model.ndim} for this "
            f"{model.ndim}D model), got {sigma.size} values"
        )
    if not np.all(np.isfinite(sigma) & (sigma >= 0)):
        raise ValueError(f"sigma must be finite lengths >= 0 (m), got {sigma.tolist()}")
    points = np.broadcast_to(sigma, (model.ndim,)) / np.asarray(model.spacing)
    vp = gaussian_filter(model.vp.astype(np.float64), points, mode="nearest")
    if keep_above is not None:
        if not np.isfinite(keep_above):
            raise ValueError(f"keep_above must be a finite depth (m), got {keep_above}")
        z = model.origin[0] + model.spacing[0] * np.arange(model.shape[0])
        vp[z < keep_above] = model.vp[z < keep_above]
    return model.with_vp(vp)
