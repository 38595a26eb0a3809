"""Regenerate the bundled example models in ``data/models/`` from ``waveback/data/phantoms.py``.

Run from anywhere: ``python data/make_models.py``. The model code is loaded from this
checkout's ``waveback/data/phantoms.py`` (not from an installed ``waveback``), so the files
always match the source next to them; ``tests/test_phantoms.py`` checks that they do.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def load_models_module():
    """Import ``waveback.data.phantoms`` from this checkout (first on the path)."""
    sys.path.insert(0, str(ROOT))
    return importlib.import_module("waveback.data.phantoms")


def main() -> None:
    models = load_models_module()
    out = ROOT / "data" / "models" / "layered_2d.npy"
    out.parent.mkdir(parents=True, exist_ok=True)
    vp = models.layered_2d()
    np.save(out, vp)
    print(f"wrote {out}: shape {vp.shape} (nz, nx), {vp.dtype}, spacing 10 m, vp in m/s")


if __name__ == "__main__":
    main()
