"""``python -m waveback_cli``: the same as the ``waveback`` console script."""

from .main import main

main()
