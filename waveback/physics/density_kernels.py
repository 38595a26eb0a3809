"""Numba kernels of the variable-density time step, forward and transpose side by side.

The operator is :math:`L u = \\rho \\sum_a D^-_a F_a` with the flux :math:`F_a = B_a D^+_a u`
(plus CPML memory) on the half points of axis ``a`` (see :mod:`waveback.physics.density`). On
the padded grid ``(nz, ny, nx)`` (``ny = 1`` in 2D) index ``j`` of a half-point value along
its axis is the point ``j + 1/2``. With ``beta`` the staggered coefficients divided by ``h``:

* ``D+ u [j] = sum_k beta_k (u[j + k] - u[j + 1 - k])`` (integer to half points),
* ``D- F [i] = sum_k beta_k (F[i + k - 1] - F[i - k])`` (half to integer), so ``D- = -(D+)^T``,
* ``B_a[j] = (b[j] + b[j + 1]) / 2`` with ``b = 1 / rho``, formed on the fly from ``b``.

Fluxes exist on the half points ``lo_a <= j < n_a - r`` of their axis (``lo = r - 1``, or ``r``
for z under a free surface, where ``F_z[j] = F_z[2r - 1 - j]`` for ``j < r``: the even mirror)
and on the non-halo points of the other axes; they are zero elsewhere.

**One pass per step.** A work item ``(z0, z1, y0, y1)`` sweeps its rows plane by plane. The z
fluxes of the ``2M`` half planes a row's ``D-_z`` reads live in a ring buffer (slots ``j mod
2M``), each computed once, ``M - 1`` planes ahead of the row sweep; the y fluxes of a plane
(3D) go to a plane buffer and the x fluxes of a row to a row buffer, then the row is updated.
Nothing of grid size is written but ``u_next`` and the CPML memory. The ``2M - 1`` flux lines
just outside an item along its split axis are recomputed by each item that reads them (the same
arithmetic, so the same bits); memory recursions, images and updates belong to one item each.
That is race-free and independent of the partition because no item edge cuts a CPML memory
range (``work_boxes(..., whole=...)``): the recomputed lines hold no memory terms.

CPML memory, slab-packed as in :mod:`waveback.physics.cpml_kernels` (padded index ``t`` of an
axis at storage index ``t - off[t]``):

* forward: ``psi <- b_h psi + a_h B D+u`` and ``F = B D+u + psi`` (half points); then
  ``zeta <- b_i zeta + a_i D-F`` and ``L u = rho sum_a (D-F_a + zeta_a)`` (integer points);
* transpose, in the adjoint variable ``q = w2 rho K lambda``: ``lzeta <- b_i lzeta + q``
  (``2M`` planes ahead of the rows along z, before the plane's or row's fluxes along y and x),
  then ``H = D+(q + a_i lzeta)``, ``lpsi <- b_h lpsi - H`` and ``F = B (H - a_h lpsi)``, then
  the update without memory (the interior update is its own transpose in ``q``).

With attenuation the forward update relaxes ``acc = L u / rho`` point by point before using it
(:func:`waveback.physics.attenuation_kernels.relaxed`, memory variables in the units of
``acc``); the transpose is composed outside the kernels (:mod:`waveback.physics.density`).

Flat indices are unsigned (:mod:`waveback.kernels`); row kernels flush subnormals.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from .attenuation_kernels import relaxed
from .kernels import PARALLEL, SERIAL, flush_subnormals, restore_fp_mode

# The sweeps create no arrays and keep none beyond the call, so they are compiled without
# reference counting: with it numba brackets each inlined row function with atomic increments
# and decrements of its arrays' counts, a quarter of a 3D step (measured).
SWEEP = dict(SERIAL, _nrt=False)


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


# --- Lines of fluxes: n points from flat index i0 (u, b) into out[o0:], stride st. ------------


@njit(inline="always")
def _flux_line(uf, bf, out, i0, o0, n, st, beta):
    """``out = B D+u`` with ``B = (b[i] + b[i + st]) / 2``, formed as ``(b[i] + b[i + st])``
    times ``D+u`` of the halved coefficients: one product less, the same bits (halving is
    exact)."""
    half = bf.dtype.type(0.5)
    for q in range(n):
        i = i0 + q
        acc = uf.dtype.type(0)
        for k in range(1, len(beta) + 1):
            acc += (half * beta[k - 1]) * (uf[i + uint64(k) * st] - uf[i - uint64(k - 1) * st])
        out[o0 + q] = (bf[i] + bf[i + st]) * acc


@njit(inline="always")
def _psi_line(pf, s0, out, o0, n, a, b, t0, dt):
    """Forward memory: ``psi <- b psi + a F``, ``F <- F + psi`` (profile index ``t0 + q dt``)."""
    for q in range(n):
        t, s = t0 + q * dt, s0 + q
        pf[s] = b[t] * pf[s] + a[t] * out[o0 + q]
        out[o0 + q] += pf[s]


@njit(inline="always")
def _dplus_line(qf, out, i0, o0, n, st, beta):
    """Transpose, first part: ``out = D+q``."""
    for q in range(n):
        out[o0 + q] = d_plus(qf, i0 + q, st, beta)


@njit(inline="always")
def _lmemory_line(out, o0, n, beta, zf, pf, a_i, a_h, b_h, t0, dt, s0, ss):
    """Transposed memory: ``H += D+(a_i lzeta)``; ``lpsi <- b_h lpsi - H``, ``H -= a_h lpsi``
    where ``a_h != 0`` (profile index ``t0 + q dt``, storage index ``s0 + q``, stride ``ss``)."""
    for q in range(n):
        t, s = t0 + q * dt, s0 + q
        h = out[o0 + q]
        for k in range(1, len(beta) + 1):
            hi, lo = s + uint64(k) * ss, s - uint64(k - 1) * ss
            h += beta[k - 1] * (a_i[t + uint64(k)] * zf[hi] - a_i[t - uint64(k - 1)] * zf[lo])
        if a_h[t] != 0:
            pf[s] = b_h[t] * pf[s] - h
            h -= a_h[t] * pf[s]
        out[o0 + q] = h


@njit(inline="always")
def _buoyancy_line(bf, out, i0, o0, n, st):
    """Transpose, last part: ``out <- B out``."""
    half = bf.dtype.type(0.5)
    for q in range(n):
        i = i0 + q
        out[o0 + q] *= half * (bf[i] + bf[i + st])


@njit(inline="always")
def _image_line(gf, uf, out, i0, o0, n, st, beta):
    """``image += (D+ u) F`` (the buoyancy part of the density gradient)."""
    for q in range(n):
        i = i0 + q
        gf[i] += d_plus(uf, i, st, beta) * out[o0 + q]


# --- The flux lines of one axis (``g = (nz, ny, nx, r, surface, z0, z1, y0, y1)``). -----------


@njit(inline="always")
def _line(adjoint, uf, bf, out, i0, o0, n, st, beta, mem, t, s0, image, own, fu):
    """``n`` fluxes along an axis whose profile index ``t`` is fixed on the line (z or y).

    ``mem = (psi, zeta, a_h, b_h, a_i, b_i, near, off)`` of the axis (``psi`` of size 1: no
    CPML); ``s0`` the storage index of the first point. In the transpose, with ``own`` and an
    ``image`` (size 1: none), also ``image += (D+ fu) F`` (``fu = u^n``).
    """
    cpml = mem[0].size > 1
    if not adjoint:
        _flux_line(uf, bf, out, i0, o0, n, st, beta)
        if cpml and mem[2][t] != 0:
            _psi_line(mem[0].reshape(-1), s0, out, o0, n, mem[2], mem[3], uint64(t), uint64(0))
        return
    if cpml and mem[6][t]:
        pf, zf = mem[0].reshape(-1), mem[1].reshape(-1)
        _dplus_line(uf, out, i0, o0, n, st, beta)
        _lmemory_line(out, o0, n, beta, zf, pf, mem[4], mem[2], mem[3], uint64(t), uint64(0),
                      s0, st)  # fmt: skip
        _buoyancy_line(bf, out, i0, o0, n, st)
    else:
        _flux_line(uf, bf, out, i0, o0, n, st, beta)
    if own and image.size > 1:
        _image_line(image.reshape(-1), fu, out, i0, o0, n, st, beta)


@njit(inline="always")
def _z_plane(adjoint, uf, bf, ring, j, g, beta, mem, image, fu):
    """The z fluxes of half plane ``j`` on the rows of the item, into ring slot ``j mod 2M``.

    Under a free surface a half plane above it takes the flux of its mirror ``2r - 1 - j``
    (recomputed: that plane holds no memory); the item owning ``j`` images it.
    """
    for iy in range(g[7], g[8]):
        _z_line(adjoint, uf, bf, ring, j, iy, g, beta, mem, image, fu)


@njit(inline="always")
def _z_line(adjoint, uf, bf, ring, j, iy, g, beta, mem, image, fu):
    """Row ``iy`` of :func:`_z_plane` (the forward computes the newest half plane a row at a
    time, just before the row it feeds: :func:`_forward_sweep`)."""
    nz, ny, nx, r, surface, z0, z1, y0, y1 = g
    lo = r if surface else r - 1
    src = 2 * r - 1 - j if surface and j < r else j
    own = (j >= z0 or z0 == r) and j < z1 and j >= lo
    n, plane, sz = uint64(nx - 2 * r), uint64((y1 - y0) * nx), uint64(ny * nx)
    slot = uint64(j % (2 * len(beta)))
    o0 = slot * plane + uint64((iy - y0) * nx + r)
    if lo <= src < nz - r:
        i0 = uint64((src * ny + iy) * nx + r)
        s0 = uint64(((src - mem[7][src]) * ny + iy) * nx + r) if mem[0].size > 1 else i0
        _line(adjoint, uf, bf, ring, i0, o0, n, sz, beta, mem, src, s0, image, own, fu)
    else:
        for q in range(n):
            ring[o0 + q] = 0


@njit(inline="always")
def _y_plane(adjoint, uf, bf, fy, iz, g, beta, mem, image, fu):
    """The y fluxes of plane ``iz`` on half rows ``y0 - M .. y1 + M - 2`` into ``fy`` (3D);
    rows outside the flux range sponge the zeros they were allocated with."""
    nz, ny, nx, r, surface, z0, z1, y0, y1 = g
    m = len(beta)
    n, sy = uint64(nx - 2 * r), uint64(nx)
    nys = mem[0].shape[1]
    for j in range(max(y0 - m, r - 1), min(y1 + m - 1, ny - r)):
        o0 = uint64((j - y0 + m) * nx + r)
        i0 = uint64((iz * ny + j) * nx + r)
        s0 = uint64((iz * nys + j - mem[7][j]) * nx + r) if mem[0].size > 1 else i0
        own = (j >= y0 or y0 == r) and j < y1
        _line(adjoint, uf, bf, fy, i0, o0, n, sy, beta, mem, j, s0, image, own, fu)


@njit(inline="always")
def _x_row(adjoint, uf, bf, fx, iz, iy, g, beta, mem, runs, image, fu):
    """The x fluxes of row ``(iz, iy)`` on half points ``r - 1 .. nx - r - 1`` into ``fx``;
    ``runs``: the x ranges of the half-point profile (forward) or of ``near`` (transpose)."""
    ny, nx, r = g[1], g[2], g[3]
    row, x0, one = uint64((iz * ny + iy) * nx), uint64(r - 1), uint64(1)
    n = uint64(nx - 2 * r + 1)
    _flux_line(uf, bf, fx, row + x0, x0, n, one, beta)
    if mem[0].size > 1:
        pf, zf, a_h, b_h, a_i, off = mem[0].reshape(-1), mem[1].reshape(-1), *mem[2:5], mem[7]
        srow = uint64((iz * ny + iy) * mem[0].shape[2])
        for run in range(runs.shape[0]):
            t0, t1 = uint64(runs[run, 0]), uint64(runs[run, 1])
            s0 = srow + t0 - uint64(off[t0])
            if not adjoint:
                _psi_line(pf, s0, fx, t0, t1 - t0, a_h, b_h, t0, one)
            else:  # the fluxes with memory terms again, in steps
                _dplus_line(uf, fx, row + t0, t0, t1 - t0, one, beta)
                _lmemory_line(fx, t0, t1 - t0, beta, zf, pf, a_i, a_h, b_h, t0, one, s0, one)
                _buoyancy_line(bf, fx, row + t0, t0, t1 - t0, one)
    if adjoint and image.size > 1:
        _image_line(image.reshape(-1), fu, fx, row + x0, x0, n, one, beta)


# --- The divergence of a row and its update. --------------------------------------------------


@njit(inline="always")
def d_minus_ring(ring, i, iz, plane, beta):
    """:func:`d_minus` along z at half plane ``iz`` from the ring, where half plane ``j`` lies
    in slot ``j mod 2M`` of ``plane`` values (``i``: the index within a slot); the slot
    offsets do not depend on ``i``, so a row loop reads ``2M`` streams."""
    w = uint64(2 * len(beta))
    acc = ring.dtype.type(0)
    for k in range(1, len(beta) + 1):
        hi, lo = uint64(iz + k - 1) % w * plane, uint64(iz - k) % w * plane
        acc += beta[k - 1] * (ring[i + hi] - ring[i + lo])
    return acc


@njit(inline="always")
def _divergence(acc, ring, fx, fy, iz, iy, g, beta, q0, q1):
    """``acc = D-_z F_z + D-_x F_x (+ D-_y F_y)`` on columns ``q0..q1`` of row ``(iz, iy)``
    (counted from the first non-halo column)."""
    nz, ny, nx, r, surface, z0, z1, y0, y1 = g
    bz, by, bx = beta
    m = len(bz)
    c0, plane = uint64((iy - y0) * nx + r), uint64((y1 - y0) * nx)
    yb, x0 = uint64((iy - y0 + m) * nx + r), uint64(r)
    for q in range(uint64(q0), uint64(q1)):
        g_q = d_minus_ring(ring, c0 + q, iz, plane, bz) + d_minus(fx, x0 + q, uint64(1), bx)
        if ny > 1:
            g_q += d_minus(fy, yb + q, uint64(nx), by)
        acc[q] = g_q


@njit(inline="always")
def _relax(g, relaxation, i, size):
    """``h`` of the drive ``g`` at flat point ``i``, the memory advanced
    (:func:`waveback.physics.attenuation_kernels.relaxed`)."""
    rf, af, decay, gain, half = relaxation
    return relaxed(g, rf, af, decay, gain, half, i, size)


@njit(inline="always")
def _fused_row(uf, pf, nf, wf, ring, fx, fy, iz, iy, g, beta, q0, q1, relaxation, sponge):
    """The update ``u_next <- K (2u + wrho L u) - (2K - 1) u_prev`` without memory terms on
    columns ``q0..q1``: :func:`_divergence` and :func:`_update_row` in one loop (the same
    bits); ``sponge`` None where ``K = 1`` (``1 x = x`` exactly: the undamped form). With a
    ``relaxation`` (as in :func:`_update_row`) ``L u / rho`` is relaxed first."""
    nz, ny, nx, r, surface, z0, z1, y0, y1 = g
    bz, by, bx = beta
    m = len(bz)
    c0, plane = uint64((iy - y0) * nx + r), uint64((y1 - y0) * nx)
    yb, x0 = uint64((iy - y0 + m) * nx + r), uint64(r)
    base = uint64((iz * ny + iy) * nx + r)
    if ny > 1:  # the loop per case: a test of ny in it stops the vectoriser (measured)
        for q in range(uint64(q0), uint64(q1)):
            _fused_point(uf, pf, nf, wf, ring, fx, fy, iz, iy, beta, c0, plane, yb, x0, nx,
                         base, q, relaxation, sponge, True)  # fmt: skip
    else:
        for q in range(uint64(q0), uint64(q1)):
            _fused_point(uf, pf, nf, wf, ring, fx, fy, iz, iy, beta, c0, plane, yb, x0, nx,
                         base, q, relaxation, sponge, False)  # fmt: skip


@njit(inline="always")
def _fused_point(uf, pf, nf, wf, ring, fx, fy, iz, iy, beta, c0, plane, yb, x0, nx, base, q,
                 relaxation, sponge, with_y):  # fmt: skip
    """Column ``q`` of :func:`_fused_row` (``with_y``: 3D)."""
    bz, by, bx = beta
    g_q = d_minus_ring(ring, c0 + q, iz, plane, bz) + d_minus(fx, x0 + q, uint64(1), bx)
    if with_y:
        g_q += d_minus(fy, yb + q, uint64(nx), by)
    i = base + q
    if relaxation is not None:
        g_q = _relax(g_q, relaxation, i, uf.size)
    if sponge is None:
        nf[i] = (uf[i] + uf[i] + wf[i] * g_q) - pf[i]
    else:
        k = sponge[0][iz] * sponge[1][iy] * sponge[2][x0 + q]
        nf[i] = k * (uf[i] + uf[i] + wf[i] * g_q) - (k + k - uf.dtype.type(1)) * pf[i]


@njit(inline="always")
def _row(uf, pf, nf, wf, acc, ring, fx, fy, iz, iy, g, beta, sponge, mem, runs, adjoint,
         relaxation):  # fmt: skip
    """Divergence, memory and update of row ``(iz, iy)``: fused on the columns ``runs[3]``
    free of damping and (forward) of x memory when the row has neither; fused with damping on
    the others unless the forward has memory terms there, then in steps; ``relaxation`` as in
    :func:`_update_row` (forward only)."""
    nx, r = g[2], g[3]
    n = nx - 2 * r
    k = 1 if adjoint else 0
    c0, c1 = runs[3, k, 0], runs[3, k, 1]
    row_memory = False
    if not adjoint:
        row_memory = mem[0][0].size > 1 and mem[0][4][iz] != 0
        row_memory = row_memory or (mem[1][0].size > 1 and mem[1][4][iy] != 0)
    if row_memory or sponge[0][iz] * sponge[1][iy] != 1:
        c0, c1 = n, n
    if row_memory or (not adjoint and mem[2][0].size > 1):
        _divergence(acc, ring, fx, fy, iz, iy, g, beta, 0, c0)
        _divergence(acc, ring, fx, fy, iz, iy, g, beta, c1, n)
        _zeta_row(acc, ring, fx, fy, iz, iy, g, beta, mem, runs[1])
        _update_row(uf, pf, nf, wf, acc, sponge, iz, iy, g, 0, c0, relaxation)
        _update_row(uf, pf, nf, wf, acc, sponge, iz, iy, g, c1, n, relaxation)
    else:
        _fused_row(uf, pf, nf, wf, ring, fx, fy, iz, iy, g, beta, 0, c0, relaxation, sponge)
        _fused_row(uf, pf, nf, wf, ring, fx, fy, iz, iy, g, beta, c1, n, relaxation, sponge)
    _fused_row(uf, pf, nf, wf, ring, fx, fy, iz, iy, g, beta, c0, c1, relaxation, None)


@njit(inline="always")
def _zeta_row(acc, ring, fx, fy, iz, iy, g, beta, mem, runs):
    """Forward integer-point memory of row ``(iz, iy)``: ``zeta_a <- b_i zeta_a + a_i D-F_a``
    and ``acc += zeta_a`` for z, y, x in turn (``runs``: the x ranges where ``a_i != 0``)."""
    nz, ny, nx, r, surface, z0, z1, y0, y1 = g
    (mz, my, mx), m = mem, len(beta[0])
    n = uint64(nx - 2 * r)
    if mz[0].size > 1 and mz[4][iz] != 0:
        zf, a, b = mz[1].reshape(-1), mz[4][iz], mz[5][iz]
        s0 = uint64(((iz - mz[7][iz]) * ny + iy) * nx + r)
        c0, plane = uint64((iy - y0) * nx + r), uint64((y1 - y0) * nx)
        for q in range(n):
            zf[s0 + q] = b * zf[s0 + q] + a * d_minus_ring(ring, c0 + q, iz, plane, beta[0])
            acc[q] += zf[s0 + q]
    if my[0].size > 1 and my[4][iy] != 0:
        zf, a, b = my[1].reshape(-1), my[4][iy], my[5][iy]
        s0 = uint64((iz * my[1].shape[1] + iy - my[7][iy]) * nx + r)
        yb = uint64((iy - y0 + m) * nx + r)
        for q in range(n):
            zf[s0 + q] = b * zf[s0 + q] + a * d_minus(fy, yb + q, uint64(nx), beta[1])
            acc[q] += zf[s0 + q]
    if mx[0].size > 1:
        zf, a, b = mx[1].reshape(-1), mx[4], mx[5]
        srow = uint64((iz * ny + iy) * mx[1].shape[2])
        for run in range(runs.shape[0]):
            for t in range(uint64(runs[run, 0]), uint64(runs[run, 1])):
                s = srow + t - uint64(mx[7][t])
                zf[s] = b[t] * zf[s] + a[t] * d_minus(fx, t, uint64(1), beta[2])
                acc[t - uint64(r)] += zf[s]


@njit(inline="always")
def _update_row(uf, pf, nf, wf, acc, sponge, iz, iy, g, q0, q1, relaxation):
    """``u_next <- K (2u + wrho acc) - (2K - 1) u_prev`` on columns ``q0..q1`` of a row.

    With ``relaxation = (memory, weights, decay, gain, half)`` (flat memory variables and
    weights, :mod:`waveback.physics.attenuation_kernels`) ``acc`` is replaced by its relaxation
    ``h`` and the memory advanced; None without attenuation.
    """
    ny, nx, r = g[1], g[2], g[3]
    sponge_z, sponge_y, sponge_x = sponge
    kzy, one = sponge_z[iz] * sponge_y[iy], uf.dtype.type(1)
    base = uint64((iz * ny + iy) * nx + r)
    for q in range(uint64(q0), uint64(q1)):  # one branch-free form (K = 1 is exact in it)
        i = base + q
        k = kzy * sponge_x[uint64(r) + q]
        g_q = acc[q]
        if relaxation is not None:
            g_q = _relax(g_q, relaxation, i, uf.size)
        nf[i] = k * (uf[i] + uf[i] + wf[i] * g_q) - (k + k - one) * pf[i]


@njit(inline="always")
def _scatter_row(image, qf, fields, sponge, iz, iy, g):
    """``image += q D``, ``D = u_next - 2K u + (2K - 1) u_prev`` on a row (the ``m`` and
    ``rho`` imaging condition, see :func:`waveback.kernels.scattering`)."""
    ny, nx, r = g[1], g[2], g[3]
    gf, hn = image.reshape(-1), fields[0].reshape(-1)
    h, hp = fields[1].reshape(-1), fields[2].reshape(-1)
    kzy, one = sponge[0][iz] * sponge[1][iy], qf.dtype.type(1)
    base = uint64((iz * ny + iy) * nx + r)
    for q in range(uint64(nx - 2 * r)):
        i = base + q
        k2 = (kzy + kzy) * sponge[2][uint64(r) + q]
        gf[i] += qf[i] * (hn[i] - k2 * h[i] + (k2 - one) * hp[i])


# --- The sweeps of one work item, forward and transposed. --------------------------------------


@njit(**SERIAL)
def _buffers(nx, ny, m, box, dtype):
    """The flux buffers of a work item: the ring of ``2M`` z half planes, the y fluxes of a
    plane (3D), the x fluxes of a row and a row's divergence."""
    ring = np.empty(2 * m * (box[3] - box[2]) * nx, dtype)
    fy = np.zeros((box[3] - box[2] + 2 * m - 1) * nx if ny > 1 else 1, dtype)
    return ring, fy, np.zeros(nx, dtype), np.empty(nx, dtype)


