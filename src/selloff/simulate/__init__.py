"""The seeded simulated market: offline demo data, benchmark input and estimator-test generator."""
from selloff.simulate.market import SOURCE, SimSpec, SimulatedMarket, simulate_market

__all__ = ["SOURCE", "SimSpec", "SimulatedMarket", "simulate_market"]
