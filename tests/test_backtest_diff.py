"""`rules backtest --set/--config`: the before/after comparison of a threshold change.

Synthetic series with hand-written expectations first, then the acceptance run on the
bundled real data, whose expected episodes come from a ten-line re-implementation of
the rule (two consecutive sessions above the threshold, cleared at or below 25 bp) run
on the stored signal, not from the engine under test.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3

import pandas as pd
import pytest
from click.testing import CliRunner

from aimonitor.calendar import sessions
from aimonitor.cli import cli
from aimonitor.rules import Rule, backtest, compare
from aimonitor.store import Store

D = dt.date
S = sessions("2025-12-01", "2026-01-30")


def mk(**kw) -> Rule:
    base = dict(name="w", signal="spread_change_20d_bp", symbols=["ORCL", "CRWV"], op=">", threshold=40.0)
    base.update(kw)
    return Rule(**base)


def frame(values: dict[str, list[float | None]]) -> pd.DataFrame:
    rows = []
    for sym, vals in values.items():
        for d, v in zip(S, vals):
            rows.append((d, sym, "staleness_sessions", 0.0))
            if v is not None:
                rows.append((d, sym, "spread_change_20d_bp", v))
    return pd.DataFrame(rows, columns=["date", "symbol", "signal", "value"])


# ORCL: 45 (S0), 70 (S1), 65 (S2), 30 (S3) ... ; CRWV: 50 (S0), 55 (S1), 10 (S2)
ORCL = [45.0, 70.0, 65.0, 30.0, 20.0] + [0.0] * (len(S) - 5)
CRWV = [50.0, 55.0, 10.0] + [0.0] * (len(S) - 3)


def test_diff_names_moved_and_dropped_episodes_with_peak_and_duration():
    cmp = compare([mk()], frame({"ORCL": ORCL, "CRWV": CRWV}), S, overrides=["w.threshold=60"])
    # baseline (> 40): ORCL fires S0 (peak 70), resolves S3 (30 <= 40) -> 3 sessions; CRWV fires S0, resolves S2
    # tried (> 60): ORCL fires S1 (peak 70; 65 on S2 keeps it), resolves S3 -> 2 sessions; CRWV never fires
    assert cmp.baseline.summary == {"w": 2} and cmp.result.summary == {"w": 1}
    by = {d.symbol: d for d in cmp.diff()}
    assert [e.fired for e in by["ORCL"].removed] == [S[0]]
    assert [e.fired for e in by["ORCL"].added] == [S[1]]
    assert (by["ORCL"].removed[0].peak, by["ORCL"].removed[0].sessions) == (70.0, 3)
    assert (by["ORCL"].added[0].peak, by["ORCL"].added[0].sessions) == (70.0, 2)
    assert [e.fired for e in by["CRWV"].removed] == [S[0]] and by["CRWV"].added == ()
    doc = cmp.to_json()
    assert doc["changes"] == ["w.threshold=60"]
    assert doc["baseline"]["summary"] == {"w": 2}
    assert {(x["symbol"], tuple(x["added"]), tuple(x["removed"])) for x in doc["diff"]} == {
        ("ORCL", (S[1].isoformat(),), (S[0].isoformat(),)),
        ("CRWV", (), (S[0].isoformat(),)),
    }


def test_lead_time_before_a_mark_and_calm_counts():
    marks = [S[5]]
    cmp = compare([mk()], frame({"ORCL": ORCL, "CRWV": CRWV}), S, overrides=["w.threshold=60"], marks=marks)
    lead = {(x["symbol"], x["lead_sessions"]) for x in cmp.lead_times(cmp.baseline)}
    assert lead == {("ORCL", 5), ("CRWV", 5)}  # both fired on S0, five sessions before S5
    assert {(x["symbol"], x["lead_sessions"]) for x in cmp.lead_times(cmp.result)} == {("ORCL", 4)}
    # every firing is within 20 sessions of the mark: nothing fired in a calm period
    assert cmp.calm_counts(cmp.baseline) == {"w": 0}
    calm = compare([mk()], frame({"ORCL": ORCL, "CRWV": CRWV}), S, overrides=["w.threshold=60"], calm=[(S[0], S[1])])
    assert calm.calm_counts(calm.baseline) == {"w": 2} and calm.calm_counts(calm.result) == {"w": 1}


def test_peak_is_the_most_extreme_value_and_summary_is_the_firing_one():
    rule = mk(summary="{symbol}: +{value:.0f} bp (> {threshold:.0f} bp)", symbols=["ORCL"])
    res = backtest([rule], frame({"ORCL": [45.0, 120.0, 80.0, -46.0] + [0.0] * (len(S) - 4)}), S)
    (alert,) = res.alerts
    assert alert.peak == 120.0
    assert alert.value == -46.0  # the value it resolved on (later sessions do not touch it)
    assert alert.summary == "ORCL: +45 bp (> 40 bp)"  # rendered once, on the firing session
    assert "+-" not in alert.summary and "-46" not in alert.summary
    assert alert.resolution == "ORCL: resolved on 2025-12-04: spread_change_20d_bp -46 (<= 40)"


def test_negative_peak_for_a_less_than_rule_and_absolute_rules():
    dd = Rule(name="dd", signal="drawdown_52w", symbols=["ORCL"], op="<", threshold=-0.25)
    vals = [-0.3, -0.45, -0.35, -0.1]
    df = pd.DataFrame(
        [(d, "ORCL", "drawdown_52w", v) for d, v in zip(S, vals)]
        + [(d, "ORCL", "staleness_sessions", 0.0) for d in S[:4]],
        columns=["date", "symbol", "signal", "value"],
    )
    assert backtest([dd], df, S[:4]).alerts[0].peak == -0.45
    ab = Rule(name="ab", signal="drawdown_52w", symbols=["ORCL"], op=">", threshold=0.2, absolute=True)
    assert backtest([ab], df, S[:4]).alerts[0].peak == -0.45


# --------------------------------------------------------------------------- real data, CLI


@pytest.fixture(scope="module")
def snap_db(snapshot_store, tmp_path_factory):
    """A private copy of the snapshot database (the session fixture stays read-only)."""
    path = tmp_path_factory.mktemp("bt") / "bt.db"
    dst = sqlite3.connect(path)
    snapshot_store.conn.backup(dst)
    dst.close()
    return path


def independent_fired(values: pd.Series, threshold: float, clear: float = 25.0, need: int = 2) -> list[str]:
    """Fired dates of "``need`` sessions in a row above ``threshold``, cleared at or below ``clear``"."""
    fired, run, firing = [], 0, False
    for day, v in values.items():
        if pd.isna(v):
            continue
        if firing:
            firing = v > clear
            continue
        run = run + 1 if v > threshold else 0
        if run >= need:
            fired.append(day.date().isoformat())
            firing, run = True, 0
    return fired


def test_cli_backtest_set_threshold_json_and_table(snap_db):
    runner = CliRunner()
    args = ["--db", str(snap_db), "rules", "backtest", "--from", "2025-11-03", "--to", "2025-12-31"]
    res = runner.invoke(cli, [*args, "--set", "credit_proxy_widening.threshold=60", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert {"from", "to", "alerts", "summary", "baseline", "diff"} <= set(doc)
    assert set(doc["baseline"]) >= {"alerts", "summary"}

    with Store(snap_db) as st:
        df = st.read_signals(["spread_change_20d_bp"], start="2025-11-03", end="2025-12-31", symbols=["ORCL"])
    sig = pd.Series(df["value"].to_numpy(), index=pd.DatetimeIndex(pd.to_datetime(df["date"]), name="date"))
    old, new = independent_fired(sig, 40.0), independent_fired(sig, 60.0)
    assert old != new  # the change matters for ORCL in this window
    orcl = [d for d in doc["diff"] if d["rule"] == "credit_proxy_widening" and d["symbol"] == "ORCL"]
    assert len(orcl) == 1
    assert orcl[0]["added"] == sorted(set(new) - set(old))
    assert orcl[0]["removed"] == sorted(set(old) - set(new))
    # no summary anywhere says "+-" or shows a value under the firing threshold
    for a in doc["alerts"] + doc["baseline"]["alerts"]:
        assert "+-" not in a["summary"]
        m = re.search(r"spread \+(\d+) bp in 20 sessions \(> (\d+) bp", a["summary"])
        if m:
            assert int(m.group(1)) > int(m.group(2))
        if a["peak"] is not None and a["rule"].startswith("credit_proxy"):
            assert a["peak"] >= a["threshold"]

    human = runner.invoke(cli, [*args, "--set", "credit_proxy_widening.threshold=60"])
    assert human.exit_code == 0, human.output
    out = human.stdout
    assert "credit_proxy_widening.threshold=60" in out
    section = out[out.index("\ncredit_proxy_widening") :]
    orcl_line = next(line for line in section.splitlines() if "ORCL" in line)
    for d in orcl[0]["added"][:1] + orcl[0]["removed"][:1]:
        assert d in orcl_line


def test_cli_backtest_other_config_matches_set(snap_db, tmp_path):
    from aimonitor.config import packaged_default_path

    text = packaged_default_path().read_text(encoding="utf-8")
    other = tmp_path / "other.toml"
    # the first rule in the default file is credit_proxy_widening with threshold = 40.0
    other.write_text(text.replace("threshold = 40.0", "threshold = 60.0", 1), encoding="utf-8")
    runner = CliRunner()
    args = ["--db", str(snap_db), "rules", "backtest", "--from", "2025-11-03", "--to", "2025-12-31", "--json"]
    a = json.loads(runner.invoke(cli, [*args, "--set", "credit_proxy_widening.threshold=60"]).stdout)
    b = runner.invoke(cli, [*args, "--config", str(other)])
    assert b.exit_code == 0, b.output
    doc = json.loads(b.stdout)
    assert doc["diff"] == a["diff"]
    assert "other.toml" in doc["changes"][0]


def test_cli_backtest_marks_and_unknown_rule(snap_db):
    runner = CliRunner()
    args = ["--db", str(snap_db), "rules", "backtest", "--from", "2025-11-03", "--to", "2025-12-31"]
    res = runner.invoke(cli, [*args, "--mark", "2025-12-12", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["marks"]["dates"] == ["2025-12-12"]
    assert all(x["lead_sessions"] >= 0 for x in doc["marks"]["lead"])
    bad = runner.invoke(cli, [*args, "--set", "nosuch.threshold=1"])
    assert bad.exit_code == 1
    assert bad.stderr.startswith('Error: --set nosuch.threshold=1: unknown rule "nosuch"')
    assert "Traceback" not in bad.output


# --------------------------------------------------------------------------- vectorised == cursor == live path


def _same_replay(rules, df, days, **kw):
    """The vectorised replay (default), the cursor session by session and the live path agree."""
    fast = backtest(rules, df, days, **kw)
    for slow in (backtest(rules, df, days, vectorised=False, **kw), backtest(rules, df, days, linear=False, **kw)):
        assert [t.to_json() for t in fast.transitions] == [t.to_json() for t in slow.transitions]
        assert fast.transitions == slow.transitions
        assert [a.to_json() for a in fast.alerts] == [a.to_json() for a in slow.alerts]
        assert list(fast.states.items()) == list(slow.states.items())
        assert fast.summary == slow.summary
    return fast


def test_linear_replay_matches_the_live_path_on_gaps_staleness_and_scope():
    from aimonitor.rules import Silence

    rows = []
    for i, d in enumerate(S):
        # ORCL: breaches on and off, a missing value every 7th session, stale for a stretch
        if 20 <= i < 26:
            continue  # no rows at all: ORCL goes stale, then comes back
        rows.append((d, "ORCL", "staleness_sessions", 0.0))
        if i % 7 != 3:
            rows.append((d, "ORCL", "spread_change_20d_bp", 30.0 + 25.0 * ((i // 3) % 3)))
        rows.append((d, "CRWV", "staleness_sessions", 0.0))
        rows.append((d, "CRWV", "spread_change_20d_bp", 150.0 if 5 <= i < 15 else 20.0))
        if i >= 10:  # a symbol that appears later, for the "all" scope
            rows.append((d, "AMD", "spread_change_20d_bp", 45.0 if i % 2 else 10.0))
    df = pd.DataFrame(rows, columns=["date", "symbol", "signal", "value"])
    rules = [
        mk(symbols="all", for_sessions=2, clear_threshold=30.0, repeat_sessions=3),
        mk(name="crit", symbols="all", threshold=100.0, severity="critical"),
        mk(name="stale", signal="staleness_sessions", symbols="all", threshold=2.0),
    ]
    silences = [Silence(rule="w", symbol="AMD", until=S[15])]
    res = _same_replay(rules, df, S, silences=silences, max_stale_sessions=3)
    assert any(t.rule == "nodata" for t in res.transitions)  # the stale stretch was exercised
    assert any(t.reason == "inhibited" for t in res.transitions)
    assert any(t.reason == "repeat" for t in res.transitions)


def test_linear_replay_matches_the_live_path_on_real_signals(snap_db, cfg):
    from aimonitor.pipeline import update_signals
    from aimonitor.store import Store

    with Store(snap_db) as st:
        update_signals(cfg, st, dt.date(2026, 2, 27))
        hist = st.read_signals(start=dt.date(2025, 8, 18), end=dt.date(2026, 2, 27))
    days = sessions("2025-10-01", "2026-02-27")
    res = _same_replay(cfg.rules, hist, days, silences=cfg.silences, max_stale_sessions=3)
    assert sum(res.summary.values()) > 10
