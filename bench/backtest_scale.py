"""Scale: fetch, derive and replay a wide synthetic universe; a daily cycle; the demo.

Builds a seeded synthetic universe in the ``csv:DIR`` format (geometric random walks,
one CSV per symbol, synthetic FRED OAS/yield series and quarterly fundamentals) for each
size (default 10, 100 and 500 symbols x 10 years = 2,514 NYSE sessions) and runs, each
phase in its own child process (so peak memory is that phase's ``ru_maxrss``):

- fetch:  ``run_fetch`` from the folder into a fresh database;
- derive: ``update_signals`` over the whole history;
- replay: ``run_backtest`` (the rules replayed over every stored session);
- once:   ``aimonitor run --once`` (a CLI process, start-up included) for one new session on
  a database warmed through the session before (fetched, derived, one cycle run);
- derive1: on a copy of that warm database, the new session fetched, then only
  ``update_signals`` timed in-process (the daily cycle's derivation of one session);

plus, with ``--demo``, ``aimonitor demo`` wall time. The same phases run against the base
implementation (commit 212d27a, from a ``git worktree`` with PYTHONPATH at its ``src``) on
the sizes named by ``--base-sizes`` (default 10), each base phase capped at ``--base-cap``
seconds. Every time is printed as wall and CPU (``time.process_time`` of the child; the
machine is shared, CPU time is the steadier figure). Each implementation runs with its own
packaged default config (its rules), with the watchlist, FRED series and source replaced.

    python bench/backtest_scale.py                      # 10, 100, 500 symbols; base on 10
    python bench/backtest_scale.py --sizes 10,50 --demo
    python bench/backtest_scale.py --sizes 10 --base-sizes ""   # no base run
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASE_COMMIT = "212d27a"
BASE_DIR = Path(tempfile.gettempdir()) / "base212"
NAMED = ["ORCL", "NVDA", "AMD", "CRWV", "AVGO", "MSFT", "META", "AMZN", "GOOGL", "SMH", "SOXX", "QQQ"]
FRED = {"BAMLC0A0CM": 1.2, "BAMLC0A4CBBB": 1.5, "BAMLH0A0HYM2": 4.0, "DGS5": 3.0, "DGS10": 3.5}
FIRST, LAST = "2016-01-04", "2025-12-31"  # 2,514 NYSE sessions


def symbols(n: int) -> list[str]:
    return (NAMED + [f"S{i:03d}" for i in range(n)])[:n]


# --------------------------------------------------------------------------- universe


def build_universe(folder: Path, n: int, seed: int = 14) -> list[str]:
    """One CSV per symbol (+ SPY), FRED files and fundamentals.csv; returns the session dates."""
    import numpy as np

    from aimonitor import calendar

    days = [d.isoformat() for d in calendar.sessions(FIRST, LAST)]
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    t = len(days)
    market = rng.normal(0.0003, 0.011, t)
    header = "date,open,high,low,close,adj_close,volume\n"
    for sym in ["SPY", *symbols(n)]:
        beta = 1.0 if sym == "SPY" else rng.uniform(0.6, 1.6)
        idio = 0.0 if sym == "SPY" else rng.uniform(0.008, 0.03)
        r = beta * market + rng.normal(0, idio, t) if idio else market
        close = rng.uniform(20, 300) * np.exp(np.cumsum(r))
        opn = close * np.exp(rng.normal(0, 0.004, t))
        high = np.maximum(opn, close) * (1 + np.abs(rng.normal(0, 0.006, t)))
        low = np.minimum(opn, close) * (1 - np.abs(rng.normal(0, 0.006, t)))
        vol = rng.integers(1_000_000, 50_000_000, t)
        lines = [
            f"{d},{o:.4f},{h:.4f},{lo:.4f},{c:.4f},{c:.4f},{v}\n"
            for d, o, h, lo, c, v in zip(days, opn, high, low, close, vol)
        ]
        (folder / f"{sym}.csv").write_text(header + "".join(lines), encoding="utf-8")
    for series, level in FRED.items():
        path = np.maximum(0.2, level + np.cumsum(rng.normal(0, 0.02, t)))
        body = "".join(f"{d},{v:.2f}\n" for d, v in zip(days, path))
        (folder / f"FRED_{series}.csv").write_text("date,value\n" + body, encoding="utf-8")
    rows = ["symbol,period_end,filed_date,short_term_debt,long_term_debt,total_debt,shares_outstanding\n"]
    import datetime as dt

    for sym in symbols(n):
        debt = rng.uniform(5e9, 100e9)
        shares = rng.uniform(2e8, 5e9)
        for year in range(2015, 2026):
            for month in (3, 6, 9, 12):
                end = dt.date(year, month, 28)
                filed = end + dt.timedelta(days=40)
                if filed > dt.date(2025, 12, 31):
                    continue
                debt *= float(np.exp(rng.normal(0.01, 0.05)))
                st = debt * 0.1
                rows.append(f"{sym},{end},{filed},{st:.0f},{debt - st:.0f},{debt:.0f},{shares:.0f}\n")
    (folder / "fundamentals.csv").write_text("".join(rows), encoding="utf-8")
    return days


def write_config(src_root: Path, path: Path, n: int, data: Path, db: Path) -> None:
    """The implementation's own packaged config with watchlist, FRED, source and storage replaced."""
    text = (src_root / "config" / "aimonitor.toml").read_text(encoding="utf-8")
    syms = json.dumps(symbols(n))
    text = re.sub(r"(?m)^symbols = \[.*\]$", f"symbols = {syms}", text, count=1)
    text = re.sub(r"(?m)^proxies = \[.*\]$", "proxies = []", text, count=1)
    text = re.sub(r"(?m)^series = \[.*\]$", f"series = {json.dumps(list(FRED))}", text, count=1)
    text = re.sub(r'(?m)^default = "yahoo"$', f'default = "csv:{data}"', text, count=1)
    text = re.sub(r"(?m)^start = \d{4}-\d\d-\d\d$", f"start = {FIRST}", text, count=1)
    text = re.sub(r'(?m)^path = "aimonitor.db"$', f"path = {json.dumps(str(db))}", text, count=1)
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- child phases


