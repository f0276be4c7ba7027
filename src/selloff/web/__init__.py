"""The local dashboard and JSON API (``selloff serve``): FastAPI, server-rendered Jinja2 pages (autoescape on),
Plotly charts drawn by the locally served plotly.js, a Content-Security-Policy that keeps every request on the
page's own origin, EN/DE, and OpenBB Workspace widgets.

Every page and endpoint reads through :mod:`selloff.web.service`, which calls :mod:`selloff.api` only (never the
store; ``tests/test_layers.py`` checks it). The server only reads the store unless it was started with
``--allow-write`` and a token in the environment (``[web] token_env``).
"""
from selloff.web.app import create_app
from selloff.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
