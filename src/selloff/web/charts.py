"""Plotly figures as plain ``{"data", "layout"}`` dicts, built from the service's results (nothing computed here
but the rebasing of an overlay to the index's first day, which is drawing, not a figure shown as a number).

The page embeds each as JSON (Jinja's ``tojson``: ``<``, ``>``, ``&`` and ``'`` escaped) and ``static/app.js``
draws it with the locally served plotly.js.
"""
from __future__ import annotations

import datetime as dt

__all__ = ["board_moves", "dependency_graph", "members_bar", "sector_index", "spillover_heatmap", "stress_distribution"]

FONT = {"family": "system-ui, sans-serif", "size": 12}


def _layout(title: str, **kw) -> dict:
    return {"title": {"text": title}, "font": FONT, "margin": {"l": 50, "r": 20, "t": 40, "b": 40}, "height": 360,
            "paper_bgcolor": "#fff", "plot_bgcolor": "#fafafa", **kw}


def sector_index(analysis: dict, episodes: list[dict], t: dict) -> dict:
    """The sector index with each episode shaded and the overlay assets rebased to the index's first day."""
    idx = analysis["index"]
    data = [{"type": "scatter", "mode": "lines", "x": idx["dates"], "y": idx["values"], "name": t["index"],
             "line": {"color": "#1f3b73", "width": 2}}]
    ov = analysis.get("overlay") or {}
    base = idx["values"][0] if idx["values"] else None
    for asset, closes in (ov.get("close") or {}).items():
        first = next((c for c in closes if c is not None), None)
        if first is None or base is None:
            continue
        data.append({"type": "scatter", "mode": "lines", "x": ov["dates"], "y": [None if c is None else c / first * base for c in closes],
                     "name": f"{asset} ({t['rebased']})", "line": {"width": 1, "dash": "dot"}})
    shapes = []
    lo, hi = (idx["dates"][0], idx["dates"][-1]) if idx["dates"] else ("", "")
    for e in episodes:
        start, end = e["start"][:10], e["end"][:10]
        if end < lo or start > hi:
            continue
        x1 = (dt.date.fromisoformat(end) + dt.timedelta(days=1)).isoformat()
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": start, "x1": x1, "y0": 0, "y1": 1,
                       "fillcolor": "#c0392b", "opacity": 0.15, "line": {"width": 0}, "layer": "below"})
    return {"data": data, "layout": _layout(t["index_title"], shapes=shapes, legend={"orientation": "h"})}


def members_bar(members: list[dict], t: dict) -> dict:
    """Each member's move on the day (per cent), worst first."""
    rows = sorted((m for m in members if m.get("ret_1d") is not None), key=lambda m: m["ret_1d"])
    return {"data": [{"type": "bar", "x": [m["asset"] for m in rows], "y": [100 * m["ret_1d"] for m in rows],
                      "marker": {"color": ["#c0392b" if m["ret_1d"] < 0 else "#2e7d32" for m in rows]},
                      "hovertext": [m.get("name", "") for m in rows], "name": t["move_1d"]}],
            "layout": _layout(t["members_title"], yaxis={"ticksuffix": "%"})}


def spillover_heatmap(rows: list[dict], t: dict) -> dict | None:
    """The Diebold-Yilmaz spillover table (row = receiver, column = sender, per cent) as a heatmap."""
    names = [r["index"] for r in rows if r["index"] in r]
    if not names:
        return None
    z = [[r[c] for c in names] for r in rows if r["index"] in names]
    return {"data": [{"type": "heatmap", "x": names, "y": names, "z": z, "colorscale": "Reds", "zmin": 0, "zmax": 100,
                      "texttemplate": "%{z:.1f}", "hovertemplate": t["spill_hover"]}],
            "layout": _layout(t["spill_title"], yaxis={"autorange": "reversed", "automargin": True}, xaxis={"side": "bottom"})}