@njit(**SERIAL)
def _forward_rows(u, u_prev, u_next, wrho, b, beta, sponge, mem, runs, surface, box,
                  relaxation):  # fmt: skip
    """The forward step on the rows of work item ``box = (z0, z1, y0, y1)``; ``relaxation``
    as in :func:`_update_row`."""
    nz, ny, nx = u.shape
    buffers = _buffers(nx, ny, len(beta[0]), box, u.dtype)
    none = np.zeros((1, 1, 1), u.dtype)  # no flux images
    _forward_sweep(u, u_prev, u_next, wrho, b, beta, sponge, mem, runs, surface, box, buffers,
                   none, relaxation)  # fmt: skip


@njit(**SWEEP)
def _forward_sweep(u, u_prev, u_next, wrho, b, beta, sponge, mem, runs, surface, box, buffers,
                   none, relaxation):  # fmt: skip
    """The sweep of :func:`_forward_rows` (``none``: an empty flux image)."""
    nz, ny, nx = u.shape
    m = len(beta[0])
    g = (nz, ny, nx, m, surface, box[0], box[1], box[2], box[3])
    uf, bf, nf = u.reshape(-1), b.reshape(-1), u_next.reshape(-1)
    pf = nf if u_prev is None else u_prev.reshape(-1)  # None: in place (one array to LLVM)
    wf = wrho.reshape(-1)
    ring, fy, fx, acc = buffers
    fp_mode = flush_subnormals()
    ahead = box[0] - m
    for iz in range(box[0], box[1]):
        while ahead < iz + m - 1:  # the z fluxes M - 1 half planes ahead of the rows, ...
            _z_plane(False, uf, bf, ring, ahead, g, beta[0], mem[0], none, uf)
            ahead += 1
        if ny > 1:
            _y_plane(False, uf, bf, fy, iz, g, beta[1], mem[1], none, uf)
        for iy in range(box[2], box[3]):  # ... the newest a row at a time, still in cache
            _z_line(False, uf, bf, ring, ahead, iy, g, beta[0], mem[0], none, uf)
            _x_row(False, uf, bf, fx, iz, iy, g, beta[2], mem[2], runs[0], none, uf)
            _row(uf, pf, nf, wf, acc, ring, fx, fy, iz, iy, g, beta, sponge, mem, runs, False,
                 relaxation)  # fmt: skip
        ahead += 1
    restore_fp_mode(fp_mode)


