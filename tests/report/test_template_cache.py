"""The report's compiled templates are kept between processes (Jinja2's bytecode cache in the user cache dir):
the same text from a cached template, a fresh compile, an unwritable cache folder and a damaged cache file, and one
compiled narrative for the Markdown (escaped values) and the plain text."""
from __future__ import annotations

import jinja2
import pytest

from selloff.report import writer
from selloff.report.findings import build_findings
from selloff.report.writer import render_text

from .conftest import REPORT_DATE, SECTOR


@pytest.fixture(scope="module")
def day(demo_store_path, universe, names):
    from selloff import api
    from selloff.store import Store

    with Store(demo_store_path, read_only=True) as db:
        a = api.analyse(db, universe, SECTOR, REPORT_DATE)
    return a, build_findings(a), names


def _fresh_env(monkeypatch, cache_dir) -> None:
    """A new process's view: the environment built again, over ``cache_dir``."""
    monkeypatch.setenv("SELLOFF_CACHE_DIR", str(cache_dir))
    writer._env.cache_clear()


@pytest.fixture(autouse=True)
def _forget_env():
    writer._env.cache_clear()
    yield
    writer._env.cache_clear()


@pytest.mark.parametrize("lang", writer.LANGS)
def test_a_cached_template_renders_the_same_text_without_compiling(tmp_path, monkeypatch, day, lang):
    a, f, names = day
    _fresh_env(monkeypatch, tmp_path / "c")
    first, _ = render_text(f, a, lang, names)
    files = sorted(p.name for p in (tmp_path / "c" / "templates").iterdir())
    assert files and all(n.startswith("__selloff_report_text_") for n in files)  # narrative and its includes
    _fresh_env(monkeypatch, tmp_path / "c")
    compiled = []
    orig = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile", lambda self, *a, **k: compiled.append(a[1:2]) or orig(self, *a, **k))
    again, _ = render_text(f, a, lang, names)
    assert again == first and compiled == []  # every template came from the cache
    md, _ = render_text(f, a, lang, names, markdown=True)
    assert compiled == []  # the Markdown uses the same compiled template
    assert md.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == first


def test_markdown_escapes_values_the_plain_text_keeps(tmp_path, monkeypatch, day):
    a, f, names = day
    _fresh_env(monkeypatch, tmp_path / "c")
    hostile = {k: f"{v} <b>&" for k, v in names.items()}
    plain, _ = render_text(f, a, "en", hostile)
    md, _ = render_text(f, a, "en", hostile, markdown=True)
    assert " <b>&" in plain and " <b>&" not in md and " &lt;b&gt;&amp;" in md


def test_an_unusable_cache_is_passed_over(tmp_path, monkeypatch, day):
    a, f, names = day
    _fresh_env(monkeypatch, tmp_path / "none")
    want, _ = render_text(f, a, "de", names)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    _fresh_env(monkeypatch, blocker)  # the cache folder cannot be made: no cache
    assert writer._env(False).bytecode_cache is None
    assert render_text(f, a, "de", names)[0] == want
    shared = tmp_path / "shared"
    (shared / "templates").mkdir(parents=True)
    (shared / "templates").chmod(0o777)  # others could write compiled code there: not used
    _fresh_env(monkeypatch, shared)
    assert writer._env(False).bytecode_cache is None
    _fresh_env(monkeypatch, tmp_path / "c")
    render_text(f, a, "de", names)
    for p in (tmp_path / "c" / "templates").iterdir():  # damaged entries: recompiled, not an error
        p.write_bytes(p.read_bytes()[:40])
    _fresh_env(monkeypatch, tmp_path / "c")
    assert render_text(f, a, "de", names)[0] == want
    (tmp_path / "c" / "templates").chmod(0o500)  # a folder it cannot write: rendered, nothing stored
    try:
        _fresh_env(monkeypatch, tmp_path / "c")
        assert render_text(f, a, "de", names)[0] == want
    finally:
        (tmp_path / "c" / "templates").chmod(0o700)
