"""Row-to-row returns of price frames (pure, no I/O).

Returns are fractions (0.0123 = 1.23%). Log returns are ``ln(P_t / P_{t-1})``; simple
returns ``P_t / P_{t-1} - 1``. Both are dated at the later row. A missing price (NaN)
makes the return of its own row *and* of the next row missing: a return is never
computed across a gap, and missing prices are never filled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aimonitor.errors import DataError

RETURN_KINDS: tuple[str, ...] = ("simple", "log")


def _check_kind(kind: str) -> str:
    k = str(kind).strip().lower()
    if k not in RETURN_KINDS:
        raise DataError(f"return kind must be one of {', '.join(RETURN_KINDS)}; got {kind!r}")
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
