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
import hashlib
import logging
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aimonitor.errors import DataError

if TYPE_CHECKING:  # imported only to (re)build the session cache: building the calendar costs ~0.5 s
    import exchange_calendars as xcals

log = logging.getLogger(__name__)

CALENDAR_NAME = "XNYS"
#: Earliest and latest dates the calendar object is built for: fixed, so no result depends on
#: the day the program runs (the library never reads the clock). A date outside the range is
#: a one-line DataError naming the range; extend ``_END`` when the product outlives it.
_START = "2000-01-03"
_END = "2035-12-31"

TIMINGS = ("pre", "intraday", "post", "unknown")

#: The session cache: the sessions and regular closes exchange_calendars computes for
#: ``_START.._END``, stored in the user's cache directory so a command does not import and
#: build the calendar (~0.5-1 s) on every start. The file is keyed by everything its content
#: depends on (calendar, range, library version, format) and checked on every read (header,
#: length, SHA-256, order); anything unexpected rebuilds it from the library. It only ever
#: holds what the library returned: no holiday rule is written here.
_CACHE_FORMAT = 1
_CACHE_MAGIC = "aimonitor-sessions"
_NS_PER_DAY = 86_400 * 10**9


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


def _calendar() -> xcals.ExchangeCalendar:
    """The exchange_calendars calendar over ``_START.._END`` (built only when the cache is missing)."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        # exchange_calendars trips a pandas 3 deprecation internally; not actionable here
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.simplefilter("ignore", category=FutureWarning)
        cal = xcals.get_calendar(CALENDAR_NAME, start=_START, end=_END)
        cal.sessions  # noqa: B018 - build the cached properties inside the filter
        cal.closes  # noqa: B018
    return cal


def _library_table() -> tuple[np.ndarray, np.ndarray]:
    """Sessions (tz-naive midnight) and regular closes (UTC) as int64 nanoseconds, from the library."""
    cal = _calendar()
    days = np.asarray(pd.DatetimeIndex(cal.sessions).tz_localize(None).asi8, dtype="<i8")
    closes = np.asarray(pd.DatetimeIndex(cal.closes.reindex(cal.sessions)).tz_convert("UTC").asi8, dtype="<i8")
    return days, closes


def _library_version() -> str | None:
    """exchange_calendars' installed version, read from its metadata (no import); None when unknown."""
    from importlib import metadata

    try:
        return metadata.version("exchange_calendars")
    except metadata.PackageNotFoundError:
        return None


