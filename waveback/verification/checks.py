"""Self-checks of the backward pass on small grids: ``waveback check``.

For each case (dimension, boundary, free surface, interpolation) on a small random
heterogeneous float64 model, with two off-grid sources and five off-grid receivers:

* dot-product tests :math:`|\\langle Fx, y\\rangle - \\langle x, F^T y\\rangle| / \\max(\\cdot)` of
  forward/adjoint, born/gradient and initial pressure/its adjoint;
* the hand-written adjoint, gradient and initial-pressure adjoint against the independent
  taped reverse pass of :mod:`waveback.verification.autodiff` (relative L2 difference);
With ``density`` a case's model also has a random density (1000 to 2500 kg/m³): its rows add
the born/gradient dot test and the tape comparison for ``rho`` and are named ``...-density``.
With ``attenuation`` its model is attenuating instead (constant Q from 20 to 50 per point over
10-100 Hz, :class:`~waveback.physics.attenuation.ConstantQ`): the same rows, with the memory
variables in the time loop and on the tape, named ``...-attenuation``. With both, the model has
the two and its rows (those of a density case) are named ``...-density-attenuation``.
And, once, the Born consistency test (remainder of :math:`F(m + h\\delta m) - F(m) - hJ\\delta m`
must fall as :math:`h^2`) and the Taylor test of the gradient (first-order remainder of the
misfit falls as :math:`h^2`); their error is the distance of the fitted slope from 2.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from ..physics.attenuation import ConstantQ
from ..physics.linearised import born, gradient
from ..physics.model import Model
from ..physics.solver import Solver, forward
from ..physics.wavelets import ricker
from . import autodiff

DOT_TOLERANCE = 1e-12
TAPE_TOLERANCE = 1e-10
SLOPE_TOLERANCE = 0.1
REPRESENTATIVE = [
    (2, "cpml", False, "linear"),
    (2, "sponge", True, "sinc"),
    (3, "cpml", True, "sinc"),
    (3, "sponge", False, "linear"),
    (2, "cpml", True, "sinc", True),
    (3, "sponge", False, "linear", True),
    (2, "sponge", False, "linear", False, True),
    (3, "cpml", True, "sinc", False, True),
    (2, "cpml", True, "linear", True, True),
    (3, "sponge", False, "sinc", True, True),
]


def option_matrix(
    ndims=(2, 3),
    boundaries=("cpml", "sponge"),
    free_surfaces=(False, True),
    interpolations=("linear", "sinc"),
    densities=(False,),
    attenuations=(False,),
):
    """All combinations of the given options as ``(ndim, boundary, free_surface, interp)``,
    with a fifth entry ``density`` when it is True and a sixth ``attenuation`` when that is.
    """
    cases = itertools.product(
        ndims, boundaries, free_surfaces, interpolations, densities, attenuations
    )
    return [case if case[5] else case[:5] if case[4] else case[:4] for case in cases]


def _case(ndim, boundary, free_surface, seed=0, density=False, attenuation=False):
    rng = np.random.default_rng(seed)
    shape = (14, 17) if ndim == 2 else (9, 10, 11)
    vp = 1500 + 1000 * rng.random(shape)
    model = Model(
        vp,
        5.0,
        boundary=boundary,
        nbl=5,
        free_surface=free_surface,
        dtype="float64",
        rho=1000 + 1500 * rng.random(shape) if density else None,
        attenuation=ConstantQ(20 + 30 * rng.random(shape), (10.0, 100.0)) if attenuation else None,
    )
    lo, hi = np.array(model.extent).T
    src = lo + rng.random((2, ndim)) * (hi - lo)
    rec = lo + rng.random((5, ndim)) * (hi - lo)
    return model, src, rec, 0.8 * model.critical_dt(), rng


def _result(name, error, tolerance):
    return {
        "name": name,
        "error": float(error),
        "tolerance": tolerance,
        "passed": bool(error <= tolerance),
    }


def dot_error(lhs, rhs):
    """Relative mismatch of the two sides of a dot test, ``<A x, y>`` and ``<x, A^T y>``.

    :math:`|l - r| / \\max(|l|, |r|)`; rounding alone gives about 1e-15 in float64 for an
    exact transpose. Shared by :func:`check_case` and the tests.
    """
    return float(abs(lhs - rhs) / max(abs(lhs), abs(rhs)))


def _rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def case_label(
    ndim, boundary, free_surface, interpolation, density=False, attenuation=False
) -> str:
    """The name of an option combination in the results, e.g. ``2d-cpml-free_surface-sinc``
    (``...-density`` for a model with a density, ``...-attenuation`` for an attenuating one,
    ``...-density-attenuation`` for both)."""
    surface = "free_surface-" if free_surface else ""
    suffix = ("-density" if density else "") + ("-attenuation" if attenuation else "")
    return f"{ndim}d-{boundary}-{surface}{interpolation}{suffix}"


def check_case(
    ndim, boundary, free_surface, interpolation, density=False, attenuation=False, nt=40
):
    """Dot-product and tape checks of one option combination; a list of result dicts."""
    model, src, rec, dt, rng = _case(
        ndim, boundary, free_surface, density=density, attenuation=attenuation
    )
    label = case_label(ndim, boundary, free_surface, interpolation, density, attenuation)
    x, y = rng.standard_normal((nt, 2)), rng.standard_normal((nt, 5))
    dm, p0 = rng.standard_normal(model.shape) * 1e-8, rng.standard_normal(model.shape)
    solver = Solver(model, dt, src, rec, interpolation)  # one set-up for every operator
    prop = solver.propagator
    fx = solver.forward(x)
    fp = solver.forward(np.zeros_like(x), initial_pressure=p0)
    fty = solver.adjoint(y)
    g, _ = solver.gradient(y, x)
    jdm = solver.born(dm, x)
    fpy = solver.adjoint_initial_pressure(y)
    tapes = {
        "adjoint": autodiff.tape_adjoint(model, y, src, rec, dt, interpolation, propagator=prop),
        "gradient": autodiff.tape_gradient(
            model, y, x, src, rec, dt, interpolation, propagator=prop
        ),
        "initial pressure adjoint": autodiff.tape_initial_pressure_adjoint(
            model, y, rec, dt, nt, interpolation, propagator=prop
        ),
    }
    results = []
    if density:
        drho = rng.standard_normal(model.shape) * 10.0
        g_rho, _ = solver.gradient(y, x, wrt="rho")
        jdrho = solver.born(drho, x, wrt="rho")
        tape_rho = autodiff.tape_gradient(
            model, y, x, src, rec, dt, interpolation, wrt="rho", propagator=prop
        )
        results = [
            _result(
                f"dot born/gradient rho {label}",
                dot_error(np.sum(jdrho * y), np.sum(drho * g_rho)),
                DOT_TOLERANCE,
            ),
            _result(f"tape gradient rho {label}", _rel(g_rho, tape_rho), TAPE_TOLERANCE),
        ]
    return [
        _result(
            f"dot forward/adjoint {label}",
            dot_error(np.sum(fx * y), np.sum(x * fty)),
            DOT_TOLERANCE,
        ),
        _result(
            f"dot born/gradient {label}", dot_error(np.sum(jdm * y), np.sum(dm * g)), DOT_TOLERANCE
        ),
        _result(
            f"dot initial pressure {label}",
            dot_error(np.sum(fp * y), np.sum(p0 * fpy)),
            DOT_TOLERANCE,
        ),
        _result(f"tape adjoint {label}", _rel(fty, tapes["adjoint"]), TAPE_TOLERANCE),
        _result(f"tape gradient {label}", _rel(g, tapes["gradient"]), TAPE_TOLERANCE),
        _result(
            f"tape initial pressure adjoint {label}",
            _rel(fpy, tapes["initial pressure adjoint"]),
            TAPE_TOLERANCE,
        ),
        *results,
    ]


def check_linearisation(boundary="cpml", free_surface=False):
    """Born consistency and gradient Taylor test on a smooth 2D case; two result dicts."""
    rng = np.random.default_rng(1)
    shape = (20, 24)
    model = Model(
        2000 + 300 * rng.random(shape),
        5.0,
        boundary=boundary,
        nbl=6,
        free_surface=free_surface,
        dtype="float64",
    )
    src, rec = np.array([[20.3, 40.7]]), np.array([[10.0, 30.0], [80.0, 100.0], [50.0, 60.0]])
    dt = 0.6 * model.critical_dt()
    w = ricker(60.0, dt, 150)

    def data(m):
        return forward(model.with_vp(1 / np.sqrt(m)), w, src, rec, dt, "sinc")

    m0, dm = model.m, rng.standard_normal(shape) * model.m * 0.05
    d0, d_obs = data(m0), data(m0 * (1 + 0.02 * rng.standard_normal(shape)))
    jdm = born(model, dm, w, src, rec, dt, "sinc")
    steps = 0.1 / 2.0 ** np.arange(5)
    born_rem = [np.linalg.norm(data(m0 + h * dm) - d0 - h * jdm) for h in steps]
    g = gradient(model, d0 - d_obs, w, src, rec, dt, "sinc")
    phi0, slope = 0.5 * np.sum((d0 - d_obs) ** 2), np.sum(g * dm)
    steps = 2.5e-4 / 2.0 ** np.arange(5)
    taylor = [abs(0.5 * np.sum((data(m0 + h * dm) - d_obs) ** 2) - phi0 - h * slope) for h in steps]
    label = f"2d-{boundary}{'-free_surface' if free_surface else ''}"
    return [
        _result(f"born consistency slope {label}", _slope_error(born_rem), SLOPE_TOLERANCE),
        _result(f"taylor gradient slope {label}", _slope_error(taylor), SLOPE_TOLERANCE),
    ]


def _slope_error(remainders):
    slopes = np.log2(np.array(remainders[:-1]) / np.array(remainders[1:]))
    return float(np.max(np.abs(slopes - 2.0)))


def run_checks(cases=None, linearisation=True, progress=None):
    """All checks for ``cases`` (default :data:`REPRESENTATIVE`); a list of result dicts.

    ``progress``, if given, is called before each step as ``progress(step, steps, label)``:
    the step's number (from 1), the number of steps (one per case, and one for the
    linearisation tests) and what it checks.
    """
    cases = REPRESENTATIVE if cases is None else cases
    steps = len(cases) + bool(linearisation)

    def announce(step, label):
        if progress is not None:
            progress(step, steps, label)

    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # broadband test signals on purpose
        for step, case in enumerate(cases, 1):
            announce(step, f"dot-product and tape checks, {case_label(*case)}")
            results += check_case(*case)
        if linearisation:
            announce(steps, "Born consistency and Taylor slopes, 2d-cpml")
            results += check_linearisation()
    return results
