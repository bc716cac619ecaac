"""FROZEN REFERENCE (tests only): aimonitor.analytics.signals as on main before the #14 scale rewrite.

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
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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
        c = c.where(c > 0)  # a non-positive price is not a price
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


def _rolling_z(x: pd.DataFrame, window: int, min_obs: int) -> pd.DataFrame:
    """``(x_t - mean) / std`` over the trailing ``window`` rows ending at ``t`` (ddof=1)."""
    roll = x.rolling(window, min_periods=min_obs)
    mean = roll.mean()
    std = roll.std(ddof=1)
    z = (x - mean) / std.where(std > 0)
    return z


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
    return wide.apply(pd.to_numeric, errors="coerce").astype(float)


def _spread_proxy(inputs: SignalInputs) -> pd.DataFrame | None:
    if inputs.spread_proxy is None:
        return None

    def make() -> pd.DataFrame:
        wide = _to_wide(inputs.spread_proxy, "symbol", "spread_proxy")
        return wide.reindex(inputs.session_index)

    return inputs._memo("spread_proxy", make)


def _spread_point_in_time(
    inputs: SignalInputs, transform: Callable[[pd.DataFrame], pd.DataFrame]
) -> pd.DataFrame | None:
    """``transform`` of the spread proxy, each session read from the calibration in force on it.

    ``transform`` maps a wide proxy history (sessions x symbols) to a wide signal on the same
    sessions (a level, a change, a z-score). It is applied to the history under each
    calibration of :attr:`SignalInputs.spread_recalibrations` and the results are spliced:
    session ``t`` takes the row of the calibration in force on ``t``. Without
    recalibrations this is ``transform(spread_proxy)``.
    """
    base = _spread_proxy(inputs)
    if base is None:
        return None
    out = transform(base)
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
    out = pd.DataFrame(index=sessions, columns=wide.columns, dtype=float)
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
        out[col] = vals
    return out


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
        finite = wide.stack().dropna() if not wide.empty else pd.Series(dtype=float)
        if len(finite) and float(np.nanmedian(np.abs(finite.to_numpy()))) < 20.0:
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


@register("ret_1d", unit="fraction", doc="simple return over 1 session, from adjusted closes")
def compute_ret_1d(inputs: SignalInputs) -> pd.DataFrame:
    """Simple 1-session return :math:`P_t / P_{t-1} - 1` on adjusted closes.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``closes``.

    Returns
    -------
    DataFrame
        Long frame ``date, symbol, signal, value``.
    """
    return to_long(inputs.simple_returns, "ret_1d")


@register("ret_5d", unit="fraction", doc="simple return over 5 sessions, from adjusted closes")
def compute_ret_5d(inputs: SignalInputs) -> pd.DataFrame:
    """Simple 5-session return :math:`P_t / P_{t-5} - 1` on adjusted closes.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``closes``.

    Returns
    -------
    DataFrame
        Long frame ``date, symbol, signal, value``.
    """
    c = inputs.aligned_closes
    return to_long(c / c.shift(5) - 1.0, "ret_5d")


@register(
    "drawdown_52w",
    unit="fraction",
    doc="close / max close of the trailing 252 sessions - 1 (<= 0)",
)
def compute_drawdown_52w(inputs: SignalInputs) -> pd.DataFrame:
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
        Long frame; values are <= 0.
    """
    c = inputs.aligned_closes
    peak = c.rolling(DRAWDOWN_WINDOW, min_periods=1).max()
    return to_long(c / peak - 1.0, "drawdown_52w")


def _vol_20d(inputs: SignalInputs) -> pd.DataFrame:
    return inputs._memo(
        "vol_20d",
        lambda: inputs.log_returns.rolling(VOL_WINDOW, min_periods=VOL_WINDOW).std(ddof=1) * np.sqrt(ANNUALISATION),
    )


@register(
    "vol_20d",
    unit="fraction/yr",
    doc="annualised realised volatility of 20 session log returns (sd ddof=1 x sqrt(252))",
)
def compute_vol_20d(inputs: SignalInputs) -> pd.DataFrame:
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
        Long frame; fractions per year (0.40 = 40 %).
    """
    return to_long(_vol_20d(inputs), "vol_20d")


@register(
    "vol_20d_z",
    unit="z",
    doc="z-score of vol_20d vs its trailing 252-session mean/sd (>= 120 obs)",
)
def compute_vol_20d_z(inputs: SignalInputs) -> pd.DataFrame:
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
        Long frame of z-scores.
    """
    return to_long(_rolling_z(_vol_20d(inputs), Z_WINDOW, Z_MIN_OBS), "vol_20d_z")


