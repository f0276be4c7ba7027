"""Fixtures of the dashboard tests: the demo store built once per session, a user universe whose names are XSS
payloads, and a TestClient on the app."""
from __future__ import annotations

import warnings

import pytest

from tests.demo_stores import read_only_store

XSS = "<script>alert(1)</script>"
XSS_UNIVERSE = f'''
[assets.TAO]
name = "{XSS}"

[sectors.xss]
name = "{XSS}"
name_de = "{XSS}"
members = ["TAO", "NEAR", "ICP", "RENDER", "FET", "WLD"]
'''


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """The session's shared demo store (tests/demo_stores.py): only read here."""
    yield from read_only_store(tmp_path_factory)


@pytest.fixture(scope="session")
def xss_universe(tmp_path_factory):
    path = tmp_path_factory.mktemp("web-universe") / "universe.toml"
    path.write_text(XSS_UNIVERSE, encoding="utf-8")
    return path


def make_client(store, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's notice about httpx in its TestClient
        from fastapi.testclient import TestClient
    from selloff.web import WebSettings, create_app

    return TestClient(create_app(WebSettings.load(store, **kw)), base_url="http://127.0.0.1")


@pytest.fixture(scope="session")
def client(demo_store, xss_universe):
    return make_client(demo_store, universe=xss_universe)
