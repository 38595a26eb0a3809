"""Attenuation: constant-Q and power-law absorption as standard linear solids (SLS).

The equation
------------
The attenuating generalisation of :math:`m\\,\\partial_t^2 p - \\nabla^2 p = s` replaces the
modulus by a relaxation function. In the frequency domain (numpy convention, time dependence
:math:`e^{i\\omega t}`) it reads

.. math:: -\\omega^2 \\frac{m_R}{\\mu(\\omega)}\\, \\hat p - \\nabla^2 \\hat p = \\hat s,
   \\qquad
   \\mu(\\omega) = \\frac{M(\\omega)}{M_R}
   = 1 + \\sum_{l=1}^{L} a_l \\frac{i\\omega\\tau_{\\sigma l}}{1 + i\\omega\\tau_{\\sigma l}},

with :math:`m_R = 1/v_R^2` the relaxed (zero-frequency) squared slowness, ``L`` relaxation
mechanisms of relaxation times :math:`\\tau_{\\sigma l}` shared by the whole model, and
per-point weights :math:`a_l(x) \\ge 0` (Blanch, Robertsson and Symes's τ-method is
:math:`a_l = \\tau`). In time, with memory variables :math:`r_l` (one wavefield each) and
:math:`\\mathcal{L} = \\nabla^2`:

.. math::
   m_R\\, \\partial_t^2 p &= \\Big(1 + \\sum_l a_l\\Big) (\\mathcal{L} p + s) - \\sum_l r_l,\\\\
   \\tau_{\\sigma l}\\, \\partial_t r_l + r_l &= a_l\\, (\\mathcal{L} p + s).

Eliminating :math:`r_l` gives back the frequency-domain form: :math:`\\mu(\\omega)` multiplies
:math:`\\mathcal{L} p + s`. The source enters with the Laplacian, as in today's update
:math:`u^{n+1} = 2u^n - u^{n-1} + \\Delta t^2 v^2 (L u^n + s^n)`, so the Green's function of
the attenuating medium is the lossless one with the complex wavenumber
:math:`k(\\omega) = \\omega/c(\\omega)`, :math:`c(\\omega) = v_R \\sqrt{\\mu(\\omega)}`
(:mod:`waveback.analytic`). Quality factor, phase velocity and attenuation:

.. math:: Q(\\omega) = \\frac{\\operatorname{Re}\\mu}{\\operatorname{Im}\\mu}, \\qquad
   c_p(\\omega) = \\frac{1}{\\operatorname{Re}(1/c(\\omega))}, \\qquad
   \\alpha(\\omega) = -\\operatorname{Im} k(\\omega) \\;\\text{(Np/m)}.

Velocity: the model's ``vp`` is the phase velocity at the reference frequency
:math:`f_{ref} = \\sqrt{f_{lo} f_{hi}}` of the band, so
:math:`v_R = v_p \\operatorname{Re}(\\mu(\\omega_{ref})^{-1/2})` point by point. The fastest
(unrelaxed, :math:`\\omega\\to\\infty`) velocity, which bounds the stable time step, is
:math:`v_U = v_R\\sqrt{1 + \\sum_l a_l}`.

The fit
-------
The requested quality factor factors as :math:`Q^{-1}(f, x) = \\sigma(x)\\, g(f)`: ``g = 1`` for
:class:`ConstantQ` (:math:`\\sigma = 1/q`), :math:`g = (f/f_{ref})^{y-1}` for :class:`PowerLaw`
(:math:`Q^{-1} = \\alpha(f)\\, v_p / (\\pi f)`). Since
:math:`Q^{-1}_{SLS} = \\sum_l a_l N_l / (1 + \\sum_l a_l D_l)` with
:math:`N_l = \\omega\\tau_{\\sigma l}/(1+\\omega^2\\tau_{\\sigma l}^2)` and
:math:`D_l = \\omega^2\\tau_{\\sigma l}^2/(1+\\omega^2\\tau_{\\sigma l}^2)`, the relative misfit
:math:`\\sum_l a_l (N_l/(\\sigma g) - D_l) - 1` is linear in the weights. :func:`fit_sls` solves
for them by non-negative least squares (non-negative weights keep the medium passive) on a
log-spaced frequency grid over the band, after optimising the relaxation times (starting
log-spaced over the band) by nonlinear least squares at the most attenuating point. The times
are shared; the weights depend on the point through :math:`\\sigma(x)` only, and are solved for
at up to :data:`CHECK_SCALES` values of it. (A single per-point :math:`\\tau` times a shared
shape, exact for the τ-method's approximation :math:`Q^{-1} \\approx \\sum_l a_l N_l`, misses
the true Q by 3 % for Q from 20 to 200 and 9 % from 10 to 1000, three mechanisms.) The number
of mechanisms is 3 when that reaches :data:`MAX_Q_ERROR`, else 4 or 5.

Units: SI (Hz, s, m/s, nepers per metre) except :class:`PowerLaw`'s ultrasound convention,
:math:`\\alpha(f) = \\alpha_0 f_{MHz}^{\\,y}` in dB/cm.

The discrete scheme (memory variables at half steps, Crank–Nicolson) is stated in
:mod:`waveback.attenuation_kernels`, with its coefficients from :func:`memory_coefficients`;
:func:`discrete_dispersion` gives the Q and phase velocity it shows in a homogeneous medium.
With a density, :math:`\\mathcal{L} = \\rho\\nabla\\cdot(\\rho^{-1}\\nabla)` and the memory
variables are carried divided by :math:`\\rho` (:mod:`waveback.physics.density`, which states the
scheme and its derivative with respect to ``rho``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.optimize import least_squares, nnls

from .stencils import second_derivative_coefficients

#: Nepers per metre in one dB/cm: 100 cm/m times ln(10)/20 Np/dB.
NEPER_PER_METRE_PER_DB_PER_CM = 100.0 * np.log(10.0) / 20.0
#: Largest relative error of Q over the band that the automatic choice of L accepts.
MAX_Q_ERROR = 0.02
#: Mechanisms tried, in order, when the number is not given.
MECHANISMS_TRIED = (3, 4, 5)
#: Log-spaced frequencies over the band on which the weights are fitted.
FIT_POINTS = 64
#: Log-spaced frequencies over the band on which the fit error is measured.
CHECK_POINTS = 512
#: Distinct values of the attenuation scale σ(x) at which the fit error is measured at most
#: (beyond that, log-spaced samples from the least to the most attenuating point).
CHECK_SCALES = 64


def _band(band) -> tuple[float, float]:
    try:
        f_lo, f_hi = (float(f) for f in band)
    except (TypeError, ValueError):
        raise ValueError(f"band must be a pair (f_lo, f_hi) in Hz, got {band!r}") from None
    if not (np.isfinite(f_lo) and np.isfinite(f_hi) and 0 < f_lo < f_hi):
        raise ValueError(
            f"band must satisfy 0 < f_lo < f_hi (Hz, finite), got ({f_lo!r}, {f_hi!r})"
        )
    return f_lo, f_hi


def _positive(value, name: str, units: str):
    """``value`` as a float, or a read-only float64 copy of an array, all positive and finite."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be positive and finite ({units}), got {value!r}")
    arr.flags.writeable = False
    return float(arr) if arr.ndim == 0 else arr


