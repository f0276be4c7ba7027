"""Filtered historical simulation (FHS): GJR-GARCH(1,1) with Student-t innovations per asset, standardised
residuals bootstrapped by *date* across assets, multi-day paths through the GARCH recursion.

Method
------
Per asset ``i`` (log returns ``y`` in per cent, ``scale`` = 100) ``arch`` fits
``y_t = mu + eps_t``, ``eps_t = sigma_t z_t``,
``sigma_t^2 = omega + (alpha + gamma 1[eps_{t-1} < 0]) eps_{t-1}^2 + beta sigma_{t-1}^2`` with ``z ~ t(nu)``
standardised (``gamma = 0`` with ``o = 0``: plain GARCH). The standardised residuals ``z_t = eps_t / sigma_t``
form a T x N matrix on the dates all assets share. A path draws dates ``tau_1..tau_H`` uniformly with
replacement and uses the *whole row* ``z_{tau_h}`` for every asset (the cross-section of one historical day, so
the dependence between assets — tails included — is kept without estimating a correlation matrix), starting
from each asset's one-step-ahead variance ``sigma_{T+1}^2`` and feeding each simulated ``eps`` back into the
recursion. The h-day move is ``exp(sum_h y / scale) - 1``.

Assumptions: the GJR-GARCH parameters hold over the horizon; standardised residuals are i.i.d. across dates
(their cross-sectional dependence is constant: Pritsker 2001 warns that FHS keeps no time-varying
correlation); the sample's worst days bound the simulated worst day — a short history holds few extreme rows.

References
----------
Barone-Adesi, G., Giannopoulos, K. & Vosper, L. (1999), "VaR without correlations for portfolios of derivative
securities", *Journal of Futures Markets* 19(5), 583-602.
Glosten, L., Jagannathan, R. & Runkle, D. (1993), "On the relation between the expected value and the
volatility of the nominal excess return on stocks", *Journal of Finance* 48(5), 1779-1801.
Pritsker, M. (2001), "The hidden dangers of historical simulation", FRB Finance and Economics Discussion Series.
"""
from __future__ import annotations

import warnings
from collections.abc import MutableMapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from selloff.analytics.fingerprint import code_version, fingerprint
from selloff.errors import DataError

__all__ = ["FHSModel", "GarchFit", "fit_fhs", "recursion_reference"]


@dataclass(frozen=True)
class GarchFit:
    """One asset's fitted GJR-GARCH(1,1)-t (per-cent units) and its one-step-ahead variance."""

    asset: str
    mu: float
    omega: float
    alpha: float
    gamma: float
    beta: float
    nu: float
    sigma2_next: float
    loglik: float
    persistence: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True, eq=False)
class FHSModel:
    """The fitted cross-section: ``z`` (T x N standardised residuals on ``dates``) and the per-asset recursions.

    :meth:`simulate` is the generator the engine calls per block of paths."""

    assets: tuple[str, ...]
    dates: pd.DatetimeIndex
    z: np.ndarray
    fits: tuple[GarchFit, ...]
    scale: float
    dtype: str = "float32"
    model: str = "GJR-GARCH(1,1)-t"

    @property
    def n_obs(self) -> int:
        return int(self.z.shape[0])

    def _arrays(self):
        dt = np.dtype(self.dtype)
        cached = self.__dict__.get("_cache")
        if cached is None or cached[0] != dt:
            f = self.fits
            arr = {k: np.array([getattr(x, k) for x in f], dtype=dt) for k in ("mu", "omega", "alpha", "gamma", "beta")}
            arr["var0"] = np.array([x.sigma2_next for x in f], dtype=dt)
            cached = (dt, np.ascontiguousarray(self.z, dtype=dt), arr)
            object.__setattr__(self, "_cache", cached)
        return cached[1], cached[2]

    def draw(self, rng: np.random.Generator, n: int, days: int) -> np.ndarray:
        """The bootstrapped dates of ``n`` paths: row indices into :attr:`z`, shape (days, n) (paths on axis 1)."""
        return rng.integers(0, self.n_obs, size=(days, n))

    def from_draws(self, rows: np.ndarray, horizons: tuple[int, ...]) -> dict[int, np.ndarray]:
        """The paths of :meth:`draw`'s rows: for each horizon ``h`` the h-day simple moves, (n, N) float64."""
        z, _ = self._arrays()
        return self.run(lambda h: z[rows[h]], rows.shape[1], horizons)

    def simulate(self, rng: np.random.Generator, n: int, horizons: tuple[int, ...]) -> dict[int, np.ndarray]:
        """``n`` paths drawn with ``rng`` (see :meth:`draw`, :meth:`from_draws`)."""
        return self.from_draws(self.draw(rng, n, max(horizons)), horizons)

    def run(self, innovations, n: int, horizons: tuple[int, ...]) -> dict[int, np.ndarray]:
        """The GARCH recursion over ``max(horizons)`` days fed by ``innovations(h)`` -> (n, N) standardised
        shocks (the bootstrap here, the copula's draws in :mod:`.copula`)."""
        _, a = self._arrays()
        var = np.broadcast_to(a["var0"], (n, len(self.assets))).copy()
        cum = np.zeros_like(var)
        eps = np.empty_like(var)
        neg = np.empty_like(var)
        out: dict[int, np.ndarray] = {}
        last = max(horizons)
        for h in range(last):
            np.sqrt(var, out=eps)
            eps *= innovations(h)
            cum += eps
            cum += a["mu"]
            if h + 1 in horizons:
                out[h + 1] = np.expm1(cum.astype(np.float64) / self.scale)
            if h + 1 == last:
                break
            # var <- omega + (alpha + gamma 1[eps<0]) eps^2 + beta var, in place
            np.multiply(eps < 0, a["gamma"], out=neg)
            neg += a["alpha"]
            eps *= eps
            eps *= neg
            var *= a["beta"]
            var += eps
            var += a["omega"]
        return out


