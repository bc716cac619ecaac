"""Yahoo Finance through yfinance (the only yfinance importer).

One batched ``yf.download`` per fetch, with every behaviour-changing argument passed
explicitly, so an upstream default change cannot silently alter what we store:
``auto_adjust=False`` (we keep both ``Close`` and ``Adj Close``), ``actions=False``,
``group_by="column"`` and ``multi_level_index=True`` (columns are a (Price, Ticker)
MultiIndex even for one ticker), ``threads``, ``progress=False``, ``timeout``,
``repair=False``, ``keepna=False``, ``rounding=False``, ``interval="1d"``, ``prepost=False``.

Offline, yfinance returns an *empty frame without raising*; the per-ticker reasons are
in ``yfinance.shared._ERRORS``. We retry the whole batch a bounded number of times with
exponential backoff and jitter on rate limits, network errors and all-empty answers,
then report each symbol that delivered nothing as a per-symbol failure. When *no*
symbol delivered anything the fetch raises :class:`FetchError` naming Yahoo and
suggesting ``--source snapshot``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import yfinance as yf
from yfinance.exceptions import YFRateLimitError

from aimonitor.errors import FetchError
from aimonitor.sources.base import BAR_FIELDS, FredFetch, FundamentalsFetch, Retry, SeriesFetch

log = logging.getLogger(__name__)

_FIELD_MAP = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
}

#: Exceptions worth another try (rate limits and transport failures).
RETRYABLE: tuple[type[BaseException], ...] = (YFRateLimitError, ConnectionError, TimeoutError, OSError)

OFFLINE_HINT = "check the network, or run offline with --source snapshot"


def _yf_errors() -> dict[str, str]:
    """Per-ticker error strings yfinance collected during the last download (may be empty)."""
    try:
        from yfinance import shared

        return {str(k): str(v) for k, v in dict(getattr(shared, "_ERRORS", {})).items()}
    except (ImportError, AttributeError, TypeError, ValueError) as exc:  # a private API: its absence costs detail
        log.debug("yfinance.shared._ERRORS unavailable: %s", exc)
        return {}


def split_download(frame: pd.DataFrame | None, symbols: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Split a yfinance download into one frame per symbol (``date`` + BAR_FIELDS).

    Accepts (Price, Ticker) MultiIndex columns (``group_by="column"``), (Ticker, Price)
    (``group_by="ticker"``) and flat columns (single ticker, ``multi_level_index=False``).
    Rows that are entirely NaN for a symbol are dropped; a symbol with no rows left is
    absent from the result.
    """
    out: dict[str, pd.DataFrame] = {}
    if frame is None or frame.empty:
        return out
    cols = frame.columns
    per: dict[str, pd.DataFrame] = {}
    if isinstance(cols, pd.MultiIndex):
        lvl0 = set(map(str, cols.get_level_values(0)))
        price_level = 0 if lvl0 & set(_FIELD_MAP) else 1
        tick_level = 1 - price_level
        for sym in symbols:
            if sym not in set(cols.get_level_values(tick_level)):
                continue
            sub = frame.xs(sym, axis=1, level=tick_level)
            per[sym] = sub
    elif len(symbols) == 1:
        per[symbols[0]] = frame
    for sym, sub in per.items():
        sub = sub.rename(columns=_FIELD_MAP)
        sub = sub[[c for c in BAR_FIELDS if c in sub.columns]].copy()
        for c in BAR_FIELDS:
            if c not in sub.columns:
                sub[c] = np.nan
        sub = sub.apply(pd.to_numeric, errors="coerce")
        sub = sub.dropna(how="all", subset=["open", "high", "low", "close", "adj_close"])
        if sub.empty:
            continue
        idx = pd.DatetimeIndex(sub.index)
        if idx.tz is not None:
            idx = idx.tz_localize(None)
        sub.index = idx
        sub = sub.reset_index(names="date")
        sub["date"] = [t.date() for t in sub["date"]]
        out[sym] = sub[["date", *BAR_FIELDS]]
    return out


