"""The bundled scene files, installed as the data-only package ``waveback_cli.scenes``."""
