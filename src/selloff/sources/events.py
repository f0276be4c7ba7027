"""Events fetcher: the user's CSV/TOML event files and RSS/Atom feeds (feedparser), matched to universe assets.

A file row or feed entry becomes an ``events`` row (ts, entity, kind, headline, source, url, assets,
fetched_at). ``assets`` lists the universe ids whose id, name or alias occurs in the entity/headline as a whole
word (case-insensitive). Files: columns ``ts, entity, kind, headline, url`` (url optional); a TOML file holds
``[[events]]`` tables with the same keys. Bad rows raise :class:`ConfigError` naming ``file:line`` and the fix.
"""
from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import pandas as pd

from selloff.errors import ConfigError, DataError, SourceError
from selloff.sources import registry
from selloff.sources._http import HttpPolicy, JsonClient
from selloff.sources.tasks import FetchContext, Frames, Task, skip_task
from selloff.timeutil import require_utc
from selloff.universe import Universe

FIELDS = ("ts", "entity", "kind", "headline")
_FEED_URL = re.compile(r"^(https?://[^/\s?#]+)([/?#]\S*)?$", re.IGNORECASE)
OPTIONAL = ("url",)


def _alias_patterns(universe: Universe) -> list[tuple[str, re.Pattern]]:
    out = []
    for a in universe.assets.values():
        names = sorted({n for n in a.names if len(n) >= 2}, key=len, reverse=True)
        pat = re.compile(r"(?<![\w$])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w])", re.IGNORECASE)
        out.append((a.id, pat))
    return out


def match_assets(text: str, universe: Universe, patterns: list[tuple[str, re.Pattern]] | None = None) -> list[str]:
    """Universe ids whose id, name or alias occurs in ``text`` as a whole word (case-insensitive)."""
    pats = patterns if patterns is not None else _alias_patterns(universe)
    return [aid for aid, p in pats if p.search(text or "")]


def _ts(value: object, where: str) -> pd.Timestamp:
    """An event's ``ts`` in UTC; an event time must carry its zone (a naive one is refused, never guessed)."""
    try:
        return require_utc(value, f"{where}: ts")
    except DataError:
        raise ConfigError(f"{where}: ts '{value}' has no time zone; append Z or +01:00") from None