@njit(inline="always")
def _lzeta_plane(q, mem, runs, iz, g, along_z):
    """Transposed integer-point memory ``lzeta <- b_i lzeta + q`` (where ``a_i != 0``) on the
    item's rows of plane ``iz``: of z (``along_z``), else of y and x (``runs``: the x ranges
    of ``a_i``)."""
    nz, ny, nx, r, surface, z0, z1, y0, y1 = g
    qf, n = q.reshape(-1), uint64(nx - 2 * r)
    mz, my, mx = mem
    for iy in range(y0, y1):
        i0 = uint64((iz * ny + iy) * nx + r)
        if along_z:
            if mz[0].size > 1 and mz[4][iz] != 0:
                zf, b = mz[1].reshape(-1), mz[5][iz]
                s0 = uint64(((iz - mz[7][iz]) * ny + iy) * nx + r)
                for k in range(n):
                    zf[s0 + k] = b * zf[s0 + k] + qf[i0 + k]
            continue
        if my[0].size > 1 and my[4][iy] != 0:
            zf, b = my[1].reshape(-1), my[5][iy]
            s0 = uint64((iz * my[1].shape[1] + iy - my[7][iy]) * nx + r)
            for k in range(n):
                zf[s0 + k] = b * zf[s0 + k] + qf[i0 + k]
        if mx[0].size > 1:
            zf, b = mx[1].reshape(-1), mx[5]
            srow, row = uint64((iz * ny + iy) * mx[1].shape[2]), uint64((iz * ny + iy) * nx)
            for run in range(runs.shape[0]):
                for t in range(uint64(runs[run, 0]), uint64(runs[run, 1])):
                    s = srow + t - uint64(mx[7][t])
                    zf[s] = b[t] * zf[s] + qf[row + t]


