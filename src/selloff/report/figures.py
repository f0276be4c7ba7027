"""Report figures (matplotlib, one consistent style), drawn once and saved once per language.

Every figure is built once from the data (lines, bars, shading are language-neutral); for each language only its
texts are set — title, axis labels, legend, the localised date ticks and the source line under the figure — and
the figure is saved. Layout is fixed (margins in figure fractions chosen for these sizes) instead of
``tight_layout``, which measures every text by drawing the figure an extra time. Each returns the written path,
its alt text, title and source line.
"""
from __future__ import annotations

import os
import signal
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from babel.dates import format_date  # noqa: E402
from matplotlib.figure import Figure as MplFigure  # noqa: E402
from matplotlib.ticker import Formatter as TickFormatter  # noqa: E402

from selloff.compute import fork_frozen  # noqa: E402
from selloff.report.figure_text import T  # noqa: E402
from selloff.report.format import LOCALES, Formatter  # noqa: E402
from selloff.report.texts_de import source_name  # noqa: E402

STYLE = {
    "figure.dpi": 110, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.alpha": 0.3, "font.size": 9, "axes.titlesize": 10, "axes.titleweight": "bold",
    "legend.fontsize": 8, "axes.titlelocation": "left", "axes.titley": 1.0,
}
"""The figures' matplotlib style. ``axes.titley`` fixed at the axes' top: matplotlib otherwise measures every tick
label of each figure on every save to lift the title over anything drawn above the axes, which none of these
figures has (the same pixels; 0.1-0.28 s less per report, paired)."""
RED, GREY, BLUE, ORANGE, DARK, LIGHT = "#c0392b", "#7f8c8d", "#2c6fbb", "#e67e22", "#34495e", "#95a5a6"
SOURCE_CHARS_PER_INCH = 17
"""Characters of the 7-pt source line per inch of figure width before it wraps."""
PNG_COMPRESS = 3
"""zlib level of the PNGs: the same size as matplotlib's default 6 on these flat-colour charts, a third faster."""
WIDE = (8.0, 3.6)
MARGINS = {"left": 0.08, "right": 0.98, "top": 0.84, "bottom": 0.22}
"""Fixed layout of the wide figures (fractions of the figure): room for the title above, the source line below."""


@dataclass(frozen=True)
class Figure:
    key: str
    path: Path
    alt: str
    title: str
    source: str = ""


class LocalDateFormatter(TickFormatter):
    """Concise, localised date ticks (in the manner of matplotlib's ``ConciseDateFormatter``): a month's first
    tick shows the month name in the report's language, the year where it changes, other ticks the day."""

    def __init__(self, lang: str) -> None:
        self.locale = LOCALES[lang]

    def __call__(self, x, pos=None) -> str:
        return self.format_ticks([x])[0]

    def format_ticks(self, values) -> list[str]:
        days = [mdates.num2date(v).date() for v in values]
        out, last_year, last_month = [], None, None
        for d in days:
            month = format_date(d, "MMM", locale=self.locale)
            if (d.year, d.month) != last_month and d.day <= 7:  # a month's first tick: its name
                s = month + (f"\n{d.year}" if d.year != last_year else "")
                last_year = d.year
            elif last_month is None:  # the axis starts mid-month: the day, and under it month and year
                s = f"{d.day}\n{month} {d.year}"
                last_year = d.year
            else:
                s = str(d.day)
            last_month = (d.year, d.month)
            out.append(s)
        return out


def _dates(ax, lang: str) -> None:
    loc = mdates.AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(LocalDateFormatter(lang))


def _sources(a, assets, lang: str = "en") -> str:
    src = a.provenance.get("asset_sources", {})
    names = sorted({src[x] for x in assets if x in src}) or sorted(
        {s for v in (a.provenance.get("sources") or {}).values() for s in (v or [])})
    return ", ".join(source_name(s, lang) for s in names)


class _Drawn:
    """One drawn figure and the per-language texts to set before saving it."""

    def __init__(self, key: str, fig: MplFigure, ax, texts) -> None:
        self.key, self.fig, self.ax, self.texts = key, fig, ax, texts


def _fig(size=WIDE, margins=None) -> tuple[MplFigure, object]:
    fig = MplFigure(figsize=size)
    fig.subplots_adjust(**(margins or MARGINS))
    return fig, fig.add_subplot()


def _proxy(a, findings, t, fmt) -> str:
    cov = next((f for f in findings if f.id == "coverage"), None)
    if cov is None or not cov.comparison.get("proxy"):
        return ""
    return t["proxy"].format(n=fmt.word(int(cov.value)), members=", ".join(cov.comparison["covered"]),
                             total=fmt.count(cov.comparison["n_members"]))


