"""One run per output: a lock file beside the output that names the run holding it.

A run that writes ``PATH`` first holds ``PATH.lock``: an exclusive ``flock`` on that file,
which holds ``pid host start-time`` of the holder. A second run on the same output is refused
at once, with the holder's pid and host, instead of computing everything and colliding at
the end. The operating system drops a ``flock`` when its process ends, however it ends, so
the lock file a killed run leaves behind (SIGKILL, the out-of-memory killer) is stale: the
next run finds it unlocked, reports the dead holder and takes it over. The lock file is
removed when the holder finishes.

The lock works where ``flock`` is shared between the processes that write the output: one
machine, or a network file system that supports it (NFS does, as POSIX locks).
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger("waveback")


class OutputLocked(FileExistsError):
    """Another running process holds the output's lock.

    Attributes
    ----------
    holder : dict
        ``pid``, ``host`` and ``since`` of the holder, as its lock file states them.
    """

    def __init__(self, message, holder):
        super().__init__(message)
        self.holder = holder


def lock_path(path) -> Path:
    """The lock file of output ``path``: ``PATH.lock`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".lock")


@contextmanager
def locked(path):
    """Hold the lock of output ``path`` for the duration of the ``with`` block.

    Yields the holder recorded in a stale lock that was taken over (a dict with ``pid``,
    ``host``, ``since``), or None.

    Raises
    ------
    OutputLocked
        If another live process holds the lock; the message names its pid and host.
    OSError
        If the lock file cannot be created (the directory is missing or not writable).
    """
    lock = lock_path(path)
    fd, stale = _acquire(Path(path), lock)
    try:
        os.ftruncate(fd, 0)
        host = socket.gethostname()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        os.write(fd, f"{os.getpid()} {host} {since}\n".encode())
        if stale is not None:
            logger.warning(
                "%s: took over the stale lock of pid %s on %s (since %s), which no longer runs",
                path,
                stale["pid"],
                stale["host"],
                stale["since"],
            )
        yield stale
    finally:
        lock.unlink(missing_ok=True)  # while still holding it, so no one locks a removed file
        os.close(fd)


def _acquire(path: Path, lock: Path):
    """Open and ``flock`` the lock file; returns ``(fd, stale holder or None)``."""
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd) or dict.fromkeys(("pid", "host", "since"), "?")
            os.close(fd)
            raise OutputLocked(
                f"{path} is being written by another run (pid {holder['pid']} on host "
                f"{holder['host']}, since {holder['since']}); wait for it to finish, stop it, "
                f"or write to another output",
                holder,
            ) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:  # not a file its holder removed between our open and our flock
            return fd, _holder(fd)
        os.close(fd)


def _holder(fd) -> dict | None:
    """The ``pid``, ``host`` and ``since`` written in a lock file, or None when it is empty."""
    words = os.pread(fd, 4096, 0).decode(errors="replace").split()
    if not words:
        return None
    return dict(zip(("pid", "host", "since"), [*words, "?", "?", "?"][:3], strict=True))
