"""``--engine dask`` on a dask.distributed LocalCluster of 2 workers gives the local engine's results: the stress
Monte Carlo bit for bit (each task is a range of seed blocks, ``SeedSequence.spawn`` per block, merged in block
order) and ``scan --all`` field for field (each task is a block of sectors on the grid of its members). The
rolling spillover's equality test is tests/analytics/test_spillover_dask.py."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selloff.analytics.stress.engine import EngineParams, run_engine
from selloff.analytics.stress.fhs import fit_fhs
from selloff.compute import Engine, run_tasks
from selloff.errors import ConfigError


def _returns() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    idx = pd.date_range("2024-01-01", periods=400, freq="D", tz="UTC")
    z = rng.standard_t(5, size=(400, 3)) * 0.02
    z[:, 1] += 0.6 * z[:, 0]
    return pd.DataFrame(z, index=idx, columns=["BTC", "TAO", "NEAR"])


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c.scheduler_address


def test_dask_engine_is_bit_identical_to_local(cluster):
    fhs = fit_fhs(_returns(), asymmetric=True, mean="zero", min_obs=100, dtype="float64")
    e = np.array([0.5, 0.25, 0.25])
    W = np.array([[1.0, 0.0, 0.0]])
    base = dict(paths=6000, seed=11, batch_paths=1000, block_paths=500, levels=(0.95, 0.99), horizons=(1, 5))
    local = run_engine(fhs, e, W, ("BTC",), EngineParams(**base))
    dask = run_engine(fhs, e, W, ("BTC",), EngineParams(**base, engine=Engine("dask", cluster, 2)))
    for h in (1, 5):
        assert np.array_equal(local.losses[h], dask.losses[h])
        assert np.array_equal(local.sample[h], dask.sample[h])
        assert np.array_equal(local.factor_beta[h], dask.factor_beta[h])
        assert np.array_equal(local.tail_contrib[h], dask.tail_contrib[h])
        assert local.risk(h) == dask.risk(h) and local.euler(h, 0.975)[2] == dask.euler(h, 0.975)[2]


def test_run_tasks_keeps_task_order_on_dask(cluster):
    out = run_tasks(pow, [(2, k) for k in range(12)], Engine("dask", cluster, 2))
    assert out == [2**k for k in range(12)]


def test_engine_bad_input():
    with pytest.raises(ConfigError, match="--engine 'spark'"):
        Engine("spark")
    with pytest.raises(ConfigError, match="--scheduler needs --engine dask"):
        Engine("local", "tcp://127.0.0.1:1")


def test_scan_all_on_dask_finds_the_same_episodes(cluster, tmp_path):
    """``scan --all`` partitioned into blocks of sectors on the cluster: field-identical episodes."""
    from selloff import api
    from selloff.simulate import SimSpec
    from selloff.universe import load_universe

    store = tmp_path / "demo.duckdb"
    api.build_demo_store(store, load_universe(include_user_config=False), SimSpec(start="2025-06-01", hourly=False))
    local = api.scan_all(store, engine="local")
    dask = api.scan_all(store, engine="dask", scheduler=cluster)
    assert local.episodes and len(local.episodes) == len(dask.episodes)
    pd.testing.assert_frame_equal(local.to_frame(), dask.to_frame())  # every field, NaN where NaN
    assert local.sectors == dask.sectors and local.without_data == dask.without_data
