"""Validation of fetched batches before they are stored.

Checks for bars: dates are exchange sessions and not after ``as_of``, no duplicate
dates, all prices finite, > 0 and at most :data:`MAX_PRICE` (no listed share trades near
it; ``inf`` or ``1e300`` is a feed error that would resolve a drawdown alert),
high >= max(open, close), low <= min(open, close), volume finite and >= 0.
Bad rows are rejected with the symbol and date named; good rows of the same batch are
kept. FRED values must be finite and dates unique.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aimonitor import calendar

log = logging.getLogger(__name__)

_PRICE = ["open", "high", "low", "close"]

#: Largest believable price per share, USD (Berkshire A, the dearest US share, trades below
#: 1e6; indices such as ^GSPC are below 1e5).
MAX_PRICE = 1e7
#: Largest believable FRED value in its stored unit (bp): 1000 percentage points.
MAX_FRED_VALUE = 1e5
#: Largest believable daily volume (the busiest US listings trade ~1e9 shares a day).
MAX_VOLUME = 1e12


@dataclass(frozen=True)
class Rejection:
    """One rejected row."""

    name: str
    date: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name} {self.date}: {self.reason}"


def _iso(d: object) -> str:
    try:
        return calendar.to_date(d).isoformat()
    except Exception:  # noqa: BLE001 - a non-date is reported as written
        return str(d)


def _duplicated(days: np.ndarray, increasing: bool) -> np.ndarray:
    """True where a date occurs more than once (every occurrence); none when ``increasing``."""
    if increasing:  # a source's usual order
        return np.zeros(len(days), dtype=bool)
    _, inverse, counts = np.unique(days, return_inverse=True, return_counts=True)
    return np.asarray(counts[inverse] > 1)


_NUMERIC = [*_PRICE, "adj_close", "volume"]
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _plain_number(dtype: object) -> bool:
    """A numpy float or integer dtype: ``pd.to_numeric`` returns such a column as it is."""
    return isinstance(dtype, np.dtype) and dtype.kind in "iuf"


def validate_bars(symbol: str, frame: pd.DataFrame, as_of: dt.date) -> tuple[pd.DataFrame, list[Rejection]]:
    """Split a bar frame into (good rows, rejections); vectorised, the first failing check names the row."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["date", *_NUMERIC]), []
    f = frame  # copied (shallow: copy on write) before a column is changed, never the caller's
    dates = f["date"].tolist()
    if not all(type(d) is dt.date for d in dates):
        dates = [d if isinstance(d, dt.date) and not isinstance(d, dt.datetime) else calendar.to_date(d) for d in dates]
        f = f.copy(deep=False)
        f["date"] = dates
    arrays = []
    for name in _NUMERIC:
        if name not in f.columns:
            f = f.copy(deep=False) if f is frame else f
            f[name] = np.nan
        col = f[name]
        if not _plain_number(col.dtype):  # a float or integer column is numeric already (the usual case)
            f = f.copy(deep=False) if f is frame else f
            f[name] = col = pd.to_numeric(col, errors="coerce")
        arrays.append(col.to_numpy(dtype=float))
    o, h, lo, c, adj, vol = arrays
    n = len(f)
    # one datetime64 array for every date check (from the dates' ordinals: day 719163 is 1970-01-01)
    days = (np.fromiter((d.toordinal() for d in dates), np.int64, n) - _EPOCH_ORDINAL).astype("datetime64[D]")
    # a session: one more session on or before it than on or before the day before
    in_cal = calendar.sessions_through(days) - calendar.sessions_through(days - np.timedelta64(1, "D")) == 1
    increasing = n < 2 or bool((days[1:] > days[:-1]).all())
    oc_max = np.fmax(o, c)
    oc_min = np.fmin(o, c)
    prices = np.vstack([o, h, lo, c])
    checks = [
        (_duplicated(days, increasing), lambda i: "duplicate date in batch"),
        (days > np.datetime64(as_of, "D"), lambda i: f"after as-of {as_of.isoformat()} (session not closed)"),
        (~in_cal, lambda i: "not an exchange session"),
        (np.isnan(c), lambda i: "missing close"),
        (np.isinf(prices).any(axis=0) | np.isinf(adj), lambda i: "non-finite price"),
        ((prices > MAX_PRICE).any(axis=0) | (adj > MAX_PRICE), lambda i: f"price above {MAX_PRICE:g} (absurd)"),
        ((prices <= 0).any(axis=0), lambda i: "non-positive price"),
        (h < oc_max - 1e-9, lambda i: f"high {h[i]:g} below max(open, close)"),
        (lo > oc_min + 1e-9, lambda i: f"low {lo[i]:g} above min(open, close)"),
        (adj <= 0, lambda i: "non-positive adj_close"),
        (vol < 0, lambda i: "negative volume"),
        (np.isinf(vol) | (vol > MAX_VOLUME), lambda i: f"volume {vol[i]:g} not believable"),
    ]
    bad = np.zeros(n, dtype=bool)
    reasons: dict[int, str] = {}
    for mask, why in checks:
        if not mask.any():
            continue
        for i in np.flatnonzero(mask & ~bad):
            reasons[int(i)] = why(int(i))
        bad |= mask
    rejects = [Rejection(symbol, dates[i].isoformat(), reasons[i]) for i in sorted(reasons)]
    # the good rows' dates are distinct (duplicates are rejected), so the order is the dates'
    if not reasons and increasing:
        good = f.reset_index(drop=True)  # every row, in order: what the take below gives
    else:
        keep = np.flatnonzero(~bad)
        good = f.take(keep[np.argsort(days[keep], kind="stable")]).reset_index(drop=True)
    for r in rejects:
        log.warning("rejected bar %s", r)
    return good, rejects


def validate_fred(series: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Rejection]]:
    """Split a FRED frame (date, value) into (good rows, rejections)."""
    rejects: list[Rejection] = []
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["date", "value"]), rejects
    f = frame.copy()
    f["value"] = pd.to_numeric(f["value"], errors="coerce")
    dup = f["date"].duplicated(keep=False).to_numpy()
    keep = np.ones(len(f), dtype=bool)
    for i, (d, v) in enumerate(zip(f["date"], f["value"])):
        reason = None
        if dup[i]:
            reason = "duplicate date in batch"
        elif pd.isna(v) or not np.isfinite(v):
            reason = "missing or non-numeric value"
        elif abs(v) > MAX_FRED_VALUE:
            reason = f"value {v:g} not believable (limit {MAX_FRED_VALUE:g} bp)"
        if reason:
            keep[i] = False
            rejects.append(Rejection(series, _iso(d), reason))
    for r in rejects:
        log.warning("rejected FRED row %s", r)
    return f.loc[keep].sort_values("date").reset_index(drop=True), rejects
