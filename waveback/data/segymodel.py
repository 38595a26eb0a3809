"""SEG-Y models with a density and an attenuation beside the velocity, one file each.

A :class:`~waveback.physics.model.Model` goes to SEG-Y as its velocity file plus, when it has
them, a density file (kg/m³) and an attenuation file: ``q`` for
:class:`~waveback.physics.attenuation.ConstantQ`, ``alpha0`` (dB/(cm MHz^y)) for
:class:`~waveback.physics.attenuation.PowerLaw`. Each is written by
:func:`waveback.data.segy.write_segy_model` (one trace per column) with the grid in its
textual header; an attenuation file also records ``WAVEBACK BAND=f_lo,f_hi`` (Hz),
``WAVEBACK Y=`` (power law) and ``WAVEBACK MECHANISMS=`` (when set), so that
HDF5 -> SEG-Y -> HDF5 gives back the same model. Other tools' files need the band (and ``y``)
from the caller. Every file must have the velocity's grid: the same shape and, where the
files record them, the same spacing and origin.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..physics.attenuation import ConstantQ, PowerLaw
from ..physics.model import Model, per_axis
from . import segy


def read_segy_medium(
    vp_path,
    spacing=None,
    rho=None,
    q=None,
    alpha0=None,
    y=None,
    band=None,
    n_mechanisms=None,
) -> Model:
    """A model from a SEG-Y velocity file and optional density and attenuation files.

    Parameters
    ----------
    vp_path : path
        The velocity (m/s), one trace per column.
    spacing : float or sequence, optional
        Grid spacing (m) of files that do not record it.
    rho : path, optional
        Density (kg/m³) on the velocity's grid.
    q, alpha0 : path, optional
        At most one: the quality factor (constant over ``band``) or the power law's absorption
        at 1 MHz (dB/(cm MHz^y)), on the velocity's grid.
    y, band, n_mechanisms : optional
        The power, the band ``(f_lo, f_hi)`` (Hz) and the number of mechanisms; default what
        waveback recorded in the attenuation file. ``band`` (and ``y`` for ``alpha0``) is
        required for other tools' files.

    Raises
    ------
    ValueError
        A file of another grid than the velocity's, a file holding another quantity (a density
        given as the velocity), a missing band or ``y``, or values the model refuses.
    """
    if q is not None and alpha0 is not None:
        raise ValueError("give at most one attenuation file: a Q file or an alpha0 file")
    _expect(vp_path, "velocity", "the velocity")
    vp, h, origin = segy.read_segy_model(vp_path, spacing)
    grid = (vp.shape, per_axis(h, vp.ndim, "spacing"), per_axis(origin, vp.ndim, "origin"))
    density = None if rho is None else _beside(rho, "density", vp_path, grid, "--rho")
    attenuation = None
    path = q if q is not None else alpha0
    if path is not None:
        kind = "q" if q is not None else "alpha0"
        values = _beside(path, kind, vp_path, grid, f"--{kind}")
        notes = segy.segy_model_notes(path)
        band = band if band is not None else _numbers(notes.get("band"))
        if band is None:
            raise ValueError(f"{path} does not record its attenuation band: give --band F_LO F_HI")
        if n_mechanisms is None and "mechanisms" in notes:
            n_mechanisms = int(notes["mechanisms"])
        if kind == "q":
            attenuation = ConstantQ(values, band, n_mechanisms)
        else:
            y = y if y is not None else _numbers(notes.get("y"))
            if y is None:
                raise ValueError(f"{path} does not record the power law's y: give --y")
            attenuation = PowerLaw(values, float(np.ravel(y)[0]), band, n_mechanisms)
    return Model(vp, grid[1], grid[2], rho=density, attenuation=attenuation)


def write_segy_medium(model: Model, vp_path, rho_path=None, attenuation_path=None) -> list[Path]:
    """Write ``model`` to SEG-Y: the velocity, and its density and attenuation when set.

    ``rho_path`` and ``attenuation_path`` default to ``<stem>_rho``, ``<stem>_q`` (constant Q)
    or ``<stem>_alpha0`` (power law) beside ``vp_path`` (:func:`output_paths`); naming one for
    a model without it is an error. Returns the paths written, the velocity first.
    """
    paths = output_paths(model, vp_path, rho_path, attenuation_path)
    grid = (model.spacing, model.origin)
    segy.write_segy_model(paths[0], model.vp, *grid)
    if model.rho is not None:
        segy.write_segy_model(paths[1], model.rho, *grid, quantity="density")
    att = model.attenuation
    if att is not None:
        kind = attenuation_kind(model)
        notes = ["WAVEBACK BAND=" + ",".join(repr(float(f)) for f in att.band)]
        if kind == "alpha0":
            notes.append(f"WAVEBACK Y={att.y!r}")
        if att.n_mechanisms is not None:
            notes.append(f"WAVEBACK MECHANISMS={att.n_mechanisms}")
        values = np.broadcast_to(getattr(att, kind), model.shape)
        segy.write_segy_model(paths[-1], values, *grid, quantity=kind, notes=notes)
    return paths


def attenuation_kind(model: Model) -> str | None:
    """``"q"`` (constant Q), ``"alpha0"`` (power law) or None (lossless): the file's quantity."""
    if model.attenuation is None:
        return None
    return "q" if isinstance(model.attenuation, ConstantQ) else "alpha0"


