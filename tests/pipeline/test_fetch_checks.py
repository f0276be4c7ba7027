"""Plan-time validation (one ConfigError line naming the option) and one transaction per task's data + log."""
from __future__ import annotations

import pandas as pd
import pytest

from selloff.errors import ConfigError, StoreError
from selloff.pipeline.fetch import FetchContext, execute, plan, select_assets
from selloff.sources.coingecko import CoinGecko
from selloff.sources.tasks import Task
from selloff.store import Store
from selloff.universe import load_universe

NOW = pd.Timestamp("2026-02-06T12:00:00Z")


@pytest.fixture
def uni():
    return load_universe()


@pytest.mark.parametrize("cpm", [-5, 0, 0.5, float("nan")])
def test_calls_per_minute_below_one_is_refused(cpm):
    with pytest.raises(ConfigError, match=r"--calls-per-minute .* >= 1"):
        CoinGecko.from_env(calls_per_minute=cpm)


@pytest.mark.parametrize(("kwargs", "ctx", "expect"), [
    ({"interval": "2h"}, {}, r"--interval '2h' is not supported; use one of 1m, 5m"),
    ({"sources": ["ccxt"]}, {"exchanges": ["binance", "nosuchx"]}, r"--exchanges: nosuchx not known to ccxt"),
    ({"sources": ["events"]}, {"feeds": ["file:///etc/passwd"]}, r"--feed 'file:///etc/passwd' is not an http"),
    ({"sources": ["nasdaq"]}, {}, r"unknown source 'nasdaq'; use one of coingecko"),
])
def test_plan_refuses_bad_options(tmp_path, uni, kwargs, ctx, expect):
    with pytest.raises(ConfigError, match=expect) as err:
        plan(Store(tmp_path / "s.duckdb"), uni, FetchContext(now=NOW, **ctx), assets=select_assets(uni, assets="TAO"),
             since="2026-02-01", until="2026-02-04", **kwargs)
    assert "\n" not in str(err.value)


def test_data_and_fetch_log_commit_together(tmp_path, monkeypatch):
    """If the fetch_log row cannot be written, the task's rows are rolled back too (and the failure is logged)."""
    store = Store(tmp_path / "s.duckdb")
    bars = pd.DataFrame({"asset": "TAO", "interval": "1d", "source": "coingecko", "close": [1.0],
                         "ts": [pd.Timestamp("2026-02-01", tz="UTC")]})
    real, calls = store.log_fetch, []

    def flaky(source, status, **kw):
        calls.append(status)
        if status == "ok":
            raise StoreError("disk full while logging; free space and rerun")
        return real(source, status, **kw)

    monkeypatch.setattr(store, "log_fetch", flaky)
    res = execute(store, [Task("coingecko", "market_chart", "TAO", lambda: [("bars", bars)])])
    assert calls == ["ok", "error"] and res[0].status == "error" and "disk full" in res[0].error
    assert store.count("bars") == 0
    assert list(store.read("fetch_log")["status"]) == ["error"]
