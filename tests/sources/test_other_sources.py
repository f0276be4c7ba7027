"""CoinGlass (loopback server), Yahoo (recorded frames + injected downloader), events (files + local feed)."""
from __future__ import annotations

import pandas as pd
import pytest

from selloff.errors import ConfigError, SourceError
from selloff.sources import coinglass as cg_mod
from selloff.sources import events as ev_mod
from selloff.sources import yahoo as yf_mod
from selloff.sources._http import HttpPolicy
from selloff.universe import load_universe

FAST = HttpPolicy(max_attempts=3, base_wait_s=0.01, max_wait_s=0.05, timeout_s=1)
NOW = pd.Timestamp("2026-02-06T22:00:00Z")


# -- CoinGlass ------------------------------------------------------------------------------------------------
def test_coinglass_liquidations_and_oi(httpserver):
    httpserver.expect_request("/api/futures/liquidation/aggregated-history", headers={"CG-API-KEY": "k"}).respond_with_json(
        {"code": "0", "msg": "success", "data": [
            {"time": 1770249600000, "aggregated_long_liquidation_usd": 5916885.14, "aggregated_short_liquidation_usd": 1296958.8}]})
    httpserver.expect_request("/api/futures/open-interest/aggregated-history").respond_with_json(
        {"code": "0", "msg": "success", "data": [{"time": 1770249600000, "open": "1.1e9", "high": "1.2e9", "low": "0.9e9", "close": "9.5e8"}]})
    cgl = cg_mod.CoinGlass("k", httpserver.url_for("/").rstrip("/"), policy=FAST)
    q = cgl.build_query("TAO", "1d", "2026-02-01", "2026-02-06")
    liq = cg_mod.transform_liquidations(cgl.extract_liquidations(q), "TAO", "1d")
    assert liq[["liq_long_usd", "liq_short_usd"]].iloc[0].tolist() == [5916885.14, 1296958.8]
    assert liq["venue"].item() == "aggregate" and liq["ts"].item() == pd.Timestamp("2026-02-05", tz="UTC")
    oi = cg_mod.transform_open_interest(cgl.extract_open_interest(q), "TAO", "1d")
    assert oi["open_interest_usd"].item() == 9.5e8


def test_coinglass_plan_limits_and_missing_key(httpserver, monkeypatch):
    httpserver.expect_request("/api/futures/liquidation/aggregated-history").respond_with_json(
        {"code": "403", "msg": "Upgrade plan to access this interval"})
    cgl = cg_mod.CoinGlass("k", httpserver.url_for("/").rstrip("/"), plan="standard", policy=FAST)
    with pytest.raises(SourceError, match="not allowed on your standard CoinGlass plan"):
        cgl.extract_liquidations(cgl.build_query("TAO", "1h", "2026-02-01", "2026-02-06"))
    hobby = cg_mod.CoinGlass("k", httpserver.url_for("/").rstrip("/"), plan="hobbyist", policy=FAST)
    with pytest.raises(ConfigError, match="hobbyist plan allows interval >= 4h"):
        hobby.build_query("TAO", "1h", "2026-02-01", "2026-02-06")
    monkeypatch.delenv("COINGLASS_API_KEY", raising=False)
    assert cg_mod.CoinGlass.from_env() is None
    assert "cannot be had" in cg_mod.NO_KEY_MESSAGE and "partial" in cg_mod.NO_KEY_MESSAGE
    with pytest.raises(SourceError, match=r"lacks \['aggregated_short_liquidation_usd'\]"):
        cg_mod.transform_liquidations([{"time": 1, "aggregated_long_liquidation_usd": 1}], "TAO", "1d")


# -- Yahoo ----------------------------------------------------------------------------------------------------
def yf_frame(dates: list[str], tz: str = "America/New_York", **over) -> pd.DataFrame:
    """Shaped like yfinance ``history(auto_adjust=False, actions=False)``: tz-aware index at exchange midnight."""
    idx = pd.DatetimeIndex(pd.to_datetime(dates)).tz_localize(tz)
    n = len(dates)
    cols = {"Open": [100.0] * n, "High": [110.0] * n, "Low": [90.0] * n, "Close": [105.0] * n,
            "Adj Close": [104.5] * n, "Volume": [1e6] * n}
    cols.update(over)
    return pd.DataFrame(cols, index=idx)


def test_yahoo_daily_bar_ts_is_the_session_open_in_utc():
    q = yf_mod.build_query("NVDA", "NVDA", "2026-02-02", "2026-02-06", "1d", now=NOW)
    bars = yf_mod.transform(yf_frame(["2026-02-02", "2026-02-05"]), q)
    assert list(bars["ts"]) == [pd.Timestamp("2026-02-02T14:30Z"), pd.Timestamp("2026-02-05T14:30Z")]  # 09:30 EST
    assert (bars["adj_close"] == 104.5).all() and (bars["close"] == 105.0).all()
    summer = yf_mod.build_query("NVDA", "NVDA", "2025-07-01", "2025-07-03", "1d", now=NOW)
    assert yf_mod.transform(yf_frame(["2025-07-02"]), summer)["ts"].item() == pd.Timestamp("2025-07-02T13:30Z")  # EDT


