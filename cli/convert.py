"""``waveback convert``: SEG-Y <-> waveback HDF5, for shot gathers and velocity models."""

from __future__ import annotations

import json
from pathlib import Path

import click

from waveback.data import files, segy, segymodel

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
@click.option(
    "--rho",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Density (kg/m³) SEG-Y file on the velocity's grid: read beside a SEG-Y model, or "
    "where a model's density is written (default TARGET_rho.segy).",
)
@click.option(
    "--q",
    "q_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Quality-factor SEG-Y file (constant Q over --band) on the velocity's grid: read, or "
    "where a constant-Q model's Q is written (default TARGET_q.segy).",
)
@click.option(
    "--alpha0",
    "alpha0_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Power-law absorption (dB/(cm MHz^y)) SEG-Y file: read (with --y, --band), or where a "
    "power-law model's alpha0 is written (default TARGET_alpha0.segy).",
)
@click.option("--y", type=float, help="Power of a foreign --alpha0 file's power law.")
@click.option(
    "--band",
    type=(float, float),
    default=None,
    metavar="F_LO F_HI",
    help="Attenuation band (Hz) of a foreign --q or --alpha0 file.",
)
@overwrite_option("Replace TARGET if it exists.")
@click.pass_context
def convert(
    ctx,
    source: Path,
    target: Path,
    as_model: bool,
    spacing,
    datum: float,
    rho,
    q_file,
    alpha0_file,
    y,
    band,
    overwrite: bool,
) -> None:
    """Convert SOURCE to TARGET, SEG-Y (.sgy, .segy) to HDF5 (.h5) or back.

    Shot gathers keep their data, time axis, source and receiver positions and field record
    numbers (see docs/format.md for the SEG-Y header fields used); SEG-Y carries no wavelet
    and no model. Files that SEG-Y cannot hold exactly, or that waveback cannot read
    faithfully (a recording delay, geographic coordinates), are refused; assumptions about
    unset header fields are printed as warnings with counts. A velocity model is one trace
    per grid column; waveback's own SEG-Y models record their grid, other tools' need
    --model and --spacing. A model's density and attenuation travel as SEG-Y files of their
    own beside the velocity (--rho, --q or --alpha0), on the velocity's grid.
    """
    medium = {"--rho": rho, "--q": q_file, "--alpha0": alpha0_file}
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; choose another name or pass --overwrite")
    if segy.is_segy(source) == segy.is_segy(target):
        raise ValueError(
            "convert turns SEG-Y (.sgy, .segy) into HDF5 (.h5) or back: give one of each"
        )
    command = f"waveback convert {source} {target}"
    given = [name for name, path in medium.items() if path is not None]
    if (y is not None or band is not None) and q_file is None and alpha0_file is None:
        raise ValueError("--y and --band describe a --q or --alpha0 file; give one")
    written = [target]
    if segy.is_segy(source):
        if given or as_model or segy.is_segy_model(source):
            for name in given:
                if not medium[name].exists():
                    raise FileNotFoundError(f"{name} {medium[name]}: no such file")
            model = segymodel.read_segy_medium(
                source, list(spacing) or None, rho, q_file, alpha0_file, y, band
            )
            files.write_model(target, model, command=command)
        else:
            shots = segy.import_segy_shots(source, datum)
            parameters = json.dumps({"datum": datum, "field_records": shots.field_records})
            files.write_shots(
                target, shots.survey, shots.gathers, command=command, parameters=parameters
            )
    else:
        kind = files.file_format(source)
        if given and kind != files.MODEL:
            raise ValueError(f"{given[0]} goes with a model file; {source} is a {kind} file")
        if kind == files.MODEL:
            model = files.read_model(source)
            written = _export_model(model, target, rho, q_file, alpha0_file, overwrite)
        elif kind == files.SHOTS:
            survey = files.read_survey(source)
            gathers = (files.read_gather(source, i) for i in range(len(survey.shots)))
            records = _field_records(source, len(survey.shots))
            segy.write_segy_shots(target, survey, gathers, records, datum)
        else:
            raise ValueError(f"{source} is a {kind} file; convert handles shot and model files")
    if not ctx.obj["quiet"]:
        for path in written:
            click.echo(f"wrote {path}")


def _export_model(model, target: Path, rho, q_file, alpha0_file, overwrite: bool) -> list:
    """Write a model's velocity, density and attenuation SEG-Y files; their paths."""
    kind = segymodel.attenuation_kind(model)
    wrong = {"q": alpha0_file, "alpha0": q_file}.get(kind)
    if wrong is not None:
        raise ValueError(
            f"the model's attenuation is {'a constant Q' if kind == 'q' else 'a power law'}: "
            f"give its file with --{kind}, not --{'alpha0' if kind == 'q' else 'q'}"
        )
    attenuation_file = q_file if q_file is not None else alpha0_file
    for path in segymodel.output_paths(model, target, rho, attenuation_file)[1:]:
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; choose another name or pass --overwrite")
    return segymodel.write_segy_medium(model, target, rho, attenuation_file)


def _field_records(path: Path, nshots: int) -> list | None:
    """The SEG-Y field record numbers that ``convert`` stored in a shot file, if any."""
    try:
        parameters = json.loads(files.read_provenance(path).get("parameters") or "{}")
    except json.JSONDecodeError:
        return None
    records = parameters.get("field_records") if isinstance(parameters, dict) else None
    return records if isinstance(records, list) and len(records) == nshots else None
