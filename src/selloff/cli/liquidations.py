"""``selloff liquidations`` and ``selloff cascade``: the record of what was liquidated and the forward view."""
from typing import Annotated, Optional

import typer

from selloff.cli.app import app
from selloff.cli.common import JsonOpt, StoreOpt, UniverseOpt, command, print_df, print_json, sim_caption, store_file, universe_of
from selloff.errors import ConfigError

AssetOpt = Annotated[Optional[str], typer.Option("--asset", help="One asset id (e.g. BTC).")]
OptDate = Annotated[Optional[str], typer.Option("--date", help="The UTC day (YYYY-MM-DD).")]
MUSD = 1e6


def parse_shock(text: str) -> float:
    """``-18%`` → -0.18; a number without ``%`` is a fraction (``-0.18``)."""
    t = str(text).strip().replace("−", "-").replace(" ", "")
    try:
        v = float(t[:-1]) / 100.0 if t.endswith("%") else float(t)
    except ValueError:
        raise ConfigError(f"--shock {text!r} is not a move; pass e.g. --shock -18% or --shock -0.18") from None
    return v


def _musd(df, cols):
    out = df.copy()
    for c in cols:
        out[c] = (out[c] / MUSD).round(1)
    return out


def _notes(df) -> str | None:
    if df.empty or "coverage" not in df:
        return None
    notes = sorted({n for c in df["coverage"].dropna() for n in str(c).split("; ") if n})
    return "coverage: " + " | ".join(notes) if notes else None


@command(app)
def liquidations(date: OptDate = None, asset: AssetOpt = None,
                 sector: Annotated[Optional[str], typer.Option("--sector", help="A sector's members.")] = None,
                 since: Annotated[Optional[str], typer.Option("--since", help="First day (YYYY-MM-DD).")] = None,
                 until: Annotated[Optional[str], typer.Option("--until", help="Last day (YYYY-MM-DD).")] = None,
                 store: StoreOpt = None, universe: UniverseOpt = None, as_json: JsonOpt = False) -> None:
    """What was liquidated: totals by asset, venue and side (USD m, partial feeds marked), largest hours with the
    same hour's move, share of open interest, funding and OI before vs during, positioning regime."""
    import pandas as pd
    from rich.console import Console

    from selloff import api

    r = api.liquidations(store_file(store), sector=sector, asset=asset, date=date, since=since, until=until,
                         universe=universe_of(universe))
    if as_json:
        print_json(r.to_dict())
        return
    out, sim = Console(), sim_caption(r.simulated)
    if sim:
        out.print(sim, style="bold red", markup=False)
    t = r.total
    last = None if r.end is None else (r.end - pd.Timedelta(days=1)).date()  # the window's end is exclusive
    span = f"{r.start.date() if r.start is not None else 'first day'} to {last or 'last day'} (UTC)"
    if t is None:
        out.print(f"No liquidation rows stored for {', '.join(r.assets) or 'any asset'} in {span}.", markup=False)
    else:
        out.print(f"Liquidations {span}: {t.total_usd / MUSD:,.1f} m USD (long {t.long_usd / MUSD:,.1f} m, short "
                  f"{t.short_usd / MUSD:,.1f} m){' — partial: a lower bound' if t.partial else ''}", markup=False)
        by = r.tables["by_venue"].pivot_table(index=["asset", "venue"], columns="side", values="liq_usd",
                                              aggfunc="sum").fillna(0.0).reset_index()
        by.columns.name = None
        part = r.tables["by_venue"].groupby(["asset", "venue"])["partial"].any().reset_index()
        by = by.merge(part, on=["asset", "venue"])
        cols = [c for c in ("long", "short") if c in by]
        print_df(_musd(by, cols).rename(columns={c: f"{c}_musd" for c in cols}), "By asset and venue (USD m)",
                 False, _notes(r.tables["by_venue"]))
        lh = r.tables["largest_hours"]
        if not lh.empty:
            lh = lh.assign(hour=lh["hour"].dt.strftime("%m-%d %H:%M"))
            print_df(_musd(lh, ["liq_long_usd", "liq_short_usd"])[["hour", "asset", "liq_long_usd", "liq_short_usd",
                     "move_pct", "partial"]].rename(columns={"liq_long_usd": "long_musd", "liq_short_usd": "short_musd"}),
                     "Largest hours (UTC) and the same hour's move", False)
    share = r.tables.get("oi_share")
    if share is not None and not share.empty and r.start is not None:
        print_df(_musd(share, ["liq_usd", "oi_prev_usd"])[["asset", "liq_usd", "oi_prev_usd", "share_pct", "partial"]]
                 .rename(columns={"liq_usd": "liq_musd", "oi_prev_usd": "oi_prev_musd"}),
                 "Share of open interest liquidated (OI at the previous close)", False)
    bd = r.tables.get("before_during")
    if bd is not None and not bd.empty:
        v = bd.assign(f_bef_bp=bd["funding_before"] * 1e4, f_dur_bp=bd["funding_during"] * 1e4)
        print_df(_musd(v, ["oi_before_usd", "oi_end_usd"])[["asset", "f_bef_bp", "f_dur_bp", "oi_before_usd",
                 "oi_end_usd", "oi_change_pct"]].rename(columns={"oi_before_usd": "oi_bef_m", "oi_end_usd": "oi_end_m",
                                                                 "oi_change_pct": "oi_chg_pct"}),
                 "Funding (bp per interval) and OI: before vs during", False)
    reg = r.tables.get("regimes")
    if reg is not None and not reg.empty:
        reg = reg.assign(date=reg["date"].dt.strftime("%Y-%m-%d"))
        print_df(reg, "Positioning regime (price x change of OI)", False)


