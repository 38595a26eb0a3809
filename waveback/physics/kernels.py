"""Numba kernels of one leapfrog time step (forward direction).

Every kernel works on C-contiguous arrays of the *padded* grid shaped ``(nz, ny, nx)``; a 2D
problem is the same array with ``ny = 1`` and no stencil along y (its coefficient tuple has
length 1). Invariants a reader needs:

* The outermost ``r = space_order // 2`` points of every stencilled axis form a halo that no
  kernel updates; it stays zero, except the top rows under a free surface, which hold the
  mirrored (negated) wavefield written by :func:`mirror_free_surface`.
* ``w2 = dt**2 * vp**2`` on the padded grid, so the interior update is
  ``u_next = 2 u - u_prev + w2 * (L u + s)``; ``u_next`` overwrites ``u_prev`` in place.
* CPML memory variables ``psi`` and ``zeta`` of an axis are non-zero only inside that axis's
  two absorbing slabs, where its profile ``a`` is non-zero.
* Stencil coefficients arrive as tuples (so each order compiles to its own fully unrolled
  specialisation), already divided by ``h**2`` (second derivative, ``c_0..c_M``) or ``h``
  (first derivative, ``g_1..g_M``), in the wavefield's dtype, so nothing is promoted to float64.
* Row kernels index flat arrays with unsigned integers (no negative-index wrap-around test),
  which lets LLVM vectorise the x loop; the ``prange`` drivers only split rows into blocks.
* Row kernels flush subnormal numbers to zero while they run (x86 MXCSR FTZ/DAZ, restored on
  exit): the faint precursors ahead of a wavefront would otherwise be subnormal and slow every
  operation on them a hundredfold. Values below ~1e-38 (float32) are thereby treated as zero.
"""

from __future__ import annotations

import os
import platform

import numpy as np
from llvmlite import ir
from numba import njit, prange, types, uint64
from numba.core import cgutils
from numba.extending import intrinsic

# No ``contract`` or ``reassoc`` among the fast-math flags: with them LLVM may fuse ``a*b + c*d``
# either way round, and a kernel compiled in one process and loaded from numba's cache in another
# then rounds differently. Without them every operation is IEEE and results are bitwise
# reproducible across processes, thread counts and cache states (shots, resumed runs, workers).
SERIAL = dict(fastmath={"nnan", "ninf", "nsz"}, cache=True, nogil=True)
PARALLEL = dict(parallel=True, cache=True, nogil=True)
_FTZ_DAZ = 0x8040  # MXCSR flush-to-zero and denormals-are-zero bits


def _mxcsr(builder, name, value_ptr):
    fnty = ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer()])
    fn = cgutils.get_or_insert_function(builder.module, fnty, name)
    builder.call(fn, [builder.bitcast(value_ptr, ir.IntType(8).as_pointer())])


@intrinsic
def _x86_swap_fp_mode(typingctx, bits):
    """OR ``bits`` into this thread's MXCSR; return the previous MXCSR."""

    def codegen(context, builder, signature, args):
        old = cgutils.alloca_once(builder, ir.IntType(32))
        _mxcsr(builder, "llvm.x86.sse.stmxcsr", old)
        new = cgutils.alloca_once(builder, ir.IntType(32))
        builder.store(builder.or_(builder.load(old), builder.trunc(args[0], ir.IntType(32))), new)
        _mxcsr(builder, "llvm.x86.sse.ldmxcsr", new)
        return builder.zext(builder.load(old), ir.IntType(64))

    return types.int64(types.int64), codegen


@intrinsic
def _x86_set_fp_mode(typingctx, value):
    """Load ``value`` into this thread's MXCSR."""

    def codegen(context, builder, signature, args):
        new = cgutils.alloca_once(builder, ir.IntType(32))
        builder.store(builder.trunc(args[0], ir.IntType(32)), new)
        _mxcsr(builder, "llvm.x86.sse.ldmxcsr", new)
        return context.get_dummy_value()

    return types.void(types.int64), codegen


