"""Report figures (matplotlib, one consistent style). Each returns the written path and its alt text."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from selloff.report.format import Formatter  # noqa: E402

STYLE = {
    "figure.figsize": (8.0, 3.6), "figure.dpi": 110, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.alpha": 0.3, "font.size": 9, "axes.titlesize": 10, "axes.titleweight": "bold",
}
RED, GREY, BLUE, ORANGE = "#c0392b", "#7f8c8d", "#2c6fbb", "#e67e22"

T = {
    "en": {
        "index": "{sector}: {weighting} index (start = 100)", "cap": "cap-weighted", "equal": "equal-weighted", "episode": "sell-off episode",
        "moves": "{sector}: members' moves on {date}", "moves_x": "close-to-close change, UTC day (%)",
        "vs": "AI tokens vs AI-equity basket (both = 100 at start)", "tokens": "{sector} index (UTC-day closes)",
        "basket": "AI-equity basket, equal-weighted (NYSE closes)", "liq": "Liquidations by hour, {date} (UTC)",
        "long": "longs liquidated", "short": "shorts liquidated", "usd_m": "USD million",
        "alt_index": "Line chart of the {sector} index from {start} to {end}; the sell-off episode is shaded.",
        "alt_moves": "Bar chart of each {sector} member's change on {date}, largest fall first.",
        "alt_vs": "Two lines: the {sector} index and the AI-equity basket, rebased to 100, over the last {n} days.",
        "alt_liq": "Stacked bars of long and short liquidations per hour on {date}.",
        "sim": "SIMULATED DATA",
        "spill": "Spillover (Diebold–Yilmaz): % of forecast-error variance",
        "spill_from": "variance of", "spill_to": "due to shocks in", "basket_short": "AI-equity basket",
        "alt_spill": "Heatmap of the Diebold–Yilmaz spillover table among {labels} over the {n} NYSE sessions to {date}: each cell is the share of the row's forecast-error variance due to shocks in the column.",
    },
    "de": {
        "index": "{sector}: {weighting} Index (Start = 100)", "cap": "marktkapitalisierungsgewichteter", "equal": "gleichgewichteter", "episode": "Ausverkauf",
        "moves": "{sector}: Kursveränderung der Werte am {date}", "moves_x": "Veränderung Schluss zu Schluss, UTC-Tag (%)",
        "vs": "KI-Token vs. KI-Aktienkorb (beide = 100 zu Beginn)", "tokens": "{sector}-Index (UTC-Tagesschluss)",
        "basket": "KI-Aktienkorb, gleichgewichtet (NYSE-Schluss)", "liq": "Liquidationen je Stunde, {date} (UTC)",
        "long": "Long-Positionen liquidiert", "short": "Short-Positionen liquidiert", "usd_m": "Mio. US-Dollar",
        "alt_index": "Liniendiagramm des {sector}-Index von {start} bis {end}; der Ausverkauf ist hinterlegt.",
        "alt_moves": "Balkendiagramm der Veränderung jedes {sector}-Werts am {date}, größter Verlust zuerst.",
        "alt_vs": "Zwei Linien: {sector}-Index und KI-Aktienkorb, auf 100 normiert, über die letzten {n} Tage.",
        "alt_liq": "Gestapelte Balken der Long- und Short-Liquidationen je Stunde am {date}.",
        "sim": "SIMULIERTE DATEN",
        "spill": "Spillover (Diebold–Yilmaz): % der Prognosefehlervarianz",
        "spill_from": "Varianz von", "spill_to": "durch Schocks in", "basket_short": "KI-Aktienkorb",
        "alt_spill": "Heatmap der Spillover-Tabelle nach Diebold und Yilmaz zwischen {labels} über die {n} NYSE-Handelstage bis zum {date}: jede Zelle ist der Anteil der Prognosefehlervarianz der Zeile, der auf Schocks in der Spalte zurückgeht.",
    },
}


@dataclass(frozen=True)
class Figure:
    key: str
    path: Path
    alt: str
    title: str


def _finish(fig, ax, simulated: bool, lang: str, path: Path) -> None:
    if simulated:
        fig.text(0.99, 0.02, T[lang]["sim"], ha="right", va="bottom", color=RED, fontsize=8, fontweight="bold")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def make_figures(a, lang: str, out_dir: Path, findings=()) -> list[Figure]:
    """Write the report's figures for ``lang`` into ``out_dir``; return them with alt texts.

    ``findings`` supply what the analysis alone does not hold: the spillover table (finding ``spill_total``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    t = T[lang]
    fmt = Formatter(lang)
    sector = a.sector_name if lang == "en" else a.sector_name_de
    date = fmt.date(a.date)
    figs: list[Figure] = []
    with plt.rc_context(STYLE):
        # 1. sector index with the episode shaded
        idx = a.sector_index.dropna()
        idx = idx.loc[max(idx.index[0], a.date - pd.Timedelta(days=120)) :]
        fig, ax = plt.subplots()
        ax.plot(idx.index, 100 * idx / idx.iloc[0], color=BLUE, lw=1.4)
        if a.episode is not None:
            ax.axvspan(a.episode.start - pd.Timedelta(days=1), min(a.episode.trough, idx.index[-1]), color=RED, alpha=0.15, label=t["episode"])
            ax.legend(loc="lower left", frameon=False)
        title = t["index"].format(sector=sector, weighting=t[getattr(a, "weighting", "cap")])
        ax.set_title(title)
        p = out_dir / f"sector_index.{lang}.png"
        _finish(fig, ax, a.simulated, lang, p)
        figs.append(Figure("sector_index", p, t["alt_index"].format(sector=sector, start=fmt.date(idx.index[0]), end=fmt.date(idx.index[-1])), title))
        # 2. member moves
        m = a.members["ret_1d"].dropna().sort_values()
        fig, ax = plt.subplots(figsize=(8.0, 0.3 * len(m) + 1.2))
        ax.barh(m.index[::-1], 100 * m.values[::-1], color=[RED if v < 0 else BLUE for v in m.values[::-1]])
        ax.set_xlabel(t["moves_x"])
        title = t["moves"].format(sector=sector, date=date)
        ax.set_title(title)
        p = out_dir / f"member_moves.{lang}.png"
        _finish(fig, ax, a.simulated, lang, p)
        figs.append(Figure("member_moves", p, t["alt_moves"].format(sector=sector, date=date), title))
        # 3. tokens vs AI-equity basket
        if not a.basket.empty:
            n = 60
            lo = a.date - pd.Timedelta(days=n)
            tok = idx.loc[lo:]
            b = a.basket.loc[lo:].dropna(how="all")
            b = b.dropna(axis=1, how="all")
            if len(tok) > 2 and len(b) > 2:
                basket = (b / b.bfill().iloc[0]).mean(axis=1).dropna()
                fig, ax = plt.subplots()
                ax.plot(tok.index, 100 * tok / tok.iloc[0], color=BLUE, lw=1.4, label=t["tokens"].format(sector=sector))
                ax.plot(basket.index, 100 * basket / basket.iloc[0], color=ORANGE, lw=1.4, marker=".", ms=3, label=t["basket"])
                ax.legend(loc="lower left", frameon=False)
                ax.set_title(t["vs"])
                p = out_dir / f"tokens_vs_basket.{lang}.png"
                _finish(fig, ax, a.simulated, lang, p)
                figs.append(Figure("tokens_vs_basket", p, t["alt_vs"].format(sector=sector, n=n), t["vs"]))
        # 4. liquidations by hour
        if a.liq_by_hour is not None and not a.liq_by_hour.empty:
            h = a.liq_by_hour / 1e6
            fig, ax = plt.subplots()
            x = np.arange(len(h))
            ax.bar(x, h["liq_long_usd"], color=RED, label=t["long"])
            ax.bar(x, h["liq_short_usd"], bottom=h["liq_long_usd"], color=BLUE, label=t["short"])
            ax.set_xticks(x[::3], [ts.strftime("%H:%M") for ts in h.index[::3]])
            ax.set_ylabel(t["usd_m"])
            ax.legend(frameon=False)
            title = t["liq"].format(date=date)
            ax.set_title(title)
            p = out_dir / f"liquidations_by_hour.{lang}.png"
            _finish(fig, ax, a.simulated, lang, p)
            figs.append(Figure("liquidations_by_hour", p, t["alt_liq"].format(date=date), title))
        # 5. spillover heatmap (pairwise Diebold-Yilmaz table)
        spill = next((f for f in findings if f.id == "spill_total"), None)
        if spill is not None and spill.extra.get("matrix"):
            order = list(spill.extra["order"])
            mat = np.array([[spill.extra["matrix"][r][c] for c in order] for r in order], dtype=float)
            label = {"SECTOR_EW": sector, "EQ_BASKET": t["basket_short"]}
            labels = [label.get(k, k) for k in order]
            fig, ax = plt.subplots(figsize=(6.0, 4.4))
            ax.grid(False)
            im = ax.imshow(mat, cmap="Reds", vmin=0, vmax=100)
            ax.set_xticks(range(len(order)), labels)
            ax.set_yticks(range(len(order)), labels)
            ax.set_xlabel(t["spill_to"])
            ax.set_ylabel(t["spill_from"])
            for i in range(len(order)):
                for j in range(len(order)):
                    ax.text(j, i, fmt.num(mat[i, j]), ha="center", va="center", color="white" if mat[i, j] > 55 else "black")
            fig.colorbar(im, ax=ax, shrink=0.8)
            title = t["spill"]
            ax.set_title(title, fontsize=9)
            p = out_dir / f"spillover.{lang}.png"
            _finish(fig, ax, a.simulated, lang, p)
            alt = t["alt_spill"].format(labels=", ".join(labels), n=fmt.count(spill.comparison["nobs"]), date=fmt.date(spill.window_end))
            figs.append(Figure("spillover", p, alt, title))
    return figs
