"""Regression tests for the ten reliability findings of issue 12, one section per finding.

Each test failed on the code before the fix (base 212d27a) and passes after. Expected
values are facts of the scenario (what an operator must see), not outputs of the code
under test: a refused date changes nothing stored, a notification is received once, a
secret never appears in a log line.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import logging
import sqlite3
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from aimonitor import calendar
from aimonitor.cli import cli
from aimonitor.errors import ClockError, ConfigError, DataError, StorageError
from aimonitor.ingest import run_fetch
from aimonitor.notify import FILE_CHANNEL, AppriseChannel, FileSink, deliver
from aimonitor.pipeline import run_cycle
from aimonitor.sources.snapshot import SnapshotSource
from aimonitor.store import Store

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "aimonitor.toml"
NO_ENV = {"AIMONITOR_CONFIG": None, "AIMONITOR_DB": None, "AIMONITOR_NOTIFY_URLS": None}
D = dt.date


@pytest.fixture(autouse=True)
def _restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path, monkeypatch):
    """Cycles write alerts to the config's relative ``alerts/``: keep them out of the repository's."""
    monkeypatch.chdir(tmp_path)


def invoke(db: Path, *args: str, config: Path = CONFIG, env: dict | None = None):
    return CliRunner().invoke(
        cli, ["--config", str(config), "--db", str(db), *args], env={**NO_ENV, **(env or {})}, catch_exceptions=False
    )


@pytest.fixture(scope="module")
def base_db(tmp_path_factory):
    """Bars, FRED and fundamentals of the snapshot up to 2025-12-05 (copied per test)."""
    from aimonitor.config import load_config

    cfg = load_config(CONFIG)
    p = tmp_path_factory.mktemp("base") / "base.db"
    with Store(p) as s:
        run_fetch(cfg, s, SnapshotSource(), as_of=D(2025, 12, 5))
    return p


def copy_db(src: Path, dst: Path) -> Path:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


@pytest.fixture
def db(base_db, tmp_path):
    return copy_db(base_db, tmp_path / "x.db")


@pytest.fixture
def cfg_tmp(cfg, tmp_path):
    notify = cfg.notify.model_copy(update={"alerts_dir": str(tmp_path / "alerts")})
    storage = cfg.storage.model_copy(update={"lock_wait_seconds": 0.5})
    return cfg.model_copy(update={"notify": notify, "storage": storage})


def table(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return sorted(con.execute(sql).fetchall(), key=repr)


class FakeChannel:
    def __init__(self, cid: str = "fake:1", down: bool = False) -> None:
        self.id = cid
        self.down = down
        self.calls: list[tuple[str, str]] = []

    def send(self, title: str, body: str) -> None:
        self.calls.append((title, body))
        if self.down:
            raise TimeoutError("webhook timed out")


# ----------------------------------------------------------------- 1. time only moves forward


def test_future_as_of_is_refused_and_changes_nothing(db, tmp_path):
    assert invoke(db, "run", "--once", "--no-fetch", "--as-of", "2025-12-01").exit_code == 0
    before = (table(db, "SELECT * FROM alert_state"), table(db, "SELECT run_id, status FROM runs"))
    # a mistyped year: a few weeks after the last completed session by the wall clock
    last = calendar.last_completed_session(dt.datetime.now(dt.UTC))
    future = calendar.session_offset(last, 15)
    res = invoke(db, "run", "--once", "--no-fetch", "--as-of", future.isoformat())
    assert res.exit_code == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: --as-of {future} is after the last completed")
    assert (table(db, "SELECT * FROM alert_state"), table(db, "SELECT run_id, status FROM runs")) == before
    assert invoke(db, "fetch", "--source", "snapshot", "--as-of", future.isoformat()).exit_code == 1


def test_an_earlier_session_is_refused_unless_rebuilt_and_the_rebuild_equals_a_clean_replay(cfg_tmp, base_db, tmp_path):
    days = [D(2025, 11, 25), D(2025, 11, 26), D(2025, 11, 28), D(2025, 12, 1)]
    clean = copy_db(base_db, tmp_path / "clean.db")
    with Store(clean) as s:
        for d in days:
            run_cycle(cfg_tmp, s, None, d, alerts_dir=tmp_path / "a1")
    jumped = copy_db(base_db, tmp_path / "jumped.db")
    with Store(jumped) as s:
        run_cycle(cfg_tmp, s, None, days[-1], alerts_dir=tmp_path / "a2")
        state = table(jumped, "SELECT * FROM alert_state")
        # a cycle for an earlier session would open a second episode next to the first one
        with pytest.raises(ClockError, match="before the last evaluated session 2025-12-01.*--rebuild-from"):
            run_cycle(cfg_tmp, s, None, days[0], alerts_dir=tmp_path / "a2")
        assert table(jumped, "SELECT * FROM alert_state") == state
        run_cycle(cfg_tmp, s, None, days[-1], alerts_dir=tmp_path / "a2", rebuild_from=days[0])
    q = "SELECT id, state, value, started, fired, resolved FROM alerts"
    assert table(jumped, q) == table(clean, q)
    assert table(jumped, "SELECT fingerprint, state_json FROM alert_state") == table(
        clean, "SELECT fingerprint, state_json FROM alert_state"
    )
    # every alert has one episode per fingerprint and session
    assert table(jumped, "SELECT alert_id, session, to_state FROM alert_transitions") == table(
        clean, "SELECT alert_id, session, to_state FROM alert_transitions"
    )


def test_the_daemon_refuses_a_clock_jump_and_a_clock_before_the_database():
    from aimonitor.runner import ClockWatch

    mono = [1000.0]
    start = dt.datetime(2025, 12, 1, 22, 30, tzinfo=dt.UTC)
    watch = ClockWatch(start, monotonic=lambda: mono[0])
    mono[0] += 86400  # one day later by the monotonic clock
    watch.check(start + dt.timedelta(days=1, seconds=30))  # NTP-sized drift: fine
    with pytest.raises(ClockError, match="jumped by \\+562"):
        watch.check(start + dt.timedelta(days=563))  # the wall clock leapt ~18 months ahead


def test_the_daemon_refuses_a_clock_before_the_last_evaluated_session(cfg_tmp, db, monkeypatch):
    from aimonitor import runner

    with Store(db) as s:
        run_cycle(cfg_tmp, s, None, D(2025, 12, 1))
        captured = {}
        monkeypatch.setattr(runner, "run_daemon", lambda schedule, job, **kw: captured.update(job=job) or 0)
        now = dt.datetime(2025, 11, 21, 23, 0, tzinfo=dt.UTC)
        runner.serve(cfg_tmp, s, "snapshot", clock=lambda: now)
        with pytest.raises(ClockError, match="before the last evaluated session 2025-12-01"):
            captured["job"](now)


# ----------------------------------------------------------------- 2. one writer at a time


def test_an_upsert_reads_and_writes_in_one_transaction(tmp_path):
    """A writes bars while B has an uncommitted batch of the same keys: A must see B's rows."""
    p = tmp_path / "w.db"
    a, b = Store(p), Store(p)
    frame = pd.DataFrame(
        {"date": [D(2025, 9, 8), D(2025, 9, 9)], "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5}
    ).assign(adj_close=1.5, volume=10.0)
    b.conn.execute("BEGIN IMMEDIATE")
    b.conn.executemany(
        "INSERT INTO bars (symbol, date, open, high, low, close, adj_close, volume, source, fetched_at) "
        "VALUES ('ORCL', ?, 1, 2, 0.5, 1.5, 1.5, 10, 'b', 'now')",
        [("2025-09-08",), ("2025-09-09",)],
    )
    out: dict = {}

    def writer() -> None:
        try:
            out["count"] = a.write_bars("ORCL", frame, "a")
        except Exception as exc:  # noqa: BLE001
            out["error"] = exc

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.5)  # A is now waiting for B's transaction
    b.conn.execute("COMMIT")
    t.join(30)
    assert "error" not in out, out.get("error")
    assert (out["count"].rows_new, out["count"].rows_updated) == (0, 0)
    a.close()
    b.close()


