"""The daemon: the session-aware trigger and the process lifecycle (start, SIGTERM, exit 0).

Expected fire times are written by hand from the NYSE holiday calendar (Thanksgiving
2025-11-27, Christmas 2025-12-25, the 2025-01-09 national day of mourning for President
Carter) and the US DST rules (EDT = UTC-4 until 2025-11-02 and again from 2026-03-08,
EST = UTC-5 in between), not computed with the code under test.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from aimonitor.config import ScheduleConfig
from aimonitor.daemon import SessionCloseTrigger, next_run_time
from conftest import process_env

ROOT = Path(__file__).resolve().parents[1]
NY = ZoneInfo("America/New_York")
UTC = dt.UTC


def utc(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=UTC)


def ny(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=NY)


@pytest.fixture
def schedule() -> ScheduleConfig:
    return ScheduleConfig(time="17:30", timezone="America/New_York")


def _next(now: dt.datetime, prev: dt.datetime | None = None) -> dt.datetime:
    fire = SessionCloseTrigger("17:30", "America/New_York").get_next_fire_time(prev, now)
    assert fire is not None
    return fire.astimezone(UTC)


# --------------------------------------------------------------------------- the trigger


@pytest.mark.parametrize(
    "now, expected",
    [
        # Tuesday 2025-11-18 (EST): before the run time the same evening, after it the next day
        (ny(2025, 11, 18, 12, 0), utc(2025, 11, 18, 22, 30)),
        (ny(2025, 11, 18, 17, 29), utc(2025, 11, 18, 22, 30)),
        (ny(2025, 11, 18, 18, 0), utc(2025, 11, 19, 22, 30)),
        # Friday evening → Monday; Saturday and Sunday → Monday
        (ny(2025, 11, 21, 18, 0), utc(2025, 11, 24, 22, 30)),
        (ny(2025, 11, 22, 9, 0), utc(2025, 11, 24, 22, 30)),
        (ny(2025, 11, 23, 23, 0), utc(2025, 11, 24, 22, 30)),
        # a summer weekday (EDT): 17:30 New York is 21:30 UTC
        (ny(2025, 7, 15, 9, 0), utc(2025, 7, 15, 21, 30)),
    ],
)
def test_next_run_on_weekdays_and_weekends(now, expected):
    assert _next(now) == expected


def test_dst_end_2025_11_02():
    # Thursday 2025-10-30 is still EDT: 21:30 UTC
    assert _next(ny(2025, 10, 30, 10, 0)) == utc(2025, 10, 30, 21, 30)
    # Friday 2025-10-31 after the run → Monday 2025-11-03, now EST: 22:30 UTC
    assert _next(ny(2025, 10, 31, 18, 0)) == utc(2025, 11, 3, 22, 30)
    # from the DST change itself (01:30 happens twice that night)
    assert _next(utc(2025, 11, 2, 6, 30)) == utc(2025, 11, 3, 22, 30)
    # the scheduler's own path: previous fire on Friday 21:30 UTC → Monday 22:30 UTC
    assert _next(utc(2025, 10, 31, 21, 31), prev=utc(2025, 10, 31, 21, 30)) == utc(2025, 11, 3, 22, 30)


def test_dst_start_2026_03_08():
    # Friday 2026-03-06 is EST: 22:30 UTC; the next run, Monday 2026-03-09, is EDT: 21:30 UTC
    assert _next(ny(2026, 3, 6, 8, 0)) == utc(2026, 3, 6, 22, 30)
    assert _next(utc(2026, 3, 6, 22, 31), prev=utc(2026, 3, 6, 22, 30)) == utc(2026, 3, 9, 21, 30)
    assert _next(utc(2026, 3, 8, 7, 30)) == utc(2026, 3, 9, 21, 30)  # the missing hour's morning


def test_thanksgiving_half_day_and_christmas():
    # Wednesday evening before Thanksgiving → Friday 2025-11-28 (a half day, still a session)
    assert _next(ny(2025, 11, 26, 18, 0)) == utc(2025, 11, 28, 22, 30)
    # on Thanksgiving itself
    assert _next(ny(2025, 11, 27, 12, 0)) == utc(2025, 11, 28, 22, 30)
    # after the half day's run → Monday 2025-12-01
    assert _next(utc(2025, 11, 28, 22, 31), prev=utc(2025, 11, 28, 22, 30)) == utc(2025, 12, 1, 22, 30)
    # Christmas Eve (half day) runs, Christmas is skipped
    assert _next(ny(2025, 12, 24, 14, 0)) == utc(2025, 12, 24, 22, 30)
    assert _next(utc(2025, 12, 24, 22, 31), prev=utc(2025, 12, 24, 22, 30)) == utc(2025, 12, 26, 22, 30)
    assert _next(ny(2025, 12, 25, 17, 0)) == utc(2025, 12, 26, 22, 30)


def test_national_day_of_mourning_2025_01_09():
    assert _next(ny(2025, 1, 8, 18, 0)) == utc(2025, 1, 10, 22, 30)
    assert _next(ny(2025, 1, 9, 12, 0)) == utc(2025, 1, 10, 22, 30)


def test_next_run_time_uses_the_configured_schedule(schedule):
    fire = next_run_time(schedule, utc(2025, 11, 26, 23, 0))
    assert fire.utcoffset() == dt.timedelta(hours=-5)  # New York local time, EST
    assert (fire.year, fire.month, fire.day, fire.hour, fire.minute) == (2025, 11, 28, 17, 30)
    other = ScheduleConfig(time="06:15", timezone="Europe/London")
    # Friday 2025-11-28 06:15 London (GMT) is before the US open but is an NYSE session day
    assert next_run_time(other, utc(2025, 11, 27, 12, 0)).astimezone(UTC) == utc(2025, 11, 28, 6, 15)


def test_consecutive_fires_skip_the_holiday(schedule):
    """Fed its own previous fire time, as APScheduler does, the trigger walks the sessions."""
    trig = SessionCloseTrigger(schedule.time, schedule.timezone)
    times = []
    prev = None
    now = utc(2025, 11, 26, 23, 0)
    for _ in range(3):
        prev = trig.get_next_fire_time(prev, now)
        times.append(prev.astimezone(UTC))
        now = prev + dt.timedelta(seconds=1)
    assert times == [utc(2025, 11, 28, 22, 30), utc(2025, 12, 1, 22, 30), utc(2025, 12, 2, 22, 30)]


# --------------------------------------------------------------------------- the process


def _config(tmp_path: Path, catch_up: bool) -> Path:
    text = (ROOT / "config" / "aimonitor.toml").read_text(encoding="utf-8")
    assert "catch_up = true" in text
    text = text.replace("catch_up = true", f"catch_up = {'true' if catch_up else 'false'}")
    text = text.replace('alerts_dir = "alerts"', f'alerts_dir = "{(tmp_path / "alerts").as_posix()}"')
    p = tmp_path / "cfg.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _spawn(tmp_path: Path, cfg: Path) -> subprocess.Popen:
    env = process_env()
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aimonitor",
            "--config",
            str(cfg),
            "--db",
            str(tmp_path / "d.db"),
            "daemon",
            "--source",
            "snapshot",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def _wait_for_line(proc: subprocess.Popen, needle: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    assert proc.stderr is not None
    os.set_blocking(proc.stderr.fileno(), False)
    while time.monotonic() < deadline:
        chunk = proc.stderr.read()
        if chunk:
            seen += chunk
            if needle in seen:
                return seen
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"{needle!r} never appeared on stderr; got: {seen.decode(errors='replace')}")


@pytest.mark.slow  # a real daemon process and real signals
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_daemon_starts_and_exits_0_on_a_stop_signal(tmp_path, sig):
    proc = _spawn(tmp_path, _config(tmp_path, catch_up=False))
    try:
        _wait_for_line(proc, b"daemon started", timeout=120)
        proc.send_signal(sig)
        rc = proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    assert "Traceback" not in err


@pytest.mark.slow  # a real daemon process and real signals
def test_sigterm_during_catch_up_exits_0(tmp_path):
    """A SIGTERM while the start-up catch-up cycle runs stops the daemon (it used to be
    swallowed as a failed catch-up, after which the scheduler blocked forever)."""
    db = tmp_path / "d.db"
    proc = _spawn(tmp_path, _config(tmp_path, catch_up=True))
    try:
        deadline = time.monotonic() + 120
        running = False
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists():
                try:
                    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
                        running = con.execute("SELECT COUNT(*) FROM runs WHERE status = 'running'").fetchone()[0] > 0
                except sqlite3.Error:
                    running = False
            if running:
                break
            time.sleep(0.05)
        assert running, "the catch-up cycle never started"
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 0
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # the interruption is not reported as a failed cycle (no pipeline alert)
        assert con.execute("SELECT COUNT(*) FROM alerts WHERE rule = 'pipeline'").fetchone()[0] == 0


# --------------------------------------------------------------------------- runner wiring


@pytest.fixture
def store_1125(db_1125, db_copy):
    """A store holding the snapshot and its signals through 2025-11-25; no cycle has run."""
    from aimonitor.store import Store

    s = Store(db_copy(db_1125))
    yield s
    s.close()


def test_scheduled_job_catches_up_missed_sessions_and_reports_failures(cfg, store_1125, tmp_path, monkeypatch):
    """``serve`` wires the scheduler to the pipeline; run its callbacks with a fixed clock."""
    from aimonitor import runner
    from aimonitor.pipeline import run_cycle
    from aimonitor.sources.snapshot import SnapshotSource

    store = store_1125

    captured = {}

    def fake_run_daemon(schedule, job, catch_up=None, on_error=None, **kw):
        captured.update(job=job, catch_up=catch_up, on_error=on_error)
        return 0

    monkeypatch.setattr(runner, "run_daemon", fake_run_daemon)
    cfg = cfg.model_copy(update={"notify": cfg.notify.model_copy(update={"alerts_dir": str(tmp_path / "alerts")})})
    run_cycle(cfg, store, SnapshotSource(), dt.date(2025, 11, 26), alerts_dir=tmp_path / "alerts", kind="daemon")
    clock = [ny(2025, 12, 1, 18, 0).astimezone(UTC)]  # the wall clock the daemon starts with
    assert runner.serve(cfg, store, "snapshot", clock=lambda: clock[0]) == 0

    # the machine slept through Friday's run (Thursday is Thanksgiving); Monday 2025-12-01 18:00 New York
    captured["job"](ny(2025, 12, 1, 18, 0).astimezone(UTC))
    with sqlite3.connect(store.path) as con:
        done = [r[0] for r in con.execute("SELECT as_of FROM runs WHERE status = 'ok' ORDER BY run_id")]
    assert done == ["2025-11-26", "2025-11-28", "2025-12-01"]  # Thanksgiving skipped

    # a failing cycle becomes a critical pipeline alert for the session it was running
    class Broken:
        name = "broken"

        def fetch_bars(self, *a, **k):
            raise ConnectionError("network unreachable")

    monkeypatch.setattr(runner, "make_source", lambda *a, **k: Broken())
    clock[0] = ny(2025, 12, 2, 18, 0).astimezone(UTC)
    assert runner.serve(cfg, store, "yahoo", clock=lambda: clock[0]) == 0
    with pytest.raises(ConnectionError) as exc:
        captured["job"](ny(2025, 12, 2, 18, 0).astimezone(UTC))
    captured["on_error"](exc.value)  # what the scheduler's error listener does
    (alert,) = [a for a in store.read_alerts("firing") if a["rule"] == "pipeline"]
    assert alert["started"] == "2025-12-02" and "network unreachable" in alert["summary"]
    assert alert["severity"] == "critical"