@command(app)
def cascade(shock: Annotated[str, typer.Option("--shock", help="Exogenous move, e.g. -18% (or -0.18).")],
            asset: Annotated[str, typer.Option("--asset", help="Asset id.")] = "BTC", date: OptDate = None,
            store: StoreOpt = None, universe: UniverseOpt = None, as_json: JsonOpt = False) -> None:
    """The leverage cascade: a shock, the positions it liquidates, their forced selling's square-root impact,
    iterated to a fixed point; k calibrated on the store's recorded liquidations, with the error band."""
    from rich.console import Console

    from selloff import api

    s = parse_shock(shock)
    c = api.cascade(store_file(store), asset=asset, shock=s, date=date, universe=universe_of(universe))
    if as_json:
        print_json(c.to_dict())
        return
    out, sim, res = Console(), sim_caption(c.simulated), c.result
    if sim:
        out.print(sim, style="bold red", markup=False)
    out.print(f"{c.asset} shock {100 * res.shock:+.1f} % on {c.date.date()} (book at the close of "
              f"{c.book.asof.date()}, price {c.book.price:,.2f}, OI {c.book.open_interest_usd / MUSD:,.0f} m USD)",
              markup=False)
    out.print(f"liquidated: long {res.long_usd / MUSD:,.1f} m, short {res.short_usd / MUSD:,.1f} m USD; cascade adds "
              f"{res.extra_move_pct:+.2f} pp (total {res.total_move_pct:+.2f} %, amplification "
              f"{res.amplification:.3f}) in {len(res.path)} iterations", markup=False)
    out.print(f"k = {res.k:.3g}, scale = {res.scale:.3g} ({c.k_source}): {c.note}", markup=False)
    p = res.path_frame()
    p = p.assign(new_musd=(p["new_long_usd"] + p["new_short_usd"]) / MUSD,
                 cum_musd=(p["cum_long_usd"] + p["cum_short_usd"]) / MUSD)
    p["iteration"] = p["iteration"].astype(str)
    print_df(p[["iteration", "price", "move_pct", "new_musd", "cum_musd"]], "Iterations", False)
    cal = c.calibration
    if cal is not None:
        rows = [{"sample": n, "days": a["n_days"], "med_abs_log": a["median_abs_log_error"], "p10_log": a["p10_log_error"],
                 "p90_log": a["p90_log_error"], "within_x2": a["within_factor_2"],
                 "top10%": a["top_decile_median_log_error"]} for n, a in (("fit", cal.fit), ("holdout", cal.holdout))]
        import pandas as pd

        print_df(pd.DataFrame(rows), "Model vs recorded liquidations per day: ln(model/recorded)", False,
                 "recorded totals are partial (lower bounds)" if c.recorded_partial else None)
