"""Claim forensics: decide a claim on the readings its words select, and when they fail, find the standard
window that reproduces the figure; never convict on partial data; find the one window several claims share.

Rules (each a function here, used by :mod:`selloff.check.verify`):

* :func:`decide` — ``supported`` when a selected reading with full coverage satisfies the claim;
  ``window_mismatch`` when none does but another reading of the catalogue (full coverage) does — the text's window
  is probably wrong; ``contradicted`` when no reading fits; ``unverifiable`` when the selected readings are missing
  or only partial (a sum over some members is a bound: it decides only when the bound alone settles the claim).
* :func:`breadth_windows` — the windows over which enough of the named assets satisfy a breadth claim.
* :func:`consistent_windows` — across claims of one kind (equities, crypto), the window that fits most of them.

Which other window is "probably meant" is ranked by :func:`key_rank`: plain calendar and session windows first
(the shortest first), then the rolling 24 h, week/month open, previous close → low, peak-to-trough, since the
recent high, and the hourly rolling 24 h last; inside a rank the reading closest to the figure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable

from selloff.analytics.measures import Reading
from selloff.check.model import Claim, Verdict

__all__ = ["Decision", "apply_consistency", "breadth_windows", "consistent_windows", "decide", "key_rank",
           "other_matches"]

_FAMILY_RANK = {"1d": 0, "s": 1, "c": 1, "d": 1, "24h:pub": 2, "snap24h": 2, "wtd": 3, "mtd": 3, "low": 4,
                "pt": 5, "high": 6, "worst1d": 7, "24h": 8}


def key_rank(key: str | None) -> tuple[int, int, int]:
    """Sort key of a window key: (family rank, length in days or sessions, 0 for ending on D / 1 for D-1)."""
    if not key:
        return (99, 0, 0)
    win, _, end = key.partition(":")
    lag = 1 if end.endswith("-1") else 0
    if key == "24h:pub":
        return (_FAMILY_RANK["24h:pub"], 1, lag)
    m = re.fullmatch(r"(low|pt|high)?(\d+)([dsc])", win)
    if m:
        fam = m.group(1) or m.group(3)
        return (_FAMILY_RANK[fam], int(m.group(2)), lag)
    return (_FAMILY_RANK.get(win, 9), 1, lag)


@dataclass(frozen=True)
class Decision:
    """Outcome of :func:`decide`: status, the reading that decided (or the words' closest), the reason, the other
    windows that reproduce the figure, and what the deciding data lack."""

    status: str
    used: Reading | None
    reason: str
    matches: tuple[Reading, ...] = ()
    coverage: str | None = None


def other_matches(c: Claim, readings: list[Reading], sel: list[str], check: Callable[[float], bool],
                  limit: int = 3) -> list[Reading]:
    """Readings outside ``sel`` with full coverage that satisfy ``check``, best first (:func:`key_rank`, then the
    distance to the claimed figure); one per window key."""
    fits = [r for r in readings if r.name not in sel and r.value is not None and r.coverage is None
            and check(r.value)]
    fits.sort(key=lambda r: (key_rank(r.key), abs(abs(r.value) - abs(c.value))))
    out, seen = [], set()
    for r in fits:
        if r.key in seen:
            continue
        seen.add(r.key)
        out.append(r)
    return out[:limit]


def _fmt(r: Reading) -> str:
    return f"{r.name} {r.value:+.2f}" if r.unit == "pct" else f"{r.name} {r.value:,.2f}"


def decide(c: Claim, readings: list[Reading], sel: list[str], check: Callable[[float], bool], *,
           lower_bound_ok: bool = False, limit: int = 3) -> Decision:
    """The verdict of one claim from its readings.

    Parameters
    ----------
    c : Claim
    readings : list of Reading
        Every reading of the catalogue for the claim.
    sel : list of str
        Names the text's words select.
    check : callable
        ``value -> bool``: the claim's rule with its tolerance.
    lower_bound_ok : bool
        A partial reading is a lower bound of the full value (sums of non-negative amounts): it settles a claim
        when even the bound satisfies ``check`` for "more than" claims, or exceeds the claimed figure's
        tolerance for the others (then the full value does too).
    limit : int
        Other windows quoted.
    """
    avail = [r for name in sel for r in readings if r.name == name and r.value is not None]
    if not avail:
        reasons = sorted({r.reason for r in readings if r.name in sel and r.reason})
        return Decision("unverifiable", None, "; ".join(reasons) or "no data for the selected readings")
    full = [r for r in avail if r.coverage is None]
    part = [r for r in avail if r.coverage is not None]
    for r in full:
        if check(r.value):
            others = [x.name for x in full if x is not r and not check(x.value)]
            note = f" (not by {', '.join(others)})" if others else ""
            return Decision("supported", r, f"supported by {r.name}{note}")
    if lower_bound_ok:
        for r in part:
            if c.qualifier == "more_than" and check(r.value):
                return Decision("supported", r, f"even the partial {r.name} ({r.coverage}) satisfies it",
                                coverage=r.coverage)
            if c.qualifier != "more_than" and not check(r.value) and r.value > abs(c.value):
                return Decision("contradicted", r, f"even the partial {r.name} ({r.coverage}) exceeds the figure",
                                coverage=r.coverage)
    if part and not full:
        r = part[0]
        return Decision("unverifiable", r, f"only partial data: {_fmt(r)} is a bound, not a value ({r.coverage})",
                        coverage=r.coverage)
    closest = min(full, key=lambda r: abs(r.value - c.value))
    alt = other_matches(c, readings, sel, check, limit)
    listed = ", ".join(_fmt(r) for r in full)
    if alt:
        return Decision("window_mismatch", closest,
                        f"no reading of the text's window fits ({listed}); another window does: "
                        f"{', '.join(_fmt(r) for r in alt)} — the text's window is probably wrong", tuple(alt))
    return Decision("contradicted", closest, f"no reading fits ({listed}); no other standard window fits either")


def breadth_windows(per_asset: dict[str, list[Reading]], check: Callable[[float], bool], need: float,
                    total: int) -> list[tuple[str, int, dict[str, Reading]]]:
    """Windows over which at least ``need`` of ``total`` named assets satisfy the move.

    Returns
    -------
    list of (key, n_satisfying, {asset: reading})
        Best first (:func:`key_rank`); a window counts only when every named asset has a full-coverage reading
        of it (an asset without data could decide it).
    """
    keys = {r.key for rs in per_asset.values() for r in rs if r.key and r.value is not None}
    out = []
    for k in keys:
        chosen: dict[str, Reading] = {}
        for a, rs in per_asset.items():
            cand = [r for r in rs if r.key == k and r.value is not None and r.coverage is None]
            if not cand:
                break
            ok = [r for r in cand if check(r.value)]
            chosen[a] = ok[0] if ok else cand[0]
        else:
            if len(chosen) < total:
                continue
            n_ok = sum(check(r.value) for r in chosen.values())
            if n_ok / total >= need - 1e-9:
                out.append((k, n_ok, chosen))
    out.sort(key=lambda x: key_rank(x[0]))
    return out


def consistent_windows(fits: dict[str, set[str]], min_claims: int = 2) -> tuple[str, list[str]] | None:
    """The window key that most claims of one kind fit (``fits``: claim id → keys of readings satisfying it).

    Returns ``(key, claim ids)`` for the key fitting the most claims (at least ``min_claims``), ties broken by
    :func:`key_rank`; ``None`` when no key fits two claims.
    """
    count: dict[str, list[str]] = {}
    for cid, keys in fits.items():
        for k in keys:
            count.setdefault(k, []).append(cid)
    best = sorted(count.items(), key=lambda kv: (-len(kv[1]), key_rank(kv[0])))
    if not best or len(best[0][1]) < min_claims:
        return None
    return best[0][0], best[0][1]


def apply_consistency(verdicts: list[Verdict], kind_of: Callable[[Claim], str | None],
                      check_of: Callable[[Claim], Callable[[float], bool]],
                      describe: Callable[[Reading], str]) -> list[Verdict]:
    """Cross-claim consistency: when several claims of one kind (``kind_of``: e.g. ``"equity"``/``"crypto"``, or
    ``None`` to skip a claim) fit one window, say so on each of them and prefer that window.

    A supported claim whose satisfying readings include the shared window is re-based on it (``used``); a
    ``window_mismatch`` claim lists it first among its matches; a claim of that kind the window does not fit is
    told which window the others fit.
    """
    groups: dict[str, list[Verdict]] = {}
    for v in verdicts:
        k = kind_of(v.claim)
        if k and v.claim.metric == "price_change" and v.readings:
            groups.setdefault(k, []).append(v)
    out = {v.claim.id: v for v in verdicts}
    for kind, vs in groups.items():
        fits = {v.claim.id: {r.key for r in v.readings if r.key and r.value is not None and r.coverage is None
                             and check_of(v.claim)(r.value)} for v in vs}
        found = consistent_windows(fits)
        if found is None:
            continue
        key, ids = found
        subjects = ", ".join(s for v in vs if v.claim.id in ids for s in v.claim.subjects)
        for v in vs:
            ok = check_of(v.claim)
            at = [r for r in v.readings if r.key == key and r.value is not None and r.coverage is None and ok(r.value)]
            if v.claim.id in ids and at:
                r = at[0]
                note = f"the text's {kind} figures ({subjects}) fit one window: {describe(r)}"
                if v.status == "supported" and v.used is not None and v.used.key != key and r.name in v.selected:
                    v = replace(v, used=r, data_value=r.value, window=r.description,
                                reason=f"{v.reason}; preferred: {r.name} {r.value:+.2f}, the window the text's other "
                                       f"{kind} figures fit")
                elif v.status == "window_mismatch":
                    v = replace(v, matches=(r, *(m for m in v.matches if m.key != key)))
                out[v.claim.id] = replace(v, note=note, fit_key=key)
            elif v.claim.id not in ids:
                ref = next(r for w in vs if w.claim.id in ids for r in w.readings if r.key == key)
                out[v.claim.id] = replace(v, note=f"the text's other {kind} figures ({subjects}) fit "
                                                  f"{describe(ref)}; this one does not")
    return [out[v.claim.id] for v in verdicts]
