"""`aimonitor demo` end to end on a short window of the bundled real data.

The demo runs once per test session (the ``demo_run`` fixture in conftest.py: in-process
through click, from an empty folder, with ``$AIMONITOR_DB`` naming a user database it must
leave alone). Expected values come from the bundled CSV read directly and the NYSE calendar.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

import aimonitor

DEMO_FROM, DEMO_TO = "2025-11-04", "2025-11-07"  # the window of conftest.demo_run
BARS = Path(aimonitor.__file__).parent / "data" / "snapshot" / "bars.csv.gz"

pytestmark = pytest.mark.slow  # one whole demo (replay and every report) for the module


def first_breach(symbol: str, start: str, end: str, threshold: float) -> str | None:
    """First session in [start, end] whose close is below ``1 + threshold`` times the 252-session high."""
    with gzip.open(BARS, "rt", encoding="utf-8") as fh:
        b = pd.read_csv(fh, parse_dates=["date"])
    px = b[b.symbol == symbol].set_index("date")["adj_close"].sort_index()
    dd = (px / px.rolling(252, min_periods=1).max() - 1)[start:end]
    hits = dd[dd < threshold]
    return None if hits.empty else hits.index[0].date().isoformat()


@pytest.fixture(scope="module")
def demo(demo_run):
    res = demo_run["result"]
    assert res.exit_code == 0, res.stderr
    assert (demo_run["from"], demo_run["to"]) == (DEMO_FROM, DEMO_TO)
    lines = [
        json.loads(x)
        for x in (demo_run["dir"] / "rep" / "alerts" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
        if x.strip()
    ]
    return {**demo_run, "doc": json.loads(res.stdout), "lines": lines}


def test_demo_replays_the_window_and_writes_only_alerts_and_reports(demo):
    doc, folder = demo["doc"], demo["dir"]
    assert (doc["from"], doc["to"]) == (DEMO_FROM, DEMO_TO)
    # Tuesday 2025-11-04 .. Friday 2025-11-07: four NYSE sessions, no holiday
    assert doc["sessions"] == 4
    # files: the reports folder only (alerts inside it, never ./alerts); never the user's database
    assert sorted(x.name for x in folder.iterdir()) == ["rep"]
    assert doc["alerts_dir"] == str(Path("rep") / "alerts")
    assert doc["reports"]["spreads_dir"] == str(Path("rep") / "spreads")
    assert not (folder / "aimonitor.db").exists()
    assert (folder / "rep" / "index.html").is_file()
    assert "<html" in (folder / "rep" / "index.html").read_text(encoding="utf-8").lower()
    keys = [r["key"] for r in demo["lines"]]
    assert keys and len(keys) == len(set(keys))
    # the event study of the catalog's events (EV04, EV09 in the fixture's catalog) is written
    study = folder / doc["reports"]["event_study"]
    assert study.is_file() and "EV04" in study.read_text(encoding="utf-8")


def test_demo_ignores_the_users_database_from_the_environment(demo):
    assert not demo["user_db"].exists()
    assert (demo["dir"] / demo["doc"]["db"]).resolve() == (demo["dir"] / "rep" / "demo.db").resolve()


def test_demo_fires_the_orcl_drawdown_on_the_session_the_data_says(demo):
    # Oracle's sell-off: the first session it closed > 25 % below its 52-week high fires the warning
    day = first_breach("ORCL", DEMO_FROM, DEMO_TO, -0.25)
    assert day == "2025-11-06"  # the CSV: -24.3 % on 11-04, -23.6 % on 11-05, -25.6 % on 11-06
    fired = [
        r
        for r in demo["lines"]
        if r["transition"] == "firing" and r["alert"]["rule"] == "drawdown_warning" and r["alert"]["symbol"] == "ORCL"
    ]
    assert fired and fired[0]["alert"]["fired"] == day
    assert "ORCL" in demo["doc"]["fired"]["drawdown_warning"]["symbols"]
    # NVDA never fell 25 % below its high in the window: no drawdown warning for it
    assert first_breach("NVDA", DEMO_FROM, DEMO_TO, -0.25) is None
    assert not [r for r in demo["lines"] if r["alert"]["rule"] == "drawdown_warning" and r["alert"]["symbol"] == "NVDA"]
