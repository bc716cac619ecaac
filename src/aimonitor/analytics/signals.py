"""Market signals: a registry of pure, causal, vectorised signal functions.

Every signal is a function ``f(inputs: SignalInputs) -> DataFrame`` registered under a
fixed name with :func:`register`; adding a signal is writing one decorated function.
Each function returns a *long* frame with the columns ``date`` (``datetime.date``),
``symbol`` (str), ``signal`` (str) and ``value`` (float), with NaN rows dropped.

All signals are causal: the value dated ``t`` uses only data dated ``<= t`` (rolling
windows end at ``t``; the market model behind ``sar_1d`` is estimated on sessions
ending the day before ``t``; a FRED value dated ``d`` is usable from the
``fred_lag_sessions``-th session after ``d``, as the credit panel uses it; each session's
spread proxy and its change are taken under the calibration in force on that session).

Units follow the project conventions: returns and volatilities are fractions
(0.0123 = 1.23 %), spreads are basis points, z-scores and correlations are unitless,
staleness is a number of exchange sessions.

Examples
--------
>>> inputs = SignalInputs(closes=wide_adj_close, market="SPY", watchlist=("ORCL", "AMD"))
>>> df = compute_signals(inputs, names=["ret_1d", "drawdown_52w"], start="2025-09-01")

Adding a signal:

>>> @register("ret_10d", doc="simple return over 10 sessions", unit="fraction")
... def compute_ret_10d(inputs: SignalInputs) -> pd.DataFrame:
...     c = inputs.aligned_closes
...     return to_long(c / c.shift(10) - 1.0, "ret_10d")

The built-in signals are registered with :func:`register_wide` instead: the function returns
its wide frame (sessions x symbols) and :func:`compute_signals` builds one long frame for
all of them at once (a wide universe never holds a long frame per signal).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.indexers import BaseIndexer

from aimonitor.errors import ConfigError, DataError, DataWarning

log = logging.getLogger(__name__)

__all__ = [
    "COLUMNS",
    "LOOP_SYMBOL",
    "SignalInputs",
    "SignalSpec",
    "compute_signals",
    "get_signal",
    "register",
    "register_wide",
    "signal_catalog",
    "signal_names",
    "to_long",
]

#: Columns of every long signal frame, in order.
COLUMNS = ["date", "symbol", "signal", "value"]
#: Pseudo-symbol of the watchlist-wide (cross-sectional) signals such as ``corr_60d``.
LOOP_SYMBOL = "LOOP"

ANNUALISATION = 252
VOL_WINDOW = 20
Z_WINDOW = 252
Z_MIN_OBS = 120
DRAWDOWN_WINDOW = 252
MM_ESTIMATION = 250
MM_MIN_OBS = 60
CORR_WINDOW = 60
CORR_MIN_OBS = 40
CHANGE_WINDOW = 20
#: A FRED observation is carried to later sessions for at most this many sessions.
FRED_MAX_LAG_SESSIONS = 5


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True, eq=False)
class SignalInputs:
    """Everything the signal functions may read (immutable bundle).

    Parameters
    ----------
    closes : DataFrame
        Wide frame of dividend-and-split adjusted closes (``adj_close``): a tz-naive
        ``DatetimeIndex`` of sessions, one column per symbol, NaN where a symbol has no bar.
    market : str
        Column of ``closes`` used as the benchmark of the market model (``sar_1d``).
    watchlist : sequence of str
        Symbols whose average pairwise correlation is ``corr_60d``.
    spread_proxy : DataFrame, optional
        Wide frame of the equity-implied spread proxy in basis points (index: sessions,
        columns: symbols). A long frame with columns ``date, symbol, value`` is accepted.
    fred_oas : DataFrame, optional
        Wide frame of FRED option-adjusted spreads in **basis points** (index: observation
        dates, columns: series ids such as ``BAMLH0A0HYM2``). A long frame with columns
        ``date, series, value`` is accepted. Pass OAS series only (not yields).
    last_bar : mapping of str to date, optional
        Latest bar date per symbol as known to the store; combined with the non-missing
        dates of ``closes`` for ``staleness_sessions``.
    cds_quotes : DataFrame, optional
        Imported CDS quotes in basis points, wide (index: quote dates, columns: entity /
        symbol) or long with columns ``date, entity, value``.
    sessions : DatetimeIndex, optional
        Exchange sessions (tz-naive, sorted) up to the ``as_of`` session. Defaults to the
        index of ``closes``. When given, ``closes`` is re-indexed onto it, so a session
        with no bar is a missing value rather than silently skipped.
    fred_lag_sessions : int, default 0
        A FRED observation dated ``d`` is usable from the ``fred_lag_sessions``-th session
        strictly after ``d`` (0: on ``d`` itself; an observation on a non-session day counts
        from the session before it). The pipeline passes ``[credit] fred_lag_sessions``
        (1: the cycle runs before day ``d``'s OAS is published), the same lag the credit
        panel applies, so live cycle, replay and backtest see FRED alike.
    spread_recalibrations : sequence of (date, DataFrame), optional
        Point-in-time calibration of ``spread_proxy``: each pair is the first session on
        which a new calibration is in force and the whole proxy history (wide, like
        ``spread_proxy``) expressed under it. ``spread_proxy`` holds the history under the
        calibration in force before the first pair. On every session the spread signals
        read the frame in force on that session, so the level is that session's and the
        20-session change and the z-score are taken under one calibration (a
        recalibration step never reads as a widening).
    loop_exposure : DataFrame, optional
        Point-in-time loop exposure in USD (index: sessions, columns: symbols), the weights
        of ``loop_stress_index`` (see :func:`aimonitor.analytics.graph.compute_loop_exposure_panel`).
    placebo : sequence of str
        The placebo basket of ``placebo_resid_corr_60d`` (default: the hyperscalers).
    """

    closes: pd.DataFrame
    market: str = "SPY"
    watchlist: Sequence[str] = ()
    spread_proxy: pd.DataFrame | None = None
    fred_oas: pd.DataFrame | None = None
    last_bar: Mapping[str, dt.date | str | pd.Timestamp] | None = None
    sessions: pd.DatetimeIndex | None = None
    cds_quotes: pd.DataFrame | None = None
    fred_lag_sessions: int = 0
    spread_recalibrations: Sequence[tuple[dt.date | str | pd.Timestamp, pd.DataFrame]] = ()
    loop_exposure: pd.DataFrame | None = None
    placebo: Sequence[str] = ("MSFT", "META", "AMZN", "GOOGL")
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        closes = self.closes
        if not isinstance(closes, pd.DataFrame):
            raise DataError("signal inputs: closes must be a wide DataFrame (sessions x symbols)")
        if not isinstance(closes.index, pd.DatetimeIndex):
            raise DataError("signal inputs: closes must have a DatetimeIndex of sessions")
        if closes.index.tz is not None:
            raise DataError("signal inputs: closes index must be tz-naive session dates")
        if closes.index.has_duplicates:
            raise DataError("signal inputs: closes has duplicate dates; de-duplicate before computing signals")
        object.__setattr__(self, "watchlist", tuple(self.watchlist))
        if not isinstance(self.fred_lag_sessions, (int, np.integer)) or self.fred_lag_sessions < 0:
            raise DataError(
                f"signal inputs: fred_lag_sessions must be a whole number >= 0, got {self.fred_lag_sessions!r}"
            )
        recal = [(pd.Timestamp(d).normalize(), f) for d, f in self.spread_recalibrations]
        if recal and self.spread_proxy is None:
            raise DataError("signal inputs: spread_recalibrations given without spread_proxy")
        object.__setattr__(self, "spread_recalibrations", tuple(sorted(recal, key=lambda x: x[0])))
        if self.sessions is not None:
            s = pd.DatetimeIndex(self.sessions)
            if s.tz is not None:
                raise DataError("signal inputs: sessions must be tz-naive")
            object.__setattr__(self, "sessions", s.sort_values().unique())

    # Derived frames are cached on the (frozen) bundle so several signals share them.
    def _memo(self, key: str, make: Callable[[], object]):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def session_index(self) -> pd.DatetimeIndex:
        """The sessions every signal is computed on."""
        return self._memo("sessions", self._make_sessions)

    def _make_sessions(self) -> pd.DatetimeIndex:
        if self.sessions is not None:
            return self.sessions
        return self.closes.index.sort_values()

    @property
    def aligned_closes(self) -> pd.DataFrame:
        """``closes`` on :attr:`session_index` as float (missing bars are NaN)."""
        return self._memo("closes", self._make_closes)

    def _make_closes(self) -> pd.DataFrame:
        c = self.closes.sort_index()
        idx = self.session_index
        extra = c.index.difference(idx)
        if self.sessions is not None and len(extra) and len(idx) and (extra <= idx[-1]).any():
            warnings.warn(
                f"signal inputs: {int((extra <= idx[-1]).sum())} close row(s) on non-session dates "
                f"(first {extra[0].date()}) were ignored",
                DataWarning,
                stacklevel=3,
            )
        c = c.reindex(idx).astype(float)
        c = _where(c, c.to_numpy() > 0)  # a non-positive price is not a price
        c.columns = [str(x) for x in c.columns]
        return c

    @property
    def simple_returns(self) -> pd.DataFrame:
        """Session-to-session simple returns (NaN when either close is missing)."""
        return self._memo("ret", lambda: self.aligned_closes / self.aligned_closes.shift(1) - 1.0)

    @property
    def log_returns(self) -> pd.DataFrame:
        """Session-to-session log returns (NaN when either close is missing)."""
        return self._memo("logret", lambda: np.log(self.aligned_closes / self.aligned_closes.shift(1)))


# ----------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class SignalSpec:
    """A registered signal: its name, unit, one-line doc and function."""

    name: str
    func: Callable[[SignalInputs], pd.DataFrame]
    unit: str
    doc: str
    #: the wide form of ``func`` (see :func:`register_wide`), None for a long-frame function
    wide: Callable[[SignalInputs], pd.DataFrame | None] | None = None


_REGISTRY: dict[str, SignalSpec] = {}


def register(name: str, *, doc: str, unit: str) -> Callable[[Callable], Callable]:
    """Decorator registering a signal function under ``name``.

    Parameters
    ----------
    name : str
        The signal name used by rules and in the store (must be unique).
    doc : str
        One line describing the signal (shown by ``aimonitor signals list``).
    unit : str
        Unit of the values (``fraction``, ``bp``, ``z``, ``sessions``...).
    """

    def deco(func: Callable[[SignalInputs], pd.DataFrame]) -> Callable[[SignalInputs], pd.DataFrame]:
        if name in _REGISTRY:
            raise ValueError(f"signal {name!r} is already registered")
        _REGISTRY[name] = SignalSpec(name=name, func=func, unit=unit, doc=doc)
        return func

    return deco


def register_wide(name: str, *, doc: str, unit: str) -> Callable[[Callable], Callable]:
    """Decorator registering a signal function that returns its values as one *wide* frame
    (session dates x symbols, NaN where there is no value) or None (no values).

    :func:`compute_signals` assembles the long frame of every such signal at once, without
    a long frame per signal (the memory of a wide universe); the registered
    :attr:`SignalSpec.func` is ``to_long(func(inputs), name)``.
    """

    def deco(func: Callable[[SignalInputs], pd.DataFrame | None]) -> Callable[[SignalInputs], pd.DataFrame | None]:
        if name in _REGISTRY:
            raise ValueError(f"signal {name!r} is already registered")

        def long(inputs: SignalInputs) -> pd.DataFrame:
            frame = func(inputs)
            return _empty() if frame is None else to_long(frame, name)

        long.__name__ = long.__qualname__ = func.__name__
        long.__doc__ = func.__doc__
        _REGISTRY[name] = SignalSpec(name=name, func=long, unit=unit, doc=doc, wide=func)
        return func

    return deco


def signal_names() -> list[str]:
    """Registered signal names in registration order."""
    return list(_REGISTRY)


def get_signal(name: str) -> SignalSpec:
    """The :class:`SignalSpec` registered as ``name`` (``ConfigError`` if unknown)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown signal {name!r}; known signals: {', '.join(_REGISTRY)} (see `aimonitor signals list`)"
        ) from None


