"""Curated event catalog: load and validate the events CSV, align each event to its day 0.

The default catalog is the packaged ``aimonitor/data/seed_events.csv`` (a copy of the
project's ``seeds/events.csv``). Day 0 follows :func:`aimonitor.calendar.day0`: the
announce date's session for ``pre``/``intraday``/``unknown`` (the next session when the
date is not one), the next session for ``post``. Rows with a blank ``announce_date``
(background totals) are kept with ``day0 = None`` and are not usable for studies.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from aimonitor import calendar as cal
from aimonitor.csvsafe import safe_cell
from aimonitor.errors import DataError, DataWarning
from aimonitor.events.types import EVENT_TYPES

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = (
    "event_id",
    "announce_date",
    "timing",
    "tickers",
    "counterparty",
    "event_type",
    "amount_usd",
    "description_en",
)
TIMINGS = cal.TIMINGS
#: Catalog event types: the extractor's types plus those curated by hand.
CATALOG_TYPES = frozenset(EVENT_TYPES) | frozenset(
    {
        "product_launch",
        "m_and_a",
        "market_move",
        "macro_forecast",
        "fund_flow",
        "supply",  # a standing buyer -> supplier relationship an article states (loop graph)
    }
)
MAX_CATALOG_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class EventRecord:
    """One curated event. ``day0`` is None when ``announce_date`` is blank."""

    event_id: str
    announce_date: dt.date | None
    timing: str
    day0: dt.date | None
    tickers: tuple[str, ...]
    counterparty: str
    event_types: tuple[str, ...]
    amount_usd: float | None
    capacity_gw: float | None
    shares: float | None
    description: str
    date_confirmed: bool | None
    source: str

    @property
    def event_type(self) -> str:
        """The ``;``-joined event types as in the CSV."""
        return ";".join(self.event_types)

    @property
    def usable(self) -> bool:
        """True when the event has a day 0 (usable in an event study)."""
        return self.day0 is not None

    def _when(self) -> dict[str, Any]:
        """The id and dates that lead both the JSON element and the storage row."""
        return {
            "event_id": self.event_id,
            "announce_date": self.announce_date.isoformat() if self.announce_date else None,
            "timing": self.timing,
            "day0": self.day0.isoformat() if self.day0 else None,
        }

    def to_json(self) -> dict[str, Any]:
        """The ``events list --json`` element."""
        return {
            **self._when(),
            "tickers": list(self.tickers),
            "event_type": self.event_type,
            "amount_usd": self.amount_usd,
            "description": self.description,
        }

    def to_row(self) -> dict[str, Any]:
        """Plain values for storage (SQLite row)."""
        return {
            **self._when(),
            "tickers": ";".join(self.tickers),
            "counterparty": self.counterparty,
            "event_type": self.event_type,
            "amount_usd": self.amount_usd,
            "capacity_gw": self.capacity_gw,
            "shares": self.shares,
            "description": self.description,
            # TEXT column: stored as "1"/"0" so re-importing an unchanged row compares equal
            "date_confirmed": None if self.date_confirmed is None else ("1" if self.date_confirmed else "0"),
            "source": self.source,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EventRecord:
        """Inverse of :meth:`to_row`."""

        def d(v: Any) -> dt.date | None:
            return cal.to_date(v) if v not in (None, "") else None

        def f(v: Any) -> float | None:
            return None if v in (None, "") else float(v)

        dc = row.get("date_confirmed")
        return cls(
            event_id=str(row["event_id"]),
            announce_date=d(row.get("announce_date")),
            timing=str(row.get("timing") or "unknown"),
            day0=d(row.get("day0")),
            tickers=tuple(t for t in str(row.get("tickers") or "").split(";") if t),
            counterparty=str(row.get("counterparty") or ""),
            event_types=tuple(t for t in str(row.get("event_type") or "").split(";") if t),
            amount_usd=f(row.get("amount_usd")),
            capacity_gw=f(row.get("capacity_gw")),
            shares=f(row.get("shares")),
            description=str(row.get("description") or ""),
            date_confirmed=None if dc in (None, "") else bool(int(dc)),
            source=str(row.get("source") or ""),
        )


def default_catalog_path() -> Path:
    """Path of the packaged default catalog."""
    return Path(str(resources.files("aimonitor") / "data" / "seed_events.csv"))


def _num(value: str, where: str, column: str) -> float | None:
    v = (value or "").strip()
    if not v:
        return None
    try:
        x = float(v)
    except ValueError:
        raise DataError(f"{where}: {column} {value!r} is not a number (use e-notation, e.g. 300e9)") from None
    if math.isnan(x) or math.isinf(x):
        raise DataError(f"{where}: {column} {value!r} is not a finite number")
    return x


def parse_event_row(row: dict[str, str], where: str) -> EventRecord:
    """Validate one CSV row (``where`` is ``file:line`` for messages) and align its day 0."""
    eid = (row.get("event_id") or "").strip()
    if not eid:
        raise DataError(f"{where}: event_id is empty")
    ad_s = (row.get("announce_date") or "").strip()
    announce: dt.date | None = None
    if ad_s:
        try:
            announce = dt.date.fromisoformat(ad_s)
        except ValueError:
            raise DataError(f"{where}: announce_date {ad_s!r} is not an ISO date (YYYY-MM-DD)") from None
    timing = (row.get("timing") or "").strip().lower() or "unknown"
    if timing not in TIMINGS:
        raise DataError(f"{where}: timing {timing!r} must be one of {', '.join(TIMINGS)}")
    types = tuple(t.strip() for t in (row.get("event_type") or "").split(";") if t.strip())
    if not types:
        raise DataError(f"{where}: event_type is empty")
    bad = [t for t in types if t not in CATALOG_TYPES]
    if bad:
        raise DataError(f"{where}: unknown event_type {bad[0]!r}; known: {', '.join(sorted(CATALOG_TYPES))}")
    day0: dt.date | None = None
    if announce is not None:
        try:
            day0 = cal.day0(announce, timing)
        except DataError as exc:
            raise DataError(f"{where}: {exc}") from None
    dc = (row.get("date_confirmed") or "").strip().lower()
    return EventRecord(
        event_id=eid,
        announce_date=announce,
        timing=timing,
        day0=day0,
        tickers=tuple(t.strip() for t in (row.get("tickers") or "").split(";") if t.strip()),
        counterparty=(row.get("counterparty") or "").strip(),
        event_types=types,
        amount_usd=_num(row.get("amount_usd", ""), where, "amount_usd"),
        capacity_gw=_num(row.get("capacity_gw", ""), where, "capacity_gw"),
        shares=_num(row.get("shares", ""), where, "shares"),
        description=(row.get("description_en") or "").strip(),
        date_confirmed=True if dc in ("yes", "true", "1") else False if dc in ("no", "false", "0") else None,
        source=(row.get("source_seed") or "").strip(),
    )


def load_catalog(path: str | Path | None = None, strict: bool = False) -> list[EventRecord]:
    """Load and validate a curated events CSV (default: the packaged seed catalog).

    Parameters
    ----------
    path : str or Path, optional
        The CSV file; columns as in the shared catalog (``REQUIRED_COLUMNS`` must be present).
    strict : bool
        When True, the first bad row raises; otherwise bad rows are skipped with a
        :class:`DataWarning` naming file and line, and the others are returned.

    Raises
    ------
    DataError
        Missing file, not UTF-8, missing columns, duplicate event ids, or (strict) a bad row.
    """
    p = Path(path) if path is not None else default_catalog_path()
    name = str(path) if path is not None else str(p)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise DataError(f"{name}: no such catalog file") from None
    if size > MAX_CATALOG_BYTES:
        raise DataError(f"{name}: {size / 1e6:.1f} MB is above the {MAX_CATALOG_BYTES / 1e6:.0f} MB catalog limit")
    raw = p.read_bytes()
    key = (hashlib.sha256(raw).digest(), strict)
    hit = _PARSED.get(key)
    if hit is not None:  # these bytes parsed before without a warning: the same records
        log.debug("loaded %d events from %s", len(hit), name)
        return list(hit)
    if b"\x00" in raw[:8192]:
        raise DataError(f"{name}: binary file; expected a UTF-8 CSV")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name}: not UTF-8 (bad byte at offset {exc.start}); save the CSV as UTF-8") from None
    if not text.strip():
        raise DataError(f"{name}: empty file; expected a header row with {', '.join(REQUIRED_COLUMNS)}")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    cols = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        raise DataError(f"{name}: missing column(s) {', '.join(missing)}; required: {', '.join(REQUIRED_COLUMNS)}")
    reader.fieldnames = cols
    out: list[EventRecord] = []
    seen: dict[str, int] = {}
    clean = True
    for row in reader:
        line = reader.line_num
        where = f"{name}:{line}"
        try:
            if None in row:
                raise DataError(f"{where}: more fields than columns in the header")
            rec = parse_event_row(row, where)
            if rec.event_id in seen:
                raise DataError(f"{where}: duplicate event_id {rec.event_id!r} (first on line {seen[rec.event_id]})")
        except DataError as exc:
            if strict:
                raise
            warnings.warn(f"{exc}; row skipped", DataWarning, stacklevel=2)
            log.warning("%s; row skipped", exc)
            clean = False
            continue
        seen[rec.event_id] = line
        out.append(rec)
    clean = _warn_far_dates(out, name) and clean
    log.debug("loaded %d events from %s", len(out), name)
    if clean:  # a file that warns is parsed (and warns) on every load
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = tuple(out)
    return out


#: Catalogs parsed without a warning, by the SHA-256 of their bytes and ``strict``: the
#: cycle reads the catalog several times per session (the records are frozen, each call gets
#: its own list), and a changed file has other bytes, so it is parsed again.
_PARSED: dict[tuple[bytes, bool], tuple[EventRecord, ...]] = {}
_PARSED_MAX = 8


#: An announce date this many years before the median of its file is flagged for review.
FAR_PAST_YEARS = 3


def _warn_far_dates(records: Sequence[EventRecord], name: str) -> bool:
    """Log a warning for announce dates far before the file's other events (a "2015" misread
    in a 2025 article): such a row is kept, but its day 0 would study the wrong decade.
    Returns True when nothing was logged."""
    dates = sorted(r.announce_date for r in records if r.announce_date is not None)
    if len(dates) < 2:
        return True
    median = dates[len(dates) // 2]
    quiet = True
    for r in records:
        d = r.announce_date
        if d is not None and (median - d).days > FAR_PAST_YEARS * 365.25:
            msg = (
                f"{name}: event {r.event_id}: announce_date {d.isoformat()} is more than {FAR_PAST_YEARS} years "
                f"before the file's other events (median {median.isoformat()}); check the year"
            )
            log.warning("%s", msg)  # a review hint, not a rejected row: logged, not a DataWarning
            quiet = False
    return quiet


CANDIDATE_COLUMNS = REQUIRED_COLUMNS + (
    "date_confirmed",
    "capacity_gw",
    "shares",
    "source_seed",
    "source_quote_zh",
    "unit",
    "amount",
    "date_phrase",
)


#: Candidate columns that carry article text (numbers are written by us and stay as they are).
_TEXT_COLUMNS = ("tickers", "counterparty", "description_en", "source_seed", "source_quote_zh", "date_phrase")


def write_candidates_csv(mentions: Sequence[Any], path: str | Path, id_prefix: str = "CAND") -> int:
    """Write extracted mentions as a candidates CSV that :func:`load_catalog` accepts.

    Review workflow: ``events extract ... --csv candidates.csv`` → edit (fix dates,
    timing, drop rows) → ``events import candidates.csv``. Each mention becomes a row
    with ``announce_date`` = its resolved date (blank when unresolved; set it while
    reviewing), ``timing = unknown``, USD amounts in ``amount_usd``, GW in
    ``capacity_gw`` and share counts in ``shares``; other units (JPY, bp, pct) are kept
    in ``amount``/``unit`` and the description. ``date_confirmed`` is ``no``.

    Returns the number of rows written.
    """
    from aimonitor.events.entities import load_entities

    p = Path(path)
    n = 0
    ents = load_entities()
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(CANDIDATE_COLUMNS))
        w.writeheader()
        for i, m in enumerate(mentions, start=1):
            entities = list(getattr(m, "entities", ()))
            tickers = list(getattr(m, "tickers", ()))
            unit = m.unit
            amt = m.amount
            desc = f"{m.type}: {m.amount_text or ''} ({', '.join(entities)})".strip()
            rd = m.resolved_date
            row = {
                "event_id": f"{id_prefix}{i:04d}",
                "announce_date": rd.isoformat() if rd else "",
                "timing": "unknown",
                "tickers": ";".join(tickers),
                "counterparty": "; ".join(e for e in entities if not ((x := ents.get(e)) and x.ticker)),
                "event_type": m.type,
                "amount_usd": _fmt(amt) if unit == "USD" else "",
                "description_en": desc,
                "date_confirmed": "no",
                "capacity_gw": _fmt(amt) if unit == "GW" else "",
                "shares": _fmt(amt) if unit == "shares" else "",
                "source_seed": Path(m.article).name,
                "source_quote_zh": m.quote,
                "unit": unit or "",
                "amount": _fmt(amt),
                "date_phrase": m.date_phrase or "",
            }
            # article text (quotes, names, date phrases) must not run as a spreadsheet formula
            for col in _TEXT_COLUMNS:
                row[col] = safe_cell(row[col])
            w.writerow(row)
            n += 1
    log.info("wrote %d candidate events to %s", n, p)
    return n


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return repr(float(x))
