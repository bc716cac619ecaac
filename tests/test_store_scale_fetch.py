"""The lean fetch path (#14) gives what the old one gave.

``validate_bars`` is compared with a frozen copy of the version on main before the
rewrite (``old_validate_bars`` below, kept verbatim), on a batch holding every kind of bad
row, and on a clean 2,514-session history: the same good frame and the same rejections.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

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


# --------------------------------------------------------------------------- one CSV reader (#16)


def test_cds_and_fundamentals_readers_report_like_before(tmp_path):
    """The messages the two readers gave before they shared csvsafe.read_csv_rows (written out here)."""
    import warnings

    from aimonitor.errors import DataError
    from aimonitor.sources.cdsquotes import load_cds_quotes_csv
    from aimonitor.sources.fundamentals import load_fundamentals_csv

    p = tmp_path / "x.csv"
    cases = [
        (
            "",
            "empty CDS quotes file; expected a header entity,date,tenor,spread_bp,source",
            "empty fundamentals file; expected a header row",
        ),
        (
            "foo,bar\n",
            ":1: missing column(s) entity, date, tenor, spread_bp; expected entity,date,tenor,spread_bp,source",
            ":1: missing column(s) symbol, period_end, filed_date; expected at least symbol, period_end, filed_date",
        ),
    ]
    for text, cds_msg, fund_msg in cases:
        p.write_text(text, encoding="utf-8")
        with pytest.raises(DataError, match=re.escape(cds_msg)):
            load_cds_quotes_csv(p)
        with pytest.raises(DataError, match=re.escape(fund_msg)):
            load_fundamentals_csv(p)
    with pytest.raises(DataError, match="cannot read CDS quotes file"):
        load_cds_quotes_csv(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="cannot read fundamentals file"):
        load_fundamentals_csv(tmp_path / "missing.csv")

    # CDS: bad rows are skipped with a warning naming file:line; "symbol" is read as "entity"
    p.write_text(
        "Symbol,Date,Tenor,Spread_bp\norcl,2025-09-10,5y,120\n\n,,,\nORCL,2025-09-11,5Y\nORCL,2025-09-13,5Y,1\n"
    )
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        df = load_cds_quotes_csv(p)
    assert df[["entity", "tenor", "spread_bp", "source"]].values.tolist() == [["ORCL", "5Y", 120.0, "user"]]
    assert df.attrs["rejected"] == [
        f"{p}:5: expected 4 fields, got 3; row skipped",
        f"{p}:6: date: 2025-09-13 is a Saturday; CDS quotes are dated on weekdays; row skipped",
    ]
    # fundamentals: every bad row listed (line numbers count the blank line)
    p.write_text(
        "symbol,period_end,filed_date,total_debt\nORCL,2025-05-31,2025-06-20,1\n\nORCL,2025-05-31,2025-06-21,2\nAMD,2025-06-28\n"
    )
    with pytest.raises(DataError) as err:
        load_fundamentals_csv(p)
    assert str(err.value) == (
        f"2 bad row(s) in fundamentals: {p}:4: duplicate row for ORCL period_end 2025-05-31 (first at line 2); "
        f"{p}:5: expected 4 fields, got 2"
    )