def _mechanisms(n):
    if n is not None and (int(n) != n or not 1 <= n <= 10):
        raise ValueError(f"n_mechanisms must be an integer from 1 to 10 or None, got {n!r}")
    return None if n is None else int(n)


def _count(n_mechanisms) -> str:
    return "" if n_mechanisms is None else f", n_mechanisms={n_mechanisms}"


def _describe(value) -> str:
    if np.ndim(value) == 0:
        return f"{value:g}"
    return f"array{np.shape(value)} in [{np.min(value):g}, {np.max(value):g}]"


@dataclass(frozen=True, eq=False)
class ConstantQ:
    """Quality factor ``q`` constant over ``band`` (Hz).

    Parameters
    ----------
    q : float or vp-shaped array_like
        Quality factor, positive and finite.
    band : (float, float)
        ``(f_lo, f_hi)`` in Hz, ``0 < f_lo < f_hi``.
    n_mechanisms : int, optional
        Number of relaxation mechanisms; default the first of :data:`MECHANISMS_TRIED` that
        reaches :data:`MAX_Q_ERROR`.
    """

    q: float | np.ndarray
    band: tuple[float, float]
    n_mechanisms: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "q", _positive(self.q, "q", "dimensionless quality factor"))
        object.__setattr__(self, "band", _band(self.band))
        object.__setattr__(self, "n_mechanisms", _mechanisms(self.n_mechanisms))

    @property
    def reference_frequency(self) -> float:
        """:math:`\\sqrt{f_{lo} f_{hi}}` (Hz), where ``vp`` is the phase velocity."""
        return float(np.sqrt(self.band[0] * self.band[1]))

    def inverse_q_scale(self, velocity):
        """:math:`\\sigma = 1/q`, scalar or vp-shaped (``velocity`` is not needed)."""
        return 1.0 / self.q

    def inverse_q_shape(self, freqs) -> np.ndarray:
        """:math:`g(f) = 1`: :math:`Q^{-1}(f) = \\sigma\\, g(f)`."""
        return np.ones_like(np.asarray(freqs, dtype=np.float64))

    def __repr__(self) -> str:
        return f"ConstantQ(q={_describe(self.q)}, band={self.band}{_count(self.n_mechanisms)})"


