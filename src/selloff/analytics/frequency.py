"""Frequency connectedness of Baruník & Křehlík (2018): the Diebold–Yilmaz table split into frequency bands.

The forecast-error variance decomposition is computed on the spectral representation of the VAR's moving
average, :math:`\\Psi(e^{-i\\omega}) = \\sum_h \\Phi_h e^{-i\\omega h}`, at the H Fourier frequencies
:math:`\\omega_j = 2\\pi j / H`, and summed over the frequencies of each band. Units: per cent of one market's
forecast-error variance over all frequencies (BK's "absolute" connectedness), so the bands add up to the
time-domain table of :func:`selloff.analytics.spillover.spillover_table` with the same horizon; the
"within" measures rescale each band to its own variance.

References
----------
Baruník, J. and Křehlík, T. (2018). "Measuring the frequency dynamics of financial connectedness and systemic
risk." Journal of Financial Econometrics 16(2), 271–296. The discrete grid and the band convention follow the
R packages frequencyConnectedness (Křehlík) and ConnectednessApproach (Gabauer, ``FrequencyConnectedness``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from selloff.analytics.fevd import check_identification, ma_coefficients, spillover_measures
from selloff.analytics.var_checks import check_enough_rows, validate_frame, validate_var_args
from selloff.errors import DataError

__all__ = ["DEFAULT_BANDS", "FrequencyConnectedness", "band_labels", "frequency_connectedness", "frequency_fevd"]

#: Band edges in radians per observation, high to low: for daily data periods of 1–5, 5–20 and over 20 days
#: (period = π/ω in the packages' labelling, BK 2018 section 4).
DEFAULT_BANDS = (np.pi, np.pi / 5, np.pi / 20, 0.0)


def _check_bands(bands) -> np.ndarray:
    b = np.asarray(bands, dtype=float)
    if b.ndim != 1 or len(b) < 2 or np.any(np.diff(b) >= 0) or b[0] < np.pi - 1e-12 or b[-1] != 0.0:
        raise DataError(f"bands={tuple(bands)!r} must be decreasing frequency edges from pi to 0 (radians per step), "
                        "e.g. (pi, pi/5, pi/20, 0)")
    return b


def band_labels(bands) -> list[str]:
    """Labels "a-b" in periods (π/ω, the packages' convention; the last band ends at "inf")."""
    b = _check_bands(bands)
    per = [f"{np.pi / x:g}" if x > 0 else "inf" for x in b]
    return [f"{per[i]}-{per[i + 1]}" for i in range(len(b) - 1)]


def _band_members(horizon: int, bands: np.ndarray) -> list[np.ndarray]:
    """Fourier indices j of each band by folded frequency min(ω_j, 2π - ω_j) in (lo, hi] (the lowest band
    includes ω = 0)."""
    w = 2 * np.pi * np.arange(horizon) / horizon
    folded = np.minimum(w, 2 * np.pi - w)
    out = []
    for i in range(len(bands) - 1):
        hi, lo = bands[i], bands[i + 1]
        sel = (folded <= hi + 1e-12) & ((folded > lo + 1e-12) if lo > 0 else (folded >= 0))
        out.append(np.flatnonzero(sel))
    return out


def frequency_fevd(coefs: np.ndarray, sigma: np.ndarray, horizon: int, bands=DEFAULT_BANDS,
                   identification: str = "generalized") -> np.ndarray:
    """Band decompositions :math:`\\tilde\\theta_{ij}(d)`, batched.

    Parameters
    ----------
    coefs : ndarray (..., p, k, k)
        VAR lag matrices (statsmodels layout).
    sigma : ndarray (..., k, k)
        Innovation covariance.
    horizon : int
        H: the MA matrices :math:`\\Phi_0 … \\Phi_{H-1}` and the H Fourier frequencies (BK and the packages use
        100 or more; a larger H resolves the low frequencies better).
    bands : sequence of float
        Decreasing band edges in radians, from π to 0.
    identification : {"generalized", "orthogonal"}

    Returns
    -------
    ndarray (..., n_bands, k, k)
        Generalized: :math:`\\theta_{ij}(d) = \\sum_{\\omega_j\\in d}\\sigma_{jj}^{-1}|(\\Psi(\\omega)\\Sigma)_{ij}|^2 /
        (H\\sum_h(\\Phi_h\\Sigma\\Phi_h')_{ii})`, divided by the row sums over all bands (BK eq. 7–8); orthogonal:
        :math:`|\\Psi(\\omega)P|^2` with :math:`\\Sigma = PP'`. By Parseval the bands sum exactly to the
        time-domain decomposition with the same H.
    """
    check_identification(identification)
    b = _check_bands(bands)
    sigma = np.asarray(sigma, dtype=float)
    phi = ma_coefficients(coefs, horizon)                                   # (..., H, k, k)
    psi = np.fft.fft(phi, axis=-3)                                          # Ψ(ω_j), ω_j = 2πj/H
    if identification == "orthogonal":
        impact = np.linalg.cholesky(sigma)
        num = np.abs(psi @ impact[..., None, :, :]) ** 2
    else:
        num = np.abs(psi @ sigma[..., None, :, :]) ** 2 / np.diagonal(sigma, axis1=-2, axis2=-1)[..., None, None, :]
    members = _band_members(horizon, b)
    per_band = np.stack([num[..., idx, :, :].sum(axis=-3) for idx in members], axis=-3)   # (..., B, k, k)
    total = num.sum(axis=(-3, -1))                                          # row sums over all frequencies
    return per_band / total[..., None, :, None]


@dataclass(frozen=True)
class FrequencyConnectedness:
    """Baruník–Křehlík connectedness per frequency band (numbers in per cent).

    Attributes
    ----------
    bands : list of str
        Band labels in periods ("1-5" = 1 to 5 steps), high frequency first.
    tables : dict of str to DataFrame
        Per band: the k × k table (receivers in rows, contributors in columns), in per cent of each row's variance
        over all frequencies; the band tables sum to the time-domain DY table.
    total : Series
        Total connectedness per band (absolute: sums to the DY total index); ``total_within``: each band's own
        table rescaled to its variance (BK's within connectedness, ConnectednessApproach ``scenario="WTH"``).
    to, from_, net : DataFrame
        Directional measures, bands in rows, markets in columns.
    lags, horizon, nobs : int
    identification : str
    method : str
    """

    bands: list
    tables: dict
    total: pd.Series
    total_within: pd.Series
    to: pd.DataFrame
    from_: pd.DataFrame
    net: pd.DataFrame
    lags: int
    horizon: int
    nobs: int
    identification: str
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row per band: total, within total, and per market to / from / net."""
        parts = [self.total.rename("total"), self.total_within.rename("total_within")]
        for label, df in (("to", self.to), ("from", self.from_), ("net", self.net)):
            parts.append(df.add_prefix(f"{label}_"))
        return pd.concat(parts, axis=1)


def frequency_connectedness(data: pd.DataFrame, lags: int = 4, horizon: int = 100, bands=DEFAULT_BANDS, *,
                            trend: str = "c", identification: str = "generalized") -> FrequencyConnectedness:
    """Full-sample frequency connectedness (Baruník & Křehlík 2018) of a VAR(p) fitted by OLS.

    Assumptions: those of the DY table (a stationary VAR with a stable innovation correlation); the frequency
    split is of the VAR's own spectrum, so it is only as good as the VAR's dynamics (a low lag order smooths the
    spectrum). ``horizon`` is the number of Fourier frequencies; the bands sum to the DY table of the same
    horizon exactly (:func:`frequency_fevd`).
    """
    data = validate_frame(data, "frequency_connectedness")
    validate_var_args(lags, horizon, trend)
    check_enough_rows(len(data), data.shape[1], lags, trend, "frequency_connectedness")
    labels = band_labels(bands)
    from statsmodels.tsa.vector_ar.var_model import VAR  # the module alone: statsmodels.tsa.api imports all of tsa

    res = VAR(data.to_numpy(dtype=float)).fit(lags, trend=trend)
    theta = frequency_fevd(res.coefs, res.sigma_u, horizon, bands, identification)   # (B, k, k)
    names = pd.Index(data.columns)
    total, to, from_, net = spillover_measures(theta)
    band_share = theta.sum(axis=(-2, -1)) / theta.shape[-1]                            # share of the variance
    within_total = np.where(band_share > 0, total / np.where(band_share > 0, band_share, 1.0), np.nan)
    tables = {lab: pd.DataFrame(100.0 * theta[i], index=names, columns=names) for i, lab in enumerate(labels)}
    idx = pd.Index(labels, name="band")
    return FrequencyConnectedness(
        bands=labels, tables=tables, total=pd.Series(total, index=idx, name="total_pct"),
        total_within=pd.Series(within_total, index=idx, name="total_within_pct"),
        to=pd.DataFrame(to, index=idx, columns=names), from_=pd.DataFrame(from_, index=idx, columns=names),
        net=pd.DataFrame(net, index=idx, columns=names), lags=int(lags), horizon=int(horizon), nobs=int(res.nobs),
        identification=identification,
        method=(f"Barunik-Krehlik (2018) frequency connectedness: VAR({lags}) by OLS, {identification} FEVD on "
                f"{horizon} Fourier frequencies, bands {', '.join(labels)} (periods)"))
