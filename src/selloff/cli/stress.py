"""``selloff stress``: VaR/ES by filtered historical simulation, factor shocks, scenarios, reverse stress and
backtests (everything computed by :func:`selloff.api.stress`; this module parses and prints)."""
from pathlib import Path
from typing import Annotated, Optional

import typer

from selloff.cli.app import app
from selloff.cli.common import (EngineOpt, JsonOpt, SchedulerOpt, SectorOpt, StoreOpt, UniverseOpt, command, print_json, sim_caption,
                                store_file, universe_of, writable)

WIDTH = 80
"""Tables fit 80 columns."""


def _pct(x) -> str:
    return "" if x is None or x != x else f"{x:,.2f}"


def _table(title: str, columns: list[str], rows: list[list[str]], caption: str | None = None):
    from rich.table import Table

    t = Table(title=title, caption=caption, width=None)
    for i, c in enumerate(columns):
        t.add_column(c, justify="left" if i == 0 else "right", overflow="fold")
    for r in rows:
        t.add_row(*r)
    return t


def _print(res) -> None:
    from rich.console import Console

    out = Console(width=min(WIDTH, Console().width))
    sim = sim_caption(res.simulated)
    if sim:
        out.print(sim, style="bold red", markup=False)
    w = res.window
    out.print(f"{res.sector}: {res.model}, {res.paths:,} paths, seed {res.seed}; {w[2]} rows of {res.calendar} "
              f"{w[0]}..{w[1]}", markup=False)
    if res.portfolio_value_usd is not None:
        out.print(f"portfolio equity {res.portfolio_value_usd:,.0f} USD at the last stored closes "
                  f"({res.portfolio_source}); VaR/ES in USD in --json/--csv", markup=False)
    for n in res.notes:
        out.print(f"note: {n}", markup=False)
    for n in res.warnings:
        out.print(f"warning: {n}", style="yellow", markup=False)
    rows = [[f"{int(r.horizon_days)}d", f"{r.level_pct:g} %", _pct(r.var_pct), f"{_pct(r.var_lo_pct)}..{_pct(r.var_hi_pct)}",
             _pct(r.es_pct), f"{_pct(r.es_lo_pct)}..{_pct(r.es_hi_pct)}"] for r in res.risk.itertuples()]
    out.print(_table("VaR and ES, % of equity (95 % Monte Carlo intervals)",
                     ["horizon", "level", "VaR", "VaR CI", "ES", "ES CI"], rows))
    cols = [c for c in res.euler_assets.columns if c.startswith("ces_")]
    rows = [[a, _pct(r["exposure"]), *[_pct(r[c]) for c in cols]] for a, r in res.euler_assets.iterrows()]
    rows.append(["total", "", *[_pct(res.euler_assets[c].sum()) for c in cols]])
    out.print(_table(f"Euler contributions to ES {res.euler_level * 100:g} %, % of equity",
                     ["asset", "exposure", *[c.split("_")[1] for c in cols]], rows))
    d = res.distribution
    d = d[d.index.isin([*[p["asset"] for p in res.portfolio], "PORTFOLIO"])]
    rows = [[a, _pct(r["sigma_1d_pct"]), _pct(r["p01_pct"]), _pct(r["p05_pct"]), _pct(r["median_pct"]),
             _pct(r["p95_pct"])] for a, r in d.iterrows()]
    out.print(_table(f"Simulated {res.horizon}d moves, % (portfolio: P&L on equity)",
                     ["asset", "sigma 1d", "p01", "p05", "median", "p95"], rows))
    fcols = [c for c in res.euler_factors.columns if c.startswith("ces_")]
    rows = [[f, *[_pct(r[c]) for c in fcols]] for f, r in res.euler_factors.iterrows()]
    out.print(_table("ES by factor, % of equity", ["factor", *[c.split("_")[1] for c in fcols]], rows))
    if res.shock is not None:
        c = res.shock_check
        out.print(f"shock at {res.horizon}d: " + ", ".join(f"{a} {m * 100:+.1f} % ({z:+.1f} sigma)" for a, m, z in
                                                         zip(c["assets"], c["moves"], c["z"]))
                  + f"; joint distance {c['mahalanobis']:.1f} sigma", markup=False)
        r = res.shock_risk.iloc[-1]
        band = f"{r['band'] * 100:g} %"
        rows = [[a, r_["kind"], _pct(r_["mean_pct"]), _pct(r_["lo_pct"]), _pct(r_["hi_pct"])] for a, r_ in res.shock.iterrows()]
        out.print(_table(f"Conditional moves given the shock, % ({band} band)", ["asset", "kind", "mean", "low", "high"], rows))
        out.print(f"portfolio given the shock: expected P&L {r['expected_pnl_pct']:+.2f} % ({band} band "
                  f"{r['pnl_lo_pct']:+.2f}..{r['pnl_hi_pct']:+.2f}), ES {r['level_pct']:g} % {r['es_pct']:.2f} %",
                  markup=False)
    if res.scenario is not None:
        s = res.scenario
        rows = [[t["asset"], t["kind"], _pct(t["mean_pct"]), _pct(t["pnl_pct"]) if t["exposure"] else ""]
                for t in s["table"]]
        out.print(_table(f"Scenario {s['name']} ({s['start']}..{s['end']}, {s['replay_days']}d)",
                         ["asset", "kind", "move", "P&L"], rows))
        out.print(f"portfolio P&L {s['portfolio_pnl_pct']:+.2f} %, worst position {s['worst_position']}", markup=False)
    if res.reverse is not None:
        r = res.reverse
        moves = ", ".join(f"{f} {m * 100:+.1f} %" for f, m in zip(r["factors"], r["gaussian_moves"]))
        out.print(f"reverse stress, loss {r['loss'] * 100:.1f} % in {r['horizon_days']}d: most plausible {moves}; "
                  f"Mahalanobis {r['mahalanobis']:.2f} (Gaussian P = {r['gaussian_prob']:.2%}); "
                  f"simulated: {r['sim_paths']:,} paths ({r['sim_prob']:.2%})", markup=False)
        if r["sim_factor_moves"]:
            out.print("  simulated mean factor moves on those paths: " + ", ".join(
                f"{f} {m * 100:+.1f} %" for f, m in zip(r["factors"], r["sim_factor_moves"])), markup=False)
    if res.backtest is not None:
        b = res.backtest
        rows = [[f"{x['level'] * 100:g} %", str(x["exceptions"]), f"{x['expected']:.1f}", f"{x['p_value']:.3f}",
                 f"{x['christoffersen_p']:.3f}", f"{x['p_cc']:.3f}"] for x in b["per_level"]]
        out.print(_table(f"VaR backtest, {b['days']} days {b['first']}..{b['last']}",
                         ["level", "exc.", "expected", "Kupiec p", "indep. p", "cc p"], rows, b["method"]))
        tl, mt = b["traffic_light"], b["multinomial"]
        out.print(f"traffic light: {tl['exceptions']} exceptions in {tl['days']} days at {tl['level'] * 100:g} % -> "
                  f"{tl['zone']}" + (f" ({tl['note']})" if tl.get("note") else ""), markup=False)
        out.print(f"multinomial ES test ({mt['df']} levels): statistic {mt['statistic']:.2f}, p = {mt['p_value']:.3f}",
                  markup=False)
    m = res.margin
    if (m["leverage"] > 1).any():
        pc = [c for c in m.columns if c.startswith("prob_")][0]
        rows = [[a, r["side"], f"{r['leverage']:g}", _pct(r["margin_call_move_pct"]), _pct(r[pc])] for a, r in m.iterrows()]
        out.print(_table("Margin-call distance (isolated margin)", ["asset", "side", "lev.", "move", f"P {pc[5:-4]}"], rows))
        out.print(f"portfolio margin call within {res.horizon}d (cross margin): {res.margin_call_prob:.2%} of paths",
                  markup=False)
    out.print(res.expected_liquidations_note, markup=False)