@dataclass(frozen=True, eq=False)
class PowerLaw:
    """Power-law absorption :math:`\\alpha(f) = \\alpha_0 f_{MHz}^{\\,y}` dB/cm over ``band``.

    Parameters
    ----------
    alpha0 : float or vp-shaped array_like
        Absorption at 1 MHz in dB/cm (dB/(cm MHz^y)), positive.
    y : float
        Power (typically 1 to 2 in tissue).
    band : (float, float)
        ``(f_lo, f_hi)`` in Hz, ``0 < f_lo < f_hi``.
    n_mechanisms : int, optional
        As for :class:`ConstantQ`.

    Notes
    -----
    Over the band the quality factor is :math:`Q(f) = \\pi f / (\\alpha(f)\\, c)`, with
    :math:`\\alpha` in Np/m (:data:`NEPER_PER_METRE_PER_DB_PER_CM`) and ``c`` the model's ``vp``.
    """

    alpha0: float | np.ndarray
    y: float
    band: tuple[float, float]
    n_mechanisms: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "alpha0", _positive(self.alpha0, "alpha0", "dB/(cm MHz^y)"))
        if np.ndim(self.y) != 0 or not np.isfinite(self.y):
            raise ValueError(f"y (power of the frequency) must be a finite number, got {self.y!r}")
        object.__setattr__(self, "y", float(self.y))
        object.__setattr__(self, "band", _band(self.band))
        object.__setattr__(self, "n_mechanisms", _mechanisms(self.n_mechanisms))

    @property
    def reference_frequency(self) -> float:
        """:math:`\\sqrt{f_{lo} f_{hi}}` (Hz), where ``vp`` is the phase velocity."""
        return float(np.sqrt(self.band[0] * self.band[1]))

    def alpha(self, freqs) -> np.ndarray:
        """Absorption :math:`\\alpha(f)` in Np/m, shape ``np.shape(freqs) + np.shape(alpha0)``."""
        f = np.asarray(freqs, dtype=np.float64)
        f = f.reshape(f.shape + (1,) * np.ndim(self.alpha0))
        return NEPER_PER_METRE_PER_DB_PER_CM * self.alpha0 * (f / 1e6) ** self.y

    def inverse_q_scale(self, velocity):
        """:math:`\\sigma = \\alpha(f_{ref})\\, c / (\\pi f_{ref})`, scalar or vp-shaped."""
        f_ref = self.reference_frequency
        alpha_ref = NEPER_PER_METRE_PER_DB_PER_CM * self.alpha0 * (f_ref / 1e6) ** self.y
        return alpha_ref * np.asarray(velocity, dtype=np.float64) / (np.pi * f_ref)

    def inverse_q_shape(self, freqs) -> np.ndarray:
        """:math:`g(f) = (f/f_{ref})^{y-1}`: :math:`Q^{-1}(f) = \\sigma\\, g(f)`."""
        return (np.asarray(freqs, dtype=np.float64) / self.reference_frequency) ** (self.y - 1)

    def __repr__(self) -> str:
        return (
            f"PowerLaw(alpha0={_describe(self.alpha0)}, y={self.y:g}, band={self.band}"
            f"{_count(self.n_mechanisms)})"
        )


ATTENUATIONS = (ConstantQ, PowerLaw)


