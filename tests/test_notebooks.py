"""The notebooks of ``notebooks/``: each runs end to end and asserts its headline metric.

Every notebook reads ``WAVEBACK_NOTEBOOK_SIZE`` (``small`` by default, what CI runs in a couple
of minutes for all of them; ``full`` runs the larger versions and writes the figures of
``docs/figures/notebook_*.png``), so

    WAVEBACK_NOTEBOOK_SIZE=full python -m pytest tests/test_notebooks.py -s

redraws the gallery and prints each notebook's headline. The kernel is the ``python3`` kernel
of this interpreter (ipykernel), started in ``notebooks/``. Notebooks are committed without
outputs; a test checks that.
"""

from __future__ import annotations

import os
from pathlib import Path

import ipykernel  # noqa: F401  (the kernel: this interpreter's python3; a test dependency)
import nbclient
import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
SIZE = os.environ.get("WAVEBACK_NOTEBOOK_SIZE", "small")


def test_the_eight_notebooks_are_there():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06", "07", "08"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_are_stripped(path):
    nb = nbformat.read(path, as_version=4)
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {k} has outputs: clear them"
            assert cell.execution_count is None, f"{path.name} cell {k} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_meets_its_headline(path):
    headlines = _headlines(path)
    assert len(headlines) == 1 and f"({SIZE})" in headlines[0], headlines


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_at_full_size_meets_its_headline(path, monkeypatch):
    """The full-size runs of the gallery (all eight; notebooks 5, 6 and 8 grew since the last timing
    of the whole set, about 13 minutes for seven on 2 cores)."""
    monkeypatch.setenv("WAVEBACK_NOTEBOOK_SIZE", "full")
    headlines = _headlines(path)
    assert len(headlines) == 1 and "(full)" in headlines[0], headlines


def _headlines(path):
    """Run a notebook (its cells' asserts raise) and return the lines of its HEADLINE output."""
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert 'os.environ.get("WAVEBACK_NOTEBOOK_SIZE", "small")' in first.source
    client = nbclient.NotebookClient(
        nb,
        timeout=1800,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # a failed assert in a cell raises CellExecutionError with its traceback
    text = "".join(
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("output_type") == "stream"
    )
    headlines = [line for line in text.splitlines() if line.startswith("HEADLINE")]
    print(*headlines, sep="\n")
    return headlines