@register(
    "sar_1d",
    unit="z",
    doc="standardised abnormal return vs the market (rolling OLS market model on the "
    "previous 250 sessions, >= 60 obs; AR / residual sd with L-2 dof)",
)
def compute_sar_1d(inputs: SignalInputs) -> pd.DataFrame:
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
        Long frame of SARs.
    """
    r = inputs.simple_returns
    if inputs.market not in r.columns:
        log.warning("sar_1d: market benchmark %s is not among the closes; no SAR computed", inputs.market)
        return _empty()
    rm = r[inputs.market]
    y = r.drop(columns=[inputs.market])
    if y.empty:
        return _empty()
    x = pd.DataFrame(np.repeat(rm.to_numpy()[:, None], y.shape[1], axis=1), index=y.index, columns=y.columns)
    valid = y.notna() & x.notna()
    xv = x.where(valid, 0.0)
    yv = y.where(valid, 0.0)

    def rsum(f: pd.DataFrame) -> np.ndarray:
        # window of the previous MM_ESTIMATION sessions, ending the day before t
        return f.rolling(MM_ESTIMATION, min_periods=1).sum().shift(1).to_numpy()

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
        ar = y.to_numpy() - alpha - beta * x.to_numpy()
        sar = ar / s
    bad = ~(n >= MM_MIN_OBS) | ~(cxx > 0) | ~(s > 0)
    sar[bad] = np.nan
    return to_long(pd.DataFrame(sar, index=y.index, columns=y.columns), "sar_1d")


@register(
    "corr_60d",
    unit="correlation",
    doc=f"symbol {LOOP_SYMBOL}: average pairwise correlation of the watchlist's daily returns "
    "over the trailing 60 sessions (symbols with >= 40 returns in the window)",
)
def compute_corr_60d(inputs: SignalInputs) -> pd.DataFrame:
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
        Long frame with ``symbol == "LOOP"``.
    """
    r = inputs.simple_returns
    syms = [s for s in dict.fromkeys(inputs.watchlist) if s in r.columns]
    if len(syms) < 2:
        return _empty()
    avg = _average_pairwise(r[syms], partial_on=None)
    return to_long(pd.DataFrame({LOOP_SYMBOL: avg}, index=r.index), "corr_60d")


@register("spread_proxy_bp", unit="bp", doc="equity-implied credit spread proxy (from the credit model)")
def compute_spread_proxy_bp(inputs: SignalInputs) -> pd.DataFrame:
    """The equity-implied spread proxy itself, on sessions (bp).

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``spread_proxy``; no rows when it is absent.

    Returns
    -------
    DataFrame
        Long frame in basis points.
    """
    sp = _spread_point_in_time(inputs, lambda f: f)
    return _empty() if sp is None else to_long(sp, "spread_proxy_bp")


@register("spread_change_20d_bp", unit="bp", doc="change of spread_proxy_bp over 20 sessions")
def compute_spread_change_20d_bp(inputs: SignalInputs) -> pd.DataFrame:
    """``spread_proxy_bp(t) - spread_proxy_bp(t - 20 sessions)``, both under ``t``'s calibration.

    Both ends are read from the proxy history expressed under the calibration in force on
    ``t`` (:attr:`SignalInputs.spread_recalibrations`), so this change never contains a
    recalibration step: a CDS quote import alone cannot make it jump, whether the sessions
    are derived one by one or many at once.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``spread_proxy``; no rows when it is absent.

    Returns
    -------
    DataFrame
        Long frame in basis points.
    """
    sp = _spread_point_in_time(inputs, lambda f: f - f.shift(CHANGE_WINDOW))
    return _empty() if sp is None else to_long(sp, "spread_change_20d_bp")


@register(
    "spread_z_1y",
    unit="z",
    doc="z-score of spread_proxy_bp vs its trailing 252-session mean/sd (>= 120 obs)",
)
def compute_spread_z_1y(inputs: SignalInputs) -> pd.DataFrame:
    """z-score of the spread proxy over the 252 sessions ending at ``t`` (>= 120 obs),
    the window taken under ``t``'s calibration.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``spread_proxy``; no rows when it is absent.

    Returns
    -------
    DataFrame
        Long frame of z-scores.
    """
    sp = _spread_point_in_time(inputs, lambda f: _rolling_z(f, Z_WINDOW, Z_MIN_OBS))
    return _empty() if sp is None else to_long(sp, "spread_z_1y")


