#!/usr/bin/env python3
"""Measure Devito's forward-modelling speed on the waveback benchmark problems.

This is a standalone comparison script. Devito is *not* a dependency of waveback:
the script creates (or reuses) its own virtual environment at
``<repo>/.bench-venv-devito`` (git-ignored), installs ``devito`` 4.8.x there with pip
(plus scipy and pytest, which Devito's ``examples.seismic`` package imports), and then
runs itself again, as a child process, with that environment's python.

What is measured (problems as defined in ``../shared/bench/PROBLEMS.md``):

* B2D: interior 1000 x 1000 (nz x nx), 10 m spacing, v(z) = 1500 + 2000 z / z_max m/s,
  40-point absorbing layer on every side, nt = 1000, dt = 1 ms, Ricker 10 Hz source
  (delayed by 1/f0) at z = 20 m, x = 5000 m, 1000 receivers at z = 20 m, one per column.
* B3D: interior 200^3, 10 m spacing, same v(z) law, 20-point absorbing layer, nt = 500,
  dt = 1 ms, source at z = 20 m in the horizontal centre, 100 x 100 receivers at
  z = 20 m spanning the surface.

Both use float32, space_order=8, second order in time, Devito's OpenMP backend
(DEVITO_LANGUAGE=openmp, DEVITO_ARCH=gcc) with OMP_NUM_THREADS = all cores, and the
acoustic solver of Devito's ``examples.seismic`` package (``Model`` with ``bcs="damp"``,
i.e. Devito's default damping-mask absorbing layer of width ``nbl``). Only forward
modelling to receiver data is timed (no wavefield saved): one warm-up run (reported
as compile/first-run time, it includes the JIT compilation), then the median of 3
timed runs. Times are wall-clock around ``AcousticWaveSolver.forward``; Devito's own
operator time (from its performance summary) is reported alongside.

Throughput: Mpts/s = points x nt / seconds / 1e6, on the interior grid and on the
padded grid (interior + absorbing layers, halos excluded).

**Races** (``--race``): waveback's default (CPML) and its sponge against Devito's default
(damping mask), each in its own long-lived process that has already run the problem once, timed
in interleaved rounds (Devito, waveback CPML, waveback sponge, then again), so that a noisy
machine slows all three alike; the median of the rounds is reported with the ratios, the
processor, and each code's fraction of this machine's bandwidth limit (a STREAM triad measured
in the same run, 16 bytes per padded point and step). ``--measure gradient`` races the
full-storage gradient of ``0.5 ||d(m) - d_obs||²`` instead (B2D): Devito's forward with
``save=True`` into a wavefield buffer allocated once plus ``jacobian_adjoint``, against
``wb.gradient`` with a reused ``wb.Workspace`` (neither side pays its one-time allocation;
the sponge is left out of this race, whose processes each hold a 4.7 GB history).
The launcher of a race must run in waveback's environment (``python benchmarks/...``).

Usage (from anywhere; any python3 >= 3.9 works as the launcher)::

    python3 benchmarks/compare_devito.py --setup-only        # just create the venv
    python3 benchmarks/compare_devito.py --problem B2D       # full B2D
    python3 benchmarks/compare_devito.py --problem B3D --nt 20 --json
    python3 benchmarks/compare_devito.py --problem all
    python benchmarks/compare_devito.py --race --problem all            # interleaved, 3 rounds
    python benchmarks/compare_devito.py --race --problem B2D --measure gradient

Options: ``--problem B2D|B3D|all`` (default all), ``--nt N`` overrides the number of
time steps (quick checks), ``--runs N`` timed runs (default 3), ``--threads N``
(default: all cores available to this process), ``--json`` prints one JSON line per
problem with the results, ``--shared-jit-cache`` reuses Devito's default JIT cache
(by default each invocation uses a fresh one, so the warm-up always includes the gcc
compilation), ``--setup-only`` creates/updates the venv and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_DIR = REPO_ROOT / ".bench-venv-devito"
DEVITO_REQUIREMENT = "devito>=4.8,<4.9"
# Devito's ``examples.seismic`` helpers (shipped in the devito wheel) also import scipy
# and pytest at module level; both are in devito's own "extras"/"tests" requirements.
VENV_REQUIREMENTS = [DEVITO_REQUIREMENT, "scipy", "pytest"]
_IN_VENV_FLAG = "WAVEBACK_DEVITO_BENCH_CHILD"

# Benchmark problems (PROBLEMS.md). Lengths in m, times in ms, velocities in km/s
# (Devito's seismic examples use m / ms / km/s, which is a consistent unit system).
PROBLEMS = {
    "B2D": dict(
        shape=(1000, 1000),  # interior (x, z); Devito puts z last
        spacing=10.0,
        nbl=40,
        nt=1000,
        dt=1.0,
        f0=0.010,  # 10 Hz in kHz
        src_depth=20.0,
        src_x=5000.0,
        rec_depth=20.0,
    ),
    "B3D": dict(
        shape=(200, 200, 200),  # interior (x, y, z)
        spacing=10.0,
        nbl=20,
        nt=500,
        dt=1.0,
        f0=0.010,
        src_depth=20.0,
        src_x=None,  # horizontal centre
        rec_depth=20.0,
        rec_grid=(100, 100),
    ),
}


# --------------------------------------------------------------------------------------
# Launcher side (system python, stdlib only)
# --------------------------------------------------------------------------------------


def _venv_python() -> Path:
    return VENV_DIR / "bin" / "python"


def _running_in_bench_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV_DIR.resolve()


def ensure_venv(quiet: bool = False) -> Path:
    """Create the benchmark venv if needed and make sure devito is installed in it."""
    py = _venv_python()
    out = subprocess.DEVNULL if quiet else None
    if not py.exists():
        print(f"[setup] creating virtual environment {VENV_DIR}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV_DIR)], check=True)
    probe = subprocess.run(
        [str(py), "-c", "import devito, examples.seismic"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if probe.returncode != 0:
        print(f"[setup] installing {' '.join(VENV_REQUIREMENTS)} into {VENV_DIR}", file=sys.stderr)
        subprocess.run(
            [str(py), "-m", "pip", "install", *VENV_REQUIREMENTS], check=True, stdout=out
        )
    version = subprocess.run(
        [str(py), "-c", "import devito; print(devito.__version__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"[setup] devito {version} ready in {VENV_DIR}", file=sys.stderr)
    return py


def _default_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def _devito_env(threads: int) -> dict:
    env = dict(os.environ)
    env.update(
        OMP_NUM_THREADS=str(threads),
        DEVITO_LANGUAGE="openmp",
        DEVITO_ARCH="gcc",
        DEVITO_LOGGING="WARNING",
        CC="/usr/bin/gcc" if Path("/usr/bin/gcc").exists() else env.get("CC", "gcc"),
    )
    env[_IN_VENV_FLAG] = "1"
    return env


def relaunch_in_venv(argv: list[str], threads: int, shared_cache: bool) -> int:
    """Run this script again with the venv's python; return the child's exit status."""
    py = ensure_venv()
    env = _devito_env(threads)
    cmd = [str(py), str(Path(__file__).resolve()), *argv]
    if shared_cache:
        return subprocess.run(cmd, env=env).returncode
    # Devito keeps its JIT cache under $TMPDIR; a fresh TMPDIR makes the warm-up run
    # include the C compilation every time, so compile/first-run times are comparable.
    with tempfile.TemporaryDirectory(prefix="devito-bench-") as tmp:
        env["TMPDIR"] = tmp
        return subprocess.run(cmd, env=env).returncode


# --------------------------------------------------------------------------------------
# Benchmark side (runs inside the venv, imports devito)
# --------------------------------------------------------------------------------------


def build_case(name: str, nt: int):
    """Return (solver, geometry, info) for problem `name` with `nt` time steps."""
    import numpy as np
    from examples.seismic import AcquisitionGeometry, Model
    from examples.seismic.acoustic import AcousticWaveSolver

    p = PROBLEMS[name]
    shape, h, nbl = p["shape"], p["spacing"], p["nbl"]
    ndim = len(shape)

    # v(z) = 1500 + 2000 z / z_max m/s with z_max = depth of the last row; z is last.
    nz = shape[-1]
    z = np.arange(nz, dtype=np.float64) * h
    vz = (1.5 + 2.0 * z / z[-1]).astype(np.float32)  # km/s
    vp = np.broadcast_to(vz, shape).copy()

    model = Model(
        vp=vp,
        origin=(0.0,) * ndim,
        spacing=(h,) * ndim,
        shape=shape,
        space_order=8,
        nbl=nbl,
        bcs="damp",
        dtype=np.float32,
    )
    if p["dt"] > model.critical_dt:
        raise RuntimeError(f"dt={p['dt']} ms exceeds Devito's critical dt {model.critical_dt}")

    extent = [(n - 1) * h for n in shape]
    # Source
    src = np.zeros((1, ndim), dtype=np.float32)
    if ndim == 2:
        src[0, 0] = p["src_x"]
    else:
        src[0, :-1] = [e / 2 for e in extent[:-1]]
    src[0, -1] = p["src_depth"]
    # Receivers
    if ndim == 2:
        nrec = shape[0]
        rec = np.zeros((nrec, 2), dtype=np.float32)
        rec[:, 0] = np.arange(nrec) * h  # one per grid column
        rec[:, 1] = p["rec_depth"]
    else:
        ra, rb = p["rec_grid"]
        gx, gy = np.meshgrid(
            np.linspace(0.0, extent[0], ra), np.linspace(0.0, extent[1], rb), indexing="ij"
        )
        rec = np.zeros((ra * rb, 3), dtype=np.float32)
        rec[:, 0], rec[:, 1] = gx.ravel(), gy.ravel()
        rec[:, 2] = p["rec_depth"]

    # Devito's acoustic operator updates u(t+1) for t = time_m..time_M = 1..num-2 of the
    # time axis, so nt updates need num = nt + 2 samples: t = 0, dt, ..., (nt + 1) dt.
    # The Ricker wavelet is delayed by 1/f0 (RickerSource's default t0). resample()
    # replaces Devito's CFL-derived dt by the benchmark's dt.
    dt = p["dt"]
    geometry = AcquisitionGeometry(
        model, rec, src, t0=0.0, tn=(nt + 1) * dt, f0=p["f0"], src_type="Ricker"
    ).resample(dt)
    solver = AcousticWaveSolver(model, geometry, space_order=8)

    interior = int(np.prod(shape))
    padded = int(np.prod([n + 2 * nbl for n in shape]))
    info = dict(
        problem=name,
        shape=list(shape),
        nbl=nbl,
        nt=nt,
        dt_ms=dt,
        nrec=int(rec.shape[0]),
        interior_points=interior,
        padded_points=padded,
    )
    return solver, geometry, info


def _op_time(summary) -> float | None:
    """Sum of Devito's per-section operator times (seconds), if available."""
    try:
        return float(sum(v.time for v in summary.values()))
    except Exception:
        return None


