"""The market report: one panel, the day's analysis, the explanation, the scenario, findings, files."""
from __future__ import annotations

import importlib
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from selloff.analytics.context import DayContext
from selloff.analytics.day import Analysis
from selloff.analytics.explanation import Explanation
from selloff.analytics import cascade as C
from selloff.analytics.panel import Panel
from selloff.analytics.sector_network import SectorNetwork
from selloff.compute import in_child
from selloff.config import defaults
from selloff.errors import ConfigError, SelloffError
from selloff.pipeline import params as P
from selloff.pipeline.analysis import (analysis_of, context_of, day_panel, explanation_of, network_around,
                                     network_sectors)
from selloff.pipeline.cascade import CascadeModel, CascadeReport, model_of
from selloff.pipeline.stress import CASCADE_ASSET, what_if_of
from selloff.report.findings import Finding, build_findings
from selloff.report.figures import make_figures, wait_figures
from selloff.report.writer import FORMATS, LANGS, output_dir, write_report
from selloff.store import Store
from selloff.texts import Text, reason_of
from selloff.timeutil import end_of_day, parse_date
from selloff.universe import Universe

__all__ = ["NetworkView", "ReportResult", "WhatIf", "langs_and_formats", "network_view", "preload", "report",
           "report_from_panel", "scenario_of"]


@dataclass(frozen=True)
class WhatIf:
    """The report's "if it goes on": the stress engine's conditional moves given a further shock
    (:func:`selloff.pipeline.stress.what_if_of`: ``ret_pct``, ``lo_pct``, ``hi_pct``, ``kind`` per asset and a
    ``SECTOR_EW`` row; attrs band, horizon_days, model, paths, seed, check, warnings) and the leverage cascade for
    Bitcoin's shock (:func:`selloff.pipeline.cascade.model_of` on the same panel, ``None`` with ``liq_note`` when
    it cannot be run)."""

    date: pd.Timestamp
    shocks: dict[str, float]
    table: pd.DataFrame
    cascade: CascadeReport | None = None
    liq_note: str = ""

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict:
        return {"date": self.date.date().isoformat(), "shocks": dict(self.shocks),
                "table": self.table.reset_index(names="asset").to_dict(orient="records"),
                "attrs": {k: v for k, v in self.table.attrs.items()},
                "cascade": None if self.cascade is None else self.cascade.to_dict(), "liq_note": self.liq_note}


@dataclass(frozen=True)
class NetworkView:
    """The report's "Is it spreading across the market?": the sector network of ``explain`` computed on the
    report's panel (``net``), or why it could not be (``error``), with the sectors' names and members and the
    sources of their bars."""

    date: pd.Timestamp
    sector: str
    net: SectorNetwork | None
    error: SelloffError | None
    sectors: dict[str, dict] = field(default_factory=dict)
    sources: tuple[str, ...] = ()


def network_view(panel: Panel, universe: Universe, sector: str, date: object) -> NetworkView:
    """The sector network around ``date`` on a panel that holds every sector's members (``day_panel(...,
    later=True)``); a network that cannot be computed gives the error instead, never a guess."""
    d = parse_date(date, "date")
    sid = universe.sector(sector).id
    used = network_sectors(universe, sid)  # the members that make each index (shared ones link sectors by construction)
    info = {k: {"en": s.name, "de": s.name_de or s.name, "members": used.get(k, list(s.members))}
            for k, s in universe.sectors.items()}
    try:
        net = network_around(panel, universe, sid, d)
    except SelloffError as exc:
        return NetworkView(d, sid, None, exc, info, ())
    members = {m for k in net.sectors.index for m in used.get(k, ())}
    bars = panel.daily
    bars = bars[bars["asset"].isin(members) & (bars["ts"] <= end_of_day(d))] if len(bars) else bars
    srcs = tuple(sorted(bars["source"].unique())) if len(bars) else ()
    return NetworkView(d, sid, net, None, info, srcs)


@dataclass(frozen=True)
class ReportResult:
    """What ``report`` computed and wrote: the files, the findings they draw every number from, and the
    analysis, explanation and scenario behind them (``None`` where a section was left out, with the reason in
    ``notes``)."""

    paths: tuple[Path, ...]
    findings: tuple[Finding, ...]
    analysis: Analysis
    explanation: Explanation | None
    scenario: WhatIf | None
    notes: dict[str, str] = field(default_factory=dict)
    context: DayContext | None = None
    network: NetworkView | None = None

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


def scenario_of(panel: Panel, universe: Universe, sector: str, date: object) -> WhatIf:
    """The day's "if it goes on" on the loaded panel, with the history to the end of ``date``: ``[scenario]``'s
    further shocks to Bitcoin and the AI-equity basket through the stress engine (``[report] what_if_paths``
    paths, ``[stress] seed``), and the leverage cascade of Bitcoin's shock hitting the next day.

    Raises ``SelloffError`` when the engine cannot run (too little history); a cascade that cannot run leaves
    ``cascade`` None with the reason."""
    return _what_if(what_if_table_of(panel, universe, sector, date), _cascade_of(panel, date), date)


