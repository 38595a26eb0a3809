"""Workflows: many shots at once, and what is computed from them.

Executors (serial, local processes, dask), survey simulation, reverse-time and least-squares
migration, full-waveform inversion with its misfits, preconditioning, regularisation, wavelet
estimation and resumable history. Built on :mod:`waveback.physics` and :mod:`waveback.data`.
"""
