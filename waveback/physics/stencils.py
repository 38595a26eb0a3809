"""Finite-difference stencils: Fornberg weights and the leapfrog stability limit.

The Laplacian is the sum over dimensions of centred second-derivative stencils of even
accuracy order ``space_order`` (2, 4, ..., 16),

.. math:: \\partial_x^2 u(x_i) \\approx \\frac{1}{h^2}\\Big(c_0 u_i
          + \\sum_{k=1}^{M} c_k (u_{i+k} + u_{i-k})\\Big), \\qquad M = \\text{space\\_order}/2,

and the CPML uses the centred first-derivative stencil of the same order,
:math:`\\partial_x u(x_i) \\approx h^{-1} \\sum_{k=1}^{M} g_k (u_{i+k} - u_{i-k})`.
The variable-density operator (:mod:`waveback.physics.density`) uses the staggered first derivative
from integer to half points, :math:`\\partial_x u(x_{i+1/2}) \\approx h^{-1} \\sum_{k=1}^{M}
\\beta_k (u_{i+k} - u_{i+1-k})`.
All coefficients come from Fornberg's recursion (Fornberg, 1988, Math. Comp. 51, 699–706).
"""

from __future__ import annotations

import numpy as np

SPACE_ORDERS = tuple(range(2, 17, 2))