def child(phase: str, config: str, data: str, as_of: str, replay_from: str) -> None:
    """Run one phase in this process and print {wall, cpu, maxrss_mb} as JSON."""
    import datetime as dt
    import resource

    t0 = time.perf_counter()
    from aimonitor import pipeline
    from aimonitor.config import load_config
    from aimonitor.store import Store

    cfg = load_config(config)
    store = Store(cfg.storage.path)
    day = dt.date.fromisoformat(as_of)
    prof_path = os.environ.get("AIMON_BENCH_PROFILE")
    prof = None
    if prof_path:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t1, c1 = time.perf_counter(), time.process_time()
    extra: dict[str, object] = {}
    if phase == "fetch":
        from aimonitor.ingest import run_fetch
        from aimonitor.sources.csvdir import CsvDirSource

        rep = run_fetch(cfg, store, CsvDirSource(data), as_of=day)
        extra["rows"] = sum(r.rows_new for r in rep.symbols.values())
    elif phase == "derive":
        extra["rows"] = pipeline.update_signals(cfg, store, day)
    elif phase == "replay":
        res = pipeline.run_backtest(cfg, store, dt.date.fromisoformat(replay_from), day)
        extra["alerts"] = len(getattr(res, "alerts", []) or [])
    elif phase == "derive1":  # the new session fetched untimed, then its derivation alone
        from aimonitor.ingest import run_fetch
        from aimonitor.sources.csvdir import CsvDirSource

        if prof is not None:
            prof.disable()
        run_fetch(cfg, store, CsvDirSource(data), as_of=day)
        import aimonitor.analytics.spreads  # noqa: F401  # loaded by the cycle before it derives
        import aimonitor.loopdata  # noqa: F401

        if prof is not None:
            prof.enable()
        t1, c1 = time.perf_counter(), time.process_time()
        extra["rows"] = pipeline.update_signals(cfg, store, day)
    elif phase == "cycle":  # warm the alert state: one cycle on stored data
        pipeline.run_cycle(cfg, store, None, day, alerts_dir=str(Path(config).parent / "alerts"))
    store.close()
    t2, c2 = time.perf_counter(), time.process_time()
    if prof is not None and prof_path:
        prof.disable()
        prof.dump_stats(prof_path % phase)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": t2 - t1, "cpu": c2 - c1, "setup": t1 - t0, "maxrss_mb": rss, **extra}))


