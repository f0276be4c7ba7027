"""``selloff watch``: the polling loop (:mod:`.loop`), its store I/O and outbox (:mod:`.outbox`), the sinks
(:mod:`.sinks`, :mod:`.webhook`) and its parameters (:mod:`.params`). The rule engine itself is pure and lives
in :mod:`selloff.analytics.alerting`."""
from selloff.pipeline.watch.loop import RoundReport, Watch, WatchSummary
from selloff.pipeline.watch.params import WatchParams, watch_params

__all__ = ["RoundReport", "Watch", "WatchParams", "WatchSummary", "watch_params"]
