"""Liquidations: the one summing rule (:mod:`.totals`), breakdowns with coverage (:mod:`.breakdown`), open
interest, funding and the positioning regime (:mod:`.positioning`).

Every figure of liquidated positions is summed through :func:`usable_rows`; see :mod:`.totals` for the rule.
"""
from selloff.analytics.liquidations.breakdown import (BY_KEYS, before_during, largest_hours, liquidation_breakdown,
                                                      oi_share)
from selloff.analytics.liquidations.positioning import (REGIMES, RegimeParams, daily_funding, daily_open_interest,
                                                        positioning_regime)
from selloff.analytics.liquidations.totals import (STEPS, LiquidationTotal, daily_liquidations, hourly_liquidations,
                                                   is_partial, liquidation_total, usable_rows)

__all__ = ["BY_KEYS", "REGIMES", "STEPS", "LiquidationTotal", "RegimeParams", "before_during", "daily_funding",
           "daily_liquidations", "daily_open_interest", "hourly_liquidations", "is_partial", "largest_hours",
           "liquidation_breakdown", "liquidation_total", "oi_share", "positioning_regime", "usable_rows"]
