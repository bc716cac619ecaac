"""Signal derivation over time: FRED publication lag, late FRED prints, point-in-time calibration.

Expected values are hand computations on small frames and facts of the bundled FRED data
(ICE BofA US High Yield OAS, BAMLH0A0HYM2, in percent: 2025-03-10 3.16, 2025-04-04 4.45,
2025-04-07 4.61, 2025-09-02 2.92, 2025-09-03 2.88), written down here, not read from the code.
"""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from aimonitor import calendar as cal
from aimonitor.analytics.signals import SignalInputs, compute_signals
from aimonitor.errors import DataError
from aimonitor.ingest import run_fetch
from aimonitor.pipeline import update_signals
from aimonitor.sources.snapshot import SnapshotSource
from aimonitor.store import Store

D = dt.date
HY = "BAMLH0A0HYM2"
SPREAD_SIGNALS = ["spread_proxy_bp", "spread_change_20d_bp", "spread_z_1y"]


def _series(df: pd.DataFrame, signal: str, symbol: str) -> pd.Series:
    rows = df[(df["signal"] == signal) & (df["symbol"] == symbol)]
    return pd.Series(rows["value"].to_numpy(), index=pd.to_datetime(rows["date"]))


def _stored(store: Store, signal: str, symbol: str, day: dt.date) -> float:
    df = store.read_signals(names=[signal], symbols=[symbol], start=day, end=day)
    assert len(df) == 1, f"{signal} {symbol} {day}: {len(df)} rows"
    return float(df["value"].iloc[0])


# ----------------------------------------------------------------------------- hand frames


def test_fred_value_is_usable_from_the_next_session():
    # 2025-07-04 (Friday) is an NYSE holiday: Thursday 07-03's value is usable on Monday 07-07
    idx = cal.sessions_index("2025-06-30", "2025-07-09")
    closes = pd.DataFrame({"SPY": np.ones(len(idx))}, index=idx)
    obs = pd.to_datetime(["2025-06-30", "2025-07-01", "2025-07-02", "2025-07-03", "2025-07-07", "2025-07-08"])
    oas = pd.DataFrame({HY: [300.0, 301.0, 302.0, 303.0, 307.0, 308.0]}, index=obs)
    same_day = _series(
        compute_signals(SignalInputs(closes=closes, fred_oas=oas), names=["fred_oas_bp"]), "fred_oas_bp", HY
    )
    lagged = _series(
        compute_signals(SignalInputs(closes=closes, fred_oas=oas, fred_lag_sessions=1), names=["fred_oas_bp"]),
        "fred_oas_bp",
        HY,
    )
    assert same_day[pd.Timestamp("2025-07-07")] == 307.0
    assert pd.Timestamp("2025-06-30") not in lagged.index  # nothing published before it
    assert lagged[pd.Timestamp("2025-07-01")] == 300.0
    assert lagged[pd.Timestamp("2025-07-03")] == 302.0
    assert lagged[pd.Timestamp("2025-07-07")] == 303.0
    assert lagged[pd.Timestamp("2025-07-09")] == 308.0


def test_fred_lag_counts_a_closed_day_observation_from_the_session_before():
    # an observation dated Saturday 2025-06-07 is treated as published Friday evening:
    # usable Monday 06-09 with a one-session lag (and also Monday with no lag)
    idx = cal.sessions_index("2025-06-02", "2025-06-13")
    closes = pd.DataFrame({"SPY": np.ones(len(idx))}, index=idx)
    oas = pd.DataFrame({HY: [300.0, 350.0]}, index=pd.to_datetime(["2025-06-05", "2025-06-07"]))
    for lag in (0, 1):
        s = _series(
            compute_signals(SignalInputs(closes=closes, fred_oas=oas, fred_lag_sessions=lag), names=["fred_oas_bp"]),
            "fred_oas_bp",
            HY,
        )
        assert s[pd.Timestamp("2025-06-06")] == 300.0
        assert s[pd.Timestamp("2025-06-09")] == 350.0


def test_fred_lag_must_be_a_whole_number():
    idx = cal.sessions_index("2025-06-02", "2025-06-06")
    with pytest.raises(DataError, match="fred_lag_sessions"):
        SignalInputs(closes=pd.DataFrame({"SPY": 1.0}, index=idx), fred_lag_sessions=-1)


def test_spread_change_is_taken_under_the_calibration_of_its_session():
    # base history: 100 + i bp on session i; from session 30 a recalibration doubles the
    # whole history (200 + 2i). Session 30 reads 260 and its change is 2 * 20 = 40 (not the
    # 260 - 120 = 140 a spliced series would show); session 29 reads 129 and changes by 20.
    idx = cal.sessions_index("2025-01-02", "2025-03-31")
    i = np.arange(len(idx), dtype=float)
    closes = pd.DataFrame({"ORCL": np.ones(len(idx))}, index=idx)
    base = pd.DataFrame({"ORCL": 100.0 + i}, index=idx)
    recal = pd.DataFrame({"ORCL": 200.0 + 2 * i}, index=idx)
    inputs = SignalInputs(
        closes=closes, sessions=idx, spread_proxy=base, spread_recalibrations=[(idx[30].date(), recal)]
    )
    df = compute_signals(inputs, names=["spread_proxy_bp", "spread_change_20d_bp"])
    level, change = _series(df, "spread_proxy_bp", "ORCL"), _series(df, "spread_change_20d_bp", "ORCL")
    assert level[idx[29]] == 129.0 and level[idx[30]] == 260.0 and level[idx[40]] == 280.0
    assert change[idx[29]] == 20.0 and change[idx[30]] == 40.0
    assert (change == np.where(change.index >= idx[30], 40.0, 20.0)).all()


# ----------------------------------------------------------------------------- the cycle on the snapshot


