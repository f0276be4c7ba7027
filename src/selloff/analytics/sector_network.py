"""Is it spreading across the market? The sector-level connectedness network: which sector transmits shocks to
which, before the episode and with it, from Diebold–Yilmaz tables on sector index returns (plus the TVP-VAR
path of the total, which needs no window).

A pure function of a wide frame of sector returns; :func:`sector_log_returns` builds that frame from a
:class:`~selloff.analytics.panel.Panel` with the sector index rule of :func:`selloff.analytics.day.sector_series`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from selloff.analytics.day import sector_weights
from selloff.analytics.fevd import IDENTIFICATIONS
from selloff.analytics.panel import Panel
from selloff.analytics.sector import sector_returns
from selloff.analytics.spillover import SpilloverResult, spillover_table
from selloff.analytics.spillover_bootstrap import SpilloverBootstrap, spillover_bootstrap
from selloff.analytics.tvp_var import tvp_var_connectedness
from selloff.config import defaults
from selloff.errors import ConfigError, DataError
from selloff.texts import Text

__all__ = ["NetworkParams", "SectorNetwork", "left_out_reason", "sector_log_returns", "sector_network"]


@dataclass(frozen=True)
class NetworkParams:
    """Parameters of the sector network (``[connectedness]`` of the config)."""

    window: int = 120
    lags: int = 1
    horizon: int = 10
    identification: str = "generalized"
    min_obs: int = 60
    top_edges: int = 10
    tvp_kappa1: float = 0.99
    tvp_kappa2: float = 0.99
    tvp_prior_obs: int = 60
    episode_days: int = 7
    tvp_max_sectors: int = 20
    bootstrap_reps: int = 400
    bootstrap_seed: int = 20260206

    def __post_init__(self) -> None:
        checks = [("network_window", self.window > self.lags + 2), ("network_lags", self.lags >= 1),
                  ("network_horizon", self.horizon >= 1), ("network_min_obs", 0 < self.min_obs <= self.window),
                  ("network_top_edges", self.top_edges >= 1), ("network_episode_days", self.episode_days >= 1),
                  ("network_identification", self.identification in IDENTIFICATIONS),
                  ("tvp_kappa1", 0 < self.tvp_kappa1 <= 1), ("tvp_kappa2", 0 < self.tvp_kappa2 <= 1),
                  ("tvp_prior_obs", self.tvp_prior_obs > self.lags + 2), ("tvp_max_sectors", self.tvp_max_sectors >= 0),
                  ("network_bootstrap_reps", self.bootstrap_reps == 0 or self.bootstrap_reps >= 2),
                  ("network_bootstrap_seed", self.bootstrap_seed >= 0)]
        for key, ok in checks:
            if not ok:
                raise ConfigError(f"[connectedness] {key} = {getattr(self, _FIELD[key])!r} is out of range; see the "
                                  "comment in the bundled defaults.toml for its meaning and unit")

    @classmethod
    def from_config(cls) -> NetworkParams:
        """The ``[connectedness]`` section of the config."""
        c = defaults("connectedness")
        return cls(**{f: type(getattr(cls, f))(c[k]) for k, f in _FIELD.items()})


_FIELD = {"network_window": "window", "network_lags": "lags", "network_horizon": "horizon",
          "network_identification": "identification", "network_min_obs": "min_obs", "network_top_edges": "top_edges",
          "network_episode_days": "episode_days", "tvp_kappa1": "tvp_kappa1", "tvp_kappa2": "tvp_kappa2",
          "tvp_prior_obs": "tvp_prior_obs", "tvp_max_sectors": "tvp_max_sectors",
          "network_bootstrap_reps": "bootstrap_reps", "network_bootstrap_seed": "bootstrap_seed"}


def sector_log_returns(panel: Panel, sectors: Mapping[str, Sequence[str]], before: object = None,
                       min_obs: int = 0) -> tuple[pd.DataFrame, dict[str, str]]:
    """Daily log returns of each sector's index on the rows where every sector has a return.

    Each sector's daily return is :func:`~selloff.analytics.sector.sector_returns` with the weights of
    :func:`~selloff.analytics.day.sector_weights` (cap-weighted where caps exist, as everywhere else), on each
    member's returns between its own consecutive closes; the levels are chained and the log returns taken between
    the common rows, so a crypto sector's weekend compounds into the next equity session. Crypto days close at 00:00 UTC and equity
    sessions at 16:00 New York: a move in the US evening shows in that day's crypto return and the next session's
    equity return. With ``before``, while the common rows before that day are fewer than ``min_obs`` + 1, the
    sector whose history starts last is left out (its short history would cut every other sector's window). Returns the frame and, for each sector left out, why
    (no prices, too short a history, the same index as another).
    """
    levels, skipped, seen = {}, {}, {}
    close = panel.close
    # each asset's return between its own consecutive closes (an equity's Monday return spans the weekend)
    own = (close / close.ffill().shift(1) - 1).where(close.notna()) if not close.empty else close
    for sid, members in sectors.items():
        tok = [m for m in members if m in close.columns and close[m].notna().any()]
        if not tok:
            skipped[sid] = Text("net_no_prices", "no prices for any member")
            continue
        sr = sector_returns(own, tok, sector_weights(panel, tok))
        key = frozenset(tok)
        if key in seen:
            skipped[sid] = Text("net_same_members", f"same members with prices as {seen[key]}", of=seen[key])
            continue
        seen[key] = sid
        valid = sr.notna()
        if valid.sum() < 2:
            skipped[sid] = Text("net_few_returns", "fewer than two returns")
            continue
        levels[sid] = (np.log1p(sr.where(valid, 0.0))).cumsum().where(valid)
    if len(levels) < 2:
        raise DataError(f"the sector network needs at least two sectors with prices, got {sorted(levels)}; "
                        "fetch or import more sectors' members", code="sectors", have=len(levels), need=2)
    lv = pd.DataFrame(levels)
    while before is not None and lv.shape[1] > 2 and (lv.dropna().index < pd.Timestamp(before)).sum() - 1 < min_obs:
        first = lv.apply(lambda c: c.first_valid_index())
        late = first.idxmax()  # the shortest history cuts the common window of all the others
        skipped[late] = Text("net_short_history", f"history from {first[late].date()} only, too short for {min_obs} common sessions "
                             "before the episode", since=pd.Timestamp(first[late].date()), need=min_obs)
        lv = lv.drop(columns=late)
    lv = lv.dropna()
    out = lv.diff().iloc[1:]
    kept: list[str] = []
    for a in list(out.columns):  # same index (e.g. a member without caps drops out of the weights)
        twin = next((b for b in kept if np.allclose(out[a], out[b], rtol=0.0, atol=1e-12)), None)
        if twin is None:
            kept.append(a)
        else:  # compared with the sectors kept so far only: never with itself
            skipped[a] = Text("net_same_index", f"same index as {twin}", of=twin)
    out = out[kept]
    if out.shape[1] < 2:
        raise DataError(f"the sector network needs at least two distinct sector indices, got {list(out.columns)}; "
                        "fetch or import more sectors' members", code="sectors", have=out.shape[1], need=2)
    return out, skipped


_REASONS = {"net_short_history": "short_history", "net_same_members": "duplicate", "net_same_index": "duplicate",
            "net_no_prices": "no_prices", "net_few_returns": "no_prices"}


def left_out_reason(reason: str) -> dict:
    """Why :func:`sector_log_returns` left a sector out, as data: ``{"code": ...}`` with ``no_prices``,
    ``duplicate`` (``of``: the sector it equals) or ``short_history`` (``since``: its first common day, ``need``:
    the sessions it lacked), else ``other`` — read off the reason's :class:`~selloff.texts.Text` code and args."""
    code = _REASONS.get(getattr(reason, "code", None), "other")
    return {"code": code, **(reason.args if code != "other" else {})}


def _pre_and_episode(returns: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, window: int, min_obs: int):
    pre = returns.loc[returns.index < start].tail(window)
    epi = returns.loc[returns.index <= end].tail(window)
    for name, frame in (("pre-episode", pre), ("episode", epi)):
        if len(frame) < min_obs:
            raise DataError(f"only {len(frame)} common sessions of sector returns in the {name} window (need "
                            f"{min_obs}); load more history or lower [connectedness] min_obs", code="history",
                            have=len(frame), need=min_obs, window=name)
    if not (returns.index[(returns.index >= start) & (returns.index <= end)]).size:
        raise DataError(f"no common session of the sectors between {start.date()} and {end.date()}; pick an episode "
                        "inside the data", code="episode")
    return pre, epi


def _edges(pre: SpilloverResult, epi: SpilloverResult, top: int, se: pd.DataFrame | None = None) -> pd.DataFrame:
    names = list(epi.pairwise_net.index)
    rows = []
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            i, j = names[a], names[b]
            e = float(epi.pairwise_net.loc[i, j])
            src, dst = (i, j) if e >= 0 else (j, i)
            rows.append({"from": src, "to": dst, "pre_pct": float(pre.pairwise_net.loc[src, dst]),
                         "epi_pct": abs(e), "epi_se": float(se.loc[src, dst]) if se is not None else np.nan})
    df = pd.DataFrame(rows, columns=["from", "to", "pre_pct", "epi_pct", "epi_se"])
    df["chg_pp"] = df["epi_pct"] - df["pre_pct"]
    return df.sort_values("epi_pct", ascending=False).head(top).reset_index(drop=True)


@dataclass(frozen=True)
class SectorNetwork:
    """The sector connectedness network before and with the episode (all numbers in per cent).

    ``pre`` and ``episode`` are Diebold–Yilmaz tables on the ``window`` common sessions before the episode's first
    day and to its last day; ``edges`` the strongest pairwise net spillovers of the episode window (``from``
    transmits ``epi_pct`` to ``to``; ``pre_pct`` the same direction before, negative when it ran the other way;
    ``chg_pp`` the change in percentage points; ``epi_se`` its bootstrap standard error);
    ``sectors`` per sector: net (to − from) before (``net_pre``) and with the episode (``net_epi``), their bootstrap
    standard errors (``net_pre_se``, ``net_epi_se``), the change (``chg_pp``), and the TVP-VAR net averaged over the pre window (``tvp_pre``) and the episode's sessions
    (``tvp_epi``) (to and from are in ``pre.table`` / ``episode.table``); ``tvp_total`` the TVP-VAR total connectedness per session;
    ``boot_pre`` / ``boot_episode`` the residual bootstraps of the two DY tables (None with ``bootstrap_reps = 0``).
    """

    episode_start: pd.Timestamp
    episode_end: pd.Timestamp
    pre: SpilloverResult
    episode: SpilloverResult
    edges: pd.DataFrame
    sectors: pd.DataFrame
    tvp_total: pd.Series
    pre_window: tuple[pd.Timestamp, pd.Timestamp]
    episode_window: tuple[pd.Timestamp, pd.Timestamp]
    params: NetworkParams
    skipped: dict = field(default_factory=dict)
    method: str = ""
    boot_pre: SpilloverBootstrap | None = None
    boot_episode: SpilloverBootstrap | None = None

    def summary(self) -> dict:
        """Totals and the strongest transmitter, before and with the episode."""
        ep_days = self.tvp_total.loc[self.episode_start:self.episode_end]
        pre_days = self.tvp_total.loc[self.pre_window[0]:self.pre_window[1]]
        return {"total_pre_pct": self.pre.total, "total_episode_pct": self.episode.total,
                "total_pre_se_pp": self.boot_pre.total_se if self.boot_pre is not None else None,
                "total_episode_se_pp": self.boot_episode.total_se if self.boot_episode is not None else None,
                "tvp_total_pre_pct": float(pre_days.mean()) if len(pre_days) else None,
                "tvp_total_episode_pct": float(ep_days.mean()) if len(ep_days) else None,
                "top_transmitter_pre": str(self.pre.net.idxmax()), "top_transmitter_episode": str(self.episode.net.idxmax())}

    def note(self) -> str:
        s = self.summary()
        tvp = (f"; TVP-VAR total {s['tvp_total_pre_pct']:.1f} % before, {s['tvp_total_episode_pct']:.1f} % on the episode's "
               "sessions" if s["tvp_total_episode_pct"] is not None and s["tvp_total_pre_pct"] is not None else "")
        skipped = f"; left out: {', '.join(f'{k} ({v})' for k, v in self.skipped.items())}" if self.skipped else ""
        se = (f" (bootstrap SE {s['total_episode_se_pp']:.1f} pp)" if s["total_episode_se_pp"] is not None else "")
        return (f"{self.method}; total {s['total_pre_pct']:.1f} % in the {len(self.pre.fevd)}-sector VAR on the "
                f"{self.pre.nobs + self.pre.lags} sessions to {self.pre_window[1].date()}, {s['total_episode_pct']:.1f} % "
                f"to {self.episode_window[1].date()}{se}; top net transmitter {s['top_transmitter_pre']} before, "
                f"{s['top_transmitter_episode']} with the episode{tvp}{skipped}")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables ``explain`` shows: the strongest edges and the per-sector summary."""
        return {"sector_network_edges": self.edges, "sector_network_sectors": self.sectors}

    def to_dict(self) -> dict:
        """JSON-able: windows, totals, edges, per-sector measures and both full tables."""
        import json

        def recs(df: pd.DataFrame) -> list:
            return json.loads(df.reset_index().to_json(orient="records", date_format="iso"))

        return {"episode": [self.episode_start.date().isoformat(), self.episode_end.date().isoformat()],
                "pre_window": [d.date().isoformat() for d in self.pre_window],
                "episode_window": [d.date().isoformat() for d in self.episode_window],
                "summary": self.summary(), "method": self.method, "skipped": dict(self.skipped),
                "edges": recs(self.edges.set_index("from")), "sectors": recs(self.sectors),
                "table_pre": recs(self.pre.table), "table_episode": recs(self.episode.table),
                "params": {k: getattr(self.params, k) for k in self.params.__dataclass_fields__}}


def sector_network(returns: pd.DataFrame, episode_start: object, episode_end: object,
                   params: NetworkParams | None = None, skipped: Mapping[str, str] | None = None) -> SectorNetwork:
    """Diebold–Yilmaz sector network on the window before ``episode_start`` and the window to ``episode_end``.

    Parameters
    ----------
    returns : DataFrame
        Sector log returns, one column per sector, on a common grid (:func:`sector_log_returns`).
    episode_start, episode_end : date-like
        First and last day of the episode (labels of ``returns``' index).
    params : NetworkParams
        Window (sessions per VAR), lag order, horizon, identification, how many edges to list, TVP-VAR settings.

    Notes
    -----
    Both windows hold ``params.window`` sessions; the episode window ends on the episode's last day, so it differs
    from the pre window by the episode's sessions (and the sessions that dropped out at the start): the change
    is what those sessions did to the VAR, as in DY's (2012) rolling windows. The TVP-VAR (ACG 2020) adds a per
    session path without a window, estimated on all rows to the episode's end. Overlapping sectors (shared
    members) are mechanically connected; read their edges with that in mind.
    """
    p = params or NetworkParams()
    start, end = pd.Timestamp(episode_start), pd.Timestamp(episode_end)
    if start > end:
        raise DataError(f"episode start {start.date()} is after its end {end.date()}; swap them")
    r = returns.dropna()
    pre_in, epi_in = _pre_and_episode(r, start, end, p.window, p.min_obs)
    kw = dict(lags=p.lags, horizon=p.horizon, identification=p.identification)
    pre, epi = spillover_table(pre_in, **kw), spillover_table(epi_in, **kw)
    boot_pre = boot_epi = None
    if p.bootstrap_reps:  # the same replicate draws (seed) in both windows
        bkw = dict(kw, reps=p.bootstrap_reps, seed=p.bootstrap_seed)
        boot_pre, boot_epi = spillover_bootstrap(pre_in, **bkw), spillover_bootstrap(epi_in, **bkw)
    to_end = r.loc[:end]
    k = to_end.shape[1]
    skipped = dict(skipped or {})
    if k <= p.tvp_max_sectors:  # the filter's state has k² p entries: its cost grows with k⁶
        tvp = tvp_var_connectedness(to_end, p.lags, p.horizon, p.tvp_kappa1, p.tvp_kappa2,
                                    identification=p.identification,
                                    prior_size=min(max(p.tvp_prior_obs, p.lags * k + p.lags + 2), len(to_end)))
        tvp_total, tvp_net = tvp.total, tvp.net
    else:
        skipped["TVP-VAR"] = Text("net_tvp_sectors", f"{k} sectors > [connectedness] tvp_max_sectors = {p.tvp_max_sectors}",
                                  k=k, limit=p.tvp_max_sectors)
        tvp_total, tvp_net = pd.Series(dtype=float, name="total_pct"), pd.DataFrame(columns=to_end.columns, dtype=float)
    in_pre = tvp_net.loc[pre_in.index[0]:pre_in.index[-1]]
    in_epi = tvp_net.loc[start:end]
    nan = pd.Series(np.nan, index=epi.net.index)
    sectors = pd.DataFrame({"net_pre": pre.net, "net_epi": epi.net,
                            "net_pre_se": boot_pre.net_se if boot_pre is not None else nan,
                            "net_epi_se": boot_epi.net_se if boot_epi is not None else nan, "chg_pp": epi.net - pre.net,
                            "tvp_pre": in_pre.mean(), "tvp_epi": in_epi.mean()})
    sectors.index.name = "sector"
    sectors = sectors.sort_values("net_epi", ascending=False)
    return SectorNetwork(
        episode_start=start, episode_end=end, pre=pre, episode=epi, edges=_edges(pre, epi, p.top_edges, boot_epi.pairwise_se if boot_epi is not None else None),
        sectors=sectors, tvp_total=tvp_total, pre_window=(pre_in.index[0], pre_in.index[-1]),
        episode_window=(epi_in.index[0], epi_in.index[-1]), params=p, skipped=skipped, boot_pre=boot_pre,
        boot_episode=boot_epi, method=(f"sector connectedness network: Diebold-Yilmaz VAR({p.lags}), {p.horizon}-step {p.identification} FEVD "
                f"on {p.window} common sessions of sector log returns, before vs with the episode "
                f"{start.date()}..{end.date()}; TVP-VAR (ACG 2020) {p.tvp_kappa1:g}/{p.tvp_kappa2:g}"
                + (f"; standard errors: {boot_epi.method}" if boot_epi is not None else "")))
