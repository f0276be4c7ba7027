"""Real history as a test: the 2020-2026 daily exports in ../shared/data/real, imported, must show the documented
collective sell-offs of the AI tokens for any --since that encloses them. Skips where the data is absent.

The episodes (public coverage; the sector moves are what these files give):
  * 2021-05-19, the crypto crash after China's warning on crypto payments and Tesla's bitcoin U-turn
    (NEAR -36.5 %, ICP -24.9 %; the sector, equal-weighted without caps, -30.7 %);
  * 2022-05-09..11, the Terra/LUNA collapse;
  * 2022-11-08..09, the FTX collapse;
  * 2024-08-02..05, the yen carry-trade unwind (a multi-day slide: no single day reaches the thresholds);
  * 2025-10-10, the tariff-threat liquidation cascade;
  * 2026-01-29..02-05, the AI-token slide into the 5 February 2026 crash (-33.6 %), and the crash day itself.
Expected figures are computed here from the CSV rows (csv module), never from selloff's own output.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from selloff import api
from selloff.pipeline.imports import import_file
from selloff.store import Store
from selloff.universe import load_universe

U = load_universe(include_user_config=False)
SINCE = ["2020-10-01", "2020-11-01", "2021-01-01", "2021-05-01"]


def _closes(path: Path, date_col: str = "date", close_col: str = "close") -> dict[str, float]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return {row[date_col][:10]: float(row[close_col]) for row in csv.DictReader(fh) if row.get(close_col)}


def _first_close(path: Path) -> dict[str, float]:
    """Binance klines (djienne): day from the first column, close from the fifth (the header repeats open_time at
    its end, empty, so a DictReader would read the wrong one)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))[1:]
    return {r[0][:10]: float(r[4]) for r in rows if r and r[4]}


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    from tests.conftest import SHARED_DATA

    root = SHARED_DATA / "real"
    if not root.is_dir():
        pytest.skip(f"real market data not found at {root} (it lives in ../shared/data/real beside the checkout)")
    c = root / "crypto"
    files = [(p, "drrobanthony") for p in sorted((c / "drrobanthony_daily_window").glob("*.csv"))]
    files += [(p, None) for d in ("binance_spot_daily_djienne", "bybit_perp_daily_jumpotsa") for p in sorted((c / d).glob("*.csv"))]
    files += [(c / "yahoo_daily_mario_so" / "btc.csv", None), (c / "yahoo_daily_mario_so" / "eth.csv", None)]
    db = Store(tmp_path_factory.mktemp("history") / "history.duckdb")
    for path, source in files:
        import_file(db, path, source=source, universe=U)
    scans = {s: api.scan(db, U, "ai-crypto", since=s).to_frame() for s in SINCE}
    yield db, root, scans
    db.close()


def _one(eps: pd.DataFrame, kind: str, start: str) -> pd.Series:
    hit = eps[(eps["kind"] == kind) & (eps["start"] == start)]
    assert len(hit) == 1, eps[["kind", "start", "end", "worst_day_pct"]].to_string()
    return hit.iloc[0]


@pytest.mark.parametrize("since", SINCE)
def test_the_documented_sell_offs_are_found_for_every_since(real, since):
    _, _, scans = real
    eps = scans[since]
    for kind, start in (("day", "2021-05-19"), ("day", "2022-05-09"), ("day", "2022-11-08"), ("slide", "2024-08-02"),
                        ("day", "2025-10-10"), ("slide", "2026-01-29"), ("day", "2026-02-05")):
        e = _one(eps, kind, start)
        assert e["max_breadth"] >= 0.6 and e["depth_pct"] < -10
    first = scans[SINCE[0]].drop(columns=[])
    shared = eps["start"] >= since
    pd.testing.assert_frame_equal(eps[shared].reset_index(drop=True),
                                  first[first["start"] >= since].reset_index(drop=True))


def test_may_2021_crash_is_the_mean_of_near_and_icp(real):
    _, root, scans = real
    b = root / "crypto" / "binance_spot_daily_djienne"
    near, icp = _first_close(b / "NEARUSDT.csv"), _first_close(b / "ICPUSDT.csv")
    r = [near["2021-05-19"] / near["2021-05-18"] - 1, icp["2021-05-19"] / icp["2021-05-18"] - 1]
    assert 100 * r[0] == pytest.approx(-36.5, abs=0.05) and 100 * r[1] == pytest.approx(-24.9, abs=0.05)
    e = _one(scans["2021-01-01"], "day", "2021-05-19")
    assert e["worst_day_pct"] == pytest.approx(100 * np.mean(r), abs=0.01)  # -30.7 %: no caps, equal weights
    assert e["worst_day_pct"] == pytest.approx(-30.7, abs=0.05)


def test_the_january_2026_slide_and_the_bounded_october_episode(real):
    _, root, scans = real
    d = root / "crypto" / "drrobanthony_daily_window"
    tao, near = _closes(d / "TAO_2025-12-01_2026-03-31.csv"), _closes(d / "NEAR_2025-12-01_2026-03-31.csv")
    days = [x.date().isoformat() for x in pd.date_range("2026-01-28", "2026-02-05")]
    level = np.prod([1 + np.mean([tao[b] / tao[a] - 1, near[b] / near[a] - 1]) for a, b in zip(days, days[1:])])
    eps = scans["2021-05-01"]
    s = _one(eps, "slide", "2026-01-29")
    assert s["end"] == "2026-02-05"
    assert s["move_pct"] == pytest.approx(100 * (level - 1), abs=0.01)
    assert s["move_pct"] == pytest.approx(-33.6, abs=0.5)
    oct10 = _one(eps, "day", "2025-10-10")
    # the episode ends inside its horizon; the later bear market is the separate next-low figure
    assert pd.Timestamp(oct10["life_end"]) <= pd.Timestamp("2025-10-10") + pd.Timedelta(days=30)
    assert oct10["next_low_pct"] < oct10["depth_pct"] - 10
