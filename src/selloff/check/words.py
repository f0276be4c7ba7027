"""The claim check in plain words, English and German: verdict words, table headers, window phrases ("the 7 days
to 6 Feb", "5-Tage-Chart, Schluss 30. Jan. → 5. Feb.") and the short "what the data say" sentence of a verdict.

Only wording: every number shown here was computed by :mod:`selloff.analytics.measures` and is read from the
verdict's readings.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from selloff.check.model import Reading, Verdict

__all__ = ["HEADERS", "LANGS", "STATUS_WORDS", "data_sentence", "fmt_num", "missing_words", "status_word",
           "window_phrase"]

LANGS = ("en", "de")
STATUS_WORDS = {
    "en": {"supported": "supported", "contradicted": "contradicted", "unverifiable": "cannot be checked",
           "inconsistent": "inconsistent", "window_mismatch": "true for another window", "unchecked": "unchecked"},
    "de": {"supported": "bestätigt", "contradicted": "widerlegt", "unverifiable": "nicht prüfbar",
           "inconsistent": "widersprüchlich", "window_mismatch": "stimmt für einen anderen Zeitraum",
           "unchecked": "ungeprüft"},
}
HEADERS = {
    "en": {"title": "Claim check", "claims": "claims", "date": "date", "claim": "claim", "verdict": "verdict",
           "data": "what the data say", "window": "window", "value": "value", "role": "role", "source": "source",
           "readings": "Readings of each claim", "words": "text's window", "used": "used", "match": "matches",
           "legend": "Simulated data is never used as evidence.", "unknown": "unknown", "market": "market"},
    "de": {"title": "Faktencheck", "claims": "Aussagen", "date": "Datum", "claim": "Aussage", "verdict": "Urteil",
           "data": "was die Daten sagen", "window": "Zeitraum", "value": "Wert", "role": "Rolle", "source": "Quelle",
           "readings": "Messungen je Aussage", "words": "Zeitraum des Textes", "used": "verwendet",
           "match": "passt", "legend": "Simulierte Daten gelten nie als Beleg.", "unknown": "unbekannt",
           "market": "Markt"},
}
_MONTHS = {"en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
           "de": ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez."]}


def status_word(status: str, lang: str = "en") -> str:
    """The verdict in words (``window_mismatch`` → "true for another window" / "stimmt für einen anderen Zeitraum")."""
    return STATUS_WORDS[lang].get(status, status)


def fmt_num(v: float, lang: str = "en", digits: int = 2, sign: bool = False) -> str:
    """A number with the language's decimal separator and a true minus sign."""
    s = f"{v:+,.{digits}f}" if sign else f"{v:,.{digits}f}"
    if lang == "de":
        s = s.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return s.replace("-", "\u2212")


def _value(r: Reading, lang: str) -> str:
    if r.value is None:
        return "—"
    if r.unit == "pct":
        return f"{fmt_num(r.value, lang, 1, sign=True)} %"
    a = abs(r.value)
    for s, suf in ((1e12, {"en": " tn", "de": " Bio."}), (1e9, {"en": " bn", "de": " Mrd."}),
                   (1e6, {"en": " m", "de": " Mio."})):
        if a >= s:
            return f"{fmt_num(r.value / s, lang)}{suf[lang]} USD"
    return f"{fmt_num(r.value, lang)} USD"


def _day(t: pd.Timestamp | None, lang: str, end: bool = False) -> str:
    """``5 Feb`` / ``5. Feb.``; an end at 00:00 UTC closes the day before."""
    if t is None:
        return "?"
    t = pd.Timestamp(t)
    if end and t.hour == 0 and t.minute == 0:
        t = t - pd.Timedelta("1s")
    m = _MONTHS[lang][t.month - 1]
    return f"{t.day}. {m}" if lang == "de" else f"{t.day} {m}"


def _time(t: pd.Timestamp | None, lang: str) -> str:
    return f"{_day(t, lang)} {pd.Timestamp(t):%H:%M} UTC" if t is not None else "?"


