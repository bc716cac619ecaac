"""Signal storage in (date, signal) blocks (schema v4, #14) behaves like one row per value.

The reference is the v1 layout written out here with plain sqlite3: a ``signals`` table keyed
(date, symbol, signal), ``INSERT ... ON CONFLICT DO UPDATE ... WHERE value IS NOT
excluded.value`` and ``ORDER BY date, symbol, signal`` (what the store did before). Every
write's counts and every read must match it; values come back bit for bit.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import numpy as np
import pandas as pd
import pytest

from aimonitor import store as store_mod
from aimonitor.errors import StorageError
from aimonitor.store import SCHEMA_VERSION, Store

V1_SIGNALS = """CREATE TABLE signals (
    date TEXT NOT NULL, symbol TEXT NOT NULL, signal TEXT NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (date, symbol, signal))"""


class RowStore:
    """The v1 one-row-per-value signal table (the reference)."""

    def __init__(self) -> None:
        self.con = sqlite3.connect(":memory:")
        self.con.execute(V1_SIGNALS)

    def write(self, frame: pd.DataFrame) -> tuple[int, int]:
        rows = [
            (d.isoformat(), s, g, float(v))
            for d, s, g, v in frame[["date", "symbol", "signal", "value"]].itertuples(index=False)
        ]
        keys = {(d, s, g) for d, s, g, _ in rows}
        marks = ",".join("(?,?,?)" for _ in keys)
        flat = [x for k in keys for x in k]
        before = self.con.execute(
            f"SELECT COUNT(*) FROM signals WHERE (date, symbol, signal) IN (VALUES {marks})", flat
        ).fetchone()[0]
        changes = self.con.total_changes
        self.con.executemany(
            "INSERT INTO signals VALUES (?,?,?,?) ON CONFLICT (date, symbol, signal) "
            "DO UPDATE SET value = excluded.value WHERE signals.value IS NOT excluded.value",
            rows,
        )
        written = self.con.total_changes - changes
        new = len(keys) - before
        return new, written - new

    def read(self, names=None, start=None, end=None, symbols=None) -> pd.DataFrame:
        sql, params = "SELECT date, symbol, signal, value FROM signals WHERE 1=1", []
        for col, vals in (("signal", names), ("symbol", symbols)):
            if vals is not None:
                sql += f" AND {col} IN ({','.join('?' for _ in vals)})"
                params += list(vals)
        if start is not None:
            sql, params = sql + " AND date >= ?", [*params, str(start)]
        if end is not None:
            sql, params = sql + " AND date <= ?", [*params, str(end)]
        rows = self.con.execute(sql + " ORDER BY date, symbol, signal", params).fetchall()
        df = pd.DataFrame(rows, columns=["date", "symbol", "signal", "value"])
        df["date"] = pd.to_datetime(df["date"]).dt.date if not df.empty else df["date"]
        return df

    def delete_from(self, start: str) -> int:
        return self.con.execute("DELETE FROM signals WHERE date >= ?", (start,)).rowcount


def frame(days, symbols, names, seed: int, drop: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product([days, symbols, names], names=["date", "symbol", "signal"]).to_frame(index=False)
    idx["value"] = rng.normal(0, 1, len(idx)) * 10.0 ** rng.integers(-8, 8, len(idx))
    if drop:
        idx = idx[rng.random(len(idx)) >= drop]
    return idx.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # any row order


D = [dt.date(2025, 9, 1) + dt.timedelta(days=i) for i in range(12)]
SYMS = ["ORCL", "AMD", "NVDA", "LOOP", "BAMLH0A0HYM2", "A", "ZZ"]
NAMES = ["ret_1d", "corr_60d", "vol_20d_z", "staleness_sessions"]


def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    if len(want):
        assert list(got.dtypes) == list(want.dtypes)
        for c in ("date", "symbol", "signal"):
            assert got[c].tolist() == want[c].tolist()
        assert np.array_equal(got["value"].to_numpy(), want["value"].to_numpy())  # bit for bit


def test_writes_reads_and_deletes_match_one_row_per_value(tmp_path):
    ref, st = RowStore(), Store(tmp_path / "s.db")
    steps = [
        frame(D[:8], SYMS, NAMES, seed=1, drop=0.2),
        frame(D[:8], SYMS, NAMES, seed=1, drop=0.2),  # the same again: nothing new, nothing changed
        frame(D[5:12], SYMS[:4], NAMES[:2], seed=2),  # overlapping days, changed values
        frame(D[6:7], ["NEW", "AMD"], ["ret_1d", "new_signal"], seed=3),  # a new symbol in a stored block
    ]
    again = steps[2].copy()
    again.loc[again.index[:5], "value"] = again["value"].iloc[:5] + 1.0
    steps.append(again)
    for f in steps:
        c = st.write_signals(f)
        assert (c.rows_new, c.rows_updated) == ref.write(f)
    for kw in (
        {},
        {"names": ["ret_1d"]},
        {"names": ["ret_1d", "new_signal"], "symbols": ["AMD", "NEW"]},
        {"start": D[3], "end": D[7]},
        {"start": "2025-09-06", "symbols": ["LOOP"]},
        {"names": ["nothing"]},
    ):
        same(st.read_signals(**kw), ref.read(**kw))
    assert st.signal_sessions() == [d.isoformat() for d in D]
    assert st.table_counts()["signals"] == ref.con.execute("SELECT COUNT(*) FROM signals").fetchone()[0]
    assert st.delete_signals_from(D[9]) == ref.delete_from(D[9].isoformat())
    same(st.read_signals(), ref.read())
    st.close()


def test_empty_and_bad_batches(tmp_path):
    st = Store(tmp_path / "s.db")
    assert st.write_signals(pd.DataFrame(columns=["date", "symbol", "signal", "value"])).rows_new == 0
    same(st.read_signals(), RowStore().read())
    f = frame(D[:2], ["ORCL"], ["ret_1d"], seed=4)
    with pytest.raises(StorageError, match="duplicate key"):
        st.write_signals(pd.concat([f, f.iloc[:1]]))
    f.loc[0, "value"] = np.nan
    with pytest.raises(StorageError, match="no value"):
        st.write_signals(f)
    assert st.read_signals().empty  # nothing of a rejected batch is stored
    st.close()


def test_v3_database_upgrades_and_keeps_its_signals(tmp_path):
    """A database written by the v3 schema (signals one row per value) opens as the current
    schema (v4 signal blocks, v5 derived inputs) with every value."""
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    for version in store_mod.MIGRATIONS[:3]:
        for stmt in version:
            con.execute(stmt)
    con.execute("PRAGMA user_version = 3")
    f = frame(D, SYMS, NAMES, seed=7, drop=0.3)
    rows = [(d.isoformat(), s, g, v) for d, s, g, v in f.itertuples(index=False)]
    con.executemany("INSERT INTO signals VALUES (?,?,?,?)", rows)
    con.execute("INSERT INTO bars (symbol, date, close, source, fetched_at) VALUES ('ORCL', '2025-09-01', 1, 'x', 'y')")
    con.commit()
    con.close()
    ref = RowStore()
    ref.con.executemany("INSERT INTO signals VALUES (?,?,?,?)", rows)
    with Store(path) as st:
        assert st.schema_version == SCHEMA_VERSION == 5
        same(st.read_signals(), ref.read())
        same(
            st.read_signals(names=["corr_60d"], symbols=["LOOP", "A"]),
            ref.read(names=["corr_60d"], symbols=["LOOP", "A"]),
        )
        assert st.table_counts()["signals"] == len(rows)
        assert st.table_counts()["bars"] == 1
        # the upgraded store keeps working: a re-write of the same values changes nothing
        c = st.write_signals(f)
        assert (c.rows_new, c.rows_updated) == (0, 0)
    with sqlite3.connect(path) as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "signals" not in tables and "signal_blocks" in tables
    assert "derived_inputs" in tables  # v5: the record of the FRED inputs a derived session used


def test_rewind_forgets_signals_from_the_session(tmp_path):
    st = Store(tmp_path / "s.db")
    f = frame(D[:6], SYMS[:3], NAMES[:2], seed=9)
    st.write_signals(f)
    out = st.rewind_alerts(D[4].isoformat())
    assert out["signals"] == int((f["date"] >= D[4]).sum())
    assert st.signal_sessions() == [d.isoformat() for d in D[:4]]
    st.close()
