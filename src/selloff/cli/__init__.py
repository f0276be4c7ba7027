"""The ``selloff`` command line: one module per command group, shared options and one error handler
(:mod:`selloff.cli.common`). It wires options to :mod:`selloff.api` and prints; it computes nothing itself.

Every command takes ``--store PATH`` where it reads a store, ``--config FILE``, and ``--json`` where it prints
results. Errors a user can fix print one line and exit with code 2.
"""
import sys

from selloff.cli import analysis, check, export, fetch, imports  # noqa: F401  (each module registers its commands)
from selloff.cli import liquidations  # noqa: F401,E402  (selloff liquidations, selloff cascade)
from selloff.cli import watch  # noqa: F401  (selloff watch, selloff alerts)
from selloff.cli import serve  # noqa: F401  (selloff serve)
from selloff.cli import market  # noqa: F401,E402  (today)
from selloff.cli.app import app, record_app
from selloff.cli import stress  # noqa: F401,E402  (selloff stress)

__all__ = ["app", "main", "record_app"]


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
