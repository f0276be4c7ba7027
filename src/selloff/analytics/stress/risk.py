"""VaR and ES of simulated losses with Monte Carlo confidence intervals, and their Euler allocation.

Definitions (losses ``L = -P&L`` of ``n`` paths, sorted ``L_(1) <= ... <= L_(n)``, level ``a``):
``VaR_a = L_(ceil(n a))`` (the empirical a-quantile, ``inverted_cdf``); ``ES_a`` = the mean of the
``k = n - ceil(n a)`` largest losses (at least one), the discrete estimator of Acerbi & Tasche (2002).

Confidence intervals: VaR from order statistics, distribution-free — the ranks ``binom.ppf((1 -+ c)/2, n, a)``
bracket the true quantile with probability >= c; ES from its asymptotic normal law,
``se^2 = [Var(L | L > VaR) + a (ES - VaR)^2] / (n (1 - a))`` (Manistre & Hancock 2005; Brazauskas et al. 2008).

Euler allocation: with ``L = sum_i C_i`` (``C_i = -e_i r_i``, the position's loss), the ES estimator is the mean
of ``L`` over the tail paths, so ``CES_i = mean over the same paths of C_i`` sums to it exactly (Tasche 1999;
the simulation estimator of Hallerbach 2003). Per factor the asset moves are split by least squares on all
paths, ``r_i = a_i + sum_f b_if F_f + u_i``; factor ``f`` contributes ``mean_tail(-sum_i e_i b_if F_f)``, the
drift and the residual the rest — again an identity, so the parts sum to ES.

References
----------
Acerbi, C. & Tasche, D. (2002), "On the coherence of expected shortfall", *J. Banking & Finance* 26(7).
Manistre, B. J. & Hancock, G. H. (2005), "Variance of the CTE estimator", *North American Actuarial Journal* 9(2).
Tasche, D. (1999), "Risk contributions and performance measurement", TU München working paper.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["es_se", "tail_count", "var_es", "var_ci"]


def tail_count(n: int, level: float) -> int:
    """Number of paths in the ES tail at ``level``: ``n - ceil(n level)``, at least 1."""
    return max(1, n - math.ceil(n * level - 1e-9))


def var_ci(sorted_losses: np.ndarray, level: float, conf: float) -> tuple[float, float]:
    """Distribution-free interval for VaR: the order statistics whose ranks bracket ``n level`` with probability
    ``conf`` (binomial)."""
    n = sorted_losses.size
    lo = int(stats.binom.ppf((1 - conf) / 2, n, level))
    hi = int(stats.binom.ppf((1 + conf) / 2, n, level)) + 1
    return float(sorted_losses[max(lo - 1, 0)]), float(sorted_losses[min(hi - 1, n - 1)])


def es_se(tail: np.ndarray, var: float, level: float, n: int) -> float:
    """Asymptotic standard error of the ES estimator (Manistre & Hancock 2005)."""
    es = float(tail.mean())
    v = float(tail.var()) if tail.size > 1 else 0.0
    return math.sqrt((v + level * (es - var) ** 2) / (n * (1 - level)))


def var_es(losses: np.ndarray, level: float, conf: float = 0.95) -> dict:
    """VaR, ES and their ``conf`` intervals of ``losses`` (one value per path, positive = loss)."""
    s = np.sort(np.asarray(losses, float))
    n = s.size
    k = tail_count(n, level)
    var = float(s[n - k - 1]) if n - k - 1 >= 0 else float(s[0])
    tail = s[n - k:]
    es = float(tail.mean())
    z = stats.norm.ppf((1 + conf) / 2)
    se = es_se(tail, var, level, n)
    lo, hi = var_ci(s, level, conf)
    return {"level": level, "var": var, "var_lo": lo, "var_hi": hi, "es": es, "es_lo": float(es - z * se),
            "es_hi": float(es + z * se), "es_se": se, "tail_paths": k, "paths": n}
