"""Claims + :class:`~selloff.check.model.Evidence` → verdicts.

Every claim is measured under every reading of its window (:mod:`selloff.check.readings`) from the
non-simulated rows of the evidence; the readings the text's words select decide the verdict, within the
``[check]`` tolerances. Arithmetic bounds across claims and data (a cap-weighted sector cannot fall more than its
worst member) give ``inconsistent``. Simulated data (``source == "simulated"``) is never evidence: a claim whose
only data is simulated is ``unverifiable`` with the reason ``"only simulated data for these days"``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Callable, Iterable

import pandas as pd

from selloff.analytics import measures as M
from selloff.analytics.measures import Reading
from selloff.check import kinds as K
from selloff.check import model
from selloff.check.forensics import Decision, apply_consistency, breadth_windows, decide
from selloff.check.model import SIMULATED, Claim, Evidence, Verdict, check_settings
from selloff.check.present import fmt_usd, fmt_value
from selloff.check.words import window_phrase
from selloff.check.readings import (asset_readings, claim_days, evidence_days, liquidation_windows, measure_name,
                                    price_series, sector_readings)
from selloff.timeutil import day_start, day_window
from selloff.universe import Universe

__all__ = ["fetch_command", "verify_claims"]

Frames = dict[str, tuple[pd.DataFrame, pd.DataFrame]]
"""Evidence frames by table, each split into (real, simulated) rows."""


def fetch_command(assets: Iterable[str], since: dt.date, until: dt.date) -> str:
    """The ``selloff fetch`` command that would load ``assets`` for ``[since, until]``.

    Parameters
    ----------
    assets : iterable of str
        Asset ids (``BTC`` when empty).
    since, until : datetime.date

    Returns
    -------
    str
    """
    ids = ",".join(dict.fromkeys(assets)) or "BTC"
    return f"selloff fetch --assets {ids} --since {since.isoformat()} --until {until.isoformat()}"


# ------------------------------------------------------------------------------------------------ rows
def _split_sources(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    if frame is None or frame.empty or "source" not in frame.columns:
        empty = frame if frame is not None else pd.DataFrame()
        return empty, empty
    sim = frame["source"] == SIMULATED
    return frame[~sim], frame[sim]


def _window_rows(frame: pd.DataFrame, ids: Iterable[str] | None, t0: pd.Timestamp, t1: pd.Timestamp,
                 key: str = "asset") -> pd.DataFrame:
    if frame.empty:
        return frame
    f = frame
    if ids is not None and key in f.columns:
        f = f[f[key].isin(list(ids))]
    ts = pd.to_datetime(f["ts"], utc=True)
    return f[(ts >= t0) & (ts <= t1)]


def _rows_around(frames: Frames, table: str, c: Claim, ids: Iterable[str] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(real, simulated) rows of ``table`` for ``ids`` over the days a verification of ``c`` looks at."""
    lo, hi = evidence_days(c)
    t0, t1 = day_start(lo), day_window(hi)[1]
    real, sim = frames[table]
    return _window_rows(real, ids, t0, t1), _window_rows(sim, ids, t0, t1)


def _pick_source(frame: pd.DataFrame, priority: tuple[str, ...]) -> pd.DataFrame:
    """Rows of the best-ranked source present (priority order, then alphabetical)."""
    if frame.empty:
        return frame
    present = sorted(frame["source"].unique(), key=lambda s: (priority.index(s) if s in priority else len(priority), s))
    return frame[frame["source"] == present[0]]


def _best_source_per_asset(frame: pd.DataFrame, priority: tuple[str, ...]) -> pd.DataFrame:
    if frame.empty:
        return frame
    return pd.concat([_pick_source(g, priority) for _, g in frame.groupby("asset")])


