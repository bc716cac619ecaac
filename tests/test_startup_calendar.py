"""The NYSE session cache (issue #14): what it holds equals exchange_calendars, and a missing,
corrupted, foreign or unwritable cache falls back to the library without changing a result."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aimonitor import calendar

D = dt.date
UTC = dt.UTC
SRC = Path(__file__).resolve().parents[1] / "src"


def _clear() -> None:
    for fn in (calendar._session_table, calendar._session_index, calendar._session_ordinals, calendar._session_days):
        fn.cache_clear()


@pytest.fixture(scope="module")
def library() -> tuple[np.ndarray, np.ndarray]:
    """Sessions and closes straight from exchange_calendars (the reference), as int64 ns."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():  # the library's own pandas deprecations
        warnings.simplefilter("ignore")
        cal = xcals.get_calendar("XNYS", start=calendar._START, end=calendar._END)
        days = pd.DatetimeIndex(cal.sessions).tz_localize(None).asi8
        closes = pd.DatetimeIndex(cal.closes).tz_convert("UTC").asi8
    return days, closes


@pytest.fixture
def cache(monkeypatch, tmp_path, library):
    """An empty cache directory; the library build is counted (and served from the reference)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    builds: list[int] = []

    def build() -> tuple[np.ndarray, np.ndarray]:
        builds.append(1)
        return library[0].copy(), library[1].copy()

    monkeypatch.setattr(calendar, "_library_table", build)
    _clear()
    yield builds
    _clear()


def _cache_file() -> Path:
    version = calendar._library_version()
    assert version is not None
    return calendar._cache_path(version)


def _same_as_library(library: tuple[np.ndarray, np.ndarray]) -> None:
    days, closes = calendar._session_table()
    np.testing.assert_array_equal(days, library[0])
    np.testing.assert_array_equal(closes, library[1])


def test_the_real_build_equals_exchange_calendars(library):
    days, closes = calendar._library_table()
    np.testing.assert_array_equal(days, library[0])
    np.testing.assert_array_equal(closes, library[1])
    assert len(days) == 9049  # XNYS sessions 2000-01-03..2035-12-31 in exchange_calendars 4.x


def test_first_use_writes_the_cache_and_the_second_reads_it(cache, library):
    _same_as_library(library)
    assert cache == [1]
    assert _cache_file().is_file()
    _clear()
    _same_as_library(library)
    assert cache == [1]  # read back, not rebuilt


def test_known_sessions_through_the_cache(cache):
    calendar._session_table()
    _clear()  # now everything below comes from the file
    assert not calendar.is_session("2025-01-09")  # national day of mourning (President Carter)
    assert calendar.is_session("2025-11-28")  # the day after Thanksgiving: a half day, still a session
    assert not calendar.is_session("2025-12-25")
    assert not calendar.is_session("2025-11-27")  # Thanksgiving
    assert calendar.next_session("2025-12-24") == D(2025, 12, 26)
    assert len(calendar.sessions("2024-01-02", "2026-02-27")) == 541
    assert cache == [1]


def test_half_day_close_through_the_cache(cache):
    calendar._session_table()
    _clear()
    # 2025-11-28 closes at 13:00 New York = 18:00 UTC; a regular day at 16:00 = 21:00 UTC (EST)
    assert calendar.last_completed_session(dt.datetime(2025, 11, 28, 17, 59, tzinfo=UTC)) == D(2025, 11, 26)
    assert calendar.last_completed_session(dt.datetime(2025, 11, 28, 18, 0, tzinfo=UTC)) == D(2025, 11, 28)
    assert calendar.last_completed_session(dt.datetime(2025, 12, 1, 20, 59, tzinfo=UTC)) == D(2025, 11, 28)
    assert calendar.last_completed_session(dt.datetime(2025, 12, 1, 21, 0, tzinfo=UTC)) == D(2025, 12, 1)
    # summer (EDT): 16:00 New York = 20:00 UTC
    assert calendar.last_completed_session(dt.datetime(2025, 7, 3, 16, 59, tzinfo=UTC)) == D(2025, 7, 2)
    assert calendar.last_completed_session(dt.datetime(2025, 7, 3, 17, 0, tzinfo=UTC)) == D(2025, 7, 3)
    assert cache == [1]


def _flip_last_byte(p: Path) -> None:
    raw = bytearray(p.read_bytes())
    raw[-1] ^= 0xFF
    p.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:-9]), id="truncated"),
        pytest.param(_flip_last_byte, id="flipped-byte"),
        pytest.param(lambda p: p.write_bytes(b"not a cache\n" + p.read_bytes()), id="garbage-header"),
        pytest.param(lambda p: p.write_bytes(b"\xff\xfe\x00" * 100), id="binary"),
    ],
)
def test_a_corrupted_cache_is_rebuilt(cache, library, damage):
    calendar._session_table()
    path = _cache_file()
    damage(path)
    _clear()
    _same_as_library(library)
    assert cache == [1, 1]  # rebuilt from the library ...
    _clear()
    _same_as_library(library)
    assert cache == [1, 1]  # ... and written back whole


def test_a_valid_file_for_another_library_version_is_not_used(cache, library, monkeypatch):
    calendar._session_table()
    good = _cache_file().read_bytes()
    monkeypatch.setattr(calendar, "_library_version", lambda: "0.0.1")
    calendar._cache_path("0.0.1").write_bytes(good)  # the right bytes under the wrong key
    _clear()
    _same_as_library(library)
    assert cache == [1, 1]


def test_implausible_sessions_in_a_well_formed_file_are_rejected(cache, library):
    version = calendar._library_version()
    assert version is not None
    days, closes = library
    calendar._write_cache(_cache_file(), version, days[::-1].copy(), closes[::-1].copy())  # not sorted
    _clear()
    _same_as_library(library)
    assert cache == [1]


def test_an_unwritable_cache_directory_falls_back_to_the_library(monkeypatch, tmp_path, library, cache):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # mkdir under a regular file fails
    _clear()
    _same_as_library(library)
    assert not calendar.is_session("2025-01-09")
    _clear()
    _same_as_library(library)
    assert cache == [1, 1]  # nothing could be kept: built each time, never an error


def test_without_library_metadata_the_library_is_used_and_nothing_written(monkeypatch, cache, library, tmp_path):
    monkeypatch.setattr(calendar, "_library_version", lambda: None)
    _same_as_library(library)
    assert cache == [1]
    assert not any(tmp_path.rglob("sessions-*"))


def test_concurrent_writers_leave_one_whole_file(cache, library):
    version = calendar._library_version()
    assert version is not None
    path = _cache_file()
    days, closes = library
    seen: list[bool] = []

    def write() -> None:
        for _ in range(5):
            calendar._write_cache(path, version, days, closes)
            got = calendar._read_cache(path, version)
            seen.append(got is not None and np.array_equal(got[0], days))

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen and all(seen)  # a reader never saw half a file
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    _clear()
    _same_as_library(library)
    assert cache == []


def test_a_process_with_a_warm_cache_does_not_import_exchange_calendars(tmp_path):
    code = (
        "import sys, datetime as dt\n"
        "from aimonitor import calendar\n"
        "print(calendar.last_completed_session(dt.datetime(2025, 11, 28, 18, 0, tzinfo=dt.UTC)),"
        " calendar.is_session('2025-01-09'), 'exchange_calendars' in sys.modules)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "PYTHONPATH": str(SRC)}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert first.stdout.split() == ["2025-11-28", "False", "True"]  # built with the library
    assert second.stdout.split() == ["2025-11-28", "False", "False"]  # read from the cache


def test_without_a_home_directory_the_library_is_used(monkeypatch, cache, library):
    monkeypatch.delenv("XDG_CACHE_HOME")

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    _same_as_library(library)
    assert cache == [1]
