"""Source-wavelet estimation by frequency-domain least squares (Pratt 1999), and its derivative.

The scheme is linear and time invariant, so the data of a wavelet ``w`` are those of a
reference wavelet :math:`w_{ref}` filtered by :math:`c(f) = W(f) / W_{ref}(f)`. Given the
reference data :math:`d_{ref} = F(m; w_{ref})` and the observed data ``o``, the filter is

.. math::

    c(f) = \\frac{\\sum \\overline{D_{ref}(f)}\\, O(f)}{\\sum |D_{ref}(f)|^2 + \\varepsilon},
    \\qquad \\varepsilon = \\epsilon \\max_f \\sum |D_{ref}(f)|^2,

the sums over the traces of one shot (a wavelet per shot) or of every shot (one shared
wavelet), with capitals the discrete Fourier transforms of the records zero-padded to
:math:`N \\ge 2 n_t` samples (numpy's ``rfft``), ``c = 0`` above the band limit, and
:math:`\\epsilon` (:data:`EPSILON`) the relative stabilisation of frequencies the data do not
reach. The estimated wavelet is :math:`w = T\\,\\mathcal{F}^{-1}[c\\, W_{ref}]` and its data
:math:`d = T\\,\\mathcal{F}^{-1}[c\\, D_{ref}]` (``T`` keeps the first ``nt`` samples).

The *reduced* misfit :math:`\\Phi_r(m) = \\Phi(d(c(m), m); o)` (:func:`reduced_misfit`)
depends on ``m`` only through :math:`d_{ref}(m)`, so its exact gradient is
:math:`J_{ref}^T x` with the adjoint source

.. math::

    x = T\\,\\mathcal{F}^{-1}\\Bigl[\\bar c\\, G + \\tfrac{N}{\\alpha}\\bigl(\\beta\\, O
        - 2\\gamma\\, D_{ref}\\bigr)\\Bigr],\\quad
    \\Gamma = \\tfrac{\\alpha}{N} \\sum G\\, \\overline{D_{ref}},\\quad
    \\beta = \\frac{\\bar\\Gamma}{\\sum |D_{ref}|^2 + \\varepsilon},\\quad
    \\gamma = \\frac{\\mathrm{Re}(\\bar\\Gamma c)}{\\sum |D_{ref}|^2 + \\varepsilon}
              + \\epsilon\\,\\delta_{f f^*} \\sum_f \\frac{\\mathrm{Re}(\\bar\\Gamma c)}
              {\\sum |D_{ref}|^2 + \\varepsilon},

``G`` the transform of the misfit's adjoint source :math:`\\partial\\Phi/\\partial d`
(:mod:`waveback.misfits`), :math:`\\alpha = 1` at 0 Hz and Nyquist and 2 elsewhere,
:math:`f^*` the frequency of :math:`\\max_f \\sum |D_{ref}|^2`. :math:`\\mathrm{Re}\\sum_f
\\bar\\Gamma\\,\\delta c` is the change of the misfit with the filter: for the least-squares
misfit, at the least-squares filter, :math:`\\Gamma` is the partial derivative of the misfit
with respect to the wavelet, and it vanishes (variable projection, Golub & Pereyra 1973)
up to the truncation ``T`` and the stabilisation: the gradient is then :math:`J_{ref}^T` of the
filtered residual. The terms in :math:`\\beta` and :math:`\\gamma` keep the gradient exact
for every misfit and every :math:`\\epsilon`, at no extra wave propagation; they are not
negligible (10 % of the adjoint source on the tiny problem of the tests).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft

from ..data.acquisition import one_gather_per_shot, unpack_survey
from ..physics.solver import forward
from ..physics.wavelets import ricker
from . import executors
from .misfits import misfit as evaluate_misfit

#: Relative stabilisation :math:`\epsilon` of the least-squares filter.
EPSILON = 1e-3


@dataclass(frozen=True)
class ReducedMisfit:
    """The misfit of the data of the estimated wavelets, with its derivative in the reference data.

    Attributes
    ----------
    misfit : float
        :math:`\\sum_i \\Phi(d_i; o_i)`.
    shot_misfits : list of float
        :math:`\\Phi(d_i; o_i)` per shot.
    adjoint_sources : list of (nt, nrec) float64 ndarray
        :math:`\\partial\\Phi_r / \\partial d_{ref,i}` per shot (the whole derivative, filter
        included).
    filters : list of complex ndarray
        ``c`` of every group, on the ``rfft`` frequencies of ``N`` samples.
    groups : list of list of int
        The shots each filter serves.
    nfft : int
        ``N``.
    """

    misfit: float
    shot_misfits: list
    adjoint_sources: list
    filters: list
    groups: list
    nfft: int


def groups_of(nshots: int, per_shot: bool) -> list:
    """One group per shot (a wavelet each) or one group of all shots (a shared wavelet)."""
    return [[i] for i in range(nshots)] if per_shot else [list(range(nshots))]


def reduced_misfit(
    references, observed, dt, misfit="l2", *, per_shot=False, band_limit=None, epsilon=EPSILON
) -> ReducedMisfit:
    """Estimate the wavelet filters and the misfit (with its exact adjoint source) of their data.

    Parameters
    ----------
    references : sequence of (nt, nrec) array_like
        Reference data :math:`d_{ref,i}`, one gather per shot.
    observed : sequence of (nt, nrec) array_like
        Observed gathers, same shapes.
    dt : float
        Sample interval (s).
    misfit : {"l2", "correlation", "envelope"}
        See :mod:`waveback.misfits`.
    per_shot : bool
        A filter per shot instead of one for all.
    band_limit : float, optional
        Highest frequency (Hz) the filter passes; None keeps every frequency.
    epsilon : float
        Relative stabilisation :math:`\\epsilon \\ge 0`.

    Returns
    -------
    ReducedMisfit
    """
    refs = [np.asarray(r, dtype=np.float64) for r in references]
    obs = [np.asarray(o, dtype=np.float64) for o in observed]
    nt = _check_gathers(refs, obs)
    if not epsilon >= 0:
        raise ValueError(f"epsilon must be >= 0 (relative stabilisation), got {epsilon}")
    nfft = next_fast_len(2 * nt, real=True)
    freq = np.fft.rfftfreq(nfft, dt)
    inband = np.ones(freq.size, bool) if band_limit is None else freq <= band_limit
    if not inband[1:].any():
        raise ValueError(
            f"band limit {band_limit} Hz keeps no frequency above 0 Hz: give at least "
            f"{freq[1]:.6g} Hz (1 / (N dt) with N = {nfft})"
        )
    alpha = np.full(freq.size, 2.0)
    alpha[0] = 1.0
    if nfft % 2 == 0:
        alpha[-1] = 1.0
    spectra = [rfft(r, nfft, axis=0) for r in refs]
    observed_spectra = [rfft(o, nfft, axis=0) for o in obs]
    shot_misfits, sources, filters = [0.0] * len(refs), [None] * len(refs), []
    groups = groups_of(len(refs), per_shot)
    for group in groups:
        power = sum(np.sum(np.abs(spectra[i]) ** 2, axis=1) for i in group)
        cross = sum(np.sum(np.conj(spectra[i]) * observed_spectra[i], axis=1) for i in group)
        peak = int(np.argmax(power))
        if not power[peak] > 0:
            raise ValueError(
                "the reference data are zero: the shots' sources or receivers see no wave "
                "(check the positions and the reference wavelet)"
            )
        denominator = power + epsilon * power[peak]
        c = np.where(inband, cross / denominator, 0.0)
        filters.append(c)
        adjoint_spectra = {}
        for i in group:
            d = irfft(c[:, None] * spectra[i], nfft, axis=0)[:nt]
            shot_misfits[i], adjoint = evaluate_misfit(misfit, d, obs[i])
            adjoint_spectra[i] = rfft(adjoint, nfft, axis=0)
        big_gamma = sum(  # Γ: the misfit changes by Re Σ conj(Γ) δc
            np.sum(adjoint_spectra[i] * np.conj(spectra[i]), axis=1) for i in group
        ) * (alpha / nfft)
        beta = np.where(inband, np.conj(big_gamma) / denominator, 0.0)
        gamma = np.where(inband, np.real(np.conj(big_gamma) * c) / denominator, 0.0)
        gamma[peak] += epsilon * gamma.sum()
        for i in group:
            total = np.conj(c)[:, None] * adjoint_spectra[i] + (nfft / alpha)[:, None] * (
                beta[:, None] * observed_spectra[i] - 2.0 * gamma[:, None] * spectra[i]
            )
            sources[i] = irfft(total, nfft, axis=0)[:nt]
    return ReducedMisfit(float(sum(shot_misfits)), shot_misfits, sources, filters, groups, nfft)


def filtered(c, traces, nfft):
    """:math:`T\\,\\mathcal{F}^{-1}[c\\,\\mathcal{F}[x]]`: ``traces`` filtered by ``c``.

    ``traces`` is ``(nt, ...)``; ``c`` is given on the ``rfft`` frequencies of ``nfft`` samples.
    """
    x = np.asarray(traces, dtype=np.float64)
    spectrum = rfft(x, nfft, axis=0)
    return irfft(c.reshape((-1,) + (1,) * (x.ndim - 1)) * spectrum, nfft, axis=0)[: x.shape[0]]


def default_reference(data, dt) -> np.ndarray:
    """A Ricker wavelet peaking at twice the peak frequency of the data: the default reference.

    Its band covers the data's, and, zero-mean and smooth, it leaves the records no slowly
    decaying tail (a spike would, in 2D) for the end of the record to cut.
    """
    nt = data[0].shape[0]
    nfft = next_fast_len(2 * nt, real=True)
    power = sum(np.sum(np.abs(rfft(d, nfft, axis=0)) ** 2, axis=1) for d in data)
    if not power.max() > 0:
        raise ValueError("the observed data are zero: there is no wavelet to estimate")
    peak = np.fft.rfftfreq(nfft, dt)[int(np.argmax(power))]
    return ricker(2.0 * max(peak, 1.0 / (nfft * dt)), dt, nt)


@dataclass(frozen=True)
class ReferenceJob:
    """What every shot of the reference modelling shares (sent to each worker once)."""

    model: object
    dt: float
    interpolation: str = "linear"
    time_dispersion_correction: bool = False


def reference_shot(job: ReferenceJob, shot, wavelet):
    """One shot's reference data :math:`F(m; w_{ref})` (the shot function of the modelling)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="grid dispersion")
        return forward(
            job.model,
            wavelet,
            shot.src,
            shot.rec,
            job.dt,
            job.interpolation,
            time_dispersion_correction=job.time_dispersion_correction,
        )


