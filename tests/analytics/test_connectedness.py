"""Connectedness beyond the generalized DY table, each against something outside the code under test: the
published Diebold-Yilmaz (2009) return spillover table (paper and the R package ConnectednessApproach's output),
statsmodels' Cholesky FEVD, Parseval's identity and the closed-form VAR spectrum for the Barunik-Krehlik bands,
recursive least squares = OLS for the TVP-VAR without forgetting, and simulated networks with a known transmitter."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.api import VAR

from selloff.analytics.fevd import fevd, ma_coefficients, orthogonal_fevd
from selloff.analytics.frequency import band_labels, frequency_connectedness, frequency_fevd
from selloff.analytics.sector_network import NetworkParams, sector_network
from selloff.analytics.spillover import rolling_spillover, rolling_spillover_reference, spillover_table
from selloff.analytics.tvp_var import ols_prior, tvp_var, tvp_var_connectedness
from selloff.errors import ConfigError, DataError
from tests.conftest import SHARED_DATA

# ---------------------------------------------------------------------------------------------
# Diebold & Yilmaz (2009), Table 3: return spillovers among 19 equity markets, VAR(2), H = 10, Cholesky in the
# column order of the data. Total 35.5 % (Economic Journal 119, p. 163). Cells below: the R package
# ConnectednessApproach's replication vignette "2009DieboldYilmaz" (GabauerDavid/ConnectednessApproach,
# docs/2009DieboldYilmaz.html: ConnectednessApproach(dy2009, nlag=2, nfore=10, model="VAR",
# TimeConnectedness=list(generalized=FALSE))), printed to two decimals; TCI there 35.53.
# ---------------------------------------------------------------------------------------------
DY2009_TOTAL_PAPER = 35.5
DY2009_TOTAL_CA = 35.53
DY2009_US_ROW = [93.62, 1.62, 1.50, 0.04, 0.28, 0.22, 0.11, 0.09, 0.15, 0.29, 0.21, 0.21, 0.34, 0.25, 0.09, 0.12,
                 0.05, 0.54, 0.28]
DY2009_UK_ROW = [40.31, 55.75, 0.65, 0.39, 0.15, 0.53, 0.06, 0.18, 0.15, 0.32, 0.17, 0.04, 0.06, 0.14, 0.06, 0.10,
                 0.02, 0.37, 0.55]
DY2009_FROM = {"US": 6.38, "UK": 44.25, "FRA": 62.79, "GER": 72.42, "HKG": 30.11, "BRA": 34.18, "CHL": 34.22,
               "MEX": 43.08, "TUR": 14.24}
DY2009_TO = [291.91, 84.07, 31.03, 11.18, 80.75, 19.18, 11.50, 31.36, 13.64, 16.22, 9.87, 8.16, 5.88, 11.76, 21.41,
             9.39, 2.65, 8.44, 6.66]
DY2009_NET = [285.53, 39.81, -31.76, -61.24, 50.64, -3.14, -31.65, 8.35, -13.60, -14.58, -27.20, -48.77, -20.54,
              -30.00, -3.27, -24.79, -31.58, -34.64, -7.57]
TWO_DECIMALS = 0.005 + 1e-9


@pytest.fixture(scope="module")
def dy2009() -> pd.DataFrame:
    path = SHARED_DATA / "dy2009.csv"
    if not path.exists():
        pytest.skip(f"{path} not found (Diebold-Yilmaz 2009 data, see ../shared/data/README.md)")
    return pd.read_csv(path, index_col="week")


@pytest.fixture(scope="module")
def dy2012() -> pd.DataFrame:
    path = SHARED_DATA / "dy2012.csv"
    if not path.exists():
        pytest.skip(f"{path} not found (Diebold-Yilmaz 2012 data, see ../shared/data/README.md)")
    return pd.read_csv(path, parse_dates=["date"], index_col="date")


@pytest.fixture(scope="module")
def dy2009_orth(dy2009):
    return spillover_table(dy2009, lags=2, horizon=10, identification="orthogonal")


def test_dy2009_total_return_spillover_is_the_papers_35_5(dy2009, dy2009_orth):
    assert dy2009.shape == (829, 19) and list(dy2009.columns[:4]) == ["US", "UK", "FRA", "GER"]
    assert round(dy2009_orth.total, 1) == DY2009_TOTAL_PAPER
    assert dy2009_orth.total == pytest.approx(DY2009_TOTAL_CA, abs=TWO_DECIMALS)
    assert dy2009_orth.identification == "orthogonal" and "2009" in dy2009_orth.method


def test_dy2009_table_matches_connectedness_approach(dy2009, dy2009_orth):
    t = dy2009_orth.table
    names = list(dy2009.columns)
    np.testing.assert_allclose(t.loc["US", names], DY2009_US_ROW, atol=TWO_DECIMALS)
    np.testing.assert_allclose(t.loc["UK", names], DY2009_UK_ROW, atol=TWO_DECIMALS)
    for m, v in DY2009_FROM.items():
        assert t.loc[m, "From others"] == pytest.approx(v, abs=TWO_DECIMALS), m
    np.testing.assert_allclose(dy2009_orth.to[names], DY2009_TO, atol=TWO_DECIMALS)
    np.testing.assert_allclose(dy2009_orth.net[names], DY2009_NET, atol=TWO_DECIMALS)
    # the generalized (default) table is a different, order-free number on the same VAR
    assert spillover_table(dy2009, lags=2, horizon=10).total > 50


def test_orthogonal_fevd_equals_statsmodels_and_depends_on_order(dy2012):
    res = VAR(dy2012.to_numpy()).fit(3)
    ours = orthogonal_fevd(res.coefs, res.sigma_u, 7)
    np.testing.assert_allclose(ours, res.fevd(7).decomp[:, 6, :], atol=1e-13)
    np.testing.assert_allclose(ours.sum(axis=1), 1.0, atol=1e-14)
    rev = dy2012[dy2012.columns[::-1]]
    a = spillover_table(dy2012, 4, 10, identification="orthogonal").total
    b = spillover_table(rev, 4, 10, identification="orthogonal").total
    assert abs(a - b) > 0.1  # Cholesky: the order matters (why DY 2012 moved to the generalized decomposition)


def test_unknown_identification_is_a_data_error(dy2012):
    with pytest.raises(DataError, match="identification"):
        spillover_table(dy2012, 4, 10, identification="cholesky")
    with pytest.raises(ConfigError, match="engine"):  # the engine is checked by selloff.compute, like --engine
        rolling_spillover(dy2012.iloc[:300], window=200, engine="spark")
    with pytest.raises(DataError, match="block_windows"):
        rolling_spillover(dy2012.iloc[:300], window=200, block_windows=0)


# ---------------------------------------------------------------------------------------------
# Rolling windows: batched (rolling lag cross-products, blocks) == one statsmodels fit + FEVD per window
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("trend,lags,block", [("c", 2, 7), ("n", 1, 1000), ("ct", 3, 5)])
def test_rolling_orthogonal_equals_statsmodels_fevd_per_window(dy2012, trend, lags, block):
    data = dy2012.iloc[:160]
    fast = rolling_spillover(data, window=100, lags=lags, horizon=8, step=3, trend=trend,
                             identification="orthogonal", block_windows=block)
    ref = rolling_spillover_reference(data, window=100, lags=lags, horizon=8, step=3, trend=trend,
                                      identification="orthogonal")
    assert list(fast.index) == list(ref.index)
    np.testing.assert_allclose(fast.to_numpy(), ref.to_numpy(), atol=1e-8, rtol=0)


def test_rolling_blocks_change_nothing_but_rounding(dy2012):
    data = dy2012.iloc[:400]
    one = rolling_spillover(data, window=150, lags=2, horizon=10, block_windows=10_000)
    many = rolling_spillover(data, window=150, lags=2, horizon=10, block_windows=17)
    np.testing.assert_allclose(one.to_numpy(), many.to_numpy(), atol=1e-10, rtol=0)


def test_ma_recursion_matches_companion_powers():
    rng = np.random.default_rng(3)
    coefs = rng.uniform(-0.3, 0.3, (3, 4, 4))
    comp = np.zeros((12, 12))
    comp[:4] = np.hstack(list(coefs))
    comp[4:, :8] = np.eye(8)
    phi = ma_coefficients(coefs, 9)
    for h in range(9):
        np.testing.assert_allclose(phi[h], np.linalg.matrix_power(comp, h)[:4, :4], atol=1e-14)


# ---------------------------------------------------------------------------------------------
# Barunik & Krehlik (2018): frequency bands
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("identification", ["generalized", "orthogonal"])
def test_frequency_bands_sum_to_the_time_domain_table(dy2012, identification):
    bands = (np.pi, np.pi / 4, np.pi / 20, 0.0)
    f = frequency_connectedness(dy2012, 4, 100, bands, identification=identification)
    dy = spillover_table(dy2012, 4, 100, identification=identification)
    total = sum(f.tables.values())
    names = list(dy2012.columns)
    np.testing.assert_allclose(total.to_numpy(), dy.table.loc[names, names].to_numpy(), atol=1e-10)
    assert f.total.sum() == pytest.approx(dy.total, abs=1e-10)
    np.testing.assert_allclose(f.net.sum().to_numpy(), dy.net.to_numpy(), atol=1e-10)
    assert f.bands == ["1-4", "4-20", "20-inf"] == band_labels(bands)
    # within connectedness rescales each band to its own share of the variance
    share = np.array([t.to_numpy().sum() / 400.0 for t in f.tables.values()])
    np.testing.assert_allclose(f.total_within.to_numpy(), f.total.to_numpy() / share, rtol=1e-12)


def test_frequency_white_noise_spreads_evenly():
    # no dynamics: Psi(w) = I at every frequency, so each band holds its share of the H Fourier frequencies
    coefs = np.zeros((1, 3, 3))
    sigma = np.array([[1.0, 0.5, 0.2], [0.5, 2.0, 0.3], [0.2, 0.3, 1.5]])
    h = 40
    theta = frequency_fevd(coefs, sigma, h, (np.pi, np.pi / 2, 0.0))
    w = 2 * np.pi * np.arange(h) / h
    folded = np.minimum(w, 2 * np.pi - w)
    n_high = int(((folded > np.pi / 2 + 1e-12)).sum())
    static = fevd(coefs, sigma, 1)
    np.testing.assert_allclose(theta[0], static * n_high / h, atol=1e-14)
    np.testing.assert_allclose(theta[1], static * (h - n_high) / h, atol=1e-14)


def test_frequency_bands_match_the_closed_form_var1_spectrum():
    # VAR(1): Psi(w) = (I - A e^{-iw})^{-1}; with H = 400 the truncated MA is exact to machine precision
    a = np.array([[0.5, 0.2], [-0.1, 0.3]])
    sigma = np.array([[1.0, 0.4], [0.4, 0.8]])
    h = 400
    theta = frequency_fevd(a[None], sigma, h, (np.pi, np.pi / 5, 0.0))
    w = 2 * np.pi * np.arange(h) / h
    psi = np.linalg.inv(np.eye(2)[None] - a[None] * np.exp(-1j * w)[:, None, None])
    num = np.abs(psi @ sigma) ** 2 / np.diag(sigma)[None, None, :]
    folded = np.minimum(w, 2 * np.pi - w)
    high = folded > np.pi / 5 + 1e-12
    tot = num.sum(axis=(0, 2))
    np.testing.assert_allclose(theta[0], num[high].sum(axis=0) / tot[:, None], atol=1e-12)
    np.testing.assert_allclose(theta[1], num[~high].sum(axis=0) / tot[:, None], atol=1e-12)
    # a persistent positive AR puts more variance at low frequencies than their share of the grid
    assert theta[1].sum() / 2 > (~high).mean()


def test_frequency_rejects_bad_bands(dy2012):
    with pytest.raises(DataError, match="bands"):
        frequency_connectedness(dy2012, 2, 50, (np.pi / 2, 0.0))


# ---------------------------------------------------------------------------------------------
# TVP-VAR (Antonakakis, Chatziantoniou & Gabauer 2020)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lags", [1, 2])
def test_tvp_var_without_forgetting_and_flat_prior_is_ols(dy2012, lags):
    centred = dy2012 - dy2012.mean()
    ols = VAR(centred.to_numpy()).fit(lags, trend="n")
    k = dy2012.shape[1]
    prior = (np.zeros(k * k * lags), 1e8 * np.eye(k * k * lags), ols.sigma_u)
    fit = tvp_var(dy2012, lags, 1.0, 1.0, prior=prior, stability=False)
    np.testing.assert_allclose(fit.coefs[-1], ols.coefs, atol=1e-7)
    c = tvp_var_connectedness(dy2012, lags, 10, 1.0, 1.0, prior=prior, stability=False)
    assert c.total.iloc[-1] == pytest.approx(spillover_table(centred, lags, 10, trend="n").total, abs=1e-6)
    assert len(c.total) == len(dy2012) - lags and c.total.index[0] == dy2012.index[lags]


def test_tvp_var_tracks_a_break_that_ols_averages_away():
    rng = np.random.default_rng(11)
    n, k = 1200, 2
    y = np.zeros((n, k))
    for t in range(1, n):
        a = np.array([[0.1, 0.0], [0.0, 0.1]]) if t < n // 2 else np.array([[0.1, 0.0], [0.7, 0.1]])
        y[t] = a @ y[t - 1] + rng.standard_normal(k)
    data = pd.DataFrame(y, columns=["A", "B"])
    c = tvp_var_connectedness(data, 1, 10, 0.99, 0.99, prior_size=200)
    b_from_a = c.fit.coefs[:, 0, 1, 0]
    assert abs(b_from_a[n // 2 - 50]) < 0.25 and b_from_a[-1] > 0.45
    # A becomes a transmitter to B after the break
    assert c.net["A"].iloc[-100:].mean() > 10 > c.net["A"].iloc[200:n // 2 - 50].mean()


def test_ols_prior_is_statsmodels_ols_with_a_constant(dy2012):
    y = (dy2012 - dy2012.mean()).to_numpy()[:300]
    b0, v0, sig = ols_prior(y, 2, 300)
    res = VAR(y).fit(2, trend="c")
    np.testing.assert_allclose(b0.reshape(4, 8), np.hstack(list(res.coefs)), atol=1e-10)
    np.testing.assert_allclose(sig, res.resid.T @ res.resid / res.nobs, atol=1e-10)
    # statsmodels' OLS covariance of the coefficients (stacked regressor-major, df-corrected sigma), reordered
    # equation-major as the TVP-VAR state, constant dropped
    keep = [j * 4 + i for i in range(4) for j in range(1, 9)]
    cov = np.asarray(res.cov_params())[np.ix_(keep, keep)] * res.df_resid / res.nobs
    np.testing.assert_allclose(v0, cov, atol=1e-12)


def test_tvp_var_rejects_bad_forgetting_factor(dy2012):
    with pytest.raises(DataError, match="kappa1"):
        tvp_var(dy2012, 1, 0.0, 0.99)


# ---------------------------------------------------------------------------------------------
# Sector network: a known transmitter switched on for the episode
# ---------------------------------------------------------------------------------------------
def _sectors(seed: int = 5, n: int = 400, episode: int = 45) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.zeros((n, 3))
    for t in range(1, n):
        strength = 1.2 if t >= n - episode else 0.0  # "crypto" drives "chips" only in the episode
        e = rng.standard_normal(3) * 0.01
        y[t] = e + np.array([0.0, strength * y[t - 1, 0], 0.1 * y[t - 1, 2]])
    idx = pd.bdate_range("2025-01-01", periods=n)
    return pd.DataFrame(y, index=idx, columns=["crypto", "chips", "clouds"])


def test_sector_network_finds_the_transmitter_switched_on_in_the_episode():
    r = _sectors()
    start, end = r.index[-45], r.index[-1]
    net = sector_network(r, start, end, NetworkParams(window=90, lags=1, horizon=10, min_obs=60))
    top = net.edges.iloc[0]
    assert (top["from"], top["to"]) == ("crypto", "chips")
    assert top["epi_pct"] > 10 and abs(top["pre_pct"]) < 3
    assert net.sectors["net_epi"].idxmax() == "crypto"
    assert net.sectors.loc["crypto", "chg_pp"] > 10
    # pairwise net is antisymmetric and sums to each sector's net
    pw = net.episode.pairwise_net
    np.testing.assert_allclose(pw.to_numpy(), -pw.to_numpy().T, atol=1e-12)
    np.testing.assert_allclose(pw.sum(axis=1).to_numpy(), net.episode.net.to_numpy(), atol=1e-10)
    # windows: pre ends before the episode, both hold `window` sessions
    assert net.pre_window[1] < start and net.episode_window[1] == end
    assert net.pre.nobs == net.episode.nobs == 90 - 1
    assert net.tvp_total.index[-1] == end and net.sectors.loc["crypto", "tvp_epi"] > net.sectors.loc["crypto", "tvp_pre"]
    d = net.to_dict()
    assert d["summary"]["top_transmitter_episode"] == "crypto" and d["edges"][0]["from"] == "crypto"


def test_sector_network_too_little_history_is_a_clear_error():
    r = _sectors(n=100)
    with pytest.raises(DataError, match="pre-episode window"):
        sector_network(r, r.index[-5], r.index[-1], NetworkParams(window=120, min_obs=100))


def test_network_params_out_of_range_is_a_config_error():
    with pytest.raises(ConfigError, match="network_identification"):
        NetworkParams(identification="cholesky")
    with pytest.raises(ConfigError, match="tvp_kappa2"):
        NetworkParams(tvp_kappa2=1.5)
    assert NetworkParams.from_config().identification == "generalized"


def test_sector_network_skips_the_tvp_var_above_its_sector_cap():
    r = _sectors()
    net = sector_network(r, r.index[-45], r.index[-1], NetworkParams(window=90, min_obs=60, tvp_max_sectors=2))
    assert net.tvp_total.empty and net.sectors["tvp_epi"].isna().all()
    assert "TVP-VAR" in net.skipped and net.summary()["tvp_total_episode_pct"] is None
    assert net.edges.iloc[0]["from"] == "crypto"  # the DY network stands without it
