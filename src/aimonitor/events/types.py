"""The mention types and units of ``events extract`` (../shared/CONTRACT.md), defined once.

The ``Literal`` types validate the LLM engine's answers; the tuples drive the rules'
output and the curated catalog's types.
"""

from __future__ import annotations

from typing import Literal, get_args

EventType = Literal[
    "equity_investment",
    "compute_contract",
    "warrant_equity_for_orders",
    "debt_raise",
    "equity_raise",
    "credit_move",
    "earnings",
    "capex_guidance",
    "capex_project",
    "stock_reaction",
    "funding_round",
    "analyst_report",
    "aggregate_commitment",
    "revenue_fact",
    "other",
]
Unit = Literal["USD", "JPY", "HKD", "GW", "shares", "bp", "pct"]

EVENT_TYPES: tuple[str, ...] = get_args(EventType)
UNITS: tuple[str, ...] = get_args(Unit)

#: Deal, financing and credit types: the precision rules re-type these, and the quality target is
#: about them.
DEAL_TYPES = frozenset(EVENT_TYPES) - {"earnings", "stock_reaction", "analyst_report", "revenue_fact", "other"}
