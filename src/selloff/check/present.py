"""Presentation of claim verdicts: a verdicts table, a readings table and JSON-ready dicts (the HTML lives in
:mod:`selloff.check.html`, the words in :mod:`selloff.check.words`).

Only formatting: nothing here reads data or decides a verdict.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from selloff.check.words import data_sentence, status_word, window_phrase

if TYPE_CHECKING:  # the types are only annotations here; model imports this module for its results' tables
    from selloff.check.model import Claim, Reading, Verdict

__all__ = ["STATUS_COLOURS", "fmt_usd", "fmt_value", "readings_table", "verdict_to_dict", "verdicts_table"]

STATUS_COLOURS = {"supported": "#c8e6c9", "contradicted": "#ffcdd2", "unverifiable": "#e0e0e0",
                  "inconsistent": "#ffe0b2", "window_mismatch": "#fff0a0"}
QUALIFIER_SIGNS = {"exact": "", "more_than": "> ", "about": "≈ ", "nearly": "nearly ", "up_to": "≤ "}


def fmt_usd(v: float | None) -> str:
    """A USD amount with tn/bn/m suffix ("12.00 bn USD"); ``"—"`` for ``None``."""
    if v is None:
        return "—"
    a = abs(v)
    for s, suf in ((1e12, " tn"), (1e9, " bn"), (1e6, " m")):
        if a >= s:
            return f"{v / s:,.2f}{suf} USD"
    return f"{v:,.2f} USD"


def fmt_value(v: float | None, unit: str) -> str:
    """A reading's value: signed per cent for ``unit == "pct"``, else :func:`fmt_usd`; ``"—"`` for ``None``."""
    if v is None:
        return "—"
    return f"{v:+.2f} %" if unit == "pct" else fmt_usd(v)


def verdicts_table(verdicts: list[Verdict], lang: str = "en") -> pd.DataFrame:
    """One row per verdict.

    Parameters
    ----------
    verdicts : list of Verdict

    Returns
    -------
    pd.DataFrame
        Columns id, status, verdict (words in ``lang``), subject, metric, claimed, claim_window, date, data_value,
        window_used, measure, tolerance, reason, fetch, summary (what the data say, in ``lang``), note.
    """
    rows = []
    for v in verdicts:
        c = v.claim
        q = QUALIFIER_SIGNS[c.qualifier]
        claimed = c.text if c.kind == "statement" else f"{q}{c.value:+g} %" if c.unit == "pct" else f"{q}{fmt_usd(c.value)}"
        rows.append({
            "id": c.id, "status": v.status, "subject": ", ".join(c.subjects) or "market", "metric": c.metric,
            "claimed": claimed, "claim_window": c.window or "—", "date": c.date.isoformat() if c.date else "—",
            "data_value": fmt_value(v.data_value, v.used.unit) if v.used is not None else "—",
            "window_used": v.window or "—", "measure": v.measure or "—", "tolerance": v.tolerance,
            "reason": v.reason, "fetch": v.fetch or "", "verdict": status_word(v.status, lang),
            "summary": data_sentence(v, lang), "note": v.note,
        })
    return pd.DataFrame(rows, columns=["id", "status", "verdict", "subject", "metric", "claimed", "claim_window", "date",
                                       "data_value", "window_used", "measure", "tolerance", "reason", "fetch",
                                       "summary", "note"])


def _role(v: Verdict, r: Reading) -> str:
    """``used`` (decided the verdict), ``match`` (another window that reproduces the figure), ``words`` (the text's
    words select it) or ``""``."""
    if v.used is not None and r.name == v.used.name:
        return "used"
    if any(m.name == r.name for m in v.matches):
        return "match"
    return "words" if r.name in v.selected else ""


