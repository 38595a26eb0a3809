"""Throughput of waveback on problems B2D and B3D (forward, adjoint, gradient), with a roofline.

Runs the problems exactly as defined in ``../shared/bench/PROBLEMS.md``: float32, second order
in time, 8th-order Laplacian, all cores, median of 3 runs after one warm-up (the warm-up time,
which includes numba compilation or loading it from the cache, is reported separately).
Each measurement runs in its own process so that its peak resident memory is its own.

Measures: ``forward`` (modelling to receiver data, no wavefield kept); ``adjoint`` (the
transpose, back-propagating that data to the source); ``gradient`` (of 0.5 ||d(m) - d_obs||² in
the true model smoothed by a Gaussian of 10 grid points, d_obs from the true model; full
storage, so B3D's 28 GB is not run here). The last column is the time over one forward run.

Printed per case: Mpts/s on the interior grid and on the padded grid (interior + absorbing
layers; halos excluded), peak resident memory, warm-up time, and the fraction of this machine's
memory-bandwidth limit, measured in the same run with a STREAM triad ``a = b + s c`` over three
1 GiB float32 arrays on all cores. An acoustic update moves at least 16 bytes per point (read
``u(t)``, ``u(t-dt)`` and the model, write ``u(t+dt)``), so bandwidth / 16 B is the upper limit
on points per second.

The default boundary (CPML) is measured first; the processor's model name, instruction-set
level and cache sizes head the table, since ratios differ between processors.

Usage::

    python benchmarks/bench_forward.py    # B2D, B3D; CPML, sponge; forward, adjoint, gradient
    python benchmarks/bench_forward.py --problem B2D --boundary sponge --json
    python benchmarks/bench_forward.py --serve B3D cpml forward   # used by compare_devito.py

``--serve`` builds one case, runs it once as a warm-up, prints a JSON line, and then times one
run for each line read from standard input (a JSON line each): the interleaved races of
``compare_devito.py`` drive it.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

PROBLEMS = {
    # name: (interior shape, nbl, nt)
    "B2D": ((1000, 1000), 40, 1000),
    "B3D": ((200, 200, 200), 20, 500),
}
SPACING, DT, F0 = 10.0, 1e-3, 10.0


def build(problem: str, boundary: str):
    """Model, wavelet, source and receivers of a benchmark problem."""
    import waveback as wb

    shape, nbl, nt = PROBLEMS[problem]
    z = np.arange(shape[0]) * SPACING
    v = 1500.0 + 2000.0 * z / z[-1]
    vp = np.broadcast_to(v.reshape((-1,) + (1,) * (len(shape) - 1)), shape).copy()
    model = wb.Model(vp, SPACING, space_order=8, boundary=boundary, nbl=nbl)
    wavelet = wb.ricker(F0, DT, nt, t0=1.0 / F0)
    if problem == "B2D":
        src = np.array([[20.0, 5000.0]])
        rec = np.stack([np.full(shape[1], 20.0), np.arange(shape[1]) * SPACING], axis=1)
    else:
        centre = (shape[1] - 1) * SPACING / 2
        src = np.array([[20.0, centre, centre]])
        line = np.linspace(0.0, (shape[1] - 1) * SPACING, 100)
        yy, xx = np.meshgrid(line, line, indexing="ij")
        rec = np.stack([np.full(yy.size, 20.0), yy.ravel(), xx.ravel()], axis=1)
    return model, wavelet, src, rec


def stream_triad(gib: float = 1.0, repeats: int = 5) -> float:
    """Best STREAM-triad bandwidth (bytes/s) over ``repeats``, all cores, float32."""
    from numba import njit, prange

    @njit(parallel=True, fastmath=True)
    def triad(a, b, c, s):
        for i in prange(a.size):
            a[i] = b[i] + s * c[i]

    n = int(gib * 2**30) // 4
    a, b, c = np.empty(n, np.float32), np.ones(n, np.float32), np.ones(n, np.float32)
    triad(a, b, c, np.float32(3.0))
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        triad(a, b, c, np.float32(3.0))
        best = min(best, time.perf_counter() - t)
    return 3 * a.nbytes / best


def processor() -> str:
    """The processor's model name, vector extensions and cache sizes, as Linux reports them."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                info.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or "unknown processor"
    flags = info.get("flags", "").split()
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE/other"
    caches = []
    for level, name in (("index2", "L2"), ("index3", "L3")):
        try:
            with open(f"/sys/devices/system/cpu/cpu0/cache/{level}/size") as f:
                caches.append(f"{name} {f.read().strip()}")
        except OSError:
            continue
    return ", ".join([info.get("model name", "unknown processor"), isa, *caches])


def _timed(func, runs):
    """Warm-up time and median time of ``runs`` further calls of ``func``."""
    t = time.perf_counter()
    func()
    warmup = time.perf_counter() - t
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return warmup, statistics.median(times)


def gradient_case(problem: str, boundary: str):
    """Smoothed model (Gaussian, sigma = 10 points), its residual against the true model's data."""
    from scipy.ndimage import gaussian_filter

    import waveback as wb

    model, wavelet, src, rec = build(problem, boundary)
    smooth = model.with_vp(gaussian_filter(model.vp.astype(np.float64), 10.0, mode="nearest"))
    d_obs = wb.forward(model, wavelet, src, rec, DT)
    residual = wb.forward(smooth, wavelet, src, rec, DT) - d_obs
    return smooth, residual, wavelet, src, rec


