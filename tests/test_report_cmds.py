"""``aimonitor spreads`` and ``aimonitor report`` on the bundled snapshot.

Expected values come from outside the code: FRED's ICE BofA OAS in the bundled file
(BBB 1.03 % on 2025-09-02 and 1.04 % on 2025-11-28: +1 bp; high yield 2.92 % -> 2.95 %:
+3 bp; IG 0.82 % both days), the snapshot's last session (2026-02-27, a Friday) and its
session list (60 sessions before it is 2025-12-01), the credit market's own verdict in
autumn 2025 (Oracle's and CoreWeave's CDS widened from September to late November and
CoreWeave traded far wider than Oracle) and the contract's invariants.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import aimonitor
from conftest import invoke_cli

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "aimonitor.toml"
DATA = Path(aimonitor.__file__).parent / "data" / "snapshot"


@pytest.fixture(scope="module")
def fred() -> pd.DataFrame:
    with gzip.open(DATA / "fred.csv.gz", "rt", encoding="utf-8") as fh:
        return pd.read_csv(fh).pivot(index="date", columns="series", values="value")


@pytest.fixture
def db(db_1128, db_copy) -> Path:
    """The snapshot and its signals through 2025-11-28."""
    return db_copy(db_1128)


def _spreads(run_cli, db: Path, *args: str):
    return run_cli("--config", str(CONFIG), "--db", str(db), "spreads", *args)


@pytest.fixture(scope="module")
def autumn(db_1128, tmp_path_factory) -> dict:
    """``spreads --json`` from 2025-09-02 to 2025-11-28, run once for the module's read-only checks."""
    db = tmp_path_factory.mktemp("autumn") / "a.db"
    shutil.copyfile(db_1128, db)
    res = invoke_cli(
        [
            "--config",
            str(CONFIG),
            "--db",
            str(db),
            "spreads",
            "--since",
            "2025-09-02",
            "--as-of",
            "2025-11-28",
            "--json",
        ]
    )
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


def test_spreads_json_and_the_autumn_2025_widening(autumn, fred):
    doc = autumn
    assert (doc["as_of"], doc["since"]) == ("2025-11-28", "2025-09-02")
    rows = {r["symbol"]: r for r in doc["rows"]}
    assert set(rows) == {"ORCL", "CRWV", "AMD", "NVDA"}  # the watchlist names with filings
    for r in rows.values():
        assert {"method", "spread_bp", "spread_bp_since", "change_bp", "change_20d_bp"} <= set(r)
        assert {"distance_to_default", "pd_1y", "benchmark"} <= set(r)
        assert r["change_bp"] == pytest.approx(r["spread_bp"] - r["spread_bp_since"], abs=0.011)  # 2-decimal rounding

    # benchmarks: each name against its rating bucket's FRED OAS, change in bp from the FRED file.
    # FRED publishes day t's OAS after the 17:30 cycle, so a session sees the last value dated
    # strictly before it ([credit] fred_lag_sessions = 1): 2025-11-27 for 11-28, 2025-09-01 for 09-02.
    def usable(series: str, session: str) -> float:
        col = fred[series].dropna()
        return float(col[col.index < session].iloc[-1])

    bucket = {"ORCL": "BAMLC0A4CBBB", "CRWV": "BAMLH0A0HYM2", "AMD": "BAMLC0A0CM", "NVDA": "BAMLC0A0CM"}
    for sym, series in bucket.items():
        b = rows[sym]["benchmark"]
        assert b["series"] == series
        want = (usable(series, "2025-11-28") - usable(series, "2025-09-02")) * 100
        assert b["change_bp"] == pytest.approx(want, abs=1e-6)
    # by hand from the FRED files: BBB 1.05 - 1.02, HY 3.00 - 2.84 (percent)
    assert rows["ORCL"]["benchmark"]["change_bp"] == pytest.approx(3.0)
    assert rows["CRWV"]["benchmark"]["change_bp"] == pytest.approx(16.0)
    # the market's verdict: both loop borrowers widened, CoreWeave far wider than Oracle
    assert rows["ORCL"]["change_bp"] > 0 and rows["CRWV"]["change_bp"] > 0
    assert rows["CRWV"]["spread_bp"] > 3 * rows["ORCL"]["spread_bp"]


def test_spreads_bands_and_term_structure_per_the_contract(autumn):
    for r in autumn["rows"]:
        assert r["spread_bp_low"] <= r["spread_bp"] <= r["spread_bp_high"]
        tenors = [p["tenor_years"] for p in r["term_structure"]]
        assert {1.0, 3.0, 5.0, 7.0, 10.0} <= set(tenors)
        probs = [p["default_prob"] for p in sorted(r["term_structure"], key=lambda p: p["tenor_years"])]
        assert all(b >= a for a, b in zip(probs, probs[1:]))


def test_spreads_defaults_are_the_last_stored_session_and_60_sessions_before(run_cli, db_prices, db_copy):
    doc = json.loads(_spreads(run_cli, db_copy(db_prices), "--symbols", "orcl", "--json").stdout)
    assert (doc["as_of"], doc["since"]) == ("2026-02-27", "2025-12-01")
    assert [r["symbol"] for r in doc["rows"]] == ["ORCL"]


def test_spreads_table_and_charts(run_cli, db, tmp_path):
    out = tmp_path / "charts"
    res = _spreads(run_cli, db, "--symbols", "CRWV", "--out", str(out))
    assert res.exit_code == 0, res.stderr
    assert "CRWV" in res.stdout
    pngs = sorted(out.glob("*.png"))
    assert pngs and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert f"{len(pngs)} charts written to {out}" in res.stderr


@pytest.mark.parametrize("command", [("spreads", "--json"), ("report", "--out", "rep")])
def test_on_an_empty_database_it_is_one_error_line(run_cli, tmp_path, command):
    res = run_cli("--config", str(CONFIG), "--db", str(tmp_path / "e.db"), *command, cwd=tmp_path)
    assert res.exit_code == 1
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "fetch" in lines[0]


@pytest.mark.slow  # every figure of the dashboard is rendered
def test_report_writes_a_self_contained_dashboard(run_cli, db, tmp_path):
    """Only what the contract fixes (one HTML file that needs no network); its content and
    layout are being rebuilt and are tested with it."""
    res = run_cli("--config", str(CONFIG), "--db", str(db), "report", "--out", str(tmp_path / "rep"))
    assert res.exit_code == 0, res.stderr
    index = tmp_path / "rep" / "index.html"
    assert str(index) in res.stdout
    html = index.read_text(encoding="utf-8")
    assert "<html" in html.lower()
    assert 'src="http' not in html and "src='http" not in html  # nothing fetched to view it


def test_spreads_footnotes_are_one_per_line(run_cli, db):
    # CRWV listed on 2025-03-28: by 2025-11-28 it has under a year of closes, so the table must
    # carry at least its short-history notes, each numbered on a line of its own
    res = _spreads(run_cli, db, "--since", "2025-09-02", "--as-of", "2025-11-28")
    assert res.exit_code == 0, res.stderr
    numbered = [ln.strip() for ln in res.stdout.splitlines() if ln.strip()[:3] in {f"{i}. " for i in range(1, 7)}]
    assert len(numbered) >= 2
    assert [int(n.split(".")[0]) for n in numbered] == list(range(1, len(numbered) + 1))
    assert any("CRWV" in n for n in numbered)
    assert " · " not in res.stdout
