"""The circular-financing graph: catalog facts, hand-built cycles, exposure arithmetic, CLI."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from aimonitor.analytics.graph import (
    Party,
    PartyResolver,
    compute_layout,
    compute_loop_exposure_panel,
    compute_loop_graph,
)
from aimonitor.cli import cli
from aimonitor.events.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]


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


def _cycles(g) -> set[frozenset[str]]:
    return {frozenset(c) for c in g.cycles}


# --------------------------------------------------------------------------- the bundled catalog


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(None)


def test_catalog_graph_has_the_loops_the_seeds_describe(catalog):
    g = compute_loop_graph(catalog, dt.date(2026, 2, 27))
    cyc = _cycles(g)
    # "Nvidia invests in OpenAI, which buys Nvidia systems" (EV07, 2025-09-22)
    assert frozenset({"NVDA", "openai"}) in cyc
    # AMD's warrants against OpenAI's GPU orders (EV09, 2025-10-06)
    assert frozenset({"AMD", "openai"}) in cyc
    # seed 001: "OpenAI pays Oracle's data centres, Oracle buys chips from Nvidia" (EV05 + EV54 + EV07)
    assert frozenset({"openai", "ORCL", "NVDA"}) in cyc
    nv = [e for e in g.edges if (e.source, e.target, e.type) == ("NVDA", "openai", "equity_investment")]
    assert len(nv) == 1 and nv[0].amount_usd == pytest.approx(100e9) and "EV07" in nv[0].event_ids
    back = [e for e in g.edges if (e.source, e.target) == ("openai", "NVDA")]
    assert back and back[0].type == "compute_contract"
    orcl_in = sum(e.amount_usd or 0 for e in g.edges if e.target == "ORCL" and e.source == "openai")
    assert orcl_in >= 300e9
    assert g.exposure_of("ORCL").inbound_usd >= 300e9


def test_no_loop_before_the_deals(catalog):
    g = compute_loop_graph(catalog, dt.date(2025, 9, 1))
    assert g.cycles == ()
    assert not [e for e in g.edges if e.first > dt.date(2025, 9, 1)]
    # the day after the Nvidia letter of intent the first cycle exists
    assert frozenset({"NVDA", "openai"}) in _cycles(compute_loop_graph(catalog, dt.date(2025, 9, 22)))


def test_catalog_copies_are_identical_and_supply_rows_quote_the_seeds():
    a = (ROOT / "seeds" / "events.csv").read_bytes()
    b = (ROOT / "src" / "aimonitor" / "data" / "seed_events.csv").read_bytes()
    assert a == b
    rows = list(csv.DictReader((ROOT / "seeds" / "events.csv").open(encoding="utf-8", newline="")))
    supply = [r for r in rows if r["description_en"].lower().startswith("supply:")]
    assert len(supply) >= 2
    for r in supply:
        seed = (ROOT / "seeds" / r["source_seed"]).read_text(encoding="utf-8")
        for q in r["source_quote_zh"].split(" ||| "):
            assert re.sub(r"^\[\d+\] ", "", q) in seed, f"{r['event_id']}: quote not verbatim in {r['source_seed']}"


# --------------------------------------------------------------------------- hand-built graphs


def test_direction_rules_and_cycles_by_hand():
    d = dt.date(2025, 1, 2)
    events = [
        Ev("A", d, ("NVDA",), "OpenAI", ("equity_investment", "compute_contract"), 100e9),
        Ev("B", d, ("AMD",), "OpenAI", ("compute_contract", "warrant_equity_for_orders"), 50e9, 160e6),
        Ev("C", d, ("ORCL",), "OpenAI", ("compute_contract",), 300e9),
        Ev("D", d, ("ORCL",), "JPMorgan; MUFG", ("debt_raise",), 38e9),
        Ev("E", d, ("ORCL", "NVDA"), "", ("other",), None, None, "Supply: Oracle buys Nvidia chips"),
        Ev("F", d, ("ORCL",), "", ("earnings",), 1e9),  # no flow between parties
        Ev("G", None, ("NVDA", "CRWV"), "CoreWeave", ("equity_investment",)),  # undated: left out
    ]
    g = compute_loop_graph(events, d)
    got = {(e.source, e.target, e.type): e.amount_usd for e in g.edges}
    assert got == {
        ("NVDA", "openai", "equity_investment"): 100e9,
        ("openai", "NVDA", "compute_contract"): None,  # the amount belongs to the first listed type
        ("openai", "AMD", "compute_contract"): 50e9,
        ("AMD", "openai", "warrant"): None,
        ("openai", "ORCL", "compute_contract"): 300e9,
        ("banks", "ORCL", "debt_financing"): 38e9,
        ("ORCL", "NVDA", "supply"): None,
    }
    assert [e.shares for e in g.edges if e.type == "warrant"] == [160e6]
    # the three simple cycles, enumerated by hand
    assert _cycles(g) == {
        frozenset({"NVDA", "openai"}),
        frozenset({"AMD", "openai"}),
        frozenset({"openai", "ORCL", "NVDA"}),
    }
    assert g.skipped == ("G",)
    # exposure by hand: ORCL receives 300B (on a cycle) + 38B (banks, not on a cycle)
    x = g.exposure_of("ORCL")
    assert (x.inbound_usd, x.outbound_usd, x.to_loop_usd) == (338e9, 0.0, 300e9)
    assert x.loop_share == pytest.approx(300 / 338)
    o = g.exposure_of("openai")
    assert (o.inbound_usd, o.outbound_usd, o.to_loop_usd) == (100e9, 350e9, 450e9)
    assert g.exposure_of("banks").in_loop is False


def test_merged_edges_add_amounts_and_shared_amounts_are_not_split():
    d1, d2 = dt.date(2025, 1, 2), dt.date(2025, 3, 3)
    events = [
        Ev("A", d1, ("CRWV",), "OpenAI", ("compute_contract",), 11.9e9),
        Ev("B", d2, ("CRWV",), "OpenAI", ("compute_contract",), 4e9),
        Ev("C", d2, ("NVDA", "AMZN", "MSFT"), "OpenAI; SoftBank", ("equity_investment",), 100e9),
    ]
    r = PartyResolver({"softbank": Party("9984.T", "9984.T", "SoftBank")})
    g = compute_loop_graph(events, d2, resolver=r)
    crwv = [e for e in g.edges if e.target == "CRWV"][0]
    assert crwv.amount_usd == pytest.approx(15.9e9) and crwv.event_ids == ("A", "B") and crwv.first == d1
    inv = [e for e in g.edges if e.type == "equity_investment"]
    # four investors (SoftBank is a listed co-investor, OpenAI the private investee); $100B not split
    assert {e.source for e in inv} == {"NVDA", "AMZN", "MSFT", "9984.T"} and {e.target for e in inv} == {"openai"}
    assert all(e.amount_usd is None and e.deal_amount_usd == 100e9 for e in inv)


def test_market_value_and_debt_are_carried_and_layout_is_deterministic():
    d = dt.date(2025, 1, 2)
    events = [
        Ev("A", d, ("NVDA",), "OpenAI", ("equity_investment", "compute_contract"), 100e9),
    ]
    g = compute_loop_graph(events, d, market_caps={"NVDA": 4e12}, debts={"NVDA": 10e9})
    j = g.to_json()
    ex = {x["id"]: x for x in j["exposure"]}
    assert ex["NVDA"]["market_cap_usd"] == 4e12 and ex["NVDA"]["debt_usd"] == 10e9
    assert ex["NVDA"]["to_loop_vs_market_cap"] == pytest.approx(100e9 / 4e12)
    assert ex["openai"]["market_cap_usd"] is None
    assert compute_layout(g) == compute_layout(g)


def test_exposure_panel_is_point_in_time():
    import pandas as pd

    events = [
        Ev("A", dt.date(2025, 1, 6), ("NVDA",), "OpenAI", ("equity_investment", "compute_contract"), 100e9),
        Ev("B", dt.date(2025, 1, 8), ("ORCL",), "OpenAI", ("compute_contract",), 300e9),
        Ev("C", dt.date(2025, 1, 8), ("ORCL", "NVDA"), "", ("other",), None, None, "Supply: chips"),
    ]
    sessions = pd.DatetimeIndex(["2025-01-03", "2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09"])
    p = compute_loop_exposure_panel(events, sessions, ["NVDA", "ORCL"])
    assert p["NVDA"].tolist() == [0.0, 100e9, 100e9, 100e9, 100e9]
    assert p["ORCL"].tolist() == [0.0, 0.0, 0.0, 300e9, 300e9]


# --------------------------------------------------------------------------- CLI


def test_cli_graph_json_and_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "g.db"
    r = CliRunner().invoke(cli, ["--db", str(db), "graph", "--as-of", "2026-01-15", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert set(doc) >= {"as_of", "nodes", "edges", "cycles", "exposure"}
    assert doc["as_of"] == "2026-01-15"
    cyc = {frozenset(c) for c in doc["cycles"]}
    assert frozenset({"NVDA", "openai"}) in cyc and frozenset({"AMD", "openai"}) in cyc
    ids = {n["id"]: n for n in doc["nodes"]}
    assert ids["openai"]["ticker"] is None and ids["ORCL"]["ticker"] == "ORCL"
    e = next(
        e for e in doc["edges"] if (e["source"], e["target"], e["type"]) == ("NVDA", "openai", "equity_investment")
    )
    assert e["amount_usd"] == pytest.approx(100e9) and e["first"] == "2025-09-22"
    early = CliRunner().invoke(cli, ["--db", str(db), "graph", "--as-of", "2025-09-01", "--json"])
    assert json.loads(early.stdout)["cycles"] == []
    out = tmp_path / "pic"
    r = CliRunner().invoke(cli, ["--db", str(db), "graph", "--as-of", "2026-01-15", "--out", str(out)])
    assert r.exit_code == 0, r.output
    svg = (out / "graph.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and 'data-node="openai"' in svg and "$100B" in svg
    assert "1e+11" not in svg and "e+1" not in svg
    assert "cycle:" in CliRunner().invoke(cli, ["--db", str(db), "graph"]).output


def test_cli_graph_bad_date_is_one_line_error(tmp_path):
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), "graph", "--as-of", "2025-13-01"])
    assert r.exit_code != 0 and "Traceback" not in r.output


def test_cli_graph_unwritable_out_is_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), "graph", "--out", str(blocker / "sub")])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.stderr.strip().startswith("Error:") and len(r.stderr.strip().splitlines()) == 1
