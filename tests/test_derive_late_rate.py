"""A late or revised Treasury yield print (the credit model's risk-free rate, FRED DGS5)
derives again the sessions it affects, as a late OAS print does (issue #14)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from aimonitor.ingest import run_fetch
from aimonitor.pipeline import update_signals
from aimonitor.sources.snapshot import SnapshotSource
from aimonitor.store import Store

D = dt.date
RATE = "DGS5"
END = D(2025, 9, 5)


def _spreads(store: Store, start: dt.date) -> pd.DataFrame:
    return store.read_signals(names=["spread_proxy_bp"], start=start, end=END)


def _same_as_a_clean_derivation(cfg, store: Store, tmp_path, edit=None, clean_db: Path | None = None) -> None:
    """What ``store`` holds now equals a derivation from scratch on the same data: the snapshot
    through END, changed by ``edit``, derived here; or, unchanged, the ``db_0905`` template
    (``clean_db``: the snapshot through END fetched and derived from scratch)."""
    if clean_db is not None:
        assert edit is None
        with Store(clean_db) as clean:
            want = clean.read_signals()
    else:
        with Store(tmp_path / "clean.db") as clean:
            run_fetch(cfg, clean, SnapshotSource(), as_of=END)
            edit(clean)
            update_signals(cfg, clean, END)
            want = clean.read_signals()
    got = store.read_signals()
    pd.testing.assert_frame_equal(got, want)


def test_a_late_rate_print_rederives_the_sessions_it_affects(cfg, store, tmp_path, db_0905, db_copy):
    run_fetch(cfg, store, SnapshotSource(), as_of=END)
    late = store.conn.execute(
        "SELECT date, value, unit, source FROM fred WHERE series = ? AND date = '2025-09-02'", (RATE,)
    ).fetchall()
    assert len(late) == 1
    store.conn.execute("DELETE FROM fred WHERE series = ? AND date = '2025-09-02'", (RATE,))
    update_signals(cfg, store, END)
    before = _spreads(store, D(2025, 9, 2))
    assert update_signals(cfg, store, END) == 0
    # 09-02's yield arrives after 09-03..09-05 were derived with 08-29's carried forward
    date, value, unit, source = late[0]
    store.write_fred(RATE, pd.DataFrame({"date": [date], "value": [value]}), unit=unit, source=source)
    assert update_signals(cfg, store, END) > 0
    after = _spreads(store, D(2025, 9, 2))
    # the rate is usable from the next session (fred_lag_sessions = 1): 09-03 on moves
    moved = after.merge(before, on=["date", "symbol", "signal"], suffixes=("", "_before"))
    changed = moved[moved["value"] != moved["value_before"]]
    assert not changed.empty and min(changed["date"]) == D(2025, 9, 3)
    _same_as_a_clean_derivation(cfg, store, tmp_path, clean_db=db_copy(db_0905, "clean.db"))
    assert update_signals(cfg, store, END) == 0


@pytest.fixture
def derived(db_0905, db_copy):
    """A store holding the snapshot through END and its signals (the ``db_0905`` template)."""
    with Store(db_copy(db_0905, "t.db")) as s:
        yield s


def test_a_revised_rate_print_rederives_the_sessions_it_affects(cfg, derived, tmp_path):
    store = derived
    before = _spreads(store, D(2025, 8, 25))
    # FRED revises 08-27's yield by +50 bp after the sessions that used it were derived
    (old,) = store.conn.execute("SELECT value FROM fred WHERE series = ? AND date = '2025-08-27'", (RATE,)).fetchone()

    def revise(s: Store) -> None:
        unit = s.conn.execute("SELECT unit FROM fred WHERE series = ? LIMIT 1", (RATE,)).fetchone()[0]
        frame = pd.DataFrame({"date": ["2025-08-27"], "value": [old + 50.0]})
        s.write_fred(RATE, frame, unit=unit, source="revision")

    revise(store)
    assert update_signals(cfg, store, END) > 0
    after = _spreads(store, D(2025, 8, 25))
    moved = after.merge(before, on=["date", "symbol", "signal"], suffixes=("", "_before"))
    changed = moved[moved["value"] != moved["value_before"]]
    # used from 08-28 until the next print (08-28's) is usable on 08-29
    assert sorted(set(changed["date"])) == [D(2025, 8, 28)]
    _same_as_a_clean_derivation(cfg, store, tmp_path, revise)
