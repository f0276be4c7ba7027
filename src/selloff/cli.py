"""The ``selloff`` command line. It wires; it computes nothing itself.

Every command takes ``--store PATH`` (default: the user data dir) and, where it prints results, ``--json``.
Errors a user can fix print one line and exit with code 2.
"""
from __future__ import annotations

import functools
import json as _json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from selloff import api
from selloff.config import defaults
from selloff.errors import ConfigError, SelloffError
from selloff.store import Store
from selloff.universe import Universe, load_universe

app = typer.Typer(help="selloff: what fell, how hard, how broadly, why, whether it spreads — from market data.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
record_app = typer.Typer(help="Record live data into the store.", no_args_is_help=True)
app.add_typer(record_app, name="record")
out = Console()
err = Console(stderr=True)

StoreOpt = Annotated[Optional[Path], typer.Option("--store", help="DuckDB store file (default: the user data dir).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
UniverseOpt = Annotated[Optional[Path], typer.Option("--universe", help="Extra universe TOML (overrides/extends the default).")]
SectorOpt = Annotated[str, typer.Option("--sector", help="Sector id from the universe.")]


def handle_errors(fn):
    """Turn :class:`SelloffError` into one line on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SelloffError as exc:
            err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def _universe(path: Path | None) -> Universe:
    return load_universe(*( [path] if path else [] ))


def _store(path: Path | None, read_only: bool = False) -> Store:
    return Store(api.store_path(path), read_only=read_only)


def _date(value: str | None, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ConfigError(f"{name} '{value}' is not a date; use YYYY-MM-DD") from None


def _check_range(since: pd.Timestamp | None, until: pd.Timestamp | None) -> None:
    if since is not None and until is not None and since > until:
        raise ConfigError(f"--since {since.date()} is after --until {until.date()}; swap them")


def _print_df(df: pd.DataFrame, title: str, as_json: bool, caption: str | None = None) -> None:
    if as_json:
        out.print_json(_json.dumps({"title": title, "caption": caption, "rows": _records(df), **df.attrs}, default=str))
        return
    t = Table(title=title, caption=caption)
    for c in df.columns:
        t.add_column(str(c), justify="right" if pd.api.types.is_numeric_dtype(df[c]) else "left")
    for _, row in df.iterrows():
        t.add_row(*[_cell(v) for v in row])
    out.print(t)


def _records(df: pd.DataFrame) -> list[dict]:
    return _json.loads(df.to_json(orient="records", date_format="iso"))


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def _sim_caption(simulated: bool) -> str | None:
    return defaults("report")["simulated_label_en"] if simulated else None


# -- commands -----------------------------------------------------------------------------------------------
@app.command()
@handle_errors
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where the reports go.")] = Path("out"),
    store: StoreOpt = None,
    sector: SectorOpt = "ai-crypto",
    lang: Annotated[str, typer.Option("--lang", help="en, de or all.")] = "all",
    formats: Annotated[str, typer.Option("--format", help="Comma-separated: md,html,pdf,json.")] = "md,html,pdf,json",
    universe: UniverseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The main job on the bundled demo market: build the store, scan for sell-offs, report the largest (EN + DE)."""
    u = _universe(universe)
    u.sector(sector)
    _writable(out_dir)
    with _store(store) as db:
        with out.status("Simulating the demo market and writing the store…") if not as_json else _null():
            counts = api.build_demo_store(db, u)
        episodes = api.scan(db, u, sector)
        if episodes.empty:
            raise SelloffError(f"no sell-off episode found in sector {sector}; lower the thresholds in config.toml [detect]")
        largest = episodes.loc[episodes["worst_day_z"].idxmin()]
        paths = _report(db, u, sector, largest["worst_day"], lang, formats, out_dir)
    if as_json:
        out.print_json(_json.dumps({"simulated": True, "store": str(api.store_path(store)), "rows": _records(counts),
                                    "episodes": _records(episodes), "report_date": largest["worst_day"], "files": [str(p) for p in paths]}))
        return
    _print_df(counts, "Store built from the simulated demo market", False, _sim_caption(True))
    _print_df(episodes, f"Sell-off episodes in {sector}", False, _sim_caption(True))
    out.print(f"Report for the largest episode ({largest['worst_day']}, worst day {largest['worst_day_pct']:.1f} %, "
              f"z = {largest['worst_day_z']:.1f}) written to [bold]{out_dir}[/]:")
    for p in paths:
        out.print(f"  {p}")


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _writable(out_dir: Path) -> None:
    """Fail fast when ``out_dir`` cannot be created or written — without creating anything (a failing command
    writes nothing; :func:`~selloff.report.writer.write_report` creates the folder when it writes)."""
    probe = Path(out_dir).absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"output directory {out_dir} cannot be written ({probe} is not a directory); pass another --out")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f"output directory {out_dir} cannot be written (no write permission on {probe}); pass another --out")


def _report(db: Store, u: Universe, sector: str, date, lang: str, formats: str, out_dir: Path) -> list[Path]:
    from selloff.report.findings import build_findings
    from selloff.report.writer import LANGS, write_report

    langs = list(LANGS) if lang == "all" else [lang]
    for lg in langs:
        if lg not in LANGS:
            raise ConfigError(f"--lang '{lang}' is not supported; use en, de or all")
    fmts = [f.strip() for f in formats.split(",") if f.strip()]
    a = api.analyse(db, u, sector, date)
    notes: dict[str, str] = {}
    x = liq_daily = None
    try:
        from selloff.explain import explain

        x = explain(db, u, sector, date)
        notes.update({f"explain: {k}": v for k, v in x.notes.items() if k != "alignment"})
    except SelloffError as exc:  # e.g. not enough aligned history: the report goes out without those sections
        notes["contagion, dependency, attribution, scenario"] = f"left out: {exc}"
    if x is not None:
        # the scenario's liquidation regression: daily liquidations and Bitcoin's daily return up to the report day
        from selloff.analytics.scenario import daily_liquidations

        end = api._end_of_day(a.date)
        der = api.select_sources(db.read("derivatives", end=end), keys=("asset", "interval", "venue"))
        mkt = defaults("attribution")["market_factor"]
        try:
            btc = api.load_panel(db, u, [mkt], None, end).returns[mkt]
            liq_daily = pd.concat({"btc_ret": btc, "liq_usd": daily_liquidations(der)}, axis=1)
        except (SelloffError, KeyError) as exc:
            notes["scenario: liquidations"] = f"left out: {exc}"
    findings = build_findings(a, x, liq_daily)
    names = {k: v.name for k, v in u.assets.items()}
    return write_report(a, findings, names, out_dir, langs, fmts, notes=notes)


@app.command()
@handle_errors
def scan(
    sector: SectorOpt = "ai-crypto",
    since: Annotated[Optional[str], typer.Option("--since", help="First day (YYYY-MM-DD).")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Last day (YYYY-MM-DD).")] = None,
    z: Annotated[Optional[float], typer.Option("--z", help="Sigma threshold (default from config).")] = None,
    move: Annotated[Optional[float], typer.Option("--move", help="Move threshold in per cent, e.g. -8.")] = None,
    breadth: Annotated[Optional[float], typer.Option("--breadth", help="Breadth threshold, share of members 0..1.")] = None,
    vol: Annotated[Optional[str], typer.Option("--vol", help="Sigma that scales a move: ewma or garch (default from config).")] = None,
    store: StoreOpt = None,
    universe: UniverseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List collective sell-off episodes of a sector over any period."""
    from selloff.analytics.detect import DetectParams

    u = _universe(universe)
    u.sector(sector)
    s, t = _date(since, "--since"), _date(until, "--until")
    _check_range(s, t)
    overrides = {k: v for k, v in (("z_threshold", z), ("move_threshold_pct", move), ("breadth_threshold", breadth), ("vol_method", vol)) if v is not None}
    params = DetectParams.from_config(overrides)  # an unknown --vol is a ConfigError (exit 2) before the store opens
    with _store(store, read_only=True) as db:
        df = api.scan(db, u, sector, s, t, params)
    _print_df(df, f"Sell-off episodes in {sector}", as_json, _sim_caption(df.attrs.get("simulated", False)))


@app.command()
@handle_errors
def report(
    date: Annotated[str, typer.Option("--date", help="The day to report on (UTC, YYYY-MM-DD).")],
    sector: SectorOpt = "ai-crypto",
    lang: Annotated[str, typer.Option("--lang", help="en, de or all.")] = "all",
    formats: Annotated[str, typer.Option("--format", help="Comma-separated: md,html,pdf,json.")] = "md,html",
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("out"),
    store: StoreOpt = None,
    universe: UniverseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the market report for a sector and day (Markdown, HTML, PDF, JSON; English and German)."""
    u = _universe(universe)
    u.sector(sector)
    d = _date(date, "--date")
    _writable(out_dir)
    with _store(store, read_only=True) as db:
        paths = _report(db, u, sector, d, lang, formats, out_dir)
    if as_json:
        out.print_json(_json.dumps({"files": [str(p) for p in paths]}))
    else:
        for p in paths:
            out.print(str(p))


@app.command("universe")
@handle_errors
def universe_cmd(universe: UniverseOpt = None, as_json: JsonOpt = False) -> None:
    """Show the universe: assets, sectors and dependency edges."""
    u = _universe(universe)
    assets = pd.DataFrame([{"id": a.id, "kind": a.kind, "name": a.name, "sectors": ",".join(u.sectors_of(a.id)),
                            "coingecko": a.coingecko_id or "", "yahoo": a.yahoo or ""} for a in u.assets.values()])
    edges = pd.DataFrame([{"from": e.source, "to": e.target, "kind": e.kind, "reason": e.reason} for e in u.edges])
    if as_json:
        out.print_json(_json.dumps({"files": list(u.files), "assets": _records(assets), "edges": _records(edges),
                                    "sectors": {s.id: list(s.members) for s in u.sectors.values()}}))
        return
    _print_df(assets, "Assets", False)
    _print_df(edges, "Dependency edges", False)


@app.command()
@handle_errors
def info(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """What the store holds: schema version, and per table the assets, sources and time ranges."""
    with _store(store, read_only=True) as db:
        cov = db.coverage("bars")
        rows = {t: db.count(t) for t in ("bars", "market_caps", "derivatives", "events", "category_caps", "alerts")}
        version = db.schema_version
    if as_json:
        out.print_json(_json.dumps({"schema_version": version, "rows": rows, "bars": _records(cov)}, default=str))
        return
    out.print(f"store {api.store_path(store)} — schema v{version}; rows: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    _print_df(cov, "Bars by asset, interval and source", False)


def _register_optional() -> None:
    """Commands implemented in their own modules (sources, import, claim check)."""
    import importlib

    for module, name, attr, target in (
        ("selloff.cli_fetch", "fetch", "fetch", app),
        ("selloff.cli_fetch", "liquidations", "record_liquidations", record_app),
        ("selloff.cli_import", "import", "import_", app),
        ("selloff.cli_import", "sources", "sources", app),
        ("selloff.cli_check", "check", "check", app),
        ("selloff.cli_explain", "explain", "explain", app),
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue
            raise
        target.command(name)(handle_errors(getattr(mod, attr)))


_register_optional()


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
