"""The report's compiled templates kept between processes (:mod:`selloff.report.template_cache`): the same text from a
cached template, a fresh compile, an unusable folder, a write that fails and damaged, foreign or linked entries; one
compiled narrative for the Markdown (escaped values) and the plain text; entries of other settings never read."""
from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from selloff import diskcache
from selloff.report import template_cache as tc
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


@pytest.fixture(autouse=True)
def _forget_env():
    writer._env.cache_clear()
    yield
    writer._env.cache_clear()


@pytest.fixture
def compiled(monkeypatch):
    """The templates Jinja2 compiles from source (not loaded from the cache), by name."""
    names: list[str] = []
    orig = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, source, name=None, *a, **k: names.append(name) or orig(self, source, name, *a, **k))
    return names


def _fresh(monkeypatch, cache_dir: Path) -> Path:
    """A new process's view: the environment built again over ``cache_dir``; returns the templates folder."""
    monkeypatch.setenv("SELLOFF_CACHE_DIR", str(cache_dir))
    writer._env.cache_clear()
    return cache_dir / "templates"


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.cache"))


@pytest.mark.parametrize("lang", writer.LANGS)
def test_a_cached_template_renders_the_same_text_without_compiling(tmp_path, monkeypatch, day, compiled, lang):
    a, f, names = day
    folder = _fresh(monkeypatch, tmp_path / "c")
    first, _ = render_text(f, a, lang, names)
    assert f"{lang}/narrative.j2" in compiled and len(_entries(folder)) == len(compiled)  # narrative and its includes
    assert not list(folder.glob(".tmp-*"))
    compiled.clear()
    _fresh(monkeypatch, tmp_path / "c")
    again, _ = render_text(f, a, lang, names)
    assert again == first and compiled == []  # every template came from the cache
    md, _ = render_text(f, a, lang, names, markdown=True)
    assert compiled == []  # the Markdown uses the same compiled template
    assert md.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == first


@pytest.mark.parametrize("lang", writer.LANGS)
def test_markdown_escapes_values_the_plain_text_keeps(tmp_path, monkeypatch, day, lang):
    a, f, names = day
    _fresh(monkeypatch, tmp_path / "c")
    hostile = {k: f"{v} <b>&" for k, v in names.items()}
    plain, _ = render_text(f, a, lang, hostile)
    md, _ = render_text(f, a, lang, hostile, markdown=True)
    assert " <b>&" in plain and " <b>&" not in md and " &lt;b&gt;&amp;" in md


def test_entries_of_other_settings_are_never_read(tmp_path):
    env = writer._env(False)
    assert writer._options(env) != writer._options(writer._env(True))  # text and HTML: apart
    a = tc.TemplateCache(tmp_path, writer._options(env))
    b = tc.TemplateCache(tmp_path, writer._options(env).replace("trim_blocks=False", "trim_blocks=True"))
    assert a.tag != b.tag  # another option, another file name


@pytest.mark.parametrize("offset", [0, 30, 100, 300, 1000, -1])
def test_a_damaged_entry_is_compiled_again(tmp_path, monkeypatch, day, compiled, offset):
    a, f, names = day
    folder = _fresh(monkeypatch, tmp_path / "c")
    want, _ = render_text(f, a, "en", names)
    for p in _entries(folder):  # one byte flipped in every entry (it crashed the interpreter through marshal)
        b = bytearray(p.read_bytes())
        b[offset if offset < len(b) else -1] ^= 0x5A
        p.write_bytes(bytes(b))
    compiled.clear()
    _fresh(monkeypatch, tmp_path / "c")
    assert render_text(f, a, "en", names)[0] == want
    assert "en/narrative.j2" in compiled


def test_only_this_users_private_regular_files_are_loaded(tmp_path, monkeypatch, day, compiled):
    a, f, names = day
    folder = _fresh(monkeypatch, tmp_path / "c")
    want, _ = render_text(f, a, "en", names)
    narrative = next(p for p in _entries(folder) if p.stat().st_size == max(q.stat().st_size for q in _entries(folder)))

    def refused() -> None:
        compiled.clear()
        _fresh(monkeypatch, tmp_path / "c")
        assert render_text(f, a, "en", names)[0] == want and "en/narrative.j2" in compiled

    narrative.chmod(0o666)  # others could have written it
    refused()
    narrative.chmod(0o600)
    if os.getuid() == 0:  # only root can give a file away: another user's entry
        os.chown(narrative, 65534, 65534)
        refused()
        os.chown(narrative, 0, 0)
    real = tmp_path / "elsewhere.cache"  # a link in place of an entry is not followed
    real.write_bytes(narrative.read_bytes())
    real.chmod(0o600)
    narrative.unlink()
    narrative.symlink_to(real)
    refused()


def test_an_unusable_cache_is_passed_over(tmp_path, monkeypatch, day):
    a, f, names = day
    _fresh(monkeypatch, tmp_path / "none")
    want, _ = render_text(f, a, "de", names)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    _fresh(monkeypatch, blocker)  # the folder cannot be made: no cache
    assert writer._env(False).bytecode_cache is None
    assert render_text(f, a, "de", names)[0] == want
    shared = tmp_path / "shared"
    (shared / "templates").mkdir(parents=True)
    (shared / "templates").chmod(0o777)  # others could write compiled code there: not used
    _fresh(monkeypatch, shared)
    assert writer._env(False).bytecode_cache is None
    folder = _fresh(monkeypatch, tmp_path / "full")

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(diskcache.tempfile, "mkstemp", full)  # every write fails: rendered, nothing stored
    assert render_text(f, a, "de", names)[0] == want
    assert _entries(folder) == []
