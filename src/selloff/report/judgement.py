"""How the report words statistics — the judgement rules, stated once (thresholds in ``[judgement]``).

=====================================  ==============================================================================
rule                                   verdict
=====================================  ==============================================================================
a change of a statistic                called a rise/fall only when ``|after - before| > change_se_multiple × SE``
                                       (SE of the later estimate, e.g. ``(1 - r²)/√(n - 1)`` for a correlation);
                                       otherwise "little changed" — never "rose" for a move inside its noise
a change in connectedness             the same rule with the bootstrap SE of the later window's DY total; without
                                       an SE both values are given side by side, without a verb of change
a sector's net role in the network     "net transmitter" / "net receiver" only when ``|net| > change_se_multiple
                                       × SE`` (bootstrap); otherwise neither (no role claimed without an SE)
a short-history what-if                betas on the available sessions; a beta whose interval contains zero is
                                       shown and not propagated (the factor is dropped and the model refitted)
a test that does not reject            "no evidence of" (never "evidence against"; absence of a lead is not shown)
a test verdict that flips              "fragile" when the p-value on the sample with one session left out (any
                                       one) or with the event session added falls on the other side of alpha
a beta whose interval contains zero    shown, but flagged and not called a driver
a what-if shock                        propagated by the stress engine's conditional expectation (no betas); a shock
                                       farther than ``[stress] extrapolation_sigma`` from the simulated centre is
                                       named, in sigma, as an extrapolation beyond the sample
a modelled liquidation figure          given with the range its calibration's holdout log errors (10-90 %) imply;
                                       a caveat when the model under-predicts the top decile of recorded days
                                       (median log error below ``[report] what_if_caveat_log_error``)
a decomposition part                   leads the headline when its share of the move is at least ``headline_share``
                                       (and the part has the move's sign); else "several pressures"
the kind of day                        fall / rebound by the sign of the sector move; "mixed" when ``|z| <
                                       mixed_day_z`` or members moved both ways in at least a third each
percentages                            simple % in prose; a log figure, where both exist, follows in brackets
=====================================  ==============================================================================
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping

from selloff.config import defaults

__all__ = ["beta_significant", "change_word", "day_kind", "fragile", "lead", "net_role"]


def _cfg() -> dict:
    return defaults("judgement")


def change_word(before: float, after: float, se: float, multiple: float | None = None) -> str:
    """``"rose"``, ``"fell"`` or ``"unchanged"``: a change is called one only beyond ``multiple`` standard errors."""
    k = float(_cfg()["change_se_multiple"]) if multiple is None else multiple
    if not (math.isfinite(before) and math.isfinite(after)):
        return "unchanged"
    d = after - before
    if not math.isfinite(se) or abs(d) <= k * se:
        return "unchanged"
    return "rose" if d > 0 else "fell"


def net_role(net: float, se: float, multiple: float | None = None) -> str:
    """``"transmitter"``, ``"receiver"``, ``"neither"`` (inside ``multiple`` SEs of zero) or ``"unjudged"`` (no SE)."""
    k = float(_cfg()["change_se_multiple"]) if multiple is None else multiple
    if not (math.isfinite(net) and math.isfinite(se)):
        return "unjudged"
    if abs(net) <= k * se:
        return "neither"
    return "transmitter" if net > 0 else "receiver"


def fragile(p: float, others: Iterable[float], alpha: float) -> bool:
    """Whether a test verdict at level ``alpha`` flips for any of the sensitivity p-values ``others``."""
    sig = p < alpha
    return any(math.isfinite(q) and (q < alpha) != sig for q in others)


def beta_significant(lo: float, hi: float) -> bool:
    """A beta counts as a driver only when its confidence interval ``[lo, hi]`` excludes zero."""
    return bool(math.isfinite(lo) and math.isfinite(hi) and (lo > 0 or hi < 0))


def lead(shares: Mapping[str, float], total: float, threshold: float | None = None) -> str:
    """The decomposition part that leads the headline (``market``, ``equity``, ``specific``) or ``several``."""
    t = float(_cfg()["headline_share"]) if threshold is None else threshold
    ok = {k: v for k, v in shares.items() if math.isfinite(v) and v >= t}
    return max(ok, key=ok.__getitem__) if ok and math.isfinite(total) and total != 0 else "several"


def day_kind(sector_pct: float, z: float, down: int, up: int, n: int, mixed_z: float | None = None) -> str:
    """``fall``, ``rebound`` or ``mixed`` (see the module table)."""
    mz = float(_cfg()["mixed_day_z"]) if mixed_z is None else mixed_z
    if not math.isfinite(sector_pct):
        return "mixed"
    split = n > 0 and min(down, up) >= n / 3 and n >= 3
    if (math.isfinite(z) and abs(z) < mz) or split:
        return "mixed"
    return "fall" if sector_pct < 0 else "rebound"