def window_phrase(r: Reading, lang: str = "en") -> str:
    """A reading's window in plain words, from its ``key``, name and times; the description when no rule fits."""
    de = lang == "de"
    key = r.key or ""
    win, _, _ = key.partition(":")
    snap = r.name.startswith("snapshot")
    src = " (CoinGecko-Schnappschüsse)" if de and snap else " (CoinGecko snapshots)" if snap else ""
    if win == "1d":
        d = _day(r.end, lang, end=True) if not r.name.startswith("session") else _day(r.end, lang)
        if r.name.startswith("session"):
            return f"Handelstag {d}" if de else f"the session of {d}"
        return f"UTC-Tag {d}" if de else f"the UTC day {d}"
    if win in ("24h", "snap24h"):
        return f"24 Stunden bis {_time(r.end, lang)}{src}" if de else f"the 24 h to {_time(r.end, lang)}{src}"
    m = re.fullmatch(r"(low|pt|high)?(\d+)([dsc])", win)
    if m:
        fam, n, unit = m.group(1), int(m.group(2)), m.group(3)
        a, b = _day(r.start, lang, end=unit == "d" and not snap), _day(r.end, lang, end=not snap and unit == "d")
        if fam == "low":
            if n == 1:
                return f"Vortagesschluss → Tagestief am {b}" if de else f"previous close → intraday low on {b}"
            return (f"Vortagesschluss → tiefstes Tief der {n} Tage bis {b}" if de
                    else f"previous close → lowest low of the {n} days to {b}")
        if fam == "pt":
            return f"Hoch bis Tief in den {n} Tagen bis {b}" if de else f"peak to trough in the {n} days to {b}"
        if fam == "high":
            return (f"seit dem {n}-Tage-Hoch ({_day(r.start, lang)})" if de
                    else f"since the {n}-day high ({_day(r.start, lang)})")
        if unit == "s":
            return (f"{n} volle Handelstage, Schluss {a} → {b}" if de
                    else f"{n} full sessions, close {a} → close {b}")
        if unit == "c":
            return f"{n}-Tage-Chart, Schluss {a} → {b}" if de else f"the {n}-day chart, close {a} → close {b}"
        return f"{n} Tage bis {b}{src}" if de else f"the {n} days to {b}{src}"
    if win == "wtd":
        return f"seit Wochenbeginn ({_day(r.start, lang)})" if de else f"since the week's open ({_day(r.start, lang)})"
    if win == "mtd":
        return f"seit Monatsbeginn ({_day(r.start, lang)})" if de else f"since the month's open ({_day(r.start, lang)})"
    if win == "worst1d":
        return (f"schlechtester Einzeltag davor ({_day(r.end, lang, end=True)})" if de
                else f"the worst single day before ({_day(r.end, lang, end=True)})")
    if win == "level":
        where = f", {r.source}" if r.source else ""
        return f"Kurs am {_time(r.end, lang)}{where}" if de else f"the price at {_time(r.end, lang)}{where}"
    return r.description


def data_sentence(v: Verdict, lang: str = "en") -> str:
    """One or two sentences: what the data say about the claim, in ``lang`` (no code names)."""
    de = lang == "de"
    u, s = v.used, v.status
    if s == "unverifiable":
        if v.coverage:
            base = (f"Nur Teildaten: {_value(u, lang)} ist eine Schranke, kein Wert ({v.coverage})." if de else
                    f"Only partial data: {_value(u, lang)} is a bound, not a value ({v.coverage}).") \
                if u is not None else (f"Nur Teildaten ({v.coverage})." if de else f"Only partial data ({v.coverage}).")
        elif v.claim.kind == "event_figure":
            base = ("Eine Unternehmenszahl, keine Marktdaten: im Geschäftsbericht prüfen." if de else
                    "A company figure, not market data: check the company's report.")
        elif "simulated" in v.reason:
            base = "Nur simulierte Daten für diese Tage." if de else "Only simulated data for these days."
        else:
            miss = missing_words(v.missing, lang) or v.reason
            base = f"Keine Daten dafür ({miss})." if de else f"No data for it ({miss})."
        return base + (f" {'Laden mit' if de else 'Fetch with'}: {v.fetch}" if v.fetch else "")
    if s == "inconsistent" and (u is None or u.value is None):
        return (f"Widerspruch im Text ({', '.join(v.conflicts)}): ein kapitalgewichteter Sektor kann nicht stärker "
                f"fallen als sein schwächstes Mitglied." if de and v.claim.metric == "market_cap_change" else
                f"Widerspruch zu anderen Zahlen des Textes ({', '.join(v.conflicts)})." if de else
                f"Conflicts with the text's other figures ({', '.join(v.conflicts)}): {v.reason.split('. ')[0]}.")
    if u is None or u.value is None:
        return v.reason
    if v.claim.kind == "statement" or v.claim.threshold or v.claim.metric in ("volume", "dominance"):
        return _kind_sentence(v, lang)
    if v.claim.metric == "breadth":
        own = next((r for r in v.readings if r.name in v.selected and r.value is not None), None)
        where = f" ({window_phrase(own, lang)})" if own is not None and v.claim.window else ""
        out = (f"{fmt_num(u.value, lang, 0)} % der genannten Werte erfüllen es im Zeitraum des Textes{where}." if de
               else f"{fmt_num(u.value, lang, 0)} % of the named assets satisfy it over the text's window{where}.")
        if s == "window_mismatch" and v.matches:
            m = v.matches[0]
            per = ", ".join(f"{x.name.split(':', 1)[0]} {_value(x, lang)}" for x in v.matches[1:])
            share = fmt_num(m.value, lang, 0)
            first = next((x for x in v.matches[1:]), None)
            where = window_phrase(first, lang) if first is not None else m.description
            out += (f" Über {where} erfüllen es {share} % ({per}) — der Zeitraum des Textes ist vermutlich falsch."
                    if de else f" Over {where} {share} % do ({per}) — the text's window is probably wrong.")
        return out
    here = f"{_value(u, lang)} {'im Zeitraum' if de else 'over'} {window_phrase(u, lang)}"
    if v.claim.metric == "price_level":
        here = f"{'Nächster Kurs' if de else 'Closest price'}: {_value(u, lang)} ({window_phrase(u, lang)})"
    if s == "supported":
        out = f"{here} — {'passt zur Aussage' if de else 'consistent with the text'}."
    elif s == "window_mismatch":
        m = v.matches[0]
        out = (f"{here} — passt nicht; aber {_value(m, lang)} über {window_phrase(m, lang)} passt: der Zeitraum des "
               f"Textes ist vermutlich falsch." if de else
               f"{here} — does not fit; but {_value(m, lang)} over {window_phrase(m, lang)} matches: the text's "
               f"window is probably wrong.")
    elif s == "contradicted":
        out = (f"{here} — passt nicht, und kein anderer üblicher Zeitraum ergibt die Zahl." if de else
               f"{here} — does not fit, and no other standard window gives the figure.")
    else:  # inconsistent
        out = (f"{here}; die Aussage widerspricht anderen Zahlen ({', '.join(v.conflicts)})." if de else
               f"{here}; the claim conflicts with other figures ({', '.join(v.conflicts)}).")
    if v.note:
        fit = next((r for r in v.readings if r.key == v.fit_key), None)
        if fit is not None:
            kind = ("Aktien" if "equity" in v.note else "Krypto") if de else ("equity" if "equity" in v.note else "crypto")
            out += (f" Alle {kind}-Zahlen des Textes, die passen, passen zu: {window_phrase(fit, lang)}" if de else
                    f" The text's {kind} figures that fit share one window: {window_phrase(fit, lang)}")
            out = out.rstrip(".") + "."
    return out


