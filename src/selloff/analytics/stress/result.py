"""The frozen result of a stress run and its JSON/frame views."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["LIQUIDATIONS_NOTE", "StressResult"]

LIQUIDATIONS_NOTE = ("expected liquidations: not computed for this run (the pipeline fills them from the "
                     "leverage-cascade model, selloff.pipeline.stress.with_liquidations)")


def _records(df: pd.DataFrame | None) -> list[dict] | None:
    if df is None:
        return None
    return json.loads(df.reset_index().to_json(orient="records", date_format="iso", double_precision=10))


@dataclass(frozen=True)
class StressResult:
    """Everything one ``selloff stress`` run measured (moves and losses in per cent of the portfolio's equity).

    ``risk`` holds VaR/ES with Monte Carlo intervals per horizon and level; ``euler_assets`` and ``euler_factors``
    the contributions to ES at ``euler_level`` (each sums to the ES); ``distribution`` each asset's simulated move
    at ``horizon``; ``margin`` each position's margin-call move and its simulated probability. ``shock``,
    ``scenario``, ``reverse`` and ``backtest`` are None unless asked for. ``expected_liquidations_usd`` is None
    here: the pipeline fills it from the cascade model (:func:`selloff.pipeline.stress.with_liquidations`)."""

    sector: str
    method: str
    model: str
    calendar: str
    horizon: int
    paths: int
    seed: int
    window: tuple[str, str, int]
    portfolio: tuple[dict, ...]
    portfolio_source: str
    portfolio_value_usd: float | None
    fits: pd.DataFrame
    risk: pd.DataFrame
    euler_level: float
    euler_assets: pd.DataFrame
    euler_factors: pd.DataFrame
    distribution: pd.DataFrame
    margin: pd.DataFrame
    margin_call_prob: float
    shock: pd.DataFrame | None = None
    shock_check: dict | None = None
    shock_risk: pd.DataFrame | None = None
    scenario: dict | None = None
    reverse: dict | None = None
    backtest: dict | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    simulated: bool = False
    sources: dict = field(default_factory=dict)
    expected_liquidations_usd: float | None = None
    expected_liquidations_note: str = LIQUIDATIONS_NOTE

    def to_frame(self) -> pd.DataFrame:
        """The VaR/ES table (one row per horizon and level); ``attrs`` carry model, paths, seed, simulated."""
        df = self.risk.copy()
        df.attrs.update(model=self.model, paths=self.paths, seed=self.seed, simulated=self.simulated,
                        calendar=self.calendar, sector=self.sector)
        return df

    def to_dict(self) -> dict:
        """JSON-ready: every table as records, figures as numbers (per cent)."""
        out = {"sector": self.sector, "method": self.method, "model": self.model, "calendar": self.calendar,
               "horizon_days": self.horizon, "paths": self.paths, "seed": self.seed,
               "window": {"first": self.window[0], "last": self.window[1], "rows": self.window[2]},
               "portfolio": list(self.portfolio), "portfolio_source": self.portfolio_source,
               "portfolio_value_usd": self.portfolio_value_usd,
               "fits": _records(self.fits), "risk": _records(self.risk), "euler_level": self.euler_level,
               "euler_assets": _records(self.euler_assets), "euler_factors": _records(self.euler_factors),
               "distribution": _records(self.distribution), "margin": _records(self.margin),
               "margin_call_prob": self.margin_call_prob, "shock": _records(self.shock),
               "shock_check": self.shock_check, "shock_risk": _records(self.shock_risk), "scenario": self.scenario,
               "reverse": self.reverse, "backtest": self.backtest, "notes": list(self.notes),
               "warnings": list(self.warnings), "simulated": self.simulated, "sources": self.sources,
               "expected_liquidations_usd": self.expected_liquidations_usd,
               "expected_liquidations_note": self.expected_liquidations_note}
        return json.loads(json.dumps(out, default=str))
