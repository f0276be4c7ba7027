"""The liquidation and cascade pipelines on real data: Binance BTCUSDT daily bars (djienne) and Coinalyze
aggregated BTC open interest (smoothbrainquant; ``../shared/data/real``). That data has open interest and
funding but **no liquidations**, so it can feed the book and the positioning regime but not the calibration —
the cascade falls back to the configured ``k`` and says so."""
from __future__ import annotations

import pytest

from selloff import api
from selloff.pipeline.imports import import_file
from selloff.pipeline.stores import Store


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    from tests.conftest import SHARED_DATA

    real = SHARED_DATA / "real"
    btc = real / "crypto" / "binance_spot_daily_djienne" / "BTCUSDT.csv"
    oi = real / "derivatives_and_mcap_smoothbrainquant" / "historical_open_interest_top10_since2020_20251026_040214.csv"
    if not (btc.is_file() and oi.is_file()):
        pytest.skip(f"real data not found under {real} (it lives in ../shared/data beside the checkout)")
    path = tmp_path_factory.mktemp("real-liq") / "real.duckdb"
    with Store(path) as db:
        import_file(db, btc, asset="BTC")
        import_file(db, oi)
    return path


def test_ftx_days_are_long_flushes(real_store):
    """8 Nov 2022 (FTX): Binance BTCUSDT closed 18,547.23 after 20,591.13 (−9.93 %); Coinalyze BTC OI closed
    389.16 m after 452.14 m USD (−13.93 %): price down and OI down — a long flush."""
    r = api.liquidations(real_store, asset="BTC", date="2022-11-08")
    assert r.total is None and not r.simulated  # no liquidation rows in this data
    reg = r.tables["regimes"].set_index("date")
    row = reg.loc["2022-11-08"]
    assert row["regime"] == "long flush"
    assert row["ret_pct"] == pytest.approx(100 * (18547.23 / 20591.13 - 1), abs=1e-6)
    assert row["oi_change_pct"] == pytest.approx(100 * (389159100.0 / 452135400.0 - 1), abs=1e-6)
    bd = r.tables["before_during"].set_index("asset").loc["BTC"]
    assert bd["oi_before_usd"] == pytest.approx(452135400.0)


def test_cascade_on_real_open_interest_is_not_calibrated(real_store):
    c = api.cascade(real_store, asset="BTC", shock=-0.10, date="2022-11-08")
    assert c.k_source == "config" and c.calibration is None and "not calibrated" in c.note
    assert c.book.asof.date().isoformat() == "2022-11-07" and c.book.open_interest_usd == pytest.approx(452135400.0)
    assert 0 < c.result.long_usd <= c.book.levered_usd["long"] and c.result.short_usd == 0
