"""The store never loses or duplicates a row; batches are atomic; schema is versioned."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd
import pytest

from aimonitor.errors import StorageError
from aimonitor.store import SCHEMA_VERSION, Store

D = dt.date


def _frame(closes, start=D(2025, 9, 8)):
    dates = pd.bdate_range(start, periods=len(closes))
    return pd.DataFrame(
        {
            "date": [d.date() for d in dates],
            "open": closes,
            "high": [c + 1 for c in closes],
            "low": [c - 1 for c in closes],
            "close": closes,
            "adj_close": closes,
            "volume": [100.0] * len(closes),
        }
    )


def test_upsert_is_idempotent_and_counts_changes(store):
    first = store.write_bars("ORCL", _frame([1.0, 2.0, 3.0]), "test")
    assert (first.rows_new, first.rows_updated) == (3, 0)
    again = store.write_bars("ORCL", _frame([1.0, 2.0, 3.0]), "test")
    assert (again.rows_new, again.rows_updated) == (0, 0)
    revised = store.write_bars("ORCL", _frame([1.0, 2.5, 3.0, 4.0]), "test")
    assert (revised.rows_new, revised.rows_updated) == (1, 1)
    assert store.read_prices(["ORCL"], "close")["ORCL"].tolist() == [1.0, 2.5, 3.0, 4.0]


def test_a_crash_mid_batch_leaves_the_previous_state(store):
    store.write_bars("ORCL", _frame([1.0, 2.0]), "test")
    bad = _frame([5.0, 6.0, 7.0])
    bad.loc[2, "close"] = None  # NOT NULL violation on the third row, after two good writes
    with pytest.raises(StorageError, match="rolled back.*NOT NULL"):
        store.write_bars("ORCL", bad, "test")
    assert store.read_prices(["ORCL"], "close")["ORCL"].tolist() == [1.0, 2.0]


def test_schema_version_and_wal(tmp_path):
    s = Store(tmp_path / "a.db")
    assert s.schema_version == SCHEMA_VERSION
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    s.close()
    s2 = Store(tmp_path / "a.db")  # reopening migrates nothing and keeps data
    assert s2.schema_version == SCHEMA_VERSION
    s2.close()


def test_newer_schema_is_refused(tmp_path):
    p = tmp_path / "b.db"
    c = sqlite3.connect(p)
    c.execute("PRAGMA user_version = 99")
    c.close()
    with pytest.raises(StorageError, match="newer than this aimonitor"):
        Store(p)


def test_not_a_database_is_a_clear_error(tmp_path):
    p = tmp_path / "c.db"
    p.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="cannot open the database"):
        Store(p)


def test_fundamentals_keep_the_earliest_filing_date(store):
    row = {
        "symbol": "ORCL",
        "period_end": pd.Timestamp("2025-11-30"),
        "filed_date": pd.Timestamp("2025-12-11"),
        "total_debt": 108075e6,
        "shares_outstanding": 2873130000.0,
        "source": "yahoo",
    }
    store.write_fundamentals(pd.DataFrame([row]))
    later = dict(row, filed_date=pd.Timestamp("2026-01-05"))
    c = store.write_fundamentals(pd.DataFrame([later]))
    assert (c.rows_new, c.rows_updated) == (0, 0)
    assert store.read_fundamentals(["ORCL"])["filed_date"].iloc[0] == pd.Timestamp("2025-12-11")
