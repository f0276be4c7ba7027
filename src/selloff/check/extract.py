"""Text → claims: sentence splitting, numbers with units, subjects, qualifiers, windows and dates (EN/DE).

Rule-based and deterministic. Every step is linear in the length of the text: the patterns of
:mod:`selloff.check.lexicon` are matched once per sentence, and what a figure needs (its subject group, clause,
direction word, window phrase) is looked up in those sorted matches by bisection, never by rescanning the text
from the sentence start for every figure.
"""
from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from babel.numbers import NumberFormatError, parse_decimal

from selloff.check import lexicon as L
from selloff.check.model import Claim, check_settings, tolerances
from selloff.errors import ConfigError, DataError
from selloff.timeutil import utc_day
from selloff.universe import Universe

__all__ = ["check_text_size", "extract_claims", "parse_number", "sentence_spans"]


# ------------------------------------------------------------------------------------------------ text
def check_text_size(text: str, max_text_bytes: int | None = None) -> None:
    """Refuse a text longer than ``[check] max_text_bytes`` (UTF-8 bytes).

    Parameters
    ----------
    text : str
        The news text.
    max_text_bytes : int, optional
        The limit; ``[check] max_text_bytes`` of ``defaults.toml`` when omitted.

    Raises
    ------
    ConfigError
        One line naming the text's size, the limit and how to raise it.
    """
    limit = int(max_text_bytes if max_text_bytes is not None else check_settings()["max_text_bytes"])
    size = len(text.encode("utf-8"))
    if size > limit:
        raise ConfigError(f"text is {size:,} bytes, over the claim-check limit of {limit:,} bytes "
                          f"([check] max_text_bytes); check a shorter excerpt or pass max_text_bytes={size} "
                          f"to run_check/extract_claims", size=size, limit=limit)


def parse_number(s: str, lang: str) -> float:
    """A number as written in ``lang`` ("25,4" in German, "1,234.5" in English), via Babel.

    Parameters
    ----------
    s : str
        Digits with decimal and group separators (narrow/no-break spaces allowed as group separators).
    lang : {"de", "en"}
        Tried first; the other locale second.

    Returns
    -------
    float

    Raises
    ------
    DataError
        Neither locale parses ``s``.
    """
    s = s.replace("\u202f", "").replace("\u00a0", "")
    for loc in (lang, "en" if lang == "de" else "de"):
        try:
            return float(parse_decimal(s, locale=loc))
        except NumberFormatError:
            continue
    raise DataError(f"cannot parse the number {s!r} in a {lang} text; write it with one decimal separator")


