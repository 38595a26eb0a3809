"""The fused CPML kernels: slab-packed memory, and results independent of the work partition.

The kernels run each slab's memory passes ahead of the row sweep within one parallel work
item, so the result must not depend on how the grid is divided, as long as no item boundary
cuts a slab (``work_boxes(..., whole=...)``). The transposed step is checked here where a free
surface mirrors what the slab's stencils read (matrices of a few steps); accuracy and exact
transposition in general are tested in ``test_adjoint.py``, ``test_autodiff.py`` and
``test_boundaries.py``.
"""

import numpy as np
import pytest

import waveback as wb
from waveback.physics import kernels


def _model(ndim, free_surface=False, nbl=6):
    shape = (30, 26) if ndim == 2 else (22, 20, 18)
    rng = np.random.default_rng(3)
    vp = 1500.0 + 500.0 * rng.random(shape)
    return wb.Model(vp, 10.0, space_order=8, nbl=nbl, free_surface=free_surface)


def _whole(prop, axis):
    """The stored ranges of ``axis``, clipped to the updated points."""
    n, r = prop.shape[axis], prop.halos[axis]
    return [(max(a, r), min(b, n - r)) for a, b in prop.memory_regions[axis]]


@pytest.mark.parametrize(
    "shape, rz, ry, nthreads, tile, whole",
    [
        ((100, 1, 50), 4, 0, 4, 32, [(4, 30), (70, 96)]),
        ((100, 1, 50), 4, 0, 2, 32, [(4, 96)]),
        ((40, 90, 30), 4, 4, 3, 5, [(4, 20), (70, 86)]),
        ((40, 90, 30), 4, 4, 2, 32, []),
    ],
)
def test_work_boxes_cover_the_rows_once_and_keep_ranges_whole(shape, rz, ry, nthreads, tile, whole):
    boxes = kernels.work_boxes(shape, rz, ry, nthreads, tile, whole=whole)
    split, r = (0, rz) if shape[1] == 1 else (1, ry)
    lo, hi = boxes[:, 2 * split], boxes[:, 2 * split + 1]
    assert lo[0] == r and hi[-1] == shape[split] - r
    assert np.array_equal(lo[1:], hi[:-1]) and np.all(hi > lo)
    for start, stop in whole:
        assert not np.any((lo > start) & (lo < stop)), (boxes, start, stop)
    other = 1 - split
    span = (0, 1) if shape[1] == 1 else (rz, shape[0] - rz)
    assert np.all(boxes[:, 2 * other] == span[0]) and np.all(boxes[:, 2 * other + 1] == span[1])
    if not whole:
        assert len(boxes) % nthreads == 0


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("free_surface", [False, True])
def test_cpml_memory_is_stored_on_the_slabs_only(ndim, free_surface):
    model = _model(ndim, free_surface, nbl=6)
    prop = wb.Propagator(model, 1e-3)
    r = model.halo
    state = prop.new_state()
    for axis, ax3 in enumerate(prop.array_axes):
        lo, hi = model.pads[axis]
        n = prop.shape[ax3]
        expected = [(0, lo + 2 * r)] if lo > r else []
        expected += [(n - hi - 2 * r, n)]
        assert sum(b - a for a, b in expected) < n  # a real saving on this grid
        assert prop.memory_sizes[ax3] == sum(b - a for a, b in expected)
        for field in (state.psi[ax3], state.zeta[ax3]):
            shape = list(prop.shape)
            shape[ax3] = prop.memory_sizes[ax3]
            assert field.shape == tuple(shape)
        for t in range(n):  # every stored index maps into storage, in order
            if any(a <= t < b for a, b in expected):
                assert 0 <= t - prop.memory_offsets[ax3][t] < prop.memory_sizes[ax3]


