"""Full-size imaging and inversion runs behind the figures in ``docs/figures``.

Runs, prints the measured figure of merit of each, and writes a PNG per case:

* ``rtm_layered.png``: reverse-time migration of the demo's layered model (201 x 401, 10 m)
  with a dipping interface, 16 surface shots, smoothed migration model, direct wave
  subtracted, illumination compensation and Laplacian filter; the picked depth of each flat
  reflector against its true depth.
* ``fwi_ring.png``: ultrasound computed tomography, a ring of 128 transducers around a
  128 x 128 mm phantom (two inclusions, 1500 / 1560 / 1470 m/s), 16 transmits, from water;
  relative model error and misfit reduction.
* ``fwi_seismic.png``: layers and a slow lens (100 x 200, 10 m) from surface and cross-well
  data, from a smoothed background, two frequency bands.

Usage::

    python docs/make_figures.py            # all three, about 10 minutes on 2 cores
    python docs/make_figures.py rtm        # one of rtm, ring, seismic
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.signal import hilbert

import waveback as wb
from waveback.acquisition import Shot
from waveback.models import inclusions, layered, layered_2d

FIGURES = Path(__file__).parent / "figures"


def rtm_layered():
    vp = layered_2d().astype(np.float64)
    h = 10.0
    true = wb.Model(vp, h, boundary="cpml", nbl=30)
    smooth = true.with_vp(gaussian_filter(vp, 6.0, mode="nearest"))
    dt = 0.8 * true.critical_dt()
    nt = int(2.0 / dt)
    wavelet = wb.ricker(15.0, dt, nt).reshape(-1, 1)
    nx = vp.shape[1]
    rec = np.stack([np.full(nx, 20.0), np.arange(nx) * h], axis=1)
    shots = [Shot(np.array([[20.0, x]]), rec, wavelet) for x in np.linspace(200, 3800, 16)]
    data = [wb.forward(true, s.wavelet, s.src, s.rec, dt) for s in shots]
    image = wb.rtm(
        smooth,
        shots,
        data,
        dt,
        direct="subtract",
        illumination=True,
        laplacian=True,
        progress=True,
    )
    depth = (vp.shape[0] - 1) * h
    env = np.abs(hilbert(image, axis=0))[:, 100:300].mean(axis=1)
    z = np.arange(vp.shape[0]) * h
    lines = []
    for zt in (0.2 * depth, 0.45 * depth, 0.88 * depth):
        window = np.abs(z - zt) < 100
        lines.append(
            f"flat reflector at {zt:.0f} m imaged at {z[window][np.argmax(env[window])]:.0f} m"
        )
    fig, ax = plt.subplots(figsize=(9, 4.5))
    clip = np.percentile(np.abs(image), 99)
    extent = [0, (nx - 1) * h / 1e3, depth / 1e3, 0]
    ax.imshow(image, cmap="gray", vmin=-clip, vmax=clip, extent=extent, aspect="auto")
    ax.set(xlabel="x (km)", ylabel="z (km)", title="RTM, 16 shots, layered model with a dip")
    fig.tight_layout()
    fig.savefig(FIGURES / "rtm_layered.png", dpi=120)
    return lines


def fwi_ring():
    n, h = 128, 1e-3
    c = (n - 1) * h / 2
    bodies = [
        {"center": (c + 12e-3, c - 10e-3), "radius": 14e-3, "velocity": 1560.0},
        {"center": (c - 20e-3, c + 15e-3), "radius": (8e-3, 12e-3), "velocity": 1470.0},
    ]
    vp = inclusions((n, n), h, 1500.0, bodies)
    true = wb.Model(vp, h, boundary="sponge", nbl=16)
    start = true.with_vp(np.full((n, n), 1500.0))
    dt = 0.8 * true.with_vp(np.full((n, n), 1700.0)).critical_dt()
    nt = int(130e-6 / dt)
    angle = np.linspace(0, 2 * np.pi, 128, endpoint=False)
    ring = np.stack([c + 60 * h * np.sin(angle), c + 60 * h * np.cos(angle)], axis=1)
    wavelet = wb.ricker(150e3, dt, nt).reshape(-1, 1)
    shots = [Shot(ring[i : i + 1], ring, wavelet) for i in range(0, 128, 8)]
    data = [wb.forward(true, s.wavelet, s.src, s.rec, dt) for s in shots]
    result = wb.fwi(
        start,
        shots,
        data,
        dt,
        bounds=(1400.0, 1700.0),
        bands=(100e3, None),
        iterations=15,
        progress=True,
    )
    error = np.linalg.norm(result.vp - vp) / np.linalg.norm(start.vp - vp)
    _plot_inversion("fwi_ring.png", vp, start.vp, result, h * 1e3, "mm", "ring array, 16 transmits")
    return [
        f"relative model error {error:.3f} of the starting model's",
        f"misfit {result.initial_misfit[-1]:.3g} -> {result.misfit[-1]:.3g} (last band)",
    ]


def fwi_seismic():
    nz, nx, h = 100, 200, 10.0
    background = layered((nz, nx), h, [300.0, 660.0], [1800.0, 2000.0, 2300.0])
    z, x = np.meshgrid(np.arange(nz) * h, np.arange(nx) * h, indexing="ij")
    vp = background - 250.0 * np.exp(-((z - 480) ** 2 + (x - 1000) ** 2) / (2 * 100.0**2))
    true = wb.Model(vp, h, boundary="sponge", nbl=20)
    start = true.with_vp(gaussian_filter(background, 10.0, mode="nearest"))
    dt = 0.8 * true.with_vp(np.full(vp.shape, 2800.0)).critical_dt()
    wavelet = wb.ricker(10.0, dt, int(1.6 / dt)).reshape(-1, 1)
    surface = np.stack([np.full(nx, 10.0), np.arange(nx) * h], axis=1)
    well = np.stack([np.arange(2, nz - 1) * h, np.full(nz - 3, (nx - 3) * h)], axis=1)
    rec = np.concatenate([surface, well])
    sources = [[zs, 20.0] for zs in np.linspace(50, 950, 8)] + [[10.0, x] for x in (500, 1500)]
    shots = [Shot(np.array([s]), rec, wavelet) for s in sources]
    data = [wb.forward(true, s.wavelet, s.src, s.rec, dt) for s in shots]
    result = wb.fwi(
        start,
        shots,
        data,
        dt,
        bounds=(1400.0, 2800.0),
        bands=(6.0, None),
        iterations=20,
        depth_scaling=1.0,
        progress=True,
    )
    error = np.linalg.norm(result.vp - vp) / np.linalg.norm(start.vp - vp)
    _plot_inversion("fwi_seismic.png", vp, start.vp, result, h, "m", "layers and a lens")
    return [
        f"relative model error {error:.3f} of the starting model's",
        f"misfit {result.initial_misfit[-1]:.3g} -> {result.misfit[-1]:.3g} (last band)",
    ]


def _plot_inversion(name, true, start, result, h, unit, title):
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.8))
    extent = [0, (true.shape[1] - 1) * h, (true.shape[0] - 1) * h, 0]
    lo, hi = true.min(), true.max()
    panels = zip(axes[:3], (true, start, result.vp), ("true", "start", "FWI"), strict=True)
    for ax, field, label in panels:
        im = ax.imshow(field, vmin=lo, vmax=hi, cmap="viridis", extent=extent, aspect="auto")
        ax.set(title=f"{label} (m/s)", xlabel=f"x ({unit})", ylabel=f"z ({unit})")
    fig.colorbar(im, ax=axes[2])
    axes[3].semilogy(result.misfit, "o-")
    axes[3].set(title="misfit per iteration", xlabel="iteration")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(FIGURES / name, dpi=110)


CASES = {"rtm": rtm_layered, "ring": fwi_ring, "seismic": fwi_seismic}


def main():
    FIGURES.mkdir(exist_ok=True)
    warnings.simplefilter("ignore", UserWarning)
    for name in sys.argv[1:] or list(CASES):
        t = time.perf_counter()
        lines = CASES[name]()
        print(f"{name} ({time.perf_counter() - t:.0f} s):")
        for line in lines:
            print(f"  {line}")


if __name__ == "__main__":
    main()
