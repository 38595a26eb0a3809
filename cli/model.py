"""``waveback model``: a model file from a velocity array and a grid.

The grid is that of a model or shot file (``--like``), whose spacing, origin and boundary
settings the model takes (and its density and attenuation, if it has them), or given by
``--spacing`` (and ``--origin``) with the default settings of :class:`waveback.Model`: shot
files imported from SEG-Y carry no model, and ``image`` and ``invert`` then need a model file.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from waveback.data import files
from waveback.physics.model import Model

from .options import output_option, overwrite_option
from .outputs import check_output, hold_lock
from .recorded import command_line, parameters
from .smooth import parse_lengths
from .velocity import read_velocity


def grid_model(path: Path, spacing: str, origin: str | None) -> Model:
    """A model of the shape of the ``.npy`` array at ``path``, on ``--spacing``/``--origin``.

    Its velocity is a placeholder (1 m/s) that :func:`waveback_cli.velocity.read_velocity`
    replaces after checking the array.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
    if len(shape) not in (2, 3):
        raise ValueError(f"{path}: a velocity model is 2D or 3D (z first), got shape {shape}")
    lengths = parse_lengths(spacing, "--spacing")
    start = parse_lengths(origin, "--origin") if origin is not None else None
    return Model(np.ones(shape), lengths if len(lengths) > 1 else lengths[0], start)


@click.command("model")
@click.argument("vp_path", metavar="VP", type=click.Path(path_type=Path))
@output_option("The model file to write (MODEL.h5).")
@click.option(
    "--like",
    type=click.Path(path_type=Path),
    help="A model or shot file whose grid, boundary settings, density and attenuation the "
    "model takes.",
)
@click.option(
    "--spacing",
    metavar="METRES[,...]",
    help="Instead of --like: the grid spacing in metres, one value or one per axis z first.",
)
@click.option(
    "--origin",
    metavar="METRES,...",
    help="With --spacing: the position of VP[0, 0] in metres, z first (default zeros).",
)
@overwrite_option()
@click.pass_context
def model(
    ctx: click.Context,
    vp_path: Path,
    output: Path,
    like: Path | None,
    spacing: str | None,
    origin: str | None,
    overwrite: bool,
) -> None:
    """Write the velocity VP (a .npy array in m/s, z first) on a grid as a model file.

    The grid is that of --like (a model file, or a shot file with a model), whose density
    and attenuation the model keeps, or --spacing (with --origin, default 0) and the default
    boundary settings. VP must have the grid's
    shape and hold positive, finite, real velocities.
    """
    if (like is None) == (spacing is None):
        raise ValueError("give the grid with exactly one of --like FILE and --spacing METRES")
    if origin is not None and spacing is None:
        raise ValueError("--origin goes with --spacing; --like takes the origin of its file")
    check_output(output, overwrite)
    hold_lock(ctx, output)
    grid = files.read_model(like) if like is not None else grid_model(vp_path, spacing, origin)
    result = read_velocity(vp_path, grid, str(vp_path))
    files.write_model(output, result, command=command_line(ctx), parameters=parameters(ctx))
    if not ctx.obj["quiet"]:
        spacing_text = " x ".join(f"{h:g}" for h in result.spacing)
        click.echo(
            f"wrote {output}: {' x '.join(map(str, result.shape))} model at spacing "
            f"{spacing_text} m, {float(result.vp.min()):.6g} to {float(result.vp.max()):.6g} m/s"
        )
        media = {"density": result.rho, "attenuation": result.attenuation}
        kept = [name for name, value in media.items() if value is not None]
        if kept:
            click.echo(f"kept the {' and the '.join(kept)} of {like}")
