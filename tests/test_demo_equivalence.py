"""The demo's replay (fetch once, derive once, evaluate session by session)
stores and writes exactly what the per-session cycle the demo used to run stores and writes.

The reference is the old path itself: ``run_cycle`` on every session, each fetching from the
snapshot as of that session and deriving that session's signals (what ``aimonitor demo`` did
before issue #14). Pieces of the replay that stand in for a per-session store read are
checked against that read: the last data date per symbol (against a store holding only the
data known on the session) and the rules' signal window.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from aimonitor import calendar
from aimonitor.ingest import run_fetch
from aimonitor.pipeline import (
    DataDates,
    ReplayData,
    _derived_symbols,
    _signals_for,
    last_data_dates,
    replay_cycles,
    run_cycle,
)
from aimonitor.services import import_events
from aimonitor.sources.snapshot import SnapshotSource
from aimonitor.store import Store

D = dt.date

#: A session whose look-back reaches the snapshot's first bar (2026-01-29), then nineteen
#: with more than 520 sessions of history: alerts fire on the first session (drawdowns already
#: deep), remind, resolve (abnormal moves), go stale (HYG, IEF, LQD, TLT end on 2026-02-18 in
#: the snapshot: no data from 02-24, stale on 02-26) and spread by contagion. Each session of
#: the per-session path costs a fetch and a derivation: the window is no longer than that.
WINDOW = (D(2026, 1, 29), D(2026, 2, 26))

#: What defines the alerting outcome (run times and outbox timestamps excluded).
TABLES = {
    "alerts": "*",
    "alert_transitions": "*",
    "alert_state": "*",
    "alert_state_history": "*",
    "alert_history": "*",
    "outbox": "alert_id, session, to_state, channel, status, attempts",
    "signal_blocks": "*",
    "runs": "as_of, kind, status",
}


def _tables(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as con:
        return {t: sorted(con.execute(f"SELECT {cols} FROM {t}").fetchall(), key=repr) for t, cols in TABLES.items()}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _old_demo(cfg, db: Path, alerts: Path, start: dt.date, end: dt.date) -> None:
    """The demo's replay before #14: load through the session before, then one cycle per session."""
    src = SnapshotSource()
    with Store(db) as store:
        run_fetch(cfg, store, src, as_of=calendar.previous_session(start))
        import_events(store, cfg.events.catalog)
        for day in calendar.sessions(start, end):
            run_cycle(cfg, store, src, day, channels=(), alerts_dir=alerts, kind="demo")


def _new_demo(cfg, db: Path, alerts: Path, start: dt.date, end: dt.date) -> None:
    with Store(db) as store:
        import_events(store, cfg.events.catalog)
        replay_cycles(cfg, store, SnapshotSource(), calendar.sessions(start, end), alerts_dir=alerts, kind="demo")


@pytest.mark.slow
def test_replay_stores_and_writes_what_a_cycle_per_session_does(cfg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing lands in the repository's alerts/
    start, end = WINDOW
    _old_demo(cfg, tmp_path / "old.db", tmp_path / "old_alerts", start, end)
    _new_demo(cfg, tmp_path / "new.db", tmp_path / "new_alerts", start, end)
    old, new = _tables(tmp_path / "old.db"), _tables(tmp_path / "new.db")
    # the window exercises what it must: fired, reminded, resolved, stale data, contagion
    moves = {(t[2], t[3]) for t in old["alert_transitions"]}  # (to_state, from_state)
    assert {("firing", "inactive"), ("firing", "firing"), ("resolved", "firing")} <= moves
    rules = {t[0].split(":")[0] for t in old["alert_transitions"]}
    assert {"nodata", "stale_data", "contagion", "drawdown_critical", "abnormal_move"} <= rules
    assert len(old["runs"]) == len(calendar.sessions(start, end))
    for table in TABLES:
        assert new[table] == old[table], table
    old_files, new_files = _files(tmp_path / "old_alerts"), _files(tmp_path / "new_alerts")
    assert sorted(new_files) == sorted(old_files)
    assert {n for n in old_files if n.endswith(".md")}  # digests were written
    for name, content in old_files.items():
        assert new_files[name] == content, name


def test_data_dates_give_each_sessions_last_stored_data(cfg, tmp_path, db_prices, db_copy):
    """Read once from a store holding everything (``db_prices``: the snapshot fetched as of
    2026-02-27), each session's last data dates equal what a store holding only the data known
    on that session reports (HYG and friends stop on 2026-02-18 in the snapshot; FRED series
    end on their own dates)."""
    src = SnapshotSource()
    derived = _derived_symbols(cfg)
    with Store(db_copy(db_prices, "all.db")) as full:
        dates = DataDates.read(full)
    for day in (D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19), D(2026, 2, 27)):
        with Store(tmp_path / f"{day}.db") as then:
            run_fetch(cfg, then, src, as_of=day)
            want = last_data_dates(then, day, derived)
        assert dates.last_on_or_before(day, derived) == want, day
    assert dates.last_on_or_before(D(2026, 2, 27), derived)["HYG"] == D(2026, 2, 18)


def test_replay_signal_window_equals_the_store_read(cfg, db_1128, db_copy):
    with Store(db_copy(db_1128, "w.db")) as store:
        for data in (ReplayData(cfg, store), ReplayData(cfg, store, D(2025, 11, 3))):
            for day in (D(2025, 11, 3), D(2025, 11, 26), D(2025, 11, 28), D(2025, 12, 1)):
                pd.testing.assert_frame_equal(data.signals_for(day), _signals_for(store, day), check_exact=True)
