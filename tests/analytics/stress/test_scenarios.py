"""The scenario library: every measured move recomputed from the real CSV it names; the required windows."""
from pathlib import Path

import pandas as pd
import pytest

from selloff.analytics.stress.scenarios import KINDS, episode_scenario, library, scenario
from selloff.errors import ConfigError
from tests.analytics.stress.realcsv import move

REQUIRED = {"covid-2020-03-12": "2020-03-12", "china-2021-05-19": "2021-05-19", "luna-2022-05": "2022-05-09",
            "ftx-2022-11": "2022-11-08", "carry-2024-08-05": "2024-08-05", "deepseek-2025-01-27": "2025-01-27",
            "tariff-2025-10-10": "2025-10-10", "ai-2026-02-05": "2026-02-05", "ai-2026-02-05-06": "2026-02-05",
            "ai-2026-02-06-claimed": "2026-02-05"}


def test_library_has_the_required_windows_and_sources():
    lib = library()
    for name, start in REQUIRED.items():
        assert lib[name].start == start and lib[name].moves
    for s in lib.values():
        for m in s.moves:
            assert m.kind in KINDS and m.source and -1 < m.move < 1
    assert {m.kind for m in lib["ai-2026-02-06-claimed"].moves} == {"claimed"}
    assert {m.kind for m in lib["ai-2026-02-05"].moves} == {"measured"}


def test_every_measured_move_is_what_its_file_says(shared_data):
    checked = 0
    for s in library().values():
        for m in s.moves:
            if m.kind != "measured":
                continue
            path = shared_data / Path(m.source).relative_to("shared/data")
            assert m.move == pytest.approx(move(path, m.start_close, m.end_close), abs=1e-6), (s.name, m.asset)
            checked += 1
    assert checked > 100


def test_reference_day_measured_against_the_claims():
    lib = library()
    measured, claimed = lib["ai-2026-02-05"].shocks(), lib["ai-2026-02-06-claimed"].shocks()
    assert measured["BTC"] > claimed["BTC"]  # BTC fell 12.3 % on the 5th by its UTC close, the text says 18 %


def test_unknown_scenario_lists_the_library():
    with pytest.raises(ConfigError, match="covid-2020-03-12"):
        scenario("nope")


def test_episode_scenario_measures_close_to_close():
    idx = pd.date_range("2026-02-01", periods=6)
    close = pd.DataFrame({"TAO": [100, 100, 90, 80, 85, 85.0], "NEAR": [10, 10, 10, 9, 9, 9.0]}, index=idx)
    s = episode_scenario(close, pd.Timestamp("2026-02-03", tz="UTC"), pd.Timestamp("2026-02-04", tz="UTC"), "t", "store")
    assert s.days == 2 and s.shocks() == pytest.approx({"TAO": -0.2, "NEAR": -0.1})