def cache_dir() -> Path:
    """Where the session cache lives: ``$XDG_CACHE_HOME/aimonitor``, else ``~/.cache/aimonitor``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aimonitor"


def _cache_header(version: str, n: int, digest: str) -> str:
    return f"{_CACHE_MAGIC} {_CACHE_FORMAT} {CALENDAR_NAME} {_START} {_END} {version} {n} {digest}\n"


def _cache_path(version: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9.]+", "_", version)
    return cache_dir() / f"sessions-{CALENDAR_NAME}-{_START}-{_END}-xcals{safe}-v{_CACHE_FORMAT}.bin"


def _valid_table(days: np.ndarray, closes: np.ndarray) -> bool:
    """Sessions strictly increasing inside ``_START.._END``, each close later the same or next UTC day."""
    if len(days) == 0 or len(days) != len(closes):
        return False
    lo = pd.Timestamp(_START).value
    hi = pd.Timestamp(_END).value
    after = closes - days
    return bool(
        days[0] >= lo
        and days[-1] <= hi
        and np.all(np.diff(days) > 0)
        and np.all(days % _NS_PER_DAY == 0)
        and np.all((after > 0) & (after < 2 * _NS_PER_DAY))
    )


def _read_cache(path: Path, version: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The cached table, or None when the file is missing, foreign, truncated or corrupted."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head, sep, payload = raw.partition(b"\n")
    fields = head.decode("ascii", errors="replace").split(" ")
    if not sep or len(fields) != 8:
        log.debug("session cache %s: unreadable header; rebuilding", path)
        return None
    try:
        n = int(fields[6])
    except ValueError:
        return None
    if (head + sep).decode("ascii", errors="replace") != _cache_header(version, n, fields[7]):
        log.debug("session cache %s: written for another calendar, range or version; rebuilding", path)
        return None
    if len(payload) != 16 * n or hashlib.sha256(payload).hexdigest() != fields[7]:
        log.debug("session cache %s: truncated or corrupted; rebuilding", path)
        return None
    table = np.frombuffer(payload, dtype="<i8").reshape(2, n)
    days, closes = table[0].astype(np.int64), table[1].astype(np.int64)
    if not _valid_table(days, closes):
        log.debug("session cache %s: implausible sessions; rebuilding", path)
        return None
    return days, closes


def _write_cache(path: Path, version: str, days: np.ndarray, closes: np.ndarray) -> None:
    """Write the table atomically (a temporary file in the same directory, then a rename), so a
    concurrent reader sees the old file or the new one, never half of one. Failures are not errors:
    the next start simply builds the calendar again."""
    payload = np.concatenate([days, closes]).astype("<i8").tobytes()
    data = _cache_header(version, len(days), hashlib.sha256(payload).hexdigest()).encode("ascii") + payload
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".sessions-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        log.debug("session cache %s not written (%s); the calendar is rebuilt on the next start", path, exc)
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


@functools.lru_cache(maxsize=1)
def _session_table() -> tuple[np.ndarray, np.ndarray]:
    """All sessions (tz-naive midnight) and their regular closes (UTC), int64 nanoseconds, sorted:
    from the cache when it holds them for the installed library, else from the library (and cached)."""
    version = _library_version()
    if version is None:
        return _library_table()
    try:
        path = _cache_path(version)
    except RuntimeError:  # no home directory to put a cache in
        return _library_table()
    cached = _read_cache(path, version)
    if cached is not None:
        return cached
    days, closes = _library_table()
    _write_cache(path, version, days, closes)
    return days, closes


@functools.lru_cache(maxsize=1)
def _session_index() -> pd.DatetimeIndex:
    """All sessions as tz-naive midnight timestamps (sorted)."""
    return pd.DatetimeIndex(_session_table()[0].view("datetime64[ns]"))


@functools.lru_cache(maxsize=1)
def _session_ordinals() -> tuple[int, ...]:
    """All sessions as proleptic Gregorian ordinals (``date.toordinal()``), sorted."""
    return tuple(t.toordinal() for t in _session_index().date)


@functools.lru_cache(maxsize=1)
def _session_days() -> np.ndarray:
    """All sessions as a sorted ``datetime64[D]`` array."""
    return _session_index().to_numpy().astype("datetime64[D]")


def _check_range(day: dt.date) -> None:
    ords = _session_ordinals()
    if not (ords[0] <= day.toordinal() <= ords[-1]):
        first, last = dt.date.fromordinal(ords[0]), dt.date.fromordinal(ords[-1])
        raise DataError(f"{day.isoformat()} is outside the trading calendar ({first}..{last})")


# The lookups below bisect the sessions' ordinals (what searching the DatetimeIndex of
# midnight timestamps finds, without a Timestamp per call): the cycle asks thousands of them.


def is_session(day: dt.date | str | pd.Timestamp) -> bool:
    """True if ``day`` is a full or half trading session of the NYSE."""
    d = to_date(day)
    _check_range(d)
    ords, o = _session_ordinals(), d.toordinal()
    pos = bisect.bisect_left(ords, o)
    return pos < len(ords) and ords[pos] == o


def sessions(start: dt.date | str | pd.Timestamp, end: dt.date | str | pd.Timestamp) -> list[dt.date]:
    """Sessions from ``start`` to ``end``, both inclusive."""
    s, e = to_date(start), to_date(end)
    if e < s:
        return []
    lo, hi = _positions(s, e)
    return [dt.date.fromordinal(o) for o in _session_ordinals()[lo:hi]]


def sessions_index(start: dt.date | str | pd.Timestamp, end: dt.date | str | pd.Timestamp) -> pd.DatetimeIndex:
    """Like :func:`sessions` but as a tz-naive ``DatetimeIndex`` (for pandas work)."""
    lo, hi = _positions(to_date(start), to_date(end))
    return _session_index()[lo:hi]


def _positions(start: dt.date, end: dt.date) -> tuple[int, int]:
    """The slice of the calendar's sessions dated ``start..end``."""
    ords = _session_ordinals()
    return bisect.bisect_left(ords, start.toordinal()), bisect.bisect_right(ords, end.toordinal())


def next_session(day: dt.date | str | pd.Timestamp) -> dt.date:
    """The first session strictly after ``day``."""
    d = to_date(day)
    _check_range(d)
    ords = _session_ordinals()
    pos = bisect.bisect_right(ords, d.toordinal())
    if pos >= len(ords):
        raise DataError(f"no session after {d.isoformat()} in the calendar")
    return dt.date.fromordinal(ords[pos])


def previous_session(day: dt.date | str | pd.Timestamp) -> dt.date:
    """The last session strictly before ``day``."""
    d = to_date(day)
    _check_range(d)
    ords = _session_ordinals()
    pos = bisect.bisect_left(ords, d.toordinal()) - 1
    if pos < 0:
        raise DataError(f"no session before {d.isoformat()} in the calendar")
    return dt.date.fromordinal(ords[pos])


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
    ords = _session_ordinals()
    pos = bisect.bisect_left(ords, d.toordinal()) + int(n)
    if pos < 0 or pos >= len(ords):
        raise DataError(f"{n:+d} sessions from {d.isoformat()} is outside the calendar")
    return dt.date.fromordinal(ords[pos])


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
    now = pd.Timestamp(now_utc).tz_convert("UTC")
    today = now.tz_convert("America/New_York").date()
    candidate = session_on_or_before(today)
    days, closes = _session_table()
    pos = int(np.searchsorted(days, pd.Timestamp(candidate).value))
    close = pd.Timestamp(int(closes[pos]), tz="UTC")
    if close <= now:
        return candidate
    return previous_session(candidate)
