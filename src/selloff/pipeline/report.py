"""The market report: one panel, the day's analysis, the explanation, the scenario, findings, files."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from selloff.analytics.context import DayContext
from selloff.analytics.day import Analysis
from selloff.analytics.explanation import Explanation
from selloff.analytics.liquidations import daily_liquidations
from selloff.analytics.panel import Panel
from selloff.analytics.scenario import Scenario, day_scenario
from selloff.config import defaults
from selloff.errors import ConfigError, SelloffError
from selloff.pipeline import params as P
from selloff.pipeline.analysis import analysis_of, context_of, day_panel, explanation_of
from selloff.report.findings import Finding, build_findings
from selloff.report.writer import FORMATS, LANGS, write_report
from selloff.store import Store
from selloff.timeutil import day_start, end_of_day, parse_date
from selloff.universe import Universe

__all__ = ["ReportResult", "langs_and_formats", "report", "report_from_panel", "scenario_of"]


@dataclass(frozen=True)
class ReportResult:
    """What ``report`` computed and wrote: the files, the findings they draw every number from, and the
    analysis, explanation and scenario behind them (``None`` where a section was left out, with the reason in
    ``notes``)."""

    paths: tuple[Path, ...]
    findings: tuple[Finding, ...]
    analysis: Analysis
    explanation: Explanation | None
    scenario: Scenario | None
    notes: dict[str, str] = field(default_factory=dict)
    context: DayContext | None = None

    def to_frame(self) -> pd.DataFrame:
        from selloff.report.findings import findings_frame

        return findings_frame(list(self.findings))

    def to_dict(self) -> dict:
        return {"files": [str(p) for p in self.paths], "sector": self.analysis.sector_id,
                "date": self.analysis.date.date().isoformat(), "simulated": self.analysis.simulated,
                "notes": dict(self.notes), "findings": [f.as_dict() for f in self.findings]}


def langs_and_formats(lang: str, formats: str | list[str]) -> tuple[list[str], list[str]]:
    """``--lang en|de|all`` and ``--format md,html,pdf,json`` as lists; a bad value is a ConfigError."""
    langs = list(LANGS) if lang == "all" else [lang]
    if any(lg not in LANGS for lg in langs):
        raise ConfigError(f"--lang '{lang}' is not supported; use en, de or all")
    fmts = [f.strip() for f in (formats.split(",") if isinstance(formats, str) else formats) if f.strip()]
    if not fmts:
        raise ConfigError(f"--format '{formats}' names no format; use any of {', '.join(FORMATS)}, comma-separated")
    bad = [f for f in fmts if f not in FORMATS]
    if bad:
        raise ConfigError(f"--format '{bad[0]}' is not supported; use any of {', '.join(FORMATS)}")
    return langs, fmts


def scenario_of(panel: Panel, a: Analysis, x: Explanation) -> Scenario:
    """The stress scenario of the day: factor projection through the explanation's betas and the liquidation
    regression on the panel's daily liquidations and market-factor returns (``[scenario]`` of the config)."""
    cfg = defaults("scenario")
    mkt = str(defaults("attribution")["market_factor"])
    shocks = {mkt: float(cfg["market_shock"]), "EQ_BASKET": float(cfg["equity_shock"])}
    liq = None
    days = P.lookbacks()["liquidation_history_days"]
    hist = panel.between(day_start(a.date) - pd.Timedelta(days=days), end_of_day(a.date))  # [pipeline] liquidation_history_days
    if mkt in hist.returns.columns:
        liq = pd.concat({"btc_ret": hist.returns[mkt], "liq_usd": daily_liquidations(hist.derivatives)}, axis=1)
    params = {"shocks": shocks, "band_z": float(cfg["band_z"]), "liq_min_obs": int(cfg["liq_min_obs"])}
    return day_scenario(a.members, a.sector_ret_1d, a.sector_z_1d, x.tables.get("decomposition"), liq, params)


def report_from_panel(panel: Panel, universe: Universe, sector: str, date: object, lang: str = "all",
                      formats: str | list[str] = "md,html", out: str | Path = "out") -> ReportResult:
    """The report from a loaded panel (pure but for writing the files into ``out``)."""
    langs, fmts = langs_and_formats(lang, formats)
    a = analysis_of(panel, universe, sector, date)
    notes: dict[str, str] = {}
    if a.weighting == "cap" and a.provenance.get("weights"):
        notes["index weights"] = a.provenance["weights"]
    x = scen = None
    try:
        x = explanation_of(panel, universe, sector, date)
        notes.update({f"explain: {k}": v for k, v in x.notes.items() if k != "alignment"})
    except SelloffError as exc:  # e.g. not enough aligned history: the report goes out without those sections
        notes["contagion, dependency, attribution, scenario"] = f"left out: {exc}"
    if x is not None:
        try:
            scen = scenario_of(panel, a, x)
        except SelloffError as exc:  # a scenario that cannot be computed is left out, never guessed
            notes["scenario"] = f"left out: {exc}"
    ctx = None
    try:
        ctx = context_of(panel, universe, sector, a)
    except SelloffError as exc:  # the context block is left out, with the reason, never guessed
        notes["context"] = f"left out: {exc}"
    findings = build_findings(a, x, scen, ctx)
    names = {k: v.name for k, v in universe.assets.items()}
    paths = write_report(a, findings, names, Path(out), langs, fmts, notes=notes, context=ctx)
    return ReportResult(tuple(paths), tuple(findings), a, x, scen, notes, ctx)


def report(store: Store, universe: Universe, sector: str, date: object, lang: str = "all",
           formats: str | list[str] = "md,html", out: str | Path = "out") -> ReportResult:
    """Write the market report for ``sector`` on ``date`` (a UTC day) into ``out``: every table read once."""
    langs_and_formats(lang, formats)  # a bad --lang/--format fails before the store is read
    d = parse_date(date, "date")
    lb = P.lookbacks()
    panel = day_panel(store, universe, sector, d, max(lb.values()), later=True)
    return report_from_panel(panel, universe, sector, d, lang, formats, out)
