"""Variable density against constant density: forward and gradient, interleaved medians.

Both solvers are built once (numba compilation and the operator constants outside the timing);
then the runs alternate A B A B ... so that a change in the machine's load hits both, and the
medians and their ratio are printed with the load average (``os.getloadavg``).

Usage::

    python benchmarks/bench_density.py --ndim 2 --boundary cpml --what forward --repeat 5
    python benchmarks/bench_density.py --ndim 3 --boundary sponge --what gradient --nt 30
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import waveback as wb


def build(ndim, boundary, with_rho, nt):
    n, nbl = (1000, 40) if ndim == 2 else (200, 20)
    shape = (n,) * ndim
    rng = np.random.default_rng(0)
    vp = (2000.0 + 500.0 * rng.random(shape)).astype(np.float32)
    rho = (1500.0 + 1000.0 * rng.random(shape)).astype(np.float32) if with_rho else None
    model = wb.Model(vp, 10.0, space_order=8, nbl=nbl, boundary=boundary, dtype="float32",
                     rho=rho)  # fmt: skip
    dt = 0.9 * model.critical_dt() if with_rho else None
    src = np.array([[n * 5.0] * ndim])
    rec = np.stack([np.full(n, 20.0)] + [np.arange(n) * 10.0] * (ndim - 1), axis=1)
    return model, dt, src, rec


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ndim", type=int, default=2)
    parser.add_argument("--boundary", default="cpml")
    parser.add_argument("--what", default="forward", choices=["forward", "gradient"])
    parser.add_argument("--nt", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cases = {}
    dense, dt, src, rec = build(args.ndim, args.boundary, True, args.nt)
    const, _, _, _ = build(args.ndim, args.boundary, False, args.nt)
    w = wb.ricker(15.0, dt, args.nt)
    for name, model in (("constant", const), ("density", dense)):
        solver = wb.Solver(model, dt, src, rec)
        d = solver.forward(w)
        if args.what == "forward":
            cases[name] = lambda s=solver: s.forward(w)
        else:
            wrt = ("m", "rho") if model.rho is not None else "m"
            cases[name] = lambda s=solver, d=d, wrt=wrt: s.gradient(d, w, memory="full", wrt=wrt)
        cases[name]()  # warm-up (compilation, page faults)
    times = {name: [] for name in cases}
    for _ in range(args.repeat):
        for name, run in cases.items():
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
    med = {name: statistics.median(t) for name, t in times.items()}
    print(
        f"{args.ndim}D {args.boundary} {args.what} nt={args.nt}: "
        + ", ".join(f"{k} {v:.3f}s {[round(t, 2) for t in times[k]]}" for k, v in med.items())
        + f" ratio {med['density'] / med['constant']:.2f} load {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
