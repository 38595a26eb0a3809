"""Shared test settings: the cores shared out between pytest-xdist workers, and CLI commands
that run their shots in-process unless a test says otherwise.

``python -m pytest`` runs one pytest-xdist worker per core (``-n auto`` in ``pyproject.toml``;
the default run is mostly numba compiling kernels, one core's work per specialisation). Each
worker then runs numba on its share of the cores (one thread on a 2-core machine), and so do
the processes it starts (notebook kernels, CLI subprocesses, executor workers), through
``NUMBA_NUM_THREADS``: two workers each waiting on a parallel region whose second thread is
not scheduled would cost milliseconds per time step. numba is imported first, so a test can
still raise the thread count of its own process up to the machine's (``max_threads``).

The CLI's default executor is a local process pool (``waveback_cli.scaleout``); starting one
costs a second or two per command, which the many small CLI tests do not need. Tests of the
executors pass ``--executor`` or use :mod:`waveback.workflows.executors` directly.
"""

import os

import numba
import pytest

#: The most threads a test may ask numba for in this process (the machine's cores).
max_threads = numba.config.NUMBA_NUM_THREADS

if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    _share = max(1, max_threads // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    numba.set_num_threads(_share)
    os.environ["NUMBA_NUM_THREADS"] = str(_share)


@pytest.fixture(autouse=True, scope="session")
def _serial_cli_executor():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WAVEBACK_EXECUTOR", "serial")
        yield