# ------------------------------------------------------------------------------------------------ rules
def _qual_rule(c: Claim, tol: dict[str, float]) -> str:
    m = abs(c.value)
    if c.unit == "pct":
        return {
            "exact": f"exact: |move − {m:g}| ≤ {tol['pct_exact_pp']:g} pp",
            "about": f"about: |move − {m:g}| ≤ {tol['pct_about_pp']:g} pp",
            "more_than": f"more than: move ≥ {m - tol['pct_more_than_pp']:g} %",
            "nearly": f"nearly: {m - tol['pct_nearly_pp']:g} ≤ move ≤ {m + tol['pct_exact_pp']:g} %",
            "up_to": f"up to: 0 ≤ move ≤ {m + tol['pct_exact_pp']:g} %",
        }[c.qualifier] + (f" ({c.direction})" if c.direction else " (size of the move)")
    return {
        "exact": f"exact: within ±{tol['level_exact_rel']:.0%} of {fmt_usd(m)}",
        "about": f"about: within ±{tol['level_about_rel']:.0%} of {fmt_usd(m)}",
        "more_than": f"more than: ≥ {fmt_usd(m * (1 - tol['level_more_than_rel']))}",
        "nearly": f"nearly: between {fmt_usd(m * (1 - tol['level_nearly_rel']))} and "
                  f"{fmt_usd(m * (1 + tol['level_exact_rel']))}",
        "up_to": f"up to: ≤ {fmt_usd(m * (1 + tol['level_exact_rel']))}",
    }[c.qualifier]


def _satisfies_pct(c: Claim, actual: float, tol: dict[str, float]) -> bool:
    m = abs(c.value)
    f = -actual if c.direction == "down" else actual if c.direction == "up" else abs(actual)
    q = c.qualifier
    if q == "exact":
        return abs(f - m) <= tol["pct_exact_pp"]
    if q == "about":
        return abs(f - m) <= tol["pct_about_pp"]
    if q == "more_than":
        return f >= m - tol["pct_more_than_pp"]
    if q == "nearly":
        return m - tol["pct_nearly_pp"] <= f <= m + tol["pct_exact_pp"]
    return 0 <= f <= m + tol["pct_exact_pp"]  # up_to


def _satisfies_level(c: Claim, actual: float, tol: dict[str, float]) -> bool:
    m, q = abs(c.value), c.qualifier
    if q == "exact":
        return abs(actual / m - 1) <= tol["level_exact_rel"]
    if q == "about":
        return abs(actual / m - 1) <= tol["level_about_rel"]
    if q == "more_than":
        return actual >= m * (1 - tol["level_more_than_rel"])
    if q == "nearly":
        return m * (1 - tol["level_nearly_rel"]) <= actual <= m * (1 + tol["level_exact_rel"])
    return actual <= m * (1 + tol["level_exact_rel"])


def _check_of(c: Claim, tol: dict[str, float], level: bool) -> Callable[[float], bool]:
    return (lambda v: _satisfies_level(c, v, tol)) if level else (lambda v: _satisfies_pct(c, v, tol))


def _unverifiable(c: Claim, missing: list[str], reason: str, ids: Iterable[str], tol: dict[str, float],
                  equity: bool = False) -> Verdict:
    cmd = fetch_command(ids, *claim_days(c, equity)) if c.date else None
    return Verdict(claim=c, status="unverifiable", reason=reason, missing=tuple(missing), fetch=cmd,
                   tolerance=_qual_rule(c, tol))


def _decided(c: Claim, tol: dict[str, float], status: str, readings: list[Reading], sel: list[str],
             used: Reading | None, reason: str, measure: str | None = None, matches: tuple[Reading, ...] = (),
             coverage: str | None = None) -> Verdict:
    return Verdict(claim=c, status=status, readings=tuple(readings), selected=tuple(sel), used=used,
                   data_value=used.value if used else None, window=used.description if used else "",
                   measure=measure or (measure_name(used) if used else ""), tolerance=_qual_rule(c, tol),
                   reason=reason, matches=matches, coverage=coverage)


def _limit() -> int:
    return int(check_settings()["max_window_matches"])


def _from_decision(c: Claim, tol: dict[str, float], d: Decision, readings: list[Reading], sel: list[str],
                   ids: Iterable[str], prefix: str, what_missing: str, measure: str | None = None,
                   equity: bool = False) -> Verdict:
    if d.status == "unverifiable":
        return replace(_unverifiable(c, [what_missing], d.reason, ids, tol, equity), readings=tuple(readings),
                       selected=tuple(sel), used=d.used, data_value=d.used.value if d.used else None,
                       coverage=d.coverage)
    return _decided(c, tol, d.status, readings, sel, d.used, f"{prefix}{fmt_value(d.used.value, d.used.unit)} — "
                    f"{d.reason}", measure=measure, matches=d.matches, coverage=d.coverage)


