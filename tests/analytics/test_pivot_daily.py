"""``pivot_daily`` (two whole-column time-zone conversions, one scatter) against its obvious version (a groupby
per asset, one Series per asset labelled by ``session_date``, concat): the same frame for any bars — tokens and
equities, New York's daylight-saving changes, gaps, NaN closes, rows in any order, Arrow and object strings — and
the same error for a day held twice."""
from __future__ import annotations

import warnings

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.tseries.frequencies import to_offset

from selloff.analytics.frames import pivot_daily, session_date
from selloff.errors import DataError

KINDS = {"TAO": "token", "NVDA": "equity", "SPX": "index", "ÄI": "token"}  # "zz" is not in kinds: a token


def reference(bars: pd.DataFrame, kinds: dict[str, str], field: str = "close") -> pd.DataFrame:
    d = bars[bars["interval"] == "1d"]
    if d.empty:
        raise DataError("no daily bars")
    parts = []
    for asset, g in d.groupby("asset", sort=True):
        s = pd.Series(g[field].to_numpy(dtype=float), index=session_date(g["ts"], kinds.get(asset, "token")),
                      name=asset)
        if s.index.duplicated().any():
            dup = s.index[s.index.duplicated()][0].date()
            raise DataError(f"asset {asset}: two daily bars for {dup} (several sources?); select one source first")
        parts.append(s)
    out = pd.concat(parts, axis=1, sort=True).sort_index()
    out.index.name = "date"
    return out


def _bars(rows: list[tuple], arrow: bool) -> pd.DataFrame:
    f = pd.DataFrame(rows, columns=["asset", "interval", "day", "hour", "close"])
    # around the 8 March 2026 change to daylight saving time in New York: 14:30 UTC is 09:30 or 10:30 there
    f["ts"] = (pd.Timestamp("2026-03-01", tz="UTC") + pd.to_timedelta(f.pop("day"), unit="D")
               + pd.to_timedelta(f.pop("hour"), unit="h")).dt.as_unit("us")
    if arrow:
        for c in ("asset", "interval"):
            f[c] = f[c].astype("string[pyarrow]")
    return f


row = st.tuples(st.sampled_from([*KINDS, "zz"]), st.sampled_from(["1d", "1d", "1h"]), st.integers(0, 14),
                st.sampled_from([0, 3, 14, 23]), st.one_of(st.floats(1, 100), st.just(float("nan"))))


def _outcome(fn, f):
    try:
        return fn(f, KINDS), None
    except DataError as exc:
        return None, str(exc)


@settings(max_examples=200, deadline=None)
@given(st.lists(row, max_size=50), st.booleans())
def test_the_same_frame_or_the_same_error_as_the_reference(rows, arrow):
    f = _bars(rows, arrow)
    if f.empty or not (f["interval"] == "1d").any():
        with pytest.raises(DataError, match="no daily bars"):
            pivot_daily(f, KINDS)
        return
    (got, got_err), (ref, ref_err) = _outcome(pivot_daily, f), _outcome(reference, f)
    assert got_err == ref_err
    if ref is not None:  # the freq: the one the labels imply (the reference's depends on pandas' union internals)
        pd.testing.assert_frame_equal(got, ref, check_freq=False)
        with warnings.catch_warnings():  # pandas 3 announces an offset instead of a string from infer_freq
            warnings.simplefilter("ignore")
            inferred = pd.infer_freq(got.index) if len(got) >= 3 else None
        assert got.index.freq == (to_offset(inferred) if inferred else None)


def test_labels_by_kind_and_the_inferred_freq():
    ts = pd.to_datetime(["2026-03-06 14:30", "2026-03-09 13:30", "2026-03-06 00:00", "2026-03-07 00:00",
                         "2026-03-08 00:00"], utc=True)
    f = pd.DataFrame({"asset": ["NVDA", "NVDA", "TAO", "TAO", "TAO"], "interval": "1d", "ts": ts,
                      "close": [1.0, 2.0, 3.0, 4.0, 5.0]})
    w = pivot_daily(f, KINDS)
    assert list(w.columns) == ["NVDA", "TAO"] and w.index.name == "date"
    # the equity's sessions: Friday 6 and Monday 9 March (New York dates); the token's: UTC dates
    assert [str(x.date()) for x in w.index] == ["2026-03-06", "2026-03-07", "2026-03-08", "2026-03-09"]
    assert w["NVDA"].tolist()[0] == 1.0 and w["NVDA"].tolist()[3] == 2.0 and w["TAO"].tolist()[:3] == [3.0, 4.0, 5.0]
    assert w.index.freq == "D"
    assert pivot_daily(f[f["asset"] == "NVDA"], KINDS).index.freq is None  # two sessions three days apart


def test_a_day_held_twice_names_the_first_asset_and_day():
    ts = pd.to_datetime(["2026-03-06 00:00", "2026-03-06 12:00", "2026-03-05 14:30", "2026-03-05 15:30"], utc=True)
    f = pd.DataFrame({"asset": ["TAO", "TAO", "NVDA", "NVDA"], "interval": "1d", "ts": ts, "close": 1.0})
    with pytest.raises(DataError, match=r"^asset NVDA: two daily bars for 2026-03-05 \(several sources\?\)"):
        pivot_daily(f, KINDS)