PARTS = ("all", "early", "late")
"""Which figures :func:`make_figures` draws: all, the ``early`` ones (every figure but the sector network, which
needs only the analysis, the explanation and the context: drawn while the network and the what-if are still being
computed) or the ``late`` one (the network)."""


def make_figures(a, langs, out_dir: Path, findings=(), context=None, workers: int = 1,
                 part: str = "all") -> dict[str, list[Figure]]:
    """Write the report's figures for each of ``langs`` into ``out_dir``; return them per language.

    ``findings`` supply the spillover table (``spill_total``), the coverage, the snapshot moves and the network
    (``network_total``); ``context`` (a :class:`~selloff.analytics.context.DayContext`) the peers' closes and the
    drawdown path. ``part``: see :data:`PARTS` (early + late = all, in the same order). With ``workers`` > 1 the
    languages after the first are saved by a forked process; call :func:`wait_figures` before reading their files
    (the writer does).
    """
    if isinstance(langs, str):
        langs = [langs]
    out_dir.mkdir(parents=True, exist_ok=True)
    drawn: list[_Drawn] = []
    with matplotlib.rc_context(STYLE):
        if part in ("all", "early"):
            drawn += _index_figure(a, context)
            drawn += _moves_figure(a, findings)
            drawn += _basket_figure(a)
            drawn += _drawdown_figure(a, context)
            drawn += _liq_figure(a)
            drawn += _spill_figure(a, findings)
        if part in ("all", "late"):
            drawn += _network_figure(a, findings)
        out: dict[str, list[Figure]] = {}
        forked = _fork_save(drawn, a, findings, list(langs)[1:], out_dir) if len(langs) > 1 and workers > 1 else set()
        for lang in langs:
            out[lang] = _save(drawn, a, findings, lang, out_dir, write=lang not in forked)
    return out


def _texts(d: _Drawn, a, findings, lang: str) -> tuple[str, str, str]:
    t, fmt = T[lang], Formatter(lang)
    ctx = {"sector": a.sector_name if lang == "en" else a.sector_name_de, "date": fmt.date(a.date),
           "proxy": _proxy(a, findings, t, fmt), "t": t, "fmt": fmt, "lang": lang}
    title, alt, source = d.texts(d, ctx)
    if a.simulated:
        source = f"{t['sim']} · {source}"
    # wrapped by characters (7 pt DejaVu Sans: about 17 characters an inch), not by matplotlib's wrap=True,
    # which measures the text once per word and was a tenth of the figures' time
    d.fig._selloff_source.set_text(textwrap.fill(source, int(d.fig.get_figwidth() * SOURCE_CHARS_PER_INCH)))
    d.ax.set_title(title)
    return title, alt, source


def _save(drawn: list[_Drawn], a, findings, lang: str, out_dir: Path, write: bool = True) -> list[Figure]:
    """Set ``lang``'s texts on every drawn figure and (with ``write``) save it; return the records."""
    figs = []
    for d in drawn:
        title, alt, source = _texts(d, a, findings, lang)
        p = out_dir / f"{d.key}.{lang}.png"
        if write:
            d.fig.savefig(p, pil_kwargs={"compress_level": PNG_COMPRESS})
        figs.append(Figure(d.key, p, alt, title, source))
    return figs


def _fork_save(drawn: list[_Drawn], a, findings, langs: list[str], out_dir: Path) -> set[str]:
    """Save the figures of ``langs`` in a forked child while the caller saves the first language (the drawing is
    CPU-bound and holds the GIL, so threads would not help; a fork inherits the figures already built). Returns the
    languages the child wrote; on any failure, none (the caller then saves them itself)."""
    if not hasattr(os, "fork"):
        return set()
    pid = fork_frozen()
    if pid < 0:
        return set()
    if pid == 0:  # child: only matplotlib and file writes, then leave without running any cleanup of the parent
        code = 0
        try:
            with matplotlib.rc_context(STYLE):
                for lang in langs:
                    _save(drawn, a, findings, lang, out_dir)
        except BaseException:  # noqa: BLE001 - the parent redraws whatever the child did not write
            code = 1
        os._exit(code)
    _PENDING.append((pid, langs, out_dir, [d.key for d in drawn]))
    return set(langs)


_PENDING: list[tuple[int, list[str], Path, list[str]]] = []


