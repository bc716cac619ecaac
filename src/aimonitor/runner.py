"""``aimonitor daemon``: the scheduled cycles wired to the pipeline (scheduling itself is in daemon.py)."""

from __future__ import annotations

import datetime as dt
import logging

from aimonitor import calendar
from aimonitor.config import AppConfig, notify_urls
from aimonitor.daemon import run_daemon
from aimonitor.notify import make_channels
from aimonitor.pipeline import record_pipeline_error, run_cycle, sessions_to_catch_up
from aimonitor.sources import make_source
from aimonitor.store import Store

log = logging.getLogger(__name__)


def serve(cfg: AppConfig, store: Store, source_spec: str | None = None, **daemon_kw: object) -> int:
    """Run cycles after each session close until SIGTERM/SIGINT; returns the exit code (0)."""
    s = cfg.source
    source = make_source(
        source_spec or s.default, timeout=s.timeout_seconds, max_retries=s.max_retries, backoff=s.backoff_seconds
    )
    channels = make_channels(notify_urls(cfg))
    last_session: list[dt.date] = []

    def cycle(as_of: dt.date) -> None:
        last_session[:] = [as_of]
        res = run_cycle(cfg, store, source, as_of, channels=channels, kind="daemon")
        log.warning("cycle %s: %d signal rows, %d transitions", as_of, res.signals, len(res.transitions))

    def catch_up(now_utc: dt.datetime) -> None:
        for day in sessions_to_catch_up(store, calendar.last_completed_session(now_utc)):
            cycle(day)

    # A scheduled run also covers sessions it missed (machine asleep past the misfire grace
    # time, a failed cycle yesterday): coalescing alone would silently skip them.
    job = catch_up

    def on_error(exc: BaseException) -> None:
        day = last_session[0] if last_session else calendar.last_completed_session(dt.datetime.now(dt.UTC))
        try:
            record_pipeline_error(cfg, store, day, f"{type(exc).__name__}: {exc}", channels=channels)
        except Exception as inner:  # noqa: BLE001 - never let error reporting kill the daemon
            log.error("could not record the pipeline alert: %s", inner)

    return run_daemon(cfg.schedule, job, catch_up=catch_up, on_error=on_error, **daemon_kw)  # type: ignore[arg-type]
