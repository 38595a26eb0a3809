"""Scene files: a simulation described in TOML (model, acquisition, wavelet, time, boundary).

A scene has the tables ``[model]``, ``[acquisition]``, ``[wavelet]``, ``[time]`` (required) and
``[boundary]``, ``[numerics]`` (optional), plus an optional top-level ``description``. Every key
is checked: an unknown key, a missing required key or a value of the wrong type is a
:class:`SceneError` that names the key (``acquisition.source_depth``). Lengths are in metres,
times in seconds, velocities in m/s, angles in degrees, z first. File paths are relative to
the scene file. ``docs/scenes.md`` lists every key; :func:`read_scene` returns a
:class:`Scene` whose :class:`~waveback.acquisition.Survey` is ready for
:func:`waveback.forward`, shot by shot.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..physics import footprint
from ..physics.attenuation import ConstantQ, PowerLaw
from ..physics.interpolation import INTERPOLATIONS, point_stencils
from ..physics.model import BOUNDARIES, DTYPES, Model
from ..physics.wavelets import gaussian_derivative, ricker, tone_burst
from . import acquisition, files, phantoms, segy
from .acquisition import Survey

GENERATORS = ("layered", "faulted", "salt", "inclusions", "marmousi_like", "breast", "cyst_phantom")
#: ``[model.attenuation]`` kinds and the key of their spatial parameter.
ATTENUATION_KINDS = {"constant_q": "q", "power_law": "alpha0"}
#: Generators whose density and absorption may be given per layer (a list, top down).
LAYER_GENERATORS = ("layered", "faulted", "salt")
ACQUISITIONS = ("surface_line", "surface_grid", "linear_array", "ring_array", "csv")
WAVELETS = ("ricker", "gaussian", "tone_burst")
TABLES = ("model", "acquisition", "wavelet", "time", "boundary", "numerics")
REQUIRED = object()
#: Bytes per grid point of a generated model's temporaries (an int64 layer index, float64
#: coordinates and velocities), counted before generating it.
GENERATOR_BYTES_PER_POINT = 24


class SceneError(ValueError):
    """A scene file that cannot be read, or whose keys or values are wrong."""


@dataclass(frozen=True)
class Scene:
    """A parsed scene: the survey to simulate, and where it came from.

    Attributes
    ----------
    survey : Survey
        Model (with boundary settings), ``dt`` (s), ``nt`` and the shots with their wavelets.
    description : str
    text : str
        The scene file's text (stored as provenance in the files a simulation writes).
    path : Path
    """

    survey: Survey
    description: str
    text: str
    path: Path


def read_scene(path) -> Scene:
    """Read and validate the scene file at ``path``.

    Raises
    ------
    FileNotFoundError
        If the scene or a file it names does not exist.
    SceneError
        For broken TOML, unknown or missing keys, wrong values, an unstable time step, or a
        source or receiver outside the model; the message starts with the scene's path.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"scene {path}: no such file")
    text = path.read_text(encoding="utf-8")
    try:
        return Scene(parse_scene(text, path.parent), _description(text), text, path)
    except SceneError as exc:
        raise SceneError(f"scene {path}: {exc}") from None


