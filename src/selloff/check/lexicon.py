"""Words of the claim check, English and German: units and scales, qualifiers ("mehr als", "about"), up- and
down-words, window phrases ("an einem einzigen Tag", "in the last 24 hours"), cap, liquidation and event words,
abbreviations that do not end a sentence, and the function words that tell the two languages apart.

Every pattern is compiled once here; :mod:`selloff.check.extract` applies them. The few functions at the end
read words only: the language of a text, and the dates it names.
"""
from __future__ import annotations

import datetime as dt
import re

MONTHS = {
    "januar": 1, "jan": 1, "january": 1, "februar": 2, "feb": 2, "february": 2, "märz": 3, "maerz": 3, "mär": 3,
    "march": 3, "mar": 3, "april": 4, "apr": 4, "mai": 5, "may": 5, "juni": 6, "jun": 6, "june": 6, "juli": 7,
    "jul": 7, "july": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "dezember": 12, "dez": 12, "december": 12, "dec": 12,
}
MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
NUMWORDS = {
    "ein": 1, "einem": 1, "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7,
    "acht": 8, "neun": 9, "zehn": 10, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10,
}
NUMWORD_RE = "|".join(sorted(NUMWORDS, key=len, reverse=True))

NUM = r"\d{1,3}(?:[.,\u202f\u00a0]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
SCALES = {
    "milliarden": 1e9, "milliarde": 1e9, "mrd.": 1e9, "mrd": 1e9, "billion": 1e9, "billions": 1e9, "bn": 1e9,
    "b": 1e9, "millionen": 1e6, "million": 1e6, "millions": 1e6, "mio.": 1e6, "mio": 1e6, "mn": 1e6, "m": 1e6,
    "billionen": 1e12, "trillion": 1e12, "tn": 1e12, "bio.": 1e12, "tausend": 1e3, "thousand": 1e3,
    "k": 1e3, "tsd.": 1e3,
}
SCALE_RE = "|".join(re.escape(s) for s in sorted(SCALES, key=len, reverse=True))
PCT_UNITS = r"%|prozent|per\s?cent|percent|pct"
CUR_UNITS = r"us-dollars?|us-\$|us\$|dollars?|usd|\$|euro|eur|€"
MENTION = re.compile(
    rf"(?P<pre>US\$|\$|€)?\s?(?<![\w.,])(?P<num>{NUM})(?!\d)"
    rf"(?:\s?(?P<scale>{SCALE_RE})(?![a-zäöüß]))?"
    rf"(?:\s?(?P<unit>{PCT_UNITS}|{CUR_UNITS})(?![a-zäöüß]))?",
    re.IGNORECASE,
)
QUALIFIERS = [
    ("more_than", r"mehr als|über|gut|more than|over|above|upwards of|in excess of|at least|mindestens"),
    ("nearly", r"fast|beinahe|nahezu|knapp|nearly|almost|close to|just under|knapp unter"),
    ("up_to", r"bis zu|up to|as much as"),
    ("about", r"etwa|rund|ca\.|circa|ungefähr|annähernd|about|around|approximately|roughly|some|an estimated"),
]
QUAL_RE = [(q, re.compile(rf"(?:^|[\s(])(?:{p})\s*(?:US\$|\$|€)?\s*$", re.IGNORECASE)) for q, p in QUALIFIERS]
LEVEL_PREP = re.compile(r"(?:^|\s)(?:auf|to|at|bei)\s+(?:(?:\S+\s+){0,1})?(?:US\$|\$|€)?\s*$", re.IGNORECASE)

