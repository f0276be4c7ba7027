"""Text → claims: sentence splitting, numbers with units, subjects, qualifiers, windows and dates (EN/DE).

Rule-based and deterministic. Every step is linear in the length of the text: the patterns of
:mod:`selloff.check.lexicon` are matched once per sentence (:mod:`selloff.check.scan`), and what a figure needs
(its subject group, clause, direction word, window phrase) is looked up in those sorted matches by bisection,
never by rescanning the text from the sentence start for every figure.
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_left

from selloff.check import lexicon as L
from selloff.check.model import Claim, tolerances
from selloff.check.scan import (Sentence, check_text_size, find_entities, mentions, parse_number, sentence_spans,
                                subject_groups)
from selloff.timeutil import utc_day
from selloff.universe import Universe

__all__ = ["check_text_size", "extract_claims", "parse_number", "sentence_spans", "statements"]


# ------------------------------------------------------------------------------------------------ claims
def extract_claims(text: str, universe: Universe, *, lang: str | None = None,
                   ref_date: dt.date | str | None = None, max_text_bytes: int | None = None) -> list[Claim]:
    """Numeric claims of a news text, in text order.

    Parameters
    ----------
    text : str
        English or German news text.
    universe : Universe
        Assets and sectors whose ids, names and aliases are recognised as subjects.
    lang : {"de", "en"}, optional
        Language for number parsing and vocabulary; detected when omitted.
    ref_date : date or str, optional
        Publication date. Sentences without an explicit date use the first explicit date of the text, else
        this; a date without a year ("6. Februar") takes the year of ``ref_date`` (``None`` without one).
    max_text_bytes : int, optional
        Longest text accepted (UTF-8 bytes); ``[check] max_text_bytes`` when omitted.

    Returns
    -------
    list of Claim

    Raises
    ------
    ConfigError
        The text is longer than ``max_text_bytes``, or ``ref_date`` is not a date.

    Notes
    -----
    A number becomes a claim when it carries a unit (``%``, ``Prozent``, ``US-Dollar``, ``$``, ``Mrd.``...). Its
    subjects are the last group of recognised names before it in the sentence ("AMD und NVIDIA"). Several
    per-cent figures joined by "bzw."/"respectively" are paired with the group's names in order; one figure for
    several names is a breadth claim. A currency figure after "auf"/"to" is the level reached by the preceding
    change; before "Liquidationen"/"liquidations" a liquidation total; in a sentence about investment, capex or
    revenue an ``event_figure`` (not market data). Time and memory are linear in the length of the text.
    """
    check_text_size(text, max_text_bytes)
    lang = lang or L.detect_language(text)
    ref = utc_day(ref_date, "ref_date").date() if ref_date is not None else None
    tol = tolerances()
    # "seit dem 4. Februar" names where a comparison starts, not the day a claim is about
    dates = [d for d in L.explicit_dates(text) if not L.SINCE_BEFORE.search(text[max(0, d[0] - 12):d[0]])]
    date_pos = [d[0] for d in dates]
    text_date = ref
    if dates:
        d0 = L.resolve_date(dates[0][1], dates[0][2], dates[0][3], ref)
        text_date = d0 or ref
    entities = find_entities(text, universe)
    entity_pos = [e.start for e in entities]
    raw: list[dict] = []
    for sa, sb in sentence_spans(text):
        sentence = text[sa:sb]
        k = bisect_left(date_pos, sa)
        s_date = (L.resolve_date(dates[k][1], dates[k][2], dates[k][3], ref or text_date)
                  if k < len(dates) and dates[k][0] < sb else L.relative_date(sentence, text_date) or text_date)
        ments = mentions(text, sa, sb, lang)
        sent = Sentence(text, sa, sb, subject_groups(entities[bisect_left(entity_pos, sa):bisect_left(entity_pos, sb)], text))
        raw += statements(text, sent, s_date, lang, ref or text_date, raw)
        if not ments:
            continue
        flags = dict(earlier=bool(L.EARLIER.search(sentence)))
        generally = bool(L.GENERALLY.search(sentence))
        event_sentence = bool(L.EVENT.search(sentence))
        # bind each mention to its group: the last one before its qualifier
        bound = [(mt, sent.group_before(mt.qstart), sent.clause_of(mt.start)) for mt in ments]
        prev_change: dict | None = None
        i = 0
        while i < len(bound):
            mt, grp, (ca, cb) = bound[i]
            # per-cent figures sharing a group, joined by "bzw." / "respectively"
            run = [bound[i]]
            j = i + 1
            while (j < len(bound) and bound[j][1] is grp and grp is not None and bound[j][0].unit == mt.unit == "pct"
                   and (sent.respectively.any_within(run[-1][0].end, bound[j][0].qstart + 1)
                        or sent.respectively.any_within(bound[j][0].end, cb))):
                run.append(bound[j])
                j += 1
            subj_ids = list(dict.fromkeys(e.id for e in grp)) if grp else []
            subj_kind = grp[0].kind if grp else "market"
            scope_a = grp[0].start if grp else ca
            nxt = sent.next_group_start(mt.end)
            scope_b = min(cb, nxt if nxt is not None else cb)
            window, wtext = sent.window(scope_a, scope_b, mt.start)
            common = dict(sentence=sentence, sentence_span=(sa, sb), date=s_date, lang=lang, window=window,
                          window_text=wtext, intraday=_own_intraday(text, ments, i, ca, cb), **flags)
            figure = dict(span=(mt.qstart, mt.end), value=mt.value, unit=mt.unit, qualifier=mt.qualifier,
                          kind="market", direction=None)
            dir_start = max(ca, grp[0].start - L.SUBJECT_REACH) if grp else ca
            if mt.unit == "pct":
                punct = sent.punct.first_within(run[-1][0].end, cb)
                direction = sent.direction_near(dir_start, punct.start() if punct else cb, mt.start)
                sign = -1.0 if direction == "down" else 1.0
                # cap words may stand before the subject ("Die Marktkapitalisierung von TAO sank …") or after the
                # figure ("… to $1.2 billion market cap"): search the whole clause
                tail_end = min(cb, sb, run[-1][0].end + L.CAP_AFTER_REACH)
                is_cap = (sent.cap.any_within(dir_start, mt.start) or sent.cap.any_within(run[-1][0].end, tail_end)
                          or subj_kind == "sector")
                if len(run) > 1 and len(run) == len(subj_ids):
                    for (m2, _, _), sid in zip(run, subj_ids):
                        raw.append(dict(common, span=(m2.qstart, m2.end), subjects=(sid,), subject_kind="asset",
                                        metric="price_change", direction=direction, value=sign * m2.value,
                                        unit="pct", qualifier=m2.qualifier, kind="market"))
                    prev_change = raw[-1]
                    i = j
                    continue
                if sent.dominance.any_within(dir_start, tail_end) and subj_ids:
                    raw.append(dict(common, **figure, subjects=tuple(subj_ids), subject_kind=subj_kind,
                                    metric="dominance"))
                    i += 1
                    continue
                if subj_kind == "sector" or is_cap:
                    metric = "market_cap_change"
                elif len(subj_ids) >= 2:
                    metric = "breadth"
                elif subj_ids:
                    metric = "price_change"
                else:
                    i += 1
                    continue  # a per-cent figure with no subject (e.g. a rate) is not a market claim here
                share = None
                if metric == "breadth":
                    share = tol["breadth_generally_share"] if generally else tol["breadth_all_share"]
                raw.append(dict(common, **{**figure, "direction": direction, "value": sign * mt.value},
                                subjects=tuple(subj_ids), subject_kind=subj_kind if subj_ids else "market",
                                metric=metric, share=share))
                prev_change = raw[-1]
            elif (sent.liq.any_within(mt.end, min(cb, mt.end + L.LIQ_AFTER_REACH))
                  or (sent.liq.any_within(ca, cb) and not mt.level_prep)):
                raw.append(dict(common, **figure, subjects=(), subject_kind="market", metric="liquidations",
                                _link=prev_change))
            elif sent.volume.any_within(max(ca, mt.start - L.CAP_AFTER_REACH), min(cb, mt.end + L.CAP_AFTER_REACH)) \
                    and (subj_ids or prev_change is not None):
                subj = tuple(subj_ids) if subj_ids else prev_change["subjects"]
                raw.append(dict(common, **figure, subjects=subj, subject_kind=subj_kind if subj_ids else
                                prev_change["subject_kind"], metric="volume"))
            elif mt.level_prep and prev_change is not None and prev_change["metric"] != "breadth":
                metric = "market_cap_level" if prev_change["metric"] == "market_cap_change" else "price_level"
                raw.append(dict(common, **figure, subjects=prev_change["subjects"],
                                subject_kind=prev_change["subject_kind"], metric=metric,
                                window=prev_change["window"], window_text=prev_change["window_text"],
                                threshold=mt.threshold and metric == "price_level", _link=prev_change))
            elif event_sentence:
                raw.append(dict(common, **{**figure, "kind": "event_figure"}, subjects=tuple(subj_ids),
                                subject_kind=subj_kind if subj_ids else "market", metric="event_figure"))
            elif subj_ids:
                is_cap = (sent.cap.any_within(dir_start, min(cb, sb, mt.end + L.CAP_AFTER_REACH))
                          or subj_kind == "sector")
                raw.append(dict(common, **figure, subjects=tuple(subj_ids), subject_kind=subj_kind,
                                metric="market_cap_level" if is_cap else "price_level",
                                threshold=mt.threshold and not is_cap))
            i += 1
    return _number(raw, text)


def _own_intraday(text: str, ments: list, i: int, ca: int, cb: int) -> bool:
    """"intraday"/"zeitweise"/"as low as" scoped to figure ``i``: between the previous figure and this one, or
    right after it (before the next figure or clause mark) — never the sentence's other figures."""
    mt = ments[i]
    lo = max(ca, ments[i - 1].end if i else ca)
    hi = min(cb, mt.end + L.INTRADAY_AFTER_REACH, ments[i + 1].qstart if i + 1 < len(ments) else cb)
    after = text[mt.end:hi]
    cut = L.CLAUSE_PUNCT.search(after)
    after = after[:cut.start()] if cut else after
    return bool(L.INTRADAY.search(text[lo:mt.qstart]) or L.INTRADAY.search(after))


