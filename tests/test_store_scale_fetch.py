"""The lean fetch path (#14) gives what the old one gave.

``validate_bars`` is compared with a frozen copy of the version on main before the
rewrite (``old_validate_bars`` below, kept verbatim), on a batch holding every kind of bad
row, and on a clean 2,514-session history: the same good frame and the same rejections.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
import pytest

from aimonitor import calendar
from aimonitor.validate import _PRICE, MAX_PRICE, MAX_VOLUME, Rejection, validate_bars

log = logging.getLogger(__name__)


def old_validate_bars(symbol: str, frame: pd.DataFrame, as_of: dt.date) -> tuple[pd.DataFrame, list[Rejection]]:
    """FROZEN copy of validate.validate_bars from main before #14 (the reference)."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["date", *_PRICE, "adj_close", "volume"]), []
    f = frame.copy()
    f["date"] = [
        d if isinstance(d, dt.date) and not isinstance(d, dt.datetime) else calendar.to_date(d) for d in f["date"]
    ]
    for c in [*_PRICE, "adj_close", "volume"]:
        if c not in f.columns:
            f[c] = np.nan
        f[c] = pd.to_numeric(f[c], errors="coerce")
    n = len(f)
    dates = pd.DatetimeIndex(pd.to_datetime(f["date"]))
    in_cal = dates.isin(calendar.sessions_index(min(f["date"]), max(f["date"])))
    o, h, lo, c = (f[k].to_numpy(dtype=float) for k in _PRICE)
    adj, vol = f["adj_close"].to_numpy(dtype=float), f["volume"].to_numpy(dtype=float)
    oc_max = np.fmax(o, c)
    oc_min = np.fmin(o, c)
    prices = np.vstack([o, h, lo, c])
    checks = [
        (f["date"].duplicated(keep=False).to_numpy(), lambda i: "duplicate date in batch"),
        (np.array([d > as_of for d in f["date"]]), lambda i: f"after as-of {as_of.isoformat()} (session not closed)"),
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
        new = mask & ~bad
        for i in np.flatnonzero(new):
            reasons[int(i)] = why(int(i))
        bad |= mask
    rejects = [Rejection(symbol, f["date"].iloc[i].isoformat(), reasons[i]) for i in sorted(reasons)]
    good = f.loc[~bad].sort_values("date").reset_index(drop=True)
    for r in rejects:
        log.warning("rejected bar %s", r)
    return good, rejects


def _messy() -> pd.DataFrame:
    days = [d for d in calendar.sessions(dt.date(2025, 8, 1), dt.date(2025, 9, 30))]
    rng = np.random.default_rng(2)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
    f = pd.DataFrame(
        {
            "date": days,
            "open": close * 1.001,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "adj_close": close,
            "volume": rng.integers(1, 10**7, len(days)).astype(float),
        }
    )
    f = f.iloc[::-1].reset_index(drop=True)  # newest first: the good rows come back sorted
    f.loc[1, "date"] = f.loc[2, "date"]  # a duplicate date (both rows rejected)
    f.loc[3, "date"] = dt.date(2025, 9, 6)  # a Saturday
    f.loc[4, "close"] = np.nan
    f.loc[5, "high"] = np.inf
    f.loc[6, "low"] = f.loc[6, "close"] * 1.2  # low above min(open, close)
    f.loc[7, "high"] = f.loc[7, "close"] * 0.5
    f.loc[8, "volume"] = -1.0
    f.loc[9, "adj_close"] = 0.0
    f.loc[10, "open"] = 2e7
    f.loc[11, "volume"] = 1e13
    f.loc[12, "close"] = -3.0
    f.loc[13, "date"] = "2025-08-20"  # a string date
    f.loc[14, "date"] = pd.Timestamp("2025-08-19")
    return f


@pytest.mark.parametrize("as_of", [dt.date(2025, 9, 30), dt.date(2025, 9, 15)])
def test_validate_bars_equals_the_old_version_on_bad_rows(as_of):
    f = _messy()
    good, rej = validate_bars("ORCL", f, as_of)
    old_good, old_rej = old_validate_bars("ORCL", f, as_of)
    pd.testing.assert_frame_equal(good, old_good)
    assert rej == old_rej
    assert len(rej) >= 12


def test_validate_bars_equals_the_old_version_on_a_long_clean_history():
    days = calendar.sessions(dt.date(2016, 1, 4), dt.date(2025, 12, 31))
    c = np.linspace(10, 200, len(days))
    f = pd.DataFrame({"date": days, "open": c, "high": c * 1.01, "low": c * 0.99, "close": c, "volume": 5.0})
    good, rej = validate_bars("X", f, dt.date(2025, 12, 31))
    old_good, old_rej = old_validate_bars("X", f, dt.date(2025, 12, 31))
    pd.testing.assert_frame_equal(good, old_good)
    assert rej == old_rej == [] and len(good) == 2514


def test_empty_batch():
    good, rej = validate_bars("X", pd.DataFrame(), dt.date(2025, 1, 2))
    assert good.empty and rej == []
