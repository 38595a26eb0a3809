"""``waveback plot``: a figure of a shot file (gather or snapshots), a model or an image.

A model written by ``waveback invert`` is drawn beside its misfit curve.
"""

from __future__ import annotations

from pathlib import Path

import click
from matplotlib.backend_bases import FigureCanvasBase

from waveback.data import files, segy

from .plots import (
    GATHER_PERCENTILE,
    MODEL_FIELDS,
    plot_gather,
    plot_image,
    plot_inversion,
    plot_model,
    plot_wavefield,
)


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The figure to write (PNG, PDF or SVG, by extension).",
)
@click.option("--shot", type=click.IntRange(min=0), help="Shot index (default: the middle one).")
@click.option("--wavefield", is_flag=True, help="Plot the shot's stored wavefield snapshots.")
@click.option("--model", "model_only", is_flag=True, help="Plot only the model of a shot file.")
@click.option(
    "--clip",
    type=click.FloatRange(0.0, 100.0, min_open=True),
    default=GATHER_PERCENTILE,
    show_default=True,
    help="Grey-scale limit of gathers and images: this percentile of the absolute values.",
)
@click.option(
    "--field",
    type=click.Choice(MODEL_FIELDS),
    default="vp",
    show_default=True,
    help="What a model is drawn as: velocity (m/s), density rho (kg/m³), or Q at the "
    "attenuation's reference frequency.",
)
@click.pass_context
def plot(
    ctx, file: Path, output: Path, shot, wavefield: bool, model_only: bool, clip, field: str
) -> None:
    """Draw FILE into a figure.

    A shot file (HDF5 or SEG-Y) gives the model with the acquisition beside one shot gather;
    --wavefield the shot's wavefield snapshots (simulate --snapshots K), --model the model
    alone. A model file gives the velocity (beside the misfit curve for the output of
    `waveback invert`), or with --field rho or q its density or quality factor; an image file
    the image. 3D arrays are shown by their middle y
    section. Gathers and images are clipped at the --clip percentile of their absolute
    values; lower it when a few strong samples wash the rest out.
    """
    check_format(output)
    draws_model = not segy.is_segy(file) and (model_only or files.file_format(file) == files.MODEL)
    if field != "vp" and not draws_model:
        raise ValueError(
            f"--field {field} draws a model: give a model file, or a shot file with --model"
        )
    if segy.is_segy(file):
        survey, gathers = segy.read_segy_shots(file)
        i = _shot(shot, len(survey.shots))
        plot_gather(output, survey, gathers[i], i, clip)
    else:
        kind = files.file_format(file)
        if kind == files.MODEL:
            curve = files.read_misfit(file)
            if curve is None or field != "vp":
                plot_model(output, files.read_model(file), field=field)
            else:
                plot_inversion(output, files.read_model(file), curve)
        elif kind == files.IMAGE:
            image = files.read_image(file)
            plot_image(output, image, image.description or "image", percentile=clip)
        else:
            survey = files.read_survey(file)
            i = _shot(shot, len(survey.shots))
            if model_only:
                if survey.model is None:
                    raise ValueError(f"{file} holds no velocity model")
                plot_model(output, survey.model, survey, field)
            elif wavefield:
                indices, fields = files.read_wavefield(file, i)
                plot_wavefield(output, survey, fields, indices, i)
            else:
                plot_gather(output, survey, files.read_gather(file, i), i, clip)
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {output}")


def check_format(output: Path) -> None:
    """Refuse a figure name whose extension names no format matplotlib writes."""
    formats = FigureCanvasBase.get_supported_filetypes()
    if output.suffix[1:].lower() not in formats:
        raise ValueError(
            f"-o {output}: give the figure's format by its extension, one of "
            f"{', '.join('.' + ext for ext in sorted(formats))} (e.g. {output.stem}.png)"
        )


def _shot(shot, count: int) -> int:
    if shot is None:
        return count // 2
    if shot >= count:
        raise ValueError(f"--shot {shot} is out of range: the file holds shots 0 to {count - 1}")
    return shot
