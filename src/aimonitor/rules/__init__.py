"""Alert rules: models and config parsing (:mod:`.model`), the pure state machine
(:mod:`.engine`) and replays/comparisons for tuning (:mod:`.backtest`).

``from aimonitor.rules import Rule, evaluate, backtest, ...`` keeps working. The models are
imported with the package (the configuration needs them); the engine and the backtest (pandas,
the calendar) load on the first use of one of their names, so loading a configuration does
not import them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
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

#: Submodule of each name loaded on first use.
_LAZY: dict[str, str] = {
    **dict.fromkeys(
        ("BacktestComparison", "BacktestResult", "Episode", "RuleSymbolDiff", "backtest", "compare", "episodes_of"),
        "backtest",
    ),
    **dict.fromkeys(
        (
            "AlertState",
            "Evaluation",
            "Transition",
            "change_notice",
            "evaluate",
            "fingerprint",
            "open_episode",
            "prepare_signals",
        ),
        "engine",
    ),
}


def __getattr__(name: str) -> Any:
    submodule = _LAZY.get(name)
    if submodule is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{submodule}")
    # bind every name of that submodule here: importing ``rules.backtest`` sets this package's
    # attribute ``backtest`` to the module, which the function of the same name must replace
    for other, where in _LAZY.items():
        if where == submodule:
            globals()[other] = getattr(module, other)
    return globals()[name]


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
