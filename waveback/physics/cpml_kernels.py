"""Numba kernels of one CPML time step, forward and its exact transpose side by side.

The CPML of Pasalic & McGarry (2010) (see :mod:`waveback.boundaries`) adds, on the points of
each axis's absorbing slabs (where its profile ``a`` is non-zero), the passes

* forward: ``psi <- b psi + a D1 u`` (before the update, for every slab point), then
  ``zeta <- b zeta + a (D2 u + D1 psi)`` and ``u_next += w2 (D1 psi + zeta)``;
* transpose, in the adjoint variable ``q = w2 lambda`` (see ``Propagator.adjoint_step``):
  ``lzeta <- b lzeta + q``, ``lpsi <- b lpsi - D1(chi q + a lzeta)`` (``chi``: 1 on the slab;
  ``D1^T = -D1`` for fields that vanish off the slab), then after the update
  ``q_next += w2 (D2(a lzeta) - D1(a lpsi))`` on the slab and the ``r`` points next to it.

Both run *inside* the sweep of the leapfrog update (:func:`waveback.kernels.update_row`), one
pass over memory per step. A pass that reads its neighbours' new memory along an axis runs
ahead of the row sweep along that axis: ``r`` planes ahead along z (``2r`` and ``r`` for the
two transposed passes), all the rows of a plane ahead along y, the whole row along x. That is
race-free because every slab, with its neighbours, lies inside one parallel work item
(``work_boxes(..., whole=...)``).

**Free surface.** The pressure is mirrored oddly about row ``r`` (``u[r - k] = -u[r + k]``) and
the transposed step relies on ``q`` being mirrored the same way, which transposes the interior
update and the CPML passes that read ``q``. The terms the transposed update computes from the
memory, ``D2(a lzeta) - D1(a lpsi)``, do not read ``q``: on a model less than ``r`` points deep,
where the forward stencils of the z slab reach the mirrored halo rows ``t < r``, their values on
those halo rows are folded, with the mirror's sign, onto rows ``i = 2r - t`` (``fold_z``),
reading memory rows up to ``t + r < i + r``, which the sweep has already passed.

Memory layout: each axis's ``psi`` and ``zeta`` are stored for that axis's two slabs only,
each widened by ``2r`` zero points (the reach of the transposed stencils), packed one after the
other along that axis: padded index ``t`` lives at storage index ``t - off[t]``. So the stride
along the axis is the padded one for z and x, and ``nx`` for y (storage ``(nz, nys, nx)``).
Flat indices are unsigned, as in :mod:`waveback.kernels`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from .attenuation_kernels import relaxed_row
from .kernels import (
    PARALLEL,
    SERIAL,
    d1,
    d2,
    flush_subnormals,
    image_row,
    laplacian_row,
    restore_fp_mode,
    update_row,
)


@njit(inline="always")
def _psi_at(pf, uf, a, b, g, s, i, stride, ss, t):
    """Forward: ``psi <- b psi + a D1 u``."""
    pf[s] = b[t] * pf[s] + a[t] * d1(uf, i, stride, g)


@njit(inline="always")
def _zeta_at(zf, pf, uf, nf, wf, a, b, c, g, s, i, stride, ss, t):
    """Forward: ``zeta <- b zeta + a (D2 u + D1 psi)``; ``u_next += w2 (D1 psi + zeta)``."""
    dpsi = d1(pf, s, ss, g)
    zeta = b[t] * zf[s] + a[t] * (d2(uf, i, stride, c) + dpsi)
    zf[s] = zeta
    nf[i] += wf[i] * (dpsi + zeta)


@njit(inline="always")
def _zeta_into(zf, pf, uf, g, a, b, c, gd, s, i, j, stride, ss, t):
    """As :func:`_zeta_at`, adding ``D1 psi + zeta`` to the drive ``g[j]`` of an attenuating
    step (the relaxation then acts on the whole CPML operator)."""
    dpsi = d1(pf, s, ss, gd)
    zeta = b[t] * zf[s] + a[t] * (d2(uf, i, stride, c) + dpsi)
    zf[s] = zeta
    g[j] += dpsi + zeta


@njit(inline="always")
def _lzeta_at(zf, qf, b, s, i, t):
    """Transpose of the zeta recursion: ``lzeta <- b lzeta + q``."""
    zf[s] = b[t] * zf[s] + qf[i]


@njit(inline="always")
def _lpsi_at(pf, zf, qf, a, b, g, s, i, stride, ss, t):
    """Transpose of the psi recursion: ``lpsi <- b lpsi - D1(chi q + a lzeta)``."""
    t = uint64(t)
    zero = qf.dtype.type(0)
    acc = zero
    for k in range(1, len(g) + 1):
        hi, lo = i + uint64(k) * stride, i - uint64(k) * stride
        shi, slo = s + uint64(k) * ss, s - uint64(k) * ss
        ahi, alo = a[t + uint64(k)], a[t - uint64(k)]
        acc += g[k - 1] * (
            (qf[hi] if ahi != 0 else zero)
            + ahi * zf[shi]
            - (qf[lo] if alo != 0 else zero)
            - alo * zf[slo]
        )
    pf[s] = b[t] * pf[s] - acc


@njit(inline="always")
def _lupdate_at(nf, wf, pf, zf, a, c, g, s, i, ss, t):
    """Transpose of the update's CPML terms: ``q_next += w2 (D2(a lzeta) - D1(a lpsi))``."""
    t = uint64(t)
    acc = c[0] * a[t] * zf[s]
    for k in range(1, len(c)):
        shi, slo = s + uint64(k) * ss, s - uint64(k) * ss
        ahi, alo = a[t + uint64(k)], a[t - uint64(k)]
        acc += c[k] * (ahi * zf[shi] + alo * zf[slo]) - g[k - 1] * (ahi * pf[shi] - alo * pf[slo])
    nf[i] += wf[i] * acc


