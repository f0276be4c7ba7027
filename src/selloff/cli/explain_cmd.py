"""Rendering of ``selloff explain``'s tables (the command is in :mod:`selloff.cli.analysis`)."""
from rich.table import Table


def explain_table(title: str, df, caption: str | None):
    """A rich table of one explain table (index shown as columns), numbers to three decimals."""
    import pandas as pd

    t = Table(title=title, caption=caption, title_justify="left")
    d = df.reset_index() if df.index.name or not isinstance(df.index, pd.RangeIndex) else df
    for c in d.columns:
        t.add_column(str(c), justify="right" if pd.api.types.is_numeric_dtype(d[c]) else "left", overflow="fold")
    for _, row in d.iterrows():
        t.add_row(*[(f"{v:.3f}" if isinstance(v, float) else str(v)) for v in row])
    return t


def network_line(x) -> str | None:
    """One line on whether the sell-off spreads across sectors (None when explain has no network)."""
    net = getattr(x, "network", None)
    if net is None:
        return None
    s = net.summary()
    return (f"sector network ({net.pre.table.shape[1] - 1} sectors): total connectedness {s['total_pre_pct']:.1f} % "
            f"before the episode, {s['total_episode_pct']:.1f} % with it; top net transmitter before: "
            f"{s['top_transmitter_pre']}, with it: {s['top_transmitter_episode']}")
