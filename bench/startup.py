"""Start-up: `aimonitor run --once` for one new session, and `status`, `alerts list`, `rules check`.

Builds (once, in ``--work``) the warmed 10-symbol setup of issue #14 with the helpers of
``bench/backtest_scale.py``: a synthetic ``csv:DIR`` universe of 10 symbols x 2,514 sessions,
a database fetched, derived and cycled through the session before the last one, saved as
``warm.db.bak``. Then, for each command, restores the database and prints, as the median of
``--repeat`` CLI processes:

- wall and CPU time (user+sys of the child) of the whole process;
- import time (the sum of the top-level entries of ``python -X importtime``, one more run;
  wall-clock microseconds as importtime reports them, so inflated on a busy machine);
- whether the process imported scipy, networkx, apprise or exchange_calendars;

and for ``run --once`` the split of one process's CPU time: imports (every module the command
loads, imported first), then the calendar (``default_as_of``), the fetch, the derivation
(``update_signals``) and the rest of the cycle (rules, alerts, delivery, output).

Bytecode: an installed package runs from cached ``.pyc`` files, so the children write and
read them under ``WORK/pycache`` (``PYTHONPYCACHEPREFIX``; nothing is written next to the
sources) after one untimed warm-up run. ``--no-bytecode`` times them as
``PYTHONDONTWRITEBYTECODE=1`` does (every module of the package compiled on every start).

    python bench/startup.py                 # build the setup if needed, 3 runs per command
    python bench/startup.py --repeat 5 --work /tmp/startup_bench --rebuild
    git archive bb6c4ed src | tar -x -C /tmp/base && python bench/startup.py --src /tmp/base/src   # before
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
HEAVY = ("scipy", "networkx", "apprise", "exchange_calendars")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import backtest_scale as scale  # noqa: E402 - the universe and config helpers live there


def build(work: Path) -> tuple[Path, Path, str]:
    """The warmed setup (config, data folder, the session to run); built when missing."""
    data, cfg, db = work / "data", work / "warm.toml", work / "warm.db"
    meta = work / "meta.json"
    if meta.exists() and (work / "warm.db.bak").exists():
        return cfg, data, json.loads(meta.read_text())["last"]
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    days = scale.build_universe(data, 10)
    scale.write_config(REPO, cfg, 10, data, db)
    prev, last = days[-2], days[-1]
    for phase in ("fetch", "derive", "cycle"):
        if scale.run_child(SRC, [phase, str(cfg), str(data), prev, days[0]], None) is None:
            raise SystemExit(f"building the warmed setup failed in phase {phase}")
    shutil.copyfile(db, work / "warm.db.bak")
    meta.write_text(json.dumps({"last": last}))
    return cfg, data, last


def restore(work: Path) -> None:
    shutil.copyfile(work / "warm.db.bak", work / "warm.db")
    for p in (work / "alerts").glob("*"):
        p.unlink()


ENV: dict[str, str] = {}


def child_env(work: Path, bytecode: bool, src: Path) -> None:
    """The children's environment: ``src`` first on the path; bytecode cached in WORK or never written."""
    ENV.clear()
    ENV.update({k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")})
    ENV["PYTHONPATH"] = str(src)
    if bytecode:
        ENV["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    else:
        ENV["PYTHONDONTWRITEBYTECODE"] = "1"


def run(argv: list[str], work: Path, flags: tuple[str, ...] = ()) -> tuple[float, float, str]:
    """Wall, CPU (user+sys) and stderr of one `python -m aimonitor ARGV` process."""
    env = ENV
    before = os.times()
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, *flags, "-m", "aimonitor", *argv], env=env, cwd=work, capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    after = os.times()
    if out.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(argv)} failed ({out.returncode}): {out.stderr.strip()[-400:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, out.stderr


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def imports(stderr: str) -> tuple[float, set[str]]:
    """Total import time (s) and the imported top-level packages, from `-X importtime` output."""
    total, names = 0, set()
    for line in stderr.splitlines():
        m = _IMPORT_LINE.match(line)
        if not m:
            continue
        names.add(m.group(4).split(".")[0])
        if len(m.group(3)) == 1:  # a top-level entry: its cumulative time holds its children's
            total += int(m.group(2))
    return total / 1e6, names


def phases(argv: list[str], work: Path) -> dict[str, float]:
    """CPU split of one `run --once` process (the --phase-child below, in a fresh interpreter)."""
    env = ENV
    listing = subprocess.run(
        [sys.executable, __file__, "--modules-child", *argv], env=env, cwd=work, capture_output=True, text=True
    )
    restore(work)
    mods = listing.stdout.strip().splitlines()[-1]
    out = subprocess.run(
        [sys.executable, __file__, "--phase-child", mods, *argv], env=env, cwd=work, capture_output=True, text=True
    )
    if out.returncode not in (0, 3):
        raise SystemExit(f"phase child failed: {out.stderr.strip()[-400:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def modules_child(argv: list[str]) -> None:
    """Run the CLI; print (last line) the modules it loaded, in load order, as JSON."""
    import atexit

    before = set(sys.modules)

    def dump() -> None:
        sys.stdout.write("\n" + json.dumps([m for m in sys.modules if m not in before]) + "\n")

    atexit.register(dump)
    sys.argv = ["aimonitor", *argv]
    from aimonitor.cli import main

    main()


def phase_child(mods_json: str, argv: list[str]) -> None:
    """Import the command's modules first (timed), then run it with its phases timed."""
    import importlib
    import io
    from contextlib import redirect_stdout

    c0 = time.process_time()
    for m in json.loads(mods_json):
        if m != "__main__":
            try:
                importlib.import_module(m)
            except Exception:  # noqa: BLE001, S112 - optional back-ends some packages probe
                continue
    spent = {"imports": time.process_time() - c0}

    from aimonitor import cli, pipeline

    def timed(mod: object, name: str, label: str) -> None:
        fn = getattr(mod, name)

        def wrapper(*a: object, **k: object) -> object:
            c = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - c

        setattr(mod, name, wrapper)

    timed(cli, "default_as_of", "calendar")
    timed(pipeline, "_fetch_for_cycle", "fetch")
    timed(pipeline, "update_signals", "derive")
    c1 = time.process_time()
    sys.argv = ["aimonitor", *argv]
    buf = io.StringIO()
    try:
        with redirect_stdout(buf):
            cli.main()
    except SystemExit as exc:
        if exc.code not in (0, 3, None):
            raise
    total = time.process_time() - c1
    spent["rules, alerts, output"] = total - sum(v for k, v in spent.items() if k != "imports")
    print(json.dumps(spent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "aimonitor_startup_bench")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rebuild", action="store_true", help="build the warmed setup again")
    ap.add_argument("--no-bytecode", action="store_true", help="as PYTHONDONTWRITEBYTECODE=1: compile on every start")
    ap.add_argument(
        "--src", type=Path, default=SRC, help="the tree to time, e.g. an older commit's src (default: this one)"
    )
    args = ap.parse_args()
    if args.rebuild:
        shutil.rmtree(args.work, ignore_errors=True)
    cfg, data, last = build(args.work)
    child_env(args.work, not args.no_bytecode, args.src.resolve())
    base = ["--config", str(cfg)]
    commands = {
        "run --once": [*base, "run", "--once", "--as-of", last, "--source", f"csv:{data}"],
        "status": [*base, "status"],
        "alerts list": [*base, "alerts", "list"],
        "rules check": [*base, "rules", "check"],
    }
    mode = "no bytecode cache" if args.no_bytecode else "bytecode cached"
    print(f"{args.src}: warmed 10-symbol setup in {args.work}; run --once for {last}; {mode}; median of {args.repeat}")
    for argv in commands.values():  # warm-up: bytecode written, the session cache built
        restore(args.work)
        run(argv, args.work)
    print(f"{'command':<14}{'wall s':>8}{'cpu s':>8}{'imports s':>11}  loads {', '.join(HEAVY)}?")
    for label, argv in commands.items():
        walls, cpus = [], []
        for _ in range(args.repeat):
            restore(args.work)
            w, c, _err = run(argv, args.work)
            walls.append(w)
            cpus.append(c)
        restore(args.work)
        _w, _c, err = run(argv, args.work, ("-X", "importtime"))
        imp, names = imports(err)
        heavy = ", ".join(h for h in HEAVY if h in names) or "none"
        print(f"{label:<14}{statistics.median(walls):>8.2f}{statistics.median(cpus):>8.2f}{imp:>11.2f}  {heavy}")
    restore(args.work)
    split = phases(commands["run --once"], args.work)
    restore(args.work)
    print("run --once CPU split (s): " + ", ".join(f"{k} {v:.2f}" for k, v in split.items()))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--modules-child":
        modules_child(sys.argv[2:])
    elif len(sys.argv) > 2 and sys.argv[1] == "--phase-child":
        phase_child(sys.argv[2], sys.argv[3:])
    else:
        main()
