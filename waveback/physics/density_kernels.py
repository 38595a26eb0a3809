"""Numba kernels of the variable-density time step, forward and transpose side by side.

The operator is :math:`L u = \\rho \\sum_a D^-_a F_a` with the flux :math:`F_a = B_a D^+_a u`
(plus CPML memory) on the half points of axis ``a`` (see :mod:`waveback.physics.density`). On
the padded grid ``(nz, ny, nx)`` (``ny = 1`` in 2D) a half-point field is stored like a
wavefield: index ``j`` along its axis holds the value at ``j + 1/2``. With ``beta`` the
staggered coefficients divided by ``h``:

* ``D+ u [j] = sum_k beta_k (u[j + k] - u[j + 1 - k])`` (integer to half points),
* ``D- F [i] = sum_k beta_k (F[i + k - 1] - F[i - k])`` (half to integer), so ``D- = -(D+)^T``.

One step is two sweeps: :func:`flux` (or :func:`flux_adjoint`) writes the fluxes of one axis
on the half points of a box, then :func:`update` (the same for both directions) takes their
divergence and advances the non-halo points. The flux arrays are scratch, zero outside the
half points written (the halo invariant of :mod:`waveback.kernels`).

CPML memory (full padded size, touched only where the profile is non-zero):

* forward: ``psi <- b_h psi + a_h B D+u`` and ``F = B D+u + psi`` (half points); then
  ``zeta <- b_i zeta + a_i D-F`` and ``L u = rho sum_a (D-F_a + zeta_a)`` (integer points);
* transpose, in the adjoint variable ``q = w2 rho K lambda``: ``lzeta <- b_i lzeta + q``
  (:func:`zeta_adjoint`), then ``H = D+(q + a_i lzeta)``, ``lpsi <- b_h lpsi - H`` and
  ``F = B (H - a_h lpsi)`` (:func:`flux_adjoint`), then the update without memory.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from .kernels import PARALLEL, flush_subnormals, restore_fp_mode


@njit(inline="always")
def d_plus(f, i, st, beta):
    """Staggered derivative integer -> half point at flat index ``i`` (stride ``st``)."""
    acc = f.dtype.type(0)
    for k in range(1, len(beta) + 1):
        acc += beta[k - 1] * (f[i + uint64(k) * st] - f[i - uint64(k - 1) * st])
    return acc


@njit(inline="always")
def d_minus(f, i, st, beta):
    """Staggered derivative half -> integer point, ``-(D+)^T``."""
    acc = f.dtype.type(0)
    for k in range(1, len(beta) + 1):
        acc += beta[k - 1] * (f[i + uint64(k - 1) * st] - f[i - uint64(k) * st])
    return acc


@njit(inline="always")
def _stride(shape, axis):
    return uint64(shape[1] * shape[2]) if axis == 0 else uint64(shape[2] if axis == 1 else 1)


@njit(inline="always")
def _coord(iz, iy, ix, axis):
    return iz if axis == 0 else (iy if axis == 1 else ix)


@njit(**PARALLEL)
def flux(u, f, buoy, psi, a, b, beta, axis, box):
    """Forward flux of one axis on the half points of ``box = (z0, z1, y0, y1, x0, x1)``.

    ``f = B D+u + psi`` with ``psi <- b psi + a B D+u`` where the half-point profile ``a`` is
    non-zero (``psi`` of size 1: no CPML on this axis).
    """
    nz, ny, nx = u.shape
    st = _stride(u.shape, axis)
    uf, ff, bf, pf = u.reshape(-1), f.reshape(-1), buoy.reshape(-1), psi.reshape(-1)
    cpml = psi.size > 1
    for iz in prange(box[0], box[1]):
        fp_mode = flush_subnormals()
        for iy in range(box[2], box[3]):
            base = uint64((iz * ny + iy) * nx)
            for ix in range(box[4], box[5]):
                i = base + uint64(ix)
                ff[i] = bf[i] * d_plus(uf, i, st, beta)
            if cpml:
                for ix in range(box[4], box[5]):
                    t = _coord(iz, iy, ix, axis)
                    if a[t] != 0:
                        i = base + uint64(ix)
                        pf[i] = b[t] * pf[i] + a[t] * ff[i]
                        ff[i] += pf[i]
        restore_fp_mode(fp_mode)


@njit(**PARALLEL)
def zeta_adjoint(q, lzeta, a, b, axis, box):
    """Transpose of the ``zeta`` recursion: ``lzeta <- b lzeta + q`` where ``a != 0``."""
    for iz in prange(box[0], box[1]):
        for iy in range(box[2], box[3]):
            for ix in range(box[4], box[5]):
                t = _coord(iz, iy, ix, axis)
                if a[t] != 0:
                    lzeta[iz, iy, ix] = b[t] * lzeta[iz, iy, ix] + q[iz, iy, ix]


@njit(**PARALLEL)
def flux_adjoint(q, f, buoy, lpsi, lzeta, a_h, b_h, a_i, near, beta, axis, box):
    """Transposed flux of one axis on the half points of ``box``.

    ``H = D+(q + a_i lzeta)``, ``lpsi <- b_h lpsi - H`` where ``a_h != 0``, and
    ``f = B (H - a_h lpsi)``. ``near`` marks the half points whose stencil reaches a non-zero
    ``a_i`` or where ``a_h`` is non-zero (the only ones with memory terms).
    """
    nz, ny, nx = q.shape
    st = _stride(q.shape, axis)
    qf, ff, bf = q.reshape(-1), f.reshape(-1), buoy.reshape(-1)
    pf, zf = lpsi.reshape(-1), lzeta.reshape(-1)
    cpml = lpsi.size > 1
    for iz in prange(box[0], box[1]):
        fp_mode = flush_subnormals()
        for iy in range(box[2], box[3]):
            base = uint64((iz * ny + iy) * nx)
            for ix in range(box[4], box[5]):
                i = base + uint64(ix)
                ff[i] = d_plus(qf, i, st, beta)
            if cpml:
                for ix in range(box[4], box[5]):
                    t = _coord(iz, iy, ix, axis)
                    if near[t]:
                        i, tu = base + uint64(ix), uint64(t)
                        h = ff[i]
                        for k in range(1, len(beta) + 1):
                            hi, lo = i + uint64(k) * st, i - uint64(k - 1) * st
                            h += beta[k - 1] * (
                                a_i[tu + uint64(k)] * zf[hi] - a_i[tu - uint64(k - 1)] * zf[lo]
                            )
                        if a_h[t] != 0:
                            pf[i] = b_h[t] * pf[i] - h
                            h -= a_h[t] * pf[i]
                        ff[i] = h
            for ix in range(box[4], box[5]):
                i = base + uint64(ix)
                ff[i] *= bf[i]
        restore_fp_mode(fp_mode)


@njit(**PARALLEL)
def update(
    u, u_prev, u_next, wrho, fz, fy, fx, bz, by, bx, zeta_z, zeta_y, zeta_x, az, bpz, ay, bpy,
    ax, bpx, keep_z, keep_y, keep_x, box,
):  # fmt: skip
    """``u_next <- K (2u + wrho sum_a (D-F_a + zeta_a)) - (2K - 1) u_prev`` on ``box``.

    ``wrho = dt² vp² rho``; ``zeta_a <- bp_a zeta_a + a_a D-F_a`` where the integer-point
    profile ``a_a`` is non-zero (``zeta`` of size 1: no memory, as in the transposed step,
    or no CPML on that axis). ``fy`` is not read in 2D (``ny == 1``). ``u_prev`` may be
    ``u_next`` (in place).
    """
    nz, ny, nx = u.shape
    sz, sy = uint64(ny * nx), uint64(nx)
    uf, pf, nf, wf = u.reshape(-1), u_prev.reshape(-1), u_next.reshape(-1), wrho.reshape(-1)
    fzf, fyf, fxf = fz.reshape(-1), fy.reshape(-1), fx.reshape(-1)
    zzf, zyf, zxf = zeta_z.reshape(-1), zeta_y.reshape(-1), zeta_x.reshape(-1)
    one = u.dtype.type(1)
    for iz in prange(box[0], box[1]):
        fp_mode = flush_subnormals()
        acc = np.empty(nx, u.dtype)
        for iy in range(box[2], box[3]):
            base = uint64((iz * ny + iy) * nx)
            for ix in range(box[4], box[5]):
                i = base + uint64(ix)
                g = d_minus(fzf, i, sz, bz) + d_minus(fxf, i, uint64(1), bx)
                if ny > 1:
                    g += d_minus(fyf, i, sy, by)
                acc[ix] = g
            if zeta_z.size > 1 and az[iz] != 0:
                for ix in range(box[4], box[5]):
                    i = base + uint64(ix)
                    zzf[i] = bpz[iz] * zzf[i] + az[iz] * d_minus(fzf, i, sz, bz)
                    acc[ix] += zzf[i]
            if zeta_y.size > 1 and ay[iy] != 0:
                for ix in range(box[4], box[5]):
                    i = base + uint64(ix)
                    zyf[i] = bpy[iy] * zyf[i] + ay[iy] * d_minus(fyf, i, sy, by)
                    acc[ix] += zyf[i]
            if zeta_x.size > 1:
                for ix in range(box[4], box[5]):
                    if ax[ix] != 0:
                        i = base + uint64(ix)
                        zxf[i] = bpx[ix] * zxf[i] + ax[ix] * d_minus(fxf, i, uint64(1), bx)
                        acc[ix] += zxf[i]
            kzy = keep_z[iz] * keep_y[iy]
            for ix in range(box[4], box[5]):  # one branch-free form (K = 1 is exact in it)
                i = base + uint64(ix)
                k = kzy * keep_x[ix]
                nf[i] = k * (uf[i] + uf[i] + wf[i] * acc[ix]) - (k + k - one) * pf[i]
        restore_fp_mode(fp_mode)


@njit(**PARALLEL)
def difference(out, f, beta, axis, box, plus):
    """``out = D+ f`` (``plus``) or ``out = D- f`` on ``box`` (Born and gradient terms)."""
    nz, ny, nx = f.shape
    st = _stride(f.shape, axis)
    of, ff = out.reshape(-1), f.reshape(-1)
    for iz in prange(box[0], box[1]):
        for iy in range(box[2], box[3]):
            base = uint64((iz * ny + iy) * nx)
            for ix in range(box[4], box[5]):
                i = base + uint64(ix)
                of[i] = d_plus(ff, i, st, beta) if plus else d_minus(ff, i, st, beta)


@njit(**PARALLEL)
def flux_image(image, u, f, beta, axis, box):
    """``image += (D+ u) f`` on the half points of ``box`` (the buoyancy part of the
    density gradient, ``f`` the transposed flux of :func:`flux_adjoint`)."""
    nz, ny, nx = u.shape
    st = _stride(u.shape, axis)
    gf, uf, ff = image.reshape(-1), u.reshape(-1), f.reshape(-1)
    for iz in prange(box[0], box[1]):
        for iy in range(box[2], box[3]):
            base = uint64((iz * ny + iy) * nx)
            for ix in range(box[4], box[5]):
                i = base + uint64(ix)
                gf[i] += d_plus(uf, i, st, beta) * ff[i]


@njit(**PARALLEL)
def scatter_image(image, q, u_next, u, u_prev, keep_z, keep_y, keep_x, box):
    """``image += q D``, ``D = u_next - 2K u + (2K - 1) u_prev`` on ``box`` (see
    :func:`waveback.kernels.scattering`)."""
    one = q.dtype.type(1)
    for iz in prange(box[0], box[1]):
        for iy in range(box[2], box[3]):
            kzy = keep_z[iz] * keep_y[iy]
            for ix in range(box[4], box[5]):
                k2 = (kzy + kzy) * keep_x[ix]
                d = u_next[iz, iy, ix] - k2 * u[iz, iy, ix] + (k2 - one) * u_prev[iz, iy, ix]
                image[iz, iy, ix] += q[iz, iy, ix] * d