DOWN = (r"fiel\w*|gefallen|fallen|fällt|sank\w*|gesunken|verlor\w*|eingebrochen|brach\w* ein|abgestürzt|"
         r"stürzte\w*|rutschte\w*|geschrumpft|schrumpfte\w*|rückgang|minus|nachgegeben|gab\w* nach|"
         r"schwächte\w*|fell|falls|falling|dropped|drops?|declined?|declines|lost|loses|slid|slumped|plunged?|"
         r"tumbled?|shrank|shrunk|crashed|down|lower|slumps?|plummet\w*|sheds?|shed|fall|slipped|slips?|sank|"
         r"eased|retreated|weakened|"
         r"nach(?=\s*[.;,])|ein(?=\s*[.;,])")  # separable particles at the clause end: "gab ... nach", "brach ... ein"
UP = (r"stieg\w*|gestiegen|zulegte|legte\w* zu|zugelegt|kletterte\w*|geklettert|plus|rose|risen|rises|"
       r"gained|gains|jumped|surged|rallied|climbed|soared|up(?!\s+to)|higher|rebound\w*|recover\w*|bounced|"
       r"erholte\w*|erholt|zurückgewonnen")
DIR_RE = re.compile(rf"\b(?:(?P<down>{DOWN})|(?P<up>{UP}))\b", re.IGNORECASE)

WINDOWS = [
    ("24h", re.compile(r"(?:in den |innerhalb (?:der |von )?|binnen |in the |over the |within )?(?:letzten |"
                       r"vergangenen |last |past )?24\s?(?:stunden|hours|h\b)|24-hour|24-stunden", re.I)),
    ("1d", re.compile(r"an einem (?:einzigen )?tag|innerhalb (?:eines|von einem) tag(?:es)?|binnen eines tages|"
                      r"in a single day|in one day|in a day|single-day|on the day", re.I)),
    ("nd", re.compile(rf"(?:letzten|vergangenen|past|last|over|in|within|binnen|innerhalb von|über|during|"
                      rf"the|den|der|von)\s+(?P<n>{NUMWORD_RE}|\d+)\s+(?P<td>handelstag\w*|trading days|sessions|"
                      rf"tage\w*|days)|\b(?P<n2>{NUMWORD_RE}|\d+)-(?P<td2>day|tage|tages|session)\b", re.I)),
    ("1w", re.compile(r"(?:vergangenen|letzten|dieser|past|last|this)\s+woche|(?:past|last|this|the) week\b|"
                      r"(?:innerhalb|binnen|in) einer woche|(?:within|in) a week|week-on-week|wochenverlauf", re.I)),
    ("wtd", re.compile(r"seit (?:dem )?wochenbeginn|seit wochenanfang|seit beginn der woche|week-to-date|"
                       r"since the (?:start|beginning) of the week|so far this week", re.I)),
    ("mtd", re.compile(r"seit (?:dem )?monatsbeginn|seit monatsanfang|seit beginn des monats|month-to-date|"
                       r"since the (?:start|beginning) of the month|so far this month", re.I)),
]
THRESHOLD = re.compile(r"(?:^|\s)(?:below|under|beneath|unter(?:halb)?|unter die marke von|below the|"
                       r"unter die|under the)\s+(?:(?:marke|mark|level|schwelle)\s+(?:von|of)\s+)?"
                       r"(?:US\$|\$|€)?\s*$", re.I)
"""Words right before a figure that make it a threshold crossed ("fell below 60,000"), not a level reached."""
LOW_WORDS = re.compile(r"as low as|bis auf ein tief|tagestief|intraday low|session low|tief von|tiefststand von", re.I)
SINCE_BEFORE = re.compile(r"(?:seit|since)(?:\s+(?:dem|the))?\s*$", re.I)
LOWEST_SINCE = re.compile(r"(?:tiefst\w*|niedrigst\w*|lowest)\s+(?:\w+\s+){0,2}?(?:seit|since)\s+", re.I)
STABILISATION = re.compile(r"stabilisierung|stabilisation|stabilization|bodenbildung|stabilisiert\w*|stabili[sz]ed|"
                           r"stabili[sz]ing|found a floor", re.I)