@njit(**SERIAL)
def _adjoint_rows(q, q_next, wrho, b, beta, sponge, mem, runs, surface, box, image, fields,
                  images_z, images_y, images_x, fu):  # fmt: skip
    """The transposed step on the rows of work item ``box`` (see :func:`adjoint_step`)."""
    nz, ny, nx = q.shape
    buffers = _buffers(nx, ny, len(beta[0]), box, q.dtype)
    _adjoint_sweep(q, q_next, wrho, b, beta, sponge, mem, runs, surface, box, image, fields,
                   images_z, images_y, images_x, fu, buffers)  # fmt: skip


@njit(**SWEEP)
def _adjoint_sweep(q, q_next, wrho, b, beta, sponge, mem, runs, surface, box, image, fields,
                   images_z, images_y, images_x, fu, buffers):  # fmt: skip
    """The sweep of :func:`_adjoint_rows`."""
    nz, ny, nx = q.shape
    m = len(beta[0])
    g = (nz, ny, nx, m, surface, box[0], box[1], box[2], box[3])
    qf, bf, nf, wf = q.reshape(-1), b.reshape(-1), q_next.reshape(-1), wrho.reshape(-1)
    fu = fu.reshape(-1)
    ring, fy, fx, acc = buffers
    fp_mode = flush_subnormals()
    ahead, ahead2 = box[0] - m, box[0]
    for iz in range(box[0], box[1]):
        while ahead2 < box[1] and ahead2 < iz + 2 * m:  # lzeta_z 2M planes ahead
            _lzeta_plane(q, mem, runs[1], ahead2, g, True)
            ahead2 += 1
        while ahead < iz + m:  # the z fluxes M - 1 half planes ahead of the rows
            _z_plane(True, qf, bf, ring, ahead, g, beta[0], mem[0], images_z, fu)
            ahead += 1
        _lzeta_plane(q, mem, runs[1], iz, g, False)
        if ny > 1:
            _y_plane(True, qf, bf, fy, iz, g, beta[1], mem[1], images_y, fu)
        for iy in range(box[2], box[3]):
            _x_row(True, qf, bf, fx, iz, iy, g, beta[2], mem[2], runs[2], images_x, fu)
            if image is not None:
                _scatter_row(image, qf, fields, sponge, iz, iy, g)
            _row(qf, nf, nf, wf, acc, ring, fx, fy, iz, iy, g, beta, sponge, mem, runs, True,
                 None)  # fmt: skip
    restore_fp_mode(fp_mode)