def _threads() -> int:
    import numba

    return numba.get_num_threads()


def worker(problem: str, boundary: str, runs: int, measure: str = "forward") -> dict:
    """Time one problem in this process; returns the figures as a dict."""
    import waveback as wb

    if measure == "gradient":
        model, residual, wavelet, src, rec = gradient_case(problem, boundary)
        _, forward_seconds = _timed(lambda: wb.forward(model, wavelet, src, rec, DT), 1)
        warmup, seconds = _timed(lambda: wb.gradient(model, residual, wavelet, src, rec, DT), runs)
    elif measure == "adjoint":
        model, wavelet, src, rec = build(problem, boundary)
        _, forward_seconds = _timed(lambda: wb.forward(model, wavelet, src, rec, DT), runs)
        data = wb.forward(model, wavelet, src, rec, DT)
        warmup, seconds = _timed(lambda: wb.adjoint(model, data, src, rec, DT), runs)
    else:
        model, wavelet, src, rec = build(problem, boundary)
        warmup, seconds = _timed(lambda: wb.forward(model, wavelet, src, rec, DT), runs)
        forward_seconds = seconds
    nt = len(wavelet)
    interior = int(np.prod(model.shape))
    padded = int(np.prod([n + 2 * model.nbl for n in model.shape]))
    return {
        "problem": problem,
        "boundary": boundary,
        "measure": measure,
        "forward_seconds": forward_seconds,
        "threads": _threads(),
        "seconds": seconds,
        "warmup_seconds": warmup,
        "mpts_interior": interior * nt / seconds / 1e6,
        "mpts_padded": padded * nt / seconds / 1e6,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def serve(problem: str, boundary: str, measure: str) -> None:
    """Warm one case up, then time one run per line of standard input (see the docstring)."""
    import waveback as wb

    if measure == "gradient":
        model, residual, wavelet, src, rec = gradient_case(problem, boundary)
        workspace = wb.Workspace()  # the history is allocated once, as in Devito's reused buffer

        def run():
            wb.gradient(model, residual, wavelet, src, rec, DT, memory="full", workspace=workspace)
    else:
        model, wavelet, src, rec = build(problem, boundary)

        def run():
            wb.forward(model, wavelet, src, rec, DT)

    serve_runs(run)


def serve_runs(run) -> None:
    """Time ``run()`` once as a warm-up, then once per line of standard input (JSON lines)."""
    t = time.perf_counter()
    run()
    print(json.dumps({"warmup_seconds": time.perf_counter() - t}), flush=True)
    for _ in sys.stdin:
        t = time.perf_counter()
        run()
        seconds = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"seconds": seconds, "peak_rss_mib": rss}), flush=True)


def _in_subprocess(worker_args: list[str], runs: int) -> dict:
    """Run a measurement in a fresh process (its own peak memory) and return its JSON."""
    cmd = [sys.executable, __file__, "--worker", *worker_args, "--runs", str(runs)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problem", choices=["B2D", "B3D", "all"], default="all")
    parser.add_argument("--boundary", choices=["cpml", "sponge", "both"], default="both")
    parser.add_argument(
        "--measure", choices=["forward", "adjoint", "gradient", "all"], default="all"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON line per case")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--serve", nargs=3, metavar=("PROBLEM", "BOUNDARY", "MEASURE"))
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return
    if args.worker:
        if args.worker[0] == "stream":
            print(json.dumps({"bandwidth": stream_triad()}))
        else:
            print(json.dumps(worker(*args.worker[:2], args.runs, args.worker[2])))
        return
    bandwidth = _in_subprocess(["stream", "-", "-"], args.runs)["bandwidth"]
    limit = bandwidth / 16 / 1e6
    problems = ["B2D", "B3D"] if args.problem == "all" else [args.problem]
    boundaries = ["cpml", "sponge"] if args.boundary == "both" else [args.boundary]
    measures = ["forward", "adjoint", "gradient"] if args.measure == "all" else [args.measure]
    if not args.json:
        print(f"Processor: {processor()}; {_threads()} threads")
        print(f"STREAM triad: {bandwidth / 1e9:.1f} GB/s -> limit {limit:.0f} Mpts/s at 16 B/point")
        print(
            "| problem | measure | boundary | Mpts/s interior | Mpts/s padded | % of bandwidth "
            "limit (padded) | peak RSS MiB | warm-up s | median s | / forward |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
    for problem in problems:
        for measure in measures:
            if problem == "B3D" and measure == "gradient":
                print("| B3D | gradient | - | full storage needs 28 GB: not run on 24 GB |")
                continue
            for boundary in boundaries:
                r = _in_subprocess([problem, boundary, measure], args.runs)
                r["bandwidth_gbs"] = bandwidth / 1e9
                r["fraction_of_limit"] = r["mpts_padded"] / limit
                if args.json:
                    print(json.dumps(r))
                    continue
                label = f"{boundary} (default)" if boundary == "cpml" else boundary
                print(
                    f"| {problem} | {measure} | {label} | {r['mpts_interior']:.0f} "
                    f"| {r['mpts_padded']:.0f} | {100 * r['fraction_of_limit']:.0f} % "
                    f"| {r['peak_rss_mib']:.0f} | {r['warmup_seconds']:.1f} | {r['seconds']:.2f} "
                    f"| {r['seconds'] / r['forward_seconds']:.2f} |"
                )


if __name__ == "__main__":
    main()