def run_child(src: Path, args: list[str], cap: float | None) -> dict | None:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, __file__, "--child", *args]
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=cap, check=False)
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        tail = out.stderr.strip().splitlines()[-3:]
        print(f"    child {args[0]} failed: {' | '.join(tail)}", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_cli(src: Path, argv: list[str], cwd: Path, cap: float | None) -> dict | None:
    """Wall and CPU (children's user+sys) of one CLI process."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    before = os.times()
    t0 = time.perf_counter()
    try:
        out = subprocess.run(
            [sys.executable, "-m", "aimonitor", *argv], env=env, cwd=cwd, capture_output=True, text=True, timeout=cap
        )
    except subprocess.TimeoutExpired:
        return None
    wall = time.perf_counter() - t0
    after = os.times()
    if out.returncode not in (0, 3):
        tail = out.stderr.strip().splitlines()[-2:]
        print(f"    {' '.join(argv[:3])} failed ({out.returncode}): {' | '.join(tail)}", file=sys.stderr)
        return None
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"wall": wall, "cpu": cpu}


# --------------------------------------------------------------------------- driver


def ensure_base() -> Path | None:
    if not (BASE_DIR / "src" / "aimonitor").is_dir():
        r = subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(BASE_DIR), BASE_COMMIT],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            print(f"base worktree unavailable: {r.stderr.strip()}", file=sys.stderr)
            return None
    return BASE_DIR


ALL_PHASES = ("fetch", "derive", "replay", "once", "derive1")


def measure(
    root: Path,
    work: Path,
    n: int,
    data: Path,
    days: list[str],
    cap: float | None,
    phases: tuple[str, ...] = ALL_PHASES,
) -> dict[str, dict | None]:
    """The ``phases`` of one implementation (``root`` = its checkout) on one universe (a phase
    runs only after the phases it needs: derive after fetch, replay after derive)."""
    src = root / "src"
    work.mkdir(parents=True, exist_ok=True)
    db = work / "full.db"
    cfg = work / "full.toml"
    write_config(root, cfg, n, data, db)
    last, prev = days[-1], days[-2]
    out: dict[str, dict | None] = {}
    out["fetch"] = run_child(src, ["fetch", str(cfg), str(data), last, days[0]], cap)
    if "derive" in phases or "replay" in phases:
        out["derive"] = run_child(src, ["derive", str(cfg), str(data), last, days[0]], cap) if out["fetch"] else None
    if "replay" in phases:
        out["replay"] = run_child(src, ["replay", str(cfg), str(data), last, days[0]], cap) if out["derive"] else None
    if "once" not in phases and "derive1" not in phases:
        return out
    # a database warmed through the session before, then one CLI cycle for the new session
    wdb, wcfg = work / "warm.db", work / "warm.toml"
    write_config(root, wcfg, n, data, wdb)
    ok = all(run_child(src, [p, str(wcfg), str(data), prev, days[0]], cap) for p in ("fetch", "derive", "cycle"))
    if "derive1" in phases:
        one_db, one_cfg = work / "one.db", work / "one.toml"
        write_config(root, one_cfg, n, data, one_db)
        if ok:
            shutil.copy(wdb, one_db)
        out["derive1"] = run_child(src, ["derive1", str(one_cfg), str(data), last, days[0]], cap) if ok else None
    if "once" in phases:
        argv = ["--config", str(wcfg), "run", "--once", "--as-of", last, "--source", f"csv:{data}"]
        out["once"] = run_cli(src, argv, work, cap) if ok else None
    return out


def fmt(r: dict | None, key: str = "wall") -> str:
    return "      -" if r is None else f"{r[key]:7.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,500", help="symbols per universe, comma-separated")
    ap.add_argument("--base-sizes", default="10", help="sizes also run on the base implementation")
    ap.add_argument("--base-cap", type=float, default=180.0, help="seconds before a base phase is given up")
    ap.add_argument("--cap", type=float, default=None, help="seconds before a current phase is given up")
    ap.add_argument("--demo", action="store_true", help="also time `aimonitor demo` (current and base)")
    ap.add_argument("--keep", help="keep the work folder here")
    ap.add_argument(
        "--phases",
        default=",".join(ALL_PHASES),
        help="phases to run (fetch always runs; derive runs before replay)",
    )
    ap.add_argument("--profile", help="write a cProfile of every child phase to this folder (PHASE-SIZE.prof)")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",") if s.strip()]
    base_sizes = {int(s) for s in a.base_sizes.split(",") if s.strip()}
    phases = tuple(p.strip() for p in a.phases.split(",") if p.strip())
    unknown = set(phases) - set(ALL_PHASES)
    if unknown:
        ap.error(f"unknown phase(s) {sorted(unknown)}; known: {', '.join(ALL_PHASES)}")
    if a.profile:
        Path(a.profile).mkdir(parents=True, exist_ok=True)
    base = ensure_base() if base_sizes or a.demo else None
    tmp = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="aimon-scale-"))
    sys.path.insert(0, str(REPO / "src"))
    print(f"{len(sessions_of())} sessions {FIRST}..{LAST}; work folder {tmp}")
    head = f"{'impl':>5} {'symbols':>7} | {'phase':>7} | {'wall s':>7} {'cpu s':>7} | {'peak MB':>8}"
    rows: list[tuple[str, int, str, dict | None]] = []
    try:
        for n in sizes:
            data = tmp / f"u{n}" / "data"
            t0 = time.perf_counter()
            days = build_universe(data, n)
            print(f"universe {n} symbols built in {time.perf_counter() - t0:.1f} s", flush=True)
            if a.profile:
                os.environ["AIMON_BENCH_PROFILE"] = str(Path(a.profile).resolve() / f"%s-{n}.prof")
            cur = measure(REPO, tmp / f"u{n}" / "cur", n, data, days, a.cap, phases)
            os.environ.pop("AIMON_BENCH_PROFILE", None)
            for ph, r in cur.items():
                rows.append(("cur", n, ph, r))
            if base is not None and n in base_sizes:
                old = measure(base, tmp / f"u{n}" / "base", n, data, days, a.base_cap, phases)
                for ph, r in old.items():
                    rows.append(("base", n, ph, r))
            _print(head, rows)
        if a.demo:
            for name, root in (("cur", REPO), ("base", base)):
                if root is None:
                    continue
                d = tmp / f"demo-{name}"
                d.mkdir(parents=True, exist_ok=True)
                r = run_cli(
                    root / "src",
                    ["--db", str(d / "demo.db"), "demo", "--out", str(d)],
                    d,
                    a.base_cap if name == "base" else None,
                )
                rows.append((name, 0, "demo", r))
            _print(head, rows)
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def sessions_of() -> list:
    from aimonitor import calendar

    return calendar.sessions(FIRST, LAST)


def _print(head: str, rows: list[tuple[str, int, str, dict | None]]) -> None:
    print(head)
    print("-" * len(head))
    for impl, n, ph, r in rows:
        mem = "       -" if r is None or "maxrss_mb" not in r else f"{r['maxrss_mb']:8.0f}"
        print(f"{impl:>5} {n:>7} | {ph:>7} | {fmt(r)} {fmt(r, 'cpu')} | {mem}")
    cur = {(n, ph): r for impl, n, ph, r in rows if impl == "cur"}
    ratios = []
    for impl, n, ph, r in rows:
        c = cur.get((n, ph))
        if impl == "base" and c is not None:
            if r is None:
                ratios.append(f"  {n} symbols {ph}: base did not finish within the cap (>{c['wall']:.1f} s current)")
            else:
                ratios.append(
                    f"  {n} symbols {ph}: base/current wall {r['wall'] / c['wall']:.1f}x, cpu {r['cpu'] / max(c['cpu'], 1e-9):.1f}x"
                )
    if ratios:
        print("ratio to base " + BASE_COMMIT + ":")
        print("\n".join(ratios))
    sys.stdout.flush()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:7])
    else:
        main()
