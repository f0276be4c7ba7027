"""The leverage cascade for one asset and shock: load the asset's history once, calibrate the model on the
stored days where liquidations are recorded, estimate the book at the day before the shock, run the cascade."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from selloff.analytics import cascade as C
from selloff.analytics.panel import Panel
from selloff.analytics.sources_priority import SIMULATED
from selloff.config import defaults
from selloff.errors import DataError
from selloff.pipeline import params as P
from selloff.pipeline.liquidations import load_derivatives
from selloff.store import Store
from selloff.timeutil import day_start, parse_date
from selloff.universe import Universe

__all__ = ["CascadeModel", "CascadeReport", "cascade", "cascade_model", "history", "history_of", "model_of"]


@dataclass(frozen=True)
class CascadeReport:
    """A cascade run with everything needed to read it: the model (book, ``k``, scale, where they came from, the
    calibration's fitted-vs-recorded days and error band — ``None`` when the store holds too few recorded days)
    and the result."""

    model: "CascadeModel"
    result: C.CascadeResult

    asset = property(lambda self: self.model.asset)
    date = property(lambda self: self.model.date, doc="The UTC day the shock hits (book at the previous close).")
    book = property(lambda self: self.model.book)
    calibration = property(lambda self: self.model.calibration)
    k_source = property(lambda self: self.model.k_source, doc="``calibrated`` or ``config`` ([cascade] k, scale 1).")
    note = property(lambda self: self.model.note)
    recorded_partial = property(lambda self: self.model.recorded_partial)
    simulated = property(lambda self: self.model.simulated)
    sources = property(lambda self: self.model.sources)

    def to_frame(self) -> pd.DataFrame:
        """The iteration path."""
        f = self.result.path_frame()
        f.attrs.update(simulated=self.simulated, asset=self.asset, k_source=self.k_source)
        return f

    def to_dict(self) -> dict:
        import json

        lad = self.book.ladder()
        return {"asset": self.asset, "date": self.date.date().isoformat(), "k_source": self.k_source, "note": self.note,
                "recorded_partial": self.recorded_partial, "simulated": self.simulated, "sources": list(self.sources),
                "book": {"asof": self.book.asof.date().isoformat(), "price": self.book.price,
                         "open_interest_usd": self.book.open_interest_usd, "levered_usd": self.book.levered_usd,
                         "sigma_d": self.book.sigma_d, "adv_usd": self.book.adv_usd, "mmr": self.book.mmr,
                         "method": self.book.method, "ladder": json.loads(lad.to_json(orient="records"))},
                "result": self.result.to_dict(),
                "calibration": None if self.calibration is None else self.calibration.to_dict()}


def history_of(panel: Panel, asset: str) -> tuple[pd.DataFrame, pd.DataFrame, bool, tuple[str, ...], bool]:
    """The asset's daily inputs and recorded liquidations from a loaded panel (daily bars and derivatives), whether
    the record is partial, the sources, and whether any of it is simulated (pure: no read)."""
    der = panel.derivatives
    daily = C.daily_inputs(panel.daily, der, asset)
    if daily.empty:
        raise DataError(f"no daily bars for {asset}; run `selloff fetch --assets {asset}` or `selloff demo`")
    rec, partial = C.recorded_daily(der, asset)
    srcs = tuple(sorted(set(panel.sources("derivatives")) | set(panel.sources("bars"))))
    return daily, rec, partial, srcs, SIMULATED in srcs


def history(store: Store, universe: Universe, asset: str, until: pd.Timestamp | None) -> tuple[pd.DataFrame, pd.DataFrame, bool, tuple[str, ...], bool]:
    """:func:`history_of` on one read of the asset's derivatives and bars up to ``until`` (inclusive end; None:
    all)."""
    return history_of(load_derivatives(store, universe, [asset], None, until), asset)


@dataclass(frozen=True)
class CascadeModel:
    """What a cascade needs besides the shock: the book at the close before ``date``, ``k`` and ``scale`` and
    where they came from. The stress engine loads it once and passes it to
    :func:`selloff.analytics.cascade.expected_liquidations` for all its paths."""

    asset: str
    date: pd.Timestamp
    book: C.Book
    k: float
    scale: float
    calibration: C.Calibration | None
    k_source: str
    note: str
    recorded_partial: bool
    simulated: bool
    sources: tuple[str, ...] = ()


def model_of(panel: Panel, asset: str = "BTC", date: object = None) -> CascadeModel:
    """The cascade model from a loaded panel (pure: no read), on its rows before ``date`` (default: all of them;
    the shock then hits the day after the last day): calibrate ``k`` and the participation scale on the days with
    recorded liquidations (:func:`selloff.analytics.cascade.calibrate`) and estimate the book at the previous
    close; with fewer than ``[cascade] min_days`` recorded days ``k`` is ``[cascade] k`` with scale 1, and
    ``note`` says so."""
    d = parse_date(date, "date")
    bp, cp = P.book_params(), P.calib_params()
    if d is not None:
        panel = panel.between(None, day_start(d) - pd.Timedelta(seconds=1))
    daily, rec, partial, srcs, simulated = history_of(panel, asset)
    if d is None:
        d = daily.index.max() + pd.Timedelta(days=1)
    book = C.estimate_book(daily, bp, asset)
    try:
        cal = C.calibrate(daily, rec, bp, cp, asset, cache=P.results_cache())
        k, scale, k_source = cal.k, cal.scale, "calibrated"
        note = (f"k and scale fitted on {len(cal.days)} stored days; holdout median |log error| "
                f"{cal.holdout['median_abs_log_error']:.2f}")
        if cal.k_at_edge:
            note += f"; k at the grid's edge ({cp.k_max:g}), raise [cascade] k_max"
    except DataError as exc:
        cal, k, scale, k_source = None, float(defaults("cascade")["k"]), 1.0, "config"
        note = f"not calibrated ({exc}); k = {k:g} from [cascade] k, scale 1"
    return CascadeModel(asset, pd.Timestamp(d), book, k, scale, cal, k_source, note, partial, simulated, srcs)


def cascade_model(store: Store, universe: Universe, asset: str = "BTC", date: object = None) -> CascadeModel:
    """Load ``asset``'s history before ``date`` once (default: all of it) and build :func:`model_of` on it."""
    d = parse_date(date, "date")
    until = None if d is None else day_start(d) - pd.Timedelta(seconds=1)
    return model_of(load_derivatives(store, universe, [asset], None, until), asset, d)


def cascade(store: Store, universe: Universe, asset: str = "BTC", shock: float = -0.18, date: object = None) -> CascadeReport:
    """Run the cascade for ``shock`` hitting ``asset`` on ``date`` with the model of :func:`cascade_model`."""
    s = C.check_shock(shock)
    m = cascade_model(store, universe, asset, date)
    res = C.run_cascade(m.book, s, m.k, m.scale)
    return CascadeReport(m, res)
