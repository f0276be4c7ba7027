"""The dashboard's one door to the data: every page and endpoint calls :mod:`selloff.api` through here.

Results are JSON-ready dicts (the API returns them as they are; the pages render them), cached per server in a
small LRU keyed by the request and the store file's (mtime, size) — a store that changes (a fetch, a watch) is
read again. Calls are serialised: one local user, and DuckDB opens the file once at a time.
"""
from __future__ import annotations

import hashlib
import json
import re
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from selloff import api
from selloff.errors import ConfigError, DataError, SelloffError
from selloff.redact import add_secret, redact
from selloff.web.settings import WebSettings

__all__ = ["EPISODE_ID", "NotFound", "Service", "episode_id", "records"]

EPISODE_ID = re.compile(r"^(?P<sector>[A-Za-z0-9][A-Za-z0-9._-]{0,63})_(?P<date>\d{4}-\d{2}-\d{2})$")


class NotFound(SelloffError):
    """A sector, episode or file the server does not have (HTTP 404)."""


def episode_id(sector: str, worst_day: str) -> str:
    """An episode's id in URLs: ``<sector>_<worst day>`` (the day its report is written for)."""
    return f"{sector}_{str(worst_day)[:10]}"


def records(df) -> list[dict]:
    """A DataFrame as JSON records (index kept as a column when it is named)."""
    if df is None:
        return []
    frame = df.reset_index() if df.index.name is not None else df
    return json.loads(frame.to_json(orient="records", date_format="iso"))