def test_a_second_writer_waits_then_says_who_holds_the_database(tmp_path, db):
    holder = Store(db)
    with holder.writer_lock("cycle"):
        other = Store(db)
        with pytest.raises(StorageError, match=r"another run holds .*x\.db since 20\d\d-.*\(cycle, pid \d+\)"):
            with other.writer_lock("fetch", wait=0.3):
                pass
        # through the CLI: one line, exit 1, nothing changed
        cfgfile = tmp_path / "c.toml"
        cfgfile.write_text(
            CONFIG.read_text(encoding="utf-8").replace(
                'path = "aimonitor.db"', 'path = "aimonitor.db"\nlock_wait_seconds = 0.3'
            ),
            encoding="utf-8",
        )
        res = invoke(db, "run", "--once", "--no-fetch", "--as-of", "2025-12-01", config=cfgfile)
        assert res.exit_code == 1
        assert res.stderr.strip().startswith("Error: another run holds") and len(res.stderr.strip().splitlines()) == 1
        other.close()
    with other_store(db) as s:  # released: the next writer gets it at once
        with s.writer_lock("fetch", wait=0):
            pass
    holder.close()


def other_store(p: Path) -> Store:
    return Store(p)


def test_an_outbox_entry_is_claimed_by_one_process_only(store, tmp_path):
    _record(store, "2025-11-20", ["fake:1"])
    other = Store(store.path)
    (e,) = store.read_outbox("pending", ["fake:1"])
    assert store.claim_outbox(e) is True
    assert other.claim_outbox(e) is False
    other.close()


