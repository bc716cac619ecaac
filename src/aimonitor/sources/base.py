"""The small interface every data source implements.

A source returns *frames*, never writes: the pipeline validates them and hands them to
the store. Per-symbol failures are values (``SeriesFetch.error``), not exceptions, so one
bad symbol never loses the others; a source raises :class:`~aimonitor.errors.FetchError`
only when it cannot work at all.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pandas as pd

BAR_FIELDS = ("open", "high", "low", "close", "adj_close", "volume")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retry:
    """How a network source retries: ``max_retries`` more attempts after the first, waiting
    ``backoff * 2**attempt`` seconds with a jitter of +-50 % between them (``sleep`` and
    ``rng`` are injectable for tests; without ``rng`` the jitter is ``random.random``)."""

    max_retries: int = 3
    backoff: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random | None = None

    @property
    def attempts(self) -> int:
        return self.max_retries + 1

    def wait(self, attempt: int, who: str) -> None:
        """Sleep before attempt ``attempt + 1`` (``attempt`` counts from 0)."""
        delay = self.backoff * (2**attempt) * (0.5 + (self.rng or random).random())
        log.info("%s: retrying in %.1fs (attempt %d of %d)", who, delay, attempt + 2, self.attempts)
        self.sleep(delay)


@dataclass(frozen=True)
class SeriesFetch:
    """What a source delivered for one symbol or series.

    ``frame`` has a ``date`` column (``datetime.date``) plus the fields of the kind
    (bars: :data:`BAR_FIELDS`; FRED: ``value``); it is ``None`` when ``error`` is set.
    """

    name: str
    frame: pd.DataFrame | None
    error: str | None = None


@dataclass(frozen=True)
class FredFetch(SeriesFetch):
    """A FRED series; ``unit`` is what ``value`` is expressed in after conversion."""

    unit: str = "bp"


@dataclass(frozen=True)
class FundamentalsFetch:
    """Quarterly balance-sheet facts (columns of the store's fundamentals table)."""

    frame: pd.DataFrame
    errors: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Source(Protocol):
    """A provider of daily bars, FRED series and fundamentals."""

    name: str

    def fetch_bars(self, symbols: Sequence[str], start: dt.date, end: dt.date, as_of: dt.date) -> list[SeriesFetch]:
        """Daily bars for sessions in [start, end] that have closed by ``as_of``."""
        ...

    def fetch_fred(self, series: Sequence[str], start: dt.date, end: dt.date) -> list[FredFetch]:
        """FRED observations in [start, end], spreads and yields converted to basis points."""
        ...

    def fetch_fundamentals(self, symbols: Sequence[str], as_of: dt.date) -> FundamentalsFetch:
        """Balance-sheet debt and share counts known on ``as_of``."""
        ...
