"""selloff explain's sector connectedness network on the demo market: present in the tables and to_dict, built
from sector index returns computed here by hand, consistent with its own DY tables."""
import json

import numpy as np
import pandas as pd
import pytest

from selloff import api
from selloff.analytics.sector_network import sector_log_returns
from selloff.pipeline.analysis import explain
from selloff.pipeline.load import load_panel
from selloff.store import Store
from selloff.universe import load_universe
from tests.demo_stores import read_only_store


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    u = load_universe(include_user_config=False)
    for path in read_only_store(tmp_path_factory):
        with Store(path, read_only=True) as db:
            yield db, u


@pytest.fixture(scope="module")
def x(demo):
    db, u = demo
    return explain(db, u, "ai-crypto", "2026-02-06")


def test_explain_shows_the_sector_network(x):
    net = x.network
    assert net is not None
    edges, sectors = x.tables["sector_network_edges"], x.tables["sector_network_sectors"]
    assert len(edges) > 0 and len(sectors) >= 4
    assert "Diebold-Yilmaz" in x.notes["sector_network_edges"] and "ai-crypto" in sectors.index
    # each edge is the episode table's pairwise net: theta(to <- from) - theta(from <- to), positive
    t = net.episode.table
    for e in edges.itertuples():
        assert e.epi_pct == pytest.approx(t.loc[e.to, e._1] - t.loc[e._1, e.to], abs=1e-9)
        assert e.epi_pct >= 0
    names = list(sectors.index)
    np.testing.assert_allclose(t.loc[names, names].sum(axis=1), 100.0, atol=1e-9)
    np.testing.assert_allclose(sectors["net_epi"].sum(), 0.0, atol=1e-9)
    # no look-ahead: the episode window ends on the explained day
    assert net.episode_window[1] <= pd.Timestamp("2026-02-06") and net.pre_window[1] < net.episode_start


def test_explain_to_dict_carries_the_network(x):
    d = json.loads(json.dumps(x.to_dict()))
    assert d["network"]["summary"]["total_episode_pct"] == pytest.approx(x.network.episode.total)
    assert {"sector_network_edges", "sector_network_sectors"} <= set(d["tables"])
    assert d["network"]["episode_window"][1] <= "2026-02-06"


def test_sector_returns_compound_crypto_weekends_into_the_next_session(demo):
    db, u = demo
    members = {"crypto-majors": ["BTC", "ETH"], "ai-compute": list(u.sector("ai-compute").members)}
    panel = load_panel(db, u, [*members["crypto-majors"], *members["ai-compute"]], None, None,
                       tables=("bars", "market_caps"), intervals=("1d",))
    r, skipped = sector_log_returns(panel, members)
    assert not skipped
    # by hand: cap-weighted daily return of BTC and ETH (previous day's caps), log, summed over the days since the
    # previous common session
    close, caps = panel.close[["BTC", "ETH"]], panel.mcap_daily[["BTC", "ETH"]]
    ret = close.pct_change()
    w = caps.reindex(ret.index).ffill().shift(1)
    daily = np.log1p((ret * w).sum(axis=1) / w.sum(axis=1))
    monday = next(d for d in r.index[1:] if d.day_of_week == 0)
    prev = r.index[r.index.get_loc(monday) - 1]
    assert (monday - prev).days == 3
    assert r.loc[monday, "crypto-majors"] == pytest.approx(daily.loc[prev + pd.Timedelta(days=1):monday].sum(), abs=1e-12)
    # equities: Friday close to Monday close, equal weights when no caps are stored
    eq = panel.close[members["ai-compute"]]
    assert panel.mcap_daily.reindex(columns=members["ai-compute"]).isna().all().all()
    by_hand = np.log((eq.loc[monday] / eq.loc[prev]).mean())
    assert r.loc[monday, "ai-compute"] == pytest.approx(by_hand, abs=1e-12)


def test_a_sector_with_too_short_a_history_is_left_out_not_fatal(demo):
    from dataclasses import replace

    db, u = demo
    members = {sid: list(s.members) for sid, s in u.sectors.items()}
    panel = load_panel(db, u, sorted({m for v in members.values() for m in v}), None, None,
                       tables=("bars", "market_caps"), intervals=("1d",))
    before = pd.Timestamp("2026-02-01")
    r_all, skipped_all = sector_log_returns(panel, members, before=before, min_obs=60)
    assert "ai-crypto" in r_all.columns and not any("history" in v for v in skipped_all.values())
    # the AI tokens' bars from 2026-01-01 only: their sector would cut everyone's window to a month, so it goes
    ai = members["ai-crypto"]
    bars = panel.bars[~(panel.bars["asset"].isin(ai) & (panel.bars["ts"] < pd.Timestamp("2026-01-01", tz="UTC")))]
    late = replace(panel, bars=bars)
    r, skipped = sector_log_returns(late, members, before=before, min_obs=60)
    assert "ai-crypto" not in r.columns and "history from 2026-01" in skipped["ai-crypto"]
    assert (r.index < before).sum() - 1 >= 60


def test_api_sector_network_is_explains_network(demo, x):
    db, u = demo
    net = api.sector_network(db, u, "ai-crypto", "2026-02-06")
    pd.testing.assert_frame_equal(net.edges, x.network.edges)
    assert net.summary() == x.network.summary()
