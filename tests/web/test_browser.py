"""The dashboard in a real browser: Debian's chromium driven by Playwright against ``selloff serve`` started as a
subprocess on a free loopback port with the demo store. Every page in EN and DE, Plotly's SVG drawn, the members
table sorted and filtered, the claim-check and stress forms submitted, XSS names inert (no dialog), no request off the page's
origin and no CSP violation; screenshots under the test's tmp dir.

``SELLOFF_DASHBOARD_PNG=docs/dashboard.png`` also saves the market board there (the README's screenshot).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import XSS

CHROMIUM = Path("/usr/bin/chromium")
SRC = Path(__file__).resolve().parents[2] / "src"
DAY = "date=2026-02-06"  # one day for every sector page: the server computes each sector once
PAGES = [f"/?{DAY}", f"/sectors/ai-crypto?{DAY}", f"/sectors/xss?{DAY}", "/episodes", "/episodes/ai-crypto_2026-02-06", "/check",
         "/stress", "/alerts", "/docs"]
CHARTS = {f"/?{DAY}": 1, f"/sectors/ai-crypto?{DAY}": 4, f"/sectors/xss?{DAY}": 3}  # pages with Plotly figures: at least this many drawn

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium "
                                "(.ci/run installs it with apt-get install -y chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_store, xss_universe):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "selloff.cli", "serve", "--store", str(demo_store), "--port", str(port),
                             "--universe", str(xss_universe)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/api/episodes", timeout=30).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"selloff serve did not start: {proc.stdout.read().decode(errors='replace')[-2000:]}")
        time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    assert b"Traceback" not in out, out.decode(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.requests, pg.problems, pg.dialogs = [], [], []
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.on("console", lambda m: pg.problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(str(e)))
    pg.on("response", lambda r: pg.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    ctx.close()
    off = [u for u in pg.requests if not (u.startswith(server + "/") or u.startswith(("data:", "about:", "blob:")))]
    assert not off, f"requests left the origin: {off}"
    assert not pg.problems, f"console errors / CSP violations: {pg.problems}"
    assert not pg.dialogs, f"a script ran (dialog): {pg.dialogs}"


def test_every_page_in_en_and_de(page, server, tmp_path):
    for lang in ("en", "de"):
        for path in PAGES:
            resp = page.goto(f"{server}{path}{'&' if '?' in path else '?'}lang={lang}", wait_until="load")
            assert resp.status == 200, (path, lang)
            assert page.locator("html").get_attribute("lang") == lang
            if path in CHARTS:
                page.wait_for_function(f"document.querySelectorAll('.chart svg.main-svg').length >= {CHARTS[path]}",
                                       timeout=20_000)
            if path.startswith("/episodes/"):
                frame = page.frame_locator("#report-frame")
                assert "SIMUL" in frame.locator("h1").inner_text()
            assert XSS not in page.content() or path == "/check"
            name = (path.split("?")[0].strip("/").replace("/", "_") or "board") + f".{lang}.png"
            page.screenshot(path=str(tmp_path / name), full_page=path != "/episodes/ai-crypto_2026-02-06")
            if path == PAGES[0] and lang == "en" and os.environ.get("SELLOFF_DASHBOARD_PNG"):
                page.screenshot(path=os.environ["SELLOFF_DASHBOARD_PNG"], full_page=True)
    assert len(list(tmp_path.glob("*.png"))) == 2 * len(PAGES)


def test_xss_sector_renders_the_payload_as_text(page, server):
    page.goto(f"{server}/sectors/xss?lang=en&{DAY}")
    assert page.locator("h1").inner_text().startswith(XSS)  # shown literally, as text
    assert page.locator("#members td", has_text=XSS).count() == 1
    assert page.evaluate("document.querySelectorAll('main script').length") == 0


def test_members_table_sorts_and_filters(page, server):
    page.goto(f"{server}/sectors/ai-crypto?lang=en&{DAY}")
    col = page.locator("#members thead th").nth(2)  # 1d %

    def values():
        return [float(v) for v in page.locator("#members tbody tr td:nth-child(3)").evaluate_all(
            "cells => cells.map(c => c.dataset.value)")]

    col.click()
    asc = values()
    assert asc == sorted(asc) and col.get_attribute("aria-sort") == "ascending"
    col.click()
    assert values() == sorted(asc, reverse=True)
    page.locator("#members thead th").nth(0).click()
    ids = page.locator("#members tbody tr td:nth-child(1)").all_inner_texts()
    assert ids == sorted(ids, key=str.lower)
    page.fill("input.table-filter[data-table=members]", "near protocol")
    assert page.locator("#members tbody tr:visible").count() == 1
    page.fill("input.table-filter[data-table=members]", "")
    assert page.locator("#members tbody tr:visible").count() == 13


def test_claim_check_form(page, server):
    page.goto(f"{server}/check?lang=de")
    page.fill("#text", f"{XSS} TAO fiel am 6. Februar 2026 um 20 Prozent. NEAR verlor 23 %.")
    page.fill("input[name=date]", "2026-02-06")
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#annotated mark")
    assert page.locator("#annotated mark").count() == 2
    assert XSS in page.locator("#annotated").inner_text()  # the payload is text in the page, not markup
    assert page.locator("#verdicts tbody tr").count() == 2


def test_stress_form(page, server, tmp_path):
    page.goto(f"{server}/stress?lang=en")
    page.fill("input[name=shocks]", "BTC=-10%")
    page.fill("input[name=paths]", "2000")
    page.click("#stress-form button[type=submit]")
    page.wait_for_selector("#fig-distribution svg.main-svg", timeout=30_000)
    assert page.locator("#risk tbody tr").count() >= 3
    assert page.locator("#shock tbody tr", has_text="BTC").count() == 1
    page.select_option("select[name=scenario]", "episode:2026-02-06")
    page.fill("input[name=shocks]", "")
    page.click("#stress-form button[type=submit]")
    page.wait_for_selector("#scenario tbody tr")
    page.screenshot(path=str(tmp_path / "stress.png"), full_page=True)
