"""Shared test settings: CLI commands run their shots in-process unless a test says otherwise.

The CLI's default executor is a local process pool (``waveback_cli.scaleout``); starting one
costs a second or two per command, which the many small CLI tests do not need. Tests of the
executors pass ``--executor`` or use :mod:`waveback.workflows.executors` directly.
"""

import pytest


@pytest.fixture(autouse=True, scope="session")
def _serial_cli_executor():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WAVEBACK_EXECUTOR", "serial")
        yield
