"""Replaying rules over history, and comparing two replays (the threshold-tuning tool).

:func:`backtest` replays the rules from an empty state with the live cycle's exact
semantics, without notifying anyone: by default all sessions at once
(:mod:`aimonitor.rules.replay`), or session by session through the engine
(:func:`aimonitor.rules.engine.evaluate`) as the live cycle does.
:func:`compare` runs it twice, with and without ``--set`` overrides (or on two rule
sets), and :class:`BacktestComparison` says per rule and symbol which episodes appear
only in one run (fired date, peak, duration), how many sessions before user-named dates
(``--mark``) each rule fired, and how many firings fell in calm periods.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from aimonitor.calendar import sessions_between, to_date
from aimonitor.rules.engine import (
    AlertState,
    InputCursor,
    Transition,
    evaluate,
    evaluate_inputs,
    prepare_signals,
)
from aimonitor.rules.model import MARKET_SYMBOL, Rule, Silence, apply_overrides, check_unique
from aimonitor.rules.replay import replay

__all__ = [
    "BacktestComparison",
    "BacktestResult",
    "Episode",
    "backtest",
    "compare",
    "episodes_of",
]

#: A mark is "caught" by an episode that fired at most this many sessions before it.
DEFAULT_LEAD_WINDOW = 60
#: Without explicit calm ranges, sessions farther than this from every mark are calm.
DEFAULT_CALM_GAP = 20


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


@dataclass(frozen=True)
class Episode:
    """One firing episode of one rule and symbol, as a backtest saw it.

    ``sessions`` is the number of sessions it was firing: from ``fired`` to the session
    before ``resolved``, or through the replay's last session when still firing.
    """

    rule: str
    symbol: str
    fired: dt.date
    resolved: dt.date | None
    peak: float | None
    sessions: int
    severity: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "symbol": None if self.symbol == MARKET_SYMBOL else self.symbol,
            "fired": self.fired.isoformat(),
            "resolved": _iso(self.resolved),
            "peak": self.peak,
            "sessions": self.sessions,
            "severity": self.severity,
        }


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

    @property
    def episodes(self) -> list[Episode]:
        """Every episode that fired, sorted by rule, symbol and fired date."""
        return episodes_of(self.alerts, self.end)

    def to_json(self) -> dict[str, Any]:
        """``{"from", "to", "alerts", "summary"}`` of the contract plus ``fired_sessions``."""
        return {
            "from": _iso(self.start),
            "to": _iso(self.end),
            "alerts": [a.to_json() for a in self.alerts],
            "summary": dict(self.summary),
            "fired_sessions": {k: [d.isoformat() for d in v] for k, v in self.fired_sessions.items()},
        }


def episodes_of(alerts: Iterable[AlertState], end: dt.date | None) -> list[Episode]:
    """The firing episodes among alert snapshots (pending-only episodes are left out)."""
    out: list[Episode] = []
    for a in alerts:
        if a.fired is None:
            continue
        last = a.resolved if a.resolved is not None else end
        n = sessions_between(a.fired, last) + (1 if a.resolved is None else 0) if last is not None else 1
        out.append(Episode(a.rule, a.symbol, a.fired, a.resolved, a.peak, max(n, 1), a.severity))
    return sorted(out, key=lambda e: (e.rule, e.symbol, e.fired))


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
    progress: Callable[[int, int], None] | None = None,
    linear: bool = True,
    vectorised: bool = True,
) -> BacktestResult:
    """Replay the rules over ``sessions`` from an empty state, exactly as the live cycle would
    evaluate them session by session (:func:`~aimonitor.rules.engine.evaluate`).

    Parameters
    ----------
    rules : sequence of Rule
    signals_history : DataFrame
        Long signal frame covering the replayed sessions (and earlier rows if any).
    sessions : iterable of dates
        Sessions to replay, e.g. ``aimonitor.calendar.sessions(start, end)``.
    silences, max_stale_sessions, inhibit_lower_severity
        As in :func:`~aimonitor.rules.engine.evaluate`.
    overrides : sequence of str
        ``RULE.FIELD=VALUE`` assignments applied with :func:`apply_overrides` first.
    last_data : mapping, optional
        Passed to every evaluation; normally left out so staleness comes from the history.
    progress : callable(done, total), optional
        Called as the replay advances (``total`` is the number of sessions).
    vectorised : bool
        True (default): :func:`~aimonitor.rules.replay.replay`, every session at once with
        numpy, visiting only the sessions where an alert can change.
    linear : bool
        With ``vectorised=False``: read each session's inputs with one forward pass over the
        frame (:class:`~aimonitor.rules.engine.InputCursor`) and call
        :func:`~aimonitor.rules.engine.evaluate_inputs` session by session. ``linear=False``
        (whatever ``vectorised``) calls the live :func:`~aimonitor.rules.engine.evaluate` on
        the whole frame every session (quadratic cost). All three give the same result; the
        session-by-session paths are kept to prove it.

    Returns
    -------
    BacktestResult
    """
    rules = apply_overrides(rules, overrides) if overrides else list(rules)
    check_unique(rules)
    days = sorted({to_date(s) for s in sessions})
    frame = prepare_signals(signals_history)
    opts: dict[str, Any] = dict(
        silences=silences,
        last_data=last_data,
        max_stale_sessions=max_stale_sessions,
        inhibit_lower_severity=inhibit_lower_severity,
    )
    if vectorised and linear:
        done = replay(rules, frame, days, progress=progress, **opts)
        return _result(rules, days, done.transitions, done.states)
    state: Mapping[str, AlertState] = {}
    transitions: list[Transition] = []
    cursor = InputCursor(frame) if linear else None
    for i, day in enumerate(days, 1):
        if cursor is not None:
            ev = evaluate_inputs(rules, cursor.read(day), state, day, **opts)
        else:  # the live path, session by session (quadratic in sessions; kept for comparison)
            ev = evaluate(rules, frame, state, day, **opts)
        state = ev.states
        transitions.extend(ev.transitions)
        if progress is not None:
            progress(i, len(days))
    return _result(rules, days, transitions, state)


def _result(
    rules: Sequence[Rule], days: list[dt.date], transitions: Sequence[Transition], state: Mapping[str, AlertState]
) -> BacktestResult:
    """The result of a replay from its transitions and final states."""
    episodes: dict[str, AlertState] = {}
    for t in transitions:
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


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class RuleSymbolDiff:
    """Episodes of one (rule, symbol) only in the tried run (``added``) or only in the baseline."""

    rule: str
    symbol: str
    added: tuple[Episode, ...]
    removed: tuple[Episode, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "symbol": None if self.symbol == MARKET_SYMBOL else self.symbol,
            "added": [e.fired.isoformat() for e in self.added],
            "removed": [e.fired.isoformat() for e in self.removed],
            "added_episodes": [e.to_json() for e in self.added],
            "removed_episodes": [e.to_json() for e in self.removed],
        }


def _in_ranges(day: dt.date, ranges: Sequence[tuple[dt.date, dt.date]]) -> bool:
    return any(a <= day <= b for a, b in ranges)


@dataclass(frozen=True)
class BacktestComparison:
    """A tried run (``result``: with the overrides, or the other config) against ``baseline``.

    ``changes`` says in words what differs (the ``--set`` assignments, or the two files).
    ``marks`` are user-named dates (say, a known credit event); ``calm`` are session
    ranges where nothing should fire (explicit, or every session farther than
    :data:`DEFAULT_CALM_GAP` sessions from all marks).
    """

    result: BacktestResult
    baseline: BacktestResult
    changes: tuple[str, ...]
    marks: tuple[dt.date, ...] = ()
    calm: tuple[tuple[dt.date, dt.date], ...] = ()
    calm_gap: int = DEFAULT_CALM_GAP
    lead_window: int = DEFAULT_LEAD_WINDOW

    def diff(self) -> list[RuleSymbolDiff]:
        """Per (rule, symbol), the episodes whose fired date appears in only one of the runs."""
        new = {(e.rule, e.symbol, e.fired): e for e in self.result.episodes}
        old = {(e.rule, e.symbol, e.fired): e for e in self.baseline.episodes}
        keys = sorted({(k[0], k[1]) for k in (set(new) ^ set(old))})
        out = []
        for rule, sym in keys:
            added = tuple(e for k, e in sorted(new.items()) if k[:2] == (rule, sym) and k not in old)
            removed = tuple(e for k, e in sorted(old.items()) if k[:2] == (rule, sym) and k not in new)
            out.append(RuleSymbolDiff(rule, sym, added, removed))
        return out

    def is_calm(self, day: dt.date) -> bool:
        """Whether ``day`` lies in a calm period."""
        if self.calm:
            return _in_ranges(day, self.calm)
        if self.marks:
            return all(abs(sessions_between(min(day, m), max(day, m))) > self.calm_gap for m in self.marks)
        return False

    def calm_counts(self, res: BacktestResult) -> dict[str, int]:
        """Episodes per rule that fired in a calm period (empty when no calm period is defined)."""
        if not self.calm and not self.marks:
            return {}
        out = {r.name: 0 for r in res.rules if r.enabled}
        for e in res.episodes:
            if self.is_calm(e.fired):
                out[e.rule] = out.get(e.rule, 0) + 1
        return out

    def lead_times(self, res: BacktestResult) -> list[dict[str, Any]]:
        """Per mark, rule and symbol: sessions between the first firing of the episode that led
        into the mark (fired on or before it, at most ``lead_window`` sessions earlier) and the mark."""
        out: list[dict[str, Any]] = []
        for m in self.marks:
            best: dict[tuple[str, str], Episode] = {}
            for e in res.episodes:
                if e.fired > m or sessions_between(e.fired, m) > self.lead_window:
                    continue
                key = (e.rule, e.symbol)
                if key not in best or e.fired < best[key].fired:
                    best[key] = e
            for (rule, sym), e in sorted(best.items()):
                out.append(
                    {
                        "mark": m.isoformat(),
                        "rule": rule,
                        "symbol": None if sym == MARKET_SYMBOL else sym,
                        "fired": e.fired.isoformat(),
                        "lead_sessions": sessions_between(e.fired, m),
                    }
                )
        return out

    def to_json(self) -> dict[str, Any]:
        """The tried run's document plus ``baseline``, ``diff``, ``changes``, ``marks`` and ``calm``."""
        doc = self.result.to_json()
        doc["changes"] = list(self.changes)
        doc["baseline"] = {
            "alerts": [a.to_json() for a in self.baseline.alerts],
            "summary": dict(self.baseline.summary),
        }
        doc["diff"] = [d.to_json() for d in self.diff()]
        if self.marks:
            doc["marks"] = {
                "dates": [m.isoformat() for m in self.marks],
                "lead": self.lead_times(self.result),
                "baseline_lead": self.lead_times(self.baseline),
            }
        if self.calm or self.marks:
            doc["calm"] = {
                "ranges": [[a.isoformat(), b.isoformat()] for a, b in self.calm],
                "gap_sessions": None if self.calm else self.calm_gap,
                "fired": self.calm_counts(self.result),
                "baseline_fired": self.calm_counts(self.baseline),
            }
        return doc


