"""The ``waveback`` command line (installed as the import package ``waveback_cli``).

Entry point: :func:`run`, the ``waveback`` console script, which imports
:mod:`waveback_cli.main` and calls its :func:`~waveback_cli.main.main`.
"""

import os
import signal
import sys

#: Exit status after Ctrl-C: 128 + SIGINT, as shells report it.
INTERRUPTED_EXIT_CODE = 130


def _interrupted_while_starting(signum, frame):
    """SIGINT handler while the command line imports: one line, exit 130, at once.

    It exits rather than raising ``KeyboardInterrupt``: raised inside the imports, that
    exception can be swallowed by a library's bare ``except:`` (the command then runs on as if
    never interrupted) or turned into an ``ImportError`` by an extension module's
    initialisation, after which the interpreter can abort while finalising. Nothing has been
    written yet, so there is nothing to finalise.
    """
    sys.stderr.write("interrupted\n")
    sys.stderr.flush()
    os._exit(INTERRUPTED_EXIT_CODE)


def run() -> None:
    """Console-script entry point.

    Importing the command line (numpy, numba, scipy, matplotlib) takes a second or two; a
    Ctrl-C in that time is one line, ``interrupted``, and exit status 130, as it is once a
    command runs (:class:`waveback_cli.main.WavebackGroup`).
    """
    previous = signal.signal(signal.SIGINT, _interrupted_while_starting)
    try:
        from .main import main
    finally:
        signal.signal(signal.SIGINT, previous)
    main()
