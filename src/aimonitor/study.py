"""Event studies at the application level (no SQL): user CSVs and curated events.

* :func:`load_price_csv` reads a user CSV of prices (``date`` + one column per symbol).
* :func:`study_from_prices` runs one event date over the CSV's symbols; the sessions are
  the CSV's own rows (the user's calendar).
* :func:`study_from_events` runs curated events (day 0 already computed) over a wide
  price frame on the exchange session index (given by the caller).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from aimonitor.analytics.eventstudy import EventStudy, EventStudyResult, FirmEvent, SkippedEvent
from aimonitor.analytics.returns import compute_returns
from aimonitor.calendar import to_date
from aimonitor.errors import DataError, InsufficientData

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StudyOptions:
    """The ``aimonitor study`` options (CLI defaults)."""

    window: tuple[int, int] = (-1, 1)
    estimation_length: int = 250
    gap: int = 10
    estimation_start: dt.date | None = None
    estimation_end: dt.date | None = None
    model: str = "market"
    returns: str = "simple"
    min_estimation: int = 60

    def engine(self) -> EventStudy:
        """The :class:`EventStudy` configured by these options (raises ``DataError`` if invalid)."""
        try:
            return EventStudy(
                window=tuple(self.window),
                model=self.model,
                estimation_length=self.estimation_length,
                gap=self.gap,
                estimation_start=self.estimation_start,
                estimation_end=self.estimation_end,
                min_estimation=self.min_estimation,
                returns_kind=self.returns,
            )
        except ValueError as exc:
            raise DataError(f"study options: {exc}") from exc


# --------------------------------------------------------------------------- CSV


def load_price_csv(path: str | Path) -> pd.DataFrame:
    """Read a user CSV of prices into a wide frame (index = dates, one float column per symbol).

    The file needs a ``date`` column (ISO ``YYYY-MM-DD``) and one price column per symbol;
    blank cells are missing prices (NaN). Rows are sorted by date.

    Raises
    ------
    DataError
        One line naming the file and line: not UTF-8, no ``date`` column, a bad date, a
        non-numeric cell, a duplicate date, no price column, no rows.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError(f"{p}: cannot read the file ({exc.strerror or exc}); check the path") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"{p}:{line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV") from exc
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(c.strip() for c in rows[0]):
        raise DataError(f"{p}:1: empty file; expected a header with a 'date' column and price columns")
    header = [c.strip() for c in rows[0]]
    lower = [c.lower() for c in header]
    if "date" not in lower:
        raise DataError(f"{p}:1: no 'date' column in the header ({', '.join(header)}); name the date column 'date'")
    di = lower.index("date")
    symbols = [(j, h) for j, h in enumerate(header) if j != di]
    if not symbols:
        raise DataError(f"{p}:1: no price columns besides 'date'; add one column per symbol")
    seen_cols: set[str] = set()
    for _, h in symbols:
        if not h:
            raise DataError(f"{p}:1: a price column has an empty name; name every column")
        if h in seen_cols:
            raise DataError(f"{p}:1: duplicate column {h!r}; each symbol must appear once")
        seen_cols.add(h)
    dates: list[dt.date] = []
    values: list[list[float]] = []
    first_line: dict[dt.date, int] = {}
    for ln, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{p}:{ln}: {len(row)} cells but the header has {len(header)}; fix the row")
        ds = row[di].strip()
        try:
            d = dt.date.fromisoformat(ds)
        except ValueError:
            raise DataError(f"{p}:{ln}: bad date {ds!r}; dates must be YYYY-MM-DD") from None
        if d in first_line:
            raise DataError(f"{p}:{ln}: duplicate date {d} (also on line {first_line[d]}); keep one row per date")
        first_line[d] = ln
        vals: list[float] = []
        for j, h in symbols:
            cell = row[j].strip()
            if cell == "":
                vals.append(math.nan)
                continue
            try:
                v = float(cell)
            except ValueError:
                raise DataError(
                    f"{p}:{ln}: column {h!r}: {cell!r} is not a number; leave the cell blank for a missing price"
                ) from None
            if not math.isfinite(v):
                raise DataError(
                    f"{p}:{ln}: column {h!r}: {cell!r} is not a finite price; leave the cell blank for a missing price"
                )
            vals.append(v)
        dates.append(d)
        values.append(vals)
    if not dates:
        raise DataError(f"{p}: no data rows below the header")
    frame = pd.DataFrame(
        values, index=pd.DatetimeIndex(pd.to_datetime(dates), name="date"), columns=[h for _, h in symbols], dtype=float
    )
    return frame.sort_index()


