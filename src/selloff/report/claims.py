"""Claim check: extract the numeric claims of a news text (English or German) and verify them against data.

Three steps, each usable on its own:

1. :func:`extract_claims` — rule-based and deterministic. Sentences are split, names/tickers/aliases of the
   universe are found, every number with a unit (``%``, ``US-Dollar``, ``$``) becomes a :class:`Claim` bound to
   the nearest preceding group of subjects ("AMD und NVIDIA"), with its qualifier ("mehr als", "about"), window
   ("an einem einzigen Tag", "in the last 24 hours", "over five days") and date. Numbers are parsed with Babel
   in the text's locale.
2. :func:`verify_claims` — every claim is measured under every reading of its window
   (:mod:`selloff.analytics.measures`) from the non-simulated rows of an :class:`Evidence`; the readings the
   text's words select decide the verdict, within :data:`TOLERANCES`. Arithmetic bounds across claims and data
   (a cap-weighted sector cannot fall more than its worst member) give ``inconsistent``.
3. Presentation: :func:`verdicts_table` (a DataFrame) and :func:`render_claims_html` (the text with every claim
   highlighted by verdict, Jinja2 with autoescape).

Simulated data (``source == "simulated"``) is never evidence: a claim whose only data is simulated is
``unverifiable`` with the reason ``"only simulated data for these days"``.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Iterable

import pandas as pd

from selloff.analytics.sources_priority import select_series
from babel.numbers import NumberFormatError, parse_decimal

from selloff.analytics import measures as M
from selloff.analytics.measures import Reading
from selloff.universe import Universe

__all__ = [
    "Claim",
    "Evidence",
    "TOLERANCES",
    "Verdict",
    "detect_language",
    "extract_claims",
    "fetch_command",
    "render_claims_html",
    "verdicts_table",
    "verify_claims",
]

SIMULATED = "simulated"

TOLERANCES: dict[str, float] = {
    # per-cent moves, absolute percentage points on the size of the move
    "pct_exact_pp": 1.5,       # "fell 23 %": |move - 23| <= 1.5 pp
    "pct_about_pp": 3.0,       # "about 23 %": |move - 23| <= 3 pp
    "pct_more_than_pp": 0.0,   # "more than 20 %": fall >= 20 - 0 pp
    "pct_nearly_pp": 3.0,      # "nearly 20 %": 20 - 3 <= fall <= 20 + pct_exact_pp
    # levels (prices, market caps, liquidation totals), relative
    "level_exact_rel": 0.02,   # "164 US-Dollar": within 2 %
    "level_about_rel": 0.10,   # "about 164": within 10 %
    "level_nearly_rel": 0.10,  # "nearly 12 bn": 0.90 * 12 <= x <= 1.02 * 12
    "level_more_than_rel": 0.0,  # "more than 12 bn": x >= 12
    # breadth: share of the named subjects that must satisfy the move
    "breadth_generally_share": 0.75,  # "im Allgemeinen", "generally", "mostly"
    "breadth_all_share": 1.0,         # a plain list "TAO, NEAR and ICP fell more than 20 %"
    # consistency: slack on the bound "a cap-weighted sum cannot fall more than its worst member"
    "consistency_pp": 1.5,
}
"""Tolerances, stated once. ``up_to`` is satisfied by any move of the claimed direction up to the value plus
the ``exact`` tolerance. Override any key through ``verify_claims(..., tolerances={...})``."""

METRICS = ("price_change", "price_level", "market_cap_change", "market_cap_level", "liquidations", "breadth",
           "event_figure")
STATUSES = ("supported", "contradicted", "unverifiable", "inconsistent")


# ============================================================================================ data types
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

    def describe(self) -> str:
        """One line: subject, metric, claimed value with qualifier and window."""
        subj = ", ".join(self.subjects) or "crypto market"
        q = {"exact": "", "more_than": "more than ", "about": "about ", "nearly": "nearly ", "up_to": "up to "}
        if self.unit == "pct":
            v = f"{q[self.qualifier]}{abs(self.value):g} %" + (f" {self.direction}" if self.direction else "")
        else:
            v = f"{q[self.qualifier]}{_fmt_usd(self.value)}"
        w = f", window {self.window}" if self.window else ""
        return f"{subj}: {self.metric} {v}{w}"


@dataclass
class Evidence:
    """The data a verification may use, as loaded from the store by the caller (long frames, as stored).

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

    @property
    def claim_id(self) -> str:
        return self.claim.id


# ============================================================================================ lexicon
_MONTHS = {
    "januar": 1, "jan": 1, "january": 1, "februar": 2, "feb": 2, "february": 2, "märz": 3, "maerz": 3, "mär": 3,
    "march": 3, "mar": 3, "april": 4, "apr": 4, "mai": 5, "may": 5, "juni": 6, "jun": 6, "june": 6, "juli": 7,
    "jul": 7, "july": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "dezember": 12, "dez": 12, "december": 12, "dec": 12,
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMWORDS = {
    "ein": 1, "einem": 1, "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7,
    "acht": 8, "neun": 9, "zehn": 10, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10,
}
_NUMWORD_RE = "|".join(sorted(_NUMWORDS, key=len, reverse=True))

_NUM = r"\d{1,3}(?:[.,\u202f\u00a0]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_SCALES = {
    "milliarden": 1e9, "milliarde": 1e9, "mrd.": 1e9, "mrd": 1e9, "billion": 1e9, "billions": 1e9, "bn": 1e9,
    "b": 1e9, "millionen": 1e6, "million": 1e6, "millions": 1e6, "mio.": 1e6, "mio": 1e6, "mn": 1e6, "m": 1e6,
    "billionen": 1e12, "trillion": 1e12, "tn": 1e12, "bio.": 1e12, "tausend": 1e3, "thousand": 1e3,
}
_SCALE_RE = "|".join(re.escape(s) for s in sorted(_SCALES, key=len, reverse=True))
_PCT_UNITS = r"%|prozent|per\s?cent|percent|pct"
_CUR_UNITS = r"us-dollar|us-\$|us\$|dollar|usd|\$|euro|eur|€"
_MENTION = re.compile(
    rf"(?P<pre>US\$|\$|€)?\s?(?<![\w.,])(?P<num>{_NUM})(?!\d)"
    rf"(?:\s?(?P<scale>{_SCALE_RE})(?![a-zäöüß]))?"
    rf"(?:\s?(?P<unit>{_PCT_UNITS}|{_CUR_UNITS})(?![a-zäöüß]))?",
    re.IGNORECASE,
)
_QUALIFIERS = [
    ("more_than", r"mehr als|über|gut|more than|over|above|upwards of|in excess of|at least|mindestens"),
    ("nearly", r"fast|beinahe|nahezu|knapp|nearly|almost|close to|just under|knapp unter"),
    ("up_to", r"bis zu|up to|as much as"),
    ("about", r"etwa|rund|ca\.|circa|ungefähr|annähernd|about|around|approximately|roughly|some|an estimated"),
]
_QUAL_RE = [(q, re.compile(rf"(?:^|[\s(])(?:{p})\s*(?:US\$|\$|€)?\s*$", re.IGNORECASE)) for q, p in _QUALIFIERS]
_LEVEL_PREP = re.compile(r"(?:^|\s)(?:auf|to|at|bei)\s+(?:(?:\S+\s+){0,1})?(?:US\$|\$|€)?\s*$", re.IGNORECASE)

_DOWN = (r"fiel\w*|gefallen|fallen|fällt|sank\w*|gesunken|verlor\w*|eingebrochen|brach\w* ein|abgestürzt|"
         r"stürzte\w*|rutschte\w*|geschrumpft|schrumpfte\w*|rückgang|minus|nachgegeben|gab\w* nach|"
         r"schwächte\w*|fell|falls|falling|dropped|drops?|declined?|declines|lost|loses|slid|slumped|plunged?|"
         r"tumbled?|shrank|shrunk|crashed|down|lower|slumps?|plummet\w*|sheds?|shed|fall")