@njit(inline="always")
def _lfold_at(nf, wf, pf, zf, a, c, g, s, i, ss, t):
    """The transposed update's CPML terms at the halo row ``t`` above a free surface, folded
    onto its mirror image ``i``: ``q_next[i] -= w2 (D2(a lzeta) - D1(a lpsi))[t]``.

    The forward stencils of slab rows within ``r`` of the halo read the mirrored pressure
    ``u[t] = -u[2r - t]``; their transposes land on the halo row and go, with the mirror's sign,
    to its image. ``a`` vanishes on ``t`` and on the rows above it, so only the terms below
    remain (``s``: the storage index of row ``t``; the z memory then starts at row 0)."""
    t = uint64(t)
    acc = zf.dtype.type(0)
    for k in range(1, len(c)):
        shi = s + uint64(k) * ss
        acc += a[t + uint64(k)] * (c[k] * zf[shi] - g[k - 1] * pf[shi])
    nf[i] -= wf[i] * acc


@njit(**SERIAL)
def _forward_rows(u, u_prev, u_next, w2, c, g, prof, sponge, psi, zeta, off, x_slabs, box,
                  relaxation):  # fmt: skip
    """The CPML forward update of the rows of ``box`` (arguments as in :func:`forward_step`).

    ``relaxation = (memory, weights, decay, gain, half)`` or None: with it, the row's operator
    output (Laplacian and CPML terms) is gathered in ``lap`` and relaxed before the update
    (:func:`waveback.physics.attenuation_kernels.relaxed_row`).
    """
    nz, ny, nx = u.shape
    (cz, cy, cx), (gz, gy, gx) = c, g
    kz, ky, kx = sponge
    (az, bz), (ay, by), (ax, bx) = prof
    rz, rx = len(cz) - 1, len(cx) - 1
    n = nx - 2 * rx
    nys, nxs = psi[1].shape[1], psi[2].shape[2]
    uf, nf, wf = u.reshape(-1), u_next.reshape(-1), w2.reshape(-1)
    pf = nf if u_prev is None else u_prev.reshape(-1)
    pz, py, px = psi[0].reshape(-1), psi[1].reshape(-1), psi[2].reshape(-1)
    zz, zy, zx = zeta[0].reshape(-1), zeta[1].reshape(-1), zeta[2].reshape(-1)
    sz, sy, one = uint64(ny * nx), uint64(nx), uint64(1)
    lap = np.empty(n, dtype=u.dtype)
    fp_mode = flush_subnormals()
    ahead = box[0]
    for iz in range(box[0], box[1]):
        while ahead < box[1] and ahead <= iz + rz:  # psi_z, r planes ahead of the rows
            if az[ahead] != 0:
                for iy in range(box[2], box[3]):
                    i = uint64((ahead * ny + iy) * nx + rx)
                    s = i - uint64(off[0][ahead]) * sz
                    for j in range(uint64(n)):
                        _psi_at(pz, uf, az, bz, gz, s + j, i + j, sz, sz, ahead)
            ahead += 1
        for iy in range(box[2], box[3]):  # psi_y of the whole plane
            if ay[iy] != 0:
                i = uint64((iz * ny + iy) * nx + rx)
                s = uint64((iz * nys + iy - off[1][iy]) * nx + rx)
                for j in range(uint64(n)):
                    _psi_at(py, uf, ay, by, gy, s + j, i + j, sy, sy, iy)
        for iy in range(box[2], box[3]):
            row, xrow = uint64((iz * ny + iy) * nx), uint64((iz * ny + iy) * nxs)
            for x0, x1 in x_slabs:  # psi_x of the whole row
                xs = xrow - uint64(off[2][x0])  # the storage offset is constant on a slab
                for t in range(uint64(x0), uint64(x1)):
                    _psi_at(px, uf, ax, bx, gx, xs + t, row + t, one, one, t)
            if relaxation is None:
                update_row(uf, pf, nf, wf, cz, cy, cx, kz, ky, kx, 0, n, iz, iy)
            else:
                laplacian_row(uf, cz, cy, cx, iz, iy, ny, nx, lap)
            i = row + uint64(rx)
            if az[iz] != 0:
                s = i - uint64(off[0][iz]) * sz
                for j in range(uint64(n)):
                    if relaxation is None:
                        _zeta_at(zz, pz, uf, nf, wf, az, bz, cz, gz, s + j, i + j, sz, sz, iz)
                    else:
                        _zeta_into(zz, pz, uf, lap, az, bz, cz, gz, s + j, i + j, j, sz, sz, iz)
            if ay[iy] != 0:
                s = uint64((iz * nys + iy - off[1][iy]) * nx + rx)
                for j in range(uint64(n)):
                    if relaxation is None:
                        _zeta_at(zy, py, uf, nf, wf, ay, by, cy, gy, s + j, i + j, sy, sy, iy)
                    else:
                        _zeta_into(zy, py, uf, lap, ay, by, cy, gy, s + j, i + j, j, sy, sy, iy)
            for x0, x1 in x_slabs:
                xs = xrow - uint64(off[2][x0])
                for t in range(uint64(x0), uint64(x1)):
                    if relaxation is None:
                        _zeta_at(zx, px, uf, nf, wf, ax, bx, cx, gx, xs + t, row + t, one, one, t)
                    else:
                        j = t - uint64(rx)
                        _zeta_into(zx, px, uf, lap, ax, bx, cx, gx, xs + t, row + t, j, one, one, t)
            if relaxation is not None:
                memory, weights, decay, gain, half = relaxation
                relaxed_row(uf, pf, nf, wf, lap, memory.reshape(-1), weights.reshape(-1), decay,
                            gain, half, i, n, kz[iz] * ky[iy], kx, rx)  # fmt: skip
    restore_fp_mode(fp_mode)