class YahooSource:
    """Live daily bars and quarterly fundamentals from Yahoo Finance.

    ``download``, ``ticker`` and ``sleep`` are injectable for tests (defaults: yfinance
    and ``time.sleep``); ``fred`` is the FRED source used for :meth:`fetch_fred`.
    """

    name = "yahoo"

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_retries: int = 3,
        backoff: float = 2.0,
        download: Callable[..., pd.DataFrame | None] | None = None,
        ticker: Callable[[str], Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        fred: Any | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry = Retry(max_retries=max_retries, backoff=backoff, sleep=sleep, rng=rng or random.Random())
        self._download = download or yf.download
        self._ticker = ticker or yf.Ticker
        if fred is None:
            from aimonitor.sources.fred import FredSource

            # the same retry policy (one construction); FRED draws its jitter from ``random``
            fred = FredSource(timeout=timeout, retry=dataclasses.replace(self.retry, rng=None))
        self._fred = fred

    # ------------------------------------------------------------------ bars

    def _call(self, symbols: Sequence[str], start: dt.date, end: dt.date) -> pd.DataFrame | None:
        with warnings.catch_warnings():
            # yfinance's own pandas deprecation noise is not the user's business
            warnings.simplefilter("ignore", category=FutureWarning)
            warnings.simplefilter("ignore", category=DeprecationWarning)
            warnings.filterwarnings("ignore", message=".*inplace.*")
            return self._call_unfiltered(symbols, start, end)

    def _call_unfiltered(self, symbols: Sequence[str], start: dt.date, end: dt.date) -> pd.DataFrame | None:
        return self._download(
            tickers=list(symbols),
            start=start.isoformat(),
            end=(end + dt.timedelta(days=1)).isoformat(),  # yfinance's end is exclusive
            interval="1d",
            auto_adjust=False,
            back_adjust=False,
            actions=False,
            repair=False,
            keepna=False,
            rounding=False,
            prepost=False,
            group_by="column",
            multi_level_index=True,
            threads=True,
            progress=False,
            timeout=self.timeout,
            ignore_tz=True,
        )

    def fetch_bars(self, symbols: Sequence[str], start: dt.date, end: dt.date, as_of: dt.date) -> list[SeriesFetch]:
        symbols = list(symbols)
        if not symbols:
            return []
        hi = min(end, as_of)
        got: dict[str, pd.DataFrame] = {}
        errors: dict[str, str] = {}
        last_exc: str | None = None
        for attempt in range(self.retry.attempts):
            missing = [s for s in symbols if s not in got]
            try:
                frame = self._call(missing, start, hi)
                last_exc = None
            except RETRYABLE as exc:
                last_exc = f"{type(exc).__name__}: {exc}"
                log.warning("Yahoo download failed: %s", last_exc)
                frame = None
            errors.update(_yf_errors())
            for sym, f in split_download(frame, missing).items():
                f = f[f["date"] <= hi]  # never a bar for a session that has not closed
                if not f.empty:
                    got[sym] = f.reset_index(drop=True)
            if len(got) == len(symbols):
                break
            # Only a rate limit, a transport error or an all-empty answer deserves another try;
            # a symbol Yahoo answered for with nothing (delisted, unknown) does not.
            if frame is not None and not frame.empty and last_exc is None:
                break
            if attempt < self.max_retries:
                self.retry.wait(attempt, "Yahoo")
        out: list[SeriesFetch] = []
        for sym in symbols:
            if sym in got:
                out.append(SeriesFetch(sym, got[sym]))
            else:
                reason = errors.get(sym) or last_exc or "no data returned (empty or all-NaN)"
                out.append(SeriesFetch(sym, None, f"Yahoo returned no bars: {reason}"))
        if not got:
            detail = last_exc or next(iter(errors.values()), "empty answer")
            raise FetchError(
                f"Yahoo Finance returned no data for any of {len(symbols)} symbols "
                f"({start}..{hi}) after {self.max_retries + 1} attempts ({_short(detail)}); {OFFLINE_HINT}"
            )
        return out

    # ------------------------------------------------------------------ FRED

    def fetch_fred(self, series: Sequence[str], start: dt.date, end: dt.date) -> list[FredFetch]:
        return self._fred.fetch_fred(series, start, end)

    # ------------------------------------------------------------------ fundamentals

    def fetch_fundamentals(self, symbols: Sequence[str], as_of: dt.date) -> FundamentalsFetch:
        """Quarterly balance-sheet debt and share counts via ``Ticker.quarterly_balance_sheet``.

        Yahoo gives no filing date, so ``filed_date`` is ``as_of`` (the day we first saw
        the figures); the store keeps the earliest ``filed_date`` of a period, so a later
        re-fetch never moves a figure back in time.
        """
        rows, errors = [], {}
        for sym in symbols:
            try:
                bs = self._ticker(sym).quarterly_balance_sheet
            except Exception as exc:  # any upstream failure is that symbol's failure, named in the report
                errors[sym] = f"Yahoo balance sheet failed: {type(exc).__name__}: {_short(str(exc))}"
                continue
            if bs is None or getattr(bs, "empty", True):
                errors[sym] = "Yahoo returned no quarterly balance sheet"
                continue
            rows.extend(balance_sheet_rows(sym, bs, as_of))
        # the store's fundamentals columns, written here too: io components import no other
        cols = [
            "symbol",
            "period_end",
            "filed_date",
            "short_term_debt",
            "long_term_debt",
            "total_debt",
            "operating_lease_liabilities",
            "shares_outstanding",
            "shares_as_of",
            "weighted_avg_basic_shares",
            "source",
        ]
        return FundamentalsFetch(pd.DataFrame(rows, columns=cols), errors)


def _pick(bs: pd.DataFrame, names: Sequence[str], col: Any) -> float | None:
    for n in names:
        if n in bs.index:
            v = bs.at[n, col]
            if v is not None and not pd.isna(v):
                return float(v)
    return None


def balance_sheet_rows(symbol: str, bs: pd.DataFrame, as_of: dt.date) -> list[dict[str, Any]]:
    """Rows for the fundamentals table from a yfinance quarterly balance sheet (items × period ends)."""
    rows = []
    for col in bs.columns:
        period_end = pd.Timestamp(col).date()
        if period_end > as_of:
            continue
        st = _pick(bs, ["Current Debt", "Current Debt And Capital Lease Obligation"], col)
        lt = _pick(bs, ["Long Term Debt", "Long Term Debt And Capital Lease Obligation"], col)
        total = _pick(bs, ["Total Debt"], col)
        if total is None and st is not None and lt is not None:
            total = st + lt
        shares = _pick(bs, ["Ordinary Shares Number", "Share Issued"], col)
        if total is None and shares is None:
            continue
        rows.append(
            {
                "symbol": symbol,
                "period_end": pd.Timestamp(period_end),
                "filed_date": pd.Timestamp(as_of),
                "short_term_debt": st,
                "long_term_debt": lt,
                "total_debt": total,
                "operating_lease_liabilities": None,
                "shares_outstanding": shares,
                "shares_as_of": pd.Timestamp(period_end) if shares is not None else None,
                "weighted_avg_basic_shares": None,
                "source": "yahoo quarterly_balance_sheet",
            }
        )
    return rows


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