# --------------------------------------------------------------------------- helpers


def _first_valid(prices: pd.Series) -> pd.Timestamp | None:
    fv = prices.first_valid_index()
    return None if fv is None else pd.Timestamp(fv)


def _prescreen(prices: pd.DataFrame, ev: FirmEvent, window: tuple[int, int]) -> str | None:
    """A clear reason when day 0 cannot be placed on the price rows for this symbol."""
    idx = prices.index
    sym = ev.symbol
    if sym not in prices.columns:
        return f"no prices for {sym} in the data; add a {sym} column or drop the symbol"
    d0 = pd.Timestamp(ev.day0)
    first = _first_valid(prices[sym])
    if first is None:
        return f"no prices for {sym} at all (empty column)"
    if d0 > idx[-1]:
        return (
            f"day 0 {ev.day0} is after the last session in the data ({idx[-1].date()}); "
            f"pick an earlier event or update the prices"
        )
    if d0 not in idx:
        return f"day 0 {ev.day0} is not a session in the data; check the event date"
    pos0 = idx.get_loc(d0)
    start_pos = pos0 + window[0]
    first_pos = idx.get_loc(first)
    # the first usable return is on the row after the first price
    if start_pos <= first_pos:
        wstart = idx[max(start_pos, 0)].date()
        return (
            f"no prices for {sym} before {first.date()} (first session); the event window starts "
            f"{wstart}: pick a later event or shorten the window"
        )
    return None


def _run(
    prices: pd.DataFrame,
    market_col: str,
    events: list[FirmEvent],
    options: StudyOptions,
    pre_skipped: list[SkippedEvent],
) -> EventStudyResult:
    engine = options.engine()
    if market_col not in prices.columns:
        raise DataError(
            f"market column {market_col!r} not in the prices ({', '.join(map(str, prices.columns))}); "
            f"pass --market with one of them"
        )
    rets = compute_returns(prices, options.returns)
    market = rets[market_col]
    firms = rets.drop(columns=[market_col])
    good: list[FirmEvent] = []
    skipped = list(pre_skipped)
    for ev in events:
        if ev.symbol == market_col:
            skipped.append(SkippedEvent(ev.symbol, ev.event_id, f"{ev.symbol} is the market index of this study"))
            continue
        why = _prescreen(prices, ev, engine.window)
        if why:
            skipped.append(SkippedEvent(ev.symbol, ev.event_id, why))
        else:
            good.append(ev)
    res = engine.fit(firms, market, good)
    if skipped:
        res = dataclasses.replace(res, skipped=tuple(skipped) + res.skipped)
    for s in res.skipped:
        log.info("skipped %s (%s): %s", s.symbol, s.event_id or "-", s.reason)
    return res


# --------------------------------------------------------------------------- public