def reference_data(job: ReferenceJob, shots, wavelets, executor=None) -> list:
    """The reference gathers of every shot, in shot order, on ``executor``."""
    with executors.resolve(executor) as ex:
        items = ((i, (s, w)) for i, (s, w) in enumerate(zip(shots, wavelets, strict=True)))
        arrivals = ex.map_shots(reference_shot, job, items)
        return [d for _, d in executors.in_order(arrivals, range(len(shots)))]


def estimate_wavelet(
    model,
    shots,
    data,
    dt=None,
    interpolation=None,
    *,
    per_shot=False,
    band_limit=None,
    epsilon=EPSILON,
    reference=None,
    time_dispersion_correction=False,
    executor=None,
):
    """The source wavelet that best explains ``data`` in ``model`` (frequency-domain least squares).

    Every source of every shot is taken to fire the same wavelet (or, with ``per_shot``, the
    sources of one shot the same wavelet). The reference wavelet is modelled from every shot,
    the least-squares filter of the module docstring fitted, and the reference filtered by it.

    Parameters
    ----------
    model : Model
        The model the data are explained in (the true one, or the current FWI model).
    shots : :class:`waveback.data.acquisition.Survey` or sequence of Shot
        Positions only; their wavelets are ignored. A survey brings its ``dt`` and
        ``interpolation`` (as for :func:`waveback.rtm`).
    data : sequence of (nt, nrec) array_like
        Observed gathers, one per shot; ``nt`` sets the wavelet's length.
    dt : float
        Sample interval (s); only with a sequence of shots.
    interpolation : {"linear", "sinc"}
        Default ``"linear"``, or the survey's.
    per_shot : bool
        One wavelet per shot instead of one shared by all.
    band_limit : float, optional
        Highest frequency (Hz) of the estimate; None keeps every frequency (those the data do
        not reach are damped by ``epsilon``).
    epsilon : float
        Relative stabilisation :math:`\\epsilon` (:data:`EPSILON`).
    reference : (nt,) array_like, optional
        Reference wavelet, whose band must cover the data's; default
        :func:`default_reference`.
    time_dispersion_correction : bool
        Model with the corrected operators (:mod:`waveback.dispersion`).
    executor : None, {"serial", "local", "dask"} or executor, optional
        Where the shots are modelled (:mod:`waveback.executors`).

    Returns
    -------
    ndarray
        ``(nt,)`` float64, sampled at ``t_n = n dt``; ``(nshots, nt)`` with ``per_shot``.
    """
    shots, dt, interpolation = unpack_survey(shots, dt, interpolation)
    shots, data = one_gather_per_shot(shots, data)
    if not shots:
        raise ValueError("no shots: give at least one shot and its gather")
    data = [np.asarray(d, dtype=np.float64) for d in data]
    nt = data[0].shape[0]
    ref = default_reference(data, dt) if reference is None else np.asarray(reference, float)
    if ref.shape != (nt,):
        raise ValueError(
            f"the reference wavelet must have the data's nt = {nt} samples, got {ref.shape}"
        )
    job = ReferenceJob(model, float(dt), interpolation, bool(time_dispersion_correction))
    refs = reference_data(job, shots, [ref] * len(shots), executor)
    fit = reduced_misfit(refs, data, dt, per_shot=per_shot, band_limit=band_limit, epsilon=epsilon)
    wavelets = [filtered(c, ref, fit.nfft) for c in fit.filters]
    return np.stack(wavelets) if per_shot else wavelets[0]


def _check_gathers(refs, obs) -> int:
    if len(refs) != len(obs) or not refs:
        raise ValueError(
            f"{len(refs)} reference gathers but {len(obs)} observed: give one of each per shot"
        )
    nt = refs[0].shape[0]
    for i, (r, o) in enumerate(zip(refs, obs, strict=True)):
        if r.shape != o.shape or r.ndim != 2 or r.shape[0] != nt:
            raise ValueError(
                f"shot {i}: the modelled gather {r.shape} and the observed one {o.shape} must "
                f"both be (nt, nrec) with nt = {nt}: give the gathers of the same acquisition"
            )
    return nt
