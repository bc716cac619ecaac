"""Alert rules and the pure alert state machine.

Rules (:mod:`aimonitor.rules.model`) are ``[[rules]]`` tables of the TOML config, in the
spirit of Prometheus alerting rules; :func:`evaluate` turns ``(rules, signals, prior
state, as_of)`` into new alert states and :class:`Transition` records. Nothing here reads
a clock, a file or the store: the pipeline persists the states and the notifier sends the
transitions whose ``notify`` is true.

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
value, peak, summary
    ``value`` is the latest applied value; ``peak`` the most extreme value (in the breach
    direction, largest ``|x|`` for ``absolute`` rules) while pending or firing. The
    ``summary`` is rendered while pending and frozen on the session the alert fires, with
    the value that fired it; it is never re-rendered afterwards, so a resolved alert never
    shows a value under its firing threshold. A resolution gets its own short text in
    ``resolution``.
idempotency
    A state whose ``last_evaluated`` is on or after ``as_of`` is left untouched, so
    evaluating the same session twice yields no new transition.

:mod:`aimonitor.rules.replay` applies these same semantics to a whole history at once
(what ``rules backtest`` runs); tests/test_replay_equivalence.py checks it against
:func:`evaluate_inputs` session by session.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from aimonitor.calendar import sessions_between, to_date
from aimonitor.errors import DataError
from aimonitor.rules.model import (
    MARKET_SYMBOL,
    NODATA_RULE,
    SEVERITY_RANK,
    STALENESS_SIGNAL,
    Rule,
    Silence,
    check_unique,
)

log = logging.getLogger(__name__)

__all__ = [
    "AlertState",
    "Evaluation",
    "InputCursor",
    "SessionInputs",
    "Transition",
    "change_notice",
    "evaluate",
    "evaluate_inputs",
    "fingerprint",
    "open_episode",
    "prepare_signals",
]


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
    peak: float | None = None
    resolution: str = ""

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
            "peak": None if self.peak is None else float(self.peak),
            "resolution": self.resolution or None,
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
            peak=None if rec.get("peak") is None else float(rec["peak"]),
            resolution=str(rec.get("resolution") or ""),
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

    def alerts(self, state: str | None = None) -> list[AlertState]:
        """States that are alerts (not inactive), optionally of one ``state``; sorted by id."""
        out = [s for s in self.states.values() if s.state != "inactive" and (state is None or s.state == state)]
        return sorted(out, key=lambda s: s.id)


# --------------------------------------------------------------------------- engine


def prepare_signals(signals: pd.DataFrame) -> pd.DataFrame:
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
class SessionInputs:
    """What one evaluation reads from the signal frame for session ``as_of``.

    ``values`` are the finite values dated ``as_of`` (the last row wins); ``seen`` the
    symbols each signal has had a row for up to ``as_of``; ``last_seen`` each symbol's
    latest row date (``staleness_sessions`` rows aside); ``staleness_today`` the
    ``staleness_sessions`` values dated ``as_of``.
    """

    values: dict[tuple[str, str], float]
    seen: dict[str, set[str]]
    last_seen: dict[str, dt.date]
    staleness_today: dict[str, float]


def _today_values(syms: Any, sigs: Any, vals: Any) -> dict[tuple[str, str], float]:
    values: dict[tuple[str, str], float] = {}
    for sym, sig, val in zip(syms, sigs, vals):
        try:
            x = float(val)
        except (TypeError, ValueError):
            continue
        if math.isfinite(x):
            values[(str(sig), str(sym))] = x  # duplicates: the last row wins
    return values


class InputCursor:
    """Reads :class:`SessionInputs` for increasing sessions in one pass over a prepared frame.

    Equivalent to :func:`_read_inputs` on every session, but ``seen`` and ``last_seen``
    are carried forward instead of being recomputed over all earlier rows, so a replay of
    N sessions over R rows costs O(R + N log R) rather than O(N * R).
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._dates = frame["date"].to_numpy()
        self._days = frame["date"].dt.date.to_numpy()
        self._syms = frame["symbol"].astype(str).to_numpy()
        self._sigs = frame["signal"].astype(str).to_numpy()
        self._vals = frame["value"].to_numpy()
        self._pos = 0
        self._seen: dict[str, set[str]] = {}
        self._last_seen: dict[str, dt.date] = {}
        self._last_ts: pd.Timestamp | None = None

    def read(self, day: dt.date) -> SessionInputs:
        ts = pd.Timestamp(day)
        if self._last_ts is not None and ts < self._last_ts:
            raise ValueError(f"InputCursor sessions must not go back ({ts.date()} after {self._last_ts.date()})")
        self._last_ts = ts
        key = ts.to_datetime64()
        hi = int(self._dates.searchsorted(key, side="right"))
        lo = int(self._dates.searchsorted(key, side="left"))
        for i in range(self._pos, hi):
            sym, sig = self._syms[i], self._sigs[i]
            self._seen.setdefault(sig, set()).add(sym)
            if sig != STALENESS_SIGNAL:
                d = self._days[i]
                if sym not in self._last_seen or d > self._last_seen[sym]:
                    self._last_seen[sym] = d
        self._pos = max(self._pos, hi)
        values = _today_values(self._syms[lo:hi], self._sigs[lo:hi], self._vals[lo:hi])
        staleness_today = {sym: v for (sig, sym), v in values.items() if sig == STALENESS_SIGNAL}
        seen = {k: set(v) for k, v in self._seen.items()}
        return SessionInputs(values, seen, dict(self._last_seen), staleness_today)


