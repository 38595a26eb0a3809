"""Measure the spurious reflections of waveback's absorbing boundaries.

Run from the repository root (about 2 s once the numba kernels are cached)::

    PYTHONPATH=. python benchmarks/reflection.py

which printed, with the default profiles (CPML: cubic grading, R = 1e-8, alpha frequency
vmin / (20 h) = 10 Hz here; sponge: quadratic grading, R = 1e-2)::

    | boundary | nbl | normal % | 45° % | grazing % |
    |---|---:|---:|---:|---:|
    | cpml | 10 | 0.036 | 0.0191 | 0.0324 |
    | cpml | 20 | 0.0022 | 0.00128 | 0.00142 |
    | cpml | 40 | 0.000134 | 7.76e-05 | 9.71e-05 |
    | sponge | 20 | 1.88 | 3.23 | 52.9 |
    | sponge | 40 | 0.446 | 0.508 | 17.7 |

The sponge's grazing figure is large by nature: it is not matched, so a layer 3 points away
damps the direct wave itself (its Fresnel zone) besides reflecting it.

Method. Every figure compares a trace recorded in a *test* model with the same trace in a
*reference* model that is the test model extended by ``pad`` extra points on the side under
test only (sources and receivers at the same physical positions, the origin shifted when the
extension is on the top). The reference's own boundary on that side is so far away that its
reflection reaches no receiver before the end of the recording, and the other three sides are
identical in both models, so ``residual = test - reference`` is the reflection from the side
under test alone (up to second-order cross terms). Each figure is
``max_t |residual| / max_t |reference|`` at one receiver, i.e. the reflected peak relative to
the incident peak, in percent.

Common settings: 2D, ``space_order=8``, float64, homogeneous 2000 m/s, 10 m spacing, Ricker of
peak frequency 15 Hz (13.3 points per wavelength at the peak) delayed by 1.5 / f0, dt = 2 ms
(0.72 of the stability limit), linear (on-grid) sources and receivers.

``normal`` and ``45°``
    Source 25 points (250 m) inside the right edge of a 61 x 41 model. Receivers lie *on*
    the last model column (the edge of the layer), at the source's depth (normal incidence)
    and 25 points deeper (the ray meets the layer at 45°). A receiver on the edge sees the
    incident and the reflected wave after the same path length, so the ratio is the reflection
    coefficient itself, with no geometric-spreading correction.
``grazing``
    Surface acquisition without a free surface: source and a line of receivers 3 points
    (30 m) below the top edge of a 41 x 141 model, receivers from 5 to 120 points (50 m to
    1.2 km) offset, every 5 points. The figure is the worst receiver's ratio over the line
    (each receiver's residual relative to its own direct wave).
"""

from __future__ import annotations

import numpy as np

import waveback as wb

VP, H, F0, DT = 2000.0, 10.0, 15.0, 2e-3
T0 = 1.5 / F0
#: Half-length (in grid points) of the Ricker pulse at the 2e-5 level: 1.2 / f0 seconds.
HALF = 1.2 / F0 * VP / H
NBL_MAX = 40

# Edge geometry (grid points): source D points inside the right edge.
EDGE_SHAPE, EDGE_DIST, EDGE_SRC_Z = (61, 41), 25, 20
# Grazing geometry: source and receivers DEPTH points below the top edge.
GRAZE_SHAPE, GRAZE_DEPTH, GRAZE_SRC_X, GRAZE_OFFSETS = (41, 141), 3, 10, np.arange(5, 121, 5)


def _nt(path_points: float) -> int:
    """Steps that record a pulse until it has travelled ``path_points`` grid points."""
    return int(np.ceil((T0 + path_points * H / VP + HALF * H / VP) / DT)) + 1


def _run(shape, src, rec, nt, origin=(0.0, 0.0), **model_kwargs):
    model = wb.Model(
        np.full(shape, VP), H, origin=origin, space_order=8, dtype="float64", **model_kwargs
    )
    wavelet = wb.ricker(F0, DT, nt, t0=T0)
    return wb.forward(model, wavelet, np.atleast_2d(src) * H, np.atleast_2d(rec) * H, DT)


def _ratio(test, ref):
    """Per receiver ``max_t |test - ref| / max_t |ref|``."""
    return np.abs(test - ref).max(axis=0) / np.abs(ref).max(axis=0)


def edge_reflection(boundary="cpml", nbl=20, **model_kwargs):
    """Reflection coefficient of the right boundary at normal and 45° incidence.

    Returns
    -------
    normal, oblique : float
        Reflected peak over incident peak (fractions, not percent).
    """
    nz, nx = EDGE_SHAPE
    d, zs = EDGE_DIST, EDGE_SRC_Z
    src = [zs, nx - 1 - d]
    rec = [[zs, nx - 1], [zs + d, nx - 1]]
    # Record until the echo from the outer wall of the thickest layer has passed the 45°
    # receiver; the reference's boundary, `pad` points further, is reached after that.
    path = np.hypot(d + 2 * NBL_MAX, d)
    nt = _nt(path)
    pad = int(np.ceil((path + 2 * HALF - d) / 2)) + 5
    kw = dict(boundary=boundary, nbl=nbl, **model_kwargs)
    test = _run((nz, nx), src, rec, nt, **kw)
    ref = _run((nz, nx + pad), src, rec, nt, **kw)
    normal, oblique = _ratio(test, ref)
    return float(normal), float(oblique)


def grazing_reflection(boundary="cpml", nbl=20, **model_kwargs):
    """Worst reflection ratio over a receiver line a few points below the top boundary."""
    d, xs = GRAZE_DEPTH, GRAZE_SRC_X
    src = [d, xs]
    rec = np.stack([np.full(GRAZE_OFFSETS.size, d), xs + GRAZE_OFFSETS], axis=1)
    # Record until the direct wave has passed the farthest receiver and the echo from the outer
    # wall of the thickest layer has reached it; the reference's top, `pad` points higher, is
    # reached after that even at the nearest receiver.
    path = np.hypot(GRAZE_OFFSETS.max(), 2 * (d + NBL_MAX))
    nt = _nt(path)
    pad = int(np.ceil((path + 2 * HALF) / 2)) - d + 5
    kw = dict(boundary=boundary, nbl=nbl, **model_kwargs)
    nz, nx = GRAZE_SHAPE
    test = _run((nz, nx), src, rec, nt, **kw)
    ref = _run((nz + pad, nx), src, rec, nt, origin=(-pad * H, 0.0), **kw)
    return float(_ratio(test, ref).max())


CASES = [("cpml", 10), ("cpml", 20), ("cpml", 40), ("sponge", 20), ("sponge", 40)]


def main():
    print("| boundary | nbl | normal % | 45° % | grazing % |")
    print("|---|---:|---:|---:|---:|")
    for boundary, nbl in CASES:
        normal, oblique = edge_reflection(boundary, nbl)
        grazing = grazing_reflection(boundary, nbl)
        print(
            f"| {boundary} | {nbl} | {100 * normal:.3g} | {100 * oblique:.3g} | "
            f"{100 * grazing:.3g} |"
        )


if __name__ == "__main__":
    main()
