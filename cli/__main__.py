"""``python -m waveback_cli``: the same as the ``waveback`` console script."""

from . import run

run()
