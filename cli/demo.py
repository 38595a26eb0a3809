"""``waveback demo``: simulate a bundled scene, image it, and write HDF5 files and figures.

The shots are simulated like ``waveback simulate`` does (same resumable shot file, with three
wavefield snapshots per shot); :func:`migrate` images them with :func:`waveback.rtm` in a
smoothed model, as ``waveback image`` does, and mutes the acquisition's near field.
"""

from __future__ import annotations

import logging
import shlex
import time
from pathlib import Path

import click
import numpy as np
from scipy.ndimage import gaussian_filter

import waveback as wb
from waveback.data import files
from waveback.workflows.imaging import depth_mute

from .options import overwrite_option
from .plots import plot_gather, plot_image, plot_wavefield
from .simulate import resolve_scene, run_scene

log = logging.getLogger("waveback_cli")

#: The bundled scene of each demo size.
SIZES = {"small": "demo_small", "full": "demo"}
SNAPSHOTS = 3  # wavefield snapshots per shot, at 1/4, 1/2 and 3/4 of the record
SMOOTHING_POINTS = 6.0  # Gaussian smoothing (grid points) of the migration velocity
MUTE_DEPTH = 60.0  # m, image mute below the acquisition (see migrate)
FILES = ("shots.h5", "shots.png", "wavefield.png", "image.h5", "image.png")


def migrate(survey, gathers, progress: bool = True) -> np.ndarray:
    """Reverse-time-migration image of a 2D surface survey in a smoothed model, model-shaped.

    The migration velocity is the true model smoothed by a Gaussian of
    :data:`SMOOTHING_POINTS` grid points. :func:`waveback.rtm` subtracts the data modelled in
    it (the direct wave), images every shot, divides the stack by the source illumination
    and applies the Laplacian filter against the low-wavenumber backscattering artefacts;
    the acquisition's near field, where the source's own artefacts dominate, is then muted
    (:func:`waveback.workflows.imaging.depth_mute`: zero down to :data:`MUTE_DEPTH` below the
    deepest source, tapered over the next :data:`MUTE_DEPTH`).
    """
    model = survey.model
    vp = gaussian_filter(model.vp.astype(np.float64), SMOOTHING_POINTS, mode="nearest")
    image = wb.rtm(
        model.with_vp(vp),
        survey.shots,
        gathers,
        survey.dt,
        survey.interpolation,
        direct="subtract",
        illumination=True,
        laplacian=True,
        progress=progress,
    )
    source_depth = max(float(shot.src[:, 0].max()) for shot in survey.shots)
    return depth_mute(image, model.spacing, model.origin, source_depth + MUTE_DEPTH, MUTE_DEPTH)


@click.command()
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory for shots.h5, shots.png, wavefield.png, image.h5, image.png (created).",
)
@click.option(
    "--size",
    type=click.Choice(list(SIZES)),
    default="full",
    show_default=True,
    help="small: 101 x 201 grid, 1 shot, 0.6 s; full: 201 x 401 grid, 3 shots, 1.5 s.",
)
@overwrite_option("Replace a shots.h5 of another simulation.")
@click.pass_context
def demo(ctx: click.Context, output: Path, size: str, overwrite: bool) -> None:
    """Simulate surface shots over a layered model with a dipping interface, and image them.

    Runs the bundled scene demo (or demo_small with --size small), like `waveback simulate`,
    and writes OUTPUT/shots.h5 (model, acquisition, time axis, shot gathers, snapshots),
    OUTPUT/shots.png (model and middle shot gather), OUTPUT/wavefield.png (three snapshots of
    that shot), and the reverse-time migration in a smoothed model: OUTPUT/image.h5 and
    OUTPUT/image.png. Rerunning into the same directory reuses finished shots.
    """
    quiet = ctx.obj["quiet"]
    start = time.perf_counter()
    out = _output_dir(output)
    scene = resolve_scene(SIZES[size])
    survey = scene.survey
    log.info("demo %s: %r, dt = %.4g s, nt = %d", size, survey.model, survey.dt, survey.nt)
    paths = [out / name for name in FILES]
    command = shlex.join(["waveback", "demo", "--size", size, "-o", str(output)])
    run_scene(
        scene,
        paths[0],
        command=command,
        snapshots=SNAPSHOTS,
        overwrite=overwrite,
        progress=not quiet,
    )
    middle = len(survey.shots) // 2
    gathers = [files.read_gather(paths[0], i) for i in range(len(survey.shots))]
    plot_gather(paths[1], survey, gathers[middle], middle)
    indices, fields = files.read_wavefield(paths[0], middle)
    plot_wavefield(paths[2], survey, fields, indices, middle)
    image = migrate(survey, gathers, progress=not quiet)
    model = survey.model
    files.write_image(
        paths[3],
        image.astype(np.float32),
        model.spacing,
        model.origin,
        description="reverse-time migration in a smoothed model: direct wave subtracted, "
        "illumination-compensated, Laplacian-filtered, near field muted",
        command=command,
        parameters=scene.text,
    )
    plot_image(
        paths[4],
        files.read_image(paths[3]),
        "reverse-time migration (smoothed velocity)",
        survey,
    )
    if not quiet:
        shape = " x ".join(map(str, model.shape))
        click.echo(f"wrote {', '.join(str(f) for f in paths)}")
        click.echo(
            f"{len(survey.shots)} shot(s) on a {shape} grid, {len(survey.shots[0].rec)} "
            f"receivers, nt = {survey.nt} samples at dt = {survey.dt * 1e3:.4g} ms "
            f"({survey.time[-1]:.2f} s)"
        )
        click.echo(f"wall time {time.perf_counter() - start:.1f} s")


def _output_dir(path: Path) -> Path:
    """Create the output directory, refusing a path that is an existing non-directory."""
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(
            f"output path {str(path)!r} exists and is not a directory; give a directory with -o"
        )
    path.mkdir(parents=True, exist_ok=True)
    return path
