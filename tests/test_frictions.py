"""One test per day-one friction of issue #13 (what a new analyst hit in the first hour)."""

from __future__ import annotations

import ast
import datetime as dt
import gzip
import io
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from rich.console import Console

import aimonitor
from aimonitor.cli import cli
from aimonitor.rules import Rule, evaluate
from conftest import config_with_events

PKG = Path(aimonitor.__file__).parent
S = [dt.date(2025, 12, 1), dt.date(2025, 12, 2), dt.date(2025, 12, 3), dt.date(2025, 12, 4)]


def render(table, width: int = 100) -> str:
    con = Console(file=io.StringIO(), width=width, highlight=False, color_system=None)
    con.print(table)
    return con.file.getvalue()


@pytest.fixture
def snap_copy(snapshot_store, tmp_path):
    path = tmp_path / "snap.db"
    dst = sqlite3.connect(path)
    snapshot_store.conn.backup(dst)
    dst.close()
    return path


# --------------------------------------------------------------------------- alert records


def _frame(symbol: str, values: list[float], stale_days: int) -> pd.DataFrame:
    """``spread_change_20d_bp`` of ``symbol`` on the first sessions of S, fresh data on ``stale_days`` of them."""
    return pd.DataFrame(
        [(d, symbol, "spread_change_20d_bp", v) for d, v in zip(S, values)]
        + [(d, symbol, "staleness_sessions", 0.0) for d in S[:stale_days]],
        columns=["date", "symbol", "signal", "value"],
    )


def _replay(cfg, store, rule: Rule, df: pd.DataFrame, days, state: dict) -> dict:
    """Evaluate ``rule`` on each of ``days`` and persist what happened; returns the last state."""
    from aimonitor.pipeline import _persist

    for d in days:
        ev = evaluate([rule], df, state, d)
        _persist(cfg, store, ev, [])
        state = dict(ev.states)
    return state


def test_resolved_alert_keeps_the_firing_summary_never_plus_minus(cfg, store):
    """CRWV: "+-46 bp ... (> 100 bp, critical)" was the summary re-rendered at resolution."""
    from aimonitor.pipeline import read_alert_docs

    rule = Rule(
        name="crit",
        signal="spread_change_20d_bp",
        symbols=["CRWV"],
        op=">",
        threshold=100.0,
        clear_threshold=70.0,
        severity="critical",
        summary="{symbol}: equity-implied spread +{value:.0f} bp in 20 sessions (> {threshold:.0f} bp, critical)",
    )
    c = cfg.model_copy(update={"rules": [rule], "silences": []})
    _replay(c, store, rule, _frame("CRWV", [120.0, -46.0], 2), S[:2], {})
    (doc,) = read_alert_docs(c, store, "all")
    assert doc["state"] == "resolved"
    assert doc["summary"] == "CRWV: equity-implied spread +120 bp in 20 sessions (> 100 bp, critical)"
    assert doc["peak"] == 120.0 and doc["value"] == -46.0
    assert (doc["unit"], doc["since"]) == ("bp", "2025-12-02")
    assert doc["resolution"] == "CRWV: resolved on 2025-12-02: spread_change_20d_bp -46 (<= 70)"
    for t in store.read_transitions():
        assert "+-" not in json.dumps(t["payload"])


def test_pending_episode_dropped_is_not_listed_as_pending(cfg, store):
    """ORCL was listed "pending since 2025-11-13" at 2026-02-27: a pending episode that went back
    to inactive stayed "pending" in the alerts table."""
    from aimonitor.pipeline import read_alert_docs

    rule = Rule(name="w", signal="spread_change_20d_bp", symbols=["ORCL"], op=">", threshold=40.0, for_sessions=2)
    c = cfg.model_copy(update={"rules": [rule], "silences": []})
    vals = [48.0, 32.0, 46.0]  # pending, dropped, pending again (a new episode)
    df = _frame("ORCL", vals, 3)
    state = _replay(c, store, rule, df, S[:2], {})
    assert read_alert_docs(c, store, "pending") == []
    _replay(c, store, rule, df, S[2:3], state)
    pend = read_alert_docs(c, store, "pending")
    assert [(a["id"], a["since"]) for a in pend] == [("w:ORCL:2025-12-03", "2025-12-03")]


def test_alerts_list_shows_summary_unit_since_and_the_pipeline_error(cfg, snap_copy, tmp_path):
    from aimonitor.pipeline import record_pipeline_error
    from aimonitor.store import Store

    with Store(snap_copy) as st:
        record_pipeline_error(cfg, st, dt.date(2026, 2, 27), "yahoo: HTTP 429 Too Many Requests", tmp_path / "al")
    res = CliRunner().invoke(cli, ["--db", str(snap_copy), "alerts", "list"])
    assert res.exit_code == 0, res.output
    out = " ".join(res.stdout.split())
    for col in ("since", "summary", "peak"):
        assert col in out
    assert "HTTP 429 Too Many Requests" in out
    from aimonitor.report.terminal import format_value

    # values in the rule's unit: a drawdown fraction as percent, a spread in bp, a z-score as z
    assert (format_value(-0.5666, "%"), format_value(46.2, "bp"), format_value(4.21, "z")) == (
        "-56.7%",
        "46 bp",
        "z 4.21",
    )