def wait_figures(timeout_s: float = 60.0) -> list[str]:
    """Wait for the forked figure writer(s); return the languages whose files are missing (to be redrawn)."""
    missing: list[str] = []
    while _PENDING:
        pid, langs, out_dir, keys = _PENDING.pop()
        deadline = time.monotonic() + timeout_s
        status = None
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.005)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        if status != 0 or not all((out_dir / f"{k}.{lg}.png").is_file() for k in keys for lg in langs):
            missing += langs
    return missing


def _source_artist(fig: MplFigure) -> None:
    fig._selloff_source = fig.text(0.01, 0.012, "", ha="left", va="bottom", color=GREY, fontsize=7)


def _window(fmt, idx) -> str:
    return f"{fmt.short_date(idx[0])} – {fmt.short_date(idx[-1])}"


def _index_figure(a, context) -> list[_Drawn]:
    idx = a.sector_index.dropna()
    idx = idx.loc[max(idx.index[0], a.date - pd.Timedelta(days=120)):]
    if len(idx) < 2:
        return []
    fig, ax = _fig()
    _source_artist(fig)
    sector_line, = ax.plot(idx.index, 100 * idx / idx.iloc[0], color=BLUE, lw=1.6)
    peers = []
    pc = context.peer_close if context is not None else pd.DataFrame()
    for col, colour in (("BTC", DARK), ("ETH", LIGHT)):
        if col in pc.columns:
            s = pc[col].loc[idx.index[0]:idx.index[-1]].dropna()
            if len(s) > 1:
                ln, = ax.plot(s.index, 100 * s / s.iloc[0], color=colour, lw=1.0, ls="--")
                peers.append((col, ln))
    span = None
    if a.episode is not None:
        span = ax.axvspan(a.episode.start - pd.Timedelta(days=1), min(a.episode.trough, idx.index[-1]), color=RED, alpha=0.15)
    ax.set_xlim(idx.index[0], idx.index[-1])
    members = list(a.members.index)

    def texts(d, c):
        t, fmt = c["t"], c["fmt"]
        _dates(d.ax, c["lang"])
        d.ax.set_ylabel(t["index_y"])
        name = c["sector"]
        handles = [sector_line, *(ln for _, ln in peers)] + ([span] if span is not None else [])
        lab = [t["tokens_members"].format(sector=c["sector"], members=", ".join(members[:6]) + (" …" if len(members) > 6 else ""))]
        lab += [t["peer"].format(name={"BTC": "Bitcoin", "ETH": "Ether"}[k]) for k, _ in peers]
        lab += [t["episode"]] if span is not None else []
        d.ax.legend(handles, lab, loc="best", frameon=False)
        w = t[a.weighting if a.weighting in ("cap", "equal") else "cap"]
        title = t["index"].format(sector=name, weighting=w) + (f"\n{c['proxy']}" if c["proxy"] else "")
        src = t["source"].format(src=_sources(a, [*members, *(k for k, _ in peers)], fmt.lang), what=t["daily_utc"], window=_window(fmt, idx.index))
        alt = t["alt_index"].format(sector=c["sector"], start=fmt.date(idx.index[0]), end=fmt.date(idx.index[-1]))
        return title, alt, src
    return [_Drawn("sector_index", fig, ax, texts)]


def _moves_figure(a, findings) -> list[_Drawn]:
    m = a.members["ret_1d"].dropna()
    snaps = {f.subjects[0]: f.value / 100 for f in findings if f.kind == "snapshot_move"}
    allm = pd.concat([m, pd.Series(snaps, dtype=float)]).sort_values()
    if allm.empty:
        return []
    h = 0.28 * len(allm) + 1.3
    fig, ax = _fig((8.0, h), {"left": 0.12, "right": 0.97, "top": 1 - 0.45 / h, "bottom": 0.9 / h})
    _source_artist(fig)
    names = list(allm.index[::-1])
    vals = 100 * allm.values[::-1]
    colours = [(RED if v < 0 else BLUE) for v in vals]
    bars = ax.barh(names, vals, color=colours)
    for b, n in zip(bars, names):
        if n in snaps:
            b.set_hatch("///")
            b.set_alpha(0.55)
    ax.axvline(0, color=GREY, lw=0.8)

    def texts(d, c):
        t, fmt = c["t"], c["fmt"]
        d.ax.set_xlabel(t["moves_x"])
        title = t["moves"].format(sector=c["sector"], date=c["date"]) + (f"\n{c['proxy']}" if c["proxy"] else "")
        note = t["snap_note"].format(members=", ".join(snaps)) if snaps else ""
        src = t["source"].format(src=_sources(a, list(allm.index), fmt.lang), what=t["daily_utc"] + note, window=c["date"])
        return title, t["alt_moves"].format(sector=c["sector"], date=c["date"]), src
    return [_Drawn("member_moves", fig, ax, texts)]


