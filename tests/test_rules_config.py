"""Rule and silence validation, ``--set`` overrides and the packaged default rules."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from aimonitor.errors import ConfigError
from aimonitor.rules import Rule, Silence, apply_overrides, load_default_rules, parse_rules

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RULES = ROOT / "src" / "aimonitor" / "data" / "default_rules.toml"

BASE = 'name = "dd"\nsignal = "drawdown_52w"\nop = "<"\nthreshold = -0.25\n'
PLACEHOLDERS = "{rule}, {signal}, {symbol}, {value}, {threshold}, {severity}, {op}"

ALLOWED_SIGNALS = {
    "ret_1d",
    "ret_5d",
    "drawdown_52w",
    "vol_20d",
    "vol_20d_z",
    "sar_1d",
    "corr_60d",
    "spread_proxy_bp",
    "spread_change_20d_bp",
    "spread_z_1y",
    "fred_oas_bp",
    "fred_oas_change_20d_bp",
    "staleness_sessions",
    "loop_excess_resid_corr_60d",
    "loop_stress_index",
}


def rules_error(body: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_rules({"rules": [tomllib.loads(body)]}, "cfg.toml", signals=ALLOWED_SIGNALS)
    return str(info.value)


INVALID = [
    ("bad_op", BASE.replace('op = "<"', 'op = "=>"'), 'rules[0].op: expected one of ">", ">=", "<", "<=", got "=>"'),
    (
        "clear_on_firing_side_below",
        BASE + "clear_threshold = -0.3\n",
        'rules[0].clear_threshold: must be at or above threshold -0.25 for op "<" '
        "(the alert clears when the value climbs back to it), got -0.3",
    ),
    (
        "clear_on_firing_side_above",
        BASE.replace('op = "<"', 'op = ">="').replace("-0.25", "40.0") + "clear_threshold = 50.0\n",
        'rules[0].clear_threshold: must be at or below threshold 40 for op ">=" '
        "(the alert clears when the value falls back to it), got 50",
    ),
    (
        "unknown_key",
        BASE + "treshold = 1\n",
        "rules[0].treshold: unknown key (check the spelling; see the commented default config)",
    ),
    (
        "unknown_placeholder",
        BASE + 'summary = "{symbol} fell to {ticker}"\n',
        f"rules[0].summary: unknown placeholder {{ticker}} in template; use one of {PLACEHOLDERS}",
    ),
    (
        "attribute_placeholder",
        BASE + 'summary = "{value.real}"\n',
        f"rules[0].summary: unknown placeholder {{value.real}} in template; use one of {PLACEHOLDERS}",
    ),
    (
        "positional_placeholder",
        BASE + 'summary = "{} fell"\n',
        f"rules[0].summary: empty placeholder {{}} in template; use one of {PLACEHOLDERS}",
    ),
    (
        "bad_format_spec",
        BASE + 'summary = "{symbol:.2f}"\n',
        "rules[0].summary: template cannot be formatted (Unknown format code 'f' for object of type 'str'); "
        "check the format specs after ':'",
    ),
    (
        "unclosed_brace",
        BASE + 'summary = "{symbol"\n',
        "rules[0].summary: not a valid template (expected '}' before end of string); write literal braces as {{ and }}",
    ),
    ("threshold_not_a_number", BASE.replace("-0.25", '"high"'), 'rules[0].threshold: expected a number, got "high"'),
    (
        "bad_name",
        BASE.replace('"dd"', '"Draw-Down"'),
        'rules[0].name: expected lowercase letters, digits and _ (like "drawdown_warn"), got "Draw-Down"',
    ),
    (
        "reserved_name",
        BASE.replace('"dd"', '"nodata"'),
        'rules[0].name: "nodata" is reserved for the pipeline\'s missing-data alert; pick another name',
    ),
    (
        "unknown_signal",
        BASE.replace("drawdown_52w", "drawdown"),
        'rules[0].signal: unknown signal "drawdown"; see `aimonitor signals list` for the known names',
    ),
    (
        "symbols_plain_string",
        BASE + 'symbols = "NVDA"\n',
        'rules[0].symbols: expected a list of symbols or "all", got "NVDA"',
    ),
    ("symbols_empty", BASE + "symbols = []\n", 'rules[0].symbols: expected at least one symbol (or "all")'),
    ("symbols_repeat", BASE + 'symbols = ["NVDA", "nvda"]\n', "rules[0].symbols: symbols must not repeat"),
    (
        "bad_severity",
        BASE + 'severity = "high"\n',
        'rules[0].severity: expected one of "info", "warning", "critical", got "high"',
    ),
    (
        "negative_for",
        BASE + "for_sessions = -1\n",
        "rules[0].for_sessions: expected a whole number of sessions >= 0, got -1",
    ),
    (
        "fractional_repeat",
        BASE + "repeat_sessions = 1.5\n",
        "rules[0].repeat_sessions: expected a whole number, got 1.5",
    ),
    ("nan_threshold", BASE.replace("-0.25", "nan"), "rules[0].threshold: expected a finite number, got nan"),
    ("missing_key", 'name = "x"\nsignal = "ret_1d"\nthreshold = 1.0\n', "rules[0].op: missing required key"),
]


@pytest.mark.parametrize("body,message", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_rules_have_exact_messages(body, message):
    assert rules_error(body) == f"cfg.toml: {message}"


def test_clear_threshold_on_the_resolving_side_is_accepted():
    r = Rule.model_validate(tomllib.loads(BASE + "clear_threshold = -0.2\n"))
    assert (r.threshold, r.clear_threshold) == (-0.25, -0.2)
    # equal to the threshold means "no hysteresis" and is allowed
    assert Rule.model_validate(tomllib.loads(BASE + "clear_threshold = -0.25\n")).clear_threshold == -0.25


def test_rule_defaults_and_normalisation():
    r = Rule.model_validate(tomllib.loads(BASE + 'symbols = ["nvda", " ^vix "]\n'))
    assert r.symbols == ("NVDA", "^VIX")
    assert (r.for_sessions, r.repeat_sessions, r.severity, r.enabled, r.absolute) == (0, 0, "warning", True, False)
    assert Rule.model_validate(tomllib.loads(BASE + 'symbols = "ALL"\n')).symbols == "all"
    assert r.render_summary("NVDA", -0.3) == "dd: drawdown_52w of NVDA is -0.3 (< -0.25)"


def test_rules_are_frozen():
    r = Rule.model_validate(tomllib.loads(BASE))
    with pytest.raises(ValidationError):
        r.threshold = 1.0  # type: ignore[misc]


def test_duplicate_names_and_silences():
    with pytest.raises(ConfigError) as info:
        parse_rules({"rules": [tomllib.loads(BASE), tomllib.loads(BASE)]}, "cfg.toml")
    assert str(info.value) == 'cfg.toml: rules[1].name: duplicate rule name "dd"; rule names must be unique'
    doc = tomllib.loads(
        "[[rules]]\n"
        + BASE
        + '[[silences]]\nrule = "dd"\nsymbol = "nvda"\nuntil = 2026-03-31\ncomment = "earnings"\n'
        + '[[silences]]\nrule = "*"\nuntil = 2026-01-02\n'
        + '[[silences]]\nrule = "nodata"\nsymbol = "HYG"\nuntil = 2026-12-31\n'
    )
    rules, silences = parse_rules(doc, "cfg.toml")
    assert [r.name for r in rules] == ["dd"]
    assert silences[0] == Silence(rule="dd", symbol="NVDA", until=dt.date(2026, 3, 31), comment="earnings")
    assert silences[0].matches("dd", "NVDA", dt.date(2026, 3, 31))
    assert not silences[0].matches("dd", "NVDA", dt.date(2026, 4, 1))
    assert not silences[0].matches("dd", "AMD", dt.date(2026, 3, 2))
    assert silences[1].matches("anything", "AMD", dt.date(2026, 1, 2))
    bad = tomllib.loads("[[rules]]\n" + BASE + '[[silences]]\nrule = "ddd"\nuntil = 2026-03-31\n')
    with pytest.raises(ConfigError) as info:
        parse_rules(bad, "cfg.toml")
    assert str(info.value) == 'cfg.toml: silences[0].rule: unknown rule "ddd"; use a rule name or "*"'
    bad = tomllib.loads('[[silences]]\nrule = "*"\nuntil = "soon"\n')
    with pytest.raises(ConfigError, match=r"^cfg.toml: silences\[0\].until: "):
        parse_rules(bad, "cfg.toml")


def test_messages_through_the_app_config():
    """The lead's config loader formats the same errors with file and key path."""
    from aimonitor.config import parse_config

    text = (
        "[[rules]]\n"
        + BASE
        + "[[rules]]\n"
        + BASE.replace('"dd"', '"dd2"')
        + "[[rules]]\n"
        + BASE.replace('"dd"', '"dd3"').replace("-0.25", '"high"')
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text, "config/aimonitor.toml")
    assert str(info.value) == 'config/aimonitor.toml: rules[2].threshold: expected a number, got "high"'


