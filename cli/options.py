"""Click options that several commands share, declared once: the model and the output file.

Each command keeps its own help text, which says what the model or the file is *for* there.
"""

from __future__ import annotations

from pathlib import Path

import click

#: What a ``--model`` may be, the same for every command that reads recorded shots.
MODEL_KINDS = (
    "a model file, a shot file (its model), or a .npy velocity (m/s) on the shot file's grid"
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
