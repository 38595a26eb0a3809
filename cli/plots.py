"""Figures of the demo: model and shot gather, and wavefield snapshots (Agg, no pyplot)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

KM = 1e-3
GATHER_PERCENTILE = 99.0  # colour clip of the shot gather, percentile of |d|
SNAPSHOT_PERCENTILE = 99.9  # colour clip of each wavefield snapshot, percentile of |u|


def clip_value(a: np.ndarray, percentile: float = 99.0) -> float:
    """Colour limit: the ``percentile`` of ``|a|``, or 1 for an all-zero array."""
    value = float(np.percentile(np.abs(a), percentile))
    return value if value > 0 else float(np.abs(a).max() or 1.0)


def model_extent_km(model) -> list[float]:
    """``imshow`` extent ``[left, right, bottom, top]`` (km) with pixels centred on nodes."""
    (z0, z1), (x0, x1) = model.extent
    hz, hx = model.spacing
    return [(x0 - hx / 2) * KM, (x1 + hx / 2) * KM, (z1 + hz / 2) * KM, (z0 - hz / 2) * KM]


def plot_shots(path: Path, survey, d: np.ndarray, shot: int) -> None:
    """The velocity model with the acquisition, and shot ``shot``'s gather ``d`` (nt, nrec)."""
    model = survey.model
    fig = Figure(figsize=(13, 4.8), layout="constrained")
    ax_model, ax_data = fig.subplots(1, 2, width_ratios=[1.4, 1])
    im = ax_model.imshow(model.vp, extent=model_extent_km(model), cmap="viridis")
    ax_model.plot(survey.rec[:, 1] * KM, survey.rec[:, 0] * KM, "w-", lw=1, label="receivers")
    ax_model.plot(survey.src[:, 1] * KM, survey.src[:, 0] * KM, "r*", ms=12, label="sources")
    ax_model.set(xlabel="x (km)", ylabel="z (km)", title="velocity model")
    ax_model.legend(loc="lower left", fontsize="small")
    fig.colorbar(im, ax=ax_model, label="vp (m/s)", shrink=0.8)

    t, x = survey.time, survey.rec[:, 1] * KM
    hx = model.spacing[1] * KM
    clip = clip_value(d, GATHER_PERCENTILE)
    ax_data.imshow(
        d,
        extent=[x[0] - hx / 2, x[-1] + hx / 2, t[-1] + survey.dt / 2, t[0] - survey.dt / 2],
        aspect="auto",
        cmap="gray",
        vmin=-clip,
        vmax=clip,
        interpolation="nearest",
    )
    ax_data.set(
        xlabel="receiver x (km)",
        ylabel="time (s)",
        title=f"shot {shot + 1}/{len(survey.src)}, source x = {survey.src[shot, 1] * KM:.2f} km"
        " (clip: 99th pct)",
    )
    fig.savefig(path, dpi=110)


def plot_wavefield(path: Path, survey, fields: np.ndarray, indices, shot: int) -> None:
    """Snapshots ``fields`` (k, nz, nx) of shot ``shot`` at time indices ``indices``."""
    model = survey.model
    extent = model_extent_km(model)
    fig = Figure(figsize=(4.6 * len(fields), 3.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(fields), sharey=True))
    (z0, _), (x0, _) = model.extent
    z = (z0 + np.arange(model.shape[0]) * model.spacing[0]) * KM
    x = (x0 + np.arange(model.shape[1]) * model.spacing[1]) * KM
    levels = np.unique(model.vp)
    boundaries = (levels[1:] + levels[:-1]) / 2
    for ax, u, n in zip(axes, fields, indices, strict=True):
        clip = clip_value(u, SNAPSHOT_PERCENTILE)
        ax.imshow(u, extent=extent, cmap="seismic", vmin=-clip, vmax=clip)
        if boundaries.size:
            ax.contour(x, z, model.vp, levels=boundaries, colors="k", linewidths=0.6, alpha=0.6)
        ax.plot(survey.src[shot, 1] * KM, survey.src[shot, 0] * KM, "k*", ms=10)
        ax.set(xlabel="x (km)", title=f"t = {n * survey.dt:.3f} s")
    axes[0].set_ylabel("z (km)")
    fig.savefig(path, dpi=110)


def plot_image(path: Path, survey, image: np.ndarray) -> None:
    """The migrated image ``(nz, nx)`` beside the true velocity model's interfaces."""
    model = survey.model
    extent = model_extent_km(model)
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.subplots()
    clip = clip_value(image, GATHER_PERCENTILE)
    ax.imshow(image, extent=extent, cmap="gray", vmin=-clip, vmax=clip)
    ax.plot(survey.src[:, 1] * KM, survey.src[:, 0] * KM, "r*", ms=10, label="sources")
    ax.set(xlabel="x (km)", ylabel="z (km)", title="reverse-time migration (smoothed velocity)")
    ax.legend(loc="lower left", fontsize="small")
    fig.savefig(path, dpi=110)