class Service:
    """Cached calls to :mod:`selloff.api` for one server's store, universe and config."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        add_secret(settings.token)  # never echoed by an error message
        self.universe = api.universe(settings.universe)
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.RLock()
        self._reports = Path(tempfile.mkdtemp(prefix="selloff-web-"))

    # -- plumbing ---------------------------------------------------------------------------------------------
    def _stamp(self) -> tuple:
        p = self.settings.store
        try:
            st = p.stat()
        except FileNotFoundError:
            raise NotFound(f"store {p} does not exist; start selloff serve with --store FILE (build one with selloff demo)") from None
        wal = p.with_name(p.name + ".wal")
        return st.st_mtime_ns, st.st_size, wal.stat().st_mtime_ns if wal.exists() else 0

    def cached(self, key: tuple, fn: Callable[[], Any]) -> Any:
        with self._lock:
            full = (*key, self._stamp())
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]
            value = fn()
            self._cache[full] = value
            while len(self._cache) > self.settings.cache_entries:
                self._cache.popitem(last=False)
            return value

    def kw(self) -> dict:
        return {"universe": self.universe, "config": self.settings.config}

    def sector_of(self, sector_id: str):
        if sector_id not in self.universe.sectors:
            raise NotFound(f"unknown sector '{sector_id}'; known: {', '.join(sorted(self.universe.sectors))}")
        return self.universe.sectors[sector_id]

    # -- reads ------------------------------------------------------------------------------------------------
    def info(self) -> dict:
        return self.cached(("info",), lambda: api.info(self.settings.store).to_dict())

    def latest_day(self, sector_id: str) -> str:
        """The last UTC day with a daily bar of any member of the sector (the default day of its page)."""
        members = set(self.sector_of(sector_id).members)
        days = [r["last_ts"] for r in self.info()["bars"] if r["asset"] in members and r["interval"] == "1d"]
        if not days:
            raise NotFound(f"no daily bars for sector {sector_id} in the store; fetch them (selloff fetch --sector {sector_id})")
        return max(str(d) for d in days)[:10]

    def sectors(self) -> list[dict]:
        out = []
        for s in self.universe.sectors.values():
            out.append({"id": s.id, "name": s.name, "name_de": s.name_de or s.name, "members": list(s.members),
                        "names": {m: self.universe.assets[m].name for m in s.members if m in self.universe.assets}})
        return out

    def board(self, date: str | None = None) -> dict:
        """The market board (see :func:`selloff.api.today`): every sector's 1 d / 7 d / 30 d move, sigma, breadth,
        active episode, against the benchmarks; each sector row also names its German name and, for its active
        episode, the id of the detected episode whose life holds the board's day."""
        def run() -> dict:
            d = api.today(self.settings.store, date=date, universe=self.universe, config=self.settings.config).to_dict()
            for row in d["sectors"]:
                s = self.universe.sectors.get(row["sector"])
                row["name_de"] = (s.name_de or s.name) if s else row["name"]
                row["episode_id"] = None
                if row["episode"]:
                    start = row["episode"].split()[-1]
                    eps = [e for e in self.scan(row["sector"])["episodes"] if e["start"][:10] == start]
                    row["episode_id"] = eps[0]["id"] if eps else None
            return d

        return self.cached(("board", date), run)

    def scan(self, sector_id: str) -> dict:
        s = self.sector_of(sector_id)

        def run() -> dict:
            d = api.scan(self.settings.store, sector=s.id, **self.kw()).to_dict()
            for e in d["episodes"]:
                e["id"] = episode_id(s.id, e["worst_day"])
            return d

        return self.cached(("scan", s.id), run)

    def scans(self) -> dict[str, dict]:
        """Every sector's scan (as :meth:`scan` gives it) from ONE all-sector pass over the store; sectors without
        data are left out. Where the pass fails as a whole (an empty store, two bars of one asset on one day), one
        scan per sector, and the sectors that fail are left out, so the others still list their episodes."""
        def run() -> dict[str, dict]:
            try:
                res = api.scan_all(self.settings.store, sectors=list(self.universe.sectors), **self.kw())
            except DataError:  # no daily bars at all, or bad rows of one asset: sector by sector, skipping failures
                out = {}
                for s in self.universe.sectors.values():
                    try:
                        out[s.id] = self.scan(s.id)
                    except NotFound:
                        raise
                    except SelloffError:
                        continue
                return out
            out = {}
            for sid in res.sectors:
                d = res.sector_result(sid).to_dict()
                for e in d["episodes"]:
                    e["id"] = episode_id(sid, e["worst_day"])
                out[sid] = d
            return out

        return self.cached(("scans",), run)

    def episodes(self) -> list[dict]:
        out = []
        scans = self.scans()
        for s in self.universe.sectors.values():
            if s.id in scans:  # a sector without data has no episodes; the others still list theirs
                d = scans[s.id]
                out.extend({**e, "sector_name": s.name, "sector_name_de": s.name_de or s.name,
                            "simulated": d["simulated"]} for e in d["episodes"])
        return sorted(out, key=lambda e: e["worst_day"], reverse=True)

    def episode(self, eid: str) -> dict:
        m = EPISODE_ID.match(eid or "")
        if not m:
            raise NotFound(f"episode id '{eid}' is not <sector>_<YYYY-MM-DD>; pick one from /api/episodes")
        for e in self.scan(m["sector"])["episodes"]:
            if e["id"] == eid:
                return e
        raise NotFound(f"no sell-off episode '{eid}' in sector {m['sector']}; pick one from /api/episodes")

    def analysis(self, sector_id: str, date: str | None) -> dict:
        s = self.sector_of(sector_id)
        day = date or self.latest_day(s.id)
        return self.cached(("analysis", s.id, day), lambda: self._analysis(s.id, day))

    def _analysis(self, sector_id: str, day: str) -> dict:
        a = api.analyse(self.settings.store, sector=sector_id, date=day, **self.kw())
        d = a.to_dict()
        members = a.members.copy()
        members.insert(0, "name", [self.universe.assets[m].name if m in self.universe.assets else m for m in members.index])
        members.index.name = "asset"
        d["members"] = records(members)
        idx = a.sector_index.dropna()
        d["index"] = {"dates": [str(t)[:10] for t in idx.index], "values": [float(v) for v in idx]}
        d["dependencies"] = records(a.dependencies)
        d["sector_name"], d["sector_name_de"] = a.sector_name, a.sector_name_de
        d["weighting"] = a.weighting
        overlay = [x for x in self.settings.overlay_assets if x in self.universe.assets]
        d["overlay"] = {}
        if overlay and d["index"]["dates"]:
            c = api.closes(self.settings.store, overlay, since=d["index"]["dates"][0], until=day, **self.kw()).to_dict()
            d["overlay"] = c
        return d

    def explanation(self, sector_id: str, date: str | None) -> dict:
        s = self.sector_of(sector_id)
        day = date or self.latest_day(s.id)

        def run() -> dict:
            try:
                return api.explain(self.settings.store, sector=s.id, date=day, **self.kw()).to_dict()
            except SelloffError as exc:  # e.g. too little aligned history: the page says why the tables are missing
                return {"sector": s.id, "date": day, "tables": {}, "notes": {"explain": f"left out: {exc}"}}

        return self.cached(("explain", s.id, day), run)

    def graph(self, sector_id: str, day: str) -> dict:
        """Each dependency edge's raw and partial correlation (see :func:`selloff.api.dependency_graph`)."""
        s = self.sector_of(sector_id)

        def run() -> dict:
            try:
                return api.dependency_graph(self.settings.store, sector=s.id, date=day, **self.kw()).to_dict()
            except SelloffError as exc:  # no edge, or too little history: the page says why
                return {"sector": s.id, "date": day, "edges": [], "note": str(exc)}

        return self.cached(("graph", s.id, day), run)

    def sector(self, sector_id: str, date: str | None) -> dict:
        a = self.analysis(sector_id, date)
        x = self.explanation(sector_id, a["date"])
        return {"sector": a["sector"], "date": a["date"], "analysis": a, "explanation": x,
                "graph": self.graph(sector_id, a["date"]), "episodes": self.scan(sector_id)["episodes"]}

    def report(self, eid: str, formats: str = "md,html,json", lang: str = "all") -> dict:
        e = self.episode(eid)
        out = self._reports / eid

        def run() -> dict:
            res = api.report(self.settings.store, sector=e["sector"], date=e["worst_day"][:10], lang=lang, formats=formats,
                             out=out, **self.kw())
            d = res.to_dict()
            d["files"] = {Path(p).name: str(p) for p in res.paths}
            return d

        return self.cached(("report", eid, formats, lang), run)

    def report_file(self, eid: str, lang: str, fmt: str) -> Path:
        """The report file of an episode in ``lang`` and ``fmt`` (written on first request)."""
        if lang not in ("en", "de") or fmt not in ("md", "html", "pdf", "json"):
            raise NotFound(f"no report file in language '{lang}' and format '{fmt}'; use en|de and md|html|pdf|json")
        d = self.report(eid, formats=fmt if fmt == "pdf" else "md,html,json", lang=lang if fmt == "pdf" else "all")
        for name, path in d["files"].items():
            if name.endswith(f".{lang}.{fmt}"):
                return Path(path)
        raise NotFound(f"the report of {eid} has no {lang} {fmt} file")

    def check(self, text: str, date: str | None, lang: str | None) -> dict:
        def run() -> dict:
            run_ = api.check(self.settings.store, text, universe=self.universe, date=date, lang=lang,
                             config=self.settings.config)
            d = run_.to_dict()
            d["segments"] = segments(text, d["verdicts"])
            return d

        return self.cached(("check", hashlib.sha256(text.encode()).hexdigest(), date, lang), run)

    def alerts(self, since: str | None = None, status: str | None = None, limit: int = 200) -> dict:
        """Alert history (newest first), channel health and the rules in force (the rules file by name only)."""
        def run() -> dict:
            d = api.alerts(self.settings.store, since=since, status=status, limit=limit, config=self.settings.config).to_dict()
            for c in d["channels"]:
                c["sink"], c["last_error"] = public_sink(c["sink"]), redact(c["last_error"])
            for a in d["alerts"]:
                for dl in a["deliveries"]:
                    dl["sink"], dl["last_error"] = public_sink(dl["sink"]), redact(dl["last_error"])
            rules = api.alert_rules(config=self.settings.config).to_dict()
            d["rules"], d["rules_file"] = rules["rules"], Path(rules["path"]).name
            return d

        return self.cached(("alerts", since, status, limit), run)

    def stress(self, sector_id: str, shocks: tuple[str, ...] = (), scenario: str | None = None,
               reverse: str | None = None, horizon: str = "1d", paths: int | None = None, seed: int | None = None) -> dict:
        """A stress run of the sector's members (see :func:`selloff.api.stress`), as its ``to_dict``."""
        s = self.sector_of(sector_id)
        if paths is not None and paths > self.settings.max_stress_paths:
            raise ConfigError(f"paths {paths:,} is over this server's limit of {self.settings.max_stress_paths:,}; "
                              "ask for fewer (the limit is [web] max_stress_paths)")
        key = ("stress", s.id, tuple(shocks), scenario, reverse, horizon, paths, seed)
        return self.cached(key, lambda: api.stress(self.settings.store, sector=s.id, shocks=list(shocks), scenario=scenario,
                                                   reverse=reverse, horizon=horizon, paths=paths, seed=seed,
                                                   universe=self.universe, config=self.settings.config).to_dict())

    def stress_scenarios(self) -> list[dict]:
        """The shipped scenario library (empty when none is shipped)."""
        try:
            return records(api.stress_scenarios())
        except DataError:  # "the scenario library is empty"
            return []

    # -- writes (only with --allow-write and the token; see app.require_write) --------------------------------
    def build_demo(self) -> list[dict]:
        with self._lock:
            counts = api.build_demo_store(self.settings.store, universe=self.universe, config=self.settings.config)
            self._cache.clear()
            return records(counts)


def public_sink(sink: str) -> str:
    """A sink as shown to a browser: a webhook by its origin only (the path or query of a webhook URL is often its
    secret), a file by its name only."""
    kind, _, target = sink.partition(":")
    if kind == "webhook" and target:
        u = urlsplit(target)
        return f"webhook:{u.scheme}://{u.hostname or ''}{f':{u.port}' if u.port else ''}" + ("/…" if u.path.strip("/") or u.query else "")
    if kind == "jsonl" and target:
        return f"jsonl:{Path(target).name}"
    return sink


def segments(text: str, verdicts: list[dict]) -> list[dict]:
    """``text`` cut into plain pieces and claim pieces (by each claim's character span), for the annotated text."""
    out: list[dict] = []
    pos = 0
    for v in sorted(verdicts, key=lambda v: v["claim"]["span"][0]):
        a, b = v["claim"]["span"]
        if a < pos:
            continue
        if a > pos:
            out.append({"text": text[pos:a]})
        out.append({"text": text[a:b], "claim": v["claim"]["id"], "status": v["status"], "reason": v["reason"]})
        pos = b
    if pos < len(text):
        out.append({"text": text[pos:]})
    return out
