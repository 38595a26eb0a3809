"""Where the shots run: the ``--executor``, ``--workers`` and ``--scheduler`` options.

``simulate``, ``image`` and ``invert`` share these options (see :mod:`waveback.executors`):
``local`` (the default, a process pool sized to the cores), ``serial`` (one shot after the
other in this process, with time-step progress bars) or ``dask`` (a ``dask.distributed``
scheduler at ``--scheduler`` or ``WAVEBACK_SCHEDULER``, or a ``LocalCluster`` of
``--workers``). ``WAVEBACK_EXECUTOR`` changes the default kind. Results are bitwise the same
whichever runs them.
"""

from __future__ import annotations

import os

import click

import waveback as wb

#: Environment variable that sets the default executor kind.
EXECUTOR_ENV = "WAVEBACK_EXECUTOR"


def executor_options(command):
    """Add ``--executor``, ``--workers`` and ``--scheduler`` to a click command."""
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


def open_executor(kind, workers, scheduler):
    """The executor the options ask for (a context manager), ``$WAVEBACK_EXECUTOR`` by default."""
    return wb.make_executor(kind or os.environ.get(EXECUTOR_ENV) or None, workers, scheduler)
