"""Fetch → validate → upsert: bring missing data into the store.

Only what is missing plus a trailing re-fetch window (``[source].refetch_sessions``)
is asked for, so revised recent bars are picked up; unchanged rows are left alone, so a
second identical fetch reports ``rows_new == 0`` and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aimonitor import calendar
from aimonitor.config import AppConfig
from aimonitor.sources.base import Source
from aimonitor.store import Store, UpsertCount
from aimonitor.validate import validate_bars, validate_fred

log = logging.getLogger(__name__)

#: ``progress(label, done=None, total=None)``: a phase label, with a count where one is known.
Progress = Callable[..., None]


@dataclass
class SymbolReport:
    """What one fetch did for one symbol or FRED series."""

    rows_new: int = 0
    rows_updated: int = 0
    first: str | None = None
    last: str | None = None
    error: str | None = None
    rejected: list[str] = field(default_factory=list)
    kind: str = "bars"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rows_new": self.rows_new,
            "rows_updated": self.rows_updated,
            "first": self.first,
            "last": self.last,
            "error": self.error,
            "kind": self.kind,
        }
        if self.rejected:
            out["rejected"] = self.rejected
        return out


@dataclass
class FetchReport:
    """The result of one fetch, as the ``fetch --json`` contract shows it."""

    source: str
    symbols: dict[str, SymbolReport] = field(default_factory=dict)
    fundamentals: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[str]:
        return [k for k, v in self.symbols.items() if v.error]

    @property
    def ok(self) -> list[str]:
        return [k for k, v in self.symbols.items() if not v.error]

    @property
    def rows_new(self) -> int:
        return sum(v.rows_new for v in self.symbols.values())

    @property
    def exit_code(self) -> int:
        """0 all stored, 3 partial success, 1 nothing stored."""
        if not self.failed:
            return 0
        return 3 if self.ok else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "symbols": {k: v.to_json() for k, v in self.symbols.items()},
            "fundamentals": self.fundamentals,
        }


def fetch_start(store_last: str | None, default_start: dt.date, refetch_sessions: int) -> dt.date:
    """Where to start fetching a series: the trailing window before the last stored session."""
    if store_last is None:
        return default_start
    last = calendar.to_date(store_last)
    try:
        start = calendar.session_offset(calendar.session_on_or_before(last), -refetch_sessions)
    except Exception:  # noqa: BLE001 - outside the calendar: fall back to the configured start
        return default_start
    return start


def run_fetch(
    cfg: AppConfig,
    store: Store,
    source: Source,
    *,
    as_of: dt.date,
    symbols: Sequence[str] | None = None,
    series: Sequence[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    fundamentals: bool = True,
    progress: Progress | None = None,
) -> FetchReport:
    """Fetch bars (and FRED series, fundamentals) up to ``as_of`` into ``store``.

    Raises :class:`~aimonitor.errors.FetchError` only when the source delivered nothing at
    all; per-symbol failures are reported in the result. The whole fetch holds the
    database's writer lock (see :meth:`Store.writer_lock`).
    """
    with store.writer_lock("fetch", cfg.storage.lock_wait_seconds):
        return _fetch(cfg, store, source, as_of, symbols, series, start, end, fundamentals, progress)


def _fetch(
    cfg: AppConfig,
    store: Store,
    source: Source,
    as_of: dt.date,
    symbols: Sequence[str] | None,
    series: Sequence[str] | None,
    start: dt.date | None,
    end: dt.date | None,
    fundamentals: bool,
    progress: Progress | None,
) -> FetchReport:
    if symbols is None:
        symbols, series = cfg.watchlist.all_symbols, list(cfg.fred.series)
    else:
        # --symbols may name FRED series too: route them to the FRED fetch
        wanted = list(symbols)
        series = [s for s in wanted if s in cfg.fred.series] + list(series or [])
        symbols = [s for s in wanted if s not in cfg.fred.series]
    end = min(end or as_of, as_of)
    report = FetchReport(source=source.name)
    tick: Progress = progress or (lambda *_a, **_k: None)

    # ---- bars: one batch from the earliest start any symbol needs
    ranges = store.bar_ranges()
    if symbols:
        starts = [
            start or fetch_start(ranges.get(s, (None, None, 0))[1], cfg.source.start, cfg.source.refetch_sessions)
            for s in symbols
        ]
        batch_start = min(starts)
        tick(f"downloading {len(symbols)} symbols from {source.name}")
        fetched = source.fetch_bars(symbols, batch_start, end, as_of)
        for i, res in enumerate(fetched, 1):
            rep = SymbolReport()
            if res.error or res.frame is None:
                rep.error = res.error or "no data"
            else:
                good, rejects = validate_bars(res.name, res.frame, as_of)
                rep.rejected = [str(r) for r in rejects]
                count = store.write_bars(res.name, good, source.name) if not good.empty else UpsertCount()
                rep.rows_new, rep.rows_updated = count.rows_new, count.rows_updated
                if good.empty:
                    rep.error = f"all {len(rejects)} rows rejected" + (f" (first: {rejects[0]})" if rejects else "")
            report.symbols[res.name] = rep
            tick(f"stored {res.name}", i, len(symbols))

    # ---- FRED
    if series:
        franges = store.fred_ranges()
        fstart = start or min(
            fetch_start(franges.get(s, (None, None, 0))[1], cfg.source.start, cfg.source.refetch_sessions)
            for s in series
        )
        tick(f"downloading {len(series)} FRED series")
        for i, res in enumerate(source.fetch_fred(series, fstart, end), 1):
            rep = SymbolReport(kind="fred")
            if res.error or res.frame is None:
                rep.error = res.error or "no data"
            else:
                good, rejects = validate_fred(res.name, res.frame)
                rep.rejected = [str(r) for r in rejects]
                count = store.write_fred(res.name, good, unit=getattr(res, "unit", "bp"), source=source.name)
                rep.rows_new, rep.rows_updated = count.rows_new, count.rows_updated
            report.symbols[res.name] = rep
            tick(f"stored {res.name}", i, len(series))

    # ---- stored range of every series touched (one query each, after all writes)
    after = {**store.bar_ranges(), **store.fred_ranges()}
    for name, rep in report.symbols.items():
        if name in after:
            rep.first, rep.last = after[name][0], after[name][1]

    # ---- fundamentals (watchlist only)
    if fundamentals:
        wl = [s for s in cfg.watchlist.symbols if s in symbols]
        if wl:
            tick("fundamentals")
            fres = source.fetch_fundamentals(wl, as_of)
            count = store.write_fundamentals(fres.frame) if not fres.frame.empty else UpsertCount()
            report.fundamentals = {
                "rows_new": count.rows_new,
                "rows_updated": count.rows_updated,
                "errors": fres.errors,
            }
    return report
