"""German for every :class:`~selloff.texts.Text` the report shows: the appendix's measures, the notes on what was
left out or limited, and the messages behind them.

``DE`` maps a text's code to a ``str.format`` template of its ``args`` or to a function of the args (for a
sentence whose parts depend on them). Before formatting, numbers are wrapped so that a format spec gives German
digits (``{total:.1f}`` -> ``24,1``, minus sign ``−``), dates become ``6. Feb. 2026`` and a nested Text is
rendered in German itself. A new Text code needs its line here: ``tests/report/test_german.py`` fails for a code
made anywhere in ``src/selloff`` without one.

Register: Börsen-Zeitung / BTC-ECHO, Duden spelling ("5-%-Niveau", "Prozentpunkte"), no tool jargon.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import pandas as pd
from babel.dates import format_date

from selloff.texts import Text

__all__ = ["DE", "NOTE_KEYS_DE", "SOURCES_DE", "de", "in_lang", "note_key", "source_name"]


class _Num(float):
    """A number whose format spec writes German digits (decimal comma, thousands dot, typographic minus)."""

    def __format__(self, spec: str) -> str:
        s = format(float(self), spec or "g")
        return s.replace(",", "\0").replace(".", ",").replace("\0", ".").replace("-", "−")

    def __str__(self) -> str:
        return self.__format__("")


class _Int(int):
    def __format__(self, spec: str) -> str:
        s = format(int(self), spec or "d")
        return s.replace(",", ".").replace("-", "−")

    def __str__(self) -> str:
        return self.__format__("")


def _date(d: Any) -> str:
    return format_date(pd.Timestamp(d).date(), "d. MMM y", locale="de_DE")


class _German(str):
    """A nested Text already rendered from its German template (so a note can tell it from English left as it was)."""


_WORDS = ("null", "einem", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf")


def _word(n: int) -> str:
    """A small count as a word (German style writes numbers up to twelve out), else its digits."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def _bar(bar: str) -> str:
    """``1h`` -> ``Stundenkerze``, ``4h`` -> ``4-Stunden-Kerze``, ``5min`` -> ``5-Minuten-Kerze``."""
    if bar == "1h":
        return "Stundenkerze"
    if bar.endswith("h"):
        return f"{bar[:-1]}-Stunden-Kerze"
    return f"{bar.removesuffix('min')}-Minuten-Kerze"


def _arg(v: Any) -> Any:
    if isinstance(v, Text):
        return _German(de(v)) if v.code in DE else str(v)
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return _Int(v)
    if isinstance(v, float):
        return _Num(v)
    if isinstance(v, (pd.Timestamp, dt.date)):
        return _date(v)
    return v


def _quoted(v: Any) -> str:
    """A message without German: a German lead-in and the English in quotes (the last resort)."""
    if isinstance(v, _German):
        return str(v)
    return f"Meldung im Original: „{v}“"


_GRID_KIND = {"log": "Log-Renditen", "simple": "einfache Renditen"}


def _grid_session_intraday(a: dict) -> str:
    return (f"Raster der NYSE-Handelstage: Aktien von Schlusskurs zu Schlusskurs; Kryptowerte zum Schluss der letzten "
            f"{_bar(a['bar'])}, die bis zum jeweiligen NYSE-Schluss endet (16:00 Uhr New York, verkürzte Handelstage "
            f"berücksichtigt), über Wochenenden und Feiertage aufgezinst ({_GRID_KIND.get(a['kind'], a['kind'])})")


def _grid_session_daily(a: dict) -> str:
    return (f"Raster der NYSE-Handelstage: Aktien von Schlusskurs zu Schlusskurs; Kryptowerte aus Tageskerzen zum "
            f"Schluss um 00:00 UTC nach dem Handelstag (drei bis vier Stunden nach dem NYSE-Schluss), über Wochenenden "
            f"und Feiertage aufgezinst ({_GRID_KIND.get(a['kind'], a['kind'])})")