def parse_scene(text: str, base=".") -> Survey:
    """The survey of a scene given as TOML text; ``base`` resolves relative file paths."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SceneError(f"invalid TOML: {exc}") from None
    top = Table(doc, "")
    top.get("description", str, "")
    tables = {
        name: Table(top.get(name, dict, REQUIRED if i < 4 else {}), name)
        for i, name in enumerate(TABLES)
    }
    top.finish()
    try:
        model = _model(tables["model"], tables["boundary"], tables["numerics"], Path(base))
    except SceneError:
        raise
    except (ValueError, TypeError) as exc:
        raise SceneError(f"model: {exc}") from None
    interpolation = tables["numerics"].get("interpolation", str, "linear", INTERPOLATIONS)
    dt, nt = _time(tables["time"], model)
    wavelet = _wavelet(tables["wavelet"], dt, nt)
    layouts = _acquisition(tables["acquisition"], model, Path(base))
    for t in tables.values():
        t.finish()
    try:
        survey = acquisition.survey_from_layout(model, dt, wavelet, layouts, interpolation)
        for shot in survey.shots:
            point_stencils(shot.src, model, interpolation)
            point_stencils(shot.rec, model, interpolation)
    except ValueError as exc:
        raise SceneError(f"acquisition: {exc}") from None
    return survey


class Table:
    """One TOML table whose keys are read once each and checked against what was asked."""

    def __init__(self, data, name: str):
        self.data, self.name = dict(data), name
        self.asked: list[str] = []

    def get(self, key: str, kind, default=REQUIRED, choices=None):
        """The value of ``key`` converted to ``kind``; ``default`` if absent (or an error)."""
        self.asked.append(key)
        full = f"{self.name}.{key}" if self.name else key
        if key not in self.data:
            if default is REQUIRED:
                unasked = [k for k in self.data if k not in self.asked]
                close = difflib.get_close_matches(key, unasked, n=1, cutoff=0.75)
                hint = f" (is '{close[0]}' a misspelling of it?)" if close else ""
                raise SceneError(f"missing required key '{full}'{hint}")
            return default
        value = _convert(self.data[key], kind, full)
        if choices is not None and value not in choices:
            raise SceneError(f"'{full}' must be one of {', '.join(choices)}; got {value!r}")
        return value

    def has(self, key: str) -> bool:
        """Whether the table sets ``key``."""
        return key in self.data

    def finish(self) -> None:
        """Refuse any key that was never asked for."""
        unknown = [k for k in self.data if k not in self.asked]
        if unknown:
            full = f"{self.name}.{unknown[0]}" if self.name else unknown[0]
            allowed = ", ".join(self.asked) or "none"
            raise SceneError(f"unknown key '{full}' (allowed here: {allowed})")


def _convert(value, kind, full):
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
        if ok and not np.isfinite(value):
            raise SceneError(f"'{full}' must be a finite number, got {value}")
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "numbers":  # a number or a list of numbers
        items = value if isinstance(value, list) else [value]
        ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items)
        ok = ok and len(items) > 0
        if ok:
            value = [float(v) for v in items] if isinstance(value, list) else float(value)
    else:
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        names = {
            float: "a number",
            int: "an integer",
            str: "a string",
            bool: "true or false",
            list: "a list",
            dict: "a table",
            "numbers": "a number or a list of numbers",
        }
        raise SceneError(f"'{full}' must be {names[kind]}, got {value!r}")
    return value


def _description(text: str) -> str:
    return str(tomllib.loads(text).get("description", ""))


# ---------------------------------------------------------------------------- model


def _model(t: Table, boundary: Table, numerics: Table, base: Path) -> Model:
    settings = {
        "boundary": boundary.get("kind", str, "cpml", BOUNDARIES),
        "nbl": boundary.get("nbl", int, 20),
        "free_surface": boundary.get("free_surface", bool, False),
        "space_order": numerics.get("space_order", int, 8),
        "dtype": numerics.get("dtype", str, "float32", DTYPES),
    }
    if t.has("file") == t.has("generator"):
        raise SceneError("give exactly one of 'model.generator' and 'model.file'")
    if t.has("file"):
        vp, spacing, origin, medium = _model_file(t, base)
        paint = _uniform("file")
    else:
        vp, spacing, origin, paint = _generated(t)
        medium = None
    rho = _density(t, paint, base, vp.shape)
    attenuation = _attenuation(t, paint, base, vp.shape)
    if medium is not None:
        rho = medium.rho if rho is None else rho
        attenuation = medium.attenuation if attenuation is None else attenuation
    return Model(vp, spacing, origin, rho=rho, attenuation=attenuation, **settings)


# ---------------------------------------------------------------------------- density, absorption


def _density(t: Table, paint, base: Path, shape):
    """``model.rho`` (a number, per layer or tissue) or ``model.rho_file``; None if neither."""
    if t.has("rho") and t.has("rho_file"):
        raise SceneError("give at most one of 'model.rho' and 'model.rho_file'")
    if t.has("rho_file"):
        return _array_file(base / t.get("rho_file", str), shape, "model.rho_file")
    return paint("rho", t.get("rho", object, None), "model.rho")


def _attenuation(t: Table, paint, base: Path, shape):
    """``[model.attenuation]`` as ConstantQ or PowerLaw; None without the table."""
    table = t.get("attenuation", dict, None)
    if table is None:
        paint("q", None, "model.attenuation.q")  # refuses per-body values without the table
        paint("alpha0", None, "model.attenuation.alpha0")
        return None
    a = Table(table, "model.attenuation")
    kind = a.get("kind", str, choices=tuple(ATTENUATION_KINDS))
    name = ATTENUATION_KINDS[kind]
    other = "alpha0" if name == "q" else "q"
    if a.has(other):
        raise SceneError(
            f"'model.attenuation.{other}' does not go with kind = {kind!r}: give {name}"
        )
    paint(other, None, f"model.attenuation.{other}")
    if a.has(name) == a.has("file"):
        raise SceneError(
            f"give exactly one of 'model.attenuation.{name}' and 'model.attenuation.file'"
        )
    if a.has("file"):
        value = _array_file(base / a.get("file", str), shape, "model.attenuation.file")
    else:
        value = paint(name, a.get(name, object), f"model.attenuation.{name}")
    band = a.get("band", "numbers")
    if not isinstance(band, list) or len(band) != 2:
        raise SceneError(f"'model.attenuation.band' must be [f_lo, f_hi] in Hz, got {band!r}")
    n = a.get("n_mechanisms", int, None)
    try:
        if kind == "constant_q":
            att = ConstantQ(value, band, n)
        else:
            att = PowerLaw(value, a.get("y", float), band, n)
    except (TypeError, ValueError) as exc:
        raise SceneError(f"model.attenuation: {exc}") from None
    a.finish()
    return att


def _uniform(generator: str):
    """A painter that takes one number for the whole model (no bodies to tell apart)."""

    def paint(name, value, full):
        if value is None:
            return None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            what = "model file" if generator == "file" else f"{generator!r} generator"
            raise SceneError(
                f"'{full}' must be one number for a {what} (per-body values go with the "
                f"layered, faulted, salt, inclusions and breast generators), got {value!r}"
            )
        return _positive([value], full)[0]

    return paint


def _positive(values, full: str) -> list[float]:
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise SceneError(f"'{full}' must hold numbers, got {values!r}")
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise SceneError(f"'{full}' must be positive and finite, got {values!r}")
    return [float(v) for v in values]


def _array_file(path: Path, shape, full: str) -> np.ndarray:
    """A vp-shaped array from ``.npy`` or SEG-Y (one trace per column)."""
    if not path.is_file():
        raise FileNotFoundError(f"{full} {path}: no such file")
    if segy.is_segy(path):
        values = segy.read_segy_model(path, 1.0)[0]
    elif path.suffix.lower() == ".npy":
        values = np.load(path, allow_pickle=False)
    else:
        raise SceneError(f"'{full}' {path}: unknown type {path.suffix!r}; use .npy or .sgy/.segy")
    if values.shape != tuple(shape):
        raise SceneError(
            f"'{full}' {path} has shape {values.shape}, but the velocity has shape {tuple(shape)}"
        )
    return values


def _generated(t: Table):
    kind = t.get("generator", str, choices=GENERATORS)
    shape = t.get("shape", list)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
        raise SceneError(
            f"'model.shape' must be a list of integers (nz, nx) or (nz, ny, nx), got {shape}"
        )
    points = int(np.prod(shape, dtype=np.int64))
    field = np.dtype(np.float64).itemsize * points
    media = (
        ("density", t.has("rho") or t.has("rho_file")),
        ("attenuation", t.has("attenuation")),
    )
    footprint.require(
        footprint.Estimate(
            f"the scene's {' x '.join(map(str, shape))} model",
            (
                ("generator arrays", GENERATOR_BYTES_PER_POINT * points),
                ("velocity", field),
                *((name, field) for name, given in media if given),
            ),
        ),
        "give a smaller 'model.shape' (a coarser 'model.spacing' over the same extent)",
    )
    spacing = t.get("spacing", "numbers")
    origin = t.get("origin", "numbers", None)
    grid = (shape, spacing)
    if kind == "inclusions":
        bodies = [_inclusion(body, k) for k, body in enumerate(t.get("inclusions", list, []))]
        vp = phantoms.inclusions(*grid, t.get("background", float), bodies, origin)
        return vp, spacing, origin, _inclusions_painter(grid, bodies, origin)
    if kind == "breast":
        vp, draw = _phantom(kind, t, grid, origin)
        return vp, spacing, origin, _breast_painter(draw)
    if kind in ("marmousi_like", "cyst_phantom"):
        return _phantom(kind, t, grid, origin), spacing, origin, _uniform(kind)
    depths, velocities = t.get("depths", list), t.get("velocities", "numbers")
    if kind == "layered":

        def draw(values):
            return phantoms.layered(*grid, depths, values, origin=origin)

    elif kind == "faulted":
        fault = (t.get("fault_x", float), t.get("fault_dip", float), t.get("throw", float))

        def draw(values):
            return phantoms.faulted(*grid, depths, values, *fault, origin=origin)

    else:
        salt = [t.get(k, float) for k in ("salt_top", "salt_base")]
        salt += [t.get("salt_center", "numbers"), t.get("salt_radius", float)]
        salt_velocity = t.get("salt_velocity", float)

        def draw(values):
            *layers, body = values
            return phantoms.salt(*grid, depths, layers, body, *salt, origin=origin)

        velocities = [*np.atleast_1d(velocities).tolist(), salt_velocity]
    vp = draw(velocities)
    return vp, spacing, origin, _layers_painter(kind, draw, int(np.size(velocities)))


def _layers_painter(kind: str, draw, count: int):
    """Values per layer (a list, top down; for ``salt`` the salt's last) or one number."""
    uniform = _uniform(kind)
    salt = " and the salt's last" if kind == "salt" else ""

    def paint(name, value, full):
        if not isinstance(value, list):
            return uniform(name, value, full)
        if len(value) != count:
            raise SceneError(
                f"'{full}' needs one value per layer, top down{salt} ({count}), got {len(value)}"
            )
        return _by_label(draw, _positive(value, full))

    return paint


def _by_label(draw, values) -> np.ndarray:
    """``draw(values)`` in float64: the generator draws labels 1, 2, ... (exact in its float32),
    which index ``values``."""
    labels = draw(list(range(1, len(values) + 1)))
    return np.asarray(values, dtype=np.float64)[np.rint(labels).astype(np.int64) - 1]


def _inclusions_painter(grid, bodies, origin):
    """The background's number, and each inclusion's own value (default the background's)."""

    def paint(name, value, full):
        own = [k for k, body in enumerate(bodies) if body.get(name) is not None]
        if value is None:
            if own:
                raise SceneError(
                    f"'model.inclusions[{own[0]}].{name}' needs the background's '{full}'"
                )
            return None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise SceneError(
                f"'{full}' must be a number, the background's (inclusions give their own), "
                f"got {value!r}"
            )
        background = _positive([value], full)[0]
        if not own:
            return background
        values = [background] + [body.get(name) or background for body in bodies]

        def draw(labels):
            drawn = [{**body, "velocity": k} for body, k in zip(bodies, labels[1:], strict=True)]
            return phantoms.inclusions(*grid, labels[0], drawn, origin)

        return _by_label(draw, values)

    return paint


def _breast_painter(draw):
    """A number, or a table with a value per tissue (:data:`phantoms.BREAST_SPEEDS`' keys)."""
    uniform = _uniform("breast")

    def paint(name, value, full):
        if not isinstance(value, dict):
            return uniform(name, value, full)
        tissues = Table(value, full)
        values = {k: tissues.get(k, float) for k in phantoms.BREAST_SPEEDS}
        tissues.finish()
        _positive(list(values.values()), full)
        names = list(values)
        return _by_label(
            lambda labels: draw(dict(zip(names, labels, strict=True))), [values[k] for k in names]
        )

    return paint


def _phantom(kind: str, t: Table, grid, origin) -> np.ndarray:
    """The random generators of :mod:`waveback.models`, each with its keys (and defaults)."""
    seed = t.get("seed", int, 0)
    if kind == "marmousi_like":
        counts = [t.get(k, int, d) for k, d in (("layers", 24), ("faults", 3), ("wedges", 2))]
        return phantoms.marmousi_like(*grid, seed, *counts, t.get("water", float, 0.04), origin)
    if kind == "breast":
        center, radius = t.get("center", "numbers", None), t.get("radius", float, None)
        tumours = t.get("tumours", int, 2)

        def draw(values=None):
            return phantoms.breast_phantom(
                *grid, seed, center, radius, tumours, origin, values=values
            )

        return draw(), draw
    cysts = []
    for k, cyst in enumerate(t.get("cysts", list, [])):
        if not isinstance(cyst, dict):
            raise SceneError(f"'model.cysts[{k}]' must be a table ([[model.cysts]])")
        ct = Table(cyst, f"model.cysts[{k}]")
        cysts.append({"center": ct.get("center", "numbers"), "radius": ct.get("radius", float)})
        ct.finish()
    points = t.get("points", list, [])
    if not all(isinstance(p, list) for p in points):
        raise SceneError(f"'model.points' must be a list of positions [[z, x], ...], got {points}")
    return phantoms.cyst_phantom(
        *grid,
        cysts,
        [[_convert(v, float, "model.points") for v in p] for p in points],
        t.get("background", float, 1540.0),
        t.get("speckle", float, 0.01),
        t.get("point_contrast", float, 0.1),
        t.get("point_radius", float, None),
        t.get("margin", float, 0.0),
        seed,
        origin,
    )


def _inclusion(body, k: int) -> dict:
    if not isinstance(body, dict):
        raise SceneError(f"'model.inclusions[{k}]' must be a table ([[model.inclusions]])")
    t = Table(body, f"model.inclusions[{k}]")
    out = {key: t.get(key, "numbers") for key in ("center", "radius")}
    out["velocity"] = t.get("velocity", float)
    for key in ("rho", "q", "alpha0"):
        value = t.get(key, float, None)
        out[key] = None if value is None else _positive([value], f"{t.name}.{key}")[0]
    t.finish()
    return out


def _model_file(t: Table, base: Path):
    path = base / t.get("file", str)
    dataset = t.get("dataset", str, None)
    spacing = t.get("spacing", "numbers", None)
    origin = t.get("origin", "numbers", None)
    if not path.is_file():
        raise FileNotFoundError(f"model file {path}: no such file")
    suffix = path.suffix.lower()
    if segy.is_segy(path):
        return (*segy.read_segy_model(path, spacing, origin), None)
    if suffix in (".h5", ".hdf5", ".hdf") and dataset is None:
        if spacing is not None or origin is not None:
            raise SceneError(
                f"{path} is read as a waveback model file, which carries its own grid: remove "
                f"'model.spacing'/'model.origin', or name a plain array with 'model.dataset'"
            )
        model = files.read_model(path)
        return model.vp, model.spacing, model.origin, model
    if spacing is None:
        raise SceneError(f"'model.spacing' is required for the velocity array in {path}")
    if suffix == ".npy":
        return np.load(path, allow_pickle=False), spacing, origin, None
    if suffix in (".h5", ".hdf5", ".hdf"):
        import h5py

        with h5py.File(path, "r") as f:
            if not isinstance(f.get(dataset), h5py.Dataset):
                raise SceneError(f"{path} has no dataset {dataset!r} ('model.dataset')")
            return f[dataset][()], spacing, origin, None
    raise SceneError(
        f"model file {path}: unknown type {suffix!r}; use .npy, .h5/.hdf5 or .sgy/.segy"
    )


# ---------------------------------------------------------------------------- time and wavelet


def _time(t: Table, model: Model) -> tuple[float, int]:
    if t.has("dt") and t.has("dt_fraction"):
        raise SceneError("give at most one of 'time.dt' and 'time.dt_fraction'")
    if t.has("duration") == t.has("nt"):
        raise SceneError("give exactly one of 'time.duration' (s) and 'time.nt'")
    limit = model.critical_dt()
    fraction = t.get("dt_fraction", float, 0.6)
    if not 0 < fraction <= 1:
        raise SceneError(f"'time.dt_fraction' must be in (0, 1], got {fraction}")
    dt = t.get("dt", float, fraction * limit)
    if not dt > 0:
        raise SceneError(f"'time.dt' must be a positive number of seconds, got {dt}")
    if dt > limit:
        raise SceneError(
            f"'time.dt' = {dt:.6g} s is unstable for this model: the largest stable time step "
            f"(order {model.space_order}, {model.ndim}D, vmax {float(model.vp.max()):.6g} m/s) is "
            f"{limit:.6g} s; lower time.dt or use time.dt_fraction"
        )
    if t.has("nt"):
        nt = t.get("nt", int)
    else:
        duration = t.get("duration", float)
        if not duration > 0:
            raise SceneError(f"'time.duration' must be positive (s), got {duration}")
        nt = int(round(duration / dt)) + 1
    if nt < 1:
        raise SceneError(f"'time.nt' must be >= 1, got {nt}")
    return dt, nt


def _wavelet(t: Table, dt: float, nt: int) -> np.ndarray:
    kind = t.get("kind", str, choices=WAVELETS)
    f0 = t.get("f0", float)
    if not f0 > 0:
        raise SceneError(f"'wavelet.f0' must be a positive frequency (Hz), got {f0}")
    if kind == "ricker":
        return ricker(f0, dt, nt, t.get("t0", float, None))
    if kind == "gaussian":
        order = t.get("order", int, 1)
        return gaussian_derivative(f0, dt, nt, order, t.get("t0", float, None))
    return tone_burst(f0, t.get("cycles", float), dt, nt, t.get("t0", float, 0.0))


# ---------------------------------------------------------------------------- acquisition


def _acquisition(t: Table, model: Model, base: Path) -> list:
    kind = t.get("kind", str, choices=ACQUISITIONS)
    ext = model.extent
    try:
        if kind == "surface_line":
            depth = t.get("source_depth", float)
            return acquisition.surface_line(
                ext,
                t.get("shots", int),
                depth,
                t.get("receiver_depth", float, depth),
                t.get("receiver_spacing", float, model.spacing[-1]),
                t.get("source_x", "numbers", None),
                t.get("receiver_x", "numbers", None),
            )
        if kind == "surface_grid":
            depth = t.get("source_depth", float)
            return acquisition.surface_grid(
                ext,
                t.get("shots", "numbers"),
                depth,
                t.get("receiver_depth", float, depth),
                t.get("receiver_spacing", "numbers", list(model.spacing[1:])),
                t.get("source_y", "numbers", None),
                t.get("source_x", "numbers", None),
            )
        if kind == "linear_array":
            return _linear_array(t, model)
        if kind == "ring_array":
            elements = t.get("elements", int)
            center = t.get("center", "numbers", [0.5 * (lo + hi) for lo, hi in ext])
            return acquisition.ring_array(
                elements, t.get("radius", float), center, t.get("shots", int, elements)
            )
        return acquisition.from_csv(
            base / t.get("sources", str), base / t.get("receivers", str), model.ndim
        )
    except SceneError:
        raise
    except (ValueError, TypeError) as exc:
        raise SceneError(f"acquisition: {exc}") from None


def _linear_array(t: Table, model: Model) -> list:
    if model.ndim != 2:
        raise SceneError("a linear_array acquisition needs a 2D model")
    transmit = t.get("transmit", str, choices=("plane_wave", "focused"))
    depth = t.get("depth", float)
    center_x = t.get("center_x", float, 0.5 * sum(model.extent[1]))
    row = int(round((depth - model.origin[0]) / model.spacing[0]))
    col = int(round((center_x - model.origin[1]) / model.spacing[1]))
    nz, nx = model.shape
    local = float(model.vp[min(max(row, 0), nz - 1), min(max(col, 0), nx - 1)])
    geometry = (t.get("elements", int), t.get("pitch", float), depth, center_x)
    speed = t.get("sound_speed", float, local)
    if transmit == "plane_wave":
        angles = t.get("angles", "numbers")
        return acquisition.linear_array(*geometry, speed, angles=np.atleast_1d(angles))
    return acquisition.linear_array(*geometry, speed, foci=t.get("foci", list))
