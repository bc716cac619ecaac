"""Event studies at the application level (no SQL): user CSVs and curated events.

* :func:`load_price_csv` reads a user CSV of prices (``date`` + one column per symbol).
* :func:`study_from_prices` runs one event date over the CSV's symbols; the sessions are
  the CSV's own rows (the user's calendar).
* :func:`study_from_events` runs curated events (day 0 already computed) over a wide
  price frame on the exchange session index (given by the caller).
* :func:`study_spread_changes` runs the same study on daily changes of a spread (bp), each
  name against its own benchmark spread (``--measure spread``).

Catalog hygiene (:func:`build_firm_events`): one firm-event per (symbol, day 0) carrying all
its event ids; outcome rows (``stock_reaction``, ``credit_move``, ``market_move``: reactions,
not news) are skipped unless asked for; other catalog events (earnings included) whose day 0
falls inside a firm-event's window are listed in ``confounded_by``; every catalog event's
window is left out of the estimation windows of its names (see
:mod:`aimonitor.analytics.eventstudy.windows`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aimonitor.analytics.eventstudy import DEFAULT_JUMP_K, EventStudy, EventStudyResult, FirmEvent, SkippedEvent
from aimonitor.analytics.returns import compute_returns
from aimonitor.calendar import to_date
from aimonitor.errors import DataError, InsufficientData

log = logging.getLogger(__name__)

#: catalog event types that are market outcomes (reactions), not announcements
OUTCOME_TYPES: frozenset[str] = frozenset({"stock_reaction", "credit_move", "market_move"})
#: Standing relationships (who buys whose chips), dated by the article that states them: no news day.
RELATIONSHIP_TYPES: frozenset[str] = frozenset({"supply"})
GROUP_BY: tuple[str, ...] = ("event_type", "counterparty")
MEASURES: tuple[str, ...] = ("return", "spread")


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
    clean: bool = True
    jump_k: float | None = DEFAULT_JUMP_K
    factors: tuple[str, ...] = ()
    bootstrap: int = 0
    seed: int = 0
    include_outcomes: bool = False
    group_by: str | None = None
    measure: str = "return"

    def engine(self, returns_kind: str | None = None) -> EventStudy:
        """The :class:`EventStudy` configured by these options (raises ``DataError`` if invalid)."""
        if self.group_by is not None and self.group_by not in GROUP_BY:
            raise DataError(f"study options: --group-by must be one of {', '.join(GROUP_BY)}; got {self.group_by!r}")
        if self.measure not in MEASURES:
            raise DataError(f"study options: --measure must be one of {', '.join(MEASURES)}; got {self.measure!r}")
        if self.model == "factor" and not self.factors:
            raise DataError("study options: --model factor needs --factors A,B (stored series, e.g. SPY,SMH)")
        try:
            return EventStudy(
                window=(int(self.window[0]), int(self.window[1])),
                model=self.model,
                estimation_length=self.estimation_length,
                gap=self.gap,
                estimation_start=self.estimation_start,
                estimation_end=self.estimation_end,
                min_estimation=self.min_estimation,
                returns_kind=returns_kind or self.returns,
                clean=self.clean,
                jump_k=self.jump_k,
                bootstrap=self.bootstrap,
                seed=self.seed,
                measure=self.measure,
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
    di, symbols = _price_columns(p, header)
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
        dates.append(d)
        values.append([_price_cell(p, ln, h, row[j]) for j, h in symbols])
    if not dates:
        raise DataError(f"{p}: no data rows below the header")
    frame = pd.DataFrame(
        values, index=pd.DatetimeIndex(pd.to_datetime(dates), name="date"), columns=[h for _, h in symbols], dtype=float
    )
    return frame.sort_index()


def _price_columns(p: Path, header: list[str]) -> tuple[int, list[tuple[int, str]]]:
    """(index of the ``date`` column, [(index, symbol)] of the price columns) of a price CSV header."""
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
    return di, symbols


def _price_cell(p: Path, ln: int, h: str, text: str) -> float:
    """The price in a cell of column ``h`` on line ``ln`` (NaN when blank)."""
    cell = text.strip()
    if cell == "":
        return math.nan
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
    return v


# --------------------------------------------------------------------------- helpers


def _first_valid(prices: pd.Series) -> pd.Timestamp | None:
    fv = prices.first_valid_index()
    return None if fv is None else pd.Timestamp(fv)


def _prescreen(prices: pd.DataFrame, ev: FirmEvent, window: tuple[int, int], what: str = "prices") -> str | None:
    """A clear reason when day 0 cannot be placed on the price rows for this symbol."""
    idx = prices.index
    sym = ev.symbol
    if sym not in prices.columns:
        return f"no {what} for {sym} in the data; add a {sym} column or drop the symbol"
    d0 = pd.Timestamp(ev.day0)
    first = _first_valid(prices[sym])
    if first is None:
        return f"no {what} for {sym} at all (empty column)"
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
            f"no {what} for {sym} before {first.date()} (first session); the event window starts "
            f"{wstart}: pick a later event or shorten the window"
        )
    return None


def _factor_returns(rets: pd.DataFrame, factors: Sequence[str]) -> pd.DataFrame | None:
    if not factors:
        return None
    missing = [f for f in factors if f not in rets.columns]
    if missing:
        raise DataError(
            f"factor(s) {', '.join(missing)} not in the prices ({', '.join(map(str, rets.columns))}); "
            f"fetch them or pass --factors with stored series"
        )
    return rets[list(factors)]


def _fit(
    engine: EventStudy,
    changes: pd.DataFrame,
    market: pd.Series | pd.DataFrame | None,
    events: list[FirmEvent],
    skipped: list[SkippedEvent],
    *,
    factors: pd.DataFrame | None = None,
    exclude_windows: Iterable[tuple[str, Any]] | None = None,
) -> EventStudyResult:
    res = engine.fit(changes, market, events, factors=factors, exclude_windows=exclude_windows)
    if skipped:
        res = dataclasses.replace(res, skipped=tuple(skipped) + res.skipped)
    for s in res.skipped:
        log.info("skipped %s (%s): %s", s.symbol, s.event_id or "-", s.reason)
    return res


def _run(
    prices: pd.DataFrame,
    market_col: str,
    events: list[FirmEvent],
    options: StudyOptions,
    pre_skipped: list[SkippedEvent],
    exclude_windows: Iterable[tuple[str, Any]] | None = None,
) -> EventStudyResult:
    engine = options.engine()
    if market_col not in prices.columns:
        raise DataError(
            f"market column {market_col!r} not in the prices ({', '.join(map(str, prices.columns))}); "
            f"pass --market with one of them"
        )
    rets = compute_returns(prices, options.returns)
    factors = _factor_returns(rets, options.factors)
    market = rets[market_col]
    firms = rets.drop(columns=[market_col])
    good: list[FirmEvent] = []
    skipped = list(pre_skipped)
    for ev in events:
        if ev.symbol == market_col and options.model != "factor":
            skipped.append(SkippedEvent(ev.symbol, ev.event_id, f"{ev.symbol} is the market index of this study"))
            continue
        why = _prescreen(prices, ev, engine.window)
        if why:
            skipped.append(SkippedEvent(ev.symbol, ev.event_id, why))
        else:
            good.append(ev)
    return _fit(engine, firms, market, good, skipped, factors=factors, exclude_windows=exclude_windows)


# --------------------------------------------------------------------------- catalog hygiene


def _field(ev: Any, *names: str) -> Any:
    for n in names:
        if isinstance(ev, Mapping):
            if n in ev and ev[n] is not None:
                return ev[n]
        elif getattr(ev, n, None) is not None:
            return getattr(ev, n)
    return None


@dataclass(frozen=True)
class CatalogEvent:
    """What the study needs of one catalog event."""

    event_id: str | None
    tickers: tuple[str, ...]
    day0: dt.date | None
    announce_date: dt.date | None
    types: tuple[str, ...]
    counterparty: str
    raw: Any = None

    @property
    def is_outcome(self) -> bool:
        """Every type is an outcome (a reaction, not news)."""
        return bool(self.types) and all(t in OUTCOME_TYPES for t in self.types)

    @property
    def type_label(self) -> str:
        return ";".join(self.types) or "unknown"

    @property
    def counterparty_label(self) -> str:
        first = self.counterparty.split(";")[0].strip()
        return first or "(none)"

    @classmethod
    def parse(cls, ev: Any) -> CatalogEvent:
        eid = _field(ev, "event_id", "id")
        tick = _field(ev, "tickers", "symbols", "symbol")
        if isinstance(tick, str):
            tickers = tuple(t.strip() for t in tick.replace(";", ",").split(",") if t.strip())
        else:
            tickers = tuple(str(t) for t in (tick or []))
        d0 = _field(ev, "day0")
        ed = _field(ev, "event_date", "announce_date")
        types = _field(ev, "event_types", "event_type")
        if isinstance(types, str):
            types = tuple(t.strip() for t in types.split(";") if t.strip())
        cp = _field(ev, "counterparty")
        return cls(
            None if eid is None else str(eid),
            tickers,
            to_date(d0) if d0 is not None else None,
            to_date(ed) if ed is not None else None,
            tuple(types or ()),
            str(cp or ""),
            ev,
        )


def _position(sessions: pd.DatetimeIndex, d: dt.date) -> int | None:
    ts = pd.Timestamp(d)
    pos = int(sessions.searchsorted(ts))
    return pos if pos < len(sessions) and sessions[pos] == ts else None


def _why_not_studied(ce: CatalogEvent, include_outcomes: bool) -> str | None:
    """Why an event with tickers and a day 0 gives no firm-event (None: it is studied)."""
    if ce.types and all(t in RELATIONSHIP_TYPES for t in ce.types):
        return (
            f"{ce.event_id} records a standing supply relationship dated by the article that "
            "states it, not an announcement with a news day"
        )
    if ce.is_outcome and not include_outcomes:
        return (
            f"{ce.event_id} records a market outcome ({ce.type_label}), a reaction rather than "
            f"an announcement; pass --include-outcomes to study it"
        )
    return None


def build_firm_events(
    events: Iterable[Any],
    sessions: pd.DatetimeIndex,
    options: StudyOptions,
    catalog: Iterable[Any] | None = None,
) -> tuple[list[FirmEvent], list[SkippedEvent], list[tuple[str, dt.date]]]:
    """Catalog events -> firm-events (one per (symbol, day 0)), skips, and exclusion windows.

    Parameters
    ----------
    events : iterable
        The events to study (objects or mappings with ``event_id``, ``tickers``, ``day0`` and
        optionally ``announce_date``/``event_date``, ``event_type``, ``counterparty``).
    sessions : DatetimeIndex
        The session calendar (to find which events fall inside a window).
    options : StudyOptions
        ``window``, ``include_outcomes`` and ``group_by`` are used.
    catalog : iterable, optional
        Every catalog event (for ``confounded_by`` and the estimation exclusions; default:
        ``events``).

    Returns
    -------
    firm_events, skipped, exclude_windows
    """
    chosen = [CatalogEvent.parse(e) for e in events]
    everything = [CatalogEvent.parse(e) for e in catalog] if catalog is not None else chosen
    merged, skipped = _merge_by_symbol_day(chosen, options.include_outcomes)
    news, windows = _news_and_windows(everything, sessions)
    firm_events = [_firm_event(sym, d0, group, sessions, news, options) for (sym, d0), group in merged.items()]
    return firm_events, skipped, windows


def _merge_by_symbol_day(
    chosen: list[CatalogEvent], include_outcomes: bool
) -> tuple[dict[tuple[str, dt.date], list[CatalogEvent]], list[SkippedEvent]]:
    """The studied events grouped by (symbol, day 0), and why the others are skipped."""
    skipped: list[SkippedEvent] = []
    merged: dict[tuple[str, dt.date], list[CatalogEvent]] = {}
    for ce in chosen:
        if not ce.tickers:
            skipped.append(SkippedEvent("-", ce.event_id, "the event names no listed company (no tickers)"))
            continue
        if ce.day0 is None:
            why = "the event has no announcement date, so it has no day 0"
            skipped.extend(SkippedEvent(t, ce.event_id, why) for t in ce.tickers)
            continue
        reason = _why_not_studied(ce, include_outcomes)
        if reason is not None:
            skipped.extend(SkippedEvent(t, ce.event_id, reason) for t in ce.tickers)
            continue
        for t in ce.tickers:
            merged.setdefault((t, ce.day0), []).append(ce)
    return merged, skipped


def _news_and_windows(
    everything: list[CatalogEvent], sessions: pd.DatetimeIndex
) -> tuple[dict[str, list[tuple[int, CatalogEvent]]], list[tuple[str, dt.date]]]:
    """(symbol -> news (non-outcome) events with their session positions, for confounding;
    every (symbol, day 0) of the catalog, the estimation exclusions)."""
    news: dict[str, list[tuple[int, CatalogEvent]]] = {}
    windows: list[tuple[str, dt.date]] = []
    for ce in everything:
        if ce.day0 is None:
            continue
        for t in ce.tickers:
            windows.append((t, ce.day0))
            pos = _position(sessions, ce.day0)
            if pos is not None and not ce.is_outcome:
                news.setdefault(t, []).append((pos, ce))
    return news, windows


def _firm_event(
    sym: str,
    d0: dt.date,
    group: list[CatalogEvent],
    sessions: pd.DatetimeIndex,
    news: dict[str, list[tuple[int, CatalogEvent]]],
    options: StudyOptions,
) -> FirmEvent:
    """The firm-event of ``sym`` on day 0 ``d0`` for the catalog events ``group`` (the first is
    its primary), with the other news inside its window and its group label."""
    A, B = options.window
    primary = group[0]
    ids = tuple(dict.fromkeys(c.event_id for c in group if c.event_id is not None))
    p = _position(sessions, d0)
    confounded: list[str] = []
    if p is not None:
        for pos, ce in news.get(sym, []):
            if p + A <= pos <= p + B and ce.event_id is not None and ce.event_id != primary.event_id:
                confounded.append(ce.event_id)
    label = None
    if options.group_by == "event_type":
        label = "+".join(dict.fromkeys(c.type_label for c in group))
    elif options.group_by == "counterparty":
        label = primary.counterparty_label
    return FirmEvent(
        sym,
        primary.event_id,
        primary.announce_date or d0,
        d0,
        event_ids=ids,
        confounded_by=tuple(dict.fromkeys(confounded)),
        group=label,
    )


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
        Window, estimation, model, return kind, cleaning (defaults as the CLI).
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


def study_from_events(
    prices_wide: pd.DataFrame,
    market_series_name: str,
    events: Iterable[Any],
    options: StudyOptions | None = None,
    *,
    catalog: Iterable[Any] | None = None,
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
        / ``event_date``, ``event_type``, ``counterparty``. One firm-event per (ticker, day 0).
    options : StudyOptions, optional
    catalog : iterable, optional
        Every catalog event: their windows are left out of estimation windows and those
        inside a firm-event's window are listed in ``confounded_by`` (default: ``events``).
    """
    opts = options or StudyOptions()
    events = list(events)
    sessions = pd.DatetimeIndex(prices_wide.index)
    fes, pre, windows = build_firm_events(events, sessions, opts, catalog)
    res = _run(prices_wide, market_series_name, fes, opts, pre, exclude_windows=windows)
    return _with_context(res, opts, events, market_series_name)