def signal_catalog() -> list[tuple[str, str, str]]:
    """``(name, unit, doc)`` of every registered signal, for ``aimonitor signals list``."""
    return [(s.name, s.unit, s.doc) for s in _REGISTRY.values()]


# ----------------------------------------------------------------------------- helpers


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.Series([], dtype=object),
            "symbol": pd.Series([], dtype=object),
            "signal": pd.Series([], dtype=object),
            "value": pd.Series([], dtype=float),
        }
    )


def to_long(wide: pd.DataFrame, name: str) -> pd.DataFrame:
    """Wide (dates x symbols) → long ``date, symbol, signal, value`` without NaN/inf rows.

    The helper a new signal function uses to return its result.

    Parameters
    ----------
    wide : DataFrame
        Values indexed by session dates, one column per symbol.
    name : str
        The signal name written in the ``signal`` column.

    Returns
    -------
    DataFrame
        Long frame ordered by date then column order; ``date`` holds ``datetime.date``.
    """
    if wide.empty:
        return _empty()
    values = wide.to_numpy(dtype=float)
    rows, cols = np.nonzero(np.isfinite(values))
    if len(rows) == 0:
        return _empty()
    dates = np.asarray(pd.DatetimeIndex(wide.index).date, dtype=object)
    symbols = np.asarray([str(c) for c in wide.columns], dtype=object)
    out = pd.DataFrame(
        {
            "date": dates[rows],
            "symbol": symbols[cols],
            "signal": np.full(len(rows), name, dtype=object),
            "value": values[rows, cols],
        }
    )
    # np.nonzero walks row-major, so rows are already sorted by date then column order.
    return out


def _register_wide(
    name: str, *, unit: str, doc: str, wide: Callable[[SignalInputs], pd.DataFrame | None], details: str = ""
) -> None:
    """Register ``wide`` (see :func:`register_wide`): the table-driven form for the signals
    that differ only in the frame they compute (None when an input is absent)."""

    def compute(inputs: SignalInputs) -> pd.DataFrame | None:
        return wide(inputs)

    compute.__name__ = compute.__qualname__ = f"compute_{name}"
    compute.__doc__ = f"{doc}.\n\n{details}".strip()
    register_wide(name, unit=unit, doc=doc)(compute)


