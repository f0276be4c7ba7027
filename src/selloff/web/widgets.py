"""OpenBB Workspace: ``/widgets.json`` lists the API's endpoints as widgets (docs.openbb.co/workspace/custom-backend:
flat JSON rows for tables, a Plotly figure for charts, text for markdown). Add the server in Workspace as a custom
backend; its origin must be in ``[web] cors_origins`` (CORS is off by default)."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from selloff.web import charts
from selloff.web.i18n import TEXT
from selloff.web.service import Service

__all__ = ["router", "widgets_json"]

router = APIRouter()
SECTOR_Q = Query("ai-crypto", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="Sector id")


def _svc(request: Request) -> Service:
    return request.app.state.service


def widgets_json(svc: Service) -> dict:
    """The widget definitions; the sector parameter offers the universe's sectors."""
    sectors = [{"label": s["name"], "value": s["id"]} for s in svc.sectors()]
    first = sectors[0]["value"] if sectors else ""
    sector_param = [{"paramName": "sector", "value": first, "label": "Sector", "type": "text", "options": sectors,
                     "description": "Sector of the universe"}]
    return {
        "selloff_episodes": {"name": "Sell-off episodes", "description": "Collective sell-off episodes of every sector "
                             "(start, end, worst day move and sigma, breadth), newest first.", "category": "selloff",
                             "type": "table", "endpoint": "api/episodes", "gridData": {"w": 40, "h": 10}},
        "selloff_members": {"name": "Sector members' moves", "description": "Each member's 1-day move, sigma, close, "
                            "market cap and contribution on the last day in the store.", "category": "selloff",
                            "type": "table", "endpoint": "api/widgets/members", "gridData": {"w": 20, "h": 12},
                            "params": sector_param},
        "selloff_index": {"name": "Sector index", "description": "The sector's index with its sell-off episodes shaded "
                          "and BTC/ETH rebased over it.", "category": "selloff", "type": "chart",
                          "endpoint": "api/widgets/index_chart", "gridData": {"w": 20, "h": 12}, "params": sector_param},
        "selloff_report": {"name": "Episode report", "description": "The market report of the latest episode of a "
                           "sector (Markdown).", "category": "selloff", "type": "markdown",
                           "endpoint": "api/widgets/report", "gridData": {"w": 20, "h": 20},
                           "params": [*sector_param, {"paramName": "lang", "value": "en", "label": "Language",
                                                      "type": "text", "options": [{"label": "English", "value": "en"},
                                                                                  {"label": "Deutsch", "value": "de"}]}]},
    }


@router.get("/widgets.json", tags=["openbb"], summary="OpenBB Workspace widget definitions")
def widgets(request: Request) -> dict:
    return widgets_json(_svc(request))


@router.get("/api/widgets/members", tags=["openbb"], summary="Members' moves on the last day, flat rows")
def members(request: Request, sector: str = SECTOR_Q) -> list[dict]:
    return _svc(request).analysis(sector, None)["members"]


@router.get("/api/widgets/index_chart", tags=["openbb"], summary="The sector index chart as a Plotly figure")
def index_chart(request: Request, sector: str = SECTOR_Q) -> dict:
    svc = _svc(request)
    return charts.sector_index(svc.analysis(sector, None), svc.scan(sector)["episodes"], TEXT["en"])


@router.get("/api/widgets/report", tags=["openbb"], response_class=PlainTextResponse,
            summary="The Markdown report of the sector's latest episode")
def report_md(request: Request, sector: str = SECTOR_Q, lang: str = Query("en", pattern="^(en|de)$")) -> str:
    svc = _svc(request)
    eps = svc.scan(sector)["episodes"]
    if not eps:
        return TEXT[lang]["no_episodes"]
    return svc.report_file(eps[-1]["id"], lang, "md").read_text(encoding="utf-8")
