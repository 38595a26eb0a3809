"""The ``waveback`` command line (installed as the import package ``waveback_cli``).

Entry point: :func:`waveback_cli.main.main`, the ``waveback`` console script.
"""
