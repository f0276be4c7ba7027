"""The batched Monte Carlo engine: any generator (FHS bootstrap, t copula) on one portfolio, in batches of
whole seed blocks, so that the result is the same for every batch size and worker count.

Reproducibility: the paths are cut into blocks of ``block_paths``; block ``j`` draws with
``Generator(PCG64(SeedSequence(seed).spawn(n_blocks)[j]))`` (numpy's recommended parallel streams), a batch is a
run of whole blocks and every reduction is exact or order-free (sorting with the path index as tie-break, sums of
per-path rows), so the figures do not depend on the batch size. Memory: a batch holds a few (batch x assets)
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
from selloff.errors import ConfigError

__all__ = ["EngineParams", "EngineRun", "Generator", "ShockMap", "memory_needed", "run_engine"]


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

    def __post_init__(self) -> None:
        if self.paths < 1:
            raise ConfigError(f"--paths {self.paths} must be at least 1")
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
    """Bytes (held over the run, per batch) the run needs: losses and tail rows; the batch's arrays."""
    kmax = tail_count(p.paths, min(p.levels))
    nh = len(p.horizons)
    held = nh * (p.paths * 8 + kmax * (n_assets + n_factors + 2) * 8 * 2 + min(p.asset_sample_paths, p.paths) * n_assets * 8)
    batch = p.batch * (draw_bytes_per_path * days + n_assets * (4 * 6 + 8 * (nh + 4)))
    return float(held), float(batch)


def _top(loss: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest losses, ties broken by the smaller path index (order-free)."""
    order = np.lexsort((idx, -loss))
    return order[:k]


def run_engine(gen: Generator, exposures, factor_weights: np.ndarray, factors: tuple[str, ...], p: EngineParams,
               *, shock: ShockMap | None = None, reverse_loss: float | None = None,
               progress: Callable[[int], None] | None = None, draw_bytes_per_path: int = 8,
               moments: bool = False) -> EngineRun:
    """Simulate ``p.paths`` paths of ``gen`` and measure the portfolio with ``exposures`` (aligned to
    ``gen.assets``).

    Parameters
    ----------
    factor_weights
        (K, N): factor ``f``'s move is ``factor_weights[f] @ r`` (BTC: a one-hot row; a basket: equal weights).
    shock
        Applied to the moves of every horizon (shock runs use one horizon).
    reverse_loss
        Also count the paths whose loss is at least this fraction, with their mean factor and asset moves.
    progress
        Called with the number of paths done after each batch.
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
    days = max(p.horizons)
    held, per_batch = memory_needed(p, N, K, days, draw_bytes_per_path)
    budget = p.max_memory_mb * 2 ** 20
    if held + per_batch > budget:
        if held > budget * 0.8:
            fit = int(p.paths * budget * 0.8 / held)
            raise ConfigError(f"--paths {p.paths} needs {held / 2**20:,.0f} MiB for the losses and tail rows "
                              f"(budget [stress] max_memory_mb = {p.max_memory_mb:g}); use --paths {fit} or fewer")
        fit_b = max(p.block_paths, int((budget - held) / per_batch * p.batch) // p.block_paths * p.block_paths)
        raise ConfigError(f"a batch of {p.batch} paths needs {per_batch / 2**20:,.0f} MiB (budget [stress] "
                          f"max_memory_mb = {p.max_memory_mb:g}); set [stress] batch_paths = {fit_b} or lower")
    n_blocks = math.ceil(p.paths / p.block_paths)
    seeds = np.random.SeedSequence(p.seed).spawn(n_blocks)
    kmax = tail_count(p.paths, min(p.levels))
    nsamp = min(p.asset_sample_paths, p.paths)
    H = tuple(sorted(set(p.horizons)))
    losses = {h: np.empty(p.paths) for h in H}
    cand = {h: (np.empty(0), np.empty(0, np.int64), np.empty((0, N)), np.empty((0, K))) for h in H}
    xtx = {h: np.zeros((1 + K, 1 + K)) for h in H}
    xty = {h: np.zeros((1 + K, N)) for h in H}
    s1 = {h: np.zeros(N) for h in H}
    s2 = {h: np.zeros((N, N)) for h in H}
    sample = {h: np.empty((nsamp, N)) for h in H}
    calls = {h: 0 for h in H}
    rev = {h: [0, np.zeros(K), np.zeros(N)] for h in H}
    gross = np.abs(e)
    per = max(1, p.batch // p.block_paths)
    done = 0
    for b0 in range(0, n_blocks, per):
        blocks = range(b0, min(b0 + per, n_blocks))
        sizes = [min(p.block_paths, p.paths - j * p.block_paths) for j in blocks]
        draws = np.concatenate([gen.draw(np.random.Generator(np.random.PCG64(seeds[j])), m, days)
                                for j, m in zip(blocks, sizes)], axis=1)
        sims = gen.from_draws(draws, H)
        n = sum(sizes)
        idx = np.arange(done, done + n)
        for h in H:
            X = sims[h] if shock is None else shock.apply(sims[h])
            C = X * (-e)
            L = C.sum(axis=1)
            F = X @ W.T
            losses[h][done:done + n] = L
            cl, ci, cc, cf = cand[h]
            cl, ci = np.concatenate([cl, L]), np.concatenate([ci, idx])
            cc, cf = np.concatenate([cc, C]), np.concatenate([cf, F])
            keep = _top(cl, ci, kmax)
            cand[h] = (cl[keep], ci[keep], cc[keep], cf[keep])
            A = np.column_stack([np.ones(n), F])
            xtx[h] += A.T @ A
            xty[h] += A.T @ X
            if moments:  # log-move moments, for the conditional-expectation betas of a shock
                lx = np.log1p(X)
                s1[h] += lx.sum(axis=0)
                s2[h] += lx.T @ lx
            if done < nsamp:
                m = min(n, nsamp - done)
                sample[h][done:done + m] = X[:m]
            calls[h] += int(np.count_nonzero(1 - L < p.mmr * (gross * (1 + X)).sum(axis=1)))
            if reverse_loss is not None:
                hit = L >= reverse_loss
                rev[h][0] += int(hit.sum())
                rev[h][1] += F[hit].sum(axis=0)
                rev[h][2] += X[hit].sum(axis=0)
        done += n
        if progress is not None:
            progress(done)
    beta, mom, fmom = {}, {}, {}
    for h in H:
        beta[h] = np.linalg.lstsq(xtx[h], xty[h], rcond=None)[0]
        mu = s1[h] / p.paths
        mom[h] = (mu, s2[h] / p.paths - np.outer(mu, mu))
        mf = xtx[h][0, 1:] / p.paths
        fmom[h] = (mf, xtx[h][1:, 1:] / p.paths - np.outer(mf, mf))
    return EngineRun(p, tuple(gen.assets), e, factors, losses, {h: cand[h][2] for h in H}, {h: cand[h][3] for h in H},
                     {h: cand[h][0] for h in H}, beta, mom, sample, calls, fmom,
                     {h: (rev[h][0], rev[h][1], rev[h][2]) for h in H} if reverse_loss is not None else {})
