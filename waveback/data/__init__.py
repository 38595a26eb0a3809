"""Data: acquisition geometry, files and scenes.

Shots and surveys (:mod:`.acquisition`), the HDF5 files (:mod:`.files`), resumable shot files,
output locks, SEG-Y import and export (:mod:`.segy`), scene descriptions (:mod:`.scenes`),
synthetic phantoms (:mod:`.phantoms`) and model smoothing. Built on :mod:`waveback.physics`.
"""
