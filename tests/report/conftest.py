"""Report fixtures: the simulated demo store is built once per session (about 4 s) and then only read."""
from __future__ import annotations

from pathlib import Path

import pytest

from selloff import api
from selloff.store import Store
from selloff.universe import load_universe

REPORT_DATE = "2026-02-06"  # the scripted episode's worst day
SECTOR = "ai-crypto"


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory) -> Path:
    """Path of a closed DuckDB store holding the simulated demo market; open it read-only in tests."""
    base = tmp_path_factory.mktemp("demo-store")
    with pytest.MonkeyPatch.context() as mp:  # the autouse dir isolation is function-scoped; isolate here too
        mp.setenv("SELLOFF_CONFIG_DIR", str(base / "config"))
        mp.setenv("SELLOFF_DATA_DIR", str(base / "data"))
        path = base / "demo.duckdb"
        with Store(path) as db:
            api.build_demo_store(db, load_universe())
    return path


@pytest.fixture(scope="session")
def universe():
    return load_universe()


@pytest.fixture(scope="session")
def names(universe) -> dict[str, str]:
    return {k: v.name for k, v in universe.assets.items()}