if platform.machine().lower() in ("x86_64", "amd64"):

    @njit(inline="always")
    def flush_subnormals():
        return _x86_swap_fp_mode(_FTZ_DAZ)

    @njit(inline="always")
    def restore_fp_mode(old):
        _x86_set_fp_mode(old)

else:  # other processors keep IEEE subnormals (correct, only slower)

    @njit(inline="always")
    def flush_subnormals():
        return 0

    @njit(inline="always")
    def restore_fp_mode(old):
        return None


@njit(**SERIAL)
def _update_rows(
    u, u_prev, u_next, w2, cz, cy, cx, sponge_z, sponge_y, sponge_x, x_lo, x_hi, box, image, fields
):
    """``u_next <- 2u - u_prev + w2 L u`` on the rows of ``box`` (damped in sponges).

    ``u_prev is None`` updates in place (``u_prev`` is ``u_next``): a separate specialisation,
    in which LLVM sees one array and vectorises without a run-time aliasing test. ``image``
    (or None) accumulates the imaging condition, see :func:`laplacian_step`.
    """
    nz, ny, nx = u.shape
    rx = len(cx) - 1
    uf, nf, wf = u.reshape(-1), u_next.reshape(-1), w2.reshape(-1)
    pf = nf if u_prev is None else u_prev.reshape(-1)
    fp_mode = flush_subnormals()
    for row in range((box[1] - box[0]) * (box[3] - box[2])):
        iz, iy = box[0] + row // (box[3] - box[2]), box[2] + row % (box[3] - box[2])
        update_row(uf, pf, nf, wf, cz, cy, cx, sponge_z, sponge_y, sponge_x, x_lo, x_hi, iz, iy)
        if image is not None:
            base = uint64((iz * ny + iy) * nx + rx)
            sponge_row = sponge_z[iz] * sponge_y[iy]
            image_row(image.reshape(-1), uf, fields, base, nx - 2 * rx, sponge_row, sponge_x, rx)
    restore_fp_mode(fp_mode)


@njit(inline="always")
def update_row(uf, pf, nf, wf, cz, cy, cx, sponge_z, sponge_y, sponge_x, x_lo, x_hi, iz, iy):
    """The update of padded row ``(iz, iy)`` of flat fields, ``L u`` computed point by point in
    the loop that writes ``u_next`` (one pass over the row, no row buffer).

    A row with any damping (``K != 1``, or columns outside ``x_lo..x_hi``) takes the sponge
    form at every point: one loop, since loops of a few tens of points (the damped ends of a
    row) would run unvectorised. Its interior, ``K = 1``, rounds exactly as the undamped form
    ``(2u + w2 L u) - u_prev`` of the other rows.
    """
    ny, nx = sponge_y.size, sponge_x.size
    rx = len(cx) - 1
    n = nx - 2 * rx
    base = uint64((iz * ny + iy) * nx + rx)
    sponge_row = sponge_z[iz] * sponge_y[iy]
    if sponge_row != 1 or x_lo != 0 or x_hi != n:
        _damped_update(uf, pf, nf, wf, cz, cy, cx, ny, base, n, sponge_row, sponge_x)
        return
    for q in range(n):
        i = base + uint64(q)
        nf[i] = uf[i] + uf[i] + wf[i] * laplacian_at(uf, cz, cy, cx, i, ny, nx) - pf[i]


@njit(inline="always")
def laplacian_at(uf, cz, cy, cx, i, ny, nx):
    """``(L u)`` at flat index ``i`` of a padded field of rows ``nx`` long, ``ny`` per plane."""
    rz, ry, rx = len(cz) - 1, len(cy) - 1, len(cx) - 1
    sz, sy = uint64(ny * nx), uint64(nx)
    acc = (cz[0] + cy[0] + cx[0]) * uf[i]
    for k in range(1, rz + 1):
        acc += cz[k] * (uf[i - uint64(k) * sz] + uf[i + uint64(k) * sz])
    for k in range(1, ry + 1):
        acc += cy[k] * (uf[i - uint64(k) * sy] + uf[i + uint64(k) * sy])
    for k in range(1, rx + 1):
        acc += cx[k] * (uf[i - uint64(k)] + uf[i + uint64(k)])
    return acc


