"""FRED series through the public no-key CSV download (``fredgraph.csv``).

FRED marks missing observations with ``"."``; those rows are dropped. Spreads and
yields published in percent are converted to basis points here, at the boundary
(:mod:`aimonitor.sources.fredunits`). Uses only the standard library's HTTP client.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import time
import urllib.error
import urllib.parse
from collections.abc import Callable, Sequence

import pandas as pd

from aimonitor.errors import DataError
from aimonitor.sources.base import FredFetch, Retry
from aimonitor.sources.fredunits import to_store_units, unit_of

log = logging.getLogger(__name__)

FRED_CSV_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"


def fred_url(series: str, start: dt.date, end: dt.date) -> str:
    q = urllib.parse.urlencode({"id": series, "cosd": start.isoformat(), "coed": end.isoformat()})
    return f"{FRED_CSV_URL}?{q}"


def parse_fred_csv(
    text: str, series: str, origin: str = "FRED", start: dt.date | None = None, end: dt.date | None = None
) -> pd.DataFrame:
    """Parse a fredgraph CSV (``observation_date``/``DATE`` + series column) to (date, value in %).

    ``"."`` and blank values are missing and dropped; with ``start``/``end`` only the
    observations dated between them (both inclusive) are kept. Every line is checked either
    way: a malformed file raises :class:`DataError` naming ``origin`` and the line.
    """
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or len(rows[0]) < 2:
        raise DataError(f"{origin}: not a FRED CSV (expected a date column and a {series} column)")
    header = [h.strip() for h in rows[0]]
    if header[0].lower() not in ("observation_date", "date"):
        raise DataError(f"{origin}: line 1: expected a date column first, got {header[0]!r}")
    col = header.index(series) if series in header else 1
    body = [r for r in rows[1:] if r and r[0].strip()]
    try:  # column by column; on the first bad cell the line-by-line reader below names it
        days = [dt.date.fromisoformat(r[0].strip()) for r in body]
        raws = [r[col].strip() if col < len(r) else "" for r in body]
        kept = [i for i, raw in enumerate(raws) if raw not in ("", ".")]
        values = [float(raws[i]) for i in kept]
    except ValueError:
        raise _first_bad_line(rows, col, origin) from None
    dates = [days[i] for i in kept]
    if (start is None and end is None) or not dates:
        return pd.DataFrame({"date": dates, "value": values})
    lo, hi = start or dt.date.min, end or dt.date.max
    window = [i for i, d in enumerate(dates) if lo <= d <= hi]
    # the column types of the whole file's frame, even when no observation is in the window
    return pd.DataFrame(
        {
            "date": pd.Series([dates[i] for i in window], dtype=object),
            "value": pd.Series([values[i] for i in window], dtype=float),
        }
    )


def _first_bad_line(rows: list[list[str]], col: int, origin: str) -> DataError:
    """The error naming the first line whose date or value does not parse."""
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or not row[0].strip():
            continue
        try:
            dt.date.fromisoformat(row[0].strip())
        except ValueError:
            return DataError(f"{origin}: line {lineno}: bad date {row[0]!r}")
        raw = row[col].strip() if col < len(row) else ""
        if raw in ("", "."):
            continue
        try:
            float(raw)
        except ValueError:
            return DataError(f"{origin}: line {lineno}: bad value {raw!r}")
    return DataError(f"{origin}: malformed")  # not reached: the lines above are the ones that failed


def _http_get(url: str, timeout: float) -> str:
    import urllib.request  # here: http.client and ssl cost ~30 ms, and reading FRED CSV files needs neither

    req = urllib.request.Request(url, headers={"User-Agent": "aimonitor/0.1 (+FRED CSV)"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - fixed https URL
        return resp.read().decode("utf-8")


class FredSource:
    """Live FRED observations; ``get`` and ``sleep`` are injectable for tests."""

    name = "fred"

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_retries: int = 3,
        backoff: float = 2.0,
        get: Callable[[str, float], str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        retry: Retry | None = None,
    ) -> None:
        self.timeout = timeout
        self.retry = retry or Retry(max_retries=max_retries, backoff=backoff, sleep=sleep)
        self._get = get or _http_get
        self._offline = False

    def _fetch_one(self, series: str, start: dt.date, end: dt.date) -> FredFetch:
        url = fred_url(series, start, end)
        last = "no answer"
        for attempt in range(self.retry.attempts):
            try:
                text = self._get(url, self.timeout)
                frame = parse_fred_csv(text, series, origin=f"FRED {series}", start=start, end=end)
                frame["value"] = to_store_units(series, frame["value"])
                if frame.empty:
                    return FredFetch(
                        series, None, f"FRED returned no observations {start}..{end}", unit=unit_of(series)
                    )
                return FredFetch(series, frame, unit=unit_of(series))
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
                if exc.code not in (429, 500, 502, 503, 504):
                    break
            except (urllib.error.URLError, OSError) as exc:
                last = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
                if "Name or service not known" in last or "resolution" in last.lower() or "nodename" in last.lower():
                    self._offline = True  # DNS failure: the network is down, retrying won't help
                    break
            except DataError as exc:
                last = str(exc)
                break
            if attempt < self.retry.max_retries:
                self.retry.wait(attempt, f"FRED {series}")
        return FredFetch(series, None, f"FRED download failed: {last}", unit=unit_of(series))

    def fetch_fred(self, series: Sequence[str], start: dt.date, end: dt.date) -> list[FredFetch]:
        out = []
        for s in series:
            if self._offline:
                out.append(FredFetch(s, None, "FRED unreachable (network down)", unit=unit_of(s)))
                continue
            out.append(self._fetch_one(s, start, end))
        return out
