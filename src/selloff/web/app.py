"""The FastAPI application: pages (``pages.py``), the JSON API (``routes_api.py``), OpenBB widgets
(``widgets.py``), static files and plotly.js from the installed plotly package, one error handler.

Errors are JSON ``{"error": message, "status": code}`` under ``/api`` (and on any non-page path), a small HTML
page on pages: a missing sector/episode 404, a bad parameter 400, an unanswerable request for the data 422,
an unusable store 503, a body over the limit 413 (``security.py``).
"""
from __future__ import annotations

import hmac
import logging
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader
from starlette.exceptions import HTTPException as StarletteHTTPException

from selloff.errors import ConfigError, DataError, SelloffError, StoreError
from selloff.report.format import Formatter
from selloff.web.i18n import LANGS, TEXT, pick_lang
from selloff.web.security import SecurityMiddleware
from selloff.web.service import NotFound, Service
from selloff.web.settings import WebSettings

__all__ = ["Forbidden", "BadRequest", "create_app", "lang_of", "render", "require_write"]

log = logging.getLogger("selloff.web")
STATUS = ((NotFound, 404), (ConfigError, 400), (DataError, 422), (StoreError, 503))


class BadRequest(SelloffError):
    """A request parameter the server cannot use (HTTP 400)."""


class Forbidden(SelloffError):
    """A write without --allow-write or without the right token (HTTP 403)."""


def plotly_js() -> Path:
    """plotly.min.js of the installed plotly package (served from here: no CDN)."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def templates() -> Jinja2Templates:
    # autoescape set explicitly: Starlette's Jinja2Templates left it off by default before PR #3148
    env = Environment(loader=PackageLoader("selloff.web", "templates"), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True)
    return Jinja2Templates(env=env)


def lang_of(request: Request) -> str:
    lang = pick_lang(request.query_params.get("lang"), request.cookies.get("lang"))
    if lang is None:
        raise BadRequest(f"lang '{request.query_params.get('lang')}' is not supported; use {' or '.join(LANGS)}")
    return lang


def render(request: Request, name: str, status: int = 200, **ctx) -> Response:
    """A page in the request's language; ``?lang=`` is remembered in a cookie."""
    lang = lang_of(request)
    here = request.url.path
    ctx = {"t": TEXT[lang], "lang": lang, "here": here, "langs": LANGS, "fmt": Formatter(lang), "simulated": False, **ctx}
    resp = request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status)
    if request.query_params.get("lang") in LANGS:
        resp.set_cookie("lang", lang, samesite="strict", httponly=True, max_age=365 * 86400)
    return resp


def require_write(request: Request) -> None:
    """Writes need --allow-write and ``Authorization: Bearer <token>`` matching the token from the environment."""
    s: WebSettings = request.app.state.settings
    if not s.allow_write or not s.token:
        raise Forbidden("this server is read-only; start selloff serve with --allow-write and the token in the environment")
    got = request.headers.get("authorization", "")
    if not got.startswith("Bearer ") or not hmac.compare_digest(got[7:].encode(), s.token.encode()):
        raise Forbidden("missing or wrong bearer token; send Authorization: Bearer <token from the server's environment>")


def _wants_json(request: Request) -> bool:
    p = request.url.path
    return p.startswith("/api") or p.endswith(".json") or "text/html" not in request.headers.get("accept", "")


def _error(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    try:
        return render(request, "error.html.j2", status=status, status_code=status, message=message)
    except SelloffError:  # a bad ?lang= on the error page itself
        return JSONResponse({"error": message, "status": status}, status_code=status)


def create_app(settings: WebSettings) -> FastAPI:
    """The dashboard for ``settings`` (no CORS unless ``[web] cors_origins`` names origins)."""
    from selloff.web import pages, routes_api, widgets

    app = FastAPI(title="selloff", version="0.1.0", docs_url=None, redoc_url=None,
                  description="Sell-off analytics: sectors, episodes, reports, claim checks. Every page has a JSON twin.")
    app.state.settings = settings
    app.state.service = Service(settings)
    app.state.templates = templates()

    @app.exception_handler(SelloffError)
    async def selloff_error(request: Request, exc: SelloffError):
        status = 403 if isinstance(exc, Forbidden) else next((c for k, c in STATUS if isinstance(exc, k)),
                                                                 400 if isinstance(exc, BadRequest) else 422)
        log.info("%s %s -> %d", request.method, request.url.path, status)
        return _error(request, status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return _error(request, 422, "invalid request — " + "; ".join(parts) + "; see /docs for the expected fields")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):  # a bug: logged with its traceback, the page says 500
        log.exception("%s %s failed", request.method, request.url.path)
        return _error(request, 500, "internal error (a bug in selloff); the server log has the details")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        msg = {404: f"no such page or endpoint {request.url.path}; see /docs",
               405: f"method {request.method} is not allowed on {request.url.path}; see /docs"}.get(exc.status_code, str(exc.detail))
        return _error(request, exc.status_code, msg)

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly_file():  # registered before the /static mount, which would shadow it
        return FileResponse(plotly_js(), media_type="text/javascript", headers={"cache-control": "max-age=86400"})

    app.mount("/static", StaticFiles(packages=[("selloff.web", "static")]), name="static")

    app.include_router(pages.router)
    app.include_router(routes_api.router)
    app.include_router(widgets.router)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["content-type", "authorization"])
    app.add_middleware(SecurityMiddleware, max_body_bytes=settings.max_body_bytes, allowed_hosts=settings.allowed_hosts)
    return app
