"""Results kept between runs: the what-if's GARCH fits (``fit_fhs(cache=)``) and the cascade calibration's grid
search (``calibrate(cache=)``) give the same numbers bit for bit from a kept entry as computed, without computing
again; an entry of other inputs, a damaged or malformed entry is never used; the digests tell inputs apart."""
from __future__ import annotations

import importlib
import json
import math

import numpy as np
import pandas as pd
import pytest
from arch.univariate.base import ARCHModel

from selloff.analytics.cascade import BookParams, CalibParams, calibrate, day_books, run_cascade
from selloff.analytics.fingerprint import fingerprint
from selloff.analytics.stress.fhs import fit_fhs
from selloff.diskcache import ResultCache, result_cache

from .stress.test_fhs import gjr_t_series

cal_mod = importlib.import_module("selloff.analytics.cascade.calibrate")  # the package exports a function of its name


@pytest.fixture
def returns():
    cols = {a: gjr_t_series(400, 0.05, 0.06, 0.08, 0.88, 5.0, seed=s) / 100 for a, s in (("A", 1), ("B", 2))}
    return pd.DataFrame(cols, index=pd.date_range("2024-01-01", periods=400))


@pytest.fixture
def no_fit(monkeypatch):
    """Makes any GARCH optimisation fail: a kept result must not need one."""
    def fail(*a, **k):
        raise AssertionError("fitted again")

    return lambda: monkeypatch.setattr(ARCHModel, "fit", fail)


def _same_model(a, b) -> None:
    assert a.assets == b.assets and a.fits == b.fits and a.dates.equals(b.dates)
    assert np.array_equal(a.z, b.z)


def test_kept_garch_fits_give_the_same_model_without_fitting(returns, tmp_path, no_fit):
    cache = result_cache(tmp_path / "results")
    fresh = fit_fhs(returns, dtype="float64", cache=cache)
    assert len(list((tmp_path / "results").glob("*.json"))) == 2  # one entry per series
    assert fresh.fits == fit_fhs(returns, dtype="float64").fits  # keeping changes nothing
    no_fit()
    _same_model(fit_fhs(returns, dtype="float64", cache=ResultCache(tmp_path / "results")), fresh)


def test_garch_entries_of_other_data_or_another_model_are_not_used(returns):
    cache: dict = {}
    fit_fhs(returns, cache=cache)
    other = returns * 1.01
    fit_fhs(other, cache=cache)
    fit_fhs(returns, asymmetric=False, cache=cache)
    assert len(cache) == 6  # 2 series x (data, other data, other model): nothing shared


def test_a_malformed_garch_entry_is_fitted_again(returns):
    cache: dict = {}
    want = fit_fhs(returns, cache=cache)
    for key in cache:
        cache[key] = {"params": cache[key]["params"][:-1]}  # one parameter short
    again = fit_fhs(returns, cache=cache)
    assert again.fits == want.fits and all(len(v["params"]) == 5 for v in cache.values())


def _market(seed=7, n=160):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.standard_t(4, n) * 0.03))
    return pd.DataFrame({"close": close, "low": close * np.exp(-np.abs(rng.normal(0, 0.03, n))),
                         "high": close * np.exp(np.abs(rng.normal(0, 0.02, n))),
                         "open_interest_usd": 2e9 * np.exp(np.cumsum(rng.normal(0, 0.03, n))),
                         "volume_usd": 1e9 * np.exp(rng.normal(0, 0.2, n))}, index=pd.date_range("2025-01-01", periods=n))


@pytest.fixture
def market():
    p = BookParams(lookback_days=20, vol_days=20)
    daily = _market()
    rows = {d: (run_cascade(b, sd, 2.0, 0.5).long_usd if sd < 0 else 0.0,
                run_cascade(b, su, 2.0, 0.5).short_usd if su > 0 else 0.0) for d, b, sd, su in day_books(daily, p, "X")}
    rec = pd.DataFrame.from_dict(rows, orient="index", columns=["liq_long_usd", "liq_short_usd"])
    return daily, rec, p, CalibParams(k_max=5.0, k_grid_n=21, scale_min=0.1, scale_max=2.0, scale_grid_n=21,
                                      holdout_share=0.25, floor_usd=1e3, min_days=30)


