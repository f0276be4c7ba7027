"""``selloff explain``: attribution, event study, spillover and contagion tables for a sector and day."""
from __future__ import annotations

import json as _json
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from selloff import api
from selloff.config import defaults
from selloff.explain import explain as _explain
from selloff.store import Store
from selloff.universe import load_universe

out = Console(width=None if Console().is_terminal else 140)
COMPACT = {"decomposition": ["total", "BTC_part", "EQ_BASKET_part", "alpha_part", "residual", "beta_BTC", "beta_EQ_BASKET", "r2"]}


def _table(title: str, df: pd.DataFrame, caption: str | None) -> Table:
    t = Table(title=title, caption=caption, title_justify="left")
    d = df.reset_index() if df.index.name or not isinstance(df.index, pd.RangeIndex) else df
    for c in d.columns:
        t.add_column(str(c), justify="right" if pd.api.types.is_numeric_dtype(d[c]) else "left", overflow="fold")
    for _, row in d.iterrows():
        t.add_row(*[(f"{v:.3f}" if isinstance(v, float) else str(v)) for v in row])
    return t


def explain(
    date: Annotated[str, typer.Option("--date", help="The day to explain (UTC, YYYY-MM-DD).")],
    sector: Annotated[str, typer.Option("--sector", help="Sector id from the universe.")] = "ai-crypto",
    store: Annotated[Optional[Path], typer.Option("--store", help="DuckDB store file (default: the user data dir).")] = None,
    universe: Annotated[Optional[Path], typer.Option("--universe", help="Extra universe TOML.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Why it fell and whether it spreads: factor decomposition (BTC, AI-equity basket, residual), event study,
    Diebold-Yilmaz spillover, Granger/lead-lag, tail co-movement and dependency-graph exposure."""
    from selloff.cli import _date

    u = load_universe(*([universe] if universe else []))
    d = _date(date, "--date")
    with Store(api.store_path(store), read_only=True) as db:
        x = _explain(db, u, sector, d)
    sim = defaults("report")["simulated_label_en"] if x.simulated else None
    if as_json:
        payload = {"sector": x.sector, "date": x.date.date().isoformat(), "event_session": x.event_session.date().isoformat(),
                   "alignment": x.alignment, "simulated": x.simulated, "notes": x.notes,
                   "tables": {k: _json.loads(v.reset_index().to_json(orient="records", date_format="iso")) for k, v in x.tables.items()}}
        out.print_json(_json.dumps(payload))
        return
    if sim:
        out.print(f"[bold red]{sim}[/]")
    out.print(f"[bold]{x.sector} on {x.date.date()}[/] — event session {x.event_session.date()}\nalignment: {x.alignment}")
    for k, v in x.tables.items():
        shown = v[[c for c in COMPACT[k] if c in v.columns]] if k in COMPACT else v
        out.print(_table(k.replace("_", " "), shown, x.notes.get(k) or sim))
    for k, v in x.notes.items():
        if k not in x.tables and k != "alignment":
            out.print(f"{k}: {v}")
