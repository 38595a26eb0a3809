"""The flat module names of waveback 0.1 keep working after the move into layer subpackages."""

import importlib
import subprocess
import sys

import pytest

import waveback as wb
from waveback.moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_name_is_the_module_at_its_new_place(old):
    new = importlib.import_module(f"waveback.{MOVED[old]}")
    assert importlib.import_module(f"waveback.{old}") is new
    assert getattr(wb, old) is new
    assert new.__spec__.name == f"waveback.{MOVED[old]}"  # the real spec survives the alias


def test_old_names_work_in_a_fresh_interpreter_and_import_lazily():
    code = (
        "import sys, waveback\n"
        "assert 'waveback.data.segy' not in sys.modules\n"
        "from waveback.io import read_model\n"
        "import waveback.models as m\n"
        "from waveback import geometry\n"
        "import waveback.data.files, waveback.data.phantoms, waveback.physics.interpolation as g\n"
        "assert read_model is waveback.data.files.read_model and m is waveback.data.phantoms\n"
        "assert geometry is g and waveback.segy is sys.modules['waveback.data.segy']\n"
        "print('ok')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "ok\n"


def test_a_patch_through_the_old_name_reaches_the_new_module(monkeypatch):
    from waveback.data import files

    monkeypatch.setattr(importlib.import_module("waveback.io"), "CHUNK_BYTES", 123)
    assert files.CHUNK_BYTES == 123


def test_unknown_names_are_still_errors():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("waveback.nonexistent")
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        wb.nonexistent  # noqa: B018
