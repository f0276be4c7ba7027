"""Recall and precision of claim extraction on the labelled set of :mod:`tests.check.extraction_set` (at least
30 sentences per language). A claim counts as found when metric, subjects, signed value and window all match a
label; recall = found / labels, precision = found / extracted."""
from __future__ import annotations

import datetime as dt

import pytest

from selloff.check import extract_claims
from tests.check.extraction_set import DE, EN

D = dt.date(2026, 2, 6)
MIN_RECALL, MIN_PRECISION = 0.9, 0.9


def _label(c):
    return (c.metric, c.subjects, None if c.kind == "statement" else c.value, c.window)


def score(items, uni, lang):
    """(recall, precision, misses): misses lists (sentence, missing labels, spurious claims)."""
    n_label = n_got = n_ok = 0
    misses = []
    for text, labels in items:
        got = [_label(c) for c in extract_claims(text, uni, lang=lang, ref_date=D)]
        left = list(labels)
        ok = 0
        spurious = []
        for g in got:
            hit = next((x for x in left if x[0] == g[0] and x[1] == g[1] and x[3] == g[3]
                        and (x[2] is None) == (g[2] is None) and (x[2] is None or abs(x[2] - g[2]) < 1e-9)), None)
            if hit is not None:
                left.remove(hit)
                ok += 1
            else:
                spurious.append(g)
        n_label += len(labels)
        n_got += len(got)
        n_ok += ok
        if left or spurious:
            misses.append((text, left, spurious))
    return n_ok / n_label, n_ok / n_got if n_got else 1.0, misses


@pytest.mark.parametrize("lang, items", [("de", DE), ("en", EN)])
def test_recall_and_precision(uni, lang, items):
    assert len(items) >= 30
    recall, precision, misses = score(items, uni, lang)
    print(f"\n{lang}: {len(items)} sentences, recall {recall:.3f}, precision {precision:.3f}")
    for m in misses:
        print("  miss:", m)
    assert recall >= MIN_RECALL and precision >= MIN_PRECISION, misses


def test_held_out_sentences_are_measured(uni):
    """The held-out sentences (not used to tune the words): report recall and precision; require a floor only."""
    from tests.check.extraction_set import DE_HOLDOUT, EN_HOLDOUT

    for lang, items in (("de", DE_HOLDOUT), ("en", EN_HOLDOUT)):
        recall, precision, misses = score(items, uni, lang)
        print(f"\nheld out {lang}: {len(items)} sentences, recall {recall:.3f}, precision {precision:.3f}")
        for m in misses:
            print("  miss:", m)
        assert recall >= 0.6 and precision >= 0.6, misses
