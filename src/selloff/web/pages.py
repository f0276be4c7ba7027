"""The server-rendered pages (Jinja2, autoescape on): each reads the same dicts as its ``/api`` twin."""
from __future__ import annotations

import re
from typing import Optional
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from pydantic import ValidationError

from selloff.errors import SelloffError
from selloff.web import charts
from selloff.web.app import BadRequest, lang_of, render
from selloff.web.i18n import TEXT
from selloff.web.routes_api import DATE, SECTOR, StressRequest, report_links
from selloff.web.service import NotFound

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
MEDIA = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf",
         "json": "application/json"}


def _svc(request: Request):
    return request.app.state.service


@router.get("/")
def board(request: Request, date: Optional[str] = Query(None, pattern=DATE)):
    svc = _svc(request)
    t = TEXT[lang_of(request)]
    b = svc.board(date)
    latest = svc.alerts(limit=int(request.app.state.settings.board_alerts))["alerts"]
    recent = svc.episodes()[: int(request.app.state.settings.board_episodes)]
    fig = charts.board_moves(b, t, lang_of(request))
    return render(request, "board.html.j2", b=b, alerts=latest, recent=recent, figs={"board": fig} if fig else {},
                  simulated=b["simulated"])


@router.get("/sectors/{sector_id}")
def sector(request: Request, sector_id: str = SECTOR, date: Optional[str] = Query(None, pattern=DATE)):
    t = TEXT[lang_of(request)]
    d = _svc(request).sector(sector_id, date)
    a, x = d["analysis"], d["explanation"]
    figs = {"index": charts.sector_index(a, d["episodes"], t), "members": charts.members_bar(a["members"], t),
            "spillover": charts.spillover_heatmap(x["tables"].get("spillover", []), t),
            "dependency": charts.dependency_graph(d["graph"], t)}
    return render(request, "sector.html.j2", d=d, a=a, x=x, g=d["graph"], figs={k: v for k, v in figs.items() if v},
                  simulated=a["simulated"])


@router.get("/episodes")
def episodes(request: Request):
    eps = _svc(request).episodes()
    return render(request, "episodes.html.j2", episodes=eps, simulated=any(e["simulated"] for e in eps))


@router.get("/episodes/{episode_id}")
def episode(request: Request, episode_id: str):
    svc = _svc(request)
    e = svc.episode(episode_id)
    rep = svc.report(episode_id)
    return render(request, "episode.html.j2", e=e, rep=rep, eid=episode_id, downloads=report_links(episode_id, rep["files"]),
                  simulated=rep["simulated"])


@router.get("/episodes/{episode_id}/report.{lang}.{fmt}")
def report_file(request: Request, episode_id: str, lang: str, fmt: str):
    path = _svc(request).report_file(episode_id, lang, fmt)
    headers = {}
    if fmt == "html":
        headers["content-security-policy"] = REPORT_CSP
    else:
        headers["content-disposition"] = f'attachment; filename="{path.name}"'
    return FileResponse(path, media_type=MEDIA[fmt], headers=headers)


@router.get("/check")
def check_form(request: Request):
    return render(request, "check.html.j2", form={"text": "", "date": "", "lang": ""}, result=None)


async def _form(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    """The url-encoded form fields ``names`` (missing ones empty)."""
    try:
        fields = parse_qs((await request.body()).decode("utf-8"), strict_parsing=False, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the form is not UTF-8 url-encoded; send it from the page's form") from None
    return {k: (fields.get(k) or [""])[0] for k in names}


@router.post("/check")
async def check_submit(request: Request):
    form = await _form(request, ("text", "date", "lang"))
    if not form["text"].strip():
        raise BadRequest("the text is empty; paste a news text to check")
    if form["lang"] not in ("", "en", "de"):
        raise BadRequest(f"language '{form['lang']}' is not supported; use en, de or leave it to detection")
    result = _svc(request).check(form["text"], form["date"] or None, form["lang"] or None)
    return render(request, "check.html.j2", form=form, result=result)


def _stress_page(request: Request, form: dict, result: dict | None, status: int = 200) -> Response:
    svc = _svc(request)
    t = TEXT[lang_of(request)]
    try:
        episodes = svc.scan(form.get("sector") or "ai-crypto")["episodes"]
    except SelloffError:
        episodes = []
    fig = charts.stress_distribution(result["distribution"], t) if result and result.get("distribution") else None
    return render(request, "stress.html.j2", status=status, form=form, result=result, sectors=svc.sectors(),
                  scenarios=svc.stress_scenarios(), episodes=episodes, figs={"distribution": fig} if fig else {},
                  simulated=bool(result and result["simulated"]))


@router.get("/stress")
def stress_form(request: Request):
    return _stress_page(request, {"sector": "ai-crypto", "shocks": "", "scenario": "", "reverse": "", "horizon": "1d",
                                  "paths": "", "seed": ""}, None)


@router.post("/stress")
async def stress_submit(request: Request):
    form = await _form(request, ("sector", "shocks", "scenario", "reverse", "horizon", "paths", "seed"))
    body = {k: v.strip() for k, v in form.items() if v.strip()}
    if "shocks" in body:
        body["shocks"] = [x for x in re.split(r"[\s,;]+", body["shocks"]) if x]
    try:
        req = StressRequest.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    result = _svc(request).stress(req.sector, tuple(req.shocks), req.scenario, req.reverse, req.horizon, req.paths, req.seed)
    return _stress_page(request, form, result)


@router.get("/alerts")
def alerts(request: Request, status: Optional[str] = Query(None, pattern="^(firing|resolved)$")):
    return render(request, "alerts.html.j2", d=_svc(request).alerts(status=status), filter=status)


@router.get("/docs")
def docs(request: Request) -> Response:
    spec = request.app.openapi()
    ops = [{"method": m.upper(), "path": p, "summary": o.get("summary", ""),
            "params": [q["name"] for q in o.get("parameters", [])]}
           for p, item in spec["paths"].items() for m, o in item.items()]
    return render(request, "docs.html.j2", ops=ops, simulated=False)
