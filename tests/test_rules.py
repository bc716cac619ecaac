"""The alert state machine, in the style of Prometheus' rule unit tests.

A short synthetic series goes in (on real NYSE sessions, which skip 2025-12-25 and
2026-01-01), and the expected state and transitions of each alert at each session,
written by hand, come out.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from aimonitor.calendar import sessions
from aimonitor.rules import (
    AlertState,
    Rule,
    Silence,
    backtest,
    evaluate,
    fingerprint,
    load_default_rules,
)

ROOT = Path(__file__).resolve().parents[1]
S = sessions("2025-12-22", "2026-01-09")
D = dt.date


def test_sessions_used_are_real_sessions():
    # hand-checked against the NYSE holiday list: no Christmas, no New Year's Day
    assert S[:9] == [
        D(2025, 12, 22),
        D(2025, 12, 23),
        D(2025, 12, 24),
        D(2025, 12, 26),
        D(2025, 12, 29),
        D(2025, 12, 30),
        D(2025, 12, 31),
        D(2026, 1, 2),
        D(2026, 1, 5),
    ]


def mk(**kw) -> Rule:
    base = dict(name="r", signal="drawdown_52w", symbols=["NVDA"], op=">", threshold=10.0)
    base.update(kw)
    return Rule(**base)


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["date", "symbol", "signal", "value"])


def series(signal: str, symbol: str, values, days=S, fresh: bool = True) -> pd.DataFrame:
    """One value per session (None = missing); ``fresh`` adds staleness_sessions = 0 rows."""
    rows = []
    for d, v in zip(days, values):
        if v is not None:
            rows.append((d, symbol, signal, v))
        if fresh:
            rows.append((d, symbol, "staleness_sessions", 0.0))
    return frame(rows)


def replay(rules, df, days, **kw):
    state: dict = {}
    out = []
    for d in days:
        ev = evaluate(rules, df, state, d, **kw)
        state = dict(ev.states)
        out.append(ev)
    return out


def trace(evs, fp):
    """Per session: (state or '-', 'from>to' with '!' when notified, or '')."""
    states, trans = [], []
    for ev in evs:
        s = ev.states.get(fp)
        states.append(s.state if s else "-")
        ts = [t for t in ev.transitions if t.fingerprint == fp]
        assert len(ts) <= 1
        trans.append(f"{ts[0].from_state}>{ts[0].to_state}{'!' if ts[0].notify else ''}" if ts else "")
    return states, trans


# --------------------------------------------------------------------------- table

CASES = [
    # id, rule fields, values per session, expected states, expected transitions
    (
        "for0_fires_at_once",
        dict(),
        [5, 11, 12, 9, 8],
        ["-", "firing", "firing", "resolved", "resolved"],
        ["", "inactive>firing!", "", "firing>resolved!", ""],
    ),
    (
        "for1_same_as_for0",
        dict(for_sessions=1),
        [11, 5],
        ["firing", "resolved"],
        ["inactive>firing!", "firing>resolved!"],
    ),
    (
        "for3_pending_then_firing",
        dict(for_sessions=3),
        [11, 12, 13, 14, 5],
        ["pending", "pending", "firing", "firing", "resolved"],
        ["inactive>pending", "", "pending>firing!", "", "firing>resolved!"],
    ),
    (
        "for3_interrupted_streak_restarts",
        dict(for_sessions=3),
        [11, 12, 5, 11, 12, 13],
        ["pending", "pending", "inactive", "pending", "pending", "firing"],
        ["inactive>pending", "", "pending>inactive", "inactive>pending", "", "pending>firing!"],
    ),
    (
        "hysteresis_keeps_firing",
        dict(clear_threshold=6.0),
        [11, 8, 7, 6, 11],
        ["firing", "firing", "firing", "resolved", "firing"],
        ["inactive>firing!", "", "", "firing>resolved!", "resolved>firing!"],
    ),
    (
        "no_hysteresis_resolves_at_threshold",
        dict(),
        [11, 8],
        ["firing", "resolved"],
        ["inactive>firing!", "firing>resolved!"],
    ),
    (
        "below_op_with_clear",
        dict(op="<", threshold=-0.25, clear_threshold=-0.20),
        [-0.26, -0.22, -0.19],
        ["firing", "firing", "resolved"],
        ["inactive>firing!", "", "firing>resolved!"],
    ),
    ("gt_is_strict", dict(), [10.0], ["-"], [""]),
    ("ge_includes_threshold", dict(op=">="), [10.0], ["firing"], ["inactive>firing!"]),
    (
        "le_includes_threshold",
        dict(op="<=", threshold=-0.25),
        [-0.25, -0.2499],
        ["firing", "resolved"],
        ["inactive>firing!", "firing>resolved!"],
    ),
    (
        "repeat_every_2_sessions",
        dict(repeat_sessions=2),
        [11] * 6,
        ["firing"] * 6,
        ["inactive>firing!", "", "firing>firing!", "", "firing>firing!", ""],
    ),
    ("repeat_0_never_reminds", dict(), [11] * 4, ["firing"] * 4, ["inactive>firing!", "", "", ""]),
    (
        "absolute_value",
        dict(signal="sar_1d", threshold=4.0, absolute=True),
        [-5.0, 3.0, 4.5],
        ["firing", "resolved", "firing"],
        ["inactive>firing!", "firing>resolved!", "resolved>firing!"],
    ),
    (
        "missing_value_keeps_pending_count",
        dict(for_sessions=3),
        [11, None, 12, 13],
        ["pending", "pending", "pending", "firing"],
        ["inactive>pending", "", "", "pending>firing!"],
    ),
    (
        "missing_value_never_resolves",
        dict(),
        [11, None, None, 5],
        ["firing", "firing", "firing", "resolved"],
        ["inactive>firing!", "", "", "firing>resolved!"],
    ),
    (
        "new_episode_after_resolution",
        dict(for_sessions=2),
        [11, 12, 5, 11, 12],
        ["pending", "firing", "resolved", "pending", "firing"],
        ["inactive>pending", "pending>firing!", "firing>resolved!", "resolved>pending", "pending>firing!"],
    ),
]


@pytest.mark.parametrize("fields,values,states,transitions", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_state_machine_table(fields, values, states, transitions):
    rule = mk(**fields)
    df = series(rule.signal, "NVDA", values)
    evs = replay([rule], df, S[: len(values)])
    assert trace(evs, "r:NVDA") == (states, transitions)


def test_episode_ids_and_dates():
    rule = mk(clear_threshold=6.0)
    evs = replay([rule], series("drawdown_52w", "NVDA", [11, 8, 6, 11]), S[:4])
    first, resolved, second = evs[0].states["r:NVDA"], evs[2].states["r:NVDA"], evs[3].states["r:NVDA"]
    assert first.id == "r:NVDA:2025-12-22" == resolved.id
    assert (resolved.started, resolved.fired, resolved.resolved) == (S[0], S[0], S[2])
    assert resolved.value == 6.0
    assert second.id == "r:NVDA:2025-12-26"
    assert (second.started, second.fired, second.resolved) == (S[3], S[3], None)


def test_to_json_contract():
    rule = mk(
        name="dd",
        op="<",
        threshold=-0.25,
        severity="critical",
        summary="{symbol} {rule} {signal} {value:.1%} {op} {threshold:.0%}",
    )
    ev = evaluate([rule], series("drawdown_52w", "NVDA", [-0.3125]), {}, S[0])
    assert ev.states["dd:NVDA"].to_json() == {
        "id": "dd:NVDA:2025-12-22",
        "rule": "dd",
        "symbol": "NVDA",
        "severity": "critical",
        "state": "firing",
        "value": -0.3125,
        "threshold": -0.25,
        "started": "2025-12-22",
        "fired": "2025-12-22",
        "resolved": None,
        "summary": "NVDA dd drawdown_52w -31.2% < -25%",
        "peak": -0.3125,
        "resolution": None,
    }


def test_market_wide_symbol_is_null_in_json_and_inactive_has_no_json():
    rule = mk(signal="corr_60d", symbols=["*"], threshold=0.7)
    evs = replay([rule], series("corr_60d", "*", [0.8, 0.5]), S[:2])
    assert evs[0].states["r:*"].to_json()["symbol"] is None
    pend = replay(
        [mk(signal="corr_60d", symbols=["*"], threshold=0.7, for_sessions=2)],
        series("corr_60d", "*", [0.8, 0.5]),
        S[:2],
    )
    assert pend[1].states["r:*"].state == "inactive"
    with pytest.raises(ValueError):
        pend[1].states["r:*"].to_json()


def test_record_round_trip():
    ev = evaluate([mk(repeat_sessions=3)], series("drawdown_52w", "NVDA", [11]), {}, S[0])
    st = ev.states["r:NVDA"]
    rec = st.to_record()
    assert rec["started"] == "2025-12-22" and rec["last_notified"] == "2025-12-22"
    assert AlertState.from_record(rec) == st


# --------------------------------------------------------------------------- nodata


def test_nodata_missing_signal_while_symbol_fresh():
    rule = mk(name="dd_warn", op="<", threshold=-0.25)
    evs = replay([rule], series("drawdown_52w", "NVDA", [-0.3, None, None, -0.1]), S[:4])
    assert trace(evs, "dd_warn:NVDA") == (
        ["firing", "firing", "firing", "resolved"],
        ["inactive>firing!", "", "", "firing>resolved!"],
    )
    assert trace(evs, "nodata:NVDA") == (
        ["-", "firing", "firing", "resolved"],
        ["", "inactive>firing!", "", "firing>resolved!"],
    )
    nd = evs[1].states["nodata:NVDA"]
    assert (nd.rule, nd.symbol, nd.severity, nd.value, nd.threshold) == ("nodata", "NVDA", "warning", 1.0, 0.0)
    assert nd.summary == (
        "no usable data for NVDA on 2025-12-23: signal drawdown_52w missing; rules kept in their state: dd_warn"
    )
    # the frozen rule keeps its last value and does not advance its evaluation date
    assert evs[2].states["dd_warn:NVDA"].value == -0.3
    assert evs[2].states["dd_warn:NVDA"].last_evaluated == S[0]


def test_short_lag_is_tolerated_silently():
    # NVDA has no row at all on S[1] and S[2] (a late bar): 1 and 2 sessions behind <= 3
    df = series("drawdown_52w", "NVDA", [11, None, None, 5], fresh=False)
    evs = replay([mk()], df, S[:4], max_stale_sessions=3)
    assert trace(evs, "r:NVDA")[0] == ["firing", "firing", "firing", "resolved"]
    assert all("nodata:NVDA" not in ev.states for ev in evs)


def test_stale_symbol_freezes_even_with_a_carried_value():
    # the last real bar is 2025-12-22; values keep coming (carried forward upstream).
    # 2025-12-29 is 4 sessions later (12-25 is a holiday; a weekday count would say 5)
    df = series("drawdown_52w", "NVDA", [11, 11, 11, 11, 5, 5], fresh=False)
    evs = replay([mk()], df, S[:6], last_data={"NVDA": D(2025, 12, 22)}, max_stale_sessions=3)
    assert trace(evs, "r:NVDA")[0] == ["firing"] * 6
    assert trace(evs, "nodata:NVDA")[0] == ["-", "-", "-", "-", "firing", "firing"]
    assert evs[4].states["nodata:NVDA"].summary == (
        "no usable data for NVDA on 2025-12-29: last data 2025-12-22, 4 sessions ago (limit 3); "
        "rules kept in their state: r"
    )


def test_staleness_signal_marks_symbol_stale_but_staleness_rules_still_run():
    df = frame([(S[0], "AMD", "ret_1d", 0.5), (S[0], "AMD", "staleness_sessions", 5.0)])
    ret_rule = mk(name="big_move", signal="ret_1d", symbols=["AMD"], threshold=0.1)
    stale_rule = mk(name="stale", signal="staleness_sessions", symbols="all", threshold=3)
    ev = evaluate([ret_rule, stale_rule], df, {}, S[0], max_stale_sessions=3)
    assert "big_move:AMD" not in ev.states
    assert ev.states["stale:AMD"].state == "firing"
    assert ev.states["nodata:AMD"].state == "firing"


def test_symbol_without_any_data():
    ev = evaluate([mk(symbols=["CRWV"])], series("drawdown_52w", "NVDA", [11]), {}, S[0])
    assert ev.states["nodata:CRWV"].summary == (
        "no usable data for CRWV on 2025-12-22: no data at all; rules kept in their state: r"
    )


# --------------------------------------------------------------------------- silences / inhibition


def _notes(evs, fp):
    return [
        [(t.from_state, t.to_state, t.notify, t.reason) for t in ev.transitions if t.fingerprint == fp] for ev in evs
    ]


def test_silence_mutes_until_inclusive_then_unmutes():
    rule = mk(name="dd", op="<", threshold=-0.25)
    sil = [Silence(rule="dd", symbol="NVDA", until=S[1], comment="known")]
    evs = replay([rule], series("drawdown_52w", "NVDA", [-0.3, -0.3, -0.3, -0.1]), S[:4], silences=sil)
    assert _notes(evs, "dd:NVDA") == [
        [("inactive", "firing", False, "silenced")],
        [],
        [("firing", "firing", True, "unmuted")],
        [("firing", "resolved", True, None)],
    ]


def test_silence_other_symbol_and_wildcard():
    df = pd.concat([series("drawdown_52w", "NVDA", [11]), series("drawdown_52w", "AMD", [11])])
    rule = mk(symbols=["NVDA", "AMD"])
    ev = evaluate([rule], df, {}, S[0], silences=[Silence(rule="*", symbol="AMD", until=S[0])])
    assert {t.symbol: t.notify for t in ev.transitions} == {"NVDA": True, "AMD": False}
    ev = evaluate([rule], df, {}, S[0], silences=[Silence(rule="*", until=S[0])])
    assert [t.notify for t in ev.transitions] == [False, False]
    ev = evaluate([rule], df, {}, S[0], silences=[Silence(rule="other", until=S[0])])
    assert [t.notify for t in ev.transitions] == [True, True]


def test_resolution_of_a_never_notified_alert_is_not_sent():
    sil = [Silence(rule="r", until=S[1])]
    evs = replay([mk()], series("drawdown_52w", "NVDA", [11, 11, 5]), S[:3], silences=sil)
    assert _notes(evs, "r:NVDA") == [
        [("inactive", "firing", False, "silenced")],
        [],
        [("firing", "resolved", False, "never_notified")],
    ]


def _inhibition_setup():
    warn = mk(name="dd_warn", op="<", threshold=-0.25, for_sessions=2, severity="warning", symbols="all")
    crit = mk(name="dd_crit", op="<", threshold=-0.40, severity="critical", symbols="all")
    df = pd.concat(
        [
            series("drawdown_52w", "NVDA", [-0.45, -0.45, -0.45, -0.30]),
            series("drawdown_52w", "AMD", [-0.30, -0.30, -0.30, -0.30]),
        ]
    )
    return [warn, crit], df


def test_critical_inhibits_lower_severity_of_same_symbol_only():
    rules, df = _inhibition_setup()
    evs = replay(rules, df, S[:4])
    assert _notes(evs, "dd_crit:NVDA") == [
        [("inactive", "firing", True, None)],
        [],
        [],
        [("firing", "resolved", True, None)],
    ]
    assert _notes(evs, "dd_warn:NVDA") == [
        [("inactive", "pending", False, None)],
        [("pending", "firing", False, "inhibited")],
        [],
        [("firing", "firing", True, "unmuted")],  # the critical resolved: now you hear about it
    ]
    assert _notes(evs, "dd_warn:AMD")[1] == [("pending", "firing", True, None)]
    # inhibition mutes notifications, never state
    assert evs[1].states["dd_warn:NVDA"].state == "firing"


def test_inhibition_can_be_switched_off():
    rules, df = _inhibition_setup()
    evs = replay(rules, df, S[:4], inhibit_lower_severity=False)
    assert _notes(evs, "dd_warn:NVDA")[1] == [("pending", "firing", True, None)]


def test_nodata_is_never_inhibited():
    crit = mk(name="crit", severity="critical")
    other = mk(name="other", signal="vol_20d_z", threshold=2.0)
    df = series("drawdown_52w", "NVDA", [11])  # vol_20d_z missing while NVDA is fresh
    ev = evaluate([crit, other], df, {}, S[0])
    nd = [t for t in ev.transitions if t.rule == "nodata"]
    assert [(t.to_state, t.notify) for t in nd] == [("firing", True)]


# --------------------------------------------------------------------------- idempotency & scope


def test_same_session_twice_is_a_no_op():
    rules, df = _inhibition_setup()
    rules = [*rules, mk(name="rep", signal="drawdown_52w", symbols="all", op="<", threshold=-0.2, repeat_sessions=1)]
    evs = replay(rules, df, S[:3])
    again = evaluate(rules, df, evs[-1].states, S[2])
    assert again.transitions == ()
    assert dict(again.states) == dict(evs[-1].states)
    earlier = evaluate(rules, df, evs[-1].states, S[0])
    assert earlier.transitions == ()
    assert dict(earlier.states) == dict(evs[-1].states)


def test_same_session_twice_with_nodata_is_a_no_op():
    evs = replay([mk()], series("drawdown_52w", "NVDA", [11, None]), S[:2])
    again = evaluate([mk()], series("drawdown_52w", "NVDA", [11, None]), evs[-1].states, S[1])
    assert again.transitions == ()


def test_all_symbols_scope_and_no_look_ahead():
    df = pd.concat(
        [
            series("ret_1d", "NVDA", [0.2, 0.2, 0.2]),
            series("ret_1d", "AMD", [None, 0.2, 0.2]),
            frame([(S[2], "TSLA", "ret_1d", 0.9)]),  # a future row must not count on S[0] / S[1]
        ]
    )
    rule = mk(signal="ret_1d", symbols="all", threshold=0.1)
    evs = replay([rule], df, S[:3])
    assert sorted(evs[0].states) == ["r:NVDA"]
    assert sorted(evs[1].states) == ["r:AMD", "r:NVDA"]
    assert sorted(evs[2].states) == ["r:AMD", "r:NVDA", "r:TSLA"]


def test_disabled_and_removed_rules_keep_their_states():
    ev = evaluate([mk()], series("drawdown_52w", "NVDA", [11]), {}, S[0])
    ev2 = evaluate([mk(enabled=False)], series("drawdown_52w", "NVDA", [11, 5]), ev.states, S[1])
    assert ev2.transitions == () and ev2.states["r:NVDA"] == ev.states["r:NVDA"]
    ev3 = evaluate([], series("drawdown_52w", "NVDA", [11, 5]), ev.states, S[1])
    assert ev3.states["r:NVDA"] == ev.states["r:NVDA"]


def test_fingerprint_is_stable():
    assert fingerprint("dd_warn", "NVDA") == "dd_warn:NVDA"


def test_duplicate_rule_names_are_refused():
    from aimonitor.errors import ConfigError

    with pytest.raises(ConfigError, match='rules\\[1\\].name: duplicate rule name "r"'):
        evaluate([mk(), mk()], series("drawdown_52w", "NVDA", [11]), {}, S[0])


# --------------------------------------------------------------------------- backtest


def test_backtest_counts_and_sessions():
    rules = [mk(), mk(name="never", threshold=100.0)]
    df = series("drawdown_52w", "NVDA", [11, 5, 11, 12, 5, 5])
    res = backtest(rules, df, S[:6])
    assert res.summary == {"r": 2, "never": 0}
    assert res.fired_sessions == {"r": [S[0], S[2]]}
    assert [(a.id, a.state, a.resolved) for a in res.alerts] == [
        ("r:NVDA:2025-12-22", "resolved", S[1]),
        ("r:NVDA:2025-12-24", "resolved", S[4]),
    ]
    js = res.to_json()
    assert (js["from"], js["to"], js["summary"]) == ("2025-12-22", "2025-12-30", {"r": 2, "never": 0})
    assert [a["id"] for a in js["alerts"]] == ["r:NVDA:2025-12-22", "r:NVDA:2025-12-24"]
    # same code path as live evaluation, deterministic
    assert backtest(rules, df, S[:6]).to_json() == js
    # overrides: with threshold 11.5 only the 12 on 2025-12-26 breaches
    res2 = backtest(rules, df, S[:6], overrides=["r.threshold=11.5"])
    assert res2.summary == {"r": 1, "never": 0} and res2.fired_sessions == {"r": [S[3]]}


def test_default_hy_rule_on_the_april_2025_shock():
    """Real data: ICE BofA US HY OAS (FRED BAMLH0A0HYM2), 20-observation change in bp.

    Facts of the bundled series (hand-read): +54 bp on 2025-04-02, +102 on 04-03, then
    above 75 until 04-22 (+94), +66 on 04-23, +54 on 04-24, +40 on 04-25. The default
    rule (> 75, clear 40) fires on 2025-04-03, stays firing through 04-24 by hysteresis
    and resolves on 04-25 (40 is not > 40).
    """
    f = pd.read_csv(ROOT / "src/aimonitor/data/snapshot/fred.csv.gz", parse_dates=["date"])
    hy = f[f["series"] == "BAMLH0A0HYM2"].set_index("date")["value"].dropna() * 100.0
    chg = (hy - hy.shift(20)).dropna().round(6)
    df = pd.DataFrame(
        {"date": chg.index, "symbol": "BAMLH0A0HYM2", "signal": "fred_oas_change_20d_bp", "value": chg.to_numpy()}
    )
    rule = next(r for r in load_default_rules() if r.name == "hy_oas_widening")
    res = backtest([rule], df, sessions("2025-03-03", "2025-05-30"))
    assert res.summary == {"hy_oas_widening": 1}
    assert res.fired_sessions == {"hy_oas_widening": [D(2025, 4, 3)]}
    (alert,) = res.alerts
    assert (alert.started, alert.fired, alert.resolved, alert.value) == (
        D(2025, 4, 3),
        D(2025, 4, 3),
        D(2025, 4, 25),
        40.0,
    )
    assert [t.session for t in res.transitions if t.to_state == "firing" and t.from_state == "firing"] == [
        D(2025, 4, 17)
    ]  # repeat_sessions = 10: one reminder 10 sessions after 04-03 (Good Friday skipped)
