"""What density and attenuation cost: forward time against the constant-density, lossless run.

Runs problems B2D and B3D of ``../shared/bench/PROBLEMS.md`` (float32, order 8, the default
CPML or the sponge) four ways in one process, interleaved (constant, density, attenuation,
both; then again), and prints the median time of each, its ratio to the constant-density
lossless run, Mpts/s on the interior grid and the fraction of this machine's STREAM-triad limit
(16 bytes per point, as in ``bench_forward.py``), with the processor's name. The density is
Gardner's relation :math:`\\rho = 310\\, v_p^{1/4}` (kg/m³, vp in m/s); the attenuation is
``ConstantQ(100, band=(2, 25))`` (3 standard linear solids). Targets of the physics issue:
variable density ≤ 1.6×, 3 mechanisms ≤ 2.5×.

Usage::

    python benchmarks/bench_physics.py                       # B2D and B3D, CPML, 3 rounds
    python benchmarks/bench_physics.py --problem B2D --steps 200 --rounds 5 --boundary sponge
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from bench_forward import DT, build, processor, stream_triad

VARIANTS = ("constant", "density", "attenuation", "both")


def variants(problem: str, boundary: str, steps: int | None):
    """The four models of a problem, its wavelet (cut to ``steps``), source and receivers."""
    import waveback as wb

    model, wavelet, src, rec = build(problem, boundary)
    if steps is not None:
        wavelet = wavelet[:steps]
    rho = 310.0 * model.vp.astype(np.float64) ** 0.25
    q = wb.ConstantQ(100.0, band=(2.0, 25.0))
    base = dict(
        spacing=model.spacing,
        space_order=model.space_order,
        boundary=boundary,
        nbl=model.nbl,
        pml_velocity=model.pml_velocity,
    )
    vp = model.vp
    models = {
        "constant": model,
        "density": wb.Model(vp, rho=rho, **base),
        "attenuation": wb.Model(vp, attenuation=q, **base),
        "both": wb.Model(vp, rho=rho, attenuation=q, **base),
    }
    return models, wavelet, src, rec


def race(problem: str, boundary: str, steps: int | None, rounds: int, limit: float) -> list:
    """Interleaved timings of the four variants; one result dict per variant."""
    import waveback as wb

    models, wavelet, src, rec = variants(problem, boundary, steps)
    solvers = {}
    for name, model in models.items():
        try:
            solvers[name] = wb.Solver(model, DT, src, rec)
            solvers[name].forward(wavelet)  # warm-up: compilation or the numba cache
        except (ValueError, NotImplementedError) as exc:
            print(f"{problem} {boundary} {name}: not run ({exc})")
    times = {name: [] for name in solvers}
    for _ in range(rounds):
        for name, solver in solvers.items():
            t = time.perf_counter()
            solver.forward(wavelet)
            times[name].append(time.perf_counter() - t)
    base = statistics.median(times["constant"])
    interior = int(np.prod(models["constant"].shape)) * len(wavelet)
    rows = []
    for name, ts in times.items():
        seconds = statistics.median(ts)
        mpts = interior / seconds / 1e6
        rows.append(
            {
                "problem": problem,
                "boundary": boundary,
                "physics": name,
                "seconds": seconds,
                "ratio": seconds / base,
                "mpts_interior": mpts,
                "roofline": mpts * 1e6 / limit,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", choices=("B2D", "B3D"), action="append")
    parser.add_argument("--boundary", choices=("cpml", "sponge"), default="cpml")
    parser.add_argument("--steps", type=int, default=None, help="time steps (default: nt)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    limit = stream_triad() / 16.0
    print(processor())
    print(f"STREAM triad limit at 16 B/point: {limit / 1e6:.0f} Mpts/s")
    print(f"{'problem':8} {'physics':12} {'seconds':>9} {'ratio':>7} {'Mpts/s':>8} {'roofline':>9}")
    for problem in args.problem or ["B2D", "B3D"]:
        for row in race(problem, args.boundary, args.steps, args.rounds, limit):
            print(
                f"{row['problem']:8} {row['physics']:12} {row['seconds']:9.3f} "
                f"{row['ratio']:7.2f} {row['mpts_interior']:8.0f} {row['roofline']:9.1%}"
            )


if __name__ == "__main__":
    main()