# --------------------------------------------------------------------------- overrides


def _rules():
    return [
        Rule.model_validate(tomllib.loads(BASE + "clear_threshold = -0.2\n")),
        Rule(name="move", signal="sar_1d", op=">", threshold=4.0, absolute=True),
    ]


def test_overrides_apply_and_coerce():
    original = _rules()
    out = apply_overrides(
        original,
        [
            "dd.threshold=-0.3",
            "dd.for_sessions=3",
            "dd.severity=critical",
            "dd.symbols=nvda,AMD",
            "move.enabled=false",
            'move.summary="{symbol} moved {value:+.1f} sd"',
        ],
    )
    dd, move = out
    assert (dd.threshold, dd.for_sessions, dd.severity, dd.symbols) == (-0.3, 3, "critical", ("NVDA", "AMD"))
    assert dd.clear_threshold == -0.2
    assert move.enabled is False and move.render_summary("AMD", -4.25) == "AMD moved -4.2 sd"
    assert original[0].threshold == -0.25  # inputs untouched
    assert apply_overrides(original, ["dd.clear_threshold=none"])[0].clear_threshold is None
    assert apply_overrides(original, ["dd.symbols=all"])[0].symbols == "all"
    # threshold and clear threshold moved together, in any order
    both = apply_overrides(original, ["dd.threshold=-0.1", "dd.clear_threshold=-0.05"])[0]
    assert (both.threshold, both.clear_threshold) == (-0.1, -0.05)