def _word_before_period(text: str, start: int, period: int) -> str:
    """The run of word characters and dots right before the period at ``period`` (not before ``start``)."""
    i = period
    while i > start and (text[i - 1].isalnum() or text[i - 1] in "_."):
        i -= 1
    return text[i:period]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans: split after . ! ? before whitespace, not after abbreviations or ordinals ("6. Februar").

    Parameters
    ----------
    text : str

    Returns
    -------
    list of (int, int)
        (start, end) of every sentence, whitespace trimmed, in text order.

    Notes
    -----
    A period ends a sentence unless the word right before it is a number ("6."), an abbreviation of
    :data:`selloff.check.lexicon.ABBREV` or a single letter, or the next word starts in lower case. A period after a non-word
    character ("23 %.", "$.") ends the sentence. Only the characters of that word are read, so splitting is
    linear in the text length.
    """
    spans, start = [], 0
    for m in L.SENTENCE_END.finditer(text):
        end = m.end()
        if m.group().startswith("."):
            word = _word_before_period(text, start, end - 1).lower()
            if word and (word.isdigit() or word in L.ABBREV or re.fullmatch(r"[a-z]", word)):
                continue
            if text[end:end + 3].lstrip()[:1].islower():
                continue
        if text[start:end].strip():
            spans.append((start, end))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    out = []
    for a, b in spans:  # trim whitespace
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out


class _Hits:
    """The matches of one pattern in one sentence, sorted, for range look-ups by bisection.

    Matches of one ``finditer`` do not overlap, so their starts and their ends are both increasing: the matches
    lying inside ``[lo, hi)`` form one contiguous run.
    """

    def __init__(self, matches: list[re.Match]) -> None:
        self.matches = matches
        self.starts = [m.start() for m in matches]
        self.ends = [m.end() for m in matches]

    @classmethod
    def of(cls, rx: re.Pattern, text: str, a: int, b: int) -> "_Hits":
        return cls(list(rx.finditer(text, a, b)))

    def run(self, lo: int, hi: int) -> tuple[int, int]:
        """Index range of the matches with ``lo <= start`` and ``end <= hi``."""
        i, j = bisect_left(self.starts, lo), bisect_right(self.ends, hi)
        return i, max(i, j)

    def any_within(self, lo: int, hi: int) -> bool:
        i, j = self.run(lo, hi)
        return j > i

    def first_within(self, lo: int, hi: int) -> re.Match | None:
        i, j = self.run(lo, hi)
        return self.matches[i] if j > i else None

    def nearest_within(self, lo: int, hi: int, pos: int) -> list[re.Match]:
        """The match(es) inside ``[lo, hi)`` nearest to ``pos`` from either side (at most two, in text order)."""
        i, j = self.run(lo, hi)
        k = bisect_right(self.starts, pos, i, j)
        return self.matches[max(i, k - 1):min(j, k + 1)]


# ------------------------------------------------------------------------------------------------ entities
@dataclass(frozen=True)
class _Entity:
    start: int
    end: int
    id: str
    kind: str  # asset | sector


def _entity_patterns(universe: Universe) -> list[tuple[re.Pattern, str, str]]:
    pats: list[tuple[str, str, str]] = []
    for a in universe.assets.values():
        for n in {a.id, a.name, *a.aliases}:
            pats.append((n, a.id, "asset"))
    for s in universe.sectors.values():
        for n in {s.name, *(x for x in (s.name_de,) if x), *s.aliases}:
            pats.append((n, s.id, "sector"))
    pats.sort(key=lambda p: len(p[0]), reverse=True)
    out = []
    for n, i, k in pats:
        ci = len(n) >= 7 or " " in n or "-" in n
        rx = re.compile(rf"(?<![\w-]){re.escape(n)}(?![\w])", re.IGNORECASE if ci else 0)
        out.append((rx, i, k))
    return out


def _find_entities(text: str, universe: Universe) -> list[_Entity]:
    hits: list[_Entity] = []
    for rx, i, k in _entity_patterns(universe):
        hits.extend(_Entity(m.start(), m.end(), i, k) for m in rx.finditer(text))
    hits.sort(key=lambda e: (e.start, -(e.end - e.start)))
    out: list[_Entity] = []
    for e in hits:
        if out and e.start < out[-1].end:
            continue
        out.append(e)
    return out


def _groups(entities: list[_Entity], text: str) -> list[list[_Entity]]:
    """Runs of entities joined by ',', 'und', 'and', ... ("AMD und NVIDIA") — one group each."""
    groups: list[list[_Entity]] = []
    for e in entities:
        if groups:
            prev = groups[-1][-1]
            gap = text[prev.end:e.start]
            if L.LIST_GAP.match(gap) or (gap.strip() in ("(", "") and e.id == prev.id):
                groups[-1].append(e)
                continue
        groups.append([e])
    return groups


# ------------------------------------------------------------------------------------------------ figures
@dataclass
class _Mention:
    start: int
    end: int
    qstart: int
    value: float
    unit: str
    qualifier: str
    level_prep: bool


def _mentions(text: str, a: int, b: int, lang: str) -> list[_Mention]:
    out = []
    seg = text[a:b]
    for m in L.MENTION.finditer(seg):
        pre, unit = m.group("pre"), (m.group("unit") or "")
        if not pre and not unit:
            continue
        ul = unit.lower()
        if re.fullmatch(L.PCT_UNITS, ul):
            u = "pct"
        elif pre == "€" or ul in ("euro", "eur", "€"):
            u = "EUR"
        else:
            u = "USD"
        v = parse_number(m.group("num"), lang)
        if m.group("scale"):
            if u == "pct":
                continue
            v *= L.SCALES[m.group("scale").lower()]
        start = a + m.start() + (0 if pre else (len(m.group()) - len(m.group().lstrip())))
        before = text[max(a, start - L.QUALIFIER_REACH):start]
        qual, qstart = "exact", start
        for q, rx in L.QUAL_RE:
            qm = rx.search(before)
            if qm:
                qual = q
                qstart = start - (len(before) - qm.start()) + (1 if qm.group()[:1].isspace() else 0)
                break
        lvl = bool(L.LEVEL_PREP.search(text[max(a, qstart - L.LEVEL_PREP_REACH):qstart] + " "))
        lvl = lvl or bool(L.LEVEL_PREP_NEAR.search(text[max(a, qstart - L.LEVEL_PREP_NEAR_REACH):qstart]))
        out.append(_Mention(start, a + m.end(), qstart, v, u, qual, lvl))
    return out


def _window_label(kind: str, m: re.Match) -> str:
    if kind != "nd":
        return kind
    n = m.group("n").lower()
    n = L.NUMWORDS.get(n, None) or int(n)
    if m.group("td").lower().startswith(("handel", "trading", "session")):
        return f"{n}td"
    return f"{n}d" if n != 1 else "1d"


class _Sentence:
    """One sentence with the pattern matches its figures look up (each pattern matched once)."""

    def __init__(self, text: str, sa: int, sb: int, groups: list[list[_Entity]]) -> None:
        self.text, self.sa, self.sb = text, sa, sb
        self.groups = groups
        self.group_starts = [g[0].start for g in groups]
        self.group_ends = [g[-1].end for g in groups]
        self.clauses = [(m.start(), m.end()) for m in L.CLAUSE.finditer(text, sa, sb)]
        self.clause_starts = [c[0] for c in self.clauses]
        self.direction = _Hits.of(L.DIR_RE, text, sa, sb)
        self.cap = _Hits.of(L.CAP, text, sa, sb)
        self.liq = _Hits.of(L.LIQ, text, sa, sb)
        self.respectively = _Hits.of(L.RESPECTIVELY, text, sa, sb)
        self.punct = _Hits.of(L.CLAUSE_PUNCT, text, sa, sb)
        self.windows = [(kind, _Hits.of(rx, text, sa, sb)) for kind, rx in L.WINDOWS]

    def clause_of(self, pos: int) -> tuple[int, int]:
        i = bisect_right(self.clause_starts, pos) - 1
        if i >= 0 and pos < self.clauses[i][1]:
            return self.clauses[i]
        return self.sa, self.sb

    def group_before(self, pos: int) -> list[_Entity] | None:
        """The last subject group ending at or before ``pos``."""
        i = bisect_right(self.group_ends, pos)
        return self.groups[i - 1] if i else None

    def next_group_start(self, pos: int) -> int | None:
        i = bisect_right(self.group_starts, pos)
        return self.group_starts[i] if i < len(self.groups) else None

    def direction_near(self, a: int, b: int, pos: int) -> str | None:
        """The up/down word inside ``[a, b)`` nearest to ``pos`` (the earlier one on a tie)."""
        best, dist = None, None
        for m in self.direction.nearest_within(a, b, pos):
            d = abs(m.start() - pos)
            if dist is None or d < dist:
                best, dist = ("down" if m.group("down") else "up"), d
        return best

    def window(self, a: int, b: int, pos: int) -> tuple[str | None, str | None]:
        """Window phrase inside [a, b) (the claim's scope) nearest to ``pos``, else the last one of the sentence
        ending before ``a``."""
        inside = [(m.start(), _window_label(k, m), m.group()) for k, h in self.windows
                  for m in h.nearest_within(a, b, pos)]
        if inside:
            _, w, t = min(inside, key=lambda x: abs(x[0] - pos))
            return w, t
        before = []
        for k, h in self.windows:
            i, j = h.run(self.sa, a)
            if j > i:
                m = h.matches[j - 1]
                before.append((m.start(), _window_label(k, m), m.group()))
        if before:
            _, w, t = max(before)
            return w, t
        return None, None


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
    dates = L.explicit_dates(text)
    date_pos = [d[0] for d in dates]
    text_date = ref
    if dates:
        d0 = L.resolve_date(dates[0][1], dates[0][2], dates[0][3], ref)
        text_date = d0 or ref
    entities = _find_entities(text, universe)
    entity_pos = [e.start for e in entities]
    raw: list[dict] = []
    for sa, sb in sentence_spans(text):
        sentence = text[sa:sb]
        k = bisect_left(date_pos, sa)
        s_date = (L.resolve_date(dates[k][1], dates[k][2], dates[k][3], ref or text_date)
                  if k < len(dates) and dates[k][0] < sb else L.relative_date(sentence, text_date) or text_date)
        ments = _mentions(text, sa, sb, lang)
        if not ments:
            continue
        sent = _Sentence(text, sa, sb, _groups(entities[bisect_left(entity_pos, sa):bisect_left(entity_pos, sb)], text))
        flags = dict(earlier=bool(L.EARLIER.search(sentence)), intraday=bool(L.INTRADAY.search(sentence)))
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
                          window_text=wtext, **flags)
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
            elif mt.level_prep and prev_change is not None and prev_change["metric"] != "breadth":
                metric = "market_cap_level" if prev_change["metric"] == "market_cap_change" else "price_level"
                raw.append(dict(common, **figure, subjects=prev_change["subjects"],
                                subject_kind=prev_change["subject_kind"], metric=metric,
                                window=prev_change["window"], window_text=prev_change["window_text"],
                                _link=prev_change))
            elif event_sentence:
                raw.append(dict(common, **{**figure, "kind": "event_figure"}, subjects=tuple(subj_ids),
                                subject_kind=subj_kind if subj_ids else "market", metric="event_figure"))
            elif subj_ids:
                is_cap = (sent.cap.any_within(dir_start, min(cb, sb, mt.end + L.CAP_AFTER_REACH))
                          or subj_kind == "sector")
                raw.append(dict(common, **figure, subjects=tuple(subj_ids), subject_kind=subj_kind,
                                metric="market_cap_level" if is_cap else "price_level"))
            i += 1
    return _number(raw, text)


def _number(raw: list[dict], text: str) -> list[Claim]:
    """Claims from the raw records: ids in text order, and the links between a change and its level."""
    raw.sort(key=lambda r: r["span"][0])
    for n, r in enumerate(raw, 1):
        r["id"] = f"C{n}"
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