def _same_calibration(a, b) -> None:
    assert (a.k, a.scale, a.k_at_edge, a.fit, a.holdout) == (b.k, b.scale, b.k_at_edge, b.fit, b.holdout)
    pd.testing.assert_frame_equal(a.days, b.days, check_exact=True)


def test_a_kept_calibration_is_the_same_without_a_search(market, tmp_path, monkeypatch):
    daily, rec, p, cp = market
    fresh = calibrate(daily, rec, p, cp, "X", cache=result_cache(tmp_path))
    _same_calibration(fresh, calibrate(daily, rec, p, cp, "X"))
    monkeypatch.setattr(cal_mod, "_search", lambda *a: pytest.fail("searched again"))
    _same_calibration(calibrate(daily, rec, p, cp, "X", cache=ResultCache(tmp_path)), fresh)


def test_calibration_entries_of_other_inputs_or_grids_are_not_used(market):
    daily, rec, p, cp = market
    cache: dict = {}
    calibrate(daily, rec, p, cp, "X", cache=cache)
    changed = daily.copy()
    changed.iloc[-1, changed.columns.get_loc("open_interest_usd")] *= 1.000001
    calibrate(changed, rec, p, cp, "X", cache=cache)
    calibrate(daily, rec * 2, p, cp, "X", cache=cache)
    calibrate(daily, rec, p, CalibParams(**{**cp.__dict__, "k_grid_n": 11}), "X", cache=cache)
    calibrate(daily, rec, BookParams(lookback_days=21, vol_days=20), cp, "X", cache=cache)
    assert len(cache) == 5


@pytest.mark.parametrize("entry", [{"dates": [1, 2], "best": 0}, {"dates": "x", "best": 0}, {"best": 10 ** 9},
                                   {"dates": [1.5], "best": 0, "shock_down": [0.0], "shock_up": [0.0],
                                    "model_long_usd": [0.0], "model_short_usd": [0.0]}, []])
def test_a_malformed_calibration_entry_is_searched_again(market, entry):
    daily, rec, p, cp = market
    cache: dict = {}
    want = calibrate(daily, rec, p, cp, "X", cache=cache)
    (key,) = cache
    cache[key] = entry
    _same_calibration(calibrate(daily, rec, p, cp, "X", cache=cache), want)


def test_the_result_cache_keeps_floats_exactly_and_passes_over_damage(tmp_path):
    cache = result_cache(tmp_path / "r")
    values = [0.1 + 0.2, math.pi, 1e-300, -0.0, float("nan"), float("inf"), 5e-324]
    cache["k"] = {"v": values}
    got = cache.get("k")["v"]
    assert [v.hex() for v in got] == [v.hex() for v in values]  # bit for bit (NaN's too)
    (entry,) = (tmp_path / "r").glob("*.json")
    data = bytearray(entry.read_bytes())
    data[-3] ^= 1
    entry.write_bytes(bytes(data))
    assert cache.get("k") is None  # damaged: a miss
    entry.write_bytes(entry.read_bytes()[:10])
    assert cache.get("k") is None
    assert cache.get("never") is None


def test_the_result_cache_reads_no_json_that_is_not_an_object_and_no_open_folder(tmp_path):
    from selloff import diskcache

    cache = result_cache(tmp_path / "r")
    path = cache._path("k")
    diskcache.write_entry(path, diskcache.RESULT_MAGIC, json.dumps([1, 2]).encode())
    assert cache.get("k") is None
    diskcache.write_entry(path, diskcache.RESULT_MAGIC, b"{not json")
    assert cache.get("k") is None
    cache["k"] = {"a": 1.0}
    (tmp_path / "r").chmod(0o777)  # others may write the folder: nothing read from it, nothing written
    assert cache.get("k") is None and result_cache(tmp_path / "r") is None


def test_fingerprints_tell_inputs_apart():
    a = np.arange(4.0)
    assert fingerprint(a) == fingerprint(a.copy()) != fingerprint(a.astype(np.float32))
    assert fingerprint(a) != fingerprint(a.reshape(2, 2))
    assert fingerprint("1", 2) != fingerprint(1, "2") != fingerprint("12")
    assert fingerprint(0.1 + 0.2) != fingerprint(0.3)
    assert fingerprint(["a", "b"]) != fingerprint(["ab"])
    with pytest.raises(TypeError):
        fingerprint(np.array(["a"], dtype=object))