@dataclass(frozen=True, eq=False)
class StandardLinearSolid:
    """A fitted SLS model: what the propagator needs, and its continuous response.

    Attributes
    ----------
    relaxation_times : (L,) ndarray
        :math:`\\tau_{\\sigma l}` (s), shared by every point.
    weights : (L,) or (L, *vp.shape) ndarray
        Mechanism weights :math:`a_l(x) \\ge 0`; (L,) when the attenuation is homogeneous.
    relaxed_velocity : float or vp-shaped ndarray
        :math:`v_R = 1/\\sqrt{m_R}` (m/s), such that ``vp`` is the phase velocity at
        ``reference_frequency``.
    band : (float, float)
        The fitted band (Hz).
    max_error : float
        Largest relative error of Q over the band and over the model's points.
    """

    relaxation_times: np.ndarray
    weights: np.ndarray
    relaxed_velocity: float | np.ndarray
    band: tuple[float, float]
    max_error: float

    @property
    def n_mechanisms(self) -> int:
        """Number ``L`` of relaxation mechanisms (memory variables)."""
        return len(self.relaxation_times)

    @property
    def reference_frequency(self) -> float:
        """:math:`\\sqrt{f_{lo} f_{hi}}` (Hz)."""
        return float(np.sqrt(self.band[0] * self.band[1]))

    @property
    def tau(self):
        """Blanch et al.'s strength :math:`\\tau = \\sum_l a_l / L`, point by point."""
        return self.weights.mean(axis=0)

    @property
    def relaxed_m(self):
        """Relaxed squared slowness :math:`m_R = 1/v_R^2` (s²/m²)."""
        return 1.0 / np.asarray(self.relaxed_velocity, dtype=np.float64) ** 2

    @property
    def unrelaxed_velocity(self):
        """:math:`v_U = v_R\\sqrt{1 + \\sum_l a_l}` (m/s), the high-frequency limit."""
        return self.relaxed_velocity * np.sqrt(1.0 + self.weights.sum(axis=0))

    def modulus_ratio(self, freqs) -> np.ndarray:
        """:math:`\\mu(\\omega) = M(\\omega)/M_R`, shape ``np.shape(freqs) + model shape``."""
        return modulus_ratio(self.relaxation_times, self.weights, freqs)

    def complex_velocity(self, freqs) -> np.ndarray:
        """:math:`c(\\omega) = v_R\\sqrt{\\mu(\\omega)}` (m/s); :math:`k = \\omega/c`."""
        return self.relaxed_velocity * np.sqrt(self.modulus_ratio(freqs))

    def phase_velocity(self, freqs) -> np.ndarray:
        """:math:`c_p = 1/\\operatorname{Re}(1/c(\\omega))` (m/s)."""
        return 1.0 / np.real(1.0 / self.complex_velocity(freqs))

    def quality_factor(self, freqs) -> np.ndarray:
        """:math:`Q = \\operatorname{Re}\\mu / \\operatorname{Im}\\mu`."""
        mu = self.modulus_ratio(freqs)
        return mu.real / mu.imag

    def attenuation(self, freqs) -> np.ndarray:
        """:math:`\\alpha = -\\operatorname{Im}(\\omega / c(\\omega))` in Np/m."""
        c = self.complex_velocity(freqs)
        return -np.imag(_omega_like(freqs, c.ndim - np.ndim(freqs)) / c)

    def __repr__(self) -> str:
        return (
            f"StandardLinearSolid(L={self.n_mechanisms}, band={self.band}, "
            f"max Q error {100 * self.max_error:.3g} % over the band)"
        )


def _omega_like(freqs, ndim: int) -> np.ndarray:
    f = np.asarray(freqs, dtype=np.float64)
    return 2 * np.pi * f.reshape(f.shape + (1,) * ndim)


def modulus_ratio(relaxation_times, weights, freqs) -> np.ndarray:
    """The modulus ratio :math:`\\mu(\\omega) = M(\\omega)/M_R` of the SLS.

    :math:`\\mu = 1 + \\sum_l a_l\\, i\\omega\\tau_{\\sigma l}/(1 + i\\omega\\tau_{\\sigma l})`;
    ``weights`` is ``(L, *shape)``; returns shape ``np.shape(freqs) + shape``.
    """
    weights = np.asarray(weights, dtype=np.float64)
    iwt = 1j * _omega_like(freqs, 1) * np.asarray(relaxation_times)
    response = iwt / (1 + iwt)
    return 1.0 + np.tensordot(response, weights, axes=(-1, 0))


def _responses(omega, relaxation_times):
    """The responses :math:`N_l` and :math:`D_l` of the mechanisms (module docstring)."""
    x = omega[:, None] * relaxation_times[None, :]
    return x / (1 + x**2), x**2 / (1 + x**2)


