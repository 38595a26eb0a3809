"""Shared test settings: the cores shared out between pytest-xdist workers, and CLI commands
that run their shots in-process unless a test says otherwise.

``python -m pytest`` runs one pytest-xdist worker per core (``-n auto`` in ``pyproject.toml``;
the default run is mostly numba compiling kernels, one core's work per specialisation). Each
worker gives numba its share of the cores (one thread on a 2-core machine) through
``NUMBA_NUM_THREADS``, set here before numba is first imported, and so do the processes it
starts (notebook kernels, CLI subprocesses, executor workers): two processes each waiting on a
parallel region whose other thread is not scheduled would cost milliseconds per time step.
Tests that need several threads run them in a subprocess
(``test_kernels.test_kernels_are_bitwise_reproducible_across_processes_and_cache_states``).

The CLI's default executor is a local process pool (``waveback_cli.scaleout``); starting one
costs a second or two per command, which the many small CLI tests do not need. Tests of the
executors pass ``--executor`` or use :mod:`waveback.workflows.executors` directly.
"""

import os

import pytest

if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    # waveback.physics.kernels.available_cores, which cannot be imported before numba is
    _affinity = getattr(os, "sched_getaffinity", None)
    _machine = len(_affinity(0)) if _affinity else os.cpu_count() or 1
    _cores = int(os.environ.get("NUMBA_NUM_THREADS", _machine))
    _share = max(1, _cores // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    os.environ["NUMBA_NUM_THREADS"] = str(_share)


@pytest.fixture(autouse=True, scope="session")
def _serial_cli_executor():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WAVEBACK_EXECUTOR", "serial")
        yield
