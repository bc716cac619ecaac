"""The SQLite store (the only module that speaks SQL or imports sqlite_utils).

Design:

* WAL journal, a busy timeout, and an explicit ``BEGIN IMMEDIATE ... COMMIT`` per
  batch: a crash mid-batch leaves the previous state (SQLite's atomic commit).
* Schema versioning with ordered migrations in :data:`MIGRATIONS`; the version is
  kept in ``PRAGMA user_version``.
* Writes are idempotent upserts: a row is inserted if its key is new, updated only if a
  value changed, and left alone otherwise, so a second identical batch changes nothing
  (``rows_new == rows_updated == 0``).
* Every read-modify-write (an upsert's "which keys exist?" read, the outbox claim) runs
  inside the ``BEGIN IMMEDIATE`` transaction that writes, so two processes never act on
  the same stale read; ``sqlite3`` errors leave as :class:`StorageError` (one line).
* One writer per database: :meth:`Store.writer_lock` holds an advisory lock on
  ``<db>.lock`` for a whole cycle or fetch; a second writer waits (bounded), then stops
  with "another run holds <db> since <time>".
* Alert state is kept with its history (``alert_state_history``, ``alert_history``) so
  :meth:`Store.rewind_alerts` can put the state back to what it was before a session
  (``run --once --rebuild-from D``).
* Dates are ISO session dates (``YYYY-MM-DD``); timestamps are UTC ISO-8601.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import itertools
import json
import logging
import math
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlite_utils

from aimonitor.errors import DataError, StorageError

log = logging.getLogger(__name__)

BAR_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
#: Upserts of more rows than this write with a page cache of BULK_CACHE_KIB KiB.
BULK_ROWS = 50_000
BULK_CACHE_KIB = 128 * 1024


@dataclass(frozen=True)
class UpsertCount:
    """What an upsert batch did."""

    rows_new: int = 0
    rows_updated: int = 0

    def __add__(self, other: UpsertCount) -> UpsertCount:
        return UpsertCount(self.rows_new + other.rows_new, self.rows_updated + other.rows_updated)


# --------------------------------------------------------------------------- schema

_V1 = [
    """CREATE TABLE IF NOT EXISTS bars (
        symbol TEXT NOT NULL, date TEXT NOT NULL,
        open REAL, high REAL, low REAL, close REAL NOT NULL, adj_close REAL, volume REAL,
        source TEXT NOT NULL, fetched_at TEXT NOT NULL,
        PRIMARY KEY (symbol, date))""",
    """CREATE TABLE IF NOT EXISTS fred (
        series TEXT NOT NULL, date TEXT NOT NULL, value REAL NOT NULL, unit TEXT NOT NULL,
        source TEXT NOT NULL, fetched_at TEXT NOT NULL,
        PRIMARY KEY (series, date))""",
    """CREATE TABLE IF NOT EXISTS fundamentals (
        symbol TEXT NOT NULL, period_end TEXT NOT NULL, filed_date TEXT NOT NULL,
        short_term_debt REAL, long_term_debt REAL, total_debt REAL,
        operating_lease_liabilities REAL, shares_outstanding REAL, shares_as_of TEXT,
        weighted_avg_basic_shares REAL, source TEXT, fetched_at TEXT NOT NULL,
        PRIMARY KEY (symbol, period_end))""",
    """CREATE TABLE IF NOT EXISTS events (
        event_id TEXT PRIMARY KEY, announce_date TEXT, timing TEXT NOT NULL, day0 TEXT,
        tickers TEXT, counterparty TEXT, event_type TEXT, amount_usd REAL, capacity_gw REAL,
        shares REAL, description TEXT, date_confirmed TEXT, source TEXT)""",
    """CREATE TABLE IF NOT EXISTS cds_quotes (
        entity TEXT NOT NULL, date TEXT NOT NULL, tenor TEXT NOT NULL, spread_bp REAL NOT NULL,
        source TEXT NOT NULL, PRIMARY KEY (entity, date, tenor, source))""",
    """CREATE TABLE IF NOT EXISTS signals (
        date TEXT NOT NULL, symbol TEXT NOT NULL, signal TEXT NOT NULL, value REAL NOT NULL,
        PRIMARY KEY (date, symbol, signal))""",
    "CREATE INDEX IF NOT EXISTS signals_by_signal ON signals (signal, symbol, date)",
    """CREATE TABLE IF NOT EXISTS alert_state (
        fingerprint TEXT PRIMARY KEY, state_json TEXT NOT NULL, updated_session TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS alerts (
        id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, rule TEXT NOT NULL, symbol TEXT,
        severity TEXT NOT NULL, state TEXT NOT NULL, value REAL, threshold REAL,
        started TEXT NOT NULL, fired TEXT, resolved TEXT, summary TEXT)""",
    """CREATE TABLE IF NOT EXISTS alert_transitions (
        alert_id TEXT NOT NULL, session TEXT NOT NULL, to_state TEXT NOT NULL,
        from_state TEXT NOT NULL, value REAL, notify INTEGER NOT NULL, payload TEXT NOT NULL,
        PRIMARY KEY (alert_id, session, to_state))""",
    """CREATE TABLE IF NOT EXISTS outbox (
        alert_id TEXT NOT NULL, session TEXT NOT NULL, to_state TEXT NOT NULL,
        channel TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT, sent_at TEXT,
        PRIMARY KEY (alert_id, session, to_state, channel))""",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL, finished TEXT,
        as_of TEXT, kind TEXT NOT NULL, status TEXT NOT NULL, detail TEXT)""",
]

#: v2: the most extreme value of an alert while pending/firing (ALERT ``peak``).
_V2 = ["ALTER TABLE alerts ADD COLUMN peak REAL"]

#: Reliability: outbox claims ("sending" since claimed_at) and the alert history that
#: lets a rebuild put alert state back to what it was before a session.
_V3 = [
    "ALTER TABLE outbox ADD COLUMN claimed_at TEXT",
    """CREATE TABLE IF NOT EXISTS alert_state_history (
        fingerprint TEXT NOT NULL, session TEXT NOT NULL, state_json TEXT NOT NULL,
        PRIMARY KEY (fingerprint, session))""",
    """CREATE TABLE IF NOT EXISTS alert_history (
        id TEXT NOT NULL, session TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (id, session))""",
]

#: Bytes of one stored signal value (little-endian IEEE float64, bit for bit what was computed).
_VALUE = np.dtype("<f8")
#: Separator of the symbols of one signal block (a symbol never contains a newline).
_SEP = "\n"


def _pack_block(symbols: Sequence[str], values: np.ndarray) -> tuple[int, str, bytes]:
    """``(n, symbols, vals)`` columns of one ``signal_blocks`` row (symbols sorted)."""
    return len(symbols), _SEP.join(symbols), np.ascontiguousarray(values, dtype=_VALUE).tobytes()


def _signals_to_blocks(conn: sqlite3.Connection) -> None:
    """v4 data step: every stored ``(date, symbol, signal, value)`` row of the v1 ``signals``
    table goes into the ``signal_blocks`` row of its (date, signal); values are kept bit for bit."""
    cur = conn.execute("SELECT date, signal, symbol, value FROM signals ORDER BY date, signal, symbol")
    batch: list[tuple[Any, ...]] = []
    for (day, name), rows in itertools.groupby(cur, key=lambda r: (r[0], r[1])):
        group = list(rows)
        vals = np.array([r[3] for r in group], dtype=float)
        batch.append((day, name, *_pack_block([str(r[2]) for r in group], vals)))
        if len(batch) >= 10_000:
            conn.executemany("INSERT INTO signal_blocks (date, signal, n, symbols, vals) VALUES (?, ?, ?, ?, ?)", batch)
            batch = []
    conn.executemany("INSERT INTO signal_blocks (date, signal, n, symbols, vals) VALUES (?, ?, ?, ?, ?)", batch)


