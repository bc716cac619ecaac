"""``aimonitor daemon``: the scheduled cycles wired to the pipeline (scheduling itself is in daemon.py).

Also the clock checks of the CLI and daemon edges (the only places that read the wall
clock): a session that has not closed yet is refused, and so is a daemon clock that jumped
while the daemon was running (compared with the monotonic clock) or that reads a time
before the database's last evaluated session.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from aimonitor import calendar
from aimonitor.config import AppConfig, notify_urls
from aimonitor.daemon import next_run_time, run_daemon
from aimonitor.errors import ClockError, StorageError
from aimonitor.notify import make_channels
from aimonitor.pipeline import CycleResult, record_pipeline_error, run_cycle, sessions_missed
from aimonitor.sources import make_source
from aimonitor.store import Store

log = logging.getLogger(__name__)

#: How far the wall clock may drift from the monotonic clock between two daemon runs
#: before the daemon treats it as a jump (NTP corrections are seconds; a jump is hours).
MAX_CLOCK_DRIFT = dt.timedelta(minutes=15)


def check_as_of(as_of: dt.date, last_completed: dt.date, flag: str = "--as-of") -> dt.date:
    """Refuse a session after the last completed NYSE session (``last_completed``, read from
    the wall clock by the caller); returns ``as_of``."""
    if as_of > last_completed:
        raise ClockError(
            f"{flag} {as_of} is after the last completed NYSE session {last_completed}; "
            "a session is evaluated only after it has closed (nothing was changed)"
        )
    return as_of


def backfill_command(first: dt.date, last: dt.date) -> str:
    return f"aimonitor run --once --as-of {last} --rebuild-from {first}"


def _steady() -> float:
    """Seconds of a clock that never jumps and keeps counting while the machine sleeps
    (``CLOCK_BOOTTIME`` on Linux; a suspended laptop is not a clock jump)."""
    boot = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(boot) if boot is not None else time.monotonic()


class ClockWatch:
    """Notices a wall clock that jumped while the daemon ran (against a steady clock)."""

    def __init__(self, now_utc: dt.datetime, monotonic: Callable[[], float] = _steady) -> None:
        self._mono = monotonic
        self._wall0, self._mono0 = now_utc, monotonic()

    def check(self, now_utc: dt.datetime) -> None:
        expected = self._wall0 + dt.timedelta(seconds=self._mono() - self._mono0)
        drift = now_utc - expected
        if abs(drift) > MAX_CLOCK_DRIFT:
            raise ClockError(
                f"the system clock jumped by {_span(drift)} while the daemon ran (it reads {now_utc:%Y-%m-%d %H:%M} "
                f"UTC, {expected:%Y-%m-%d %H:%M} was expected); cycles are refused until the clock is right "
                "and the daemon is restarted"
            )


def _span(d: dt.timedelta) -> str:
    secs = int(d.total_seconds())
    sign = "+" if secs >= 0 else "-"
    secs = abs(secs)
    if secs >= 86400:
        return f"{sign}{secs / 86400:.1f} days"
    return f"{sign}{secs / 3600:.1f} hours"


def describe_cycle(res: CycleResult) -> str:
    """One line: what a cycle did."""
    d = res.delivery
    out = (
        f"cycle {res.as_of} ok: {res.signals} signal rows, {len(res.transitions)} transitions "
        f"({res.new_transitions} new); notifications written {d.written if d else 0}, sent {d.sent if d else 0}"
    )
    if d and d.failed:
        out += "; failed: " + "; ".join(f"{k}: {v}" for k, v in d.failed.items())
    if res.fetched is not None and res.fetched.failed:
        out += f"; fetch failed for {', '.join(res.fetched.failed)}"
    return out


def serve(
    cfg: AppConfig,
    store: Store,
    source_spec: str | None = None,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    **daemon_kw: object,
) -> int:
    """Run cycles after each session close until SIGTERM/SIGINT; returns the exit code (0)."""
    now = clock or (lambda: dt.datetime.now(dt.UTC))
    s = cfg.source
    source = make_source(
        source_spec or s.default, timeout=s.timeout_seconds, max_retries=s.max_retries, backoff=s.backoff_seconds
    )
    channels = make_channels(notify_urls(cfg), timeout=cfg.notify.timeout_seconds)
    last_session: list[dt.date] = []
    watch = ClockWatch(now())
    try:  # runs left 'running' by a killed process are closed now (each cycle does it too)
        with store.writer_lock("daemon", min(5.0, cfg.storage.lock_wait_seconds)):
            store.abort_stale_runs()
    except StorageError as exc:
        log.warning("%s", exc)
    known = {"file", *(c.id for c in channels)}
    for ch_id, counts in store.outbox_counts().items():
        if ch_id not in known:
            log.warning(
                "%d notification(s) wait for channel %s, which is not configured any more; "
                "`aimonitor alerts outbox --retarget %s=NEW` or `--drop %s`",
                sum(counts.values()),
                ch_id,
                ch_id,
                ch_id,
            )
    log.info(
        "daemon for %s: %d notification channel(s) %s; sessions run at %s %s",
        store.path,
        len(channels),
        ", ".join(c.id for c in channels) or "(alerts folder only)",
        cfg.schedule.time,
        cfg.schedule.timezone,
    )

    def cycle(as_of: dt.date) -> None:
        last_session[:] = [as_of]
        res = run_cycle(cfg, store, source, as_of, channels=channels, kind="daemon")
        log.info("%s", describe_cycle(res))

    def catch_up(now_utc: dt.datetime) -> None:
        watch.check(now_utc)
        target = calendar.last_completed_session(now_utc)
        last = store.last_evaluated_session()
        if last is not None and target.isoformat() < last:
            raise ClockError(
                f"the system clock ({now_utc:%Y-%m-%d %H:%M} UTC) is before the last evaluated session {last} "
                f"of {store.path}; no cycle runs until the clock is right"
            )
        missed = sessions_missed(store, target)
        keep = cfg.schedule.max_catch_up_sessions
        todo, skipped = missed[-keep:], missed[:-keep]
        if skipped:
            log.warning(
                "%d missed sessions %s..%s are not caught up (limit [schedule].max_catch_up_sessions = %d); "
                "backfill them with `%s`",
                len(skipped),
                skipped[0],
                skipped[-1],
                keep,
                backfill_command(skipped[0], target),
            )
        if len(todo) > 1:
            log.info("catching up %d sessions %s..%s", len(todo), todo[0], todo[-1])
        for day in todo:
            cycle(day)
        log.info("next cycle at %s", next_run_time(cfg.schedule, now()).isoformat())

    # A scheduled run also covers sessions it missed (machine asleep past the misfire grace
    # time, a failed cycle yesterday): coalescing alone would silently skip them.
    job = catch_up

    def on_error(exc: BaseException) -> None:
        if isinstance(exc, ClockError) or not last_session:
            last = store.last_evaluated_session()
            day = calendar.to_date(last) if last else calendar.last_completed_session(now())
        else:
            day = last_session[0]
        try:
            record_pipeline_error(cfg, store, day, f"{type(exc).__name__}: {exc}", channels=channels)
        except Exception as inner:  # noqa: BLE001 - never let error reporting kill the daemon
            log.error("could not record the pipeline alert: %s", inner)

    return run_daemon(cfg.schedule, job, catch_up=catch_up, on_error=on_error, **daemon_kw)  # type: ignore[arg-type]
