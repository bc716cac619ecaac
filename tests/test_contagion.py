"""Contagion info alerts: which names, which edge, how much at stake, inhibition, resolution."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import pytest

from aimonitor.analytics.graph import compute_loop_graph
from aimonitor.contagion import CONTAGION_RULE, apply_contagion, graph_links
from aimonitor.report.formatting import format_usd
from aimonitor.rules import Rule, Silence, evaluate, fingerprint


@dataclass(frozen=True)
class Ev:
    event_id: str
    announce_date: dt.date | None
    tickers: tuple[str, ...]
    counterparty: str
    event_types: tuple[str, ...]
    amount_usd: float | None = None
    shares: float | None = None
    description: str = ""


D0 = dt.date(2025, 1, 2)
EVENTS = [
    Ev("A", D0, ("NVDA",), "OpenAI", ("equity_investment", "compute_contract"), 100e9),
    Ev("B", D0, ("ORCL",), "OpenAI", ("compute_contract",), 300e9),
    Ev("C", D0, ("ORCL", "NVDA"), "", ("other",), None, None, "Supply: Oracle buys Nvidia GPUs"),
    Ev("D", D0, ("AMD",), "OpenAI", ("compute_contract",), 50e9),
]
GRAPH = compute_loop_graph(EVENTS, D0)

RULES = [
    Rule(name="drawdown_critical", signal="drawdown_52w", symbols="all", op="<", threshold=-0.40, severity="critical"),
    Rule(name="drawdown_warning", signal="drawdown_52w", symbols="all", op="<", threshold=-0.25, severity="warning"),
    Rule(name="vol_spike", signal="vol_20d_z", symbols="all", op=">", threshold=2.5, severity="critical"),
]


def _signals(day: dt.date, dd: dict[str, float], vol: dict[str, float] | None = None) -> pd.DataFrame:
    rows = [{"date": day, "symbol": s, "signal": "drawdown_52w", "value": v} for s, v in dd.items()]
    rows += [{"date": day, "symbol": s, "signal": "vol_20d_z", "value": v} for s, v in (vol or {}).items()]
    rows += [{"date": day, "symbol": s, "signal": "staleness_sessions", "value": 0.0} for s in dd]
    return pd.DataFrame(rows)


def _step(day, dd, prior, vol=None, silences=()):
    ev = evaluate(RULES, _signals(day, dd, vol), prior, day, silences=silences)
    return apply_contagion(ev, RULES, GRAPH, usd=format_usd, silences=silences)


def test_links_name_the_edge_and_amount():
    links = {lk.target: lk for lk in graph_links(GRAPH, "ORCL")}
    # NVDA directly (Oracle buys its chips), NVDA and AMD also through OpenAI
    assert set(links) == {"NVDA", "AMD"}

    def edges(lk):
        return {(e.source, e.target, e.type, e.amount_usd) for e in lk.edges}

    assert links["NVDA"].via is None and ("ORCL", "NVDA", "supply", None) in edges(links["NVDA"])
    amd = links["AMD"]
    assert amd.via == "openai"
    assert {("openai", "AMD", "compute_contract", 50e9), ("openai", "ORCL", "compute_contract", 300e9)} <= edges(amd)


def test_critical_drawdown_informs_linked_names_then_resolves():
    d1, d2, d3 = dt.date(2025, 3, 3), dt.date(2025, 3, 4), dt.date(2025, 3, 5)
    ev1 = _step(d1, {"ORCL": -0.45, "NVDA": -0.05, "AMD": -0.10}, {})
    c = {s.symbol: s for s in ev1.states.values() if s.rule == CONTAGION_RULE}
    assert set(c) == {"NVDA", "AMD"}
    assert c["AMD"].severity == "info" and c["AMD"].state == "firing" and c["AMD"].fired == d1
    assert c["AMD"].value == 50e9  # AMD's $50B contract with OpenAI is what it has riding on the link
    assert (
        c["AMD"].summary == "AMD: linked through openai to stressed ORCL; at stake: openai -> AMD compute contract $50B"
    )
    # a direct edge is the link named (Oracle buys Nvidia chips; the seeds state no amount)
    assert c["NVDA"].summary == "NVDA: linked to stressed ORCL; at stake: ORCL -> NVDA supply amount not stated"
    assert c["NVDA"].value == 0.0
    fired = [t for t in ev1.transitions if t.rule == CONTAGION_RULE]
    assert {t.symbol for t in fired} == {"NVDA", "AMD"} and all(t.notify for t in fired)
    # still critical next session: no new transition, same episode
    ev2 = _step(d2, {"ORCL": -0.46, "NVDA": -0.05, "AMD": -0.10}, dict(ev1.states))
    assert not [t for t in ev2.transitions if t.rule == CONTAGION_RULE]
    assert ev2.states[fingerprint(CONTAGION_RULE, "AMD")].id == c["AMD"].id
    # the critical alert clears: contagion resolves and says so
    ev3 = _step(d3, {"ORCL": -0.20, "NVDA": -0.05, "AMD": -0.10}, dict(ev2.states))
    res = [t for t in ev3.transitions if t.rule == CONTAGION_RULE]
    assert {(t.symbol, t.to_state) for t in res} == {("NVDA", "resolved"), ("AMD", "resolved")}
    assert all(t.notify for t in res)


def test_only_credit_or_drawdown_criticals_spread():
    ev = _step(dt.date(2025, 3, 3), {"ORCL": -0.10, "NVDA": -0.05, "AMD": -0.10}, {}, vol={"ORCL": 4.0})
    assert any(s.rule == "vol_spike" and s.state == "firing" for s in ev.states.values())
    assert not [s for s in ev.states.values() if s.rule == CONTAGION_RULE]


def test_inhibition_and_silences_mute_contagion_notices():
    day = dt.date(2025, 3, 3)
    # NVDA is itself critical: its contagion alert is recorded but not notified (inhibited)
    ev = _step(day, {"ORCL": -0.45, "NVDA": -0.50, "AMD": -0.10}, {})
    by = {t.symbol: t for t in ev.transitions if t.rule == CONTAGION_RULE}
    assert by["NVDA"].notify is False and by["NVDA"].reason == "inhibited"
    assert by["AMD"].notify is True
    # ORCL, also linked to NVDA (critical too), is inhibited as well
    assert by["ORCL"].reason == "inhibited"
    sil = [Silence(rule=CONTAGION_RULE, symbol="AMD", until=dt.date(2025, 12, 31))]
    ev2 = _step(day, {"ORCL": -0.45, "NVDA": -0.05, "AMD": -0.10}, {}, silences=sil)
    amd = next(t for t in ev2.transitions if t.rule == CONTAGION_RULE and t.symbol == "AMD")
    assert amd.notify is False and amd.reason == "silenced"


def test_rerunning_a_session_changes_nothing():
    day = dt.date(2025, 3, 3)
    ev = _step(day, {"ORCL": -0.45, "NVDA": -0.05, "AMD": -0.10}, {})
    again = apply_contagion(ev, RULES, GRAPH, usd=format_usd)
    assert [t for t in again.transitions if t.rule == CONTAGION_RULE] == [
        t for t in ev.transitions if t.rule == CONTAGION_RULE
    ]
    assert again.states == ev.states


@pytest.mark.parametrize("sym", ["NVDA", "AMD"])
def test_alert_json_of_contagion_is_a_contract_alert(sym):
    ev = _step(dt.date(2025, 3, 3), {"ORCL": -0.45, "NVDA": -0.05, "AMD": -0.10}, {})
    doc = ev.states[fingerprint(CONTAGION_RULE, sym)].to_json()
    assert doc["rule"] == "contagion" and doc["severity"] == "info" and doc["symbol"] == sym
    assert set(doc) >= {"id", "state", "value", "threshold", "started", "fired", "resolved", "summary"}


def test_two_stressed_names_count_the_amount_at_stake_once():
    events = [*EVENTS, Ev("E", D0, ("CRWV",), "OpenAI", ("compute_contract",), 22.4e9)]
    g = compute_loop_graph(events, D0)
    day = dt.date(2025, 3, 3)
    ev = evaluate(RULES, _signals(day, {"ORCL": -0.45, "CRWV": -0.60, "NVDA": -0.05, "AMD": -0.1}), {}, day)
    out = apply_contagion(ev, RULES, g, usd=format_usd)
    amd = out.states[fingerprint(CONTAGION_RULE, "AMD")]
    assert amd.summary == (
        "AMD: linked through openai to stressed CRWV, ORCL; at stake: openai -> AMD compute contract $50B"
    )
    assert amd.value == 50e9