def test_fred_oas_signals_in_the_cycle_use_the_previous_days_print(cfg, store):
    run_fetch(cfg, store, SnapshotSource(), as_of=D(2025, 4, 8))
    update_signals(cfg, store, D(2025, 4, 8))
    # 2025-04-07 (Monday) sees Friday 04-04's 4.45 %, not its own 4.61 %
    assert _stored(store, "fred_oas_bp", HY, D(2025, 4, 7)) == pytest.approx(445.0)
    assert _stored(store, "fred_oas_bp", HY, D(2025, 4, 8)) == pytest.approx(461.0)
    # 20 sessions before 2025-04-08 is 2025-03-11, which sees 03-10's 3.16 %
    assert _stored(store, "fred_oas_change_20d_bp", HY, D(2025, 4, 8)) == pytest.approx(461.0 - 316.0)


def test_a_late_fred_print_rederives_the_sessions_it_affects(cfg, store, db_0905, db_copy):
    end = D(2025, 9, 5)
    src = SnapshotSource()
    run_fetch(cfg, store, src, as_of=end)
    late = store.conn.execute(
        "SELECT series, date, value, unit, source FROM fred WHERE date = '2025-09-03' AND series LIKE 'BAML%'"
    ).fetchall()
    assert len(late) == 3
    store.conn.execute("DELETE FROM fred WHERE date = '2025-09-03' AND series LIKE 'BAML%'")
    update_signals(cfg, store, end)
    # without 09-03's print, 09-04 carries 09-02's 2.92 %
    assert _stored(store, "fred_oas_bp", HY, D(2025, 9, 4)) == pytest.approx(292.0)
    assert update_signals(cfg, store, end) == 0
    # the prints arrive late (after 09-04 was derived)
    for series, date, value, unit, source in late:
        frame = pd.DataFrame({"date": [date], "value": [value]})
        store.write_fred(series, frame, unit=unit, source=source, fetched_at="2025-09-08T12:00:00+00:00")
    assert update_signals(cfg, store, end) > 0
    assert _stored(store, "fred_oas_bp", HY, D(2025, 9, 4)) == pytest.approx(288.0)
    # what is stored now equals a derivation that had the print on time (the db_0905 template:
    # the snapshot through 2025-09-05 fetched and derived from scratch)
    with Store(db_copy(db_0905, "clean.db")) as clean:
        want = clean.read_signals(start=D(2025, 9, 2), end=end)
    got = store.read_signals(start=D(2025, 9, 2), end=end)
    key = ["date", "symbol", "signal"]
    m = want.merge(got, on=key, how="outer", suffixes=("_clean", "_late"), indicator=True)
    assert (m["_merge"] == "both").all(), m[m["_merge"] != "both"][key].to_string()
    assert (m["value_clean"] - m["value_late"]).abs().max() < 1e-9
    # idempotent: the same call again derives and changes nothing
    before = store.read_signals()
    assert update_signals(cfg, store, end) == 0
    pd.testing.assert_frame_equal(store.read_signals(), before)


QUOTES = pd.DataFrame(
    {
        "entity": ["ORCL", "ORCL", "CRWV"],
        # a Saturday quote is in force from Monday 09-08
        "date": ["2025-09-05", "2025-09-06", "2025-09-09"],
        "tenor": ["5Y", "5Y", "5Y"],
        "spread_bp": [150.0, 140.0, 500.0],
        "source": ["test", "test", "test"],
    }
)


def test_batch_derivation_equals_session_by_session_with_quotes(cfg, tmp_path):
    """One derivation over every session stores what deriving 09-04..09-11 one by one stores."""
    end = D(2025, 9, 11)
    with Store(tmp_path / "batch.db") as s:  # closing checkpoints the WAL: the file is the database
        run_fetch(cfg, s, SnapshotSource(), as_of=end)
        s.write_cds_quotes(QUOTES)
    shutil.copyfile(tmp_path / "batch.db", tmp_path / "daily.db")  # the same data in both
    with Store(tmp_path / "batch.db") as batch, Store(tmp_path / "daily.db") as daily:
        update_signals(cfg, batch, end)
        update_signals(cfg, daily, D(2025, 9, 3))
        for day in cal.sessions(D(2025, 9, 4), end):
            update_signals(cfg, daily, day)
        names = [*SPREAD_SIGNALS, "fred_oas_bp", "fred_oas_change_20d_bp"]
        want = daily.read_signals(names=names, start=D(2025, 9, 4), end=end)
        got = batch.read_signals(names=names, start=D(2025, 9, 4), end=end)
        orcl_before = _stored(batch, "spread_proxy_bp", "ORCL", D(2025, 9, 4))
        orcl_on = _stored(batch, "spread_proxy_bp", "ORCL", D(2025, 9, 5))
        orcl_change = _stored(batch, "spread_change_20d_bp", "ORCL", D(2025, 9, 5))
    key = ["date", "symbol", "signal"]
    m = want.merge(got, on=key, how="outer", suffixes=("_daily", "_batch"), indicator=True)
    assert (m["_merge"] == "both").all(), m[m["_merge"] != "both"][key].to_string()
    assert set(m["signal"]) >= set(SPREAD_SIGNALS)
    assert (m["value_daily"] - m["value_batch"]).abs().max() < 1e-9
    # no look-ahead: the session before the first quote is not expressed under it (ORCL traded
    # just under 60 bp in early September 2025; the uncalibrated proxy reads below that)
    assert orcl_before < 60.0
    # the quote day reads the quote (one quote, reachable by the bounded fit) ...
    assert orcl_on == pytest.approx(150.0, abs=1.0)
    # ... and its 20-session change, under that same calibration, stays below the 40 bp warning
    assert orcl_change < 40.0
