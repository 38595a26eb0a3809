"""The forward wavefield in reversed time: full storage, or optimal binomial checkpointing.

The gradient and the imaging condition read the forward wavefield backwards in time, from
the last step to the first. Storing every step costs ``nt`` wavefields; Griewank and
Walther's binomial checkpointing ("Revolve", ACM TOMS 26, 2000) keeps only ``c`` copies of
the full propagator state (both time levels, every CPML memory field and, with attenuation,
the memory variables) and recomputes the
rest from them, with the least possible number of forward steps:

.. math::

    t(l, c) = r\\,l - \\binom{c + r}{r - 1}, \\qquad
    r = \\min\\{\\rho : \\tbinom{c + \\rho}{\\rho} \\ge l\\},

for ``l`` steps and ``c`` checkpoints (the one that holds the start included), counting the
forward steps that advance a state, not the step whose adjoint is taken. Recomputed states
are bit-identical to the stored ones (every kernel is deterministic), so the gradient does
not depend on the storage.

:func:`plan` turns a memory budget into a :class:`Plan`; :func:`reversed_fields` yields
:math:`(u^{n+1}, u^n, u^{n-1})` for ``n = nt - 1, ..., 0`` under that plan. A
:class:`Workspace` keeps the full-storage history between calls.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from math import comb

import numpy as np

from . import kernels

_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}
DEFAULT_FRACTION = 0.5  # of the available memory, the budget when memory="auto"


def parse_memory(memory) -> int | None:
    """A memory setting as bytes: ``None`` for ``"full"``; ``"auto"`` is half the free memory.

    Accepts an integer number of bytes or a string such as ``"512MiB"``, ``"2 GB"``,
    ``"700MiB"`` (units B, KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB in powers
    of 1024).
    """
    if isinstance(memory, str):
        text = memory.strip()
        if text.lower() == "full":
            return None
        if text.lower() == "auto":
            return int(DEFAULT_FRACTION * available_memory())
        match = re.fullmatch(r"(\d+(?:\.\d*)?)\s*([A-Za-z]*)", text)
        unit = match.group(2).upper() if match else None
        if unit not in _UNITS:
            raise ValueError(
                f"memory={memory!r} is not understood: give 'auto', 'full', a number of bytes, "
                f"or a size such as '512MiB' or '2GB'"
            )
        return int(float(match.group(1)) * _UNITS[unit])
    if isinstance(memory, (int, np.integer)) and not isinstance(memory, bool) and memory > 0:
        return int(memory)
    raise ValueError(
        f"memory={memory!r} is not understood: give 'auto', 'full', a positive number of "
        f"bytes, or a size such as '512MiB'"
    )


def available_memory() -> int:
    """Bytes of memory available to new allocations (``MemAvailable`` on Linux)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2


def forward_steps(l: int, c: int) -> int:
    """Least number of forward steps that reverse ``l`` steps with ``c >= 1`` checkpoints.

    :math:`t(l, c) = r l - \\binom{c + r}{r - 1}` with ``r`` the least integer such that
    :math:`\\binom{c + r}{r} \\ge l` (Griewank and Walther 2000, Prop. 1); the checkpoint
    holding the start counts among the ``c``.
    """
    if l < 1 or c < 1:
        raise ValueError(f"need l >= 1 steps and c >= 1 checkpoints, got l={l}, c={c}")
    r = 0
    while comb(c + r, r) < l:
        r += 1
    return r * l - comb(c + r, r - 1) if r > 0 else 0


def _split(l: int, c: int) -> int:
    """The number of steps to advance before the first new checkpoint (optimal, ``c >= 2``).

    ``m + t(l - m, c - 1) + t(m, c)`` is convex in ``m`` (a sum of convex piecewise linear
    functions), so its smallest minimiser is found by bisection on its forward difference.
    """

    def cost(m):
        return m + forward_steps(l - m, c - 1) + forward_steps(m, c)

    lo, hi = 1, l - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cost(mid + 1) - cost(mid) >= 0:
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass(frozen=True)
class Plan:
    """How the forward wavefield is kept for a backward sweep.

    Attributes
    ----------
    mode : {"full", "revolve"}
    nt : int
        Number of time steps.
    checkpoints : int
        Stored propagator states (``nt + 1`` single wavefields for ``"full"``).
    forward_steps : int
        Forward steps executed in all (``nt`` for full storage).
    storage_bytes, working_bytes : int
        The stored wavefields or checkpoints, and the other arrays of the computation.
    """

    mode: str
    nt: int
    checkpoints: int
    forward_steps: int
    storage_bytes: int
    working_bytes: int

    @property
    def recomputation(self) -> float:
        """Forward steps executed over ``nt``: 1 for full storage."""
        return self.forward_steps / self.nt

    @property
    def peak_bytes(self) -> int:
        """Predicted peak memory of the arrays (interpreter and libraries not included)."""
        return self.storage_bytes + self.working_bytes

    def __str__(self) -> str:
        mib = 2**20
        if self.mode == "full":
            what = f"full storage of {self.nt + 1} wavefields"
        else:
            what = f"{self.checkpoints} checkpoints (binomial, Revolve)"
        return (
            f"{what}: {self.forward_steps} forward steps for nt={self.nt} "
            f"(recomputation {self.recomputation:.2f}), predicted peak "
            f"{self.peak_bytes / mib:.0f} MiB ({self.storage_bytes / mib:.0f} MiB stored)"
        )


