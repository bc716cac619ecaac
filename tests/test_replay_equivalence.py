"""The vectorised replay (rules/replay.py, ``backtest()``'s default) against the engine.

The reference is the session-by-session path: ``backtest(..., vectorised=False)`` calls
:func:`aimonitor.rules.engine.evaluate_inputs` on every session in turn (what the live cycle
calls), itself checked against the live ``evaluate`` on the whole frame in
tests/test_backtest_diff.py. Equality is of everything a replay returns: every transition in
order (session, states, value, notify, reason, and the alert snapshot it carries: id, dates,
value, peak, consecutive, last_evaluated/last_notified, summary, resolution), the final
states (fields and order), the alerts, the summary counts and the fired sessions. It is
checked on the real snapshot signals with the packaged rules, on a synthetic universe that
exercises every rule feature (the test also asserts each feature was exercised), and on
seeded random series and rule sets.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from aimonitor.calendar import sessions
from aimonitor.rules import BacktestResult, Rule, Silence, backtest

S = sessions("2025-01-02", "2025-06-30")


def assert_same(rules, df, days, *, live: bool = False, **kw) -> BacktestResult:
    """The vectorised replay equals the session-by-session one (and the live path if ``live``)."""
    new = backtest(rules, df, days, **kw)
    refs = [backtest(rules, df, days, vectorised=False, **kw)]
    if live:
        refs.append(backtest(rules, df, days, linear=False, **kw))
    for ref in refs:
        assert len(new.transitions) == len(ref.transitions)
        for a, b in zip(new.transitions, ref.transitions):
            assert a == b, f"first difference at {b.session} {b.fingerprint}:\n new {a}\n ref {b}"
        assert [t.to_json() for t in new.transitions] == [t.to_json() for t in ref.transitions]
        assert list(new.states.items()) == list(ref.states.items())  # same states, same order
        assert new.alerts == ref.alerts
        assert [a.to_json() for a in new.alerts] == [a.to_json() for a in ref.alerts]
        assert new.summary == ref.summary and list(new.summary) == list(ref.summary)
        assert new.fired_sessions == ref.fired_sessions
        assert (new.start, new.end, new.rules) == (ref.start, ref.end, ref.rules)
        assert new.to_json() == ref.to_json()
    return new


def kinds(res: BacktestResult) -> Counter:
    """(rule is nodata, from, to, reason) -> count."""
    return Counter((t.rule == "nodata", t.from_state, t.to_state, t.reason) for t in res.transitions)


# --------------------------------------------------------------------------- real snapshot signals


@pytest.fixture(scope="module")
def real_signals(db_1128, tmp_path_factory):
    import shutil

    from aimonitor.store import Store

    path = tmp_path_factory.mktemp("replay") / "r.db"
    shutil.copyfile(db_1128, path)
    with Store(path) as st:
        return st.read_signals()


def test_real_signals_default_rules(real_signals, cfg):
    days = sessions(pd.Timestamp(real_signals["date"].min()).date(), dt.date(2025, 11, 28))
    assert len(days) > 400
    res = assert_same(
        cfg.rules,
        real_signals,
        days,
        silences=cfg.silences,
        max_stale_sessions=cfg.alerting.max_stale_sessions,
        inhibit_lower_severity=cfg.alerting.inhibit_lower_severity,
    )
    seen = kinds(res)
    assert sum(res.summary.values()) > 100
    assert res.summary["nodata"] > 0
    assert seen[(False, "firing", "firing", "repeat")] > 0
    assert seen[(False, "pending", "firing", "inhibited")] > 0  # a critical drawdown muted a warning
    assert seen[(False, "pending", "inactive", None)] > 0


@pytest.mark.parametrize(
    "kw",
    [
        dict(max_stale_sessions=1, inhibit_lower_severity=False),
        dict(
            overrides=[
                "credit_proxy_widening.for_sessions=3",
                "vol_spike.repeat_sessions=2",
                "drawdown_warning.clear_threshold=-0.1",
                "abnormal_move.threshold=2.5",
                "stale_data.threshold=0",
            ],
            silences=[
                Silence(rule="*", symbol="ORCL", until=dt.date(2025, 3, 31)),
                Silence(rule="vol_spike", until=dt.date(2024, 12, 31)),
                Silence(rule="nodata", until=dt.date(2024, 6, 28)),
            ],
        ),
    ],
    ids=["stale1-no-inhibition", "overrides-silences"],
)
def test_real_signals_other_settings(real_signals, cfg, kw):
    days = sessions(pd.Timestamp(real_signals["date"].min()).date(), dt.date(2025, 11, 28))
    res = assert_same(cfg.rules, real_signals, days, **kw)
    assert sum(res.summary.values()) > 100
    reasons = {t.reason for t in res.transitions}
    if "silences" in kw:  # the silences muted something, and the nodata silence ended during an episode
        assert {"silenced", "unmuted"} <= reasons
    else:
        assert "inhibited" not in reasons


# --------------------------------------------------------------------------- a synthetic universe


def universe() -> pd.DataFrame:
    """Signals ``x`` and ``y`` (waves with noise, so breaches come in runs) and staleness rows.

    AAA: fresh throughout, ``x`` missing every 9th session (a fresh symbol without its signal).
    BBB: no rows at all on sessions 40-47 (stale beyond 3 sessions) and 60-61 (a tolerated lag).
    CCC: lists on session 30 (``symbols = "all"`` rules pick it up then).
    DDD: staleness_sessions values say 2 on sessions 70-72 with ``x`` missing (lag from the
         staleness signal itself) and 6..9 on 90-93 (a staleness rule fires).
    ``*``: a market-wide series of ``y`` only.
    """
    rng = np.random.default_rng(14)
    rows = []
    for i, d in enumerate(S):
        for k, sym in enumerate(["AAA", "BBB", "CCC", "DDD"]):
            if sym == "BBB" and (40 <= i < 48 or 60 <= i < 62):
                continue
            if sym == "CCC" and i < 30:
                continue
            stale = 0.0
            if sym == "DDD" and 70 <= i < 73:
                stale = 2.0
            if sym == "DDD" and 90 <= i < 94:
                stale = float(i - 84)
            rows.append((d, sym, "staleness_sessions", stale))
            x = 10 * np.sin(i / 6 + k) + rng.normal(0, 1.5)
            if not (sym == "AAA" and i % 9 == 4) and not (sym == "DDD" and 70 <= i < 73):
                rows.append((d, sym, "x", round(float(x), 2)))
            rows.append((d, sym, "y", round(float(-9 * np.cos(i / 5 + k) + rng.normal(0, 1.0)), 2)))
        rows.append((d, "*", "y", round(float(8 * np.sin(i / 7)), 2)))
    return pd.DataFrame(rows, columns=["date", "symbol", "signal", "value"])


RULES = [
    Rule(name="warn", signal="x", op=">", threshold=5.0, clear_threshold=2.0, for_sessions=3, repeat_sessions=4),
    Rule(name="crit", signal="x", op=">", threshold=8.0, clear_threshold=7.0, severity="critical"),
    Rule(
        name="swing",
        signal="x",
        symbols=["AAA", "CCC", "ZZZ"],
        op=">",
        threshold=9.0,
        absolute=True,
        repeat_sessions=1,
        severity="info",
    ),
    Rule(name="low", signal="y", op="<", threshold=-6.0, clear_threshold=-4.0, for_sessions=2, repeat_sessions=3),
    Rule(name="floor", signal="y", symbols=["*", "BBB"], op="<=", threshold=-7.0, severity="critical"),
    Rule(name="stale", signal="staleness_sessions", op=">", threshold=5.0, repeat_sessions=2),
    Rule(name="off", signal="x", op=">", threshold=0.0, enabled=False),
]
SILENCES = [
    Silence(rule="warn", symbol="AAA", until=S[50]),
    Silence(rule="*", symbol="CCC", until=S[40]),
    Silence(rule="nodata", until=S[3]),
]


def test_synthetic_universe_exercises_every_feature():
    df = universe()
    res = assert_same(RULES, df, S, live=True, silences=SILENCES, overrides=["warn.threshold=4.5"])
    seen = kinds(res)
    # for_sessions: pending then firing, and pending dropped
    assert seen[(False, "inactive", "pending", None)] and seen[(False, "resolved", "pending", None)]
    assert seen[(False, "pending", "firing", None)] and seen[(False, "pending", "inactive", None)]
    # repeats, silences (and the first notice once a silence ends), inhibition, muted resolutions
    for reason in ("repeat", "unmuted"):
        assert seen[(False, "firing", "firing", reason)]
    for reason in ("silenced", "inhibited"):
        assert any(k[2] == "firing" and k[3] == reason for k in seen if not k[0])
    assert any(k[3] in ("never_notified", "silenced", "inhibited") and k[2] == "resolved" for k in seen)
    # hysteresis: a firing warn alert holds below its threshold (4.5) but above the clearing level (2)
    assert any(t.rule == "warn" and t.to_state == "firing" and 2.0 < t.value <= 4.5 for t in res.transitions)
    # absolute and "<" / "<=" rules fire, with peaks on the breach side
    swing = [a for a in res.alerts if a.rule == "swing" and a.fired]
    assert swing and all(abs(a.peak) > 9.0 for a in swing)
    assert any(a.peak < -9.0 for a in swing)  # |x| > 9 caught a negative swing
    assert all(a.peak <= -6.0 for a in res.alerts if a.rule == "low" and a.fired)
    assert any(a.symbol == "*" for a in res.alerts if a.rule == "floor")
    # NoData: missing signal, stale symbol, symbol without any data; tolerated lags stay silent
    nodata = {t.symbol: t.alert.summary for t in res.transitions if t.rule == "nodata" and t.to_state == "firing"}
    assert "signal x missing" in nodata["AAA"] and "sessions ago (limit 3)" in nodata["BBB"]
    assert "no data at all" in nodata["ZZZ"]
    nodata_days = {(t.symbol, t.session) for t in res.transitions if t.rule == "nodata"}
    assert ("BBB", S[60]) not in nodata_days and ("DDD", S[70]) not in nodata_days
    assert seen[(True, "inactive", "firing", "silenced")] and seen[(True, "firing", "firing", "unmuted")]
    # staleness rule: fires on DDD's staleness values although the symbol counts as stale then
    assert any(a.symbol == "DDD" and a.fired for a in res.alerts if a.rule == "stale")
    # "all" scope: CCC appears on session 30; the disabled rule has no state
    assert min(t.session for t in res.transitions if t.symbol == "CCC" and t.rule in ("warn", "low")) >= S[30]
    assert not any(s.rule == "off" for s in res.states.values()) and "off" not in res.summary


@pytest.mark.parametrize(
    "kw",
    [
        dict(max_stale_sessions=0),
        dict(max_stale_sessions=1, inhibit_lower_severity=False),
        dict(max_stale_sessions=10),
        dict(last_data={"BBB": S[20], "AAA": S[-1]}),
        dict(silences=[Silence(rule="*", until=S[-1])]),
    ],
    ids=["stale0", "stale1-no-inhibition", "stale10", "last_data", "all-silenced"],
)
def test_synthetic_universe_other_settings(kw):
    res = assert_same(RULES, universe(), S, **kw)
    assert sum(res.summary.values()) > 10


def test_replayed_sessions_need_not_be_every_session():
    """A subset of sessions, a weekend day and rows dated off-session (seen, never a value)."""
    df = universe()
    extra = pd.DataFrame([(dt.date(2025, 1, 4), "AAA", "x", 50.0), (dt.date(2025, 1, 4), "EEE", "x", 50.0)])
    extra.columns = df.columns
    df = pd.concat([df, extra], ignore_index=True)
    days = S[::3] + [dt.date(2025, 1, 5)]
    assert_same(RULES, df, days, live=True, silences=SILENCES)


def test_off_midnight_timestamps_and_text_values():
    """Rows stamped at midday (seen from the next session, never a value) and values the engine
    reads with float(): numbers as text, None."""
    df = universe()
    df["date"] = pd.to_datetime(df["date"])
    df.loc[df.index % 97 == 0, "date"] += pd.Timedelta(hours=12)
    assert_same(RULES, df, S, silences=SILENCES)
    df = universe()
    df["value"] = df["value"].astype(object)
    df.loc[df.index % 50 == 0, "value"] = "1.5"
    df.loc[df.index % 51 == 0, "value"] = None
    assert_same(RULES, df, S, silences=SILENCES)


def test_compare_is_the_same_either_way():
    from aimonitor.rules import compare

    df = universe()
    kw = dict(overrides=["warn.threshold=6", "low.for_sessions=1"], marks=[S[60]], silences=SILENCES)
    new = compare(RULES, df, S, **kw)
    old = compare(RULES, df, S, vectorised=False, **kw)
    assert new.to_json() == old.to_json()
    assert new.diff() and new.diff() == old.diff()
    assert new.result.transitions == old.result.transitions and new.baseline.transitions == old.baseline.transitions


def test_empty_inputs():
    df = universe()
    assert_same(RULES, df, [])
    assert_same(RULES, df.iloc[:0], S[:5])  # only list-scope symbols, all without data


def test_progress_reaches_the_number_of_sessions():
    calls: list[tuple[int, int]] = []
    backtest(RULES, universe(), S, progress=lambda i, n: calls.append((i, n)))
    assert calls[-1] == (len(S), len(S))
    assert [i for i, _ in calls] == sorted(i for i, _ in calls)


# --------------------------------------------------------------------------- seeded random cases


def random_case(seed: int):
    r = random.Random(seed)
    rng = np.random.default_rng(seed)
    days = S[: r.randint(5, 80)]
    syms = ["A", "B", "C", "D", "*"][: r.randint(1, 5)]
    rows = []
    for sym in syms:
        start = r.randint(0, len(days) // 2)
        p_missing = r.choice([0, 0.1, 0.3])
        gap = (r.randint(0, len(days)), r.randint(0, 8)) if r.random() < 0.5 else (0, 0)
        for i, d in enumerate(days):
            if i < start or gap[0] <= i < gap[0] + gap[1]:
                continue
            if r.random() < 0.3:
                rows.append((d, sym, "staleness_sessions", float(r.choice([0, 0, 1, 2, 5, 3.7, 0.4, -0.6]))))
            for sg in ("s1", "s2"):
                if r.random() < p_missing:
                    if r.random() < 0.3:
                        rows.append((d, sym, sg, float("nan")))  # a row without a usable value
                    continue
                rows.append((d, sym, sg, float(np.round(rng.normal(0, 2), 1))))
            if r.random() < 0.05:  # a duplicate row: the last one wins
                rows.append((d, sym, "s1", float(np.round(rng.normal(0, 2), 1))))
    if r.random() < 0.3:  # a weekend row
        rows.append((dt.date(2025, 1, 4), syms[0], "s1", 1.0))
    rows.sort(key=lambda x: x[0])
    df = pd.DataFrame(rows, columns=["date", "symbol", "signal", "value"])
    rules = []
    for k in range(r.randint(1, 6)):
        op = r.choice([">", ">=", "<", "<="])
        thr = float(r.choice([-2, -1, 0, 1, 2, 3]))
        clr = None
        if r.random() < 0.5:
            clr = thr - r.choice([0, 0.5, 1]) if op in (">", ">=") else thr + r.choice([0, 0.5, 1])
        rules.append(
            Rule(
                name=f"r{k}",
                signal=r.choice(["s1", "s2", "s2", "staleness_sessions"]),
                symbols="all" if r.random() < 0.5 else tuple(r.sample([*syms, "Z"], r.randint(1, 2))),
                op=op,
                threshold=thr,
                clear_threshold=clr,
                absolute=r.random() < 0.3,
                for_sessions=r.choice([0, 1, 2, 3]),
                repeat_sessions=r.choice([0, 1, 3]),
                severity=r.choice(["info", "warning", "critical"]),
                enabled=r.random() < 0.9,
            )
        )
    silences = [
        Silence(rule=r.choice(["*", "nodata"] + [x.name for x in rules]), symbol=r.choice([None, *syms]), until=d)
        for d in r.sample(days, r.randint(0, 2))
    ]
    if r.random() < 0.3:
        days = sorted(r.sample(days, max(1, len(days) * 2 // 3)))
    kw = dict(silences=silences, max_stale_sessions=r.choice([0, 1, 3]), inhibit_lower_severity=r.random() < 0.8)
    if r.random() < 0.2:
        kw["last_data"] = {syms[0]: r.choice(days)}
    return rules, df, days, kw


def test_random_series_and_rule_sets():
    total: Counter = Counter()
    for seed in range(120):
        rules, df, days, kw = random_case(seed)
        total += kinds(assert_same(rules, df, days, **kw))
    # every kind of transition occurred somewhere among the cases
    reasons = {k[3] for k in total}
    assert reasons == {None, "repeat", "unmuted", "silenced", "inhibited", "never_notified"}
    assert {(k[1], k[2]) for k in total} >= {
        ("inactive", "pending"),
        ("resolved", "pending"),
        ("pending", "inactive"),
        ("pending", "firing"),
        ("inactive", "firing"),
        ("resolved", "firing"),
        ("firing", "firing"),
        ("firing", "resolved"),
    }
    assert any(k[0] for k in total)  # nodata
