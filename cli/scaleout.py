"""Where the shots run: the executor that ``--executor``, ``--workers`` and ``--scheduler`` ask for.

``simulate``, ``image`` and ``invert`` share these options (declared in
:mod:`waveback_cli.options`; see :mod:`waveback.workflows.executors`):
``local`` (the default, a process pool sized to the cores), ``serial`` (one shot after the
other in this process, with time-step progress bars) or ``dask`` (a ``dask.distributed``
scheduler at ``--scheduler`` or ``WAVEBACK_SCHEDULER``, or a ``LocalCluster`` of
``--workers``). ``WAVEBACK_EXECUTOR`` changes the default kind. Results are bitwise the same
whichever runs them.

dask logs through the ``distributed`` loggers; they follow ``-q`` (errors only) and ``-v``
(information) like waveback's own, and show warnings otherwise.
"""

from __future__ import annotations

import logging
import os

import click

import waveback as wb
from waveback.workflows.executors import resolve_kind

#: Environment variable that sets the default executor kind.
EXECUTOR_ENV = "WAVEBACK_EXECUTOR"


def open_executor(kind, workers, scheduler):
    """The executor the options ask for (a context manager), ``$WAVEBACK_EXECUTOR`` by default.

    For ``dask``, dask's loggers are first set to the level of the command's ``-q``/``-v``.
    """
    kind = resolve_kind(kind or os.environ.get(EXECUTOR_ENV) or None, scheduler)
    if kind == "dask":
        set_dask_log_level(dask_log_level(click.get_current_context(silent=True)))
    return wb.make_executor(kind, workers, scheduler)


def dask_log_level(ctx: click.Context | None) -> int:
    """``ERROR`` under ``-q``, ``INFO`` under ``-v``, else ``WARNING``."""
    flags = (ctx.obj if ctx is not None else None) or {}
    if flags.get("quiet"):
        return logging.ERROR
    return logging.INFO if flags.get("verbose") else logging.WARNING


def set_dask_log_level(level: int) -> None:
    """Set dask's loggers (``distributed`` and those below it with a level of their own).

    Importing ``distributed`` sets their levels (``distributed: info``, ...), so it is imported
    first; without it the dask executor reports what to install.
    """
    try:
        import distributed  # noqa: F401
    except ImportError:
        return
    names = [n for n in logging.root.manager.loggerDict if n.startswith("distributed.")]
    for name in ["distributed", *names]:
        logger = logging.getLogger(name)
        if name == "distributed" or logger.level != logging.NOTSET:
            logger.setLevel(level)
