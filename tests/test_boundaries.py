"""Spurious reflections of the absorbing boundaries (CPML and sponge), measured.

Each figure is ``max_t |test - reference| / max_t |reference|`` at a receiver: the trace in a
*test* model minus the same trace in a *reference* model extended by ``pad`` points on the side
under test only, so the difference is that side's reflection alone and the reference's own
boundary there is reached only after the recording ends. The geometry and window are those of
``benchmarks/reflection.py`` (its docstring explains them), so the measured values quoted next to
each bound are the ones of its table: 2D, order 8, float64, 2000 m/s, 10 m spacing, Ricker
15 Hz (13.3 points per wavelength at the peak), dt = 2 ms, default profiles.

* normal / 45°: source 25 points inside the right edge; receivers on the edge at the source's
  depth and 25 points deeper.
* grazing: source and receivers 3 points below the top edge, offsets 5 to 120 points; the worst
  receiver of the line.
"""

from functools import cache

import numpy as np
import pytest

import waveback as wb

VP, H, F0, DT = 2000.0, 10.0, 15.0, 2e-3
T0 = 1.5 / F0
HALF = 1.2 / F0 * VP / H  # half-length of the Ricker pulse in grid points (2e-5 level)
NBL_MAX = 40  # the window covers the echo from the outer wall of a 40-point layer


def _traces(shape, src, rec, path, origin=(0.0, 0.0), **model_kwargs):
    """Record until a pulse has travelled ``path`` grid points past its peak."""
    nt = int(np.ceil((T0 + (path + HALF) * H / VP) / DT)) + 1
    model = wb.Model(
        np.full(shape, VP), H, origin=origin, space_order=8, dtype="float64", **model_kwargs
    )
    return wb.forward(
        model, wb.ricker(F0, DT, nt, t0=T0), np.atleast_2d(src) * H, np.atleast_2d(rec) * H, DT
    )


def _ratio(test, ref):
    return np.abs(test - ref).max(axis=0) / np.abs(ref).max(axis=0)


@cache
def edge(boundary, nbl, reflection=None):
    """``(normal, 45°)`` reflection of the right edge of a 61 x 41 model."""
    (nz, nx), d, zs = (61, 41), 25, 20
    src, rec = [zs, nx - 1 - d], [[zs, nx - 1], [zs + d, nx - 1]]
    path = np.hypot(d + 2 * NBL_MAX, d)
    pad = int(np.ceil((path + 2 * HALF - d) / 2)) + 5
    kw = dict(boundary=boundary, nbl=nbl, reflection=reflection)
    test = _traces((nz, nx), src, rec, path, **kw)
    ref = _traces((nz, nx + pad), src, rec, path, **kw)
    return tuple(_ratio(test, ref))


@cache
def grazing(boundary, nbl):
    """Worst reflection over a line 3 points below the top edge of a 41 x 141 model."""
    (nz, nx), d, xs, offsets = (41, 141), 3, 10, np.arange(5, 121, 5)
    src = [d, xs]
    rec = np.stack([np.full(offsets.size, d), xs + offsets], axis=1)
    path = np.hypot(offsets.max(), 2 * (d + NBL_MAX))
    pad = int(np.ceil((path + 2 * HALF) / 2)) - d + 5
    kw = dict(boundary=boundary, nbl=nbl)
    test = _traces((nz, nx), src, rec, path, **kw)
    ref = _traces((nz + pad, nx), src, rec, path, origin=(-pad * H, 0.0), **kw)
    return _ratio(test, ref).max()


# Bounds (fractions) per (boundary, nbl): normal, 45°, grazing; measured values in the comments.
BOUNDS = {
    ("cpml", 10): (7e-4, 4e-4, 1e-3),  # measured 3.6e-4, 1.9e-4, 3.2e-4
    ("cpml", 20): (5e-5, 3e-5, 3e-5),  # measured 2.2e-5, 1.3e-5, 1.4e-5
    ("cpml", 40): (3e-6, 2e-6, 2e-6),  # measured 1.3e-6, 7.8e-7, 9.7e-7
    ("sponge", 20): (0.025, 0.04, 0.6),  # measured 0.0188, 0.0323, 0.529
    ("sponge", 40): (0.006, 0.007, 0.2),  # measured 0.0045, 0.0051, 0.177
}


@pytest.mark.parametrize(("boundary", "nbl"), list(BOUNDS))
def test_reflection_below_measured_bound(boundary, nbl):
    normal, oblique = edge(boundary, nbl)
    bound_normal, bound_oblique, bound_grazing = BOUNDS[boundary, nbl]
    assert normal < bound_normal
    assert oblique < bound_oblique
    assert grazing(boundary, nbl) < bound_grazing


def test_cpml_beats_sponge_of_the_same_thickness():
    # Measured ratios sponge / CPML at 20 points: 850 (normal), 2500 (45°), 37000 (grazing).
    for cpml, sponge in zip(edge("cpml", 20), edge("sponge", 20), strict=True):
        assert 100 * cpml < sponge
    assert 100 * grazing("cpml", 20) < grazing("sponge", 20)


@pytest.mark.parametrize("case", ["normal", "oblique", "grazing"])
def test_cpml_reflection_decreases_with_thickness(case):
    def measure(nbl):
        if case == "grazing":
            return grazing("cpml", nbl)
        return edge("cpml", nbl)[case == "oblique"]

    thin, medium, thick = measure(10), measure(20), measure(40)
    # Measured factors 10 -> 20 -> 40: normal 16, 16; 45° 15, 16; grazing 23, 15.
    assert medium < thin / 5
    assert thick < medium / 5


def test_measurement_sees_an_undamped_layer():
    # A CPML of nominal reflection 0.9 barely damps: the zero halo behind it reflects the
    # wave back (measured 0.54 normal, 0.62 at 45°), so the harness is not blind.
    normal, oblique = edge("cpml", 20, reflection=0.9)
    assert normal > 0.3
    assert oblique > 0.2
