"""Shots in parallel: one executor seam for simulate, imaging, inversion and the Python API.

The unit of parallel work is the shot. An executor runs a module-level, picklable *shot
function* ``func(static, *args)`` for many shots and yields ``(index, result)`` as each shot
finishes, so that a caller can commit it at once (:mod:`waveback.resumable`). ``static`` holds
the inputs every shot shares (the model, the time step, the options); it is sent to each
worker once per :meth:`map_shots` call, never per task. ``args`` are the shot's own inputs
(its :class:`~waveback.acquisition.Shot`, its observed gather).

Three kinds, one interface (:func:`make_executor`):

``serial``
    In this process, one shot after the other; numba uses all cores. The default of the Python
    API (``executor=None``).
``local``
    A pool of worker processes on this machine, one per core by default, each with
    ``cores // workers`` numba threads so that the machine is not oversubscribed. The default
    of the command line.
``dask``
    :mod:`dask.distributed`: an existing scheduler (``scheduler="tcp://host:8786"`` or the
    ``WAVEBACK_SCHEDULER`` environment variable), or a ``LocalCluster`` of ``workers``
    processes when no address is given. See ``docs/cluster.md``.

Guarantees, the same in every kind:

* **Determinism.** A shot's result does not depend on where it ran: the kernels are
  pointwise (no reduction whose order depends on the thread count) and the checkpointed
  gradient is bit-identical to full storage. Callers reduce over shots in a fixed order
  (:func:`in_order`), starting from zeros in float64 exactly as the serial loop does, so a
  stacked image or gradient is bitwise the same for any number of workers and any schedule.
* **Dead workers.** A worker process that dies mid-shot (killed, out of memory) costs that
  shot's time only: the shot is run again on a fresh worker, up to ``retries`` times
  (dask: the scheduler's ``distributed.scheduler.allowed-failures``, 3 by default).
* **Bad shots.** A shot function that raises (an input error such as a source outside the
  model) does not stop the others: every good shot is yielded, then :class:`ShotFailures`
  lists each failed shot with its index and reason.

* **Interruption.** Ctrl-C reaches this process only: ``local`` workers (and those of a
  dask ``LocalCluster``) ignore SIGINT from birth. When :meth:`map_shots` ends early
  (``KeyboardInterrupt``, an exception in the caller, the loop left), the workers still
  running its shots are killed (dask: the shots are cancelled), so nothing runs on.

How ``static`` reaches the workers: ``local`` runs one single-process
:class:`concurrent.futures.ProcessPoolExecutor` per worker (started with ``forkserver`` on
Linux, ``spawn`` elsewhere: forking a process whose numba threads have started is unsafe) and
submits ``static`` once to each; the worker keeps it in a module-level slot
(``_WORKER_STATIC``) that only :func:`_install` sets, and that the next :meth:`map_shots` call
replaces. One pool per worker means a dead worker breaks its own pool only; the shots running
on the others go on. A result comes back through a temporary file whose name alone crosses the
pool's pipe: a worker killed while writing a large result into the pipe would leave a partial
message there, on which CPython's pool waits for ever; a short name is one atomic pipe write.
``dask`` submits ``static`` as a task of its own (an identity, :func:`_hold`) on which every
shot depends: the first worker to need it computes it, the others copy it from a peer, and
when every worker holding it dies the scheduler runs that task again. (Scattered data,
``client.scatter(static, broadcast=True)``, cannot be recomputed: a worker that died during
the broadcast left the scheduler replicating to it for ever, and one that held the only copy
cancelled every shot.)
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import pickle
import shutil
import signal
import sys
import tempfile
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..physics import checkpointing
from ..physics.kernels import available_cores
from ..physics.progress import progress_bar

KINDS = ("serial", "local", "dask")
#: Environment variable holding the dask scheduler address when none is given.
SCHEDULER_ENV = "WAVEBACK_SCHEDULER"

# Set in worker processes only (never in the client): the static inputs of the current
# map_shots call, tagged with its token, and the number of workers sharing this host's memory.
_WORKER_STATIC = (None, None)
_WORKER_SHARE = 1
_TOKENS = itertools.count()


class ShotFailures(ValueError):
    """Some shots failed; the others finished (and were yielded or committed).

    Attributes
    ----------
    failures : dict of int to BaseException
        The failed shots, by index, with the exception each raised (a shot whose worker died
        more than ``retries`` times carries a :class:`WorkerDied`).
    """

    def __init__(self, failures):
        self.failures = dict(sorted(failures.items()))
        reasons = "; ".join(
            f"shot {i}: {type(exc).__name__}: {exc}" for i, exc in self.failures.items()
        )
        n = len(self.failures)
        super().__init__(f"{n} shot{'s' * (n != 1)} failed (the others finished): {reasons}")


class WorkerDied(RuntimeError):
    """A worker process died: while running a shot, too many times (killed, out of memory), or
    as it started, before running anything (its main module could not be imported)."""


def make_executor(kind=None, workers=None, scheduler=None):
    """The executor of ``kind`` (a context manager: ``with make_executor(...) as ex:``).

    Parameters
    ----------
    kind : {"serial", "local", "dask"}, optional
        Default ``"dask"`` when a scheduler address is known (``scheduler`` or the
        ``WAVEBACK_SCHEDULER`` environment variable), else ``"local"``.
    workers : int, optional
        ``local``: worker processes (default one per core). ``dask``: the size of a
        ``LocalCluster`` started when no scheduler address is known.
    scheduler : str, optional
        ``dask``: the scheduler's address, e.g. ``"tcp://10.0.0.1:8786"``; default the
        ``WAVEBACK_SCHEDULER`` environment variable.

    Returns
    -------
    SerialExecutor, LocalExecutor or DaskExecutor
    """
    kind = resolve_kind(kind, scheduler)
    if workers is not None and (int(workers) != workers or workers < 1):
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    if scheduler and kind != "dask":
        raise ValueError(
            f"a scheduler address is for the dask executor, not {kind!r}: give executor='dask'"
        )
    if kind == "serial":
        if workers not in (None, 1):
            raise ValueError(
                f"the serial executor runs one shot at a time in this process; workers="
                f"{workers} needs executor='local' or 'dask'"
            )
        return SerialExecutor()
    if kind == "local":
        return LocalExecutor(workers)
    return DaskExecutor(workers, scheduler)


def resolve_kind(kind=None, scheduler=None):
    """The executor kind that :func:`make_executor` runs for ``kind`` and ``scheduler``.

    None means ``"dask"`` when a scheduler address is known (``scheduler`` or the
    ``WAVEBACK_SCHEDULER`` environment variable), else ``"local"``.
    """
    if kind is None:
        kind = "dask" if scheduler or os.environ.get(SCHEDULER_ENV) else "local"
    if kind not in KINDS:
        raise ValueError(f"executor must be one of {KINDS}, got {kind!r}")
    return kind


@contextlib.contextmanager
def resolve(executor):
    """``with resolve(executor) as ex``: None is serial, a kind is made (and closed), an
    executor object is used as it is (and left open)."""
    if executor is None:
        yield SerialExecutor()
    elif isinstance(executor, str):
        with make_executor(executor) as ex:
            yield ex
    elif hasattr(executor, "map_shots"):
        yield executor
    else:
        raise TypeError(
            f"executor must be None, one of {KINDS} or an executor from make_executor, "
            f"got {type(executor).__name__}"
        )


def counted(arrivals, total, progress, desc="shots", leave=True):
    """Pass ``(i, result)`` pairs through, counting them on a progress bar (tqdm) over shots.

    ``leave=False`` clears the bar when done (one bar per misfit evaluation of an inversion).
    """
    with progress_bar(progress, desc, "shot", total=total, leave=leave) as bar:
        for pair in arrivals:
            bar.update()
            yield pair


def in_order(results, indices):
    """Yield ``(i, result)`` pairs of ``results`` (any arrival order) in the order of ``indices``.

    Early arrivals wait in a buffer until every shot before them has been yielded, so a sum
    over the yielded results is the same for every schedule. Exceptions of ``results`` (such
    as :class:`ShotFailures` after the last good shot) propagate.
    """
    order, buffer, k = list(indices), {}, 0
    for i, result in results:
        buffer[i] = result
        while k < len(order) and order[k] in buffer:
            yield order[k], buffer.pop(order[k])
            k += 1


def shot_memory(memory):
    """The memory budget of one shot in this process: ``"auto"`` shares the host's memory.

    ``"auto"`` is half the available memory (:func:`waveback.checkpointing.parse_memory`);
    in a worker that shares its host with ``n - 1`` others it is divided by ``n`` (and a dask
    worker's memory limit caps it). Other settings pass through unchanged. The budget only
    chooses between full storage and checkpointing, which give bit-identical gradients.
    """
    if not (isinstance(memory, str) and memory.strip().lower() == "auto"):
        return memory
    budget = checkpointing.DEFAULT_FRACTION * checkpointing.available_memory() / _WORKER_SHARE
    limit = _dask_memory_limit()
    if limit:
        budget = min(budget, checkpointing.DEFAULT_FRACTION * limit)
    return max(int(budget), 1)


def _dask_memory_limit():
    if sys.modules.get("distributed") is None:  # not imported (or blocked)
        return None
    try:
        from distributed import get_worker

        return get_worker().memory_manager.memory_limit
    except (ValueError, AttributeError):
        return None


def _failed(failures):
    if failures:
        raise ShotFailures(failures)


class SerialExecutor:
    """Shots one after the other in this process (numba uses every core)."""

    kind, workers, in_process = "serial", 1, True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Nothing to release."""

    def map_shots(self, func, static, items):
        """Run ``func(static, *args)`` for every ``(index, args)`` of ``items``, in order.

        Yields ``(index, result)``; raises :class:`ShotFailures` after the last good shot if
        any shot raised.
        """
        failures = {}
        for i, args in items:
            try:
                result = func(static, *args)
            except Exception as exc:  # reported with the shot index
                failures[i] = exc
                continue
            yield i, result
        _failed(failures)


class LocalExecutor:
    """A process pool on this machine: one single-process pool per worker.

    Parameters
    ----------
    workers : int, optional
        Worker processes; default one per core available to this process.
    threads : int, optional
        Numba threads of each worker; default ``max(1, cores // workers)``.
    retries : int
        Times a shot is run again after its worker died, before it is reported as failed.

    Attributes
    ----------
    restarts : int
        Workers restarted after they died (over the executor's life).
    """

    kind, in_process = "local", False

    def __init__(self, workers=None, *, threads=None, retries=3):
        cores = available_cores()
        self.workers = int(workers or cores)
        self.threads = int(threads or max(1, cores // self.workers))
        self.retries = int(retries)
        self.restarts = 0
        self._running = {}
        self._results = tempfile.mkdtemp(prefix="waveback-results-")
        self._slots = [
            _Worker(self.threads, self.workers, self._results) for _ in range(self.workers)
        ]

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.close(wait=exc_type is None)

    def close(self, wait=True):
        """Stop the worker processes (without waiting for running shots if ``wait`` is False)."""
        for slot in self._slots:
            slot.stop(wait)
        shutil.rmtree(self._results, ignore_errors=True)

    def worker_pids(self):
        """Process ids of the workers that hold the current static inputs."""
        return [slot.pid for slot in self._slots if slot.pid is not None]

    def running(self):
        """``{shot index: worker process id}`` of the shots submitted and not yet returned."""
        return {i: self._slots[k].pid for k, i, _ in list(self._running.values())}

    def map_shots(self, func, static, items):
        """Run ``func(static, *args)`` for every ``(index, args)`` of ``items`` on the workers.

        Yields ``(index, result)`` as shots finish (in any order); raises
        :class:`ShotFailures` after the last good shot if any shot raised or kept killing its
        worker. ``static`` is sent once to each worker. One call at a time per executor.
        """
        token = next(_TOKENS)
        queue, running, failures = deque(items), {}, {}
        self._running = running
        deaths = dict.fromkeys((i for i, _ in queue), 0)
        idle = list(range(self.workers))[::-1]

        def feed():  # one shot per idle worker
            while queue and idle:
                k = idle.pop()
                i, args = queue.popleft()
                running[self._slots[k].submit(token, static, func, args)] = (k, i, args)

        try:
            feed()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                ready = []
                for future in done:
                    k, i, args = running.pop(future)
                    idle.append(k)
                    exc = future.exception()
                    if exc is None:
                        ready.append((i, _take(future.result())))
                    elif isinstance(exc, BrokenProcessPool):  # the worker died: run it again
                        slot = self._slots[k]
                        code = slot.exitcode()
                        if not slot.started() and code is not None and code >= 0:
                            raise WorkerDied(_start_failure(code))
                        slot.restart()
                        self.restarts += 1
                        deaths[i] += 1
                        if deaths[i] > self.retries:
                            failures[i] = WorkerDied(
                                f"its worker process died {deaths[i]} times while running it "
                                f"(the last one {_ending(code)}; out of memory? see "
                                f"docs/cluster.md)"
                            )
                        else:
                            queue.appendleft((i, args))
                    else:
                        failures[i] = self._slots[k].install_error() or exc
                feed()  # before yielding: the workers keep busy while the caller commits
                yield from ready
        finally:  # ended early (Ctrl-C, the caller's error): stop the shots still running
            for k, _, _ in running.values():
                self._slots[k].restart()
        _failed(failures)


class _Worker:
    """One worker process in its own single-process pool, and the static inputs it holds."""

    def __init__(self, threads, share, results):
        self.threads, self.share, self.results = threads, share, results
        self.pool, self.token, self.pid, self._installed = None, None, None, None

    def submit(self, token, static, func, args):
        try:
            return self._submit(token, static, func, args)
        except BrokenProcessPool:  # the worker died while it was idle: start a new one
            self.restart()
            return self._submit(token, static, func, args)

    def _submit(self, token, static, func, args):
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                1, mp_context=_context(), initializer=_init_worker, initargs=(self.threads,)
            )
        if self.token != token:  # the pool runs its tasks in order: install, then the shot
            self._installed = self.pool.submit(_install, token, static, self.share)
            self._installed.add_done_callback(self._note_pid)
            self.token = token
        return self.pool.submit(_run, token, func, args, self.results)

    def install_error(self):
        """The exception that kept the static inputs from reaching the worker, if any."""
        f = self._installed
        return f.exception() if f is not None and f.done() and not f.cancelled() else None

    def started(self):
        """Whether the worker process has started and holds the static inputs."""
        f = self._installed
        return f is not None and f.done() and not f.cancelled() and f.exception() is None

    def exitcode(self):
        """The exit code of the worker process of a broken pool (``-N``: killed by signal N),
        or None if it is not known."""
        codes = [p.exitcode for p in self._processes() if p.exitcode is not None]
        return codes[0] if codes else None

    def _processes(self):
        # The pool's processes: the only way to kill a running worker (Python 3.14 adds
        # ProcessPoolExecutor.kill_workers) or to read how it ended.
        return list((self.pool._processes or {}).values()) if self.pool is not None else []

    def _note_pid(self, future):
        if not future.cancelled() and future.exception() is None:
            self.pid = future.result()

    def restart(self):
        self.stop(wait=False)

    def stop(self, wait=True):
        """Shut the pool down: after its running shot if ``wait``, else killing the worker."""
        if self.pool is not None:
            if not wait:
                for process in self._processes():
                    process.kill()
            # Even after a kill: joining the pool's threads frees its semaphores.
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool, self.token, self.pid = None, None, None


def _ending(code):
    """How a process with exit code ``code`` ended, in words."""
    if code is None:
        return "ended for an unknown reason"
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with status {code}"


def _start_failure(code):
    """The message of a worker process that exited on its own before running anything."""
    main = sys.modules.get("__main__")
    where = getattr(main, "__file__", None) or getattr(main, "__name__", "__main__")
    return (
        f"a worker process {_ending(code)} as it started, before running any shot: each "
        f"worker re-imports the main module ({where}), and a script that runs shots with "
        f"executor='local' must guard that code with 'if __name__ == \"__main__\":' "
        f"(the worker's own error is printed above)"
    )


def _context():
    if sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("forkserver")
        # Workers start with numba imported, and deaf to SIGINT (workflows._deaf_to_sigint).
        ctx.set_forkserver_preload(["waveback", "waveback.workflows._deaf_to_sigint"])
        return ctx
    return multiprocessing.get_context("spawn")


def _init_worker(threads):
    """Worker start-up: its share of the cores for numba (and for OpenMP in subprocesses).

    The worker ignores SIGINT (on Linux from its first instruction, see
    :mod:`waveback.workflows._deaf_to_sigint`): Ctrl-C is the client's to handle, which kills the
    workers it no longer needs.
    """
    import numba

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        # A worker starts no processes. Under the start method it inherited (forkserver), the
        # multiprocessing locks that numba and tqdm make would be named semaphores, which a
        # killed worker leaves behind (the resource tracker warns of them at exit); "fork"
        # locks have no name.
        multiprocessing.set_start_method("fork", force=True)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def _install(token, static, share):
    """Keep the static inputs of map_shots call ``token`` in this worker; return its pid."""
    global _WORKER_STATIC, _WORKER_SHARE
    _WORKER_STATIC, _WORKER_SHARE = (token, static), share
    return os.getpid()


def _run(token, func, args, results):
    """Run a shot in a pool worker; its result goes to a file in ``results``, named in return."""
    held, static = _WORKER_STATIC
    if held != token:
        raise RuntimeError(f"worker {os.getpid()} holds static inputs {held}, not {token}")
    result = func(static, *args)
    fd, path = tempfile.mkstemp(suffix=".pickle", dir=results)
    with os.fdopen(fd, "wb") as f:
        pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _take(path):
    """The result a worker left in ``path`` (the file is removed)."""
    with open(path, "rb") as f:
        result = pickle.load(f)
    os.unlink(path)
    return result


class DaskExecutor:
    """Shots as tasks of a :mod:`dask.distributed` cluster.

    Parameters
    ----------
    workers : int, optional
        Start a ``LocalCluster`` of this many worker processes (one thread each, numba using
        ``cores // workers`` threads, loopback only) when no scheduler address is known.
    scheduler : str, optional
        Address of a running scheduler; default the ``WAVEBACK_SCHEDULER`` environment
        variable.
    client : distributed.Client, optional
        Use this client (and its cluster) instead; it is left open on :meth:`close`.
    threads : int, optional
        Numba threads per task; default ``cores // workers`` for a LocalCluster and numba's
        own default (``NUMBA_NUM_THREADS`` of the worker, all cores) on a remote cluster.
    """

    kind, in_process = "dask", False

    def __init__(self, workers=None, scheduler=None, *, client=None, threads=None):
        try:
            import distributed
        except ImportError as exc:
            raise ModuleNotFoundError(
                f"the dask executor needs dask.distributed, which cannot be imported ({exc}): "
                f'install the dask extra, pip install "waveback[dask]"',
                name="distributed",
            ) from exc
        self._cluster, self._own_client, self.share = None, True, 1
        self.threads = threads
        address = scheduler or os.environ.get(SCHEDULER_ENV) or None
        if client is not None:
            self.client, self._own_client = client, False
        elif address:
            try:
                self.client = distributed.Client(address)
            except OSError as exc:
                raise OSError(
                    f"could not reach the dask scheduler at {address} ({exc}); start one "
                    f"(dask scheduler) or fix the address (--scheduler / {SCHEDULER_ENV})"
                ) from exc
        elif workers:
            self._cluster = distributed.LocalCluster(
                n_workers=int(workers),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                # the scheduler's HTTP routes on a free port: 8787 may be another cluster's
                scheduler_kwargs={"dashboard_address": ":0"},
                # the workers log as this process's dask loggers are set, at least warnings
                silence_logs=max(logging.WARNING, logging.getLogger("distributed").level),
                # Ctrl-C is this process's to handle
                preload=["waveback.workflows._deaf_to_sigint"],
            )
            self.client = distributed.Client(self._cluster)
            self.threads = threads or max(1, available_cores() // int(workers))
            self.share = int(workers)
        else:
            raise ValueError(
                f"the dask executor needs a scheduler: give its address (scheduler= / "
                f"--scheduler tcp://host:8786, or the {SCHEDULER_ENV} environment variable), "
                f"or a number of workers for a local cluster (workers= / --workers N)"
            )
        self.workers = len(self.client.scheduler_info().get("workers", {})) or workers

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Close the client and the LocalCluster this executor started."""
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def map_shots(self, func, static, items):
        """Submit ``func(static, *args)`` for every ``(index, args)``; yield as they finish.

        ``static`` is one task that the shots depend on (copied to each worker once). Raises
        :class:`ShotFailures` after the last good shot if any shot raised (or killed workers
        more often than the scheduler allows: ``distributed.KilledWorker``).
        """
        import dask
        import distributed

        token = next(_TOKENS)
        name = getattr(func, "__name__", "shot")
        # One task holds the static inputs (see the module docstring); sent once on purpose,
        # so dask's warning about large graphs does not apply. Its key puts it in a task group
        # of its own ("waveback-static"): the scheduler then spreads the shots over the
        # workers instead of queueing them where the static inputs are.
        with dask.config.set({"distributed.admin.large-graph-warning-threshold": "1 TiB"}):
            static_future = self.client.submit(
                _hold, static, key=f"waveback-static-{os.getpid()}-{token}", pure=False
            )
        futures = {
            self.client.submit(
                _dask_run,
                func,
                static_future,
                args,
                self.threads,
                self.share,
                key=f"waveback-{name}-{os.getpid()}-{token}-{i}",
                pure=False,
            ): i
            for i, args in items
        }
        failures = {}
        try:
            for future in distributed.as_completed(futures):
                i = futures[future]
                if future.status == "finished":
                    result = future.result()
                    future.release()
                    yield i, result
                else:  # erred (its exception) or cancelled (FutureCancelledError: why)
                    try:
                        future.result()
                    except Exception as exc:
                        failures[i] = exc
        finally:
            self.client.cancel([f for f in futures if not f.done()])
            static_future.release()
        _failed(failures)


def _hold(static):
    """The task that holds the static inputs of a dask map_shots call on the workers."""
    return static


def _dask_run(func, static, args, threads, share):
    """A shot on a dask worker, with its share of the cores for numba."""
    global _WORKER_SHARE
    if threads:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    _WORKER_SHARE = share
    return func(static, *args)
