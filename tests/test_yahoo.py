"""The Yahoo adapter on frames shaped exactly like yfinance 1.x returns them (no network)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from aimonitor.errors import FetchError

D = dt.date
FIELDS = ["Adj Close", "Close", "High", "Low", "Open", "Volume"]


def _yahoo():
    """aimonitor.sources.yahoo, imported when a test runs: it imports yfinance (~0.4 s), which
    no other test module needs, so a worker that runs none of these tests never imports it."""
    from aimonitor.sources import yahoo

    return yahoo


def yf_frame(data: dict[str, dict[str, list[float]]], dates: list[str]) -> pd.DataFrame:
    """A frame as ``yf.download(group_by='column', multi_level_index=True, auto_adjust=False)`` gives:
    (Price, Ticker) MultiIndex columns sorted by price field, a DatetimeIndex named Date."""
    tickers = sorted(data)
    cols = pd.MultiIndex.from_product([FIELDS, tickers], names=["Price", "Ticker"])
    frame = pd.DataFrame(index=pd.DatetimeIndex(pd.to_datetime(dates), name="Date"), columns=cols, dtype=float)
    for t, fields in data.items():
        for f, vals in fields.items():
            frame[(f, t)] = vals
    return frame


def bars(close: list[float], vol: float = 1e6) -> dict[str, list[float]]:
    c = np.array(close, dtype=float)
    return {
        "Open": list(c * 0.99),
        "High": list(c * 1.01),
        "Low": list(c * 0.98),
        "Close": list(c),
        "Adj Close": list(c * 0.995),
        "Volume": [vol] * len(c),
    }


class FakeFred:
    def fetch_fred(self, series, start, end):
        return []


def source(download, **kw):
    return _yahoo().YahooSource(download=download, sleep=lambda s: None, fred=FakeFred(), **kw)


def test_offline_empty_frame_is_one_clear_error():
    # offline, yfinance returns an empty frame with the (Price, Ticker) columns and does not raise
    empty = yf_frame({"ORCL": {}, "SPY": {}}, [])
    calls = []

    def download(**kw):
        calls.append(kw)
        return empty

    with pytest.raises(FetchError) as exc:
        source(download, max_retries=2).fetch_bars(["ORCL", "SPY"], D(2025, 9, 2), D(2025, 9, 10), D(2025, 9, 10))
    msg = str(exc.value)
    assert "Yahoo" in msg and "no data" in msg and "--source snapshot" in msg
    assert len(calls) == 3  # bounded: first try + 2 retries
    # every behaviour-changing argument is explicit
    kw = calls[0]
    for k, v in {
        "auto_adjust": False,
        "group_by": "column",
        "multi_level_index": True,
        "progress": False,
        "actions": False,
        "threads": True,
    }.items():
        assert kw[k] == v
    assert kw["timeout"] == 20.0
    assert kw["end"] == "2025-09-11"  # yfinance's end is exclusive


def test_multiindex_frame_is_split_per_symbol():
    f = yf_frame({"ORCL": bars([241.51, 328.33]), "SPY": bars([650.0, 652.0])}, ["2025-09-09", "2025-09-10"])
    out = source(lambda **kw: f).fetch_bars(["ORCL", "SPY"], D(2025, 9, 9), D(2025, 9, 10), D(2025, 9, 10))
    by = {r.name: r for r in out}
    assert by["ORCL"].error is None
    orcl = by["ORCL"].frame
    assert list(orcl.columns) == ["date", "open", "high", "low", "close", "adj_close", "volume"]
    assert orcl["date"].tolist() == [D(2025, 9, 9), D(2025, 9, 10)]
    assert orcl["close"].tolist() == [241.51, 328.33]
    assert orcl["adj_close"].iloc[1] == pytest.approx(328.33 * 0.995)


def test_all_nan_symbol_is_a_per_symbol_failure_not_stored():
    f = yf_frame({"ORCL": bars([241.51, 328.33]), "XXXX": {}}, ["2025-09-09", "2025-09-10"])
    out = source(lambda **kw: f, max_retries=0).fetch_bars(
        ["ORCL", "XXXX"], D(2025, 9, 9), D(2025, 9, 10), D(2025, 9, 10)
    )
    by = {r.name: r for r in out}
    assert by["ORCL"].frame is not None and len(by["ORCL"].frame) == 2
    assert by["XXXX"].frame is None and "no bars" in by["XXXX"].error


def test_rate_limit_then_success_retries_with_backoff():
    from yfinance.exceptions import YFRateLimitError

    f = yf_frame({"ORCL": bars([241.51, 328.33])}, ["2025-09-09", "2025-09-10"])
    attempts, sleeps = [], []

    def download(**kw):
        attempts.append(1)
        if len(attempts) == 1:
            raise YFRateLimitError()
        return f

    src = _yahoo().YahooSource(download=download, sleep=sleeps.append, fred=FakeFred(), backoff=2.0)
    out = src.fetch_bars(["ORCL"], D(2025, 9, 9), D(2025, 9, 10), D(2025, 9, 10))
    assert len(attempts) == 2 and len(sleeps) == 1
    assert 1.0 <= sleeps[0] < 3.0  # 2 s backoff with ±50 % jitter
    assert out[0].frame["close"].tolist() == [241.51, 328.33]


def test_unfinished_session_is_never_returned():
    # Yahoo returns today's partial bar during the session; as_of is the last *completed* session
    f = yf_frame({"ORCL": bars([241.51, 328.33, 330.0])}, ["2025-09-09", "2025-09-10", "2025-09-11"])
    out = source(lambda **kw: f).fetch_bars(["ORCL"], D(2025, 9, 9), D(2025, 9, 11), as_of=D(2025, 9, 10))
    assert out[0].frame["date"].max() == D(2025, 9, 10)


def test_group_by_ticker_and_flat_columns_are_understood():
    f = yf_frame({"ORCL": bars([1.0, 2.0]), "SPY": bars([3.0, 4.0])}, ["2025-09-09", "2025-09-10"])
    swapped = f.swaplevel(axis=1).sort_index(axis=1)
    assert _yahoo().split_download(swapped, ["ORCL", "SPY"])["SPY"]["close"].tolist() == [3.0, 4.0]
    flat = f.xs("ORCL", axis=1, level="Ticker")
    assert _yahoo().split_download(flat, ["ORCL"])["ORCL"]["close"].tolist() == [1.0, 2.0]


def test_balance_sheet_rows_from_ticker_frame():
    # Ticker.quarterly_balance_sheet: line items × period-end Timestamps (newest first)
    bs = pd.DataFrame(
        {
            pd.Timestamp("2025-11-30"): [8091e6, 99984e6, 108075e6, 2873e6],
            pd.Timestamp("2025-08-31"): [9079e6, 82236e6, 91315e6, np.nan],
        },
        index=["Current Debt", "Long Term Debt", "Total Debt", "Ordinary Shares Number"],
    )
    rows = _yahoo().balance_sheet_rows("ORCL", bs, as_of=D(2025, 12, 15))
    assert [r["period_end"].date() for r in rows] == [D(2025, 11, 30), D(2025, 8, 31)]
    assert rows[0]["total_debt"] == 108075e6 and rows[0]["shares_outstanding"] == 2873e6
    assert rows[1]["shares_outstanding"] is None
    assert rows[0]["filed_date"].date() == D(2025, 12, 15)  # Yahoo has no filing date: first seen
    assert _yahoo().balance_sheet_rows("ORCL", bs, as_of=D(2025, 10, 1))[0]["period_end"].date() == D(2025, 8, 31)


@pytest.mark.network
def test_live_yahoo_download():  # opt-in: pytest -m network
    out = _yahoo().YahooSource(max_retries=1).fetch_bars(["SPY"], D(2025, 9, 2), D(2025, 9, 10), D(2025, 9, 10))
    assert out[0].frame is not None and len(out[0].frame) == 7
