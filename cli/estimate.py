"""``waveback wavelet``: the source wavelet of a shot file's data, estimated in a model.

:func:`waveback.estimate_wavelet` (frequency-domain least squares against the modelled data
of a reference wavelet), written to an HDF5 file that ``--wavelet`` reads, and drawn beside
its amplitude spectrum.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

import waveback as wb
from waveback.data import files

from .options import model_option, output_option, overwrite_option
from .outputs import check_output, hold_lock
from .plots import plot_wavelet
from .recorded import command_line, load_model, parameters
from .wavelet import DATASET, load_wavelet

#: The root ``format`` attribute of a wavelet file.
FORMAT = "waveback-wavelet"


def write_wavelet(path: Path, wavelet: np.ndarray, dt: float, command="", parameters="") -> None:
    """Write ``wavelet`` ``(nt,)`` atomically to :data:`DATASET` of ``path``, with ``dt`` (s)."""
    with files.atomic_h5(path, FORMAT, command, parameters) as f:
        data = f.create_dataset(DATASET, data=np.asarray(wavelet, dtype=np.float64))
        data.attrs["dt"] = float(dt)
        data.attrs["units"] = "source amplitude, sample n at t = n dt"
        data.attrs["axes"] = "t"


@click.command()
@click.argument("shots", type=click.Path(path_type=Path))
@model_option("The model the data are explained in")
@output_option("The HDF5 file to write (WAVELET.h5), read back by --wavelet WAVELET.h5.")
@click.option(
    "--band-limit",
    type=click.FloatRange(min=0.0, min_open=True),
    help="Highest frequency (Hz) of the estimate [default: every frequency].",
)
@click.option(
    "--reference",
    help="Reference wavelet, whose band must cover the data's (as --wavelet) [default: a "
    "Ricker at twice the data's peak frequency].",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The figure of the wavelet and its spectrum [default: OUTPUT with .png].",
)
@overwrite_option()
@click.pass_context
def wavelet(ctx, shots, model_path, output, band_limit, reference, plot_path, overwrite):
    """Estimate the source wavelet of the shots of SHOTS (a shot file) in the model --model.

    Frequency-domain least squares (Pratt 1999): the wavelet shared by every source whose
    data in the model best fit the recorded data; the shot file's own wavelets, if any, are
    ignored. Writes it to OUTPUT (use it with --wavelet OUTPUT in image and invert) and draws
    it beside its amplitude spectrum.
    """
    check_output(output, overwrite)
    hold_lock(ctx, output)
    survey = files.read_survey(shots)
    gathers = [files.read_gather(shots, i) for i in range(len(survey.shots))]
    model = load_model(model_path, survey)
    ref = None if reference is None else load_wavelet(reference, survey.dt, survey.nt)
    w = wb.estimate_wavelet(
        model,
        survey.shots,
        gathers,
        survey.dt,
        survey.interpolation,
        band_limit=band_limit,
        reference=ref,
    )
    write_wavelet(output, w, survey.dt, command_line(ctx), parameters(ctx))
    figure = plot_path or output.with_suffix(".png")
    plot_wavelet(figure, w, survey.dt, f"wavelet of {shots.name}")
    if not ctx.obj["quiet"]:
        peak = np.fft.rfftfreq(w.size, survey.dt)[int(np.argmax(np.abs(np.fft.rfft(w))))]
        click.echo(
            f"wrote {output}: {w.size} samples at dt = {survey.dt:.6g} s, peak frequency "
            f"{peak:.4g} Hz, from {len(survey.shots)} shot(s); figure {figure}"
        )
