"""The numba kernels round the same way in every process, however they were compiled.

Shots computed by pool workers, by a resumed run, or loaded from numba's on-disk cache must equal
the serial in-process result bit for bit (the scale-out and resume guarantees rest on it). A
fast-math kernel broke this once: a freshly compiled kernel and the same kernel loaded from the
cache fused ``a*b + c*d`` differently. The test compiles every kernel in a fresh process with an
empty cache, loads them from that cache in a second process, and compares both with this one.
The first process runs on all the machine's cores, the second on one thread (the work is
divided among the threads: the bits must not depend on how), this one on its share of the
cores (see ``conftest.py``).
"""

import hashlib
import os
import subprocess
import sys

import numpy as np

import waveback as wb
from waveback.physics import kernels


def _digest():
    """SHA-256 of 2D shot data and gradients, CPML with a free surface and sponge.

    (3D runs the same kernel code with one more stencil axis; compiling it in two fresh
    processes would double the test's time.)
    """
    digest = hashlib.sha256()
    for boundary, free_surface in (("cpml", True), ("sponge", False)):
        rng = np.random.default_rng(0)
        vp = (1500 + 1000 * rng.random((16, 19))).astype(np.float32)
        model = wb.Model(vp, 5.0, boundary=boundary, nbl=5, free_surface=free_surface)
        lo, hi = np.array(model.extent).T
        src = lo + rng.random((1, 2)) * (hi - lo)
        rec = lo + rng.random((4, 2)) * (hi - lo)
        dt = 0.8 * model.critical_dt()
        wavelet = wb.ricker(25.0, dt, 80)[:, None]
        data = wb.forward(model, wavelet, src, rec, dt)
        grad = wb.gradient(model, data, wavelet, src, rec, dt)
        assert np.abs(data).max() > 0 and np.abs(grad).max() > 0
        for array in (data, grad):
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _digest_in_subprocess(cache, threads):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), NUMBA_NUM_THREADS=str(threads))
    done = subprocess.run(
        [sys.executable, __file__], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_kernels_are_bitwise_reproducible_across_processes_and_cache_states(tmp_path):
    compiled = _digest_in_subprocess(tmp_path / "numba", kernels.available_cores())
    assert any((tmp_path / "numba").rglob("*.nbc")), "the first run should have filled the cache"
    loaded = _digest_in_subprocess(tmp_path / "numba", 1)
    assert compiled == loaded == _digest()


if __name__ == "__main__":
    print(_digest())


def test_3d_work_items_fit_the_l2_cache_and_share_the_rows_evenly():
    assert kernels.l2_cache_bytes() > 0
    # 2 MiB of L2 and 248-point rows of float32 at order 8: 13 live planes fit 81 rows in half
    assert kernels.cache_tile(248, 4, 4, cache=2 << 20) == 81
    assert kernels.cache_tile(248, 4, 4, cache=512 << 10) == 20
    assert kernels.cache_tile(248, 4, 8, cache=512 << 10) == 10
    assert kernels.cache_tile(10**6, 4, 4, cache=1 << 20) == 4  # never fewer than 4 rows
    for tile, nthreads in ((81, 2), (20, 2), (20, 3), (7, 16)):
        boxes = kernels.work_boxes((248, 248, 248), 4, 4, nthreads, tile=tile)
        widths = boxes[:, 3] - boxes[:, 2]
        assert widths.sum() == 240 and widths.max() <= tile and np.ptp(widths) <= 1
        assert len(boxes) % nthreads == 0
