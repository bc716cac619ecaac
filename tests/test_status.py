"""``aimonitor status``: what is stored, how stale it is, the last run and the firing count.

Expected values come from the bundled CSV read directly (row counts, first and last
sessions) and the NYSE calendar written by hand (2025-11-28 is the half day after
Thanksgiving; Monday 2025-12-01 and Tuesday 2025-12-02 are the next two sessions).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import aimonitor

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "aimonitor.toml"
BARS = Path(aimonitor.__file__).parent / "data" / "snapshot" / "bars.csv.gz"


def _doc(res) -> dict:
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    with gzip.open(BARS, "rt", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def test_empty_database(tmp_path, run_cli):
    db = tmp_path / "e.db"
    doc = _doc(run_cli("--config", str(CONFIG), "--db", str(db), "status", "--as-of", "2025-11-28", "--json"))
    assert doc["db"] == str(db)
    assert doc["last_run"] is None and doc["firing"] == 0
    assert doc["symbols"]["ORCL"]["last_session"] is None
    assert doc["symbols"]["ORCL"]["stale_sessions"] is None


def test_staleness_counts_sessions_not_days(tmp_path, run_cli, db_1128, db_copy, bars):
    db = db_copy(db_1128)
    doc = _doc(run_cli("--config", str(CONFIG), "--db", str(db), "status", "--as-of", "2025-12-02", "--json"))
    orcl = doc["symbols"]["ORCL"]
    assert (orcl["last_session"], orcl["stale_sessions"]) == ("2025-11-28", 2)  # Monday 12-01, Tuesday 12-02
    want = bars[(bars.symbol == "ORCL") & (bars.date <= "2025-11-28")]
    assert orcl["rows"] == len(want) and orcl["first_session"] == want.date.min() == "2024-01-02"
    assert doc["symbols"]["CRWV"]["first_session"] == "2025-03-28"  # CoreWeave's IPO
    # a weekend is not a session: on Sunday 2025-11-30 nothing is stale yet
    fri = _doc(run_cli("--config", str(CONFIG), "--db", str(db), "status", "--as-of", "2025-11-30", "--json"))
    assert fri["symbols"]["ORCL"]["stale_sessions"] == 0
    assert doc["last_run"] is None and doc["firing"] == 0  # fetching and deriving is not a cycle


def test_last_run_and_firing_after_a_failed_then_a_good_cycle(tmp_path, run_cli, db_1128, db_copy):
    db = db_copy(db_1128)
    base = ("--config", str(CONFIG), "--db", str(db))
    empty = tmp_path / "empty.db"
    assert (
        run_cli(
            "--config", str(CONFIG), "--db", str(empty), "run", "--once", "--no-fetch", "--as-of", "2025-11-28"
        ).exit_code
        == 1
    )
    failed = _doc(run_cli("--config", str(CONFIG), "--db", str(empty), "status", "--as-of", "2025-11-28", "--json"))
    assert failed["last_run"]["status"] == "error" and failed["last_run"]["as_of"] == "2025-11-28"

    ran = run_cli(*base, "run", "--once", "--no-fetch", "--as-of", "2025-11-28", "--json", cwd=tmp_path)
    assert ran.exit_code == 0, ran.stderr
    doc = _doc(run_cli(*base, "status", "--as-of", "2025-11-28", "--json"))
    assert doc["last_run"]["status"] == "ok" and doc["last_run"]["as_of"] == "2025-11-28"
    firing = json.loads(run_cli(*base, "alerts", "list", "--state", "firing", "--json").stdout)["alerts"]
    # Oracle was 38 % below its 52-week high on 2025-11-28 (the CSV), so at least its warning fires
    assert "drawdown_warning:ORCL:2025-11-28" in {a["id"] for a in firing}
    assert doc["firing"] == len(firing)


def test_human_output_names_the_symbols(tmp_path, run_cli, db_1128, db_copy):
    res = run_cli("--config", str(CONFIG), "--db", str(db_copy(db_1128)), "status", "--as-of", "2025-12-02")
    assert res.exit_code == 0, res.stderr
    assert "ORCL" in res.stdout and "CRWV" in res.stdout


def test_without_a_database_it_reads_the_demo_one_and_says_so(tmp_path, run_cli, db_1128):
    """No --db and no configured database yet: read-only commands fall back to reports/demo.db."""
    (tmp_path / "reports").mkdir()
    shutil.copyfile(db_1128, tmp_path / "reports" / "demo.db")
    res = run_cli("--config", str(CONFIG), "status", "--as-of", "2025-12-02", "--json", cwd=tmp_path)
    doc = _doc(res)
    assert Path(doc["db"]) == Path("reports") / "demo.db"
    assert doc["symbols"]["ORCL"]["last_session"] == "2025-11-28"
    assert "reading the demo database" in res.stderr
    assert not (tmp_path / "aimonitor.db").exists()  # the configured database is not created by looking
