"""Yahoo Finance fetcher through yfinance: daily and intraday bars, adjusted and unadjusted close.

``extract`` calls a *downloader* (default: ``yfinance.Ticker(t, session=...).history(..., auto_adjust=False,
actions=False, raise_errors=True)``); it is the only network step and can be replaced (tests inject one).
``transform`` turns the frame into ``bars``: exchange time → UTC; a daily equity bar's ``ts`` is the session's
open (09:30 New York, from the ``exchange_calendars`` calendar), a daily 24/7 (crypto) bar's ts is 00:00 UTC.

Failure modes are never silent: an empty frame, missing columns, non-session dates or NaN/≤0 prices raise
:class:`SourceError` naming the ticker; ``YFRateLimitError`` and connection errors are retried with backoff, then
raise :class:`SourceError`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from selloff.errors import ConfigError, SelloffError, SourceError
from selloff.sources import registry
from selloff.sources._http import HttpPolicy
from selloff.sources.tasks import FetchContext, Frames, Task, skip_task
from selloff.timeutil import utc

SOURCE = "yahoo"
YF_INTERVAL = {"1m": "1m", "5m": "5m", "15m": "15m", "1h": "60m", "1d": "1d"}
MAX_HISTORY_DAYS = {"1m": 7, "5m": 59, "15m": 59, "1h": 729}
COLUMNS = ("Open", "High", "Low", "Close", "Adj Close", "Volume")

Downloader = Callable[[str, pd.Timestamp, pd.Timestamp, str], pd.DataFrame]


YF_STEP = {"1m": "1min", "2m": "2min", "5m": "5min", "15m": "15min", "30m": "30min", "60m": "1h", "90m": "90min",
           "1h": "1h"}
"""Bar length of yfinance's intraday intervals (a bar is finished once its open plus this has passed)."""


@dataclass(frozen=True)
class YahooQuery:
    asset: str
    ticker: str
    interval: str
    start: pd.Timestamp
    end: pd.Timestamp
    calendar: str | None
    """Exchange calendar for daily session opens (``XNYS``); ``None`` for 24/7 tickers."""


def build_query(asset: str, ticker: str | None, start: object, end: object, interval: str = "1d",
                calendar: str | None = "XNYS", now: pd.Timestamp | None = None) -> YahooQuery:
    if not ticker:
        raise ConfigError(f"{asset} has no yahoo ticker; add yahoo = \"...\" to it in the universe TOML")
    if interval not in YF_INTERVAL:
        raise ConfigError(f"yahoo interval '{interval}' not offered; use one of {', '.join(YF_INTERVAL)}")
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    s, e = utc(start, "--since"), min(utc(end, "--until"), now)
    if s >= e:
        raise ConfigError(f"yahoo {ticker}: empty range {s:%Y-%m-%d}..{e:%Y-%m-%d}; --since must be before --until")
    days = MAX_HISTORY_DAYS.get(interval)
    if days and s < now - pd.Timedelta(days=days):
        raise SourceError(f"yahoo {ticker}: {interval} bars exist only for the last {days} days (asked from {s:%Y-%m-%d}); "
                          f"use --interval 1d or a later --since", source=SOURCE)
    return YahooQuery(asset, ticker, interval, s, e, calendar)


def _yf_download(session=None) -> Downloader:
    def run(ticker: str, start: pd.Timestamp, end: pd.Timestamp, interval: str) -> pd.DataFrame:
        import yfinance as yf  # noqa: PLC0415  (heavy import, only when really fetching)

        return yf.Ticker(ticker, session=session).history(
            start=start.to_pydatetime(), end=end.to_pydatetime(), interval=YF_INTERVAL[interval],
            auto_adjust=False, actions=False, raise_errors=True,
        )

    return run


def _retryable(exc: BaseException) -> bool:
    name = type(exc).__name__
    return name in ("YFRateLimitError",) or isinstance(exc, (ConnectionError, TimeoutError)) or "Timeout" in name


def _yahoo_errors() -> tuple[type[BaseException], ...]:
    """What a yfinance download raises on a bad answer: its own ``YFException`` family, curl_cffi's transport
    errors, and the built-in parse/network errors (``ValueError``, ``KeyError``, ``OSError``…)."""
    errs: list[type[BaseException]] = [ArithmeticError, AttributeError, LookupError, OSError, RuntimeError, TypeError, ValueError]
    try:
        from yfinance.exceptions import YFException

        errs.append(YFException)
    except ImportError:  # pragma: no cover - yfinance is a dependency
        pass
    try:
        from curl_cffi.curl import CurlError

        errs.append(CurlError)
    except ImportError:  # pragma: no cover - curl_cffi comes with yfinance
        pass
    return tuple(errs)


def extract(q: YahooQuery, downloader: Downloader | None = None, policy: HttpPolicy | None = None,
            session=None) -> pd.DataFrame:
    """Download the frame; rate limits and connection errors are retried, anything else is a SourceError."""
    pol = policy or HttpPolicy(max_attempts=4, base_wait_s=5.0)
    dl = downloader or _yf_download(session)
    retrying = Retrying(stop=stop_after_attempt(pol.max_attempts),
                        wait=wait_exponential(multiplier=pol.base_wait_s, max=pol.max_wait_s),
                        retry=retry_if_exception(_retryable), reraise=True)
    try:
        return retrying(dl, q.ticker, q.start, q.end, q.interval)
    except _yahoo_errors() as exc:  # every yfinance failure becomes one clear line
        kind = "rate-limited by Yahoo" if type(exc).__name__ == "YFRateLimitError" else type(exc).__name__
        raise SourceError(
            f"yahoo {q.ticker} {q.interval} {q.start:%Y-%m-%d}..{q.end:%Y-%m-%d}: {kind} "
            f"({' '.join(str(exc).split())[:140]}); "
            + ("wait a few minutes and rerun (fetch resumes)" if _retryable(exc) else "check the ticker in the universe TOML"),
            source=SOURCE, asset=q.asset,
        ) from None


