"""The claim check: extract a text's numeric claims, load the evidence their windows need (each table once),
verify. The checker (:mod:`selloff.check`) works on frames only; this is the one place it meets the store."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from selloff.check import ClaimCheck, Evidence, detect_language, evidence_window, extract_claims, run_check
from selloff.config import defaults
from selloff.errors import ConfigError
from selloff.store import Store
from selloff.timeutil import parse_instant, utc_day
from selloff.universe import Universe

__all__ = ["check", "date_from_name", "evidence_from_store", "load_evidence"]

_TABLES = ("bars", "market_caps", "derivatives", "events", "category_caps")


def date_from_name(file: str, date: str | None) -> dt.date | None:
    """The publication day: ``--date`` if given, else a ``YYYY-MM-DD`` in the file name."""
    if date:
        try:
            return dt.date.fromisoformat(date)
        except ValueError:
            raise ConfigError(f"--date {date!r} is not an ISO date; use e.g. 2026-02-06") from None
    m = re.search(r"(\d{4}-\d{2}-\d{2})", Path(file).name) if file != "-" else None
    return dt.date.fromisoformat(m.group(1)) if m else None


def evidence_from_store(store: Store, claims: list, universe: Universe, published_at: pd.Timestamp | None = None) -> Evidence:
    """Read the rows the claims need from an open store, one read per table, over
    :func:`~selloff.check.evidence_window` (all sources, simulated included: the verifier sets simulated rows
    aside itself)."""
    ev = Evidence(universe=universe, published_at=published_at)
    if not any(c.date is not None for c in claims):
        return ev
    start, end = evidence_window(claims)
    ids: set[str] = set()
    for c in claims:
        for s in c.subjects:
            ids.update(universe.sectors[s].members if s in universe.sectors else [s])
    for t in _TABLES:
        kw = {"assets": sorted(ids)} if t in ("bars", "market_caps") else {}
        setattr(ev, t, store.read(t, start=start, end=end, **kw))
    prio = tuple(s for s in defaults("sources").get("priority", []) if s != "simulated")
    if prio:
        ev.source_priority = prio
    return ev


def load_evidence(store_path: str | Path, claims: list, universe: Universe, published_at: pd.Timestamp | None = None) -> Evidence:
    """:func:`evidence_from_store` on a store file opened read-only; a missing file gives empty evidence
    (every claim then unverifiable)."""
    path = Path(store_path)
    if not path.exists() or not any(c.date is not None for c in claims):
        return Evidence(universe=universe, published_at=published_at)
    with Store(path, read_only=True) as store:
        return evidence_from_store(store, claims, universe, published_at)


def check(store: Store | None, universe: Universe, text: str, date: object = None, lang: str | None = None) -> ClaimCheck:
    """Extract the claims of ``text`` (read for the day of ``date``; an ISO time also anchors rolling 24 h
    readings) and verify each against ``store`` (None: every claim unverifiable)."""
    if lang not in (None, "de", "en"):
        raise ConfigError(f"--lang {lang!r} is not supported; use de or en")
    published = ref = None
    if date is not None:
        if isinstance(date, str) and "T" in date:
            published = parse_instant(date, "--date")
            ref = published.date()
        else:
            ref = utc_day(date, "--date").date()
    lang = lang or detect_language(text)
    claims = extract_claims(text, universe, lang=lang, ref_date=ref)
    ev = evidence_from_store(store, claims, universe, published) if store is not None else Evidence(universe=universe, published_at=published)
    return run_check(text, universe, ev, lang=lang, ref_date=ref, published_at=published, claims=claims)
