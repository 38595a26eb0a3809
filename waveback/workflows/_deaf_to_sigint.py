"""Imported by worker processes only, as they start: ignore SIGINT.

A preload of the local executor's forkserver, which hands the SIGINT disposition it found
after its preloads to every worker it forks, so the workers ignore Ctrl-C from their first
instruction, before any of their own code could; and a preload of the workers of a dask
``LocalCluster``. A terminal's Ctrl-C (SIGINT to the whole process group) then reaches the
client alone, which stops and kills the workers (:mod:`waveback.executors`). Without this, a
local worker interrupted mid-shot reported ``KeyboardInterrupt`` as that shot's failure, and
one interrupted while idle died and was restarted, so the run went on; dask's workers printed
their tracebacks.
"""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