#: v4 (#14 scale): signals are stored one row per (date, signal) holding every symbol's value
#: (``symbols``: the sorted symbols joined by newlines; ``vals``: their float64 values), so a
#: derivation over years writes and reads thousands of rows instead of millions.
_V4: list[str | Callable[[sqlite3.Connection], None]] = [
    """CREATE TABLE IF NOT EXISTS signal_blocks (
        date TEXT NOT NULL, signal TEXT NOT NULL, n INTEGER NOT NULL,
        symbols TEXT NOT NULL, vals BLOB NOT NULL,
        PRIMARY KEY (date, signal)) WITHOUT ROWID""",
    _signals_to_blocks,
    "DROP INDEX IF EXISTS signals_by_signal",
    "DROP TABLE IF EXISTS signals",
]

#: The FRED inputs of derived sessions that no signal stores (the credit model's risk-free
#: rate): one row per session and series, written with the session's signals and forgotten
#: with them, so a value stored late or revised is seen (``pipeline._first_stale_fred_session``).
DERIVED_INPUTS = "derived_inputs"
#: v5 (#14): the record of the FRED inputs a derived session used.
_V5 = [
    f"""CREATE TABLE IF NOT EXISTS {DERIVED_INPUTS} (
    date TEXT NOT NULL, series TEXT NOT NULL, value REAL,
    PRIMARY KEY (series, date)) WITHOUT ROWID"""
]

#: Ordered migrations; index i brings the schema from version i to i + 1. A step is an SQL
#: statement or a function of the connection (a data conversion SQL cannot express).
MIGRATIONS: list[list[str | Callable[[sqlite3.Connection], None]]] = [[*_V1], [*_V2], [*_V3], _V4, [*_V5]]
SCHEMA_VERSION = len(MIGRATIONS)

#: Longest alert summary stored (a rule template such as ``{value:>100000000}`` would
#: otherwise grow the database by megabytes a cycle).
MAX_SUMMARY_CHARS = 500

#: The alerts table's columns (pipeline.ALERT_KEYS is the ALERT document: a contract, not this schema).
_ALERT_COLUMNS = (
    "id",
    "fingerprint",
    "rule",
    "symbol",
    "severity",
    "state",
    "value",
    "threshold",
    "started",
    "fired",
    "resolved",
    "summary",
    "peak",
)


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _clean(v: Any) -> Any:
    """Plain Python value for SQLite: NaN → None, numpy scalars → Python, dates → ISO."""
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
        if isinstance(v, float) and math.isnan(v):
            return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10] if not isinstance(v, dt.datetime) else v.isoformat()
    if v is pd.NaT:
        return None
    return v


def _object_array(values: Iterable[Any]) -> np.ndarray:
    out = list(values)
    arr = np.empty(len(out), dtype=object)
    arr[:] = out
    return arr


#: Up to this many dates are written out one by one (factorizing them costs more).
_FEW_ROWS = 256


def _plain(values: Any) -> np.ndarray:
    """A whole column as SQLite-ready values (what :func:`_clean` gives one by one): a float
    array (NaN is written as NULL), an integer array, or an object array of str/None/Python
    scalars. Dates become ISO ``YYYY-MM-DD`` strings, one string per distinct date."""
    if isinstance(values, (pd.Series, pd.Index)) and isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    arr = np.asarray(values)
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(float, copy=False)
    if kind in "iub":
        return arr
    if kind == "M":
        codes, uniques = pd.factorize(pd.DatetimeIndex(arr))
        isos = _object_array([*uniques.strftime("%Y-%m-%d"), None])
        return isos[codes]  # code -1 (NaT) picks the trailing None
    if kind == "U":
        return arr.astype(object)
    if kind == "O" and len(arr):
        types = set(map(type, arr))
        if types <= {str, type(None)}:
            return arr
        if types <= {dt.date, type(None)} and len(arr) <= _FEW_ROWS:  # a re-fetch window: no hashing
            return _object_array(None if d is None else d.isoformat() for d in arr)
        if types <= {dt.date, type(None)}:
            codes, uniques = pd.factorize(arr)
            isos = _object_array([*(d.isoformat() for d in uniques), None])
            return isos[codes]
    return _object_array(_clean(v) for v in arr)


def _broadcast(values: Any, n: int) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values
    arr = np.empty(n, dtype=object)
    arr[:] = [values] * n if isinstance(values, (tuple, list)) else values
    return arr


def _distinct_keys(columns: Sequence[np.ndarray], n: int) -> bool:
    """True when the ``n`` key tuples of ``columns`` (SQLite-ready str/None/int values) are
    known distinct without pandas (False: let pandas find the duplicate, or say none is)."""
    if not all(c.dtype == object for c in columns):
        return False
    try:
        return len(set(zip(*(c.tolist() for c in columns)))) == n
    except TypeError:  # an unhashable value: pandas decides
        return False


def _rows(columns: Sequence[Any], n: int, chunk: int = 50_000) -> Iterator[tuple[Any, ...]]:
    """Row tuples of plain Python values, built a chunk at a time from column arrays (a column
    that is not an array is one value for every row); float NaN becomes None."""
    for i in range(0, n, chunk):
        m = min(chunk, n - i)
        parts: list[Iterable[Any]] = []
        for c in columns:
            if not isinstance(c, np.ndarray):
                parts.append(itertools.repeat(c, m))
                continue
            part = c[i : i + m]
            if part.dtype.kind == "f":
                obj = part.astype(object)
                obj[np.isnan(part)] = None
                parts.append(obj.tolist())
            else:
                parts.append(part.tolist())
        yield from zip(*parts)


