"""The provider registry: every data source is a :class:`Provider` that registers itself on import.

A provider follows the fetcher steps (OpenBB): :meth:`~Provider.build_query` validates parameters into a typed
query, :meth:`~Provider.extract` is the only network step, :meth:`~Provider.transform` turns the raw answer into
``(table, frame)`` pairs in the store's schema. :meth:`~Provider.plan_tasks` turns a fetch request into
:class:`~selloff.sources.tasks.Task` s for what the store lacks, from a :class:`~selloff.sources.coverage.Coverage`
the caller passes (sources never import the store).

A new provider is a new module that defines a :class:`Provider` subclass and decorates it with :func:`register`,
plus one line in :data:`BUILTIN` so that :func:`providers` imports it; the pipeline has no per-provider code.

Examples
--------
>>> from selloff.sources import registry
>>> [p.name for p in registry.providers()]
['coingecko', 'ccxt', 'coinglass', 'yahoo', 'events']
"""
from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, ClassVar

import pandas as pd

from selloff.errors import ConfigError
from selloff.sources.coverage import Coverage
from selloff.sources.tasks import FetchContext, Frames, Task
from selloff.universe import Asset

__all__ = ["BUILTIN", "Provider", "get", "names", "providers", "register"]

BUILTIN = (
    "selloff.sources.coingecko",
    "selloff.sources.exchanges",
    "selloff.sources.coinglass",
    "selloff.sources.yahoo",
    "selloff.sources.events",
)
"""Modules that hold the built-in providers, in planning order (importing one registers its provider)."""

_REGISTRY: dict[str, Provider] = {}


class Provider:
    """Base of every data source: three fetcher steps and a planner.

    Subclasses set :attr:`name` and override the four methods; the default :meth:`run` chains
    ``transform(query, extract(ctx, query))``, which is what a planned task calls.
    """

    name: ClassVar[str] = ""
    """The ``--source`` name (``coingecko``, ``ccxt``...)."""

    def build_query(self, ctx: FetchContext, **params: Any) -> Any:
        """Validate the user's parameters into a typed, frozen query (raises ``ConfigError``/``SourceError``)."""
        raise NotImplementedError

    def extract(self, ctx: FetchContext, query: Any) -> Any:
        """Fetch the raw answer for ``query``: the only step that touches the network."""
        raise NotImplementedError

    def transform(self, query: Any, raw: Any) -> Frames:
        """Raw answer → ``(table, frame)`` pairs in the store's schema (pure; raises ``SourceError``)."""
        raise NotImplementedError

    def plan_tasks(self, ctx: FetchContext, assets: Sequence[Asset], coverage: Coverage, start: pd.Timestamp,
                   end: pd.Timestamp, interval: str, step: pd.Timedelta, now: pd.Timestamp) -> list[Task]:
        """Tasks that fetch what ``coverage`` lacks of ``assets`` in ``[start, end]``; nothing is fetched here."""
        raise NotImplementedError

    def validate(self, ctx: FetchContext, interval: str) -> None:
        """Refuse, before any task is planned, a context this provider cannot serve (default: accept all)."""

    def run(self, ctx: FetchContext, query: Any) -> Frames:
        """``transform(query, extract(ctx, query))``."""
        return self.transform(query, self.extract(ctx, query))

    def task(self, ctx: FetchContext, query: Any, kind: str, what: str, *, asset: str | None = None,
             start: pd.Timestamp | None = None, end: pd.Timestamp | None = None, calls: int = 1,
             notes: Sequence[str] = ()) -> Task:
        """A :class:`Task` whose ``run`` is :meth:`run` of ``query``."""
        return Task(self.name, kind, what, lambda: self.run(ctx, query), asset, start, end, calls, tuple(notes))


def register(cls: type[Provider]) -> type[Provider]:
    """Class decorator: instantiate ``cls`` and register it under ``cls.name`` (a later one with the same name
    replaces the earlier, so a test or plug-in can override a built-in)."""
    if not cls.name:
        raise ConfigError(f"provider class {cls.__name__} has no name; set the class attribute name = '...'")
    _REGISTRY[cls.name] = cls()
    return cls


def _load_builtin() -> None:
    for module in BUILTIN:
        importlib.import_module(module)


def providers() -> list[Provider]:
    """Every registered provider: the built-ins in :data:`BUILTIN` order (whatever imported them first), then
    the others in registration order."""
    _load_builtin()
    regs = list(_REGISTRY.values())

    def rank(p: Provider) -> tuple[int, int]:
        module = type(p).__module__
        return (BUILTIN.index(module) if module in BUILTIN else len(BUILTIN), regs.index(p))

    return sorted(regs, key=rank)


def names() -> tuple[str, ...]:
    """The registered providers' names (the valid ``--source`` values)."""
    return tuple(p.name for p in providers())


def get(name: str) -> Provider:
    """The provider registered as ``name``.

    Raises
    ------
    ConfigError
        ``name`` is not registered; the message lists the known names.
    """
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown source '{name}'; use one of {', '.join(names())}") from None