def _record(store: Store, session: str, channels: list[str], alert_id: str | None = None) -> None:
    aid = alert_id or f"drawdown_warning:ORCL:{session}"
    alert = {
        "id": aid,
        "fingerprint": "drawdown_warning:ORCL",
        "rule": "drawdown_warning",
        "symbol": "ORCL",
        "severity": "warning",
        "state": "firing",
        "value": -0.3,
        "threshold": -0.25,
        "started": session,
        "fired": session,
        "resolved": None,
        "summary": "ORCL is 30% below its 52-week high",
    }
    store.write_alert_cycle(
        {},
        session,
        [alert],
        [
            {
                "alert_id": aid,
                "session": session,
                "to_state": "firing",
                "from_state": "inactive",
                "value": -0.3,
                "notify": True,
                "payload": {k: v for k, v in alert.items() if k != "fingerprint"},
            }
        ],
        [FILE_CHANNEL, *channels],
    )


# ----------------------------------------------------------------- 3. a broken alerts/ folder


def test_a_broken_alerts_folder_does_not_silence_the_channels(cfg_tmp, db, tmp_path):
    broken = tmp_path / "alerts"
    broken.write_text("a file where the folder should be", encoding="utf-8")
    ch = FakeChannel()
    with Store(db) as s:
        res = run_cycle(cfg_tmp, s, None, D(2025, 12, 1), channels=[ch], alerts_dir=broken)
        assert FILE_CHANNEL in res.delivery.failed
        titles = [t for t, _ in ch.calls]
        assert any("CRITICAL firing: pipeline" in t for t in titles), titles
        assert sum("pipeline" not in t for t in titles) == sum(1 for t in res.transitions if t["notify"])
        (pipe,) = [a for a in s.read_alerts("firing") if a["rule"] == "pipeline"]
        assert "alerts folder" in pipe["summary"] and str(broken) in pipe["summary"]
        # fixed: the next cycle writes what was owed and resolves the pipeline alert
        broken.unlink()
        run_cycle(cfg_tmp, s, None, D(2025, 12, 2), channels=[ch], alerts_dir=broken)
        assert [a for a in s.read_alerts("firing") if a["rule"] == "pipeline"] == []
    keys = [json.loads(x)["key"] for x in (broken / "alerts.jsonl").read_text().splitlines()]
    assert any(k.endswith("|2025-12-01|firing") for k in keys) and len(keys) == len(set(keys))


