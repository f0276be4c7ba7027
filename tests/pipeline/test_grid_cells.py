"""The whole-market grid read (:func:`selloff.pipeline.grid.load_grid`, rows placed inside the DuckDB query) against
the same grid built in numpy from the plain rows (:func:`selloff.analytics.market.build_grid` on
:meth:`Store.read_arrays`, New York dates by pandas' tz database), and a few cells by hand: New York session dates
across the March DST change, two sources, caps placed at the close before, the later of two snapshots at one close."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selloff.analytics.market import build_grid
from selloff.pipeline.grid import load_grid, ranked_pairs
from selloff.pipeline.params import priority
from selloff.store import Store
from selloff.universe.model import Asset, Sector, Universe

DAYS = pd.date_range("2025-03-01", periods=20, freq="D", tz="UTC")


def _store(path):
    rng = np.random.default_rng(5)
    bars, caps = [], []
    for i, t in enumerate(DAYS):
        bars.append(("TOK", t, "binance", 10 + i))
        if i % 3 == 0:  # a second, worse source on some days; on day 3 only it has a bar
            bars.append(("TOK", t, "coingecko", 100 + i))
        if i != 4:
            bars.append(("TOK2", t, "binance", 20 + rng.standard_normal()))
        caps.append(("TOK", t + pd.Timedelta(days=1), "coingecko", 1e6 + i))
        caps.append(("TOK", t + pd.Timedelta(hours=13), "coingecko", 123.0))  # not at a close: never placed
    bars = [b for b in bars if not (b[0] == "TOK" and b[2] == "binance" and b[1] == DAYS[3])]
    caps.append(("TOK", DAYS[10] + pd.Timedelta(days=1, minutes=30), "coingecko", 7e6))  # later snapshot, same close
    for t in DAYS:
        if t.weekday() < 5:  # NYSE sessions: a bar at the open (14:30 or 13:30 UTC) and one late the same evening
            bars.append(("EQ", t + pd.Timedelta(hours=13, minutes=30), "yahoo", 50.0 + t.day))
    # 03:00 UTC on 11 Mar 2025 is 23:00 EDT on 10 Mar: New York's session date, not the UTC date
    bars.append(("EQ2", pd.Timestamp("2025-03-11 03:00", tz="UTC"), "yahoo", 5.0))
    bars.append(("EQ2", pd.Timestamp("2025-03-12 15:00", tz="UTC"), "yahoo", 6.0))
    b = pd.DataFrame(bars, columns=["asset", "ts", "source", "close"]).assign(interval="1d")
    c = pd.DataFrame(caps, columns=["asset", "ts", "source", "market_cap_usd"])
    with Store(path) as db:
        db.upsert("bars", b[["asset", "interval", "ts", "source", "close"]])
        db.upsert("market_caps", c)


def _load_both(db, u, order):
    col = {a: i for i, a in enumerate(order)}
    ref = {}
    for table, value, kw in (("bars", "close", {"interval": "1d"}), ("market_caps", "market_cap_usd", {})):
        pairs = ranked_pairs(db.series_summary(table, order, **kw), priority(), order)
        arr = db.read_arrays(table, value, [(a, x) for a, x, _ in pairs], **kw)
        pc = np.array([col[a] for a, _, _ in pairs], "int32")
        ref[table] = {"i": pc[arr["i"]], "ms": arr["ms"], "v": arr["v"],
                      "rank": np.array([r for _, _, r in pairs], "int16")[arr["i"]]}
    return load_grid(db, u, order), build_grid(order, {a: u.assets[a].kind for a in order}, ref["bars"], ref["market_caps"])


@pytest.fixture(scope="module")
def grids(tmp_path_factory):
    path = tmp_path_factory.mktemp("cells") / "g.duckdb"
    _store(path)
    assets = {"TOK": Asset("TOK", "token", "Tok"), "TOK2": Asset("TOK2", "token", "Tok 2"),
              "EQ": Asset("EQ", "equity", "Eq"), "EQ2": Asset("EQ2", "equity", "Eq 2")}
    u = Universe(assets, {"s": Sector("s", "S", tuple(assets))}, ())
    with Store(path, read_only=True) as db:
        fast, slow = _load_both(db, u, ["TOK", "TOK2", "EQ", "EQ2"])
    return fast, slow


def test_the_query_places_every_row_where_numpy_does(grids):
    fast, slow = grids
    assert fast.assets == slow.assets
    pd.testing.assert_index_equal(fast.days, slow.days)
    np.testing.assert_array_equal(fast.close, slow.close)
    np.testing.assert_array_equal(fast.cap, slow.cap)
    np.testing.assert_array_equal(fast.source_rank, slow.source_rank)


def test_cells_by_hand(grids):
    g, _ = grids
    day = {d.date().isoformat(): i for i, d in enumerate(g.days)}
    tok, eq2 = g.column["TOK"], g.column["EQ2"]
    assert g.days[0] == pd.Timestamp("2025-03-01") and g.days[-1] == pd.Timestamp("2025-03-20")  # caps' last close
    assert g.close[day["2025-03-01"], tok] == 10 and g.source_rank[day["2025-03-01"], tok] == 0  # binance wins
    assert g.close[day["2025-03-04"], tok] == 103 and g.source_rank[day["2025-03-04"], tok] == 1  # only coingecko
    assert g.close[day["2025-03-10"], eq2] == 5.0 and np.isnan(g.close[day["2025-03-11"], eq2])  # NY date
    assert g.close[day["2025-03-12"], eq2] == 6.0
    assert g.cap[day["2025-03-01"], tok] == 1e6  # the 2 Mar 00:00 snapshot is the 1 Mar close
    assert g.cap[day["2025-03-11"], tok] == 7e6  # the later of 00:00 and 00:30
    assert not (g.cap == 123.0).any()  # the 13:00 snapshots are not at a close


def test_an_equitys_caps_are_utc_closes_and_days_before_1970_floor(tmp_path):
    """A cap snapshot at 00:00 UTC is the close of the UTC day before for an equity too (not its New York date), and
    a bar before 1970 (index history) has the day numpy's floor gives it, not DuckDB's truncation."""
    days = pd.date_range("2025-03-03", periods=5, freq="D", tz="UTC")
    bars = [("EQ", d + pd.Timedelta(hours=14, minutes=30), "yahoo", 10.0 + i) for i, d in enumerate(days)]
    bars += [("TOK", d, "binance", 1.0 + i) for i, d in enumerate(days)]
    bars += [("IDX", pd.Timestamp(x, tz="UTC"), "yahoo", v)
             for x, v in (("1969-12-30 15:00", 90.0), ("1969-12-31 15:00", 91.0), ("1970-01-02 15:00", 92.0))]
    caps = [("EQ", d + pd.Timedelta(days=1), "yahoo", 1e9 + i) for i, d in enumerate(days)]
    # before 1970 too: the 00:00 snapshot is the close of the day before, the 12:00 one is no close at all
    caps += [("IDX", pd.Timestamp("1969-12-31 00:00", tz="UTC"), "yahoo", 5e9),
             ("IDX", pd.Timestamp("1969-12-30 12:00", tz="UTC"), "yahoo", 6e9)]
    b = pd.DataFrame(bars, columns=["asset", "ts", "source", "close"]).assign(interval="1d")
    c = pd.DataFrame(caps, columns=["asset", "ts", "source", "market_cap_usd"])
    path = tmp_path / "e.duckdb"
    with Store(path) as db:
        db.upsert("bars", b[["asset", "interval", "ts", "source", "close"]])
        db.upsert("market_caps", c)
    assets = {"EQ": Asset("EQ", "equity", "Eq"), "TOK": Asset("TOK", "token", "Tok"), "IDX": Asset("IDX", "index", "Idx")}
    u = Universe(assets, {"s": Sector("s", "S", tuple(assets))}, ())
    with Store(path, read_only=True) as db:
        fast, slow = _load_both(db, u, ["TOK", "EQ", "IDX"])
    pd.testing.assert_index_equal(fast.days, slow.days)
    np.testing.assert_array_equal(fast.close, slow.close)
    np.testing.assert_array_equal(fast.cap, slow.cap)
    day = {d.date().isoformat(): i for i, d in enumerate(fast.days)}
    assert fast.cap[day["2025-03-03"], fast.column["EQ"]] == 1e9  # the 4 Mar 00:00 UTC snapshot
    assert np.isnan(fast.cap[:, fast.column["TOK"]]).all()  # nothing spilled into another asset
    idx = fast.column["IDX"]
    assert fast.close[day["1969-12-30"], idx] == 90.0 and fast.close[day["1969-12-31"], idx] == 91.0
    assert fast.close[day["1970-01-02"], idx] == 92.0 and np.isnan(fast.close[day["1970-01-01"], idx])
    assert fast.cap[day["1969-12-30"], idx] == 5e9 and not (fast.cap == 6e9).any()


def test_streamed_read_in_small_batches_and_its_fallbacks(tmp_path, monkeypatch):
    """With one source per asset the store writes each value into its cell as DuckDB streams the rows (here in
    batches of 2 rows), and the grid equals numpy's; two snapshots of one source at one close (fewer filled cells
    than rows) fall back to the general placement, where the later one wins, as in ``test_cells_by_hand``."""
    days = pd.date_range("2025-03-03", periods=6, freq="D", tz="UTC")
    # C is stored but not asked for: neither the join nor the ENUM of the assets may let its rows through
    b = pd.DataFrame([(a, d, "binance", k + i) for k, a in ((1.0, "A"), (10.0, "B"), (100.0, "C"))
                      for i, d in enumerate(days)],
                     columns=["asset", "ts", "source", "close"]).assign(interval="1d")
    caps = [(a, d + pd.Timedelta(days=1), "coingecko", k * (1 + i)) for k, a in ((1e6, "A"), (1e7, "B"))
            for i, d in enumerate(days)]
    path = tmp_path / "s.duckdb"
    with Store(path) as db:
        db.upsert("bars", b[["asset", "interval", "ts", "source", "close"]])
        db.upsert("market_caps", pd.DataFrame(caps, columns=["asset", "ts", "source", "market_cap_usd"]))
    assets = {"A": Asset("A", "token", "A"), "B": Asset("B", "token", "B")}
    u = Universe(assets, {"s": Sector("s", "S", tuple(assets))}, ())
    streamed = []
    orig = Store.scatter_cells

    def small(self, table, *a, **kw):
        n = orig(self, table, *a, **{**kw, "batch_rows": 2})
        streamed.append((table, n))
        return n

    monkeypatch.setattr(Store, "scatter_cells", small)
    with Store(path, read_only=True) as db:
        fast, slow = _load_both(db, u, ["A", "B"])
    assert streamed == [("bars", 12), ("market_caps", 12)]
    import selloff.store.arrays as arrays_mod

    enums = []  # the ENUM each cells query was built with (None: the join)
    orig_sql = arrays_mod.arrays_sql
    monkeypatch.setattr(arrays_mod, "arrays_sql", lambda *a, **kw: enums.append(kw.get("enum")) or orig_sql(*a, **kw))
    with Store(path, read_only=True) as db:
        by_enum = load_grid(db, u, ["A", "B"])
        assert len(enums) == 2 and all(e is not None for e in enums)  # both tables read through the ENUM
        monkeypatch.setattr(arrays_mod, "enum_read", lambda picks, cells: False)  # the join instead
        by_join = load_grid(db, u, ["A", "B"])
        assert enums[2:] == [None, None]
        assert not db.con.execute("SELECT count(*) FROM duckdb_types() WHERE type_name LIKE '_grid_assets_%'").fetchone()[0]
    for g in (by_enum, by_join):
        np.testing.assert_array_equal(g.close, fast.close)
        np.testing.assert_array_equal(g.cap, fast.cap)
    monkeypatch.undo()
    monkeypatch.setattr(Store, "scatter_cells", small)
    np.testing.assert_array_equal(fast.close, slow.close)
    np.testing.assert_array_equal(fast.cap, slow.cap)
    np.testing.assert_array_equal(fast.source_rank, slow.source_rank)
    assert fast.close[2, fast.column["B"]] == 12.0 and fast.cap[2, fast.column["B"]] == 3e7
    with Store(path) as db:  # a later snapshot at the close of 5 March for B: two rows for one cell
        db.upsert("market_caps", pd.DataFrame([("B", days[3] + pd.Timedelta(minutes=20), "coingecko", 5.0)],
                                              columns=["asset", "ts", "source", "market_cap_usd"]))
    streamed.clear()
    with Store(path, read_only=True) as db:
        g = load_grid(db, u, ["A", "B"])
    assert streamed == [("bars", 12), ("market_caps", 13)]  # streamed, then read again and placed by time
    assert g.cap[2, g.column["B"]] == 5.0 and g.cap[2, g.column["A"]] == 3e6


def test_a_streamed_cell_outside_the_grid_is_an_error_not_a_wrapped_write(tmp_path):
    from selloff.errors import StoreError
    from selloff.store.arrays import Cells

    path = tmp_path / "o.duckdb"
    days = pd.date_range("2025-03-03", periods=3, freq="D", tz="UTC")
    with Store(path) as db:
        db.upsert("bars", pd.DataFrame({"asset": "A", "interval": "1d", "ts": days, "source": "binance",
                                        "close": [1.0, 2.0, 3.0]}))
    lo = int(days[0].value // 86_400_000_000_000)
    with Store(path, read_only=True) as db:
        out = np.full(3, np.nan)
        assert db.scatter_cells("bars", "close", [("A", "binance")], Cells([0], lo, 3), out, interval="1d") == 3
        assert out.tolist() == [1.0, 2.0, 3.0]
        for cells in (Cells([0], lo + 1, 3), Cells([0], lo, 2)):  # a row before the grid's first day, after its last
            with pytest.raises(StoreError, match="outside the grid"):
                db.scatter_cells("bars", "close", [("A", "binance")], cells, np.full(3 if cells.n_days == 3 else 2, np.nan),
                                 interval="1d")
        # the failed reads went through the ENUM (one source, identity columns) and left no temporary type behind
        assert not db.con.execute("SELECT count(*) FROM duckdb_types() WHERE type_name LIKE '_grid_assets_%'").fetchone()[0]
        assert db.scatter_cells("bars", "close", [("A", "binance")], Cells([0], lo, 3), out, interval="1d") == 3


def test_a_row_off_the_grids_days_is_an_error_not_a_write_into_the_next_column(tmp_path):
    """With a wrong extent (a summary that missed rows), a row before the first day or after the last would land
    in the neighbouring column's cells; it gets cell -1 instead, and the read refuses it."""
    from selloff.errors import StoreError
    from selloff.store.arrays import Cells

    path = tmp_path / "w.duckdb"
    days = pd.date_range("2025-03-03", periods=3, freq="D", tz="UTC")
    with Store(path) as db:
        db.upsert("bars", pd.DataFrame({"asset": ["A"] * 3 + ["B"] * 3, "interval": "1d", "ts": list(days) * 2,
                                        "source": "binance", "close": [1.0, 2.0, 3.0, 10.0, 20.0, 30.0]}))
        db.upsert("market_caps", pd.DataFrame({"asset": ["A", "B"], "source": "coingecko", "market_cap_usd": [1.0, 2.0],
                                               "ts": [days[1], days[0] - pd.Timedelta(hours=12)]}))
    lo = int(days[0].value // 86_400_000_000_000)
    pairs = [("A", "binance"), ("B", "binance")]
    with Store(path, read_only=True) as db:
        out = np.full(6, np.nan)
        assert db.scatter_cells("bars", "close", pairs, Cells([0, 1], lo, 3), out, interval="1d") == 6
        assert out.tolist() == [1.0, 2.0, 3.0, 10.0, 20.0, 30.0]
        for cells in (Cells([0, 1], lo + 1, 2), Cells([0, 1], lo, 2)):  # B's first day before A's cells; A's last after
            out = np.full(4, np.nan)
            with pytest.raises(StoreError, match="outside the grid"):
                db.scatter_cells("bars", "close", pairs, cells, out, interval="1d")
            assert not (out == 10.0).any() and not (out == 3.0).any()
        # B's cap at 12:00 half a day before the grid's base: it passes the time-of-day test, but not onto A's cells
        caps = [("A", "coingecko"), ("B", "coingecko")]
        with pytest.raises(StoreError, match="outside the grid"):
            db.scatter_cells("market_caps", "market_cap_usd", caps, Cells([0, 1], lo, 3, -1), np.full(6, np.nan),
                             day_offset_below_ms=3_600_000)