@command(app)
def stress(
    shock: Annotated[Optional[list[str]], typer.Option("--shock", help="ASSET=MOVE, e.g. BTC=-18% (repeatable).")] = None,
    scenario: Annotated[Optional[str], typer.Option("--scenario", help="Library scenario or episode:YYYY-MM-DD.")] = None,
    list_scenarios: Annotated[bool, typer.Option("--list-scenarios", help="List the scenario library and exit.")] = False,
    reverse: Annotated[Optional[str], typer.Option("--reverse", help="Reverse stress for this loss, e.g. -25%.")] = None,
    backtest: Annotated[bool, typer.Option("--backtest", help="Backtest the 1-day VaR over the stored history.")] = False,
    portfolio: Annotated[Optional[Path], typer.Option("--portfolio", help="TOML/CSV: asset, weight or quantity, leverage.")] = None,
    horizon: Annotated[str, typer.Option("--horizon", help="1d, 5d or 10d.")] = "1d",
    paths: Annotated[Optional[int], typer.Option("--paths", help="Monte Carlo paths (default from config).")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Root seed (default from config).")] = None,
    method: Annotated[Optional[str], typer.Option("--method", help="fhs or t-copula (default from config).")] = None,
    csv_out: Annotated[Optional[Path], typer.Option("--csv", help="Write the VaR/ES table to this CSV file.")] = None,
    sector: SectorOpt = "ai-crypto", store: StoreOpt = None, universe: UniverseOpt = None, as_json: JsonOpt = False,
    engine: EngineOpt = None, scheduler: SchedulerOpt = None,
) -> None:
    """Stress test the sector's members (equal-weighted) or a portfolio: VaR/ES with intervals, Euler
    contributions, factor shocks, historical scenarios, reverse stress and VaR backtests."""
    from selloff import api

    if list_scenarios:
        path = store_file(store)
        df = api.stress_scenarios(path, sector=sector, universe=universe_of(universe)) if path.exists() \
            else api.stress_scenarios()
        if as_json:
            print_json(df.to_dict(orient="records"))
            return
        from selloff.cli.common import print_df

        print_df(df.drop(columns=["title"]), "Historical scenario library", False)
        return
    u = universe_of(universe)
    u.sector(sector)
    if csv_out is not None:
        writable(csv_out.parent if str(csv_out.parent) else Path("."))
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    err = Console(stderr=True)
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=True, disable=not err.is_terminal)
    tasks: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if not tasks:
            bar.start()  # started on the first batch: a bad input fails before any bar is drawn
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done)

    try:
        res = api.stress(store_file(store), sector=sector, shocks=tuple(shock or ()), scenario=scenario,
                         reverse=reverse, backtest=backtest, portfolio=portfolio, horizon=horizon, paths=paths,
                         seed=seed, universe=u, method=method, progress=progress, engine=engine,
                         scheduler=scheduler)
    finally:
        if tasks:
            bar.stop()
    if csv_out is not None:
        res.to_frame().to_csv(csv_out, index=False)
    if as_json:
        print_json(res.to_dict())
        return
    _print(res)
