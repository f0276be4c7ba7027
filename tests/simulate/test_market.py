"""simulate_market against its own model's known parameters, the NYSE calendar and hand arithmetic.

The simulator states its data-generating process (latent GARCH(1,1)-t factors with loadings ``market.betas``
and GARCH parameters in ``market.params["factors"]``); these tests estimate those parameters back from the
generated prices with independent estimators (statsmodels OLS, arch, Ljung-Box) and compare.
"""
from __future__ import annotations

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from arch import arch_model
from statsmodels.stats.diagnostic import acorr_ljungbox

from selloff.simulate import SimSpec, simulate_market
from selloff.universe import load_universe

SMALL = SimSpec(start="2025-01-01", end="2025-03-31", hourly=False)


@pytest.fixture(scope="module")
def universe():
    return load_universe(include_user_config=False)


@pytest.fixture(scope="module")
def market(universe):
    """The default demo market (2025-01-01 .. 2026-03-31, hourly, scripted episode in Feb 2026)."""
    return simulate_market(universe, SimSpec())


@pytest.fixture(scope="module")
def long_market(universe):
    """Six years of daily data without an episode, for parameter recovery."""
    return simulate_market(universe, SimSpec(start="2019-01-01", end="2024-12-31", hourly=False, announcement=None))


@pytest.fixture(scope="module")
def kinds(universe):
    return {a.id: a.kind for a in universe.assets.values()}


def _daily(market, kinds, kind="token") -> pd.DataFrame:
    b = market.bars
    b = b[(b["interval"] == "1d") & b["asset"].map(lambda a: kinds.get(a, "token") == kind)]
    return b.pivot(index="ts", columns="asset", values="close").sort_index()


def _episode_mask(index: pd.DatetimeIndex, market, before: int = 1, after: int = 10) -> np.ndarray:
    a = market.episode["announcement"].normalize()
    return (index >= a - pd.Timedelta(days=before)) & (index <= a + pd.Timedelta(days=after))