def _grid_utc_day(a: dict) -> str:
    return (f"Raster der UTC-Tage: Kryptowerte von Schlusskurs zu Schlusskurs um 00:00 UTC; Aktien von Handelstag zu "
            f"Handelstag am Datum des Handelstags, an Wochenenden und Feiertagen leer "
            f"({_GRID_KIND.get(a['kind'], a['kind'])})")


def _weights_stale(a: dict) -> str:
    parts = []
    if a["stale"]:
        parts.append("letzte bekannte Marktkapitalisierung fortgeschrieben für "
                     + ", ".join(f"{m} (Stand {_date(d)})" for m, d in a["stale"]))
    if a["none"]:
        parts.append("noch keine Marktkapitalisierung, daher nicht gewichtet: " + ", ".join(a["none"]))
    return "; ".join(parts)


def _decomposition(a: dict) -> str:
    s = f"{a['method']}; Ereignis-Handelstag {a['session']}"
    return s + (f"; ohne Kurs am Ereignis-Handelstag: {a['no_data']}" if a["no_data"] else "")


def _spillover_vol(a: dict) -> str:
    return (f"{a['method']}, angewandt auf die logarithmierte Schwankungsbreite (Garman-Klass; Kryptowerte über den "
            f"Zeitraum von Handelstag zu Handelstag); insgesamt {a['total']:.1f} % über {a['n']} Handelstage bis "
            f"{a['session']}" + (f"; ohne Hoch/Tief: {a['no_range']}" if a["no_range"] else ""))


def _spillover_vol_short(a: dict) -> str:
    return (f"nur {a['n']} Handelstage mit Hoch und Tief für Sektor, Aktienkorb und {a['market']}; das VAR für die "
            f"Volatilitäts-Spillover braucht {a['need']}" + (f"; ohne Hoch/Tief: {a['no_range']}" if a["no_range"] else ""))


def _scen_liq(a: dict) -> str:
    rng = (f"Spanne = 10-%- bis 90-%-Quantil der logarithmierten Fehler in der Kalibrierung außerhalb der Stichprobe "
           f"({a['holdout_days']} Tage)" if a["holdout_days"] is not None else "nicht kalibriert: keine Spanne")
    return (f"Liquidationskaskade nach einer weiteren Bewegung von {a['asset']} um {a['shock_pct']:+.1f} % am Tag nach dem "
            f"Berichtstag: Positionsbestand zum Schlusskurs des Berichtstags geschätzt, Preiswirkung nach der "
            f"Wurzelregel bis zum Fixpunkt iteriert; {rng}")


def _provider_cap(a: dict) -> str:
    how = {"snapshots": "von Momentaufnahme zu Momentaufnahme", "change_24h": "24-Stunden-Veränderung des Anbieters"}
    return f"Marktkapitalisierung der Kategorie bei {a['provider']}, {how.get(a['method'], a['method'])}"


def _utc_day_index(a: dict) -> str:
    return DE["utc_day"] + (", marktkapitalisierungsgewichteter Index" if a["weighting"] == "cap"
                            else ", gleichgewichteter Index (keine Marktkapitalisierungen vorhanden)")


