"""Binomial checkpointing: the Revolve counts, the schedule, and bit-identical gradients."""

import itertools
import pickle
from functools import cache
from math import comb

import numpy as np
import pytest

import waveback as wb
from waveback.physics import checkpointing as ck

pytestmark = pytest.mark.filterwarnings("ignore:grid dispersion")


@cache
def _optimal_steps(l, c):
    """Least forward steps to reverse ``l`` steps with ``c`` checkpoints, by exhaustive search."""
    if l == 1:
        return 0
    if c == 1:
        return l * (l - 1) // 2
    return min(m + _optimal_steps(l - m, c - 1) + _optimal_steps(m, c) for m in range(1, l))


def test_forward_steps_match_exhaustive_search():
    for l, c in itertools.product(range(1, 70), range(1, 7)):
        assert ck.forward_steps(l, c) == _optimal_steps(l, c), (l, c)


def test_forward_steps_known_values():
    # Griewank & Walther: with r repetitions, c checkpoints reverse up to C(c + r, c) steps.
    assert ck.forward_steps(10, 1) == 45
    assert ck.forward_steps(10, 10) == 9  # one checkpoint per step: advance once
    assert ck.forward_steps(1000, 75) == 2 * 1000 - 77  # r = 2 for 77 < 1000 <= C(77, 2)
    assert ck.forward_steps(comb(15, 5), 5) == 10 * comb(15, 5) - comb(15, 9)


def test_split_reaches_the_optimum():
    for l, c in itertools.product(range(2, 60), range(2, 6)):
        m = ck._split(l, c)
        assert m + ck.forward_steps(l - m, c - 1) + ck.forward_steps(m, c) == ck.forward_steps(l, c)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("512MiB", 512 * 2**20),
        ("2 GB", 2 * 10**9),
        ("1.5GiB", int(1.5 * 2**30)),
        ("700MiB", 700 * 2**20),
        ("1000", 1000),
        (12345, 12345),
    ],
)
def test_parse_memory(text, expected):
    assert ck.parse_memory(text) == expected


def test_parse_memory_full_auto_and_errors():
    assert ck.parse_memory("full") is None
    assert 0 < ck.parse_memory("auto") < ck.available_memory()
    for bad in ["lots", "12 parsecs", -5, 0, True, 1.5, "MiB"]:
        with pytest.raises(ValueError, match="memory="):
            ck.parse_memory(bad)


def test_plan_chooses_full_storage_when_it_fits_and_checkpoints_otherwise():
    full = ck.plan(100, 1000, 2000, 5000, "1MB")
    assert full.mode == "full" and full.forward_steps == 100 and full.recomputation == 1.0
    assert full.peak_bytes == 101 * 1000 + 5000
    tight = ck.plan(100, 1000, 2000, 5000, 5000 + 10 * 2000 + 1999)
    assert tight.mode == "revolve" and tight.checkpoints == 10
    assert tight.forward_steps == ck.forward_steps(100, 10) + 1
    assert tight.peak_bytes <= 5000 + 10 * 2000 + 1999
    assert "10 checkpoints" in str(tight) and "recomputation" in str(tight)
    assert ck.plan(100, 1000, 2000, 5000, "full").mode == "full"
    with pytest.raises(ValueError, match="too small"):
        ck.plan(100, 1000, 2000, 5000, 6000)


def _small_run(ndim, boundary, free_surface, nt=40):
    rng = np.random.default_rng(7)
    shape = (12, 15) if ndim == 2 else (8, 9, 10)
    vp = 1500 + 800 * rng.random(shape)
    model = wb.Model(vp, 5.0, boundary=boundary, nbl=4, free_surface=free_surface)
    lo, hi = np.array(model.extent).T
    src = lo + rng.random((1, ndim)) * (hi - lo)
    rec = lo + rng.random((4, ndim)) * (hi - lo)
    dt = 0.8 * model.critical_dt()
    wavelet = wb.ricker(150.0, dt, nt)
    return model, wavelet, src, rec, dt, rng.standard_normal((nt, 4))


