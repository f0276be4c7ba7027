"""Factor shocks propagated by conditional expectation, with the FHS paths as the residual distribution.

Method
------
A shock fixes the h-day log moves of some assets ``F`` (``s_F = log(1 + shock)``). On the FHS paths of that
horizon (their mean ``mu`` and covariance ``Sigma`` of log moves) every other asset becomes
``x_o + B (s_F - x_F)`` with ``B = Sigma_oF Sigma_FF^-1``: its conditional mean
``E[x_o | x_F = s_F] = mu_o + B (s_F - mu_F)`` plus the path's own residual ``x_o - mu_o - B (x_F - mu_F)`` — the
FHS residual, fat tails and volatility clustering included — so the result is a distribution, not one number.
The shock is exact under joint normality and the best linear predictor otherwise.

Extrapolation: the shock's distance from the simulated centre in standard deviations of the factors,
``d = sqrt((s - mu)' Sigma_FF^-1 (s - mu))`` (the Mahalanobis distance; MSCI's "sigma of the combined
independent factors"), with each factor's own ``z``. ``d`` above the configured limit is flagged: beyond it
the linear propagation is an extrapolation of what the sample shows.

References
----------
MSCI Research (2010), "Stress Testing in the Investment Process"; Kupiec, P. (1998), "Stress testing in a
value at risk framework", *Journal of Derivatives* 6(1) (conditional-mean propagation of core-factor shocks).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from scipy import stats

from selloff.analytics.stress.engine import ShockMap
from selloff.errors import ConfigError

__all__ = ["ShockCheck", "parse_shock", "parse_shocks", "shock_map"]

_SHOCK = re.compile(r"^\s*([A-Za-z0-9._-]+)\s*=\s*([-+]?\d+(?:\.\d+)?)\s*(%?)\s*$")


def parse_shock(text: str) -> tuple[str, float]:
    """``"BTC=-18%"`` -> ``("BTC", -0.18)``; ``"BTC=-0.18"`` the same (a fraction without ``%``).

    Raises
    ------
    ConfigError
        Not ``ASSET=MOVE``, or a move of -100 % or less (a price cannot fall to or below zero).
    """
    m = _SHOCK.match(str(text))
    if not m:
        raise ConfigError(f"--shock {text!r} is not ASSET=MOVE; write e.g. --shock BTC=-18%")
    asset, num, pct = m.group(1).upper(), float(m.group(2)), m.group(3)
    move = num / 100 if pct else num
    if move <= -1:
        raise ConfigError(f"--shock {text!r}: a move of {move * 100:g} % is at or below -100 %; a price stays above zero, "
                          f"give a move above -100 %")
    return asset, move


def parse_shocks(shocks) -> dict[str, float]:
    """Shocks as ``"A=-x%"`` strings, ``(asset, move)`` pairs or a mapping -> ``{asset: move}``."""
    if isinstance(shocks, dict):
        items = list(shocks.items())
    else:
        items = [parse_shock(s) if isinstance(s, str) else tuple(s) for s in shocks]
    out: dict[str, float] = {}
    for a, v in items:
        a, v = str(a).upper(), float(v)
        if not math.isfinite(v) or v <= -1:
            raise ConfigError(f"shock {a}={v!r}: give a finite move above -100 % (e.g. -0.18)")
        if a in out:
            raise ConfigError(f"shock on {a} given twice; give one move per asset")
        out[a] = v
    return out


@dataclass(frozen=True)
class ShockCheck:
    """How far the shock lies from what the simulation expects: per-factor ``z`` and the joint distance."""

    assets: tuple[str, ...]
    moves: tuple[float, ...]
    z: tuple[float, ...]
    mahalanobis: float
    tail_prob: float
    limit_sigma: float

    @property
    def extreme(self) -> bool:
        return self.mahalanobis > self.limit_sigma or any(abs(z) > self.limit_sigma for z in self.z)

    @property
    def warning(self) -> str | None:
        if not self.extreme:
            return None
        parts = ", ".join(f"{a} {m * 100:+.1f} % = {z:+.1f} sigma" for a, m, z in zip(self.assets, self.moves, self.z))
        return (f"shock is an extreme extrapolation: {parts}, joint distance {self.mahalanobis:.1f} sigma > "
                f"{self.limit_sigma:g}; the linear propagation goes beyond what the sample shows")

    def as_dict(self) -> dict:
        return {"assets": list(self.assets), "moves": list(self.moves), "z": list(self.z),
                "mahalanobis": self.mahalanobis, "tail_prob": self.tail_prob, "limit_sigma": self.limit_sigma,
                "extreme": self.extreme, "warning": self.warning}


def shock_map(assets: tuple[str, ...], shocks: dict[str, float], mu: np.ndarray, cov: np.ndarray,
              limit_sigma: float) -> tuple[ShockMap, ShockCheck]:
    """The :class:`ShockMap` for ``shocks`` (simple moves) on simulated log-move moments ``mu``, ``cov``.

    Raises
    ------
    ConfigError
        A shocked asset not among ``assets`` (the message lists them).
    """
    unknown = [a for a in shocks if a not in assets]
    if unknown:
        raise ConfigError(f"--shock on unknown asset {', '.join(unknown)}; simulated assets: {', '.join(assets)} "
                          f"(stored daily bars are needed)")
    F = tuple(assets.index(a) for a in shocks)
    O = tuple(i for i in range(len(assets)) if i not in F)
    s = np.log1p(np.array([shocks[a] for a in shocks]))
    Sff = cov[np.ix_(F, F)]
    B = np.linalg.solve(Sff, cov[np.ix_(F, O)]).T if O else np.zeros((0, len(F)))
    gap = s - mu[list(F)]
    d2 = float(gap @ np.linalg.solve(Sff, gap))
    z = tuple(float(g / math.sqrt(Sff[i, i])) for i, g in enumerate(gap))
    check = ShockCheck(tuple(shocks), tuple(shocks.values()), z, math.sqrt(max(d2, 0.0)),
                       float(stats.chi2.sf(d2, len(F))), float(limit_sigma))
    return ShockMap(F, O, s, B), check
