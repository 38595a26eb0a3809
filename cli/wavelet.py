"""The ``--wavelet`` option of commands that take recorded data: ``ricker:F0``, .npy or HDF5.

Data from another tool (SEG-Y) carry no wavelet; imaging and inversion then need one.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

import waveback as wb

HELP = (
    "Source wavelet for data that carry none: ricker:F0 (peak frequency in Hz), a .npy file "
    "of nt samples, or FILE.h5:/path/to/dataset."
)


def load_wavelet(spec: str, dt: float, nt: int) -> np.ndarray:
    """The ``(nt,)`` wavelet that ``spec`` names, sampled at ``t_n = n dt`` (s).

    Parameters
    ----------
    spec : str
        ``ricker:F0`` (a Ricker wavelet of peak frequency F0 Hz, peak at ``1 / F0``), a ``.npy``
        file, or ``FILE.h5:/dataset`` (``.h5``/``.hdf5``), holding ``nt`` samples.
    dt : float
        Sample interval (s) of the data.
    nt : int
        Number of samples of the data.
    """
    if spec.startswith("ricker:"):
        try:
            f0 = float(spec.split(":", 1)[1])
        except ValueError:
            raise ValueError(f"--wavelet {spec}: give ricker:F0 with F0 in Hz") from None
        if not f0 > 0:
            raise ValueError(f"--wavelet {spec}: the peak frequency must be positive (Hz)")
        return wb.ricker(f0, dt, nt)
    name, _, dataset = spec.partition(":")
    path = Path(name)
    if not path.is_file():
        raise FileNotFoundError(f"--wavelet {spec}: no such file {path}")
    if path.suffix.lower() == ".npy":
        w = np.load(path, allow_pickle=False)
    elif path.suffix.lower() in (".h5", ".hdf5"):
        with h5py.File(path, "r") as f:
            if not isinstance(f.get(dataset or ""), h5py.Dataset):
                raise ValueError(f"--wavelet {spec}: give FILE.h5:/dataset naming a dataset")
            w = f[dataset][()]
    else:
        raise ValueError(f"--wavelet {spec}: expected ricker:F0, a .npy or an HDF5 file")
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    if w.size != nt or not np.all(np.isfinite(w)):
        raise ValueError(f"--wavelet {spec}: need {nt} finite samples, got {w.size}")
    return w
