"""waveback: finite-difference acoustic wave propagation and its exact adjoint."""

from .acquisition import Shot, Survey
from .checkpointing import Workspace
from .executors import ShotFailures, make_executor
from .geometry import plane_wave_delays
from .imaging import born_operator, lsrtm, rtm
from .inversion import fwi, misfit_gradient
from .linearised import born, gradient, gradient_to_velocity
from .model import Model
from .propagation import Propagator
from .simulation import simulate
from .solver import Solver, adjoint, adjoint_initial_pressure, forward, gradient_plan
from .stencils import critical_dt
from .wavelet_estimation import estimate_wavelet
from .wavelets import delayed, gaussian_derivative, ricker, tone_burst

__version__ = "0.1.0"

__all__ = [
    "Model",
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
