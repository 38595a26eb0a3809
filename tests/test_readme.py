"""The README's Python blocks run verbatim, in order, in one namespace (as a reader pastes them).

A block may use the names of the blocks before it; a printed result quoted in a comment right
after a ``print(...)`` line must be what the code prints, so the README cannot drift.
"""

import contextlib
import io
import re
import warnings
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_python_blocks_run_verbatim(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the blocks write files (an FWI history)
    blocks = _blocks()
    assert len(blocks) >= 4
    namespace = {}
    for block in blocks:
        out = io.StringIO()
        with warnings.catch_warnings(), contextlib.redirect_stdout(out):
            warnings.simplefilter("ignore", UserWarning)
            exec(compile(block, str(README), "exec"), namespace)
        quoted = re.findall(r"^print\(.*\)\n# (.*)$", block, re.M)
        assert out.getvalue().splitlines() == quoted
    ns = namespace
    nt, nx = ns["nt"], ns["nx"]
    assert ns["d"].shape == (nt, nx) and np.abs(ns["d"]).max() > 0
    assert ns["fields"].shape == (2, *ns["model"].shape)
    assert np.abs(ns["g"]).max() > 0 and ns["dd"].shape == (nt, nx)
    assert set(ns["grads"]) == {"m", "rho"} and np.abs(ns["grads"]["rho"]).max() > 0
    image = ns["image"]
    assert image.shape == ns["model"].shape and np.abs(image).max() > 0
    result = ns["result"]  # the last FWI of the README
    assert result.misfit and result.misfit[-1] < result.initial_misfit[0]
