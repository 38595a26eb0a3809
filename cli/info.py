"""``waveback info``: what a waveback HDF5 file or a SEG-Y file holds, in a few lines."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from waveback.data import files, segy
from waveback.physics.attenuation import ConstantQ, fit_sls


def describe(path: Path) -> list[str]:
    """Lines that summarise the file at ``path`` (waveback HDF5 or SEG-Y)."""
    if segy.is_segy(path):
        return _describe_segy(path)
    meta = files.read_provenance(path)
    lines = [
        f"{path}: {meta['format']}, format version {meta['format_version']}",
        f"written by waveback {meta.get('waveback_version', '?')} on {meta.get('created', '?')}",
    ]
    if meta.get("command"):
        lines.append(f"command: {meta['command']}")
    kind = meta["format"]
    if kind == files.IMAGE:
        image = files.read_image(path)
        lines.append(f"image: {_grid(image.data.shape, image.spacing, image.origin)}")
        lines.append(f"description: {image.description}")
        return lines
    if kind == files.MODEL:
        lines.extend(_model(files.read_model(path)))
        curve = files.read_misfit(path)
        if curve is not None:
            lines.append(_inversion(curve))
        return lines
    survey = files.read_survey(path)
    lines.extend(_model(survey.model) if survey.model is not None else ["model: none"])
    corrected = ", time dispersion corrected" if files.read_time_dispersion_correction(path) else ""
    lines.append(
        f"time: nt = {survey.nt} samples at dt = {survey.dt:.6g} s ({survey.time[-1]:.6g} s)"
        f"{corrected}"
    )
    nsrc = sorted({s.src.shape[0] for s in survey.shots})
    nrec = sorted({s.rec.shape[0] for s in survey.shots})
    wavelets = "stored" if all(s.wavelet is not None for s in survey.shots) else "none"
    lines.append(
        f"shots: {len(survey.shots)} ({_range(nsrc)} source(s) and {_range(nrec)} receivers "
        f"each, {survey.ndim}D positions, {survey.interpolation} interpolation); "
        f"wavelets: {wavelets}"
    )
    return lines


def _describe_segy(path: Path) -> list[str]:
    survey, gathers = segy.read_segy_shots(path)
    ntraces = sum(g.shape[1] for g in gathers)
    return [
        f"{path}: SEG-Y, {ntraces} traces of {survey.nt} samples at dt = {survey.dt:.6g} s",
        f"{len(survey.shots)} shot(s) by FieldRecord, {survey.ndim}D positions",
    ]


def _model(model) -> list[str]:
    vp = model.vp
    return [
        f"model: {_grid(model.shape, model.spacing, model.origin)}, vp {float(vp.min()):.6g} to "
        f"{float(vp.max()):.6g} m/s; {model.boundary} nbl {model.nbl}, "
        f"free surface {'on' if model.free_surface else 'off'}, order {model.space_order}, "
        f"{model.dtype.name}",
        "density: none (constant density)"
        if model.rho is None
        else f"density: {_values(model.rho)} kg/m³",
        *_attenuation(model),
    ]


def _attenuation(model) -> list[str]:
    """The attenuation's parameters, and the standard linear solid fitted to them."""
    att = model.attenuation
    if att is None:
        return ["attenuation: none (lossless)"]
    f_lo, f_hi = att.band
    if isinstance(att, ConstantQ):
        what = f"constant Q, q {_values(att.q)}"
    else:
        what = f"power law, alpha0 {_values(att.alpha0)} dB/(cm MHz^y), y {att.y:g}"
    sls = fit_sls(att, model.vp)
    chosen = "requested" if att.n_mechanisms is not None else "chosen"
    return [
        f"attenuation: {what}, band {f_lo:.6g} to {f_hi:.6g} Hz "
        f"(vp is the phase velocity at {att.reference_frequency:.6g} Hz)",
        f"fitted: {sls.n_mechanisms} relaxation mechanisms ({chosen}), largest Q error "
        f"{100 * sls.max_error:.3g} % over the band",
    ]


def _values(a) -> str:
    """A scalar, or an array's range."""
    lo, hi = float(np.min(a)), float(np.max(a))
    return f"{lo:.6g}" if lo == hi else f"{lo:.6g} to {hi:.6g}"


def _inversion(curve) -> str:
    final = curve.misfit[-1] if curve.misfit.size else curve.initial_misfit[-1]
    return (
        f"inversion: {curve.misfit.size} iterations in {curve.initial_misfit.size} of "
        f"{curve.bands.size} band(s); misfit of the last band {curve.initial_misfit[-1]:.4g} -> "
        f"{final:.4g}"
    )


def _grid(shape, spacing, origin) -> str:
    axes = "z, x" if len(shape) == 2 else "z, y, x"
    return (
        f"{' x '.join(map(str, shape))} ({axes}) at spacing "
        f"{' x '.join(f'{h:g}' for h in spacing)} m, origin {tuple(float(o) for o in origin)} m"
    )


def _range(values) -> str:
    return f"{values[0]}" if len(values) == 1 else f"{values[0]}-{values[-1]}"


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
def info(file: Path) -> None:
    """Summarise FILE: a waveback HDF5 file (shots, model, image) or a SEG-Y file."""
    for line in describe(file):
        click.echo(line)