def run_problem(name: str, nt: int, runs: int) -> dict:
    import devito
    import numpy as np

    solver, geometry, info = build_case(name, nt)
    dt = PROBLEMS[name]["dt"]
    model = solver.model
    src = geometry.src  # read-only: build the wavelet once, outside the timing

    def one_run():
        # A fresh wavefield u and receiver array are allocated by forward() each call,
        # as in a normal modelling call; no wavefield is saved (save=False).
        t = time.perf_counter()
        rec, _, summary = solver.forward(src=src, dt=dt)
        elapsed = time.perf_counter() - t
        return elapsed, _op_time(summary), rec

    # Warm-up: operator construction (symbolic lowering, code generation, C compilation
    # with gcc) happens inside this first call and is reported as compile/first-run time.
    first, _, rec = one_run()

    # Check that the operator really performed nt time updates.
    bounds = solver.op_fwd(False).arguments(src=src, rec=rec, vp=model.vp, dt=dt)
    steps = bounds["time_M"] - bounds["time_m"] + 1
    if steps != nt:
        raise RuntimeError(f"operator runs {steps} time steps, expected {nt}")

    walls, ops = [], []
    for _ in range(runs):
        w, o, rec = one_run()
        walls.append(w)
        ops.append(o)
    wall = statistics.median(walls)
    op_s = statistics.median(ops) if all(o is not None for o in ops) else None

    work_int = info["interior_points"] * nt
    work_pad = info["padded_points"] * nt
    rec_data = np.asarray(rec.data)
    info.update(
        devito_version=devito.__version__,
        threads=int(os.environ.get("OMP_NUM_THREADS", "0")),
        devito_language=os.environ.get("DEVITO_LANGUAGE"),
        absorbing="Devito damping mask (examples.seismic Model, bcs='damp')",
        first_run_s=first,
        times_s=walls,
        median_s=wall,
        op_times_s=ops,
        median_op_s=op_s,
        mpts_interior=work_int / wall / 1e6,
        mpts_padded=work_pad / wall / 1e6,
        mpts_interior_op=(work_int / op_s / 1e6) if op_s else None,
        mpts_padded_op=(work_pad / op_s / 1e6) if op_s else None,
        rec_shape=list(rec_data.shape),
        rec_max_abs=float(np.abs(rec_data).max()),
    )
    return info


