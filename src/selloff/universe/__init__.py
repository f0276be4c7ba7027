"""Universe: assets, sectors and the dependency graph, from bundled and user TOML."""
from selloff.universe.loader import default_universe_path, load_universe
from selloff.universe.model import Asset, Edge, Sector, Universe

__all__ = ["Asset", "Edge", "Sector", "Universe", "default_universe_path", "load_universe"]