class _ColumnWindows(BaseIndexer):
    """Trailing windows of ``window_size`` rows over a frame flattened column after column
    (``rows`` per column), never reaching into the column before: the bounds pandas' fixed
    window gives each column, shifted to where that column lies in the flat array."""

    def get_window_bounds(
        self,
        num_values: int = 0,
        min_periods: int | None = None,
        center: bool | None = None,
        closed: str | None = None,
        step: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        rows = int(self.rows)  # set by BaseIndexer's keyword arguments
        i = np.arange(num_values, dtype=np.int64)
        end = i + 1
        start = np.maximum(end - self.window_size, (i // rows) * rows)
        return start, end


def rolling_stat(x: pd.DataFrame, window: int, min_periods: int, stat: str) -> pd.DataFrame:
    """``getattr(x.rolling(window, min_periods=min_periods), stat)()`` (``std``: ddof=1) of a
    float frame, bit for bit, in one pass of pandas' own window kernel over all columns.

    pandas runs its kernel column by column (a Python round trip per column, most of the
    cost for hundreds of names over a few hundred sessions). Here the columns are laid end
    to end and every window is bounded by its own column (:class:`_ColumnWindows`): the
    kernel starts afresh at each column exactly as it does on a column alone (a window
    that shares no row with the previous one resets its running sums), so every value is
    what the per-column call gives.
    """
    if stat not in ("sum", "mean", "std", "max") or not _float_frame(x):
        roll = x.rolling(window, min_periods=min_periods)
        return roll.std(ddof=1) if stat == "std" else getattr(roll, stat)()
    return pd.DataFrame(
        _rolling_array(x.to_numpy(dtype=float), window, min_periods, stat), index=x.index, columns=x.columns
    )


def _rolling_array(vals: np.ndarray, window: int, min_periods: int, stat: str) -> np.ndarray:
    """:func:`rolling_stat` of a non-empty 2-d float array (rows are sessions), as an array."""
    t, n = vals.shape
    flat = pd.Series(np.ascontiguousarray(vals.T).reshape(-1))
    roll = flat.rolling(_ColumnWindows(window_size=window, rows=t), min_periods=min_periods)
    out = roll.std(ddof=1) if stat == "std" else getattr(roll, stat)()
    return out.to_numpy().reshape(n, t).T


def _float_frame(x: pd.DataFrame) -> bool:
    """A non-empty frame of float64 columns only: what the numpy paths here compute on."""
    return not x.empty and all(t == np.float64 for t in x.dtypes)


def _where(frame: pd.DataFrame, cond: np.ndarray, other: float = np.nan) -> pd.DataFrame:
    """``frame.where(cond, other)`` of a float64 frame, computed in numpy (the same values,
    index and columns, without pandas' alignment of a condition frame)."""
    return pd.DataFrame(np.where(cond, frame.to_numpy(dtype=float), other), index=frame.index, columns=frame.columns)


def _rolling_z(x: pd.DataFrame, window: int, min_obs: int) -> pd.DataFrame:
    """``(x_t - mean) / std`` over the trailing ``window`` rows ending at ``t`` (ddof=1)."""
    mean = rolling_stat(x, window, min_obs, "mean")
    std = rolling_stat(x, window, min_obs, "std")
    if not _float_frame(x):
        return (x - mean) / std.where(std > 0)
    sd = std.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):  # as pandas' arithmetic
        z = (x.to_numpy() - mean.to_numpy()) / np.where(sd > 0, sd, np.nan)
    return pd.DataFrame(z, index=x.index, columns=x.columns)


def _to_wide(frame: pd.DataFrame, key: str, what: str) -> pd.DataFrame:
    """Accept a wide frame (DatetimeIndex) or a long ``date, <key>, value`` frame."""
    if {"date", key, "value"}.issubset(frame.columns):
        wide = frame.pivot_table(index="date", columns=key, values="value", aggfunc="last")
    else:
        wide = frame
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(wide.index))
    except (TypeError, ValueError) as exc:
        raise DataError(f"signal inputs: {what} index is not dates; pass a wide frame indexed by date") from exc
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    wide = wide.copy()
    wide.index = idx.normalize()
    wide = wide[~wide.index.duplicated(keep="last")].sort_index()
    wide.columns = [str(c) for c in wide.columns]
    if all(t.kind == "f" for t in wide.dtypes):  # already numbers: to_numeric keeps every value
        return wide.astype(float)
    return wide.apply(pd.to_numeric, errors="coerce").astype(float)


def _spread_proxy(inputs: SignalInputs) -> pd.DataFrame | None:
    if inputs.spread_proxy is None:
        return None

    def make() -> pd.DataFrame:
        wide = _to_wide(inputs.spread_proxy, "symbol", "spread_proxy")
        return wide.reindex(inputs.session_index)

    return inputs._memo("spread_proxy", make)


def _z_1y(f: pd.DataFrame) -> pd.DataFrame:
    return _rolling_z(f, Z_WINDOW, Z_MIN_OBS)


def _spread_transformed(
    inputs: SignalInputs, name: str, transform: Callable[[pd.DataFrame], pd.DataFrame]
) -> pd.DataFrame | None:
    """``transform`` of the spread proxy under the current calibration, computed once per
    signal ``name`` (``loop_stress_index`` reads ``spread_z_1y``'s)."""
    base = _spread_proxy(inputs)
    return None if base is None else inputs._memo(f"spread:{name}", lambda: transform(base))


def _spread_point_in_time(
    inputs: SignalInputs, name: str, transform: Callable[[pd.DataFrame], pd.DataFrame]
) -> pd.DataFrame | None:
    """``transform`` of the spread proxy, each session read from the calibration in force on it.

    ``transform`` maps a wide proxy history (sessions x symbols) to a wide signal on the same
    sessions (a level, a change, a z-score). It is applied to the history under each
    calibration of :attr:`SignalInputs.spread_recalibrations` and the results are spliced:
    session ``t`` takes the row of the calibration in force on ``t``. Without
    recalibrations this is ``transform(spread_proxy)``.
    """
    out = _spread_transformed(inputs, name, transform)
    if out is None:
        return None
    if not inputs.spread_recalibrations:
        return out
    idx = inputs.session_index
    cols = list(
        dict.fromkeys(
            [
                *out.columns,
                *(
                    str(c)
                    for _, f in inputs.spread_recalibrations
                    for c in _to_wide(f, "symbol", "spread_proxy").columns
                ),
            ]
        )
    )
    out = out.reindex(columns=cols)
    starts = [d for d, _ in inputs.spread_recalibrations] + [pd.Timestamp.max]
    for (first, frame), nxt in zip(inputs.spread_recalibrations, starts[1:]):
        rows = (idx >= first) & (idx < nxt)
        if not rows.any():
            continue
        part = transform(_to_wide(frame, "symbol", "spread_proxy").reindex(idx)).reindex(columns=cols)
        out.loc[rows] = part.loc[rows].to_numpy()
    return out


def _last_on_sessions(wide: pd.DataFrame, sessions: pd.DatetimeIndex, max_lag: int) -> pd.DataFrame:
    """Each session takes the last observation dated on or before it, if at most ``max_lag``
    sessions old (observations on non-session days count from the session before them)."""
    if not wide.columns.is_unique:  # a label naming several columns: set column by column
        out = pd.DataFrame(index=sessions, columns=wide.columns, dtype=float)
        for col, vals in _last_values(wide, sessions, max_lag):
            out[col] = vals
        return out
    # framed once (the same values as an empty frame filled column by column)
    columns = dict(_last_values(wide, sessions, max_lag))
    return pd.DataFrame(
        {c: columns[c] if c in columns else np.full(len(sessions), np.nan) for c in wide.columns},
        index=sessions,
        columns=wide.columns,
    )


def _last_values(wide: pd.DataFrame, sessions: pd.DatetimeIndex, max_lag: int) -> Iterator[tuple[object, np.ndarray]]:
    """:func:`_last_on_sessions`' values of each column with an observation."""
    s_pos = np.arange(len(sessions))
    for col in wide.columns:
        obs = wide[col].dropna()
        if obs.empty:
            continue
        k = obs.index.searchsorted(sessions, side="right") - 1
        ok = k >= 0
        vals = np.full(len(sessions), np.nan)
        vals[ok] = obs.to_numpy()[k[ok]]
        obs_sess_pos = sessions.searchsorted(obs.index, side="right") - 1
        age = np.full(len(sessions), np.inf)
        age[ok] = s_pos[ok] - obs_sess_pos[k[ok]]
        vals[age > max_lag] = np.nan
        yield col, vals


def _usable_from(wide: pd.DataFrame, sessions: pd.DatetimeIndex, lag: int) -> pd.DataFrame:
    """Re-date observations to the session from which they are usable (``lag`` sessions
    after the session on or before their date); the last one wins when several land on one
    session; observations not usable within ``sessions`` are dropped."""
    if lag == 0 or wide.empty or len(sessions) == 0:
        return wide
    pos = sessions.searchsorted(wide.index, side="right") - 1 + lag
    keep = (pos >= 0) & (pos < len(sessions))
    out = wide[keep].copy()
    out.index = sessions[pos[keep]]
    return out.groupby(level=0).last()


def _fred_on_sessions(inputs: SignalInputs) -> pd.DataFrame | None:
    """FRED OAS (bp) aligned to sessions: the last observation usable on each session
    (dated ``fred_lag_sessions`` sessions or more before it), carried for at most
    :data:`FRED_MAX_LAG_SESSIONS` sessions after it became usable."""
    if inputs.fred_oas is None:
        return None

    def make() -> pd.DataFrame:
        wide = _to_wide(inputs.fred_oas, "series", "fred_oas")
        # the finite values (what stack().dropna() lists; the median does not depend on their order)
        finite = wide.to_numpy(dtype=float).ravel() if not wide.empty else np.empty(0)
        finite = finite[~np.isnan(finite)]
        if len(finite) and float(np.nanmedian(np.abs(finite))) < 20.0:
            warnings.warn(
                "signal inputs: fred_oas values look like percent (median < 20); "
                "FRED OAS must be converted to basis points (x100) at the source",
                DataWarning,
                stacklevel=4,
            )
        usable = _usable_from(wide, inputs.session_index, int(inputs.fred_lag_sessions))
        return _last_on_sessions(usable, inputs.session_index, FRED_MAX_LAG_SESSIONS)

    return inputs._memo("fred", make)


# ----------------------------------------------------------------------------- signals


@register_wide("ret_1d", unit="fraction", doc="simple return over 1 session, from adjusted closes")
def compute_ret_1d(inputs: SignalInputs) -> pd.DataFrame | None:
    """Simple 1-session return :math:`P_t / P_{t-1} - 1` on adjusted closes.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``closes``.

    Returns
    -------
    DataFrame
        Wide frame (sessions x symbols).
    """
    return inputs.simple_returns


@register_wide("ret_5d", unit="fraction", doc="simple return over 5 sessions, from adjusted closes")
def compute_ret_5d(inputs: SignalInputs) -> pd.DataFrame | None:
    """Simple 5-session return :math:`P_t / P_{t-5} - 1` on adjusted closes.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``closes``.

    Returns
    -------
    DataFrame
        Wide frame (sessions x symbols).
    """
    c = inputs.aligned_closes
    return c / c.shift(5) - 1.0


@register_wide(
    "drawdown_52w",
    unit="fraction",
    doc="close / max close of the trailing 252 sessions - 1 (<= 0)",
)
def compute_drawdown_52w(inputs: SignalInputs) -> pd.DataFrame | None:
    """Drawdown from the trailing 52-week high: :math:`P_t / \\max_{t-251..t} P - 1`.

    The window holds the 252 sessions ending at ``t`` (fewer at the start of a
    symbol's history: the maximum since its first bar).

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``closes``.

    Returns
    -------
    DataFrame
        Wide frame (sessions x symbols); values are <= 0.
    """
    c = inputs.aligned_closes
    peak = rolling_stat(c, DRAWDOWN_WINDOW, 1, "max")
    return c / peak - 1.0


def _vol_20d(inputs: SignalInputs) -> pd.DataFrame:
    return inputs._memo(
        "vol_20d",
        lambda: rolling_stat(inputs.log_returns, VOL_WINDOW, VOL_WINDOW, "std") * np.sqrt(ANNUALISATION),
    )


@register_wide(
    "vol_20d",
    unit="fraction/yr",
    doc="annualised realised volatility of 20 session log returns (sd ddof=1 x sqrt(252))",
)
def compute_vol_20d(inputs: SignalInputs) -> pd.DataFrame | None:
    """Annualised 20-session realised volatility of log returns.

    :math:`\\sqrt{252}\\,\\mathrm{sd}(\\ln P_s/P_{s-1},\\ s=t-19..t)` with ``ddof=1``;
    all 20 returns must be present.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``closes``.

    Returns
    -------
    DataFrame
        Wide frame (sessions x symbols); fractions per year (0.40 = 40 %).
    """
    return _vol_20d(inputs)


@register_wide(
    "vol_20d_z",
    unit="z",
    doc="z-score of vol_20d vs its trailing 252-session mean/sd (>= 120 obs)",
)
def compute_vol_20d_z(inputs: SignalInputs) -> pd.DataFrame | None:
    """z-score of ``vol_20d`` against its own trailing distribution.

    Mean and standard deviation (``ddof=1``) of ``vol_20d`` over the 252 sessions ending
    at ``t`` (``t`` included); at least 120 observations are required, else no value.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``closes``.

    Returns
    -------
    DataFrame
        Wide frame (sessions x symbols) of z-scores.
    """
    return _rolling_z(_vol_20d(inputs), Z_WINDOW, Z_MIN_OBS)


@register_wide(
    "sar_1d",
    unit="z",
    doc="standardised abnormal return vs the market (rolling OLS market model on the "
    "previous 250 sessions, >= 60 obs; AR / residual sd with L-2 dof)",
)
def compute_sar_1d(inputs: SignalInputs) -> pd.DataFrame | None:
    """Standardised abnormal return of the day from a rolling market model.

    For symbol ``i`` on session ``t``: OLS of :math:`r_i` on :math:`r_m` (simple returns)
    over the sessions ``t-250 .. t-1`` where both returns exist (at least 60), giving
    :math:`\\hat\\alpha, \\hat\\beta` and the residual sd :math:`s` with ``L - 2``
    degrees of freedom. Then :math:`AR_t = r_{i,t} - \\hat\\alpha - \\hat\\beta r_{m,t}`
    and ``SAR = AR / s``. Vectorised with rolling sums (no per-date fits).

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``closes`` and ``market``. The market column gets no value.

    Returns
    -------
    DataFrame
        Wide frame (sessions x symbols) of SARs.
    """
    r = inputs.simple_returns
    if inputs.market not in r.columns:
        log.warning("sar_1d: market benchmark %s is not among the closes; no SAR computed", inputs.market)
        return None
    rm = r[inputs.market]
    y = r.drop(columns=[inputs.market])
    if y.empty:
        return None
    # in numpy: the frames' arithmetic, where and shift give these values (all float64)
    xa = np.repeat(rm.to_numpy(dtype=float)[:, None], y.shape[1], axis=1)
    ya = y.to_numpy(dtype=float)
    valid = ~np.isnan(ya) & ~np.isnan(xa)
    xv = np.where(valid, xa, 0.0)
    yv = np.where(valid, ya, 0.0)

    def rsum(f: np.ndarray) -> np.ndarray:
        # window of the previous MM_ESTIMATION sessions, ending the day before t
        out = np.full(f.shape, np.nan)
        if len(f):
            out[1:] = _rolling_array(f, MM_ESTIMATION, 1, "sum")[:-1]
        return out

    n = rsum(valid.astype(float))
    sx, sy = rsum(xv), rsum(yv)
    sxx, syy, sxy = rsum(xv * xv), rsum(yv * yv), rsum(xv * yv)
    with np.errstate(divide="ignore", invalid="ignore"):
        mx, my = sx / n, sy / n
        cxx = sxx - n * mx * mx
        cxy = sxy - n * mx * my
        cyy = syy - n * my * my
        beta = cxy / cxx
        alpha = my - beta * mx
        ssr = np.maximum(cyy - beta * cxy, 0.0)
        s = np.sqrt(ssr / (n - 2))
        ar = ya - alpha - beta * xa
        sar = ar / s
    bad = ~(n >= MM_MIN_OBS) | ~(cxx > 0) | ~(s > 0)
    sar[bad] = np.nan
    return pd.DataFrame(sar, index=y.index, columns=y.columns)


@register_wide(
    "corr_60d",
    unit="correlation",
    doc=f"symbol {LOOP_SYMBOL}: average pairwise correlation of the watchlist's daily returns "
    "over the trailing 60 sessions (symbols with >= 40 returns in the window)",
)
def compute_corr_60d(inputs: SignalInputs) -> pd.DataFrame | None:
    """Average pairwise correlation of the watchlist's daily returns (symbol ``LOOP``).

    On session ``t``, the window is the 60 sessions ending at ``t``. A watchlist symbol
    takes part if it has at least 40 returns in the window; each pair's Pearson
    correlation uses the sessions where both returns exist. The value is the mean over
    the pairs of taking-part symbols (at least two symbols are needed).

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``closes`` and ``watchlist``.

    Returns
    -------
    DataFrame
        Wide frame with the one column ``LOOP``.
    """
    r = inputs.simple_returns
    syms = [s for s in dict.fromkeys(inputs.watchlist) if s in r.columns]
    if len(syms) < 2:
        return None
    avg = _average_pairwise(r[syms], partial_on=None, first=_first_emitted(inputs))
    return pd.DataFrame({LOOP_SYMBOL: avg}, index=r.index)


#: The spread-proxy signals: name, unit, doc and the transform of one calibration's proxy
#: history. Each session reads the transform under the calibration in force on it
#: (:func:`_spread_point_in_time`), so the 20-session change never contains a
#: recalibration step (a CDS quote import alone cannot make it jump, whether the sessions
#: are derived one by one or many at once) and the z-score window is one calibration's.
#: No rows without ``spread_proxy``.
_SPREAD_SIGNALS: list[tuple[str, str, str, Callable[[pd.DataFrame], pd.DataFrame]]] = [
    ("spread_proxy_bp", "bp", "equity-implied credit spread proxy (from the credit model)", lambda f: f),
    ("spread_change_20d_bp", "bp", "change of spread_proxy_bp over 20 sessions", lambda f: f - f.shift(CHANGE_WINDOW)),
    (
        "spread_z_1y",
        "z",
        "z-score of spread_proxy_bp vs its trailing 252-session mean/sd (>= 120 obs)",
        _z_1y,
    ),
]
for _name, _unit, _doc, _transform in _SPREAD_SIGNALS:
    _register_wide(
        _name,
        unit=_unit,
        doc=_doc,
        wide=functools.partial(_spread_point_in_time, name=_name, transform=_transform),
        details="Each session under the calibration in force on it (spread_recalibrations).",
    )


def _fred_change(inputs: SignalInputs) -> pd.DataFrame | None:
    f = _fred_on_sessions(inputs)
    return None if f is None else f - f.shift(CHANGE_WINDOW)


#: FRED OAS aligned to sessions (symbol = series id), in basis points: an observation dated
#: ``d`` is usable from the ``fred_lag_sessions``-th session after ``d`` (publication lag,
#: :class:`SignalInputs`); each session takes the last usable observation if it became
#: usable at most :data:`FRED_MAX_LAG_SESSIONS` sessions before. No rows without ``fred_oas``.
_register_wide(
    "fred_oas_bp",
    unit="bp",
    doc="FRED ICE BofA OAS (symbol = series id), last observation usable on the session (publication lag)",
    wide=_fred_on_sessions,
)
_register_wide(
    "fred_oas_change_20d_bp",
    unit="bp",
    doc="change of fred_oas_bp over 20 sessions (series aligned to sessions)",
    wide=_fred_change,
)


#: Sessions an imported CDS quote stays current (quotes are sparse; a week is still "the" level).
QUOTE_MAX_LAG_SESSIONS = 5


@register_wide(
    "cds_quote_bp",
    unit="bp",
    doc="imported CDS quote (symbol = entity), last quote on or before the session, at most 5 sessions old",
)
def compute_cds_quote_bp(inputs: SignalInputs) -> pd.DataFrame | None:
    """Imported market CDS quotes aligned to sessions, so rules can use them.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``cds_quotes`` (bp); no rows when it is absent.

    Returns
    -------
    DataFrame
        Wide frame (sessions x symbols) in basis points.
    """
    if inputs.cds_quotes is None or len(inputs.cds_quotes) == 0:
        return None
    wide = _to_wide(inputs.cds_quotes, "entity", "cds_quotes")
    return _last_on_sessions(wide, inputs.session_index, QUOTE_MAX_LAG_SESSIONS)


@register_wide(
    "staleness_sessions",
    unit="sessions",
    doc="sessions since the symbol's last bar (0 = has a bar on that session)",
)
def compute_staleness_sessions(inputs: SignalInputs) -> pd.DataFrame | None:
    """Number of sessions between a symbol's latest bar and each session.

    On session ``t``: the count of sessions in ``(last_bar_on_or_before_t, t]``, so 0
    when the symbol has a bar on ``t``. Bar dates are the non-missing dates of
    ``closes`` plus ``last_bar[symbol]``. The last row (the ``as_of`` session, i.e. the
    last of ``sessions``) is what status and staleness rules read. Symbols with no bar
    on or before ``t`` get no value.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``closes``, ``sessions`` and ``last_bar``.

    Returns
    -------
    DataFrame
        Wide frame (sessions x symbols); values are whole numbers of sessions.
    """
    sessions = inputs.session_index
    c = inputs.aligned_closes
    last_bar = {str(k): pd.Timestamp(v).normalize() for k, v in (inputs.last_bar or {}).items()}
    symbols = list(dict.fromkeys([*c.columns, *last_bar]))
    n = len(sessions)
    has = np.zeros((n, len(symbols)), dtype=bool)
    has[:, : len(c.columns)] = c.notna().to_numpy()  # the closes' columns come first in ``symbols``
    for j, sym in enumerate(symbols):
        if sym in last_bar:
            # position of the session on or before the last bar date
            k = int(sessions.searchsorted(last_bar[sym], side="right")) - 1
            if k >= 0:
                has[k, j] = True
    # the position of the latest bar on or before each session (-1: none yet)
    latest = np.maximum.accumulate(np.where(has, np.arange(n)[:, None], -1), axis=0) if n else has.astype(int)
    pos = np.arange(n, dtype=float)[:, None]
    out = np.where(latest >= 0, pos - latest.astype(float), np.nan)
    return pd.DataFrame(out, index=sessions, columns=symbols)


# ----------------------------------------------------------------------------- driver


def _as_ts(value: dt.date | str | pd.Timestamp | None, what: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value).normalize()
    except (TypeError, ValueError) as exc:
        raise DataError(f"compute_signals: {what}={value!r} is not an ISO date (YYYY-MM-DD)") from exc


def compute_signals(
    inputs: SignalInputs,
    names: Iterable[str] | None = None,
    start: dt.date | str | pd.Timestamp | None = None,
    end: dt.date | str | pd.Timestamp | None = None,
    *,
    categorical: bool = False,
) -> pd.DataFrame:
    """Compute registered signals and keep the rows dated within ``[start, end]``.

    Give ``inputs`` enough history before ``start`` for the rolling windows (about 252
    sessions for the z-scores and drawdown, 251 for ``sar_1d``); values dated in
    ``[start, end]`` are then identical to a full-history computation.

    Parameters
    ----------
    inputs : SignalInputs
        The input bundle.
    names : iterable of str, optional
        Signal names to compute (default: all registered). Unknown names raise
        :class:`~aimonitor.errors.ConfigError`.
    start, end : date or ISO str, optional
        Inclusive date bounds of the output.
    categorical : bool, default False
        ``date``, ``symbol`` and ``signal`` as pandas categoricals (the same values; a store
        writes millions of rows without hashing a Python object per row). Only when every
        signal asked for is registered wide.

    Returns
    -------
    DataFrame
        Long frame ``date, symbol, signal, value`` sorted by date, signal, symbol.
    """
    specs = [get_signal(n) for n in (names if names is not None else signal_names())]
    lo, hi = _as_ts(start, "start"), _as_ts(end, "end")
    inputs._cache[_EMIT_FROM] = lo
    try:
        return _compute(inputs, specs, lo, hi, categorical)
    finally:
        del inputs._cache[_EMIT_FROM]


#: Cache key of the first date :func:`compute_signals` keeps (None: all), read by the signals
#: whose every row depends on its own window only, so they skip the rows that are dropped.
_EMIT_FROM = "__emit_from__"


def _first_emitted(inputs: SignalInputs) -> int:
    """Row of :attr:`SignalInputs.session_index` from which :func:`compute_signals` keeps values
    (0 outside it, or when it keeps every date)."""
    lo = inputs._cache.get(_EMIT_FROM)
    return 0 if lo is None else int(inputs.session_index.searchsorted(lo, side="left"))


def _compute(
    inputs: SignalInputs,
    specs: Sequence[SignalSpec],
    lo: pd.Timestamp | None,
    hi: pd.Timestamp | None,
    categorical: bool = False,
) -> pd.DataFrame:
    if all(spec.wide is not None for spec in specs):
        out = _assemble_wide(inputs, specs, lo, hi, categorical)
        log.debug("computed %d signal values (%d signals)", len(out), len(specs))
        return out
    frames = []
    for spec in specs:
        df = spec.func(inputs)
        if df is None or df.empty:
            log.debug("signal %s: no values", spec.name)
            continue
        frames.append(df)
    if not frames:
        return _empty()
    out = _sorted_within(pd.concat(frames, ignore_index=True), lo, hi)
    log.debug("computed %d signal values (%d signals)", len(out), len(specs))
    return out


def _assemble_wide(
    inputs: SignalInputs,
    specs: Sequence[SignalSpec],
    lo: pd.Timestamp | None,
    hi: pd.Timestamp | None,
    categorical: bool = False,
) -> pd.DataFrame:
    """The long frame of signals registered wide, built once from their wide frames.

    What concatenating ``to_long`` of each and ``sort_values(["date", "signal", "symbol"],
    kind="stable")`` gives, without a long frame per signal or sorting Python objects: each
    value's sort key is computed from the ranks of its date, signal and symbol (integers),
    and the long columns are taken from the few distinct dates, signals and symbols.
    """
    parts = []
    for spec in specs:
        wide = spec.wide(inputs) if spec.wide is not None else None
        if wide is None or wide.empty:
            log.debug("signal %s: no values", spec.name)
            continue
        values = wide.to_numpy(dtype=float)
        rows, cols = np.nonzero(np.isfinite(values))
        if len(rows) == 0:
            log.debug("signal %s: no values", spec.name)
            continue
        days = pd.DatetimeIndex(wide.index).to_numpy().astype("datetime64[D]")
        syms = np.asarray([str(c) for c in wide.columns], dtype=object)
        parts.append((spec.name, days, syms, rows, cols, values[rows, cols]))
    if not parts:
        return _empty()
    all_days = np.unique(np.concatenate([p[1] for p in parts]))
    all_syms = np.unique(np.concatenate([p[2] for p in parts]))
    all_names = np.array(sorted(p[0] for p in parts), dtype=object)
    keep_day = np.ones(len(all_days), dtype=bool)
    if lo is not None:
        keep_day &= all_days >= np.datetime64(lo.date(), "D")
    if hi is not None:
        keep_day &= all_days <= np.datetime64(hi.date(), "D")
    n_g, n_s = len(all_names), len(all_syms)
    keys, vals = [], []
    for name, days, syms, rows, cols, v in parts:
        d = np.searchsorted(all_days, days)[rows]
        k = (d * n_g + int(np.searchsorted(all_names, name))) * n_s + np.searchsorted(all_syms, syms)[cols]
        keep = keep_day[d]
        keys.append(k[keep])
        vals.append(v[keep])
    key = np.concatenate(keys)
    order = np.argsort(key, kind="stable")
    key = key[order]
    value = np.concatenate(vals)[order]
    del order
    day_objs = all_days.astype(object)  # datetime.date, as DatetimeIndex.date gives
    if categorical:
        return pd.DataFrame(
            {
                "date": pd.Categorical.from_codes(key // (n_g * n_s), categories=pd.Index(day_objs, dtype=object)),
                "symbol": pd.Categorical.from_codes(key % n_s, categories=pd.Index(all_syms, dtype=object)),
                "signal": pd.Categorical.from_codes((key // n_s) % n_g, categories=pd.Index(all_names, dtype=object)),
                "value": value,
            }
        )
    return pd.DataFrame(
        {
            "date": day_objs[key // (n_g * n_s)],
            "symbol": all_syms[key % n_s],
            "signal": all_names[(key // n_s) % n_g],
            "value": value,
        }
    )


def _ranks(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the rank of its value among the column's distinct values (in sort order),
    and the distinct values in that order. Hashing a column once is much cheaper than
    sorting millions of Python objects."""
    codes, uniques = pd.factorize(values, sort=False)
    order = np.argsort(np.asarray(uniques, dtype=object), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[codes], np.asarray(uniques, dtype=object)[order]


def _sorted_within(out: pd.DataFrame, lo: pd.Timestamp | None, hi: pd.Timestamp | None) -> pd.DataFrame:
    """Rows dated within ``[lo, hi]``, stably sorted by date, signal, symbol (what
    ``sort_values(kind="stable")`` gives), through integer ranks of each column."""
    d_rank, d_vals = _ranks(out["date"])
    g_rank, g_vals = _ranks(out["signal"])
    s_rank, s_vals = _ranks(out["symbol"])
    keep = None
    if lo is not None or hi is not None:
        days = pd.to_datetime(pd.Series(d_vals))
        ok = np.ones(len(d_vals), dtype=bool)
        if lo is not None:
            ok &= (days >= lo).to_numpy()
        if hi is not None:
            ok &= (days <= hi).to_numpy()
        keep = ok[d_rank]
    key = (d_rank * len(g_vals) + g_rank) * len(s_vals) + s_rank
    if keep is not None:
        rows = np.flatnonzero(keep)
        order = rows[np.argsort(key[rows], kind="stable")]
    else:
        order = np.argsort(key, kind="stable")
    return pd.DataFrame({c: out[c].to_numpy()[order] for c in COLUMNS})


# ----------------------------------------------------------------------------- loop-level signals

#: Pseudo-symbol of the placebo basket's signals.
PLACEBO_SYMBOL = "PLACEBO"


def _window_counts(present: np.ndarray, window: int) -> np.ndarray:
    """Number of ``True`` rows in the ``window`` rows ending at each row (fewer at the start)."""
    c = np.cumsum(present, axis=0, dtype=np.int64)
    out = c.copy()
    out[window:] = c[window:] - c[:-window]
    return out


def _pairwise_rho(xa: np.ndarray, ma: np.ndarray, xb: np.ndarray, mb: np.ndarray) -> np.ndarray:
    """Pairwise-complete Pearson correlations of every column of ``xa`` with every column of
    ``xb`` (zeros where missing; ``ma``/``mb`` the presence as float): shape ``(A, B)``, NaN
    where fewer than 3 sessions are shared or a variance is zero."""
    n = ma.T @ mb
    sa = xa.T @ mb  # sum of a over the sessions where b is present too
    sb = ma.T @ xb
    saa = (xa * xa).T @ mb
    sbb = ma.T @ (xb * xb)
    sab = xa.T @ xb
    with np.errstate(divide="ignore", invalid="ignore"):
        ma_, mb_ = sa / n, sb / n
        caa = saa - n * ma_ * ma_
        cbb = sbb - n * mb_ * mb_
        cab = sab - n * ma_ * mb_
        rho = cab / np.sqrt(caa * cbb)
    rho[~np.isfinite(rho) | (n < 3)] = np.nan
    return np.clip(rho, -1.0, 1.0)


#: A column whose centred sum of squares is below this fraction of its raw sum of squares
#: is constant in the window (its correlations are undefined).
_FLAT = 1e-20


def _unit_columns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centred columns scaled to unit length, and which columns are not constant."""
    xc = x - x.mean(axis=0)
    css = (xc * xc).sum(axis=0)
    valid = css > _FLAT * (x * x).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = xc[:, valid] / np.sqrt(css[valid])
    return u, valid


def _pair_sum(u: np.ndarray) -> float:
    """Sum over column pairs ``i < j`` of ``u_i . u_j`` for unit columns ``u``."""
    s = u.sum(axis=1)
    return float((s @ s - (u * u).sum()) / 2.0)


#: Up to this many columns (names, plus the market for the partial form) the average
#: correlation is computed pair by pair from running sums, bit for bit what the pre-#14
#: code stored; wider baskets take the O(W N) path of :func:`_average_pairwise` (equal to
#: about 1e-15: the same sums in another order).
EXACT_MAX_COLUMNS = 64
#: Sessions per block of the pair-by-pair path (bounds its memory to a few blocks of pairs).
_EXACT_BLOCK = 256


def _average_pairwise_exact(r: pd.DataFrame, partial_on: pd.Series | None) -> np.ndarray:
    """The average (partial) correlation exactly as the pre-#14 matrix code computed it.

    Window sums are the differences of running (cumulative) sums over the whole history,
    taken pair by pair for every session, and the mean over pairs is the same row sum, so
    every value is bit for bit what was stored before; the sessions are taken in blocks, so
    memory is ``O(block x N^2)`` rather than ``O(T x N^2)``. Cost ``O(T N^2)``: only for
    baskets of at most :data:`EXACT_MAX_COLUMNS` columns.
    """
    frame = r if partial_on is None else pd.concat([r, partial_on.rename("__mkt__")], axis=1)
    x = frame.to_numpy(dtype=float)
    m = np.isfinite(x).astype(float)
    x = np.where(m > 0, x, 0.0)
    big_t, kk = x.shape
    k = len(r.columns)
    counts = frame.notna().astype(float).rolling(CORR_WINDOW, min_periods=1).sum().to_numpy()
    ok_all = counts >= CORR_MIN_OBS
    iu, ju = np.triu_indices(k, 1)
    out = np.full(big_t, np.nan)
    w = CORR_WINDOW
    carry = [np.zeros((kk, kk)) for _ in range(4)]  # running sums through the previous session
    hist = [np.zeros((0, kk, kk)) for _ in range(4)]  # running sums of the last ``w`` sessions
    for t0 in range(0, big_t, _EXACT_BLOCK):
        t1 = min(big_t, t0 + _EXACT_BLOCK)
        xb, mb = x[t0:t1], m[t0:t1]
        terms = (
            mb[:, :, None] * mb[:, None, :],
            xb[:, :, None] * mb[:, None, :],
            (xb * xb)[:, :, None] * mb[:, None, :],
            xb[:, :, None] * xb[:, None, :],
        )
        sums = []
        for q, a in enumerate(terms):
            a[0] += carry[q]  # the running sum continues: ((c + a0) + a1) + ..., as one cumsum
            c = np.cumsum(a, axis=0)
            ext = np.concatenate([hist[q], c])  # running sums from session t0 - len(hist)
            lag = len(hist[q])
            ws = c.copy()
            i = np.flatnonzero(t0 + np.arange(len(c)) - w >= 0)  # the window starts after session t0 + i - w
            ws[i] = c[i] - ext[lag + i - w]
            sums.append(ws)
            carry[q] = c[-1].copy()
            hist[q] = ext[-w:].copy()
        n, sa, saa, sab = sums
        with np.errstate(divide="ignore", invalid="ignore"):
            ma = sa / n
            mbb = np.swapaxes(sa, 1, 2) / n
            caa = saa - n * ma * ma
            cbb = np.swapaxes(saa, 1, 2) - n * mbb * mbb
            cab = sab - n * ma * mbb
            rho = cab / np.sqrt(caa * cbb)
        rho[~np.isfinite(rho) | (n < 3)] = np.nan
        rho = np.clip(rho, -1.0, 1.0)
        ok = ok_all[t0:t1]
        if partial_on is not None:
            rim = rho[:, :k, k]
            with np.errstate(divide="ignore", invalid="ignore"):
                num = rho[:, :k, :k] - rim[:, :, None] * rim[:, None, :]
                den = np.sqrt((1.0 - rim**2)[:, :, None] * (1.0 - rim**2)[:, None, :])
                pair = num / den
            pair[~(den > 0)] = np.nan
            ok = ok[:, :k] & ok[:, k : k + 1]
            pair = np.clip(pair, -1.0, 1.0)
        else:
            pair = rho
        vals = pair[:, iu, ju]
        use = ok[:, iu] & ok[:, ju] & np.isfinite(vals)
        npairs = use.sum(axis=1)
        total = np.where(use, vals, 0.0).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[t0:t1] = np.where(npairs > 0, total / np.where(npairs > 0, npairs, 1), np.nan)
    return out


def _average_pairwise(r: pd.DataFrame, partial_on: pd.Series | None, first: int = 0) -> np.ndarray:
    """Mean over pairs of the rolling (partial) correlations of ``r``'s columns.

    A column takes part on ``t`` if it has at least :data:`CORR_MIN_OBS` returns in the
    :data:`CORR_WINDOW` sessions ending at ``t``; each pair's Pearson correlation uses the
    sessions of the window where both returns exist. With ``partial_on`` (the market's
    returns) each pair's correlation is the partial correlation given the market,
    :math:`(\\rho_{ij} - \\rho_{im}\\rho_{jm}) / \\sqrt{(1-\\rho_{im}^2)(1-\\rho_{jm}^2)}`
    (the market must take part too), which equals the correlation of the two names'
    residuals from in-window OLS regressions on the market (with intercept) when the
    sessions coincide.

    Cost: the names present on the window's usual sessions (the common case) are handled in
    ``O(W N)`` per session: the sum over pairs of the correlations of unit-length centred
    columns (residuals) ``u_i`` is :math:`(\\lVert\\sum_i u_i\\rVert^2 - \\sum_i\\lVert u_i\\rVert^2)/2`.
    Only the pairs involving a name with a different set of sessions in the window are
    computed one correlation at a time (matrix products, no Python loop over pairs).

    ``first``: the rows before it are not wanted (NaN). On that path each row depends on its
    window only, so the rows from ``first`` on are the same; the exact path's running sums
    start at the first row whatever ``first`` is.
    """
    if len(r.columns) + (partial_on is not None) <= EXACT_MAX_COLUMNS:
        return _average_pairwise_exact(r, partial_on)
    x = r.to_numpy(dtype=float)
    big_t, k = x.shape
    present = np.isfinite(x)
    ok = _window_counts(present, CORR_WINDOW) >= CORR_MIN_OBS
    x0 = np.where(present, x, 0.0)
    if partial_on is not None:
        m = partial_on.to_numpy(dtype=float)
        m_present = np.isfinite(m)
        ok &= (_window_counts(m_present, CORR_WINDOW) >= CORR_MIN_OBS)[:, None]
        m0 = np.where(m_present, m, 0.0)
    out = np.full(big_t, np.nan)
    for t in range(max(0, first), big_t):
        idx = np.flatnonzero(ok[t])
        if len(idx) < 2:
            continue
        a = max(0, t - CORR_WINDOW + 1)
        ps = present[a : t + 1, idx]
        # the window's usual sessions: those on which most taking-part names have a return
        rows = ps.sum(axis=1) * 2 > len(idx)
        same = (ps == rows[:, None]).all(axis=0)
        if partial_on is not None and not m_present[a : t + 1][rows].all():
            same[:] = False  # the market misses a usual session: every pair the slow way
        if rows.sum() < 3:
            same[:] = False
        total, npairs = 0.0, 0
        g = idx[same]
        if len(g) >= 2:
            xg = x[a : t + 1][rows][:, g]
            if partial_on is None:
                u, valid = _unit_columns(xg)
            else:
                mc = m[a : t + 1][rows]
                mc = mc - mc.mean()
                mss = float(mc @ mc)
                if mss > 0:
                    xc = xg - xg.mean(axis=0)
                    css = (xc * xc).sum(axis=0)
                    e = xc - np.outer(mc, (mc @ xc) / mss)
                    ess = (e * e).sum(axis=0)
                    valid = (css > _FLAT * (xg * xg).sum(axis=0)) & (ess > _FLAT * css)
                    u = e[:, valid] / np.sqrt(ess[valid])
                else:
                    u, valid = np.zeros((len(mc), 0)), np.zeros(len(g), dtype=bool)
            nv = int(valid.sum())
            if nv >= 2:
                total += _pair_sum(u)
                npairs += nv * (nv - 1) // 2
        q = ~same
        if q.any():
            xa, ma = x0[a : t + 1][:, idx], ps.astype(float)
            qa, qm = xa[:, q], ma[:, q]
            rho = _pairwise_rho(qa, qm, xa, ma)  # (Q, all taking part)
            if partial_on is not None:
                mw, mm = m0[a : t + 1][:, None], m_present[a : t + 1][:, None].astype(float)
                rim = _pairwise_rho(xa, ma, mw, mm)[:, 0]
                rqm = rim[q]
                with np.errstate(divide="ignore", invalid="ignore"):
                    num = rho - rqm[:, None] * rim[None, :]
                    den = np.sqrt((1.0 - rqm**2)[:, None] * (1.0 - rim**2)[None, :])
                    rho = num / den
                rho[~(den > 0)] = np.nan
                rho = np.clip(rho, -1.0, 1.0)
            # each pair once: a usual name with every other, two other names in index order
            qpos = np.flatnonzero(q)
            count = np.ones(rho.shape, dtype=bool)
            count[:, q] = qpos[None, :] > qpos[:, None]
            use = count & np.isfinite(rho)
            total += float(rho[use].sum())
            npairs += int(use.sum())
        if npairs > 0:
            out[t] = total / npairs
    return out


def _resid_corr(inputs: SignalInputs, symbols: Sequence[str], key: str) -> pd.Series | None:
    def make() -> pd.Series | None:
        r = inputs.simple_returns
        syms = [s for s in dict.fromkeys(symbols) if s in r.columns and s != inputs.market]
        if len(syms) < 2 or inputs.market not in r.columns:
            return None
        avg = _average_pairwise(r[syms], partial_on=r[inputs.market], first=_first_emitted(inputs))
        return pd.Series(avg, index=r.index)

    return inputs._memo(f"{key}@{_first_emitted(inputs)}", make)


def _resid_frame(inputs: SignalInputs, basket: str) -> pd.DataFrame | None:
    symbols, key, symbol = (
        (inputs.watchlist, "resid_corr_loop", LOOP_SYMBOL)
        if basket == "loop"
        else (inputs.placebo, "resid_corr_placebo", PLACEBO_SYMBOL)
    )
    s = _resid_corr(inputs, symbols, key)
    return None if s is None else s.to_frame(symbol)


#: Average pairwise partial correlation (given the market) of a basket's returns: the same
#: window and participation rules as ``corr_60d``; each pair's value is the correlation of
#: the two names' residuals from regressions on the market over the window, so a
#: market-wide sell-off (every stock falling with SPY) does not raise it.
_register_wide(
    "loop_resid_corr_60d",
    unit="correlation",
    doc=f"symbol {LOOP_SYMBOL}: average pairwise correlation of the watchlist's market-neutral returns "
    "(residuals vs the market, 60 sessions)",
    wide=lambda inputs: _resid_frame(inputs, "loop"),
)
_register_wide(
    "placebo_resid_corr_60d",
    unit="correlation",
    doc=f"symbol {PLACEBO_SYMBOL}: the same market-neutral average correlation for the placebo basket "
    "(MSFT, META, AMZN, GOOGL)",
    wide=lambda inputs: _resid_frame(inputs, "placebo"),
)


@register_wide(
    "loop_excess_resid_corr_60d",
    unit="correlation",
    doc=f"symbol {LOOP_SYMBOL}: loop_resid_corr_60d minus placebo_resid_corr_60d (the loop trading as one "
    "beyond the market and beyond big tech)",
)
def compute_loop_excess_resid_corr_60d(inputs: SignalInputs) -> pd.DataFrame | None:
    """Loop minus placebo market-neutral average correlation.

    Raw correlation rises in every market-wide shock (the April 2025 tariff sell-off moved
    the loop and a hyperscaler placebo alike); the residual correlation removes the market,
    and subtracting the placebo's removes what large-cap tech shares. What remains is the
    loop's own common factor.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``closes``, ``market``, ``watchlist`` and ``placebo``.

    Returns
    -------
    DataFrame
        Wide frame with the one column ``LOOP``.
    """
    a = _resid_corr(inputs, inputs.watchlist, "resid_corr_loop")
    b = _resid_corr(inputs, inputs.placebo, "resid_corr_placebo")
    if a is None or b is None:
        return None
    return (a - b).to_frame(LOOP_SYMBOL)


@register_wide(
    "loop_stress_index",
    unit="z",
    doc=f"symbol {LOOP_SYMBOL}: the watchlist's spread_z_1y averaged with weights = each name's loop "
    "exposure (USD on edges of a cycle, point in time)",
)
def compute_loop_stress_index(inputs: SignalInputs) -> pd.DataFrame | None:
    """Exposure-weighted mean of the watchlist names' spread-proxy z-scores.

    On session ``t``: :math:`\\sum_i w_{i,t} z_{i,t} / \\sum_i w_{i,t}` over the watchlist
    names with a ``spread_z_1y`` value and a positive loop exposure :math:`w_{i,t}` (the
    USD flowing on the name's graph edges that lie on a cycle, from events announced by
    ``t``). On sessions before any name with a z-score is in the loop, and without
    ``loop_exposure`` (signals computed without a graph), every name weighs the same, so
    the index is defined wherever a z-score is (a gap would read as missing data).

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``spread_proxy``, ``watchlist`` and ``loop_exposure``.

    Returns
    -------
    DataFrame
        Wide frame with the one column ``LOOP``.
    """
    z = _spread_transformed(inputs, "spread_z_1y", _z_1y)
    if z is None:
        return None
    if inputs.loop_exposure is None:
        # no graph given (a bare signal computation): every watchlist name weighs the same
        syms = [s for s in dict.fromkeys(inputs.watchlist) if s in z.columns]
        w = pd.DataFrame(1.0, index=z.index, columns=syms)
    else:
        wide = _to_wide(inputs.loop_exposure, "symbol", "loop_exposure") if len(inputs.loop_exposure) else None
        syms = [s for s in dict.fromkeys(inputs.watchlist) if s in z.columns and wide is not None and s in wide]
        if wide is None or not syms:
            return None
        w = wide.reindex(inputs.session_index).ffill()[syms].fillna(0.0).clip(lower=0.0)
    if not syms:
        return None
    zz = z[syms]
    # a session on which no name with a z-score has loop exposure yet (before the first
    # cycle closes) weighs the names equally, so the index is defined wherever a z-score is
    has = w.where(zz.notna(), 0.0).sum(axis=1) > 0
    w = w.where(np.repeat(has.to_numpy()[:, None], len(syms), axis=1), 1.0)
    use = zz.notna() & (w > 0)
    num = (zz.where(use, 0.0) * w.where(use, 0.0)).sum(axis=1)
    den = w.where(use, 0.0).sum(axis=1)
    idx = (num / den.where(den > 0)).to_frame(LOOP_SYMBOL)
    return idx
