"""Numba kernels of the SLS memory-variable update, forward and its exact transpose side by side.

The continuous system (:mod:`waveback.physics.attenuation`), with :math:`g = \\mathcal{L}p + s`,

.. math:: m_R\\,\\partial_t^2 p = \\Big(1 + \\sum_l a_l\\Big) g - \\sum_l r_l, \\qquad
   \\tau_{\\sigma l}\\,\\partial_t r_l + r_l = a_l(x)\\, g,

is discretised with the memory variables at half steps, :math:`r_l^{n+1/2}`, updated by
Crank–Nicolson centred on :math:`t_n`, and the leapfrog reading their mean
:math:`\\bar r_l^n = (r_l^{n+1/2} + r_l^{n-1/2})/2`:

.. math::
   r_l^{n+1/2} &= e_l\\, r_l^{n-1/2} + b_l\\, a_l\\, g^n, \\qquad
   e_l = \\frac{2\\tau_{\\sigma l} - \\Delta t}{2\\tau_{\\sigma l} + \\Delta t}, \\quad
   b_l = \\frac{2\\Delta t}{2\\tau_{\\sigma l} + \\Delta t},\\\\
   h^n &= \\Big(1 + \\sum_l \\eta_l a_l\\Big) g^n - \\sum_l \\eta_l\\, r_l^{n-1/2}, \\qquad
   \\eta_l = \\frac{1 + e_l}{2} = \\frac{2\\tau_{\\sigma l}}{2\\tau_{\\sigma l} + \\Delta t},\\\\
   p^{n+1} &= 2p^n - p^{n-1} + \\Delta t^2 v_R^2\\, h^n.

(:math:`h^n = (1 + \\sum a_l) g^n - \\sum_l \\bar r_l^n` written with
:math:`1 - b_l/2 = \\eta_l`.) It is explicit, second-order, unconditionally stable in the
memory variables (:math:`|e_l| < 1`); the leapfrog's stability limit is that of the
instantaneous velocity :math:`v_R\\sqrt{1 + \\sum_l \\eta_l a_l} < v_U`. The state is
:math:`(p^n, p^{n-1}, r^{n-1/2})`, all zero at the start.

One step of the memory update is the linear map
:math:`(g, r^{n-1/2}) \\mapsto (h, r^{n+1/2})`, pointwise; its transpose,
:math:`(\\bar h, \\bar r^{n+1/2}) \\mapsto (\\bar g, \\bar r^{n-1/2})`, is

.. math:: \\bar g = \\Big(1 + \\sum_l \\eta_l a_l\\Big)\\bar h
   + \\sum_l b_l a_l\\,\\bar r_l^{n+1/2}, \\qquad
   \\bar r_l^{n-1/2} = e_l\\,\\bar r_l^{n+1/2} - \\eta_l\\,\\bar h.

In the adjoint time loop it runs backwards: :math:`\\bar h` is the adjoint of :math:`h^n`
(:math:`\\Delta t^2 v_R^2` times the adjoint wavefield), :math:`\\bar g` is then pushed
through :math:`\\mathcal{L}^\\top` and the source sampling.

Invariants: ``memory`` and the per-point ``weights`` :math:`a_l(x)` are ``(L, *field.shape)``
C-contiguous arrays in the field's dtype (the weights padded like the field), as are the
per-mechanism coefficients ``decay`` (:math:`e_l`), ``gain`` (:math:`b_l`) and ``half``
(:math:`\\eta_l`) of :func:`waveback.physics.attenuation.memory_coefficients`. Both kernels work in
place: ``drive`` holds :math:`g` (forward) or :math:`\\bar h` (transpose) on entry and
:math:`h` or :math:`\\bar g` on return; ``memory`` advances one half step. The per-point
functions ``memory_at`` and ``memory_adjoint_at`` are inlined, so a fused time step can call
them inside its row sweep.

**In the time loop** (:meth:`waveback.physics.propagation.Propagator.step`): :func:`relaxed_step`
(and the CPML step of :mod:`waveback.physics.cpml_kernels` with ``memory``) relax each row's
operator output :math:`\\mathcal{L}p` in the sweep that computes it (no full-grid temporary)
and write :math:`p^{n+1} = K(2p^n + \\Delta t^2 v_R^2 h) - (2K - 1)p^{n-1}`; point sources are
then added to ``g`` by :func:`inject_relaxed` (the map being linear in ``g``: they add
:math:`K\\Delta t^2 v_R^2(1 + \\sum_l\\eta_l a_l) s` to :math:`p^{n+1}` and
:math:`b_l a_l s` to :math:`r_l^{n+1/2}`). The transposed step computes
:math:`\\bar g` from :math:`\\bar h = q` (:func:`relaxed_adjoint_drive`), runs the lossless
transposed update on :math:`\\bar g` and restores the inertial term :math:`2Kq`
(:func:`restore_inertia`); :func:`sample_relaxed` reads the sources from :math:`\\bar g`.
The coefficients ``decay``, ``gain``, ``half`` may be tuples (one unrolled specialisation per
number of mechanisms, as the propagator passes them) or arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from .kernels import PARALLEL, SERIAL, flush_subnormals, laplacian_row, restore_fp_mode


@njit(inline="always")
def relaxed(g, rf, af, decay, gain, half, i, n):
    """``h`` of the drive ``g`` at flat point ``i``; ``rf[l n + i]: r^{n-1/2} -> r^{n+1/2}``."""
    h = g
    for l in range(len(decay)):
        a, r = af[l * n + i], rf[l * n + i]
        h += half[l] * (a * g - r)
        rf[l * n + i] = decay[l] * r + gain[l] * a * g
    return h


@njit(inline="always")
def relaxed_adjoint(h_bar, rf, af, decay, gain, half, i, n):
    """``g_bar`` of ``h_bar`` at ``i``; ``rf[l n + i]: r_bar^{n+1/2} -> r_bar^{n-1/2}``."""
    g_bar = h_bar
    for l in range(len(decay)):
        a, r_bar = af[l * n + i], rf[l * n + i]
        g_bar += a * (half[l] * h_bar + gain[l] * r_bar)
        rf[l * n + i] = decay[l] * r_bar - half[l] * h_bar
    return g_bar


@njit(inline="always")
def memory_at(hf, rf, af, decay, gain, half, i, n):
    """Forward at flat point ``i``: ``hf[i]: g -> h``, ``rf[l n + i]: r^{n-1/2} -> r^{n+1/2}``."""
    hf[i] = relaxed(hf[i], rf, af, decay, gain, half, i, n)


@njit(inline="always")
def memory_adjoint_at(hf, rf, af, decay, gain, half, i, n):
    """Transpose at ``i``: ``hf[i]: h_bar -> g_bar``, ``rf: r_bar^{n+1/2} -> r_bar^{n-1/2}``."""
    hf[i] = relaxed_adjoint(hf[i], rf, af, decay, gain, half, i, n)


@njit(**PARALLEL)
def memory_forward(drive, memory, weights, decay, gain, half):
    """One forward memory update on every point (see the module docstring)."""
    hf, rf, af = drive.reshape(-1), memory.reshape(-1), weights.reshape(-1)
    n = hf.size
    for i in prange(n):
        memory_at(hf, rf, af, decay, gain, half, i, n)


@njit(**PARALLEL)
def memory_adjoint(drive, memory, weights, decay, gain, half):
    """The exact transpose of :func:`memory_forward`, in place."""
    hf, rf, af = drive.reshape(-1), memory.reshape(-1), weights.reshape(-1)
    n = hf.size
    for i in prange(n):
        memory_adjoint_at(hf, rf, af, decay, gain, half, i, n)


# --- The attenuating time step: the relaxation fused into the leapfrog's row sweep. ----------


@njit(inline="always")
def relaxed_row(uf, pf, nf, wf, g, rf, af, decay, gain, half, base, n, sponge_row, sponge_x, rx):
    """``u_next <- K (2u + w2 h) - (2K - 1) u_prev`` on ``n`` points of a row from ``base``,
    ``h`` the relaxation of the drive ``g[j]`` (the row's operator output)."""
    size = uf.size
    one = uf.dtype.type(1)
    for jq in range(n):
        j = uint64(jq)
        i = base + j
        h = relaxed(g[j], rf, af, decay, gain, half, i, size)
        k = sponge_row * sponge_x[uint64(rx) + j]
        nf[i] = k * (uf[i] + uf[i] + wf[i] * h) - (k + k - one) * pf[i]


@njit(**SERIAL)
def _relaxed_rows(u, u_prev, u_next, w2, cz, cy, cx, sponge_z, sponge_y, sponge_x, relaxation, box):
    """The attenuating update of the rows of ``box`` (see :func:`relaxed_step`)."""
    nz, ny, nx = u.shape
    rx = len(cx) - 1
    memory, weights, decay, gain, half = relaxation
    uf, nf, wf = u.reshape(-1), u_next.reshape(-1), w2.reshape(-1)
    pf = nf if u_prev is None else u_prev.reshape(-1)
    rf, af = memory.reshape(-1), weights.reshape(-1)
    lap = np.empty(nx - 2 * rx, dtype=u.dtype)
    fp_mode = flush_subnormals()
    for row in range((box[1] - box[0]) * (box[3] - box[2])):
        iz, iy = box[0] + row // (box[3] - box[2]), box[2] + row % (box[3] - box[2])
        base = laplacian_row(uf, cz, cy, cx, iz, iy, ny, nx, lap)
        sponge_row = sponge_z[iz] * sponge_y[iy]
        relaxed_row(uf, pf, nf, wf, lap, rf, af, decay, gain, half, base, lap.size, sponge_row,
                    sponge_x, rx)  # fmt: skip
    restore_fp_mode(fp_mode)


@njit(**PARALLEL)
def relaxed_step(
    u, u_prev, u_next, w2, cz, cy, cx, sponge_z, sponge_y, sponge_x, memory, weights, decay, gain,
    half, boxes,
):  # fmt: skip
    """One attenuating leapfrog step without CPML (sponge or none), ``memory`` advanced.

    ``u_next <- K (2u + w2 h) - (2K - 1) u_prev`` with ``h`` the relaxation of ``g = L u``
    (the module docstring; sources are added to ``g`` by :func:`inject_relaxed`). Arguments
    as in :func:`waveback.physics.kernels.laplacian_step`, plus the memory update's.
    """
    for item in prange(boxes.shape[0]):
        _relaxed_rows(
            u, u_prev, u_next, w2, cz, cy, cx, sponge_z, sponge_y, sponge_x,
            (memory, weights, decay, gain, half), boxes[item],
        )  # fmt: skip


@njit(**PARALLEL)
def relaxed_adjoint_drive(q, g_bar, memory, weights, decay, gain, half, box):
    """``g_bar = (1 + sum eta a) q + sum b a r_bar`` and ``r_bar`` moved back, on ``box``.

    The transpose of the relaxation in an adjoint step: ``q`` holds :math:`\\bar h`
    (:math:`q = w_2 K \\lambda`); ``g_bar`` is what the transposed operator then acts on.
    ``box = (z0, z1, y0, y1, x0, x1)``; ``g_bar`` is not written outside it.
    """
    nz, ny, nx = q.shape
    qf, gf, rf, af = q.reshape(-1), g_bar.reshape(-1), memory.reshape(-1), weights.reshape(-1)
    size = qf.size
    for iz in prange(box[0], box[1]):
        for iy in range(box[2], box[3]):
            base = uint64((iz * ny + iy) * nx)
            for ix in range(box[4], box[5]):
                i = base + uint64(ix)
                gf[i] = relaxed_adjoint(qf[i], rf, af, decay, gain, half, i, size)


@njit(**PARALLEL)
def restore_inertia(q_next, q, g_bar, sponge_z, sponge_y, sponge_x, box):
    """``q_next += 2K (q - g_bar)`` on ``box``: a lossless adjoint update run on ``g_bar``
    (``K (2 g_bar + w2 L g_bar) - ...``) becomes the attenuating one (``K (2q + ...)``)."""
    for iz in prange(box[0], box[1]):
        for iy in range(box[2], box[3]):
            kzy = sponge_z[iz] * sponge_y[iy]
            for ix in range(box[4], box[5]):
                k = kzy * sponge_x[ix]
                q_next[iz, iy, ix] += (k + k) * (q[iz, iy, ix] - g_bar[iz, iy, ix])


@njit(cache=True, nogil=True)
def inject_relaxed(field, memory, idx, weights, amplitudes, w2, sponge_z, sponge_y, sponge_x,
                   relax_weights, gain, half):  # fmt: skip
    """Point sources added to the drive ``g`` after an attenuating step has run without them.

    ``v = weights[p, k] amplitudes[p]`` is the source's lossless increment :math:`w_2 s`; the
    step being linear in ``g``, adding ``s = v / w_2`` to ``g`` adds
    :math:`K w_2 (1 + \\sum_l \\eta_l a_l)\\, s` to ``field`` (:math:`u^{n+1}`) and
    :math:`b_l a_l s` to ``memory`` (:math:`r_l^{n+1/2}`).
    """
    nz, ny, nx = field.shape
    ff, rf, wf = field.reshape(-1), memory.reshape(-1), w2.reshape(-1)
    af = relax_weights.reshape(-1)
    size = ff.size
    for p in range(idx.shape[0]):
        for k in range(idx.shape[1]):
            i = idx[p, k]
            v = weights[p, k] * amplitudes[p]
            s = v / wf[i]
            total = wf.dtype.type(1)
            for l in range(len(gain)):
                total += half[l] * af[l * size + i]
                rf[l * size + i] += gain[l] * af[l * size + i] * s
            k = sponge_z[i // (ny * nx)] * sponge_y[(i // nx) % ny] * sponge_x[i % nx]
            ff[i] += k * total * v


@njit(cache=True, nogil=True)
def sample_relaxed(field, memory, idx, weights, relax_weights, gain, half, out):
    """The transpose of :func:`inject_relaxed`, in :math:`q = w_2 K \\lambda`: reads
    :math:`\\bar g = (1 + \\sum_l \\eta_l a_l) q + \\sum_l b_l a_l \\bar r_l` at the points,
    ``out[p] = sum_k weights[p, k] g_bar[idx[p, k]]`` (``weights`` are ``W / dV``)."""
    ff, rf, af = field.reshape(-1), memory.reshape(-1), relax_weights.reshape(-1)
    size = ff.size
    for p in range(idx.shape[0]):
        acc = ff.dtype.type(0)
        for k in range(idx.shape[1]):
            i = idx[p, k]
            g_bar = ff[i]
            for l in range(len(gain)):
                a = af[l * size + i]
                g_bar += a * (half[l] * ff[i] + gain[l] * rf[l * size + i])
            acc += weights[p, k] * g_bar
        out[p] = acc


@njit(**PARALLEL)
def scatter_image(image, q, u_next, u, u_prev, sponge_z, sponge_y, sponge_x, box):
    """``image += q D``, ``D = u_next - 2K u + (2K - 1) u_prev`` on ``box``: the imaging
    condition of the gradient, a pass of its own in the attenuating adjoint (see
    :func:`waveback.physics.kernels.scattering` for ``D``)."""
    one = q.dtype.type(1)
    for iz in prange(box[0], box[1]):
        for iy in range(box[2], box[3]):
            kzy = sponge_z[iz] * sponge_y[iy]
            for ix in range(box[4], box[5]):
                k2 = (kzy + kzy) * sponge_x[ix]
                d = u_next[iz, iy, ix] - k2 * u[iz, iy, ix] + (k2 - one) * u_prev[iz, iy, ix]
                image[iz, iy, ix] += q[iz, iy, ix] * d
