"""selloff: what fell, how hard, how broadly, why, whether it spreads, and what it cost leveraged traders."""
from selloff.errors import ConfigError, DataError, SelloffError, SourceError, StoreError

__version__ = "0.1.0"

__all__ = ["ConfigError", "DataError", "SelloffError", "SourceError", "StoreError", "__version__"]
