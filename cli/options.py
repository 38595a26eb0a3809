"""Click options that several commands share, declared once.

The model and the output file of every command that reads or writes one; ``--overwrite``;
``--tdc``; and, for the commands that run shots (``simulate``, ``image``, ``invert``), where
they run (``--executor``, ``--workers``, ``--scheduler``, see :mod:`waveback_cli.scaleout`),
the memory of each backward sweep (``--memory``) and the wavelet of data that carry none
(``--wavelet``). A command's help text says what the option is *for* there where that differs.
"""

from __future__ import annotations

from pathlib import Path

import click

from .wavelet import HELP as WAVELET_HELP

#: What a ``--model`` may be, the same for every command that reads recorded shots.
MODEL_KINDS = (
    "a model file, a shot file (its model), or a .npy velocity (m/s) on the shot file's grid"
)
#: ``--memory``: the budget of each shot's backward sweep (:func:`waveback.gradient_plan`).
MEMORY_HELP = (
    "Memory budget of each shot's backward sweep: auto (half the available memory), full "
    "(store every time step), or a size such as 700MiB, 2GB or a number of bytes; "
    "checkpointing is used when full storage does not fit. The result does not depend on it."
)


def model_option(role: str):
    """``--model PATH`` (required, into ``model_path``); ``role`` starts the help text."""
    return click.option(
        "--model",
        "model_path",
        required=True,
        type=click.Path(path_type=Path),
        help=f"{role}: {MODEL_KINDS}.",
    )


def output_option(help: str):
    """``-o/--output PATH`` (required, a file)."""
    return click.option(
        "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help=help
    )


def overwrite_option(help: str = "Replace OUTPUT if it exists."):
    """``--overwrite`` (a flag, default off)."""
    return click.option("--overwrite", is_flag=True, help=help)


def tdc_option(help: str):
    """``--tdc`` (a flag, default off): use the time-dispersion-corrected operators."""
    return click.option("--tdc", is_flag=True, help=help)


def memory_option():
    """``--memory BUDGET`` (default ``auto``), see :func:`waveback_cli.recorded.check_memory`."""
    return click.option("--memory", default="auto", show_default=True, help=MEMORY_HELP)


def wavelet_option():
    """``--wavelet SPEC`` (optional), read by :func:`waveback_cli.wavelet.load_wavelet`."""
    return click.option("--wavelet", help=WAVELET_HELP)


def executor_options(command):
    """Add ``--executor``, ``--workers`` and ``--scheduler`` to a click command.

    They go to :func:`waveback_cli.scaleout.open_executor`.
    """
    command = click.option(
        "--scheduler",
        help="dask scheduler address (tcp://host:8786); default $WAVEBACK_SCHEDULER.",
    )(command)
    command = click.option(
        "--workers",
        type=click.IntRange(min=1),
        help="Worker processes (local: default one per core; dask: a LocalCluster of N).",
    )(command)
    return click.option(
        "--executor",
        type=click.Choice(["local", "serial", "dask"]),
        help="Where the shots run: local process pool (default), serial in this process, or "
        "dask (with --scheduler/$WAVEBACK_SCHEDULER or --workers). Default kind: "
        "$WAVEBACK_EXECUTOR.",
    )(command)
