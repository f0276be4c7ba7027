"""A seeded, realistic simulated market for a universe — the offline demo data, benchmark and test generator.

Everything it produces carries ``source = "simulated"`` and must never be presented as real prices.

Model
-----
Three latent daily factors follow GARCH(1,1) processes with Student-t innovations (fat tails, volatility
clustering): a crypto-market factor (BTC), an AI-equity factor and an AI-crypto sector factor. On calendar day
``d`` a token's log return is

    r_i,d = beta_mkt_i * m_d + beta_eq_i * q_d + beta_sector_i * s_d + e_i,d

and an equity's log return over a NYSE session is the sum of ``beta_eq_j * q_d + u_j,d`` over the calendar days
since its previous session (news on weekends and holidays reaches equities on the next session). Idiosyncratic
terms ``e`` and ``u`` are GARCH(1,1)-t as well. Tokens trade 24/7: each day is split into 24 hourly returns by a
zero-sum Brownian bridge (on the scripted crash day most of the move is packed into a few hours). Equities trade
only on NYSE sessions (``exchange_calendars`` XNYS, early closes included).

Derived series: market cap = price x circulating supply (supply grows at a yearly rate); open interest is a share
of market cap with a persistent random component that drops when positions are liquidated; hourly long (short)
liquidations are a convex function of the hourly move in excess of ``z_free`` hourly sigmas, plus a small
background; funding follows the last 24 h move.

A scripted episode with the reference case's structure is injected as standardised shocks on the factors'
innovations (so the GARCH variance reacts as it would to real news): a Big-Tech capex announcement after the US
close -> AI-chip and cloud stocks fall over five sessions -> AI tokens sell off together -> a BTC crash with
leveraged liquidations -> no stabilisation for several days. Its figures are whatever the simulation gives.

References
----------
Bollerslev, T. (1986). Generalized autoregressive conditional heteroskedasticity. J. Econometrics 31, 307-327.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from selloff.errors import ConfigError
from selloff.universe.model import Asset, Universe

SOURCE = "simulated"
HOURS = 24




def _load_params() -> dict[str, Any]:
    with resources.files("selloff.simulate").joinpath("assets.toml").open("rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class SimSpec:
    """What to simulate. Dates are UTC calendar days (inclusive)."""

    start: str = "2025-01-01"
    end: str = "2026-03-31"
    seed: int = 20260206
    announcement: str | None = "2026-02-04T21:05:00Z"
    """Time of the scripted capex announcement (after the US close); ``None`` for no episode."""
    extra_tokens: int = 0
    """Additional synthetic tokens SIM001.. in the AI-crypto sector (benchmarks: sizes as parameters)."""
    hourly: bool = True
    """Generate hourly token bars, market caps and derivatives (daily bars are always generated)."""


@dataclass(frozen=True)
class SimulatedMarket:
    """The generated frames (store schema) plus the ground truth they were generated from."""

    spec: SimSpec
    assets: pd.DataFrame
    bars: pd.DataFrame
    market_caps: pd.DataFrame
    derivatives: pd.DataFrame
    events: pd.DataFrame
    factors: pd.DataFrame
    """Daily latent factor log returns (columns mkt, eq, sector), index = UTC calendar dates."""
    betas: pd.DataFrame
    """True loadings per asset (beta_mkt, beta_eq, beta_sector)."""
    params: dict[str, Any] = field(repr=False)
    episode: dict[str, pd.Timestamp] = field(default_factory=dict)

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            ("assets", self.assets),
            ("bars", self.bars),
            ("market_caps", self.market_caps),
            ("derivatives", self.derivatives),
            ("events", self.events),
        ]


def _garch_path(
    rng: np.random.Generator,
    n: int,
    k: int,
    vol: np.ndarray,
    alpha: float,
    beta: float,
    dof: float,
    scale: np.ndarray | None = None,
    shocks: dict[int, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``k`` independent GARCH(1,1)-t series of length ``n``; returns (returns, conditional sigma).

    ``scale[t]`` multiplies day t's return (weekends for the equity factor); ``shocks`` replaces the
    standardised innovation on given days (the scripted episode).
    """
    vol = np.broadcast_to(np.asarray(vol, float), (k,))
    omega = vol**2 * (1.0 - alpha - beta)
    eps = rng.standard_t(dof, size=(n, k)) * np.sqrt((dof - 2.0) / dof)
    if shocks:
        for t, z in shocks.items():
            if 0 <= t < n:
                eps[t, :] = z
    h = vol**2
    r = np.empty((n, k))
    sig = np.empty((n, k))
    for t in range(n):
        s = np.sqrt(h) * (1.0 if scale is None else scale[t])
        sig[t] = s
        r[t] = s * eps[t]
        h = omega + alpha * r[t] ** 2 + beta * h
    return r, sig