# -- determinism and labelling ------------------------------------------------------------------------------
def test_same_seed_same_market_other_seed_differs(universe):
    a = simulate_market(universe, SMALL)
    b = simulate_market(universe, SMALL)
    c = simulate_market(universe, SimSpec(start=SMALL.start, end=SMALL.end, hourly=False, seed=SMALL.seed + 1))
    for name in ("bars", "market_caps", "derivatives", "factors"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    pd.testing.assert_frame_equal(a.events.drop(columns="fetched_at"), b.events.drop(columns="fetched_at"))
    assert not np.allclose(a.bars["close"].to_numpy(), c.bars["close"].to_numpy())
    assert not np.allclose(a.factors.to_numpy(), c.factors.to_numpy())


def test_every_row_is_marked_simulated(market):
    for name, df in market.tables():
        if "source" in df.columns:
            assert set(df["source"]) == {"simulated"}, name


# -- calendars ----------------------------------------------------------------------------------------------
def test_equities_trade_only_on_nyse_sessions(market, kinds):
    eq = market.bars[(market.bars["interval"] == "1d") & market.bars["asset"].map(kinds).isin(["equity", "index"])]
    cal = xcals.get_calendar("XNYS", start="2025-01-01", end="2026-03-31")
    sessions = set(cal.sessions.date)
    ny_dates = eq["ts"].dt.tz_convert("America/New_York").dt.date
    for asset, dates in ny_dates.groupby(eq["asset"]):
        assert set(dates) == sessions, asset
        assert dates.is_unique
    all_dates = set(ny_dates)
    for holiday in ("2025-07-04", "2025-12-25", "2026-01-01"):
        assert pd.Timestamp(holiday).date() not in all_dates
    assert not any(pd.Timestamp(d).day_of_week >= 5 for d in all_dates)
    # bar open = 09:30 New York
    local = eq["ts"].dt.tz_convert("America/New_York")
    assert set(zip(local.dt.hour, local.dt.minute)) == {(9, 30)}


def test_tokens_have_every_calendar_day_and_24_hours(market, kinds):
    days = pd.date_range("2025-01-01", "2026-03-31", freq="D", tz="UTC")
    tok = market.bars[market.bars["asset"].map(kinds) == "token"]
    for asset, g in tok[tok["interval"] == "1d"].groupby("asset"):
        assert pd.DatetimeIndex(g["ts"]).equals(days), asset
    hourly = tok[tok["interval"] == "1h"]
    per_day = hourly.groupby(["asset", hourly["ts"].dt.floor("D")]).size()
    assert (per_day == 24).all()
    assert len(per_day) == len(days) * tok["asset"].nunique()


def test_daily_token_bars_aggregate_hourly(market):
    b = market.bars[market.bars["asset"].isin(["TAO", "BTC", "IO"])]
    h = b[b["interval"] == "1h"].sort_values("ts")
    d = b[b["interval"] == "1d"].set_index(["asset", "ts"]).sort_index()
    agg = h.groupby(["asset", h["ts"].dt.floor("D")]).agg(
        open=("open", "first"), high=("high", "max"), low=("low", "min"), close=("close", "last")
    )
    agg.index.names = ["asset", "ts"]
    for col in ("open", "high", "low", "close"):
        np.testing.assert_allclose(d[col].to_numpy(), agg.loc[d.index, col].to_numpy(), rtol=1e-12)


def test_ohlc_consistent_everywhere(market):
    b = market.bars
    assert (b["low"] <= b[["open", "close"]].min(axis=1)).all()
    assert (b["high"] >= b[["open", "close"]].max(axis=1)).all()
    assert (b[["open", "high", "low", "close"]] > 0).all().all()


# -- factor structure ---------------------------------------------------------------------------------------
def test_factor_betas_recovered_by_ols(market, kinds):
    close = _daily(market, kinds)
    ret = np.log(close).diff().iloc[1:]
    keep = ~_episode_mask(ret.index, market)
    X = sm.add_constant(market.factors.loc[ret.index[keep], ["mkt", "eq", "sector"]])
    assert len(X) > 400
    for asset in close.columns:
        fit = sm.OLS(ret.loc[keep, asset], X).fit(cov_type="HC1")
        for f in ("mkt", "eq", "sector"):
            true = market.betas.loc[asset, f"beta_{f}"]
            est, se = fit.params[f], fit.bse[f]
            assert abs(est - true) < max(4 * se, 0.02), f"{asset} beta_{f}: est {est:.3f} (se {se:.3f}) vs {true}"


def test_volatility_clustering_ljung_box_on_squared_btc_returns(long_market, kinds):
    # six episode-free years: the clustering comes from the GARCH factors, not from the scripted crash
    close = _daily(long_market, kinds)
    r = np.log(close["BTC"]).diff().dropna()
    lb = acorr_ljungbox(r**2, lags=[10], return_df=True)
    assert lb["lb_pvalue"].iloc[0] < 0.01


def test_garch_persistence_of_market_factor_recovered(long_market):
    cfg = long_market.params["factors"]["mkt"]
    res = arch_model(100 * long_market.factors["mkt"], mean="Zero", vol="GARCH", p=1, q=1, dist="t").fit(disp="off")
    persistence = res.params["alpha[1]"] + res.params["beta[1]"]
    assert abs(persistence - (cfg["alpha"] + cfg["beta"])) < 0.03
    # unconditional daily vol: sqrt(omega / (1 - alpha - beta))
    uncond = np.sqrt(res.params["omega"] / (1 - persistence)) / 100
    assert uncond == pytest.approx(cfg["vol"], rel=0.25)


def test_fat_tails(long_market, kinds):
    close = _daily(long_market, kinds)
    ret = np.log(close).diff().dropna()
    kurt = ret.kurt()  # excess kurtosis (pandas: Fisher definition, normal = 0)
    assert (kurt > 0).all(), kurt[kurt <= 0]
    assert kurt.median() > 1.0


# -- the scripted episode -----------------------------------------------------------------------------------
def test_episode_sector_cap_falls(market, universe):
    members = list(universe.sector("ai-crypto").members)
    mc = market.market_caps[market.market_caps["asset"].isin(members)]
    wide = mc.pivot(index="ts", columns="asset", values="market_cap_usd").sort_index()
    ann = market.episode["announcement"]
    cap0 = wide.loc[:ann].iloc[-1].sum()
    cap5 = wide.loc[: ann + pd.Timedelta(days=5)].iloc[-1].sum()
    assert cap5 / cap0 - 1 < -0.15
    # most members fall
    move = wide.loc[: ann + pd.Timedelta(days=5)].iloc[-1] / wide.loc[:ann].iloc[-1] - 1
    assert (move < 0).mean() >= 0.8


def test_crash_day_has_the_largest_long_liquidations(market):
    d = market.derivatives[market.derivatives["asset"] == "BTC"]
    daily = d.groupby(d["ts"].dt.floor("D"))["liq_long_usd"].sum()
    crash = market.episode["crash_day"]
    assert daily.idxmax() == crash
    assert daily.loc[crash] > 10 * daily.median()


def test_market_cap_is_price_times_supply(market):
    mc = market.market_caps
    row = mc[(mc["asset"] == "BTC") & (mc["ts"] == pd.Timestamp("2025-07-01 12:00", tz="UTC"))].iloc[0]
    assert row["market_cap_usd"] == pytest.approx(row["price_usd"] * row["circulating_supply"], rel=1e-12)
    # supply 19.8e6 growing 0.8 %/year (assets.toml), 181.5 days after 2025-01-01 (to within the hour)
    years = (pd.Timestamp("2025-07-01 12:00", tz="UTC") - pd.Timestamp("2025-01-01", tz="UTC")) / pd.Timedelta(days=365)
    assert row["circulating_supply"] == pytest.approx(19.8e6 * 1.008**years, rel=1e-5)
    # price = close of the hourly bar ending at the snapshot
    bar = market.bars[(market.bars["asset"] == "BTC") & (market.bars["interval"] == "1h")
                      & (market.bars["ts"] == pd.Timestamp("2025-07-01 11:00", tz="UTC"))]
    assert row["price_usd"] == pytest.approx(bar["close"].iloc[0], rel=1e-12)
    assert np.allclose(mc["market_cap_usd"], mc["price_usd"] * mc["circulating_supply"], rtol=1e-12)


def test_extra_tokens(universe):
    m = simulate_market(universe, SimSpec(start=SMALL.start, end=SMALL.end, hourly=False, extra_tokens=3))
    ids = ["SIM001", "SIM002", "SIM003"]
    assets = m.assets.set_index("asset")
    assert set(ids) <= set(assets.index)
    assert "SIM004" not in assets.index
    assert (assets.loc[ids, "kind"] == "token").all()
    assert (assets.loc[ids, "sectors"] == "ai-crypto").all()
    n_days = len(pd.date_range(SMALL.start, SMALL.end, freq="D"))
    assert (m.bars[m.bars["asset"].isin(ids)].groupby("asset").size() == n_days).all()
    assert set(ids) <= set(m.betas.index)
