"""The ``waveback`` command line (installed as the import package ``waveback_cli``).

Entry point: :func:`run`, the ``waveback`` console script, which imports
:mod:`waveback_cli.main` and calls its :func:`~waveback_cli.main.main`.
"""

import sys

#: Exit status after Ctrl-C: 128 + SIGINT, as shells report it.
INTERRUPTED_EXIT_CODE = 130


def run() -> None:
    """Console-script entry point.

    Importing the command line (numpy, numba, scipy, matplotlib) takes a second or two; a
    Ctrl-C in that time is one line, ``interrupted``, and exit status 130, as it is once a
    command runs (:class:`waveback_cli.main.WavebackGroup`).
    """
    try:
        from .main import main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(INTERRUPTED_EXIT_CODE) from None
    main()
