"""``waveback convert``: SEG-Y <-> waveback HDF5, for shot gathers and velocity models."""

from __future__ import annotations

import json
from pathlib import Path

import click

from waveback.data import files, segy
from waveback.physics.model import Model

from .options import overwrite_option


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--model",
    "as_model",
    is_flag=True,
    help="SOURCE is a SEG-Y velocity model (one trace per column), not shot gathers.",
)
@click.option(
    "--spacing",
    type=float,
    multiple=True,
    help="Grid spacing (m) of a SEG-Y model that does not record it; once, or once per axis.",
)
@click.option(
    "--datum",
    type=float,
    default=segy.DATUM,
    show_default=True,
    help="Elevation (m) of z = 0 in SEG-Y shot gathers: z = datum - elevation (+ source depth).",
)
@overwrite_option("Replace TARGET if it exists.")
@click.pass_context
def convert(
    ctx, source: Path, target: Path, as_model: bool, spacing, datum: float, overwrite: bool
) -> None:
    """Convert SOURCE to TARGET, SEG-Y (.sgy, .segy) to HDF5 (.h5) or back.

    Shot gathers keep their data, time axis, source and receiver positions and field record
    numbers (see docs/format.md for the SEG-Y header fields used); SEG-Y carries no wavelet
    and no model. Files that SEG-Y cannot hold exactly, or that waveback cannot read
    faithfully (a recording delay, geographic coordinates), are refused; assumptions about
    unset header fields are printed as warnings with counts. A velocity model is one trace
    per grid column; waveback's own SEG-Y models record their grid, other tools' need
    --model and --spacing.
    """
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; choose another name or pass --overwrite")
    if segy.is_segy(source) == segy.is_segy(target):
        raise ValueError(
            "convert turns SEG-Y (.sgy, .segy) into HDF5 (.h5) or back: give one of each"
        )
    command = f"waveback convert {source} {target}"
    if segy.is_segy(source):
        if as_model or segy.is_segy_model(source):
            vp, h, origin = segy.read_segy_model(source, list(spacing) or None)
            files.write_model(target, Model(vp, h, origin), command=command)
        else:
            shots = segy.import_segy_shots(source, datum)
            parameters = json.dumps({"datum": datum, "field_records": shots.field_records})
            files.write_shots(
                target, shots.survey, shots.gathers, command=command, parameters=parameters
            )
    else:
        kind = files.file_format(source)
        if kind == files.MODEL:
            model = files.read_model(source)
            segy.write_segy_model(target, model.vp, model.spacing, model.origin)
        elif kind == files.SHOTS:
            survey = files.read_survey(source)
            gathers = (files.read_gather(source, i) for i in range(len(survey.shots)))
            records = _field_records(source, len(survey.shots))
            segy.write_segy_shots(target, survey, gathers, records, datum)
        else:
            raise ValueError(f"{source} is a {kind} file; convert handles shot and model files")
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {target}")


def _field_records(path: Path, nshots: int) -> list | None:
    """The SEG-Y field record numbers that ``convert`` stored in a shot file, if any."""
    try:
        parameters = json.loads(files.read_provenance(path).get("parameters") or "{}")
    except json.JSONDecodeError:
        return None
    records = parameters.get("field_records") if isinstance(parameters, dict) else None
    return records if isinstance(records, list) and len(records) == nshots else None
