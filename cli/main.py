"""The ``waveback`` command group, its error reporting, and the ``demo`` command.

Library errors (``ValueError``, ``TypeError``, ``OSError``) become one line on stderr,
``error: <message>``, and exit status 2; ``-v`` adds the traceback above that line.
"""

from __future__ import annotations

import json
import logging
import shlex
import time
import traceback
from pathlib import Path

import click

import waveback as wb

from .demo import SIZES, make_survey, migrate, run_shots, snapshot_indices, write_image, write_shots
from .plots import plot_image, plot_shots, plot_wavefield

log = logging.getLogger("waveback_cli")

#: Exceptions reported as one line and exit status 2 instead of a traceback.
REPORTED_ERRORS = (ValueError, TypeError, OSError)
ERROR_EXIT_CODE = 2


class WavebackGroup(click.Group):
    """A click group that turns :data:`REPORTED_ERRORS` into ``error: <message>``."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except REPORTED_ERRORS as exc:
            if ctx.params.get("verbose"):
                click.echo(traceback.format_exc().rstrip(), err=True)
            message = " ".join(str(exc).split()) or type(exc).__name__
            click.echo(f"error: {message}", err=True)
            ctx.exit(ERROR_EXIT_CODE)


@click.group(
    "waveback", cls=WavebackGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(wb.__version__, "--version", prog_name="waveback")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details; show tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """Finite-difference acoustic wave simulation (m u_tt - lap u = s, SI units, z first)."""
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    for name in ("waveback", "waveback_cli"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)
    ctx.obj = {"verbose": verbose, "quiet": quiet}


@cli.command()
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory for shots.h5, shots.png and wavefield.png (created if missing).",
)
@click.option(
    "--size",
    type=click.Choice(list(SIZES)),
    default="full",
    show_default=True,
    help="small: 101 x 201 grid, 1 shot, 0.6 s; full: 201 x 401 grid, 3 shots, 1.5 s.",
)
@click.pass_context
def demo(ctx: click.Context, output: Path, size: str) -> None:
    """Model surface shots over a layered model with a dipping interface, and image them.

    Writes OUTPUT/shots.h5 (model, time axis, wavelet, shot gathers), OUTPUT/shots.png
    (model and middle shot gather), OUTPUT/wavefield.png (three snapshots of that shot), and
    the reverse-time migration in a smoothed model: OUTPUT/image.h5 and OUTPUT/image.png.
    """
    quiet = ctx.obj["quiet"]
    start = time.perf_counter()
    out = _output_dir(output)
    survey = make_survey(size)
    log.info("demo %s: %r, dt = %.4g s, nt = %d", size, survey.model, survey.dt, survey.nt)
    shots, fields = run_shots(survey, progress=not quiet)
    middle = len(shots) // 2
    command = shlex.join([*ctx.command_path.split(), "--size", size, "-o", str(output)])
    files = [out / n for n in ("shots.h5", "shots.png", "wavefield.png", "image.h5", "image.png")]
    write_shots(files[0], survey, shots, command)
    plot_shots(files[1], survey, shots[middle], middle)
    plot_wavefield(files[2], survey, fields, snapshot_indices(survey.nt), middle)
    image = migrate(survey, shots, progress=not quiet)
    write_image(files[3], survey, image, command)
    plot_image(files[4], survey, image)
    if not quiet:
        nz, nx = survey.model.shape
        click.echo(f"wrote {', '.join(str(f) for f in files)}")
        click.echo(
            f"{len(shots)} shot(s) on a {nz} x {nx} grid, {len(survey.rec)} receivers, "
            f"nt = {survey.nt} samples at dt = {survey.dt * 1e3:.4g} ms "
            f"({survey.time[-1]:.2f} s)"
        )
        click.echo(f"wall time {time.perf_counter() - start:.1f} s")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help='Print {"results": [...]} as JSON.')
@click.option("--ndim", type=click.Choice(["2", "3"]), multiple=True, help="Dimensions to test.")
@click.option("--boundary", type=click.Choice(["cpml", "sponge"]), multiple=True)
@click.option("--free-surface", type=click.Choice(["on", "off"]), multiple=True)
@click.option("--interpolation", type=click.Choice(["linear", "sinc"]), multiple=True)
@click.option("--no-linearisation", is_flag=True, help="Skip the Born and Taylor slope tests.")
@click.pass_context
def check(ctx, as_json, ndim, boundary, free_surface, interpolation, no_linearisation):
    """Verify the backward pass on small float64 grids.

    Dot-product tests of forward/adjoint, born/gradient and initial pressure, the hand-written
    adjoints against the taped reverse pass, the Born consistency and Taylor tests. Without
    option filters a representative set of cases runs; any filter selects the full matrix of
    the chosen values (others: all). Exits with status 1 if any check fails.
    """
    from waveback.checks import option_matrix, run_checks

    cases = None
    if ndim or boundary or free_surface or interpolation:
        cases = option_matrix(
            tuple(int(d) for d in ndim) or (2, 3),
            boundary or ("cpml", "sponge"),
            tuple(f == "on" for f in free_surface) or (False, True),
            interpolation or ("linear", "sinc"),
        )
    quiet = ctx.obj["quiet"] or as_json
    results = run_checks(
        cases, not no_linearisation, None if quiet else lambda c: log.info("checking %s", c)
    )
    if as_json:
        click.echo(json.dumps({"results": results}, indent=1))
    else:
        width = max(len(r["name"]) for r in results)
        for r in results:
            verdict = "ok" if r["passed"] else "FAILED"
            click.echo(
                f"{r['name']:<{width}}  {r['error']:9.2e} <= {r['tolerance']:.0e}  {verdict}"
            )
        failed = sum(not r["passed"] for r in results)
        click.echo(f"{len(results) - failed} passed, {failed} failed")
    if any(not r["passed"] for r in results):
        ctx.exit(1)


def _output_dir(path: Path) -> Path:
    """Create the output directory, refusing a path that is an existing non-directory."""
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(
            f"output path {str(path)!r} exists and is not a directory; give a directory with -o"
        )
    path.mkdir(parents=True, exist_ok=True)
    return path


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the ``waveback`` group on ``argv`` (default sys.argv)."""
    cli.main(args=argv, prog_name="waveback")
