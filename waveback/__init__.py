"""waveback: finite-difference acoustic wave propagation and its exact adjoint."""

import importlib
import sys

from .data.acquisition import Shot, Survey
from .moved import MOVED, MovedModules
from .physics.attenuation import ConstantQ, PowerLaw
from .physics.checkpointing import Workspace
from .physics.interpolation import plane_wave_delays
from .physics.linearised import born, gradient, gradient_to_velocity
from .physics.model import Model
from .physics.propagation import Propagator
from .physics.solver import Solver, adjoint, adjoint_initial_pressure, forward, gradient_plan
from .physics.stencils import critical_dt
from .physics.wavelets import delayed, gaussian_derivative, ricker, tone_burst
from .version import __version__
from .workflows.executors import ShotFailures, make_executor
from .workflows.imaging import born_operator, lsrtm, rtm
from .workflows.inversion import fwi, misfit_gradient
from .workflows.simulation import simulate
from .workflows.wavelet_estimation import estimate_wavelet

__all__ = [
    "Model",
    "ConstantQ",
    "PowerLaw",
    "Shot",
    "Survey",
    "Propagator",
    "Solver",
    "forward",
    "adjoint",
    "adjoint_initial_pressure",
    "born",
    "gradient",
    "gradient_plan",
    "Workspace",
    "gradient_to_velocity",
    "rtm",
    "lsrtm",
    "born_operator",
    "fwi",
    "misfit_gradient",
    "estimate_wavelet",
    "simulate",
    "make_executor",
    "ShotFailures",
    "critical_dt",
    "ricker",
    "gaussian_derivative",
    "tone_burst",
    "delayed",
    "plane_wave_delays",
    "__version__",
]


if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
    sys.meta_path.append(MovedModules())


def __getattr__(name):
    """``waveback.<old module name>`` (e.g. ``wb.io``) imports the module on first use."""
    if name in MOVED or name in ("physics", "verification", "workflows", "data"):
        return importlib.import_module(f"waveback.{name}")
    raise AttributeError(f"module 'waveback' has no attribute {name!r}")
