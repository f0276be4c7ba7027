"""Claim check: extract the numeric claims of a news text (English or German) and verify them against data.

Three steps, each usable on its own, and :func:`run_check` for all three:

1. :func:`extract_claims` (:mod:`~selloff.check.extract`) — rule-based and deterministic, linear in the text's
   length. Every number with a unit becomes a :class:`Claim` bound to the nearest preceding group of subjects
   ("AMD und NVIDIA"), with its qualifier, window and date; words live in :mod:`~selloff.check.lexicon`.
2. :func:`verify_claims` (:mod:`~selloff.check.verify`) — every claim is measured under every reading of its
   window (:mod:`~selloff.check.readings`, which calls :mod:`selloff.analytics.measures`) from the
   non-simulated rows of an :class:`Evidence`; the readings the text's words select decide the verdict, within
   the ``[check]`` tolerances of ``defaults.toml``.
3. Presentation (:mod:`~selloff.check.present`, :mod:`~selloff.check.html`, :mod:`~selloff.check.words`):
   :func:`verdicts_table`, :func:`readings_table`, :func:`verdict_to_dict`, :func:`render_claims_html` (Jinja2,
   autoescape) and :func:`data_sentence` — in the text's language (English or German) unless told otherwise.

Frames in, results out: nothing here reads a store. :func:`evidence_window` says which rows to load.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from selloff.check.extract import check_text_size, extract_claims
from selloff.check.lexicon import detect_language
from selloff.check.model import Claim, ClaimCheck, Evidence, Reading, Verdict, tolerances
from selloff.check.html import render_claims_html
from selloff.check.present import readings_table, verdict_to_dict, verdicts_table
from selloff.check.words import data_sentence, status_word, window_phrase
from selloff.check.readings import evidence_window
from selloff.check.verify import fetch_command, verify_claims
from selloff.errors import ConfigError
from selloff.timeutil import parse_instant, utc_day
from selloff.universe import Universe

__all__ = [
    "Claim",
    "ClaimCheck",
    "Evidence",
    "Reading",
    "Verdict",
    "data_sentence",
    "detect_language",
    "evidence_window",
    "extract_claims",
    "fetch_command",
    "readings_table",
    "render_claims_html",
    "run_check",
    "status_word",
    "tolerances",
    "verdict_to_dict",
    "verdicts_table",
    "verify_claims",
    "window_phrase",
]

_FRAMES = ("bars", "market_caps", "derivatives", "events", "category_caps")


def run_check(text: str, universe: Universe, evidence: Evidence | None = None, *, lang: str | None = None,
              ref_date: dt.date | str | None = None, published_at: pd.Timestamp | str | None = None,
              bars: pd.DataFrame | None = None, market_caps: pd.DataFrame | None = None,
              derivatives: pd.DataFrame | None = None, events: pd.DataFrame | None = None,
              category_caps: pd.DataFrame | None = None, tolerances: dict[str, float] | None = None,
              max_text_bytes: int | None = None, claims: list[Claim] | None = None) -> ClaimCheck:
    """Extract the claims of ``text`` and verify them against frames: the whole claim check, without I/O.

    Parameters
    ----------
    text : str
        English or German news text, at most ``max_text_bytes`` UTF-8 bytes.
    universe : Universe
        Assets and sectors recognised as subjects.
    evidence : Evidence, optional
        The data; when omitted it is built from the frames below (missing frames are empty).
    lang : {"de", "en"}, optional
        Detected when omitted.
    ref_date : date or str, optional
        Publication date; the day of ``published_at`` when omitted.
    published_at : pd.Timestamp or str, optional
        Publication time (naive means UTC): the end of the rolling-24 h readings. Overrides
        ``evidence.published_at`` when given.
    bars, market_caps, derivatives, events, category_caps : pd.DataFrame, optional
        Long frames as stored (with their ``source`` column); only with ``evidence=None``.
    tolerances : dict, optional
        Overrides of the ``[check]`` tolerances.
    max_text_bytes : int, optional
        Input limit; ``[check] max_text_bytes`` (1,000,000) when omitted.
    claims : list of Claim, optional
        The claims already extracted from ``text`` with the same ``lang`` and ``ref_date`` (a caller that needed
        them to choose the evidence, :func:`evidence_window`, passes them instead of extracting twice).

    Returns
    -------
    ClaimCheck

    Raises
    ------
    ConfigError
        The text is over the limit, a date is malformed, or both ``evidence`` and frames are given.
    """
    frames = {k: f for k, f in zip(_FRAMES, (bars, market_caps, derivatives, events, category_caps)) if f is not None}
    if evidence is not None and frames:
        raise ConfigError(f"run_check got both evidence and frames ({', '.join(frames)}); pass one or the other")
    check_text_size(text, max_text_bytes)
    pub = parse_instant(published_at, "published_at")
    ref = utc_day(ref_date, "ref_date").date() if ref_date is not None else (pub.date() if pub is not None else None)
    lang = lang or detect_language(text)
    if claims is None:
        claims = extract_claims(text, universe, lang=lang, ref_date=ref, max_text_bytes=max_text_bytes)
    ev = evidence if evidence is not None else Evidence(universe=universe, **frames)
    if pub is not None:
        ev = Evidence(**{**vars(ev), "published_at": pub})
    verdicts = verify_claims(claims, ev, tolerances=tolerances)
    return ClaimCheck(text=text, lang=lang, ref_date=ref, claims=tuple(claims), verdicts=tuple(verdicts),
                      published_at=ev.published_at)