NEGATION = re.compile(r"\b(?:keine?n?|no|not|without|ohne|nicht|nor|fails? to|yet to)\b", re.I)
NEGATION_REACH = 50     # characters before a stabilisation word searched for a negation ("keine Anzeichen einer ...")
VOLUME = re.compile(r"handelsvolumen|umsatzvolumen|trading volume|volumen|volume", re.I)
DOMINANCE = re.compile(r"dominanz|dominance|marktanteil|market share", re.I)
SHARED_UNIT = re.compile(rf"\s*(?:bzw\.|beziehungsweise|respectively|und|and|or|oder|,|/)\s*(?:US\$|\$|€)?\s*"
                         rf"(?:{NUM})(?!\d)\s?(?:(?P<scale>{SCALE_RE})(?![a-zäöüß]))?\s?"
                         rf"(?P<unit>{PCT_UNITS}|{CUR_UNITS})(?![a-zäöüß])", re.I)
"""After a bare number: another number with a unit ("3 bzw. 5 Prozent"): the bare one takes that unit."""
INTRADAY = re.compile(r"zeitweise|zwischenzeitlich|intraday|at one point|im tagesverlauf|im tief|as low as|"
                      r"tagestief|session low|at its lowest|in der spitze", re.I)
EARLIER = re.compile(r"\b(?:zuvor|vorher|davor|earlier|previously|before that)\b", re.I)
GENERALLY = re.compile(r"im allgemeinen|generally|mostly|largely|überwiegend|\bmeist\w*|mehrheitlich|most of",
                        re.I)
RESPECTIVELY = re.compile(r"\bbzw\.|beziehungsweise|respectively", re.I)
LIQ = re.compile(r"liquidat", re.I)
CAP = re.compile(r"marktkapitalisierung|börsenwert|marktwert|market cap|market capitali[sz]ation|mcap", re.I)
EVENT = re.compile(r"investition|ausgaben|capex|investment|spending|umsatz|revenue|gewinn\b|profit|"
                    r"finanzbericht|guidance|prognose|budget", re.I)
LIST_GAP = re.compile(r"^\s*(?:,|und|and|&|sowie|or|oder|as well as|,\s*und|,\s*and|,\s*sowie)\s*$", re.I)
ABBREV = {"mrd", "mio", "bzw", "ca", "nr", "etc", "bio", "dr", "inc", "corp", "vs", "st", "mr", "ms", "z.b",
           "u.a", "d.h", "e.g", "i.e", "jan", "feb", "mär", "apr", "jun", "jul", "aug", "sep", "sept", "okt",
           "oct", "nov", "dez", "dec", "co", "ltd"}


DE_FUNCTION_WORDS = frozenset({"der", "die", "das", "und", "ist", "um", "auf", "von", "mit", "nicht", "sich", "den",
                               "des", "im", "ein", "eine", "wurde", "sind", "fiel", "zu", "dass"})
EN_FUNCTION_WORDS = frozenset({"the", "and", "is", "of", "to", "in", "by", "with", "on", "fell", "was", "were", "that",
                               "a", "its", "over", "than", "from"})
"""Counted by :func:`selloff.check.extract.detect_language` (umlauts count for German too)."""

SENTENCE_END = re.compile(r"[.!?](?=\s)|\n\s*\n|\n")
"""Candidate sentence ends: . ! ? before whitespace, and line breaks."""
YESTERDAY = re.compile(r"\bgestern\b|\byesterday\b", re.I)
DAY_BEFORE_YESTERDAY = re.compile(r"\bvorgestern\b|\bday before yesterday\b", re.I)
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
DAY_MONTH = re.compile(rf"\b(\d{{1,2}})\.\s*({MONTH_RE})\.?(?:\s+(\d{{4}}))?", re.I)       # 6. Februar 2026
MONTH_DAY = re.compile(rf"\b({MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I)  # February 6, 2026
MONTH_YEAR = re.compile(rf"\b({MONTH_RE})\.?\s+(\d{{4}})\b", re.I)       # November 2024
DAY_OF_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH_RE})\b(?:\s+(\d{{4}}))?", re.I)  # 6th February 2026
LEVEL_PREP_NEAR = re.compile(r"(?:^|\s)(?:auf|to|at)\s*$", re.I)
CLAUSE = re.compile(r"[^;]+")
CLAUSE_PUNCT = re.compile(r"[,;:]\s")

