"""Rule and silence models, their TOML parsing and ``--set`` overrides (no engine here).

A rule is a ``[[rules]]`` table of the config; :class:`Rule` validates it (pydantic) and
knows how to test a value against its condition, which of two values is the more extreme
breach (the alert's ``peak``) and how to word its summary and its resolution. Signal
names are checked against a registry the wiring layer passes in (``signals=``), so this
module never imports the analytics package.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
import string
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from importlib import resources
from typing import Any, Literal

from aimonitor.errors import ConfigError
from aimonitor.schema import (
    BaseModel,
    ConfigDict,
    PydanticCustomError,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from aimonitor.validation_messages import first_error

__all__ = [
    "DEFAULT_SUMMARY",
    "MARKET_SYMBOL",
    "NODATA_RULE",
    "OPS",
    "PLACEHOLDERS",
    "SEVERITIES",
    "STALENESS_SIGNAL",
    "Rule",
    "Silence",
    "apply_overrides",
    "check_signals",
    "check_unique",
    "load_default_rules",
    "parse_rules",
]

OPS: dict[str, Any] = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
#: The comparison that holds once a rule has cleared (shown in resolution texts).
_CLEARED_OP = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
#: Rule name of the pipeline alert raised for missing or stale input (reserved).
NODATA_RULE = "nodata"
#: Symbol of market-wide signals; rendered as ``null`` in ALERT JSON.
MARKET_SYMBOL = "*"
STALENESS_SIGNAL = "staleness_sessions"
#: Placeholders a ``summary`` template may use.
PLACEHOLDERS: tuple[str, ...] = ("rule", "signal", "symbol", "value", "threshold", "severity", "op")
DEFAULT_SUMMARY = "{rule}: {signal} of {symbol} is {value:.4g} ({op} {threshold:g})"

_NAME_RE = re.compile(r"^[a-z0-9_]+$")
_SIGNAL_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_SETTABLE = (
    "signal",
    "symbols",
    "op",
    "threshold",
    "clear_threshold",
    "absolute",
    "for_sessions",
    "repeat_sessions",
    "severity",
    "summary",
    "enabled",
)
#: A literal sign in a template followed by a negative number ("+{value}" with -46 -> "+-46").
_DOUBLE_SIGN = re.compile(r"\+\s?(?=[-\u2212]\d)")
_UNKNOWN_SIGNAL = "unknown signal {name}; see `aimonitor signals list` for the known names"


def _err(msg: str) -> PydanticCustomError:
    return PydanticCustomError("aimonitor_rule", msg)


def _q(value: Any) -> str:
    """Show a user value the way TOML would spell it ("x", 1.5, true)."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _one_of(allowed: Iterable[str]) -> str:
    return ", ".join(_q(a) for a in allowed)


def _fmt_num(x: float) -> str:
    return f"{x:.4g}"