DE: dict[str, str | Callable[[dict], str]] = {
    # the appendix's measures (report/findings.py, context_findings.py, whatif_findings.py)
    "utc_day": "Schluss gegen Vortagesschluss, UTC-Tag (00:00–24:00 UTC)",
    "utc_day_index": _utc_day_index,
    "cap_same_members": "Marktkapitalisierung um 00:00 UTC, an beiden Enden dieselben Werte",
    "provider_cap": _provider_cap,
    "nyse_5": "fünf NYSE-Handelstage, Schlusskurs gegen Schlusskurs (16:00 Uhr New York)",
    "nyse_1": "Schlusskurs gegen Vortag, NYSE-Handelstag (16:00 Uhr New York)",
    "liq_day": "Summe der stündlichen Liquidationen, UTC-Tag",
    "event_time": "Zeitpunkt der Meldung",
    "after_trough": "täglich, nach dem Tief",
    "episode_cum": "kumuliert vom Schluss vor dem ersten Verlusttag bis zum Tief",
    "coverage_members": "Werte mit Tagesschlusskurs, von allen Sektorwerten",
    "spill_total": "Gesamt-Spillover nach Diebold und Yilmaz, VAR über die {n} NYSE-Handelstage bis zum Ereignis-Handelstag; {grid}",
    "spill_rolling": "Gesamt-Spillover nach Diebold und Yilmaz in rollierenden VAR-Fenstern, jedes endet am genannten Handelstag; {grid}",
    "corr_window": "Pearson-Korrelation der Tagesrenditen über die {n} Handelstage bis zum genannten Handelstag; {grid}",
    "tail_co": ("Anteil der Handelstage, an denen der Sektor in sein unterstes Dezil fiel, wenn auch der Aktienkorb dort "
                "lag: in den letzten Handelstagen des Ausverkaufs gegen die Zeit davor; {grid}"),
    "granger": lambda a: (f"Granger-F-Tests, Verzögerungen von einem bis {_word(a['lags'])} Handelstagen, auf den "
                          f"Handelstagen vor dem Ereignis; {a['grid']}"),
    "dependency": ("Pearson-Korrelation und OLS-Beta der Tagesrenditen gegen einen gleichgewichteten Korb der genannten "
                   "Unternehmen, {n} Handelstage bis zum Ereignis-Handelstag; {grid}"),
    "attribution": ("NYSE-Handelstag {session}, logarithmierte Rendite des gleichgewichteten Sektors von Schlusskurs zu "
                    "Schlusskurs (in Prozent); Faktormodell auf den Handelstagen davor geschätzt; {grid}"),
    "ctx_volume": "Umsatz des Tages im Verhältnis zum Mittel der {n} Tagesumsätze davor",
    "ctx_range": "Tagestief und Tageshoch des UTC-Tages",
    "ctx_drawdown": "Indexschluss des Tages gegen seinen höchsten Schluss seit Beginn der Daten und in den {days} Tagen bis zum Tag",
    "ctx_slide": "tägliche Veränderungen des Sektorindex (Tagesschluss gegen Vortagesschluss), aufgezinst ab dem Schluss vor der ersten Zeile",
    "ctx_not_in_data": "nicht in den Daten: {assets}",
    "ctx_no_later_data": "keine Daten nach dem Berichtstag",
    "ctx_no_level": "kein Indexstand am {day}",
    "ctx_no_index": "kein Indexstand",
    "ctx_slide_short": "weniger als zwei Indexschlusskurse vor dem Tag",
    "ctx_no_catalysts": "weder Ereignisse noch Aktienbewegungen in den Tagen davor",
    "ctx_catalysts": "gemeldete Ereignisse und die größten Tagesbewegungen der Aktien (NYSE-Schluss) vor dem Tag",
    "ctx_since_index": "Sektorindex, vom Schlusskurs des Tages bis zum späteren Schlusskurs",
    "ctx_since_member": "vom Schlusskurs des Tages bis zum letzten Schlusskurs",
    "ctx_snapshot": ("Momentaufnahme zu Momentaufnahme des Anbieters (jeweils gegen 10:00 UTC), keine Bewegung von "
                     "Schlusskurs zu Schlusskurs"),
    "ctx_missing": "Teile des Kontextblocks, die sich nicht zeigen ließen",
    "scen_whatif": lambda a: ("angenommener weiterer Schock " + ("über einen Tag" if a["days"] == 1 else f"über {_word(a['days'])} Tage")
                              + " nach dem Berichtstag, fortgepflanzt über den bedingten Erwartungswert des Stressmodells auf "
                              f"{a['paths']:,d} Pfaden einer gefilterten historischen Simulation (Startwert {a['seed']}, "
                              f"Historie bis zum Berichtstag); Band = mittlere {a['band_pct']:g} % der simulierten bedingten "
                              "Bewegungen"),
    "scen_liq": _scen_liq,
    # the return grids (analytics/calendar.py)
    "grid_session_intraday": _grid_session_intraday,
    "grid_session_daily": _grid_session_daily,
    "grid_utc_day": _grid_utc_day,
    # estimators' methods
    "ols_hac": ("OLS, Newey-West-HAC-Standardfehler (Bartlett, {hac_lags} Verzögerungen, Korrektur n/(n−k)), "
                "t-basierte {ci_pct}-%-Konfidenzintervalle"),
    "dy_generalized": ("Spillover-Index nach Diebold und Yilmaz (2012): VAR({lags}) per OLS, generalisierte "
                       "Varianzzerlegung (Pesaran und Shin 1998) über {horizon} Schritte, Zeilen auf 1 normiert"),
    "dy_orthogonal": ("Spillover-Index nach Diebold und Yilmaz (2009): VAR({lags}) per OLS, Cholesky-orthogonalisierte "
                      "Varianzzerlegung über {horizon} Schritte in der Spaltenreihenfolge"),
    # notes of the explanation (analytics/explanation.py) and of the report (pipeline/report.py)
    "decomposition": _decomposition,
    "no_announcement": "keine gemeldete Ankündigung in den {days} Tagen vor dem Datum",
    "spillover": "{method}; insgesamt {total:.1f} % über {n} Handelstage bis {session}",
    "spillover_short": "nur {n} abgeglichene Handelstage; das Spillover-VAR braucht {need}",
    "spillover_vol": _spillover_vol,
    "spillover_vol_short": _spillover_vol_short,
    "rolling_betas": "OLS über die {window} Handelstage vor jeder Zeile (mindestens {least}); die letzten {rows} Handelstage bis {session}",
    "rolling_betas_short": "weniger als {least} vollständige Handelstage in einem Fenster von {window} Handelstagen vor dem {session}",
    "granger_short": "nur {n} abgeglichene Handelstage vor dem Ereignis; Granger-Tests und Vorlaufanalyse brauchen {need}",
    "event_study_equities": "Marktmodell gegen {market}, Schätzfenster von Handelstag {lo} bis {hi}",
    "no_market_prices": "keine Kurse von {market}; die Ereignisstudie der Aktien braucht sie als Markt",
    "event_study_short": "kein Paar aus Ereignis und Wert hatte {need} vollständige Tage im Schätzfenster",
    "no_dependency": "kein Wert des Sektors hängt laut Abhängigkeitsgraph von einem Unternehmen ab",
    "network_sectors": ("je Sektor, in Prozent der Prognosefehlervarianz eines Sektors: netto = an andere minus von anderen "
                        "(Fenster nach Diebold und Yilmaz) und der TVP-VAR-Nettowert, gemittelt über das Fenster vor dem "
                        "Ausverkauf und über dessen Handelstage"),
    "weights_stale": _weights_stale,
    "network_dy": lambda a: (f"Diebold-Yilmaz-VAR({a['lags']}), {a['ident']} FEVD über {a['horizon']} Schritte, tägliche "
                             f"Log-Renditen der Sektorindizes, {a['window']} gemeinsame Handelstage je Fenster (Fenster vor "
                             f"dem Ausverkauf bis zum {a['pre_end']}, Fenster des Ausverkaufs bis zum {a['epi_end']}); "
                             f"Standardfehler per Residuen-Bootstrap ({a['reps']} Wiederholungen)"),
    "network_why": lambda a: "Sektorverflechtungsnetzwerk: warum es sich nicht berechnen ließ",
    "scen_whatif_beta": lambda a: (f"angenommener weiterer Schock über einen Handelstag nach dem Berichtstag, übertragen über "
                                   f"OLS-Faktorbetas aus {a['n']} Handelstagen täglicher Log-Renditen bis zum Berichtstag (zu "
                                   f"kurze Kurshistorie für die Stress-Engine); ein Beta, dessen {a['band_pct']:g}-%-Intervall "
                                   f"die Null enthält, wird nicht übertragen; Band = {a['band_pct']:g}-%-Prognoseintervall"),
    "network_skipped": lambda a: "Sektoren ausgelassen: " + "; ".join(f"{k} ({de(r)})" for k, r in a["items"]),
    "left_out": lambda a: "entfällt – " + _quoted(a["reason"]),
    # why the sector network left a sector out (analytics.sector_network)
    "net_no_prices": "für keinen seiner Werte Kurse",
    "net_same_members": "dieselben Werte mit Kursen wie {of}",
    "net_few_returns": "weniger als zwei Renditen",
    "net_short_history": "Kurse erst ab {since}, zu kurz für {need} gemeinsame Handelstage vor dem Ausverkauf",
    "net_same_index": "derselbe Index wie {of}",
    "net_tvp_sectors": "{k} Sektoren, mehr als [connectedness] tvp_max_sectors = {limit}",
    # messages of the errors that leave a section out
    "portfolio_empty": "das Portfolio ({source}) ist leer: kein Wert des Sektors hat eine ausreichend lange Kurshistorie",
    "portfolio_equal": "gleichgewichtet aus den Werten von {sector}",
    "no_basket_bars": "keine Tageskurse für den Aktienkorb ({basket})",
    "factor_model_failed": "das Faktormodell von {sector} auf {market} und den KI-Aktienkorb lässt sich vor dem {session} nicht schätzen",
    "no_aligned_history": "zu wenig abgeglichene Kurshistorie der Werte von {sector} vor dem {day}",
    "no_session_after": ("der {day} ist kein NYSE-Handelstag, und die Erklärung nutzt nur Daten bis zum Ende des Tages "
                         "(kein Vorgriff)"),
}
"""German of every Text code the report can show (see the module docstring)."""


