"""On-demand operations behind the CLI commands (events, studies, spreads).

Each function takes the configuration and the store and returns a result object; the
CLI only parses arguments and renders. The monitoring cycle lives in
:mod:`aimonitor.pipeline`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from aimonitor import calendar
from aimonitor.analytics.eventstudy import EventStudyResult
from aimonitor.analytics.spread_report import SpreadReport, build_spread_report
from aimonitor.analytics.spreads import SpreadPanel
from aimonitor.config import AppConfig
from aimonitor.errors import DataError, InsufficientData
from aimonitor.events.catalog import EventRecord, load_catalog
from aimonitor.pipeline import credit_params, read_spread_panel, stored_bar_ranges
from aimonitor.sources.cdsquotes import load_cds_quotes_csv, tenor_years
from aimonitor.store import Store, UpsertCount
from aimonitor.study import (
    StudyOptions,
    load_price_csv,
    study_from_events,
    study_from_prices,
    study_spread_changes,
)

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- events


def catalog_path(cfg: AppConfig) -> str | None:
    return cfg.events.catalog


def import_events(store: Store, path: str | Path | None) -> tuple[list[EventRecord], UpsertCount]:
    """Validate a catalog CSV (default: the packaged one) and upsert its events."""
    records = load_catalog(path)
    count = store.write_events([r.to_row() for r in records])
    return records, count


def list_events(cfg: AppConfig, store: Store) -> list[EventRecord]:
    """Stored events; on an empty store the configured (or packaged) catalog is imported first."""
    rows = store.read_events()
    if not rows:
        log.info("no events stored yet: importing the default catalog")
        import_events(store, catalog_path(cfg))
        rows = store.read_events()
    return [EventRecord.from_row(r) for r in rows]


# --------------------------------------------------------------------------- studies


def stored_prices_on_sessions(store: Store, field: str = "adj_close") -> pd.DataFrame:
    """All stored prices, wide, on the full NYSE session index (NaN before a listing)."""
    ranges = stored_bar_ranges(store)
    wide = store.read_prices(sorted(ranges), field)
    first = min(r[0] for r in ranges.values())
    last = max(r[1] for r in ranges.values())
    return wide.reindex(calendar.sessions_index(first, last))


def _study_doc(e: EventRecord) -> dict:
    """What an event study needs of a catalog record."""
    return e.to_json() | {"event_date": e.announce_date, "counterparty": e.counterparty}


def _spread_panel_for_study(cfg: AppConfig, store: Store, through: dt.date) -> SpreadPanel:
    """The one call into the pipeline's spread panel (its signature may grow)."""
    return read_spread_panel(cfg, store, through)


def _stored_spreads(cfg: AppConfig, store: Store) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Equity-implied 5y spreads and each name's rating-bucket OAS (bp) on the session index."""
    through = last_stored_session(store)
    panel = _spread_panel_for_study(cfg, store, through)
    if not panel.symbols:
        raise InsufficientData("no equity-implied spreads could be computed; fetch prices and fundamentals first")
    spreads = pd.DataFrame({s: panel.series(s) for s in panel.symbols})
    spreads.index = pd.DatetimeIndex(pd.to_datetime(spreads.index))
    sessions = calendar.sessions_index(spreads.index.min(), through)
    spreads = spreads.reindex(sessions)
    names = {s: panel.buckets[s] for s in panel.symbols if s in panel.buckets}
    bench = pd.DataFrame({s: panel.benchmark(b) for s, b in names.items()}, columns=list(spreads.columns))
    bench.index = pd.DatetimeIndex(pd.to_datetime(bench.index))
    return spreads, bench.reindex(sessions.union(bench.index)).ffill().reindex(sessions), names