@register(
    "fred_oas_bp",
    unit="bp",
    doc="FRED ICE BofA OAS (symbol = series id), last observation usable on the session (publication lag)",
)
def compute_fred_oas_bp(inputs: SignalInputs) -> pd.DataFrame:
    """FRED OAS aligned to sessions (symbol = series id), in basis points.

    An observation dated ``d`` is usable from the ``fred_lag_sessions``-th session after
    ``d`` (publication lag, :class:`SignalInputs`); each session takes the last usable
    observation if it became usable at most :data:`FRED_MAX_LAG_SESSIONS` sessions before.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``fred_oas`` (bp); no rows when it is absent.

    Returns
    -------
    DataFrame
        Long frame in basis points.
    """
    f = _fred_on_sessions(inputs)
    return _empty() if f is None else to_long(f, "fred_oas_bp")


@register(
    "fred_oas_change_20d_bp",
    unit="bp",
    doc="change of fred_oas_bp over 20 sessions (series aligned to sessions)",
)
def compute_fred_oas_change_20d_bp(inputs: SignalInputs) -> pd.DataFrame:
    """``fred_oas_bp(t) - fred_oas_bp(t - 20 sessions)`` on the session-aligned (lagged) series.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``fred_oas`` (bp); no rows when it is absent.

    Returns
    -------
    DataFrame
        Long frame in basis points.
    """
    f = _fred_on_sessions(inputs)
    return _empty() if f is None else to_long(f - f.shift(CHANGE_WINDOW), "fred_oas_change_20d_bp")


#: Sessions an imported CDS quote stays current (quotes are sparse; a week is still "the" level).
QUOTE_MAX_LAG_SESSIONS = 5


@register(
    "cds_quote_bp",
    unit="bp",
    doc="imported CDS quote (symbol = entity), last quote on or before the session, at most 5 sessions old",
)
def compute_cds_quote_bp(inputs: SignalInputs) -> pd.DataFrame:
    """Imported market CDS quotes aligned to sessions, so rules can use them.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``cds_quotes`` (bp); no rows when it is absent.

    Returns
    -------
    DataFrame
        Long frame in basis points.
    """
    if inputs.cds_quotes is None or len(inputs.cds_quotes) == 0:
        return _empty()
    wide = _to_wide(inputs.cds_quotes, "entity", "cds_quotes")
    return to_long(_last_on_sessions(wide, inputs.session_index, QUOTE_MAX_LAG_SESSIONS), "cds_quote_bp")


@register(
    "staleness_sessions",
    unit="sessions",
    doc="sessions since the symbol's last bar (0 = has a bar on that session)",
)
def compute_staleness_sessions(inputs: SignalInputs) -> pd.DataFrame:
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
        Long frame; values are whole numbers of sessions.
    """
    sessions = inputs.session_index
    c = inputs.aligned_closes
    last_bar = {str(k): pd.Timestamp(v).normalize() for k, v in (inputs.last_bar or {}).items()}
    symbols = list(dict.fromkeys([*c.columns, *last_bar]))
    pos = np.arange(len(sessions), dtype=float)
    out = np.full((len(sessions), len(symbols)), np.nan)
    for j, sym in enumerate(symbols):
        has = np.zeros(len(sessions), dtype=bool)
        if sym in c.columns:
            has |= c[sym].notna().to_numpy()
        marker = pd.Series(np.where(has, pos, np.nan), index=sessions)
        if sym in last_bar:
            # position of the session on or before the last bar date
            k = int(sessions.searchsorted(last_bar[sym], side="right")) - 1
            if k >= 0:
                marker.iloc[k] = pos[k]
        latest = marker.ffill().to_numpy()
        out[:, j] = pos - latest
    return to_long(pd.DataFrame(out, index=sessions, columns=symbols), "staleness_sessions")


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

    Returns
    -------
    DataFrame
        Long frame ``date, symbol, signal, value`` sorted by date, signal, symbol.
    """
    specs = [get_signal(n) for n in (names if names is not None else signal_names())]
    lo, hi = _as_ts(start, "start"), _as_ts(end, "end")
    frames = []
    for spec in specs:
        df = spec.func(inputs)
        if df is None or df.empty:
            log.debug("signal %s: no values", spec.name)
            continue
        frames.append(df)
    if not frames:
        return _empty()
    out = pd.concat(frames, ignore_index=True)
    if lo is not None or hi is not None:
        d = pd.to_datetime(pd.Series(out["date"]))
        keep = np.ones(len(out), dtype=bool)
        if lo is not None:
            keep &= (d >= lo).to_numpy()
        if hi is not None:
            keep &= (d <= hi).to_numpy()
        out = out.loc[keep]
    out = out.sort_values(["date", "signal", "symbol"], kind="stable").reset_index(drop=True)
    log.debug("computed %d signal values (%d signals)", len(out), len(specs))
    return out[COLUMNS]


