"""Where ``aimonitor demo`` spends its time: phases of one in-process run, wall and CPU.

Runs :func:`aimonitor.demo.run_demo` once on the bundled snapshot (the default window,
or ``--from``/``--to``) into a temporary folder and splits the run at its progress
labels: fetch, signal derivation, the per-session replay (evaluate, persist, deliver)
and the reports. With ``--cycles`` it also times the per-session path the demo used
before (``run_cycle`` for every session, each fetching and deriving), on the same window
and without reports, and says whether the two stored the same alerts (a quick check;
``tests/test_demo_equivalence.py`` is the proof). Times are printed, never asserted; the
machine is shared, so CPU time (this process and its chart-drawing children) is the steadier
figure.

    python bench/demo_speed.py                          # the default demo window
    python bench/demo_speed.py --from 2026-01-26 --to 2026-02-27 --cycles
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import tempfile
import time
from pathlib import Path


def cpu() -> float:
    """CPU seconds of this process and of its finished children (the chart workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Clock:
    """Wall and CPU time of each phase, split where the progress label changes phase."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float, float]] = [("start", time.perf_counter(), cpu())]

    def mark(self, phase: str) -> None:
        if self.marks[-1][0] != phase:
            self.marks.append((phase, time.perf_counter(), cpu()))

    def progress(self, label: str, done: int | None = None, total: int | None = None) -> None:
        for prefix, phase in (
            ("fetching", "fetch"),
            ("deriving", "derive"),
            ("replaying", "replay"),
            ("writing reports", "reports"),
        ):
            if label.startswith(prefix):
                self.mark(phase)

    def report(self) -> list[tuple[str, float, float]]:
        self.mark("end")
        out = []
        for (name, w0, c0), (_n, w1, c1) in zip(self.marks, self.marks[1:]):
            out.append((name, w1 - w0, c1 - c0))
        return out


def _state(db: Path) -> list[list[tuple]]:
    with sqlite3.connect(db) as con:
        return [
            sorted(con.execute(f"SELECT * FROM {t}").fetchall())
            for t in ("alerts", "alert_transitions", "alert_state", "alert_history")
        ]


def run_cycles(start: dt.date, end: dt.date, folder: Path) -> tuple[float, float, Path]:
    """The old demo replay: load through the session before, then ``run_cycle`` per session."""
    from aimonitor import calendar
    from aimonitor.config import StorageConfig, load_config
    from aimonitor.ingest import run_fetch
    from aimonitor.pipeline import run_cycle
    from aimonitor.services import import_events
    from aimonitor.sources.snapshot import SnapshotSource
    from aimonitor.store import Store

    db = folder / "cycles.db"
    cfg = load_config(Path(__file__).resolve().parents[1] / "config" / "aimonitor.toml")
    cfg = cfg.model_copy(update={"storage": StorageConfig(path=str(db))})
    w, c = time.perf_counter(), cpu()
    src = SnapshotSource()
    with Store(db) as store:
        run_fetch(cfg, store, src, as_of=calendar.previous_session(start))
        import_events(store, cfg.events.catalog)
        for day in calendar.sessions(start, end):
            run_cycle(cfg, store, src, day, alerts_dir=folder / "cycles_alerts", kind="demo")
    return time.perf_counter() - w, cpu() - c, db


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="start", help="first session (default: the demo's)")
    ap.add_argument("--to", dest="end", help="last session (default: the snapshot's last)")
    ap.add_argument("--cycles", action="store_true", help="also time the per-session run_cycle path (no reports)")
    args = ap.parse_args()

    from aimonitor.config import load_config
    from aimonitor.demo import run_demo

    start = dt.date.fromisoformat(args.start) if args.start else None
    end = dt.date.fromisoformat(args.end) if args.end else None
    cfg = load_config(Path(__file__).resolve().parents[1] / "config" / "aimonitor.toml")
    with tempfile.TemporaryDirectory(prefix="demo_speed_") as tmp:
        folder = Path(tmp)
        clock = Clock()
        res = run_demo(cfg, out_dir=folder / "out", start=start, end=end, progress=clock.progress)
        print(f"demo {res.start}..{res.end}: {res.sessions} sessions, {len(res.alerts)} alerts")
        total_w = total_c = 0.0
        for name, w, c in clock.report():
            total_w, total_c = total_w + w, total_c + c
            print(f"  {name:8s} wall {w:7.2f} s  cpu {c:7.2f} s")
        print(f"  {'total':8s} wall {total_w:7.2f} s  cpu {total_c:7.2f} s")
        if args.cycles:
            w, c, db = run_cycles(res.start, res.end, folder)
            print(f"run_cycle per session (no reports): wall {w:.2f} s  cpu {c:.2f} s")
            same = _state(db) == _state(Path(res.db))
            print(f"same alerts, transitions, alert state and history: {same}")


if __name__ == "__main__":
    main()
