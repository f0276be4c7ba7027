"""``selloff serve`` refuses bad input with one line and exit code 2 before it binds a port."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from selloff.cli import app


@pytest.mark.parametrize("args, env, fragment", [
    (["--store", "{missing}"], {}, "does not exist"),
    (["--store", "{store}", "--port", "70000"], {}, "--port 70000"),
    (["--store", "{store}", "--allow-write"], {"SELLOFF_WEB_TOKEN": ""}, "SELLOFF_WEB_TOKEN"),
    (["--store", "{store}", "--allow-write"], {"SELLOFF_WEB_TOKEN": "short"}, "at least 16"),
    (["--store", "{store}", "--port", "x"], {}, "--port"),
])
def test_serve_bad_input_is_one_line_exit_2(demo_store, tmp_path, args, env, fragment):
    args = [a.format(missing=tmp_path / "none.duckdb", store=demo_store) for a in args]
    r = CliRunner().invoke(app, ["serve", *args], env=env)
    assert r.exit_code == 2, r.output
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], r.output
