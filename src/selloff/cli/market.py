"""``selloff today`` (the market board) and the table of ``selloff scan --all``: tables that fit 80 columns."""
import math
from typing import Annotated, Optional

import typer

from selloff.cli.app import app
from selloff.cli.common import JsonOpt, StoreOpt, UniverseOpt, command, print_json, sim_caption, store_file, universe_of

WIDTH = 80


def _pct(v, nd: int = 1) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:+.{nd}f}"


def _num(v, nd: int = 1) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{nd}f}"


def _table(title: str, caption: str | None):
    from rich import box
    from rich.table import Table

    return Table(title=title, caption=caption, box=box.SIMPLE_HEAD, padding=(0, 0), pad_edge=False,
                 show_edge=False)


@command(app)
def today(
    date: Annotated[Optional[str], typer.Option("--date", help="The day (UTC, YYYY-MM-DD; default: the last day with crypto data).")] = None,
    store: StoreOpt = None, universe: UniverseOpt = None, as_json: JsonOpt = False,
) -> None:
    """The market board: every sector's 1 d / 7 d / 30 d move, sigma-scaled move, breadth, active episode, and
    its move against BTC and the equity indices — on one screen."""
    from rich.console import Console

    from selloff import api
    from selloff.timeutil import parse_date

    b = api.today(store_file(store), date=parse_date(date, "--date"), universe=universe_of(universe))
    if as_json:
        print_json(b.to_dict())
        return
    out = Console(width=WIDTH)
    w = b.windows
    t = _table(f"Market on {b.date.date()} — sector moves, per cent", sim_caption(b.simulated))
    t.add_column("sector", overflow="ellipsis", max_width=18, no_wrap=True)
    for n in w:
        t.add_column(f"{n}d", justify="right")
    t.add_column("z 1d", justify="right")
    t.add_column("brd", justify="right")
    t.add_column(f"vBTC {w[1] if len(w) > 1 else w[0]}d", justify="right")
    t.add_column("episode", overflow="ellipsis", no_wrap=True, max_width=16)
    wv = w[1] if len(w) > 1 else w[0]
    for r in b.sectors.sort_values(f"move_{w[0]}d_pct").to_dict("records"):
        t.add_row(r["sector"], *[_pct(r[f"move_{n}d_pct"]) for n in w], _pct(r[f"z_{w[0]}d"]), _num(r["breadth"], 2),
                  _pct(r.get(f"vs_BTC_{wv}d_pp")), r["episode"] if isinstance(r["episode"], str) else "")
    out.print(t)
    if len(b.benchmarks):
        e = _table("Benchmarks, per cent", None)
        e.add_column("asset", overflow="ellipsis", max_width=26, no_wrap=True)
        e.add_column("as of")
        for n in w:
            e.add_column(f"{n}d", justify="right")
        for r in b.benchmarks.to_dict("records"):
            e.add_row(f"{r['asset']} {r['name']}", f"{r['asof']:%Y-%m-%d}", *[_pct(r[f"move_{n}d_pct"]) for n in w])
        out.print(e)
    if b.without_data:
        out.print(f"no data: {', '.join(b.without_data)}", markup=False, overflow="fold")


def print_market_scan(res, as_json: bool) -> None:
    """The ranked all-sector episodes as an 80-column table (or JSON)."""
    from rich.console import Console

    if as_json:
        print_json(res.to_dict())
        return
    out = Console(width=WIDTH)
    t = _table("Sell-off episodes, all sectors, ranked by sigma x breadth", sim_caption(res.simulated))
    for c, j, wd in (("sector", "left", 15), ("kind", "left", 5), ("start", "left", 10), ("ends", "left", 5),
                     ("depth%", "right", 6), ("move%", "right", 6), ("z", "right", 5), ("brd", "right", 4),
                     ("24h%", "right", 6), ("score", "right", 5)):
        t.add_column(c, justify=j, no_wrap=True, overflow="ellipsis", min_width=wd, max_width=wd)
    for e in res.episodes:
        t.add_row(e.sector, e.kind, f"{e.start:%Y-%m-%d}", f"{e.life_end:%m-%d}" if e.life_end is not None else "",
                  _pct(e.depth_pct), _pct(e.move_pct), _num(e.move_z), _num(e.max_breadth, 2), _pct(e.worst_24h_pct),
                  _num(e.score))
    out.print(t)
    if res.without_data:
        out.print(f"no data: {', '.join(res.without_data)}", markup=False, overflow="fold")
