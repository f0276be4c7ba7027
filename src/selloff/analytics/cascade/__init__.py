"""The leverage-cascade model: the estimated book (:mod:`.book`), the cascade's fixed point (:mod:`.model`) and
its calibration on stored days with the error band (:mod:`.calibrate`).

For the stress engine: ``run_cascade(book, shock, k, scale)`` → :class:`CascadeResult` (one shock, with the
iteration path) and ``expected_liquidations(book, shocks, k, scale)`` → :class:`ExpectedLiquidations` (many
shocks at once).
"""
from selloff.analytics.cascade.book import Book, BookParams, estimate_book, estimate_books, liquidation_price
from selloff.analytics.cascade.calibrate import CalibParams, Calibration, accuracy, calibrate, day_books, error_range
from selloff.analytics.cascade.inputs import daily_inputs, recorded_daily
from selloff.analytics.cascade.model import (CascadeResult, CascadeStep, ExpectedLiquidations, check_shock,
                                             expected_liquidations, fixed_point, run_cascade)

__all__ = ["Book", "BookParams", "CalibParams", "Calibration", "CascadeResult", "CascadeStep", "ExpectedLiquidations",
           "accuracy", "calibrate", "check_shock", "daily_inputs", "day_books", "error_range", "estimate_book", "estimate_books", "expected_liquidations", "fixed_point",
           "liquidation_price", "recorded_daily", "run_cascade"]