# --------------------------------------------------------------------------- demo isolation


@pytest.mark.slow  # a whole demo (replay and every report)
def test_demo_writes_alerts_under_its_out_folder_and_leaves_alerts_untouched(tmp_path, monkeypatch):
    # a one-event catalog: this test is about where files land, not about the event study
    (tmp_path / "inputs").mkdir()
    demo_config = config_with_events(tmp_path / "inputs", ("EV04",))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "alerts.jsonl").write_text('{"live": 1}\n', encoding="utf-8")
    before = sorted(p.name for p in (tmp_path / "alerts").iterdir())
    args = ["--config", str(demo_config), "demo", "--out", "rep", "--from", "2025-11-26", "--to", "2025-11-28"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "alerts").iterdir()) == before
    assert (tmp_path / "alerts" / "alerts.jsonl").read_text(encoding="utf-8") == '{"live": 1}\n'
    assert (tmp_path / "rep" / "alerts" / "alerts.jsonl").is_file()
    out = " ".join(res.stdout.split())
    assert "spreads:" in out and "rep/spreads/" in out.replace(" ", "")
    # not a terminal: one line per phase / per N sessions on stderr
    assert "replaying 2025-11-26 (1/2)" in res.stderr  # Thanksgiving (11-27) is no session
    assert "writing reports" in res.stderr


# --------------------------------------------------------------------------- offline first run


def test_offline_first_run_names_the_last_data_date(cfg, snap_copy, tmp_path):
    """`run --once --source snapshot` months after the snapshot said "last data ?" and
    "no data at all" for the FRED OAS series, which do have data."""
    from aimonitor.pipeline import run_cycle
    from aimonitor.store import Store

    with gzip.open(PKG / "data" / "snapshot" / "fred.csv.gz", "rt") as fh:
        fred = pd.read_csv(fh)
    # the fixture loaded the snapshot as of 2026-02-27
    hy_last = fred[(fred.series == "BAMLH0A0HYM2") & (fred.date <= "2026-02-27")]["date"].max()
    with Store(snap_copy) as st:
        run_cycle(cfg, st, None, dt.date(2026, 6, 1), alerts_dir=tmp_path / "al")
        docs = {(a["rule"], a["symbol"]): a for a in st.read_alerts("all")}
    nodata = {sym: a["summary"] for (rule, sym), a in docs.items() if rule == "nodata"}
    assert "BAMLH0A0HYM2" in nodata
    assert f"last data {hy_last}" in nodata["BAMLH0A0HYM2"]
    for text in nodata.values():
        assert "?" not in text and "no data at all" not in text, text
    assert "last data 2026-02-27" in nodata["ORCL"]


# --------------------------------------------------------------------------- tables


def test_event_amounts_read_like_a_journalist_writes_them(tmp_path):
    res = CliRunner().invoke(cli, ["--db", str(tmp_path / "e.db"), "events", "list"])
    assert res.exit_code == 0, res.output
    assert "e+" not in res.stdout
    assert "$100B" in res.stdout  # the catalog holds 100e9 deals
    from aimonitor.report.terminal import mentions_table

    doc = {
        "articles": [],
        "mentions": [
            {"type": "equity_investment", "tickers": ["NVDA"], "amount": 1e11, "unit": "USD", "quote": "q"},
            {"type": "compute_contract", "tickers": ["AMD"], "amount": 6.0, "unit": "GW", "quote": "q"},
        ],
    }
    text = render(mentions_table(doc))
    assert "$100B" in text and "e+" not in text


def test_rules_check_never_wraps_inside_a_symbol():
    from aimonitor.report.terminal import rules_table

    syms = ["ORCL", "NVDA", "AMD", "CRWV", "MSFT", "META", "AMZN", "GOOGL", "AVGO"]
    r = Rule(name="dd", signal="drawdown_52w", symbols=syms, op="<", threshold=-0.25)
    text = render(rules_table([r.model_dump(mode="json")], title="t"), width=90)
    words = set(text.replace(",", " ").replace("│", " ").split())
    for s in syms:
        assert s in words, s


def test_report_help_states_the_real_default_and_refuses_the_demo_folder(tmp_path):
    runner = CliRunner()
    help_text = " ".join(runner.invoke(cli, ["report", "--help"]).stdout.split())
    assert "2025-01-02" not in help_text
    assert "250 sessions before --to" in help_text
    assert "reports/dashboard" in help_text
    (tmp_path / "rep").mkdir()
    (tmp_path / "rep" / "demo.db").write_bytes(b"")
    res = runner.invoke(cli, ["--db", str(tmp_path / "x.db"), "report", "--out", str(tmp_path / "rep")])
    assert res.exit_code == 1
    assert res.stderr.startswith("Error: --out ") and len(res.stderr.strip().splitlines()) == 1


