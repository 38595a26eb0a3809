"""Shots in parallel (``waveback.workflows.executors``): every executor gives the serial result,
bitwise.

Shot data, stacked RTM images, FWI gradients and FWI iterates from a local process pool and
from a dask LocalCluster (processes, loopback only) must equal the in-process serial run with
``np.array_equal``: the kernels are pointwise and the reductions run in shot order. A worker
killed mid-shot must cost that shot only, with the same final result; a shot with a bad input
must be reported with its index while the others finish.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import types
import warnings

import numpy as np
import pytest

import waveback as wb
from waveback.data.acquisition import Shot, Survey
from waveback.data.resumable import ResumableShotFile
from waveback.workflows.executors import (
    DaskExecutor,
    LocalExecutor,
    SerialExecutor,
    ShotFailures,
    in_order,
    make_executor,
)
from waveback.workflows.imaging import rtm
from waveback.workflows.inversion import fwi, misfit_gradient
from waveback.workflows.simulation import ForwardJob, forward_shot, simulate

distributed = pytest.importorskip("distributed")

H, F0 = 10.0, 12.0


def _survey(nshots=4, shape=(60, 90), nt=200, model_dtype="float32"):
    """Two layers, a surface line of single-source shots (fast: ~10 ms per forward)."""
    vp = np.full(shape, 2000.0)
    vp[shape[0] // 2 :] = 2500.0
    model = wb.Model(vp, H, boundary="sponge", nbl=10, dtype=model_dtype)
    dt = 0.8 * model.critical_dt()
    wavelet = wb.ricker(F0, dt, nt).reshape(-1, 1)
    rec = np.stack([np.full(shape[1], 20.0), np.arange(shape[1]) * H], axis=1)
    xs = np.linspace(100.0, (shape[1] - 10) * H, nshots)
    shots = tuple(Shot(np.array([[20.0, x]]), rec, wavelet) for x in xs)
    return Survey(model, dt, nt, shots)


def _smooth(model):
    return model.with_vp(np.full(model.shape, 2000.0))


@pytest.fixture(scope="module")
def small():
    """A 4-shot survey, its serial data, RTM image and misfit gradient."""
    survey = _survey()
    data = simulate(survey)
    smooth = _smooth(survey.model)
    image = rtm(smooth, survey.shots, data, survey.dt, direct="subtract", illumination=True)
    phi, g = misfit_gradient(smooth, survey.shots, data, survey.dt)
    return types.SimpleNamespace(survey=survey, data=data, smooth=smooth, image=image, phi=phi, g=g)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},  # as DaskExecutor: no fixed HTTP port
    ) as local_cluster:
        yield local_cluster


@pytest.fixture(scope="module")
def dask_executor(cluster):
    with distributed.Client(cluster) as client, DaskExecutor(client=client, threads=1) as ex:
        yield ex


@pytest.fixture(scope="module")
def local_executor():
    with LocalExecutor(2) as ex:
        yield ex


@pytest.fixture(params=["local", "dask"])
def executor(request):
    return request.getfixturevalue(f"{request.param}_executor")


def test_make_executor_kinds_and_messages(monkeypatch):
    monkeypatch.delenv("WAVEBACK_SCHEDULER", raising=False)
    assert isinstance(make_executor("serial"), SerialExecutor)
    with make_executor(workers=1) as ex:
        assert ex.kind == "local" and ex.workers == 1
    with pytest.raises(ValueError, match="executor must be one of"):
        make_executor("threads")
    with pytest.raises(ValueError, match="workers must be an integer >= 1"):
        make_executor("local", workers=0)
    with pytest.raises(ValueError, match="workers=2 needs executor='local' or 'dask'"):
        make_executor("serial", workers=2)
    with pytest.raises(ValueError, match="scheduler address is for the dask executor"):
        make_executor("local", scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(ValueError, match="WAVEBACK_SCHEDULER.*--workers N"):
        make_executor("dask")


def test_a_scheduler_address_selects_dask_and_an_unreachable_one_is_named(monkeypatch):
    dask = pytest.importorskip("dask")
    monkeypatch.setenv("WAVEBACK_SCHEDULER", "tcp://127.0.0.1:1")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(OSError, match="could not reach the dask scheduler at tcp://127.0"):
            make_executor()  # no kind: the address in the environment means dask
    with make_executor("local", workers=1) as ex:  # the environment does not override a kind
        assert ex.kind == "local"


def test_a_local_dask_cluster_takes_no_fixed_http_port(small):
    # The scheduler serves HTTP routes even without a dashboard, by default on port 8787: a
    # second run on the machine (or a test in another worker) would warn through -q.
    with socket.socket() as busy, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            busy.bind(("", 8787))
            busy.listen()
        except OSError:  # someone else holds it: the case under test all the same
            pass
        with DaskExecutor(workers=1, threads=1) as ex:
            assert ex.client.run_on_scheduler(lambda: 1) == 1
    assert not [w for w in caught if "8787" in str(w.message)], [str(w.message) for w in caught]


def test_in_order_yields_in_index_order_whatever_the_arrival_order():
    arrivals = [(2, "c"), (0, "a"), (3, "d"), (1, "b")]
    assert list(in_order(arrivals, range(4))) == [(0, "a"), (1, "b"), (2, "c"), (3, "d")]


def test_simulate_equals_serial_bitwise(small, executor):
    data = simulate(small.survey, executor=executor)
    assert len(data) == len(small.data)
    for got, want in zip(data, small.data, strict=True):
        assert got.dtype == want.dtype and np.array_equal(got, want)


def test_rtm_stack_equals_serial_bitwise(small, executor):
    s = small.survey
    image = rtm(
        small.smooth,
        s.shots,
        small.data,
        s.dt,
        direct="subtract",
        illumination=True,
        executor=executor,
    )
    assert np.array_equal(image, small.image)


def test_misfit_gradient_equals_serial_bitwise(small, executor):
    s = small.survey
    phi, g = misfit_gradient(small.smooth, s.shots, small.data, s.dt, executor=executor)
    assert phi == small.phi and np.array_equal(g, small.g)


def test_fwi_iterates_equal_serial_bitwise(small, local_executor):
    s = small.survey
    shots, data = s.shots[1:3], small.data[1:3]
    common = dict(bounds=(1800.0, 2700.0), iterations=2)
    serial = fwi(small.smooth, shots, data, s.dt, **common)
    parallel = fwi(small.smooth, shots, data, s.dt, executor=local_executor, **common)
    assert len(serial.misfit) == 2
    assert np.array_equal(parallel.vp, serial.vp) and parallel.misfit == serial.misfit


def test_simulate_commits_each_shot_to_a_resumable_file(small, executor, tmp_path):
    path = tmp_path / "shots.h5"
    run = ResumableShotFile(path, small.survey)
    run.commit(1, small.data[1])  # an earlier, interrupted run committed shot 1
    arrived = []

    def commit(i, gather, fields):
        arrived.append(i)
        run.commit(i, gather, fields)

    assert simulate(small.survey, executor=executor, indices=run.pending, on_shot=commit) is None
    assert sorted(arrived) == [0, 2, 3]
    run.finish()
    for i, want in enumerate(small.data):
        assert np.array_equal(wb.io.read_gather(path, i), want)


class _CountedJob(ForwardJob):
    """A ForwardJob that counts how often it is pickled (in this process)."""

    pickled = 0

    def __reduce__(self):
        type(self).pickled += 1
        return types.SimpleNamespace, (), dict(self.__dict__)


def test_static_inputs_travel_once_per_worker_not_per_task(small, executor):
    s = small.survey
    job = _CountedJob(s.model, s.dt)
    _CountedJob.pickled = 0
    items = [(i, (s.shots[i % 4],)) for i in range(8)]
    results = dict(executor.map_shots(forward_shot, job, items))
    assert sorted(results) == list(range(8))
    assert np.array_equal(results[5], small.data[1])
    assert 1 <= _CountedJob.pickled <= 2, _CountedJob.pickled  # 2 workers, 8 tasks


@pytest.mark.parametrize("kind", ["serial", "local", "dask"])
def test_a_bad_shot_is_reported_with_its_index_and_the_others_finish(small, kind, request):
    ex = SerialExecutor() if kind == "serial" else request.getfixturevalue(f"{kind}_executor")
    s = small.survey
    outside = Shot(np.array([[20.0, 5000.0]]), s.shots[0].rec, s.shots[0].wavelet)
    shots = [s.shots[0], outside, s.shots[2], s.shots[3]]
    items = [(i, (shot,)) for i, shot in enumerate(shots)]
    done = {}
    with pytest.raises(ShotFailures) as info:
        for i, traces in ex.map_shots(forward_shot, ForwardJob(s.model, s.dt), items):
            done[i] = traces
    assert sorted(done) == [0, 2, 3]
    for i in done:
        assert np.array_equal(done[i], small.data[i])
    assert list(info.value.failures) == [1]
    assert isinstance(info.value, ValueError)
    assert "1 shot failed (the others finished): shot 1: ValueError: src[0]" in str(info.value)
    assert "lies outside the model" in str(info.value)
    with pytest.raises(ShotFailures, match="shot 1: ValueError"):
        rtm(small.smooth, shots, small.data, s.dt, executor=ex)


def _slow_survey():
    """Shots of about half a second each on one thread, to be killed in the middle."""
    return _survey(nshots=4, shape=(300, 400), nt=2500)


@pytest.fixture(scope="module")
def slow():
    survey = _slow_survey()
    return survey, simulate(survey)


def test_a_local_worker_killed_mid_shot_costs_that_shot_only(slow, local_executor):
    survey, want = slow
    ex, got, killed = local_executor, {}, []
    restarts = ex.restarts

    def commit(i, gather, fields):
        if not got:  # kill the worker that has just started the next shot
            killed.append(ex.running()[max(ex.running())])
            os.kill(killed[0], signal.SIGKILL)
        got[i] = gather

    simulate(survey, executor=ex, on_shot=commit)
    assert ex.restarts == restarts + 1 and killed[0] not in ex.worker_pids()
    assert sorted(got) == [0, 1, 2, 3]
    for i in got:
        assert np.array_equal(got[i], want[i])


def test_a_dask_worker_killed_mid_shot_costs_that_shot_only(slow, dask_executor):
    survey, want = slow
    client = dask_executor.client
    got, pids, busy = {}, {}, []

    def commit(i, gather, fields):
        if not got:  # kill the worker that has just started a new shot (key ends in its index)
            running = [
                (int(str(k).rsplit("-", 1)[1]), w)
                for w, ks in client.processing().items()
                for k in ks
            ]
            busy.append(max(running)[1])
            pids.update(client.run(os.getpid, workers=busy))
            os.kill(pids[busy[0]], signal.SIGKILL)
        got[i] = gather

    simulate(survey, executor=dask_executor, on_shot=commit)
    assert sorted(got) == [0, 1, 2, 3]
    for i in got:
        assert np.array_equal(got[i], want[i])
    client.wait_for_workers(2, timeout=60)  # the nanny has restarted it
    assert pids[busy[0]] not in client.run(os.getpid).values()


def test_a_script_without_a_main_guard_is_told_to_add_one(tmp_path):
    """Workers re-import the main module as they start; unguarded, it starts workers again."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import operator\n"
        "from waveback.workflows.executors import LocalExecutor\n"
        "with LocalExecutor(1) as ex:\n"
        "    print(list(ex.map_shots(operator.add, 1, [(0, (2,))])))\n"
    )
    run = subprocess.run(
        [sys.executable, script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert run.returncode == 1 and run.stdout == ""
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "waveback.workflows.executors.WorkerDied: a worker process exited with status"
    )
    assert (
        f"as it started, before running any shot: each worker re-imports the main module "
        f"({script})" in last
    )
    assert "must guard that code with 'if __name__ == \"__main__\":'" in last
    assert "out of memory" not in run.stderr