def study_from_prices(
    prices_wide: pd.DataFrame,
    market_col: str,
    event_date: dt.date | str,
    symbols: Iterable[str] | None = None,
    options: StudyOptions | None = None,
) -> EventStudyResult:
    """Event study of one event date on a user price frame (the CSV path).

    Parameters
    ----------
    prices_wide : DataFrame
        Prices, index = dates (the sessions are these rows), one column per symbol.
    market_col : str
        The column used as the market (e.g. ``GSPC``).
    event_date : date or ISO str
        The event date; day 0 is that row, or the next row if the date is not a row.
    symbols : iterable of str, optional
        Firms to study (default: every column except the market).
    options : StudyOptions, optional
        Window, estimation, model, return kind (defaults as the CLI).
    """
    opts = options or StudyOptions()
    try:
        ed = dt.date.fromisoformat(str(event_date)) if not isinstance(event_date, dt.date) else event_date
    except ValueError:
        raise DataError(f"event date {event_date!r} is not YYYY-MM-DD") from None
    if isinstance(ed, dt.datetime):
        ed = ed.date()
    idx = pd.DatetimeIndex(prices_wide.index)
    if market_col not in prices_wide.columns:
        raise DataError(
            f"market column {market_col!r} not in the prices ({', '.join(map(str, prices_wide.columns))}); "
            f"pass --market with one of them"
        )
    syms = [s for s in (symbols if symbols is not None else prices_wide.columns) if s != market_col]
    if not syms:
        raise InsufficientData("no symbols to study besides the market column; pass --symbols")
    pos = int(idx.searchsorted(pd.Timestamp(ed), side="left"))
    pre: list[SkippedEvent] = []
    events: list[FirmEvent] = []
    if pos >= len(idx):
        for s in syms:
            pre.append(
                SkippedEvent(
                    s,
                    None,
                    f"event date {ed} is after the last session in the data "
                    f"({idx[-1].date()}); pick an earlier date or update the prices",
                )
            )
    else:
        d0 = idx[pos].date()
        events = [FirmEvent(str(s), None, ed, d0) for s in syms]
    return _run(prices_wide, market_col, events, opts, pre)


def _field(ev: Any, *names: str) -> Any:
    for n in names:
        if isinstance(ev, Mapping):
            if n in ev and ev[n] is not None:
                return ev[n]
        elif getattr(ev, n, None) is not None:
            return getattr(ev, n)
    return None


def study_from_events(
    prices_wide: pd.DataFrame,
    market_series_name: str,
    events: Iterable[Any],
    options: StudyOptions | None = None,
) -> EventStudyResult:
    """Event study of curated events (each with ``day0`` already on the session calendar).

    Parameters
    ----------
    prices_wide : DataFrame
        Prices on the full exchange session index (NaN before listing), one column per symbol.
    market_series_name : str
        Column used as the market (e.g. ``SPY``).
    events : iterable
        Objects or dicts with ``event_id``, ``day0``, ``tickers`` (list or ``;``/``,``-separated
        string; ``symbols`` or ``symbol`` also accepted) and optionally ``announce_date``
        / ``event_date``. One firm-event per ticker.
    options : StudyOptions, optional
    """
    opts = options or StudyOptions()
    fes: list[FirmEvent] = []
    pre: list[SkippedEvent] = []
    for ev in events:
        eid = _field(ev, "event_id", "id")
        eid = None if eid is None else str(eid)
        tick = _field(ev, "tickers", "symbols", "symbol")
        if isinstance(tick, str):
            tickers = [t.strip() for t in tick.replace(";", ",").split(",") if t.strip()]
        else:
            tickers = [str(t) for t in (tick or [])]
        if not tickers:
            pre.append(SkippedEvent("-", eid, "the event names no tickers"))
            continue
        d0 = _field(ev, "day0")
        if d0 is None:
            for t in tickers:
                pre.append(SkippedEvent(t, eid, "the event has no day 0; compute it with aimonitor.calendar.day0"))
            continue
        d0 = to_date(d0)
        ed = _field(ev, "event_date", "announce_date")
        ed = to_date(ed) if ed is not None else d0
        fes.extend(FirmEvent(t, eid, ed, d0) for t in tickers)
    return _run(prices_wide, market_series_name, fes, opts, pre)


__all__ = ["StudyOptions", "load_price_csv", "study_from_prices", "study_from_events"]
