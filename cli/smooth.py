"""``waveback smooth``: a Gaussian-smoothed copy of a velocity model, as a model file.

The migration model of ``image`` and the starting model of ``invert``
(:func:`waveback.data.smoothing.smooth`), from a model file, a shot file's model or a ``.npy``
velocity on the grid of another file (``--like``).
"""

from __future__ import annotations

from pathlib import Path

import click

from waveback.data import files
from waveback.data.smoothing import smooth as smooth_model

from .options import output_option, overwrite_option
from .outputs import check_output, hold_lock
from .recorded import command_line, parameters
from .velocity import model_on_grid


def parse_lengths(text: str, option: str) -> list[float]:
    """Comma-separated lengths in metres (``100`` or ``100,50``), refused unless numbers."""
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(
            f"{option} {text}: give a length in metres or one per axis, z first, separated by "
            f"commas (e.g. {option} 100 or {option} 100,50)"
        ) from None


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(path_type=Path))
@output_option("The model file to write (MODEL.h5).")
@click.option(
    "--sigma",
    required=True,
    metavar="METRES[,...]",
    help="Standard deviation of the Gaussian in metres: one value, or one per axis z first "
    "(100,50: 100 m in depth, 50 m along x).",
)
@click.option(
    "--keep-above",
    type=float,
    metavar="DEPTH",
    help="Depth (m) above which the velocity is kept as it is (e.g. the water layer).",
)
@click.option(
    "--like",
    type=click.Path(path_type=Path),
    help="For a .npy MODEL: the model or shot file whose grid it is on.",
)
@overwrite_option()
@click.pass_context
def smooth(
    ctx: click.Context,
    model_path: Path,
    output: Path,
    sigma: str,
    keep_above: float | None,
    like: Path | None,
    overwrite: bool,
) -> None:
    """Smooth the velocity of MODEL by a Gaussian of --sigma metres into a model file.

    MODEL is a model file, a shot file (its model) or a .npy velocity (m/s) on the grid of
    the file given with --like. The edges keep their velocity (the model is extended by its
    edge values); --keep-above keeps the velocity above a depth unchanged. The output takes
    MODEL's grid and boundary settings; it is what `image --model` and `invert --model`
    take.
    """
    lengths = parse_lengths(sigma, "--sigma")
    check_output(output, overwrite)
    hold_lock(ctx, output)
    model = model_on_grid(model_path, like, str(model_path))
    smoothed = smooth_model(model, lengths, keep_above)
    files.write_model(output, smoothed, command=command_line(ctx), parameters=parameters(ctx))
    if not ctx.obj["quiet"]:
        vp = smoothed.vp
        click.echo(
            f"wrote {output}: {' x '.join(map(str, vp.shape))} model smoothed by sigma = "
            f"{sigma} m, {float(vp.min()):.6g} to {float(vp.max()):.6g} m/s"
        )
