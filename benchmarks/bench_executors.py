"""Shots in parallel: speed-up from 1 to 2 workers, and the cost of one task, per executor.

A 16-shot survey on the B2D grid (1000 x 1000 interior, 8th order, sponge, float32; see
``bench_forward.py``) with the time axis scaled down to ``--nt`` steps (default 200) so that
a run takes seconds. Each configuration simulates the 16 shots: ``serial`` (in this process,
numba on every core), ``local`` (process pool) and ``dask`` (a LocalCluster of processes,
loopback only) with 1 and with 2 workers; each worker gets ``cores // workers`` numba threads.
Start-up (pool or cluster, and the first shot of each worker, which loads the cached numba
kernels) is timed apart from the runs. Every parallel result is checked bitwise against the
serial one.

Per-task overhead: 64 trivial shots (``nt = 1``, same model and receivers) through each
executor, minus the same shots run in this process, per shot.

Usage::

    python benchmarks/bench_executors.py            # nt = 200, median of 3
    python benchmarks/bench_executors.py --nt 100 --repeats 1 --rtm   # also RTM of the shots
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from bench_forward import DT, SPACING, build

SHOTS, TRIVIAL = 16, 64


def survey(nt):
    """The B2D model and 16 surface shots evenly along x, every receiver on the surface."""
    import waveback as wb
    from waveback.data.acquisition import Shot, Survey

    model, wavelet, src, rec = build("B2D", "sponge")
    width = (model.shape[1] - 1) * SPACING
    xs = np.linspace(0.05 * width, 0.95 * width, SHOTS)
    w = wavelet[:nt].reshape(-1, 1)
    shots = tuple(Shot(np.array([[src[0, 0], x]]), rec, w) for x in xs)
    return Survey(model, DT, nt, shots), wb


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nt", type=int, default=200, help="time steps per shot")
    parser.add_argument("--repeats", type=int, default=3, help="runs per configuration")
    parser.add_argument("--rtm", action="store_true", help="also time RTM of the 16 shots")
    args = parser.parse_args()
    from waveback.workflows.executors import make_executor
    from waveback.workflows.simulation import ForwardJob, forward_shot

    sv, wb = survey(args.nt)
    trivial = ForwardJob(sv.model, sv.dt)
    one_step = [type(s)(s.src, s.rec, s.wavelet[:1]) for s in sv.shots * (TRIVIAL // SHOTS)]
    trivial_items = [(i, (s,)) for i, s in enumerate(one_step)]
    print(f"B2D grid {sv.model.shape}, {SHOTS} shots, nt = {args.nt}, median of {args.repeats}")
    forward_shot(trivial, trivial_items[0][1][0])  # warm-up
    t_trivial, _ = timed(lambda: [forward_shot(trivial, *a) for _, a in trivial_items], 3)
    rows = []
    reference = image_reference = None
    smooth = sv.model.with_vp(np.full(sv.model.shape, 2500.0, np.float32))
    for kind, workers in [("serial", None), ("local", 1), ("local", 2), ("dask", 1), ("dask", 2)]:
        start = time.perf_counter()
        ex = make_executor(kind, workers=workers)
        with ex:
            wb.simulate(sv, executor=ex, indices=range(ex.workers or 1))  # load the kernels
            startup = time.perf_counter() - start
            t_run, data = timed(lambda ex=ex: wb.simulate(sv, executor=ex), args.repeats)
            if reference is None:
                reference = data
            same = all(np.array_equal(a, b) for a, b in zip(data, reference, strict=True))
            t_task, _ = timed(
                lambda ex=ex: list(ex.map_shots(forward_shot, trivial, trivial_items)), 3
            )
            row = [kind, workers or "-", startup, t_run, same, (t_task - t_trivial) / TRIVIAL]
            if args.rtm:
                t_img, image = timed(
                    lambda ex=ex, d=reference: wb.rtm(smooth, sv.shots, d, sv.dt, executor=ex), 1
                )
                image_reference = image if image_reference is None else image_reference
                row += [t_img, np.array_equal(image, image_reference)]
            rows.append(row)
    serial = rows[0][3]
    header = (
        "| executor | workers | start-up s | 16 shots s | vs serial | vs 1 worker | bitwise "
        "| overhead ms/task |"
    )
    if args.rtm:
        header += " RTM 16 shots s | RTM bitwise |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    one = {}
    for row in rows:
        kind, workers, startup, t_run, same, overhead = row[:6]
        if workers == 1:
            one[kind] = t_run
        vs_one = f"{one[kind] / t_run:.2f}x" if kind in one else "-"
        line = (
            f"| {kind} | {workers} | {startup:.1f} | {t_run:.2f} | {serial / t_run:.2f}x | "
            f"{vs_one} | {'yes' if same else 'NO'} | {1e3 * overhead:.1f} |"
        )
        if args.rtm:
            line += f" {row[6]:.2f} | {'yes' if row[7] else 'NO'} |"
        print(line)
    print(f"in-process trivial shot (nt = 1): {1e3 * t_trivial / TRIVIAL:.1f} ms")


if __name__ == "__main__":
    main()