@njit(inline="always")
def laplacian_row(uf, cz, cy, cx, iz, iy, ny, nx, lap):
    """``lap[j] = (L u)`` at the non-halo points ``j`` of padded row ``(iz, iy)``; returns the
    flat index of the row's first non-halo point."""
    rx = len(cx) - 1
    base = uint64((iz * ny + iy) * nx + rx)
    for j in range(nx - 2 * rx):
        lap[j] = laplacian_at(uf, cz, cy, cx, base + uint64(j), ny, nx)
    return base


@njit(inline="always")
def _scattered(f_next, f, f_prev, k2, one):
    """``D = f_next - 2K f + (2K - 1) f_prev`` with ``k2 = 2K`` (``one``: 1 in the fields'
    dtype): the Born source and, in its transpose, the imaging condition, as one expression."""
    return f_next - k2 * f + (k2 - one) * f_prev


@njit(inline="always")
def image_row(out, uf, fields, base, n, sponge_row, sponge_x, rx):
    """``out += u * D`` on ``n`` points of a row, ``D`` as in :func:`scattering`."""
    hn, h, hp = fields[0].reshape(-1), fields[1].reshape(-1), fields[2].reshape(-1)
    one = uf.dtype.type(1)
    for jq in range(n):
        j = uint64(jq)
        i = base + j
        k2 = (sponge_row + sponge_row) * sponge_x[uint64(rx) + j]
        out[i] += uf[i] * _scattered(hn[i], h[i], hp[i], k2, one)


@njit(inline="always")
def _damped_update(uf, pf, nf, wf, cz, cy, cx, ny, base, n, sponge_row, sponge_x):
    """Sponge form ``u_next <- K (2u + w2 L u) - (2K - 1) u_prev`` on the ``n`` non-halo points
    of a row.

    ``K = 1 / (1 + s)`` is the product of the per-axis factors (see :func:`laplacian_step`).
    """
    nx, rx, one = sponge_x.size, len(cx) - 1, nf.dtype.type(1)
    for jq in range(n):
        j = uint64(jq)
        i = base + j
        lap = laplacian_at(uf, cz, cy, cx, i, ny, nx)
        k = sponge_row * sponge_x[uint64(rx) + j]
        nf[i] = k * (uf[i] + uf[i] + wf[i] * lap) - (k + k - one) * pf[i]


@njit(**PARALLEL)
def laplacian_step(
    u,
    u_prev,
    u_next,
    w2,
    cz,
    cy,
    cx,
    sponge_z,
    sponge_y,
    sponge_x,
    x_lo,
    x_hi,
    boxes,
    image=None,
    fields=None,
):
    """Leapfrog update of every non-halo point: ``u_next <- 2u - u_prev + w2 L u``.

    ``u_prev=None`` updates ``u_next`` in place (it holds ``u_prev`` on entry); an array writes
    the new time level into a separate ``u_next`` (a slot of a stored history) without a copy.
    ``image`` and ``fields = (f_next, f, f_prev)`` (stored forward fields) also accumulate
    ``image += u * D`` on the updated points, ``D = f_next - 2K f + (2K - 1) f_prev``: in an
    adjoint step (``u = q^n``) that is one step of the gradient's imaging condition (see
    :func:`scattering`), fused into the sweep that reads ``u`` anyway.

    In a sponge, ``u_tt + sigma u_t = v^2 (L u + s)`` with a centred ``u_t`` gives the damped
    form ``u_next <- (2u - (1 - s) u_prev + w2 L u) / (1 + s)``, ``s = sigma dt / 2``, written
    as ``K (2u + w2 L u) - (2K - 1) u_prev`` with the sponge factor ``K = 1 / (1 + s)``
    (``q`` names the adjoint variable). The damping is separable as a product,
    ``K = sponge_z[iz] sponge_y[iy] sponge_x[ix]`` (``sponge = 1`` outside the layers), so no
    division is needed. Columns ``x_lo..x_hi`` of a row (counted from the first non-halo
    column) are known to be free of damping. ``boxes[i] = (z0, z1, y0, y1)`` are
    the row ranges of the parallel work items (see :func:`work_boxes`).
    """
    for item in prange(boxes.shape[0]):
        _update_rows(
            u,
            u_prev,
            u_next,
            w2,
            cz,
            cy,
            cx,
            sponge_z,
            sponge_y,
            sponge_x,
            x_lo,
            x_hi,
            boxes[item],
            image,
            fields,
        )