def read_events_file(path: str | Path) -> list[dict]:
    """Rows of a CSV or TOML events file, each with ``_where`` = ``file:line`` (CSV) or ``file:events[i]``."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"events file {p} not found; check the path")
    rows: list[dict] = []
    if p.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"events file {p} is not valid TOML ({exc}); fix the syntax") from None
        items = data.get("events")
        if not isinstance(items, list):
            raise ConfigError(f"{p}: expected [[events]] tables with {', '.join(FIELDS)}")
        for i, it in enumerate(items):
            rows.append({**it, "_where": f"{p}:events[{i}]"})
    elif p.suffix.lower() == ".csv":
        with open(p, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            head = [h.strip() for h in (reader.fieldnames or [])]
            missing = [f for f in FIELDS if f not in head]
            if missing:
                raise ConfigError(f"{p}:1: header lacks {missing}; the header must be ts,entity,kind,headline[,url]")
            for n, r in enumerate(reader, start=2):
                rows.append({(k or "").strip(): (v or "").strip() for k, v in r.items() if k} | {"_where": f"{p}:{n}"})
    else:
        raise ConfigError(f"events file {p}: use a .csv or .toml file")
    return rows


def transform_rows(rows: list[dict], universe: Universe, source: str, fetched_at: datetime | None = None) -> pd.DataFrame:
    """File rows → ``events`` frame; every row must have ts (with zone), entity, kind and headline."""
    pats = _alias_patterns(universe)
    fetched = pd.Timestamp(fetched_at or datetime.now(timezone.utc))
    out = []
    for r in rows:
        where = r.get("_where", source)
        unknown = [k for k in r if k not in FIELDS + OPTIONAL + ("_where",)]
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {unknown}; allowed: {', '.join(FIELDS + OPTIONAL)}")
        for f in FIELDS:
            if not str(r.get(f) or "").strip():
                raise ConfigError(f"{where}: '{f}' is empty; every event needs {', '.join(FIELDS)}")
        text = f"{r['entity']} {r['headline']}"
        ent = universe.resolve(str(r["entity"]))
        assets = match_assets(text, universe, pats)
        if ent is not None and ent.id not in assets:
            assets.insert(0, ent.id)
        out.append({
            "ts": _ts(r["ts"], where), "entity": ent.id if ent else str(r["entity"]).strip(), "kind": str(r["kind"]).strip(),
            "headline": " ".join(str(r["headline"]).split()), "source": source, "url": (r.get("url") or None),
            "assets": ",".join(assets) or None, "fetched_at": fetched,
        })
    if not out:
        raise ConfigError(f"{source}: no events; add rows with {', '.join(FIELDS)}")
    df = pd.DataFrame(out)
    for c in ("ts", "fetched_at"):
        df[c] = pd.to_datetime(df[c], utc=True)
    return df.drop_duplicates(["ts", "entity", "kind", "headline", "source"], keep="last").reset_index(drop=True)


def extract_feed(url: str, policy: HttpPolicy | None = None) -> bytes:
    """Download a feed (same retry policy as the JSON sources)."""
    m = _FEED_URL.match(url)
    if not m:
        raise ConfigError(f"feed URL '{url}' must start with http:// or https://")
    with JsonClient("feed", m.group(1), {"accept": "application/rss+xml, application/atom+xml, */*"},
                    policy or HttpPolicy(max_attempts=3)) as c:
        return c.get_bytes(m.group(2) or "/", what=url)


def transform_feed(body: bytes, url: str, universe: Universe, kind: str = "news",
                   fetched_at: datetime | None = None, only_matching: bool = True) -> pd.DataFrame:
    """RSS/Atom → ``events`` rows (entity = first matched asset, else the feed's title; source = ``feed:<host>``).

    Entries without a date are an error naming the entry (their time is the point of an event).
    """
    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise SourceError(f"feed {url}: not RSS/Atom ({type(parsed.bozo_exception).__name__}); check the URL", source="feed")
    host = re.sub(r"^https?://", "", url).split("/")[0]
    source = f"feed:{host}"
    title = parsed.feed.get("title") or host
    pats = _alias_patterns(universe)
    fetched = pd.Timestamp(fetched_at or datetime.now(timezone.utc))
    out = []
    for i, e in enumerate(parsed.entries):
        when = e.get("published_parsed") or e.get("updated_parsed")
        headline = " ".join((e.get("title") or "").split())
        if not headline:
            continue
        if when is None:
            raise SourceError(f"feed {url}: entry {i + 1} ('{headline[:60]}') has no date; the feed cannot be placed in time",
                              source="feed")
        assets = match_assets(f"{headline} {e.get('summary', '')}", universe, pats)
        if only_matching and not assets:
            continue
        out.append({
            "ts": pd.Timestamp(datetime(*when[:6], tzinfo=timezone.utc)), "entity": assets[0] if assets else title,
            "kind": kind, "headline": headline, "source": source, "url": e.get("link"),
            "assets": ",".join(assets) or None, "fetched_at": fetched,
        })
    cols = ["ts", "entity", "kind", "headline", "source", "url", "assets", "fetched_at"]
    df = pd.DataFrame(out, columns=cols)
    for c in ("ts", "fetched_at"):
        df[c] = pd.to_datetime(df[c], utc=True)
    return df.drop_duplicates(["ts", "entity", "kind", "headline", "source"], keep="last").reset_index(drop=True)


# -- provider (planning) ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventsQuery:
    """Read one events ``file`` (a path) or one ``feed`` (an http(s) URL); rows are matched to ``universe``."""

    kind: str
    location: str
    universe: Universe = field(compare=False, repr=False)


@registry.register
class EventsProvider(registry.Provider):
    """The user's event files and RSS/Atom feeds, matched to the universe (``ctx.universe``)."""

    name = "events"

    def validate(self, ctx: FetchContext, interval: str) -> None:
        bad = [u for u in ctx.feeds if not _FEED_URL.match(u)]
        if bad:
            raise ConfigError(f"--feed '{bad[0]}' is not an http:// or https:// URL; pass the feed's web address")
        missing = [f for f in ctx.event_files if not Path(f).is_file()]
        if missing:
            raise ConfigError(f"--events-file {missing[0]} is not a readable file; check the path")

    def build_query(self, ctx: FetchContext, *, kind: str, location: str | Path) -> EventsQuery:
        if ctx.universe is None:
            raise ConfigError("events: the fetch context has no universe; plan through selloff.pipeline.fetch.plan")
        return EventsQuery(kind, str(location), ctx.universe)

    def extract(self, ctx: FetchContext, query: EventsQuery) -> list[dict] | bytes:
        if query.kind == "file":
            return read_events_file(query.location)
        return extract_feed(query.location, ctx.feed_policy)

    def transform(self, query: EventsQuery, raw: list[dict] | bytes) -> Frames:
        if query.kind == "file":
            return [("events", transform_rows(raw, query.universe, source=f"file:{Path(query.location).name}"))]
        df = transform_feed(raw, query.location, query.universe)
        return [("events", df)] if len(df) else []

    def plan_tasks(self, ctx, assets, coverage, start, end, interval, step, now) -> list[Task]:
        tasks = [self.task(ctx, self.build_query(ctx, kind="file", location=f), "file", str(Path(f)), calls=0)
                 for f in ctx.event_files]
        tasks += [self.task(ctx, self.build_query(ctx, kind="feed", location=url), "feed", url) for url in ctx.feeds]
        if not tasks:
            tasks.append(skip_task(self.name, None, "no --events-file or --feed given; nothing to fetch for events"))
        return tasks