def statements(text: str, sent: Sentence, d: dt.date | None, lang: str, ref: dt.date | None,
               earlier: list[dict]) -> list[dict]:
    """Claims without a figure of their own: "lowest since <date>" and (no) stabilisation.

    The subject is the last group of names before the words, else the sentence's first group, else the
    subjects of the text's previous claim.
    """
    out = []
    found = [("lowest_since", m, None) for m in L.LOWEST_SINCE.finditer(text, sent.sa, sent.sb)]
    for m in L.STABILISATION.finditer(text, sent.sa, sent.sb):
        neg = L.NEGATION.search(text[max(sent.sa, m.start() - L.NEGATION_REACH):m.start()])
        found.append(("stabilisation", m, "down" if neg else "up"))
    for metric, m, direction in found:
        grp = sent.group_before(m.start()) or (sent.groups[0] if sent.groups else None)
        if grp:
            subj, kind = tuple(dict.fromkeys(e.id for e in grp)), grp[0].kind
        elif earlier:
            subj, kind = earlier[-1]["subjects"], earlier[-1]["subject_kind"]
        else:
            continue
        since = L.since_date(text, m.end(), ref) if metric == "lowest_since" else None
        if metric == "lowest_since" and since is None:
            continue
        end = m.end() + (L.SINCE_REACH if metric == "lowest_since" else 0)
        span_end = min(sent.sb, end)
        if metric == "lowest_since":
            tail = text[m.end():span_end]
            cut = L.CLAUSE_PUNCT.search(tail + " ")
            span_end = m.end() + (cut.start() if cut else len(tail))
        out.append(dict(kind="statement", sentence=text[sent.sa:sent.sb], sentence_span=(sent.sa, sent.sb),
                        span=(m.start(), span_end), subjects=subj, subject_kind=kind, metric=metric,
                        direction=direction, value=0.0, unit="", qualifier="exact", window="1d" if metric ==
                        "stabilisation" else None, window_text=None, date=d, lang=lang, since_date=since))
    return out


def _number(raw: list[dict], text: str) -> list[Claim]:
    """Claims from the raw records: ids in text order, and the links between a change and its level."""
    raw.sort(key=lambda r: r["span"][0])
    counts = {"C": 0, "S": 0}
    for r in raw:  # figures are C1, C2, ...; statements without a figure of their own S1, S2, ...
        p = "S" if r["kind"] == "statement" else "C"
        counts[p] += 1
        r["id"] = f"{p}{counts[p]}"
    rel: dict[str, set[str]] = {r["id"]: set() for r in raw}
    for r in raw:
        link = r.pop("_link", None)
        if link is not None and "id" in link:
            rel[r["id"]].add(link["id"])
            rel[link["id"]].add(r["id"])
    claims = []
    for r in raw:
        r["text"] = text[r["span"][0]:r["span"][1]]
        r["related"] = tuple(sorted(rel[r["id"]], key=lambda x: int(x[1:])))
        r.setdefault("share", None)
        claims.append(Claim(**r))
    return claims