def plan(nt: int, field_bytes: int, state_bytes: int, working_bytes: int, memory="auto") -> Plan:
    """Choose full storage or the number of checkpoints for a memory budget.

    Parameters
    ----------
    nt : int
        Time steps to reverse.
    field_bytes : int
        One wavefield (what full storage keeps per step).
    state_bytes : int
        One propagator state (what a checkpoint keeps: two time levels and CPML memory).
    working_bytes : int
        The computation's other arrays, counted in the budget.
    memory : "auto", "full", int or str
        ``"full"`` stores every step. Otherwise a budget for all the arrays (see
        :func:`parse_memory`; ``"auto"`` is half the available memory): full storage when it
        fits, else as many checkpoints as fit.
    """
    budget = parse_memory(memory)
    full_bytes = (nt + 1) * field_bytes
    if budget is None or full_bytes + working_bytes <= budget:
        return Plan("full", nt, nt + 1, nt, full_bytes, working_bytes)
    c = min((budget - working_bytes) // state_bytes, nt)
    if c < 1:
        need = (working_bytes + state_bytes) / 2**20
        raise ValueError(
            f"memory budget {budget / 2**20:.0f} MiB is too small for this gradient: it needs "
            f"at least {need:.0f} MiB (one checkpoint of {state_bytes / 2**20:.1f} MiB plus "
            f"{working_bytes / 2**20:.0f} MiB of working arrays); raise memory="
        )
    return Plan(
        "revolve", nt, int(c), forward_steps(nt, int(c)) + 1, c * state_bytes, working_bytes
    )


class Workspace:
    """The full-storage history of a gradient, kept for the next gradient on the same grid.

    A fresh history of ``nt + 1`` wavefields is mapped page by page by the operating system
    on first touch, which costs about as much as the forward run itself on large problems
    (B2D: 4.5 GiB). Passing one workspace to successive gradients of the same grid, length
    and free-surface setting (an inversion's iterations, a loop over shots) reuses it. The
    workspace holds at most one history and keeps its memory until it is dropped, until
    :meth:`clear` is called, or until a call's budget chooses checkpointing (which releases it).
    """

    def __init__(self):
        self._key = None
        self._history = None

    def history(self, nt, shape, dtype, free_surface) -> np.ndarray:
        """A ``(nt + 1, *shape)`` history whose halos are zero (rows under a free surface are
        rewritten every step, so a history is reused only with the same setting)."""
        key = (nt, tuple(shape), np.dtype(dtype), bool(free_surface))
        if key != self._key:
            self.clear()
            self._history = np.zeros((nt + 1, *shape), dtype)  # lazily mapped
            self._key = key
        return self._history

    def clear(self) -> None:
        """Release the history."""
        self._key = self._history = None

    def __getstate__(self):
        return {}  # a workspace travels to another process empty

    def __setstate__(self, state):
        self.__init__()

    @property
    def nbytes(self) -> int:
        """Bytes held."""
        return 0 if self._history is None else self._history.nbytes


def reversed_fields(prop, state, advance, plan: Plan, workspace: Workspace | None = None):
    """Yield ``(n, u_next, u, u_prev)`` = :math:`(n, u^{n+1}, u^n, u^{n-1})`, ``n`` descending.

    Parameters
    ----------
    prop : Propagator
    state : State
        The state at time 0; it is used as the working state and overwritten.
    advance : callable
        ``advance(state, n, out=None)`` steps ``state`` from ``n`` to ``n + 1`` (injecting the
        sources of step ``n``), like :meth:`Propagator.step`.
    plan : Plan
    workspace : Workspace, optional
        Where full storage keeps its history (default: a new array per call); a checkpointed
        plan releases the history it holds.

    The yielded arrays are valid until the next iteration; at ``n = 0``, ``u_prev`` is the
    start state's :math:`u^{-1}`. The generator's ``forward_steps`` count is returned as
    its value (``StopIteration.value``) for checks against :attr:`Plan.forward_steps`.
    """
    if plan.mode == "full":
        return (yield from _full(prop, state, advance, plan.nt, workspace or Workspace()))
    if workspace is not None:
        workspace.clear()  # the budget chose checkpoints: hold no history beside them
    return (yield from _revolve(prop, state, advance, plan.nt, plan.checkpoints))


def _full(prop, state, advance, nt, workspace):
    stored = workspace.history(nt, prop.shape, prop.model.dtype, prop.model.free_surface)
    stored[0] = state.u
    start_prev = state.u_prev.copy()
    for n in range(nt):
        advance(state, n, out=stored[n + 1])
    for n in range(nt - 1, -1, -1):
        yield n, stored[n + 1], stored[n], stored[n - 1] if n > 0 else start_prev
    return nt


def _revolve(prop, state, advance, nt, c):
    """Binomial checkpointing: the schedule of Griewank and Walther, driven by a task stack.

    A task ``(l0, l1, c)`` reverses steps ``l1 - 1 ... l0`` given the state at ``l0`` in a
    checkpoint and ``c`` checkpoints (that one included). It advances ``m`` (see
    :func:`_split`) steps, stores the state at ``l0 + m``, reverses ``[l0 + m, l1)`` with
    ``c - 1`` checkpoints and then ``[l0, l0 + m)`` with ``c``. At each reversed step ``n``
    the state holds :math:`u^n, u^{n-1}`; :math:`u^{n+1}` is the previous step's
    :math:`u^n`, kept by swapping arrays, or one extra forward step at ``n = nt - 1``.
    """
    slots = {0: _copy_state(state)}
    free = [_empty_like_state(state) for _ in range(c - 1)]
    steps = 0
    position = 0  # time index of the working state, None when it is invalid
    nxt = np.zeros_like(state.u)  # u^{n+1} of the next reversed step (zero halo)
    nxt_time = None
    tasks = [("reverse", 0, nt, c)]
    while tasks:
        task = tasks.pop()
        if task[0] == "free":
            free.append(slots.pop(task[1]))
            continue
        _, l0, l1, cc = task
        if l1 - l0 > 1 and cc > 1:
            m = _split(l1 - l0, cc)
            if position != l0:
                _load(state, slots[l0])
            for n in range(l0, l0 + m):
                advance(state, n)
            steps += m
            slot = free.pop()
            _save(slot, state)
            slots[l0 + m] = slot
            position = l0 + m
            tasks += [
                ("reverse", l0, l0 + m, cc),
                ("free", l0 + m),
                ("reverse", l0 + m, l1, cc - 1),
            ]
            continue
        for n in range(l1 - 1, l0 - 1, -1):  # one step, or one checkpoint left
            if position != n:
                _load(state, slots[l0])
                for k in range(l0, n):
                    advance(state, k)
                steps += n - l0
            u, u_prev = state.u, state.u_prev
            if nxt_time != n + 1:
                advance(state, n, out=nxt)
                steps += 1
            yield n, nxt, u, u_prev
            state.u, state.u_prev, nxt, nxt_time = nxt, u_prev, u, n
            position = None
    return steps


def _copy_state(state):
    return type(state)(
        state.u.copy(),
        state.u_prev.copy(),
        tuple(a.copy() for a in state.psi),
        tuple(a.copy() for a in state.zeta),
        tuple(a.copy() for a in state.memory),
    )


def _empty_like_state(state):
    return type(state)(
        np.empty_like(state.u),
        np.empty_like(state.u_prev),
        tuple(np.empty_like(a) for a in state.psi),
        tuple(np.empty_like(a) for a in state.zeta),
        tuple(np.empty_like(a) for a in state.memory),
    )


def _save(slot, state):
    for dst, src in _pairs(slot, state):
        kernels.copy(dst, src)


def _load(state, slot):
    for dst, src in _pairs(state, slot):
        kernels.copy(dst, src)


def _pairs(a, b):
    return zip(_fields(a), _fields(b), strict=True)


def _fields(state):
    """A state's arrays as padded-grid shaped ``(nz, ny, nx)`` views (the memory variables'
    ``(L, nz, ny, nx)`` as ``(L nz, ny, nx)``), what :func:`waveback.kernels.copy` takes."""
    memory = tuple(m.reshape(-1, *m.shape[2:]) for m in state.memory)
    return (state.u, state.u_prev, *state.psi, *state.zeta, *memory)


def state_bytes(state) -> int:
    """Bytes of one propagator state (what a checkpoint stores)."""
    return sum(a.nbytes for a in (state.u, state.u_prev, *state.psi, *state.zeta, *state.memory))