def _weights(omega, relaxation_times, inverse_q):
    """Non-negative weights minimising the linearised relative misfit.

    :math:`\\sum_\\omega(\\sum_l a_l(N_l/Q^{-1} - D_l) - 1)^2` for the requested
    :math:`Q^{-1}` = ``inverse_q`` at ``omega``.
    """
    im, re = _responses(omega, relaxation_times)
    a, _ = nnls(im / inverse_q[:, None] - re, np.ones(omega.size))
    return a


def _fit_times(omega, inverse_q, n):
    """Relaxation times of ``n`` mechanisms fitted to ``inverse_q`` (weights projected out)."""
    lo, hi = omega[0], omega[-1]
    start = -np.log(np.geomspace(lo, hi, n)) if n > 1 else -np.log([np.sqrt(lo * hi)])
    bounds = (-np.log(10 * hi), -np.log(lo / 10))  # relaxation frequencies within a decade

    def misfit(log_times):
        times = np.exp(log_times)
        im, re = _responses(omega, times)
        a = _weights(omega, times, inverse_q)
        return im @ a / inverse_q - (1 + re @ a)

    result = least_squares(misfit, start, bounds=bounds, xtol=1e-12, ftol=1e-12)
    return np.exp(np.sort(result.x))[::-1]


def _fit_mechanisms(x, shape, nodes, count):
    """Shared relaxation times and the weights ``(L, nodes.size)`` at each scale node.

    The times are fitted at the most attenuating node; None if some node gets no weight.
    """
    times = _fit_times(x, nodes[-1] * shape, count)
    node_weights = np.stack([_weights(x, times, s * shape) for s in nodes], axis=1)
    return (times, node_weights) if np.all(node_weights.sum(axis=0) > 0) else None


def _weights_at(scale, nodes, node_weights):
    """Weights at each scale: exact at the nodes, else linear in log σ of :math:`a_l/\\sigma`."""
    scale = np.asarray(scale, dtype=np.float64)
    if nodes.size == 1:
        return node_weights[:, 0].reshape((-1,) + (1,) * scale.ndim) * (scale / nodes[0])
    per_scale = node_weights / nodes
    return np.stack([np.interp(np.log(scale), np.log(nodes), row) * scale for row in per_scale])


def _q_error(omega, relaxation_times, weights, inverse_q):
    """Largest relative error of Q over ``omega`` for each column of ``weights`` (L, ns)."""
    im, re = _responses(omega, relaxation_times)
    model_inverse_q = (im @ weights) / (1 + re @ weights)
    return np.abs(inverse_q / model_inverse_q - 1).max(axis=0)


