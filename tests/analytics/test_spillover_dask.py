"""The Dask engine of the rolling spillover runs the same block function on the same partition as the local
engine: the numbers are identical (bit for bit), on a 2-worker LocalCluster (in-process workers for speed)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selloff import api
from selloff.analytics.spillover import rolling_spillover

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0",
                                  protocol="tcp", host="127.0.0.1") as c:
        yield c


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    y = np.zeros((260, 4))
    for t in range(1, len(y)):
        y[t] = 0.3 * y[t - 1] + rng.standard_normal(4) @ np.array([[1, 0, 0, 0], [0.4, 1, 0, 0], [0, 0.3, 1, 0],
                                                                       [0.2, 0, 0, 1.0]]).T
    return pd.DataFrame(y, index=pd.date_range("2025-01-01", periods=len(y)), columns=list("ABCD"))


@pytest.mark.parametrize("identification", ["generalized", "orthogonal"])
def test_dask_engine_is_identical_to_local(cluster, panel, identification):
    kw = dict(window=120, lags=2, horizon=10, identification=identification, block_windows=37)
    local = rolling_spillover(panel, **kw)
    dask = rolling_spillover(panel, engine="dask", scheduler=cluster.scheduler_address, **kw)
    assert len(local) == 141 and list(dask.index) == list(local.index) and list(dask.columns) == list(local.columns)
    np.testing.assert_array_equal(dask.to_numpy(), local.to_numpy())


def test_api_rolling_spillover_takes_the_engine_and_config_block_size(cluster, panel):
    local = api.rolling_spillover(panel, 100, 1, 5)
    dask = api.rolling_spillover(panel, 100, 1, 5, engine="dask", scheduler=cluster.scheduler_address)
    np.testing.assert_array_equal(dask.to_numpy(), local.to_numpy())