@njit(inline="always")
def d1(f, i, stride, g):
    """Centred first difference ``sum_k g_k (f[i + k s] - f[i - k s])``, ``g`` holding ``g_k/h``."""
    acc = f.dtype.type(0)
    for k in range(1, len(g) + 1):
        acc += g[k - 1] * (f[i + uint64(k) * stride] - f[i - uint64(k) * stride])
    return acc


@njit(inline="always")
def d2(f, i, stride, c):
    """Centred second difference ``c_0 f[i] + sum_k c_k (f[i + k s] + f[i - k s])``."""
    acc = c[0] * f[i]
    for k in range(1, len(c)):
        acc += c[k] * (f[i + uint64(k) * stride] + f[i - uint64(k) * stride])
    return acc


@njit(**PARALLEL)
def scattering(out, weight, u_next, u, u_prev, sponge_z, sponge_y, sponge_x):
    """``out = weight * D``, ``D = u_next - 2K u + (2K - 1) u_prev`` (``K``: sponge factor).

    ``D`` is the part of one update that scales with ``w2`` (see ``Propagator.born_scale``):
    with ``weight = -dm/m`` it is the Born secondary source. Its transpose, the gradient's
    imaging condition ``image += q D``, runs inside the adjoint step (:func:`laplacian_step`).
    ``out`` may be of higher precision than the fields.
    """
    nz, ny, nx = u.shape
    one = u.dtype.type(1)
    for iz in prange(nz):
        for iy in range(ny):
            kzy = sponge_z[iz] * sponge_y[iy]
            for ix in range(nx):
                k2 = (kzy + kzy) * sponge_x[ix]
                d = _scattered(u_next[iz, iy, ix], u[iz, iy, ix], u_prev[iz, iy, ix], k2, one)
                out[iz, iy, ix] = weight[iz, iy, ix] * d