class Rule(BaseModel):
    """One alert rule (a ``[[rules]]`` table).

    See :mod:`aimonitor.rules.engine` for the exact semantics of every field.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    signal: str
    symbols: tuple[str, ...] | Literal["all"] = "all"
    op: str
    threshold: float
    clear_threshold: float | None = None
    absolute: bool = False
    for_sessions: int = 0
    repeat_sessions: int = 0
    severity: str = "warning"
    summary: str = DEFAULT_SUMMARY
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _v_name(cls, v: str) -> str:
        if not _NAME_RE.match(v):
            raise _err(f'expected lowercase letters, digits and _ (like "drawdown_warn"), got {_q(v)}')
        if v == NODATA_RULE:
            raise _err(f"{_q(NODATA_RULE)} is reserved for the pipeline's missing-data alert; pick another name")
        return v

    @field_validator("signal")
    @classmethod
    def _v_signal(cls, v: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("signals") if isinstance(info.context, Mapping) else None
        if known is not None:
            if v not in known:
                raise _err(_UNKNOWN_SIGNAL.format(name=_q(v)))
        elif not _SIGNAL_RE.match(v):
            raise _err(_UNKNOWN_SIGNAL.format(name=_q(v)))
        return v

    @field_validator("symbols", mode="before")
    @classmethod
    def _v_symbols(cls, v: Any) -> Any:
        if isinstance(v, str):
            if v.strip().lower() == "all":
                return "all"
            raise _err(f'expected a list of symbols or "all", got {_q(v)}')
        if isinstance(v, (list, tuple)):
            if not v:
                raise _err('expected at least one symbol (or "all")')
            out: list[str] = []
            for s in v:
                if not isinstance(s, str) or not s.strip():
                    raise _err(f"expected symbol strings, got {_q(s)}")
                out.append(s.strip().upper())
            if len(set(out)) != len(out):
                raise _err("symbols must not repeat")
            return tuple(out)
        return v

    @field_validator("op", "severity")
    @classmethod
    def _v_choice(cls, v: str, info: ValidationInfo) -> str:
        allowed: Iterable[str] = OPS if info.field_name == "op" else SEVERITIES
        if v not in allowed:
            raise _err(f"expected one of {_one_of(allowed)}, got {_q(v)}")
        return v

    @field_validator("threshold", "clear_threshold")
    @classmethod
    def _v_finite(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise _err(f"expected a finite number, got {v}")
        return v

    @field_validator("clear_threshold")
    @classmethod
    def _v_clear_side(cls, v: float | None, info: ValidationInfo) -> float | None:
        op, thr = info.data.get("op"), info.data.get("threshold")
        if v is None or op is None or thr is None:
            return v
        if op in (">", ">=") and v > thr:
            raise _err(
                f'must be at or below threshold {thr:g} for op "{op}" '
                f"(the alert clears when the value falls back to it), got {v:g}"
            )
        if op in ("<", "<=") and v < thr:
            raise _err(
                f'must be at or above threshold {thr:g} for op "{op}" '
                f"(the alert clears when the value climbs back to it), got {v:g}"
            )
        return v

    @field_validator("for_sessions", "repeat_sessions")
    @classmethod
    def _v_count(cls, v: int) -> int:
        if v < 0:
            raise _err(f"expected a whole number of sessions >= 0, got {v}")
        return v

    @field_validator("summary")
    @classmethod
    def _v_summary(cls, v: str) -> str:
        allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        try:
            parsed = list(string.Formatter().parse(v))
        except ValueError as exc:
            raise _err(f"not a valid template ({exc}); write literal braces as {{{{ and }}}}") from None
        for _lit, name, _spec, _conv in parsed:
            if name is None:
                continue
            if name == "":
                raise _err(f"empty placeholder {{}} in template; use one of {allowed}")
            if name not in PLACEHOLDERS:
                raise _err(f"unknown placeholder {{{name}}} in template; use one of {allowed}")
        sample = dict(rule="rule", signal="signal", symbol="SYM", value=-1.5, threshold=1.0, severity="warning", op=">")
        try:
            v.format(**sample)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise _err(f"template cannot be formatted ({exc}); check the format specs after ':'") from None
        return v

    # -- behaviour

    @property
    def effective_clear(self) -> float:
        """The level the alert clears at (``clear_threshold``, else ``threshold``)."""
        return self.threshold if self.clear_threshold is None else self.clear_threshold

    def breached(self, value: float, *, clearing: bool = False) -> bool:
        """Whether ``value`` meets the condition (against ``clear_threshold`` when ``clearing``)."""
        x = abs(value) if self.absolute else value
        thr = self.effective_clear if clearing else self.threshold
        return bool(OPS[self.op](x, thr))

    def more_extreme(self, a: float | None, b: float) -> float:
        """The more extreme of two values in the breach direction (the ``peak`` of an episode)."""
        if a is None or (isinstance(a, float) and math.isnan(a)):
            return b
        if self.absolute:
            return b if abs(b) > abs(a) else a
        if self.op in (">", ">="):
            return max(a, b)
        return min(a, b)

    def render_summary(self, symbol: str, value: float) -> str:
        """The summary template filled in for one symbol and the value that breached.

        A literal sign before a negative value (``+{value}`` with -46) is collapsed, so a
        summary never reads ``+-46``.
        """
        text = self.summary.format(
            rule=self.name,
            signal=self.signal,
            symbol=symbol,
            value=value,
            threshold=self.threshold,
            severity=self.severity,
            op=self.op,
        )
        return _DOUBLE_SIGN.sub("", text)

    def render_resolution(self, symbol: str, value: float, day: dt.date) -> str:
        """The short text of a resolution: when, at what value, against which clearing level."""
        x = f"|{self.signal}|" if self.absolute else self.signal
        who = "" if symbol == MARKET_SYMBOL else f"{symbol}: "
        return (
            f"{who}resolved on {day.isoformat()}: {x} {_fmt_num(value)} "
            f"({_CLEARED_OP[self.op]} {self.effective_clear:g})"
        )


class Silence(BaseModel):
    """Mutes notifications (never state) of matching alerts up to ``until`` inclusive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    symbol: str | None = None
    until: dt.date
    comment: str = ""

    @field_validator("rule")
    @classmethod
    def _v_rule(cls, v: str) -> str:
        if v != "*" and not _NAME_RE.match(v):
            raise _err(f'expected a rule name or "*", got {_q(v)}')
        return v

    @field_validator("symbol")
    @classmethod
    def _v_symbol(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not v.strip():
            raise _err("expected a symbol; leave the key out to silence every symbol")
        return v.strip() if v.strip() == MARKET_SYMBOL else v.strip().upper()

    def matches(self, rule: str, symbol: str, session: dt.date) -> bool:
        """True if this silence mutes ``(rule, symbol)`` on ``session``."""
        return (
            session <= self.until
            and (self.rule == "*" or self.rule == rule)
            and (self.symbol is None or self.symbol == symbol)
        )


# --------------------------------------------------------------------------- parsing


def check_unique(rules: Sequence[Rule]) -> None:
    """Raise :class:`ConfigError` naming the first repeated rule name."""
    names = [r.name for r in rules]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise ConfigError(f"rules[{i}].name: duplicate rule name {_q(n)}; rule names must be unique")


def check_signals(rules: Sequence[Rule], known: Collection[str], source: str = "<rules>") -> None:
    """Raise :class:`ConfigError` (``source: rules[i].signal: ...``) for a signal not in ``known``.

    The wiring layer calls this with the analytics registry's names when it loads a config.
    """
    for i, r in enumerate(rules):
        if r.signal not in known:
            raise ConfigError(f"{source}: rules[{i}].signal: " + _UNKNOWN_SIGNAL.format(name=_q(r.signal)))


def _parse_value(field_name: str, raw: str) -> Any:
    text = raw.strip()
    if field_name == "clear_threshold" and text.lower() in ("", "none", "null"):
        return None
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    if field_name == "symbols" and isinstance(value, str) and value.lower() != "all":
        value = [s for s in (p.strip() for p in value.split(",")) if s]
    return value


def apply_overrides(
    rules: Sequence[Rule], assignments: Iterable[str], *, signals: Collection[str] | None = None
) -> list[Rule]:
    """Apply ``--set RULE.FIELD=VALUE`` assignments; returns new (validated) rules.

    Values are read as TOML scalars (``0.2``, ``3``, ``true``, ``"x"``) and otherwise as
    bare strings (``severity=critical``); ``symbols=NVDA,AMD`` is a list and
    ``clear_threshold=none`` removes the hysteresis. All assignments of one rule are
    applied together before it is validated, so ``threshold`` and ``clear_threshold``
    can be moved in one go whatever their order.

    Raises
    ------
    ConfigError
        Malformed assignment, unknown rule or field, or a value the rule rejects.
    """
    out = list(rules)
    index = {r.name: i for i, r in enumerate(out)}
    pending: dict[str, dict[str, Any]] = {}
    origin: dict[tuple[str, str], str] = {}
    for a in assignments:
        m = re.match(r"^\s*([^.=\s]+)\.([^=\s]+)\s*=(.*)$", a)
        if not m:
            raise ConfigError(f"--set {a}: expected RULE.FIELD=VALUE, e.g. drawdown_warn.threshold=-0.3")
        name, fld, raw = m.group(1), m.group(2), m.group(3)
        if name not in index:
            known = ", ".join(sorted(index)) or "(none)"
            raise ConfigError(f"--set {a}: unknown rule {_q(name)}; known rules: {known}")
        if fld not in _SETTABLE:
            raise ConfigError(f"--set {a}: unknown field {_q(fld)}; settable fields: {', '.join(_SETTABLE)}")
        pending.setdefault(name, {})[fld] = _parse_value(fld, raw)
        origin[(name, fld)] = a
    context = {"signals": signals} if signals is not None else None
    for name, changes in pending.items():
        data = out[index[name]].model_dump()
        data.update(changes)
        try:
            out[index[name]] = Rule.model_validate(data, context=context)
        except ValidationError as exc:
            loc = exc.errors()[0].get("loc", ())
            key = (name, str(loc[0])) if loc else None
            shown = origin.get(key) if key else None
            if shown is None:
                shown = " ".join(origin[(name, f)] for f in changes)
            raise ConfigError(f"--set {shown}: {first_error(exc)}") from None
    return out


def parse_rules(
    data: Mapping[str, Any], source: str = "<rules>", *, signals: Collection[str] | None = None
) -> tuple[list[Rule], list[Silence]]:
    """Validate the ``rules`` and ``silences`` arrays of an already-parsed TOML document.

    Raises :class:`ConfigError` as ``<source>: rules[2].threshold: <message>``. Also
    checks that rule names are unique, that silences name existing rules and, when
    ``signals`` is given, that every rule's signal is one of them.
    """
    rules: list[Rule] = []
    silences: list[Silence] = []
    context = {"signals": signals} if signals is not None else None
    for key in ("rules", "silences"):
        items = data.get(key, [])
        if not isinstance(items, list):
            raise ConfigError(f"{source}: {key}: expected an array of tables ([[{key}]])")
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise ConfigError(f"{source}: {key}[{i}]: expected a table")
            try:
                if key == "rules":
                    rules.append(Rule.model_validate(item, context=context))
                else:
                    silences.append(Silence.model_validate(item, context=context))
            except ValidationError as exc:
                raise ConfigError(f"{source}: {first_error(exc, f'{key}[{i}]')}") from None
    try:
        check_unique(rules)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    names = {r.name for r in rules} | {NODATA_RULE}
    for i, s in enumerate(silences):
        if s.rule != "*" and s.rule not in names:
            raise ConfigError(f'{source}: silences[{i}].rule: unknown rule {_q(s.rule)}; use a rule name or "*"')
    return rules, silences


def load_default_rules() -> list[Rule]:
    """The packaged default rules (``aimonitor/data/default_rules.toml``)."""
    res = resources.files("aimonitor") / "data" / "default_rules.toml"
    text = res.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - packaged file
        raise ConfigError(f"default_rules.toml: not valid TOML: {exc}") from None
    return parse_rules(data, "default_rules.toml")[0]
