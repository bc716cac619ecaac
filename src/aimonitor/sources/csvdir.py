"""A user's own files: ``csv:DIR``.

The folder holds one CSV per symbol in the snapshot's columns
(``date,open,high,low,close,adj_close,volume``), named ``<SYMBOL>.csv`` (an index such as
``^VIX`` may be ``VIX_index.csv`` or ``^VIX.csv``), FRED series as ``FRED_<SERIES>.csv``
(``date,value`` in percent as FRED publishes), and optionally ``fundamentals.csv`` in the
snapshot's fundamentals columns. A malformed file is a per-symbol failure naming the file
and line; the other files are still read.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from aimonitor.errors import DataError, FetchError
from aimonitor.sources.base import BAR_FIELDS, FredFetch, FundamentalsFetch, SeriesFetch
from aimonitor.sources.fredunits import to_store_units, unit_of

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 200 * 1024 * 1024


def _candidates(folder: Path, symbol: str) -> list[Path]:
    bare = symbol.lstrip("^")
    names = [f"{symbol}.csv", f"{bare}.csv", f"{bare}_index.csv"]
    return [folder / n for n in dict.fromkeys(names)]


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DataError(f"{path}: file larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise DataError(f"{path}: binary file, not CSV text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _csv_rows(text: str) -> tuple[list[str], list[list[str]]]:
    """The header row and the other rows of ``text``; wholly empty lines after the header are
    skipped (as csv.DictReader does).

    Without a quote character (or a NUL, which the csv module refuses) a CSV line is its
    cells joined by commas, so splitting it is what csv.reader returns, at half the cost.
    """
    lines = text.splitlines()
    if '"' in text or "\x00" in text:
        reader = csv.reader(lines)
        return next(reader, []), [r for r in reader if r]
    if not lines:
        return [], []
    return (lines[0].split(",") if lines[0] else []), [line.split(",") for line in lines[1:] if line]


def load_bars_csv(path: Path, start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """Read a bar CSV: the rows dated ``start`` to ``end`` (both inclusive, each optional), in file order.

    Every cell of the file is checked, inside the dates or not: the first bad one raises
    :class:`DataError` naming the file and line. Only the rows kept become a frame (a daily
    fetch keeps ~10 of a file's thousands).
    """
    text = _read_text(path)
    header, records = _csv_rows(text)
    fields = [f.strip().lower() for f in header]
    need = {"date", "close"}
    if not need <= set(fields):
        raise DataError(
            f"{path}: line 1: missing column(s) {', '.join(sorted(need - set(fields)))} "
            f"(expected date,{','.join(BAR_FIELDS)})"
        )
    fast = _bars_columns(fields, records, start, end)
    if fast is not None:
        return fast
    f = _bars_rows(path, fields, records)
    if start is None and end is None:
        return f
    keep = (f["date"] >= (start or dt.date.min)) & (f["date"] <= (end or dt.date.max))
    return f[keep].reset_index(drop=True)


def _bars_columns(
    fields: list[str], records: list[list[str]], start: dt.date | None, end: dt.date | None
) -> pd.DataFrame | None:
    """The bar frame of the rows dated ``start..end``, every cell converted column by column;
    None when a cell does not convert (the row-by-row reader then names it)."""
    if not records or set(map(len, records)) != {len(fields)}:
        return None
    where = {name: i for i, name in enumerate(fields)}  # a repeated header: the last one wins
    cols = [[r[k] for r in records] for k in range(len(fields))]  # not zip(*records): see store._wide_rows
    try:
        try:
            dates = [dt.date.fromisoformat(d) for d in cols[where["date"]]]
        except ValueError:  # padded cells
            dates = [dt.date.fromisoformat(d.strip()) for d in cols[where["date"]]]
        out: dict[str, object] = {"date": dates}
        for c in BAR_FIELDS:
            if c not in where:
                out[c] = np.full(len(records), np.nan)
                continue
            # float() of each cell (numpy's object-to-float cast calls it; it ignores padding),
            # blank cells NaN
            try:
                out[c] = np.array(cols[where[c]], dtype=object).astype(float)
            except ValueError:
                out[c] = np.array([v.strip() or "nan" for v in cols[where[c]]], dtype=object).astype(float)
    except ValueError:
        return None
    if start is not None or end is not None:
        lo, hi = start or dt.date.min, end or dt.date.max
        rows = [i for i, d in enumerate(dates) if lo <= d <= hi]
        out = {
            k: np.array([dates[i] for i in rows], dtype=object) if k == "date" else np.asarray(v)[rows]
            for k, v in out.items()
        }
    frame = pd.DataFrame(out, columns=["date", *BAR_FIELDS])
    frame["adj_close"] = frame["adj_close"].fillna(frame["close"])
    return frame


def _bars_rows(path: Path, fields: list[str], records: list[list[str]]) -> pd.DataFrame:
    rows = []
    for lineno, values in enumerate(records, start=2):
        rec = dict(zip(fields, values))
        try:
            d = dt.date.fromisoformat((rec.get("date") or "").strip())
        except ValueError:
            raise DataError(f"{path}: line {lineno}: bad date {rec.get('date')!r} (expected YYYY-MM-DD)") from None
        row: dict[str, object] = {"date": d}
        for c in BAR_FIELDS:
            raw = (rec.get(c) or "").strip()
            if raw == "":
                row[c] = float("nan")
                continue
            try:
                row[c] = float(raw)
            except ValueError:
                raise DataError(f"{path}: line {lineno}: column {c}: not a number: {raw!r}") from None
        if pd.isna(row["adj_close"]):
            row["adj_close"] = row["close"]
        rows.append(row)
    return pd.DataFrame(rows, columns=["date", *BAR_FIELDS])


class CsvDirSource:
    """Daily bars, FRED series and fundamentals from a folder of CSV files."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.name = f"csv:{folder}"
        if not self.folder.is_dir():
            raise FetchError(f"{self.folder}: not a folder (use --source csv:DIR with a folder of CSV files)")

    def fetch_bars(self, symbols: Sequence[str], start: dt.date, end: dt.date, as_of: dt.date) -> list[SeriesFetch]:
        hi = min(end, as_of)
        out = []
        for sym in symbols:
            path = next((p for p in _candidates(self.folder, sym) if p.is_file()), None)
            if path is None:
                out.append(SeriesFetch(sym, None, f"no file {sym.lstrip('^')}.csv in {self.folder}"))
                continue
            try:
                f = load_bars_csv(path, start, hi)
            except DataError as exc:
                out.append(SeriesFetch(sym, None, str(exc)))
                continue
            out.append(
                SeriesFetch(sym, f)
                if not f.empty
                else SeriesFetch(sym, None, f"{path}: no rows between {start} and {hi}")
            )
        return out

    def fetch_fred(self, series: Sequence[str], start: dt.date, end: dt.date) -> list[FredFetch]:
        from aimonitor.sources.fred import parse_fred_csv

        out = []
        for s in series:
            path = self.folder / f"FRED_{s}.csv"
            if not path.is_file():
                out.append(FredFetch(s, None, f"no file FRED_{s}.csv in {self.folder}", unit=unit_of(s)))
                continue
            try:
                f = parse_fred_csv(_read_text(path), s, origin=str(path), start=start, end=end)
            except DataError as exc:
                out.append(FredFetch(s, None, str(exc), unit=unit_of(s)))
                continue
            f["value"] = to_store_units(s, f["value"])
            out.append(
                FredFetch(s, f, unit=unit_of(s))
                if not f.empty
                else FredFetch(s, None, f"{path}: no rows between {start} and {end}", unit=unit_of(s))
            )
        return out

    def fetch_fundamentals(self, symbols: Sequence[str], as_of: dt.date) -> FundamentalsFetch:
        from aimonitor.sources.fundamentals import load_fundamentals_csv

        path = self.folder / "fundamentals.csv"
        if not path.is_file():
            return FundamentalsFetch(pd.DataFrame(), {s: f"no fundamentals.csv in {self.folder}" for s in symbols})
        try:
            f = load_fundamentals_csv(path)
        except DataError as exc:
            return FundamentalsFetch(pd.DataFrame(), {s: str(exc) for s in symbols})
        f = f[f["symbol"].isin(list(symbols)) & (f["filed_date"].dt.date <= as_of)]
        have = set(f["symbol"])
        return FundamentalsFetch(
            f.reset_index(drop=True), {s: "no rows in fundamentals.csv" for s in symbols if s not in have}
        )
