"""The public surface: run_check -> ClaimCheck on frames, the input size limit, the [check] settings."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from selloff.check import ClaimCheck, Evidence, run_check, tolerances
from selloff.config import defaults
from selloff.errors import ConfigError
from tests.check.frames import tao

D = dt.date(2026, 2, 6)


def test_run_check_on_frames_gives_a_frozen_result(uni):
    text = "TAO fiel an einem einzigen Tag um 11 %. In den letzten 24 Stunden fiel TAO um 5 %."
    res = run_check(text, uni, bars=tao(), ref_date=D, published_at="2026-02-06T12:00Z")
    assert isinstance(res, ClaimCheck) and res.lang == "de" and res.ref_date == D
    assert [v.status for v in res.verdicts] == ["supported", "contradicted"]
    assert res.published_at == pd.Timestamp("2026-02-06 12:00", tz="UTC")
    with pytest.raises(AttributeError):
        res.lang = "en"  # frozen
    df = res.to_frame()
    assert list(df["id"]) == ["C1", "C2"] and list(df["status"]) == ["supported", "contradicted"]
    d = json.loads(json.dumps(res.to_dict()))  # JSON-able as it is
    assert d["ref_date"] == "2026-02-06" and d["n_claims"] == 2
    assert d["counts"]["supported"] == 1 and d["verdicts"][0]["used"]["name"] == "utc_day"
    # the same with an Evidence; the day of published_at is the ref_date when none is given
    res2 = run_check(text, uni, Evidence(universe=uni, bars=tao()), published_at=pd.Timestamp("2026-02-06 12:00", tz="UTC"))
    assert res2.ref_date == D and [v.status for v in res2.verdicts] == ["supported", "contradicted"]
    with pytest.raises(ConfigError, match="both evidence and frames"):
        run_check(text, uni, Evidence(universe=uni), bars=tao())


def test_text_over_the_size_limit_is_refused_in_one_line(uni):
    limit = defaults("check")["max_text_bytes"]
    assert limit == 1_000_000
    text = "TAO fiel um 11 %. " * (limit // 18 + 1)
    with pytest.raises(ConfigError) as exc:
        run_check(text, uni, ref_date=D)
    msg = str(exc.value)
    size = len(text.encode("utf-8"))
    assert f"{size:,}" in msg and "1,000,000" in msg and "max_text_bytes" in msg and "\n" not in msg
    from selloff.check import extract_claims

    with pytest.raises(ConfigError):
        extract_claims(text, uni, ref_date=D)
    # bytes, not characters: umlauts count twice; the limit can be raised by the caller
    with pytest.raises(ConfigError):
        extract_claims("ä" * 6, uni, max_text_bytes=11)
    short = "TAO fiel um 11 %. " * 3
    assert len(extract_claims(short, uni, ref_date=D, max_text_bytes=len(short))) == 3
    with pytest.raises(ConfigError, match="max_text_bytes"):
        extract_claims(short, uni, ref_date=D, max_text_bytes=len(short) - 1)


def test_check_settings_keep_the_old_tolerances():
    assert tolerances() == {"pct_exact_pp": 1.5, "pct_about_pp": 3.0, "pct_more_than_pp": 0.0, "pct_nearly_pp": 3.0,
                            "level_exact_rel": 0.02, "level_about_rel": 0.03, "level_nearly_rel": 0.10,
                            "level_more_than_rel": 0.0, "breadth_generally_share": 0.75, "breadth_all_share": 1.0,
                            "consistency_pp": 1.5}
    assert tolerances({"pct_exact_pp": 1.0})["pct_exact_pp"] == 1.0