def study_spread_changes(
    spreads_bp: pd.DataFrame,
    benchmarks_bp: pd.DataFrame,
    events: Iterable[Any],
    options: StudyOptions | None = None,
    *,
    catalog: Iterable[Any] | None = None,
    benchmark_names: Mapping[str, str] | None = None,
) -> EventStudyResult:
    """Event study of daily spread changes (bp): each name against its own benchmark spread.

    Parameters
    ----------
    spreads_bp : DataFrame
        Spread levels in bp on the session index, one column per name (NaN where none).
    benchmarks_bp : DataFrame
        The benchmark spread of each name (same column names), bp, on the same index.
    events, options, catalog
        As :func:`study_from_events`. The market and market-adjusted models use the
        benchmark change as the market; ARs are in bp.
    benchmark_names : mapping, optional
        name -> benchmark series id (reported in the result's context).
    """
    opts = options or StudyOptions()
    if opts.model == "factor":
        raise DataError("--measure spread supports the market, market-adjusted and constant-mean models")
    events = list(events)
    sessions = pd.DatetimeIndex(spreads_bp.index)
    fes, skipped, windows = build_firm_events(events, sessions, opts, catalog)
    engine = opts.engine(returns_kind="bp")
    changes = spreads_bp.diff()
    bench = benchmarks_bp.reindex(index=spreads_bp.index, columns=spreads_bp.columns).ffill().diff()
    good: list[FirmEvent] = []
    for ev in fes:
        why = _prescreen(spreads_bp, ev, engine.window, what="equity-implied spread")
        if why is None and not benchmarks_bp.get(ev.symbol, pd.Series(dtype=float)).notna().any():
            why = f"no benchmark spread for {ev.symbol}; map it to a FRED OAS series in [credit.rating_buckets]"
        if why:
            skipped.append(SkippedEvent(ev.symbol, ev.event_id, why))
        else:
            good.append(ev)
    res = _fit(engine, changes, bench, good, skipped, exclude_windows=windows)
    return _with_context(res, opts, events, "rating-bucket OAS", benchmark_names=benchmark_names)