# ------------------------------------------------------------------------------------------------ metrics
def _verify_asset(c: Claim, ev: Evidence, tol: dict[str, float], frames: Frames) -> Verdict:
    level = c.metric == "price_level"
    asset = c.subjects[0]
    eq = ev.universe.assets[asset].kind != "token" if asset in ev.universe.assets else False
    if c.unit == "EUR":
        return _unverifiable(c, [], "figure in EUR; the store holds USD prices", [asset], tol)
    lo, hi = evidence_days(c)
    real, sim = _rows_around(frames, "bars", c, [asset])
    if real.empty:
        why = "only simulated data for these days" if not sim.empty else f"no bars for {asset} {lo}..{hi}"
        return _unverifiable(c, [f"bars {asset} {lo}..{hi}"], why, [asset], tol, eq)
    readings, sel = asset_readings(ev, real, asset, c, level)
    d = decide(c, readings, sel, _check_of(c, tol, level), limit=_limit())
    v = _from_decision(c, tol, d, readings, sel, [asset], f"{asset}: ", f"bars {asset} for the selected readings",
                       equity=eq)
    return replace(v, series=price_series(ev, real, eq))


def _verify_kind(c: Claim, ev: Evidence, tol: dict[str, float], frames: Frames) -> Verdict:
    """Thresholds, "lowest since", stabilisation, volume and dominance (:mod:`selloff.check.kinds`)."""
    members = [m for s in c.subjects for m in (ev.universe.sectors[s].members if s in ev.universe.sectors else [s])]
    cmd = fetch_command(members, *claim_days(c)) if c.date else None
    if c.metric == "stabilisation":
        return K.verify_stabilisation(c, ev, lambda t, cl, ids: _rows_around(frames, t, cl, ids), members, cmd)
    if c.metric in ("volume", "dominance"):
        real, _ = _rows_around(frames, "market_caps", c, None if c.metric == "dominance" else c.subjects)
        caps = _best_source_per_asset(real, ev.source_priority)
        if c.metric == "volume":
            return K.verify_volume(c, ev, caps, _check_of(c, tol, True), _qual_rule(c, tol), cmd)
        return K.verify_dominance(c, ev, caps, cmd)
    real, sim = _rows_around(frames, "bars", c, c.subjects[:1])
    if real.empty:
        why = "only simulated data for these days" if not sim.empty else f"no bars for {c.subjects[0]}"
        return _unverifiable(c, [f"bars {c.subjects[0]}"], why, c.subjects[:1], tol)
    if c.metric == "lowest_since":
        return K.verify_lowest_since(c, ev, real, cmd)
    return K.verify_threshold(c, ev, real, cmd)


def _verify_breadth(c: Claim, ev: Evidence, tol: dict[str, float], frames: Frames) -> Verdict:
    sims, nodata = [], []
    chosen: dict[str, list[Reading]] = {}
    all_readings: list[Reading] = []
    sel_all: list[str] = []
    for a in c.subjects:
        real, sim = _rows_around(frames, "bars", c, [a])
        if real.empty:
            (sims if not sim.empty else nodata).append(a)
            continue
        rs, sel = asset_readings(ev, real, a, c)
        # each asset is judged on the readings the text's words select for it (its data may differ in kind)
        chosen[a] = [r for r in rs if r.name in sel and r.value is not None]
        all_readings += [replace(r, name=f"{a}:{r.name}") for r in rs]
        sel_all += [f"{a}:{n}" for n in sel]
    need = c.share if c.share is not None else tol["breadth_all_share"]
    total = len(c.subjects)
    if not chosen:
        why = "only simulated data for these days" if sims and not nodata else f"no bars for {', '.join(nodata or sims)}"
        return _unverifiable(c, [f"bars {a}" for a in c.subjects], why, c.subjects, tol)
    rule = f"{_qual_rule(c, tol)} for at least {need:.0%} of {total} named assets"
    fits = {a: next((r for r in rs if _satisfies_pct(c, r.value, tol)), None) for a, rs in chosen.items()}
    ok = sum(1 for r in fits.values() if r is not None)
    unknown = total - sum(1 for rs in chosen.values() if rs)
    closest = {a: (fits[a] or min(rs, key=lambda r: abs(r.value - c.value))) for a, rs in chosen.items() if rs}
    detail = ", ".join(f"{a} {r.value:+.1f} % ({r.name})" for a, r in closest.items())
    used = Reading("breadth", 100.0 * ok / total, "pct", "share of named assets satisfying the claimed move")
    if (ok + unknown) / total >= need - 1e-9 > ok / total:
        missing = [a for a in c.subjects if not chosen.get(a)]
        return replace(_unverifiable(c, [f"bars {a}" for a in missing], f"{ok}/{total} satisfy ({detail}); "
                                     f"{unknown} without data could decide it", missing or c.subjects, tol),
                       readings=tuple(all_readings), selected=tuple(sel_all))
    supported = ok / total >= need - 1e-9
    if not supported and not unknown:
        # the text's window fails: is there one standard window over which enough of them fell?
        per_asset = {a: [r for r in all_readings if r.name.startswith(f"{a}:")] for a in chosen}
        wins = breadth_windows(per_asset, lambda v: _satisfies_pct(c, v, tol), need, total)
        if wins:
            key, n_ok, picked = wins[0]
            found = ", ".join(f"{a} {r.value:+.1f} % ({r.name.split(':', 1)[1]})" for a, r in picked.items())
            w = Reading("breadth", 100.0 * n_ok / total, "pct", f"share of named assets satisfying the move over {key}",
                        key=key)
            reason = (f"only {ok}/{total} satisfy on the text's window ({detail}); {n_ok}/{total} over another "
                      f"window ({found}) — the text's window is probably wrong")
            return replace(_decided(c, tol, "window_mismatch", all_readings, sel_all, used, reason,
                                    measure="breadth (share satisfying the move)",
                                    matches=(w, *picked.values())),
                           window="per asset: its selected readings", tolerance=rule)
    reason = f"{ok}/{total} satisfy: {detail}" if supported else \
        f"only {ok}/{total} satisfy on their selected readings ({detail}); no other standard window reaches {need:.0%}"
    return replace(_decided(c, tol, "supported" if supported else "contradicted", all_readings, sel_all, used, reason,
                            measure="breadth (share satisfying the move)"),
                   window="per asset: its selected readings", tolerance=rule)


