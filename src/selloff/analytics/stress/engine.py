"""The batched Monte Carlo engine: any generator (FHS bootstrap, t copula) on one portfolio, in batches of
whole seed blocks, so that the result is the same for every batch size and worker count.

Reproducibility: the paths are cut into blocks of ``block_paths``; block ``j`` draws with
``Generator(PCG64(SeedSequence(seed).spawn(n_blocks)[j]))`` (numpy's recommended parallel streams), a batch is a
run of whole blocks, a worker process a run of batches, and every reduction is exact or order-free: losses are
kept per path, the tail is chosen by sorting with the path index as tie-break, and the regression and moment sums
are formed per block and added in block order. So the figures do not depend on the batch size or the number of
workers. Memory: a batch holds a few (batch x assets)
arrays; the whole run keeps one loss per path and horizon and the worst ``k`` paths' rows for the Euler
allocation — both are sized before the run, and a run that would not fit is refused with the size that would.

The engine values positions linearly: ``P&L = sum_i e_i r_i`` (exposure ``e_i`` = weight x leverage, simple
moves ``r_i``) — what the Euler allocation needs to be exact.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from selloff.analytics.stress.risk import tail_count, var_es
from selloff.compute import LOCAL, Engine, run_tasks
from selloff.errors import ConfigError

__all__ = ["EngineParams", "EngineRun", "Generator", "ShockMap", "check_memory", "memory_needed", "run_engine"]


class Generator(Protocol):
    assets: tuple[str, ...]

    def draw(self, rng: np.random.Generator, n: int, days: int) -> np.ndarray: ...

    def from_draws(self, draws: np.ndarray, horizons: tuple[int, ...]) -> dict[int, np.ndarray]: ...


@dataclass(frozen=True)
class EngineParams:
    paths: int
    seed: int
    batch_paths: int
    block_paths: int
    levels: tuple[float, ...]
    horizons: tuple[int, ...]
    ci: float = 0.95
    max_memory_mb: float = 1024.0
    asset_sample_paths: int = 100_000
    mmr: float = 0.005
    workers: int = 1
    engine: Engine = LOCAL
    """Where the blocks run (:mod:`selloff.compute`); with ``dask`` each of ``max(workers, engine.workers)``
    tasks is a range of blocks, merged in block order: the same result as local."""

    def __post_init__(self) -> None:
        if self.paths < 1:
            raise ConfigError(f"--paths {self.paths} must be at least 1")
        if self.workers < 1:
            raise ConfigError(f"[stress] workers = {self.workers} must be >= 1")
        if self.block_paths < 1 or self.batch_paths < 1:
            raise ConfigError("[stress] block_paths and batch_paths must be >= 1")
        if not self.horizons or min(self.horizons) < 1:
            raise ConfigError(f"horizons {self.horizons} must be >= 1 day")
        for a in self.levels:
            if not 0.5 < a < 1:
                raise ConfigError(f"[stress] level {a} must lie in (0.5, 1), e.g. 0.99")

    @property
    def batch(self) -> int:
        """The batch rounded down to whole seed blocks (at least one)."""
        return max(1, self.batch_paths // self.block_paths) * self.block_paths


@dataclass(frozen=True)
class ShockMap:
    """A conditional-expectation shock on the log moves of one horizon: ``x_F <- s``,
    ``x_o <- x_o + B (s - x_F)`` (columns ``F`` shocked, ``O`` the others)."""

    shocked: tuple[int, ...]
    others: tuple[int, ...]
    values: np.ndarray
    beta: np.ndarray

    def apply(self, moves: np.ndarray) -> np.ndarray:
        lx = np.log1p(moves)
        gap = self.values - lx[:, list(self.shocked)]
        lx[:, list(self.others)] += gap @ self.beta.T
        lx[:, list(self.shocked)] = self.values
        return np.expm1(lx)


@dataclass(frozen=True, eq=False)
class EngineRun:
    """What one run measured, per horizon: losses of every path, the tail rows, factor regressions."""

    params: EngineParams
    assets: tuple[str, ...]
    exposures: np.ndarray
    factors: tuple[str, ...]
    losses: dict[int, np.ndarray]
    tail_contrib: dict[int, np.ndarray]
    tail_factors: dict[int, np.ndarray]
    tail_loss: dict[int, np.ndarray]
    factor_beta: dict[int, np.ndarray]
    moments: dict[int, tuple[np.ndarray, np.ndarray]]
    sample: dict[int, np.ndarray]
    margin_calls: dict[int, int]
    factor_moments: dict[int, tuple[np.ndarray, np.ndarray]]
    reverse: dict[int, tuple[int, np.ndarray, np.ndarray]] = field(default_factory=dict)

    def risk(self, h: int) -> list[dict]:
        return [var_es(self.losses[h], a, self.params.ci) for a in self.params.levels]

    def euler(self, h: int, level: float) -> tuple[np.ndarray, np.ndarray, float]:
        """(per-asset CES, per-factor CES incl. drift and residual, ES) at ``level``."""
        k = tail_count(self.params.paths, level)
        C = self.tail_contrib[h][:k]
        es = float(self.tail_loss[h][:k].mean())
        per_asset = C.mean(axis=0)
        beta = self.factor_beta[h]  # (1 + K, N): intercept row then factors
        F = self.tail_factors[h][:k]
        e = self.exposures
        fac = np.array([float(np.mean(-(e @ beta[1 + f]) * F[:, f])) for f in range(F.shape[1])])
        drift = float(-(e @ beta[0]))
        resid = float(per_asset.sum() - fac.sum() - drift)
        return per_asset, np.array([*fac, drift, resid]), es


def memory_needed(p: EngineParams, n_assets: int, n_factors: int, days: int, draw_bytes_per_path: int) -> tuple[float, float]:
    """Bytes (held over the run, per batch) the run needs: losses and tail rows; the batch's arrays (one batch
    per worker)."""
    kmax = tail_count(p.paths, min(p.levels))
    nh = len(p.horizons)
    held = nh * (p.paths * 8 + kmax * (n_assets + n_factors + 2) * 8 * 2 + min(p.asset_sample_paths, p.paths) * n_assets * 8)
    batch = p.batch * (draw_bytes_per_path * days + n_assets * (4 * 6 + 8 * (nh + 4))) * max(1, p.workers)
    return float(held), float(batch)


def check_memory(p: EngineParams, n_assets: int, n_factors: int, draw_bytes_per_path: int = 8) -> None:
    """Refuse a run that would need more than ``p.max_memory_mb`` (ConfigError naming the paths or batch that fit)."""
    N, K, days = n_assets, n_factors, max(p.horizons)
    held, per_batch = memory_needed(p, N, K, days, draw_bytes_per_path)
    budget = p.max_memory_mb * 2 ** 20
    if held + per_batch > budget:
        if held > budget * 0.8:
            fit = int(p.paths * budget * 0.8 / held)
            raise ConfigError(f"--paths {p.paths} needs {held / 2**20:,.0f} MiB for the losses and tail rows "
                              f"(budget [stress] max_memory_mb = {p.max_memory_mb:g}; a smaller batch does not help, one "
                              f"loss per path is kept); use --paths {fit} or fewer")
        fit_b = max(p.block_paths, int((budget - held) / per_batch * p.batch) // p.block_paths * p.block_paths)
        raise ConfigError(f"a batch of {p.batch} paths needs {per_batch / 2**20:,.0f} MiB (budget [stress] "
                          f"max_memory_mb = {p.max_memory_mb:g}); set [stress] batch_paths = {fit_b} or lower")


def _top(loss: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest losses, ties broken by the smaller path index (order-free)."""
    order = np.lexsort((idx, -loss))
    return order[:k]


