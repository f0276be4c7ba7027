"""The provider registry: built-ins register themselves, unknown names are refused, a new provider plugs in."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from selloff.errors import ConfigError
from selloff.pipeline.fetch import FetchContext, execute, plan, select_assets
from selloff.sources import registry
from selloff.store import Store
from selloff.universe import load_universe

NOW = pd.Timestamp("2026-02-06T12:00:00Z")


def test_builtin_providers_in_planning_order():
    assert registry.names() == ("coingecko", "ccxt", "coinglass", "yahoo", "events")
    assert registry.get("ccxt").name == "ccxt"


def test_unknown_provider_names_itself_and_the_known_ones():
    with pytest.raises(ConfigError, match=r"unknown source 'nasdaq'.*coingecko, ccxt, coinglass, yahoo, events"):
        registry.get("nasdaq")


def test_a_new_provider_is_planned_and_run_without_pipeline_changes(tmp_path, monkeypatch):
    class Constant(registry.Provider):
        name = "constant"

        def build_query(self, ctx, *, asset, start, end):
            return (asset, start, end)

        def extract(self, ctx, query):
            return 42.0

        def transform(self, query, raw):
            asset, start, _ = query
            return [("bars", pd.DataFrame({"asset": asset, "interval": "1d", "source": self.name, "close": raw,
                                           "ts": [start]}))]

        def plan_tasks(self, ctx, assets, coverage, start, end, interval, step, now):
            return [self.task(ctx, self.build_query(ctx, asset=a.id, start=s, end=e), "bars", a.id, asset=a.id,
                              start=s, end=e)
                    for a in assets for s, e in coverage.bar_gaps({"asset": a.id, "interval": interval,
                                                                    "source": self.name}, start, end, step)]

    monkeypatch.setitem(registry._REGISTRY, "constant", Constant())
    uni = load_universe()
    store = Store(tmp_path / "s.duckdb")
    tasks = plan(store, uni, FetchContext(now=NOW), assets=select_assets(uni, assets="TAO"), since="2026-02-01",
                 until="2026-02-04", sources=["constant"])
    assert [(t.source, t.start) for t in tasks] == [("constant", pd.Timestamp("2026-02-01", tz="UTC"))]
    assert execute(store, tasks)[0].inserted == 1


def test_importing_the_exchange_fetchers_does_not_import_ccxt():
    code = "import sys, selloff.sources.exchanges; print('ccxt' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