def _category_series(ev: Evidence, cat: str | None, frames: Frames) -> pd.DataFrame:
    real = frames["category_caps"][0]
    if cat is None or real.empty:
        return real.iloc[0:0] if not real.empty else real
    f = real[real["category"] == cat]
    return _pick_source(f, ev.source_priority).sort_values("ts") if not f.empty else f


def _verify_sector(c: Claim, ev: Evidence, tol: dict[str, float], frames: Frames) -> Verdict:
    sid = c.subjects[0]
    sector = ev.universe.sectors[sid] if c.subject_kind == "sector" else None
    members = list(sector.members) if sector else list(c.subjects)
    cat = sector.coingecko_category if sector else None
    lo, hi = evidence_days(c)
    real, sim = _rows_around(frames, "market_caps", c, members)
    caps = _best_source_per_asset(real, ev.source_priority)
    level = c.metric == "market_cap_level"
    readings, sel_names, changes = sector_readings(c, ev, caps, members, cat, _category_series(ev, cat, frames))
    if not readings:
        why = ("only simulated data for these days" if not sim.empty
               else f"no market caps for {', '.join(members)} {lo}..{hi}")
        return _unverifiable(c, [f"market_caps {', '.join(members)}"], why, members, tol)
    d = decide(c, readings, sel_names, _check_of(c, tol, level), lower_bound_ok=level, limit=_limit())
    status, used, why = d.status, d.used, d.reason
    conflicts_reason = ""
    if not level and c.direction == "down":
        # the bound: a cap-weighted sum cannot fall more than its worst member
        for s, sc in changes.items():
            if sc.worst_member is None or sc.missing:
                continue
            wa, wv = sc.worst_member
            lower = abs(c.value) - (tol["pct_about_pp"] if c.qualifier in ("about", "nearly") else 0.0)
            if lower > -wv + tol["consistency_pp"]:
                conflicts_reason = (f"inconsistent: the claim needs the sector to fall at least {lower:g} %, but its "
                                    f"worst member {wa} fell {-wv:.1f} % ({s}); a cap-weighted sum cannot fall more than "
                                    f"its worst member — only possible if the membership changed or the source is "
                                    f"inconsistent")
                break
    if status == "unverifiable" and not conflicts_reason:
        missing = sorted({m for sc in changes.values() for m in sc.missing})
        return replace(_unverifiable(c, [f"market_caps {m}" for m in missing] or [f"market_caps {sid}"], why,
                                     missing or members, tol),
                       readings=tuple(readings), selected=tuple(sel_names), used=used,
                       data_value=used.value if used else None, coverage=d.coverage)
    final = "inconsistent" if conflicts_reason and status != "contradicted" else status
    reason = conflicts_reason + ("; " if conflicts_reason else "") + (
        f"{fmt_value(used.value, used.unit)} — {why}" if used is not None else why)
    return _decided(c, tol, final, readings, sel_names, used, reason, matches=d.matches, coverage=d.coverage)