def fornberg_weights(x0: float, x: np.ndarray, max_derivative: int) -> np.ndarray:
    """Finite-difference weights on arbitrary nodes (Fornberg's algorithm).

    Parameters
    ----------
    x0 : float
        Point at which the derivatives are approximated.
    x : (n,) array_like
        Distinct node positions.
    max_derivative : int
        Highest derivative order wanted.

    Returns
    -------
    (max_derivative + 1, n) ndarray
        Row ``m`` holds the weights ``w`` such that
        :math:`f^{(m)}(x_0) \\approx \\sum_j w_j f(x_j)`, exact for polynomials of degree
        ``n - 1``.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    c = np.zeros((max_derivative + 1, n))
    c1, c4 = 1.0, x[0] - x0
    c[0, 0] = 1.0
    for i in range(1, n):
        mn = min(i, max_derivative)
        c2, c5, c4 = 1.0, c4, x[i] - x0
        for j in range(i):
            c3 = x[i] - x[j]
            c2 *= c3
            if j == i - 1:
                for k in range(mn, 0, -1):
                    c[k, i] = c1 * (k * c[k - 1, i - 1] - c5 * c[k, i - 1]) / c2
                c[0, i] = -c1 * c5 * c[0, i - 1] / c2
            for k in range(mn, 0, -1):
                c[k, j] = (c4 * c[k, j] - k * c[k - 1, j]) / c3
            c[0, j] = c4 * c[0, j] / c3
        c1 = c2
    return c


def _check_order(space_order: int) -> int:
    if space_order not in SPACE_ORDERS:
        raise ValueError(
            f"space_order must be one of {SPACE_ORDERS} (the accuracy order of the centred "
            f"Laplacian), got {space_order!r}"
        )
    return space_order // 2


def second_derivative_coefficients(space_order: int) -> np.ndarray:
    """Centred second-derivative coefficients ``c_0 .. c_M`` for unit spacing.

    Returns
    -------
    (M + 1,) ndarray
        ``c[0]`` is the centre weight, ``c[k]`` the weight of ``u[i+k]`` and ``u[i-k]``.
    """
    m = _check_order(space_order)
    nodes = np.arange(-m, m + 1, dtype=np.float64)
    return fornberg_weights(0.0, nodes, 2)[2, m:].copy()


def first_derivative_coefficients(space_order: int) -> np.ndarray:
    """Centred first-derivative coefficients ``g_1 .. g_M`` for unit spacing.

    Returns
    -------
    (M,) ndarray
        ``g[k-1]`` multiplies ``u[i+k] - u[i-k]``.
    """
    m = _check_order(space_order)
    nodes = np.arange(-m, m + 1, dtype=np.float64)
    return fornberg_weights(0.0, nodes, 1)[1, m + 1 :].copy()


def laplacian_symbol_max(space_order: int) -> float:
    """Largest eigenvalue of minus the unit-spacing 1D second-derivative stencil.

    The symbol of the stencil is :math:`c_0 + 2\\sum_k c_k \\cos(k\\theta)`; its most negative
    value, at the Nyquist wavenumber :math:`\\theta = \\pi`, sets the stability limit.
    """
    c = second_derivative_coefficients(space_order)
    k = np.arange(1, c.size)
    return float(-(c[0] + 2.0 * np.sum(c[1:] * (-1.0) ** k)))


def critical_dt(vmax: float, spacing, space_order: int, ndim: int = 3) -> float:
    """Largest stable leapfrog time step for the Laplacian of the given order.

    Von Neumann analysis of :math:`u^{n+1} - 2u^n + u^{n-1} = \\Delta t^2 v^2 L u^n` gives
    stability when :math:`\\Delta t\\, v_{max} \\sqrt{\\sum_d \\lambda / h_d^2} \\le 2`, with
    :math:`\\lambda` from :func:`laplacian_symbol_max`.

    Parameters
    ----------
    vmax : float
        Largest velocity (m/s).
    spacing : float or sequence of float
        Grid spacing (m), one per axis, or one value for ``ndim`` equal axes (as ``Model``
        accepts).
    space_order : int
        Order of the Laplacian.
    ndim : int
        Number of axes of a scalar ``spacing``; the default 3 gives a step that is stable in
        2D too (pass ``ndim=2`` for the 2D limit). Ignored when ``spacing`` is a sequence.
    """
    spacing = np.atleast_1d(np.asarray(spacing, dtype=np.float64))
    if spacing.ndim != 1 or spacing.size == 0 or not np.all(spacing > 0):
        raise ValueError(f"spacing must be positive (m), one value or one per axis, got {spacing}")
    if spacing.size == 1:
        if ndim not in (1, 2, 3):
            raise ValueError(f"ndim must be 1, 2 or 3, got {ndim!r}")
        spacing = np.repeat(spacing, ndim)
    lam = laplacian_symbol_max(space_order)
    return 2.0 / (vmax * np.sqrt(sum(lam / h**2 for h in spacing)))


def staggered_coefficients(space_order: int) -> np.ndarray:
    """Staggered first-derivative coefficients ``beta_1 .. beta_M`` for unit spacing.

    Returns
    -------
    (M,) ndarray
        ``beta[k-1]`` multiplies ``u[i+k] - u[i+1-k]`` in the derivative at ``i + 1/2``
        (nodes at ``±1/2, ±3/2, ...``); exact for polynomials of degree ``2M - 1``.
    """
    m = _check_order(space_order)
    nodes = np.arange(-m, m, dtype=np.float64) + 0.5
    return fornberg_weights(0.0, nodes, 1)[1, m:].copy()


def staggered_critical_dt(vp, rho, spacing, space_order: int, free_surface=False) -> float:
    """A provably stable leapfrog step for the variable-density operator of
    :mod:`waveback.physics.density`, :math:`L = \\rho \\sum_a D^-_a B_a D^+_a`.

    With :math:`D^-_a = -(D^+_a)^T` the update matrix :math:`W L` (``W = dt² vp²``) is similar
    to :math:`-(W\\rho)^{1/2} S (W\\rho)^{1/2}`, :math:`S = \\sum_a (D^+_a)^T B_a D^+_a` symmetric
    positive semi-definite, so the leapfrog is stable when its largest eigenvalue is at most 4.
    Cauchy-Schwarz on each row of :math:`D^+_a` (coefficients :math:`c_{hj}`, row sums
    :math:`\\sum_j |c_{hj}| = 2\\sum_k|\\beta_k|/h_a`) bounds it by

    .. math:: \\lambda_{max} \\le \\Delta t^2 \\max_j v_j^2 \\rho_j \\sum_a
              \\frac{2\\sum_k|\\beta_k|}{h_a^2}\\sum_{k=1}^M |\\beta_k|
              \\big(B_a(j - k + \\tfrac12) + B_a(j + k - \\tfrac12)\\big),

    a local average of the buoyancy around ``j`` times :math:`\\rho_j`; for constant density
    it is the von Neumann limit of the staggered operator (the staggered symbol at Nyquist is
    :math:`2\\sum_k|\\beta_k|/h`), and a density contrast lowers it (a heavy point next to a
    light one sees the light side's buoyancy). The fields are padded by ``M`` edge copies
    (the absorbing layers copy the edges) or, on top under a free surface, by their mirror
    image (the image method's reflected coefficients).

    Parameters
    ----------
    vp, rho : (nz, nx) or (nz, ny, nx) array_like
        Velocity (m/s) and density (kg/m³) on the model grid.
    spacing : sequence of float
        Grid spacing per axis (m).
    space_order : int
    free_surface : bool

    Returns
    -------
    float
        The largest time step (s) the bound proves stable.
    """
    beta = np.abs(staggered_coefficients(space_order))
    m = beta.size
    vp, rho = np.asarray(vp, np.float64), np.asarray(rho, np.float64)
    rest = [(m, m)] * (vp.ndim - 1)

    def padded(field):
        if not free_surface:
            return np.pad(field, [(m, m)] + rest, mode="edge")
        field = np.pad(field, [(0, m)] + rest, mode="edge")
        return np.pad(field, [(m, 0)] + [(0, 0)] * (vp.ndim - 1), mode="reflect")

    v2rho, buoy = padded(vp**2 * rho), padded(1.0 / rho)
    inner = tuple(slice(m, -m) for _ in range(vp.ndim))
    total = np.zeros(vp.shape)
    for axis, h in enumerate(spacing):
        half = 0.5 * (buoy + np.roll(buoy, -1, axis))  # B at j + 1/2, stored at j
        local = sum(
            b * (np.roll(half, k, axis) + np.roll(half, 1 - k, axis))
            for k, b in enumerate(beta, start=1)
        )
        total += 2.0 * beta.sum() / h**2 * local[inner]
    return float(2.0 / np.sqrt(np.max(v2rho[inner] * total)))