def study_stored_events(
    cfg: AppConfig,
    store: Store,
    event_ids: Sequence[str],
    all_events: bool,
    options: StudyOptions,
    market: str | None = None,
) -> EventStudyResult:
    """Event study of catalog events on stored data (day 0 from each event's timing).

    ``options.measure == "spread"`` studies daily changes of the equity-implied 5y spread (bp)
    against each name's rating-bucket OAS; otherwise returns against ``market``.
    """
    events = list_events(cfg, store)
    by_id = {e.event_id: e for e in events}
    if all_events:
        chosen = [e for e in events if e.day0 is not None and e.tickers]
    else:
        unknown = [i for i in event_ids if i not in by_id]
        if unknown:
            raise DataError(f"unknown event id(s) {', '.join(unknown)}; see `aimonitor events list`")
        chosen = [by_id[i] for i in event_ids]
    if not chosen:
        raise InsufficientData("no events to study: pass --event ID (repeatable) or --all-events")
    docs = [_study_doc(e) for e in chosen]
    catalog = [_study_doc(e) for e in events]
    if options.measure == "spread":
        spreads, bench, names = _stored_spreads(cfg, store)
        return study_spread_changes(spreads, bench, docs, options, catalog=catalog, benchmark_names=names)
    prices = stored_prices_on_sessions(store)
    mkt = market or cfg.watchlist.market
    if mkt not in prices.columns:
        raise InsufficientData(f"no stored prices for the market benchmark {mkt}; fetch it first")
    return study_from_events(prices, mkt, docs, options, catalog=catalog)


def study_csv(
    path: str | Path, market: str, event_date: dt.date, symbols: Iterable[str] | None, options: StudyOptions
) -> EventStudyResult:
    """Event study of one date on a user's price CSV (its rows are the sessions)."""
    if options.measure != "return":
        raise DataError("--measure spread needs stored data (catalog events), not --prices")
    prices = load_price_csv(path)
    return study_from_prices(prices, market, event_date, list(symbols) if symbols else None, options)


# --------------------------------------------------------------------------- spreads


def spreads_report(
    cfg: AppConfig, store: Store, as_of: dt.date, since: dt.date, symbols: Sequence[str] | None = None
) -> SpreadReport:
    """Equity-implied CDS proxies and benchmarks at ``as_of``, with changes since ``since``."""
    syms = list(cfg.watchlist.all_symbols)
    closes = store.read_prices(syms, "close", end=as_of)
    adj = store.read_prices(syms, "adj_close", end=as_of)
    fred = store.read_fred(None, end=as_of)
    fund = store.read_fundamentals(symbols or cfg.watchlist.symbols)
    quotes = store.read_cds_quotes()
    if not quotes.empty:
        quotes = quotes.assign(tenor_years=[tenor_years(t) for t in quotes["tenor"].astype(str)])
    return build_spread_report(
        closes,
        fund,
        fred,
        fred,
        quotes if len(quotes) else None,
        as_of=as_of,
        since=since,
        symbols=list(symbols) if symbols else [s for s in cfg.watchlist.symbols if s in closes.columns],
        bucket_map=cfg.credit.rating_buckets,
        params=credit_params(cfg),
        adj_closes=adj,
        events=store.read_events() or [r.to_row() for r in load_catalog(cfg.events.catalog)],
    )


def import_cds_quotes(store: Store, path: str | Path, today: dt.date | None = None) -> tuple[int, UpsertCount]:
    """Load a CDS quotes CSV (bad rows named and skipped; none dated after ``today``) and upsert the good rows."""
    quotes = load_cds_quotes_csv(path, latest=today)
    return len(quotes), store.write_cds_quotes(quotes)


def last_stored_session(store: Store) -> dt.date:
    ranges = stored_bar_ranges(store)
    return calendar.to_date(max(r[1] for r in ranges.values()))


def event_markers(cfg: AppConfig, store: Store) -> list[tuple[str | None, str, dt.date]]:
    """(symbol, label, day0) of stored events that touch the watchlist, for chart markers.

    The label is short and readable (``NVDA–OpenAI investment $100B``), not the event id.
    """
    from aimonitor.loopdata import event_label

    out: list[tuple[str | None, str, dt.date]] = []
    for e in list_events(cfg, store):
        if e.day0 is None:
            continue
        for t in e.tickers:
            if t in cfg.watchlist.symbols:
                out.append((t, event_label(e), e.day0))
    return out


def spreads_charts(
    cfg: AppConfig,
    store: Store,
    out_dir: str | Path,
    *,
    since: dt.date,
    as_of: dt.date,
    symbols: Sequence[str] | None = None,
) -> list[Path]:
    """PNG charts of each name's proxy with its benchmark, imported quotes and event markers."""
    from aimonitor.report.spreads import plot_spread_charts

    panel = read_spread_panel(cfg, store, as_of)
    return plot_spread_charts(
        panel, out_dir, since=since, as_of=as_of, events=event_markers(cfg, store), symbols=symbols
    )
