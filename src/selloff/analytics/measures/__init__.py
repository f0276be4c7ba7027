"""The readings of a move or level: :mod:`~selloff.analytics.measures.core` (one day's readings, sector caps,
liquidations) and :mod:`~selloff.analytics.measures.windows` (the forensic catalogue of every standard window a
newsroom uses). One rule per number: the report, the claim check and ``explain`` read moves through these."""
from selloff.analytics.measures import core, windows
from selloff.analytics.measures.core import *  # noqa: F401,F403
from selloff.analytics.measures.windows import *  # noqa: F401,F403

__all__ = [*core.__all__, *windows.__all__]