def what_if_table_of(panel: Panel, universe: Universe, sector: str, date: object) -> pd.DataFrame:
    """The stress engine's part of :func:`scenario_of`: the what-if table (``[report] what_if_paths`` paths)."""
    return what_if_of(panel, universe, sector, parse_date(date, "date"), paths=int(defaults("report")["what_if_paths"]))


def _cascade_of(panel: Panel, date: object) -> CascadeModel | SelloffError:
    """The cascade part of :func:`scenario_of`: the model for the day after ``date``, or why there is none (no
    book: the liquidations are left out, never guessed)."""
    try:
        return model_of(panel, CASCADE_ASSET, parse_date(date, "date") + pd.Timedelta(days=1))
    except SelloffError as exc:
        return exc


def _what_if(tab: pd.DataFrame, m: CascadeModel | SelloffError, date: object) -> WhatIf:
    d = parse_date(date, "date")
    shocks = {str(a): float(r["ret_pct"]) / 100 for a, r in tab.iterrows() if r["kind"] == "shocked"}
    move = shocks.get(CASCADE_ASSET)
    if move is None:
        return WhatIf(d, shocks, tab, None, f"{CASCADE_ASSET} is not shocked, so the cascade has no move to start from")
    if isinstance(m, SelloffError):
        return WhatIf(d, shocks, tab, None, str(m))
    try:
        return WhatIf(d, shocks, tab, CascadeReport(m, C.run_cascade(m.book, C.check_shock(move), m.k, m.scale)))
    except SelloffError as exc:
        return WhatIf(d, shocks, tab, None, str(exc))


def _left_out(exc: SelloffError) -> Text:
    """The note of a section left out because of ``exc`` (its message kept as a :class:`Text` when it has one)."""
    return Text("left_out", f"left out: {exc}", reason=reason_of(exc))


def _explained(panel: Panel, universe: Universe, sector: str, date: object) -> Explanation | SelloffError:
    """The report's explanation, or why there is none (e.g. not enough aligned history), as a value."""
    try:
        return explanation_of(panel, universe, sector, date)
    except SelloffError as exc:
        return exc


def _analyses(panel: Panel, universe: Universe, sector: str, date: object, explained=None):
    """The report's analysis, explanation and context from the panel, with the notes of what was left out;
    ``explained``: an :class:`~selloff.compute.InChild` of :func:`_explained` computing the explanation meanwhile."""
    a = analysis_of(panel, universe, sector, date)
    notes: dict[str, str] = {}
    if a.weighting == "cap" and a.provenance.get("weights"):
        notes["index weights"] = a.provenance["weights"]
    try:
        ctx = context_of(panel, universe, sector, a)
    except SelloffError as exc:  # the context block is left out, with the reason, never guessed
        ctx = exc
    x = explained.result() if explained is not None else _explained(panel, universe, sector, date)
    if isinstance(x, SelloffError):  # the report goes out without those sections
        notes["contagion, dependency, attribution"] = _left_out(x)
        x = None
    else:
        notes.update({f"explain: {k}": v for k, v in x.notes.items() if k != "alignment"})
    if isinstance(ctx, SelloffError):
        notes["context"] = _left_out(ctx)
        ctx = None
    return a, x, ctx, notes


SIDE_GROUPS = {1: (("network", "cascade", "table"),), 2: (("network", "cascade"), ("table",)),
               3: (("network",), ("cascade",), ("table",))}
"""``[report] side_processes``: how the side work (sector network, cascade calibration, stress what-if table) is
split over forked children (1: one child does all three in turn; the report's CPU then runs on two processes)."""


def _side(panel: Panel, universe: Universe, sector: str, date: object, parts: tuple[str, ...]) -> dict:
    """The side work ``parts`` of the report (see :data:`SIDE_GROUPS`); a what-if table that cannot be computed is
    its exception (the report leaves the scenario out with it), as the cascade and the network already are."""
    out: dict = {}
    for part in parts:
        if part == "network":
            out[part] = network_view(panel, universe, sector, date)
        elif part == "cascade":
            out[part] = _cascade_of(panel, date)
        else:
            try:
                out[part] = what_if_table_of(panel, universe, sector, date)
            except SelloffError as exc:
                out[part] = exc
    return out


def _early_figures(a, x, ctx, langs: list[str], out: str | Path) -> dict:
    """Every figure but the network's, from the findings of the analysis, explanation and context alone (the
    figures read nothing of the what-if or the network, so they are the figures of the full findings)."""
    out_dir, _ = output_dir(a, out)
    return make_figures(a, langs, out_dir / "figures", build_findings(a, x, None, ctx, None), ctx,
                        int(defaults("report")["figure_processes"]), part="early")


