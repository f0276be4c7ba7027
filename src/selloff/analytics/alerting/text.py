"""One-line English and German summaries of an alert, written from the readings that made it fire.

Every figure in a summary is a value of the reading (never a number the rule did not measure); percentages
with one decimal, prices with thousands separators, German with decimal comma.
"""
from __future__ import annotations

import pandas as pd

from selloff.analytics.alerting.rules import Rule

__all__ = ["duration_label", "num", "summaries"]


def num(x: float, nd: int, lang: str, sign: bool = False) -> str:
    """``x`` with ``nd`` decimals and thousands separators; German swaps the separators; ``sign`` shows + and −."""
    s = f"{x:+,.{nd}f}" if sign else f"{x:,.{nd}f}"
    if lang == "de":
        s = s.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return s.replace("-", "\u2212")


def duration_label(td: pd.Timedelta | None, lang: str) -> str:
    if td is None:
        return ""
    s = td.total_seconds()
    if s % 86400 == 0 and s >= 2 * 86400:
        n = int(s // 86400)
        return f"{n} d" if lang == "en" else f"{n} Tagen"
    if s % 3600 == 0:
        return f"{int(s // 3600)} h"
    if s % 60 == 0:
        return f"{int(s // 60)} min"
    return f"{int(s)} s"


def summaries(rule: Rule, sector: str | None, asset: str | None, v: dict) -> tuple[str, str]:
    """(English, German) summary of ``rule`` for the target with readings ``v``."""
    w_en, w_de = duration_label(rule.window, "en"), duration_label(rule.window, "de")
    if rule.kind in ("threshold", "crossing"):
        p_en, p_de = num(v["price_usd"], 2, "en"), num(v["price_usd"], 2, "de")
        if rule.kind == "threshold":
            lvl = rule.below if rule.below is not None else rule.above
            rel_en, rel_de = ("below", "unter") if rule.below is not None else ("above", "über")
            return (f"{asset} at {p_en} USD, {rel_en} {num(lvl, 2, 'en')} USD",
                    f"{asset} bei {p_de} USD, {rel_de} {num(lvl, 2, 'de')} USD")
        down = rule.direction == "down"
        return (f"{asset} crossed {'below' if down else 'above'} {num(rule.level, 2, 'en')} USD (now {p_en} USD)",
                f"{asset} {'fiel unter' if down else 'stieg über'} {num(rule.level, 2, 'de')} USD (jetzt {p_de} USD)")
    if rule.kind == "change":
        c = v["change_pct"]
        return (f"{asset} {num(c, 1, 'en', True)} % in {w_en}", f"{asset} {num(c, 1, 'de', True)} % in {w_de}")
    if rule.kind == "zscore":
        b_en, b_de = duration_label(rule.baseline, "en"), duration_label(rule.baseline, "de")
        return (f"{asset} {num(v['change_pct'], 1, 'en', True)} % in {w_en}, {num(v['z'], 1, 'en', True)} σ "
                f"against the {b_en} before",
                f"{asset} {num(v['change_pct'], 1, 'de', True)} % in {w_de}, {num(v['z'], 1, 'de', True)} σ "
                f"gegenüber den {b_de} davor")
    if rule.kind == "episode":
        return (f"{sector}: collective sell-off on {v['day']}: {num(v['ret_pct'], 1, 'en', True)} % "
                f"({num(v['z'], 1, 'en', True)} σ), {num(100 * v['breadth'], 0, 'en')} % of members fell more than "
                f"{num(abs(v['breadth_drop_pct']), 1, 'en')} %",
                f"{sector}: kollektiver Ausverkauf am {v['day']}: {num(v['ret_pct'], 1, 'de', True)} % "
                f"({num(v['z'], 1, 'de', True)} σ), {num(100 * v['breadth'], 0, 'de')} % der Mitglieder fielen um mehr als "
                f"{num(abs(v['breadth_drop_pct']), 1, 'de')} %")
    share_en, share_de = num(100 * v["share"], 0, "en"), num(100 * v["share"], 0, "de")
    drop_en, drop_de = num(abs(rule.drop_pct), 1, "en"), num(abs(rule.drop_pct), 1, "de")
    en = (f"{sector}: {share_en} % of members ({v['down']} of {v['with_reading']}) fell more than {drop_en} % "
          f"in {w_en}")
    de = (f"{sector}: {share_de} % der Mitglieder ({v['down']} von {v['with_reading']}) fielen in {w_de} um mehr "
          f"als {drop_de} %")
    if "benchmark_change_pct" in v:
        en += f"; {v['benchmark']} {num(v['benchmark_change_pct'], 1, 'en', True)} %"
        de += f"; {v['benchmark']} {num(v['benchmark_change_pct'], 1, 'de', True)} %"
    return en, de