def _read_inputs(frame: pd.DataFrame, ts: pd.Timestamp) -> SessionInputs:
    hi = int(frame["date"].searchsorted(ts, side="right"))
    upto = frame.iloc[:hi]
    lo = int(frame["date"].searchsorted(ts, side="left"))
    today = upto.iloc[lo:]
    values = _today_values(today["symbol"], today["signal"], today["value"])
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
    return SessionInputs(values, seen, last_seen, staleness_today)


def _staleness(
    symbol: str, as_of: dt.date, inputs: SessionInputs, last_data: Mapping[str, dt.date] | None
) -> tuple[int | None, dt.date | None]:
    """Sessions since the symbol's last data (None = never had data) and that last date."""
    if last_data is not None and symbol in last_data:
        known = to_date(last_data[symbol])
        return sessions_between(known, as_of), known
    if symbol in inputs.staleness_today:
        return int(inputs.staleness_today[symbol]), inputs.last_seen.get(symbol)
    seen = inputs.last_seen.get(symbol)
    if seen is None:
        return None, None
    return sessions_between(seen, as_of), seen


def open_episode(
    rule: str,
    symbol: str,
    day: dt.date,
    *,
    severity: str,
    value: float,
    threshold: float,
    summary: str,
    firing: bool = True,
    peak: float | None = None,
    last_notified: dt.date | None = None,
) -> AlertState:
    """The first state of a new episode of ``(rule, symbol)`` started on ``day``.

    Its ``id`` is ``fingerprint:day``; it is ``firing`` (``fired`` = ``day``) or ``pending``,
    with ``consecutive`` 1 and ``last_evaluated`` = ``day``. The one constructor of rule,
    ``nodata`` and ``contagion`` episodes.
    """
    fp = fingerprint(rule, symbol)
    return AlertState(
        fingerprint=fp,
        id=f"{fp}:{day.isoformat()}",
        rule=rule,
        symbol=symbol,
        severity=severity,
        state="firing" if firing else "pending",
        value=value,
        threshold=threshold,
        started=day,
        fired=day if firing else None,
        consecutive=1,
        last_notified=last_notified,
        last_evaluated=day,
        summary=summary,
        peak=peak,
    )


def _new_episode(rule: Rule, symbol: str, value: float, as_of: dt.date, fire: bool) -> AlertState:
    return open_episode(
        rule.name,
        symbol,
        as_of,
        severity=rule.severity,
        value=value,
        threshold=rule.threshold,
        summary=rule.render_summary(symbol, value),
        firing=fire,
        peak=value,
    )