def test_the_daemon_pipeline_alert_gets_out_when_the_alerts_folder_is_broken(cfg_tmp, store, tmp_path):
    from aimonitor.pipeline import record_pipeline_error

    broken = tmp_path / "alerts"
    broken.write_text("x", encoding="utf-8")
    ch = FakeChannel()
    record_pipeline_error(cfg_tmp, store, D(2025, 12, 1), "FetchError: yahoo down", alerts_dir=broken, channels=[ch])
    assert [t for t, _ in ch.calls] == ["[aimonitor] CRITICAL firing: pipeline"]


def test_a_folder_broken_for_days_is_one_pipeline_episode(cfg_tmp, db, tmp_path):
    broken = tmp_path / "alerts"
    broken.write_text("x", encoding="utf-8")
    ch = FakeChannel()
    with Store(db) as s:
        for day in (D(2025, 12, 1), D(2025, 12, 2)):
            run_cycle(cfg_tmp, s, None, day, channels=[ch], alerts_dir=broken)
        sink = [a for a in s.read_alerts("firing") if a["fingerprint"] == "pipeline:alerts_dir"]
    assert len(sink) == 1 and sum("pipeline" in t for t, _ in ch.calls) == 1


def test_a_broken_alerts_folder_is_one_warning_line_in_the_cli(db, tmp_path):
    broken = tmp_path / "alerts"
    broken.write_text("x", encoding="utf-8")
    cfgfile = tmp_path / "c.toml"
    cfgfile.write_text(
        CONFIG.read_text(encoding="utf-8").replace('alerts_dir = "alerts"', f'alerts_dir = "{broken.as_posix()}"'),
        encoding="utf-8",
    )
    res = invoke(db, "run", "--once", "--no-fetch", "--as-of", "2025-12-01", config=cfgfile)
    assert res.exit_code == 0
    assert "Traceback" not in res.stderr
    assert any(ln.startswith("warning: alerts folder") for ln in res.stderr.splitlines())


# ----------------------------------------------------------------- 4. stable channel identity


def test_rotating_a_secret_keeps_pending_notifications_deliverable(store, tmp_path):
    old = AppriseChannel("json://bot:0ldS3cret@127.0.0.1:9/hook")
    _record(store, "2025-11-20", [old.id])
    rotated = AppriseChannel("json://bot:n3wS3cret@127.0.0.1:9/hook")
    assert rotated.id == old.id
    fake = FakeChannel(rotated.id)
    assert deliver(store, FileSink(tmp_path / "a"), [fake]).sent == 1


def test_a_stranded_notification_is_reported_and_can_be_retargeted(db, tmp_path):
    with Store(db) as s:
        _record(s, "2025-11-20", ["json:0123456789ab"])
        rep = deliver(s, FileSink(tmp_path / "a"), [])
        assert rep.orphaned == {"json:0123456789ab": 1}
    url = "json://127.0.0.1:9/new"
    env = {"AIMONITOR_NOTIFY_URLS": f"ops={url}"}
    st = invoke(db, "status", "--as-of", "2025-12-01", env=env)
    assert "wait for channel json:0123456789ab, which is not configured" in st.stderr
    doc = json.loads(invoke(db, "status", "--json", "--as-of", "2025-12-01", env=env).stdout)
    assert doc["outbox"]["json:0123456789ab"] == {"pending": 1, "configured": False}
    res = invoke(db, "alerts", "outbox", "--retarget", "json:0123456789ab=ops", "--json", env=env)
    assert json.loads(res.stdout)["retargeted"] == 1
    with Store(db) as s:
        fake = FakeChannel("ops")
        assert deliver(s, FileSink(tmp_path / "a"), [fake]).sent == 1
        assert s.outbox_counts() == {}
    assert invoke(db, "alerts", "outbox", "--drop", "nothing-here").exit_code == 0


# ----------------------------------------------------------------- 5. nothing sent twice


class _Died(BaseException):
    """The process dies inside the send (SIGKILL cannot be caught; neither is this)."""


