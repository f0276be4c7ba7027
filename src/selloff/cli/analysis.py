"""``selloff demo``, ``scan``, ``report``, ``explain``, ``universe`` and ``info``."""
import json as _json
from pathlib import Path
from typing import Annotated, Optional

import typer

from selloff.cli.app import app
from selloff.cli.common import (DateOpt, EngineOpt, JsonOpt, LangOpt, OutOpt, SectorOpt, StoreOpt, UniverseOpt, command, print_df,
                                print_json, records, SchedulerOpt, sim_caption, store_file, universe_of, writable)
from selloff.errors import SelloffError

FormatOpt = Annotated[str, typer.Option("--format", help="Comma-separated: md,html,pdf,json.")]
COMPACT = {"decomposition": ["total", "BTC_part", "EQ_BASKET_part", "alpha_part", "residual", "beta_BTC", "beta_EQ_BASKET", "r2"]}


@command(app)
def demo(out_dir: OutOpt = Path("out"), store: StoreOpt = None, sector: SectorOpt = "ai-crypto", lang: LangOpt = "all",
         formats: FormatOpt = "md,html,pdf,json", universe: UniverseOpt = None, as_json: JsonOpt = False) -> None:
    """The main job on the bundled demo market: build the store, scan for sell-offs, report the largest (EN + DE)."""
    from rich.console import Console

    from selloff import api
    from selloff.pipeline.report import langs_and_formats
    from selloff.pipeline.stores import Store

    u = universe_of(universe)
    u.sector(sector)
    langs_and_formats(lang, formats)  # a bad --lang/--format fails before the store is built
    writable(out_dir)
    out = Console()
    with Store(store_file(store)) as db:
        with out.status("Simulating the demo market and writing the store…"):
            counts = api.build_demo_store(db, u)
        episodes = api.scan(db, u, sector).to_frame()
        if episodes.empty:
            raise SelloffError(f"no sell-off episode found in sector {sector}; lower the thresholds in config.toml [detect]")
        largest = episodes.loc[episodes["worst_day_z"].idxmin()]
        res = api.report(db, u, sector, largest["worst_day"], lang, formats, out_dir)
    if as_json:
        print_json({"simulated": True, "store": str(store_file(store)), "rows": records(counts),
                    "episodes": records(episodes), "report_date": largest["worst_day"], "files": [str(p) for p in res.paths]})
        return
    print_df(counts, "Store built from the simulated demo market", False, sim_caption(True))
    print_df(episodes, f"Sell-off episodes in {sector}", False, sim_caption(True))
    out.print(f"Report for the largest episode ({largest['worst_day']}, worst day {largest['worst_day_pct']:.1f} %, "
              f"z = {largest['worst_day_z']:.1f}) written to {out_dir}:", markup=False)
    for p in res.paths:
        out.print(f"  {p}", markup=False)


