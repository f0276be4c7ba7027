"""The claim check as a self-contained HTML page: the text with every claim highlighted by its verdict, then per
claim a short "what the data say" paragraph and a small chart of the asset over the claim's windows (inline SVG),
in the language asked for (``<html lang>`` set accordingly). Jinja2 template ``report/templates/claims.html.j2``,
autoescape on; every piece of the text is escaped."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from selloff.check.present import STATUS_COLOURS, verdicts_table
from selloff.check.words import HEADERS, STATUS_WORDS, data_sentence, fmt_num, status_word, window_phrase

if TYPE_CHECKING:
    from selloff.check.model import Claim, Verdict

__all__ = ["chart_svg", "render_claims_html"]

_W, _H, _PAD = 560, 150, 34


def chart_svg(v: Verdict, lang: str = "en") -> str | None:
    """An inline SVG line chart of ``v.series`` with the text's window (grey) and the window that reproduces the
    figure (green) shaded; ``None`` without a series. Only numbers and fixed words go in; no text of the input."""
    pts = [(pd.Timestamp(t), p) for t, p in v.series]
    spans = [(r, "#bbb") for r in (v.used,) if r is not None and r.start is not None and r.end is not None]
    spans += [(m, "#66bb6a") for m in v.matches[:1] if m.start is not None and m.end is not None]
    if len(pts) < 2:
        return None
    lo_t = min([pts[0][0], *(r.start for r, _ in spans)]) - pd.Timedelta(days=1)
    hi_t = max([*(r.end for r, _ in spans), pts[-1][0]]) + pd.Timedelta(days=1)
    pts = [(t, p) for t, p in pts if lo_t <= t <= hi_t]
    if len(pts) < 2:
        return None
    lo_p, hi_p = min(p for _, p in pts), max(p for _, p in pts)
    span_t = (hi_t - lo_t).total_seconds() or 1.0
    span_p = (hi_p - lo_p) or 1.0

    def x(t: pd.Timestamp) -> float:
        return _PAD + (_W - 2 * _PAD) * (t - lo_t).total_seconds() / span_t

    def y(p: float) -> float:
        return _H - 20 - (_H - 36) * (p - lo_p) / span_p

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" role="img" class="chart">']
    for r, colour in spans:
        x0, x1 = x(max(r.start, lo_t)), x(min(r.end, hi_t))
        parts.append(f'<rect x="{x0:.1f}" y="8" width="{max(x1 - x0, 2):.1f}" height="{_H - 28}" fill="{colour}" '
                     f'opacity="0.35"/>')
    line = " ".join(f"{x(t):.1f},{y(p):.1f}" for t, p in pts)
    parts.append(f'<polyline fill="none" stroke="#1565c0" stroke-width="1.6" points="{line}"/>')
    parts.append(f'<text x="2" y="{y(hi_p) + 4:.0f}" font-size="10">{fmt_num(hi_p, lang)}</text>')
    parts.append(f'<text x="2" y="{y(lo_p) + 4:.0f}" font-size="10">{fmt_num(lo_p, lang)}</text>')
    parts.append(f'<text x="{_PAD}" y="{_H - 4}" font-size="10">{pts[0][0]:%Y-%m-%d}</text>')
    parts.append(f'<text x="{_W - _PAD - 60}" y="{_H - 4}" font-size="10">{pts[-1][0]:%Y-%m-%d}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _card_windows(v: Verdict) -> list:
    """The readings whose windows a claim's card names: the one used and the best other match (for breadth, the
    members' reading of the matching window rather than the share)."""
    if v.claim.metric == "breadth":
        return list(v.matches[1:2])
    return [r for r in (v.used, *v.matches[:1]) if r is not None and (r.key or r.start is not None)]


def render_claims_html(text: str, claims: list[Claim], verdicts: list[Verdict] | None = None, *,
                       title: str | None = None, tolerances: dict[str, float] | None = None,
                       lang: str | None = None) -> str:
    """Self-contained HTML: the annotated text, per claim what the data say with a chart, and the verdict table.

    Parameters
    ----------
    text : str
        The text the claims were extracted from (spans index into it).
    claims : list of Claim
    verdicts : list of Verdict, optional
        Without them every claim is marked ``unchecked``.
    title : str, optional
        "Claim check" / "Faktencheck" by default.
    tolerances : dict, optional
        Shown in the footer; :func:`selloff.check.model.tolerances` when omitted.
    lang : {"en", "de"}, optional
        Language of the verdict words, paragraphs and headers, and of ``<html lang>``; the claims' (the text's)
        language when omitted.

    Returns
    -------
    str
        HTML rendered with Jinja2 autoescape.
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

    from selloff.check.model import tolerances as default_tolerances

    lang = lang or next((c.lang for c in claims if c.lang in HEADERS), "en")
    by_id = {v.claim.id: v for v in (verdicts or [])}
    segs: list[dict] = []
    pos = 0
    for c in sorted(claims, key=lambda c: c.span[0]):
        a, b = c.span
        if a < pos:
            continue
        if a > pos:
            segs.append({"text": text[pos:a], "claim": None})
        v = by_id.get(c.id)
        st = v.status if v else "unchecked"
        segs.append({"text": text[a:b], "claim": c.id, "status": st,
                     "title": f"{c.id} {status_word(st, lang)}" + (f" — {data_sentence(v, lang)}" if v else "")})
        pos = b
    if pos < len(text):
        segs.append({"text": text[pos:], "claim": None})
    cards = [{"id": v.claim.id, "status": v.status, "verdict": status_word(v.status, lang), "quote": v.claim.text,
              "subject": ", ".join(v.claim.subjects) or "—", "paragraph": data_sentence(v, lang),
              "windows": [window_phrase(r, lang) for r in _card_windows(v)],
              "chart": chart_svg(v, lang)} for v in by_id.values()]
    env = Environment(loader=PackageLoader("selloff.report", "templates"), autoescape=select_autoescape(["j2", "html"]))
    tpl = env.get_template("claims.html.j2")
    rows = verdicts_table(list(by_id.values()), lang).to_dict("records") if by_id else []
    h = HEADERS[lang]
    return tpl.render(title=title or h["title"], lang=lang, h=h, segments=segs, rows=rows, cards=cards,
                      colours=STATUS_COLOURS, status_words=STATUS_WORDS[lang],
                      tolerances=tolerances if tolerances is not None else default_tolerances())
