"""selloff explain on the demo market: every table is produced, consistent with arithmetic done here."""
import numpy as np
import pandas as pd
import pytest

from selloff import api
from selloff.explain import SECTOR, explain
from selloff.simulate import SimSpec
from selloff.store import Store
from selloff.universe import load_universe


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    u = load_universe(include_user_config=False)
    db = Store(tmp_path_factory.mktemp("explain") / "demo.duckdb")
    api.build_demo_store(db, u, SimSpec(start="2025-06-01", end="2026-02-20"))
    yield db, u
    db.close()


def test_explain_produces_every_table_without_look_ahead(demo):
    db, u = demo
    x = explain(db, u, "ai-crypto", "2026-02-06")
    assert x.simulated
    assert "NYSE" in x.alignment
    for key in ("decomposition", "spillover", "granger", "lead_lag", "tail_comovement", "dependency", "event_study_tokens"):
        assert key in x.tables and len(x.tables[key]) > 0, key
    dec = x.tables["decomposition"]
    members = [m for m in u.sector("ai-crypto").members if m in dec.index]
    # the equal-weighted sector's move is the mean of its members' moves (same session, log returns)
    assert dec.loc[SECTOR, "total"] == pytest.approx(dec.loc[members, "total"].mean(), abs=1e-12)
    # parts add up to the total
    parts = dec[["BTC_part", "EQ_BASKET_part", "alpha_part", "residual"]].sum(axis=1)
    np.testing.assert_allclose(parts, dec["total"], atol=1e-12)
    # the crash was mostly market-wide: the BTC part explains most of the sector's fall
    assert dec.loc[SECTOR, "total"] < -0.1
    assert dec.loc[SECTOR, "BTC_part"] < 0
    # spillover table: rows of the normalised decomposition sum to 100 per cent
    tab = x.tables["spillover"]
    names = [c for c in tab.columns if c != "From others"]
    np.testing.assert_allclose(tab.loc[names, names].sum(axis=1), 100.0, atol=1e-8)
    # no look-ahead: nothing after the event session is used
    assert x.tables["rolling_correlation"].index.max() <= x.event_session


def test_explain_outside_data_is_a_clear_error(demo):
    from selloff.errors import DataError

    db, u = demo
    with pytest.raises(DataError):
        explain(db, u, "ai-crypto", "2030-01-01")