@command(app)
def scan(
    sector: SectorOpt = "ai-crypto",
    since: Annotated[Optional[str], typer.Option("--since", help="First day (YYYY-MM-DD).")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Last day (YYYY-MM-DD).")] = None,
    z: Annotated[Optional[float], typer.Option("--z", help="Sigma threshold (default from config).")] = None,
    move: Annotated[Optional[float], typer.Option("--move", help="Move threshold in per cent, e.g. -8.")] = None,
    breadth: Annotated[Optional[float], typer.Option("--breadth", help="Breadth threshold, share of members 0..1.")] = None,
    vol: Annotated[Optional[str], typer.Option("--vol", help="Sigma that scales a move: ewma or garch (default from config).")] = None,
    store: StoreOpt = None, universe: UniverseOpt = None, as_json: JsonOpt = False,
    all_sectors: Annotated[bool, typer.Option("--all", help="Every sector at once, ranked by sigma-scaled move x breadth.")] = False,
    engine: EngineOpt = None, scheduler: SchedulerOpt = None,
) -> None:
    """List collective sell-off episodes of a sector (or, with --all, of every sector) over any period."""
    from selloff import api
    from selloff.pipeline.params import detect_params
    from selloff.timeutil import parse_date

    u = universe_of(universe)
    u.sector(sector)
    s, t = parse_date(since, "--since"), parse_date(until, "--until")
    if s is not None and t is not None and s > t:
        raise SelloffError(f"--since {s.date()} is after --until {t.date()}; swap them")
    overrides = {k: v for k, v in (("z_threshold", z), ("move_threshold_pct", move), ("breadth_threshold", breadth), ("vol_method", vol)) if v is not None}
    params = detect_params(overrides)  # a bad --z/--vol is a ConfigError (exit 2) before the store opens
    if all_sectors:
        from selloff.cli.market import print_market_scan

        print_market_scan(api.scan_all(store_file(store), universe=u, since=s, until=t, params=params, engine=engine,
                                       scheduler=scheduler), as_json)
        return
    df = api.scan(store_file(store), u, sector, s, t, params).to_frame()
    print_df(df, f"Sell-off episodes in {sector}", as_json, sim_caption(df.attrs.get("simulated", False)))


@command(app)
def report(date: DateOpt, sector: SectorOpt = "ai-crypto", lang: LangOpt = "all", formats: FormatOpt = "md,html",
           out_dir: OutOpt = Path("out"), store: StoreOpt = None, universe: UniverseOpt = None, as_json: JsonOpt = False) -> None:
    """Write the market report for a sector and day (Markdown, HTML, PDF, JSON; English and German)."""
    from selloff import api
    from selloff.timeutil import parse_date

    u = universe_of(universe)
    u.sector(sector)
    d = parse_date(date, "--date")
    writable(out_dir)  # --lang/--format are checked by the pipeline before it reads the store
    res = api.report(store_file(store), u, sector, d, lang, formats, out_dir)
    if as_json:
        print_json({"files": [str(p) for p in res.paths]})
    else:
        for p in res.paths:
            typer.echo(str(p))


@command(app)
def explain(date: DateOpt, sector: SectorOpt = "ai-crypto", store: StoreOpt = None, universe: UniverseOpt = None,
            as_json: JsonOpt = False) -> None:
    """Why it fell and whether it spreads: factor decomposition (BTC, AI-equity basket, residual), event study,
    Diebold-Yilmaz spillover, Granger/lead-lag, tail co-movement and dependency-graph exposure."""
    from rich.console import Console

    from selloff import api
    from selloff.cli.explain_cmd import explain_table, network_line
    from selloff.timeutil import parse_date

    u = universe_of(universe)
    u.sector(sector)
    x = api.explain(store_file(store), u, sector, parse_date(date, "--date"))
    if as_json:
        print_json(x.to_dict())
        return
    out = Console(width=None if Console().is_terminal else 140)
    sim = sim_caption(x.simulated)
    if sim:
        out.print(sim, style="bold red", markup=False)
    out.print(f"{x.sector} on {x.date.date()} — event session {x.event_session.date()}\nalignment: {x.alignment}", markup=False)
    line = network_line(x)
    if line:
        out.print(line, markup=False)
    for k, v in x.tables.items():
        shown = v[[c for c in COMPACT[k] if c in v.columns]] if k in COMPACT else v
        out.print(explain_table(k.replace("_", " "), shown, x.notes.get(k) or sim))
    for k, v in x.notes.items():
        if k not in x.tables and k != "alignment":
            out.print(f"{k}: {v}", markup=False)


def universe_cmd(universe: UniverseOpt = None, as_json: JsonOpt = False) -> None:
    """Show the universe: assets, sectors and dependency edges (``selloff universe``, see cli/universe_cmd.py)."""
    import pandas as pd

    u = universe_of(universe)
    assets = pd.DataFrame([{"id": a.id, "kind": a.kind, "name": a.name, "sectors": ",".join(u.sectors_of(a.id)),
                            "coingecko": a.coingecko_id or "", "yahoo": a.yahoo or ""} for a in u.assets.values()])
    edges = pd.DataFrame([{"from": e.source, "to": e.target, "kind": e.kind, "reason": e.reason} for e in u.edges])
    if as_json:
        print_json({"files": list(u.files), "assets": records(assets), "edges": records(edges),
                    "sectors": {s.id: list(s.members) for s in u.sectors.values()}})
        return
    print_df(assets, "Assets", False)
    print_df(edges, "Dependency edges", False)


@command(app)
def info(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """What the store holds: schema version, and per table the assets, sources and time ranges."""
    from selloff import api

    i = api.info(store_file(store))
    if as_json:
        typer.echo(_json.dumps(i.to_dict(), default=str))
        return
    typer.echo(f"store {store_file(store)} — schema v{i.schema_version}; rows: " + ", ".join(f"{k} {v:,}" for k, v in i.rows.items()))
    print_df(i.bars, "Bars by asset, interval and source", False)
