"""Tests of :mod:`waveback.physics.footprint`: estimates equal what is allocated, refusals first."""

from __future__ import annotations

import numpy as np
import pytest

import waveback as wb
from waveback.data.acquisition import Shot, Survey
from waveback.physics import checkpointing, footprint, propagation
from waveback.physics.checkpointing import state_bytes
from waveback.workflows.executors import LocalExecutor, SerialExecutor


def _model(ndim=2, boundary="cpml", dtype="float32"):
    shape = (21, 31) if ndim == 2 else (11, 13, 15)
    return wb.Model(np.full(shape, 1500.0), 10.0, boundary=boundary, nbl=6, dtype=dtype)


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("boundary", ["cpml", "sponge"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sizes_equal_what_the_propagator_allocates(ndim, boundary, dtype):
    model = _model(ndim, boundary, dtype)
    prop = wb.Propagator(model, 0.5 * model.critical_dt())
    assert footprint.state_bytes(model) == state_bytes(prop.new_state())
    assert footprint.field_bytes(model) == prop.w2.nbytes
    shapes = propagation.state_shapes(model)
    state = prop.new_state()
    assert [a.shape for a in (state.u, state.u_prev, *state.psi, *state.zeta)] == [
        shapes[0],
        shapes[1],
        *shapes[2],
        *shapes[3],
    ]


def test_forward_estimate_has_every_part():
    model = _model()  # padded 21 + 2 * (6 + 4) = 41 by 51: 2091 points of 4 bytes
    est = footprint.forward(model, nt=100, nrec=7, snapshots=2)
    field = 41 * 51 * 4
    assert dict(est.parts) == {
        "wavefields": 2 * field,
        "coefficients": field,
        # psi and zeta of z and x on their slabs: 6 + 4 points widened by 2 * 4 on each
        # side, 36 of 41 rows and 36 of 51 columns; y's 1-point dummies
        "boundary arrays": 2 * (36 * 51 + 41 * 36) * 4 + 2 * 4,
        "traces": 100 * 7 * 4,
        "snapshots": 2 * 21 * 31 * 4,
    }
    assert est.total == sum(dict(est.parts).values())


def test_gradient_estimate_is_the_plans_peak():
    model = _model()
    plan = wb.gradient_plan(model, 50, 0.5 * model.critical_dt(), "full", 7)
    est = footprint.gradient(plan)
    assert est.total == plan.peak_bytes
    assert dict(est.parts)["history of 51 wavefields"] == 51 * footprint.field_bytes(model)


def test_workers_multiply_and_hold_the_model():
    model = _model()
    est = footprint.forward(model, 10, 1)
    with SerialExecutor() as serial:
        assert footprint.on_workers(est, model, serial, "x").total == est.total
    pool = LocalExecutor.__new__(LocalExecutor)  # its attributes alone: no processes started
    pool.workers = 3
    on_pool = footprint.on_workers(est, model, pool, "x")
    assert on_pool.total == 3 * (est.total + model.vp.nbytes)
    assert str(on_pool).endswith(" per worker x 3 workers)")


def _no_propagator(*args, **kwargs):
    raise AssertionError("a propagator was built before the memory check")


def test_forward_and_gradient_refuse_before_allocating(monkeypatch):
    model = _model()
    dt = 0.5 * model.critical_dt()
    wavelet = wb.ricker(15.0, dt, 100)
    src, rec = np.array([[50.0, 150.0]]), np.array([[50.0, 200.0]])
    est = footprint.forward(model, 100, 1)
    monkeypatch.setattr(checkpointing, "available_memory", lambda: est.total - 1)
    monkeypatch.setattr(propagation.Propagator, "__init__", _no_propagator)
    with pytest.raises(footprint.MemoryShortage) as exc:
        wb.forward(model, wavelet, src, rec, dt)
    assert str(exc.value) == (
        f"forward modelling needs about {est} of memory, but only "
        f"{footprint.size(est.total - 1)} is available; use a coarser grid or a smaller model, "
        f"or fewer snapshots"
    )
    with pytest.raises(footprint.MemoryShortage, match=r"^the gradient needs about .*history of"):
        wb.gradient(model, np.zeros((100, 1)), wavelet, src, rec, dt, memory="full")
    survey = Survey(model, dt, 100, (Shot(src, rec, wavelet[:, None]),))
    with pytest.raises(footprint.MemoryShortage, match="^forward modelling of 1 shots needs"):
        wb.simulate(survey)


def test_auto_memory_checkpoints_instead_of_refusing(monkeypatch):
    model = _model()
    dt = 0.5 * model.critical_dt()
    wavelet = wb.ricker(15.0, dt, 100)
    src, rec = np.array([[50.0, 150.0]]), np.array([[50.0, 200.0]])
    stored = wb.gradient(model, np.ones((100, 1)), wavelet, src, rec, dt, memory="full")
    full = wb.gradient_plan(model, 100, dt, "full", 1)
    monkeypatch.setattr(checkpointing, "available_memory", lambda: full.peak_bytes - 1)
    assert wb.gradient_plan(model, 100, dt, "auto", 1).mode == "revolve"
    g = wb.gradient(model, np.ones((100, 1)), wavelet, src, rec, dt)  # memory="auto"
    np.testing.assert_array_equal(g, stored)


def test_a_workspaces_history_counts_as_available(monkeypatch):
    model = _model()
    dt = 0.5 * model.critical_dt()
    wavelet = wb.ricker(15.0, dt, 100)
    src, rec = np.array([[50.0, 150.0]]), np.array([[50.0, 200.0]])
    workspace = wb.Workspace()
    args = (model, np.ones((100, 1)), wavelet, src, rec, dt)
    first = wb.gradient(*args, memory="full", workspace=workspace)
    plan = wb.gradient_plan(model, 100, dt, "full", 1)
    assert workspace.nbytes == plan.storage_bytes
    monkeypatch.setattr(checkpointing, "available_memory", lambda: plan.working_bytes)
    again = wb.gradient(*args, memory="full", workspace=workspace)  # reuses the history held
    np.testing.assert_array_equal(again, first)
    with pytest.raises(footprint.MemoryShortage, match="^the gradient needs about"):
        wb.gradient(*args, memory="full")
