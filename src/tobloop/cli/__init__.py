"""The ``tobloop`` command line (Typer + Rich); the application is ``tobloop.cli.app.app``.

The package does not import the application itself: ``python -m tobloop.cli.app`` then runs
that module once, without runpy's warning that it was already imported through its package.
"""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    from tobloop.cli.app import main as run

    run()