def dependency_graph(graph: dict, t: dict) -> dict | None:
    """Tokens (left) linked to the companies they depend on (right); each line coloured by the edge's partial
    correlation given the market factor, the hover giving raw and partial (``api.dependency_graph``)."""
    edges = [e for e in graph.get("edges", []) if e.get("corr") is not None]
    if not edges:
        return None
    tokens = list(dict.fromkeys(e["token"] for e in edges))
    targets = sorted({e["target"] for e in edges})
    ty = {a: i / max(len(tokens) - 1, 1) for i, a in enumerate(tokens)}
    gy = {a: i / max(len(targets) - 1, 1) for i, a in enumerate(targets)}
    data, mx, my, hover = [], [], [], []
    for e in edges:
        pc = e.get("partial_corr")
        colour = "#bbb" if pc is None else ("#c0392b" if pc >= 0.1 else "#e67e22" if pc >= 0.05 else
                                            "#2e86c1" if pc <= -0.05 else "#bbb")
        y0, y1 = ty[e["token"]], gy[e["target"]]
        data.append({"type": "scatter", "mode": "lines", "x": [0, 1], "y": [y0, y1], "hoverinfo": "skip",
                     "line": {"color": colour, "width": 1 + 6 * abs(pc or 0)}, "showlegend": False})
        mx.append(0.5)
        my.append((y0 + y1) / 2)
        pcs = "n/a" if pc is None else f"{pc:.2f}"
        hover.append(f"{e['token']} → {e['target']}: {t['raw_corr']} {e['corr']:.2f}, {t['partial']} {pcs} (n={e['n']})")
    data.append({"type": "scatter", "mode": "markers", "x": mx, "y": my, "hovertext": hover, "hoverinfo": "text",
                 "marker": {"size": 6, "color": "rgba(0,0,0,0.15)"}, "showlegend": False})
    data.append({"type": "scatter", "mode": "markers+text", "x": [0] * len(tokens), "y": [ty[a] for a in tokens],
                 "text": tokens, "textposition": "middle left", "hoverinfo": "text",
                 "marker": {"size": 10, "color": "#1f3b73"}, "name": t["tokens"]})
    data.append({"type": "scatter", "mode": "markers+text", "x": [1] * len(targets), "y": [gy[a] for a in targets],
                 "text": targets, "textposition": "middle right", "hoverinfo": "text",
                 "marker": {"size": 10, "color": "#2e7d32"}, "name": t["depends_on"]})
    return {"data": data, "layout": _layout(t["dep_title"], xaxis={"visible": False, "range": [-0.4, 1.4]},
                                            yaxis={"visible": False}, height=460)}


def stress_distribution(rows: list[dict], t: dict) -> dict | None:
    """Each asset's simulated move at the horizon: the 5-95 % range as a bar around the median, the 1 % quantile
    as a marker (the stress result's ``distribution`` table, per cent)."""
    rows = [r for r in rows if r.get("median_pct") is not None]
    if not rows:
        return None
    x = [r["asset"] for r in rows]
    med = [r["median_pct"] for r in rows]
    return {"data": [
        {"type": "scatter", "mode": "markers", "x": x, "y": med, "name": t["median"], "marker": {"color": "#1f3b73", "size": 8},
         "error_y": {"type": "data", "symmetric": False, "array": [r["p95_pct"] - r["median_pct"] for r in rows],
                     "arrayminus": [r["median_pct"] - r["p05_pct"] for r in rows], "color": "#1f3b73"}},
        {"type": "scatter", "mode": "markers", "x": x, "y": [r["p01_pct"] for r in rows], "name": t["p01"],
         "marker": {"color": "#c0392b", "symbol": "triangle-down", "size": 9}}],
        "layout": _layout(t["dist_title"], yaxis={"ticksuffix": "%"}, legend={"orientation": "h"})}


def board_moves(board: dict, t: dict, lang: str) -> dict | None:
    """Every sector's move over each board window (per cent), grouped bars."""
    rows = board.get("sectors") or []
    if not rows:
        return None
    names = [r["name_de"] if lang == "de" else r["name"] for r in rows]
    data = [{"type": "bar", "name": f"{n} d", "x": names, "y": [r.get(f"move_{n}d_pct") for r in rows]}
            for n in board["windows_days"]]
    return {"data": data, "layout": _layout(t["board_title"], barmode="group", yaxis={"ticksuffix": "%"},
                                            legend={"orientation": "h"})}
