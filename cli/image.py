"""``waveback image``: reverse-time migration of a shot file into an HDF5 image file.

The image is :func:`waveback.rtm` of every shot, stacked: the exact adjoint of the Born
operator applied to the data after the direct wave is removed, divided by the source
illumination, Laplacian-filtered (each step optional) and, if asked, muted above a depth
(:func:`waveback.workflows.imaging.depth_mute`). It is written atomically with its provenance.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import click

import waveback as wb
from waveback.data import files
from waveback.workflows.imaging import depth_mute

from .options import (
    executor_options,
    memory_option,
    model_option,
    output_option,
    overwrite_option,
    tdc_option,
    wavelet_option,
)
from .outputs import check_output, hold_lock
from .recorded import (
    check_fits,
    check_memory,
    command_line,
    first_shot_plan,
    load_model,
    load_recorded,
    parameters,
)
from .scaleout import open_executor

log = logging.getLogger("waveback_cli")

#: ``--direct`` choices and what they do, in the image's description.
DIRECT = {
    "none": "direct wave kept",
    "subtract": "direct wave subtracted",
    "mute": "direct wave muted",
}


def describe(
    model_path: Path,
    direct: str,
    illumination: bool,
    laplacian: bool,
    tdc: bool,
    mute: tuple[float, float] | None = None,
):
    """The image's one-line description: method, migration model and processing.

    ``mute`` is the ``(depth, taper)`` of the top mute in metres, None for none.
    """
    steps = [DIRECT[direct]]
    steps += ["illumination-compensated"] if illumination else []
    steps += ["Laplacian-filtered"] if laplacian else []
    steps += ["time-dispersion corrected"] if tdc else []
    if mute is not None:
        depth, taper = mute
        steps += [f"muted above {depth:g} m" + (f" (tapered over {taper:g} m)" if taper else "")]
    return f"reverse-time migration in {model_path.name}: {', '.join(steps)}"


@click.command()
@click.argument("shots", type=click.Path(path_type=Path))
@model_option("Migration model")
@output_option("The HDF5 image file to write (IMAGE.h5).")
@wavelet_option()
@click.option(
    "--direct",
    type=click.Choice(list(DIRECT)),
    default="subtract",
    show_default=True,
    help="Direct arrival: subtract the data modelled in the migration model, mute each trace "
    "until it has passed, or keep it.",
)
@click.option(
    "--illumination/--no-illumination",
    default=True,
    show_default=True,
    help="Divide by the source illumination (sum over shots and time of the squared source "
    "wavefield), balancing shallow and deep.",
)
@click.option(
    "--laplacian/--no-laplacian",
    default=True,
    show_default=True,
    help="Apply -Laplacian to the image against low-wavenumber backscattering artefacts.",
)
@memory_option()
@tdc_option("Image with the time-dispersion-corrected operators.")
@click.option(
    "--mute-depth",
    type=float,
    metavar="METRES",
    help="Zero the image above this depth (m): the near field of a surface acquisition, "
    "where the source and receiver wavefields swamp the reflectors (e.g. 60 for sources and "
    "receivers 20 m deep). Default: no mute.",
)
@click.option(
    "--mute-taper",
    type=click.FloatRange(min=0.0),
    metavar="METRES",
    default=0.0,
    show_default=True,
    help="With --mute-depth: ramp the image up (sin^2) over this many metres below it.",
)
@overwrite_option()
@executor_options
@click.pass_context
def image(
    ctx: click.Context,
    shots: Path,
    model_path: Path,
    output: Path,
    wavelet: str | None,
    direct: str,
    illumination: bool,
    laplacian: bool,
    memory: str,
    tdc: bool,
    mute_depth: float | None,
    mute_taper: float,
    overwrite: bool,
    executor: str | None,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Image the shots of SHOTS (a shot file) by reverse-time migration in --model.

    The migration model should be smooth (reflections come from the data, not from it); its
    grid may differ from the survey's, as long as every source and receiver lies inside it.
    Writes the model-shaped image, stacked over shots, with its grid to OUTPUT (checked
    writable and locked before the work, which is refused when it does not fit in memory).
    --mute-depth zeroes the image above a depth: in a surface survey the rows at and above
    the sources and receivers hold their near field, far stronger than any reflector.
    With -v the storage plan of every shot's backward sweep is logged.
    """
    quiet = ctx.obj["quiet"]
    start = time.perf_counter()
    mute = None if mute_depth is None else (mute_depth, mute_taper)
    if mute is None and mute_taper:
        raise ValueError("--mute-taper goes with --mute-depth: give the depth of the mute")
    check_output(output, overwrite)
    hold_lock(ctx, output)
    check_memory(memory)
    survey, gathers = load_recorded(shots, wavelet)
    model = load_model(model_path, survey)
    log.info("migration model %s: %r", model_path, model)
    plan = first_shot_plan(model, survey, memory, tdc, illumination)
    with open_executor(executor, workers, scheduler) as ex:
        check_fits(model, survey, memory, tdc, illumination, ex)
        result = wb.rtm(
            model,
            survey.shots,
            gathers,
            survey.dt,
            survey.interpolation,
            direct=None if direct == "none" else direct,
            illumination=illumination,
            laplacian=laplacian,
            memory=memory,
            progress=not quiet,
            time_dispersion_correction=tdc,
            executor=ex,
        )
    if mute is not None:
        result = depth_mute(result, model.spacing, model.origin, *mute)
    description = describe(model_path, direct, illumination, laplacian, tdc, mute)
    files.write_image(
        output,
        result.astype(model.dtype),
        model.spacing,
        model.origin,
        description=description,
        command=command_line(ctx),
        parameters=parameters(ctx),
    )
    if quiet:
        return
    shape = " x ".join(map(str, model.shape))
    click.echo(f"wrote {output}: {len(survey.shots)} shot(s) imaged on a {shape} grid")
    click.echo(description)
    click.echo(f"backward sweep of the first shot: {plan}")
    click.echo(f"wall time {time.perf_counter() - start:.1f} s")
