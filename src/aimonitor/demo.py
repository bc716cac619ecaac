"""``aimonitor demo``: the whole product offline on the bundled real snapshot.

A fresh database (never the user's configured one unless ``--db`` is given) is loaded
with the curated event catalog; then the monitoring cycle is replayed session by session
from ``start`` to ``end`` (:func:`aimonitor.pipeline.replay_cycles`: the snapshot is
fetched and the signals derived once, then each session is evaluated, persisted and
delivered by the same code the daemon's :func:`~aimonitor.pipeline.run_cycle` runs; it
stores what running that cycle on each session in turn stores). Fired alerts land in ``out/alerts/`` (never
in the configured ``[notify].alerts_dir``, which belongs to the live daemon); the
dashboard, the event study of every catalog event and the spread charts land in ``out``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aimonitor import calendar

if TYPE_CHECKING:  # the rest is imported by run_demo: `status` and `alerts list` read DEMO_DB only
    from aimonitor.config import AppConfig
    from aimonitor.store import Store

log = logging.getLogger(__name__)

DEFAULT_START = dt.date(2025, 6, 2)
#: Where the demo keeps its database with the default --out; read-only commands fall back to it
#: while the user's own database does not exist yet.
DEMO_DB = Path("reports") / "demo.db"


@dataclass
class DemoResult:
    db: str
    start: dt.date
    end: dt.date
    sessions: int
    seconds: float
    alerts_dir: str
    fired: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    reports: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "db": self.db,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "sessions": self.sessions,
            "seconds": round(self.seconds, 2),
            "alerts_dir": self.alerts_dir,
            "fired": self.fired,
            "alerts": self.alerts,
            "reports": self.reports,
        }


def run_demo(
    cfg: AppConfig,
    *,
    db: str | None = None,
    out_dir: str | Path = "reports",
    start: dt.date | None = None,
    end: dt.date | None = None,
    alerts_dir: str | None = None,
    progress: Callable[..., None] | None = None,
    generated_at: str | None = None,
) -> DemoResult:
    """Replay the monitoring cycle over the snapshot; returns what fired and where the reports are.

    ``alerts_dir`` defaults to ``out_dir/alerts``. ``progress(label, done=None, total=None)``
    is called per phase and per replayed session.
    """
    from aimonitor.config import StorageConfig
    from aimonitor.pipeline import alert_doc, replay_cycles
    from aimonitor.services import import_events
    from aimonitor.sources.snapshot import SnapshotSource
    from aimonitor.store import Store

    t0 = time.perf_counter()
    tick: Callable[..., None] = progress or (lambda *_a, **_k: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start, end = _demo_range(start, end)
    db_path = _demo_db(out, db)
    cfg = cfg.model_copy(update={"storage": StorageConfig(path=str(db_path))})
    adir = str(alerts_dir) if alerts_dir else str(out / "alerts")
    days = calendar.sessions(start, end)
    with Store(db_path) as store:
        tick("loading the snapshot")
        import_events(store, cfg.events.catalog)
        replay_cycles(cfg, store, SnapshotSource(), days, channels=(), alerts_dir=adir, kind="demo", progress=tick)
        fired = _fired(store)
        alerts = store.read_alerts("all")
        tick("writing reports")
        reports = _write_reports(cfg, store, out, end, generated_at)
    return DemoResult(
        db=str(db_path),
        start=start,
        end=end,
        sessions=len(days),
        seconds=time.perf_counter() - t0,
        alerts_dir=str(adir),
        fired=fired,
        alerts=[alert_doc(a) for a in alerts],
        reports=reports,
    )


def _demo_range(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The sessions to replay: ``start`` (default :data:`DEFAULT_START`) to ``end``, within the snapshot."""
    from aimonitor.sources.snapshot import snapshot_last_session

    last = snapshot_last_session()
    end = calendar.session_on_or_before(min(end or last, last))
    start = calendar.session_on_or_after(start or DEFAULT_START)
    if start > end:
        from aimonitor.errors import DataError

        raise DataError(f"--from {start} is after --to {end} (the snapshot ends on {last})")
    return start, end


def _demo_db(out: Path, db: str | None) -> Path:
    """The demo's database: ``db`` when given, else a fresh ``out/demo.db`` (an old one is removed)."""
    if db is not None:
        return Path(db)
    db_path = out / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    return db_path


def _fired(store: Store) -> dict[str, dict[str, Any]]:
    """Rule -> how many alerts started firing, and on which symbols (first firing order)."""
    fired: dict[str, dict[str, Any]] = {}
    for tr in store.read_transitions():
        if tr["to_state"] == "firing" and tr["from_state"] != "firing":
            info = fired.setdefault(tr["payload"]["rule"], {"count": 0, "symbols": []})
            info["count"] += 1
            sym = tr["payload"].get("symbol")
            if sym and sym not in info["symbols"]:
                info["symbols"].append(sym)
    return fired


def _write_reports(cfg: AppConfig, store: Store, out: Path, end: dt.date, generated_at: str | None) -> dict[str, Any]:
    """The event-study, spread and dashboard reports under ``out``; name -> path (None when skipped)."""
    from aimonitor.report.eventstudy import write_study_report
    from aimonitor.reports import write_dashboard_report
    from aimonitor.services import spreads_charts, study_stored_events
    from aimonitor.study import StudyOptions

    reports: dict[str, Any] = {}
    try:
        res = study_stored_events(cfg, store, [], True, StudyOptions())
        paths = write_study_report(res, out / "events", title="Event study: every catalog event")
        reports["event_study"] = str(paths[0])
    except Exception as exc:  # noqa: BLE001 - the demo still shows the rest
        log.warning("event study report skipped: %s", exc)
        reports["event_study"] = None
    reports["spreads_dir"] = str(out / "spreads")
    reports["spreads"] = [
        str(p) for p in spreads_charts(cfg, store, out / "spreads", since=dt.date(2025, 6, 2), as_of=end)
    ]
    # last, so it links the event-study and spread reports written above
    reports["dashboard"] = str(
        write_dashboard_report(cfg, store, out, start=dt.date(2025, 1, 2), end=end, generated_at=generated_at)
    )
    return reports
