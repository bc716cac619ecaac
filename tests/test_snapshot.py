"""The bundled snapshot holds the real values documented in its provenance."""

from __future__ import annotations

import datetime as dt

import pytest

from aimonitor.sources.snapshot import SnapshotSource, load_snapshot_bars

D = dt.date


def _bars(sym, start=D(2024, 1, 1), end=D(2026, 3, 1)):
    (res,) = SnapshotSource().fetch_bars([sym], start, end, as_of=end)
    return res.frame


def test_orcl_close_on_2025_09_10_and_its_jump():
    f = _bars("ORCL").set_index("date")
    assert round(f.loc[D(2025, 9, 10), "close"], 2) == 328.33
    assert round(f.loc[D(2025, 9, 9), "close"], 2) == 241.51
    assert round(f.loc[D(2025, 9, 10), "close"] / f.loc[D(2025, 9, 9), "close"] - 1, 4) == 0.3595


def test_crwv_first_session_is_ipo_day():
    f = _bars("CRWV")
    assert f["date"].iloc[0] == D(2025, 3, 28)
    assert f["close"].iloc[0] == pytest.approx(40.00)


def test_spy_has_541_sessions():
    f = _bars("SPY")
    assert len(f) == 541 and f["date"].iloc[0] == D(2024, 1, 2) and f["date"].iloc[-1] == D(2026, 2, 27)


def test_snapshot_never_delivers_after_as_of():
    (res,) = SnapshotSource().fetch_bars(["ORCL"], D(2025, 9, 1), D(2026, 3, 1), as_of=D(2025, 9, 9))
    assert res.frame["date"].max() == D(2025, 9, 9)


def test_unknown_symbol_is_a_per_symbol_failure():
    (res,) = SnapshotSource().fetch_bars(["ZZZZ"], D(2025, 9, 1), D(2025, 9, 9), as_of=D(2025, 9, 9))
    assert res.frame is None and "not in the bundled snapshot" in res.error


def test_symbols_in_snapshot():
    syms = set(load_snapshot_bars()["symbol"])
    assert {"ORCL", "CRWV", "AMD", "NVDA", "SPY", "QQQ", "SMH", "SOXX", "HYG", "LQD", "IEF", "TLT", "^VIX"} <= syms
