"""Model penalties of FWI: Tikhonov (smoothness) and smoothed total variation.

Both act on the velocity made dimensionless by a reference velocity, :math:`u = v / v_{ref}`,
through its forward differences along every axis,
:math:`(\\partial_a u)_p = u_{p + e_a} - u_p` (zero on the last plane of axis ``a``,
a Neumann edge), averaged over the ``P`` grid points:

``tikhonov``
    :math:`R(v) = \\frac{\\lambda}{2P} \\sum_p \\sum_a (\\partial_a u)_p^2`, penalising
    roughness everywhere.
``tv``
    :math:`R(v) = \\frac{\\lambda}{P} \\sum_p \\sqrt{\\sum_a (\\partial_a u)_p^2 + \\eta^2}`,
    the total variation smoothed by :math:`\\eta`: it prefers blocky models with sharp
    interfaces.

The gradient is exact: :math:`\\partial_a^T` is the transpose of the difference (backward
difference with the edge terms), applied with the same arrays. :func:`waveback.fwi` adds
:math:`R` to the data misfit normalised by its value at the start of each band, so
:math:`\\lambda` weighs the penalty against a misfit of 1 whatever the data's amplitude.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The penalties by name.
KINDS = ("tikhonov", "tv")


@dataclass(frozen=True)
class Regularisation:
    """A model penalty of FWI.

    Attributes
    ----------
    kind : {"tikhonov", "tv"}
    weight : float
        :math:`\\lambda > 0`, relative to the band's normalised data misfit (1 at its start).
    smoothing : float
        :math:`\\eta > 0` of ``tv`` (in units of :math:`v / v_{ref}` per grid step).
    """

    kind: str
    weight: float
    smoothing: float = 1e-2

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(
                f"regularisation {self.kind!r} is not known: choose one of {', '.join(KINDS)}"
            )
        if not (np.isfinite(self.weight) and self.weight > 0):
            raise ValueError(
                f"the {self.kind} weight must be a positive number, got {self.weight!r}"
            )
        if not (np.isfinite(self.smoothing) and self.smoothing > 0):
            raise ValueError(f"the tv smoothing must be positive, got {self.smoothing!r}")

    def penalty(self, vp, reference):
        """:math:`R(v)` and its gradient with respect to ``vp`` (model-shaped, float64).

        Parameters
        ----------
        vp : ndarray
            Velocity (m/s).
        reference : float
            :math:`v_{ref}` (m/s), e.g. the upper velocity bound.
        """
        u = np.asarray(vp, dtype=np.float64) / reference
        diffs = [differences(u, a) for a in range(u.ndim)]
        squared = sum(d**2 for d in diffs)
        if self.kind == "tikhonov":
            value = 0.5 * self.weight * float(np.mean(squared))
            weights = self.weight / u.size
        else:
            norm = np.sqrt(squared + self.smoothing**2)
            value = self.weight * float(np.mean(norm))
            weights = self.weight / u.size / norm
        grad = sum(differences_adjoint(weights * d, a) for a, d in enumerate(diffs))
        return value, grad / reference


def differences(u, axis):
    """Forward differences of ``u`` along ``axis``, zero on the last plane (model-shaped)."""
    d = np.zeros_like(u)
    inner = [slice(None)] * u.ndim
    inner[axis] = slice(0, -1)
    d[tuple(inner)] = np.diff(u, axis=axis)
    return d


def differences_adjoint(d, axis):
    """The transpose of :func:`differences`: :math:`(\\partial_a^T d)_p = d_{p - e_a} - d_p`."""
    last = [slice(None)] * d.ndim
    last[axis] = slice(0, -1)
    inner = np.zeros_like(d)
    inner[tuple(last)] = d[tuple(last)]
    out = -inner
    shifted = [slice(None)] * d.ndim
    shifted[axis] = slice(1, None)
    out[tuple(shifted)] += inner[tuple(last)]
    return out
