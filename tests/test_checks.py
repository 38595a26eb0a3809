"""Tests of ``waveback.verification.checks``'s dot-test measure, shared by the tests and
``waveback check``.

The checks themselves run through ``waveback check`` in ``test_cli.py`` and
``test_cli_commands.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from waveback.verification.checks import DOT_TOLERANCE, case_label, dot_error, option_matrix


def test_dot_error_is_the_relative_mismatch_at_any_scale():
    assert dot_error(2.0, 2.0) == 0.0
    assert dot_error(-3.0, -2.0) == dot_error(-2.0, -3.0) == 1 / 3
    # np.isclose's default atol would call these equal; a dot test must not
    assert dot_error(1e-20, 2e-20) == 0.5


def test_dot_error_passes_an_exact_transpose_and_fails_one_off_by_a_millionth():
    rng = np.random.default_rng(0)
    a, x, y = rng.standard_normal((30, 20)), rng.standard_normal(20), rng.standard_normal(30)
    assert dot_error((a @ x) @ y, x @ (a.T @ y)) <= DOT_TOLERANCE  # measured 0
    wrong = a.T.copy()
    wrong[3, 7] *= 1 + 1e-6
    assert dot_error((a @ x) @ y, x @ (wrong @ y)) > 1e3 * DOT_TOLERANCE  # measured 3.7e-8


def test_option_matrix_adds_attenuation_cases_alone_and_with_a_density():
    cases = option_matrix((2,), ("cpml",), (False,), ("linear",), (False, True), (False, True))
    assert cases == [
        (2, "cpml", False, "linear"),
        (2, "cpml", False, "linear", False, True),
        (2, "cpml", False, "linear", True),
        (2, "cpml", False, "linear", True, True),
    ]
    assert [case_label(*case) for case in cases] == [
        "2d-cpml-linear",
        "2d-cpml-linear-attenuation",
        "2d-cpml-linear-density",
        "2d-cpml-linear-density-attenuation",
    ]


def remainder_slopes(errors):
    """``log2`` of the ratios of successive remainders: their order as the step halves."""
    errors = np.array(errors)
    return np.log2(errors[:-1] / errors[1:])


def assert_taylor_slopes(data, d_obs, gradient, born, base, dx, steps):
    """The Taylor test of :math:`\\phi(x) = \\tfrac12\\|d(x) - d_{obs}\\|^2` along ``dx``.

    With :math:`x_h = x + h\\,dx` for the halving ``steps``, the remainders
    :math:`|\\phi(x_h) - \\phi(x)|` (order 1), :math:`|\\phi(x_h) - \\phi(x) - h\\,g\\cdot dx|`
    (order 2, the gradient ``g``) and :math:`\\|d(x_h) - d(x) - h\\,J dx\\|` (order 2, the Born
    data ``born = J dx``) must decay with slopes 1, 2 and 2 (within 0.1).
    """
    d0 = data(base)
    phi0 = 0.5 * np.sum((d0 - d_obs) ** 2)
    runs = [data(base + h * dx) for h in steps]
    values = [0.5 * np.sum((d - d_obs) ** 2) for d in runs]
    slope = np.sum(gradient * dx)
    zeroth = [abs(v - phi0) for v in values]
    first = [abs(v - phi0 - h * slope) for v, h in zip(values, steps, strict=True)]
    born_rem = [np.linalg.norm(d - d0 - h * born) for d, h in zip(runs, steps, strict=True)]
    np.testing.assert_allclose(remainder_slopes(zeroth), 1.0, atol=0.1)
    np.testing.assert_allclose(remainder_slopes(first), 2.0, atol=0.1)
    np.testing.assert_allclose(remainder_slopes(born_rem), 2.0, atol=0.1)


def test_the_taylor_test_passes_an_exact_derivative_and_fails_a_wrong_one():
    rng = np.random.default_rng(1)
    a, x, dx = rng.standard_normal((8, 5)), rng.standard_normal(5), rng.standard_normal(5)
    d_obs = rng.standard_normal(8)

    def data(v):
        return np.sin(a @ v)

    jacobian = np.cos(a @ x)[:, None] * a
    gradient = jacobian.T @ (data(x) - d_obs)
    steps = 1e-2 / 2.0 ** np.arange(5)
    assert_taylor_slopes(data, d_obs, gradient, jacobian @ dx, x, dx, steps)
    with pytest.raises(AssertionError):
        assert_taylor_slopes(data, d_obs, 1.01 * gradient, jacobian @ dx, x, dx, steps)
    with pytest.raises(AssertionError):
        assert_taylor_slopes(data, d_obs, gradient, 1.01 * jacobian @ dx, x, dx, steps)
