"""Wiring for the loop graph: stored events, filings and prices -> :mod:`aimonitor.analytics.graph`.

Reads the store (events, closes, fundamentals) and the entity dictionary, and hands plain
data to the pure graph functions. Used by the monitoring cycle (loop exposure weights of
the loop stress index), by ``aimonitor graph`` and by the dashboard wiring. Imports
nothing above the store, so :mod:`aimonitor.pipeline` can use it.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from aimonitor.analytics.graph import LoopGraph, Party, PartyResolver, compute_loop_exposure_panel, compute_loop_graph
from aimonitor.config import AppConfig
from aimonitor.events.catalog import EventRecord, load_catalog
from aimonitor.events.entities import default_entities_path, load_entities
from aimonitor.rules import Evaluation
from aimonitor.store import Store

log = logging.getLogger(__name__)


def party_resolver(cfg: AppConfig) -> PartyResolver:
    """Counterparty names -> graph nodes, from the configured entity dictionary.

    The dictionary is parsed once per file version (path, size and modification time), so
    a replay or a daemon asks for it every session without reading the TOML each time, and
    an edited dictionary is read again.
    """
    path = Path(cfg.events.entities) if cfg.events.entities is not None else default_entities_path()
    try:
        st = path.stat()
        version: tuple[int, int] | None = (st.st_size, st.st_mtime_ns)
    except OSError:
        version = None  # missing: load_entities says so
    if version is None:
        return _party_resolver(str(path))
    return _cached_party_resolver(str(path), version)


@functools.lru_cache(maxsize=8)
def _cached_party_resolver(path: str, version: tuple[int, int]) -> PartyResolver:
    return _party_resolver(path)


def _party_resolver(path: str) -> PartyResolver:
    ents = load_entities(path)
    aliases: dict[str, Party] = {}
    for e in ents:
        node = Party(e.ticker or e.name.lower(), e.ticker, e.name, "source" if e.is_source else "company")
        for a in (e.name, *e.aliases):
            aliases[a] = node
    return PartyResolver(aliases)


def stored_events(cfg: AppConfig, store: Store) -> list[EventRecord]:
    """Events in the store; the configured (or packaged) catalog when none is stored yet (nothing written)."""
    rows = store.read_events()
    if rows:
        return [EventRecord.from_row(r) for r in rows]
    return load_catalog(cfg.events.catalog)


def balance_sheet(store: Store, symbols: Sequence[str], as_of: dt.date) -> tuple[dict[str, float], dict[str, float]]:
    """Market value (unadjusted close x shares outstanding) and total debt per symbol, as known on ``as_of``."""
    caps: dict[str, float] = {}
    debts: dict[str, float] = {}
    syms = list(symbols)
    if not syms:
        return caps, debts
    fund = store.read_fundamentals(syms)
    closes = store.read_prices(syms, "close", end=as_of)
    if fund.empty:
        return caps, debts
    fund = fund[pd.to_datetime(fund["filed_date"]) <= pd.Timestamp(as_of)]
    for sym, g in fund.groupby("symbol"):
        g = g.sort_values(["filed_date", "period_end"])
        debt = g["total_debt"].dropna() if "total_debt" in g else pd.Series(dtype=float)
        if len(debt):
            debts[str(sym)] = float(debt.iloc[-1])
        shares = g["shares_outstanding"].dropna() if "shares_outstanding" in g else pd.Series(dtype=float)
        if len(shares) and sym in closes.columns:
            px = closes[sym].dropna()
            if len(px):
                caps[str(sym)] = float(px.iloc[-1]) * float(shares.iloc[-1])
    return caps, debts


def read_loop_graph(cfg: AppConfig, store: Store, as_of: dt.date) -> LoopGraph:
    """The loop graph as of ``as_of`` with each listed node's market value and debt on that date."""
    events = stored_events(cfg, store)
    resolver = party_resolver(cfg)
    g = compute_loop_graph(events, as_of, resolver=resolver)
    tickers = [n.ticker for n in g.nodes if n.ticker]
    caps, debts = balance_sheet(store, tickers, as_of)
    return compute_loop_graph(events, as_of, resolver=resolver, market_caps=caps, debts=debts)


def read_loop_exposure(cfg: AppConfig, store: Store, sessions: pd.DatetimeIndex) -> pd.DataFrame:
    """Point-in-time ``to_loop_usd`` of each watchlist name on each session (the stress index weights)."""
    events = stored_events(cfg, store)
    return compute_loop_exposure_panel(events, sessions, list(cfg.watchlist.symbols), resolver=party_resolver(cfg))


_SHORT_TYPES = {
    "equity_investment": "investment",
    "compute_contract": "compute deal",
    "warrant_equity_for_orders": "warrants for orders",
    "debt_raise": "debt",
    "equity_raise": "equity raise",
    "credit_move": "CDS widening",
    "earnings": "results",
    "capex_project": "capex project",
    "capex_guidance": "capex guidance",
    "stock_reaction": "stock move",
    "funding_round": "funding round",
    "analyst_report": "research note",
    "aggregate_commitment": "commitments",
}


def event_label(e: EventRecord) -> str:
    """A short chart label: ``NVDA–OpenAI investment $100B`` (never an id alone, never 1.57e+11)."""
    from aimonitor.report.formatting import format_usd

    who = "/".join(e.tickers[:2]) + ("+" if len(e.tickers) > 2 else "")
    cps = [c.strip() for c in e.counterparty.split(";") if c.strip() and "(" not in c]
    if cps:
        who = f"{who}–{cps[0]}" if who else cps[0]
    if e.description.lower().startswith("supply:"):
        kind = "supply"
    else:
        kind = _SHORT_TYPES.get(e.event_types[0], e.event_types[0].replace("_", " ")) if e.event_types else ""
    return " ".join(p for p in (who, kind, format_usd(e.amount_usd)) if p)


def add_contagion(
    cfg: AppConfig, store: Store, ev: Evaluation, events: Sequence[EventRecord] | None = None
) -> Evaluation:
    """The evaluation plus ``contagion`` info alerts on names linked to a critical one (:mod:`aimonitor.contagion`).

    ``events`` (what :func:`stored_events` returns) spares a replay reading them every session.
    """
    from aimonitor.contagion import apply_contagion
    from aimonitor.report.formatting import format_usd

    if not any(s.state == "firing" for s in ev.states.values()):
        return ev
    known = list(events) if events is not None else stored_events(cfg, store)
    graph = compute_loop_graph(known, ev.as_of, resolver=party_resolver(cfg))
    return apply_contagion(
        ev,
        cfg.rules,
        graph,
        usd=format_usd,
        silences=cfg.silences,
        inhibit_lower_severity=cfg.alerting.inhibit_lower_severity,
    )
