"""Validation of fetched batches before they are stored.

Checks for bars: dates are exchange sessions and not after ``as_of``, no duplicate
dates, all prices > 0, high >= max(open, close), low <= min(open, close), volume >= 0.
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
        return calendar.to_date(d).isoformat()  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - a non-date is reported as written
        return str(d)


def validate_bars(symbol: str, frame: pd.DataFrame, as_of: dt.date) -> tuple[pd.DataFrame, list[Rejection]]:
    """Split a bar frame into (good rows, rejections)."""
    rejects: list[Rejection] = []
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["date", *_PRICE, "adj_close", "volume"]), rejects
    f = frame.copy()
    f["date"] = [calendar.to_date(d) if not isinstance(d, dt.date) else d for d in f["date"]]
    for c in [*_PRICE, "adj_close", "volume"]:
        if c not in f.columns:
            f[c] = np.nan
        f[c] = pd.to_numeric(f[c], errors="coerce")
    keep = np.ones(len(f), dtype=bool)
    dup = f["date"].duplicated(keep=False).to_numpy()
    seen_reason: dict[int, str] = {}
    for i, row in enumerate(f.itertuples(index=False)):
        d = row.date
        reason = None
        if dup[i]:
            reason = "duplicate date in batch"
        elif d > as_of:
            reason = f"after as-of {as_of.isoformat()} (session not closed)"
        elif not calendar.is_session(d):
            reason = "not an exchange session"
        elif any(pd.isna(getattr(row, c)) for c in ("close",)):
            reason = "missing close"
        elif any(getattr(row, c) <= 0 for c in _PRICE if not pd.isna(getattr(row, c))):
            reason = "non-positive price"
        else:
            o, h, lo, c = row.open, row.high, row.low, row.close
            if not pd.isna(h) and h < max(x for x in (o, c) if not pd.isna(x)) - 1e-9:
                reason = f"high {h:g} below max(open, close)"
            elif not pd.isna(lo) and lo > min(x for x in (o, c) if not pd.isna(x)) + 1e-9:
                reason = f"low {lo:g} above min(open, close)"
            elif not pd.isna(row.adj_close) and row.adj_close <= 0:
                reason = "non-positive adj_close"
            elif not pd.isna(row.volume) and row.volume < 0:
                reason = "negative volume"
        if reason:
            keep[i] = False
            seen_reason[i] = reason
            rejects.append(Rejection(symbol, _iso(d), reason))
    good = f.loc[keep].sort_values("date").reset_index(drop=True)
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
        if reason:
            keep[i] = False
            rejects.append(Rejection(series, _iso(d), reason))
    for r in rejects:
        log.warning("rejected FRED row %s", r)
    return f.loc[keep].sort_values("date").reset_index(drop=True), rejects
