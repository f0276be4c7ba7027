"""The JSON API: one endpoint per page, the same dicts the pages render (``service.py``)."""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from selloff.errors import SelloffError
from selloff.web.app import require_write
from selloff.web.service import Service

__all__ = ["CheckRequest", "StressRequest", "router"]

router = APIRouter(prefix="/api", tags=["api"])
DATE = r"^\d{4}-\d{2}-\d{2}$"
SECTOR = Path(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="Sector id from the universe")


def service(request: Request) -> Service:
    return request.app.state.service


class CheckRequest(BaseModel):
    """A news text to check: its claims are extracted and verified against the store."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1, description="English or German news text (UTF-8)")
    date: Optional[str] = Field(None, description="Publication day YYYY-MM-DD or ISO time (anchors the claims' windows)",
                                pattern=r"^\d{4}-\d{2}-\d{2}([T ][0-9:.+\-Z]+)?$")
    lang: Optional[str] = Field(None, pattern="^(en|de)$", description="Language of the text (detected when omitted)")


def report_links(eid: str, files: dict) -> dict:
    """Download URLs of an episode's report files (never the server's file paths)."""
    out = {}
    for name in files:
        lang, fmt = name.rsplit(".", 2)[-2:]
        out[f"{lang}.{fmt}"] = f"/episodes/{eid}/report.{lang}.{fmt}"
    for lang in ("en", "de"):
        out.setdefault(f"{lang}.pdf", f"/episodes/{eid}/report.{lang}.pdf")
    return out


@router.get("/sectors", summary="The market board (every sector's 1d/7d/30d move, sigma, breadth, active episode) "
            "and every sector's members and episodes")
def sectors(date: Optional[str] = Query(None, pattern=DATE, description="UTC day (default: the last with crypto data)"),
            svc: Service = Depends(service)) -> dict:
    out = []
    for s in svc.sectors():
        try:
            eps = svc.scan(s["id"])["episodes"]
            s = {**s, "n_episodes": len(eps), "last_episode": eps[-1] if eps else None}
        except SelloffError as exc:  # a sector without data lists no episodes, and says why
            s = {**s, "n_episodes": None, "last_episode": None, "note": str(exc)}
        out.append(s)
    return {"board": svc.board(date), "sectors": out}


@router.get("/sectors/{sector_id}", summary="A sector on a day: members' moves, index, episodes, explain tables")
def sector(sector_id: str = SECTOR, date: Optional[str] = Query(None, pattern=DATE, description="UTC day (default: the last in the store)"),
           svc: Service = Depends(service)) -> dict:
    return svc.sector(sector_id, date)


@router.get("/episodes", summary="Every sell-off episode of every sector, newest first")
def episodes(svc: Service = Depends(service)) -> list[dict]:
    return svc.episodes()


@router.get("/reports/{episode_id}", summary="The report of an episode: findings, notes and download links")
def report(episode_id: str, svc: Service = Depends(service)) -> dict:
    d = dict(svc.report(episode_id))
    d["downloads"] = report_links(episode_id, d.pop("files"))
    return d


@router.post("/check", summary="Check a news text's numeric claims against the store")
def check(body: CheckRequest, svc: Service = Depends(service)) -> dict:
    return svc.check(body.text, body.date, body.lang)


class StressRequest(BaseModel):
    """A stress run of a sector's members (equal-weighted): shocks, a scenario or a reverse-stress loss."""

    model_config = ConfigDict(extra="forbid")
    sector: str = Field("ai-crypto", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    shocks: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}=[-+]?\d+(\.\d+)?%?$")]] = Field(
        default_factory=list, max_length=20, description='e.g. ["BTC=-18%", "NVDA=-10%"]')
    scenario: Optional[str] = Field(None, pattern=r"^(episode:\d{4}-\d{2}-\d{2}|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$",
                                    description="a library scenario or episode:YYYY-MM-DD")
    reverse: Optional[str] = Field(None, pattern=r"^-?\d+(\.\d+)?%?$", description="reverse stress: the loss, e.g. -25%")
    horizon: Literal["1d", "5d", "10d"] = "1d"
    paths: Optional[int] = Field(None, ge=100, le=10_000_000, description="Monte Carlo paths (default [stress] paths)")
    seed: Optional[int] = Field(None, ge=0, le=2**63 - 1)


@router.post("/stress", summary="Stress test a sector: VaR/ES, shock propagation, scenario, Euler contributions")
def stress(body: StressRequest, svc: Service = Depends(service)) -> dict:
    return svc.stress(body.sector, tuple(body.shocks), body.scenario, body.reverse, body.horizon, body.paths, body.seed)


@router.get("/alerts", summary="Alert history (newest first), channel health and the watch rules")
def alerts(since: Optional[str] = Query(None, description="ISO instant: alerts alive at or after it"),
           status: Optional[str] = Query(None, pattern="^(firing|resolved)$"),
           limit: int = Query(200, ge=1, le=10_000), svc: Service = Depends(service)) -> dict:
    return svc.alerts(since, status, limit)


@router.post("/demo", summary="Write the simulated demo market into the store (needs --allow-write and the token)",
             dependencies=[Depends(require_write)])
def demo(svc: Service = Depends(service)) -> dict:
    return {"simulated": True, "rows": svc.build_demo()}
