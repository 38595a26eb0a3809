"""``waveback invert``: full-waveform inversion of a shot file into a velocity model file.

:func:`waveback.fwi` (L-BFGS-B under velocity bounds, band by band from low to high
frequencies) from a starting model. Every misfit evaluation is saved to a history
file beside the output, so a rerun of the same command after an interruption resumes where
it stopped, with the result of a run never interrupted (bit for bit), and a rerun with a larger
``--iterations`` continues it. The inverted model is written with its misfit curve
(``/inversion``). ``--misfit``, ``--estimate-wavelet``, ``--precondition`` and
``--regularisation`` choose the objective and its conditioning (see :func:`waveback.fwi`).
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import click
import numpy as np

import waveback as wb
from waveback.data import files
from waveback.physics.stencils import critical_dt
from waveback.workflows.misfits import MISFITS
from waveback.workflows.preconditioning import PRECONDITIONERS
from waveback.workflows.regularisation import KINDS, Regularisation

from .options import (
    executor_options,
    memory_option,
    model_option,
    output_option,
    overwrite_option,
    tdc_option,
    wavelet_option,
)
from .outputs import check_output, check_writable, hold_lock
from .plots import band_label
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

#: Default bounds: these fractions of the starting model's smallest and largest velocity.
VMIN_FRACTION, VMAX_FRACTION = 0.8, 1.25
FULL_BAND = ("none", "full")


def parse_bands(text: str, dt: float) -> tuple:
    """``--bands`` as low-pass limits (Hz), low to high; ``none`` (the full band) as None.

    Every limit must lie between 0 and the Nyquist frequency ``0.5 / dt``; the full band can
    only come last.
    """
    bands = []
    for word in (w.strip() for w in text.split(",")):
        if word.lower() in FULL_BAND:
            bands.append(None)
            continue
        try:
            f = float(word)
        except ValueError:
            raise ValueError(
                f"--bands {text}: {word!r} is neither a frequency in Hz nor none (full band)"
            ) from None
        if not 0 < f < 0.5 / dt:
            raise ValueError(
                f"--bands {text}: {word} Hz must lie between 0 and the data's Nyquist frequency "
                f"{0.5 / dt:.6g} Hz"
            )
        bands.append(f)
    limits = [math.inf if f is None else f for f in bands]
    if any(b <= a for a, b in zip(limits, limits[1:], strict=False)):
        raise ValueError(
            f"--bands {text}: give increasing limits, low to high, with none (full band) last"
        )
    return tuple(bands)


def parse_regularisation(text: str | None):
    """``--regularisation KIND:WEIGHT`` as a
    :class:`~waveback.workflows.regularisation.Regularisation`."""
    if text is None:
        return None
    kind, _, weight = text.partition(":")
    try:
        value = float(weight)
    except ValueError:
        raise ValueError(
            f"--regularisation {text}: give KIND:WEIGHT with KIND one of {', '.join(KINDS)} and "
            f"a positive WEIGHT, e.g. tv:0.01"
        ) from None
    try:
        return Regularisation(kind.strip().lower(), value)
    except ValueError as exc:
        raise ValueError(f"--regularisation {text}: {exc}") from None


def velocity_bounds(model, dt: float, vmin, vmax) -> tuple[float, float, bool]:
    """``(vmin, vmax, limited)``: the bounds (m/s) of the inversion, checked.

    Defaults: :data:`VMIN_FRACTION` of the starting model's smallest velocity and
    :data:`VMAX_FRACTION` of its largest, the latter lowered to the largest velocity that
    ``dt`` keeps stable (``limited`` is then True). A given ``vmax`` above that limit, or
    bounds that do not contain the starting model, are refused, and so is a ``vmin`` that is not
    positive.
    """
    low, high = float(model.vp.min()), float(model.vp.max())
    if vmin is not None and not vmin > 0:
        raise ValueError(
            f"--vmin {vmin:g} m/s: the lower velocity bound must be positive, and at most the "
            f"starting model's smallest velocity, {low:g} m/s"
        )
    stable = critical_dt(1.0, model.spacing, model.space_order) / dt
    if high > stable:
        raise ValueError(
            f"the data's time step dt = {dt:.6g} s is unstable for the starting model (up to "
            f"{high:g} m/s; this grid is stable up to {stable:.6g} m/s at that dt)"
        )
    limited = False
    if vmax is None:
        vmax = VMAX_FRACTION * high
        if vmax > stable:
            vmax, limited = max(math.floor(stable), high), True
    elif vmax > stable:
        raise ValueError(
            f"--vmax {vmax:g} m/s is unstable at the data's time step dt = {dt:.6g} s: the "
            f"largest stable velocity on this grid is {stable:.6g} m/s"
        )
    vmin = VMIN_FRACTION * low if vmin is None else vmin
    if not 0 < vmin <= low or not high <= vmax:
        raise ValueError(
            f"the bounds --vmin {vmin:g} and --vmax {vmax:g} m/s must contain the starting "
            f"model's velocities, {low:g} to {high:g} m/s"
        )
    return float(vmin), float(vmax), limited


def misfit_curve(result, bands) -> files.MisfitCurve:
    """The :class:`~waveback.data.files.MisfitCurve` of a
    :class:`~waveback.workflows.inversion.FWIResult`."""
    return files.MisfitCurve(
        np.asarray(result.misfit, dtype=np.float64),
        np.asarray(result.band, dtype=np.int64),
        np.asarray(result.initial_misfit, dtype=np.float64),
        np.array([np.nan if f is None else f for f in bands], dtype=np.float64),
    )


def band_summaries(curve: files.MisfitCurve) -> list[str]:
    """One line per band: its misfit at the start and after its last iteration."""
    lines = []
    for b, initial in enumerate(curve.initial_misfit):
        values = curve.misfit[curve.band == b]
        final = values[-1] if values.size else initial
        ratio = f" ({100 * final / initial:.3g} % of its start)" if initial > 0 else ""
        lines.append(
            f"band {b + 1} ({band_label(curve.bands[b])}): misfit {initial:.4g} -> "
            f"{final:.4g}{ratio} in {values.size} iterations"
        )
    return lines


@click.command()
@click.argument("shots", type=click.Path(path_type=Path))
@model_option("Starting model (its grid, boundary and precision are kept)")
@output_option("The HDF5 model file to write (MODEL.h5), with the misfit curve.")
@click.option(
    "--iterations",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="L-BFGS-B iterations per band; raise it on a rerun to continue an inversion.",
)
@click.option(
    "--bands",
    default="none",
    show_default=True,
    help="Frequency continuation: low-pass limits in Hz, low to high, comma-separated; none "
    "is the full band (e.g. 4,8,none).",
)
@click.option("--vmin", type=float, help="Lower velocity bound (m/s) [default: 0.8 x min].")
@click.option(
    "--vmax",
    type=float,
    help="Upper velocity bound (m/s) [default: 1.25 x max, at most the stability limit of dt].",
)
@click.option(
    "--source-radius",
    type=click.FloatRange(min=0.0),
    default=0.0,
    show_default=True,
    help="Keep the starting velocity within this distance (m) of every source.",
)
@click.option(
    "--depth-scaling",
    type=click.FloatRange(min=0.0),
    default=0.0,
    show_default=True,
    help="Exponent p: scale updates by (z / zmax)^p, countering the gradient's decay with depth.",
)
@click.option(
    "--misfit",
    type=click.Choice(MISFITS),
    default="l2",
    show_default=True,
    help="Data misfit: least squares, trace-normalised cross-correlation (blind to each "
    "trace's amplitude), or squared-envelope difference (resists cycle skipping).",
)
@click.option(
    "--estimate-wavelet",
    is_flag=True,
    help="Re-estimate the source wavelet (one for all shots) at every misfit evaluation; the "
    "shot file's wavelet or --wavelet is the reference, whose band must cover the data's.",
)
@click.option(
    "--precondition",
    type=click.Choice(["none", *PRECONDITIONERS]),
    default="none",
    show_default=True,
    help="Divide the gradient by the source illumination of each band's starting model.",
)
@click.option(
    "--regularisation",
    help="Model penalty KIND:WEIGHT, KIND tikhonov (smooth) or tv (blocky), WEIGHT relative to "
    "each band's starting misfit, e.g. tv:0.01 [default: none].",
)
@memory_option()
@tdc_option("Invert with the time-dispersion-corrected operators.")
@wavelet_option()
@click.option(
    "--history",
    type=click.Path(dir_okay=False, path_type=Path),
    help="History file saved after every misfit evaluation, from which a rerun resumes "
    "[default: OUTPUT.history.h5, removed once OUTPUT is written].",
)
@overwrite_option()
@executor_options
@click.pass_context
def invert(
    ctx: click.Context,
    shots: Path,
    model_path: Path,
    output: Path,
    iterations: int,
    bands: str,
    vmin,
    vmax,
    source_radius: float,
    depth_scaling: float,
    misfit: str,
    estimate_wavelet: bool,
    precondition: str,
    regularisation: str | None,
    memory: str,
    tdc: bool,
    wavelet: str | None,
    history: Path | None,
    overwrite: bool,
    executor: str | None,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Invert the shots of SHOTS (a shot file) for velocity, from the model --model.

    Full-waveform inversion: L-BFGS-B on the data misfit (least squares by default), with
    its exact gradient, under velocity bounds, band by band (data and wavelets low-passed
    together), optionally re-estimating the wavelet, preconditioned and regularised.
    Each iteration's misfit is printed. Every misfit evaluation is saved to the history
    file; if the run is interrupted, run the same command again and it resumes where it
    stopped, with bit for bit the result of an uninterrupted run (a history of different
    data or settings is refused). Run it again with a larger --iterations to continue an
    interrupted inversion, or a finished one whose --history was kept (with --overwrite).
    Writes the inverted model and its misfit curve to OUTPUT (`waveback plot` draws both).
    """
    quiet = ctx.obj["quiet"]
    start = time.perf_counter()
    check_output(output, overwrite)
    if history is not None:
        check_writable(history)
    hold_lock(ctx, output)
    check_memory(memory)
    survey, gathers = load_recorded(shots, wavelet)
    model = load_model(model_path, survey)
    band_limits = parse_bands(bands, survey.dt)
    penalty = parse_regularisation(regularisation)
    low, high, limited = velocity_bounds(model, survey.dt, vmin, vmax)
    saved = history or output.with_name(output.name + ".history.h5")
    plan = first_shot_plan(model, survey, memory, tdc)
    if not quiet:
        note = " (upper bound: the stability limit of dt)" if limited else ""
        click.echo(
            f"inverting {len(survey.shots)} shot(s) from {model_path}: {len(band_limits)} "
            f"band(s) x {iterations} iterations, velocity {low:g} to {high:g} m/s{note}"
        )
        if saved.exists():
            click.echo(f"resuming from {saved}")
    output.parent.mkdir(parents=True, exist_ok=True)
    saved.parent.mkdir(parents=True, exist_ok=True)
    last, reported = time.perf_counter(), 0

    def report(band, iteration, misfit, vp):
        nonlocal last, reported
        now, reported = time.perf_counter(), reported + 1
        if not quiet:
            click.echo(
                f"band {band + 1}/{len(band_limits)} ({band_label(band_limits[band])}) "
                f"iteration {iteration}/{iterations}: misfit {misfit:.6g} ({now - last:.1f} s)"
            )
        last = now

    try:
        with open_executor(executor, workers, scheduler) as ex:
            check_fits(model, survey, memory, tdc, False, ex)
            result = wb.fwi(
                model,
                survey.shots,
                gathers,
                survey.dt,
                survey.interpolation,
                bounds=(low, high),
                bands=band_limits,
                iterations=iterations,
                source_radius=source_radius,
                depth_scaling=depth_scaling,
                misfit=misfit,
                source_estimation=estimate_wavelet,
                precondition=None if precondition == "none" else precondition,
                regularisation=penalty,
                memory=memory,
                history=saved,
                callback=report,
                progress=not quiet,
                time_dispersion_correction=tdc,
                executor=ex,
            )
    except KeyboardInterrupt:
        raise KeyboardInterrupt(f"run the same command again to resume from {saved}") from None
    curve = misfit_curve(result, band_limits)
    files.write_model(
        output,
        model.with_vp(result.vp),
        command=command_line(ctx),
        parameters=parameters(ctx, vmin=low, vmax=high, history=str(saved)),
        misfit=curve,
    )
    if history is None:
        saved.unlink(missing_ok=True)
    if quiet:
        return
    resumed = len(result.misfit) - reported
    extra = f" ({resumed} resumed from {saved})" if resumed else ""
    click.echo(f"wrote {output}: {len(result.misfit)} iterations{extra}")
    for line in band_summaries(curve):
        click.echo(line)
    click.echo(f"backward sweep of the first shot: {plan}")
    click.echo(f"wall time {time.perf_counter() - start:.1f} s")
