"""Conformance of the CLI with /work/shared/CONTRACT.md (keys, value types, exit codes, streams).

Expected values come from the bundled CSV read directly, the event catalog's published
release times (Oracle FQ1 results 2025-09-09 4:05 PM ET, AMD-OpenAI release 2025-10-06
7:00 AM ET) and the NYSE calendar written by hand.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import aimonitor
from conftest import invoke_cli, process_env

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


def invoke(db: Path, *args: str, config: Path = CONFIG, cwd: Path | None = None):
    """``aimonitor --config CONFIG --db DB ARGS`` in-process (click's CliRunner)."""
    return invoke_cli(["--config", str(config), "--db", str(db), *args], cwd=cwd)


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
    # a fetch is not a monitoring cycle: no run recorded and nothing firing yet
    assert doc["last_run"] is None
    assert doc["firing"] == 0
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


def test_rules_backtest_json_and_override(db_1128, db_copy):
    """Backtest over 2025-10-01..2025-11-28 (the store's last session): Oracle's sell-off, in which
    ORCL went 25 % but never 50 % below its 52-week high (the CSV: -25.6 % on 11-06, -39.9 % at
    worst), so the stricter override must fire fewer drawdown warnings."""
    db = db_copy(db_1128)
    window = ("--from", "2025-10-01", "--to", "2025-11-28")
    base = one_json(invoke(db, "rules", "backtest", *window, "--json"))
    assert {"from", "to", "alerts", "summary"} <= set(base)
    assert (base["from"], base["to"]) == ("2025-10-01", "2025-11-28")
    assert all(isinstance(v, int) for v in base["summary"].values())
    for a in base["alerts"]:
        check_alert(a)
    assert base["summary"]["drawdown_warning"] > 0
    assert any(a["rule"] == "drawdown_warning" and a["symbol"] == "ORCL" for a in base["alerts"])
    strict = one_json(invoke(db, "rules", "backtest", *window, "--set", "drawdown_warning.threshold=-0.5", "--json"))
    assert strict["summary"] != base["summary"]
    # a stricter threshold fires fewer episodes; the other rules are untouched
    assert strict["summary"]["drawdown_warning"] < base["summary"]["drawdown_warning"]
    assert not any(a["rule"] == "drawdown_warning" and a["symbol"] == "ORCL" for a in strict["alerts"])
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

RUN_ONCE = ("run", "--once", "--source", "snapshot", "--as-of", "2025-11-28", "--json")


@pytest.fixture(scope="module")
def ran_once(tmp_path_factory, db_1125):
    """`run --once --source snapshot --as-of 2025-11-28 --json` on a database that holds the
    snapshot through 2025-11-25 (so the cycle fetches 11-26 and 11-28 and derives their signals)."""
    folder = tmp_path_factory.mktemp("run")
    db = folder / "r.db"
    shutil.copyfile(db_1125, db)
    res = invoke(db, *RUN_ONCE, cwd=folder)
    assert res.exit_code == 0, res.stderr
    return {"dir": folder, "db": db, "doc": json.loads(res.stdout)}


def test_run_once_json_and_alerts_list(ran_once):
    doc, db, folder = ran_once["doc"], ran_once["db"], ran_once["dir"]
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
    assert (folder / "alerts" / "alerts.jsonl").exists()

    listed = one_json(invoke(db, "alerts", "list", "--json"))
    for a in listed["alerts"]:
        check_alert(a)
    assert {a["id"] for a in listed["alerts"]} == ids
    firing = one_json(invoke(db, "alerts", "list", "--state", "firing", "--json"))["alerts"]
    assert firing and all(a["state"] == "firing" for a in firing)

    status = one_json(invoke(db, "status", "--as-of", "2025-11-28", "--json"))
    assert status["firing"] == len(firing)
    assert status["last_run"]["status"] == "ok"


def test_run_once_is_idempotent_through_the_cli(ran_once):
    db, folder = ran_once["db"], ran_once["dir"]
    lines = (folder / "alerts" / "alerts.jsonl").read_text().splitlines()
    again = invoke(db, *RUN_ONCE, cwd=folder)
    assert again.exit_code == 0, again.stderr
    doc = json.loads(again.stdout)
    assert all(s["rows_new"] == 0 for s in doc["fetched"]["symbols"].values())
    # the same session reports the same alerts, but nothing is appended or sent again
    assert doc["alerts"] == ran_once["doc"]["alerts"] != []
    assert doc["notifications"]["written"] == 0
    assert (folder / "alerts" / "alerts.jsonl").read_text().splitlines() == lines


# --------------------------------------------------------------------------- errors


@pytest.mark.slow
def test_bad_config_through_python_dash_m_is_one_error_line_and_exit_1(tmp_path):
    """The process boundary itself (``python -m aimonitor``): exit code 1, one line on the real
    stderr, no traceback, nothing on stdout."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[watchlist]\nsymbols = ["ORCL"]\nbogus = 1\n', encoding="utf-8")
    env = process_env()
    p = subprocess.run(
        [sys.executable, "-m", "aimonitor", "--config", str(bad), "--db", str(tmp_path / "x.db"), "status", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 1
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "bogus" in lines[0]
    assert not (tmp_path / "x.db").exists()


def test_missing_config_file_is_exit_1(tmp_path):
    res = invoke_cli(["--config", str(tmp_path / "nope.toml"), "rules", "check"], cwd=tmp_path)
    assert res.exit_code == 1
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
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
    res = invoke(tmp_path / "e.db", "run", "--once", "--no-fetch", "--as-of", "2025-11-28", "--json", cwd=tmp_path)
    assert res.exit_code == 1
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
