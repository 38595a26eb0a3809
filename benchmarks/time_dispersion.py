#!/usr/bin/env python3
"""Error against the analytic solution vs time step, with and without time-dispersion correction.

The configuration of ``tests/test_dispersion.py`` (which asserts bounds on it); this script
prints the measured figures for the README. Run from the repository root::

    python benchmarks/time_dispersion.py

2D homogeneous medium c = 1500 m/s, h = 5 m, space_order 8, float64, Ricker of peak frequency
15 Hz delayed by 1.5 / f0 (20 points per wavelength of the peak frequency, 8 at 2.5 f0), 0.3 s
of record. The source sits on a node and the two receivers are off the grid (100.3 m along z,
110.6 m along x) with sinc interpolation; an off-grid sinc source would add about 0.07 % of
interpolation error at every dt. Errors are relative L2 norms of (modelled - analytic) over the
whole trace, the larger of the two receivers. The corrected run simulates
``dispersion.simulated_steps(nt)`` steps; the speed-up counts those against the ``nt`` steps of
the largest uncorrected dt that keeps 0.1 %, found by bisection on the dt² law of the error.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

import waveback as wb
from waveback.physics.dispersion import corrected, simulated_steps
from waveback.verification.analytic import analytic_trace

C, F0, H, T_END = 1500.0, 15.0, 5.0, 0.3
TARGET = 1e-3
FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)


def setting():
    n = int(round(600.0 / H)) + 1
    model = wb.Model(np.full((n, n), C), H, dtype="float64")
    src = np.array([[300.0, 300.0]])
    rec = src + np.array([[100.3, 0.0], [0.0, 110.6]])
    return model, src, rec


def errors(model, src, rec, dt, correct):
    """The largest relative L2 error over the receivers, and the number of steps simulated."""
    nt = int(round(T_END / dt))
    w = wb.ricker(F0, dt, nt, t0=1.5 / F0)
    exact = analytic_trace(w, dt, np.linalg.norm(rec - src, axis=1), C, 2)

    def simulate(s):
        return wb.forward(model, s, src, rec, dt, interpolation="sinc")

    d = corrected(simulate, w, dt) if correct else simulate(w)
    err = np.linalg.norm(d - exact, axis=0) / np.linalg.norm(exact, axis=0)
    return float(err.max()), simulated_steps(nt) if correct else nt


def largest_dt(model, src, rec, lo, hi):
    """Bisection for the dt where the uncorrected error reaches TARGET, between lo and hi."""
    for _ in range(8):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if errors(model, src, rec, mid, False)[0] <= TARGET else (lo, mid)
    return lo


def main() -> None:
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    model, src, rec = setting()
    crit = model.critical_dt()
    print("| dt / dt_crit | dt (ms) | steps | error | corrected error | corrected steps |")
    print("|---|---|---|---|---|---|")
    table = []
    for frac in FRACTIONS:
        dt = frac * crit
        raw, nt = errors(model, src, rec, dt, False)
        fixed, ns = errors(model, src, rec, dt, True)
        table.append((frac, raw, fixed))
        print(
            f"| {frac:.1f} | {1e3 * dt:.3f} | {nt} | {100 * raw:.3f} % | {100 * fixed:.3f} % "
            f"| {ns} |"
        )
    below = [frac for frac, raw, _ in table if raw <= TARGET]
    above = [frac for frac, raw, _ in table if raw > TARGET]
    dt_raw = largest_dt(model, src, rec, max(below) * crit, min(above) * crit)
    fixed_ok = [frac for frac, _, fixed in table if fixed <= TARGET]
    dt_fixed = max(fixed_ok) * crit
    nt_raw = int(round(T_END / dt_raw))
    ns_fixed = simulated_steps(int(round(T_END / dt_fixed)))
    print()
    print(f"| largest dt keeping {100 * TARGET:.1f} % | dt / dt_crit | steps for {T_END} s |")
    print("|---|---|---|")
    print(f"| without correction | {dt_raw / crit:.3f} | {nt_raw} |")
    limit = " (the stability limit)" if max(fixed_ok) == FRACTIONS[-1] else ""
    print(f"| with correction{limit} | {dt_fixed / crit:.3f} | {ns_fixed} |")
    print()
    print(f"speed-up in time steps: {nt_raw / ns_fixed:.2f}x ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
