"""Conformance of the CLI with /work/shared/CONTRACT.md (keys, value types, exit codes, streams).

Expected values come from the bundled CSV read directly, the event catalog's published
release times (Oracle FQ1 results 2025-09-09 4:05 PM ET, AMD-OpenAI release 2025-10-06
7:00 AM ET) and the NYSE calendar written by hand.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import aimonitor
from aimonitor.cli import cli

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "aimonitor.toml"
BARS = Path(aimonitor.__file__).parent / "data" / "snapshot" / "bars.csv.gz"
ALERT_KEYS = {
    "id",
    "rule",
    "symbol",
    "severity",
    "state",
    "value",
    "threshold",
    "started",
    "fired",
    "resolved",
    "summary",
    "peak",
}
#: keys an ALERT may carry beyond the contract's (the contract allows additions)
ALERT_EXTRA = {"resolution", "unit", "since"}
NO_ENV = {"AIMONITOR_CONFIG": None, "AIMONITOR_DB": None, "AIMONITOR_NOTIFY_URLS": None}


@pytest.fixture(autouse=True, scope="module")
def _restore_logging():
    """The CLI installs its own root handler; give pytest its logging back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def invoke(db: Path, *args: str, config: Path = CONFIG):
    runner = CliRunner()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return runner.invoke(cli, ["--config", str(config), "--db", str(db), *args], env=NO_ENV, catch_exceptions=False)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def one_json(result) -> dict:
    """stdout must be exactly one JSON document (json.loads rejects trailing data)."""
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert isinstance(doc, dict)
    return doc


def is_date(v) -> bool:
    if not isinstance(v, str):
        return False
    try:
        dt.date.fromisoformat(v)
    except ValueError:
        return False
    return len(v) == 10


def check_alert(a: dict) -> None:
    assert ALERT_KEYS <= set(a) <= ALERT_KEYS | ALERT_EXTRA, set(a) ^ ALERT_KEYS
    assert a["peak"] is None or isinstance(a["peak"], float)
    assert isinstance(a["id"], str) and a["id"]
    assert isinstance(a["rule"], str) and a["rule"]
    assert a["symbol"] is None or isinstance(a["symbol"], str)
    assert a["severity"] in {"info", "warning", "critical"}
    assert a["state"] in {"pending", "firing", "resolved"}
    assert isinstance(a["value"], float) and isinstance(a["threshold"], float)
    assert is_date(a["started"])
    assert a["fired"] is None or is_date(a["fired"])
    assert a["resolved"] is None or is_date(a["resolved"])
    if a["state"] == "firing":
        assert a["fired"] is not None and a["resolved"] is None
    if a["state"] == "resolved":
        assert a["resolved"] is not None
    assert isinstance(a["summary"], str) and a["summary"]