def readings_table(verdicts: list[Verdict], lang: str = "en") -> pd.DataFrame:
    """Every reading of every claim (the forensic catalogue: UTC day and the day before, rolling 24 h, calendar
    days, both session conventions, week/month open, lows, peak-to-trough, since the recent high, provider
    snapshots, ...).

    Parameters
    ----------
    verdicts : list of Verdict
    lang : {"en", "de"}
        Language of the ``window`` column.

    Returns
    -------
    pd.DataFrame
        Columns id, reading, key, window (plain words), description, value, selected (the text's words select it),
        used (the verdict used it), matched (it reproduces the figure though the words do not select it), role,
        source, coverage, note.
    """
    rows = []
    for v in verdicts:
        used = v.used.name if v.used is not None else None
        matched = {m.name for m in v.matches}
        for r in v.readings:
            rows.append({"id": v.claim.id, "reading": r.name, "key": r.key or "", "window": window_phrase(r, lang),
                         "description": r.description,
                         "value": fmt_value(r.value, r.unit) if r.value is not None else "—",
                         "selected": r.name in v.selected, "used": r.name == used, "matched": r.name in matched,
                         "role": _role(v, r), "source": r.source or "", "coverage": r.coverage or "",
                         "note": r.reason or ""})
    return pd.DataFrame(rows, columns=["id", "reading", "key", "window", "description", "value", "selected", "used",
                                       "matched", "role", "source", "coverage", "note"])


def _reading_dict(r: Reading | None, v: Verdict | None = None, lang: str = "en") -> dict | None:
    if r is None:
        return None
    d = {"name": r.name, "key": r.key, "window": window_phrase(r, lang), "value": r.value, "unit": r.unit,
         "description": r.description, "start": r.start.isoformat() if r.start is not None else None,
         "end": r.end.isoformat() if r.end is not None else None, "p0": r.p0, "p1": r.p1,
         "reason": r.reason, "source": r.source, "coverage": r.coverage or "full"}
    if v is not None:
        d.update(selected=r.name in v.selected, used=v.used is not None and r.name == v.used.name,
                 matched=any(m.name == r.name for m in v.matches))
    return d


def verdict_to_dict(v: Verdict, lang: str = "en") -> dict:
    """JSON-ready dict of a verdict with its claim and every reading.

    Parameters
    ----------
    v : Verdict
    lang : {"en", "de"}
        Language of ``verdict``, ``summary`` and the readings' ``window`` words.

    Returns
    -------
    dict
        Keys claim (a dict of the claim's fields), status (code: ``supported``, ``window_mismatch``, ...),
        verdict (words), summary (what the data say), data_value, window, measure, tolerance, reason, missing,
        fetch, conflicts, note, coverage, selected, used, matches and readings (each with name, key, window,
        start, end, value, source, coverage, selected, used, matched).
    """
    c = v.claim
    return {
        "claim": {"id": c.id, "kind": c.kind, "text": c.text, "span": list(c.span), "sentence_span": list(c.sentence_span),
                  "subjects": list(c.subjects), "subject_kind": c.subject_kind, "metric": c.metric,
                  "direction": c.direction, "value": c.value, "unit": c.unit, "qualifier": c.qualifier,
                  "window": c.window, "window_text": c.window_text, "date": c.date.isoformat() if c.date else None,
                  "earlier": c.earlier, "intraday": c.intraday, "share": c.share, "related": list(c.related),
                  "threshold": c.threshold, "since_date": c.since_date.isoformat() if c.since_date else None},
        "status": v.status, "verdict": status_word(v.status, lang), "summary": data_sentence(v, lang),
        "data_value": v.data_value, "window": v.window, "measure": v.measure,
        "tolerance": v.tolerance, "reason": v.reason, "missing": list(v.missing), "fetch": v.fetch,
        "conflicts": list(v.conflicts), "note": v.note, "coverage": v.coverage or "full",
        "selected": list(v.selected), "used": _reading_dict(v.used, v, lang),
        "matches": [_reading_dict(m, v, lang) for m in v.matches],
        "readings": [_reading_dict(r, v, lang) for r in v.readings],
    }
