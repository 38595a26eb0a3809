"""Imported by the local executor's forkserver, and only there: ignore SIGINT.

The forkserver hands the SIGINT disposition it found after its preloads to every worker it
forks, so the workers ignore Ctrl-C from their first instruction, before any of their own
code could. A terminal's Ctrl-C (SIGINT to the whole process group) then reaches the client
alone, which stops and kills the workers (:mod:`waveback.executors`); without this, a worker
interrupted mid-shot reported ``KeyboardInterrupt`` as that shot's failure, and one interrupted
while idle died and was restarted, so the run went on.
"""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