def de(text: Any) -> str:
    """``text`` in German: a :class:`Text` with a code in :data:`DE` rendered from its args; anything else as it is."""
    if not isinstance(text, Text) or text.code not in DE:
        return str(text)
    tpl = DE[text.code]
    args = {k: _arg(v) for k, v in text.args.items()}
    return tpl(args) if callable(tpl) else tpl.format(**args)


def in_lang(text: Any, lang: str) -> str:
    """``text`` for the report's language: the English str unchanged for ``en``, :func:`de` for ``de``."""
    return de(text) if lang == "de" else str(text)


NOTE_KEYS_DE = {
    "index weights": "Indexgewichte", "contagion, dependency, attribution": "Ansteckung, Abhängigkeit, Zerlegung",
    "scenario": "Szenario", "context": "Kontext",
    "explain: decomposition": "Erklärung, Zerlegung", "explain: event_study": "Erklärung, Ereignisstudie der Token",
    "explain: event_study_equities": "Erklärung, Ereignisstudie der Aktien", "explain: spillover": "Erklärung, Spillover",
    "explain: spillover_vol": "Erklärung, Volatilitäts-Spillover", "explain: rolling_betas": "Erklärung, rollierende Betas",
    "explain: granger": "Erklärung, Granger-Tests", "explain: dependency": "Erklärung, Abhängigkeit",
    "explain: sector_network": "Erklärung, Sektornetz", "explain: sector_network_edges": "Erklärung, Sektornetz",
    "explain: sector_network_sectors": "Erklärung, Sektornetz je Sektor",
}
"""German labels of the notes' keys (the sections they belong to)."""


def note_key(key: str, lang: str) -> str:
    return NOTE_KEYS_DE.get(key, key) if lang == "de" else key


SOURCES_DE = {"simulated": "Simulation"}
"""German names of the sources that are words rather than names (providers keep their names)."""


def source_name(src: str, lang: str) -> str:
    return SOURCES_DE.get(src, src) if lang == "de" else src
