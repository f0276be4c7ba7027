"""Locale-correct numbers, money and dates (Babel), and the hedging rules — stated once, applied by value.

Hedging: a figure shown at reduced precision gets a qualifier chosen from its rounding error
``rel = (shown - true) / true``:

============================  ==========  =========
condition                     English     German
============================  ==========  =========
``|rel| < 0.0005``            (none)      (none)
``|rel| <= HEDGE_ABOUT``      about       etwa
shown magnitude < true        more than   mehr als
shown magnitude > true        nearly      fast
============================  ==========  =========
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from babel.dates import format_date, format_datetime
from babel.numbers import format_compact_decimal, format_decimal, format_percent

LOCALES = {"en": "en_US", "de": "de_DE"}
HEDGE_EXACT = 0.0005
HEDGE_ABOUT = 0.02
QUALIFIERS = {
    "en": {"about": "about", "more_than": "more than", "nearly": "nearly"},
    "de": {"about": "etwa", "more_than": "mehr als", "nearly": "fast"},
}
CURRENCY = {"en": "USD", "de": "US-Dollar"}
# German writes the day as an ordinal: "4. Feb. 2026"
DATETIME_PATTERN = {"en": "d MMM y, HH:mm", "de": "d. MMM y, HH:mm"}


def hedge(true: float, shown: float) -> str | None:
    """Qualifier key (``about``/``more_than``/``nearly``) for a value ``true`` displayed as ``shown``."""
    if true == 0 or not math.isfinite(true):
        return None
    rel = (shown - true) / abs(true)
    if abs(rel) < HEDGE_EXACT:
        return None
    if abs(rel) <= HEDGE_ABOUT:
        return "about"
    return "more_than" if abs(shown) < abs(true) else "nearly"


@dataclass
class Formatter:
    """Formats numbers for one language and records every string it emits (so tests can find orphans)."""

    lang: str
    emitted: list[str] = field(default_factory=list)

    @property
    def locale(self) -> str:
        return LOCALES[self.lang]

    def _out(self, s: str) -> str:
        self.emitted.append(s)
        return s

    def pct(self, value_pct: float, signed: bool = False, digits: int = 1) -> str:
        """``25,4 %`` (de) / ``25.4%`` (en); magnitude unless ``signed``."""
        v = value_pct if signed else abs(value_pct)
        pattern = "#,##0." + "0" * digits + ("\u00a0%" if self.lang == "de" else "%") if digits else ("#,##0\u00a0%" if self.lang == "de" else "#,##0%")
        s = format_percent(v / 100.0, format=pattern, locale=self.locale)
        if signed and v < 0:
            s = "\u2212" + s.lstrip("-\u2212")
        elif signed and v > 0:
            s = "+" + s
        return self._out(s)

    def num(self, value: float, digits: int = 1) -> str:
        return self._out(format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0", locale=self.locale))

    def sigma(self, z: float) -> str:
        return self._out(format_decimal(abs(z), format="#,##0.0", locale=self.locale) + ("\u00a0σ" if self.lang == "de" else "σ"))

    def money(self, usd: float, with_hedge: bool = True) -> str:
        """Large amounts compact (``12 Mrd. US-Dollar`` / ``12 billion USD``), prices to 3 significant digits."""
        a = abs(usd)
        if a >= 1e6:
            fmt_type = "short" if self.lang == "de" else "long"
            text = format_compact_decimal(a, format_type=fmt_type, locale=self.locale, fraction_digits=1)
            scale = 1e12 if a >= 1e12 else (1e9 if a >= 1e9 else 1e6)
            shown = round(a / scale, 1) * scale
            # Babel drops a trailing ",0": the shown value is still the one-decimal rounding
        else:
            digits = max(0, 2 - int(math.floor(math.log10(a)))) if a > 0 else 2
            digits = min(digits, 4)
            shown = round(a, digits)
            text = format_decimal(shown, format="#,##0" + ("." + "0" * digits if digits else ""), locale=self.locale)
        s = f"{text} {CURRENCY[self.lang]}"
        q = hedge(a, shown) if with_hedge else None
        if q:
            s = f"{QUALIFIERS[self.lang][q]} {s}"
        return self._out(s)

    def date(self, d: object) -> str:
        return self._out(format_date(pd.Timestamp(d).date(), format="long", locale=self.locale))

    def short_date(self, d: object) -> str:
        return self._out(format_date(pd.Timestamp(d).date(), format="medium", locale=self.locale))

    def datetime_utc(self, ts: object) -> str:
        t = pd.Timestamp(ts)
        t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
        return self._out(format_datetime(t.to_pydatetime(), format=DATETIME_PATTERN[self.lang], tzinfo=None, locale=self.locale) + " UTC")

    def corr(self, value: float) -> str:
        """A correlation or beta to two decimals, minus sign where negative (``0.57``, ``−0.01``)."""
        s = format_decimal(abs(value), format="#,##0.00", locale=self.locale)
        return self._out(("\u2212" + s) if round(value, 2) < 0 else s)

    def pp(self, value: float, signed: bool = True, digits: int = 1) -> str:
        """Percentage points: ``−15.8 pp`` (en) / ``−15,8 Pp.`` (de)."""
        v = value if signed else abs(value)
        s = format_decimal(abs(v), format="#,##0." + "0" * digits, locale=self.locale)
        if signed and round(v, digits) < 0:
            s = "\u2212" + s
        elif signed and round(v, digits) > 0:
            s = "+" + s
        return self._out(s + ("\u00a0Pp." if self.lang == "de" else "\u00a0pp"))

    def pval(self, p: float) -> str:
        """A p-value to two decimals, ``< 0.01`` below that."""
        if p < 0.01:
            return self._out("< " + format_decimal(0.01, format="0.00", locale=self.locale))
        return self._out(format_decimal(p, format="0.00", locale=self.locale))

    def p_is(self, p: float) -> str:
        """``p = 0,03`` / ``p < 0,01``: the p-value with its relation (never ``p = < 0.01``)."""
        if p < 0.01:
            return self._out("p < " + format_decimal(0.01, format="0.00", locale=self.locale))
        return self._out("p = " + format_decimal(p, format="0.00", locale=self.locale))

    def count(self, n: int) -> str:
        return self._out(format_decimal(n, format="#,##0", locale=self.locale))

    def share(self, frac: float) -> str:
        """A share of members as a whole per cent (``92 %``)."""
        return self.pct(100.0 * frac, digits=0)

    def word(self, n: int) -> str:
        """A count as German and English style want it in running text: words up to twelve (``zwei``, ``two``),
        digits from 13 on (Duden, "Zahlen und Ziffern"; Chicago 9.2 for the English house style used here)."""
        n = int(n)
        if 0 <= n < len(WORDS[self.lang]):
            return WORDS[self.lang][n]
        return self.count(n)

    def pct_compound(self, value_pct: float, digits: int = 0) -> str:
        """A percentage as the first part of a compound: Duden ``5-%-Niveau`` (de), ``5%`` (en, as in "5% level")."""
        s = format_decimal(abs(value_pct), format="#,##0" + ("." + "0" * digits if digits else ""), locale=self.locale)
        return self._out(s + ("-%" if self.lang == "de" else "%"))

    def multiple(self, x: float) -> str:
        """A ratio such as a volume multiple: ``2.8×`` (en) / ``2,8-fach`` (de)."""
        s = format_decimal(x, format="#,##0.0", locale=self.locale)
        return self._out(s + ("-fach" if self.lang == "de" else "×"))


WORDS = {
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"],
    "de": ["null", "ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf"],
}
"""Numbers under 13 as words (German ``ein`` as the article-like form used before nouns: "ein Wert")."""