@lru_cache(maxsize=4)
def _calendar(name: str):
    import exchange_calendars as xcals  # noqa: PLC0415

    return xcals.get_calendar(name)


def transform(frame: pd.DataFrame, q: YahooQuery) -> pd.DataFrame:
    """yfinance history frame → ``bars`` rows (UTC, ts = bar open; daily equity ts = session open)."""
    if frame is None or len(frame) == 0:
        raise SourceError(f"yahoo {q.ticker} {q.interval} {q.start:%Y-%m-%d}..{q.end:%Y-%m-%d}: empty answer; "
                          f"the ticker may be delisted/renamed or the range holds no sessions", source=SOURCE, asset=q.asset)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise SourceError(f"yahoo {q.ticker}: answer lacks column(s) {missing}; yfinance changed — update it or selloff",
                          source=SOURCE, asset=q.asset)
    idx = frame.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise SourceError(f"yahoo {q.ticker}: index is not timestamps; yfinance changed", source=SOURCE)
    if idx.tz is None:
        raise SourceError(f"yahoo {q.ticker}: timestamps carry no time zone; cannot place them in UTC — update yfinance",
                          source=SOURCE)
    df = frame.loc[:, list(COLUMNS)].copy()
    bad = df["Close"].isna() | (df["Close"] <= 0)
    if bad.any():
        raise SourceError(f"yahoo {q.ticker}: missing or non-positive close on {idx[bad.to_numpy().argmax()]:%Y-%m-%d %H:%M}; "
                          f"Yahoo's data has a hole — rerun later or import a CSV for that date", source=SOURCE, asset=q.asset)
    if q.interval == "1d" and q.calendar:
        cal = _calendar(q.calendar)
        sessions = pd.DatetimeIndex(idx.tz_localize(None).normalize())
        not_session = ~sessions.isin(cal.sessions)
        if not_session.any():
            raise SourceError(f"yahoo {q.ticker}: {sessions[not_session][0]:%Y-%m-%d} is not a {q.calendar} session; "
                              f"the ticker does not trade on that calendar — set its calendar", source=SOURCE)
        ts = pd.DatetimeIndex([cal.session_open(s) for s in sessions]).tz_convert("UTC")
        closes = pd.DatetimeIndex([cal.session_close(s) for s in sessions]).tz_convert("UTC")
    elif q.interval == "1d":
        ts = idx.tz_convert("UTC").normalize()
        closes = ts + pd.Timedelta(days=1)
    else:
        ts = idx.tz_convert("UTC")
        closes = ts + pd.Timedelta(YF_STEP.get(q.interval, "1h"))
    out = pd.DataFrame({
        "asset": q.asset, "interval": q.interval, "ts": ts, "source": SOURCE,
        "open": df["Open"].to_numpy(dtype=float), "high": df["High"].to_numpy(dtype=float),
        "low": df["Low"].to_numpy(dtype=float), "close": df["Close"].to_numpy(dtype=float),
        "adj_close": df["Adj Close"].to_numpy(dtype=float), "volume": df["Volume"].to_numpy(dtype=float),
    })
    # only finished bars: a session still trading at the request's end (at most now) is not its close yet
    out = out[np.asarray(closes <= q.end)]
    if out.empty:
        raise SourceError(f"yahoo {q.ticker} {q.interval}: no finished bar before {q.end:%Y-%m-%d %H:%M} UTC; widen --until",
                          source=SOURCE, asset=q.asset)
    return out.drop_duplicates("ts", keep="last").reset_index(drop=True)


# -- provider (planning) ------------------------------------------------------------------------------------
@registry.register
class YahooProvider(registry.Provider):
    """Daily and intraday bars of the universe's equities and indices (``yahoo`` ticker)."""

    name = SOURCE

    def build_query(self, ctx: FetchContext, **params: object) -> YahooQuery:
        return build_query(**params)

    def extract(self, ctx: FetchContext, query: YahooQuery) -> pd.DataFrame:
        return extract(query, ctx.yahoo_downloader, ctx.yahoo_policy)

    def transform(self, query: YahooQuery, raw: pd.DataFrame) -> Frames:
        return [("bars", transform(raw, query))]

    def plan_tasks(self, ctx, assets, coverage, start, end, interval, step, now) -> list[Task]:
        tasks = []
        daily = interval == "1d"
        for a in (a for a in assets if a.kind in ("equity", "index")):
            if not a.yahoo:
                tasks.append(skip_task(SOURCE, a.id, f"{a.id} has no yahoo ticker; skipped"))
                continue
            match = {"asset": a.id, "interval": interval, "source": SOURCE}
            for s, e in coverage.bar_gaps(match, start, end, pd.Timedelta(days=1) if daily else step, equity=True):
                try:
                    q = self.build_query(ctx, asset=a.id, ticker=a.yahoo, start=s,
                                         end=e + pd.Timedelta(days=1) if daily else e, interval=interval, now=now)
                except SelloffError as exc:
                    tasks.append(skip_task(SOURCE, a.id, str(exc)))
                    continue
                tasks.append(self.task(ctx, q, "bars", f"{a.yahoo} {interval}", asset=a.id, start=q.start, end=q.end))
        return tasks
