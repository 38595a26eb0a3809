"""Tests of ``waveback.verification.checks``'s dot-test measure, shared by the tests and
``waveback check``.

The checks themselves run through ``waveback check`` in ``test_cli.py`` and
``test_cli_commands.py``.
"""

from __future__ import annotations

import numpy as np

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
