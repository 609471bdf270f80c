from __future__ import annotations

from collections.abc import Iterator

import pytest

from tobloop.analytics.insights.tests.fixtures import Engines, open_engines


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engines]:
    """One DuckDB file and one chdb session per test module (chdb allows one at a time)."""
    yield from open_engines(tmp_path_factory.mktemp("insights"))