def _step(rule: Rule, symbol: str, prior: AlertState | None, value: float, as_of: dt.date) -> AlertState | None:
    """Apply one session's value to one alert; None when nothing exists nor starts."""
    need = max(rule.for_sessions, 1)
    state = prior.state if prior is not None else "inactive"
    if state == "firing":
        assert prior is not None
        if rule.breached(value, clearing=True):
            return dataclasses.replace(
                prior,
                value=value,
                peak=rule.more_extreme(prior.peak, value),
                severity=rule.severity,
                threshold=rule.threshold,
                last_evaluated=as_of,
                consecutive=prior.consecutive + 1,
            )
        # the summary keeps the firing text; the resolution has its own
        return dataclasses.replace(
            prior,
            state="resolved",
            resolved=as_of,
            consecutive=0,
            value=value,
            severity=rule.severity,
            threshold=rule.threshold,
            last_evaluated=as_of,
            resolution=rule.render_resolution(symbol, value, as_of),
        )
    if state == "pending":
        assert prior is not None
        if rule.breached(value):
            n = prior.consecutive + 1
            # rendered with the latest breaching value; frozen from the firing session on
            return dataclasses.replace(
                prior,
                state="firing" if n >= need else "pending",
                fired=as_of if n >= need else None,
                consecutive=n,
                value=value,
                peak=rule.more_extreme(prior.peak, value),
                severity=rule.severity,
                threshold=rule.threshold,
                last_evaluated=as_of,
                summary=rule.render_summary(symbol, value),
            )
        return dataclasses.replace(
            prior, state="inactive", consecutive=0, value=value, severity=rule.severity, last_evaluated=as_of
        )
    # inactive, resolved or nothing yet
    if rule.breached(value):
        return _new_episode(rule, symbol, value, as_of, fire=need <= 1)
    if prior is None:
        return None
    # keep the resolved alert's value/summary (the value at resolution); only mark the session
    return dataclasses.replace(prior, consecutive=0, last_evaluated=as_of, severity=rule.severity)


def frozen_why(
    signal: str, stale_n: int | None, last_day: dt.date | None, is_stale: bool, max_stale_sessions: int
) -> str | None:
    """Why a (rule, symbol) without a usable value is frozen and reported by ``nodata``;
    None when it is a tolerated lag (a missing value 1..max_stale sessions behind)."""
    if stale_n is None:
        return "no data at all"
    if is_stale:
        since = f"last data {last_day.isoformat()}, " if last_day is not None else "last data "
        return f"{since}{stale_n} sessions ago (limit {max_stale_sessions})"
    if stale_n == 0:
        return f"signal {signal} missing"
    return None


def nodata_summary(symbol: str, as_of: dt.date, details: Sequence[str], frozen: Sequence[str]) -> str:
    """The ``nodata`` alert's text: why the symbol's data is unusable and which rules are kept."""
    return f"no usable data for {symbol} on {as_of.isoformat()}: {'; '.join(details)}; rules kept in their state: " + (
        ", ".join(frozen)
    )


def nodata_resolution(symbol: str, as_of: dt.date) -> str:
    return f"{symbol}: resolved on {as_of.isoformat()}: data usable again"


def _nodata_state(
    symbol: str, prior: AlertState | None, as_of: dt.date, frozen: list[str], details: list[str]
) -> AlertState | None:
    n = float(len(frozen))
    if frozen:
        summary = nodata_summary(symbol, as_of, details, frozen)
        if prior is not None and prior.state in ("pending", "firing"):
            return dataclasses.replace(
                prior,
                value=n,
                peak=max(prior.peak or 0.0, n),
                consecutive=prior.consecutive + 1,
                last_evaluated=as_of,
                summary=summary,
            )
        return open_episode(
            NODATA_RULE, symbol, as_of, severity="warning", value=n, threshold=0.0, summary=summary, peak=n
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
            resolution=nodata_resolution(symbol, as_of),
        )
    return dataclasses.replace(prior, consecutive=0, last_evaluated=as_of)


def change_notice(to_state: str, muted: str | None, was_notified: bool) -> tuple[bool, str | None]:
    """``(notify, reason)`` of a state change to ``to_state``: a firing is sent unless muted
    (``silenced``/``inhibited``); a resolution only if not muted and the firing was notified
    (else ``never_notified``); pending and inactive never."""
    if to_state == "firing":
        return muted is None, muted
    if to_state == "resolved":
        if muted is not None:
            return False, muted
        if not was_notified:
            return False, "never_notified"
        return True, None
    return False, None


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
    check_unique(rules)
    frame = prepare_signals(signals)
    inputs = _read_inputs(frame, pd.Timestamp(day))
    return evaluate_inputs(
        rules,
        inputs,
        prior_state,
        day,
        silences=silences,
        last_data=last_data,
        max_stale_sessions=max_stale_sessions,
        inhibit_lower_severity=inhibit_lower_severity,
    )


