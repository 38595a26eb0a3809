"""The layer contracts of pyproject.toml hold, and they do catch an upward import."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(cwd):
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    return subprocess.run([exe], cwd=cwd, capture_output=True, text=True)


def test_the_contracts_are_kept():
    run = _lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


@pytest.mark.parametrize(
    "module, line, contracts",
    [
        ("waveback/physics/stencils.py", "from ..data import acquisition", ["Layers"]),
        ("waveback/physics/kernels.py", "import scipy", ["Kernels import only"]),
        ("waveback/data/files.py", "import waveback_cli", ["Layers", "never imports the command"]),
        ("waveback/verification/autodiff.py", "from ..physics import solver", ["The tape never"]),
    ],
)
def test_a_broken_layer_is_reported(tmp_path, module, line, contracts):
    """Copy the package, add one forbidden import, and the contract that forbids it breaks."""
    for name in ("waveback", "cli"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "waveback_cli").symlink_to(tmp_path / "cli")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}\n")
    run = _lint_imports(tmp_path)
    assert run.returncode == 1
    broken = [s for s in run.stdout.splitlines() if s.endswith("BROKEN")]
    assert len(broken) == len(contracts), run.stdout
    assert all(c in b for c, b in zip(contracts, broken, strict=True)), run.stdout
