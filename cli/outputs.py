"""The output of a command, made sure of before the work: writable, not clobbered, locked.

``simulate``, ``image`` and ``invert`` spend minutes to hours before they write; each first
checks that its output can be written (its directory exists, or is created, and accepts new
files; an existing output is only replaced with ``--overwrite``) and then holds the output's
lock (:mod:`waveback.data.locking`) until the command ends, so that a second run on the same output
is refused at once, naming the run that holds it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from waveback.data.locking import locked


def check_writable(path: Path) -> None:
    """Refuse an output ``path`` whose directory cannot take new files.

    A missing directory is created (with its parents), as the commands would at the end.
    """
    if path.is_dir():
        raise IsADirectoryError(f"output {path} is a directory; give a file name")
    directory = path.absolute().parent
    existing = next(p for p in (directory, *directory.parents) if p.exists())
    if not existing.is_dir():
        raise NotADirectoryError(f"cannot write {path}: {existing} is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise PermissionError(
            f"cannot write {path}: the directory {directory} does not accept new files "
            f"({exc.strerror or exc}); choose another output path or make it writable"
        ) from None


def check_output(path: Path, overwrite: bool) -> None:
    """Refuse an output that is a directory, exists without ``--overwrite``, or is unwritable."""
    if path.exists() and not path.is_dir() and not overwrite:
        raise FileExistsError(f"{path} exists; choose another name or pass --overwrite")
    check_writable(path)


def hold_lock(ctx: click.Context, path: Path) -> None:
    """Hold the lock of output ``path`` until the command ``ctx`` ends (refused if held)."""
    ctx.with_resource(locked(path))
