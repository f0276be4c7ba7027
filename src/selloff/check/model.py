"""Types of the claim check: a :class:`Claim` of a text, the :class:`Evidence` it is checked against, the
:class:`Verdict` on it, and the :class:`ClaimCheck` result of a whole text.

A window reading is :class:`selloff.analytics.measures.Reading` (re-exported here): one measurement of a claim's
quantity (close-to-close UTC day, rolling 24 h, intraday low, N trading days, ...) with its interval and prices.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from selloff.analytics.measures import Reading
from selloff.check.present import fmt_usd, verdict_to_dict, verdicts_table
from selloff.config import defaults
from selloff.universe import Universe

__all__ = [
    "METRICS",
    "SIMULATED",
    "STATUSES",
    "TOLERANCE_KEYS",
    "Claim",
    "ClaimCheck",
    "Evidence",
    "Reading",
    "Verdict",
    "check_settings",
    "tolerances",
]

SIMULATED = "simulated"
"""The ``source`` of generated demo data: never evidence for a claim."""

METRICS = ("price_change", "price_level", "market_cap_change", "market_cap_level", "liquidations", "breadth",
           "event_figure", "lowest_since", "stabilisation", "volume", "dominance")
STATUSES = ("supported", "contradicted", "unverifiable", "inconsistent", "window_mismatch")
"""``window_mismatch``: the readings the words select fail, but another standard window reproduces the figure."""

TOLERANCE_KEYS = ("pct_exact_pp", "pct_about_pp", "pct_more_than_pp", "pct_nearly_pp", "level_exact_rel",
                  "level_about_rel", "level_nearly_rel", "level_more_than_rel", "breadth_generally_share",
                  "breadth_all_share", "consistency_pp")
"""The keys of ``[check]`` in ``defaults.toml`` that say how close data must be to a claimed figure."""


def check_settings() -> dict[str, Any]:
    """The ``[check]`` section of ``selloff/config/defaults.toml`` (tolerances, look-backs, input limit).

    Returns
    -------
    dict
        A fresh copy; callers may change it.
    """
    return defaults("check")


def tolerances(overrides: dict[str, float] | None = None) -> dict[str, float]:
    """The claim tolerances (``[check]`` keys in :data:`TOLERANCE_KEYS`), with ``overrides`` applied.

    Parameters
    ----------
    overrides : dict, optional
        Values replacing the defaults, e.g. ``{"pct_exact_pp": 1.0}``.

    Returns
    -------
    dict of str to float

    Notes
    -----
    ``up_to`` is satisfied by any move of the claimed direction up to the value plus the ``exact`` tolerance.
    """
    cfg = check_settings()
    return {**{k: cfg[k] for k in TOLERANCE_KEYS}, **(overrides or {})}


@dataclass(frozen=True)
class Claim:
    """One numeric claim of a text.

    Attributes
    ----------
    id : str
        ``"C1"``, ``"C2"``, ... in text order.
    kind : str
        ``"market"`` (verifiable from market data) or ``"event_figure"`` (a company figure such as capex
        guidance; not verifiable from market data).
    sentence : str
        The sentence containing the claim; ``sentence_span`` its (start, end) in the text.
    span : tuple of int
        (start, end) of the claimed figure in the text ("mehr als 20 %"), used for highlighting.
    subjects : tuple of str
        Asset ids or one sector id (``subject_kind``); empty for market-wide figures (liquidations).
    subject_kind : str
        ``"asset"``, ``"sector"`` or ``"market"``.
    metric : str
        One of :data:`METRICS`.
    direction : str or None
        ``"down"``, ``"up"`` or ``None`` (not stated).
    value : float
        Signed per cent for changes (``-23.0`` for a fall of 23 %), USD for levels.
    unit : str
        ``"pct"``, ``"USD"`` or ``"EUR"``.
    qualifier : str
        ``exact``, ``more_than``, ``about``, ``nearly`` or ``up_to``.
    window : str or None
        ``"1d"``, ``"24h"``, ``"<n>d"`` (n days: trading days for equities, UTC days for crypto), ``"1w"`` or
        ``None`` (not stated); ``window_text`` the words that said so.
    date : datetime.date or None
        The day the claim is about (explicit in the sentence, else the text's date or ``ref_date``).
    earlier : bool
        The sentence says "zuvor"/"earlier": the move may lie on a day before ``date``.
    intraday : bool
        The text says "zeitweise"/"at one point": the intraday low is meant.
    share : float or None
        Breadth claims: the share of subjects that must satisfy the move.
    related : tuple of str
        Ids of claims stated together (a change and the level it fell to; a move and the liquidations it caused).
    threshold : bool
        "fell below 60,000" / "unter 60.000": a level crossed, not a level reached.
    since_date : datetime.date or None
        "lowest since <date>": the day since which the level is the lowest.
    """

    id: str
    kind: str
    sentence: str
    sentence_span: tuple[int, int]
    span: tuple[int, int]
    text: str
    subjects: tuple[str, ...]
    subject_kind: str
    metric: str
    direction: str | None
    value: float
    unit: str
    qualifier: str
    window: str | None
    window_text: str | None
    date: dt.date | None
    lang: str
    earlier: bool = False
    intraday: bool = False
    share: float | None = None
    related: tuple[str, ...] = ()
    threshold: bool = False
    since_date: dt.date | None = None

    def describe(self) -> str:
        """One line: subject, metric, claimed value with qualifier and window."""
        subj = ", ".join(self.subjects) or "crypto market"
        if self.kind == "statement":
            return f"{subj}: {self.metric} ({self.text})"
        q = {"exact": "", "more_than": "more than ", "about": "about ", "nearly": "nearly ", "up_to": "up to "}
        if self.unit == "pct":
            v = f"{q[self.qualifier]}{abs(self.value):g} %" + (f" {self.direction}" if self.direction else "")
        else:
            v = f"{q[self.qualifier]}{fmt_usd(self.value)}"
        w = f", window {self.window}" if self.window else ""
        return f"{subj}: {self.metric} {v}{w}"


@dataclass
class Evidence:
    """The data a verification may use, as loaded by the caller (long frames, as stored).

    Every frame keeps its ``source`` column; rows with ``source == "simulated"`` are never used as evidence.
    ``published_at`` (tz-aware UTC) anchors the rolling-24 h reading; when ``None`` the 24 h ending at
    00:00 UTC after the claim's day is used and the verdict says so. ``source_priority`` picks one source per
    asset when several are present.
    """

    universe: Universe
    bars: pd.DataFrame = field(default_factory=pd.DataFrame)
    market_caps: pd.DataFrame = field(default_factory=pd.DataFrame)
    derivatives: pd.DataFrame = field(default_factory=pd.DataFrame)
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    category_caps: pd.DataFrame = field(default_factory=pd.DataFrame)
    published_at: pd.Timestamp | None = None
    source_priority: tuple[str, ...] = ("binance", "bybit", "okx", "coingecko", "yahoo", "yfinance")


@dataclass(frozen=True)
class Verdict:
    """The verdict on one claim.

    Attributes
    ----------
    claim : Claim
    status : str
        ``supported``, ``contradicted``, ``unverifiable`` or ``inconsistent``.
    readings : tuple of Reading
        Every reading computed for the claim's window (each with its window, measure and value).
    selected : tuple of str
        Names of the readings the text's words select; the verdict uses only these.
    used : Reading or None
        The reading that decided (the first supporting one, else the first available selected one).
    data_value : float or None
        ``used.value``: the data's number.
    window, measure : str
        Plain-words description of the window and the measure of ``used``.
    tolerance : str
        The rule applied, e.g. ``"exact: |move - 23| <= 1.5 pp"``.
    reason : str
        One or two sentences explaining the verdict.
    missing : tuple of str
        What data is missing (for ``unverifiable``).
    fetch : str or None
        The command that would fetch the missing data.
    conflicts : tuple of str
        Ids of claims this one is inconsistent with.
    matches : tuple of Reading
        Readings the words do not select that reproduce the figure within the claim's tolerance (best first); for
        ``window_mismatch`` the first is the window the text probably meant.
    note : str
        Cross-claim consistency: several claims of the text fit one window (e.g. "the text's equity figures fit the
        5-day chart to 5 Feb").
    coverage : str or None
        What the deciding data lack (members or venues missing): the value is a bound.
    fit_key : str or None
        The window key several claims of the text share (see ``note``).
    series : tuple of (pd.Timestamp, float)
        The asset's closes around the claim (for the chart of the HTML view); empty for sectors and totals.
    """

    claim: Claim
    status: str
    readings: tuple[Reading, ...] = ()
    selected: tuple[str, ...] = ()
    used: Reading | None = None
    data_value: float | None = None
    window: str = ""
    measure: str = ""
    tolerance: str = ""
    reason: str = ""
    missing: tuple[str, ...] = ()
    fetch: str | None = None
    conflicts: tuple[str, ...] = ()
    matches: tuple[Reading, ...] = ()
    note: str = ""
    coverage: str | None = None
    fit_key: str | None = None
    series: tuple[tuple[pd.Timestamp, float], ...] = ()

    @property
    def claim_id(self) -> str:
        return self.claim.id


@dataclass(frozen=True)
class ClaimCheck:
    """The claim check of one text: its claims and one verdict per claim.

    Attributes
    ----------
    text : str
        The text checked.
    lang : str
        ``"de"`` or ``"en"`` (given or detected).
    ref_date : datetime.date or None
        Publication date used for sentences without an explicit date.
    claims : tuple of Claim
        In text order.
    verdicts : tuple of Verdict
        One per claim, same order.
    published_at : pd.Timestamp or None
        Publication time (UTC) that anchored the rolling-24 h readings.
    """

    text: str
    lang: str
    ref_date: dt.date | None
    claims: tuple[Claim, ...]
    verdicts: tuple[Verdict, ...]
    published_at: pd.Timestamp | None = None

    def to_frame(self) -> pd.DataFrame:
        """The verdicts table (:func:`selloff.check.verdicts_table`): one row per claim."""
        return verdicts_table(list(self.verdicts))

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """JSON-ready: the metadata and one :func:`selloff.check.verdict_to_dict` per verdict, worded in ``lang``
        (the text's language when omitted)."""
        counts = {s: sum(v.status == s for v in self.verdicts) for s in STATUSES}
        out_lang = lang or (self.lang if self.lang in ("de", "en") else "en")
        return {"lang": self.lang, "out_lang": out_lang, "ref_date": self.ref_date.isoformat() if self.ref_date else None,
                "published_at": self.published_at.isoformat() if self.published_at is not None else None,
                "text_chars": len(self.text), "n_claims": len(self.claims), "counts": counts,
                "verdicts": [verdict_to_dict(v, out_lang) for v in self.verdicts]}
