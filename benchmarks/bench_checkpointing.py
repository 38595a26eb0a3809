"""Gradient time and peak memory of B2D and B3D under memory budgets (binomial checkpointing).

Each case runs in its own process (its own peak resident memory): the gradient of problem
``B2D`` or ``B3D`` of ``../shared/bench/PROBLEMS.md`` (float32, order 8, the smoothed model,
see ``bench_forward.py``) with ``wb.gradient(..., memory=BUDGET)``. Printed per case: the plan
(full storage or the number of checkpoints, recomputation factor = forward steps executed /
nt, predicted peak of the arrays), the median time of ``--runs`` calls after one warm-up,
the peak resident memory of the process (interpreter, numba and the problem's data
included), and the time relative to one forward run (the median of as many forward runs in the
same process) and to full storage.

Usage::

    python benchmarks/bench_checkpointing.py                       # B2D and B3D, sponge
    python benchmarks/bench_checkpointing.py --problem B2D --boundary cpml --runs 3
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys

from bench_forward import DT, _timed, gradient_case

BUDGETS = {
    "B2D": ["full", "full+workspace", "1GiB", "700MiB", "256MiB"],
    "B3D": ["4GiB", "2GiB", "1GiB"],
}


def worker(problem: str, boundary: str, memory: str, runs: int) -> dict:
    """Time the gradient under ``memory`` in this process.

    ``"full+workspace"``: full storage with one :class:`waveback.Workspace` for every call, so
    the warm-up allocates the history and the timed calls reuse it (an inversion's iterations).
    """
    import waveback as wb

    model, residual, wavelet, src, rec = gradient_case(problem, boundary)
    _, forward_seconds = _timed(lambda: wb.forward(model, wavelet, src, rec, DT), runs)
    budget, _, reuse = memory.partition("+")
    workspace = wb.Workspace() if reuse == "workspace" else None
    plan = wb.gradient_plan(model, len(wavelet), DT, budget, nrec=rec.shape[0])
    warmup, seconds = _timed(
        lambda: wb.gradient(
            model, residual, wavelet, src, rec, DT, memory=budget, workspace=workspace
        ),
        runs,
    )
    return {
        "problem": problem,
        "boundary": boundary,
        "memory": memory,
        "plan": str(plan),
        "checkpoints": plan.checkpoints if plan.mode == "revolve" else None,
        "recomputation": plan.recomputation,
        "predicted_mib": plan.peak_bytes / 2**20,
        "seconds": seconds,
        "warmup_seconds": warmup,
        "forward_seconds": forward_seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problem", choices=["B2D", "B3D", "all"], default="all")
    parser.add_argument("--boundary", choices=["cpml", "sponge"], default="cpml")
    parser.add_argument("--memory", nargs="*", help="budgets (default: the issue's table)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs after the warm-up")
    parser.add_argument("--json", action="store_true", help="print one JSON line per case")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.runs)))
        return
    if not args.json:
        print(
            "| problem | boundary | memory | checkpoints | recomputation | predicted MiB "
            "| peak RSS MiB | median s | / forward | / full storage |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
    for problem in ["B2D", "B3D"] if args.problem == "all" else [args.problem]:
        full_seconds = None
        runs = args.runs if problem == "B2D" else 1
        for memory in args.memory or BUDGETS[problem]:
            cmd = [sys.executable, __file__, "--worker", problem, args.boundary, memory]
            cmd += ["--runs", str(runs)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            if memory == "full":
                full_seconds = r["seconds"]
            if args.json:
                print(json.dumps(r))
                continue
            to_full = f"{r['seconds'] / full_seconds:.2f}" if full_seconds else "-"
            print(
                f"| {problem} | {args.boundary} | {memory} | {r['checkpoints'] or 'all steps'} "
                f"| {r['recomputation']:.2f} | {r['predicted_mib']:.0f} "
                f"| {r['peak_rss_mib']:.0f} | {r['seconds']:.2f} "
                f"| {r['seconds'] / r['forward_seconds']:.2f} | {to_full} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
