"""Reverse stress test: the most plausible factor move (Bitcoin, the AI-equity basket) that produces a given
portfolio loss, and how plausible it is.

Method
------
Gaussian closed form on the simulated factor moments: with the portfolio's P&L linear in the factor moves,
``P&L = a + b'f`` (``b_f = sum_i e_i beta_if`` from the engine's regression of asset moves on factor moves) and
``f ~ N(mu, Sigma)``, the most likely ``f`` with ``P&L = -X`` maximises the density on that hyperplane:
``f* = mu + Sigma b (-X - a - b'mu) / (b' Sigma b)``; its Mahalanobis distance
``d = |X + a + b'mu| / sqrt(b' Sigma b)``, so ``P(P&L <= -X) = Phi(-d)`` in the Gaussian model and
``d^2`` has a chi-square tail with K degrees of freedom as a joint plausibility. Beside it, the simulation's own
answer without the normal assumption: the mean factor and asset moves over the FHS paths whose loss is at
least X, and their share of all paths.

References
----------
EBA (2018), *Guidelines on institutions' stress testing*, EBA/GL/2018/04 (reverse stress testing);
Breuer, T., Jandacka, M., Rheinberger, K. & Summer, M. (2009), "How to find plausible, severe and useful stress
scenarios", *International Journal of Central Banking* 5(3) (Mahalanobis plausibility of the worst case).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from selloff.errors import ConfigError

__all__ = ["ReverseResult", "reverse_gaussian", "reverse_result"]


@dataclass(frozen=True)
class ReverseResult:
    loss: float
    factors: tuple[str, ...]
    gaussian_moves: tuple[float, ...]
    mahalanobis: float
    gaussian_prob: float
    chi2_tail: float
    sim_paths: int
    sim_prob: float
    sim_factor_moves: tuple[float, ...] | None
    sim_asset_moves: dict | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def reverse_gaussian(loss: float, b: np.ndarray, a: float, mu: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, float]:
    """``(f*, d)``: the most likely factor move giving P&L ``-loss`` and its Mahalanobis distance.

    Raises
    ------
    ConfigError
        ``loss`` not in (0, 1], or a portfolio with no factor exposure.
    """
    if not 0 < loss <= 1:
        raise ConfigError(f"--reverse {-loss * 100:g}% must be a loss between 0 and -100 % (e.g. --reverse -25%)")
    v = float(b @ cov @ b)
    if v <= 0:
        raise ConfigError("--reverse: the portfolio has no exposure to the factors; nothing moves it by their moves")
    gap = -loss - a - float(b @ mu)
    f = mu + cov @ b * gap / v
    return f, abs(gap) / math.sqrt(v)


def reverse_result(loss: float, factors: tuple[str, ...], b: np.ndarray, a: float, mu: np.ndarray, cov: np.ndarray,
                   sim: tuple[int, np.ndarray, np.ndarray], n_paths: int, assets: tuple[str, ...]) -> ReverseResult:
    """Both answers (Gaussian closed form and simulated conditional mean) in one record."""
    f, d = reverse_gaussian(loss, b, a, mu, cov)
    hits, fsum, xsum = sim
    return ReverseResult(float(loss), tuple(factors), tuple(float(x) for x in f), float(d), float(stats.norm.sf(d)),
                         float(stats.chi2.sf(d * d, len(factors))), int(hits), hits / n_paths,
                         tuple(float(x) for x in fsum / hits) if hits else None,
                         {a_: float(x) for a_, x in zip(assets, xsum / hits)} if hits else None)