_UP = (r"stieg\w*|gestiegen|zulegte|legte\w* zu|zugelegt|kletterte\w*|geklettert|plus|rose|risen|rises|"
       r"gained|gains|jumped|surged|rallied|climbed|soared|up(?!\s+to)|higher|rebound\w*|recover\w*|bounced|"
       r"erholte\w*|erholt|zurückgewonnen")
_DIR_RE = re.compile(rf"\b(?:(?P<down>{_DOWN})|(?P<up>{_UP}))\b", re.IGNORECASE)

_WINDOWS = [
    ("24h", re.compile(r"(?:in den |innerhalb (?:der |von )?|binnen |in the |over the |within )?(?:letzten |"
                       r"vergangenen |last |past )?24\s?(?:stunden|hours|h\b)|24-hour|24-stunden", re.I)),
    ("1d", re.compile(r"an einem (?:einzigen )?tag|innerhalb (?:eines|von einem) tag(?:es)?|binnen eines tages|"
                      r"in a single day|in one day|in a day|single-day|on the day", re.I)),
    ("nd", re.compile(rf"(?:letzten|vergangenen|past|last|over|in|within|binnen|innerhalb von)\s+"
                      rf"(?P<n>{_NUMWORD_RE}|\d+)\s+(?P<td>handelstag\w*|trading days|sessions|"
                      rf"tage\w*|days)", re.I)),
    ("1w", re.compile(r"(?:vergangenen|letzten|dieser|past|last|this)\s+woche|(?:past|last|this) week", re.I)),
]
_INTRADAY = re.compile(r"zeitweise|zwischenzeitlich|intraday|at one point|im tagesverlauf|im tief", re.I)
_EARLIER = re.compile(r"\b(?:zuvor|vorher|davor|earlier|previously|before that)\b", re.I)
_GENERALLY = re.compile(r"im allgemeinen|generally|mostly|largely|überwiegend|\bmeist\w*|mehrheitlich|most of",
                        re.I)
_RESPECTIVELY = re.compile(r"\bbzw\.|beziehungsweise|respectively", re.I)
_LIQ = re.compile(r"liquidat", re.I)
_CAP = re.compile(r"marktkapitalisierung|börsenwert|marktwert|market cap|market capitali[sz]ation|mcap", re.I)
_EVENT = re.compile(r"investition|ausgaben|capex|investment|spending|umsatz|revenue|gewinn\b|profit|"
                    r"finanzbericht|guidance|prognose|budget", re.I)
_LIST_GAP = re.compile(r"^\s*(?:,|und|and|&|sowie|or|oder|as well as|,\s*und|,\s*and|,\s*sowie)\s*$", re.I)
_ABBREV = {"mrd", "mio", "bzw", "ca", "nr", "etc", "bio", "dr", "inc", "corp", "vs", "st", "mr", "ms", "z.b",
           "u.a", "d.h", "e.g", "i.e", "jan", "feb", "mär", "apr", "jun", "jul", "aug", "sep", "sept", "okt",
           "oct", "nov", "dez", "dec", "co", "ltd"}


# ============================================================================================ helpers
def _fmt_usd(v: float | None) -> str:
    if v is None:
        return "—"
    a = abs(v)
    for s, suf in ((1e12, " tn"), (1e9, " bn"), (1e6, " m")):
        if a >= s:
            return f"{v / s:,.2f}{suf} USD"
    return f"{v:,.2f} USD"