def _verify_liquidations(c: Claim, ev: Evidence, tol: dict[str, float], frames: Frames) -> Verdict:
    lo, hi = evidence_days(c)
    real, sim = _rows_around(frames, "derivatives", c, None)
    # funding and open-interest rows share the table: only rows that carry liquidations can answer this claim
    liq_cols = [k for k in ("liq_long_usd", "liq_short_usd") if k in real.columns]
    if not real.empty and liq_cols:
        real = real[real[liq_cols].notna().any(axis=1)]
    if not sim.empty and liq_cols:
        sim = sim[sim[liq_cols].notna().any(axis=1)]
    ids = c.subjects or ("BTC", "ETH")
    if real.empty:
        why = "only simulated data for these days" if not sim.empty else f"no liquidation data {lo}..{hi}"
        return _unverifiable(c, [f"derivatives (liquidations) {lo}..{hi}"], why, ids, tol)
    real = _best_source_per_asset(real, ev.source_priority)
    wins, sel = liquidation_windows(c, ev)
    readings = []
    for name, a, b, desc in wins:
        lt = M.liquidation_total(real, a, b, assets=list(c.subjects) or None)
        cov = f"; coverage: {'; '.join(lt.coverage)}" if lt.coverage else ""
        readings.append(Reading(name, lt.total_usd, "USD", f"liquidations (long+short) {desc}, "
                                f"{len(lt.assets)} assets{cov}", a, b, p1=lt.total_usd,
                                reason=None if lt.total_usd is not None else "no liquidation rows in the window",
                                coverage=("partial: " + "; ".join(lt.coverage)) if lt.partial else None,
                                key=name.replace("liq_", "liq:")))
    # a partial total is a lower bound: it decides only when the bound alone settles the claim
    d = decide(c, readings, sel, _check_of(c, tol, level=True), lower_bound_ok=True, limit=_limit())
    if d.status == "unverifiable":
        return replace(_unverifiable(c, ["full-coverage liquidation data"], d.reason, ids, tol),
                       readings=tuple(readings), selected=tuple(sel), used=d.used,
                       data_value=d.used.value if d.used else None, coverage=d.coverage)
    return _decided(c, tol, d.status, readings, sel, d.used, f"{fmt_usd(d.used.value)} — {d.reason}",
                    measure="liquidation total (long + short)", matches=d.matches, coverage=d.coverage)


def _verify_event(c: Claim, tol: dict[str, float], frames: Frames) -> Verdict:
    real, _ = frames["events"]
    note = ""
    if c.date is not None and not real.empty:
        ts = pd.to_datetime(real["ts"], utc=True)
        back = check_settings()["event_lookback_days"]
        near = real[(ts >= day_start(c.date - dt.timedelta(days=back))) & (ts <= day_window(c.date)[1])]
        hits = near[near["assets"].fillna("").apply(lambda s: any(a in s.split(",") for a in c.subjects))] \
            if "assets" in near else near.iloc[0:0]
        if not hits.empty:
            note = "; on record: " + " | ".join(f"{r.ts:%Y-%m-%d} {r.headline}" for r in hits.head(3).itertuples())
    return Verdict(claim=c, status="unverifiable", reason=("a company figure (investment/capex guidance), not market "
                   "data: check the company's report" + note), missing=("company filings / earnings reports",),
                   tolerance=_qual_rule(c, tol))