@njit(**PARALLEL)
def forward_step(
    u, u_prev, u_next, w2, cz, cy, cx, gz, gy, gx, az, bz, ay, by, ax, bx, sponge_z, sponge_y,
    sponge_x, psi_z, psi_y, psi_x, zeta_z, zeta_y, zeta_x, off_z, off_y, off_x, x0a, x1a, x0b,
    x1b, boxes, memory=None, weights=None, decay=None, gain=None, half=None,
):  # fmt: skip
    """One leapfrog step with CPML: ``u_next <- 2u - u_prev + w2 (L u + CPML terms)``.

    With ``memory`` (and the other arguments of
    :func:`waveback.physics.attenuation_kernels.relaxed_step`) the attenuating step:
    ``u_next <- 2u - u_prev + w2 h``, ``h`` the relaxation of ``L u + CPML terms``.

    ``u_prev`` None updates in place as in :func:`waveback.kernels.laplacian_step`. ``c*`` and
    ``g*`` are the second- and first-derivative coefficients, ``a*``, ``b*`` the recursion
    profiles, ``sponge_*`` the (unit) sponge factors, ``psi_*``/``zeta_*`` the slab-packed memory
    and ``off_*`` its offsets, ``x0a..x1a`` and ``x0b..x1b`` the padded x slabs, ``boxes`` the
    work items. (Arguments are flat because parallel loops take no nested tuples.)
    """
    for item in prange(boxes.shape[0]):
        if memory is None:
            _forward_rows(
                u, u_prev, u_next, w2, (cz, cy, cx), (gz, gy, gx),
                ((az, bz), (ay, by), (ax, bx)), (sponge_z, sponge_y, sponge_x),
                (psi_z, psi_y, psi_x),
                (zeta_z, zeta_y, zeta_x), (off_z, off_y, off_x), ((x0a, x1a), (x0b, x1b)),
                boxes[item], None,
            )  # fmt: skip
        else:
            _forward_rows(
                u, u_prev, u_next, w2, (cz, cy, cx), (gz, gy, gx),
                ((az, bz), (ay, by), (ax, bx)), (sponge_z, sponge_y, sponge_x),
                (psi_z, psi_y, psi_x),
                (zeta_z, zeta_y, zeta_x), (off_z, off_y, off_x), ((x0a, x1a), (x0b, x1b)),
                boxes[item], (memory, weights, decay, gain, half),
            )  # fmt: skip


