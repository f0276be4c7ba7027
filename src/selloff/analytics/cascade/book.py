"""The leveraged book: open interest split into leverage buckets and entry-price cohorts, and the price at which
each cohort is liquidated.

Liquidation price (isolated margin)
    Binance's USDⓈ-M rule (FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts",
    binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93): ``LP = (WB + TMM − UPNL + cum − Side·Pos·EP) /
    (Pos·MMR − Side·Pos)``, with ``TMM = UPNL = 0`` in isolated mode. With the wallet balance equal to the initial
    margin ``WB = Pos·EP/L`` and no maintenance amount (``cum = 0``, the first bracket) this is
    ``long: EP·(1 − 1/L)/(1 − MMR)`` and ``short: EP·(1 + 1/L)/(1 + MMR)``. Higher brackets (larger positions) have
    higher MMR and a maintenance amount; one MMR for the whole book is an approximation.

Book estimator (OI-flow reconstruction; ``shared/research/anchors.md`` §1.4)
    On the daily closes ``P_t`` and closing open interest ``OI_t`` (USD) of the last ``lookback_days`` days, in coins
    ``N_t = OI_t / P_t``, each side (longs and shorts: every contract has both) is tracked as cohorts ``(entry,
    leverage bucket, quantity)``:

    1. the OI standing on the first day is one cohort opened at that day's close;
    2. each following day, first every cohort whose liquidation price the day's low (longs) or high (shorts)
       crossed is removed (it was liquidated);
    3. a share ``daily_turnover`` of every cohort is closed (gross churn: positions open and close every day even
       when OI does not move; perpetual volume is several times OI);
    4. then the side is brought to the day's levered OI ``N_t · Σ shares``: a shortfall opens a new cohort at
       the day's close, split over the buckets by the configured shares; an excess closes positions pro rata
       across all cohorts.

    Assumptions: new positions open at the day's close (not its VWAP); closes are pro rata (not FIFO or by
    profit); the churn is a constant share (a prior); the leverage mix of new positions is constant (the configured shares, priors, not estimates — the
    shares are not identified by OI and price alone); the part of OI outside the shares (``1 − Σ shares``) is
    unlevered or hedged and never liquidated; OI before the window sits at one price.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from selloff.errors import ConfigError, DataError

__all__ = ["Book", "BookParams", "estimate_book", "estimate_books", "liquidation_price"]


def _check_lev_mmr(leverage: np.ndarray, mmr: float) -> None:
    if not np.isfinite(mmr) or mmr < 0 or mmr >= 1:
        raise ConfigError(f"maintenance margin rate {mmr} must be in [0, 1); use e.g. 0.005 (0.5 %)")
    if leverage.size == 0 or not np.all(np.isfinite(leverage)) or np.any(leverage <= 0):
        bad = leverage[~(leverage > 0)] if leverage.size else leverage
        raise ConfigError(f"leverage {bad.tolist() or leverage.tolist()} must be > 0; use e.g. 2, 10, 50")
    worst = float(leverage.max())
    if mmr >= 1.0 / worst:
        raise ConfigError(f"maintenance margin rate {mmr} must be below 1/leverage = {1.0 / worst:.4g} for "
                          f"leverage {worst:g} (the position would be liquidated at entry); lower mmr or the leverage")


def liquidation_price(entry: np.ndarray | float, leverage: np.ndarray | float, side: np.ndarray | int,
                      mmr: float) -> np.ndarray:
    """Isolated-margin liquidation price: long ``EP·(1 − 1/L)/(1 − MMR)``, short ``EP·(1 + 1/L)/(1 + MMR)``.

    Parameters
    ----------
    entry
        Entry price(s), > 0.
    leverage
        Leverage(s) ``L`` > 0 (initial margin ``1/L`` of the notional).
    side
        +1 long, −1 short (broadcast with ``entry``).
    mmr
        Maintenance margin rate, ``0 <= mmr < 1/L``.

    Raises
    ------
    ConfigError
        Leverage ≤ 0, ``mmr`` outside [0, 1) or ``mmr >= 1/L`` (liquidated at entry).
    """
    ep, lev, sd = np.asarray(entry, float), np.asarray(leverage, float), np.asarray(side)
    _check_lev_mmr(np.atleast_1d(lev), float(mmr))
    if np.any(~np.isfinite(ep)) or np.any(ep <= 0):
        raise DataError(f"entry price {ep.tolist()} must be > 0 and finite; check the closes")
    if not np.all(np.isin(sd, (1, -1))):
        raise ConfigError(f"side {np.unique(sd).tolist()} must be +1 (long) or -1 (short)")
    return np.where(sd > 0, ep * (1.0 - 1.0 / lev) / (1.0 - mmr), ep * (1.0 + 1.0 / lev) / (1.0 + mmr))


@dataclass(frozen=True)
class BookParams:
    """Leverage buckets and the book estimator's windows (``[cascade]`` in the config).

    ``long_shares`` / ``short_shares``: the share of each side's OI in each leverage bucket (each ≥ 0, summing to
    at most 1; the rest is unlevered). ``mmr``: one maintenance margin rate for the book.
    """

    leverage: tuple[float, ...] = (2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
    long_shares: tuple[float, ...] = (0.30, 0.25, 0.20, 0.12, 0.08, 0.05)
    short_shares: tuple[float, ...] = (0.40, 0.25, 0.17, 0.10, 0.05, 0.03)
    mmr: float = 0.005
    lookback_days: int = 30
    vol_days: int = 30
    daily_turnover: float = 0.25

    def __post_init__(self) -> None:
        if not 0 <= self.daily_turnover < 1:
            raise ConfigError(f"[cascade] daily_turnover = {self.daily_turnover} must be in [0, 1); fix config.toml")
        lev = np.asarray(self.leverage, float)
        _check_lev_mmr(lev, float(self.mmr))
        for name in ("long_shares", "short_shares"):
            sh = np.asarray(getattr(self, name), float)
            if sh.shape != lev.shape:
                raise ConfigError(f"[cascade] {name} has {sh.size} values for {lev.size} leverage buckets; give one per bucket")
            if np.any(~np.isfinite(sh)) or np.any(sh < 0) or sh.sum() > 1.0 + 1e-9:
                raise ConfigError(f"[cascade] {name} {sh.tolist()} must be >= 0 and sum to at most 1; fix config.toml")
        for name in ("lookback_days", "vol_days"):
            if getattr(self, name) < 2:
                raise ConfigError(f"[cascade] {name} = {getattr(self, name)} must be >= 2 (days); fix config.toml")

    def shares(self, side: int) -> np.ndarray:
        return np.asarray(self.long_shares if side > 0 else self.short_shares, float)


@dataclass(frozen=True, eq=False)
class Book:
    """Estimated leveraged positions of one asset at the close of ``asof`` (arrays: one entry per cohort and
    bucket)."""

    asset: str
    asof: pd.Timestamp
    price: float
    """Reference price ``P0``: the close of ``asof`` (the next day's open for a crypto day)."""
    open_interest_usd: float
    sigma_d: float
    """Standard deviation of daily log returns over ``vol_days`` (the σ of the impact law)."""
    adv_usd: float
    """Mean daily traded volume (USD) over ``vol_days`` (the V of the impact law)."""
    side: np.ndarray
    leverage: np.ndarray
    entry: np.ndarray
    qty: np.ndarray
    """Position size in coins."""
    liq_price: np.ndarray
    mmr: float
    method: str = field(default="OI-flow reconstruction (daily closes, pro-rata closes, configured leverage shares)")

    @property
    def levered_usd(self) -> dict[str, float]:
        """Levered notional (USD at ``price``) per side."""
        v = self.qty * self.price
        return {"long": float(v[self.side > 0].sum()), "short": float(v[self.side < 0].sum())}

    def to_frame(self) -> pd.DataFrame:
        """One row per cohort: side, leverage, entry, qty, notional_usd (at ``price``), liq_price, distance_pct."""
        return pd.DataFrame({"side": np.where(self.side > 0, "long", "short"), "leverage": self.leverage,
                             "entry": self.entry, "qty": self.qty, "notional_usd": self.qty * self.price,
                             "liq_price": self.liq_price, "distance_pct": 100.0 * (self.liq_price / self.price - 1.0)})

    def ladder(self) -> pd.DataFrame:
        """Notional (USD at ``price``) and notional-weighted distance to liquidation per side and leverage bucket."""
        f = self.to_frame()
        if f.empty:
            return pd.DataFrame(columns=["side", "leverage", "notional_usd", "distance_pct"])
        f["w"] = f["notional_usd"] * f["distance_pct"]
        g = f.groupby(["side", "leverage"], as_index=False)[["notional_usd", "w"]].sum()
        g["distance_pct"] = g["w"] / g["notional_usd"].where(g["notional_usd"] > 0)
        return g.drop(columns="w")


def estimate_book(daily: pd.DataFrame, params: BookParams, asset: str = "") -> Book:
    """Reconstruct the leveraged book at the last row of ``daily`` (see the module docstring).

    Parameters
    ----------
    daily
        Index: consecutive dates (naive UTC); columns ``close``, ``open_interest_usd`` and optionally ``low``,
        ``high`` (liquidation checks; the close where absent) and ``volume_usd`` (for ``adv_usd``). Only the last
        ``max(lookback_days, vol_days) + 1`` rows are used.

    Raises
    ------
    DataError
        Fewer than two days with both a close and an OI, or no volume for the impact law.
    """
    d = daily.sort_index()
    (book,) = estimate_books(d, params, asset, [len(d)])
    if isinstance(book, DataError):
        raise book
    return book


def estimate_books(daily: pd.DataFrame, params: BookParams, asset: str, ends: Sequence[int]) -> list[Book | DataError]:
    """:func:`estimate_book` for many dates at once: for each ``end`` (a row position of the sorted ``daily``,
    exclusive) the book at the close of row ``end − 1`` from the rows ``[end − need, end)``, or the
    :class:`DataError` that date raises. Same rule as :func:`estimate_book` (which calls it), the cohort recursion
    run for all dates together (one array step per day of the look-back instead of one Python loop per date)."""
    d = daily.sort_index()
    need = max(params.lookback_days, params.vol_days) + 1
    close = d["close"].to_numpy(float)
    oi = d["open_interest_usd"].to_numpy(float)
    low = (d["low"] if "low" in d else d["close"]).fillna(d["close"]).to_numpy(float)
    high = (d["high"] if "high" in d else d["close"]).fillna(d["close"]).to_numpy(float)
    vol = d["volume_usd"].to_numpy(float) if "volume_usd" in d else np.full(len(d), np.nan)
    ok = np.isfinite(close) & np.isfinite(oi) & (close > 0)
    logc = np.log(np.where(close > 0, close, np.nan))
    out: list[Book | DataError | None] = [None] * len(ends)
    flows: dict[int, list[tuple[int, np.ndarray]]] = {}
    for j, end in enumerate(ends):
        lo_i = max(0, end - need)
        rows = lo_i + np.flatnonzero(ok[lo_i:end])[-(params.lookback_days + 1):]
        if len(rows) < 2:
            out[j] = DataError(f"{asset or 'asset'}: fewer than 2 days with a close and open interest up to "
                               f"{d.index[end - 1] if end > 0 else 'the date'}; fetch derivatives with open interest first")
            continue
        if not np.isfinite(vol[max(0, end - params.vol_days):end]).any():
            out[j] = DataError(f"{asset or 'asset'}: no traded volume before {d.index[rows[-1]]:%Y-%m-%d} for the impact "
                               "law; fetch daily bars with volume")
            continue
        flows.setdefault(len(rows), []).append((j, rows))
    for group in flows.values():
        idx = np.stack([r for _, r in group])  # (dates, T): the flow rows of each date
        cohorts = _cohorts(close[idx], oi[idx] / close[idx], low[idx], high[idx], params)
        for b, (j, rows) in enumerate(group):
            end = ends[j]
            side, lv, e, q = (np.concatenate([c[k][b] for c in cohorts]) for k in range(4))
            keep = q > 0
            side, lv, e, q = side[keep], lv[keep], e[keep], q[keep]
            r = np.diff(logc[max(0, end - need):end])[-params.vol_days:]
            r = r[np.isfinite(r)]
            v = vol[max(0, end - params.vol_days):end]
            out[j] = Book(asset=asset, asof=pd.Timestamp(d.index[rows[-1]]), price=float(close[rows[-1]]),
                          open_interest_usd=float(oi[rows[-1]]),
                          sigma_d=float(np.std(r, ddof=1)) if r.size > 1 else float("nan"),
                          adv_usd=float(np.nanmean(v)), side=side, leverage=lv, entry=e, qty=q,
                          liq_price=liquidation_price(e, lv, side, params.mmr) if e.size else e, mmr=float(params.mmr))
    return out  # type: ignore[return-value]


def _cohorts(px: np.ndarray, coins: np.ndarray, lo: np.ndarray, hi: np.ndarray,
             params: BookParams) -> list[tuple[np.ndarray, ...]]:
    """The cohort recursion of the module docstring for ``B`` dates at once (arrays ``(B, T)``: each date's flow
    rows). A cohort slot is kept for every day (quantity 0 when nothing opened), so the dates stay aligned; per
    side the flattened ``(side, leverage, entry, qty)`` of each date, cohorts in time order, buckets within."""
    lev = np.asarray(params.leverage, float)
    B, T = px.shape
    K = lev.size
    res = []
    for side in (1, -1):
        shares = params.shares(side)
        total = shares.sum()
        factor = liquidation_price(np.ones_like(lev), lev, side, params.mmr)  # LP / EP per bucket
        q = np.zeros((B, T, K))
        q[:, 0, :] = coins[:, :1] * shares
        for t in range(1, T):
            lp = px[:, :t, None] * factor
            hit = (lp >= lo[:, t, None, None]) if side > 0 else (lp <= hi[:, t, None, None])
            qq = np.where(hit, 0.0, q[:, :t]) * (1.0 - params.daily_turnover)
            target, have = coins[:, t] * total, qq.sum(axis=(1, 2))
            grow = (target > have) & (total > 0)
            shrink = ~grow & (have > 0)
            ratio = np.where(shrink, target / np.where(have > 0, have, 1.0), 1.0)
            q[:, :t] = qq * ratio[:, None, None]
            if total > 0:
                q[:, t] = np.where(grow[:, None], (target - have)[:, None] * shares / total, 0.0)
        res.append((np.full((B, T * K), side, dtype=np.int8), np.broadcast_to(np.tile(lev, T), (B, T * K)),
                    np.repeat(px, K, axis=1), q.reshape(B, T * K)))
    return res