def _text_consistency(claims: list[Claim], universe: Universe, tol: dict[str, float]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Claims that contradict each other inside the text: id -> (reason, conflicting ids)."""
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    ch = [c for c in claims if c.metric == "price_change" and c.qualifier in ("exact", "about")]
    for i, a in enumerate(ch):
        for b in ch[i + 1:]:
            if a.subjects == b.subjects and a.window == b.window and a.date == b.date and \
                    abs(a.value - b.value) > 2 * tol["pct_exact_pp"]:
                r = f"states {a.subjects[0]} moved {a.value:+g} % and {b.value:+g} % over the same window"
                out[a.id] = (r, (b.id,))
                out[b.id] = (r, (a.id,))
    # sector claim vs the text's own member figures (upper bounds only from exact/about member claims)
    for s in (c for c in claims if c.metric == "market_cap_change" and c.subject_kind == "sector" and c.direction == "down"):
        members = set(universe.sectors[s.subjects[0]].members) if s.subjects[0] in universe.sectors else set()
        mem = [c for c in claims if c.metric == "price_change" and c.subjects and c.subjects[0] in members
               and c.date == s.date and c.direction == "down"]
        if not mem:
            continue
        worst = min(mem, key=lambda c: c.value)
        lower = abs(s.value)
        if lower > abs(worst.value) + tol["consistency_pp"]:
            named = ", ".join(sorted({c.subjects[0] for c in mem}))
            r = (f"implausible within the text: the sector falls more than {lower:g} % while the members it names "
                 f"({named}) fell at most {abs(worst.value):g} %; a cap-weighted sum cannot fall more than its worst "
                 f"member, so the unnamed members would have to fall far more — check whether the sector's "
                 f"constituent list changed")
            out.setdefault(s.id, (r, tuple(c.id for c in mem)))
    return out


def verify_claims(claims: list[Claim], evidence: Evidence, *, tolerances: dict[str, float] | None = None) -> list[Verdict]:
    """Verify every claim against the non-simulated data in ``evidence``.

    Parameters
    ----------
    claims : list of Claim
        From :func:`selloff.check.extract_claims`.
    evidence : Evidence
        Frames loaded by the caller; simulated rows are set aside and never used.
    tolerances : dict, optional
        Overrides for the ``[check]`` tolerances (:func:`selloff.check.model.tolerances`).

    Returns
    -------
    list of Verdict
        One per claim, same order.

    Notes
    -----
    Each claim is measured under every reading of its window; the readings its words select decide (any
    selected reading within tolerance → supported; none → contradicted, quoting the first selected reading).
    ``inconsistent`` marks claims that break an arithmetic bound (a sector's cap cannot fall more than its worst
    member over the same window, checked on member data) or contradict another claim of the text; it does not
    override ``contradicted``. A claim without a date, or whose data is missing or simulated only, is
    ``unverifiable`` with the fetch command that would load the data.
    """
    tol = model.tolerances(tolerances)
    frames = {k: _split_sources(getattr(evidence, k)) for k in
              ("bars", "market_caps", "derivatives", "events", "category_caps")}
    text_conf = _text_consistency(claims, evidence.universe, tol)
    out = []
    for c in claims:
        if c.kind == "event_figure":
            v = _verify_event(c, tol, frames)
        elif c.date is None:
            v = Verdict(claim=c, status="unverifiable", reason="no date for the claim: pass --date (publication date)",
                        missing=("date",), tolerance=_qual_rule(c, tol))
        elif c.metric in ("lowest_since", "stabilisation", "volume", "dominance") or c.threshold:
            v = _verify_kind(c, evidence, tol, frames)
        elif c.metric in ("price_change", "price_level"):
            v = _verify_asset(c, evidence, tol, frames)
        elif c.metric == "breadth":
            v = _verify_breadth(c, evidence, tol, frames)
        elif c.metric in ("market_cap_change", "market_cap_level"):
            v = _verify_sector(c, evidence, tol, frames)
        elif c.metric == "liquidations":
            v = _verify_liquidations(c, evidence, tol, frames)
        else:  # pragma: no cover - METRICS is closed
            v = Verdict(claim=c, status="unverifiable", reason=f"metric {c.metric} not checked")
        if c.id in text_conf:
            r, ids = text_conf[c.id]
            status = "inconsistent" if v.status in ("supported", "unverifiable") and c.metric != "market_cap_change" \
                else v.status
            if c.metric == "market_cap_change" and v.status != "contradicted":
                status = "inconsistent"
            v = replace(v, status=status, reason=f"{r}. {v.reason}" if v.reason else r,
                        conflicts=tuple(dict.fromkeys(v.conflicts + ids)))
        out.append(v)
    return apply_consistency(out, lambda c: _asset_kind(c, evidence.universe), lambda c: _check_of(c, tol, False),
                             window_phrase)


def _asset_kind(c: Claim, universe: Universe) -> str | None:
    """``"equity"`` or ``"crypto"`` for a single-asset claim (the kinds whose windows are compared)."""
    if c.subject_kind != "asset" or len(c.subjects) != 1 or c.subjects[0] not in universe.assets:
        return None
    return "crypto" if universe.assets[c.subjects[0]].kind == "token" else "equity"
