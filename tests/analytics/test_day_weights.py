"""Sparse market caps (monthly snapshots) never blank the sector: the last known cap is carried forward."""
import numpy as np
import pandas as pd
import pytest

from selloff.analytics.day import sector_series, weights_note
from selloff.analytics.panel import build_panel

DAYS = pd.date_range("2026-01-01", periods=40, freq="D", tz="UTC")


def _panel():
    rng = np.random.default_rng(1)
    bars = []
    for a in ("A", "B"):
        close = 100 * np.cumprod(1 + rng.normal(0, 0.02, len(DAYS)))
        bars.append(pd.DataFrame({"asset": a, "interval": "1d", "ts": DAYS, "source": "x", "close": close}))
    bars = pd.concat(bars, ignore_index=True)
    # caps at 00:00 UTC of 2 Jan (the close of 1 Jan) and of 1 Feb (the close of 31 Jan) only
    caps = pd.DataFrame({"asset": ["A", "B", "A", "B"], "source": "cmc", "market_cap_usd": [3e9, 1e9, 2e9, 2e9],
                         "ts": pd.to_datetime(["2026-01-02", "2026-01-02", "2026-02-01", "2026-02-01"], utc=True)})
    return build_panel({"bars": bars, "market_caps": caps}, {"A": "token", "B": "token"}, ["x", "cmc"])


def test_sector_return_defined_every_day_with_carried_caps():
    p = _panel()
    sr, tok = sector_series(p, ["A", "B"])
    assert tok == ["A", "B"]
    assert sr.loc["2026-01-03":].notna().all()  # every day after the first cap, not just the snapshot days
    r = p.returns
    d = pd.Timestamp("2026-01-20")  # weights: the 1 Jan caps (3:1), carried forward
    assert sr.loc[d] == pytest.approx((3 * r.loc[d, "A"] + 1 * r.loc[d, "B"]) / 4, abs=1e-15)
    d = pd.Timestamp("2026-02-05")  # weights: the 31 Jan caps (1:1)
    assert sr.loc[d] == pytest.approx((r.loc[d, "A"] + r.loc[d, "B"]) / 2, abs=1e-15)


def test_weights_note_names_stale_members():
    p = _panel()
    note = weights_note(p, ["A", "B"], pd.Timestamp("2026-01-20"), 2)
    assert "carried forward" in note and "A (2026-01-01)" in note and "B (2026-01-01)" in note
    assert weights_note(p, ["A", "B"], pd.Timestamp("2026-02-01"), 2) is None