def _basket_figure(a) -> list[_Drawn]:
    if a.basket.empty:
        return []
    n = 60
    lo = a.date - pd.Timedelta(days=n)
    idx = a.sector_index.dropna()
    tok = idx.loc[lo:]
    b = a.basket.loc[lo:].dropna(how="all").dropna(axis=1, how="all")
    if len(tok) <= 2 or len(b) <= 2:
        return []
    basket = (b / b.bfill().iloc[0]).mean(axis=1).dropna()
    fig, ax = _fig()
    _source_artist(fig)
    l1, = ax.plot(tok.index, 100 * tok / tok.iloc[0], color=BLUE, lw=1.4)
    l2, = ax.plot(basket.index, 100 * basket / basket.iloc[0], color=ORANGE, lw=1.4, marker=".", ms=3)
    ax.set_xlim(tok.index[0], tok.index[-1])
    members = list(b.columns)

    def texts(d, c):
        t, fmt = c["t"], c["fmt"]
        _dates(d.ax, c["lang"])
        d.ax.set_ylabel(t["index_y"])
        d.ax.legend([l1, l2], [t["tokens"].format(sector=c["sector"]), t["basket"].format(members=", ".join(members))],
                    loc="best", frameon=False)
        title = t["vs"] + (f"\n{c['proxy']}" if c["proxy"] else "")
        src = t["source"].format(src=_sources(a, [*a.members.index, *members], fmt.lang), what=t["daily_both"], window=_window(fmt, tok.index))
        return title, t["alt_vs"].format(sector=c["sector"], n=n), src
    return [_Drawn("tokens_vs_basket", fig, ax, texts)]


def _drawdown_figure(a, context) -> list[_Drawn]:
    if context is None or len(context.drawdown_path) < 2:
        return []
    dd = context.drawdown_path.loc[a.date - pd.Timedelta(days=180):]
    if len(dd) < 2:
        return []
    fig, ax = _fig()
    _source_artist(fig)
    ax.fill_between(dd.index, dd.values, 0, color=RED, alpha=0.25, lw=0)
    ax.plot(dd.index, dd.values, color=RED, lw=1.2)
    ax.set_xlim(dd.index[0], dd.index[-1])
    ax.set_ylim(min(dd.min() * 1.1, -1), 1)

    def texts(d, c):
        t, fmt = c["t"], c["fmt"]
        _dates(d.ax, c["lang"])
        d.ax.set_ylabel(t["dd_y"])
        src = t["source"].format(src=_sources(a, list(a.members.index), fmt.lang), what=t["daily_utc"], window=_window(fmt, dd.index))
        return t["dd"].format(sector=c["sector"]) + (f"\n{c['proxy']}" if c["proxy"] else ""), t["alt_dd"].format(sector=c["sector"], start=fmt.date(dd.index[0]), end=c["date"]), src
    return [_Drawn("drawdown", fig, ax, texts)]


def _liq_figure(a) -> list[_Drawn]:
    if a.liq_by_hour is None or a.liq_by_hour.empty:
        return []
    h = a.liq_by_hour / 1e6
    fig, ax = _fig()
    _source_artist(fig)
    x = np.arange(len(h))
    b1 = ax.bar(x, h["liq_long_usd"], color=RED)
    b2 = ax.bar(x, h["liq_short_usd"], bottom=h["liq_long_usd"], color=BLUE)
    ax.set_xticks(x[::3], [ts.strftime("%H:%M") for ts in h.index[::3]])
    srcs = list((a.liquidations or {}).get("sources", []) or [])

    def texts(d, c):
        t = c["t"]
        d.ax.set_ylabel(t["usd_m"])
        d.ax.legend([b1, b2], [t["long"], t["short"]], frameon=False)
        title = t["liq"].format(date=c["date"])
        src = t["source"].format(src=", ".join(source_name(s, c["fmt"].lang) for s in srcs), what=t["hourly"], window=c["date"])
        return title, t["alt_liq"].format(date=c["date"]), src
    return [_Drawn("liquidations_by_hour", fig, ax, texts)]