def _fmt_value(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    return f"{v:+.2f} %" if unit == "pct" else _fmt_usd(v)


def detect_language(text: str) -> str:
    """``"de"`` or ``"en"`` from function-word counts (umlauts count for German)."""
    words = re.findall(r"[a-zäöüß]+", text.lower())
    de = sum(w in {"der", "die", "das", "und", "ist", "um", "auf", "von", "mit", "nicht", "sich", "den", "des",
                   "im", "ein", "eine", "wurde", "sind", "fiel", "zu", "dass"} for w in words)
    en = sum(w in {"the", "and", "is", "of", "to", "in", "by", "with", "on", "fell", "was", "were", "that", "a",
                   "its", "over", "than", "from"} for w in words)
    de += len(re.findall(r"[äöüß]", text.lower()))
    return "de" if de > en else "en"


def _parse_number(s: str, lang: str) -> float:
    s = s.replace("\u202f", "").replace("\u00a0", "")
    for loc in (lang, "en" if lang == "de" else "de"):
        try:
            return float(parse_decimal(s, locale=loc))
        except NumberFormatError:
            continue
    raise ValueError(f"cannot parse number {s!r}")


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans: split after . ! ? before whitespace, not after abbreviations or ordinals ("6. Februar")."""
    spans, start = [], 0
    for m in re.finditer(r"[.!?](?=\s)|\n\s*\n|\n", text):
        end = m.end()
        if m.group().startswith("."):
            before = re.search(r"([\w.]+)\.$", text[start:end])
            word = before.group(1).lower() if before else ""
            if word.isdigit() or word in _ABBREV or re.fullmatch(r"[a-z]", word or "x"):
                continue
            nxt = text[end:end + 3].lstrip()
            if nxt[:1].islower():
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
            if _LIST_GAP.match(gap) or (gap.strip() in ("(", "") and e.id == prev.id):
                groups[-1].append(e)
                continue
        groups.append([e])
    return groups


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
    for m in _MENTION.finditer(seg):
        pre, unit = m.group("pre"), (m.group("unit") or "")
        if not pre and not unit:
            continue
        ul = unit.lower()
        if re.fullmatch(_PCT_UNITS, ul):
            u = "pct"
        elif pre == "€" or ul in ("euro", "eur", "€"):
            u = "EUR"
        else:
            u = "USD"
        v = _parse_number(m.group("num"), lang)
        if m.group("scale"):
            if u == "pct":
                continue
            v *= _SCALES[m.group("scale").lower()]
        start = a + m.start() + (0 if pre else (len(m.group()) - len(m.group().lstrip())))
        before = text[max(a, start - 40):start]
        qual, qstart = "exact", start
        for q, rx in _QUAL_RE:
            qm = rx.search(before)
            if qm:
                qual = q
                qstart = start - (len(before) - qm.start()) + (1 if qm.group()[:1].isspace() else 0)
                break
        lvl = bool(_LEVEL_PREP.search(text[max(a, qstart - 30):qstart] + " "))
        lvl = lvl or bool(re.search(r"(?:^|\s)(?:auf|to|at)\s*$", text[max(a, qstart - 8):qstart], re.I))
        out.append(_Mention(start, a + m.end(), qstart, v, u, qual, lvl))
    return out


def _direction(text: str, a: int, b: int, pos: int) -> str | None:
    best, dist = None, None
    for m in _DIR_RE.finditer(text, a, b):
        d = abs(m.start() - pos)
        if dist is None or d < dist:
            best, dist = ("down" if m.group("down") else "up"), d
    return best


def _window(text: str, a: int, b: int, sent_a: int, pos: int) -> tuple[str | None, str | None]:
    """Window phrase inside [a, b) (the claim's scope), else the nearest one before ``pos`` in the sentence."""
    def find(lo: int, hi: int) -> list[tuple[int, str, str]]:
        hits = []
        for w, rx in _WINDOWS:
            for m in rx.finditer(text, lo, hi):
                if w == "nd":
                    n = m.group("n").lower()
                    n = _NUMWORDS.get(n, None) or int(n)
                    w2 = f"{n}d" if n != 1 else "1d"
                    if m.group("td").lower().startswith(("handel", "trading", "session")):
                        w2 = f"{n}td"
                    hits.append((m.start(), w2, m.group()))
                else:
                    hits.append((m.start(), w, m.group()))
        return hits

    inside = find(a, b)
    if inside:
        s, w, t = min(inside, key=lambda h: abs(h[0] - pos))
        return w, t
    before = [h for h in find(sent_a, a) if h[0] < pos]
    if before:
        s, w, t = max(before)
        return w, t
    return None, None


def _dates(text: str, lang: str) -> list[tuple[int, int | None, int, int, str]]:
    """Explicit dates: (pos, year|None, month, day, text)."""
    out = []
    for m in re.finditer(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
        out.append((m.start(), int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group()))
    for m in re.finditer(rf"\b(\d{{1,2}})\.\s*({_MONTH_RE})\.?(?:\s+(\d{{4}}))?", text, re.I):
        out.append((m.start(), int(m.group(3)) if m.group(3) else None, _MONTHS[m.group(2).lower()],
                    int(m.group(1)), m.group()))
    for m in re.finditer(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", text, re.I):
        out.append((m.start(), int(m.group(3)) if m.group(3) else None, _MONTHS[m.group(1).lower()],
                    int(m.group(2)), m.group()))
    for m in re.finditer(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\b(?:\s+(\d{{4}}))?", text, re.I):
        out.append((m.start(), int(m.group(3)) if m.group(3) else None, _MONTHS[m.group(2).lower()],
                    int(m.group(1)), m.group()))
    return sorted(out)


def _resolve_date(year: int | None, month: int, day: int, ref: dt.date | None) -> dt.date | None:
    y = year or (ref.year if ref else None)
    if y is None:
        return None
    try:
        d = dt.date(y, month, day)
    except ValueError:
        return None
    if year is None and ref is not None and d > ref + dt.timedelta(days=1):
        d = dt.date(y - 1, month, day)
    return d


def _relative_date(sentence: str, d: dt.date | None) -> dt.date | None:
    if d is None:
        return None
    s = sentence.lower()
    if re.search(r"\bvorgestern\b|\bday before yesterday\b", s):
        return d - dt.timedelta(days=2)
    if re.search(r"\bgestern\b|\byesterday\b", s):
        return d - dt.timedelta(days=1)
    return None


# ============================================================================================ extraction
def extract_claims(text: str, universe: Universe, *, lang: str | None = None,
                   ref_date: dt.date | str | None = None) -> list[Claim]:
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

    Returns
    -------
    list of Claim

    Notes
    -----
    A number becomes a claim when it carries a unit (``%``, ``Prozent``, ``US-Dollar``, ``$``, ``Mrd.``...). Its
    subjects are the last group of recognised names before it in the sentence ("AMD und NVIDIA"). Several
    per-cent figures joined by "bzw."/"respectively" are paired with the group's names in order; one figure for
    several names is a breadth claim. A currency figure after "auf"/"to" is the level reached by the preceding
    change; before "Liquidationen"/"liquidations" a liquidation total; in a sentence about investment, capex or
    revenue an ``event_figure`` (not market data).
    """
    lang = lang or detect_language(text)
    ref = pd.Timestamp(ref_date).date() if ref_date is not None else None
    dates = _dates(text, lang)
    text_date = ref
    if dates:
        d0 = _resolve_date(dates[0][1], dates[0][2], dates[0][3], ref)
        text_date = d0 or ref
    entities = _find_entities(text, universe)
    raw: list[dict] = []
    for sa, sb in _sentences(text):
        sentence = text[sa:sb]
        s_dates = [d for d in dates if sa <= d[0] < sb]
        s_date = (_resolve_date(s_dates[0][1], s_dates[0][2], s_dates[0][3], ref or text_date) if s_dates
                  else _relative_date(sentence, text_date) or text_date)
        ments = _mentions(text, sa, sb, lang)
        if not ments:
            continue
        groups = _groups([e for e in entities if sa <= e.start < sb], text)
        clauses = [(sa + m.start(), sa + m.end()) for m in re.finditer(r"[^;]+", sentence)]
        earlier = bool(_EARLIER.search(sentence))
        generally = bool(_GENERALLY.search(sentence))
        intraday = bool(_INTRADAY.search(sentence))
        event_sentence = bool(_EVENT.search(sentence))
        # bind each mention to its group
        bound: list[tuple[_Mention, list[_Entity] | None, tuple[int, int]]] = []
        for mt in ments:
            ca, cb = next(((a, b) for a, b in clauses if a <= mt.start < b), (sa, sb))
            before = [g for g in groups if g[-1].end <= mt.qstart and g[0].start >= ca]
            if not before:
                before = [g for g in groups if g[-1].end <= mt.qstart]
            bound.append((mt, before[-1] if before else None, (ca, cb)))
        prev_change: dict | None = None
        i = 0
        while i < len(bound):
            mt, grp, (ca, cb) = bound[i]
            # per-cent figures sharing a group, joined by "bzw." / "respectively"
            run = [bound[i]]
            j = i + 1
            while (j < len(bound) and bound[j][1] is grp and grp is not None and bound[j][0].unit == mt.unit == "pct"
                   and _RESPECTIVELY.search(text[run[-1][0].end:bound[j][0].qstart + 1] + text[bound[j][0].end:cb])):
                run.append(bound[j])
                j += 1
            subj_ids = list(dict.fromkeys(e.id for e in grp)) if grp else []
            subj_kind = grp[0].kind if grp else "market"
            scope_a = grp[0].start if grp else ca
            nxt_groups = [g for g in groups if g[0].start > mt.end]
            scope_b = min(cb, nxt_groups[0][0].start if nxt_groups else cb)
            window, wtext = _window(text, scope_a, scope_b, sa, mt.start)
            common = dict(sentence=sentence, sentence_span=(sa, sb), date=s_date, lang=lang, earlier=earlier,
                          intraday=intraday, window=window, window_text=wtext)
            if mt.unit == "pct":
                punct = re.search(r"[,;:]\s", text[run[-1][0].end:cb])
                dir_end = run[-1][0].end + punct.start() if punct else cb
                dir_start = max(ca, grp[0].start - 40) if grp else ca
                direction = _direction(text, dir_start, dir_end, mt.start)
                sign = -1.0 if direction == "down" else 1.0
                # cap words may stand before the subject ("Die Marktkapitalisierung von TAO sank …") or after the
                # figure ("… to $1.2 billion market cap"): search the whole clause
                tail_end = min(cb, sb, run[-1][0].end + 40)
                is_cap = bool(_CAP.search(text[dir_start:mt.start]) or _CAP.search(text[run[-1][0].end:tail_end])) \
                    or subj_kind == "sector"
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
                    share = TOLERANCES["breadth_generally_share"] if generally else TOLERANCES["breadth_all_share"]
                raw.append(dict(common, span=(mt.qstart, mt.end), subjects=tuple(subj_ids), subject_kind=subj_kind
                                if subj_ids else "market", metric=metric, direction=direction, value=sign * mt.value,
                                unit="pct", qualifier=mt.qualifier, kind="market", share=share))
                prev_change = raw[-1]
            else:
                after = text[mt.end:min(cb, mt.end + 60)]
                if _LIQ.search(after) or (_LIQ.search(text[ca:cb]) and not mt.level_prep):
                    raw.append(dict(common, span=(mt.qstart, mt.end), subjects=(), subject_kind="market",
                                    metric="liquidations", direction=None, value=mt.value, unit=mt.unit,
                                    qualifier=mt.qualifier, kind="market",
                                    _link=prev_change))
                elif mt.level_prep and prev_change is not None and prev_change["metric"] != "breadth":
                    metric = "market_cap_level" if prev_change["metric"] == "market_cap_change" else "price_level"
                    raw.append(dict(common, span=(mt.qstart, mt.end), subjects=prev_change["subjects"],
                                    subject_kind=prev_change["subject_kind"], metric=metric, direction=None,
                                    value=mt.value, unit=mt.unit, qualifier=mt.qualifier, kind="market",
                                    window=prev_change["window"], window_text=prev_change["window_text"],
                                    _link=prev_change))
                elif event_sentence:
                    raw.append(dict(common, span=(mt.qstart, mt.end), subjects=tuple(subj_ids),
                                    subject_kind=subj_kind if subj_ids else "market", metric="event_figure",
                                    direction=None, value=mt.value, unit=mt.unit, qualifier=mt.qualifier,
                                    kind="event_figure"))
                elif subj_ids:
                    is_cap = bool(_CAP.search(text[max(ca, (grp[0].start - 40) if grp else ca):min(cb, sb, mt.end + 40)])) \
                        or subj_kind == "sector"
                    raw.append(dict(common, span=(mt.qstart, mt.end), subjects=tuple(subj_ids),
                                    subject_kind=subj_kind, metric="market_cap_level" if is_cap else "price_level",
                                    direction=None, value=mt.value, unit=mt.unit, qualifier=mt.qualifier,
                                    kind="market"))
            i += 1
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


# ============================================================================================ verification
def fetch_command(assets: Iterable[str], since: dt.date, until: dt.date) -> str:
    """The ``selloff fetch`` command that would load ``assets`` for ``[since, until]``."""
    ids = ",".join(dict.fromkeys(assets)) or "BTC"
    return f"selloff fetch --assets {ids} --since {since.isoformat()} --until {until.isoformat()}"


def _split_sources(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    if frame is None or frame.empty or "source" not in frame.columns:
        empty = frame if frame is not None else pd.DataFrame()
        return empty, empty
    sim = frame["source"] == SIMULATED
    return frame[~sim], frame[sim]


def _window_rows(frame: pd.DataFrame, key: str, ids: Iterable[str] | None, t0: pd.Timestamp,
                 t1: pd.Timestamp) -> pd.DataFrame:
    if frame.empty:
        return frame
    f = frame
    if ids is not None and key in f.columns:
        f = f[f[key].isin(list(ids))]
    ts = pd.to_datetime(f["ts"], utc=True)
    return f[(ts >= t0) & (ts <= t1)]


def _pick_source(frame: pd.DataFrame, priority: tuple[str, ...]) -> pd.DataFrame:
    """Rows of the best-ranked source present (priority order, then alphabetical)."""
    if frame.empty:
        return frame
    present = sorted(frame["source"].unique(), key=lambda s: (priority.index(s) if s in priority else len(priority), s))
    return frame[frame["source"] == present[0]]


def _qual_rule(c: Claim, tol: dict[str, float]) -> str:
    m = abs(c.value)
    if c.unit == "pct":
        return {
            "exact": f"exact: |move − {m:g}| ≤ {tol['pct_exact_pp']:g} pp",
            "about": f"about: |move − {m:g}| ≤ {tol['pct_about_pp']:g} pp",
            "more_than": f"more than: move ≥ {m - tol['pct_more_than_pp']:g} %",
            "nearly": f"nearly: {m - tol['pct_nearly_pp']:g} ≤ move ≤ {m + tol['pct_exact_pp']:g} %",
            "up_to": f"up to: 0 ≤ move ≤ {m + tol['pct_exact_pp']:g} %",
        }[c.qualifier] + (f" ({c.direction})" if c.direction else " (size of the move)")
    return {
        "exact": f"exact: within ±{tol['level_exact_rel']:.0%} of {_fmt_usd(m)}",
        "about": f"about: within ±{tol['level_about_rel']:.0%} of {_fmt_usd(m)}",
        "more_than": f"more than: ≥ {_fmt_usd(m * (1 - tol['level_more_than_rel']))}",
        "nearly": f"nearly: between {_fmt_usd(m * (1 - tol['level_nearly_rel']))} and "
                  f"{_fmt_usd(m * (1 + tol['level_exact_rel']))}",
        "up_to": f"up to: ≤ {_fmt_usd(m * (1 + tol['level_exact_rel']))}",
    }[c.qualifier]


def _satisfies_pct(c: Claim, actual: float, tol: dict[str, float]) -> bool:
    m = abs(c.value)
    f = -actual if c.direction == "down" else actual if c.direction == "up" else abs(actual)
    q = c.qualifier
    if q == "exact":
        return abs(f - m) <= tol["pct_exact_pp"]
    if q == "about":
        return abs(f - m) <= tol["pct_about_pp"]
    if q == "more_than":
        return f >= m - tol["pct_more_than_pp"]
    if q == "nearly":
        return m - tol["pct_nearly_pp"] <= f <= m + tol["pct_exact_pp"]
    return 0 <= f <= m + tol["pct_exact_pp"]  # up_to


def _satisfies_level(c: Claim, actual: float, tol: dict[str, float]) -> bool:
    m, q = abs(c.value), c.qualifier
    if q == "exact":
        return abs(actual / m - 1) <= tol["level_exact_rel"]
    if q == "about":
        return abs(actual / m - 1) <= tol["level_about_rel"]
    if q == "more_than":
        return actual >= m * (1 - tol["level_more_than_rel"])
    if q == "nearly":
        return m * (1 - tol["level_nearly_rel"]) <= actual <= m * (1 + tol["level_exact_rel"])
    return actual <= m * (1 + tol["level_exact_rel"])


def _day_ts(d: dt.date, days: int = 0) -> pd.Timestamp:
    return pd.Timestamp(d + dt.timedelta(days=days)).tz_localize("UTC")


def _pub_end(ev: Evidence, d: dt.date) -> tuple[pd.Timestamp, str]:
    if ev.published_at is not None:
        t = pd.Timestamp(ev.published_at)
        t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
        return t, f"ending at publication {t:%Y-%m-%d %H:%M} UTC"
    return _day_ts(d, 1), "ending 00:00 UTC after the claim's day (publication time unknown)"


def _n_of(window: str | None) -> int | None:
    if window is None:
        return None
    if window == "1w":
        return 5
    m = re.fullmatch(r"(\d+)t?d", window)
    return int(m.group(1)) if m and int(m.group(1)) > 1 else None


def _asset_readings(ev: Evidence, bars: pd.DataFrame, asset: str, c: Claim, d: dt.date,
                    level: bool = False) -> tuple[list[Reading], list[str]]:
    """All readings of ``c``'s window for one asset, and the names the text's words select."""
    equity = ev.universe.assets[asset].kind != "token" if asset in ev.universe.assets else False
    prev = d - dt.timedelta(days=1)
    pub, pub_desc = _pub_end(ev, d)
    rs: list[Reading] = []
    n = _n_of(c.window)
    if equity:
        rs.append(M.close_to_close_day(bars, d, equity=True, name="session"))
        rs.append(M.close_to_close_day(bars, prev, equity=True, name="session_prev"))
        rs.append(M.intraday_low_change(bars, d, equity=True, name="intraday_low"))
        rs.append(M.trading_days_change(bars, d, n or 5))
        # news published during day D usually counts the sessions that had closed: those ending on D-1
        rs.append(M.trading_days_change(bars, prev, n or 5, name=f"trading_days_{n or 5}_prev"))
        if c.window in (None, "1d", "24h"):
            sel = ["session", "session_prev"]
        else:
            sel = [f"trading_days_{n or 5}", f"trading_days_{n or 5}_prev"]
    else:
        rs.append(M.close_to_close_day(bars, d, name="utc_day"))
        rs.append(M.close_to_close_day(bars, prev, name="utc_day_prev"))
        r24 = M.rolling_24h_change(bars, pub)
        rs.append(replace(r24, description=f"{r24.description} ({pub_desc})"))
        rs.append(M.intraday_low_change(bars, d, name="intraday_low"))
        rs.append(M.intraday_low_change(bars, prev, name="intraday_low_prev"))
        if n:
            days = 7 if c.window == "1w" else n
            rs.append(M.calendar_days_change(bars, d, days, name=f"calendar_days_{days}"))
            rs.append(M.calendar_days_change(bars, prev, days, name=f"calendar_days_{days}_prev"))
            sel = [f"calendar_days_{days}", f"calendar_days_{days}_prev"]
        elif c.window == "24h":
            sel = ["rolling_24h"]
        elif c.window == "1d":
            sel = ["utc_day", "utc_day_prev"]
        else:
            sel = ["utc_day", "utc_day_prev", "rolling_24h"]
        if c.intraday:
            sel = ["intraday_low", "intraday_low_prev"]
        if c.earlier and c.window in (None, "1d"):
            prior = [M.close_to_close_day(bars, d - dt.timedelta(days=k)) for k in range(2, 8)]
            ok = [r for r in prior if r.value is not None]
            if ok:
                w = min(ok, key=lambda r: r.value)
                rs.append(replace(w, name="worst_day_prior_7d",
                                  description=f"worst UTC day of the 6 days before: {w.description}"))
            else:
                rs.append(Reading("worst_day_prior_7d", None, "pct", "worst UTC day of the 6 days before",
                                  reason="no daily closes in the 6 days before"))
            sel.append("worst_day_prior_7d")
    if level:
        lv: list[Reading] = []
        lsel: list[str] = []
        for r in rs:
            if r.name in sel and r.value is not None:
                lv.append(Reading(f"level_{r.name}", r.p1, "USD", f"price at the end of: {r.description}",
                                  end=r.end, p1=r.p1, source=r.source))
                lsel.append(f"level_{r.name}")
        for r in rs:
            if r.name.startswith("intraday_low") and r.value is not None:
                lv.append(Reading(f"level_{r.name}", r.p1, "USD", f"low of: {r.description}", end=r.end,
                                  p1=r.p1, source=r.source))
                if c.window in (None, "1d") or c.intraday:
                    lsel.append(f"level_{r.name}")
        if not lv:
            lv.append(Reading("level", None, "USD", "price at the end of the selected window",
                              reason="; ".join(sorted({r.reason for r in rs if r.reason}))[:300] or "no data"))
            lsel = ["level"]
        return lv, lsel
    return rs, sel


def _span_dates(c: Claim) -> tuple[dt.date, dt.date]:
    d = c.date
    back = 8 if c.earlier else (_n_of(c.window) or 1) * 2 + 4
    return d - dt.timedelta(days=back), d + dt.timedelta(days=1)


def _decide(c: Claim, readings: list[Reading], sel: list[str], tol: dict[str, float], check) -> tuple[str, Reading | None, str]:
    avail = [r for name in sel for r in readings if r.name == name and r.value is not None]
    if not avail:
        reasons = sorted({r.reason for r in readings if r.name in sel and r.reason})
        return "unverifiable", None, "; ".join(reasons) or "no data for the selected readings"
    for r in avail:
        if check(r.value):
            others = [x.name for x in avail if x is not r and not check(x.value)]
            note = f" (not by {', '.join(others)})" if others else ""
            return "supported", r, f"supported by {r.name}{note}"
    alt = [r.name for r in readings if r.name not in sel and r.value is not None and check(r.value)]
    note = f"; a reading the text does not select would fit: {', '.join(alt)}" if alt else ""
    closest = min(avail, key=lambda r: abs(r.value - c.value))
    return "contradicted", closest, f"no selected reading fits ({', '.join(f'{r.name} {r.value:+.2f}' for r in avail)}){note}"


def _fetch_range(c: Claim, equity: bool = False) -> tuple[dt.date, dt.date]:
    """Days a fetch must cover: every reading needs the close before its first day, and the D-1 readings are
    computed too, so a 1-day window starts two days before ``D``; n UTC days n + 2 days; n trading days a week
    per five sessions plus four days for weekends/holidays; "earlier" claims a week back."""
    n = _n_of(c.window) or 1
    if c.earlier:
        back = 8
    elif n == 1:
        back = 2
    else:
        back = (n * 7) // 5 + 4 if equity else n + 2
    return c.date - dt.timedelta(days=back), c.date + dt.timedelta(days=1)


def _unverifiable(c: Claim, missing: list[str], reason: str, ids: Iterable[str], tol: dict[str, float],
                  equity: bool = False) -> Verdict:
    since, until = _fetch_range(c, equity) if c.date else (None, None)
    cmd = fetch_command(ids, since, until) if c.date else None
    return Verdict(claim=c, status="unverifiable", reason=reason, missing=tuple(missing), fetch=cmd,
                   tolerance=_qual_rule(c, tol))


def _readings_from(ev: Evidence, real: pd.DataFrame, asset: str, c: Claim, level: bool = False) -> tuple[list[Reading], list[str]]:
    """Readings of one asset from its real bars: the best source that reaches the window's end for the regular
    bars, plus provider-snapshot readings (CoinGecko morning snapshots) where stored."""
    snap = real[real["interval"] == "snapshot"] if "interval" in real.columns else real.iloc[0:0]
    regular = real.drop(snap.index)
    bars = select_series(regular, list(ev.source_priority), keys=("asset",)) if not regular.empty else regular
    readings, sel = _asset_readings(ev, bars, asset, c, c.date, level=level)
    if not snap.empty and not level:
        snap = select_series(snap, list(ev.source_priority), keys=("asset",))
        sr = [M.snapshot_change(snap, c.date), M.snapshot_change(snap, c.date + dt.timedelta(days=1), name="snapshot_24h_next")]
        readings = [*readings, *sr]
        # the morning snapshot of the next day closes the 24 h the text may mean; it is a reading the words select
        # for "24 hours", and the only one when the store has no regular bars for those days
        if c.window == "24h" or regular.empty:
            sel = [*([x for x in sel if any(r.name == x and r.value is not None for r in readings)]), "snapshot_24h", "snapshot_24h_next"]
    return readings, sel


def _verify_asset(c: Claim, ev: Evidence, tol: dict[str, float], frames: dict) -> Verdict:
    level = c.metric == "price_level"
    asset = c.subjects[0]
    eq = ev.universe.assets[asset].kind != "token" if asset in ev.universe.assets else False
    if c.unit == "EUR":
        return _unverifiable(c, [], "figure in EUR; the store holds USD prices", [asset], tol)
    lo, hi = _span_dates(c)
    t0, t1 = _day_ts(lo), _day_ts(hi, 1)
    real = _window_rows(frames["bars"][0], "asset", [asset], t0, t1)
    sim = _window_rows(frames["bars"][1], "asset", [asset], t0, t1)
    if real.empty:
        why = "only simulated data for these days" if not sim.empty else f"no bars for {asset} {lo}..{hi}"
        return _unverifiable(c, [f"bars {asset} {lo}..{hi}"], why, [asset], tol, eq)
    readings, sel = _readings_from(ev, real, asset, c, level)
    check = (lambda v: _satisfies_level(c, v, tol)) if level else (lambda v: _satisfies_pct(c, v, tol))
    status, used, why = _decide(c, readings, sel, tol, check)
    if status == "unverifiable":
        return replace(_unverifiable(c, [f"bars {asset} for the selected readings"], why, [asset], tol, eq),
                       readings=tuple(readings), selected=tuple(sel))
    return Verdict(claim=c, status=status, readings=tuple(readings), selected=tuple(sel), used=used,
                   data_value=used.value, window=used.description, measure=_measure_name(used),
                   tolerance=_qual_rule(c, tol), reason=f"{asset}: {_fmt_value(used.value, used.unit)} — {why}")


def _measure_name(r: Reading) -> str:
    n = r.name
    for key, txt in (("level_intraday", "intraday low price"), ("level", "price level"),
                     ("intraday_low", "previous close → intraday low"), ("rolling_24h", "rolling 24 h change"),
                     ("trading_days", "close-to-close over NYSE trading days"),
                     ("calendar_days", "close-to-close over UTC days"), ("worst_day", "worst single UTC day"),
                     ("utc_day", "close-to-close UTC day"), ("session", "close-to-close NYSE session"),
                     ("members_sum", "sum of member market caps"), ("category_reported", "provider-reported 24 h change"),
                     ("category", "provider category market cap"), ("liq", "liquidation total")):
        if n.startswith(key):
            return txt
    return n


def _verify_breadth(c: Claim, ev: Evidence, tol: dict[str, float], frames: dict) -> Verdict:
    lo, hi = _span_dates(c)
    t0, t1 = _day_ts(lo), _day_ts(hi, 1)
    sims, nodata = [], []
    chosen: dict[str, list[Reading]] = {}
    all_readings: list[Reading] = []
    sel_all: list[str] = []
    for a in c.subjects:
        real = _window_rows(frames["bars"][0], "asset", [a], t0, t1)
        if real.empty:
            (sims if not _window_rows(frames["bars"][1], "asset", [a], t0, t1).empty else nodata).append(a)
            continue
        rs, sel = _readings_from(ev, real, a, c)
        # each asset is judged on the readings the text's words select for it (its data may differ in kind)
        chosen[a] = [r for r in rs if r.name in sel and r.value is not None]
        all_readings += [replace(r, name=f"{a}:{r.name}") for r in rs]
        sel_all += [f"{a}:{n}" for n in sel]
    need = c.share if c.share is not None else TOLERANCES["breadth_all_share"]
    total = len(c.subjects)
    if not chosen:
        why = "only simulated data for these days" if sims and not nodata else f"no bars for {', '.join(nodata or sims)}"
        return _unverifiable(c, [f"bars {a}" for a in c.subjects], why, c.subjects, tol)
    rule = f"{_qual_rule(c, tol)} for at least {need:.0%} of {total} named assets"
    fits = {a: next((r for r in rs if _satisfies_pct(c, r.value, tol)), None) for a, rs in chosen.items()}
    ok = sum(1 for r in fits.values() if r is not None)
    unknown = total - sum(1 for rs in chosen.values() if rs)
    closest = {a: (fits[a] or min(rs, key=lambda r: abs(r.value - c.value))) for a, rs in chosen.items() if rs}
    detail = ", ".join(f"{a} {r.value:+.1f} % ({r.name})" for a, r in closest.items())
    used = Reading("breadth", 100.0 * ok / total, "pct", "share of named assets satisfying the claimed move")
    if ok / total >= need - 1e-9:
        return Verdict(claim=c, status="supported", readings=tuple(all_readings), selected=tuple(sel_all), used=used,
                       data_value=used.value, window="per asset: its selected readings", measure="breadth (share satisfying the move)",
                       tolerance=rule, reason=f"{ok}/{total} satisfy: {detail}")
    if (ok + unknown) / total >= need - 1e-9:
        missing = [a for a in c.subjects if not chosen.get(a)]
        return replace(_unverifiable(c, [f"bars {a}" for a in missing], f"{ok}/{total} satisfy ({detail}); "
                                     f"{unknown} without data could decide it", missing or c.subjects, tol),
                       readings=tuple(all_readings), selected=tuple(sel_all))
    return Verdict(claim=c, status="contradicted", readings=tuple(all_readings), selected=tuple(sel_all), used=used,
                   data_value=used.value, window="per asset: its selected readings", measure="breadth (share satisfying the move)",
                   tolerance=rule, reason=f"only {ok}/{total} satisfy on their selected readings ({detail})")


def _sector_windows(c: Claim, ev: Evidence) -> tuple[list[tuple[str, pd.Timestamp, pd.Timestamp, str]], list[str]]:
    d = c.date
    pub, pub_desc = _pub_end(ev, d)
    wins = [("24h", pub - pd.Timedelta("24h"), pub, f"rolling 24 h {pub_desc}"),
            ("utc_day", _day_ts(d), _day_ts(d, 1), f"UTC day {d}"),
            ("utc_day_prev", _day_ts(d, -1), _day_ts(d), f"UTC day {d - dt.timedelta(days=1)}")]
    n = _n_of(c.window)
    if n:
        days = 7 if c.window == "1w" else n
        wins.append((f"{days}d", _day_ts(d, 1 - days), _day_ts(d, 1), f"{days} UTC days to {d}"))
        return wins, [f"{days}d"]
    if c.window == "24h":
        return wins, ["24h"]
    if c.window == "1d":
        return wins, ["utc_day", "utc_day_prev"]
    return wins, ["24h", "utc_day", "utc_day_prev"]


def _category_series(ev: Evidence, cat: str | None, frames: dict) -> pd.DataFrame:
    real = frames["category_caps"][0]
    if cat is None or real.empty:
        return real.iloc[0:0] if not real.empty else real
    f = real[real["category"] == cat]
    return _pick_source(f, ev.source_priority).sort_values("ts") if not f.empty else f


def _cat_at(f: pd.DataFrame, t: pd.Timestamp, col: str = "market_cap_usd") -> float | None:
    if f.empty:
        return None
    ts = pd.to_datetime(f["ts"], utc=True)
    ok = f[(ts <= t) & (ts >= t - pd.Timedelta("2h"))]
    return float(ok[col].iloc[-1]) if len(ok) and pd.notna(ok[col].iloc[-1]) else None


def _verify_sector(c: Claim, ev: Evidence, tol: dict[str, float], frames: dict) -> Verdict:
    sid = c.subjects[0]
    sector = ev.universe.sectors[sid] if c.subject_kind == "sector" else None
    members = list(sector.members) if sector else list(c.subjects)
    cat = sector.coingecko_category if sector else None
    lo, hi = _span_dates(c)
    t0, t1 = _day_ts(lo), _day_ts(hi, 1)
    real = _window_rows(frames["market_caps"][0], "asset", members, t0, t1)
    sim = _window_rows(frames["market_caps"][1], "asset", members, t0, t1)
    caps = pd.concat([_pick_source(g, ev.source_priority) for _, g in real.groupby("asset")]) if not real.empty else real
    catf = _category_series(ev, cat, frames)
    wins, sel = _sector_windows(c, ev)
    level = c.metric == "market_cap_level"
    readings: list[Reading] = []
    changes: dict[str, M.SectorCapChange] = {}
    for name, a, b, desc in wins:
        if not caps.empty:
            sc = M.sector_cap_change(caps, members, a, b)
            changes[name] = sc
            miss = f"; members without data: {', '.join(sc.missing)}" if sc.missing else ""
            if level:
                readings.append(Reading(f"members_sum_{name}", sc.end_usd, "USD", f"sum of member caps at end of {desc}{miss}",
                                        a, b, sc.start_usd, sc.end_usd, None if sc.end_usd else "no member snapshots"))
            else:
                readings.append(Reading(f"members_sum_{name}", sc.change_pct, "pct", f"{desc}{miss}", a, b, sc.start_usd,
                                        sc.end_usd, None if sc.change_pct is not None else "no member snapshots at both ends"))
        if not catf.empty:
            c0, c1 = _cat_at(catf, a), _cat_at(catf, b)
            if level:
                readings.append(Reading(f"category_{name}", c1, "USD", f"provider category '{cat}' cap at end of {desc}",
                                        a, b, c0, c1, None if c1 else "no category snapshot"))
            else:
                readings.append(Reading(f"category_{name}", M.pct_change(c0, c1), "pct", f"provider category '{cat}': {desc}",
                                        a, b, c0, c1, None if c0 and c1 else "no category snapshot at both ends"))
                if name == "24h":
                    rep = _cat_at(catf, b, "market_cap_change_24h_pct") if "market_cap_change_24h_pct" in catf else None
                    readings.append(Reading("category_reported_24h", rep, "pct",
                                            f"provider-reported 24 h change of '{cat}' at {b:%Y-%m-%d %H:%M} UTC",
                                            end=b, reason=None if rep is not None else "no provider-reported change"))
    wanted = [f"{p}_{s}" for s in sel for p in ("members_sum", "category")]
    wanted += ["category_reported_24h"] if "24h" in sel else []
    present = {r.name for r in readings}
    sel_names = [n for n in wanted if n in present]
    if not readings:
        why = ("only simulated data for these days" if not sim.empty
               else f"no market caps for {', '.join(members)} {lo}..{hi}")
        return _unverifiable(c, [f"market_caps {', '.join(members)}"], why, members, tol)
    check = (lambda v: _satisfies_level(c, v, tol)) if level else (lambda v: _satisfies_pct(c, v, tol))
    status, used, why = _decide(c, readings, sel_names, tol, check)
    conflicts_reason = ""
    if not level and c.direction == "down":
        # the bound: a cap-weighted sum cannot fall more than its worst member
        for s in sel:
            sc = changes.get(s)
            if sc is None or sc.worst_member is None or sc.missing:
                continue
            wa, wv = sc.worst_member
            lower = abs(c.value) - (tol["pct_about_pp"] if c.qualifier in ("about", "nearly") else 0.0)
            if lower > -wv + tol["consistency_pp"]:
                conflicts_reason = (f"inconsistent: the claim needs the sector to fall at least {lower:g} %, but its "
                                    f"worst member {wa} fell {-wv:.1f} % ({s}); a cap-weighted sum cannot fall more than "
                                    f"its worst member — only possible if the membership changed or the source is "
                                    f"inconsistent")
                break
    if status == "unverifiable" and not conflicts_reason:
        return replace(_unverifiable(c, [f"market_caps {sid}"], why, members, tol), readings=tuple(readings),
                       selected=tuple(sel_names))
    final = "inconsistent" if conflicts_reason and status != "contradicted" else status
    reason = conflicts_reason + ("; " if conflicts_reason else "") + (
        f"{_fmt_value(used.value, used.unit)} — {why}" if used is not None else why)
    return Verdict(claim=c, status=final, readings=tuple(readings), selected=tuple(sel_names), used=used,
                   data_value=used.value if used else None, window=used.description if used else "",
                   measure=_measure_name(used) if used else "", tolerance=_qual_rule(c, tol), reason=reason)


def _verify_liquidations(c: Claim, ev: Evidence, tol: dict[str, float], frames: dict) -> Verdict:
    d = c.date
    lo, hi = _span_dates(c)
    real = _window_rows(frames["derivatives"][0], "asset", None, _day_ts(lo), _day_ts(hi, 1))
    sim = _window_rows(frames["derivatives"][1], "asset", None, _day_ts(lo), _day_ts(hi, 1))
    # funding and open-interest rows share the table: only rows that carry liquidations can answer this claim
    liq_cols = [k for k in ("liq_long_usd", "liq_short_usd") if k in real.columns]
    if not real.empty and liq_cols:
        real = real[real[liq_cols].notna().any(axis=1)]
    if not sim.empty and liq_cols:
        sim = sim[sim[liq_cols].notna().any(axis=1)]
    ids = c.subjects or ("BTC", "ETH")
    if real.empty:
        why = "only simulated data for these days" if not sim.empty else f"no liquidation data {lo}..{hi}"
        return _unverifiable(c, [f"derivatives (liquidations) {lo}..{hi}"], why, ids, tol)
    real = pd.concat([_pick_source(g, ev.source_priority) for _, g in real.groupby("asset")])
    pub, pub_desc = _pub_end(ev, d)
    wins = [("liq_utc_day", _day_ts(d), _day_ts(d, 1), f"UTC day {d}"),
            ("liq_utc_day_prev", _day_ts(d, -1), _day_ts(d), f"UTC day {d - dt.timedelta(days=1)}"),
            ("liq_24h", pub - pd.Timedelta("24h"), pub, f"rolling 24 h {pub_desc}")]
    if c.earlier:
        wins += [(f"liq_utc_day_minus{k}", _day_ts(d, -k), _day_ts(d, -k + 1), f"UTC day {d - dt.timedelta(days=k)}")
                 for k in range(2, 8)]
    readings, partial = [], {}
    for name, a, b, desc in wins:
        lt = M.liquidation_total(real, a, b, assets=list(c.subjects) or None)
        partial[name] = lt.partial
        cov = f"; coverage: {'; '.join(lt.coverage)}" if lt.coverage else ""
        readings.append(Reading(name, lt.total_usd, "USD", f"liquidations (long+short) {desc}, "
                                f"{len(lt.assets)} assets{cov}", a, b, p1=lt.total_usd,
                                reason=None if lt.total_usd is not None else "no liquidation rows in the window"))
    sel = {"24h": ["liq_24h"]}.get(c.window or "", ["liq_utc_day", "liq_utc_day_prev"])
    if c.earlier:
        sel += [n for n, *_ in wins if n.startswith("liq_utc_day_minus")]
    check = lambda v: _satisfies_level(c, v, tol)  # noqa: E731
    status, used, why = _decide(c, readings, sel, tol, check)
    if used is not None and partial.get(used.name):
        lower = used.value
        if status == "contradicted" and lower < abs(c.value):
            status, why = "unverifiable", (f"partial coverage: {_fmt_usd(lower)} is only a lower bound; "
                                           "the full total cannot be checked")
        elif status == "supported" and c.qualifier != "more_than":
            status, why = "unverifiable", f"partial coverage: lower bound {_fmt_usd(lower)} fits, the full total is unknown"
    if status == "unverifiable":
        return replace(_unverifiable(c, ["full-coverage liquidation data"], why, ids, tol), readings=tuple(readings),
                       selected=tuple(sel), used=used, data_value=used.value if used else None)
    return Verdict(claim=c, status=status, readings=tuple(readings), selected=tuple(sel), used=used,
                   data_value=used.value, window=used.description, measure="liquidation total (long + short)",
                   tolerance=_qual_rule(c, tol), reason=f"{_fmt_usd(used.value)} — {why}")


def _verify_event(c: Claim, ev: Evidence, tol: dict[str, float], frames: dict) -> Verdict:
    real, sim = frames["events"]
    note = ""
    if c.date is not None and not real.empty:
        ts = pd.to_datetime(real["ts"], utc=True)
        near = real[(ts >= _day_ts(c.date, -14)) & (ts <= _day_ts(c.date, 1))]
        hits = near[near["assets"].fillna("").apply(lambda s: any(a in s.split(",") for a in c.subjects))] \
            if "assets" in near else near.iloc[0:0]
        if not hits.empty:
            note = "; on record: " + " | ".join(f"{r.ts:%Y-%m-%d} {r.headline}" for r in hits.head(3).itertuples())
    return Verdict(claim=c, status="unverifiable", reason=("a company figure (investment/capex guidance), not market "
                   "data: check the company's report" + note), missing=("company filings / earnings reports",),
                   tolerance=_qual_rule(c, tol))


def _text_consistency(claims: list[Claim], universe: Universe, tol: dict[str, float]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Claims that contradict each other inside the text: id -> (reason, conflicting ids)."""
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    ch = [c for c in claims if c.metric == "price_change" and c.qualifier in ("exact", "about")]
    for i, a in enumerate(ch):
        for b in ch[i + 1:]:
            if a.subjects == b.subjects and a.window == b.window and a.date == b.date and \
                    abs(a.value - b.value) > 2 * tol["pct_exact_pp"]:
                r = f"states {a.subjects[0]} moved {a.value:+g} % and {b.value:+g} % over the same window"
                out[a.id] = (r, (b.id,))
                out[b.id] = (r, (a.id,))
    # sector claim vs the text's own member figures (upper bounds only from exact/about member claims)
    for s in (c for c in claims if c.metric == "market_cap_change" and c.subject_kind == "sector" and c.direction == "down"):
        members = set(universe.sectors[s.subjects[0]].members) if s.subjects[0] in universe.sectors else set()
        mem = [c for c in claims if c.metric == "price_change" and c.subjects and c.subjects[0] in members
               and c.date == s.date and c.direction == "down"]
        if not mem:
            continue
        worst = min(mem, key=lambda c: c.value)
        lower = abs(s.value)
        if lower > abs(worst.value) + tol["consistency_pp"]:
            named = ", ".join(sorted({c.subjects[0] for c in mem}))
            r = (f"implausible within the text: the sector falls more than {lower:g} % while the members it names "
                 f"({named}) fell at most {abs(worst.value):g} %; a cap-weighted sum cannot fall more than its worst "
                 f"member, so the unnamed members would have to fall far more — check whether the sector's "
                 f"constituent list changed")
            out.setdefault(s.id, (r, tuple(c.id for c in mem)))
    return out


def verify_claims(claims: list[Claim], evidence: Evidence, *, tolerances: dict[str, float] | None = None) -> list[Verdict]:
    """Verify every claim against the non-simulated data in ``evidence``.

    Parameters
    ----------
    claims : list of Claim
        From :func:`extract_claims`.
    evidence : Evidence
        Frames loaded by the caller; simulated rows are set aside and never used.
    tolerances : dict, optional
        Overrides for :data:`TOLERANCES`.

    Returns
    -------
    list of Verdict
        One per claim, same order.

    Notes
    -----
    Each claim is measured under every reading of its window; the readings its words select decide (any
    selected reading within tolerance → supported; none → contradicted, quoting the first selected reading).
    ``inconsistent`` marks claims that break an arithmetic bound (a sector's cap cannot fall more than its worst
    member over the same window, checked on member data) or contradict another claim of the text; it does not
    override ``contradicted``. A claim without a date, or whose data is missing or simulated only, is
    ``unverifiable`` with the fetch command that would load the data.
    """
    tol = {**TOLERANCES, **(tolerances or {})}
    frames = {k: _split_sources(getattr(evidence, k)) for k in
              ("bars", "market_caps", "derivatives", "events", "category_caps")}
    text_conf = _text_consistency(claims, evidence.universe, tol)
    out = []
    for c in claims:
        if c.kind == "event_figure":
            v = _verify_event(c, evidence, tol, frames)
        elif c.date is None:
            v = Verdict(claim=c, status="unverifiable", reason="no date for the claim: pass --date (publication date)",
                        missing=("date",), tolerance=_qual_rule(c, tol))
        elif c.metric in ("price_change", "price_level"):
            v = _verify_asset(c, evidence, tol, frames)
        elif c.metric == "breadth":
            v = _verify_breadth(c, evidence, tol, frames)
        elif c.metric in ("market_cap_change", "market_cap_level"):
            v = _verify_sector(c, evidence, tol, frames)
        elif c.metric == "liquidations":
            v = _verify_liquidations(c, evidence, tol, frames)
        else:  # pragma: no cover - METRICS is closed
            v = Verdict(claim=c, status="unverifiable", reason=f"metric {c.metric} not checked")
        if c.id in text_conf:
            r, ids = text_conf[c.id]
            status = "inconsistent" if v.status in ("supported", "unverifiable") and c.metric != "market_cap_change" \
                else v.status
            if c.metric == "market_cap_change" and v.status != "contradicted":
                status = "inconsistent"
            v = replace(v, status=status, reason=f"{r}. {v.reason}" if v.reason else r,
                        conflicts=tuple(dict.fromkeys(v.conflicts + ids)))
        out.append(v)
    return out


# ============================================================================================ presentation
_STATUS_COLOURS = {"supported": "#c8e6c9", "contradicted": "#ffcdd2", "unverifiable": "#e0e0e0",
                   "inconsistent": "#ffe0b2"}


def verdicts_table(verdicts: list[Verdict]) -> pd.DataFrame:
    """One row per verdict: id, status, subject, metric, claimed, window, date, data value, measure, reason, fetch."""
    rows = []
    for v in verdicts:
        c = v.claim
        q = {"exact": "", "more_than": "> ", "about": "≈ ", "nearly": "nearly ", "up_to": "≤ "}[c.qualifier]
        claimed = f"{q}{c.value:+g} %" if c.unit == "pct" else f"{q}{_fmt_usd(c.value)}"
        rows.append({
            "id": c.id, "status": v.status, "subject": ", ".join(c.subjects) or "market", "metric": c.metric,
            "claimed": claimed, "claim_window": c.window or "—", "date": c.date.isoformat() if c.date else "—",
            "data_value": _fmt_value(v.data_value, v.used.unit) if v.used is not None else "—",
            "window_used": v.window or "—", "measure": v.measure or "—", "tolerance": v.tolerance,
            "reason": v.reason, "fetch": v.fetch or "",
        })
    return pd.DataFrame(rows, columns=["id", "status", "subject", "metric", "claimed", "claim_window", "date",
                                       "data_value", "window_used", "measure", "tolerance", "reason", "fetch"])


def readings_table(verdicts: list[Verdict]) -> pd.DataFrame:
    """Every reading of every claim's window (close-to-close UTC day, day before, rolling 24 h, intraday low, N
    trading days, provider snapshots, ...): its value, whether the text's words select it, and whether the verdict
    used it."""
    rows = []
    for v in verdicts:
        used = v.used.name if v.used is not None else None
        for r in v.readings:
            rows.append({"id": v.claim.id, "reading": r.name, "description": r.description,
                         "value": _fmt_value(r.value, r.unit) if r.value is not None else "—",
                         "selected": r.name in v.selected, "used": r.name == used,
                         "source": r.source or "", "note": r.reason or ""})
    return pd.DataFrame(rows, columns=["id", "reading", "description", "value", "selected", "used", "source", "note"])


def verdict_to_dict(v: Verdict) -> dict:
    """JSON-ready dict of a verdict with its claim and readings."""
    c = v.claim

    def rd(r: Reading | None) -> dict | None:
        if r is None:
            return None
        return {"name": r.name, "value": r.value, "unit": r.unit, "description": r.description,
                "start": r.start.isoformat() if r.start is not None else None,
                "end": r.end.isoformat() if r.end is not None else None, "p0": r.p0, "p1": r.p1,
                "reason": r.reason, "source": r.source}

    return {
        "claim": {"id": c.id, "kind": c.kind, "text": c.text, "span": list(c.span), "sentence_span": list(c.sentence_span),
                  "subjects": list(c.subjects), "subject_kind": c.subject_kind, "metric": c.metric,
                  "direction": c.direction, "value": c.value, "unit": c.unit, "qualifier": c.qualifier,
                  "window": c.window, "window_text": c.window_text, "date": c.date.isoformat() if c.date else None,
                  "earlier": c.earlier, "intraday": c.intraday, "share": c.share, "related": list(c.related)},
        "status": v.status, "data_value": v.data_value, "window": v.window, "measure": v.measure,
        "tolerance": v.tolerance, "reason": v.reason, "missing": list(v.missing), "fetch": v.fetch,
        "conflicts": list(v.conflicts), "selected": list(v.selected), "used": rd(v.used),
        "readings": [rd(r) for r in v.readings],
    }


def render_claims_html(text: str, claims: list[Claim], verdicts: list[Verdict] | None = None, *,
                       title: str = "Claim check") -> str:
    """Self-contained HTML: the text with each claim's figure highlighted by verdict, and the verdict table.

    Rendered by ``templates/claims.html.j2`` with Jinja2 autoescape: every piece of the text is escaped.
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

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
    return tpl.render(title=title, segments=segs, rows=rows, colours=_STATUS_COLOURS, tolerances=TOLERANCES)
