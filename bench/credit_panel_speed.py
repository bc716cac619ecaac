"""Time ``compute_spread_panel``: the old per-name path against the vectorised one (issue #14).

Run from the repository root::

    PYTHONPATH=src python bench/credit_panel_speed.py [--repeat 5] [--sizes 50,200,500] [--old-max 500] [--replay 20]

* ``snapshot``: the demo's inputs as ``pipeline.compute_panel`` reads them from a store loaded
  with the bundled snapshot (default config, the catalog's events, the reference CDS quotes,
  ``pipeline.HISTORY_SESSIONS`` = 520 sessions of history, the default watchlist of 4 names).
* ``snapshot replay``: what the demo does, one panel per session over the last ``--replay``
  sessions on its moving window; the new path remembers the implied OAS volatilities of
  earlier calls (``spreads._IMPLIED_MEMO``), the other cases clear that memo before every
  run (cold).
* ``synthetic N``: N random-walk names × 2,514 sessions (about ten years), two risk
  classes, late listings, gaps, filings, quotes and debt raises
  (``tests/test_credit_speed_equivalence.synthetic_universe``).

"old" is main's code frozen in ``tests/credit_speed_reference`` (commit 6070c04), run in
the same process on the same inputs, run by run alternately with the new one (the machine
may be shared); each case also checks that both panels agree (to 1e-9 relative, the
test's criterion). Times are medians of ``--repeat`` runs (a single old run above 50
names). Nothing is written anywhere but a temporary folder.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import credit_speed_reference.spreads as old_spreads  # noqa: E402  (needs tests/ on the path)
from aimonitor.analytics import spreads  # noqa: E402
from test_credit_speed_equivalence import assert_same_panel, synthetic_universe  # noqa: E402


def snapshot_inputs() -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``pipeline.compute_panel``'s arguments for the demo's last session."""
    from aimonitor import calendar, pipeline
    from aimonitor.config import StorageConfig, packaged_default_path, parse_config
    from aimonitor.ingest import run_fetch
    from aimonitor.services import import_cds_quotes, import_events
    from aimonitor.sources.snapshot import SnapshotSource, snapshot_last_session
    from aimonitor.store import Store

    cfg = parse_config(packaged_default_path().read_text())
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        cfg = cfg.model_copy(update={"storage": StorageConfig(path=db)})
        last = snapshot_last_session()
        with Store(db) as store:
            run_fetch(cfg, store, SnapshotSource(), as_of=last)
            import_events(store, cfg.events.catalog)
            import_cds_quotes(store, ROOT / "tests" / "fixtures" / "credit" / "cds_reference_points.csv")
            start = calendar.session_offset(last, -pipeline.HISTORY_SESSIONS)
            inp = pipeline.read_inputs(cfg, store, last, start=start)
    args = (inp.closes, inp.fundamentals, inp.fred, inp.fred, inp.cds_quotes if len(inp.cds_quotes) else None)
    kw = {
        "symbols": [s for s in cfg.watchlist.symbols if s in inp.closes.columns],
        "bucket_map": cfg.credit.rating_buckets,
        "params": pipeline.credit_params(cfg),
        "adj_closes": inp.adj_closes,
        "events": list(inp.events),
    }
    return args, kw


def replay(args: tuple[Any, ...], kw: dict[str, Any], days: int) -> None:
    """The demo's pattern: one panel per session over the last ``days`` sessions, each on a
    520-session window (the new path remembers the implied volatilities of earlier calls)."""
    closes, fund, rates, fred, quotes = args
    spreads._IMPLIED_MEMO.clear()
    cuts = closes.index[-days:]
    t_new = t_old = 0.0
    for cut in cuts:
        win = closes.loc[:cut].iloc[-521:]
        a = (win, fund, rates, fred, quotes)
        t0 = time.perf_counter()
        new = spreads.compute_spread_panel(*a, **kw)
        t_new += time.perf_counter() - t0
        t0 = time.perf_counter()
        old = old_spreads.compute_spread_panel(*a, **kw)
        t_old += time.perf_counter() - t0
        assert_same_panel(old, new)
    print(
        f"{'snapshot replay':<22} panels={days:<3} (one per session)   new {t_new / days:8.3f} s/panel"
        f"   old {t_old / days:8.3f} s/panel   speed-up {t_old / t_new:6.1f}x   equal: yes",
        flush=True,
    )


def synthetic_inputs(n: int, sessions: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    u = synthetic_universe(n, sessions, seed=n)
    args = (u["closes"], u["fund"], u["fred"], u["fred"], u["quotes"])
    return args, {"symbols": u["symbols"], "bucket_map": u["buckets"], "params": u["params"], "events": u["events"]}


def run_case(label: str, args: tuple[Any, ...], kw: dict[str, Any], repeat: int, with_old: bool) -> None:
    """Median times of new and old, interleaved run by run so both see the same machine load."""
    new = spreads.compute_spread_panel(*args, **kw)  # warm-up (imports, caches of parsed dates)
    names = len(kw["symbols"])
    old_runs = (repeat if names <= 50 else 1) if with_old else 0
    t_new, t_old, old = [], [], None
    for i in range(repeat):
        spreads._IMPLIED_MEMO.clear()  # cold: nothing remembered from the runs before
        t0 = time.perf_counter()
        new = spreads.compute_spread_panel(*args, **kw)
        t_new.append(time.perf_counter() - t0)
        if i < old_runs:
            t0 = time.perf_counter()
            old = old_spreads.compute_spread_panel(*args, **kw)
            t_old.append(time.perf_counter() - t0)
    tn = statistics.median(t_new)
    line = f"{label:<22} names={names:<4} sessions={len(args[0]):<5} new {tn:8.3f} s ({tn / names * 1e3:6.1f} ms/name)"
    if old is not None:
        assert_same_panel(old, new)
        to = statistics.median(t_old)
        line += f"   old {to:8.3f} s   speed-up {to / tn:6.1f}x   equal: yes"
    else:
        line += "   old (skipped: --old-max)"
    print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="50,200,500", help="synthetic universe sizes (names)")
    ap.add_argument("--sessions", type=int, default=2514)
    ap.add_argument("--old-max", type=int, default=500, help="largest universe the old path is timed on")
    ap.add_argument("--replay", type=int, default=20, help="sessions of the demo-like replay (0: none)")
    a = ap.parse_args()
    args, kw = snapshot_inputs()
    run_case("snapshot (demo inputs)", args, kw, a.repeat, True)
    if a.replay:
        replay(args, kw, a.replay)
    for n in [int(x) for x in a.sizes.split(",") if x]:
        args, kw = synthetic_inputs(n, a.sessions)
        run_case(f"synthetic {n}", args, kw, a.repeat, n <= a.old_max)


if __name__ == "__main__":
    main()
