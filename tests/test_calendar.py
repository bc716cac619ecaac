"""The NYSE session calendar: facts checked against the exchange's published closures."""

from __future__ import annotations

import datetime as dt

import pytest

from aimonitor import calendar
from aimonitor.errors import DataError

D = dt.date


def test_friday_post_close_maps_to_monday():
    # 2025-10-03 is a Friday; news after the close first trades on Monday 2025-10-06
    assert calendar.day0("2025-10-03", "post") == D(2025, 10, 6)


def test_national_day_of_mourning_2025_01_09_is_closed():
    assert not calendar.is_session("2025-01-09")
    assert calendar.next_session("2025-01-08") == D(2025, 1, 10)
    assert calendar.day0("2025-01-09", "pre") == D(2025, 1, 10)


@pytest.mark.parametrize("holiday", ["2024-07-04", "2024-12-25", "2025-04-18", "2025-11-27", "2026-01-19"])
def test_exchange_holidays_are_skipped(holiday):
    assert not calendar.is_session(holiday)
    nxt = calendar.next_session(holiday)
    assert nxt > D.fromisoformat(holiday) and calendar.is_session(nxt)


def test_541_sessions_in_the_snapshot_window():
    # PROVENANCE.md: 541 NYSE trading days from 2024-01-02 to 2026-02-27
    assert len(calendar.sessions("2024-01-02", "2026-02-27")) == 541


def test_day0_rules_from_the_contract():
    assert calendar.day0("2025-10-06", "pre") == D(2025, 10, 6)  # AMD-OpenAI, pre-market
    assert calendar.day0("2025-09-09", "post") == D(2025, 9, 10)  # Oracle results after the close
    assert calendar.day0("2025-09-22", "intraday") == D(2025, 9, 22)
    assert calendar.day0("2026-02-01", "pre") == D(2026, 2, 2)  # Sunday → Monday
    assert calendar.day0("2024-12-24", "post") == D(2024, 12, 26)  # half day, then Christmas


def test_offsets_and_counts():
    assert calendar.session_offset("2025-01-08", 1) == D(2025, 1, 10)
    assert calendar.session_offset("2025-01-10", -1) == D(2025, 1, 8)
    assert calendar.sessions_between("2025-01-08", "2025-01-10") == 1
    with pytest.raises(DataError, match="not a trading session"):
        calendar.session_offset("2025-01-09", 1)


def test_sessions_between_counts_the_listed_sessions():
    """sessions_between (a bisection) and sessions_through (vectorised) count what sessions() lists."""
    import random

    import numpy as np

    # hand-checked: 2024-12-24 (half day), 26 and 27 are sessions; Christmas is not
    assert calendar.sessions_between("2024-12-23", "2024-12-27") == 3
    assert calendar.sessions_between("2024-12-27", "2024-12-23") == 0
    rng = random.Random(14)
    base = D(1999, 12, 1)
    pairs = [(base + dt.timedelta(days=rng.randint(0, 13500)), base + dt.timedelta(days=rng.randint(0, 13500)))]
    pairs += [(a, a + dt.timedelta(days=rng.randint(0, 12))) for a, _ in pairs for _ in range(3)]
    for _ in range(200):
        a = base + dt.timedelta(days=rng.randint(0, 13500))
        pairs.append((a, a + dt.timedelta(days=rng.randint(-5, 400))))
    for a, b in pairs:
        listed = len(calendar.sessions(a + dt.timedelta(days=1), b)) if b > a else 0
        assert calendar.sessions_between(a, b) == listed
        through = calendar.sessions_through(np.array([a, b], dtype="datetime64[D]"))
        assert max(int(through[1] - through[0]), 0) == listed


def test_last_completed_session_respects_the_close():
    ny = dt.timezone(dt.timedelta(hours=-4))  # EDT in October
    before_close = dt.datetime(2025, 10, 6, 15, 59, tzinfo=ny)
    after_close = dt.datetime(2025, 10, 6, 16, 1, tzinfo=ny)
    assert calendar.last_completed_session(before_close) == D(2025, 10, 3)
    assert calendar.last_completed_session(after_close) == D(2025, 10, 6)
    # a half day closes at 13:00 New York time (2025-11-28, day after Thanksgiving; EST)
    est = dt.timezone(dt.timedelta(hours=-5))
    assert calendar.last_completed_session(dt.datetime(2025, 11, 28, 13, 30, tzinfo=est)) == D(2025, 11, 28)


def test_bad_timing_is_named():
    with pytest.raises(DataError, match="timing must be one of"):
        calendar.day0("2025-10-06", "lunchtime")


def test_the_calendar_range_is_fixed_and_dates_outside_it_are_named():
    # built for 2000-01-03..2035-12-31 whatever today is: Monday 2035-12-31 (New Year's Eve) is a
    # regular NYSE session and Christmas 2035 (a Tuesday) is not
    assert calendar.is_session("2035-12-31")
    assert not calendar.is_session("2035-12-25")
    with pytest.raises(DataError, match=r"2036-01-02 is outside the trading calendar \(2000-01-03\.\.2035-12-31\)"):
        calendar.is_session("2036-01-02")
    with pytest.raises(DataError, match="outside the trading calendar"):
        calendar.previous_session("1999-12-31")