# --- Parallel drivers (flat arguments: parallel loops take no nested tuples). ------------------


@njit(**PARALLEL)
def forward_step(
    u, u_prev, u_next, wrho, b, bz, by, bx, sponge_z, sponge_y, sponge_x, psi_z, psi_y, psi_x,
    zeta_z, zeta_y, zeta_x, ahz, bhz, ahy, bhy, ahx, bhx, aiz, biz, aiy, biy, aix, bix,
    near_z, near_y, near_x, off_z, off_y, off_x, runs, surface, boxes, memory=None,
    weights=None, decay=None, gain=None, half=None,
):  # fmt: skip
    """One step ``u_next <- K (2u + wrho L u) - (2K - 1) u_prev`` with CPML memory.

    With ``memory`` (and the other arguments of
    :func:`waveback.physics.attenuation_kernels.relaxed_step`) the attenuating step
    ``u_next <- K (2u + wrho h) - (2K - 1) u_prev``, ``h`` the relaxation of ``L u / rho``
    (memory variables in the units of ``L u / rho``, see :mod:`waveback.physics.density`).

    ``wrho = dt² vp² rho``; ``b = 1/rho``; ``b*`` the staggered coefficients over ``h``;
    ``keep_*`` the sponge factors; ``psi_*``/``zeta_*`` the slab-packed memory (size 1: no CPML
    on that axis), ``ah*``/``bh*`` and ``ai*``/``bi*`` the half- and integer-point profiles,
    ``near_*`` the half points with transposed memory terms, ``off_*`` the storage offsets;
    ``runs[0]``, ``runs[1]``, ``runs[2]`` the x ranges of ``ah != 0``, ``ai != 0`` and ``near``,
    ``runs[3]`` the columns (from the first non-halo one) free of damping and x memory, and
    free of damping;
    ``surface`` 1 under a free surface; ``boxes`` the work items. ``u_prev=None`` updates
    ``u_next`` in place (as in :func:`waveback.kernels.laplacian_step`, which see).
    """
    for item in prange(boxes.shape[0]):
        mem = (
            (psi_z, zeta_z, ahz, bhz, aiz, biz, near_z, off_z),
            (psi_y, zeta_y, ahy, bhy, aiy, biy, near_y, off_y),
            (psi_x, zeta_x, ahx, bhx, aix, bix, near_x, off_x),
        )
        if memory is None:
            _forward_rows(u, u_prev, u_next, wrho, b, (bz, by, bx), (sponge_z, sponge_y, sponge_x),
                          mem, runs, surface, boxes[item], None)  # fmt: skip
        else:
            relaxation = (memory.reshape(-1), weights.reshape(-1), decay, gain, half)
            _forward_rows(u, u_prev, u_next, wrho, b, (bz, by, bx), (sponge_z, sponge_y, sponge_x),
                          mem, runs, surface, boxes[item], relaxation)  # fmt: skip


