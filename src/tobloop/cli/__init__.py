"""The ``tobloop`` command line (Typer + Rich)."""

from tobloop.cli.app import app, main

__all__ = ["app", "main"]
