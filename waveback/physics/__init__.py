"""The physics: the wave equation on a grid, its discretisation, kernels and exact adjoints.

The model and its padded grid (:mod:`.model`), finite-difference coefficients
(:mod:`.stencils`), absorbing profiles (:mod:`.boundaries`), off-grid interpolation of sources
and receivers (:mod:`.interpolation`), source wavelets (:mod:`.wavelets`), the numba kernels
(:mod:`.kernels`, :mod:`.cpml_kernels`), one time step beside its transpose
(:mod:`.propagation`), the per-shot operators forward/adjoint/Born/gradient (:mod:`.solver`,
:mod:`.linearised`), checkpointing, memory estimates and time-dispersion correction. Imports
nothing from the other layers.
"""