def _tiled(index: pd.DatetimeIndex, k: int) -> pd.DatetimeIndex:
    """``index`` (tz-aware) repeated ``k`` times, in UTC and its own unit. ``np.tile`` of the index itself makes an
    object array of Timestamps, slow to build and slower to turn back into timestamps (seconds per million rows)."""
    return pd.DatetimeIndex(np.tile(index.tz_convert("UTC").tz_localize(None).to_numpy(), k)).tz_localize("UTC")


def _asset_params(params: dict[str, Any], a: Asset) -> dict[str, float]:
    base = dict(params["defaults"][a.kind])
    base.update(params.get("assets", {}).get(a.id, {}))
    return base


def simulate_market(universe: Universe, spec: SimSpec | None = None, sector: str = "ai-crypto") -> SimulatedMarket:
    """Generate the demo market for every asset of ``universe`` (see the module docstring for the model)."""
    spec = spec or SimSpec()
    params = _load_params()
    rng = np.random.default_rng(spec.seed)
    days = pd.date_range(spec.start, spec.end, freq="D", tz="UTC")
    if len(days) < 60:
        raise ConfigError(f"simulation window {spec.start}..{spec.end} is shorter than 60 days; widen it")
    n = len(days)

    assets = list(universe.assets.values())
    extra = [
        Asset(id=f"SIM{i + 1:03d}", kind="token", name=f"Synthetic token {i + 1}")
        for i in range(spec.extra_tokens)
    ]
    assets += extra
    tokens = [a for a in assets if a.kind == "token"]
    equities = [a for a in assets if a.kind != "token"]
    p = {a.id: _asset_params(params, a) for a in assets}
    for i, a in enumerate(extra):  # synthetic tokens: spread the loadings so they are not identical
        p[a.id].update(
            beta_mkt=float(rng.uniform(0.8, 1.4)),
            beta_eq=float(rng.uniform(0.1, 0.7)),
            beta_sector=float(rng.uniform(0.4, 1.3)),
            price=float(np.exp(rng.uniform(-2, 4))),
        )

    # -- episode shocks (standardised innovations by day offset from the announcement day) ---------------
    episode: dict[str, pd.Timestamp] = {}
    shocks: dict[str, dict[int, float]] = {"mkt": {}, "eq": {}, "sector": {}}
    ep = params["episode"]
    crash_day = None
    if spec.announcement:
        ann = pd.Timestamp(spec.announcement)
        ann = ann.tz_localize("UTC") if ann.tzinfo is None else ann.tz_convert("UTC")
        a_idx = int((ann.normalize() - days[0]).days)
        if 0 <= a_idx < n - 10:
            for f in shocks:
                shocks[f] = {a_idx + int(k): float(v) for k, v in ep[f].items()}
            crash_off = min(ep["mkt"], key=lambda k: ep["mkt"][k])
            crash_day = a_idx + int(crash_off)
            episode = {
                "announcement": ann,
                "second_announcement": ann + pd.Timedelta(hours=float(ep["second_event_hours"])),
                "crash_day": days[crash_day],
            }

    # -- latent factors ----------------------------------------------------------------------------------
    fp = params["factors"]
    weekday = days.day_of_week.to_numpy()
    eq_scale = np.where(weekday >= 5, fp["weekend_eq_vol_scale"], 1.0)
    fac = {}
    for name, scale in (("mkt", None), ("eq", eq_scale), ("sector", None)):
        spec_f = fp[name]
        r, _ = _garch_path(
            rng, n, 1, np.array([spec_f["vol"]]), spec_f["alpha"], spec_f["beta"], spec_f["dof"], scale, shocks[name]
        )
        fac[name] = r[:, 0]
    factors = pd.DataFrame(fac, index=days.rename("ts"))

    ig = fp["idio_garch"]
    # -- tokens: daily log returns, then hourly paths --------------------------------------------------
    bt = np.array([[p[a.id]["beta_mkt"], p[a.id]["beta_eq"], p[a.id]["beta_sector"]] for a in tokens])
    idio_t, _ = _garch_path(rng, n, len(tokens), np.array([p[a.id]["vol_idio"] for a in tokens]), ig["alpha"], ig["beta"], ig["dof"])
    F = factors[["mkt", "eq", "sector"]].to_numpy()
    r_tok = F @ bt.T + idio_t  # (n, k_tokens)
    sig_tok = np.sqrt((bt**2 * np.array([fp["mkt"]["vol"], fp["eq"]["vol"], fp["sector"]["vol"]]) ** 2).sum(1)
                      + np.array([p[a.id]["vol_idio"] for a in tokens]) ** 2)

    weights = np.full((n, HOURS), 1.0 / HOURS)
    if crash_day is not None:
        start_h = int(rng.integers(10, HOURS - int(ep["crash_hours"])))
        w = np.full(HOURS, (1.0 - ep["crash_share"]) / HOURS)
        w[start_h : start_h + int(ep["crash_hours"])] += ep["crash_share"] / int(ep["crash_hours"])
        weights[crash_day] = w
        episode["crash_hour"] = days[crash_day] + pd.Timedelta(hours=start_h)
    noise = rng.standard_normal((len(tokens), n, HOURS))
    noise -= noise.mean(axis=2, keepdims=True)
    sig_h = (sig_tok / np.sqrt(HOURS))[:, None, None]
    r_h = r_tok.T[:, :, None] * weights[None, :, :] + 0.8 * sig_h * noise  # (k, n, 24), rows sum to r_tok
    log_p0 = np.log([p[a.id]["price"] for a in tokens])[:, None]
    close_h = np.exp(log_p0 + np.cumsum(r_h.reshape(len(tokens), -1), axis=1))  # (k, n*24)
    open_h = np.concatenate([np.exp(log_p0), close_h[:, :-1]], axis=1)
    wig = np.abs(rng.standard_normal((2, *close_h.shape))) * 0.3 * sig_h.reshape(-1, 1)
    high_h = np.maximum(open_h, close_h) * np.exp(wig[0])
    low_h = np.minimum(open_h, close_h) * np.exp(-wig[1])
    hours = pd.date_range(days[0], periods=n * HOURS, freq="h")
    years = ((hours - hours[0]) / pd.Timedelta(days=365)).to_numpy()
    supply = np.array([[p[a.id]["supply"]] for a in tokens]) * (1.0 + np.array([[p[a.id]["supply_growth"]] for a in tokens])) ** years
    mcap_h = close_h * supply
    z_h = r_h.reshape(len(tokens), -1) / sig_h.reshape(-1, 1)
    turnover = 0.04 / HOURS * (1.0 + 2.5 * np.abs(z_h)) * np.exp(0.3 * rng.standard_normal(close_h.shape))
    vol_h = mcap_h * turnover / close_h

    # -- derivatives: OI, funding, liquidations -----------------------------------------------------------
    lq = params["liquidations"]
    sh = sig_h.reshape(-1, 1)
    liq_long_frac = np.minimum(lq["k"] * np.maximum(0.0, -z_h - lq["z_free"]) ** 2 * sh, 0.3)
    liq_short_frac = np.minimum(0.6 * lq["k"] * np.maximum(0.0, z_h - lq["z_free"]) ** 2 * sh, 0.3)
    bg = lq["base"] * np.exp(0.5 * rng.standard_normal((2, *close_h.shape)))
    liq_long_frac += bg[0]
    liq_short_frac += bg[1]
    logL = np.zeros_like(close_h)
    innov = 0.01 * rng.standard_normal(close_h.shape)
    for t in range(1, close_h.shape[1]):
        logL[:, t] = 0.995 * logL[:, t - 1] + innov[:, t] + np.log1p(-(liq_long_frac[:, t] + liq_short_frac[:, t]))
    oi_base = np.array([[p[a.id]["oi_ratio"]] for a in tokens]) * mcap_h
    oi_start = np.concatenate([oi_base[:, :1], (oi_base * np.exp(logL))[:, :-1]], axis=1)  # OI before the hour
    liq_long = liq_long_frac * oi_start
    liq_short = liq_short_frac * oi_start
    oi = oi_base * np.exp(logL)
    cum = np.cumsum(r_h.reshape(len(tokens), -1), axis=1)
    r24 = cum - np.concatenate([np.zeros((len(tokens), HOURS)), cum[:, :-HOURS]], axis=1)
    funding = 0.0001 + 0.0004 * np.tanh(8.0 * r24) + 0.00004 * rng.standard_normal(close_h.shape)

    k_t = len(tokens)
    ids = pd.Series(np.repeat([a.id for a in tokens], n * HOURS)).array  # converted once, shared by three frames
    ts_h = _tiled(hours, k_t)
    hourly = pd.DataFrame(
        {
            "asset": ids,
            "ts": ts_h,
            "open": open_h.ravel(),
            "high": high_h.ravel(),
            "low": low_h.ravel(),
            "close": close_h.ravel(),
            "volume": vol_h.ravel(),
        }
    )
    hourly["day"] = hourly["ts"].dt.floor("D")
    g = hourly.groupby(["asset", "day"], sort=False)
    daily_tok = g.agg(open=("open", "first"), high=("high", "max"), low=("low", "min"), close=("close", "last"), volume=("volume", "sum")).reset_index()
    daily_tok = daily_tok.rename(columns={"day": "ts"})
    daily_tok["interval"] = "1d"
    hourly = hourly.drop(columns="day")
    hourly["interval"] = "1h"

    # -- equities on NYSE sessions -------------------------------------------------------------------------
    import exchange_calendars as xcals

    cal = xcals.get_calendar("XNYS", start=days[0].tz_localize(None), end=days[-1].tz_localize(None))
    sched = cal.schedule
    sess_dates = pd.DatetimeIndex(sched.index).tz_localize("UTC")
    pos = days.get_indexer(sess_dates)
    be = np.array([p[a.id]["beta_eq"] for a in equities])
    idio_e, _ = _garch_path(rng, n, len(equities), np.array([p[a.id]["vol_idio"] for a in equities]), ig["alpha"], ig["beta"], ig["dof"],
                            scale=eq_scale)
    r_eq_day = factors["eq"].to_numpy()[:, None] * be[None, :] + idio_e
    cum_e = np.vstack([np.zeros((1, len(equities))), np.cumsum(r_eq_day, axis=0)])
    prev = np.concatenate([[-1], pos[:-1]])
    r_sess = cum_e[pos + 1] - cum_e[prev + 1]  # sum of daily returns since the previous session
    log_e0 = np.log([p[a.id]["price"] for a in equities])
    close_e = np.exp(log_e0 + np.cumsum(r_sess, axis=0))
    prev_close = np.vstack([np.exp(log_e0)[None, :], close_e[:-1]])
    gap = 0.5 * r_sess + 0.002 * rng.standard_normal(r_sess.shape)
    open_e = prev_close * np.exp(gap)
    sd = np.array([p[a.id]["vol_idio"] for a in equities])[None, :] + 0.01
    high_e = np.maximum(open_e, close_e) * np.exp(np.abs(rng.standard_normal(r_sess.shape)) * 0.35 * sd)
    low_e = np.minimum(open_e, close_e) * np.exp(-np.abs(rng.standard_normal(r_sess.shape)) * 0.35 * sd)
    vol_e = 2e7 * np.exp(0.4 * rng.standard_normal(r_sess.shape)) * (1 + 20 * np.abs(r_sess))
    ns = len(sess_dates)
    opens = pd.DatetimeIndex(sched["open"])
    eq_daily = pd.DataFrame(
        {
            "asset": np.repeat([a.id for a in equities], ns),
            "ts": _tiled(opens if opens.tz is not None else opens.tz_localize("UTC"), len(equities)),
            "open": open_e.T.ravel(),
            "high": high_e.T.ravel(),
            "low": low_e.T.ravel(),
            "close": close_e.T.ravel(),
            "volume": vol_e.T.ravel(),
        }
    )
    eq_daily["adj_close"] = eq_daily["close"]
    eq_daily["interval"] = "1d"

    parts = [daily_tok, eq_daily] + ([hourly] if spec.hourly else [])
    bars = pd.concat(parts, ignore_index=True)
    bars["source"] = SOURCE

    close_ts = hours + pd.Timedelta(hours=1)
    mc = pd.DataFrame(
        {
            "asset": ids,
            "ts": _tiled(close_ts, k_t),
            "market_cap_usd": mcap_h.ravel(),
            "circulating_supply": supply.ravel(),
            "price_usd": close_h.ravel(),
            "volume_usd_24h": np.nan,
        }
    )
    mc["ts"] = pd.to_datetime(mc["ts"], utc=True)
    if not spec.hourly:
        mc = mc[mc["ts"].dt.hour == 0]
    mc["source"] = SOURCE
    vol_usd = (vol_h * close_h).reshape(k_t, -1)
    vol24 = pd.DataFrame(vol_usd.T).rolling(HOURS, min_periods=1).sum().to_numpy().T
    mc["volume_usd_24h"] = vol24.ravel() if spec.hourly else vol24.ravel()[mc.index.to_numpy()]

    der = pd.DataFrame(
        {
            "asset": ids,
            "interval": "1h",
            "ts": pd.to_datetime(ts_h, utc=True),
            "venue": "aggregate",
            "source": SOURCE,
            "funding_rate": funding.ravel(),
            "open_interest_usd": oi.ravel(),
            "liq_long_usd": liq_long.ravel(),
            "liq_short_usd": liq_short.ravel(),
            "coverage": "simulated: all venues",
        }
    )
    if not spec.hourly:
        der["day"] = der["ts"].dt.floor("D")
        der = der.groupby(["asset", "day"], as_index=False).agg(
            funding_rate=("funding_rate", "mean"), open_interest_usd=("open_interest_usd", "last"),
            liq_long_usd=("liq_long_usd", "sum"), liq_short_usd=("liq_short_usd", "sum"),
        ).rename(columns={"day": "ts"})
        der = der.assign(interval="1d", venue="aggregate", source=SOURCE, coverage="simulated: all venues")

    events = _events(spec, days, episode, rng)
    asset_rows = pd.DataFrame(
        {
            "asset": [a.id for a in assets],
            "kind": [a.kind for a in assets],
            "name": [a.name for a in assets],
            "sectors": [",".join(universe.sectors_of(a.id)) or (sector if a in extra else "") for a in assets],
            "coingecko_id": [a.coingecko_id for a in assets],
            "yahoo": [a.yahoo for a in assets],
        }
    )
    betas = pd.DataFrame(
        {a.id: {"beta_mkt": p[a.id].get("beta_mkt", 0.0), "beta_eq": p[a.id]["beta_eq"], "beta_sector": p[a.id].get("beta_sector", 0.0)} for a in assets}
    ).T
    return SimulatedMarket(spec, asset_rows, bars, mc, der, events, factors, betas, params, episode)


