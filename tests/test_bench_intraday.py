"""The minute-bar generator of bench/market.py and ``bench_intraday --quick`` (the harness's JSON contract)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from bench.market import IntradaySize, intraday_profile, minute_blocks

KEYS = {"bench", "case", "seconds", "baseline", "baseline_seconds", "ratio", "target", "met", "peak_mib", "note"}


def test_minute_market_is_block_invariant_and_u_shaped():
    size = IntradaySize(assets=6, days=20, sectors=2)
    a = pd.concat(list(minute_blocks(size, 4)), ignore_index=True)
    b = pd.concat(list(minute_blocks(size, 6)), ignore_index=True)
    pd.testing.assert_frame_equal(a, b)  # one seed per asset: the block size does not change the market
    assert len(a) == size.rows and (a["interval"] == "1m").all() and str(a["ts"].dt.tz) == "UTC"
    assert (a["high"] >= a[["open", "close"]].max(axis=1)).all() and (a["low"] <= a[["open", "close"]].min(axis=1)).all()
    r = np.log(a["close"] / a["open"]).to_numpy().reshape(size.assets, size.days, 1440)
    var = (r**2).mean(axis=(0, 1))
    edges, noon = var[list(range(60)) + list(range(1380, 1440))].mean(), var[690:750].mean()
    w = intraday_profile()
    expected = w[list(range(60)) + list(range(1380, 1440))].mean() / w[690:750].mean()  # ≈ 2.9 for U_SHAPE = 2
    assert expected > 2.5 and abs(edges / noon / expected - 1) < 0.25  # U-shaped; ~10 % noise (14,400 t(4) minutes)


def test_quick_run_follows_the_harness_contract():
    from bench.bench_intraday import run

    res = run(quick=True)
    assert [r["case"].split()[0] for r in res] == ["load", "scan"]
    for r in res:
        assert set(r) == KEYS and r["seconds"] > 0 and r["baseline_seconds"] > 0
        assert r["ratio"] == r["seconds"] / r["baseline_seconds"]
