"""Figures: velocity models, inversions, gathers, wavefield snapshots, images (Agg, no pyplot).

Every figure shows a z-x section (in 3D the middle y slice), distances in km when the model
spans more than a metre and in mm otherwise, times in s, or in µs for sample intervals below
10 µs (ultrasound). Each ``plot_*`` function writes its figure and returns it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

GATHER_PERCENTILE = 99.0  # colour clip of gathers and images, percentile of |d|
SNAPSHOT_PERCENTILE = 99.9  # colour clip of each wavefield snapshot, percentile of |u|
DPI = 110
MICROSECONDS_BELOW = 1e-5  # s: time axes in µs for sample intervals below this


def band_label(f_max) -> str:
    """Name of a frequency band by its low-pass limit (Hz); None or NaN is the full band."""
    return "full band" if f_max is None or np.isnan(f_max) else f"up to {f_max:g} Hz"


def clip_value(a: np.ndarray, percentile: float = 99.0) -> float:
    """Colour limit: the ``percentile`` of ``|a|``, or 1 for an all-zero array."""
    value = float(np.percentile(np.abs(a), percentile))
    return value if value > 0 else float(np.abs(a).max() or 1.0)


def section(a: np.ndarray) -> np.ndarray:
    """The z-x section of a model-shaped array: itself in 2D, the middle y slice in 3D."""
    return a[:, a.shape[1] // 2, :] if a.ndim == 3 else a


def length_unit(spacing, shape) -> tuple[float, str]:
    """Scale factor and name of the unit for axes: km above 1 m of extent, else mm."""
    size = max(h * (n - 1) for h, n in zip(spacing, shape, strict=True))
    return (1e-3, "km") if size > 1.0 else (1e3, "mm")


def time_unit(dt: float) -> tuple[float, str]:
    """Scale factor and name of the unit for time axes: µs below 10 µs steps, else s."""
    return (1e6, "µs") if dt < MICROSECONDS_BELOW else (1.0, "s")


def grid_extent(shape, spacing, origin, scale: float) -> list[float]:
    """``imshow`` extent ``[left, right, bottom, top]`` of a z-x section, pixels on nodes."""
    (nz, nx), (hz, hx), (z0, x0) = (
        (shape[0], shape[-1]),
        (spacing[0], spacing[-1]),
        (
            origin[0],
            origin[-1],
        ),
    )
    return [
        (x0 - hx / 2) * scale,
        (x0 + (nx - 0.5) * hx) * scale,
        (z0 + (nz - 0.5) * hz) * scale,
        (z0 - hz / 2) * scale,
    ]


#: What ``plot_model`` can draw: the velocity, the density, or Q at the reference frequency.
MODEL_FIELDS = ("vp", "rho", "q")


def model_field(model, field: str = "vp") -> tuple[np.ndarray, str, str]:
    """``(values, colour-bar label, title)`` of a model's ``field`` (:data:`MODEL_FIELDS`).

    ``q`` is the requested quality factor at the attenuation's reference frequency
    :math:`\\sqrt{f_{lo} f_{hi}}` (for a power law :math:`Q = \\pi f / (\\alpha(f)\\, v_p)`),
    point by point. A field the model does not have is a ``ValueError``.
    """
    if field == "vp":
        return model.vp, "vp (m/s)", "velocity model"
    if field == "rho":
        if model.rho is None:
            raise ValueError("the model has no density (constant density); plot --field vp or q")
        return model.rho, "ρ (kg/m³)", "density"
    if field == "q":
        att = model.attenuation
        if att is None:
            raise ValueError("the model has no attenuation (lossless); plot --field vp or rho")
        q = 1.0 / np.broadcast_to(att.inverse_q_scale(model.vp), model.shape)
        f_ref = att.reference_frequency
        return q, f"Q at {f_ref:.4g} Hz (dimensionless)", f"quality factor at {f_ref:.4g} Hz"
    raise ValueError(f"field must be one of {', '.join(MODEL_FIELDS)}, got {field!r}")


def plot_model(path: Path, model, survey=None, field: str = "vp") -> Figure:
    """The section of a model's ``field`` (:func:`model_field`), with ``survey``'s positions."""
    model_field(model, field)
    fig = Figure(figsize=(8, 4.6), dpi=DPI, layout="constrained")
    _model_axes(fig, fig.subplots(), model, survey, field)
    fig.savefig(path, dpi=DPI)
    return fig


def plot_inversion(path: Path, model, curve) -> Figure:
    """An inverted model beside its misfit curve (``waveback.data.files.MisfitCurve``), log scale.

    Iterations are counted over all bands; each band's line starts at the misfit of its
    starting model (the low-passed data of a new band have a misfit of their own).
    """
    fig = Figure(figsize=(13, 4.6), dpi=DPI, layout="constrained")
    ax_model, ax_misfit = fig.subplots(1, 2, width_ratios=[1.4, 1])
    _model_axes(fig, ax_model, model, None)
    ax_model.set_title(
        "inverted velocity model" + (" (middle y section)" if model.ndim == 3 else "")
    )
    first = 0
    for b, initial in enumerate(curve.initial_misfit):
        misfit = np.concatenate([[initial], curve.misfit[curve.band == b]])
        iteration = first + np.arange(misfit.size)
        ax_misfit.plot(iteration, misfit, "o-", ms=3, label=band_label(curve.bands[b]))
        first = iteration[-1]
    if np.all(np.concatenate([curve.initial_misfit, curve.misfit]) > 0):
        ax_misfit.set_yscale("log")
    ax_misfit.set(xlabel="iteration", ylabel="misfit ½‖d − d_obs‖²", title="misfit")
    ax_misfit.grid(True, which="both", alpha=0.3)
    ax_misfit.legend(fontsize="small")
    fig.savefig(path, dpi=DPI)
    return fig


def plot_gather(
    path: Path, survey, d: np.ndarray, shot: int, percentile: float = GATHER_PERCENTILE
) -> Figure:
    """Shot ``shot``'s gather ``d`` (nt, nrec), beside the model and acquisition if known.

    The grey scale is clipped at the ``percentile`` of ``|d|``.
    """
    width = 13 if survey.model is not None else 7
    fig = Figure(figsize=(width, 4.8), dpi=DPI, layout="constrained")
    if survey.model is not None:
        ax_model, ax_data = fig.subplots(1, 2, width_ratios=[1.4, 1])
        _model_axes(fig, ax_model, survey.model, survey)
    else:
        ax_data = fig.subplots()
    rec = survey.shots[shot].rec
    t_scale, t_unit = time_unit(survey.dt)
    t, dt = survey.time * t_scale, survey.dt * t_scale
    clip = clip_value(d, percentile)
    style = {"aspect": "auto", "cmap": "gray", "vmin": -clip, "vmax": clip}
    if survey.ndim == 2 and np.all(np.diff(rec[:, 1]) > 0):
        scale, unit = _unit(survey)
        x = rec[:, 1] * scale
        hx = (x[-1] - x[0]) / max(len(x) - 1, 1) / 2
        extent = [x[0] - hx, x[-1] + hx, t[-1] + dt / 2, t[0] - dt / 2]
        xlabel = f"receiver x ({unit})"
    else:
        extent = [0.5, len(rec) + 0.5, t[-1] + dt / 2, t[0] - dt / 2]
        xlabel = "receiver number"
    ax_data.imshow(d, extent=extent, interpolation="nearest", **style)
    ax_data.set(
        xlabel=xlabel,
        ylabel=f"time ({t_unit})",
        title=f"shot {shot + 1}/{len(survey.shots)} (clip: {percentile:g}th pct)",
    )
    fig.savefig(path, dpi=DPI)
    return fig


def plot_wavefield(path: Path, survey, fields: np.ndarray, indices, shot: int) -> Figure:
    """Snapshots ``fields`` (k, *shape) of shot ``shot`` at time indices ``indices``."""
    model = survey.model
    scale, unit = _unit(survey)
    extent = grid_extent(model.shape, model.spacing, model.origin, scale)
    t_scale, t_unit = time_unit(survey.dt)
    fig = Figure(figsize=(4.6 * len(fields), 3.6), dpi=DPI, layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(fields), sharey=True))
    vp = section(model.vp)
    z = (model.origin[0] + np.arange(vp.shape[0]) * model.spacing[0]) * scale
    x = (model.origin[-1] + np.arange(vp.shape[1]) * model.spacing[-1]) * scale
    levels = np.unique(vp)
    boundaries = (levels[1:] + levels[:-1]) / 2 if levels.size < 16 else np.array([])
    src = survey.shots[shot].src
    for ax, u, n in zip(axes, fields, indices, strict=True):
        u = section(u)
        clip = clip_value(u, SNAPSHOT_PERCENTILE)
        ax.imshow(u, extent=extent, cmap="seismic", vmin=-clip, vmax=clip)
        if boundaries.size:
            ax.contour(x, z, vp, levels=boundaries, colors="k", linewidths=0.6, alpha=0.6)
        ax.plot(src[:, -1] * scale, src[:, 0] * scale, "k*", ms=8)
        ax.set(xlabel=f"x ({unit})", title=f"t = {n * survey.dt * t_scale:.4g} {t_unit}")
    axes[0].set_ylabel(f"z ({unit})")
    fig.savefig(path, dpi=DPI)
    return fig


def plot_image(
    path: Path, image, title: str = "image", survey=None, percentile: float = GATHER_PERCENTILE
) -> Figure:
    """An image (``waveback.data.files.Image``), with the sources of ``survey`` if given.

    The grey scale is clipped at the ``percentile`` of the image's absolute values (of the
    section shown), as gathers are.
    """
    data = section(image.data)
    scale, unit = length_unit(image.spacing, image.data.shape)
    fig = Figure(figsize=(8, 4.4), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    clip = clip_value(data, percentile)
    extent = grid_extent(image.data.shape, image.spacing, image.origin, scale)
    ax.imshow(data, extent=extent, cmap="gray", vmin=-clip, vmax=clip)
    if survey is not None:
        src = np.concatenate([s.src for s in survey.shots])
        ax.plot(src[:, -1] * scale, src[:, 0] * scale, "r*", ms=8, label="sources")
        ax.legend(loc="lower left", fontsize="small")
    title = f"{title} (clip: {percentile:g}th pct)"
    ax.set(xlabel=f"x ({unit})", ylabel=f"z ({unit})", title="\n".join(textwrap.wrap(title, 70)))
    fig.savefig(path, dpi=DPI)
    return fig


def _unit(survey) -> tuple[float, str]:
    if survey.model is not None:
        return length_unit(survey.model.spacing, survey.model.shape)
    pts = np.concatenate([np.concatenate([s.src, s.rec]) for s in survey.shots])
    return (1e-3, "km") if np.ptp(pts, axis=0).max() > 1.0 else (1e3, "mm")


def _model_axes(fig, ax, model, survey, field: str = "vp") -> None:
    values, label, title = model_field(model, field)
    scale, unit = length_unit(model.spacing, model.shape)
    extent = grid_extent(model.shape, model.spacing, model.origin, scale)
    im = ax.imshow(section(values), extent=extent, cmap="viridis")
    if survey is not None:
        rec = np.concatenate([s.rec for s in survey.shots])
        src = np.concatenate([s.src for s in survey.shots])
        ax.plot(
            rec[:, -1] * scale,
            rec[:, 0] * scale,
            "v",
            color="w",
            mec="k",
            mew=0.4,
            ms=3,
            label="receivers",
        )
        ax.plot(src[:, -1] * scale, src[:, 0] * scale, "r*", ms=8, label="sources")
        ax.legend(loc="lower left", fontsize="small", markerscale=2)
    title += " (middle y section)" if model.ndim == 3 else ""
    ax.set(xlabel=f"x ({unit})", ylabel=f"z ({unit})", title=title)
    fig.colorbar(im, ax=ax, label=label, shrink=0.8)


def plot_wavelet(path: Path, wavelet: np.ndarray, dt: float, title: str = "wavelet") -> None:
    """A wavelet (ms) beside its amplitude spectrum (Hz), normalised to its peak."""
    t = np.arange(wavelet.size) * dt
    f = np.fft.rfftfreq(wavelet.size, dt)
    amplitude = np.abs(np.fft.rfft(wavelet))
    fig = Figure(figsize=(10, 3.5))
    time_ax, spectrum_ax = fig.subplots(1, 2)
    time_ax.plot(t * 1e3, wavelet, lw=1)
    time_ax.set(xlabel="time (ms)", ylabel="amplitude", title=title)
    spectrum_ax.plot(f, amplitude / (amplitude.max() or 1.0), lw=1)
    spectrum_ax.set(xlabel="frequency (Hz)", ylabel="amplitude (normalised)", title="spectrum")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
