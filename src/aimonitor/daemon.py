"""The background daemon: APScheduler 3.x wiring only (the only apscheduler user).

One job runs the monitoring cycle after the close of every NYSE session. The trigger is
session-aware (:class:`SessionCloseTrigger`): its next fire time is the configured
wall-clock time in the configured time zone on the next *exchange session*, so exchange
holidays are skipped and DST changes are handled by the time zone, not by arithmetic.
The scheduler coalesces missed runs, allows one instance at a time and a generous
misfire grace time; at start it catches up sessions missed while it was down. SIGTERM
and SIGINT shut it down cleanly (exit 0).
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # apscheduler is imported by run_daemon only: `run --once` and `status` never load it
    from apscheduler.events import JobExecutionEvent

from aimonitor import calendar
from aimonitor.config import ScheduleConfig

log = logging.getLogger(__name__)


class SessionCloseTrigger:
    """Fires at ``HH:MM`` (in ``timezone``) on each NYSE session day.

    An APScheduler trigger: :func:`run_daemon` registers it as a virtual subclass of
    apscheduler's ``BaseTrigger`` (an ABC), so computing a next run time imports no apscheduler.
    """

    def __init__(self, time: str, timezone: str) -> None:
        hh, mm = time.split(":")
        self.hour, self.minute = int(hh), int(mm)
        self.timezone = ZoneInfo(timezone)

    def _at(self, day: dt.date) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, self.hour, self.minute, tzinfo=self.timezone)

    def get_next_fire_time(self, previous_fire_time: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
        ref = previous_fire_time or now
        local = ref.astimezone(self.timezone)
        day = local.date()
        candidate = self._at(day)
        if calendar.is_session(day) and (candidate > ref or (previous_fire_time is None and candidate >= now)):
            return candidate
        return self._at(calendar.next_session(day))

    def __str__(self) -> str:
        return f"session close trigger {self.hour:02d}:{self.minute:02d} {self.timezone.key}"


def next_run_time(schedule: ScheduleConfig, now: dt.datetime) -> dt.datetime:
    """When the daemon will next run, seen from ``now`` (timezone-aware)."""
    fire = SessionCloseTrigger(schedule.time, schedule.timezone).get_next_fire_time(None, now)
    assert fire is not None
    return fire


def run_daemon(
    schedule: ScheduleConfig,
    job: Callable[[dt.datetime], None],
    catch_up: Callable[[dt.datetime], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    install_signals: bool = True,
    started: threading.Event | None = None,
) -> int:
    """Block running ``job(now_utc)`` on the session schedule until SIGTERM/SIGINT; return 0.

    ``catch_up(now_utc)`` runs once at start (missed sessions). ``on_error`` is called with
    any exception a job raised (the pipeline turns it into a pipeline alert); the daemon
    keeps running.
    """
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.base import BaseTrigger

    BaseTrigger.register(SessionCloseTrigger)  # what add_job checks with isinstance
    sched = BlockingScheduler(
        timezone=ZoneInfo(schedule.timezone),
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": schedule.misfire_grace_seconds},
    )
    busy = threading.Lock()  # held while a cycle runs, so shutdown can wait for it
    stopping = threading.Event()

    def _run() -> None:
        with busy:
            job(dt.datetime.now(dt.UTC))

    def _listener(event: JobExecutionEvent) -> None:
        if event.exception is not None:
            # every failure is logged (one line, no traceback), however often it repeats
            msg = str(event.exception).splitlines()[0] if str(event.exception) else ""
            log.error("monitoring cycle failed: %s: %s", type(event.exception).__name__, msg)
            if on_error:
                on_error(event.exception)

    sched.add_listener(_listener, EVENT_JOB_ERROR | EVENT_JOB_EXECUTED)
    sched.add_job(
        _run,
        SessionCloseTrigger(schedule.time, schedule.timezone),
        id="cycle",
        name="monitoring cycle",
        replace_existing=True,
    )

    def _stop(signum: int, _frame: object) -> None:
        log.warning("received %s, shutting down", signal.Signals(signum).name)
        if stopping.is_set():
            # a second signal: stop waiting for the running cycle (its writes are atomic)
            raise _Shutdown
        stopping.set()
        if sched.running:
            sched.shutdown(wait=False)  # never block in a signal handler
        else:
            # before the scheduler runs (catch-up, start-up): interrupt right here
            raise _Shutdown

    if install_signals:
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    try:
        if catch_up is not None and schedule.catch_up:
            try:
                catch_up(dt.datetime.now(dt.UTC))
            except Exception as exc:  # noqa: BLE001 - a failed catch-up must not stop the daemon
                log.error("catch-up failed: %s", exc)
                if on_error:
                    on_error(exc)
        if stopping.is_set():
            raise _Shutdown
        nxt = next_run_time(schedule, dt.datetime.now(dt.UTC))
        log.info("aimonitor daemon started; next cycle at %s", nxt.isoformat())
        if started is not None:
            started.set()
        sched.start()
        if busy.locked():
            log.warning("waiting for the running cycle to finish (signal again to abandon it)")
        with busy:
            pass
    except _Shutdown:
        pass
    log.info("aimonitor daemon stopped")
    return 0


class _Shutdown(BaseException):
    """Raised by the signal handler to leave the daemon before the scheduler loop runs."""