def recursion_reference(fit: GarchFit, z: np.ndarray, scale: float) -> np.ndarray:
    """The obvious version of one asset's path recursion (float64, one loop per day): ``z`` (n, H) standardised
    shocks -> (n,) H-day simple moves. The fast path (:meth:`FHSModel.run`) must agree with it."""
    n, H = z.shape
    var = np.full(n, fit.sigma2_next)
    cum = np.zeros(n)
    for h in range(H):
        eps = np.sqrt(var) * z[:, h]
        cum += fit.mu + eps
        var = fit.omega + (fit.alpha + fit.gamma * (eps < 0)) * eps ** 2 + fit.beta * var
    return np.expm1(cum / scale)


def fit_fhs(log_returns: pd.DataFrame, *, asymmetric: bool = True, mean: str = "zero", scale: float = 100.0,
            min_obs: int = 100, dtype: str = "float32", cache: MutableMapping[str, dict] | None = None) -> FHSModel:
    """Fit a GJR-GARCH(1,1)-t (``asymmetric=False``: GARCH(1,1)-t) to each column of ``log_returns``.

    Parameters
    ----------
    log_returns
        Daily log returns, one column per asset, rows = the dates every asset shares (no NaN).
    mean
        ``"zero"`` (no drift over the horizon; the usual choice for stress) or ``"constant"``.
    scale
        Returns are multiplied by it for the fit (arch's optimiser wants per-cent-sized numbers).
    min_obs
        Fewest rows accepted.
    cache
        Fitted parameters kept by a digest of the series, the model and the code that fits it (e.g. a
        :class:`selloff.diskcache.ResultCache`): a series fitted before is not fitted again but evaluated at its
        parameters with arch's ``fix``, which gives the same volatility path and log-likelihood bit for bit.

    Raises
    ------
    DataError
        Too few rows, a NaN, or a constant series.
    """
    from arch import arch_model

    r = log_returns
    if r.shape[0] < min_obs:
        raise DataError(f"stress needs at least {min_obs} days every asset shares; {r.shape[0]} for "
                        f"{', '.join(map(str, r.columns))}; import a longer history or lower [stress] min_obs")
    if r.isna().any().any():
        bad = [str(c) for c in r.columns[r.isna().any()]]
        raise DataError(f"stress returns of {', '.join(bad)} contain NaN; pass complete rows")
    fits, zs = [], []
    for a in r.columns:
        y = r[a].to_numpy(float) * scale
        if np.nanstd(y) == 0:
            raise DataError(f"asset {a} has a constant price over the stress window; drop it from the portfolio")
        am = arch_model(y, mean="Zero" if mean == "zero" else "Constant", vol="GARCH", p=1, o=1 if asymmetric else 0,
                        q=1, dist="t", rescale=False)
        res = _fitted(am, y, mean, asymmetric, cache)
        p = res.params
        mu = float(p.get("mu", 0.0))
        g = float(p.get("gamma[1]", 0.0))
        sig = np.asarray(res.conditional_volatility, float)
        eps_T = y[-1] - mu
        s2 = float(p["omega"] + (p["alpha[1]"] + g * (eps_T < 0)) * eps_T ** 2 + p["beta[1]"] * sig[-1] ** 2)
        fits.append(GarchFit(str(a), mu, float(p["omega"]), float(p["alpha[1]"]), g, float(p["beta[1]"]),
                             float(p["nu"]), s2, float(res.loglikelihood),
                             float(p["alpha[1]"] + g / 2 + p["beta[1]"])))
        zs.append((y - mu) / sig)
    z = np.column_stack(zs)
    return FHSModel(tuple(map(str, r.columns)), pd.DatetimeIndex(r.index), z, tuple(fits), scale, dtype,
                    "GJR-GARCH(1,1)-t" if asymmetric else "GARCH(1,1)-t")


def _fitted(am, y: np.ndarray, mean: str, asymmetric: bool, cache: MutableMapping[str, dict] | None):
    """``am.fit()``, or ``am.fix(params)`` with the parameters ``cache`` holds for this series and model."""
    key = None
    if cache is not None:
        key = fingerprint("fhs-garch", y, mean, asymmetric, "t",
                          code_version(("arch", "scipy", "numpy"), ("selloff.analytics.stress.fhs",)))
        hit = cache.get(key)
        params = hit.get("params") if isinstance(hit, dict) else None
        n = am.num_params + am.volatility.num_params + am.distribution.num_params
        if isinstance(params, list) and len(params) == n and all(isinstance(v, float) for v in params):
            return am.fix(np.array(params, float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings: the fit is still the optimiser's best point
        res = am.fit(disp="off", show_warning=False)
    if key is not None:
        cache[key] = {"params": [float(v) for v in res.params.to_numpy()]}
    return res
