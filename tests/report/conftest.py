"""Report fixtures: the simulated demo store is built once per session (shared by all workers) and only read."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from selloff.universe import load_universe
from tests.demo_stores import read_only_store

REPORT_DATE = "2026-02-06"  # the scripted episode's worst day
SECTOR = "ai-crypto"


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory) -> Iterator[Path]:
    """Path of a closed DuckDB store holding the simulated demo market; open it read-only in tests."""
    yield from read_only_store(tmp_path_factory)


@pytest.fixture(scope="session")
def universe():
    return load_universe()


@pytest.fixture(scope="session")
def names(universe) -> dict[str, str]:
    return {k: v.name for k, v in universe.assets.items()}