OVERRIDE_ERRORS = [
    ("dd.threshold=high", '--set dd.threshold=high: threshold: expected a number, got "high"'),
    ("ddd.threshold=1", '--set ddd.threshold=1: unknown rule "ddd"; known rules: dd, move'),
    (
        "dd.treshold=1",
        '--set dd.treshold=1: unknown field "treshold"; settable fields: signal, symbols, op, '
        "threshold, clear_threshold, absolute, for_sessions, repeat_sessions, severity, summary, enabled",
    ),
    (
        "dd.name=x",
        '--set dd.name=x: unknown field "name"; settable fields: signal, symbols, op, '
        "threshold, clear_threshold, absolute, for_sessions, repeat_sessions, severity, summary, enabled",
    ),
    ("dd=0.3", "--set dd=0.3: expected RULE.FIELD=VALUE, e.g. drawdown_warn.threshold=-0.3"),
    ("dd.for_sessions=2.5", "--set dd.for_sessions=2.5: for_sessions: expected a whole number, got 2.5"),
    ("dd.op=!=", '--set dd.op=!=: op: expected one of ">", ">=", "<", "<=", got "!="'),
    (
        "dd.threshold=-0.1",
        '--set dd.threshold=-0.1: clear_threshold: must be at or above threshold -0.1 for op "<" '
        "(the alert clears when the value climbs back to it), got -0.2",
    ),
]


@pytest.mark.parametrize("assignment,message", OVERRIDE_ERRORS, ids=[a for a, _ in OVERRIDE_ERRORS])
def test_override_errors(assignment, message):
    with pytest.raises(ConfigError) as info:
        apply_overrides(_rules(), [assignment])
    assert str(info.value) == message


# --------------------------------------------------------------------------- default rules


def test_default_rules_load_and_use_only_known_signals():
    rules = load_default_rules()
    names = [r.name for r in rules]
    assert len(names) == len(set(names)) >= 10
    assert {r.signal for r in rules} <= ALLOWED_SIGNALS
    by = {r.name: r for r in rules}
    # the thresholds the brief asks for
    assert (by["credit_proxy_widening"].threshold, by["credit_proxy_widening_critical"].threshold) == (40.0, 100.0)
    assert by["hy_oas_widening"].threshold == 75.0 and by["hy_oas_widening"].symbols == ("BAMLH0A0HYM2",)
    assert (by["drawdown_warning"].op, by["drawdown_warning"].threshold) == ("<", -0.25)
    assert (by["drawdown_critical"].threshold, by["drawdown_critical"].severity) == (-0.40, "critical")
    assert by["abnormal_move"].absolute and by["abnormal_move"].threshold == 4.0
    assert by["loop_moving_as_one"].symbols == ("LOOP",) and by["loop_moving_as_one"].threshold == 0.7
    assert by["vol_spike"].threshold == 2.5
    assert by["stale_data"].signal == "staleness_sessions"


def test_every_default_rule_has_an_explaining_comment():
    lines = DEFAULT_RULES.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "[[rules]]"]
    assert len(starts) == len(load_default_rules())
    for i in starts:
        comment = []
        j = i - 1
        while j >= 0 and lines[j].startswith("#"):
            comment.append(lines[j])
            j -= 1
        text = " ".join(comment)
        assert len(text) > 80 and re.search(r"\d", text), f"[[rules]] at line {i + 1} lacks a why-comment"


def test_default_rules_paste_into_the_app_config():
    from aimonitor.config import parse_config

    cfg = parse_config(DEFAULT_RULES.read_text(encoding="utf-8"), "default_rules.toml")
    assert [r.name for r in cfg.rules] == [r.name for r in load_default_rules()]


def test_default_drawdown_summaries_read_without_a_double_negative():
    from aimonitor.rules import load_default_rules

    rules = {r.name: r for r in load_default_rules()}
    # a drawdown of 41 % renders as a signed distance, not as "-41.0% below"
    assert (
        rules["drawdown_warning"].render_summary("ORCL", -0.41) == "ORCL closed -41.0% from its 52-week high (< -25%)"
    )
    assert "below" not in rules["drawdown_critical"].render_summary("ORCL", -0.41)
