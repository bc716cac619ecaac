"""Trading-session arithmetic on the NYSE calendar (the only exchange_calendars user).

A trading day is a session of the exchange calendar, never a weekday: holidays and
special closures (such as the 2025-01-09 national day of mourning) come from
``exchange_calendars``' XNYS calendar, not from a hand-written list.

All functions take and return ``datetime.date`` objects (or ISO strings where noted)
so callers never deal with time zones for session dates.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import logging
import warnings

import exchange_calendars as xcals
import numpy as np
import pandas as pd

from aimonitor.errors import DataError

log = logging.getLogger(__name__)

CALENDAR_NAME = "XNYS"
#: Earliest and latest dates the calendar object is built for: fixed, so no result depends on
#: the day the program runs (the library never reads the clock). A date outside the range is
#: a one-line DataError naming the range; extend ``_END`` when the product outlives it.
_START = "2000-01-03"
_END = "2035-12-31"

TIMINGS = ("pre", "intraday", "post", "unknown")


def to_date(value: dt.date | str | pd.Timestamp) -> dt.date:
    """Coerce an ISO string, Timestamp or date to a ``datetime.date``."""
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise DataError(f"not an ISO date (YYYY-MM-DD): {value!r}") from exc
    raise DataError(f"not a date: {value!r}")


@functools.lru_cache(maxsize=1)
def _calendar() -> xcals.ExchangeCalendar:
    with warnings.catch_warnings():
        # exchange_calendars trips a pandas 3 deprecation internally; not actionable here
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.simplefilter("ignore", category=FutureWarning)
        cal = xcals.get_calendar(CALENDAR_NAME, start=_START, end=_END)
        cal.sessions  # noqa: B018 - build the cached properties inside the filter
        cal.closes  # noqa: B018
    return cal


@functools.lru_cache(maxsize=1)
def _session_index() -> pd.DatetimeIndex:
    """All sessions as tz-naive midnight timestamps (sorted)."""
    return pd.DatetimeIndex(_calendar().sessions).tz_localize(None)


@functools.lru_cache(maxsize=1)
def _session_ordinals() -> tuple[int, ...]:
    """All sessions as proleptic Gregorian ordinals (``date.toordinal()``), sorted."""
    return tuple(t.toordinal() for t in _session_index().date)


@functools.lru_cache(maxsize=1)
def _session_days() -> np.ndarray:
    """All sessions as a sorted ``datetime64[D]`` array."""
    return _session_index().to_numpy().astype("datetime64[D]")


def _ts(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day)


def _check_range(day: dt.date) -> None:
    idx = _session_index()
    if not (idx[0].date() <= day <= idx[-1].date()):
        raise DataError(f"{day.isoformat()} is outside the trading calendar ({idx[0].date()}..{idx[-1].date()})")


def is_session(day: dt.date | str | pd.Timestamp) -> bool:
    """True if ``day`` is a full or half trading session of the NYSE."""
    d = to_date(day)
    _check_range(d)
    idx = _session_index()
    pos = idx.searchsorted(_ts(d))
    return pos < len(idx) and idx[pos].date() == d


def sessions(start: dt.date | str | pd.Timestamp, end: dt.date | str | pd.Timestamp) -> list[dt.date]:
    """Sessions from ``start`` to ``end``, both inclusive."""
    s, e = to_date(start), to_date(end)
    if e < s:
        return []
    idx = _session_index()
    lo = idx.searchsorted(_ts(s), side="left")
    hi = idx.searchsorted(_ts(e), side="right")
    return [t.date() for t in idx[lo:hi]]


def sessions_index(start: dt.date | str | pd.Timestamp, end: dt.date | str | pd.Timestamp) -> pd.DatetimeIndex:
    """Like :func:`sessions` but as a tz-naive ``DatetimeIndex`` (for pandas work)."""
    s, e = to_date(start), to_date(end)
    idx = _session_index()
    lo = idx.searchsorted(_ts(s), side="left")
    hi = idx.searchsorted(_ts(e), side="right")
    return idx[lo:hi]


def next_session(day: dt.date | str | pd.Timestamp) -> dt.date:
    """The first session strictly after ``day``."""
    d = to_date(day)
    _check_range(d)
    idx = _session_index()
    pos = idx.searchsorted(_ts(d), side="right")
    if pos >= len(idx):
        raise DataError(f"no session after {d.isoformat()} in the calendar")
    return idx[pos].date()


def previous_session(day: dt.date | str | pd.Timestamp) -> dt.date:
    """The last session strictly before ``day``."""
    d = to_date(day)
    _check_range(d)
    idx = _session_index()
    pos = idx.searchsorted(_ts(d), side="left") - 1
    if pos < 0:
        raise DataError(f"no session before {d.isoformat()} in the calendar")
    return idx[pos].date()


def session_on_or_after(day: dt.date | str | pd.Timestamp) -> dt.date:
    """``day`` itself if it is a session, else the next session."""
    d = to_date(day)
    return d if is_session(d) else next_session(d)


def session_on_or_before(day: dt.date | str | pd.Timestamp) -> dt.date:
    """``day`` itself if it is a session, else the previous session."""
    d = to_date(day)
    return d if is_session(d) else previous_session(d)


def session_offset(day: dt.date | str | pd.Timestamp, n: int) -> dt.date:
    """The session ``n`` sessions away from ``day`` (which must be a session).

    ``n = 0`` returns ``day``; ``n = 1`` the next session; ``n = -1`` the previous.
    """
    d = to_date(day)
    if not is_session(d):
        raise DataError(f"{d.isoformat()} is not a trading session")
    idx = _session_index()
    pos = idx.searchsorted(_ts(d)) + int(n)
    if pos < 0 or pos >= len(idx):
        raise DataError(f"{n:+d} sessions from {d.isoformat()} is outside the calendar")
    return idx[pos].date()


def sessions_between(start: dt.date | str | pd.Timestamp, end: dt.date | str | pd.Timestamp) -> int:
    """Number of sessions in the half-open interval (start, end]."""
    s, e = to_date(start), to_date(end)
    if e <= s:
        return 0
    # sessions on or before e minus those on or before s (a bisection; no list of dates is built)
    ords = _session_ordinals()
    return bisect.bisect_right(ords, e.toordinal()) - bisect.bisect_right(ords, s.toordinal())


def sessions_through(days: np.ndarray | list[dt.date]) -> np.ndarray:
    """Number of sessions on or before each date (vectorised), as an int64 array.

    ``sessions_through([b])[0] - sessions_through([a])[0]`` is ``sessions_between(a, b)``
    whenever ``a <= b``; dates need not be sessions.
    """
    arr = np.asarray(days, dtype="datetime64[D]")
    return np.searchsorted(_session_days(), arr, side="right").astype(np.int64)


def day0(announce_date: dt.date | str | pd.Timestamp, timing: str) -> dt.date:
    """First session whose close can reflect news announced on ``announce_date``.

    ``pre`` and ``intraday`` (and ``unknown``): the announce date's session, or the next
    session when the date is not a session. ``post``: the next session after the
    announce date.
    """
    d = to_date(announce_date)
    t = (timing or "unknown").strip().lower()
    if t not in TIMINGS:
        raise DataError(f"timing must be one of {', '.join(TIMINGS)}; got {timing!r}")
    if t == "post":
        return next_session(d)
    return session_on_or_after(d)


def last_completed_session(now_utc: dt.datetime) -> dt.date:
    """The latest session whose regular close is at or before ``now_utc``.

    ``now_utc`` must be timezone-aware. Early closes (half days) are honoured.
    """
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be timezone-aware")
    cal = _calendar()
    now = pd.Timestamp(now_utc).tz_convert("UTC")
    today = now.tz_convert("America/New_York").date()
    candidate = session_on_or_before(today)
    close = cal.session_close(pd.Timestamp(candidate))
    if close <= now:
        return candidate
    return previous_session(candidate)