def _events(spec: SimSpec, days: pd.DatetimeIndex, episode: dict, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    # a fixed "fetched" time (the day after the simulated range): rebuilding the demo store changes no row
    now = pd.Timestamp(spec.end, tz="UTC") + pd.Timedelta(days=1)
    if "announcement" in episode:
        rows.append((episode["announcement"], "GOOGL", "capex_guidance",
                     "Alphabet quarterly results: AI-infrastructure capex guidance for the coming year raised (simulated event)", "GOOGL,AMZN,MSFT,NVDA,AMD"))
        rows.append((episode["second_announcement"], "AMZN", "capex_guidance",
                     "Amazon quarterly results: AI-infrastructure capex guidance raised (simulated event)", "AMZN,NVDA,AMD"))
    # quarterly earnings of the chip and cloud companies (simulated calendar, for event studies)
    for entity, first in (("NVDA", 55), ("MSFT", 28), ("AMD", 34), ("META", 29), ("AMZN", 36)):
        d = days[0] + pd.Timedelta(days=first)
        while d < days[-1] - pd.Timedelta(days=7):
            if "announcement" not in episode or abs((d - episode["announcement"]).days) > 10:
                rows.append((d + pd.Timedelta(hours=21, minutes=5), entity, "earnings", f"{entity} quarterly results (simulated event)", entity))
            d += pd.Timedelta(days=91)
    ev = pd.DataFrame(rows, columns=["ts", "entity", "kind", "headline", "assets"])
    ev["source"] = SOURCE
    ev["url"] = None
    ev["fetched_at"] = now
    ev["ts"] = pd.to_datetime(ev["ts"], utc=True)
    return ev
