#!/usr/bin/env python3
"""Accuracy of ``waveback.forward`` against analytic solutions, as a table.

The same configurations as ``tests/test_propagation.py`` (which asserts bounds on them); this
script prints the measured figures for the README. Run from the repository root::

    python benchmarks/accuracy.py

Homogeneous medium c = 1500 m/s, Ricker of peak frequency 15 Hz delayed by 1.5 / f0 (20 points
per wavelength of the peak frequency at h = 5 m), space_order 8, float32 unless stated.
Errors are relative L2 norms of (modelled - analytic) over the whole trace.
"""

from __future__ import annotations

import warnings

import numpy as np

import waveback as wb
from waveback.verification.analytic import analytic_trace

C, F0 = 1500.0, 15.0


def homogeneous(ndim, h, length, **kw):
    n = int(round(length / h)) + 1
    return wb.Model(np.full((n,) * ndim, C), h, **kw)


def rel(a, b):
    return np.linalg.norm(a - b, axis=0) / np.linalg.norm(b, axis=0)


def trace_error(model, src, rec, dt, t_end, interpolation="sinc"):
    nt = int(round(t_end / dt))
    w = wb.ricker(F0, dt, nt, t0=1.5 / F0)
    d = wb.forward(model, w, src, rec, dt, interpolation=interpolation)
    exact = analytic_trace(w, dt, np.linalg.norm(rec - src, axis=1), C, model.ndim)
    return rel(d, exact)


def main() -> None:
    warnings.simplefilter("ignore")
    rows = []
    for ndim, length, t_end in [(2, 600.0, 0.3), (3, 300.0, 0.2)]:
        h = 5.0
        src = np.full((1, ndim), length / 2 + 0.37 * h)
        rec = src + np.array([[100.3] + [0.0] * (ndim - 1), [0.0] * (ndim - 1) + [110.6]])
        for interp in ("sinc", "linear"):
            err = trace_error(homogeneous(ndim, h, length), src, rec, 0.2 * h / C, t_end, interp)
            rows.append((f"{ndim}D off-grid source and receivers, {interp}", err))
    for dtfac in (0.4, 0.2, 0.1):
        h = 5.0
        src = np.array([[300.0 + 0.37 * h, 300.0 + 0.37 * h]])
        rec = src + np.array([[100.3, 0.0]])
        err = trace_error(homogeneous(2, h, 600.0), src, rec, dtfac * h / C, 0.3)
        rows.append((f"2D sinc, dt = {dtfac} h/c ({dtfac / 0.555:.2f} of the CFL limit)", err))
    for order, dtfac in ((16, 0.3), (2, 0.02), (4, 0.02)):
        errs = []
        for h in (10.0, 5.0):
            model = homogeneous(2, h, 600.0, dtype="float64", space_order=order)
            src, rec = np.array([[300.0, 300.0]]), np.array([[300.0, 450.0]])
            errs.append(trace_error(model, src, rec, dtfac * h / C, 0.3)[0])
        what = "time (CFL fixed)" if order == 16 else f"space (order {order}, tiny dt)"
        rows.append(
            (f"convergence in {what}: h 10 -> 5 m, slope {np.log2(errs[0] / errs[1]):.2f}", errs)
        )
    print("| case | relative L2 error(s) |\n|---|---|")
    for name, err in rows:
        print(f"| {name} | {', '.join(f'{100 * e:.3f} %' for e in np.atleast_1d(err))} |")


if __name__ == "__main__":
    main()
