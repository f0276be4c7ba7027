"""Property tests: whatever values ``scan`` gets, and whatever a damaged CSV holds, the command ends with exit
code 0 or 2 and never a traceback (hypothesis; few examples so the file stays well under a minute)."""
from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from selloff.cli import app
from tests.demo_stores import read_only_store

runner = CliRunner()
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[Path]:
    """The session's shared small simulated store (only read: scan)."""
    from selloff.simulate import SimSpec

    yield from read_only_store(tmp_path_factory, SimSpec(start="2025-10-01", hourly=False))


def _ends_cleanly(res) -> None:
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.exit_code in (0, 2), (res.exit_code, res.output)
    assert "Traceback" not in res.output
    if res.exit_code == 2:
        assert res.stderr.startswith("error: "), res.stderr


def _num(x: float) -> str:
    return repr(x) if not math.isnan(x) else "nan"


numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(_num),
                    st.sampled_from(["", "1e309", "-0", "abc", "1,5", "0x10"]))
dates = st.one_of(st.sampled_from(["2026-02-01", "2026-01-01T00:00+05:00", "now", "9999-12-31", "1600-01-01",
                                   "2026-02-30", "", "2026-02-06T14:00Z", "1970-01-01", "2100-12-31"]),
                  st.dates().map(str), st.text(max_size=12))
option = st.sampled_from(["--z", "--move", "--breadth"])


@SETTINGS
@given(opts=st.lists(st.one_of(st.tuples(option, numbers), st.tuples(st.sampled_from(["--since", "--until"]), dates)),
                     max_size=3))
def test_scan_options_never_traceback(store, opts):
    argv = ["scan", "--store", str(store), "--json"] + [f"{k}={v}" for k, v in opts]
    _ends_cleanly(runner.invoke(app, argv))


VALID = "date,open,high,low,close,volume\n" + "".join(
    f"2025-01-{d:02d},{10 + d},{12 + d},{9 + d},{11 + d},{100 * d}\n" for d in range(1, 21))


@st.composite
def damaged(draw) -> bytes:
    lines = VALID.splitlines()
    rows = [ln.split(",") for ln in lines]
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["blank", "duplicate", "drop-column"]))
        if kind == "blank" and len(rows) > 1:
            r = draw(st.integers(0, len(rows) - 1))
            if rows[r]:
                rows[r][draw(st.integers(0, len(rows[r]) - 1))] = ""
        elif kind == "duplicate" and len(rows) > 1:
            r = draw(st.integers(1, len(rows) - 1))
            rows.insert(r, list(rows[r]))
        elif kind == "drop-column" and rows[0]:
            c = draw(st.integers(0, len(rows[0]) - 1))
            rows = [row[:c] + row[c + 1:] for row in rows]
    data = bytearray("\n".join(",".join(r) for r in rows).encode() + b"\n")
    for _ in range(draw(st.integers(0, 4))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
    return bytes(data)


@SETTINGS
@given(data=damaged())
def test_damaged_csv_import_never_tracebacks(tmp_path_factory, data):
    base = tmp_path_factory.mktemp("csv")
    path = base / "TAO.csv"
    path.write_bytes(data)
    _ends_cleanly(runner.invoke(app, ["import", str(path), "--store", str(base / "s.duckdb")]))
