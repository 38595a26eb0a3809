"""What the commands that process recorded data (``image``, ``invert``) share.

Reading the shot file with a wavelet for data that carry none, the model to work in (a model
file, a shot file's model, or a ``.npy`` velocity on the shot file's grid), the ``--memory``
option and the memory check before the work, and the provenance (command line and
parameters) written into the output.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import click
import numpy as np

import waveback as wb
from waveback.data import files
from waveback.data.acquisition import Survey, with_wavelet
from waveback.physics import dispersion, footprint
from waveback.physics.checkpointing import DEFAULT_FRACTION, available_memory, parse_memory
from waveback.physics.model import Model

from .velocity import read_velocity
from .wavelet import load_wavelet


def load_recorded(path: Path, wavelet: str | None) -> tuple[Survey, list[np.ndarray]]:
    """The survey of the shot file at ``path`` and its gathers ``(nt, nrec)``, one per shot.

    ``wavelet`` (a ``--wavelet`` spec, see :func:`waveback_cli.wavelet.load_wavelet`) is
    fired by every source of data that carry no wavelet; it is refused for data that do.
    """
    survey = files.read_survey(path)
    stored = all(shot.wavelet is not None for shot in survey.shots)
    if wavelet is not None:
        if stored:
            raise ValueError(
                f"{path} stores the source wavelets of its shots; --wavelet is for data that "
                f"carry none (e.g. imported from SEG-Y): drop it"
            )
        survey = with_wavelet(survey, load_wavelet(wavelet, survey.dt, survey.nt))
    elif not stored:
        raise ValueError(
            f"{path} holds no source wavelet (data imported from SEG-Y): give one with "
            f"--wavelet, e.g. --wavelet ricker:15 for a 15 Hz Ricker"
        )
    return survey, [files.read_gather(path, i) for i in range(len(survey.shots))]


def load_model(path: Path, survey: Survey) -> Model:
    """The model of ``--model PATH``: a model file, a shot file's model, or a ``.npy`` velocity.

    A ``.npy`` file holds a velocity (m/s) on the grid of ``survey``'s model, whose spacing,
    origin and boundary settings it takes (:func:`waveback_cli.velocity.read_velocity`).
    """
    if path.suffix.lower() != ".npy":
        return files.read_model(path)
    if survey.model is None:
        raise ValueError(
            f"--model {path}: a .npy velocity takes the grid of the shot file's model, and this "
            f"shot file has none; give a model file (waveback model VP.npy --spacing H makes "
            f"one, waveback convert --model one from a SEG-Y velocity)"
        )
    return read_velocity(path, survey.model, f"--model {path}")


def check_memory(memory: str) -> str:
    """``memory`` unchanged once it parses (:func:`waveback.physics.checkpointing.parse_memory`)."""
    try:
        parse_memory(memory)
    except ValueError:
        raise ValueError(
            f"--memory {memory}: give auto, full, a number of bytes or a size such as 700MiB"
        ) from None
    return memory


def check_fits(model: Model, survey: Survey, memory: str, tdc: bool, illumination, executor):
    """Refuse, before any shot, a backward sweep per worker that does not fit in memory.

    Each worker of a local pool holds the model and one shot's sweep (with ``--memory auto``
    its share of half the available memory, as
    :func:`waveback.workflows.executors.shot_memory` gives it); the estimate is that times the
    workers (:mod:`waveback.physics.footprint`).
    """
    workers = 1 if executor.in_process else getattr(executor, "workers", 1)
    budget = memory
    if memory.strip().lower() == "auto":
        budget = max(1, int(DEFAULT_FRACTION * available_memory() / workers))
    nt = dispersion.simulated_steps(survey.nt) if tdc else survey.nt
    nrec = max(shot.rec.shape[0] for shot in survey.shots)
    plan = wb.gradient_plan(model, nt, survey.dt, budget, nrec, illumination)
    footprint.require(
        footprint.on_workers(
            footprint.gradient(plan),
            model,
            executor,
            f"the backward sweep of each of {len(survey.shots)} shots",
        ),
        "lower --memory (or use auto) so that checkpointing keeps each sweep within it, use "
        "fewer --workers, or a coarser model",
    )


def first_shot_plan(
    model: Model, survey: Survey, memory: str, tdc: bool, illumination: bool = False
):
    """The storage plan of the first shot's backward sweep (:func:`waveback.gradient_plan`)."""
    nt = dispersion.simulated_steps(survey.nt) if tdc else survey.nt
    nrec = survey.shots[0].rec.shape[0]
    return wb.gradient_plan(model, nt, survey.dt, memory, nrec, illumination)


def command_line(ctx: click.Context) -> str:
    """The command being run as one shell line, every option spelled out (defaults included)."""
    words = ["waveback", ctx.info_name]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if isinstance(param, click.Argument):
            words.append(str(value))
        elif getattr(param, "is_flag", False):
            names = param.opts if value else param.secondary_opts
            words.extend(names[:1])
        elif value is not None:
            words.extend([max(param.opts, key=len), str(value)])
    return shlex.join(words)


def parameters(ctx: click.Context, **resolved) -> str:
    """The command's parameters as JSON, with the values it derived from them (``resolved``)."""
    values = {**ctx.params, **resolved}
    return json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in values.items()})