@njit(**SERIAL)
def _adjoint_rows(
    q, q_next, w2, c, g, prof, near, fold, sponge, psi, zeta, off, x_slabs, x_near, box, image,
    fields,
):  # fmt: skip
    """The transposed CPML update of the rows of ``box`` (arguments as in :func:`adjoint_step`)."""
    nz, ny, nx = q.shape
    (cz, cy, cx), (gz, gy, gx) = c, g
    kz, ky, kx = sponge
    (az, bz), (ay, by), (ax, bx) = prof
    rz, rx = len(cz) - 1, len(cx) - 1
    n = nx - 2 * rx
    nys, nxs = psi[1].shape[1], psi[2].shape[2]
    qf, nf, wf = q.reshape(-1), q_next.reshape(-1), w2.reshape(-1)
    pz, py, px = psi[0].reshape(-1), psi[1].reshape(-1), psi[2].reshape(-1)
    zz, zy, zx = zeta[0].reshape(-1), zeta[1].reshape(-1), zeta[2].reshape(-1)
    sz, sy, one = uint64(ny * nx), uint64(nx), uint64(1)
    one_k = q.dtype.type(1)  # the sponge factor of a CPML row
    fp_mode = flush_subnormals()
    ahead2, ahead3 = box[0], box[0]
    for iz in range(box[0], box[1]):
        while ahead2 < box[1] and ahead2 <= iz + 2 * rz:  # lzeta_z, 2r planes ahead
            if az[ahead2] != 0:
                for iy in range(box[2], box[3]):
                    i = uint64((ahead2 * ny + iy) * nx + rx)
                    s = i - uint64(off[0][ahead2]) * sz
                    for j in range(uint64(n)):
                        _lzeta_at(zz, qf, bz, s + j, i + j, ahead2)
            ahead2 += 1
        while ahead3 < box[1] and ahead3 <= iz + rz:  # lpsi_z, r planes ahead
            if az[ahead3] != 0:
                for iy in range(box[2], box[3]):
                    i = uint64((ahead3 * ny + iy) * nx + rx)
                    s = i - uint64(off[0][ahead3]) * sz
                    for j in range(uint64(n)):
                        _lpsi_at(pz, zz, qf, az, bz, gz, s + j, i + j, sz, sz, ahead3)
            ahead3 += 1
        for iy in range(box[2], box[3]):  # lzeta_y, then lpsi_y, of the whole plane
            if ay[iy] != 0:
                i = uint64((iz * ny + iy) * nx + rx)
                s = uint64((iz * nys + iy - off[1][iy]) * nx + rx)
                for j in range(uint64(n)):
                    _lzeta_at(zy, qf, by, s + j, i + j, iy)
        for iy in range(box[2], box[3]):
            if ay[iy] != 0:
                i = uint64((iz * ny + iy) * nx + rx)
                s = uint64((iz * nys + iy - off[1][iy]) * nx + rx)
                for j in range(uint64(n)):
                    _lpsi_at(py, zy, qf, ay, by, gy, s + j, i + j, sy, sy, iy)
        for iy in range(box[2], box[3]):
            row, xrow = uint64((iz * ny + iy) * nx), uint64((iz * ny + iy) * nxs)
            for x0, x1 in x_slabs:  # lzeta_x, then lpsi_x, of the whole row
                xs = xrow - uint64(off[2][x0])
                for t in range(uint64(x0), uint64(x1)):
                    _lzeta_at(zx, qf, bx, xs + t, row + t, t)
            for x0, x1 in x_slabs:
                xs = xrow - uint64(off[2][x0])
                for t in range(uint64(x0), uint64(x1)):
                    _lpsi_at(px, zx, qf, ax, bx, gx, xs + t, row + t, one, one, t)
            update_row(qf, nf, nf, wf, cz, cy, cx, kz, ky, kx, 0, n, iz, iy)
            i = row + uint64(rx)
            if image is not None:
                image_row(image.reshape(-1), qf, fields, i, n, one_k, kx, rx)
            if near[0][iz] != 0:
                s = i - uint64(off[0][iz]) * sz
                for j in range(uint64(n)):
                    _lupdate_at(nf, wf, pz, zz, az, cz, gz, s + j, i + j, sz, iz)
            if fold[iz] != 0:  # the mirror image of a halo row that z slab stencils reach
                t = 2 * rz - iz
                s = uint64((t * ny + iy) * nx + rx) - uint64(off[0][t]) * sz
                for j in range(uint64(n)):
                    _lfold_at(nf, wf, pz, zz, az, cz, gz, s + j, i + j, sz, t)
            if near[1][iy] != 0:
                s = uint64((iz * nys + iy - off[1][iy]) * nx + rx)
                for j in range(uint64(n)):
                    _lupdate_at(nf, wf, py, zy, ay, cy, gy, s + j, i + j, sy, iy)
            for x0, x1 in x_near:
                xs = xrow - uint64(off[2][x0])
                for t in range(uint64(x0), uint64(x1)):
                    _lupdate_at(nf, wf, px, zx, ax, cx, gx, xs + t, row + t, one, t)
    restore_fp_mode(fp_mode)