def work_boxes(shape, rz, ry, nthreads, tile=None, whole=(), itemsize=4):
    """Parallel work items ``(z0, z1, y0, y1)`` covering the non-halo rows of a padded grid.

    2D (``ny == 1``): ``4 * nthreads`` chunks of z. 3D: tiles of at most ``tile`` y-rows over
    every z, so that the planes a z-stencil reads stay in cache while a tile is swept (by
    default :func:`cache_tile` sizes them for this processor's L2 cache); their number is a
    multiple of ``nthreads`` and their widths are equal to within one row, so the threads share
    the work evenly. No edge between items falls strictly inside one of the index ranges
    ``whole = ((start, stop), ...)`` of the split axis (z in 2D, y in 3D): an edge there moves
    to the nearer end of the range, so that each range is swept by one item (the CPML kernels
    pipeline their memory updates within an item).
    """
    nz, ny = shape[0], shape[1]
    if ny == 1:
        lo, hi, n = rz, nz - rz, 4 * nthreads
    else:
        lo, hi = ry, ny - ry
        tile = cache_tile(shape[2], rz, itemsize) if tile is None else tile
        n = nthreads * max(1, -(-(hi - lo) // (nthreads * tile)))
    edges = [lo + i * (hi - lo) // n for i in range(n + 1)]
    for start, stop in whole:
        edges = [
            e if not start < e < stop else min((start, stop), key=lambda b: abs(b - e))
            for e in edges
        ]
    edges = sorted(set(edges))
    spans = [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]
    if ny == 1:
        return np.array([(z0, z1, 0, 1) for z0, z1 in spans], dtype=np.int64)
    return np.array([(rz, nz - rz, y0, y1) for y0, y1 in spans], dtype=np.int64)


def cache_tile(nx, rz, itemsize, cache=None):
    """The y-rows of a 3D work item whose sweep keeps its working set in half the L2 cache.

    Sweeping a tile plane by plane reuses each plane of ``u`` for the ``2 rz + 1`` planes of the
    z-stencil, beside one plane each of ``u_prev``, ``w2`` and ``u_next`` and a few of the
    CPML memory: about ``2 rz + 5`` planes of ``rows * nx`` values are live. ``cache`` (bytes)
    defaults to this processor's per-core L2 cache (:func:`l2_cache_bytes`); the result is
    clipped to 4..128 rows.
    """
    cache = l2_cache_bytes() if cache is None else cache
    rows = cache // 2 // ((2 * rz + 5) * nx * itemsize)
    return int(min(128, max(4, rows)))


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity on Linux, else the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def l2_cache_bytes(default=1 << 20):
    """The L2 cache size of CPU 0 as Linux reports it (sysfs), else ``default`` bytes."""
    root = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for index in sorted(os.listdir(root)):
            with open(os.path.join(root, index, "level")) as f:
                if f.read().strip() != "2":
                    continue
            with open(os.path.join(root, index, "size")) as f:
                text = f.read().strip().upper()
            scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
            return int(text.rstrip("KMG")) * scale
    except (OSError, ValueError):
        pass
    return default


@njit(cache=True, nogil=True)
def inject(field, idx, weights, amplitudes):
    """Add point sources: ``field.flat[idx[p, k]] += weights[p, k] * amplitudes[p]``."""
    ff = field.reshape(-1)
    for p in range(idx.shape[0]):
        for k in range(idx.shape[1]):
            ff[idx[p, k]] += weights[p, k] * amplitudes[p]


@njit(cache=True, nogil=True)
def sample(field, idx, weights, out):
    """Read the field at points: ``out[p] = sum_k weights[p, k] * field.flat[idx[p, k]]``.

    This is the transpose of :func:`inject` with the same ``idx`` and ``weights``.
    """
    ff = field.reshape(-1)
    for p in range(idx.shape[0]):
        acc = ff.dtype.type(0)
        for k in range(idx.shape[1]):
            acc += weights[p, k] * ff[idx[p, k]]
        out[p] = acc


@njit(cache=True, nogil=True)
def mirror_free_surface(field, r):
    """Pressure-release surface on padded row ``r``: ``u[r] = 0``, ``u[r - k] = -u[r + k]``."""
    field[r] = 0
    for k in range(1, r + 1):
        field[r - k] = -field[r + k]


@njit(**PARALLEL)
def accumulate_square(out, u):
    """``out += u**2`` (the source-side illumination of an image, summed over time steps)."""
    nz, ny, nx = u.shape
    for iz in prange(nz):
        for iy in range(ny):
            for ix in range(nx):
                out[iz, iy, ix] += u[iz, iy, ix] * u[iz, iy, ix]


@njit(**PARALLEL)
def copy(dst, src):
    """``dst[...] = src`` for padded fields, split over threads (memory bandwidth, page faults)."""
    nz, ny, nx = src.shape
    for iz in prange(nz):
        for iy in range(ny):
            for ix in range(nx):
                dst[iz, iy, ix] = src[iz, iy, ix]