def test_a_crash_after_sending_is_visible_and_not_resent_blindly(store, tmp_path):
    _record(store, "2025-11-20", ["fake:1"])

    class Dying(FakeChannel):
        def send(self, title: str, body: str) -> None:
            self.calls.append((title, body))
            raise _Died

    with pytest.raises(_Died):
        deliver(store, FileSink(tmp_path / "a"), [Dying()])
    ch = FakeChannel()
    rep = deliver(store, FileSink(tmp_path / "a"), [ch])
    assert ch.calls == [] and rep.stuck == {"fake:1": 1}
    assert store.outbox_counts() == {"fake:1": {"sending": 1}}
    assert store.requeue_outbox("fake:1") == 1  # the operator's explicit choice
    assert deliver(store, FileSink(tmp_path / "a"), [ch]).sent == 1


def test_a_hanging_channel_costs_one_attempt_per_cycle(store, tmp_path):
    for i in range(5):
        _record(store, "2025-11-20", ["fake:1"], alert_id=f"r{i}:ORCL:2025-11-20")
    down = FakeChannel(down=True)
    ok = FakeChannel("fake:2")
    _record(store, "2025-11-21", ["fake:2"])
    rep = deliver(store, FileSink(tmp_path / "a"), [down, ok])
    assert len(down.calls) == 1 and rep.sent == 1 and len(ok.calls) == 1


class _SlowHook(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []
    delay = 0.6  # longer than apprise's default read timeout, which the test scales down to 0.2 s

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(self.delay)
        type(self).received.append(dict(self.headers))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a: object) -> None:
        pass


def test_a_slow_endpoint_receives_each_notification_once_with_a_stable_id(store, tmp_path, monkeypatch):
    """An endpoint slower than apprise's default read timeout (4 s) but within the channel's
    default timeout. At the real scale that is a 4.5 s wait per send; here apprise's default is
    scaled down to 0.2 s and the endpoint to 0.6 s: a channel that left apprise's default in
    place would time out and send it again next cycle."""
    import apprise

    apprise_default = apprise.URLBase.socket_read_timeout  # 4 s
    monkeypatch.setattr(apprise.URLBase, "socket_read_timeout", 0.2)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowHook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        ch = AppriseChannel(f"json://127.0.0.1:{srv.server_address[1]}/hook")  # default timeout
        # the channel's default outlasts apprise's real default, the 4 s the endpoint was slower than
        assert all(p.socket_read_timeout > apprise_default for p in ch._ap)
        _record(store, "2025-11-20", [ch.id])
        for _ in range(2):  # two cycles
            deliver(store, FileSink(tmp_path / "a"), [ch])
    finally:
        srv.shutdown()
    assert len(_SlowHook.received) == 1
    assert len(_SlowHook.received[0]["Idempotency-Key"]) == 24
    assert store.outbox_counts() == {}


# ----------------------------------------------------------------- 6. CSV formula injection


def test_extracted_csv_cells_are_not_formulas(tmp_path):
    art = tmp_path / "a.txt"
    art.write_text(
        '=HYPERLINK("http://evil.example/","x") Nvidia will invest $100 billion in OpenAI, the companies said '
        "on September 22, 2025.\n",
        encoding="utf-8",
    )
    out = tmp_path / "c.csv"
    res = invoke(tmp_path / "x.db", "events", "extract", str(art), "--csv", str(out))
    assert res.exit_code == 0, res.stderr
    import csv

    cells = [c for row in csv.reader(out.open(encoding="utf-8")) for c in row]
    assert cells and not any(c.startswith(("=", "+", "@")) for c in cells)


# ----------------------------------------------------------------- 7. secrets in logs


def test_no_secret_reaches_the_log_at_debug(capsys):
    from aimonitor.cli import _setup_logging

    _setup_logging(2)
    logging.getLogger("apprise").debug(
        "Slack POST URL: https://hooks.slack.com/services/T1JJ3T3L2/B1JJ3T3L2/aBcDeFgHiJkLmNoPqRsTuVwX"
    )
    logging.getLogger("apprise").debug(
        "Discord POST URL: https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWx0123"
    )
    logging.getLogger("aimonitor.notify").warning("loaded mailto://ops:hunter2pass@mail.example.com")
    err = capsys.readouterr().err
    assert "hooks.slack.com" in err and "POST URL" in err  # the lines are there ...
    for secret in ("aBcDeFgHiJkLmNoPqRsTuVwX", "AbCdEfGhIjKlMnOpQrStUvWx0123", "hunter2pass"):
        assert secret not in err  # ... without their secrets


