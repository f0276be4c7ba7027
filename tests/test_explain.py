"""selloff explain on the demo market: every table is produced, consistent with arithmetic done here."""
import numpy as np
import pandas as pd
import pytest

from selloff.analytics.explanation import SECTOR
from selloff.pipeline.analysis import explain
from selloff.store import Store
from selloff.universe import load_universe
from tests.demo_stores import read_only_store


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    u = load_universe(include_user_config=False)
    for path in read_only_store(tmp_path_factory):
        with Store(path, read_only=True) as db:
            yield db, u


def test_explain_produces_every_table_without_look_ahead(demo):
    db, u = demo
    x = explain(db, u, "ai-crypto", "2026-02-06")
    assert x.simulated
    assert "NYSE" in x.alignment
    for key in ("decomposition", "spillover", "granger", "lead_lag", "tail_comovement", "dependency", "event_study_tokens"):
        assert key in x.tables and len(x.tables[key]) > 0, key
    dec = x.tables["decomposition"]
    members = [m for m in u.sector("ai-crypto").members if m in dec.index]
    # the equal-weighted sector's move is the mean of its members' moves (same session, log returns)
    assert dec.loc[SECTOR, "total"] == pytest.approx(dec.loc[members, "total"].mean(), abs=1e-12)
    # parts add up to the total
    parts = dec[["BTC_part", "EQ_BASKET_part", "alpha_part", "residual"]].sum(axis=1)
    np.testing.assert_allclose(parts, dec["total"], atol=1e-12)
    # the crash was mostly market-wide: the BTC part explains most of the sector's fall
    assert dec.loc[SECTOR, "total"] < -0.1
    assert dec.loc[SECTOR, "BTC_part"] < 0
    # spillover table: rows of the normalised decomposition sum to 100 per cent
    tab = x.tables["spillover"]
    names = [c for c in tab.columns if c != "From others"]
    np.testing.assert_allclose(tab.loc[names, names].sum(axis=1), 100.0, atol=1e-8)
    # no look-ahead: nothing after the event session is used
    assert x.tables["rolling_correlation"].index.max() <= x.event_session


def test_explain_outside_data_is_a_clear_error(demo):
    from selloff.errors import DataError

    db, u = demo
    with pytest.raises(DataError):
        explain(db, u, "ai-crypto", "2030-01-01")


def test_explain_volatility_spillover_rolling_betas_and_equity_event_study(demo):
    db, u = demo
    x = explain(db, u, "ai-crypto", "2026-02-06")
    # DY (2012) on volatilities: the normalised decomposition's rows sum to 100 per cent
    tab = x.tables["spillover_vol"]
    names = [c for c in tab.columns if c != "From others"]
    assert names == [SECTOR, "EQ_BASKET", "BTC"]
    np.testing.assert_allclose(tab.loc[names, names].sum(axis=1), 100.0, atol=1e-8)
    assert "log range variance" in x.notes["spillover_vol"]
    # rolling betas: the last 10 sessions to the event, each from at most `window_days` sessions before it
    from selloff.config import defaults

    rb = x.tables["rolling_betas"]
    att = defaults("attribution")
    assert len(rb) == att["rolling_betas_rows"] and rb.index.max() == x.event_session
    assert (rb["nobs"] <= att["window_days"]).all() and (rb["nobs"] >= att["window_days"] // 2).all()
    assert (rb["BTC"] > 0).all()  # the simulated tokens load positively on BTC
    # the equity event study: basket members and the basket against QQQ
    es = x.tables["event_study_equities"]
    assert set(es["asset"]) == {*att["equity_basket"], "EQ_BASKET"}


def test_session_range_variance_matches_garman_klass_by_hand(demo):
    """One session's BTC input to the volatility spillover, recomputed here from the stored hourly bars of the
    period (previous session close, this close] with the Garman-Klass formula written out."""
    from selloff.analytics.explanation import aligned_returns, session_ranges
    from selloff.pipeline.load import load_panel

    db, u = demo
    start, end = pd.Timestamp("2025-12-01", tz="UTC"), pd.Timestamp("2026-02-07", tz="UTC") - pd.Timedelta(seconds=1)
    panel = load_panel(db, u, ["TAO", "BTC", "NVDA"], start, end)
    al = aligned_returns(panel, ["TAO"], ["NVDA"], "BTC")
    lrv, without = session_ranges(panel, ["TAO", "BTC"], ["NVDA"], al.period_end)
    assert without == []
    pe = al.period_end
    i = list(pe.index).index(pd.Timestamp("2026-02-02"))  # a Monday: the period spans the weekend
    h = db.read("bars", assets=["BTC"], interval="1h", start=pe.iloc[i - 1] - pd.Timedelta(hours=1), end=pe.iloc[i])
    h = h[(h["ts"] + pd.Timedelta(hours=1) > pe.iloc[i - 1]) & (h["ts"] + pd.Timedelta(hours=1) <= pe.iloc[i])].sort_values("ts")
    assert len(h) == 72  # Friday 21:00 UTC to Monday 21:00 UTC
    o, hi, lo, c = h["open"].iloc[0], h["high"].max(), h["low"].min(), h["close"].iloc[-1]
    uu, dd, cc = np.log(hi / o), np.log(lo / o), np.log(c / o)
    gk = 0.511 * (uu - dd) ** 2 - 0.019 * (cc * (uu + dd) - 2 * uu * dd) - 0.383 * cc**2
    assert lrv.loc[pe.index[i], "BTC"] == pytest.approx(np.log(gk), abs=1e-12)
    # an equity's session is its own daily bar
    b = db.read("bars", assets=["NVDA"], interval="1d", start=pe.iloc[i] - pd.Timedelta(hours=8), end=pe.iloc[i]).iloc[0]
    uu, dd, cc = np.log(b["high"] / b["open"]), np.log(b["low"] / b["open"]), np.log(b["close"] / b["open"])
    gk = 0.511 * (uu - dd) ** 2 - 0.019 * (cc * (uu + dd) - 2 * uu * dd) - 0.383 * cc**2
    assert lrv.loc[pe.index[i], "NVDA"] == pytest.approx(np.log(gk), abs=1e-12)
