"""Modules imported on first use: the CLI and the web processes start without pandas.

``pd = LazyModule("pandas")`` behaves like the module once an attribute is read; until then
nothing is imported. Type checkers see the real module through a ``TYPE_CHECKING`` import::

    if TYPE_CHECKING:
        import pandas as pd
    else:
        pd = LazyModule("pandas")
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"
