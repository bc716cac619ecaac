"""Alert rules and the pure alert state machine.

Rules are ``[[rules]]`` tables of the TOML config, in the spirit of Prometheus alerting
rules; :func:`evaluate` turns ``(rules, signals, prior state, as_of)`` into new alert
states and :class:`Transition` records. Nothing here reads a clock, a file (except
:func:`load_default_rules`) or the store: the pipeline persists the states and the
notifier sends the transitions whose ``notify`` is true.

Semantics (one session = one evaluation)
----------------------------------------
condition
    ``value <op> threshold`` where ``value`` is the rule's signal for the symbol on
    ``as_of`` (``abs(value)`` when ``absolute = true``).
states
    ``inactive → pending → firing → resolved``. ``consecutive`` counts the evaluated
    sessions in a row on which the condition held.
for_sessions = N
    The condition must hold on N consecutive evaluated sessions, the current one
    included, before the alert fires: the first breach makes it ``pending`` and the
    N-th consecutive breach makes it ``firing``. ``for_sessions`` 0 and 1 both fire on
    the first breaching session (no pending state, like Prometheus' ``for: 0``). Note
    that Prometheus' ``for`` is a duration *after* the first breach; ours counts
    sessions of evidence. A pending alert whose condition stops holding goes back to
    ``inactive`` (the episode is dropped, nobody is told).
clear_threshold (hysteresis)
    Only while ``firing``: the alert stays firing as long as ``value <op>
    clear_threshold`` holds and resolves on the first session it does not. It must be
    on the resolving side of ``threshold`` (``<= threshold`` for ``>``/``>=``,
    ``>= threshold`` for ``<``/``<=``). Without it the threshold itself is used.
resolved / episodes
    A resolved alert stays ``resolved`` until the next breach, which starts a new
    episode (new ``id`` = ``fingerprint:started``) through pending (or straight to
    firing when ``for_sessions <= 1``).
notifications
    ``notify`` is true for transitions to ``firing``, to ``resolved`` (only if the
    firing was notified) and for reminders every ``repeat_sessions`` sessions while
    firing (0 = never). Pending and pending→inactive transitions never notify.
silences and inhibition
    A silence (``rule`` name or ``"*"``, optional ``symbol``, ``until`` inclusive)
    mutes notifications, never state. With ``inhibit_lower_severity`` a firing
    *critical* alert mutes the info/warning alerts of the same symbol (the
    ``nodata`` pipeline alert is never inhibited). An alert that fired while muted is
    notified (reason ``unmuted``) on the first session it is no longer muted.
NoData
    A (rule, symbol) whose value is missing on ``as_of``, or whose symbol is stale
    (more than ``max_stale_sessions`` sessions since its last data), keeps its state
    unchanged: missing data never resolves an alert, never advances a pending one and
    does not advance ``last_evaluated`` (so the same session can be re-evaluated once
    late data arrives). A pipeline alert ``nodata`` (severity warning, one per symbol)
    fires when a symbol is stale, has no data at all, or has data on ``as_of`` but not
    the signal a rule needs; a missing value of a symbol that is only 1..max_stale
    sessions behind (a late bar, a FRED publication lag) is tolerated silently.
    Rules on ``staleness_sessions`` are never frozen by staleness (they measure it).
idempotency
    A state whose ``last_evaluated`` is on or after ``as_of`` is left untouched, so
    evaluating the same session twice yields no new transition.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import operator
import re
import string
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from aimonitor.calendar import sessions_between, to_date
from aimonitor.errors import ConfigError, DataError

log = logging.getLogger(__name__)

__all__ = [
    "AlertState",
    "BacktestResult",
    "Evaluation",
    "KNOWN_SIGNALS",
    "NODATA_RULE",
    "Rule",
    "Silence",
    "Transition",
    "apply_overrides",
    "backtest",
    "evaluate",
    "fingerprint",
    "load_default_rules",
    "parse_rules",
]

#: Signal names the rules may use (the analytics registry may add more; see ``_known_signals``).
KNOWN_SIGNALS: tuple[str, ...] = (
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
)
OPS: dict[str, Any] = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}
STATES: tuple[str, ...] = ("inactive", "pending", "firing", "resolved")
#: Rule name of the pipeline alert raised for missing or stale input (reserved).
NODATA_RULE = "nodata"
#: Symbol of market-wide signals; rendered as ``null`` in ALERT JSON.
MARKET_SYMBOL = "*"
STALENESS_SIGNAL = "staleness_sessions"
#: Placeholders a ``summary`` template may use.
PLACEHOLDERS: tuple[str, ...] = ("rule", "signal", "symbol", "value", "threshold", "severity", "op")
DEFAULT_SUMMARY = "{rule}: {signal} of {symbol} is {value:.4g} ({op} {threshold:g})"

_NAME_RE = re.compile(r"^[a-z0-9_]+$")
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


def _known_signals() -> set[str]:
    known = set(KNOWN_SIGNALS)
    try:  # the analytics registry is the source of truth when it is importable
        from aimonitor.analytics.signals import signal_names

        known.update(signal_names())
    except Exception:  # pragma: no cover - registry broken or absent: the static list still works
        pass
    return known


# --------------------------------------------------------------------------- models


class Rule(BaseModel):
    """One alert rule (a ``[[rules]]`` table).

    See the module docstring for the exact semantics of every field.
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
    def _v_signal(cls, v: str) -> str:
        if v not in _known_signals():
            raise _err(f"unknown signal {_q(v)}; see `aimonitor signals list` for the known names")
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

    @field_validator("op")
    @classmethod
    def _v_op(cls, v: str) -> str:
        if v not in OPS:
            raise _err(f"expected one of {_one_of(OPS)}, got {_q(v)}")
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

    @field_validator("severity")
    @classmethod
    def _v_severity(cls, v: str) -> str:
        if v not in SEVERITIES:
            raise _err(f"expected one of {_one_of(SEVERITIES)}, got {_q(v)}")
        return v

    @field_validator("summary")
    @classmethod
    def _v_summary(cls, v: str, info: ValidationInfo) -> str:
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

    def applies_to(self, symbol: str) -> bool:
        """True if the rule covers ``symbol`` (always for ``symbols = "all"``)."""
        return self.symbols == "all" or symbol in self.symbols

    def breached(self, value: float, *, clearing: bool = False) -> bool:
        """Whether ``value`` meets the condition (against ``clear_threshold`` when ``clearing``)."""
        x = abs(value) if self.absolute else value
        thr = self.clear_threshold if (clearing and self.clear_threshold is not None) else self.threshold
        return bool(OPS[self.op](x, thr))

    def render_summary(self, symbol: str, value: float) -> str:
        """The summary template filled in for one symbol and value."""
        return self.summary.format(
            rule=self.name,
            signal=self.signal,
            symbol=symbol,
            value=value,
            threshold=self.threshold,
            severity=self.severity,
            op=self.op,
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


# --------------------------------------------------------------------------- state


def fingerprint(rule: str, symbol: str) -> str:
    """Stable key of one (rule, symbol) series of alerts: ``"rule:symbol"``."""
    return f"{rule}:{symbol}"


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


def _opt_date(v: Any) -> dt.date | None:
    return None if v is None or v == "" else to_date(v)


@dataclass(frozen=True, slots=True)
class AlertState:
    """The state of one (rule, symbol) after an evaluation.

    ``id`` names the current episode (``fingerprint:started``) and is stable across
    re-runs. ``last_evaluated`` is the last session whose value was applied;
    ``last_notified`` the last session a notification was sent for this episode.
    """

    fingerprint: str
    id: str
    rule: str
    symbol: str
    severity: str
    state: str
    value: float
    threshold: float
    started: dt.date
    fired: dt.date | None = None
    resolved: dt.date | None = None
    consecutive: int = 0
    last_notified: dt.date | None = None
    last_evaluated: dt.date | None = None
    summary: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ALERT JSON of the contract (``state`` must not be ``inactive``)."""
        if self.state == "inactive":
            raise ValueError(f"alert {self.id} is inactive and has no ALERT JSON")
        return {
            "id": self.id,
            "rule": self.rule,
            "symbol": None if self.symbol == MARKET_SYMBOL else self.symbol,
            "severity": self.severity,
            "state": self.state,
            "value": float(self.value),
            "threshold": float(self.threshold),
            "started": self.started.isoformat(),
            "fired": _iso(self.fired),
            "resolved": _iso(self.resolved),
            "summary": self.summary,
        }

    def to_record(self) -> dict[str, Any]:
        """Every field, JSON-safe (ISO dates), for persisting; inverse of :meth:`from_record`."""
        out = dataclasses.asdict(self)
        for k, v in out.items():
            if isinstance(v, dt.date):
                out[k] = v.isoformat()
        return out

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> AlertState:
        """Rebuild a state from :meth:`to_record` output (dates as ISO strings or dates)."""
        return cls(
            fingerprint=str(rec["fingerprint"]),
            id=str(rec["id"]),
            rule=str(rec["rule"]),
            symbol=str(rec["symbol"]),
            severity=str(rec["severity"]),
            state=str(rec["state"]),
            value=float(rec["value"]),
            threshold=float(rec["threshold"]),
            started=to_date(rec["started"]),
            fired=_opt_date(rec.get("fired")),
            resolved=_opt_date(rec.get("resolved")),
            consecutive=int(rec.get("consecutive") or 0),
            last_notified=_opt_date(rec.get("last_notified")),
            last_evaluated=_opt_date(rec.get("last_evaluated")),
            summary=str(rec.get("summary") or ""),
        )


@dataclass(frozen=True, slots=True)
class Transition:
    """A state change (or a reminder, ``firing → firing``) of one alert on one session.

    ``reason`` is None for an ordinary change, else one of ``silenced``, ``inhibited``
    (muted), ``repeat`` (reminder), ``unmuted`` (first notice of an alert that fired
    while muted), ``never_notified`` (resolution of an alert whose firing was muted).
    """

    fingerprint: str
    from_state: str
    to_state: str
    session: dt.date
    value: float
    notify: bool
    reason: str | None
    alert: AlertState

    @property
    def rule(self) -> str:
        return self.alert.rule

    @property
    def symbol(self) -> str:
        return self.alert.symbol

    @property
    def severity(self) -> str:
        return self.alert.severity

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "id": self.alert.id,
            "rule": self.alert.rule,
            "symbol": None if self.alert.symbol == MARKET_SYMBOL else self.alert.symbol,
            "severity": self.alert.severity,
            "from": self.from_state,
            "to": self.to_state,
            "session": self.session.isoformat(),
            "value": float(self.value),
            "notify": self.notify,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Evaluation:
    """Result of :func:`evaluate`: every state (touched or not) and this session's transitions."""

    as_of: dt.date
    states: Mapping[str, AlertState]
    transitions: tuple[Transition, ...]

    @property
    def notifications(self) -> list[Transition]:
        """The transitions to send."""
        return [t for t in self.transitions if t.notify]

    def alerts(self, state: str | None = None) -> list[AlertState]:
        """States that are alerts (not inactive), optionally of one ``state``; sorted by id."""
        out = [s for s in self.states.values() if s.state != "inactive" and (state is None or s.state == state)]
        return sorted(out, key=lambda s: s.id)


# --------------------------------------------------------------------------- engine


def _prepare_signals(signals: pd.DataFrame) -> pd.DataFrame:
    """Validate a long signal frame and give it a datetime64 ``date`` column, sorted by date."""
    if not isinstance(signals, pd.DataFrame):
        raise DataError("rules: signals must be a DataFrame with columns date, symbol, signal, value")
    missing = [c for c in ("date", "symbol", "signal", "value") if c not in signals.columns]
    if missing:
        raise DataError(
            f"rules: signal frame lacks column(s) {', '.join(missing)}; "
            "expected the long frame date, symbol, signal, value"
        )
    df = signals[["date", "symbol", "signal", "value"]]
    if not pd.api.types.is_datetime64_any_dtype(df["date"]):
        df = df.assign(date=pd.to_datetime(df["date"]))
    if getattr(df["date"].dt, "tz", None) is not None:
        raise DataError("rules: signal dates must be tz-naive session dates")
    if not df["date"].is_monotonic_increasing:
        df = df.sort_values("date", kind="stable")
    return df


@dataclass
class _Inputs:
    values: dict[tuple[str, str], float]
    seen: dict[str, set[str]]
    last_seen: dict[str, dt.date]
    staleness_today: dict[str, float]


def _read_inputs(frame: pd.DataFrame, ts: pd.Timestamp) -> _Inputs:
    hi = int(frame["date"].searchsorted(ts, side="right"))
    upto = frame.iloc[:hi]
    lo = int(frame["date"].searchsorted(ts, side="left"))
    today = upto.iloc[lo:]
    values: dict[tuple[str, str], float] = {}
    for sym, sig, val in zip(today["symbol"], today["signal"], today["value"]):
        try:
            x = float(val)
        except (TypeError, ValueError):
            continue
        if math.isfinite(x):
            values[(str(sig), str(sym))] = x  # duplicates: the last row wins
    last = upto.drop_duplicates(["signal", "symbol"], keep="last")
    seen: dict[str, set[str]] = {}
    last_seen: dict[str, dt.date] = {}
    for sym, sig, d in zip(last["symbol"], last["signal"], last["date"]):
        seen.setdefault(str(sig), set()).add(str(sym))
        if sig == STALENESS_SIGNAL:
            continue
        day = d.date()
        if str(sym) not in last_seen or day > last_seen[str(sym)]:
            last_seen[str(sym)] = day
    staleness_today = {sym: v for (sig, sym), v in values.items() if sig == STALENESS_SIGNAL}
    return _Inputs(values, seen, last_seen, staleness_today)


def _staleness(
    symbol: str, as_of: dt.date, inputs: _Inputs, last_data: Mapping[str, dt.date] | None
) -> tuple[int | None, dt.date | None]:
    """Sessions since the symbol's last data (None = never had data) and that last date."""
    if last_data is not None and symbol in last_data:
        d = to_date(last_data[symbol])
        return sessions_between(d, as_of), d
    if symbol in inputs.staleness_today:
        return int(inputs.staleness_today[symbol]), inputs.last_seen.get(symbol)
    d = inputs.last_seen.get(symbol)
    if d is None:
        return None, None
    return sessions_between(d, as_of), d


def _new_episode(rule: Rule, symbol: str, value: float, as_of: dt.date, fire: bool) -> AlertState:
    fp = fingerprint(rule.name, symbol)
    return AlertState(
        fingerprint=fp,
        id=f"{fp}:{as_of.isoformat()}",
        rule=rule.name,
        symbol=symbol,
        severity=rule.severity,
        state="firing" if fire else "pending",
        value=value,
        threshold=rule.threshold,
        started=as_of,
        fired=as_of if fire else None,
        consecutive=1,
        last_evaluated=as_of,
        summary=rule.render_summary(symbol, value),
    )


def _step(rule: Rule, symbol: str, prior: AlertState | None, value: float, as_of: dt.date) -> AlertState | None:
    """Apply one session's value to one alert; None when nothing exists nor starts."""
    need = max(rule.for_sessions, 1)
    state = prior.state if prior is not None else "inactive"
    if state == "firing":
        assert prior is not None
        common = dict(
            value=value,
            severity=rule.severity,
            threshold=rule.threshold,
            last_evaluated=as_of,
            summary=rule.render_summary(symbol, value),
        )
        if rule.breached(value, clearing=True):
            return dataclasses.replace(prior, consecutive=prior.consecutive + 1, **common)
        return dataclasses.replace(prior, state="resolved", resolved=as_of, consecutive=0, **common)
    if state == "pending":
        assert prior is not None
        common = dict(
            value=value,
            severity=rule.severity,
            threshold=rule.threshold,
            last_evaluated=as_of,
            summary=rule.render_summary(symbol, value),
        )
        if rule.breached(value):
            n = prior.consecutive + 1
            if n >= need:
                return dataclasses.replace(prior, state="firing", fired=as_of, consecutive=n, **common)
            return dataclasses.replace(prior, consecutive=n, **common)
        return dataclasses.replace(prior, state="inactive", consecutive=0, **common)
    # inactive, resolved or nothing yet
    if rule.breached(value):
        return _new_episode(rule, symbol, value, as_of, fire=need <= 1)
    if prior is None:
        return None
    # keep the resolved alert's value/summary (the value at resolution); only mark the session
    return dataclasses.replace(prior, consecutive=0, last_evaluated=as_of, severity=rule.severity)


def _nodata_state(
    symbol: str, prior: AlertState | None, as_of: dt.date, frozen: list[str], detail: str
) -> AlertState | None:
    fp = fingerprint(NODATA_RULE, symbol)
    n = float(len(frozen))
    if frozen:
        summary = f"no usable data for {symbol} on {as_of.isoformat()}: {detail}; rules kept in their state: " + (
            ", ".join(frozen)
        )
        if prior is not None and prior.state in ("pending", "firing"):
            return dataclasses.replace(
                prior, value=n, consecutive=prior.consecutive + 1, last_evaluated=as_of, summary=summary
            )
        return AlertState(
            fingerprint=fp,
            id=f"{fp}:{as_of.isoformat()}",
            rule=NODATA_RULE,
            symbol=symbol,
            severity="warning",
            state="firing",
            value=n,
            threshold=0.0,
            started=as_of,
            fired=as_of,
            consecutive=1,
            last_evaluated=as_of,
            summary=summary,
        )
    if prior is None:
        return None
    if prior.state in ("pending", "firing"):
        return dataclasses.replace(
            prior,
            state="resolved",
            resolved=as_of,
            value=0.0,
            consecutive=0,
            last_evaluated=as_of,
            summary=f"data for {symbol} is usable again on {as_of.isoformat()}",
        )
    return dataclasses.replace(prior, consecutive=0, last_evaluated=as_of)


def _check_unique(rules: Sequence[Rule]) -> None:
    names = [r.name for r in rules]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise ConfigError(f"rules[{i}].name: duplicate rule name {_q(n)}; rule names must be unique")


def evaluate(
    rules: Sequence[Rule],
    signals: pd.DataFrame,
    prior_state: Mapping[str, AlertState],
    as_of: dt.date | str,
    *,
    silences: Sequence[Silence] = (),
    last_data: Mapping[str, dt.date] | None = None,
    max_stale_sessions: int = 3,
    inhibit_lower_severity: bool = True,
) -> Evaluation:
    """Evaluate the rules on session ``as_of`` (pure; no clock, no I/O).

    Parameters
    ----------
    rules : sequence of Rule
        Disabled rules are skipped (their existing states are carried over unchanged).
    signals : DataFrame
        Long frame ``date, symbol, signal, value``. Only rows dated ``as_of`` give values;
        rows dated earlier tell which symbols a ``symbols = "all"`` rule covers and when a
        symbol last had data. Rows after ``as_of`` are ignored (no look-ahead).
    prior_state : mapping fingerprint -> AlertState
        The states returned by the previous evaluation (empty on the first run).
    as_of : date
        The session evaluated.
    silences : sequence of Silence
        Mute notifications (never state).
    last_data : mapping symbol -> date, optional
        Last session with data per symbol (e.g. the last stored bar). Without it the
        ``staleness_sessions`` signal on ``as_of`` is used, else the latest row of the
        symbol in ``signals``.
    max_stale_sessions : int
        A symbol more than this many sessions behind ``as_of`` is stale: its rules are
        frozen and a ``nodata`` alert fires.
    inhibit_lower_severity : bool
        A firing critical alert mutes info/warning notifications of the same symbol.

    Returns
    -------
    Evaluation
        All states (prior ones included) and the transitions of this session.
    """
    day = to_date(as_of)
    rules = list(rules)
    _check_unique(rules)
    frame = _prepare_signals(signals)
    inputs = _read_inputs(frame, pd.Timestamp(day))
    states: dict[str, AlertState] = dict(prior_state)
    by_rule_symbols: dict[str, set[str]] = {}
    for s in states.values():
        by_rule_symbols.setdefault(s.rule, set()).add(s.symbol)

    touched: dict[str, tuple[AlertState | None, AlertState]] = {}  # fp -> (prior, new)
    frozen: dict[str, list[str]] = {}  # symbol -> rules frozen and reported
    details: dict[str, list[str]] = {}
    covered: set[str] = set()
    stale_cache: dict[str, tuple[int | None, dt.date | None]] = {}
    rule_by_name = {r.name: r for r in rules}

    for rule in rules:
        if not rule.enabled:
            continue
        if rule.symbols == "all":
            scope = sorted(inputs.seen.get(rule.signal, set()) | by_rule_symbols.get(rule.name, set()))
        else:
            scope = list(rule.symbols)
        for sym in scope:
            covered.add(sym)
            fp = fingerprint(rule.name, sym)
            prior = states.get(fp)
            if prior is not None and prior.last_evaluated is not None and prior.last_evaluated >= day:
                continue  # already evaluated on this session (or a later one): no-op
            if sym not in stale_cache:
                stale_cache[sym] = _staleness(sym, day, inputs, last_data)
            stale_n, last_day = stale_cache[sym]
            value = inputs.values.get((rule.signal, sym))
            is_stale = rule.signal != STALENESS_SIGNAL and stale_n is not None and stale_n > max_stale_sessions
            if value is None or is_stale:
                if stale_n is None:
                    why = "no data at all"
                elif is_stale:
                    why = (
                        f"last data {last_day.isoformat() if last_day else '?'}, {stale_n} sessions ago "
                        f"(limit {max_stale_sessions})"
                    )
                elif stale_n == 0:
                    why = f"signal {rule.signal} missing"
                else:
                    log.debug("%s: %s late by %d session(s); rule kept in its state", rule.name, sym, stale_n)
                    continue  # tolerated lag
                frozen.setdefault(sym, []).append(rule.name)
                if why not in details.setdefault(sym, []):
                    details[sym].append(why)
                continue
            new = _step(rule, sym, prior, value, day)
            if new is not None:
                states[fp] = new
                touched[fp] = (prior, new)

    # the nodata pipeline alert, one per symbol
    nodata_symbols = set(frozen) | {
        s.symbol for s in states.values() if s.rule == NODATA_RULE and s.state in ("pending", "firing")
    }
    for sym in sorted(nodata_symbols):
        fp = fingerprint(NODATA_RULE, sym)
        prior = states.get(fp)
        if prior is not None and prior.last_evaluated is not None and prior.last_evaluated >= day:
            continue
        new = _nodata_state(sym, prior, day, frozen.get(sym, []), "; ".join(details.get(sym, [])))
        if new is not None:
            states[fp] = new
            touched[fp] = (prior, new)

    # notifications: silences, inhibition, repeats
    critical = {
        s.symbol for s in states.values() if s.state == "firing" and s.severity == "critical" and s.rule != NODATA_RULE
    }
    transitions: list[Transition] = []
    for fp, (prior, new) in touched.items():
        old_state = prior.state if prior is not None else "inactive"
        muted: str | None = None
        if any(s.matches(new.rule, new.symbol, day) for s in silences):
            muted = "silenced"
        elif (
            inhibit_lower_severity
            and new.rule != NODATA_RULE
            and _RANK[new.severity] < _RANK["critical"]
            and new.symbol in critical
        ):
            muted = "inhibited"
        changed = new.state != old_state or (prior is not None and new.id != prior.id)
        if changed:
            notify = False
            reason: str | None = None
            if new.state == "firing":
                notify, reason = muted is None, muted
            elif new.state == "resolved":
                if muted is not None:
                    reason = muted
                elif prior is not None and prior.last_notified is None:
                    reason = "never_notified"
                else:
                    notify = True
            if notify:
                new = dataclasses.replace(new, last_notified=day)
                states[fp] = new
            transitions.append(Transition(fp, old_state, new.state, day, new.value, notify, reason, new))
        elif new.state == "firing" and muted is None:
            repeat = rule_by_name[new.rule].repeat_sessions if new.rule in rule_by_name else 0
            reason = None
            if new.last_notified is None:
                reason = "unmuted"
            elif repeat > 0 and sessions_between(new.last_notified, day) >= repeat:
                reason = "repeat"
            if reason is not None:
                new = dataclasses.replace(new, last_notified=day)
                states[fp] = new
                transitions.append(Transition(fp, "firing", "firing", day, new.value, True, reason, new))
    for t in transitions:
        log.debug("%s %s: %s -> %s (notify=%s, %s)", day, t.fingerprint, t.from_state, t.to_state, t.notify, t.reason)
    return Evaluation(as_of=day, states=states, transitions=tuple(transitions))


# --------------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class BacktestResult:
    """Everything a replay produced.

    ``alerts`` holds the last snapshot of every episode that is pending, firing or
    resolved at the end (episodes dropped while pending are only in ``transitions``);
    ``summary`` maps each enabled rule (and ``nodata`` when it fired) to the number of
    times it started firing; ``fired_sessions`` maps a rule to the sessions it started
    firing on (any symbol).
    """

    start: dt.date | None
    end: dt.date | None
    rules: tuple[Rule, ...]
    alerts: tuple[AlertState, ...]
    transitions: tuple[Transition, ...]
    summary: dict[str, int]
    fired_sessions: dict[str, list[dt.date]]
    states: Mapping[str, AlertState] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{"from", "to", "alerts", "summary"}`` of the contract plus ``fired_sessions``."""
        return {
            "from": _iso(self.start),
            "to": _iso(self.end),
            "alerts": [a.to_json() for a in self.alerts],
            "summary": dict(self.summary),
            "fired_sessions": {k: [d.isoformat() for d in v] for k, v in self.fired_sessions.items()},
        }

    def summary_text(self) -> str:
        """A plain-text table: rule, times fired, first and last firing session."""
        lines = [f"backtest {_iso(self.start)} .. {_iso(self.end)}"]
        width = max([len(k) for k in self.summary] + [4])
        for name, n in self.summary.items():
            days = self.fired_sessions.get(name, [])
            span = f"  {days[0].isoformat()} .. {days[-1].isoformat()}" if days else ""
            lines.append(f"  {name:<{width}}  {n:>4}{span}")
        return "\n".join(lines)


def backtest(
    rules: Sequence[Rule],
    signals_history: pd.DataFrame,
    sessions: Iterable[dt.date | str],
    *,
    silences: Sequence[Silence] = (),
    overrides: Sequence[str] = (),
    last_data: Mapping[str, dt.date] | None = None,
    max_stale_sessions: int = 3,
    inhibit_lower_severity: bool = True,
) -> BacktestResult:
    """Replay :func:`evaluate` session by session from an empty state (nothing is sent).

    Parameters
    ----------
    rules : sequence of Rule
    signals_history : DataFrame
        Long signal frame covering the replayed sessions (and earlier rows if any).
    sessions : iterable of dates
        Sessions to replay, e.g. ``aimonitor.calendar.sessions(start, end)``.
    silences, max_stale_sessions, inhibit_lower_severity
        As in :func:`evaluate`.
    overrides : sequence of str
        ``RULE.FIELD=VALUE`` assignments applied with :func:`apply_overrides` first.
    last_data : mapping, optional
        Passed to every evaluation; normally left out so staleness comes from the history.

    Returns
    -------
    BacktestResult
    """
    rules = apply_overrides(rules, overrides) if overrides else list(rules)
    _check_unique(rules)
    days = sorted({to_date(s) for s in sessions})
    frame = _prepare_signals(signals_history)
    state: Mapping[str, AlertState] = {}
    transitions: list[Transition] = []
    episodes: dict[str, AlertState] = {}
    for day in days:
        ev = evaluate(
            rules,
            frame,
            state,
            day,
            silences=silences,
            last_data=last_data,
            max_stale_sessions=max_stale_sessions,
            inhibit_lower_severity=inhibit_lower_severity,
        )
        state = ev.states
        transitions.extend(ev.transitions)
        for t in ev.transitions:
            episodes[t.alert.id] = t.alert
    for s in state.values():
        if s.id in episodes:
            episodes[s.id] = s
    summary: dict[str, int] = {r.name: 0 for r in rules if r.enabled}
    fired: dict[str, set[dt.date]] = {}
    for t in transitions:
        if t.to_state == "firing" and t.from_state != "firing":
            summary[t.rule] = summary.get(t.rule, 0) + 1
            fired.setdefault(t.rule, set()).add(t.session)
    alerts = tuple(sorted((a for a in episodes.values() if a.state != "inactive"), key=lambda a: (a.started, a.id)))
    return BacktestResult(
        start=days[0] if days else None,
        end=days[-1] if days else None,
        rules=tuple(rules),
        alerts=alerts,
        transitions=tuple(transitions),
        summary=summary,
        fired_sessions={k: sorted(v) for k, v in fired.items()},
        states=state,
    )


# --------------------------------------------------------------------------- config helpers


def _format_pydantic(exc: ValidationError, prefix: str = "") -> str:
    """First error of a validation as ``prefix.key: message`` (same wording as config.py)."""
    err = exc.errors()[0]
    loc = ".".join(([prefix] if prefix else []) + [str(p) for p in err.get("loc", ())])
    typ = err.get("type", "")
    inp = err.get("input")
    if typ in ("float_type", "float_parsing"):
        msg = f"expected a number, got {_q(inp)}"
    elif typ in ("int_type", "int_parsing", "int_from_float"):
        msg = f"expected a whole number, got {_q(inp)}"
    elif typ in ("bool_type", "bool_parsing"):
        msg = f"expected true or false, got {_q(inp)}"
    elif typ == "extra_forbidden":
        msg = "unknown key (check the spelling)"
    elif typ == "missing":
        msg = "missing required key"
    else:
        msg = str(err.get("msg", "invalid value"))
        msg = re.sub(r"^(Value|Assertion) error, ", "", msg)
    return f"{loc}: {msg}" if loc else msg


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


def apply_overrides(rules: Sequence[Rule], assignments: Iterable[str]) -> list[Rule]:
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
    for name, changes in pending.items():
        data = out[index[name]].model_dump()
        data.update(changes)
        try:
            out[index[name]] = Rule.model_validate(data)
        except ValidationError as exc:
            loc = exc.errors()[0].get("loc", ())
            key = (name, str(loc[0])) if loc else None
            shown = origin.get(key) if key else None
            if shown is None:
                shown = " ".join(origin[(name, f)] for f in changes)
            raise ConfigError(f"--set {shown}: {_format_pydantic(exc)}") from None
    return out


def parse_rules(data: Mapping[str, Any], source: str = "<rules>") -> tuple[list[Rule], list[Silence]]:
    """Validate the ``rules`` and ``silences`` arrays of an already-parsed TOML document.

    Raises :class:`ConfigError` as ``<source>: rules[2].threshold: <message>``. Also
    checks that rule names are unique and that silences name existing rules.
    """
    rules: list[Rule] = []
    silences: list[Silence] = []
    for key, model, sink in (("rules", Rule, rules), ("silences", Silence, silences)):
        items = data.get(key, [])
        if not isinstance(items, list):
            raise ConfigError(f"{source}: {key}: expected an array of tables ([[{key}]])")
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise ConfigError(f"{source}: {key}[{i}]: expected a table")
            try:
                sink.append(model.model_validate(item))
            except ValidationError as exc:
                raise ConfigError(f"{source}: {_format_pydantic(exc, f'{key}[{i}]')}") from None
    try:
        _check_unique(rules)
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