@njit(**PARALLEL)
def adjoint_step(
    q, q_next, w2, cz, cy, cx, gz, gy, gx, az, bz, ay, by, ax, bx, near_z, near_y, fold_z,
    sponge_z, sponge_y, sponge_x, psi_z, psi_y, psi_x, zeta_z, zeta_y, zeta_x, off_z, off_y,
    off_x, x0a, x1a, x0b, x1b, x0c, x1c, x0d, x1d, boxes, image=None, fields=None,
):  # fmt: skip
    """The exact transpose of :func:`forward_step`, in the adjoint variable ``q = w2 lambda``.

    ``q`` holds :math:`q^n`, ``q_next`` :math:`q^{n+1}` on entry and :math:`q^{n-1}` on return
    (the interior update is its own transpose in this variable). ``near_*`` mark the z and y
    rows of the slabs and the ``r`` rows next to them, ``x0c..x1c`` and ``x0d..x1d`` the same
    in x; ``fold_z`` the rows ``r < i <= 2r`` under a free surface whose mirror images
    ``2r - i`` in the halo the z slab's forward stencils read (see :func:`_lfold_at`; all zero
    without a free surface or on a model at least ``r`` points deep). With ``image`` and
    ``fields = (f_next, f, f_prev)`` the sweep also accumulates the imaging condition
    ``image += q D`` (see :func:`waveback.kernels.laplacian_step`). Other arguments as in
    :func:`forward_step`.
    """
    for item in prange(boxes.shape[0]):
        _adjoint_rows(
            q, q_next, w2, (cz, cy, cx), (gz, gy, gx), ((az, bz), (ay, by), (ax, bx)),
            (near_z, near_y), fold_z, (sponge_z, sponge_y, sponge_x), (psi_z, psi_y, psi_x),
            (zeta_z, zeta_y, zeta_x), (off_z, off_y, off_x), ((x0a, x1a), (x0b, x1b)),
            ((x0c, x1c), (x0d, x1d)), boxes[item], image, fields,
        )  # fmt: skip
