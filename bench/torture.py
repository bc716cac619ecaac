"""Torture test of the one-writer and at-most-once guarantees (issue 12).

Runs real ``aimonitor`` subprocesses on temporary databases:

* **pairs**: for each of N trials, for each of a few sessions, ``run --once --source
  snapshot --as-of D`` and, at the same moment, either ``fetch --source snapshot --as-of D``
  or a second identical ``run --once`` (chosen at random) on the same database;
* **kills**: N times, a ``run --once`` is SIGKILLed after a random delay (uniform over the
  measured length of a cycle), then the session is run again to completion.

Notifications go to a local webhook (``json://127.0.0.1:PORT/hook``) that counts what it
receives by the ``Idempotency-Key`` header. Every final database is compared with a
reference built by running the same sessions one after the other, and printed:

    trials, tracebacks, diverging states, duplicate sends  (all should be 0 but trials)

plus what the design allows and reports: processes that gave up waiting for the lock
(one ``Error: another run holds ...`` line), and notifications a kill left ``sending``
(visible in ``aimonitor status``, not re-sent blindly).

Usage: ``python bench/torture.py [--trials N] [--kills N] [--seed S]``. It takes a few
minutes on two cores (each subprocess imports pandas and reads the snapshot).
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "aimonitor.toml"
SEED_AS_OF = "2026-02-03"
SESSIONS = ["2026-02-04", "2026-02-05", "2026-02-06"]


class Hook(http.server.BaseHTTPRequestHandler):
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Idempotency-Key", "?")
        with self.lock:
            type(self).counts[f"{self.server.server_address[1]}:{self.path}:{key}"] += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a: object) -> None:
        pass


def cli(db: Path, cwd: Path, hook: str, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIMONITOR_")}
    env["AIMONITOR_NOTIFY_URLS"] = hook
    return subprocess.Popen(
        [sys.executable, "-m", "aimonitor", "--config", str(cwd / "cfg.toml"), "--db", str(db), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def state(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as con:
        return {
            "alerts": sorted(con.execute("SELECT id, state, value, started, fired, resolved FROM alerts")),
            "alert_state": sorted(con.execute("SELECT fingerprint, state_json FROM alert_state")),
            "transitions": sorted(con.execute("SELECT alert_id, session, to_state, payload FROM alert_transitions")),
            "bars": sorted(con.execute("SELECT symbol, COUNT(*), MAX(date) FROM bars GROUP BY symbol")),
            "signals": [con.execute("SELECT SUM(n), MAX(date) FROM signal_blocks").fetchone()],
        }


def workdir(base: Path, name: str, seed_db: Path) -> tuple[Path, Path]:
    d = base / name
    d.mkdir()
    text = CONFIG.read_text(encoding="utf-8").replace('alerts_dir = "alerts"', f'alerts_dir = "{d / "alerts"}"')
    (d / "cfg.toml").write_text(text, encoding="utf-8")
    db = d / "t.db"
    with sqlite3.connect(seed_db) as a, sqlite3.connect(db) as b:
        a.backup(b)
    return d, db


def finish(p: subprocess.Popen[bytes], timeout: float = 600) -> tuple[int, str]:
    _, err = p.communicate(timeout=timeout)
    return p.returncode, err.decode(errors="replace")


def jsonl_dupes(d: Path) -> int:
    f = d / "alerts" / "alerts.jsonl"
    if not f.exists():
        return 0
    keys = []
    for line in f.read_text(encoding="utf-8").splitlines():
        try:
            keys.append(json.loads(line)["key"])
        except (ValueError, KeyError):
            continue
    return len(keys) - len(set(keys))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=4, help="concurrent pair trials (each runs every session)")
    ap.add_argument("--kills", type=int, default=6, help="random SIGKILLs")
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    base = Path(tempfile.mkdtemp(prefix="aimonitor-torture-"))
    tracebacks = diverging = dupes = gave_up = stuck = trials = killed = 0
    t0 = time.perf_counter()
    try:
        # the seed: the snapshot fetched and one cycle run, so every trial starts warm
        seed_dir = base / "seed"
        seed_dir.mkdir()
        (seed_dir / "cfg.toml").write_text(CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
        seed = seed_dir / "seed.db"
        rc, err = finish(cli(seed, seed_dir, "", "run", "--once", "--source", "snapshot", "--as-of", SEED_AS_OF))
        assert rc == 0, err

        # the reference: the sessions one after the other
        ref_dir, ref_db = workdir(base, "ref", seed)
        hook = f"json://127.0.0.1:{port}/ref"
        durations = []
        for day in SESSIONS:
            t = time.perf_counter()
            rc, err = finish(cli(ref_db, ref_dir, hook, "run", "--once", "--source", "snapshot", "--as-of", day))
            durations.append(time.perf_counter() - t)
            assert rc == 0, err
        want = state(ref_db)
        want_sends = {k.rsplit(":", 1)[1] for k in Hook.counts if ":/ref:" in k}
        cycle_s = sum(durations) / len(durations)
        print(
            f"reference: {len(SESSIONS)} sessions, {len(want['transitions'])} transitions, "
            f"{len(want_sends)} notifications; a cycle takes {cycle_s:.1f}s"
        )

        # concurrent pairs
        for i in range(args.trials):
            d, db = workdir(base, f"pair{i}", seed)
            hook = f"json://127.0.0.1:{port}/pair{i}"
            for day in SESSIONS:
                other = rng.choice(["fetch", "run"])
                a = cli(db, d, hook, "run", "--once", "--source", "snapshot", "--as-of", day)
                if other == "fetch":
                    b = cli(db, d, hook, "fetch", "--source", "snapshot", "--as-of", day)
                else:
                    b = cli(db, d, hook, "run", "--once", "--source", "snapshot", "--as-of", day)
                for rc, err in (finish(a), finish(b)):
                    tracebacks += "Traceback" in err
                    if rc == 1 and "another run holds" in err:
                        gave_up += 1
                    elif rc != 0:
                        tracebacks += 1  # an unexpected failure counts as one
                        print(f"pair{i} {day}: exit {rc}: {err.strip()[-300:]}")
                trials += 1
            got = state(db)
            if got != want:
                diverging += 1
                print(f"pair{i}: diverging tables {[k for k in want if got[k] != want[k]]}")
            dupes += jsonl_dupes(d)

        # random SIGKILLs, each followed by a clean re-run of the same session
        for k in range(args.kills):
            d, db = workdir(base, f"kill{k}", seed)
            hook = f"json://127.0.0.1:{port}/kill{k}"
            victim = rng.randrange(len(SESSIONS))
            for j, day in enumerate(SESSIONS):
                cmd = ("run", "--once", "--source", "snapshot", "--as-of", day)
                if j == victim:
                    p = cli(db, d, hook, *cmd)
                    time.sleep(rng.uniform(0.0, cycle_s))
                    if p.poll() is None:
                        p.send_signal(signal.SIGKILL)
                        killed += 1
                    p.communicate()
                rc, err = finish(cli(db, d, hook, *cmd))
                tracebacks += "Traceback" in err
                if rc != 0:
                    tracebacks += 1
                    print(f"kill{k} {day}: exit {rc}: {err.strip()[-300:]}")
            trials += 1
            with sqlite3.connect(db) as con:
                ok = con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                stuck += con.execute("SELECT COUNT(*) FROM outbox WHERE status = 'sending'").fetchone()[0]
            got = state(db)
            if not ok or got != want:
                diverging += 1
                print(f"kill{k}: integrity {ok}, diverging tables {[x for x in want if got[x] != want[x]]}")
            dupes += jsonl_dupes(d)
    finally:
        srv.shutdown()
        shutil.rmtree(base, ignore_errors=True)
    dupes += sum(n - 1 for n in Hook.counts.values() if n > 1)
    print(
        f"trials: {trials} ({args.trials} x {len(SESSIONS)} concurrent pairs, {args.kills} kill trials, "
        f"{killed} processes killed mid-run)"
    )
    print(f"tracebacks: {tracebacks}")
    print(f"diverging states: {diverging}")
    print(f"duplicate sends: {dupes}")
    print(
        f"(waited too long for the lock and said so: {gave_up}; left 'sending' by a kill: {stuck}; "
        f"{time.perf_counter() - t0:.0f}s)"
    )
    return 0 if tracebacks == diverging == dupes == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