_MISSING_DE = (("market_caps", "Marktkapitalisierung"), ("derivatives (liquidations)", "Liquidationen"),
               ("full-coverage liquidation data", "vollständige Liquidationsdaten"), ("bars", "Kurse"),
               ("for the selected readings", "für den Zeitraum des Textes"),
               ("company filings / earnings reports", "Geschäftsberichte"))
_MISSING_EN = (("market_caps", "market caps"), ("derivatives (liquidations)", "liquidations"), ("bars", "prices"),
               ("for the selected readings", "for the text's window"))


def missing_words(items: tuple[str, ...], lang: str) -> str:
    """What is missing, in words ("Kurse NEAR", "market caps TAO")."""
    out = []
    for m in items:
        for a, b in (_MISSING_DE if lang == "de" else _MISSING_EN):
            m = m.replace(a, b)
        out.append(m)
    return ", ".join(out)


def _kind_sentence(v: Verdict, lang: str) -> str:
    """Thresholds, "lowest since", stabilisation, volume and dominance in words."""
    de, u, c = lang == "de", v.used, v.claim
    ok = {"supported": ("passt zur Aussage", "consistent with the text"),
          "contradicted": ("widerlegt die Aussage", "contradicts the text")}.get(v.status)
    tail = f" — {ok[0] if de else ok[1]}." if ok else (" — nicht entscheidbar." if de else " — cannot decide.")
    if c.metric == "stabilisation":
        looked = u.description.split("of ", 1)[-1].split(" that")[0]
        share = fmt_num(u.value, lang, 0)
        return (f"{share} % von {looked} stabilisierten sich am {_day(pd.Timestamp(c.date), lang)} und am Tag danach "
                f"(im Plus und ohne neues Tief){tail}" if de else
                f"{share} % of {looked} stabilised on {_day(pd.Timestamp(c.date), lang)} and the day after (up, and "
                f"no new low){tail}")
    if c.metric == "lowest_since":
        return (f"Schluss {fmt_num(u.p1, lang)} gegen das tiefste Schlussniveau seit {c.since_date} "
                f"({fmt_num(u.p0, lang)}){tail}" if de else
                f"Close {fmt_num(u.p1, lang)} against the lowest close since {c.since_date} ({fmt_num(u.p0, lang)}){tail}")
    if c.threshold:
        return (f"Tiefster Kurs im Zeitraum: {_value(u, lang)} ({window_phrase(u, lang)}){tail}" if de else
                f"Lowest price in the window: {_value(u, lang)} ({window_phrase(u, lang)}){tail}")
    what = ("24-h-Volumen" if de else "24 h volume") if c.metric == "volume" else ("Anteil" if de else "share")
    cov = f" ({v.coverage})" if v.coverage else ""
    return f"{what}: {_value(u, lang)}{cov}{tail}"