CHILD_IMPORTS = ("arch", "statsmodels.regression.linear_model", "statsmodels.tools.tools",
                 "statsmodels.tsa.vector_ar.var_model", "statsmodels.tsa.stattools")
"""The libraries the forked children use (GARCH fits, VARs, regressions, Granger tests): imported by the parent
before it forks, so that the children inherit them instead of importing them anew for every report (0.9 s here);
the modules the analytics import, not ``statsmodels.api`` (its graphics, formulas and datasets: 0.3 s more)."""
_importing: list[threading.Thread] = []


def preload(wait: bool = True) -> None:
    """Import :data:`CHILD_IMPORTS` (in a thread with ``wait`` False: the report starts it before the store read,
    which spends its time in DuckDB without Python's lock, and waits for it before it forks). At once where done."""
    if not _importing:
        if all(m in sys.modules for m in CHILD_IMPORTS):
            return
        th = threading.Thread(target=lambda: [importlib.import_module(m) for m in CHILD_IMPORTS], daemon=True,
                              name="selloff-preload")
        _importing.append(th)
        th.start()
    if wait:
        _importing[0].join()  # a fork while a thread holds an import lock would leave the child that lock held


def report_from_panel(panel: Panel, universe: Universe, sector: str, date: object, lang: str = "all",
                      formats: str | list[str] = "md,html", out: str | Path = "out") -> ReportResult:
    """The report from a loaded panel (pure but for writing the files into ``out``)."""
    langs, fmts = langs_and_formats(lang, formats)
    # the what-if's two parts (stress engine; cascade calibration) and the sector network, pure on the panel, run in
    # forked children meanwhile (same result as in this process)
    cfg = defaults("report")
    par = bool(cfg["what_if_process"])
    if cfg["side_processes"] not in SIDE_GROUPS:
        raise ConfigError(f"[report] side_processes = {cfg['side_processes']}; use 1, 2 or 3 (forked children)")
    groups = SIDE_GROUPS[cfg["side_processes"]]
    for k in ("side_nice", "explain_nice"):
        if not 0 <= cfg[k] <= 19:
            raise ConfigError(f"[report] {k} = {cfg[k]}; use 0 (the parent's priority) to 19 (the lowest)")
    if par:
        preload()
    # the side work is needed last, the explanation after the analysis and context: lower priorities leave the two
    # cores to the parent's critical path first (measured: 0.28 s less a report, median of 8 paired runs)
    kids = [in_child(_side, panel, universe, sector, date, g, enabled=par, nice=cfg["side_nice"]) for g in groups]
    kids.append(in_child(_explained, panel, universe, sector, date, enabled=par, nice=cfg["explain_nice"]))
    try:
        a, x, ctx, notes = _analyses(panel, universe, sector, date, kids[-1])
        early = _early_figures(a, x, ctx, langs, out) if par else None  # while the children compute
        side = {k: v for kid in kids[:-1] for k, v in kid.result().items()}
    except BaseException:
        for kid in kids:
            kid.cancel()
        wait_figures()  # reap an early figure writer: the next report must not wait for this one's files
        raise
    nv = side["network"]
    if nv.error is not None:  # said in the section in one sentence; the whole message in the notes
        notes["sector network"] = _left_out(nv.error)
    elif nv.net is not None and nv.net.skipped:
        notes["sector network"] = Text("network_skipped", "sectors left out: " + "; ".join(f"{k} ({v})" for k, v in nv.net.skipped.items()),
                                       items=list(nv.net.skipped.items()))
    scen = None
    try:
        if isinstance(side["table"], SelloffError):
            raise side["table"]
        scen = _what_if(side["table"], side["cascade"], date)
    except SelloffError as exc:  # a scenario that cannot be computed is left out, never guessed
        notes["scenario"] = _left_out(exc)
    if "context" in notes:  # the notes in the order of the sections
        notes["context"] = notes.pop("context")
    findings = build_findings(a, x, scen, ctx, nv)
    names = {k: v.name for k, v in universe.assets.items()}
    paths = write_report(a, findings, names, Path(out), langs, fmts, notes=notes, context=ctx, early_figures=early)
    return ReportResult(tuple(paths), tuple(findings), a, x, scen, notes, ctx, nv)


def report(store: Store, universe: Universe, sector: str, date: object, lang: str = "all",
           formats: str | list[str] = "md,html", out: str | Path = "out") -> ReportResult:
    """Write the market report for ``sector`` on ``date`` (a UTC day) into ``out``: every table read once."""
    langs_and_formats(lang, formats)  # a bad --lang/--format fails before the store is read
    d = parse_date(date, "date")
    if defaults("report")["what_if_process"]:
        preload(wait=False)
    lb = P.lookbacks()
    panel = day_panel(store, universe, sector, d, max(lb.values()), later=True)
    return report_from_panel(panel, universe, sector, d, lang, formats, out)