def fit_sls(attenuation, velocity, n_mechanisms=None) -> StandardLinearSolid:
    """Fit a standard linear solid to ``attenuation`` for the velocity model ``velocity``.

    Parameters
    ----------
    attenuation : ConstantQ or PowerLaw
        The requested quality factor over its band.
    velocity : float or array_like
        ``vp`` (m/s), the phase velocity at the band's reference frequency; its shape is the
        model's (vp-shaped ``q`` or ``alpha0`` must match it).
    n_mechanisms : int, optional
        Overrides ``attenuation.n_mechanisms``; default 3, or 4 or 5 if 3 does not reach
        :data:`MAX_Q_ERROR` (a warning says when 5 does not either).

    Returns
    -------
    StandardLinearSolid
        Weights ``(L,)`` and a scalar ``relaxed_velocity`` when both ``velocity`` and the
        attenuation are scalars, else ``(L, *shape)`` and ``shape``, the broadcast shape.

    Notes
    -----
    The relaxation times are fitted once, at the most attenuating point, and shared. The
    weights are the non-negative least-squares solution for each distinct value of the scale
    :math:`\\sigma(x)`, or, past :data:`CHECK_SCALES` distinct values, at as many log-spaced
    nodes, interpolated in between (linearly in :math:`\\log\\sigma`, for :math:`a_l/\\sigma`).
    ``max_error`` is measured on :data:`CHECK_POINTS` frequencies at the nodes and midway
    between them.
    """
    if not isinstance(attenuation, ATTENUATIONS):
        raise TypeError(f"attenuation must be ConstantQ or PowerLaw, got {attenuation!r}")
    velocity = _positive(velocity, "velocity", "m/s")
    f_lo, f_hi = attenuation.band
    omega_ref = 2 * np.pi * attenuation.reference_frequency
    scale = np.asarray(attenuation.inverse_q_scale(velocity))
    scale = np.broadcast_to(scale, np.broadcast_shapes(scale.shape, np.shape(velocity)))
    freqs, check = np.geomspace(f_lo, f_hi, FIT_POINTS), np.geomspace(f_lo, f_hi, CHECK_POINTS)
    x, x_check = 2 * np.pi * freqs / omega_ref, 2 * np.pi * check / omega_ref
    shape, shape_check = attenuation.inverse_q_shape(freqs), attenuation.inverse_q_shape(check)
    nodes = np.unique(scale)
    if nodes.size > CHECK_SCALES:
        nodes = np.geomspace(nodes[0], nodes[-1], CHECK_SCALES)
    checked = np.sort(np.r_[nodes, np.sqrt(nodes[1:] * nodes[:-1])])
    n = n_mechanisms if n_mechanisms is not None else attenuation.n_mechanisms
    best = None
    for count in (_mechanisms(n),) if n is not None else MECHANISMS_TRIED:
        fit = _fit_mechanisms(x, shape, nodes, count)
        if fit is None:
            continue
        weights = _weights_at(checked, nodes, fit[1])
        error = float(_q_error(x_check, fit[0], weights, shape_check[:, None] * checked).max())
        if best is None or error < best[2]:
            best = (*fit, error)
        if error <= MAX_Q_ERROR:
            break
    if best is None:
        raise ValueError(
            f"{attenuation!r} cannot be fitted by a standard linear solid (Q too small for the "
            "band); raise Q or narrow the band"
        )
    times, node_weights, error = best
    if n is None and error > MAX_Q_ERROR:
        warnings.warn(
            f"{attenuation!r}: the best fit ({len(times)} mechanisms) reaches a Q error of "
            f"{100 * error:.3g} % over the band, above {100 * MAX_Q_ERROR:g} %; narrow the band",
            stacklevel=2,
        )
    weights = _weights_at(scale, nodes, node_weights)
    relaxation_times = times / omega_ref
    mu_ref = modulus_ratio(relaxation_times, weights, attenuation.reference_frequency)
    relaxed = velocity * np.real(mu_ref**-0.5)
    if np.ndim(relaxed) == 0:
        relaxed = float(relaxed)
    return StandardLinearSolid(relaxation_times, weights, relaxed, (f_lo, f_hi), error)


def memory_coefficients(sls, dt, dtype=np.float64):
    """Per-mechanism coefficients of the memory update, in ``dtype``.

    Parameters
    ----------
    sls : StandardLinearSolid
    dt : float
        Time step (s).
    dtype : numpy dtype
        The wavefields' dtype.

    Returns
    -------
    decay, gain, half : (L,) ndarray
        :math:`e_l = (2\\tau_{\\sigma l} - \\Delta t)/(2\\tau_{\\sigma l} + \\Delta t)`,
        :math:`b_l = 2\\Delta t/(2\\tau_{\\sigma l} + \\Delta t)` and
        :math:`\\eta_l = (1 + e_l)/2`, the arguments of
        :func:`waveback.attenuation_kernels.memory_forward` and its transpose.
    """
    times = np.asarray(sls.relaxation_times, dtype=np.float64)
    decay = (2 * times - dt) / (2 * times + dt)
    gain = 2 * dt / (2 * times + dt)
    half = 2 * times / (2 * times + dt)
    return tuple(np.ascontiguousarray(v, dtype=dtype) for v in (decay, gain, half))


class Dispersion(NamedTuple):
    """Plane-wave response at real frequencies: complex wavenumber and what it implies."""

    wavenumber: np.ndarray
    phase_velocity: np.ndarray
    quality_factor: np.ndarray
    attenuation: np.ndarray


def dispersion_from_wavenumber(freqs, wavenumber) -> Dispersion:
    """Phase velocity, Q and attenuation of a complex wavenumber :math:`k = k_r - i\\alpha`.

    :math:`c_p = \\omega / k_r`, :math:`\\alpha = -\\operatorname{Im} k` (Np/m) and
    :math:`Q = -\\operatorname{Re}(k^2)/\\operatorname{Im}(k^2)
    = (k_r^2 - \\alpha^2)/(2 k_r\\alpha)`,
    which is :math:`\\operatorname{Re}\\mu/\\operatorname{Im}\\mu` for
    :math:`k^2 = \\omega^2 m_R/\\mu`. ``freqs`` broadcasts against ``wavenumber`` from the left.
    """
    k = np.asarray(wavenumber, dtype=np.complex128)
    omega = _omega_like(freqs, k.ndim - np.ndim(freqs))
    k2 = k**2
    return Dispersion(k, omega / k.real, -k2.real / k2.imag, -k.imag)