def test_yahoo_intraday_converts_exchange_time_to_utc():
    q = yf_mod.build_query("NVDA", "NVDA", "2026-02-05", "2026-02-06", "1h", now=NOW)
    f = yf_frame(["2026-02-05 09:30", "2026-02-05 10:30"])
    assert list(yf_mod.transform(f, q)["ts"]) == [pd.Timestamp("2026-02-05T14:30Z"), pd.Timestamp("2026-02-05T15:30Z")]


def test_yahoo_failure_modes_are_never_silent():
    q = yf_mod.build_query("NVDA", "NVDA", "2026-02-02", "2026-02-06", "1d", now=NOW)
    with pytest.raises(SourceError, match="empty answer"):
        yf_mod.transform(pd.DataFrame(), q)
    with pytest.raises(SourceError, match=r"lacks column\(s\) \['Adj Close'\]"):
        yf_mod.transform(yf_frame(["2026-02-02"]).drop(columns="Adj Close"), q)
    with pytest.raises(SourceError, match="non-positive close"):
        yf_mod.transform(yf_frame(["2026-02-02"], Close=[float("nan")]), q)
    with pytest.raises(SourceError, match="not a XNYS session"):
        yf_mod.transform(yf_frame(["2026-02-07"]), q)  # a Saturday
    with pytest.raises(SourceError, match="only for the last 59 days"):
        yf_mod.build_query("NVDA", "NVDA", "2025-01-01", "2026-02-06", "5m", now=NOW)


from yfinance.exceptions import YFException  # noqa: E402


class YFRateLimitError(YFException):
    """Same class name and base as yfinance's, raised by the injected downloader."""


def test_yahoo_extract_retries_rate_limits_then_succeeds_or_reports():
    q = yf_mod.build_query("NVDA", "NVDA", "2026-02-02", "2026-02-06", "1d", now=NOW)
    calls = []

    def flaky(*args):
        calls.append(args)
        if len(calls) < 3:
            raise YFRateLimitError("Too Many Requests. Rate limited. Try after a while.")
        return yf_frame(["2026-02-02"])

    assert len(yf_mod.extract(q, flaky, FAST)) == 1 and len(calls) == 3

    def always_limited(*_):
        raise YFRateLimitError("Too Many Requests")

    with pytest.raises(SourceError, match="rate-limited by Yahoo.*rerun"):
        yf_mod.extract(q, always_limited, FAST)

    def broken(*_):
        raise KeyError("chart")

    with pytest.raises(SourceError, match="KeyError.*check the ticker"):
        yf_mod.extract(q, broken, FAST)


# -- events ---------------------------------------------------------------------------------------------------
def test_events_csv_and_toml_matched_by_alias(tmp_path):
    uni = load_universe()
    csv = tmp_path / "ev.csv"
    csv.write_text("ts,entity,kind,headline,url\n"
                   "2026-02-04T21:05:00Z,Alphabet,capex_guidance,Google lifts 2026 capex guidance; Nvidia rallies,https://example.invalid/a\n")
    df = ev_mod.transform_rows(ev_mod.read_events_file(csv), uni, source="file:ev.csv")
    assert df["entity"].item() == "GOOGL" and df["assets"].item() == "NVDA,GOOGL"
    assert df["ts"].item() == pd.Timestamp("2026-02-04T21:05:00Z") and df["fetched_at"].notna().all()
    toml = tmp_path / "ev.toml"
    toml.write_text('[[events]]\nts = "2026-02-05T10:00:00"\nentity = "Bittensor"\nkind = "hack"\nheadline = "x"\n')
    with pytest.raises(ConfigError, match=r"ev.toml:events\[0\]: ts .* has no time zone"):
        ev_mod.transform_rows(ev_mod.read_events_file(toml), uni, source="file:ev.toml")
    bad = tmp_path / "bad.csv"
    bad.write_text("ts,entity,kind,headline\n2026-02-04T21:05:00Z,TAO,hack,\n")
    with pytest.raises(ConfigError, match=r"bad.csv:2: 'headline' is empty"):
        ev_mod.transform_rows(ev_mod.read_events_file(bad), uni, source="file:bad.csv")


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Test wire</title><link>http://127.0.0.1/</link>
<item><title>Bittensor (TAO) slides 15% as AI tokens sell off</title><link>http://127.0.0.1/a</link>
<pubDate>Thu, 05 Feb 2026 08:00:00 GMT</pubDate></item>
<item><title>Weather is fine</title><link>http://127.0.0.1/b</link><pubDate>Thu, 05 Feb 2026 09:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_rss_feed_from_a_local_server(httpserver):
    httpserver.expect_ordered_request("/feed.xml").respond_with_data("", 503)
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    url = httpserver.url_for("/feed.xml")
    df = ev_mod.transform_feed(ev_mod.extract_feed(url, FAST), url, load_universe())
    assert len(df) == 1 and df["assets"].item() == "TAO" and df["entity"].item() == "TAO"
    assert df["ts"].item() == pd.Timestamp("2026-02-05T08:00Z") and df["source"].item().startswith("feed:")
    with pytest.raises(SourceError, match="not RSS/Atom"):
        ev_mod.transform_feed(b"<html><p>nope", url, load_universe())