def _pass(gen: Generator, e: np.ndarray, W: np.ndarray, p: EngineParams, H: tuple[int, ...], b_from: int, b_to: int,
          shock: ShockMap | None, reverse_loss: float | None, moments: bool,
          progress: Callable[[int], None] | None = None) -> dict:
    """Blocks ``[b_from, b_to)`` in batches: their losses, tail candidates, sample rows, counts, and the sums of
    the regressions and moments *per block* (added in block order by :func:`_merge`, so that neither the batch
    nor the split between workers changes a rounding)."""
    N, K = len(gen.assets), W.shape[0]
    n_blocks = math.ceil(p.paths / p.block_paths)
    seeds = np.random.SeedSequence(p.seed).spawn(n_blocks)
    kmax = tail_count(p.paths, min(p.levels))
    nsamp = min(p.asset_sample_paths, p.paths)
    days = max(H)
    first = b_from * p.block_paths
    last = min(p.paths, b_to * p.block_paths)
    out = {"first": first, "losses": {h: np.empty(last - first) for h in H},
           "cand": {h: (np.empty(0), np.empty(0, np.int64), np.empty((0, N)), np.empty((0, K))) for h in H},
           "sums": {h: [] for h in H}, "sample": {h: [] for h in H}, "calls": {h: 0 for h in H},
           "hits": {h: 0 for h in H}}
    gross = np.abs(e)
    per = max(1, p.batch // p.block_paths)
    done = first
    for b0 in range(b_from, b_to, per):
        blocks = range(b0, min(b0 + per, b_to))
        sizes = [min(p.block_paths, p.paths - j * p.block_paths) for j in blocks]
        draws = np.concatenate([gen.draw(np.random.Generator(np.random.PCG64(seeds[j])), m, days)
                                for j, m in zip(blocks, sizes)], axis=1)
        sims = gen.from_draws(draws, H)
        n = sum(sizes)
        idx = np.arange(done, done + n)
        cuts = np.cumsum([0, *sizes])
        for h in H:
            X = sims[h] if shock is None else shock.apply(sims[h])
            C = X * (-e)
            L = C.sum(axis=1)
            F = X @ W.T
            out["losses"][h][done - first:done - first + n] = L
            cl, ci, cc, cf = out["cand"][h]
            cl, ci = np.concatenate([cl, L]), np.concatenate([ci, idx])
            cc, cf = np.concatenate([cc, C]), np.concatenate([cf, F])
            keep = _top(cl, ci, kmax)
            out["cand"][h] = (cl[keep], ci[keep], cc[keep], cf[keep])
            A = np.column_stack([np.ones(n), F])
            lx = np.log1p(X) if moments else None  # log-move moments, for the betas of a shock
            hit = L >= reverse_loss if reverse_loss is not None else None
            for i in range(len(sizes)):
                sl = slice(cuts[i], cuts[i + 1])
                Ab, Xb = A[sl], X[sl]
                sums = [Ab.T @ Ab, Ab.T @ Xb]
                if moments:
                    sums += [lx[sl].sum(axis=0), lx[sl].T @ lx[sl]]
                if hit is not None:
                    sums += [F[sl][hit[sl]].sum(axis=0), Xb[hit[sl]].sum(axis=0)]
                out["sums"][h].append(sums)
            if done < nsamp:
                out["sample"][h].append((done, X[:min(n, nsamp - done)].copy()))
            out["calls"][h] += int(np.count_nonzero(1 - L < p.mmr * (gross * (1 + X)).sum(axis=1)))
            if hit is not None:
                out["hits"][h] += int(hit.sum())
        done += n
        if progress is not None:
            progress(done - first)
    return out


def _merge(parts: list[dict], p: EngineParams, N: int, K: int, H: tuple[int, ...], moments: bool,
           reverse: bool) -> dict:
    """One run's accumulators from passes over consecutive block ranges (in block order)."""
    kmax = tail_count(p.paths, min(p.levels))
    nsamp = min(p.asset_sample_paths, p.paths)
    parts = sorted(parts, key=lambda x: x["first"])
    res: dict = {k: {} for k in ("losses", "cand", "sample", "calls", "hits", "sums")}
    for h in H:
        res["losses"][h] = np.concatenate([x["losses"][h] for x in parts])
        cl, ci, cc, cf = (np.concatenate([x["cand"][h][j] for x in parts]) for j in range(4))
        keep = _top(cl, ci, kmax)
        res["cand"][h] = (cl[keep], ci[keep], cc[keep], cf[keep])
        sample = np.empty((nsamp, N))
        for x in parts:
            for start, rows in x["sample"][h]:
                sample[start:start + len(rows)] = rows
        res["sample"][h] = sample
        res["calls"][h] = sum(x["calls"][h] for x in parts)
        res["hits"][h] = sum(x["hits"][h] for x in parts)
        width = 2 + (2 if moments else 0) + (2 if reverse else 0)
        total = [np.zeros((1 + K, 1 + K)), np.zeros((1 + K, N)), np.zeros(N), np.zeros((N, N)), np.zeros(K),
                 np.zeros(N)]
        slots = [0, 1] + ([2, 3] if moments else []) + ([4, 5] if reverse else [])
        for x in parts:
            for block in x["sums"][h]:
                for j in range(width):
                    total[slots[j]] = total[slots[j]] + block[j]
        res["sums"][h] = total
    return res


def run_engine(gen: Generator, exposures, factor_weights: np.ndarray, factors: tuple[str, ...], p: EngineParams,
               *, shock: ShockMap | None = None, reverse_loss: float | None = None,
               progress: Callable[[int], None] | None = None, draw_bytes_per_path: int = 8,
               moments: bool = False) -> EngineRun:
    """Simulate ``p.paths`` paths of ``gen`` and measure the portfolio with ``exposures`` (aligned to
    ``gen.assets``); with ``p.workers`` > 1 the blocks are split between worker processes (same result).

    Parameters
    ----------
    factor_weights
        (K, N): factor ``f``'s move is ``factor_weights[f] @ r`` (BTC: a one-hot row; a basket: equal weights).
    shock
        Applied to the moves of every horizon (shock runs use one horizon).
    reverse_loss
        Also count the paths whose loss is at least this fraction, with their mean factor and asset moves.
    progress
        Called with the number of paths done after each batch (after each worker's share with workers).
    moments
        Also accumulate the mean and covariance of the log moves (:attr:`EngineRun.moments`).

    Raises
    ------
    ConfigError
        The run would need more than ``p.max_memory_mb`` (the message names the paths or batch that fit).
    """
    N = len(gen.assets)
    e = np.asarray(exposures, float)
    W = np.asarray(factor_weights, float).reshape(-1, N)
    K = W.shape[0]
    check_memory(p, N, K, draw_bytes_per_path)
    H = tuple(sorted(set(p.horizons)))
    n_blocks = math.ceil(p.paths / p.block_paths)
    workers = max(1, min(p.workers, n_blocks))
    if p.engine.name == "dask":
        n_tasks = max(1, min(max(p.workers, p.engine.workers) * 2, n_blocks))
        edges = np.linspace(0, n_blocks, n_tasks + 1).round().astype(int)
        tasks = [(gen, e, W, p, H, int(a), int(b), shock, reverse_loss, moments)
                 for a, b in zip(edges[:-1], edges[1:]) if b > a]
        done = [0]

        def tick(part: dict) -> None:
            done[0] += len(part["losses"][H[0]])
            if progress is not None:
                progress(done[0])

        parts = run_tasks(_pass, tasks, p.engine, tick)
    elif workers == 1:
        parts = [_pass(gen, e, W, p, H, 0, n_blocks, shock, reverse_loss, moments, progress)]
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        edges = np.linspace(0, n_blocks, workers + 1).round().astype(int)
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        parts, done = [], 0
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            futs = [pool.submit(_pass, gen, e, W, p, H, int(a), int(b), shock, reverse_loss, moments)
                    for a, b in zip(edges[:-1], edges[1:]) if b > a]
            for f in as_completed(futs):
                part = f.result()
                parts.append(part)
                done += len(part["losses"][H[0]])
                if progress is not None:
                    progress(done)
    m = _merge(parts, p, N, K, H, moments, reverse_loss is not None)
    beta, mom, fmom = {}, {}, {}
    for h in H:
        xtx, xty, s1, s2, fsum, xsum = m["sums"][h]
        beta[h] = np.linalg.lstsq(xtx, xty, rcond=None)[0]
        mu = s1 / p.paths
        mom[h] = (mu, s2 / p.paths - np.outer(mu, mu))
        mf = xtx[0, 1:] / p.paths
        fmom[h] = (mf, xtx[1:, 1:] / p.paths - np.outer(mf, mf))
    cand = m["cand"]
    return EngineRun(p, tuple(gen.assets), e, factors, m["losses"], {h: cand[h][2] for h in H},
                     {h: cand[h][3] for h in H}, {h: cand[h][0] for h in H}, beta, mom, m["sample"], m["calls"], fmom,
                     {h: (m["hits"][h], m["sums"][h][4], m["sums"][h][5]) for h in H} if reverse_loss is not None else {})