def _capped(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with its ``summary`` cut to :data:`MAX_SUMMARY_CHARS` characters."""
    summ = doc.get("summary")
    if isinstance(summ, str) and len(summ) > MAX_SUMMARY_CHARS:
        return {**doc, "summary": summ[: MAX_SUMMARY_CHARS - 1] + "…"}
    return doc


def _key_ranges_sql(table: str, key: str) -> str:
    """Per ``key`` of ``table`` (primary key ``key, date``), in key order: the first and last
    date and the number of rows, what ``SELECT key, MIN(date), MAX(date), COUNT(*) ... GROUP
    BY key`` gives. Each key is found by a seek for the next one in the primary-key index and
    its dates by seeks and a count of its index range (the GROUP BY reads and compares every
    row's key and date: several times slower on the thousands of bars a cycle asks about)."""
    return (
        f"WITH RECURSIVE k(v) AS (SELECT MIN({key}) FROM {table} UNION ALL "
        f"SELECT (SELECT MIN({key}) FROM {table} WHERE {key} > k.v) FROM k WHERE k.v IS NOT NULL) "
        f"SELECT v, (SELECT MIN(date) FROM {table} WHERE {key} = k.v), "
        f"(SELECT MAX(date) FROM {table} WHERE {key} = k.v), "
        f"(SELECT COUNT(*) FROM {table} WHERE {key} = k.v) FROM k WHERE v IS NOT NULL"
    )


#: Values bound per ``IN (...)`` list, well under SQLite's limit on host parameters.
_IN_CHUNK = 500


def _in_chunks(values: Sequence[Any]) -> Iterator[tuple[list[Any], str]]:
    """``values`` in slices of :data:`_IN_CHUNK`, each with its ``?, ?, ...`` placeholders."""
    for i in range(0, len(values), _IN_CHUNK):
        chunk = list(values[i : i + _IN_CHUNK])
        yield chunk, ", ".join("?" for _ in chunk)


def _where(start: Any = None, end: Any = None, **members: Iterable[str] | None) -> tuple[str, list[Any]]:
    """``WHERE`` clause (always valid) and parameters: ``col IN (...)`` for each given list,
    ``date >= start`` and ``date <= end``."""
    sql, params = " WHERE 1=1", []
    for col, values in members.items():
        if values is not None:
            vs = list(values)
            sql += f" AND {col} IN ({', '.join('?' for _ in vs)})"
            params += vs
    if start is not None:
        sql += " AND date >= ?"
        params.append(_clean(start))
    if end is not None:
        sql += " AND date <= ?"
        params.append(_clean(end))
    return sql, params


def _wide_rows(
    rows: list[tuple[Any, ...]], names: list[str] | None, n_values: int, date_format: str | None
) -> tuple[pd.DatetimeIndex, list[str], list[np.ndarray]]:
    """Rows ``(date, key, value...)`` placed as wide arrays, what pivoting them by date and key
    gives: the distinct dates sorted (ISO text sorts as dates; index ``date``), a column per
    name of ``names`` (else per distinct key, sorted; every key must be among ``names``) and
    per value position an array, NaN where there is no row or the value is NULL."""
    # column lists (``zip(*rows)`` builds tuples as long as the result, which the garbage
    # collector then walks: several times slower on a cycle's thousands of rows)
    cols = [[r[k] for r in rows] for k in range(2 + n_values)]
    s_codes, s_uni = pd.factorize(np.asarray(cols[1], dtype=object))
    if names is None:
        names = sorted(str(x) for x in s_uni)
    pos = {x: j for j, x in enumerate(names)}
    c = np.array([pos[str(x)] for x in s_uni], dtype=np.intp)[s_codes]
    index, values = _placed(cols[0], c, len(names), cols[2:], date_format)
    return index, names, values


def _wide_parts(
    parts: Sequence[list[tuple[Any, ...]]], n_values: int, date_format: str | None
) -> tuple[pd.DatetimeIndex, list[np.ndarray]]:
    """:func:`_wide_rows` of rows ``(date, value...)`` read key by key: ``parts[j]`` holds the
    rows of column ``j``."""
    c = np.repeat(np.arange(len(parts), dtype=np.intp), [len(p) for p in parts])
    cols = [[r[k] for p in parts for r in p] for k in range(1 + n_values)]
    return _placed(cols[0], c, len(parts), cols[1:], date_format)


def _placed(
    dates: list[Any], c: np.ndarray, n_cols: int, value_cols: Sequence[list[Any]], date_format: str | None
) -> tuple[pd.DatetimeIndex, list[np.ndarray]]:
    """The sorted distinct ``dates`` as an index and per value column an array (dates x
    ``n_cols``) with each row's value at its date and column ``c``, NaN elsewhere."""
    d_codes, d_uni = pd.factorize(np.asarray(dates, dtype=object))
    days = np.asarray(d_uni, dtype=object)
    order = np.argsort(days, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    r = rank[d_codes]
    index = pd.DatetimeIndex(pd.to_datetime(days[order], format=date_format), name="date")
    values = []
    for col in value_cols:
        v = np.full((len(days), n_cols), np.nan)
        v[r, c] = np.array(col, dtype=float)  # NULL -> NaN
        values.append(v)
    return index, values


def _factorized(column: pd.Series, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct SQLite-ready text values of a key column (dates as ISO strings):
    the column is hashed once and only its distinct values are converted; values that
    become the same text share a code; a missing value is an error."""
    codes, uniques = pd.factorize(column)
    plain = _plain(uniques)
    if (codes < 0).any() or pd.isna(plain).any():
        raise StorageError(f"signals: a row has no {what}")
    again, distinct = pd.factorize(np.array([str(x) for x in plain], dtype=object))
    return again[codes], np.asarray(distinct, dtype=object)


class _SymbolParser:
    """Symbols of stored signal blocks: each distinct ``symbols`` text is split once, its
    symbols numbered in one list shared by every block (``all_names``)."""

    def __init__(self, wanted: set[str] | None = None) -> None:
        self.wanted = wanted
        self.all_names: list[str] = []
        self._ids: dict[str, int] = {}
        self._seen: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}

    def names(self, text: str) -> np.ndarray:
        out = np.empty(0, dtype=object) if not text else np.array(text.split(_SEP), dtype=object)
        return out

    def codes(self, text: str) -> tuple[np.ndarray, np.ndarray | None]:
        hit = self._seen.get(text)
        if hit is None:
            names = text.split(_SEP) if text else []
            codes = np.array([self._ids.setdefault(x, len(self._ids)) for x in names], dtype=np.int64)
            self.all_names.extend(list(self._ids)[len(self.all_names) :])
            keep = None if self.wanted is None else np.array([x in self.wanted for x in names], dtype=bool)
            hit = self._seen[text] = (codes, keep)
        return hit


class Store:
    """A SQLite database holding bars, FRED series, fundamentals, events, signals and alerts."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = str(path)
        self._lock_depth = 0
        try:
            if self.path != ":memory:":
                Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            self.db = sqlite_utils.Database(conn)
            self.db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if self.path != ":memory:":
                self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path}: cannot open the database: {exc}") from None
        except OSError as exc:
            raise StorageError(f"{self.path}: cannot create the database: {exc.strerror}") from None

    # ------------------------------------------------------------------ plumbing

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write: ``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error)."""
        if self.conn.in_transaction:
            yield
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: database is busy or read-only: {exc}") from None
        try:
            yield
        except sqlite3.Error as exc:
            self._rollback()
            raise StorageError(f"{self.path}: write failed and was rolled back: {exc}") from None
        except BaseException:
            self._rollback()
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise StorageError(f"{self.path}: commit failed: {exc}") from None

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")

    # ------------------------------------------------------------------ one writer

    @property
    def lock_path(self) -> Path:
        return Path(f"{Path(self.path).expanduser()}.lock")

    @contextlib.contextmanager
    def writer_lock(self, kind: str, wait: float = 60.0) -> Iterator[None]:
        """Hold the database's writer lock (``<db>.lock``) for a whole cycle or fetch.

        Re-entrant within this store. Another process holding it is waited for up to
        ``wait`` seconds, then :class:`StorageError` says who holds it and since when. The
        lock is an ``flock``: the kernel releases it when its holder dies (even by SIGKILL).
        """
        if self.path == ":memory:" or self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StorageError(f"{self.lock_path}: cannot create the lock file: {exc.strerror}") from None
        deadline = time.monotonic() + max(0.0, wait)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        holder = self._lock_holder(fd)
                        raise StorageError(
                            f"another run holds {self.path} since {holder}; waited {wait:g}s "
                            "(try again when it has finished)"
                        ) from None
                    time.sleep(0.05)
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({"pid": os.getpid(), "kind": kind, "since": _utc_now()}).encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._lock_depth = 1  # the lock lives as long as ``fd`` is open: closed in the finally below
        try:
            yield
        finally:
            self._lock_depth = 0
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @staticmethod
    def _lock_holder(fd: int) -> str:
        try:
            rec = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        except (OSError, ValueError):
            rec = {}
        if not rec:
            return "an unknown time"
        return f"{rec.get('since')} ({rec.get('kind')}, pid {rec.get('pid')})"

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{self.path}: database schema v{version} is newer than this aimonitor "
                f"(v{SCHEMA_VERSION}); upgrade aimonitor"
            )
        for i in range(version, SCHEMA_VERSION):
            with self.transaction():
                for stmt in MIGRATIONS[i]:
                    if callable(stmt):
                        stmt(self.conn)
                    else:
                        self.conn.execute(stmt)
                self.conn.execute(f"PRAGMA user_version = {i + 1}")
            log.debug("migrated %s to schema v%d", self.path, i + 1)

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _query_df(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        cur = self.conn.execute(sql, tuple(params))
        cols = [c[0] for c in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=cols)

    def _query_dicts(
        self, sql: str, params: Sequence[Any] = (), json_column: str | None = None
    ) -> list[dict[str, Any]]:
        """The rows of ``sql`` as dicts by column name (``json_column`` decoded from its JSON text)."""
        cur = self.conn.execute(sql, tuple(params))
        cols = [c[0] for c in cur.description]
        out = [dict(zip(cols, r)) for r in cur.fetchall()]
        if json_column is not None:
            for o in out:
                o[json_column] = json.loads(o[json_column])
        return out

    def _upsert(
        self,
        table: str,
        key: Sequence[str],
        rows: list[dict[str, Any]],
        compare: Sequence[str],
    ) -> UpsertCount:
        """:meth:`_upsert_columns` for a few rows given as dicts (events, filings)."""
        if not rows:
            return UpsertCount()
        cols = list(rows[0].keys())
        data = {c: _object_array(_clean(r.get(c)) for r in rows) for c in cols}
        return self._upsert_columns(table, key, data, len(rows), compare)

    def _upsert_columns(
        self,
        table: str,
        key: Sequence[str],
        data: dict[str, Any],
        n: int,
        compare: Sequence[str],
    ) -> UpsertCount:
        """Insert new keys, update rows whose ``compare`` columns changed, skip the rest.

        ``data`` maps each column to an array of ``n`` SQLite-ready values (see :func:`_plain`)
        or to one value for every row. One ``INSERT ... ON CONFLICT DO UPDATE ... WHERE``
        (changed) statement writes the batch through ``executemany`` over tuples built chunk by
        chunk; the keys already stored are counted before and after (only the batch's key and
        date range is read back) inside the same ``BEGIN IMMEDIATE`` transaction that writes,
        so a concurrent writer can never insert a key between our count and our insert.
        """
        if n == 0:
            return UpsertCount()
        cols = list(data)
        keys = {k: _broadcast(data[k], n) for k in key}
        if not _distinct_keys([keys[k] for k in key], n):
            dup = pd.DataFrame(keys).duplicated(keep="first").to_numpy()
            if dup.any():
                i = int(np.argmax(dup))
                raise StorageError(f"{table}: duplicate key {tuple(keys[k][i] for k in key)} in one batch")
        lead = key[0]
        leads = sorted((v for v in dict.fromkeys(keys[lead].tolist()) if v is not None), key=str)
        # only the batch's date range is read back (a re-fetch window, not a symbol's history)
        span, span_params = "", []
        if "date" in key and lead != "date":
            dates = [d for d in keys["date"].tolist() if d is not None and d == d]  # not None nor NaN
            if dates:
                span, span_params = " AND date BETWEEN ? AND ?", [min(dates), max(dates)]
        upd_cols = [c for c in cols if c not in key]
        changed = " OR ".join(f"{table}.{c} IS NOT excluded.{c}" for c in compare)
        action = "DO NOTHING"
        if upd_cols:
            action = f"DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in upd_cols)}"
            action += f" WHERE {changed}" if changed else ""
        sql = (
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)}) "
            f"ON CONFLICT ({', '.join(key)}) {action}"
        )

        def stored() -> int:
            count = 0
            for chunk, marks in _in_chunks(leads):
                count += self.conn.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE {lead} IN ({marks}){span}",
                    [*chunk, *span_params],
                ).fetchone()[0]
            return int(count)

        # a large batch (a derivation over years) touches index pages all over the file: give
        # this connection a bigger page cache while it writes (SQLite's default is 2 MB)
        cache = self.conn.execute("PRAGMA cache_size").fetchone()[0] if n > BULK_ROWS else None
        if cache is not None:
            self.conn.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
        try:
            with self.transaction():
                before, changes = stored(), self.conn.total_changes
                self.conn.executemany(sql, _rows([data[c] for c in cols], n))
                written = self.conn.total_changes - changes
                new = stored() - before
        finally:
            if cache is not None:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute(f"PRAGMA cache_size = {int(cache)}")
        return UpsertCount(new, written - new)

    # ------------------------------------------------------------------ bars

    def write_bars(self, symbol: str, frame: pd.DataFrame, source: str, fetched_at: str | None = None) -> UpsertCount:
        """Upsert daily bars of one symbol (``frame``: index or column ``date`` + BAR_COLUMNS)."""
        if frame.empty:
            return UpsertCount()
        f = frame.reset_index() if "date" not in frame.columns else frame
        stamp = fetched_at or _utc_now()
        data: dict[str, Any] = {"symbol": symbol, "date": _plain(f["date"])}
        data.update({c: _plain(f[c]) if c in f.columns else None for c in BAR_COLUMNS})
        data.update(source=source, fetched_at=stamp)
        return self._upsert_columns("bars", ("symbol", "date"), data, len(f), compare=BAR_COLUMNS)

    def read_prices(
        self,
        symbols: Iterable[str] | None = None,
        field: str = "adj_close",
        start: str | dt.date | None = None,
        end: str | dt.date | None = None,
    ) -> pd.DataFrame:
        """Wide frame (DatetimeIndex × symbols) of one bar field."""
        return self.read_price_fields(symbols, (field,), start, end)[field]

    def read_price_fields(
        self,
        symbols: Iterable[str] | None,
        fields: Sequence[str],
        start: str | dt.date | None = None,
        end: str | dt.date | None = None,
    ) -> dict[str, pd.DataFrame]:
        """:meth:`read_prices` of several bar fields, from one query: field -> wide frame (the
        stored dates, sorted, in which any of the symbols has a bar; one column per symbol
        asked for, in that order, else per stored symbol, sorted; NaN where there is no value)."""
        for field in fields:
            if field not in BAR_COLUMNS:
                raise ValueError(f"unknown bar field {field!r}")
        syms = list(symbols) if symbols is not None else None
        names: list[str] | None = syms
        if syms is not None and len(set(syms)) != len(syms):
            names = list(dict.fromkeys(syms))
        where, params = _where(start, end)
        if names is None:
            rows = self.conn.execute(f"SELECT date, symbol, {', '.join(fields)} FROM bars" + where, params).fetchall()
            if not rows:
                return {f: pd.DataFrame(columns=syms or [], dtype=float) for f in fields}
            index, names, values = _wide_rows(rows, names, len(fields), "%Y-%m-%d")
        else:
            # one query per symbol (its index range): the rows need no symbol column, which
            # costs a third of the read for the few thousand bars of a cycle
            sql = f"SELECT date, {', '.join(fields)} FROM bars{where} AND symbol = ?"
            parts = [self.conn.execute(sql, [*params, s]).fetchall() for s in names]
            if not any(parts):
                return {f: pd.DataFrame(columns=syms or [], dtype=float) for f in fields}
            index, values = _wide_parts(parts, len(fields), "%Y-%m-%d")
        out: dict[str, pd.DataFrame] = {}
        for field, v in zip(fields, values, strict=True):
            wide = pd.DataFrame(v, index=index, columns=names)
            out[field] = wide if syms is None or names is syms else wide.reindex(columns=syms)
        return out

    def bar_ranges(self) -> dict[str, tuple[str, str, int]]:
        """Per symbol: (first date, last date, number of rows)."""
        cur = self.conn.execute(_key_ranges_sql("bars", "symbol"))
        return {r[0]: (r[1], r[2], r[3]) for r in cur.fetchall()}

    # ------------------------------------------------------------------ FRED

    def write_fred(
        self, series: str, frame: pd.DataFrame, unit: str, source: str, fetched_at: str | None = None
    ) -> UpsertCount:
        """Upsert one FRED series (``frame``: columns date, value — already in ``unit``)."""
        if frame.empty:
            return UpsertCount()
        stamp = fetched_at or _utc_now()
        data = {
            "series": series,
            "date": _plain(frame["date"]),
            "value": _plain(frame["value"]),
            "unit": unit,
            "source": source,
            "fetched_at": stamp,
        }
        return self._upsert_columns("fred", ("series", "date"), data, len(frame), compare=("value", "unit"))

    def read_fred(
        self, series: Iterable[str] | None = None, start: str | dt.date | None = None, end: str | dt.date | None = None
    ) -> pd.DataFrame:
        """Wide frame (DatetimeIndex × series) of values in their stored unit (bp for spreads/yields)."""
        where, params = _where(start, end, series=series)
        rows = self.conn.execute("SELECT date, series, value FROM fred" + where, params).fetchall()
        if not rows:
            return pd.DataFrame(columns=list(series or []), dtype=float)
        index, names, (values,) = _wide_rows(rows, None, 1, None)
        return pd.DataFrame(values, index=index, columns=names)

    def fred_ranges(self) -> dict[str, tuple[str, str, int]]:
        cur = self.conn.execute(_key_ranges_sql("fred", "series"))
        return {r[0]: (r[1], r[2], r[3]) for r in cur.fetchall()}

    # ------------------------------------------------------------------ fundamentals

    # the same fields as sources.yahoo's fundamentals frame: written in each, io components import no other
    FUNDAMENTAL_COLUMNS = (
        "filed_date",
        "short_term_debt",
        "long_term_debt",
        "total_debt",
        "operating_lease_liabilities",
        "shares_outstanding",
        "shares_as_of",
        "weighted_avg_basic_shares",
        "source",
    )

    def write_fundamentals(self, frame: pd.DataFrame, fetched_at: str | None = None) -> UpsertCount:
        if frame.empty:
            return UpsertCount()
        stamp = fetched_at or _utc_now()
        with self.transaction():  # the filing-date read and the upsert see one state
            return self._write_fundamentals(frame, stamp)

    def _write_fundamentals(self, frame: pd.DataFrame, stamp: str) -> UpsertCount:
        rows = []
        records = frame.to_dict("records")
        # the stored filing dates of the batch's symbols, read at once (text keys compare as
        # SQLite compares them; any other key is looked up alone)
        syms = {r["symbol"] for r in records}
        filed = self._filed_dates(sorted(syms)) if all(isinstance(x, str) for x in syms) else None
        for r in records:
            row = {
                "symbol": r["symbol"],
                "period_end": _clean(r["period_end"]),
                **{c: _clean(r.get(c)) for c in self.FUNDAMENTAL_COLUMNS},
                "fetched_at": stamp,
            }
            # a period's figures were public from the earliest filing date we have seen:
            # a later re-fetch must never move them forward (point-in-time correctness)
            if filed is not None and (row["period_end"] is None or isinstance(row["period_end"], str)):
                prior = filed.get((row["symbol"], row["period_end"]))
            else:
                prior = self.conn.execute(
                    "SELECT filed_date FROM fundamentals WHERE symbol = ? AND period_end = ?",
                    (row["symbol"], row["period_end"]),
                ).fetchone()
            if prior and prior[0] and row["filed_date"] and prior[0] < row["filed_date"]:
                row["filed_date"] = prior[0]
            rows.append(row)
        compare = [c for c in self.FUNDAMENTAL_COLUMNS if c != "source"]
        return self._upsert("fundamentals", ("symbol", "period_end"), rows, compare=compare)

    def _filed_dates(self, symbols: Sequence[str]) -> dict[tuple[Any, Any], tuple[Any]]:
        """(symbol, period_end) -> (filed_date,) of the stored filings of ``symbols``."""
        out: dict[tuple[Any, Any], tuple[Any]] = {}
        for chunk, marks in _in_chunks(symbols):
            cur = self.conn.execute(
                f"SELECT symbol, period_end, filed_date FROM fundamentals WHERE symbol IN ({marks})",
                chunk,
            )
            out.update(((sym, end), (day,)) for sym, end, day in cur.fetchall())
        return out

    def read_fundamentals(self, symbols: Iterable[str] | None = None) -> pd.DataFrame:
        where, params = _where(symbol=symbols)
        df = self._query_df(f"SELECT * FROM fundamentals{where} ORDER BY symbol, period_end", params)
        for c in ("period_end", "filed_date", "shares_as_of"):
            df[c] = pd.to_datetime(df[c])
        return df

    # ------------------------------------------------------------------ events

    EVENT_COLUMNS = (
        "announce_date",
        "timing",
        "day0",
        "tickers",
        "counterparty",
        "event_type",
        "amount_usd",
        "capacity_gw",
        "shares",
        "description",
        "date_confirmed",
        "source",
    )

    def write_events(self, rows: list[dict[str, Any]]) -> UpsertCount:
        """Upsert curated events (dicts with event_id + EVENT_COLUMNS)."""
        clean = [{"event_id": r["event_id"], **{c: _clean(r.get(c)) for c in self.EVENT_COLUMNS}} for r in rows]
        return self._upsert("events", ("event_id",), clean, compare=self.EVENT_COLUMNS)

    def read_events(self) -> list[dict[str, Any]]:
        return self._query_dicts("SELECT * FROM events ORDER BY announce_date IS NULL, announce_date, event_id")

    # ------------------------------------------------------------------ CDS quotes

    def write_cds_quotes(self, frame: pd.DataFrame) -> UpsertCount:
        """Upsert CDS quotes; an import with no valid row is an error (it would store nothing)."""
        if frame.empty:
            rejected = list(frame.attrs.get("rejected", []))
            detail = f" ({len(rejected)} rows rejected; first: {rejected[0]})" if rejected else ""
            raise DataError(f"no valid CDS quote rows to store{detail}")
        sources = frame["source"] if "source" in frame.columns else [None] * len(frame)
        data = {
            "entity": _plain(frame["entity"]),
            "date": _plain(frame["date"]),
            "tenor": _plain(frame["tenor"].astype(str)),
            "spread_bp": _plain(frame["spread_bp"]),
            "source": _object_array(str(v or "user") for v in sources),
        }
        key = ("entity", "date", "tenor", "source")
        return self._upsert_columns("cds_quotes", key, data, len(frame), compare=("spread_bp",))

    def read_cds_quotes(self, entities: Iterable[str] | None = None) -> pd.DataFrame:
        where, params = _where(entity=entities)
        df = self._query_df(f"SELECT * FROM cds_quotes{where} ORDER BY entity, date", params)
        df["date"] = pd.to_datetime(df["date"])
        return df

    # ------------------------------------------------------------------ signals

    def write_signals(self, frame: pd.DataFrame) -> UpsertCount:
        """Upsert a long frame with columns date, symbol, signal, value.

        Values are stored per (date, signal) block (see :data:`_V4`): the batch is grouped
        with numpy, the blocks it touches are read back inside the writing transaction, and a
        block is rewritten only if one of its values is new or changed. Counts are per value,
        as with one row per value: ``rows_new`` values with a new key, ``rows_updated``
        stored values that changed.
        """
        if frame.empty:
            return UpsertCount()
        n = len(frame)
        d_codes, day_text = _factorized(frame["date"], "date")
        g_codes, sig_text = _factorized(frame["signal"], "signal")
        s_codes, s_text = _factorized(frame["symbol"], "symbol")
        values = np.asarray(frame["value"], dtype=float)
        if np.isnan(values).any():
            i = int(np.argmax(np.isnan(values)))
            raise StorageError(
                f"signals: no value for {(day_text[d_codes[i]], s_text[s_codes[i]], sig_text[g_codes[i]])}"
            )
        g_uni = sig_text
        if any(_SEP in x for x in s_text):
            raise StorageError("signals: a symbol contains a newline")
        s_order = np.argsort(s_text, kind="stable")
        s_rank = np.empty(len(s_text), dtype=np.int64)
        s_rank[s_order] = np.arange(len(s_text))
        key = (d_codes.astype(np.int64) * len(g_uni) + g_codes) * len(s_text) + s_rank[s_codes]
        order = np.argsort(key, kind="stable")
        key = key[order]
        if n > 1 and (key[1:] == key[:-1]).any():
            i = int(order[int(np.argmax(key[1:] == key[:-1])) + 1])
            dup = (day_text[d_codes[i]], s_text[s_codes[i]], sig_text[g_codes[i]])
            raise StorageError(f"signals: duplicate key {dup} in one batch")
        block = key // len(s_text)
        cuts = np.flatnonzero(np.diff(block)) + 1
        starts, ends = np.r_[0, cuts], np.r_[cuts, n]
        code_sorted = s_codes[order]
        sym_sorted = s_text[code_sorted]
        val_sorted = values[order]
        # a new block's columns without a call per block: its values' bytes are a slice of all
        # of them, and its symbols' text is joined once per distinct symbol set (what
        # _pack_block gives, bit for bit)
        val_bytes = np.ascontiguousarray(val_sorted, dtype=_VALUE).tobytes()
        width = _VALUE.itemsize
        texts: dict[bytes, str] = {}
        rows: list[tuple[Any, ...]] = []
        new = updated = 0
        with self.transaction():
            stored = self._stored_blocks(min(day_text), max(day_text), [str(x) for x in sig_text])
            n_g = len(g_uni)
            for lo, hi, b in zip(starts.tolist(), ends.tolist(), block[starts].tolist()):
                day, name = day_text[b // n_g], sig_text[b % n_g]
                old = stored.get((day, name))
                if old is None:
                    new += hi - lo
                    k = code_sorted[lo:hi].tobytes()
                    text = texts.get(k)
                    if text is None:
                        text = texts[k] = _SEP.join(sym_sorted[lo:hi].tolist())
                    rows.append((day, name, hi - lo, text, val_bytes[lo * width : hi * width]))
                    continue
                bs, bv = sym_sorted[lo:hi], val_sorted[lo:hi]
                o_syms, o_vals = old
                pos = np.searchsorted(o_syms, bs)
                pos_c = np.minimum(pos, len(o_syms) - 1)
                had = (pos < len(o_syms)) & (o_syms[pos_c] == bs)
                changed = had & (o_vals[pos_c] != bv)
                n_new, n_changed = int((~had).sum()), int(changed.sum())
                if n_new == 0 and n_changed == 0:
                    continue
                new += n_new
                updated += n_changed
                m_syms = np.concatenate([o_syms, bs[~had]])
                m_vals = np.concatenate([o_vals, bv[~had]])
                m_vals[pos_c[had]] = bv[had]
                srt = np.argsort(m_syms, kind="stable")
                rows.append((day, name, *_pack_block(m_syms[srt].tolist(), m_vals[srt])))
            self.conn.executemany(
                "INSERT OR REPLACE INTO signal_blocks (date, signal, n, symbols, vals) VALUES (?, ?, ?, ?, ?)", rows
            )
        return UpsertCount(new, updated)

    def _stored_blocks(self, first: str, last: str, names: Sequence[str]) -> dict[tuple[str, str], tuple[Any, Any]]:
        """Stored blocks of ``names`` dated in ``[first, last]``: (date, signal) -> (symbols, values)."""
        out: dict[tuple[str, str], tuple[Any, Any]] = {}
        parse = _SymbolParser()
        for chunk, marks in _in_chunks(names):
            cur = self.conn.execute(
                "SELECT date, signal, symbols, vals FROM signal_blocks WHERE date BETWEEN ? AND ? "
                f"AND signal IN ({marks})",
                [first, last, *chunk],
            )
            for day, name, text, blob in cur:
                out[(day, name)] = (parse.names(text), np.frombuffer(blob, dtype=_VALUE).astype(float))
        return out

    def read_signals(
        self,
        names: Iterable[str] | None = None,
        start: str | dt.date | None = None,
        end: str | dt.date | None = None,
        symbols: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Long frame: date (datetime.date), symbol, signal, value; sorted by date, symbol, signal."""
        where, params = _where(start, end, signal=names)
        cur = self.conn.execute(
            "SELECT date, signal, symbols, vals FROM signal_blocks" + where + " ORDER BY date, signal", params
        )
        parse = _SymbolParser(None if symbols is None else {str(s) for s in symbols})
        days: list[str] = []
        sig_ids: dict[str, int] = {}
        row_d: list[int] = []
        row_g: list[int] = []
        ns: list[int] = []
        code_parts: list[np.ndarray] = []
        keep_parts: list[np.ndarray] = []
        blobs: list[bytes] = []
        for day, name, text, blob in cur:
            codes, keep = parse.codes(text)
            if not days or days[-1] != day:
                days.append(day)
            row_d.append(len(days) - 1)
            row_g.append(sig_ids.setdefault(name, len(sig_ids)))
            ns.append(len(codes))
            code_parts.append(codes)
            blobs.append(blob)
            if keep is not None:
                keep_parts.append(keep)
        if not blobs:
            return pd.DataFrame([], columns=["date", "symbol", "signal", "value"])
        d = np.repeat(np.array(row_d, dtype=np.int64), ns)
        g = np.repeat(np.array(row_g, dtype=np.int64), ns)
        sy = np.concatenate(code_parts)
        vals = np.frombuffer(b"".join(blobs), dtype=_VALUE).astype(float)
        if keep_parts:
            mask = np.concatenate(keep_parts)
            d, g, sy, vals = d[mask], g[mask], sy[mask], vals[mask]
        if len(vals) == 0:
            return pd.DataFrame([], columns=["date", "symbol", "signal", "value"])
        sig_names = np.array(list(sig_ids), dtype=object)
        sym_names = np.array(parse.all_names, dtype=object)
        g_rank = np.argsort(np.argsort(sig_names, kind="stable"), kind="stable")
        s_rank = np.argsort(np.argsort(sym_names, kind="stable"), kind="stable")
        key = (d * len(sym_names) + s_rank[sy]) * len(sig_names) + g_rank[g]
        order = np.argsort(key, kind="stable")
        day_objs = np.empty(len(days), dtype=object)
        day_objs[:] = [dt.date.fromisoformat(x) for x in days]
        return pd.DataFrame(
            {
                "date": day_objs[d[order]],
                "symbol": sym_names[sy[order]],
                "signal": sig_names[g[order]],
                "value": vals[order],
            }
        )

    def delete_signals_from(self, start: str | dt.date) -> int:
        """Forget derived signals on and after ``start`` (they are recomputed from the bars);
        returns the number of values forgotten."""
        with self.transaction():
            n = self._delete_signal_blocks(_clean(start))
        return n

    def _delete_signal_blocks(self, start: str) -> int:
        x = self.conn.execute
        n = x("SELECT COALESCE(SUM(n), 0) FROM signal_blocks WHERE date >= ?", (start,)).fetchone()[0]
        x("DELETE FROM signal_blocks WHERE date >= ?", (start,))
        x(f"DELETE FROM {DERIVED_INPUTS} WHERE date >= ?", (start,))
        return int(n)

    def write_derived_inputs(self, series: str, values: Mapping[str, float]) -> None:
        """Record the value of FRED ``series`` each derived session (ISO date -> value, NaN
        for none) used, replacing what was recorded for those sessions (see
        :data:`DERIVED_INPUTS`)."""
        if not values:
            return
        rows = [(d, series, None if v != v else float(v)) for d, v in values.items()]
        with self.transaction():
            self.conn.executemany(
                f"INSERT OR REPLACE INTO {DERIVED_INPUTS} (date, series, value) VALUES (?, ?, ?)", rows
            )

    def fred_digest(self, series: Sequence[str], before: str | dt.date) -> str:
        """A fingerprint of the stored rows of ``series`` dated before ``before``: per series the
        number of rows, the first and last dates, the sum and the sum of squares of the values,
        the units and the latest fetch time (a late row changes the count, a revised value the
        sums and, fetched later, the fetch time). Computed by SQLite without reading the rows."""
        names = sorted(series)
        out = []
        for chunk, marks in _in_chunks(names):
            cur = self.conn.execute(
                "SELECT series, COUNT(*), MIN(date), MAX(date), TOTAL(value), TOTAL(value * value), "
                "GROUP_CONCAT(DISTINCT unit), MAX(fetched_at), COUNT(value) FROM fred "
                f"WHERE series IN ({marks}) AND date < ? GROUP BY series ORDER BY series",
                [*chunk, _clean(before)],
            )
            out.extend(cur.fetchall())
        return hashlib.sha256(repr((names, out)).encode()).hexdigest()

    def read_derived_inputs(self, series: str, start: str | dt.date, end: str | dt.date) -> dict[str, float]:
        """What :meth:`write_derived_inputs` recorded for ``series`` on the sessions in
        ``[start, end]`` (ISO date -> value, NaN for none; sessions without a record are absent)."""
        cur = self.conn.execute(
            f"SELECT date, value FROM {DERIVED_INPUTS} WHERE series = ? AND date BETWEEN ? AND ?",
            (series, _clean(start), _clean(end)),
        )
        return {d: (math.nan if v is None else float(v)) for d, v in cur}

    def signal_session_range(self) -> tuple[str, str] | None:
        """The first and last session with a stored signal (None when none is stored), from the
        ends of the key index (:meth:`signal_sessions` reads every session)."""
        first = self.conn.execute("SELECT date FROM signal_blocks ORDER BY date LIMIT 1").fetchone()
        if first is None:
            return None
        last = self.conn.execute("SELECT date FROM signal_blocks ORDER BY date DESC LIMIT 1").fetchone()
        return str(first[0]), str(last[0])

    def signal_sessions(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT date FROM signal_blocks ORDER BY date")]

    # ------------------------------------------------------------------ alerts

    def read_alert_state(self) -> dict[str, dict[str, Any]]:
        cur = self.conn.execute("SELECT fingerprint, state_json FROM alert_state")
        return {fp: json.loads(js) for fp, js in cur.fetchall()}

    def write_alert_cycle(
        self,
        states: dict[str, dict[str, Any]],
        session: str,
        alerts: list[dict[str, Any]],
        transitions: list[dict[str, Any]],
        channels: Sequence[str],
    ) -> int:
        """Persist one evaluation atomically: states, alert rows, transitions and outbox entries.

        Every state and alert row is also recorded in the history tables under ``session``
        (for :meth:`rewind_alerts`). Summaries are cut to :data:`MAX_SUMMARY_CHARS`.
        Returns the number of transitions that were new (a re-run of the same session adds none).
        """
        added = 0
        with self.transaction():
            for fp, st in states.items():
                js = json.dumps(_capped(st), sort_keys=True, default=str)
                self.conn.execute(
                    "INSERT INTO alert_state (fingerprint, state_json, updated_session) VALUES (?, ?, ?) "
                    "ON CONFLICT(fingerprint) DO UPDATE SET state_json = excluded.state_json, "
                    "updated_session = excluded.updated_session",
                    (fp, js, session),
                )
                self.conn.execute(
                    "INSERT INTO alert_state_history (fingerprint, session, state_json) VALUES (?, ?, ?) "
                    "ON CONFLICT(fingerprint, session) DO UPDATE SET state_json = excluded.state_json",
                    (fp, session, js),
                )
            for a in alerts:
                doc = {k: _clean(a.get(k)) for k in _ALERT_COLUMNS}
                doc = _capped(doc)
                self.conn.execute(
                    "INSERT INTO alerts (id, fingerprint, rule, symbol, severity, state, value, threshold, "
                    "started, fired, resolved, summary, peak) VALUES (:id, :fingerprint, :rule, :symbol, "
                    ":severity, :state, :value, :threshold, :started, :fired, :resolved, :summary, :peak) "
                    "ON CONFLICT(id) DO UPDATE SET state = excluded.state, value = excluded.value, "
                    "threshold = excluded.threshold, fired = excluded.fired, resolved = excluded.resolved, "
                    "summary = excluded.summary, severity = excluded.severity, peak = excluded.peak",
                    doc,
                )
                self.conn.execute(
                    "INSERT INTO alert_history (id, session, doc) VALUES (?, ?, ?) "
                    "ON CONFLICT(id, session) DO UPDATE SET doc = excluded.doc",
                    (doc["id"], session, json.dumps(doc, sort_keys=True, default=str)),
                )
            for t in transitions:
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO alert_transitions (alert_id, session, to_state, from_state, value, "
                    "notify, payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        t["alert_id"],
                        t["session"],
                        t["to_state"],
                        t["from_state"],
                        _clean(t.get("value")),
                        1 if t.get("notify") else 0,
                        json.dumps(_capped(t.get("payload", {})), sort_keys=True, default=str),
                    ),
                )
                if cur.rowcount:
                    added += 1
                    if t.get("notify"):
                        for ch in channels:
                            self.conn.execute(
                                "INSERT OR IGNORE INTO outbox (alert_id, session, to_state, channel, status) "
                                "VALUES (?, ?, ?, ?, 'pending')",
                                (t["alert_id"], t["session"], t["to_state"], ch),
                            )
        return added

    def last_evaluated_session(self) -> str | None:
        """The latest session whose rule evaluation is stored (alert state only moves forward)."""
        return self.conn.execute("SELECT MAX(updated_session) FROM alert_state").fetchone()[0]

    def rewind_alerts(self, session: str) -> dict[str, int]:
        """Put alert state back to what it was before ``session`` (for a rebuild from there).

        States and alert rows are restored from their history; transitions on and after
        ``session`` and their undelivered outbox entries are removed. Delivered outbox
        entries stay, so a replayed transition that was already sent is not sent again.
        Derived signals from ``session`` on are forgotten too (they are recomputed).
        """
        sid = _clean(session)
        with self.transaction():
            x = self.conn.execute
            x(
                "UPDATE alert_state SET (state_json, updated_session) = (SELECT h.state_json, h.session "
                "FROM alert_state_history h WHERE h.fingerprint = alert_state.fingerprint AND h.session < ? "
                "ORDER BY h.session DESC LIMIT 1) WHERE updated_session >= ? AND EXISTS (SELECT 1 FROM "
                "alert_state_history h WHERE h.fingerprint = alert_state.fingerprint AND h.session < ?)",
                (sid, sid, sid),
            )
            # a state first seen on or after the session (or without history) starts again
            x("DELETE FROM alert_state WHERE updated_session >= ?", (sid,))
            x("DELETE FROM alert_state_history WHERE session >= ?", (sid,))
            x("DELETE FROM alerts WHERE started >= ?", (sid,))
            rows = x(
                "SELECT h.doc FROM alert_history h WHERE h.session = (SELECT MAX(session) FROM alert_history g "
                "WHERE g.id = h.id AND g.session < ?)",
                (sid,),
            ).fetchall()
            for (js,) in rows:
                doc = {"peak": None, **json.loads(js)}  # history written before v2 has no peak
                x(
                    "UPDATE alerts SET state = :state, value = :value, threshold = :threshold, fired = :fired, "
                    "resolved = :resolved, summary = :summary, severity = :severity, peak = :peak WHERE id = :id",
                    doc,
                )
            x("DELETE FROM alert_history WHERE session >= ?", (sid,))
            x("DELETE FROM outbox WHERE session >= ? AND status != 'sent'", (sid,))
            tr = x("DELETE FROM alert_transitions WHERE session >= ?", (sid,)).rowcount
            sig = self._delete_signal_blocks(sid)
        return {"transitions": int(tr), "signals": int(sig), "alerts": len(rows)}

    def read_alerts(self, state: str = "all") -> list[dict[str, Any]]:
        sql, params = "SELECT * FROM alerts", []
        if state != "all":
            sql += " WHERE state = ?"
            params.append(state)
        return self._query_dicts(sql + " ORDER BY started, rule, symbol", params)

    def read_transitions(self, alert_id: str | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT * FROM alert_transitions", []
        if alert_id:
            sql += " WHERE alert_id = ?"
            params.append(alert_id)
        return self._query_dicts(sql + " ORDER BY session, alert_id", params, json_column="payload")

    def read_outbox(self, status: str = "pending", channels: Sequence[str] | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT o.*, t.payload FROM outbox o JOIN alert_transitions t USING (alert_id, session, to_state) "
            "WHERE o.status = ?"
        )
        params: list[Any] = [status]
        if channels is not None:
            sql += f" AND o.channel IN ({', '.join('?' for _ in channels)})"
            params += list(channels)
        return self._query_dicts(sql + " ORDER BY o.session, o.alert_id, o.to_state", params, json_column="payload")

    def claim_outbox(self, entry: dict[str, Any], *, reclaim: bool = False) -> bool:
        """Atomically move one pending entry to ``sending`` (recorded before the send is tried).

        Returns False when another process claimed it first. ``reclaim`` also takes an entry
        left in ``sending`` by a crash (only for idempotent sinks such as the alerts file).
        """
        states = ("pending", "sending") if reclaim else ("pending",)
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE outbox SET status = 'sending', claimed_at = ? "
                "WHERE alert_id = ? AND session = ? AND to_state = ? AND channel = ? "
                f"AND status IN ({', '.join('?' for _ in states)})",
                (_utc_now(), entry["alert_id"], entry["session"], entry["to_state"], entry["channel"], *states),
            )
        return cur.rowcount == 1

    def mark_outbox(
        self, alert_id: str, session: str, to_state: str, channel: str, *, ok: bool, error: str | None = None
    ) -> None:
        """``sent`` after a delivery; after a failure, back to ``pending`` (retried next cycle)."""
        with self.transaction():
            if ok:
                self.conn.execute(
                    "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL "
                    "WHERE alert_id = ? AND session = ? AND to_state = ? AND channel = ?",
                    (_utc_now(), alert_id, session, to_state, channel),
                )
            else:
                self.conn.execute(
                    "UPDATE outbox SET status = 'pending', attempts = attempts + 1, last_error = ?, "
                    "claimed_at = NULL WHERE alert_id = ? AND session = ? AND to_state = ? AND channel = ?",
                    (error, alert_id, session, to_state, channel),
                )

    def outbox_counts(self) -> dict[str, dict[str, int]]:
        """``{channel: {status: n}}`` of entries not yet sent (pending or sending)."""
        out: dict[str, dict[str, int]] = {}
        cur = self.conn.execute(
            "SELECT channel, status, COUNT(*) FROM outbox WHERE status != 'sent' GROUP BY channel, status"
        )
        for ch, st, n in cur.fetchall():
            out.setdefault(ch, {})[st] = int(n)
        return out

    def retarget_outbox(self, old: str, new: str) -> int:
        """Move undelivered entries of channel ``old`` to channel ``new`` (as pending)."""
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE OR IGNORE outbox SET channel = ?, status = 'pending', claimed_at = NULL "
                "WHERE channel = ? AND status != 'sent'",
                (new, old),
            )
            n = int(cur.rowcount)
            # an entry the new channel already had stays as it was; the old copy is dropped
            self.conn.execute("DELETE FROM outbox WHERE channel = ? AND status != 'sent'", (old,))
        return n

    def drop_outbox(self, channel: str) -> int:
        """Forget the undelivered entries of ``channel`` (the alerts stay stored and in alerts/)."""
        with self.transaction():
            cur = self.conn.execute("DELETE FROM outbox WHERE channel = ? AND status != 'sent'", (channel,))
        return int(cur.rowcount)

    def requeue_outbox(self, channel: str) -> int:
        """Entries left ``sending`` by a crash go back to ``pending`` (may be delivered twice)."""
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE outbox SET status = 'pending', claimed_at = NULL WHERE channel = ? AND status = 'sending'",
                (channel,),
            )
        return int(cur.rowcount)

    def count_firing(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM alerts WHERE state = 'firing'").fetchone()[0])

    # ------------------------------------------------------------------ runs

    def start_run(self, kind: str, as_of: str | None, started: str | None = None) -> int:
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO runs (started, as_of, kind, status) VALUES (?, ?, ?, 'running')",
                (started or _utc_now(), as_of, kind),
            )
        return int(cur.lastrowid or 0)

    def finish_run(
        self, run_id: int, status: str, detail: dict[str, Any] | None = None, finished: str | None = None
    ) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET finished = ?, status = ?, detail = ? WHERE run_id = ?",
                (finished or _utc_now(), status, json.dumps(detail or {}, default=str), run_id),
            )

    def last_run(self) -> dict[str, Any] | None:
        cur = self.conn.execute("SELECT * FROM runs ORDER BY run_id DESC LIMIT 1")
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([c[0] for c in cur.description], row))

    def last_failed_run(self) -> dict[str, Any] | None:
        """The latest run that ended in error or was aborted, with its ``error`` message."""
        cur = self.conn.execute("SELECT * FROM runs WHERE status IN ('error', 'aborted') ORDER BY run_id DESC LIMIT 1")
        row = cur.fetchone()
        if row is None:
            return None
        rec = dict(zip([c[0] for c in cur.description], row))
        try:
            rec["error"] = json.loads(rec.get("detail") or "{}").get("error")
        except (ValueError, AttributeError):
            rec["error"] = rec.get("detail")
        return rec

    def last_monitoring_session(self) -> str | None:
        """The ``as_of`` of the latest successful monitoring cycle (``cycle`` or ``daemon``)."""
        return self.conn.execute(
            "SELECT MAX(as_of) FROM runs WHERE status IN ('ok', 'partial') AND kind IN ('cycle', 'daemon')"
        ).fetchone()[0]

    def abort_stale_runs(self) -> int:
        """Close ``running`` rows left by a process that died (call while holding the writer lock)."""
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE runs SET status = 'aborted', finished = ?, detail = ? WHERE status = 'running'",
                (_utc_now(), json.dumps({"error": "the process ended before the run finished (killed or crashed)"})),
            )
        n = int(cur.rowcount)
        if n:
            log.warning("%s: %d run(s) left 'running' by a process that died are closed as aborted", self.path, n)
        return n

    # ------------------------------------------------------------------ misc

    def table_counts(self) -> dict[str, int]:
        """Rows per table; ``signals`` counts values (one per date, symbol and signal)."""
        hidden = ("sqlite_sequence", "signal_blocks", DERIVED_INPUTS)
        out = {t: self.db[t].count for t in self.db.table_names() if t not in hidden}
        out["signals"] = int(self.conn.execute("SELECT COALESCE(SUM(n), 0) FROM signal_blocks").fetchone()[0])
        return out
