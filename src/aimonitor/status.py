"""What the store holds and how fresh it is (``aimonitor status``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    #: The latest failed or aborted run: started, as_of, kind, status and its error message.
    last_error: dict[str, Any] | None = None
    #: channel -> {"pending": n, "sending": n, "configured": bool} of undelivered notifications
    outbox: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_evaluated: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "db": self.db,
            "last_run": self.last_run,
            "symbols": self.symbols,
            "fred": self.fred,
            "firing": self.firing,
            "as_of": self.as_of,
            "tables": self.counts,
            "last_error": self.last_error,
            "last_evaluated": self.last_evaluated,
            "outbox": self.outbox,
        }

    def problems(self) -> list[str]:
        """One line each: the last error, and notifications that wait for nothing."""
        out = []
        run = self.last_run or {}
        if self.last_error and run.get("status") in ("error", "aborted"):
            e = self.last_error
            out.append(f"last run {e['status']} ({e['kind']}, session {e['as_of']}, {e['started']}): {e['error']}")
        for ch, n in self.outbox.items():
            waiting = n.get("pending", 0) + n.get("sending", 0)
            if not n.get("configured"):
                out.append(
                    f"{waiting} notification(s) wait for channel {ch}, which is not configured: "
                    f"`aimonitor alerts outbox --retarget {ch}=NEW` or `--drop {ch}`"
                )
            elif n.get("sending"):
                out.append(
                    f"{n['sending']} notification(s) via {ch} were being sent when a run died "
                    f"(`aimonitor alerts outbox --requeue {ch}` sends them again)"
                )
        return out


def build_status(cfg: AppConfig, store: Store, as_of: dt.date, channels: Sequence[str] | None = None) -> StatusReport:
    """Per configured symbol: last stored session and how many sessions it is behind ``as_of``;
    the last run, the last error and the undelivered notifications (``channels``: the
    configured channel ids, to name entries waiting for a channel that no longer exists)."""
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
    if last_run is not None and run is not None and run["status"] in ("error", "aborted"):
        last_run["error"] = (store.last_failed_run() or {}).get("error")
    failed = store.last_failed_run()
    last_error = (
        None
        if failed is None
        else {k: failed.get(k) for k in ("started", "finished", "as_of", "kind", "status", "error")}
    )
    configured = {"file", *(channels or [])}
    outbox = {ch: {**n, "configured": ch in configured or channels is None} for ch, n in store.outbox_counts().items()}
    return StatusReport(
        db=store.path,
        last_run=last_run,
        symbols=symbols,
        fred=fred,
        firing=store.count_firing(),
        as_of=as_of.isoformat(),
        counts=store.table_counts(),
        last_error=last_error,
        outbox=outbox,
        last_evaluated=store.last_evaluated_session(),
    )