def test_apprise_own_debug_lines_are_redacted(capsys):
    from aimonitor.cli import _setup_logging

    _setup_logging(2)
    ch = AppriseChannel("json://bot:Sup3rS3cretPw@127.0.0.1:9/hook?token=abcd1234efgh")
    with pytest.raises(RuntimeError):
        ch.send("t", "b")  # nothing listens on port 9: apprise logs its attempt at debug
    err = capsys.readouterr().err
    assert "127.0.0.1" in err
    for secret in ("Sup3rS3cretPw", "abcd1234efgh"):
        assert secret not in err


# ----------------------------------------------------------------- 8. limits with reasons


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the config is empty"),
        ("# only comments\n", "the config is empty"),
        ("[watchlist]\nsymbols = ['ORCL']\n", "rules: no enabled [[rules]]"),
        ("[schedule]\nmisfire_grace_seconds = 9223372036854775807\n", "schedule.misfire_grace_seconds"),
        ("[notify]\ntimeout_seconds = 100000\n", "notify.timeout_seconds"),
    ],
)
def test_config_limits(tmp_path, text, message):
    from aimonitor.config import load_config

    p = tmp_path / "c.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(p)


def _with_rule(extra: str) -> str:
    return CONFIG.read_text(encoding="utf-8") + (
        "\n[[rules]]\nname = 'limit_probe'\nsignal = 'drawdown_52w'\nop = '<'\nthreshold = -0.2\n" + extra
    )


