"""A model's density and attenuation in waveback's HDF5 files, and as fingerprint items.

Beside ``/model/vp`` a model group may hold

``/model/rho``
    Density (kg/m³), vp's shape and float type, attrs ``units`` and ``axes``.
``/model/attenuation``
    A group with attrs ``kind`` (``"constant_q"`` or ``"power_law"``), ``band`` (``(f_lo, f_hi)``
    Hz), ``y`` (``power_law`` only) and optionally ``n_mechanisms``; and one dataset, ``q``
    (``constant_q``, dimensionless) or ``alpha0`` (``power_law``, dB/(cm MHz^y)), either a
    scalar (shape ``()``) or vp-shaped.

Both are optional: a model without them is constant-density and lossless (None). Readers raise
``ValueError`` with a message naming the field; :mod:`waveback.data.files` turns it into a
``FormatError`` naming the file.
"""

from __future__ import annotations

import h5py
import numpy as np

from ..physics.attenuation import ConstantQ, PowerLaw

#: ``kind`` attribute -> (class, parameter dataset, units of the parameter).
KINDS = {
    "constant_q": (ConstantQ, "q", "1"),
    "power_law": (PowerLaw, "alpha0", "dB/(cm MHz^y)"),
}


def kind_of(attenuation) -> str:
    """The ``kind`` name (``"constant_q"`` or ``"power_law"``) of an attenuation."""
    for name, (cls, _, _) in KINDS.items():
        if isinstance(attenuation, cls):
            return name
    raise TypeError(f"attenuation must be ConstantQ or PowerLaw, got {attenuation!r}")


def parameter(attenuation) -> tuple[str, float | np.ndarray]:
    """``("q", q)`` or ``("alpha0", alpha0)``: the name and value of the spatial parameter."""
    name = KINDS[kind_of(attenuation)][1]
    return name, getattr(attenuation, name)


def write_medium(g: h5py.Group, model, compression) -> None:
    """Write ``model.rho`` and ``model.attenuation`` (when set) into the model group ``g``.

    ``compression(shape, dtype)`` gives the dataset creation options of vp-shaped arrays.
    """
    axes = "z,x" if model.ndim == 2 else "z,y,x"
    if model.rho is not None:
        ds = g.create_dataset("rho", data=model.rho, **compression(model.shape, model.dtype))
        ds.attrs["units"] = "kg/m^3"
        ds.attrs["axes"] = axes
    att = model.attenuation
    if att is None:
        return
    kind = kind_of(att)
    a = g.create_group("attenuation")
    a.attrs["kind"] = kind
    a.attrs["band"] = np.asarray(att.band, dtype=np.float64)
    if kind == "power_law":
        a.attrs["y"] = att.y
    if att.n_mechanisms is not None:
        a.attrs["n_mechanisms"] = att.n_mechanisms
    name, value = parameter(att)
    value = np.asarray(value, dtype=np.float64)
    options = compression(value.shape, value.dtype) if value.ndim else {}
    ds = a.create_dataset(name, data=value, **options)
    ds.attrs["units"] = KINDS[kind][2]
    if value.ndim:
        ds.attrs["axes"] = axes


def read_medium(g: h5py.Group, shape: tuple) -> tuple[np.ndarray | None, object]:
    """``(rho, attenuation)`` of the model group ``g`` (None for what it does not hold).

    Raises
    ------
    ValueError
        A ``rho`` or attenuation parameter of another shape than vp's ``shape``, non-positive
        or non-finite values, an unknown ``kind``, or a missing field.
    """
    rho = None
    if "rho" in g:
        ds = g["rho"]
        if not isinstance(ds, h5py.Dataset):
            raise ValueError("/model/rho must be a dataset (density in kg/m^3)")
        if ds.shape != tuple(shape):
            raise ValueError(
                f"/model/rho has shape {ds.shape}, but /model/vp has shape {tuple(shape)}; "
                "they must agree"
            )
        rho = ds[()]
        if not np.all(np.isfinite(rho)) or np.any(rho <= 0):
            raise ValueError("/model/rho must be finite and positive everywhere (kg/m^3)")
    if "attenuation" not in g:
        return rho, None
    a = g["attenuation"]
    if not isinstance(a, h5py.Group):
        raise ValueError("/model/attenuation must be a group")
    kind = a.attrs.get("kind")
    kind = kind.decode() if isinstance(kind, bytes) else kind
    if kind not in KINDS:
        raise ValueError(
            f"/model/attenuation has kind {kind!r}; expected one of {', '.join(KINDS)}"
        )
    cls, name, _ = KINDS[kind]
    if not isinstance(a.get(name), h5py.Dataset):
        raise ValueError(f"/model/attenuation of kind {kind} needs the dataset {name!r}")
    value = a[name][()]
    if np.ndim(value) != 0 and np.shape(value) != tuple(shape):
        raise ValueError(
            f"/model/attenuation/{name} has shape {np.shape(value)}; it must be a scalar or "
            f"have /model/vp's shape {tuple(shape)}"
        )
    if "band" not in a.attrs:
        raise ValueError("/model/attenuation needs the attribute 'band' (f_lo, f_hi) in Hz")
    band = tuple(float(f) for f in np.atleast_1d(a.attrs["band"]))
    n = a.attrs.get("n_mechanisms")
    n = None if n is None else int(n)
    if kind == "power_law" and "y" not in a.attrs:
        raise ValueError("/model/attenuation of kind power_law needs the attribute 'y'")
    try:
        if kind == "power_law":
            return rho, cls(value, float(a.attrs["y"]), band, n)
        return rho, cls(value, band, n)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"/model/attenuation: {exc}") from None


def fingerprint_items(model) -> tuple:
    """What the density and attenuation add to a simulation's fingerprint; ``()`` for neither.

    Empty for a constant-density lossless model, so its fingerprint is that of files written
    before densities and attenuation existed.
    """
    items = []
    if model.rho is not None:
        items += ["rho", model.rho]
    att = model.attenuation
    if att is not None:
        name, value = parameter(att)
        items += [kind_of(att), name, np.asarray(value, dtype=np.float64), att.band]
        items += [getattr(att, "y", None), att.n_mechanisms]
    return tuple(items)