QUALIFIER_REACH = 40    # characters before a figure searched for its qualifier ("mehr als", "about")
LEVEL_PREP_REACH = 30   # characters before a qualifier searched for "auf"/"to" (a level reached)
LEVEL_PREP_NEAR_REACH = 8  # characters before a qualifier where a bare "auf"/"to" still marks a level
SUBJECT_REACH = 40      # characters before a subject group searched for direction and cap words
CAP_AFTER_REACH = 40    # characters after a figure searched for cap words ("... to a $1.2 billion market cap")
LIQ_AFTER_REACH = 60    # characters after a currency figure searched for "liquidations"
INTRADAY_AFTER_REACH = 20  # characters after a figure searched for its own "intraday" word ("101,000 intraday")
SINCE_REACH = 40        # characters after "lowest since" searched for the date


# ------------------------------------------------------------------------------------------------ functions of the words
def detect_language(text: str) -> str:
    """``"de"`` or ``"en"`` from function-word counts.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        ``"de"`` when German function words plus umlauts/ß outnumber English function words, else ``"en"``.
    """
    low = text.lower()
    words = re.findall(r"[a-zäöüß]+", low)
    de = sum(w in DE_FUNCTION_WORDS for w in words) + len(re.findall(r"[äöüß]", low))
    en = sum(w in EN_FUNCTION_WORDS for w in words)
    return "de" if de > en else "en"


def explicit_dates(text: str) -> list[tuple[int, int | None, int, int, str]]:
    """Explicit dates of ``text``: (pos, year or None, month, day, matched text), sorted by position."""
    out = [(m.start(), int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group()) for m in ISO_DATE.finditer(text)]
    for rx, mi, di in ((DAY_MONTH, 2, 1), (MONTH_DAY, 1, 2), (DAY_OF_MONTH, 2, 1)):
        out.extend((m.start(), int(m.group(3)) if m.group(3) else None, MONTHS[m.group(mi).lower()],
                    int(m.group(di)), m.group()) for m in rx.finditer(text))
    return sorted(out)


def resolve_date(year: int | None, month: int, day: int, ref: dt.date | None) -> dt.date | None:
    """The date meant: without a year, the year of ``ref`` (the year before if that lies after ``ref + 1 day``)."""
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


def relative_date(sentence: str, d: dt.date | None) -> dt.date | None:
    """``d`` moved by "gestern"/"yesterday" (one day) or "vorgestern" (two); ``None`` without such a word."""
    if d is None:
        return None
    if DAY_BEFORE_YESTERDAY.search(sentence):
        return d - dt.timedelta(days=2)
    if YESTERDAY.search(sentence):
        return d - dt.timedelta(days=1)
    return None


def since_date(text: str, pos: int, ref: dt.date | None) -> dt.date | None:
    """The date after "seit"/"since" at ``pos``: "3. Februar", "February 3", "November 2024" (its first day),
    "2024-11-03"; ``None`` when none follows within :data:`SINCE_REACH` characters."""
    seg = text[pos:pos + SINCE_REACH]
    found = [d for d in explicit_dates(seg) if d[0] <= 6]
    if found:
        _, y, m, d, _ = found[0]
        return resolve_date(y, m, d, ref)
    mm = MONTH_YEAR.match(seg.lstrip())
    if mm:
        return dt.date(int(mm.group(2)), MONTHS[mm.group(1).lower()], 1)
    return None