def evaluate_inputs(
    rules: Sequence[Rule],
    inputs: SessionInputs,
    prior_state: Mapping[str, AlertState],
    day: dt.date,
    *,
    silences: Sequence[Silence] = (),
    last_data: Mapping[str, dt.date] | None = None,
    max_stale_sessions: int = 3,
    inhibit_lower_severity: bool = True,
) -> Evaluation:
    """:func:`evaluate` on already-read inputs of session ``day`` (what a replay calls with an
    :class:`InputCursor`, so that each session costs its own rows, not the whole history)."""
    states: dict[str, AlertState] = dict(prior_state)
    touched: dict[str, tuple[AlertState | None, AlertState]] = {}  # fp -> (prior, new)
    frozen, details = _step_rules(rules, inputs, states, touched, day, last_data, max_stale_sessions)
    _step_nodata(states, touched, frozen, details, day)
    transitions = _notifications(rules, states, touched, day, silences, inhibit_lower_severity)
    for t in transitions:
        log.debug("%s %s: %s -> %s (notify=%s, %s)", day, t.fingerprint, t.from_state, t.to_state, t.notify, t.reason)
    return Evaluation(as_of=day, states=states, transitions=tuple(transitions))


def _step_rules(
    rules: Sequence[Rule],
    inputs: SessionInputs,
    states: dict[str, AlertState],
    touched: dict[str, tuple[AlertState | None, AlertState]],
    day: dt.date,
    last_data: Mapping[str, dt.date] | None,
    max_stale_sessions: int,
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Step every enabled rule on every symbol in its scope, updating ``states`` and ``touched``;
    a rule whose value is missing or stale beyond the tolerated lag is frozen in its state.
    Returns (symbol -> rules frozen, symbol -> why)."""
    by_rule_symbols: dict[str, set[str]] = {}
    for s in states.values():
        by_rule_symbols.setdefault(s.rule, set()).add(s.symbol)
    frozen: dict[str, list[str]] = {}  # symbol -> rules frozen and reported
    details: dict[str, list[str]] = {}
    stale_cache: dict[str, tuple[int | None, dt.date | None]] = {}
    for rule in rules:
        if not rule.enabled:
            continue
        if rule.symbols == "all":
            scope = sorted(inputs.seen.get(rule.signal, set()) | by_rule_symbols.get(rule.name, set()))
        else:
            scope = list(rule.symbols)
        for sym in scope:
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
                why = frozen_why(rule.signal, stale_n, last_day, is_stale, max_stale_sessions)
                if why is None:
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
    return frozen, details


def _step_nodata(
    states: dict[str, AlertState],
    touched: dict[str, tuple[AlertState | None, AlertState]],
    frozen: Mapping[str, list[str]],
    details: Mapping[str, list[str]],
    day: dt.date,
) -> None:
    """Step the nodata pipeline alert, one per symbol with frozen rules or a nodata alert open."""
    nodata_symbols = set(frozen) | {
        s.symbol for s in states.values() if s.rule == NODATA_RULE and s.state in ("pending", "firing")
    }
    for sym in sorted(nodata_symbols):
        fp = fingerprint(NODATA_RULE, sym)
        prior = states.get(fp)
        if prior is not None and prior.last_evaluated is not None and prior.last_evaluated >= day:
            continue
        new = _nodata_state(sym, prior, day, frozen.get(sym, []), details.get(sym, []))
        if new is not None:
            states[fp] = new
            touched[fp] = (prior, new)


def _notifications(
    rules: Sequence[Rule],
    states: dict[str, AlertState],
    touched: Mapping[str, tuple[AlertState | None, AlertState]],
    day: dt.date,
    silences: Sequence[Silence],
    inhibit_lower_severity: bool,
) -> list[Transition]:
    """The transitions of the ``touched`` alerts, with silences, inhibition by a critical alert on
    the same symbol, and reminders (unmuted, every ``repeat_sessions``); notified states get
    ``last_notified`` in ``states``."""
    rule_by_name = {r.name: r for r in rules}
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
            and SEVERITY_RANK[new.severity] < SEVERITY_RANK["critical"]
            and new.symbol in critical
        ):
            muted = "inhibited"
        changed = new.state != old_state or (prior is not None and new.id != prior.id)
        if changed:
            notify, reason = change_notice(new.state, muted, prior is None or prior.last_notified is not None)
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
    return transitions
