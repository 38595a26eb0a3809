import numpy as np
import pytest

from waveback.physics.stencils import (
    SPACE_ORDERS,
    critical_dt,
    first_derivative_coefficients,
    fornberg_weights,
    laplacian_symbol_max,
    second_derivative_coefficients,
)


def test_low_order_weights_match_textbook():
    # Second order: [1, -2, 1]; fourth order: [-1/12, 4/3, -5/2, 4/3, -1/12].
    np.testing.assert_allclose(second_derivative_coefficients(2), [-2.0, 1.0], rtol=1e-14)
    np.testing.assert_allclose(
        second_derivative_coefficients(4), [-5 / 2, 4 / 3, -1 / 12], rtol=1e-14
    )
    np.testing.assert_allclose(first_derivative_coefficients(4), [2 / 3, -1 / 12], rtol=1e-14)


@pytest.mark.parametrize("order", SPACE_ORDERS)
def test_stencils_are_exact_on_polynomials_up_to_their_order(order):
    m = order // 2
    k = np.arange(1, m + 1)
    c = second_derivative_coefficients(order)
    g = first_derivative_coefficients(order)
    for p in range(order + 2):
        # d²/dx² x^p and d/dx x^p at x = 0, from the symmetric stencils.
        d2 = c[0] * (p == 0) + np.sum(c[1:] * (k**p + (-k) ** p))
        d1 = np.sum(g * (k**p - (-k) ** p))
        scale = 1e-13 * (1 + np.sum(np.abs(c[1:]) * k**p))  # round-off of the sum
        assert d2 == pytest.approx(2.0 if p == 2 else 0.0, abs=scale)
        if p <= order:  # the antisymmetric first-derivative stencil stops one degree earlier
            assert d1 == pytest.approx(1.0 if p == 1 else 0.0, abs=scale)


def test_fornberg_on_uneven_nodes_differentiates_a_cubic():
    x = np.array([-0.7, 0.1, 0.5, 1.3])
    w = fornberg_weights(0.2, x, 2)
    f = x**3 - 2 * x
    assert w[1] @ f == pytest.approx(3 * 0.2**2 - 2, rel=1e-12)
    assert w[2] @ f == pytest.approx(6 * 0.2, rel=1e-12)


@pytest.mark.parametrize("order", SPACE_ORDERS)
def test_symbol_maximum_is_at_nyquist(order):
    c = second_derivative_coefficients(order)
    theta = np.linspace(0, np.pi, 20001)
    symbol = c[0] + 2 * np.sum(c[1:, None] * np.cos(np.outer(np.arange(1, c.size), theta)), 0)
    assert laplacian_symbol_max(order) == pytest.approx(-symbol.min(), rel=1e-12)


def test_critical_dt_is_the_von_neumann_limit():
    # A leapfrog mode at the Nyquist wavenumber is neutrally stable at dt_crit.
    lam = laplacian_symbol_max(8)
    dt = critical_dt(2000.0, (5.0, 7.0), 8)
    q = (dt * 2000.0) ** 2 * (lam / 25 + lam / 49)
    assert q == pytest.approx(4.0, rel=1e-12)
    assert critical_dt(2000.0, (5.0, 5.0, 5.0), 8) < critical_dt(2000.0, (5.0, 5.0), 8)


@pytest.mark.parametrize("order", [0, 3, 18, "8"])
def test_bad_order_is_refused(order):
    with pytest.raises(ValueError, match="space_order must be one of"):
        second_derivative_coefficients(order)


def test_critical_dt_takes_a_scalar_spacing_as_model_does():
    assert critical_dt(2400.0, 10.0, 8) == critical_dt(2400.0, (10.0, 10.0, 10.0), 8)
    assert critical_dt(2400.0, 10, 8, ndim=2) == critical_dt(2400.0, (10.0, 10.0), 8)
    assert critical_dt(2400.0, 10, 8, ndim=2) > critical_dt(2400.0, 10, 8)
    with pytest.raises(ValueError, match="spacing must be positive"):
        critical_dt(2400.0, -10.0, 8)