@pytest.mark.parametrize("checkpoints", [1, 2, 3, 7, 40])
def test_reversed_fields_replay_full_storage_exactly(checkpoints):
    model, wavelet, src, rec, dt, _ = _small_run(2, "cpml", False)
    nt = wavelet.shape[0]

    def fields(plan):
        solver = wb.Solver(model, dt, src, rec)
        prop, amps, calls = solver.propagator, solver.amplitudes(wavelet), [0]

        def advance(state, n, out=None):
            prop.step(state, solver.source(amps, n), out=out)
            calls[0] += 1

        gen = ck.reversed_fields(prop, prop.new_state(), advance, plan)
        out = []
        while True:
            try:
                n, a, b, c = next(gen)
            except StopIteration as stop:
                return out, stop.value, calls[0]
            out.append((n, a.copy(), b.copy(), c.copy()))

    full, full_count, _ = fields(ck.Plan("full", nt, nt + 1, nt, 0, 0))
    plan = ck.Plan("revolve", nt, checkpoints, ck.forward_steps(nt, checkpoints) + 1, 0, 0)
    replay, count, calls = fields(plan)
    assert full_count == nt and count == calls == plan.forward_steps
    assert [r[0] for r in replay] == list(range(nt - 1, -1, -1))
    for f, r in zip(full, replay, strict=True):
        for a, b in zip(f[1:], r[1:], strict=True):
            assert np.array_equal(a, b)


@pytest.mark.parametrize(
    "ndim, boundary, free_surface",
    [
        (2, "cpml", False),
        (2, "sponge", True),
        (2, "cpml", True),
        (3, "sponge", False),
        (3, "cpml", True),
    ],
)
def test_gradient_is_bit_identical_under_every_budget(ndim, boundary, free_surface):
    model, wavelet, src, rec, dt, residual = _small_run(ndim, boundary, free_surface)
    nt = wavelet.shape[0]
    g_full = wb.gradient(model, residual, wavelet, src, rec, dt, memory="full")
    plan_full = wb.gradient_plan(model, nt, dt, "full", nrec=4)
    one = plan_full.storage_bytes // (nt + 1)
    state = ck.state_bytes(wb.Propagator(model, dt).new_state())
    for c in [1, 2, 5]:  # 5 checkpoints of nt = 40 steps: three levels of recursion
        budget = plan_full.working_bytes + c * state
        plan = wb.gradient_plan(model, nt, dt, budget, nrec=4)
        assert plan.mode == "revolve" and plan.checkpoints == c
        assert plan.peak_bytes <= budget
        g = wb.gradient(model, residual, wavelet, src, rec, dt, memory=budget)
        assert np.array_equal(g, g_full), c
    assert one == model.dtype.itemsize * int(np.prod(wb.Propagator(model, dt).shape))


def test_workspace_reuses_the_history_and_changes_nothing():
    surface = _small_run(2, "cpml", True)
    buried = _small_run(2, "cpml", False)  # same grid, no free surface: its halo must stay 0
    ws = wb.Workspace()
    held = []
    for model, wavelet, src, rec, dt, residual in [surface, surface, buried, surface]:
        g = wb.gradient(model, residual, wavelet, src, rec, dt, memory="full", workspace=ws)
        fresh = wb.gradient(model, residual, wavelet, src, rec, dt, memory="full")
        assert np.array_equal(g, fresh)
        held.append(ws._history)
    assert held[1] is held[0] and held[2] is not held[1] and held[3] is not held[2]
    assert ws.nbytes == held[3].nbytes > 0
    assert pickle.loads(pickle.dumps(ws)).nbytes == 0  # sent to a worker empty
    model, wavelet, src, rec, dt, residual = surface
    state = ck.state_bytes(wb.Propagator(model, dt).new_state())
    budget = wb.gradient_plan(model, len(wavelet), dt, "full", nrec=4).working_bytes + 3 * state
    assert wb.gradient_plan(model, len(wavelet), dt, budget, nrec=4).mode == "revolve"
    g = wb.gradient(model, residual, wavelet, src, rec, dt, memory=budget, workspace=ws)
    assert np.array_equal(g, wb.gradient(model, residual, wavelet, src, rec, dt))
    assert ws.nbytes == 0  # checkpointing released the history
    wb.gradient(model, residual, wavelet, src, rec, dt, memory="full", workspace=ws)
    ws.clear()
    assert ws.nbytes == 0


def test_gradient_refuses_a_budget_below_one_checkpoint():
    model, wavelet, src, rec, dt, residual = _small_run(2, "sponge", False)
    with pytest.raises(ValueError, match="too small"):
        wb.gradient(model, residual, wavelet, src, rec, dt, memory=1000)
    with pytest.raises(ValueError, match="memory="):
        wb.gradient(model, residual, wavelet, src, rec, dt, memory="a lot")
