"""The historical scenario library (``scenarios.toml``, shipped with the package) and episode replay.

Every move in the library carries its evidence: ``kind = "measured"`` moves were computed from a named file of
``shared/data/real`` (close before the window to the window's last close; the file and the two closes' dates
are in the entry, and ``tests/analytics/stress/test_scenarios.py`` recomputes them); ``kind = "published"``
moves are figures a public source printed (named in ``source``), carried as such and never presented as
measured; ``kind = "claimed"`` moves are what a news text asserted (the reference case's news flash). A
scenario is replayed on a portfolio by fixing the moves of its assets and propagating the rest by conditional
expectation (:mod:`.shocks`).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from selloff.errors import ConfigError

__all__ = ["Move", "Scenario", "episode_scenario", "library", "scenario"]

KINDS = ("measured", "published", "claimed", "stored")


@dataclass(frozen=True)
class Move:
    asset: str
    move: float
    kind: str
    source: str
    start_close: str = ""
    end_close: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    start: str
    end: str
    days: int
    moves: tuple[Move, ...]
    notes: str = ""

    def shocks(self) -> dict[str, float]:
        return {m.asset: m.move for m in self.moves}

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "start": self.start, "end": self.end, "days": self.days,
                "notes": self.notes, "moves": [dict(m.__dict__) for m in self.moves]}


def _parse(raw: dict) -> dict[str, Scenario]:
    out = {}
    for name, s in raw.get("scenarios", {}).items():
        moves = []
        for a, m in s.get("moves", {}).items():
            if m["kind"] not in KINDS:
                raise ConfigError(f"scenario {name}: move {a} has kind {m['kind']!r}; use one of {', '.join(KINDS)}")
            moves.append(Move(a, float(m["move"]), m["kind"], m["source"], m.get("start_close", ""), m.get("end_close", "")))
        out[name] = Scenario(name, s["title"], s["start"], s["end"], int(s["days"]), tuple(moves), s.get("notes", ""))
    return out


def library() -> dict[str, Scenario]:
    """The shipped scenarios by name."""
    with resources.files("selloff.analytics.stress").joinpath("scenarios.toml").open("rb") as fh:
        return _parse(tomllib.load(fh))


def scenario(name: str) -> Scenario:
    """One library scenario. Raises ConfigError naming the known ones."""
    lib = library()
    if name not in lib:
        raise ConfigError(f"--scenario {name!r} is not in the library; known: {', '.join(lib)} "
                          f"(or episode:YYYY-MM-DD for a detected episode; see --list-scenarios)")
    return lib[name]


def episode_scenario(close: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, title: str,
                     source: str) -> Scenario:
    """A detected episode as a replayable scenario: each asset's move from the last close before ``start`` to
    the last close on or before ``end`` (``close``: wide daily closes, date index)."""
    before = close[close.index < start.tz_localize(None).normalize()]
    upto = close[close.index <= end.tz_localize(None).normalize()]
    moves = []
    for a in close.columns:
        b, u = before[a].dropna(), upto[a].dropna()
        if b.empty or u.empty or u.index[-1] < start.tz_localize(None).normalize():
            continue
        moves.append(Move(str(a), float(u.iloc[-1] / b.iloc[-1] - 1), "stored", source,
                          str(b.index[-1].date()), str(u.index[-1].date())))
    if not moves:
        raise ConfigError(f"episode {start.date()}..{end.date()} has no stored closes to replay; pick another episode")
    days = max(1, int((end.normalize() - start.normalize()).days) + 1)
    return Scenario(f"episode:{start.date()}", title, str(start.date()), str(end.date()), days, tuple(moves))
