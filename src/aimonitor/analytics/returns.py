"""Small, pure helpers on returns (no I/O).

Returns are fractions (0.0123 = 1.23%). Log returns are ``ln(P_t / P_{t-1})``; simple
returns ``P_t / P_{t-1} - 1``. Both are dated at the later row. A missing price (NaN)
makes the return of its own row *and* of the next row missing: a return is never
computed across a gap, and missing prices are never filled.
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

ReturnKind = Literal["simple", "log"]
RETURN_KINDS: tuple[str, ...] = ("simple", "log")


def _check_kind(kind: str) -> str:
    k = str(kind).strip().lower()
    if k not in RETURN_KINDS:
        raise ValueError(f"return kind must be one of {', '.join(RETURN_KINDS)}; got {kind!r}")
    return k


def compute_returns(prices: pd.DataFrame | pd.Series, kind: str = "simple") -> pd.DataFrame | pd.Series:
    """Row-to-row returns of a wide price frame (or one price series).

    Parameters
    ----------
    prices : DataFrame or Series
        Prices indexed by date (rows sorted ascending), one column per symbol.
        NaN means "no price" (before listing, a halt, a blank cell).
    kind : {"simple", "log"}
        ``simple``: ``P_t / P_{t-1} - 1``; ``log``: ``ln(P_t / P_{t-1})``.

    Returns
    -------
    DataFrame or Series
        Same shape and index as ``prices``. The first row, any row whose price is NaN
        and any row whose previous price is NaN are NaN. Non-positive prices give NaN.

    Notes
    -----
    No forward filling: a return that would span a missing price is left missing.
    """
    k = _check_kind(kind)
    values = prices.to_numpy(dtype=float, copy=True)
    values[~(values > 0)] = np.nan  # non-positive prices are not prices
    prev = np.empty_like(values)
    prev[:1] = np.nan
    prev[1:] = values[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = values / prev
        out = np.log(ratio) if k == "log" else ratio - 1.0
    if isinstance(prices, pd.Series):
        return pd.Series(out, index=prices.index, name=prices.name)
    return pd.DataFrame(out, index=prices.index, columns=prices.columns)


def simple_to_log(returns: pd.DataFrame | pd.Series | np.ndarray):
    """Convert simple returns to log returns (``ln(1 + r)``)."""
    return np.log1p(returns)


def log_to_simple(returns: pd.DataFrame | pd.Series | np.ndarray):
    """Convert log returns to simple returns (``exp(r) - 1``)."""
    return np.expm1(returns)


def compute_cumulative_return(returns: pd.DataFrame | pd.Series, kind: str = "simple") -> pd.DataFrame | pd.Series:
    """Cumulative return from the first row: compounded for simple, summed for log.

    Missing returns count as zero (no change) in the running total, so the output
    has a value wherever a prior value exists.

    Parameters
    ----------
    returns : DataFrame or Series
        Returns as fractions.
    kind : {"simple", "log"}
        How ``returns`` were computed.

    Returns
    -------
    DataFrame or Series
        Cumulative *simple* return (``0.10`` = +10% since the start) in both cases.
    """
    k = _check_kind(kind)
    r = returns.fillna(0.0)
    logs = r if k == "log" else np.log1p(r)
    return np.expm1(logs.cumsum())


def compute_rolling_volatility(
    returns: pd.DataFrame | pd.Series, window: int = 20, periods_per_year: int = 252, min_periods: int | None = None
) -> pd.DataFrame | pd.Series:
    """Annualised rolling standard deviation (ddof=1) of returns.

    Parameters
    ----------
    returns : DataFrame or Series
        Daily returns as fractions.
    window : int
        Number of rows in the rolling window.
    periods_per_year : int
        Annualisation factor (252 trading sessions).
    min_periods : int, optional
        Minimum non-missing returns in a window (default: ``window``).
    """
    if window < 2:
        raise ValueError(f"window must be >= 2; got {window}")
    mp = window if min_periods is None else min_periods
    return returns.rolling(window, min_periods=mp).std(ddof=1) * np.sqrt(periods_per_year)


def compute_drawdown(prices: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Drawdown from the running maximum: ``P_t / max_{s<=t} P_s - 1`` (<= 0).

    NaN prices stay NaN and do not reset the running maximum.
    """
    running_max = prices.cummax()
    return prices / running_max - 1.0