@pytest.mark.parametrize(
    "extra, message",
    [
        ("repeat_sessions = 99999999999999999999\n", "repeat_sessions: 99999999999999999999 is more than 1000"),
        ("for_sessions = 5000\n", "for_sessions: 5000 is more than 1000"),
        ("summary = '{value:>100000000}'\n", "summary: renders to 100000000 characters"),
    ],
)
def test_rule_limits(tmp_path, extra, message):
    from aimonitor.config import load_config

    p = tmp_path / "c.toml"
    p.write_text(_with_rule(extra), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(p)


def test_stored_summaries_are_capped(store):
    _record(store, "2025-11-20", [])
    long = {"id": "x:ORCL:2025-11-20", "fingerprint": "x:ORCL", "rule": "x", "symbol": "ORCL", "severity": "info"}
    long.update(state="firing", value=1.0, threshold=0.0, started="2025-11-20", summary="y" * 100_000)
    store.write_alert_cycle({}, "2025-11-20", [long], [], [])
    (a,) = [x for x in store.read_alerts() if x["id"] == "x:ORCL:2025-11-20"]
    assert len(a["summary"]) <= 500


@pytest.mark.parametrize("bad", [float("inf"), 1e300])
def test_absurd_bars_are_rejected(bad):
    from aimonitor.validate import validate_bars

    f = pd.DataFrame(
        {
            "date": [D(2025, 11, 24), D(2025, 11, 25)],
            "open": [200.0, 201.0],
            "high": [bad, 203.0],
            "low": [199.0, 200.0],
            "close": [201.0, 202.0],
            "adj_close": [201.0, 202.0],
            "volume": [1e6, 1e6],
        }
    )
    good, rejects = validate_bars("ORCL", f, D(2025, 11, 28))
    assert [r.date for r in rejects] == ["2025-11-24"]
    assert good["date"].tolist() == [D(2025, 11, 25)]


def test_an_import_that_stores_nothing_exits_1(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text("entity,date,tenor,spread_bp\nORCL,2025-11-20,5Y,-3\nORCL,not-a-date,5Y,120\n", encoding="utf-8")
    res = invoke(tmp_path / "x.db", "spreads", "import", str(p))
    assert res.exit_code == 1
    assert res.stderr.strip().splitlines()[-1].startswith("Error: no valid CDS quote rows to store (2 rows rejected")
    with pytest.raises(DataError):
        Store(tmp_path / "y.db").write_cds_quotes(pd.DataFrame(columns=["entity", "date", "tenor", "spread_bp"]))


# ----------------------------------------------------------------- 9. unwritable output paths


def test_an_unwritable_output_path_is_one_line(tmp_path):
    art = tmp_path / "a.txt"
    art.write_text("Nvidia will invest $100 billion in OpenAI.\n", encoding="utf-8")
    res = invoke(tmp_path / "x.db", "events", "extract", str(art), "--csv", str(tmp_path / "no" / "such" / "c.csv"))
    assert res.exit_code == 1
    (line,) = res.stderr.strip().splitlines()[-1:]
    assert line.startswith("Error: ") and "no/such/c.csv" in line and "Traceback" not in res.stderr


def test_report_out_on_a_file_is_one_line(db, tmp_path):
    out = tmp_path / "taken"
    out.write_text("x", encoding="utf-8")
    res = invoke(db, "report", "--out", str(out / "dash"))  # a folder inside a file
    assert res.exit_code == 1 and "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith(f"Error: {out}")


# ----------------------------------------------------------------- 10. an observable daemon


def test_a_repeated_failure_is_logged_again_after_the_rate_limit():
    from aimonitor.cli import _RateLimited

    t = [0.0]
    f = _RateLimited(interval=300, clock=lambda: t[0])

    def rec(day: int) -> logging.LogRecord:
        return logging.LogRecord(
            "aimonitor.notify", logging.WARNING, "", 0, "via %s failed on day %d", ("x", day), None
        )

    assert f.filter(rec(1))
    t[0] = 10
    assert not f.filter(rec(1))  # a burst is held back
    t[0] = 86400  # the next day: the same failure is logged again, with the count held back
    r = rec(2)
    assert f.filter(r) and "repeated 1 more times" in r.getMessage()


def test_a_killed_run_is_closed_as_aborted_and_status_shows_the_last_error(cfg_tmp, db):
    with Store(db) as s:
        rid = s.start_run("cycle", "2025-11-28")  # then the process was killed
        run_cycle(cfg_tmp, s, None, D(2025, 12, 1))
        (row,) = s.conn.execute("SELECT status FROM runs WHERE run_id = ?", (rid,)).fetchall()
        assert row[0] == "aborted"
    with Store(db) as s:
        s.conn.execute("DELETE FROM bars")
        with pytest.raises(Exception, match="no prices stored"):
            run_cycle(cfg_tmp, s, None, D(2025, 12, 2))
    res = invoke(db, "status", "--json", "--as-of", "2025-12-02")
    doc = json.loads(res.stdout)
    assert doc["last_run"]["status"] == "error" and "no prices stored" in doc["last_run"]["error"]
    assert "no prices stored" in doc["last_error"]["error"]
    assert "no prices stored" in invoke(db, "status", "--as-of", "2025-12-02").stderr


def test_catch_up_names_the_sessions_it_skips_and_how_to_backfill_them(cfg_tmp, db, monkeypatch, caplog):
    from aimonitor import runner

    cfg = cfg_tmp.model_copy(update={"schedule": cfg_tmp.schedule.model_copy(update={"max_catch_up_sessions": 2})})
    with Store(db) as s:
        run_cycle(cfg, s, None, D(2025, 11, 20), kind="daemon")
        captured = {}
        monkeypatch.setattr(runner, "run_daemon", lambda schedule, job, **kw: captured.update(job=job) or 0)
        now = dt.datetime(2025, 12, 2, 23, 0, tzinfo=dt.UTC)
        caplog.set_level(logging.INFO, logger="aimonitor")
        runner.serve(cfg, s, "snapshot", clock=lambda: now)
        captured["job"](now)
        done = [r[0] for r in s.conn.execute("SELECT as_of FROM runs WHERE status = 'ok' ORDER BY run_id")]
    assert done == ["2025-11-20", "2025-12-01", "2025-12-02"]
    # 2025-11-21..2025-11-28 (Thanksgiving closed) are the 5 skipped sessions
    assert (
        "5 missed sessions 2025-11-21..2025-11-28 are not caught up" in caplog.text
        and "aimonitor run --once --as-of 2025-12-02 --rebuild-from 2025-11-21" in caplog.text
    )
    assert "cycle 2025-12-02 ok:" in caplog.text and "next cycle at" in caplog.text
