"""The stress engine: filtered historical simulation, factor shocks, a t copula, VaR/ES with Euler
contributions, reverse stress, a historical scenario library and VaR/ES backtests, on one portfolio.

Modules: :mod:`.portfolio` (positions, margin-call distance), :mod:`.fhs` (GJR-GARCH-t + date bootstrap),
:mod:`.copula` (Student-t copula option), :mod:`.engine` (batched, seeded Monte Carlo), :mod:`.risk` (VaR/ES,
intervals, Euler), :mod:`.shocks` (conditional expectation, extrapolation check), :mod:`.reverse` (most plausible
loss scenario), :mod:`.scenarios` (the shipped library, episode replay), :mod:`.backtest` (Kupiec,
Christoffersen, Basel traffic light, multinomial ES test).
"""
