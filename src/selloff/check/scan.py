"""The scanning steps of claim extraction: text size, numbers, sentences, subjects (names of the universe), figures
with units, qualifiers and window phrases — each pattern of :mod:`selloff.check.lexicon` matched once per
sentence and looked up by bisection (:class:`Hits`), so extraction stays linear in the text's length.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from babel.numbers import NumberFormatError, parse_decimal

from selloff.check import lexicon as L
from selloff.check.model import check_settings
from selloff.errors import ConfigError, DataError
from selloff.universe import Universe

__all__ = ["Entity", "Hits", "Mention", "Sentence", "check_text_size", "find_entities", "mentions", "parse_number",
           "sentence_spans", "subject_groups", "window_label"]


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


class Hits:
    """The matches of one pattern in one sentence, sorted, for range look-ups by bisection.

    Matches of one ``finditer`` do not overlap, so their starts and their ends are both increasing: the matches
    lying inside ``[lo, hi)`` form one contiguous run.
    """

    def __init__(self, matches: list[re.Match]) -> None:
        self.matches = matches
        self.starts = [m.start() for m in matches]
        self.ends = [m.end() for m in matches]

    @classmethod
    def of(cls, rx: re.Pattern, text: str, a: int, b: int) -> "Hits":
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
class Entity:
    start: int
    end: int
    id: str
    kind: str  # asset | sector


def entity_patterns(universe: Universe) -> list[tuple[re.Pattern, str, str]]:
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


def find_entities(text: str, universe: Universe) -> list[Entity]:
    hits: list[Entity] = []
    for rx, i, k in entity_patterns(universe):
        hits.extend(Entity(m.start(), m.end(), i, k) for m in rx.finditer(text))
    hits.sort(key=lambda e: (e.start, -(e.end - e.start)))
    out: list[Entity] = []
    for e in hits:
        if out and e.start < out[-1].end:
            continue
        out.append(e)
    return out


def subject_groups(entities: list[Entity], text: str) -> list[list[Entity]]:
    """Runs of entities joined by ',', 'und', 'and', ... ("AMD und NVIDIA") — one group each."""
    groups: list[list[Entity]] = []
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
class Mention:
    start: int
    end: int
    qstart: int
    value: float
    unit: str
    qualifier: str
    level_prep: bool
    threshold: bool = False


def mentions(text: str, a: int, b: int, lang: str) -> list[Mention]:
    out = []
    seg = text[a:b]
    for m in L.MENTION.finditer(seg):
        pre, unit = m.group("pre"), (m.group("unit") or "")
        threshold = bool(L.THRESHOLD.search(text[max(a, a + m.start("num") - L.QUALIFIER_REACH):a + m.start("num")]))
        if not pre and not unit:
            shared = L.SHARED_UNIT.match(text, a + m.end(), b)
            if shared:  # "3 bzw. 5 Prozent": the bare figure keeps the unit of the one it is paired with
                unit = shared.group("unit")
            elif threshold and parse_number(m.group("num"), lang) >= 1000:
                unit = "usd"  # "unter 60.000": a price threshold without a currency word
            else:
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
        out.append(Mention(start, a + m.end(), qstart, v, u, qual, lvl or threshold, threshold))
    return out


def window_label(kind: str, m: re.Match) -> str:
    if kind != "nd":
        return kind
    n = (m.group("n") or m.group("n2")).lower()
    n = L.NUMWORDS.get(n, None) or int(n)
    if (m.group("td") or m.group("td2")).lower().startswith(("handel", "trading", "session")):
        return f"{n}td"
    return f"{n}d" if n != 1 else "1d"


class Sentence:
    """One sentence with the pattern matches its figures look up (each pattern matched once)."""

    def __init__(self, text: str, sa: int, sb: int, groups: list[list[Entity]]) -> None:
        self.text, self.sa, self.sb = text, sa, sb
        self.groups = groups
        self.group_starts = [g[0].start for g in groups]
        self.group_ends = [g[-1].end for g in groups]
        self.clauses = [(m.start(), m.end()) for m in L.CLAUSE.finditer(text, sa, sb)]
        self.clause_starts = [c[0] for c in self.clauses]
        self.direction = Hits.of(L.DIR_RE, text, sa, sb)
        self.cap = Hits.of(L.CAP, text, sa, sb)
        self.liq = Hits.of(L.LIQ, text, sa, sb)
        self.respectively = Hits.of(L.RESPECTIVELY, text, sa, sb)
        self.punct = Hits.of(L.CLAUSE_PUNCT, text, sa, sb)
        self.windows = [(kind, Hits.of(rx, text, sa, sb)) for kind, rx in L.WINDOWS]
        self.volume = Hits.of(L.VOLUME, text, sa, sb)
        self.dominance = Hits.of(L.DOMINANCE, text, sa, sb)

    def clause_of(self, pos: int) -> tuple[int, int]:
        i = bisect_right(self.clause_starts, pos) - 1
        if i >= 0 and pos < self.clauses[i][1]:
            return self.clauses[i]
        return self.sa, self.sb

    def group_before(self, pos: int) -> list[Entity] | None:
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
        inside = [(m.start(), window_label(k, m), m.group()) for k, h in self.windows
                  for m in h.nearest_within(a, b, pos)]
        if inside:
            _, w, t = min(inside, key=lambda x: abs(x[0] - pos))
            return w, t
        before = []
        for k, h in self.windows:
            i, j = h.run(self.sa, a)
            if j > i:
                m = h.matches[j - 1]
                before.append((m.start(), window_label(k, m), m.group()))
        if before:
            _, w, t = max(before)
            return w, t
        return None, None