def output_paths(model: Model, vp_path, rho_path=None, attenuation_path=None) -> list[Path]:
    """The files :func:`write_segy_medium` writes: velocity, density (if any), attenuation."""
    vp_path = Path(vp_path)
    if rho_path is not None and model.rho is None:
        raise ValueError(f"the model has no density to write to {rho_path}")
    if attenuation_path is not None and model.attenuation is None:
        raise ValueError(f"the model has no attenuation to write to {attenuation_path}")
    paths = [vp_path]
    if model.rho is not None:
        paths.append(_sibling(vp_path, "rho") if rho_path is None else Path(rho_path))
    kind = attenuation_kind(model)
    if kind is not None:
        paths.append(
            _sibling(vp_path, kind) if attenuation_path is None else Path(attenuation_path)
        )
    return paths


def _sibling(path: Path, name: str) -> Path:
    return path.with_name(f"{path.stem}_{name}{path.suffix}")


def _expect(path, quantity: str, what: str) -> None:
    """Refuse a waveback SEG-Y model of another quantity than ``quantity``."""
    found = segy.model_quantity(path)
    if found is not None and found != quantity:
        raise ValueError(
            f"{path} is a waveback {found} model, not {what}; give each file with its option "
            "(SOURCE the velocity, --rho the density, --q or --alpha0 the attenuation)"
        )


def _beside(path, quantity: str, vp_path, grid, option: str) -> np.ndarray:
    """The values of ``path``, refused unless on the velocity's ``grid``."""
    _expect(path, quantity, f"a {quantity} ({option})")
    shape, spacing, origin = grid
    notes = segy.segy_model_notes(path)
    values, h, o = segy.read_segy_model(path, spacing, origin)
    mine = (
        values.shape,
        per_axis(_numbers(notes.get("spacing"), spacing), len(values.shape), "spacing"),
        per_axis(_numbers(notes.get("origin"), origin), len(values.shape), "origin"),
    )
    if mine != (shape, spacing, origin):
        raise ValueError(
            f"{option} {path} holds a {_grid(*mine)} grid, but the velocity {vp_path} holds "
            f"{_grid(shape, spacing, origin)}; the files must share the velocity's grid"
        )
    return values


def _numbers(text, default=None):
    return default if text is None else [float(v) for v in text.split(",")]


def _grid(shape, spacing, origin) -> str:
    return (
        f"{' x '.join(map(str, shape))} at spacing {' x '.join(f'{v:g}' for v in spacing)} m, "
        f"origin {tuple(origin)} m"
    )
