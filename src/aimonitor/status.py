"""What the store holds and how fresh it is (``aimonitor status``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from aimonitor import calendar
from aimonitor.config import AppConfig
from aimonitor.store import Store


@dataclass(frozen=True)
class StatusReport:
    db: str
    last_run: dict[str, Any] | None
    symbols: dict[str, dict[str, Any]]
    fred: dict[str, dict[str, Any]]
    firing: int
    as_of: str
    counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "db": self.db,
            "last_run": self.last_run,
            "symbols": self.symbols,
            "fred": self.fred,
            "firing": self.firing,
            "as_of": self.as_of,
            "tables": self.counts,
        }


def build_status(cfg: AppConfig, store: Store, as_of: dt.date) -> StatusReport:
    """Per configured symbol: last stored session and how many sessions it is behind ``as_of``."""
    ranges = store.bar_ranges()
    symbols: dict[str, dict[str, Any]] = {}
    for sym in [*cfg.watchlist.all_symbols, *[s for s in ranges if s not in cfg.watchlist.all_symbols]]:
        rng = ranges.get(sym)
        if rng is None:
            symbols[sym] = {"last_session": None, "stale_sessions": None, "first_session": None, "rows": 0}
            continue
        last = rng[1]
        symbols[sym] = {
            "last_session": last,
            "stale_sessions": calendar.sessions_between(last, as_of),
            "first_session": rng[0],
            "rows": rng[2],
        }
    fred = {s: {"last_date": r[1], "first_date": r[0], "rows": r[2]} for s, r in store.fred_ranges().items()}
    run = store.last_run()
    last_run = (
        None
        if run is None
        else {
            "started": run["started"],
            "status": run["status"],
            "finished": run["finished"],
            "as_of": run["as_of"],
            "kind": run["kind"],
        }
    )
    return StatusReport(
        db=store.path,
        last_run=last_run,
        symbols=symbols,
        fred=fred,
        firing=store.count_firing(),
        as_of=as_of.isoformat(),
        counts=store.table_counts(),
    )