def _with_context(
    res: EventStudyResult,
    opts: StudyOptions,
    events: list[Any],
    market: str,
    benchmark_names: Mapping[str, str] | None = None,
) -> EventStudyResult:
    """Attach the catalog details a report needs (deal descriptions, market, benchmarks)."""
    info: dict[str, dict[str, Any]] = {}
    for ev in events:
        ce = CatalogEvent.parse(ev)
        if ce.event_id is None:
            continue
        amount = _field(ev, "amount_usd")
        info[ce.event_id] = {
            "event_id": ce.event_id,
            "description": str(_field(ev, "description", "description_en") or ""),
            "counterparty": ce.counterparty,
            "amount_usd": float(amount) if amount is not None and not _isnan(amount) else None,
            "timing": str(_field(ev, "timing") or "unknown"),
            "announce_date": ce.announce_date.isoformat() if ce.announce_date else None,
            "day0": ce.day0.isoformat() if ce.day0 else None,
            "event_type": ce.type_label,
            "tickers": list(ce.tickers),
        }
    ctx = {"events": info, "market": market, "factors": list(opts.factors), "measure": opts.measure}
    if benchmark_names:
        ctx["benchmarks"] = dict(benchmark_names)
    return dataclasses.replace(res, context=ctx, group_by=opts.group_by)


def _isnan(x: Any) -> bool:
    try:
        return bool(np.isnan(float(x)))
    except (TypeError, ValueError):
        return True


__all__ = [
    "OUTCOME_TYPES",
    "StudyOptions",
    "build_firm_events",
    "load_price_csv",
    "study_from_events",
    "study_from_prices",
    "study_spread_changes",
]
