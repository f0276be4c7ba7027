"""A Student-t copula over the FHS standardised residuals: the option that lets a path combine asset shocks
that never happened on the same historical date.

Method
------
Pseudo-observations ``u_ti = rank(z_ti) / (T + 1)`` of the standardised residuals; the copula's correlation
``R_ij = sin(pi tau_ij / 2)`` from Kendall's tau (Lindskog, McNeil & Schmock 2003; eigenvalues floored so that R
is positive definite); the degrees of freedom ``nu`` maximise the t-copula log-likelihood over a grid with R
fixed (the two-step estimator). A draw ``x = sqrt(nu / W) L g`` (``g ~ N(0, I)``, ``W ~ chi2(nu)``, ``LL' = R``)
becomes ``u = t_nu(x)`` and each asset's innovation is the empirical quantile of its own residuals at ``u_i``;
the innovations then drive the same GJR-GARCH recursion as the bootstrap (:meth:`FHSModel.run`).

Why not a vine: a vine copula on N assets selects N(N-1)/2 pair copulas (435 for 30 assets) by AIC, each from
the few hundred joint days the store holds — of which only a handful are in the tails that matter here; the
pair-copula choice is then noise (pyvinecopulib issue 123 reports simulated spread "severely underestimated" in
high dimension without truncation). The t copula has one tail parameter for all pairs, estimated from every
pair at once, and symmetric tail dependence — a conservative choice for joint crashes. Neither skfolio nor
pyvinecopulib is a dependency of selloff.

References
----------
Demarta, S. & McNeil, A. (2005), "The t copula and related copulas", *International Statistical Review* 73(1).
Lindskog, F., McNeil, A. & Schmock, U. (2003), "Kendall's tau for elliptical distributions", in *Credit Risk*.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from selloff.analytics.stress.fhs import FHSModel

__all__ = ["TCopula", "fit_t_copula"]


@dataclass(frozen=True, eq=False)
class TCopula:
    """A fitted t copula on an :class:`FHSModel`'s residuals (the generator the engine calls)."""

    fhs: FHSModel
    corr: np.ndarray
    nu: float
    loglik: float

    @property
    def assets(self) -> tuple[str, ...]:
        return self.fhs.assets

    @property
    def model(self) -> str:
        return f"{self.fhs.model} margins, Student-t copula (nu = {self.nu:g})"

    def draw(self, rng: np.random.Generator, n: int, days: int) -> np.ndarray:
        """(days, n, N) copula uniforms (paths on axis 1)."""
        N = len(self.assets)
        chol = np.linalg.cholesky(self.corr)
        g = rng.standard_normal((days, n, N)) @ chol.T
        w = rng.chisquare(self.nu, size=(days, n, 1))
        return special.stdtr(self.nu, g * np.sqrt(self.nu / w))

    def from_draws(self, u: np.ndarray, horizons: tuple[int, ...]) -> dict[int, np.ndarray]:
        """Paths from the uniforms: empirical residual quantiles into the GJR-GARCH recursion."""
        zs = np.sort(self.fhs.z, axis=0).astype(self.fhs.dtype)
        T = zs.shape[0]
        cols = np.arange(zs.shape[1])

        def innov(h: int) -> np.ndarray:
            k = np.minimum((u[h] * T).astype(np.int64), T - 1)
            return zs[k, cols]

        return self.fhs.run(innov, u.shape[1], horizons)

    def simulate(self, rng: np.random.Generator, n: int, horizons: tuple[int, ...]) -> dict[int, np.ndarray]:
        return self.from_draws(self.draw(rng, n, max(horizons)), horizons)


def _t_copula_loglik(x: np.ndarray, corr_inv: np.ndarray, logdet: float, nu: float) -> float:
    """Log-likelihood of t-copula scores ``x = t_nu^-1(u)`` (T x N)."""
    T, N = x.shape
    q = np.einsum("ij,jk,ik->i", x, corr_inv, x)
    dens = (special.gammaln((nu + N) / 2) + (N - 1) * special.gammaln(nu / 2) - N * special.gammaln((nu + 1) / 2)
            - 0.5 * logdet - (nu + N) / 2 * np.log1p(q / nu))
    marg = ((nu + 1) / 2) * np.log1p(x ** 2 / nu).sum(axis=1)
    return float((dens + marg).sum())


def fit_t_copula(fhs: FHSModel, nu_grid: tuple[float, ...] = (2.5, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50)) -> TCopula:
    """Fit the copula's correlation (Kendall's tau) and degrees of freedom (grid maximum likelihood)."""
    z = fhs.z
    T, N = z.shape
    u = (stats.rankdata(z, axis=0)) / (T + 1)
    tau = np.eye(N)
    for i in range(N):
        for j in range(i + 1, N):
            tau[i, j] = tau[j, i] = stats.kendalltau(z[:, i], z[:, j]).statistic
    R = np.sin(np.pi * tau / 2)
    w, v = np.linalg.eigh(R)
    R = (v * np.maximum(w, 1e-6)) @ v.T
    d = np.sqrt(np.diag(R))
    R = R / np.outer(d, d)
    inv, logdet = np.linalg.inv(R), float(np.linalg.slogdet(R)[1])
    best = max(((_t_copula_loglik(stats.t.ppf(u, nu), inv, logdet, nu), float(nu)) for nu in nu_grid))
    return TCopula(fhs, R, best[1], best[0])