def discrete_modulus_ratio(sls, dt, freqs) -> np.ndarray:
    """:math:`\\mu_d(\\omega) = \\mu(\\tilde\\omega)`: the memory update's transfer from g to h.

    With :math:`\\tilde\\omega = \\frac{2}{\\Delta t}\\tan\\frac{\\omega\\Delta t}{2}` (the
    Crank–Nicolson, i.e. bilinear, frequency warp): a sequence :math:`g^n = e^{i\\omega n\\Delta t}`
    gives :math:`h^n = \\mu_d(\\omega)\\, g^n` in :mod:`waveback.attenuation_kernels`.
    ``freqs`` (Hz) must lie below the Nyquist frequency :math:`1/(2\\Delta t)`; returns shape
    ``np.shape(freqs) + sls.weights.shape[1:]``.
    """
    f = np.asarray(freqs, dtype=np.float64)
    if np.any(f * dt >= 0.5):
        raise ValueError(f"freqs must lie below the Nyquist frequency 1/(2 dt) = {0.5 / dt:g} Hz")
    return modulus_ratio(sls.relaxation_times, sls.weights, np.tan(np.pi * f * dt) / (np.pi * dt))


def discrete_dispersion(sls, dt, freqs, spacing=None, space_order=None) -> Dispersion:
    """Dispersion of the leapfrog + SLS scheme in a homogeneous medium, along a grid axis.

    Parameters
    ----------
    sls : StandardLinearSolid
    dt : float
        Time step (s).
    freqs : array_like
        Frequencies (Hz) below the Nyquist frequency :math:`1/(2\\Delta t)`.
    spacing : float, optional
        Grid spacing (m) along the direction of propagation; None for the exact Laplacian.
    space_order : int, optional
        Accuracy order of the Laplacian stencil (with ``spacing``).

    Returns
    -------
    Dispersion
        Shape ``np.shape(freqs) + sls.weights.shape[1:]``.

    Notes
    -----
    A mode :math:`e^{i(\\omega n\\Delta t - kx)}` of the scheme of
    :mod:`waveback.attenuation_kernels` has
    :math:`\\mu_d(\\omega) = \\mu(\\tilde\\omega)`, the continuous :math:`\\mu` at the
    bilinear frequency :math:`\\tilde\\omega = \\frac{2}{\\Delta t}\\tan\\frac{\\omega\\Delta t}{2}`
    (Crank–Nicolson), and the leapfrog gives
    :math:`m_R\\,\\omega'^2 = \\mu_d(\\omega)\\,\\kappa^2`,
    :math:`\\omega' = \\frac{2}{\\Delta t}\\sin\\frac{\\omega\\Delta t}{2}`, where
    :math:`-\\kappa^2` is the symbol of the discrete Laplacian:
    :math:`\\kappa^2 = k^2` exactly, or
    :math:`\\kappa^2 = -(c_0 + 2\\sum_j c_j\\cos(jkh))/h^2` for the stencil, solved for complex
    ``k`` by Newton's method from the exact-Laplacian root. As :math:`\\Delta t, h \\to 0`
    this tends to :math:`k = \\omega/c(\\omega)`.
    """
    f = np.asarray(freqs, dtype=np.float64)
    mu = discrete_modulus_ratio(sls, dt, f)
    sin_omega = _omega_like(np.sin(np.pi * f * dt) / (np.pi * dt), sls.weights.ndim - 1)
    kappa2 = sin_omega**2 * sls.relaxed_m / mu
    k = np.sqrt(kappa2)
    if spacing is not None:
        c = second_derivative_coefficients(space_order) / spacing**2
        j = np.arange(1, len(c))
        for _ in range(50):
            symbol = -(c[0] + 2 * (c[1:] * np.cos(np.multiply.outer(k, j) * spacing)).sum(-1))
            slope = 2 * spacing * (c[1:] * j * np.sin(np.multiply.outer(k, j) * spacing)).sum(-1)
            step = (symbol - kappa2) / slope
            k = k - step
            if np.all(np.abs(step) <= 1e-14 * np.abs(k)):
                break
    return dispersion_from_wavenumber(f, k)
