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
"""

from __future__ import annotations

from numba import njit, prange

from .kernels import PARALLEL


@njit(inline="always")
def memory_at(hf, rf, af, decay, gain, half, i, n):
    """Forward at flat point ``i``: ``hf[i]: g -> h``, ``rf[l n + i]: r^{n-1/2} -> r^{n+1/2}``."""
    g = hf[i]
    h = g
    for l in range(decay.size):
        a, r = af[l * n + i], rf[l * n + i]
        h += half[l] * (a * g - r)
        rf[l * n + i] = decay[l] * r + gain[l] * a * g
    hf[i] = h


@njit(inline="always")
def memory_adjoint_at(hf, rf, af, decay, gain, half, i, n):
    """Transpose at ``i``: ``hf[i]: h_bar -> g_bar``, ``rf: r_bar^{n+1/2} -> r_bar^{n-1/2}``."""
    h_bar = hf[i]
    g_bar = h_bar
    for l in range(decay.size):
        a, r_bar = af[l * n + i], rf[l * n + i]
        g_bar += a * (half[l] * h_bar + gain[l] * r_bar)
        rf[l * n + i] = decay[l] * r_bar - half[l] * h_bar
    hf[i] = g_bar


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
