"""waveback: finite-difference acoustic wave propagation and its exact adjoint."""

from .attenuation import ConstantQ, PowerLaw
from .checkpointing import Workspace
from .executors import ShotFailures, make_executor
from .geometry import plane_wave_delays
from .imaging import born_operator, lsrtm, rtm
from .inversion import fwi, misfit_gradient
from .linearised import born, gradient, gradient_plan, gradient_to_velocity
from .model import Model
from .propagation import Propagator, adjoint, adjoint_initial_pressure, forward
from .simulation import simulate
from .stencils import critical_dt
from .wavelet_estimation import estimate_wavelet
from .wavelets import delayed, gaussian_derivative, ricker, tone_burst

__version__ = "0.1.0"

__all__ = [
    "Model",
    "ConstantQ",
    "PowerLaw",
    "Propagator",
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
