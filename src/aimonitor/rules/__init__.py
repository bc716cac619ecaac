"""Alert rules: models and config parsing (:mod:`.model`), the pure state machine
(:mod:`.engine`) and replays/comparisons for tuning (:mod:`.backtest`).

``from aimonitor.rules import Rule, evaluate, backtest, ...`` keeps working.
"""

from __future__ import annotations

from aimonitor.rules.backtest import (
    BacktestComparison,
    BacktestResult,
    Episode,
    RuleSymbolDiff,
    backtest,
    compare,
    episodes_of,
)
from aimonitor.rules.engine import (
    AlertState,
    Evaluation,
    Transition,
    change_notice,
    evaluate,
    fingerprint,
    open_episode,
    prepare_signals,
)
from aimonitor.rules.model import (
    DEFAULT_SUMMARY,
    MARKET_SYMBOL,
    NODATA_RULE,
    OPS,
    PLACEHOLDERS,
    SEVERITIES,
    STALENESS_SIGNAL,
    Rule,
    Silence,
    apply_overrides,
    check_signals,
    check_unique,
    load_default_rules,
    parse_rules,
)

__all__ = [
    "DEFAULT_SUMMARY",
    "MARKET_SYMBOL",
    "NODATA_RULE",
    "OPS",
    "PLACEHOLDERS",
    "SEVERITIES",
    "STALENESS_SIGNAL",
    "AlertState",
    "BacktestComparison",
    "BacktestResult",
    "Episode",
    "Evaluation",
    "Rule",
    "RuleSymbolDiff",
    "Silence",
    "Transition",
    "apply_overrides",
    "backtest",
    "change_notice",
    "check_signals",
    "check_unique",
    "compare",
    "episodes_of",
    "evaluate",
    "fingerprint",
    "load_default_rules",
    "open_episode",
    "parse_rules",
    "prepare_signals",
]
