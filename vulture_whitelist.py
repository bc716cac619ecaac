# ruff: noqa: B018  (bare attribute references are how a vulture whitelist marks names used)
"""Names ``vulture`` cannot see used: called by a framework, read through serialisation, or a
public API whose only callers in this repository are the tests and bench scripts.

Use it with the source tree (it is never imported)::

    vulture src vulture_whitelist.py --min-confidence 60

Anything vulture reports beyond these names is dead code: remove it rather than adding it here.
Each entry says who uses the name.
"""

from typing import Any

_: Any = None

# click: commands registered by ``@<group>.command`` and called by click; Group hooks click reads
_.fetch
_.events_extract
_.events_import
_.events_list
_.study
_.spreads_import
_.rules_check
_.rules_backtest
_.alerts_list
_.alerts_outbox
_.demo
_.signals_list
_.group_class  # cli.py: click.Group attribute, the class of subgroups
_.format_commands  # cli.py: click.Group.format_commands override (help text)

# pydantic: model settings and field validators (``@field_validator``/``@model_validator``) run by pydantic
_.model_config
_._v_market
_._v_series
_._v_default
_._v_time
_._v_tz
_._v_env
_._v_vol_scale_bounds
_._v_openai
_._v_unique_rules
_._v_rule_limits
_._v_name
_._v_signal
_._v_symbols
_._v_choice  # rules/model.py: op and severity
_._v_finite
_._v_clear_side
_._v_count
_._v_summary
_._v_rule
_._v_symbol
_.comment  # rules/model.py: a silence's free-text note, read from the config file and kept

# pandas: BaseIndexer.get_window_bounds is called by pandas' rolling window with every keyword
# argument of its signature (analytics/signals.py _ColumnWindows; center and closed are not used)
_.get_window_bounds
_.center
_.closed

# html.parser.HTMLParser callbacks (events/articles.py)
_.handle_starttag
_.handle_endtag
_.handle_data

# logging.LogRecord attributes a filter rewrites for the handlers (redact.py, cli.py)
_.args
_.exc_text

# rich.table.Table attributes read when the table is printed (report/spreads.py, report/terminal.py)
_.caption
_.caption_justify

# apprise plugin settings read by apprise when it sends (notify.py)
_.socket_read_timeout
_.socket_connect_timeout

# analytics/signals.py: signal functions registered by ``@register_wide`` and called through the
# signal registry; ``__qualname__`` is set so a registered wrapper reports the signal's name
_.compute_ret_1d
_.compute_ret_5d
_.compute_drawdown_52w
_.compute_vol_20d
_.compute_vol_20d_z
_.compute_sar_1d
_.compute_corr_60d
_.compute_cds_quote_bp
_.compute_staleness_sessions
_.compute_loop_excess_resid_corr_60d
_.compute_loop_stress_index
_.__qualname__

# analytics/spreads.py: module ``__getattr__`` (PEP 562) keeps the old import paths of the spread report
_.__getattr__

# report/dashboard.py: Chart and DashboardData fields serialised by ``asdict`` into the dashboard's
# JSON and read by its JavaScript (ch.y_title, ch.traces, ch.log_y) or by users of data.json
_.y_title
_.traces
_.log_y
_.loop_alerts

# Public API whose callers here are tests and bench scripts (documented where defined):
# - events/scoring.py: the extraction-quality scorer (tests/test_extract*.py, bench/extraction_quality.py)
_.load_passages
# - analytics/balance_sheet.py, analytics/credit.py: the per-name definitions that the batched
#   spread path (analytics/spreads.py) cites and is tested against
_.compute_debt_bridge
_.compute_return_count
# - store.py: the database's schema version (tests/test_store*.py check migrations by it)
_.schema_version
# - store.py: every session with stored signals (tests/test_store_scale_blocks.py checks the
#   signal key index by it; the pipeline reads only its ends)
_.signal_sessions
