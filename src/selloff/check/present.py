"""Presentation of claim verdicts: a verdicts table, a readings table, JSON-ready dicts, and the text as HTML with
every claim highlighted by its verdict (Jinja2 template ``report/templates/claims.html.j2``, autoescape on).

Only formatting: nothing here reads data or decides a verdict.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # the types are only annotations here; model imports this module for its results' tables
    from selloff.check.model import Claim, Reading, Verdict

__all__ = ["STATUS_COLOURS", "fmt_usd", "fmt_value", "readings_table", "render_claims_html", "verdict_to_dict",
           "verdicts_table"]

STATUS_COLOURS = {"supported": "#c8e6c9", "contradicted": "#ffcdd2", "unverifiable": "#e0e0e0",
                  "inconsistent": "#ffe0b2"}
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


def verdicts_table(verdicts: list[Verdict]) -> pd.DataFrame:
    """One row per verdict.

    Parameters
    ----------
    verdicts : list of Verdict

    Returns
    -------
    pd.DataFrame
        Columns id, status, subject, metric, claimed, claim_window, date, data_value, window_used, measure,
        tolerance, reason, fetch.
    """
    rows = []
    for v in verdicts:
        c = v.claim
        q = QUALIFIER_SIGNS[c.qualifier]
        claimed = f"{q}{c.value:+g} %" if c.unit == "pct" else f"{q}{fmt_usd(c.value)}"
        rows.append({
            "id": c.id, "status": v.status, "subject": ", ".join(c.subjects) or "market", "metric": c.metric,
            "claimed": claimed, "claim_window": c.window or "—", "date": c.date.isoformat() if c.date else "—",
            "data_value": fmt_value(v.data_value, v.used.unit) if v.used is not None else "—",
            "window_used": v.window or "—", "measure": v.measure or "—", "tolerance": v.tolerance,
            "reason": v.reason, "fetch": v.fetch or "",
        })
    return pd.DataFrame(rows, columns=["id", "status", "subject", "metric", "claimed", "claim_window", "date",
                                       "data_value", "window_used", "measure", "tolerance", "reason", "fetch"])


def readings_table(verdicts: list[Verdict]) -> pd.DataFrame:
    """Every reading of every claim's window (close-to-close UTC day, day before, rolling 24 h, intraday low, N
    trading days, provider snapshots, ...).

    Parameters
    ----------
    verdicts : list of Verdict

    Returns
    -------
    pd.DataFrame
        Columns id, reading, description, value, selected (the text's words select it), used (the verdict used
        it), source, note.
    """
    rows = []
    for v in verdicts:
        used = v.used.name if v.used is not None else None
        for r in v.readings:
            rows.append({"id": v.claim.id, "reading": r.name, "description": r.description,
                         "value": fmt_value(r.value, r.unit) if r.value is not None else "—",
                         "selected": r.name in v.selected, "used": r.name == used,
                         "source": r.source or "", "note": r.reason or ""})
    return pd.DataFrame(rows, columns=["id", "reading", "description", "value", "selected", "used", "source", "note"])


def _reading_dict(r: Reading | None) -> dict | None:
    if r is None:
        return None
    return {"name": r.name, "value": r.value, "unit": r.unit, "description": r.description,
            "start": r.start.isoformat() if r.start is not None else None,
            "end": r.end.isoformat() if r.end is not None else None, "p0": r.p0, "p1": r.p1,
            "reason": r.reason, "source": r.source}


def verdict_to_dict(v: Verdict) -> dict:
    """JSON-ready dict of a verdict with its claim and readings.

    Parameters
    ----------
    v : Verdict

    Returns
    -------
    dict
        Keys claim (a dict of the claim's fields), status, data_value, window, measure, tolerance, reason,
        missing, fetch, conflicts, selected, used and readings (dicts of :class:`Reading`).
    """
    c = v.claim
    return {
        "claim": {"id": c.id, "kind": c.kind, "text": c.text, "span": list(c.span), "sentence_span": list(c.sentence_span),
                  "subjects": list(c.subjects), "subject_kind": c.subject_kind, "metric": c.metric,
                  "direction": c.direction, "value": c.value, "unit": c.unit, "qualifier": c.qualifier,
                  "window": c.window, "window_text": c.window_text, "date": c.date.isoformat() if c.date else None,
                  "earlier": c.earlier, "intraday": c.intraday, "share": c.share, "related": list(c.related)},
        "status": v.status, "data_value": v.data_value, "window": v.window, "measure": v.measure,
        "tolerance": v.tolerance, "reason": v.reason, "missing": list(v.missing), "fetch": v.fetch,
        "conflicts": list(v.conflicts), "selected": list(v.selected), "used": _reading_dict(v.used),
        "readings": [_reading_dict(r) for r in v.readings],
    }


def render_claims_html(text: str, claims: list[Claim], verdicts: list[Verdict] | None = None, *,
                       title: str = "Claim check", tolerances: dict[str, float] | None = None) -> str:
    """Self-contained HTML: the text with each claim's figure highlighted by verdict, and the verdict table.

    Parameters
    ----------
    text : str
        The text the claims were extracted from (spans index into it).
    claims : list of Claim
    verdicts : list of Verdict, optional
        Without them every claim is marked ``unchecked``.
    title : str
    tolerances : dict, optional
        Shown in the footer; :func:`selloff.check.model.tolerances` when omitted.

    Returns
    -------
    str
        HTML rendered by ``report/templates/claims.html.j2`` with Jinja2 autoescape: every piece of the text is
        escaped.
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

    from selloff.check.model import tolerances as default_tolerances

    by_id = {v.claim.id: v for v in (verdicts or [])}
    segs: list[dict] = []
    pos = 0
    for c in sorted(claims, key=lambda c: c.span[0]):
        a, b = c.span
        if a < pos:
            continue
        if a > pos:
            segs.append({"text": text[pos:a], "claim": None})
        v = by_id.get(c.id)
        segs.append({"text": text[a:b], "claim": c.id, "status": v.status if v else "unchecked",
                     "title": f"{c.id} {v.status if v else 'unchecked'}: {c.describe()}" + (f" — {v.reason}" if v else "")})
        pos = b
    if pos < len(text):
        segs.append({"text": text[pos:], "claim": None})
    env = Environment(loader=PackageLoader("selloff.report", "templates"), autoescape=select_autoescape(["j2", "html"]))
    tpl = env.get_template("claims.html.j2")
    rows = verdicts_table(list(by_id.values())).to_dict("records") if by_id else []
    return tpl.render(title=title, segments=segs, rows=rows, colours=STATUS_COLOURS,
                      tolerances=tolerances if tolerances is not None else default_tolerances())