def _spill_figure(a, findings) -> list[_Drawn]:
    spill = next((f for f in findings if f.id == "spill_total"), None)
    if spill is None or not spill.extra.get("matrix"):
        return []
    order = list(spill.extra["order"])
    mat = np.array([[spill.extra["matrix"][r][c] for c in order] for r in order], dtype=float)
    fig, ax = _fig((6.0, 4.6), {"left": 0.2, "right": 0.95, "top": 0.88, "bottom": 0.2})
    _source_artist(fig)
    ax.grid(False)
    im = ax.imshow(mat, cmap="Reds", vmin=0, vmax=100)
    cells = [[ax.text(j, i, "", ha="center", va="center", color="white" if mat[i, j] > 55 else "black")
              for j in range(len(order))] for i in range(len(order))]
    fig.colorbar(im, ax=ax, shrink=0.8)

    def texts(d, c):
        t, fmt = c["t"], c["fmt"]
        label = {"SECTOR_EW": c["sector"], "EQ_BASKET": t["basket_short"]}
        labels = [label.get(k, k) for k in order]
        d.ax.set_xticks(range(len(order)), labels)
        d.ax.set_yticks(range(len(order)), labels)
        d.ax.set_xlabel(t["spill_to"])
        d.ax.set_ylabel(t["spill_from"])
        for i in range(len(order)):
            for j in range(len(order)):
                cells[i][j].set_text(fmt.num(mat[i, j]))
        n = fmt.count(spill.comparison["nobs"])
        src = t["source"].format(src=_sources(a, [*a.members.index, *(a.params.equity_basket if a.params else ()), "BTC"], fmt.lang),
                                 what=t["sessions"].format(n=n), window=t["until"] + fmt.short_date(spill.window_end))
        alt = t["alt_spill"].format(labels=", ".join(labels), n=n, date=fmt.date(spill.window_end))
        return t["spill"], alt, src
    return [_Drawn("spillover", fig, ax, texts)]


def _network_figure(a, findings) -> list[_Drawn]:
    """Net spillover per sector in the episode window (bars, with the bootstrap SE as whiskers) and in the window
    before (hollow markers), from the ``network_total`` finding."""
    nt = next((f for f in findings if f.id == "network_total"), None)
    if nt is None or not nt.extra.get("sectors"):
        return []
    rows = sorted(nt.extra["sectors"], key=lambda r: r["net_epi"])
    ids = [r["sector"] for r in rows]
    epi = np.array([r["net_epi"] for r in rows])
    se = np.array([r["net_epi_se"] for r in rows])
    pre = np.array([r["net_pre"] for r in rows])
    k = float(nt.comparison.get("multiple", 1.0))
    clear = np.isfinite(se) & (np.abs(epi) > k * se)
    h = 0.25 * len(ids) + 1.9  # about the other figures' height (3.6 in) for nine sectors: the PNG's cost grows with its area
    fig, ax = _fig((8.0, h), {"left": 0.32, "right": 0.97, "top": 1 - 0.45 / h, "bottom": 1.3 / h})
    _source_artist(fig)
    y = np.arange(len(ids))
    bars = ax.barh(y, epi, color=[(BLUE if v > 0 else RED) for v in epi], alpha=0.9)
    for b, c in zip(bars, clear):
        if not c:
            b.set_alpha(0.35)
    ax.errorbar(epi, y, xerr=np.where(np.isfinite(se), se, 0.0), fmt="none", ecolor=DARK, elinewidth=0.8, capsize=2)
    before = ax.scatter(pre, y, facecolors="none", edgecolors=DARK, s=22, zorder=3)
    ax.axvline(0, color=GREY, lw=0.8)
    names = nt.extra.get("names", {})
    c = nt.comparison

    def texts(d, ctx):
        t, fmt = ctx["t"], ctx["fmt"]
        d.ax.set_yticks(y, [textwrap.fill(names.get(i, {}).get(ctx["lang"], i), 34) for i in ids])
        d.ax.set_xlabel(t["net_x"])
        # below the axis label and above the source line (figure inches from the bottom), whatever the height
        d.ax.legend([bars, before], [t["net_epi"].format(date=fmt.short_date(c["episode_end"])),
                                     t["net_pre"].format(date=fmt.short_date(c["pre_end"]))],
                    loc="lower left", bbox_to_anchor=(0.01, 0.42 / h), bbox_transform=d.fig.transFigure, ncol=2,
                    frameon=False, fontsize=7)
        src = t["source"].format(src=", ".join(nt.provenance.get("sources") or []),
                                 what=t["net_what"].format(n=fmt.count(c["window_sessions"]), reps=fmt.count(c["reps"])),
                                 window=f"{fmt.short_date(nt.window_start)} – {fmt.short_date(c['episode_end'])}")
        alt = t["alt_net"].format(n=fmt.count(len(ids)), date=fmt.date(c["episode_end"]))
        return t["net"].format(date=fmt.date(c["episode_end"])), alt, src
    return [_Drawn("sector_network", fig, ax, texts)]