def serve(name: str, measure: str) -> None:
    """Warm one problem up, then time one run per line of standard input (JSON lines out)."""
    import numpy as np
    from devito import TimeFunction
    from scipy.ndimage import gaussian_filter

    solver, geometry, info = build_case(name, PROBLEMS[name]["nt"])
    dt, src = PROBLEMS[name]["dt"], geometry.src
    if measure == "gradient":
        model = solver.model
        true_rec, _, _ = solver.forward(src=src, dt=dt)
        observed = np.array(true_rec.data)
        smooth = gaussian_filter(np.array(model.vp.data), 10.0, mode="nearest")
        model.vp.data[:] = smooth
        u = TimeFunction(name="u", grid=model.grid, time_order=2, space_order=8, save=geometry.nt)
        residual = geometry.rec

        def run():
            rec, _, _ = solver.forward(src=src, dt=dt, save=True, u=u)
            residual.data[:] = rec.data - observed
            solver.jacobian_adjoint(rec=residual, u=u, dt=dt)
    else:

        def run():
            solver.forward(src=src, dt=dt)

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_forward import serve_runs  # numpy only at import: fine in Devito's venv

    serve_runs(run)


def race(problems: list[str], measure: str, rounds: int, threads: int) -> None:
    """Interleaved rounds of Devito and waveback (CPML, sponge); print the table."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_forward

    py = ensure_venv(quiet=True)
    bandwidth = bench_forward._in_subprocess(["stream", "-", "-"], 1)["bandwidth"]
    limit = bandwidth / 16 / 1e6
    print(f"Processor: {bench_forward.processor()}; {threads} threads")
    print(f"STREAM triad: {bandwidth / 1e9:.1f} GB/s -> limit {limit:.0f} Mpts/s at 16 B/point")
    print(f"{measure}, median of {rounds} interleaved rounds")
    print(
        "| problem | code | median s | rounds s | Mpts/s interior | Mpts/s padded "
        "| % of limit (padded) | warm-up s | peak RSS MiB | Devito time / this |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    wb_env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    with tempfile.TemporaryDirectory(prefix="devito-bench-") as tmp:
        dv_env = dict(_devito_env(threads), TMPDIR=tmp)
        for name in problems:
            bench = [sys.executable, str(Path(bench_forward.__file__)), "--serve", name]
            codes = {
                "Devito (damping mask)": ([str(py), __file__, "--serve", name, measure], dv_env),
                "waveback CPML (default)": ([*bench, "cpml", measure], wb_env),
            }
            if measure == "forward":  # three stored histories of B2D would need 15 GB
                codes["waveback sponge"] = ([*bench, "sponge", measure], wb_env)
            procs, warm = {}, {}
            for code, (cmd, env) in codes.items():  # one at a time: warm-ups do not overlap
                procs[code] = subprocess.Popen(
                    cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
                )
                warm[code] = _reply(procs[code])["warmup_seconds"]
            times, rss = {code: [] for code in codes}, {}
            for _ in range(rounds):
                for code, proc in procs.items():
                    proc.stdin.write("run\n")
                    proc.stdin.flush()
                    reply = _reply(proc)
                    times[code].append(reply["seconds"])
                    rss[code] = reply["peak_rss_mib"]
            for proc in procs.values():
                proc.stdin.close()
                proc.wait()
            p = PROBLEMS[name]
            interior = 1
            for n in p["shape"]:
                interior *= n
            padded = 1
            for n in p["shape"]:
                padded *= n + 2 * p["nbl"]
            devito = statistics.median(times["Devito (damping mask)"])
            for code in codes:
                med = statistics.median(times[code])
                mi, mp = interior * p["nt"] / med / 1e6, padded * p["nt"] / med / 1e6
                print(
                    f"| {name} | {code} | {med:.3f} | {', '.join(f'{t:.2f}' for t in times[code])}"
                    f" | {mi:.0f} | {mp:.0f} | {100 * mp / limit:.0f} % | {warm[code]:.1f} "
                    f"| {rss[code]:.0f} | {devito / med:.2f} |",
                    flush=True,
                )


def _reply(proc) -> dict:
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"benchmark process {proc.args} ended early (status {proc.wait()})")
    return json.loads(line)


def _print_human(r: dict) -> None:
    print(f"== {r['problem']} (devito {r['devito_version']}, {r['threads']} threads) ==")
    print(
        f"  interior {'x'.join(map(str, r['shape']))}, nbl={r['nbl']} "
        f"(padded {r['padded_points']:,} pts), nt={r['nt']}, dt={r['dt_ms']} ms, "
        f"{r['nrec']} receivers"
    )
    print(f"  compile/first run : {r['first_run_s']:.3f} s")
    print(
        f"  timed runs        : {', '.join(f'{t:.3f}' for t in r['times_s'])} s "
        f"(median {r['median_s']:.3f} s)"
    )
    print(f"  Mpts/s interior   : {r['mpts_interior']:.1f}")
    print(f"  Mpts/s padded     : {r['mpts_padded']:.1f}")
    if r["median_op_s"]:
        print(
            f"  (operator-only time {r['median_op_s']:.3f} s -> "
            f"{r['mpts_interior_op']:.1f} / {r['mpts_padded_op']:.1f} Mpts/s "
            f"interior / padded)"
        )
    print(f"  receiver data {r['rec_shape']}, max |d| = {r['rec_max_abs']:.3e}")


def bench_main(args) -> None:
    names = list(PROBLEMS) if args.problem == "all" else [args.problem]
    for name in names:
        nt = args.nt if args.nt is not None else PROBLEMS[name]["nt"]
        result = run_problem(name, nt, args.runs)
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            _print_human(result)
            sys.stdout.flush()


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problem", choices=["B2D", "B3D", "all"], default="all")
    ap.add_argument("--nt", type=int, default=None, help="override number of time steps")
    ap.add_argument("--runs", type=int, default=3, help="timed runs (median reported)")
    ap.add_argument(
        "--threads", type=int, default=None, help="OpenMP threads (default: all available cores)"
    )
    ap.add_argument("--json", action="store_true", help="print one JSON line per problem")
    ap.add_argument(
        "--shared-jit-cache",
        action="store_true",
        help="reuse Devito's default JIT cache (first run may then skip the C "
        "compilation); by default a fresh cache is used per invocation",
    )
    ap.add_argument(
        "--setup-only", action="store_true", help="create/update the devito venv and exit"
    )
    ap.add_argument(
        "--race",
        action="store_true",
        help="interleaved rounds of Devito, waveback CPML and waveback sponge",
    )
    ap.add_argument("--measure", choices=["forward", "gradient"], default="forward")
    ap.add_argument("--serve", nargs=2, metavar=("PROBLEM", "MEASURE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.nt is not None and args.nt < 2:
        ap.error("--nt must be >= 2")
    return args


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.setup_only:
        ensure_venv()
        return
    if args.serve:
        serve(*args.serve)
        return
    if args.race:
        names = list(PROBLEMS) if args.problem == "all" else [args.problem]
        race(names, args.measure, args.runs, args.threads or _default_threads())
        return
    if not (_running_in_bench_venv() and os.environ.get(_IN_VENV_FLAG) == "1"):
        sys.exit(relaunch_in_venv(argv, args.threads or _default_threads(), args.shared_jit_cache))
    bench_main(args)


if __name__ == "__main__":
    main()
