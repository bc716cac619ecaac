"""`aimonitor demo` end to end on a short window of the bundled real data."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

import aimonitor

BARS = Path(aimonitor.__file__).parent / "data" / "snapshot" / "bars.csv.gz"


def first_breach(symbol: str, start: str, end: str, threshold: float) -> str | None:
    """First session in [start, end] whose close is below ``1 + threshold`` times the 252-session high."""
    with gzip.open(BARS, "rt", encoding="utf-8") as fh:
        b = pd.read_csv(fh, parse_dates=["date"])
    px = b[b.symbol == symbol].set_index("date")["adj_close"].sort_index()
    dd = (px / px.rolling(252, min_periods=1).max() - 1)[start:end]
    hits = dd[dd < threshold]
    return None if hits.empty else hits.index[0].date().isoformat()


def test_demo_short_window(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIMONITOR_")}
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "aimonitor",
            "demo",
            "--out",
            "rep",
            "--from",
            "2025-11-03",
            "--to",
            "2025-12-31",
            "--json",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert (doc["from"], doc["to"]) == ("2025-11-03", "2025-12-31")
    # Nov 3 .. Dec 31 2025: 20 + 23 weekdays minus Thanksgiving (Nov 27) and Christmas (Dec 25)
    assert doc["sessions"] == 41
    # files: the reports folder only (alerts inside it); never the user's aimonitor.db nor ./alerts
    assert sorted(x.name for x in tmp_path.iterdir()) == ["rep"]
    assert doc["alerts_dir"] == str(Path("rep") / "alerts")
    assert doc["reports"]["spreads_dir"] == str(Path("rep") / "spreads")
    assert not (tmp_path / "aimonitor.db").exists()
    assert (tmp_path / "rep" / "index.html").is_file()
    assert "<html" in (tmp_path / "rep" / "index.html").read_text(encoding="utf-8").lower()
    lines = [
        json.loads(x)
        for x in (tmp_path / "rep" / "alerts" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
        if x.strip()
    ]
    assert lines
    keys = [r["key"] for r in lines]
    assert len(keys) == len(set(keys))

    # Oracle's sell-off: the first session it closed > 25 % below its 52-week high fires the warning
    day = first_breach("ORCL", "2025-11-03", "2025-12-31", -0.25)
    assert day is not None
    fired = [
        r
        for r in lines
        if r["transition"] == "firing" and r["alert"]["rule"] == "drawdown_warning" and r["alert"]["symbol"] == "ORCL"
    ]
    assert fired and fired[0]["alert"]["fired"] == day
    assert "ORCL" in doc["fired"]["drawdown_warning"]["symbols"]
    # NVDA never fell 25 % below its high in the window: no drawdown warning for it
    assert first_breach("NVDA", "2025-11-03", "2025-12-31", -0.25) is None
    assert not [r for r in lines if r["alert"]["rule"] == "drawdown_warning" and r["alert"]["symbol"] == "NVDA"]


def test_demo_ignores_the_users_database_from_the_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIMONITOR_")}
    env["AIMONITOR_DB"] = str(tmp_path / "user.db")
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "aimonitor",
            "demo",
            "--out",
            "rep",
            "--from",
            "2025-11-26",
            "--to",
            "2025-11-28",
            "--json",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr
    assert not (tmp_path / "user.db").exists()
