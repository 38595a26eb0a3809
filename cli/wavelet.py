"""The ``--wavelet`` option of commands that take recorded data: ``ricker:F0``, .npy or HDF5.

Data from another tool (SEG-Y) carry no wavelet; imaging and inversion then need one. An HDF5
file given alone is read at :data:`DATASET`, where ``waveback wavelet`` writes its estimate
with its sample interval (attribute ``dt``, s).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

import waveback as wb

HELP = (
    "Source wavelet for data that carry none: ricker:F0 (peak frequency in Hz), a .npy file "
    "of nt samples, or FILE.h5:/path/to/dataset (FILE.h5 alone reads /wavelet, as written by "
    "waveback wavelet)."
)

#: The dataset of a wavelet file.
DATASET = "/wavelet"


def load_wavelet(spec: str, dt: float, nt: int) -> np.ndarray:
    """The ``(nt,)`` wavelet that ``spec`` names, sampled at ``t_n = n dt`` (s).

    Parameters
    ----------
    spec : str
        ``ricker:F0`` (a Ricker wavelet of peak frequency F0 Hz, peak at ``1 / F0``), a ``.npy``
        file, or ``FILE.h5:/dataset`` (``.h5``/``.hdf5``; :data:`DATASET` if none is named),
        holding ``nt`` samples. A dataset with a ``dt`` attribute must have the data's.
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
        dataset = dataset or DATASET
        with h5py.File(path, "r") as f:
            if not isinstance(f.get(dataset), h5py.Dataset):
                raise ValueError(
                    f"--wavelet {spec}: {path} has no dataset {dataset}; give FILE.h5:/dataset "
                    f"naming a dataset"
                )
            w = f[dataset][()]
            stored_dt = f[dataset].attrs.get("dt")
        if stored_dt is not None and not np.isclose(float(stored_dt), dt, rtol=1e-9, atol=0):
            raise ValueError(
                f"--wavelet {spec}: the wavelet is sampled at dt = {float(stored_dt):.6g} s, the "
                f"data at {dt:.6g} s: estimate it from these data (waveback wavelet)"
            )
    else:
        raise ValueError(f"--wavelet {spec}: expected ricker:F0, a .npy or an HDF5 file")
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    if w.size != nt or not np.all(np.isfinite(w)):
        raise ValueError(f"--wavelet {spec}: need {nt} finite samples, got {w.size}")
    return w
