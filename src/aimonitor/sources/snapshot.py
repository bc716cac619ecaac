"""The bundled real-data snapshot (works with no network and without ../shared).

Daily bars 2024-01-02..2026-02-27 for the watchlist, benchmarks and proxies, FRED
series and quarterly fundamentals, packaged under ``aimonitor/data/snapshot``. See
``PROVENANCE.md`` there. The snapshot never delivers a bar after ``as_of``, so replays
see only what was known at the time.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Sequence
from importlib import resources

import numpy as np
import pandas as pd

from aimonitor.sources.base import BAR_FIELDS, FredFetch, FundamentalsFetch, SeriesFetch
from aimonitor.sources.fredunits import to_store_units, unit_of

log = logging.getLogger(__name__)

SNAPSHOT_PACKAGE = "aimonitor"


def _path(name: str):
    return resources.files(SNAPSHOT_PACKAGE) / "data" / "snapshot" / name


def _load_long(name: str, key: str) -> pd.DataFrame:
    """A bundled gzip CSV in long form with ISO ``date`` strings parsed to ``datetime.date``."""
    with _path(name).open("rb") as fh:
        df = pd.read_csv(fh, compression="gzip", dtype={key: str, "date": str})
    df["date"] = [dt.date.fromisoformat(d) for d in df["date"]]
    return df


@functools.lru_cache(maxsize=1)
def load_snapshot_bars() -> pd.DataFrame:
    """All bundled bars, long: symbol, date (datetime.date), open..volume."""
    return _load_long("bars.csv.gz", "symbol")


@functools.lru_cache(maxsize=1)
def load_snapshot_fred() -> pd.DataFrame:
    """All bundled FRED observations, long: series, date (datetime.date), value (as published, %)."""
    return _load_long("fred.csv.gz", "series")


def _with_ordinals(g: pd.DataFrame, cols: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """``g``'s ``cols`` (a fresh RangeIndex) and its dates as ordinals, to pick a date range by."""
    return g[cols].reset_index(drop=True), np.fromiter((d.toordinal() for d in g["date"]), np.int64, len(g))


def _between(part: tuple[pd.DataFrame, np.ndarray], start: dt.date, end: dt.date) -> pd.DataFrame:
    """The rows of ``part`` dated ``start..end`` in their snapshot order (index 0..n-1)."""
    frame, days = part
    rows = np.flatnonzero((days >= start.toordinal()) & (days <= end.toordinal()))
    if len(rows) and rows[-1] - rows[0] + 1 == len(rows):  # one run of rows (dates in order): a slice
        return frame.iloc[rows[0] : rows[-1] + 1].reset_index(drop=True)
    return frame.take(rows).reset_index(drop=True)


@functools.lru_cache(maxsize=1)
def _bars_by_symbol() -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
    """The bundled bars split once by symbol (each symbol's rows in snapshot order: date and
    the bar fields, and the dates as ordinals)."""
    bars = load_snapshot_bars()
    return {str(sym): _with_ordinals(g, ["date", *BAR_FIELDS]) for sym, g in bars.groupby("symbol", sort=False)}


@functools.lru_cache(maxsize=1)
def _fred_by_series() -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
    fred = load_snapshot_fred()
    return {str(s): _with_ordinals(g, ["date", "value"]) for s, g in fred.groupby("series", sort=False)}


def load_snapshot_fundamentals() -> pd.DataFrame:
    """Quarterly debt and share counts from filings (see the snapshot's PROVENANCE)."""
    return _snapshot_fundamentals().copy()


@functools.lru_cache(maxsize=1)
def _snapshot_fundamentals() -> pd.DataFrame:
    from aimonitor.sources.fundamentals import load_fundamentals_csv

    with resources.as_file(_path("fundamentals.csv")) as p:
        return load_fundamentals_csv(p)


def snapshot_last_session() -> dt.date:
    return max(load_snapshot_bars()["date"])


class SnapshotSource:
    """The bundled snapshot as a :class:`~aimonitor.sources.base.Source`."""

    name = "snapshot"

    def fetch_bars(self, symbols: Sequence[str], start: dt.date, end: dt.date, as_of: dt.date) -> list[SeriesFetch]:
        by_symbol = _bars_by_symbol()
        hi = min(end, as_of)
        out = []
        for sym in symbols:
            g = by_symbol.get(sym)
            f = _between(g, start, hi) if g is not None else None
            if f is None or f.empty:
                known = g is not None
                err = (
                    f"no bars in the snapshot between {start} and {hi}"
                    if known
                    else "not in the bundled snapshot (use --source yahoo or csv:DIR)"
                )
                out.append(SeriesFetch(sym, None, err))
            else:
                out.append(SeriesFetch(sym, f))
        return out

    def fetch_fred(self, series: Sequence[str], start: dt.date, end: dt.date) -> list[FredFetch]:
        by_series = _fred_by_series()
        out = []
        for s in series:
            g = by_series.get(s)
            f = _between(g, start, end) if g is not None else None
            if f is None or f.empty:
                out.append(
                    FredFetch(
                        s,
                        None,
                        "not in the bundled snapshot" if g is None else f"no observations between {start} and {end}",
                        unit=unit_of(s),
                    )
                )
                continue
            f["value"] = to_store_units(s, f["value"].astype(float))
            out.append(FredFetch(s, f, unit=unit_of(s)))
        return out

    def fetch_fundamentals(self, symbols: Sequence[str], as_of: dt.date) -> FundamentalsFetch:
        f = load_snapshot_fundamentals()
        f = f[f["symbol"].isin(list(symbols))]
        f = f[f["filed_date"].dt.date <= as_of] if not f.empty else f
        have = set(f["symbol"])
        missing = {s: "no fundamentals in the snapshot" for s in symbols if s not in have}
        return FundamentalsFetch(f.reset_index(drop=True), missing)