def compare(
    baseline_rules: Sequence[Rule],
    signals_history: pd.DataFrame,
    sessions: Iterable[dt.date | str],
    *,
    overrides: Sequence[str] = (),
    other_rules: Sequence[Rule] | None = None,
    changes: Sequence[str] = (),
    marks: Sequence[dt.date] = (),
    calm: Sequence[tuple[dt.date, dt.date]] = (),
    silences: Sequence[Silence] = (),
    other_silences: Sequence[Silence] | None = None,
    progress: Callable[[int, int], None] | None = None,
    **kwargs: Any,
) -> BacktestComparison:
    """Replay ``baseline_rules`` as they are and as tried (``overrides``, or ``other_rules``).

    ``progress(done, total)`` counts the sessions of both replays together.
    """
    days = sorted({to_date(s) for s in sessions})
    frame = prepare_signals(signals_history)
    n = len(days)

    def part(offset: int) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        return lambda i, _total: progress(offset + i, 2 * n)

    tried_rules = list(other_rules) if other_rules is not None else apply_overrides(baseline_rules, overrides)
    base = backtest(baseline_rules, frame, days, silences=silences, progress=part(0), **kwargs)
    tried = backtest(
        tried_rules,
        frame,
        days,
        silences=silences if other_silences is None else other_silences,
        progress=part(n),
        **kwargs,
    )
    return BacktestComparison(
        result=tried,
        baseline=base,
        changes=tuple(changes) if changes else tuple(overrides),
        marks=tuple(sorted(set(marks))),
        calm=tuple(calm),
    )