def run_on_boxes(prop, boxes, nt=14):
    """Forward steps, then adjoint steps with the imaging condition, on work items ``boxes``.

    With a density the adjoint steps also collect the flux images of the rho gradient.
    """
    prop.boxes = boxes
    rng = np.random.default_rng(0)
    interior = prop.embed(rng.standard_normal(prop.model.shape))
    state = prop.new_state()
    state.u[...] = interior
    fields = []
    for n in range(nt):
        prop.step(state, add=interior * np.float32(np.sin(n)))
        fields.append(state.u.copy())
    adj = prop.new_state()
    adj.u[...] = interior
    image = np.zeros(prop.shape, prop.model.dtype)
    flux = None if prop.density is None else [np.zeros_like(image) for _ in range(3)]
    for n in range(nt - 2, 0, -1):
        triple = (fields[n + 1], fields[n], fields[n - 1])
        prop.adjoint_step(adj, image=image, fields=triple, flux_images=flux)
    return [state.u, *state.psi, *state.zeta, adj.u, *adj.psi, *adj.zeta, image, *(flux or ())]


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("free_surface", [False, True])
def test_cpml_steps_do_not_depend_on_the_work_partition(ndim, free_surface):
    prop = wb.Propagator(_model(ndim, free_surface), 1e-3)
    split = 0 if ndim == 2 else 1
    r = prop.halos
    everything = [(r[split], prop.shape[split] - r[split])]
    one = kernels.work_boxes(prop.shape, r[0], r[1], 1, whole=everything)
    many = kernels.work_boxes(prop.shape, r[0], r[1], 4, tile=2, whole=_whole(prop, split))
    assert len(one) == 1 and len(many) >= 3
    for a, b in zip(run_on_boxes(prop, one), run_on_boxes(prop, many), strict=True):
        assert np.array_equal(a, b)
    assert np.abs(run_on_boxes(prop, many)[-1]).max() > 0


def wavelet_map_matrices(prop, nt):
    """The matrices of ``nt`` steps of the map from a wavelet on every updated point below the
    surface to the data there (:meth:`Solver.forward`'s loop), and of its adjoint
    (:meth:`Solver.adjoint`'s loop), built column by column: ``(forward, adjoint)``."""
    model = prop.model
    rows = np.arange(prop.shape[0])[:, None, None]
    below = prop.updated_mask() & (rows > model.halo * model.free_surface)
    idx = np.flatnonzero(below).reshape(-1, 1)
    ones = np.ones(idx.shape)
    src_w, rec_w = prop.source_weights(idx, ones), prop.receiver_adjoint_weights(idx, ones)
    read_w, sample_w = prop.source_adjoint_weights(idx, ones), ones.astype(model.dtype)
    npts = idx.shape[0]
    forward, adjoint = np.zeros((2, nt * npts, nt * npts))
    for col in range(nt * npts):
        pulse = np.zeros((nt, npts), model.dtype)
        pulse.flat[col] = 1
        state, adj = prop.new_state(), prop.new_state()
        for n in range(nt):
            kernels.sample(state.u, idx, sample_w, forward[n * npts : (n + 1) * npts, col])
            prop.step(state, (idx, src_w, pulse[n]))
        for n in reversed(range(nt)):
            prop.read_source(adj, idx, read_w, adjoint[n * npts : (n + 1) * npts, col])
            prop.adjoint_step(adj, (idx, rec_w, pulse[n]))
    return forward, adjoint


@pytest.mark.parametrize(
    "shape, order, folded",
    [
        ((6, 10), 16, (9, 10)),  # the model of the order-16 dot test that found the bug
        ((7, 3), 16, (9,)),
        ((2, 3), 8, (5, 6)),
        ((3, 2, 2), 8, (5,)),
    ],
)
def test_transpose_folds_the_cpml_terms_read_through_the_free_surface(shape, order, folded):
    # On a model less than r = order / 2 points deep, the z slab's stencils reach the mirrored
    # halo rows above the free surface; the transposed step must fold what it gives those rows
    # onto their mirror images 2r - t (Propagator.fold), or it is no transpose at all.
    rng = np.random.default_rng(1)
    model = wb.Model(1500 + 1000 * rng.random(shape), 5.0, space_order=order, nbl=2,
                     free_surface=True, dtype="float64")  # fmt: skip
    prop = wb.Propagator(model, 0.8 * model.critical_dt())
    assert tuple(np.flatnonzero(prop.fold)) == folded
    forward, adjoint = wavelet_map_matrices(prop, nt=3)
    scale = np.abs(forward).max()
    assert np.abs(adjoint - forward.T).max() <= 1e-14 * scale  # measured 1.4e-16 .. 2.1e-16
    prop.fold[:] = 0  # without the fold: off by 8e-8 .. 2e-3
    assert np.abs(wavelet_map_matrices(prop, nt=3)[1] - forward.T).max() > 1e-8 * scale


def test_no_fold_without_a_free_surface_or_on_a_deep_enough_model():
    vp = np.full((8, 5), 2000.0)
    for free_surface, depth in ((False, 2), (True, 8)):
        model = wb.Model(vp[:depth], 5.0, space_order=16, nbl=2, free_surface=free_surface)
        assert not wb.Propagator(model, 1e-4).fold.any()