def csv_bars() -> pd.DataFrame:
    with gzip.open(BARS, "rt", encoding="utf-8") as fh:
        return pd.read_csv(fh)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A db after one `fetch --source snapshot --as-of 2026-02-27 --json` (and its document)."""
    db = tmp_path_factory.mktemp("cli") / "c.db"
    first = invoke(db, "fetch", "--source", "snapshot", "--as-of", "2026-02-27", "--json")
    return db, one_json(first)


# --------------------------------------------------------------------------- fetch / status


def test_fetch_json_contract_and_second_run_is_empty(loaded):
    db, doc = loaded
    assert doc["source"] == "snapshot"
    b = csv_bars()
    for sym in ["ORCL", "CRWV", "AMD", "NVDA", "SPY", "^VIX", "HYG"]:
        s = doc["symbols"][sym]
        assert {"rows_new", "rows_updated", "first", "last", "error"} <= set(s)
        assert isinstance(s["rows_new"], int) and isinstance(s["rows_updated"], int)
        rows = b[b.symbol == sym]
        assert s["rows_new"] == len(rows) and s["rows_updated"] == 0
        assert (s["first"], s["last"], s["error"]) == (rows.date.min(), rows.date.max(), None)
    assert doc["symbols"]["CRWV"]["first"] == "2025-03-28"  # CoreWeave's IPO day
    assert "BAMLH0A0HYM2" in doc["symbols"]  # FRED series are reported too

    again = one_json(invoke(db, "fetch", "--source", "snapshot", "--as-of", "2026-02-27", "--json"))
    assert set(again["symbols"]) == set(doc["symbols"])
    assert all(s["rows_new"] == 0 and s["rows_updated"] == 0 and s["error"] is None for s in again["symbols"].values())


def test_status_json(loaded):
    db, _ = loaded
    doc = one_json(invoke(db, "status", "--as-of", "2026-03-03", "--json"))
    assert {"db", "last_run", "symbols", "firing"} <= set(doc)
    assert doc["db"] == str(db)
    assert doc["last_run"] is None or {"started", "status"} <= set(doc["last_run"])
    assert isinstance(doc["firing"], int)
    orcl = doc["symbols"]["ORCL"]
    # the last bar is Friday 2026-02-27; Monday 03-02 and Tuesday 03-03 are missing
    assert (orcl["last_session"], orcl["stale_sessions"]) == ("2026-02-27", 2)
    assert doc["symbols"]["SPY"]["stale_sessions"] == 2
    fresh = one_json(invoke(db, "status", "--as-of", "2026-02-27", "--json"))
    assert fresh["symbols"]["ORCL"]["stale_sessions"] == 0


# --------------------------------------------------------------------------- rules


def test_rules_check(loaded):
    db, _ = loaded
    res = invoke(db, "rules", "check")
    assert res.exit_code == 0, res.stderr
    n_rules = CONFIG.read_text(encoding="utf-8").count("\n[[rules]]")
    assert f"{n_rules} rules" in res.stdout and "valid" in res.stdout
    doc = one_json(invoke(db, "rules", "check", "--json"))
    assert len(doc["rules"]) == n_rules
    assert {r["name"] for r in doc["rules"]} >= {"drawdown_warning", "drawdown_critical", "vol_spike"}


def test_rules_backtest_json_and_override(loaded):
    db, _ = loaded
    base = one_json(invoke(db, "rules", "backtest", "--from", "2025-06-02", "--to", "2026-02-27", "--json"))
    assert {"from", "to", "alerts", "summary"} <= set(base)
    assert (base["from"], base["to"]) == ("2025-06-02", "2026-02-27")
    assert all(isinstance(v, int) for v in base["summary"].values())
    for a in base["alerts"]:
        check_alert(a)
    assert base["summary"]["drawdown_warning"] > 0
    strict = one_json(
        invoke(
            db,
            "rules",
            "backtest",
            "--from",
            "2025-06-02",
            "--to",
            "2026-02-27",
            "--set",
            "drawdown_warning.threshold=-0.5",
            "--json",
        )
    )
    assert strict["summary"] != base["summary"]
    # a stricter threshold fires fewer episodes; the other rules are untouched
    assert strict["summary"]["drawdown_warning"] < base["summary"]["drawdown_warning"]
    assert {k: v for k, v in strict["summary"].items() if k != "drawdown_warning"} == {
        k: v for k, v in base["summary"].items() if k != "drawdown_warning"
    }
    assert all(a["threshold"] == -0.5 for a in strict["alerts"] if a["rule"] == "drawdown_warning")
    # the backtest notifies nobody and stores no alert
    assert one_json(invoke(db, "alerts", "list", "--json")) == {"alerts": []}


# --------------------------------------------------------------------------- events


def test_events_list_day0(loaded):
    db, _ = loaded
    assert invoke(db, "events", "import").exit_code == 0
    doc = one_json(invoke(db, "events", "list", "--json"))
    ev = {e["event_id"]: e for e in doc["events"]}
    keys = {"event_id", "announce_date", "timing", "day0", "tickers", "event_type", "amount_usd", "description"}
    for e in doc["events"]:
        assert keys <= set(e)
        assert isinstance(e["tickers"], list)
        assert e["amount_usd"] is None or isinstance(e["amount_usd"], float)
    # AMD-OpenAI: 7:00 AM ET release on Monday 2025-10-06 → reflected in that day's close
    assert (ev["EV09"]["announce_date"], ev["EV09"]["day0"]) == ("2025-10-06", "2025-10-06")
    assert "AMD" in ev["EV09"]["tickers"]
    # Oracle FQ1 results: 4:05 PM ET on 2025-09-09 → first close is 2025-09-10
    assert (ev["EV04"]["announce_date"], ev["EV04"]["day0"]) == ("2025-09-09", "2025-09-10")


# --------------------------------------------------------------------------- run / alerts


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIMONITOR_")}
    return subprocess.run(
        [sys.executable, "-m", "aimonitor", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_run_once_json_and_alerts_list(tmp_path):
    db = tmp_path / "r.db"
    p = _run(
        [
            "--config",
            str(CONFIG),
            "--db",
            str(db),
            "run",
            "--once",
            "--source",
            "snapshot",
            "--as-of",
            "2025-11-28",
            "--json",
        ],
        cwd=tmp_path,
    )
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)  # exactly one document, nothing else on stdout
    assert {"as_of", "fetched", "signals", "alerts"} <= set(doc)
    assert doc["as_of"] == "2025-11-28"
    assert type(doc["signals"]) is int and doc["signals"] > 0
    assert doc["fetched"]["source"] == "snapshot"
    assert doc["fetched"]["symbols"]["ORCL"]["last"] == "2025-11-28"  # nothing after as_of
    assert doc["alerts"]
    for a in doc["alerts"]:
        check_alert(a)
    ids = {a["id"] for a in doc["alerts"]}
    assert "drawdown_warning:ORCL:2025-11-28" in ids
    assert (tmp_path / "alerts" / "alerts.jsonl").exists()

    listed = one_json(invoke(db, "alerts", "list", "--json"))
    for a in listed["alerts"]:
        check_alert(a)
    assert {a["id"] for a in listed["alerts"]} == ids
    firing = one_json(invoke(db, "alerts", "list", "--state", "firing", "--json"))["alerts"]
    assert firing and all(a["state"] == "firing" for a in firing)

    status = one_json(invoke(db, "status", "--as-of", "2025-11-28", "--json"))
    assert status["firing"] == len(firing)
    assert status["last_run"]["status"] == "ok"


def test_run_once_is_idempotent_through_the_cli(tmp_path):
    db = tmp_path / "r.db"
    args = [
        "--config",
        str(CONFIG),
        "--db",
        str(db),
        "run",
        "--once",
        "--source",
        "snapshot",
        "--as-of",
        "2025-11-28",
        "--json",
    ]
    first = _run(args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    lines = (tmp_path / "alerts" / "alerts.jsonl").read_text().splitlines()
    again = _run(args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    doc = json.loads(again.stdout)
    assert all(s["rows_new"] == 0 for s in doc["fetched"]["symbols"].values())
    # the same session reports the same alerts, but nothing is appended or sent again
    assert doc["alerts"] == json.loads(first.stdout)["alerts"] != []
    assert doc["notifications"]["written"] == 0
    assert (tmp_path / "alerts" / "alerts.jsonl").read_text().splitlines() == lines


# --------------------------------------------------------------------------- errors


def test_bad_config_is_one_error_line_and_exit_1(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[watchlist]\nsymbols = ["ORCL"]\nbogus = 1\n', encoding="utf-8")
    p = _run(["--config", str(bad), "--db", str(tmp_path / "x.db"), "status", "--json"], cwd=tmp_path)
    assert p.returncode == 1
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "bogus" in lines[0]


def test_missing_config_file_is_exit_1(tmp_path):
    p = _run(["--config", str(tmp_path / "nope.toml"), "rules", "check"], cwd=tmp_path)
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "nope.toml" in lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["run"],  # --once is required
        ["fetch", "--source", "snapshot", "--as-of", "28/11/2025"],
        ["alerts", "list", "--state", "exploded"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(tmp_path, args):
    res = invoke(tmp_path / "u.db", *args)
    assert res.exit_code == 2
    assert res.stdout == ""
    assert "Error" in res.stderr


def test_error_is_exit_1_with_one_line(tmp_path):
    """A cycle on an empty store with --no-fetch is an AimonitorError: one line, exit 1."""
    p = _run(
        [
            "--config",
            str(CONFIG),
            "--db",
            str(tmp_path / "e.db"),
            "run",
            "--once",
            "--no-fetch",
            "--as-of",
            "2025-11-28",
            "--json",
        ],
        cwd=tmp_path,
    )
    assert p.returncode == 1
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