# ----------------------------------------------------------------------------- loop-level signals

#: Pseudo-symbol of the placebo basket's signals.
PLACEBO_SYMBOL = "PLACEBO"


def _rolling_pairwise_corr(r: pd.DataFrame, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling pairwise-complete Pearson correlations, all pairs at once (matrix form).

    For each session ``t`` and pair ``(i, j)``: the correlation of ``r_i`` and ``r_j`` over
    the ``window`` rows ending at ``t`` where both are present. Window sums of the
    per-session outer products are differences of cumulative sums, so the cost is
    ``O(T N^2)`` array work with no Python loop over pairs.

    Returns
    -------
    (n, rho)
        Arrays of shape ``(T, N, N)``: the number of sessions both present, and the
        correlation (NaN where undefined).
    """
    x = r.to_numpy(dtype=float)
    m = np.isfinite(x).astype(float)
    x = np.where(m > 0, x, 0.0)

    def wsum(a: np.ndarray) -> np.ndarray:
        c = np.cumsum(a, axis=0)
        out = c.copy()
        out[window:] = c[window:] - c[:-window]
        return out

    n = wsum(m[:, :, None] * m[:, None, :])
    sa = wsum(x[:, :, None] * m[:, None, :])  # sum of x_i over sessions where j is present too
    saa = wsum((x * x)[:, :, None] * m[:, None, :])
    sab = wsum(x[:, :, None] * x[:, None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        ma = sa / n
        mb = np.swapaxes(sa, 1, 2) / n
        caa = saa - n * ma * ma
        cbb = np.swapaxes(saa, 1, 2) - n * mb * mb
        cab = sab - n * ma * mb
        rho = cab / np.sqrt(caa * cbb)
    rho[~np.isfinite(rho) | (n < 3)] = np.nan
    return n, np.clip(rho, -1.0, 1.0)


def _average_pairwise(r: pd.DataFrame, partial_on: pd.Series | None) -> np.ndarray:
    """Mean over pairs of the rolling (partial) correlations of ``r``'s columns.

    A column takes part on ``t`` if it has at least :data:`CORR_MIN_OBS` returns in the
    :data:`CORR_WINDOW` sessions ending at ``t``. With ``partial_on`` (the market's returns)
    each pair's correlation is the partial correlation given the market,
    :math:`(\\rho_{ij} - \\rho_{im}\\rho_{jm}) / \\sqrt{(1-\\rho_{im}^2)(1-\\rho_{jm}^2)}`,
    which equals the correlation of the two names' residuals from in-window OLS
    regressions on the market (with intercept) when the sessions coincide.
    """
    cols = list(r.columns)
    frame = r if partial_on is None else pd.concat([r, partial_on.rename("__mkt__")], axis=1)
    n, rho = _rolling_pairwise_corr(frame, CORR_WINDOW)
    k = len(cols)
    counts = frame.notna().astype(float).rolling(CORR_WINDOW, min_periods=1).sum().to_numpy()
    ok = counts >= CORR_MIN_OBS
    if partial_on is not None:
        rim = rho[:, :k, k]  # (T, k): each name with the market
        with np.errstate(divide="ignore", invalid="ignore"):
            num = rho[:, :k, :k] - rim[:, :, None] * rim[:, None, :]
            den = np.sqrt((1.0 - rim**2)[:, :, None] * (1.0 - rim**2)[:, None, :])
            pair = num / den
        pair[~(den > 0)] = np.nan
        ok = ok[:, :k] & ok[:, k : k + 1]
        pair = np.clip(pair, -1.0, 1.0)
    else:
        pair = rho
    iu, ju = np.triu_indices(k, 1)
    vals = pair[:, iu, ju]
    use = ok[:, iu] & ok[:, ju] & np.isfinite(vals)
    npairs = use.sum(axis=1)
    total = np.where(use, vals, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(npairs > 0, total / np.where(npairs > 0, npairs, 1), np.nan)


def _resid_corr(inputs: SignalInputs, symbols: Sequence[str], key: str) -> pd.Series | None:
    def make() -> pd.Series | None:
        r = inputs.simple_returns
        syms = [s for s in dict.fromkeys(symbols) if s in r.columns and s != inputs.market]
        if len(syms) < 2 or inputs.market not in r.columns:
            return None
        return pd.Series(_average_pairwise(r[syms], partial_on=r[inputs.market]), index=r.index)

    return inputs._memo(key, make)


@register(
    "loop_resid_corr_60d",
    unit="correlation",
    doc=f"symbol {LOOP_SYMBOL}: average pairwise correlation of the watchlist's market-neutral returns "
    "(residuals vs the market, 60 sessions)",
)
def compute_loop_resid_corr_60d(inputs: SignalInputs) -> pd.DataFrame:
    """Average pairwise partial correlation (given the market) of the watchlist's returns.

    Same window and participation rules as ``corr_60d``; each pair's value is the correlation
    of the two names' residuals from regressions on the market over the window, so a
    market-wide sell-off (every stock falling with SPY) does not raise it.

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``closes``, ``market`` and ``watchlist``.

    Returns
    -------
    DataFrame
        Long frame with ``symbol == "LOOP"``.
    """
    s = _resid_corr(inputs, inputs.watchlist, "resid_corr_loop")
    return _empty() if s is None else to_long(s.to_frame(LOOP_SYMBOL), "loop_resid_corr_60d")


@register(
    "placebo_resid_corr_60d",
    unit="correlation",
    doc=f"symbol {PLACEBO_SYMBOL}: the same market-neutral average correlation for the placebo basket "
    "(MSFT, META, AMZN, GOOGL)",
)
def compute_placebo_resid_corr_60d(inputs: SignalInputs) -> pd.DataFrame:
    """``loop_resid_corr_60d`` computed on the placebo basket (``inputs.placebo``).

    Parameters
    ----------
    inputs : SignalInputs
        Uses ``closes``, ``market`` and ``placebo``.

    Returns
    -------
    DataFrame
        Long frame with ``symbol == "PLACEBO"``.
    """
    s = _resid_corr(inputs, inputs.placebo, "resid_corr_placebo")
    return _empty() if s is None else to_long(s.to_frame(PLACEBO_SYMBOL), "placebo_resid_corr_60d")


@register(
    "loop_excess_resid_corr_60d",
    unit="correlation",
    doc=f"symbol {LOOP_SYMBOL}: loop_resid_corr_60d minus placebo_resid_corr_60d (the loop trading as one "
    "beyond the market and beyond big tech)",
)
def compute_loop_excess_resid_corr_60d(inputs: SignalInputs) -> pd.DataFrame:
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
        Long frame with ``symbol == "LOOP"``.
    """
    a = _resid_corr(inputs, inputs.watchlist, "resid_corr_loop")
    b = _resid_corr(inputs, inputs.placebo, "resid_corr_placebo")
    if a is None or b is None:
        return _empty()
    return to_long((a - b).to_frame(LOOP_SYMBOL), "loop_excess_resid_corr_60d")


@register(
    "loop_stress_index",
    unit="z",
    doc=f"symbol {LOOP_SYMBOL}: the watchlist's spread_z_1y averaged with weights = each name's loop "
    "exposure (USD on edges of a cycle, point in time)",
)
def compute_loop_stress_index(inputs: SignalInputs) -> pd.DataFrame:
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
        Long frame with ``symbol == "LOOP"``.
    """
    sp = _spread_proxy(inputs)
    if sp is None:
        return _empty()
    z = _rolling_z(sp, Z_WINDOW, Z_MIN_OBS)
    if inputs.loop_exposure is None:
        # no graph given (a bare signal computation): every watchlist name weighs the same
        syms = [s for s in dict.fromkeys(inputs.watchlist) if s in z.columns]
        w = pd.DataFrame(1.0, index=z.index, columns=syms)
    else:
        wide = _to_wide(inputs.loop_exposure, "symbol", "loop_exposure") if len(inputs.loop_exposure) else None
        syms = [s for s in dict.fromkeys(inputs.watchlist) if s in z.columns and wide is not None and s in wide]
        if wide is None or not syms:
            return _empty()
        w = wide.reindex(inputs.session_index).ffill()[syms].fillna(0.0).clip(lower=0.0)
    if not syms:
        return _empty()
    zz = z[syms]
    # a session on which no name with a z-score has loop exposure yet (before the first
    # cycle closes) weighs the names equally, so the index is defined wherever a z-score is
    has = w.where(zz.notna(), 0.0).sum(axis=1) > 0
    w = w.where(np.repeat(has.to_numpy()[:, None], len(syms), axis=1), 1.0)
    use = zz.notna() & (w > 0)
    num = (zz.where(use, 0.0) * w.where(use, 0.0)).sum(axis=1)
    den = w.where(use, 0.0).sum(axis=1)
    idx = (num / den.where(den > 0)).to_frame(LOOP_SYMBOL)
    return to_long(idx, "loop_stress_index")
