"""The deal report, the CLI study on stored data, --measure spread, and CSV safety."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest
from click.testing import CliRunner

from aimonitor.report.eventstudy import write_study_report
from aimonitor.study import StudyOptions, study_from_events


@pytest.fixture(scope="module")
def db(tmp_path_factory, snapshot_store):
    """A private copy of the session snapshot database (these tests import the catalog)."""
    path = tmp_path_factory.mktemp("study") / "study.db"
    src = sqlite3.connect(snapshot_store.path)
    dst = sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    return str(path)


def run_cli(db: str, *args: str):
    from aimonitor.cli import cli

    return CliRunner().invoke(cli, ["--db", db, "study", *args], catch_exceptions=False)


def test_all_events_json_counts_each_symbol_day0_once(db):
    out = run_cli(db, "--all-events", "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    keys = [(f["symbol"], f["day0"]) for f in doc["firms"]]
    assert len(keys) == len(set(keys)) == doc["aggregate"]["n"]
    for f in doc["firms"]:
        assert f["event_id"] == f["event_ids"][0]
        assert isinstance(f["excluded_days"], list) and isinstance(f["confounded_by"], list)
    orcl = {f["day0"]: f for f in doc["firms"] if f["symbol"] == "ORCL"}
    for d0 in ("2025-10-23", "2025-11-17", "2025-11-28"):
        assert "2025-09-10" in orcl[d0]["excluded_days"]
    # outcome rows are not studied by default, and say why
    reasons = {(s["symbol"], s["event_id"]): s["reason"] for s in doc["skipped"]}
    assert "outcome" in reasons[("AMD", "EV10")]
    # ORCL 2025-09-10: the contract (EV05) shares its day 0 with the earnings released the
    # evening before (EV04): one firm-event, flagged as confounded
    sep = orcl["2025-09-10"]
    assert sep["event_ids"] == ["EV04", "EV05"] and "EV05" in sep["confounded_by"]


def test_deal_report_for_amd_openai(db, tmp_path):
    out = run_cli(db, "--event", "EV09", "--out", str(tmp_path / "rep"))
    assert out.exit_code == 0, out.output
    md = (tmp_path / "rep" / "event_study.md").read_text(encoding="utf-8")
    title = md.splitlines()[0]
    assert title.startswith("# AMD and OpenAI") and "$300B" in title and "EV09" in title
    assert "Counterparty: OpenAI." in md and "before the open" in md and "day 0 = 2025-10-06" in md
    summary = next(line for line in md.splitlines() if line.startswith("**In short.**"))
    assert "AMD rose 23." in summary and "more than the market (SPY) on day 0" in summary
    assert summary.count(". ") + summary.endswith(".") == 2  # two sentences
    assert "## Aggregate" not in md  # one firm-event: no aggregate table of n/a
    pngs = sorted(p.name for p in (tmp_path / "rep").glob("*.png"))
    assert pngs == ["event_study_car_AMD_EV09.png"]  # one chart for one firm
    html = (tmp_path / "rep" / "event_study.html").read_text(encoding="utf-8")
    assert "<h1>AMD and OpenAI" in html


def test_measure_spread_returns_bp(db):
    out = run_cli(db, "--event", "EV08", "--measure", "spread", "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["measure"] == "spread" and doc["units"] == "bp" and doc["returns"] == "bp"
    (firm,) = doc["firms"]
    assert firm["symbol"] == "ORCL"
    # daily changes of a ~100 bp spread: a residual sd of a few bp, not a fraction
    assert 0.2 < firm["sigma"] < 30
    assert all(abs(d["ar"]) < 200 for d in firm["days"])


def test_spread_measure_refuses_a_csv(tmp_path):
    from aimonitor.cli import cli

    p = tmp_path / "p.csv"
    p.write_text("date,A,M\n2024-01-02,1,1\n2024-01-03,1.1,1\n", encoding="utf-8")
    out = CliRunner().invoke(
        cli, ["study", "--prices", str(p), "--market", "M", "--event-date", "2024-01-03", "--measure", "spread"]
    )
    assert out.exit_code == 1 and "stored data" in out.output


def test_event_ids_are_neutralised_in_study_csvs(wide, tmp_path):
    events = [{"event_id": "=HYPERLINK(1)", "tickers": "AMD", "day0": "2025-10-06", "event_type": "compute_contract"}]
    res = study_from_events(wide, "SPY", events, StudyOptions())
    write_study_report(res, tmp_path)
    firms = pd.read_csv(tmp_path / "event_study_firms.csv", dtype=str)
    assert firms.loc[0, "event_id"] == "'=HYPERLINK(1)" and firms.loc[0, "event_ids"] == "'=HYPERLINK(1)"
    ar = pd.read_csv(tmp_path / "event_study_ar.csv", dtype=str)
    assert set(ar["event_id"]) == {"'=HYPERLINK(1)"}
    assert float(ar["ar"].iloc[0]) < 0  # numbers stay numbers (AR on day -1 is negative)
