"""Data misfits and their adjoint sources: least squares, trace correlation, envelope.

Each misfit :math:`\\Phi(d; o)` compares modelled gathers ``d`` with observed gathers ``o``
(``(nt, nrec)``, time along axis 0) and returns the value with its *adjoint source*
:math:`\\partial\\Phi/\\partial d`, the residual that the backward sweep
(:func:`waveback.gradient`, which computes :math:`J^T r`) turns into the model gradient. All
arithmetic is in float64.

``l2``
    :math:`\\tfrac12 \\sum_{n,r} (d - o)^2`, adjoint source :math:`d - o`.
``correlation``
    :math:`\\sum_r \\bigl(1 - \\langle d_r, o_r\\rangle / (\\|d_r\\| \\|o_r\\|)\\bigr)`, per
    trace ``r``: blind to a positive scale factor of any trace, of either the data or the
    model. Adjoint source :math:`-o_r / (\\|d_r\\|\\|o_r\\|) + \\langle d_r, o_r\\rangle d_r /
    (\\|d_r\\|^3\\|o_r\\|)`. A trace that is zero in ``d`` or in ``o`` contributes nothing.
``envelope``
    :math:`\\tfrac12 \\sum_{n,r} (E_d^2 - E_o^2)^2` with the squared envelope
    :math:`E_x^2 = x^2 + (\\mathcal{H} x)^2` (:func:`hilbert`): insensitive to the phase of
    the wavelet, it keeps the low-frequency trend of the data and so resists cycle skipping
    (Wu, Luo & Wu 2014). Adjoint source :math:`2 (E_d^2 - E_o^2) d - 2\\mathcal{H}[(E_d^2 -
    E_o^2)\\mathcal{H} d]`, using :math:`\\mathcal{H}^T = -\\mathcal{H}`.
"""

from __future__ import annotations

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft

#: The misfits by name; :func:`misfit` computes them.
MISFITS = ("l2", "correlation", "envelope")


def check_misfit(name) -> str:
    """``name`` if it is one of :data:`MISFITS`, else a ``ValueError`` that lists them."""
    if name not in MISFITS:
        raise ValueError(f"misfit {name!r} is not known: choose one of {', '.join(MISFITS)}")
    return name


def misfit(name: str, modelled, observed):
    """The misfit ``name`` of ``modelled`` against ``observed`` and its adjoint source.

    Parameters
    ----------
    name : {"l2", "correlation", "envelope"}
    modelled, observed : (nt, nrec) array_like
        Gathers of the same shape.

    Returns
    -------
    phi : float
    adjoint_source : (nt, nrec) float64 ndarray
        :math:`\\partial\\Phi / \\partial d`.
    """
    check_misfit(name)
    d = np.asarray(modelled, dtype=np.float64)
    o = np.asarray(observed, dtype=np.float64)
    if d.shape != o.shape:
        raise ValueError(
            f"modelled data {d.shape} and observed data {o.shape} must have the same shape "
            f"(nt, nrec): give the observed gather of this very shot"
        )
    return _MISFITS[name](d, o)


def _l2(d, o):
    residual = d - o
    return 0.5 * float(np.sum(residual**2)), residual


def _correlation(d, o):
    norm_d = np.linalg.norm(d, axis=0)
    norm_o = np.linalg.norm(o, axis=0)
    live = (norm_d > 0) & (norm_o > 0)
    nd, no = np.where(live, norm_d, 1.0), np.where(live, norm_o, 1.0)
    dot = np.sum(d * o, axis=0)
    phi = float(np.sum(np.where(live, 1.0 - dot / (nd * no), 0.0)))
    adjoint = np.where(live, -o / (nd * no) + dot * d / (nd**3 * no), 0.0)
    return phi, adjoint


def _envelope(d, o):
    hd = hilbert(d)
    excess = d**2 + hd**2 - o**2 - hilbert(o) ** 2
    phi = 0.5 * float(np.sum(excess**2))
    return phi, 2.0 * excess * d - 2.0 * hilbert(excess * hd)


_MISFITS = {"l2": _l2, "correlation": _correlation, "envelope": _envelope}


def hilbert(traces):
    """The discrete Hilbert transform :math:`\\mathcal{H}` of ``traces`` along axis 0.

    The traces are zero-padded to ``N >= 2 nt`` samples, multiplied in frequency by
    :math:`-i\\,\\mathrm{sign}(f)` (zero at 0 Hz and at Nyquist) and cut back to ``nt``:
    :math:`\\mathcal{H} = T C P` with ``C`` a real antisymmetric circulant, so its transpose is
    exactly :math:`-\\mathcal{H}`. ``traces + i hilbert(traces)`` is the analytic signal.
    """
    x = np.asarray(traces, dtype=np.float64)
    nt = x.shape[0]
    n = next_fast_len(2 * nt, real=True)
    spectrum = rfft(x, n, axis=0)
    sign = np.full(spectrum.shape[0], -1j)
    sign[0] = 0.0
    if n % 2 == 0:
        sign[-1] = 0.0
    return irfft(spectrum * sign.reshape((-1,) + (1,) * (x.ndim - 1)), n, axis=0)[:nt]
