"""Benchmark: the reports ``aimonitor demo`` writes (event study of every catalog event, spread
charts, dashboard), timed apart from the replay.

Workload: a store holding the bundled snapshot through 2026-02-27 (where the default demo ends) and the packaged catalog
(56 events, 79 firm-events); then, as the demo does after its replay,
``write_study_report`` of the study of every event, ``spreads_charts`` since 2025-06-02 and
``write_dashboard_report`` since 2025-01-02, into a temporary folder. Prints wall and CPU
seconds per report and the number of PNG files; nothing here is asserted.

Run: ``PYTHONPATH=src python bench/report_writing.py``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from aimonitor.config import load_config
from aimonitor.ingest import run_fetch
from aimonitor.report.eventstudy import write_study_report
from aimonitor.reports import write_dashboard_report
from aimonitor.services import import_events, spreads_charts, study_stored_events
from aimonitor.sources.snapshot import SnapshotSource
from aimonitor.store import Store
from aimonitor.study import StudyOptions

END = dt.date(2026, 2, 27)  # the default demo replays to the end of the snapshot


def main() -> None:
    cfg = load_config(Path(__file__).resolve().parents[1] / "config" / "aimonitor.toml")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        with Store(out / "b.db") as store:
            run_fetch(cfg, store, SnapshotSource(), as_of=END)
            import_events(store, cfg.events.catalog)
            res = study_stored_events(cfg, store, [], True, StudyOptions())
            steps = {
                "event study report": lambda: write_study_report(res, out / "events", title="every catalog event"),
                "spread charts": lambda: spreads_charts(
                    cfg, store, out / "spreads", since=dt.date(2025, 6, 2), as_of=END
                ),
                "dashboard": lambda: write_dashboard_report(
                    cfg, store, out, start=dt.date(2025, 1, 2), end=END, generated_at="bench"
                ),
            }
            total_w = total_c = 0.0
            for name, step in steps.items():
                w0, c0 = time.perf_counter(), time.process_time()
                step()
                w, c = time.perf_counter() - w0, time.process_time() - c0
                total_w, total_c = total_w + w, total_c + c
                print(f"{name:20s} wall {w:6.2f} s  cpu {c:6.2f} s")
            pngs = len(list(out.rglob("*.png")))
            print(f"{'total':20s} wall {total_w:6.2f} s  cpu {total_c:6.2f} s  ({pngs} PNG files)")


if __name__ == "__main__":
    main()