def test_spreads_import_reports_a_bad_row_once(tmp_path):
    csv = tmp_path / "q.csv"
    csv.write_text(
        "entity,date,tenor,spread_bp,source\nORCL,2025-11-20,5Y,120,dealer\nORCL,2025-11-21,5Y,abc,dealer\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(cli, ["--db", str(tmp_path / "q.db"), "spreads", "import", str(csv)])
    assert res.exit_code == 0, res.output
    assert res.stderr.count("q.csv:3") == 1
    assert "DataWarning" not in res.stderr


def test_events_reimport_changes_nothing(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "e.db")
    first = runner.invoke(cli, ["--db", db, "events", "import", "--json"])
    second = runner.invoke(cli, ["--db", db, "events", "import", "--json"])
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a["rows_new"] == a["events"] > 0
    assert (b["rows_new"], b["rows_updated"]) == (0, 0)
    text = runner.invoke(cli, ["--db", db, "events", "import"]).stdout
    assert "0 new, 0 updated" in text


def test_events_import_warns_about_a_date_years_before_the_others(tmp_path):
    header = "event_id,announce_date,timing,tickers,counterparty,event_type,amount_usd,description_en\n"
    rows = [
        "A,2025-09-22,pre,NVDA,OpenAI,equity_investment,100e9,x",
        "B,2025-10-06,pre,AMD,OpenAI,compute_contract,,x",
        "C,2015-10-13,pre,AVGO,OpenAI,compute_contract,,a 2025 article whose date was misread",
    ]
    csv = tmp_path / "ev.csv"
    csv.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["--db", str(tmp_path / "e.db"), "events", "import", str(csv)])
    assert res.exit_code == 0, res.output
    assert "imported 3 events" in res.stdout
    assert res.stderr.count("2015-10-13") == 1 and "check the year" in res.stderr


# --------------------------------------------------------------------------- help, feedback, layering


def test_top_level_help_lists_whole_descriptions_and_examples():
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"]).stdout
    commands = top[top.index("Commands:") :]
    assert "..." not in commands and "Examples:" in top
    assert "Run the cycle after every NYSE session close until SIGTERM/SIGINT." in " ".join(commands.split())
    for args in (["rules", "backtest"], ["alerts", "list"], ["events", "list"], ["demo"]):
        text = runner.invoke(cli, [*args, "--help"]).stdout
        assert "Example" in text, args
        json_line = next(line for line in text.splitlines() if "--json" in line)
        assert json_line.strip() != "--json", args  # the flag says what it prints


def test_line_progress_off_a_terminal_has_an_eta():
    from aimonitor.report.terminal import LineProgress

    ticks = iter(range(1000))
    buf = io.StringIO()
    p = LineProgress(buf, every=25, clock=lambda: float(next(ticks)))  # one second per call
    for i in range(1, 101):
        p("replaying", i, 100)
    lines = buf.getvalue().splitlines()
    # a line for the new phase (step 1), then steps 25, 50, 75 and the last
    assert [ln.split("(")[1].split(",")[0].rstrip(")") for ln in lines] == [
        "1/100",
        "25/100",
        "50/100",
        "75/100",
        "100/100",
    ]
    # step 25 is reached 24 s after the phase began (clock ticks 1..25): 24/25 s per step, 75 left -> 72 s
    assert "about 1m12s left" in lines[1]


def test_rules_do_not_import_analytics():
    for path in (PKG / "rules").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("aimonitor.analytics"), path
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("aimonitor.analytics") for a in node.names), path


def test_unknown_signal_in_a_config_is_one_line_error(tmp_path):
    from aimonitor.config import packaged_default_path

    text = (
        packaged_default_path().read_text(encoding="utf-8").replace('signal = "vol_20d_z"', 'signal = "vol_20d_zz"', 1)
    )
    p = tmp_path / "c.toml"
    p.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(cli, ["--config", str(p), "rules", "check"])
    assert res.exit_code == 1
    assert 'signal: unknown signal "vol_20d_zz"' in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_fetch_reports_progress_with_counts(tmp_path):
    from aimonitor.config import load_config
    from aimonitor.ingest import run_fetch
    from aimonitor.sources.snapshot import SnapshotSource
    from aimonitor.store import Store

    cfg = load_config(None, db=str(tmp_path / "p.db"))
    calls: list[tuple] = []
    with Store(tmp_path / "p.db") as store:
        run_fetch(
            cfg,
            store,
            SnapshotSource(),
            as_of=dt.date(2026, 2, 27),
            symbols=["ORCL", "CRWV", "AMD"],
            fundamentals=False,
            progress=lambda label, done=None, total=None: calls.append((label, done, total)),
        )
    counted = [c for c in calls if c[2] is not None]
    # three symbols asked for: "stored ORCL" 1/3 ... 3/3, so a bar can show an ETA
    assert [c[1:] for c in counted] == [(1, 3), (2, 3), (3, 3)]
    assert {c[0] for c in counted} == {"stored ORCL", "stored CRWV", "stored AMD"}