@njit(**PARALLEL)
def adjoint_step(
    q, q_next, wrho, b, bz, by, bx, sponge_z, sponge_y, sponge_x, psi_z, psi_y, psi_x, zeta_z,
    zeta_y, zeta_x, ahz, bhz, ahy, bhy, ahx, bhx, aiz, biz, aiy, biy, aix, bix, near_z, near_y,
    near_x, off_z, off_y, off_x, runs, surface, boxes, image, fields, images_z, images_y,
    images_x, fu,
):  # fmt: skip
    """The exact transpose of :func:`forward_step` in ``q = w2 rho K lambda``: ``q_next`` holds
    :math:`q^{n+1}` on entry and :math:`q^{n-1}` on return; ``psi_*``/``zeta_*`` the transposed
    memory. With ``image`` and ``fields = (u^{n+1}, u^n, u^{n-1})`` adds ``q D``; with the
    ``images_*`` (size 1: none) adds ``(D+_a fu) F_a`` at the half points (``fu = u^n``).
    """
    for item in prange(boxes.shape[0]):
        mem = (
            (psi_z, zeta_z, ahz, bhz, aiz, biz, near_z, off_z),
            (psi_y, zeta_y, ahy, bhy, aiy, biy, near_y, off_y),
            (psi_x, zeta_x, ahx, bhx, aix, bix, near_x, off_x),
        )
        _adjoint_rows(q, q_next, wrho, b, (bz, by, bx), (sponge_z, sponge_y, sponge_x), mem, runs,
                      surface, boxes[item], image, fields, images_z, images_y, images_x,
                      fu)  # fmt: skip


@njit(**PARALLEL)
def difference(out, f, beta, axis, box, plus):
    """``out = D+ f`` (``plus``) or ``out = D- f`` on ``box`` (Born terms)."""
    nz, ny, nx = f.shape
    st = uint64(ny * nx) if axis == 0 else uint64(nx if axis == 1 else 1)
    of, ff = out.reshape(-1), f.reshape(-1)
    for iz in prange(box[0], box[1]):
        for iy in range(box[2], box[3]):
            base = uint64((iz * ny + iy) * nx)
            for ix in range(box[4], box[5]):
                i = base + uint64(ix)
                of[i] = d_plus(ff, i, st, beta) if plus else d_minus(ff, i, st, beta)
