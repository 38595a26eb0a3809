"""The flat module names of waveback 0.1, which keep working: ``import waveback.io``.

The modules now live in the layer subpackages (:mod:`waveback.physics`,
:mod:`waveback.verification`, :mod:`waveback.workflows`, :mod:`waveback.data`); three were
renamed because their names misled (``io`` shadowed the standard library, ``models`` read like
``model``, ``geometry`` held the interpolation). :class:`MovedModules`, installed on
``sys.meta_path`` by ``waveback/__init__.py``, answers an import of an old name with the module
itself (the same object, so monkeypatching either name patches both), importing it only then.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery

#: Old name (``waveback.<old>``) → the module's place now, relative to ``waveback``.
MOVED = {
    "acquisition": "data.acquisition",
    "analytic": "verification.analytic",
    "autodiff": "verification.autodiff",
    "boundaries": "physics.boundaries",
    "checkpointing": "physics.checkpointing",
    "checks": "verification.checks",
    "cpml_kernels": "physics.cpml_kernels",
    "dispersion": "physics.dispersion",
    "executors": "workflows.executors",
    "footprint": "physics.footprint",
    "fwi_history": "workflows.fwi_history",
    "geometry": "physics.interpolation",
    "imaging": "workflows.imaging",
    "inversion": "workflows.inversion",
    "io": "data.files",
    "kernels": "physics.kernels",
    "linearised": "physics.linearised",
    "locking": "data.locking",
    "misfits": "workflows.misfits",
    "model": "physics.model",
    "models": "data.phantoms",
    "preconditioning": "workflows.preconditioning",
    "propagation": "physics.propagation",
    "regularisation": "workflows.regularisation",
    "resumable": "data.resumable",
    "scenes": "data.scenes",
    "segy": "data.segy",
    "segyheaders": "data.segyheaders",
    "simulation": "workflows.simulation",
    "smoothing": "data.smoothing",
    "solver": "physics.solver",
    "stencils": "physics.stencils",
    "wavelet_estimation": "workflows.wavelet_estimation",
    "wavelets": "physics.wavelets",
}


def target(name: str) -> str | None:
    """The full name now of ``waveback.<old>``, or None if ``name`` is not an old name."""
    package, _, old = name.partition(".")
    if package != "waveback" or old not in MOVED:
        return None
    return f"waveback.{MOVED[old]}"


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import hook: ``waveback.<old>`` is the module at its new place (imported on demand)."""

    def find_spec(self, fullname, path=None, target_module=None):
        new = target(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, loader_state=new)

    def create_module(self, spec):
        module = importlib.import_module(spec.loader_state)
        spec.loader_state = module.__spec__  # restored below: the import system overwrites it
        return module

    def exec_module(self, module):
        module.__spec__ = module.__spec__.loader_state
