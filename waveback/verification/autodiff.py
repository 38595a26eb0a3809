"""Reverse-mode automatic differentiation of the forward time loop: the reference adjoint.

This module is the slow, obviously correct reference against which the hand-written adjoint is
proved on small grids. It shares nothing with the adjoint code: it takes the forward's constant
coefficients from :class:`~waveback.Propagator` and :func:`~waveback.geometry.point_stencils`,
replays the forward time loop in float64 numpy operation by operation, and records every
operation on a :class:`Tape` together with its vector-Jacobian product (vjp). Reverse-mode
differentiation is then :meth:`Tape.backward`: the vjps run in reverse order, and adjoints of a
value that fans out into several operations are summed.

What is taped
-------------
The differentiable inputs are the squared slowness ``m`` (model shaped), the wavelets
``(nt, nsrc)`` and, when given, the initial pressure ``p0`` (model shaped). On the padded grid
``(nz, ny, nx)`` (``ny = 1`` in 2D), with ``B`` the non-halo box, one time step of
:meth:`~waveback.Propagator.step` is, in this order,

.. math::

    w_2 &= \\Delta t^2 / \\mathrm{pad}(m) \\quad \\text{(edge replication, once per run)}\\\\
    \\psi_a &\\leftarrow b_a \\psi_a + a_a D^1_a u \\quad \\text{(CPML slabs of axis } a)\\\\
    u^{n+1} &= K\\,(2u^n + w_2 L u^n) - (2K - 1)\\,u^{n-1} \\quad \\text{(in } B)\\\\
    \\zeta_a &\\leftarrow b_a \\zeta_a + a_a (D^2_a u^n + D^1_a \\psi_a), \\quad
    u^{n+1} \\mathrel{+}= w_2 (D^1_a \\psi_a + \\zeta_a) \\quad \\text{(slabs)}\\\\
    u^{n+1} &\\mathrel{+}= \\textstyle\\sum_k \\big(W_k\\, w_2[i_k] / \\Delta V\\big)\\, s_n
    \\quad \\text{then the free-surface mirror,}

with the sponge factor ``K = sponge_z sponge_y sponge_x`` (``K = 1`` with a CPML). ``d[n] = S u^n``
is sampled before step ``n``; an initial pressure sets ``u^0 = mirror(embed(p0))`` and
``u^{-1} = (u^0 + step(u^0, u^0)) / 2`` with fresh CPML memory for that auxiliary step. The
absorbing profiles depend on ``model.pml_velocity``, not on ``m``, so they are constants.

With a density (``Model(rho=...)``, :mod:`waveback.physics.density`) ``rho`` is a
differentiable input too and the step is instead, per axis ``a`` (fluxes on the half points
whose taps exist, ``B_a`` the mean of ``1/pad(rho)`` of the two neighbours)

.. math::

    \\psi_a &\\leftarrow b^h_a \\psi_a + a^h_a B_a D^+_a u, \\quad
    F_a = B_a D^+_a u + \\psi_a \\quad \\text{(mirrored evenly above a free surface)}\\\\
    \\zeta_a &\\leftarrow b^i_a \\zeta_a + a^i_a D^-_a F_a, \\quad
    u^{n+1} &= K\\,\\big(2u^n + w_2\\,\\mathrm{pad}(\\rho)
    \\textstyle\\sum_a (D^-_a F_a + \\zeta_a)\\big) - (2q - 1)\\,u^{n-1},

then the same injection and mirror.

With attenuation (``Model(attenuation=...)``, constant density,
:mod:`waveback.physics.attenuation_kernels`) the memory variables :math:`r_l^{n-1/2}`, one
padded field per mechanism, zero at the start, are part of the taped state, and the update of
``B`` becomes, with the drive ``g`` of the operator output, CPML terms and sources,

.. math::

    g &= L u^n + \\textstyle\\sum_a (D^1_a \\psi_a + \\zeta_a)
    + \\sum_k (W_k / \\Delta V)\\, s_n, \\qquad
    h = \\Big(1 + \\textstyle\\sum_l \\eta_l a_l\\Big) g - \\sum_l \\eta_l r_l,\\\\
    r_l &\\leftarrow e_l r_l + b_l a_l g, \\qquad
    u^{n+1} = q\\,(2u^n + w_2 h) - (2q - 1)\\,u^{n-1},

then the mirror. Here ``w_2 = dt² v_R²`` is taped as :math:`(v_R^2 m_0)\\,\\Delta t^2 / m`
(``m_0 = model.m``): ``m`` moves ``w_2`` with the fitted solid (weights, relaxation times,
:math:`v_R^2 m`) held fixed, as the hand-written gradient assumes. The auxiliary step of an
initial pressure starts from zero memory variables too.

With both a density and attenuation the drive is the density operator's divergence plus the
source over the density, :math:`g = \\sum_a (D^-_a F_a + \\zeta_a)
+ \\sum_k (W_k / (\\Delta V\\,\\mathrm{pad}(\\rho)[i_k]))\\, s_n` (:math:`L u/\\rho + s/\\rho`: the
memory variables are in those units), relaxed as above, and
:math:`u^{n+1} = K(2u^n + w_2\\,\\mathrm{pad}(\\rho)\\, h) - (2K - 1)u^{n-1}` with
:math:`w_2 = \\Delta t^2 v_R^2`; ``rho`` then also moves the source weights.

The tape holds, per time step, about ``1 + ndim_cpml`` padded wavefields (the operands of the
products with ``w_2``): it is meant for grids of a few thousand points, never for production.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from ..physics.interpolation import check_points, point_stencils
from ..physics.propagation import Propagator
from ..physics.stencils import staggered_coefficients


class Var:
    """A float64 array recorded on a :class:`Tape`; ``index`` names it in the adjoints."""

    __slots__ = ("value", "tape", "index")

    def __init__(self, value, tape, index):
        self.value, self.tape, self.index = value, tape, index


class Tape:
    """The record of a computation: each node is an output, its parents and its vjp.

    A node's vjp is called as ``vjp(adjoint_of_output, *saved)`` and returns one adjoint per
    parent; ``saved`` holds everything it reads, so :attr:`nbytes` is the tape's true memory.
    """

    def __init__(self):
        self._nodes = []
        self._count = 0

    def input(self, value) -> Var:
        """A differentiable input (a leaf of the computation), copied to float64."""
        return self._new(np.array(value, dtype=np.float64))

    def record(self, value, parents, vjp, *saved) -> Var:
        """Append an operation whose output is ``value``; return the output."""
        out = self._new(value)
        self._nodes.append((out.index, tuple(p.index for p in parents), vjp, saved))
        return out

    def backward(self, seeds, inputs) -> list[np.ndarray]:
        """Adjoints of ``inputs`` given ``seeds``, a sequence of ``(Var, adjoint)`` pairs.

        Every node's vjp runs once, in reverse order; a node no seed reaches is skipped.
        """
        adjoints = {}
        for var, adj in seeds:
            _accumulate(adjoints, var.index, np.asarray(adj, dtype=np.float64))
        for out, parents, vjp, saved in reversed(self._nodes):
            adj = adjoints.pop(out, None)
            if adj is None:
                continue
            for parent, contribution in zip(parents, vjp(adj, *saved), strict=True):
                _accumulate(adjoints, parent, contribution)
        return [adjoints.get(v.index, np.zeros_like(v.value)) for v in inputs]

    @property
    def nbytes(self) -> int:
        """Bytes of the distinct arrays the recorded vjps hold (the stored forward pass)."""
        arrays = {id(a): a for node in self._nodes for a in node[3] if isinstance(a, np.ndarray)}
        return sum(a.nbytes for a in arrays.values())

    def _new(self, value) -> Var:
        self._count += 1
        return Var(value, self, self._count - 1)


def _accumulate(adjoints, index, adj):
    """Sum the adjoint contributions of a value that fans out (no in-place aliasing)."""
    adjoints[index] = adj if index not in adjoints else adjoints[index] + adj


# --- Primitives: each forward operation with its vjp right below it. ---------------------------


def stencil(x, taps, boxes):
    """``out[p] = sum_(o, c) c * x[p + o]`` for ``p`` in ``boxes``, zero elsewhere.

    ``taps`` are ``(offset, coefficient)`` pairs with 3-component offsets; ``boxes`` are tuples
    of slices that stay inside ``x`` when shifted by any offset.
    """
    out = np.zeros_like(x.value)
    for box in boxes:
        for offset, c in taps:
            out[box] += c * x.value[_shift(box, offset)]
    return x.tape.record(out, (x,), _stencil_vjp, taps, boxes)


def _stencil_vjp(adj, taps, boxes):
    adj_x = np.zeros_like(adj)
    for box in boxes:
        for offset, c in taps:
            adj_x[_shift(box, offset)] += c * adj[box]
    return (adj_x,)


def _shift(box, offset):
    return tuple(slice(s.start + o, s.stop + o) for s, o in zip(box, offset, strict=True))


def lincomb(*terms):
    """``sum_i c_i * x_i`` of ``(c_i, x_i)`` pairs; ``c_i`` constant (scalars or arrays that
    broadcast to the common shape of the ``x_i``)."""
    coefs, xs = zip(*terms, strict=True)
    out = sum(c * x.value for c, x in terms)
    return xs[0].tape.record(out, xs, _lincomb_vjp, *coefs)


def _lincomb_vjp(adj, *coefs):
    return tuple(c * adj for c in coefs)


def multiply(x, y):
    """Elementwise product of two recorded arrays of one shape."""
    return x.tape.record(x.value * y.value, (x, y), _multiply_vjp, x.value, y.value)


def _multiply_vjp(adj, x, y):
    return adj * y, adj * x


def reciprocal(x, scale):
    """``scale / x`` elementwise (``w2 = dt**2 / m``)."""
    return x.tape.record(scale / x.value, (x,), _reciprocal_vjp, x.value, scale)


def _reciprocal_vjp(adj, x, scale):
    return (-scale * adj / x**2,)


def gather(x, idx):
    """``out = x.flat[idx]``, shaped like ``idx`` (indices may repeat, e.g. edge padding)."""
    return x.tape.record(x.value.reshape(-1)[idx], (x,), _gather_vjp, idx, x.value.shape)


def _gather_vjp(adj, idx, shape):
    return (np.bincount(idx.ravel(), adj.ravel(), minlength=int(np.prod(shape))).reshape(shape),)


def scatter(x, idx, shape):
    """An array of ``shape``, zero but at the distinct flat indices ``idx``, where it is ``x``."""
    out = np.bincount(idx.ravel(), x.value.ravel(), minlength=int(np.prod(shape)))
    return x.tape.record(out.reshape(shape), (x,), _scatter_vjp, idx)


def _scatter_vjp(adj, idx):
    return (adj.reshape(-1)[idx],)


def inject(field, idx, weights, amps):
    """``field.flat[idx[p, k]] += weights[p, k] * amps[p]`` on a copy (bilinear in both)."""
    out = field.value.copy()
    np.add.at(out.reshape(-1), idx, weights.value * amps.value[:, None])
    return field.tape.record(
        out, (field, weights, amps), _inject_vjp, idx, weights.value, amps.value
    )


def _inject_vjp(adj, idx, weights, amps):
    at_points = adj.reshape(-1)[idx]
    return adj, at_points * amps[:, None], (at_points * weights).sum(axis=1)


def sample(u, idx, weights):
    """``out[p] = sum_k weights[p, k] * u.flat[idx[p, k]]`` with constant ``weights``."""
    out = (weights * u.value.reshape(-1)[idx]).sum(axis=1)
    return u.tape.record(out, (u,), _sample_vjp, idx, weights, u.value.shape)


def _sample_vjp(adj, idx, weights, shape):
    adj_u = np.zeros(shape)
    np.add.at(adj_u.reshape(-1), idx, weights * adj[:, None])
    return (adj_u,)


def mirror_flux(x, r):
    """Even mirror of a half-point z field about a surface on row ``r``:
    ``out[j] = x[2r - 1 - j]`` for ``j < r``."""
    out = x.value.copy()
    out[:r] = x.value[r : 2 * r][::-1]
    return x.tape.record(out, (x,), _mirror_flux_vjp, r)


def _mirror_flux_vjp(adj, r):
    adj_x = adj.copy()
    adj_x[:r] = 0.0
    adj_x[r : 2 * r] += adj[:r][::-1]
    return (adj_x,)


def mirror(x, r):
    """Pressure-release surface on row ``r``: ``out[r] = 0``, ``out[r - k] = -out[r + k]``."""
    out = x.value.copy()
    out[r] = 0.0
    for k in range(1, r + 1):
        out[r - k] = -out[r + k]
    return x.tape.record(out, (x,), _mirror_vjp, r)


def _mirror_vjp(adj, r):
    adj_x = adj.copy()
    adj_x[: r + 1] = 0.0
    for k in range(1, r + 1):
        adj_x[r + k] -= adj[r - k]
    return (adj_x,)


# --- The discrete scheme of Propagator.step, on the tape. --------------------------------------


@dataclass(frozen=True)
class _Layer:
    """The CPML of one axis: broadcastable profiles, its stencils and its slab boxes."""

    a: np.ndarray
    b: np.ndarray
    d1: tuple
    d2: tuple
    boxes: tuple


@dataclass(frozen=True)
class _DensityAxis:
    """One axis of the variable-density operator: stencils, boxes, CPML profiles or None."""

    axis: int
    d_plus: tuple
    d_minus: tuple
    mean: tuple
    flux_box: tuple
    half_box: tuple
    profiles: tuple | None  # (a_h, b_h, a_i, b_i), broadcastable


@dataclass(frozen=True)
class _Relaxation:
    """The memory update of an attenuating model, per mechanism ``l``, in float64.

    ``drive = 1 + sum_l eta_l a_l`` multiplies ``g`` in ``h``; ``decay`` (:math:`e_l`),
    ``into`` (:math:`b_l a_l`) and ``half`` (:math:`\\eta_l`) act per mechanism; ``ratio`` is the
    model-shaped :math:`v_R^2 m` that turns ``dt² / m`` into ``w2 = dt² v_R²`` (the solid held
    fixed when ``m`` varies).
    """

    drive: np.ndarray
    decay: tuple
    into: tuple
    half: tuple
    ratio: np.ndarray


@dataclass(frozen=True)
class _Scheme:
    """The constants of one ``(model, dt)``, taken from a :class:`Propagator`, in float64."""

    shape: tuple
    box: tuple
    laplacian: tuple
    k: np.ndarray
    two_k: np.ndarray
    one_minus_two_k: np.ndarray
    layers: tuple
    halo: int
    free_surface: bool
    pad_index: np.ndarray
    interior_index: np.ndarray
    density: tuple = ()
    relaxation: _Relaxation | None = None


def _scheme(prop) -> _Scheme:
    """The constants of :meth:`Propagator.step` as the tape uses them.

    ``B`` is the union of the kernels' work boxes and the non-halo x columns. A CPML slab of an
    axis is ``B`` restricted along that axis to where its profile ``a`` is non-zero: the z and
    y lines the kernels select, and the x ranges ``prop.x_slabs``.
    """
    model, shape = prop.model, prop.shape
    box = (
        slice(int(prop.boxes[:, 0].min()), int(prop.boxes[:, 1].max())),
        slice(int(prop.boxes[:, 2].min()), int(prop.boxes[:, 3].max())),
        slice(len(prop.c[2]) - 1, shape[2] - len(prop.c[2]) + 1),
    )
    laplacian = [((0, 0, 0), sum(float(prop.c[ax][0]) for ax in prop.array_axes))]
    layers = []
    for ax in prop.array_axes:
        laplacian += _pairs(ax, prop.c[ax][1:], 1.0)
        if ax in prop.cpml_axes:
            a, b = (_along(p.astype(np.float64), ax) for p in prop.prof[ax])
            slabs = tuple(
                box[:ax] + (slice(lo, hi),) + box[ax + 1 :] for lo, hi in _runs(prop.prof[ax][0])
            )
            d1 = tuple(_pairs(ax, prop.g[ax], -1.0))
            d2 = (((0, 0, 0), float(prop.c[ax][0])),) + tuple(_pairs(ax, prop.c[ax][1:], 1.0))
            layers.append(_Layer(a, b, d1, d2, slabs))
    sponge = [k.astype(np.float64) for k in prop.sponge]
    k = sponge[0][:, None, None] * sponge[1][None, :, None] * sponge[2][None, None, :]
    in_box = np.zeros(shape)
    in_box[box] = 1.0
    flat = np.arange(int(np.prod(model.padded_shape)))
    return _Scheme(
        shape=shape,
        box=box,
        laplacian=tuple(laplacian),
        k=k,
        two_k=2.0 * k * in_box,
        one_minus_two_k=(1.0 - 2.0 * k) * in_box,
        layers=tuple(layers),
        halo=model.halo,
        free_surface=model.free_surface,
        pad_index=np.pad(
            np.arange(int(np.prod(model.shape))).reshape(model.shape), model.pads, mode="edge"
        ).reshape(shape),
        interior_index=flat.reshape(model.padded_shape)[model.interior],
        density=_density_axes(prop),
        relaxation=_relaxation(prop),
    )


def _relaxation(prop):
    """The :class:`_Relaxation` of an attenuating model's propagator (None without).

    The per-point weights and the coefficients are the propagator's own
    (:func:`waveback.physics.attenuation.memory_coefficients`, padded weights).
    """
    if prop.relaxation is None:
        return None
    weights, decay, gain, half = prop.relaxation
    a = [w.astype(np.float64) for w in weights]
    model = prop.model
    velocity = np.broadcast_to(model.sls.relaxed_velocity, model.shape).astype(np.float64)
    return _Relaxation(
        drive=1.0 + sum(float(eta) * a_l for eta, a_l in zip(half, a, strict=True)),
        decay=tuple(float(e) for e in decay),
        into=tuple(float(b) * a_l for b, a_l in zip(gain, a, strict=True)),
        half=tuple(float(eta) for eta in half),
        ratio=velocity**2 * model.m.astype(np.float64),
    )


def _density_axes(prop):
    """The :class:`_DensityAxis` constants of a density model's propagator (``()`` without).

    Staggered coefficients from :func:`waveback.stencils.staggered_coefficients`; the boxes
    and half/integer CPML profiles are those the propagator uses.
    """
    if prop.density is None:
        return ()
    op, model = prop.density, prop.model
    beta = staggered_coefficients(model.space_order)
    out = []
    for axis, ax in enumerate(prop.array_axes):
        unit = np.eye(3, dtype=int)[ax]
        c = beta / model.spacing[axis]
        d_plus = [(tuple(k * unit), float(v)) for k, v in enumerate(c, 1)]
        d_plus += [(tuple((1 - k) * unit), -float(v)) for k, v in enumerate(c, 1)]
        d_minus = [(tuple((k - 1) * unit), float(v)) for k, v in enumerate(c, 1)]
        d_minus += [(tuple(-k * unit), -float(v)) for k, v in enumerate(c, 1)]
        z0, z1, y0, y1, x0, x1 = (int(v) for v in op.flux_boxes[ax])
        half = [slice(0, n) for n in prop.shape]
        half[ax] = slice(0, prop.shape[ax] - 1)
        profiles = None
        if model.boundary == "cpml":
            profiles = tuple(
                _along(p.astype(np.float64), ax) for pair in (op.prof_h[ax], op.prof_i[ax])
                for p in pair
            )  # fmt: skip
        out.append(
            _DensityAxis(
                ax, tuple(d_plus), tuple(d_minus), (((0, 0, 0), 0.5), (tuple(unit), 0.5)),
                (slice(z0, z1), slice(y0, y1), slice(x0, x1)), tuple(half), profiles,
            )
        )  # fmt: skip
    return tuple(out)


def _pairs(axis, coefs, sign):
    """Taps ``(+k e_axis, c_k)`` and ``(-k e_axis, sign * c_k)`` for ``k = 1..len(coefs)``."""
    taps = []
    for k, c in enumerate(coefs, start=1):
        unit = np.eye(3, dtype=int)[axis]
        taps += [(tuple(k * unit), float(c)), (tuple(-k * unit), sign * float(c))]
    return taps


def _along(profile, axis):
    """A 1D profile shaped to broadcast along ``axis`` of the padded grid."""
    return profile.reshape([-1 if ax == axis else 1 for ax in range(3)])


def _runs(profile):
    """Contiguous ``(lo, hi)`` index ranges where a CPML profile is non-zero (its layers)."""
    nonzero = np.flatnonzero(profile)
    runs = np.split(nonzero, np.flatnonzero(np.diff(nonzero) > 1) + 1)
    return [(int(run[0]), int(run[-1]) + 1) for run in runs if run.size]


def _step(s, w2, u, u_prev, memory, source=None):
    """One :meth:`Propagator.step`: ``u^{n+1}`` and the new memory ``(psi, zeta, r)``."""
    psi = [
        lincomb((layer.b, p), (layer.a, stencil(u, layer.d1, layer.boxes)))
        for layer, p in zip(s.layers, memory[0], strict=True)
    ]
    lap = stencil(u, s.laplacian, (s.box,))
    zeta, terms = [], []
    for layer, p, z in zip(s.layers, psi, memory[1], strict=True):
        d1 = stencil(p, layer.d1, layer.boxes)
        pressure = lincomb((1.0, stencil(u, layer.d2, layer.boxes)), (1.0, d1))
        zeta.append(lincomb((layer.b, z), (layer.a, pressure)))
        terms.append(lincomb((1.0, d1), (1.0, zeta[-1])))
    if s.relaxation is not None:
        drive = lincomb((1.0, lap), *((1.0, t) for t in terms))
        if source is not None:
            drive = inject(drive, *source)
        h, relaxed = _relax(s.relaxation, drive, memory[2])
        u_next = lincomb((s.two_k, u), (s.one_minus_two_k, u_prev), (s.k, multiply(w2, h)))
    else:
        relaxed = []
        u_next = lincomb((s.two_k, u), (s.one_minus_two_k, u_prev), (s.k, multiply(w2, lap)))
        for term in terms:
            u_next = lincomb((1.0, u_next), (1.0, multiply(w2, term)))
        if source is not None:
            u_next = inject(u_next, *source)
    if s.free_surface:
        u_next = mirror(u_next, s.halo)
    return u_next, (psi, zeta, relaxed)


def _relax(relaxation, g, r):
    """``h = (1 + sum eta_l a_l) g - sum eta_l r_l`` and ``r_l <- e_l r_l + b_l a_l g``."""
    c = relaxation
    h = lincomb((c.drive, g), *((-eta, r_l) for eta, r_l in zip(c.half, r, strict=True)))
    r_next = [
        lincomb((e, r_l), (ba, g)) for e, ba, r_l in zip(c.decay, c.into, r, strict=True)
    ]  # fmt: skip
    return h, r_next


def _density_step(s, coef, u, u_prev, memory, source=None):
    """One :meth:`Propagator.step` of a density model; ``coef = (w2 pad(rho), buoyancies)``."""
    w2rho, buoyancy = coef
    cpml = [ax for ax in s.density if ax.profiles is not None]
    psi, zeta, total = [], [], None
    for ax, b in zip(s.density, buoyancy, strict=True):
        flux = multiply(b, stencil(u, ax.d_plus, (ax.flux_box,)))
        if ax.profiles is not None:
            a_h, b_h, _, _ = ax.profiles
            psi.append(lincomb((b_h, memory[0][cpml.index(ax)]), (a_h, flux)))
            flux = lincomb((1.0, flux), (1.0, psi[-1]))
        if s.free_surface and ax.axis == 0:
            flux = mirror_flux(flux, s.halo)
        term = stencil(flux, ax.d_minus, (s.box,))
        if ax.profiles is not None:
            _, _, a_i, b_i = ax.profiles
            zeta.append(lincomb((b_i, memory[1][cpml.index(ax)]), (a_i, term)))
            term = lincomb((1.0, term), (1.0, zeta[-1]))
        total = term if total is None else lincomb((1.0, total), (1.0, term))
    relaxed = []
    if s.relaxation is not None:  # the drive L u / rho + s / rho, relaxed
        if source is not None:
            total = inject(total, *source)
        total, relaxed = _relax(s.relaxation, total, memory[2])
    u_next = lincomb((s.two_k, u), (s.one_minus_two_k, u_prev), (s.k, multiply(w2rho, total)))
    if source is not None and s.relaxation is None:
        u_next = inject(u_next, *source)
    if s.free_surface:
        u_next = mirror(u_next, s.halo)
    return u_next, (psi, zeta, relaxed)


def _density_coefficients(s, w2, rho):
    """``w2 pad(rho)`` and the half-point buoyancy of each axis, on the tape."""
    rho_pad = gather(rho, s.pad_index)
    buoy = reciprocal(rho_pad, 1.0)
    return multiply(w2, rho_pad), [stencil(buoy, ax.mean, (ax.half_box,)) for ax in s.density]


def _fresh_memory(tape, s):
    """Zero memory ``(psi, zeta, r)``: CPML fields, one per CPML axis each, and the memory
    variables of attenuation, one per mechanism (none for a lossless model)."""
    n = len(s.layers) + sum(ax.profiles is not None for ax in s.density)
    mechanisms = 0 if s.relaxation is None else len(s.relaxation.decay)
    return tuple(
        [tape.input(np.zeros(s.shape)) for _ in range(count)] for count in (n, n, mechanisms)
    )


# --- Public interface. -------------------------------------------------------------------------


@dataclass
class TapedRun:
    """A forward run recorded on a tape.

    Attributes
    ----------
    data : (nt, nrec) ndarray
        The receiver data, equal to :func:`waveback.forward`'s to rounding.
    tape : Tape
    traces : list of Var
        ``traces[n]`` is ``data[n]`` on the tape.
    inputs : dict of str to Var
        ``"m"``, ``"wavelet"`` (``(nt, nsrc)``) and, when given, ``"initial_pressure"``.
    """

    data: np.ndarray
    tape: Tape
    traces: list
    inputs: dict

    def vjp(self, data_weights) -> dict[str, np.ndarray]:
        """Adjoints of every input for the output adjoint ``data_weights`` ``(nt, nrec)``.

        Returns ``{name: J_name^T data_weights}`` with the names of :attr:`inputs`.
        """
        weights = np.asarray(data_weights, dtype=np.float64)
        if weights.shape != self.data.shape:
            raise ValueError(
                f"data_weights must have the data's shape (nt, nrec) = {self.data.shape}, "
                f"got {weights.shape}"
            )
        adjoints = self.tape.backward(
            zip(self.traces, weights, strict=True), list(self.inputs.values())
        )
        return dict(zip(self.inputs, adjoints, strict=True))


def taped_forward(
    model,
    wavelet,
    src,
    rec,
    dt,
    interpolation="linear",
    m=None,
    initial_pressure=None,
    rho=None,
    *,
    propagator=None,
) -> TapedRun:
    """Run :func:`waveback.forward`'s time loop on a tape, in float64 numpy.

    Parameters
    ----------
    model : Model
        A float64 model; it fixes the grid, the boundary profiles and the stencils.
    wavelet : (nt,) or (nt, nsrc) array_like
        Source time functions; a 1D wavelet drives every source (it is taped as ``nsrc``
        identical columns, each differentiable on its own).
    src : (nsrc, ndim) array_like or None
        Source positions (m); ``None`` for a pure initial-pressure run.
    rec : (nrec, ndim) array_like
        Receiver positions (m).
    dt : float
        Time step (s).
    interpolation : {"linear", "sinc"}
    m : model-shaped array_like, optional
        Squared slowness (s²/m²) to differentiate at; default ``model.m``. Only ``w2`` and the
        injection weights follow it; the absorbing profiles stay those of ``model``.
    initial_pressure : model-shaped array_like, optional
        ``u(0) = p0`` with zero initial velocity.
    rho : model-shaped array_like, optional
        Density (kg/m³) to differentiate at, for a model with a density; default
        ``model.rho``. It is then the input ``"rho"`` of the run.
    propagator : Propagator, optional
        The propagator of ``(model, dt)`` already built (e.g. a :class:`waveback.Solver`'s),
        whose coefficients the tape reads instead of building its own.

    Returns
    -------
    TapedRun
    """
    if model.dtype != np.float64:
        raise ValueError(
            f"the taped reference runs in float64; build the model with dtype='float64' "
            f"(got {model.dtype.name})"
        )
    if src is None and initial_pressure is None:
        raise ValueError("nothing to propagate: give src positions, or initial_pressure")
    prop = Propagator(model, dt) if propagator is None else propagator
    if prop.model is not model or prop.dt != dt:
        raise ValueError("the propagator given was built for another model or time step")
    s = _scheme(prop)
    tape = Tape()
    inputs = {"m": tape.input(_check_field(model.m if m is None else m, model, "m"))}
    w2 = reciprocal(gather(inputs["m"], s.pad_index), prop.dt**2)
    if s.relaxation is not None:  # w2 = dt² v_R², the solid held fixed
        w2 = lincomb((s.relaxation.ratio.reshape(-1)[s.pad_index], w2))
    buoyancy = None  # 1 / pad(rho) where the sources sit in the drive of a density model
    if s.density:
        inputs["rho"] = tape.input(_check_field(model.rho if rho is None else rho, model, "rho"))
        step = partial(_density_step, s, _density_coefficients(s, w2, inputs["rho"]))
        if s.relaxation is not None:
            buoyancy = reciprocal(gather(inputs["rho"], s.pad_index), 1.0)
    elif rho is not None:
        raise ValueError("rho is only taped for a model with a density (Model(..., rho=...))")
    else:
        step = partial(_step, s, w2)
    src = None if src is None else check_points(src, model, "src")
    inputs["wavelet"] = tape.input(_wavelet_columns(wavelet, 0 if src is None else len(src)))
    source_at = _sources(inputs["wavelet"], w2, src, model, interpolation, s.relaxation, buoyancy)
    if initial_pressure is None:
        u, u_prev = tape.input(np.zeros(s.shape)), tape.input(np.zeros(s.shape))
    else:
        p0 = _check_field(initial_pressure, model, "initial_pressure", positive=False)
        inputs["initial_pressure"] = tape.input(p0)
        u, u_prev = _initial_state(s, step, inputs["initial_pressure"])
    rec_idx, rec_w = point_stencils(check_points(rec, model, "rec"), model, interpolation)
    memory = _fresh_memory(tape, s)
    nt = inputs["wavelet"].value.shape[0]
    traces = []
    for n in range(nt):
        traces.append(sample(u, rec_idx, rec_w))
        if n == nt - 1:
            break  # u^{nt} is never sampled
        u_next, memory = step(u, u_prev, memory, source_at(n))
        u, u_prev = u_next, u
    return TapedRun(np.stack([t.value for t in traces]), tape, traces, inputs)


def _sources(wavelet, w2, src, model, interpolation, relaxation=None, buoyancy=None):
    """``n -> (idx, weights, amplitudes)`` injected at step ``n`` (``None`` without sources).

    The weights ``W * w2[idx] / cell volume`` are taped once; they depend on ``m``. With
    attenuation the sources enter the drive ``g`` instead, with the constant weights
    ``W / cell volume`` (``w2`` then multiplies the relaxed drive), or with a density
    ``W / (cell volume pad(rho)[idx])`` (``buoyancy`` the taped ``1 / pad(rho)``), which
    depend on ``rho``.
    """
    if src is None:
        return lambda n: None
    idx, interp = point_stencils(src, model, interpolation)
    if buoyancy is not None:
        weights = lincomb((interp / float(np.prod(model.spacing)), gather(buoyancy, idx)))
    elif relaxation is not None:
        weights = wavelet.tape.input(interp / float(np.prod(model.spacing)))
    else:
        weights = lincomb((interp / float(np.prod(model.spacing)), gather(w2, idx)))
    nsrc = len(src)
    return lambda n: (idx, weights, gather(wavelet, np.arange(n * nsrc, (n + 1) * nsrc)))


def _initial_state(s, step, p0):
    """``u^0 = mirror(embed(p0))`` and ``u^{-1} = (u^0 + step(u^0, u^0)) / 2``."""
    u = scatter(p0, s.interior_index, s.shape)
    if s.free_surface:
        u = mirror(u, s.halo)
    u_aux, _ = step(u, u, _fresh_memory(p0.tape, s))
    return u, lincomb((0.5, u), (0.5, u_aux))


def tape_adjoint(
    model,
    data_weights,
    src,
    rec,
    dt,
    interpolation="linear",
    nt=None,
    return_tape_bytes=False,
    *,
    propagator=None,
):
    """Transpose of the linear map wavelets ``(nt, nsrc)`` -> data ``(nt, nrec)``.

    Parameters
    ----------
    model, src, rec, dt, interpolation, propagator
        As in :func:`taped_forward`.
    data_weights : (nt, nrec) array_like
        The data-space vector to apply the transpose to.
    nt : int, optional
        Number of time steps; default ``len(data_weights)``, which it must equal if given.
    return_tape_bytes : bool
        Also return :attr:`Tape.nbytes` of the run.

    Returns
    -------
    (nt, nsrc) ndarray
        One column per source; with ``return_tape_bytes``, ``(adjoint, nbytes)``.
    """
    weights = np.asarray(data_weights, dtype=np.float64)
    if nt is not None and weights.shape[0] != nt:
        raise ValueError(f"data_weights has {weights.shape[0]} time samples, expected nt = {nt}")
    nsrc = check_points(src, model, "src").shape[0]
    run = taped_forward(
        model,
        np.zeros((weights.shape[0], nsrc)),
        src,
        rec,
        dt,
        interpolation,
        propagator=propagator,
    )
    return _result(run.vjp(weights)["wavelet"], run, return_tape_bytes)


def tape_gradient(
    model,
    residual,
    wavelet,
    src,
    rec,
    dt,
    interpolation="linear",
    initial_pressure=None,
    return_tape_bytes=False,
    wrt="m",
    *,
    propagator=None,
):
    """Gradient with respect to ``m`` (or ``wrt="rho"``) of ``<residual, d(m)>`` at ``model.m``.

    With ``residual = d - d_obs`` this is the gradient of ``0.5 ||d(m) - d_obs||²``, including
    the fold-back of the edge padding onto the model's edges and the dependence of the source
    injection weights on ``m``.

    Parameters
    ----------
    model, wavelet, src, rec, dt, interpolation, initial_pressure, propagator
        As in :func:`taped_forward`.
    residual : (nt, nrec) array_like
    return_tape_bytes : bool
        Also return :attr:`Tape.nbytes` of the run.

    Returns
    -------
    model-shaped ndarray
        :math:`(\\partial d / \\partial m)^T` residual; with ``return_tape_bytes``,
        ``(gradient, nbytes)``.
    """
    run = taped_forward(
        model,
        wavelet,
        src,
        rec,
        dt,
        interpolation,
        initial_pressure=initial_pressure,
        propagator=propagator,
    )
    return _result(run.vjp(residual)[wrt], run, return_tape_bytes)


def tape_initial_pressure_adjoint(
    model,
    data_weights,
    rec,
    dt,
    nt,
    interpolation="linear",
    return_tape_bytes=False,
    *,
    propagator=None,
):
    """Transpose of the linear map initial pressure (model shaped) -> data ``(nt, nrec)``.

    Parameters
    ----------
    model, rec, dt, interpolation, propagator
        As in :func:`taped_forward`.
    data_weights : (nt, nrec) array_like
    nt : int
        Number of time steps.
    return_tape_bytes : bool
        Also return :attr:`Tape.nbytes` of the run.

    Returns
    -------
    model-shaped ndarray
        With ``return_tape_bytes``, ``(adjoint, nbytes)``.
    """
    run = taped_forward(
        model,
        np.zeros(nt),
        None,
        rec,
        dt,
        interpolation,
        initial_pressure=np.zeros(model.shape),
        propagator=propagator,
    )
    return _result(run.vjp(data_weights)["initial_pressure"], run, return_tape_bytes)


def _result(adjoint, run, return_tape_bytes):
    return (adjoint, run.tape.nbytes) if return_tape_bytes else adjoint


def _check_field(field, model, name, positive=True):
    field = np.asarray(field, dtype=np.float64)
    if field.shape != model.shape:
        raise ValueError(f"{name} must have the model's shape {model.shape}, got {field.shape}")
    if not np.all(np.isfinite(field)) or (positive and np.any(field <= 0)):
        raise ValueError(f"{name} must be finite{' and positive' if positive else ''}")
    return field


def _wavelet_columns(wavelet, nsrc):
    """The wavelets as ``(nt, nsrc)`` float64 columns (a 1D wavelet copied to every source)."""
    w = np.asarray(wavelet, dtype=np.float64)
    if w.ndim == 1:
        w = np.repeat(w[:, None], nsrc, axis=1)
    if w.ndim != 2 or w.shape[0] < 1 or w.shape[1] != nsrc:
        raise ValueError(
            f"wavelet must have shape (nt,) or (nt, nsrc) with nsrc = {nsrc}, got "
            f"{np.shape(wavelet)}"
        )
    if not np.all(np.isfinite(w)):
        raise ValueError("wavelet contains NaN or infinite samples")
    return w
