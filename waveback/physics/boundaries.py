"""Absorbing-boundary profiles: convolutional PML and graded sponge.

**CPML** (Pasalic & McGarry, 2010, SEG Expanded Abstracts; the second-order form of
Komatitsch & Martin, 2007). Along each axis the second derivative in the layer becomes

.. math:: \\partial_x^2 u \\to P + \\zeta, \\quad P = \\partial_x^2 u + \\partial_x\\psi,
          \\quad \\psi^n = b\\,\\psi^{n-1} + a\\,\\partial_x u^n,
          \\quad \\zeta^n = b\\,\\zeta^{n-1} + a\\,P^n,

with :math:`b = e^{-(d + \\alpha)\\Delta t}`, :math:`a = d\\,(b - 1)/(d + \\alpha)`, damping
:math:`d(\\xi) = d_0 \\xi^3`, :math:`d_0 = -4 v \\ln R / (2L)` and complex frequency shift
:math:`\\alpha(\\xi) = \\pi f (1 - \\xi)`, where :math:`\\xi \\in (0, 1]` is the normalised depth
into a layer of thickness :math:`L`.

**Sponge**: the damped equation :math:`u_{tt} + \\sigma u_t = v^2(\\nabla^2 u + s)` with
:math:`\\sigma(\\xi) = \\sigma_0 \\xi^2`, :math:`\\sigma_0 = -3 v \\ln R / L`, discretised with a
centred :math:`u_t`. Per axis :func:`sponge_factor` gives :math:`s_d = \\sigma_d\\Delta t/2`;
the layers of several axes combine as a product, :math:`1 + s = \\prod_d (1 + s_d)` (the plain
sum plus cross terms in the corners), so that the update needs no division.

Profiles are 1D arrays along each padded axis, zero in the interior and in the halo.

The gradings and ``Model``'s defaults (CPML: :math:`R = 10^{-8}`, :math:`f = v_{min}/(20h)`;
sponge: :math:`R = 10^{-2}`) were tuned with ``benchmarks/reflection.py``. :math:`R` is the
continuum round-trip reflection at normal incidence; at incidence :math:`\\theta` it is
:math:`R^{\\cos\\theta}`, so a small nominal :math:`R` is what keeps grazing waves absorbed,
and the cubic grading keeps the discretisation reflection of so strong a profile small.
"""

from __future__ import annotations

import numpy as np

#: Polynomial grading of the CPML damping, ``d = d0 * xi**CPML_POWER``.
CPML_POWER = 3
#: Polynomial grading of the sponge damping, ``sigma = sigma0 * xi**SPONGE_POWER``.
SPONGE_POWER = 2


def layer_depth(n_padded: int, pad_lo: int, pad_hi: int, halo: int, nbl: int) -> np.ndarray:
    """Normalised depth ``xi`` into the absorbing layers along one padded axis.

    ``xi = k / nbl`` at the ``k``-th layer point counted outwards from the model edge
    (so ``xi = 1`` at the outermost updated point); zero in the model, the halo, and on a
    side without a layer (``pad == halo``).
    """
    xi = np.zeros(n_padded)
    if pad_lo > halo:
        i = np.arange(halo, pad_lo)
        xi[i] = (pad_lo - i) / nbl
    if pad_hi > halo:
        last = n_padded - pad_hi - 1
        i = np.arange(n_padded - pad_hi, n_padded - halo)
        xi[i] = (i - last) / nbl
    return xi


def cpml_coefficients(xi, spacing, nbl, dt, velocity, frequency, reflection):
    """CPML recursion coefficients ``(a, b)`` at normalised layer depths ``xi``.

    Returns float64 arrays shaped like ``xi``; both vanish where ``xi == 0``.
    """
    length = nbl * spacing
    d = -(CPML_POWER + 1) * velocity * np.log(reflection) / (2.0 * length) * xi**CPML_POWER
    alpha = np.where(xi > 0, np.pi * frequency * (1.0 - xi), 0.0)
    b = np.where(xi > 0, np.exp(-(d + alpha) * dt), 0.0)
    denom = np.where(xi > 0, d + alpha, 1.0)
    a = np.where(xi > 0, d * (b - 1.0) / denom, 0.0)
    return a, b


def sponge_factor(xi, spacing, nbl, dt, velocity, reflection):
    """Sponge damping factor ``sigma * dt / 2`` at normalised layer depths ``xi``."""
    length = nbl * spacing
    sigma = -(SPONGE_POWER + 1) * velocity * np.log(reflection) / length * xi**SPONGE_POWER
    return 0.5 * sigma * dt
