"""Vectorised replay: the rules over a whole history at once, with the live engine's semantics.

:func:`replay` returns what stepping :func:`~aimonitor.rules.engine.evaluate_inputs` session by
session from an empty state returns (every transition, in the same order and with the same
alert snapshot, and the same final states, in the same order), at a fraction of the cost:

1. the long signal frame is pivoted once into one (symbols x sessions) array per signal, and
   each symbol's staleness on each session (sessions since its last row, or its
   ``staleness_sessions`` value) into one more;
2. per rule, whether each (symbol, session) is in scope, has a usable value, is frozen
   (missing or stale data, reported by ``nodata``) or a tolerated lag, breaches the threshold
   and holds the clearing level is computed with numpy for every cell at once;
3. each (rule, symbol) state machine then visits only the sessions where something can happen:
   the breaches that start an episode, the sessions of a pending episode, the firing
   session, its reminders and its end. An idle session (no alert or a resolved/inactive
   one, no breach) only moves ``last_evaluated``, which is set once at the end;
4. notifications: a silence mutes a (rule, symbol) through a date; inhibition is a
   (symbol x session) mask of firing critical alerts, built from the critical rules' episodes
   before the other rules run. The ``nodata`` alert of a symbol runs over the runs of
   sessions on which at least one of its rules was frozen.

The semantics themselves are stated once, in :mod:`aimonitor.rules.engine`; the
correspondence is noted in comments below, and tests/test_replay_equivalence.py checks it
against the session-by-session path on real and synthetic data.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aimonitor.calendar import sessions_through, to_date
from aimonitor.rules.engine import (
    AlertState,
    Transition,
    change_notice,
    fingerprint,
    frozen_why,
    nodata_resolution,
    nodata_summary,
    open_episode,
    prepare_signals,
)
from aimonitor.rules.model import NODATA_RULE, OPS, SEVERITY_RANK, STALENESS_SIGNAL, Rule, Silence

__all__ = ["Replay", "replay"]

_NAT = np.iinfo(np.int64).min
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Replay:
    """Every transition of the replay (session order, then the engine's order within a
    session) and the final state of every alert (in the order the engine creates them)."""

    transitions: tuple[Transition, ...]
    states: dict[str, AlertState]


def _floats(col: pd.Series) -> np.ndarray:
    """``float(v)`` of every value, NaN where the engine's reader would skip it."""
    if pd.api.types.is_numeric_dtype(col.dtype):
        return col.to_numpy(dtype=float, na_value=np.nan)
    out = np.empty(len(col))
    for i, v in enumerate(col.to_numpy(dtype=object)):
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            out[i] = np.nan
    return out


def _last_per_key(keys: np.ndarray) -> np.ndarray:
    """Positions of the last occurrence of each distinct key (the engine's "last row wins")."""
    _, first_rev = np.unique(keys[::-1], return_index=True)
    return len(keys) - 1 - first_rev


class _Panel:
    """The signal frame pivoted over the replayed sessions (symbol-major arrays)."""

    def __init__(
        self,
        frame: pd.DataFrame,
        days: list[dt.date],
        signals: set[str],
        extra_symbols: Sequence[str],
        last_data: Mapping[str, dt.date] | None,
    ) -> None:
        n_days = len(days)
        self.days = days
        day_d = np.array(days, dtype="datetime64[D]")
        self.cr_day = sessions_through(day_d)  # sessions on or before each replayed day
        ts = frame["date"].to_numpy().astype("datetime64[ns]")
        # a row is seen from the first replayed session on or after its date (InputCursor: date <= as_of)
        vis = np.searchsorted(day_d.astype("datetime64[ns]"), ts, side="left")
        seen = vis < n_days
        exact = np.zeros(len(ts), dtype=bool)  # the row gives the value of that session (date == as_of)
        exact[seen] = day_d.astype("datetime64[ns]")[vis[seen]] == ts[seen]
        sym_codes, uniq = pd.factorize(frame["symbol"].astype(str))
        sig_codes, sig_names = pd.factorize(frame["signal"].astype(str))
        names = [str(s) for s in uniq]
        known = set(names)
        names += [s for s in dict.fromkeys(extra_symbols) if s not in known]
        self.names = names
        self.code = {s: i for i, s in enumerate(names)}
        n_sym = len(names)
        order = sorted(range(n_sym), key=names.__getitem__)
        self.rank = np.empty(n_sym, dtype=np.int64)  # position in the sorted "all" scope
        self.rank[order] = np.arange(n_sym)
        vals = _floats(frame["value"])
        finite = np.isfinite(vals)
        sig_index = {str(s): i for i, s in enumerate(sig_names)}

        self.first_seen: dict[str, np.ndarray] = {}  # signal -> first session each symbol has a row
        self.values: dict[str, np.ndarray] = {}  # signal -> (symbols x sessions), NaN = no usable value
        for sig in signals | {STALENESS_SIGNAL}:
            if sig not in sig_index:
                continue
            rows = np.flatnonzero(sig_codes == sig_index[sig])
            r = rows[seen[rows]]
            first = np.full(n_sym, n_days, dtype=np.int64)
            np.minimum.at(first, sym_codes[r], vis[r])
            self.first_seen[sig] = first
            r = rows[exact[rows] & finite[rows]]
            keys = sym_codes[r].astype(np.int64) * n_days + vis[r]
            if len(keys) and np.bincount(keys, minlength=n_sym * n_days).max() > 1:
                last = _last_per_key(keys)
                keys, r = keys[last], r[last]
            mat = np.full(n_sym * n_days, np.nan)
            mat[keys] = vals[r]
            self.values[sig] = mat.reshape(n_sym, n_days)

        # last row date per symbol and session (staleness_sessions rows aside), carried forward
        not_st = sig_codes != sig_index.get(STALENESS_SIGNAL, -1)
        r = np.flatnonzero(seen & not_st)
        day_num = ts[r].astype("datetime64[D]").astype(np.int64)
        last_day = np.full(n_sym * n_days, _NAT, dtype=np.int64)
        np.maximum.at(last_day, sym_codes[r].astype(np.int64) * n_days + vis[r], day_num)
        last_day = np.maximum.accumulate(last_day.reshape(n_sym, n_days), axis=1)
        has = last_day != _NAT
        stale = np.full((n_sym, n_days), np.nan)
        cr_last = sessions_through(last_day[has].astype("datetime64[D]"))
        stale[has] = np.maximum(np.broadcast_to(self.cr_day, (n_sym, n_days))[has] - cr_last, 0)
        st_vals = self.values.get(STALENESS_SIGNAL)
        if st_vals is not None:  # the staleness_sessions value of the day wins (int() of it)
            m = ~np.isnan(st_vals)
            stale[m] = np.trunc(st_vals[m])
        for sym, when in (last_data or {}).items():  # an explicit last-data date wins over both
            u = self.code.get(sym)
            if u is None:
                continue
            given = to_date(when)
            stale[u] = np.maximum(self.cr_day - sessions_through([given])[0], 0)
            last_day[u] = (given - _EPOCH).days
        self.stale = stale  # NaN: never had data
        self.last_day = last_day

    def day_of(self, num: int) -> dt.date | None:
        return None if num == _NAT else _EPOCH + dt.timedelta(days=int(num))


@dataclass
class _RuleCells:
    """One rule over its scope: symbol codes, scope order and (symbols x sessions) masks."""

    index: int
    rule: Rule
    cols: np.ndarray
    ranks: np.ndarray
    frozen: np.ndarray
    pos: np.ndarray  # symbol code -> row in cols, -1 when out of scope


class _Series:
    """One (rule, symbol) over its usable sessions (step ``t`` is session ``sidx[t]``): values,
    breach and clearing masks, muted steps, and where transitions go."""

    __slots__ = (
        "rule", "sym", "fp", "days", "sidx", "xs", "xs_a", "bs", "muted", "silenced_upto", "cp", "breaches",
        "not_clear", "unmuted", "n_steps", "need", "repeat", "u", "ri", "rank", "_emitted", "_key",
    )  # fmt: skip

    def __init__(
        self,
        rp: _Replayer,
        rc: _RuleCells,
        u: int,
        rank: int,
        sidx_a: np.ndarray,
        xs_a: np.ndarray,
        bs_a: np.ndarray,
        cs_a: np.ndarray,
        muted_a: np.ndarray,
        silenced_upto: int,
    ) -> None:
        rule = rc.rule
        self.rule = rule
        self.u, self.ri, self.rank = u, rc.index, rank
        self.sym = rp.p.names[u]
        self.fp = fingerprint(rule.name, self.sym)
        self.days = rp.p.days
        self.sidx: list[int] = sidx_a.tolist()
        self.xs: list[float] = xs_a.tolist()
        self.xs_a = xs_a
        self.bs, self.muted = bs_a, muted_a  # numpy, read at events only
        self.silenced_upto = silenced_upto
        self.cp = rp.p.cr_day[sidx_a]
        self.breaches: list[int] = np.flatnonzero(bs_a).tolist()
        self.not_clear = np.flatnonzero(~cs_a)
        self.unmuted = np.flatnonzero(~muted_a)
        self.n_steps = len(self.sidx)
        self.need = max(rule.for_sessions, 1)
        self.repeat = rule.repeat_sessions
        self._emitted = rp.emitted
        self._key = functools.partial(rp._key, ri=rc.index, rank=rank)

    def why_muted(self, t: int) -> str | None:
        if not self.muted[t]:
            return None
        return "silenced" if self.sidx[t] < self.silenced_upto else "inhibited"

    def emit(self, t: int, tr: Transition) -> None:
        self._emitted.append((self._key(self.sidx[t]), tr))


class _Replayer:
    def __init__(
        self,
        rules: Sequence[Rule],
        panel: _Panel,
        silences: Sequence[Silence],
        max_stale_sessions: int,
        inhibit_lower_severity: bool,
    ) -> None:
        self.rules = list(rules)
        self.p = panel
        self.silences = list(silences)
        self.max_stale = max_stale_sessions
        self.inhibit = inhibit_lower_severity
        n_sym, n_days = len(panel.names), len(panel.days)
        self.n_days = n_days
        self.critical = np.zeros((n_sym, n_days), dtype=bool)  # a critical rule alert is firing
        self.width = max([n_sym, *(len(r.symbols) for r in self.rules if r.symbols != "all")])
        self.emitted: list[tuple[int, Transition]] = []
        self.created: dict[str, tuple[int, AlertState]] = {}

    # -- per-cell masks

    def _scope(self, rule: Rule) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        p = self.p
        if rule.symbols == "all":  # sorted(seen symbols of the signal)
            first = p.first_seen.get(rule.signal)
            if first is None:
                empty = np.zeros(0, dtype=np.int64)
                return empty, empty, None
            cols = np.flatnonzero(first < self.n_days)
            in_scope = np.arange(self.n_days)[None, :] >= first[cols][:, None]
            return cols, p.rank[cols], in_scope
        cols = np.array([p.code[s] for s in rule.symbols], dtype=np.int64)
        return cols, np.arange(len(cols), dtype=np.int64), None

    def cells(self, index: int, rule: Rule) -> tuple[_RuleCells, np.ndarray, np.ndarray]:
        """The rule's scope and frozen mask, and its values and usable mask (symbols x sessions)."""
        cols, ranks, in_scope = self._scope(rule)
        vals = self.p.values.get(rule.signal)
        x = vals[cols] if vals is not None else np.full((len(cols), self.n_days), np.nan)
        sn = self.p.stale[cols]
        with np.errstate(invalid="ignore"):
            stale = sn > self.max_stale if rule.signal != STALENESS_SIGNAL else np.zeros(sn.shape, dtype=bool)
            usable = ~np.isnan(x) & ~stale
            # engine: value None or stale -> frozen, unless a tolerated lag (1..max_stale sessions)
            frozen = ~usable & (np.isnan(sn) | stale | (sn == 0))
        if in_scope is not None:
            usable &= in_scope
            frozen &= in_scope
        pos = np.full(len(self.p.names), -1, dtype=np.int64)
        pos[cols] = np.arange(len(cols))
        return _RuleCells(index, rule, cols, ranks, frozen, pos), x, usable

    def _silenced_through(self, rule: str, symbol: str) -> int:
        """How many replayed sessions (from the first) a silence mutes for ``(rule, symbol)``."""
        until = [s.until for s in self.silences if s.matches(rule, symbol, dt.date.min)]
        return bisect.bisect_right(self.p.days, max(until)) if until else 0

    # -- output

    def _key(self, day: int, ri: int, rank: int) -> int:
        """The engine's order: session, then rule (``nodata`` last), then the rule's scope order."""
        return (day * (len(self.rules) + 1) + ri) * self.width + rank

    def _emit(self, day: int, ri: int, rank: int, t: Transition) -> None:
        self.emitted.append((self._key(day, ri, rank), t))

    def _create(self, day: int, ri: int, rank: int, fp: str) -> None:
        if fp not in self.created:
            self.created[fp] = (self._key(day, ri, rank), _PLACEHOLDER)

    # -- one (rule, symbol)

    def run_rule(self, rc: _RuleCells, x: np.ndarray, usable: np.ndarray) -> None:
        rule = rc.rule
        xa = np.abs(x) if rule.absolute else x
        with np.errstate(invalid="ignore"):
            breach = usable & OPS[rule.op](xa, rule.threshold)
            clear = usable & OPS[rule.op](xa, rule.effective_clear)
        inhibitable = self.inhibit and SEVERITY_RANK[rule.severity] < SEVERITY_RANK["critical"]
        for j in np.flatnonzero(breach.any(axis=1)):  # a symbol that never breaches never gets a state
            u = int(rc.cols[j])
            sidx = np.flatnonzero(usable[j])
            silenced_upto = self._silenced_through(rule.name, self.p.names[u])
            muted = sidx < silenced_upto
            if inhibitable:
                muted |= self.critical[u, sidx]
            rank = int(rc.ranks[j])
            self._series(
                _Series(self, rc, u, rank, sidx, x[j, sidx], breach[j, sidx], clear[j, sidx], muted, silenced_upto)
            )

    def _series(self, s: _Series) -> None:
        """The engine's ``_step`` and notification logic over the usable sessions of ``s``
        (step ``t`` is session ``s.sidx[t]``); each snapshot is built once, when it is emitted."""
        u, xs_a = s.u, s.xs_a
        rule, fp, days, sidx, xs = s.rule, s.fp, s.days, s.sidx, s.xs
        name, sym, severity, threshold = rule.name, s.sym, rule.severity, rule.threshold
        last: AlertState | None = None  # the latest snapshot (the final state once updated)
        t = 0
        while True:
            k = bisect.bisect_left(s.breaches, t)
            if k >= len(s.breaches):
                break  # idle to the end
            t = s.breaches[k]
            self._create(sidx[t], s.ri, s.rank, fp)
            from_state = last.state if last is not None else "inactive"
            started, v = days[sidx[t]], xs[t]
            ep_id = f"{fp}:{started.isoformat()}"
            summary, peak, n = rule.render_summary(sym, v), v, 1
            f = t
            if s.need > 1:  # pending: the next sessions decide
                t, f, last, n, peak, summary, v = self._pending(s, t, from_state, ep_id)
                from_state = "pending"
                if f < 0:
                    if last.state == "pending":  # still pending on the last session
                        break
                    t += 1
                    continue
            # firing on step f, with n consecutive breaches, value v, this peak and summary (frozen now)
            fired = days[sidx[f]]
            notify, reason = change_notice("firing", s.why_muted(f), False)
            notified = fired if notify else None
            snap = AlertState(
                fp, ep_id, name, sym, severity, "firing", v, threshold, started, fired, None, n, notified, fired,
                summary, peak,
            )  # fmt: skip
            s.emit(f, Transition(fp, from_state, "firing", fired, v, notify, reason, snap))
            q = int(s.not_clear.searchsorted(f, side="right"))
            end = int(s.not_clear[q]) if q < len(s.not_clear) else s.n_steps  # the resolving step
            if severity == "critical":
                self.critical[u, sidx[f] : sidx[end] if end < s.n_steps else self.n_days] = True
            notified, peak, peak_at = self._reminders(s, snap, f, end, notify, peak)
            if end >= s.n_steps:  # still firing on the last session
                e = s.n_steps - 1
                last = AlertState(
                    fp, ep_id, name, sym, severity, "firing", xs[e], threshold, started, fired, None, n + e - f,
                    notified, days[sidx[e]], summary, _peak(rule, peak, xs_a[peak_at + 1 :]),
                )  # fmt: skip
                break
            de, ve = days[sidx[end]], xs[end]
            notify, reason = change_notice("resolved", s.why_muted(end), notified is not None)
            last = AlertState(
                fp, ep_id, name, sym, severity, "resolved", ve, threshold, started, fired, de, 0,
                de if notify else notified, de, summary, _peak(rule, peak, xs_a[peak_at + 1 : end]),
                rule.render_resolution(sym, ve, de),
            )  # fmt: skip
            s.emit(end, Transition(fp, "firing", "resolved", de, ve, notify, reason, last))
            t = end + 1
        assert last is not None
        final = days[sidx[-1]]
        if last.state in ("inactive", "resolved") and last.last_evaluated != final:
            last = dataclasses.replace(last, last_evaluated=final)  # idle sessions only mark last_evaluated
        self.created[fp] = (self.created[fp][0], last)

    def _pending(
        self, s: _Series, t: int, from_state: str, ep_id: str
    ) -> tuple[int, int, AlertState, int, float, str, float]:
        """A pending episode opened by the breach on step ``t``: the next sessions decide.

        Returns ``(t, f, last, n, peak, summary, v)``: ``f`` is the step it fires on (``t`` too)
        after ``n`` consecutive breaches, or -1 when it is dropped on step ``t`` (``last`` is then
        the inactive snapshot) or still pending on the last session (``last`` the pending one)."""
        rule, fp, days, sidx, xs = s.rule, s.fp, s.days, s.sidx, s.xs
        name, sym, severity, threshold = rule.name, s.sym, rule.severity, rule.threshold
        started, v = days[sidx[t]], xs[t]
        summary, peak, n = rule.render_summary(sym, v), v, 1
        pend = open_episode(
            name, sym, started, severity=severity, value=v, threshold=threshold, summary=summary, firing=False,
            peak=v,
        )  # fmt: skip
        s.emit(t, Transition(fp, from_state, "pending", started, v, False, None, pend))
        while t + 1 < s.n_steps:
            t += 1
            d, v = days[sidx[t]], xs[t]
            if not s.bs[t]:  # the episode is dropped
                last = AlertState(
                    fp, ep_id, name, sym, severity, "inactive", v, threshold, started, None, None, 0, None, d,
                    summary, peak,
                )  # fmt: skip
                s.emit(t, Transition(fp, "pending", "inactive", d, v, False, None, last))
                return t, -1, last, n, peak, summary, v
            n += 1
            peak = rule.more_extreme(peak, v)
            summary = rule.render_summary(sym, v)  # rendered with the latest breaching value
            if n >= s.need:
                return t, t, pend, n, peak, summary, v
        last = AlertState(
            fp, ep_id, name, sym, severity, "pending", v, threshold, started, None, None, n, None,
            days[sidx[t]], summary, peak,
        )  # fmt: skip
        return t, -1, last, n, peak, summary, v

    def _reminders(
        self, s: _Series, snap: AlertState, f: int, end: int, notified_at_fire: bool, peak: float
    ) -> tuple[dt.date | None, float, int]:
        """The reminders of the alert ``snap`` firing from step ``f`` until step ``end``: on the
        first unmuted session when the firing was muted, then every ``repeat_sessions``.
        Returns (the last notification date, the peak so far, the step it was folded to)."""
        rule, fp, days, sidx, xs = s.rule, s.fp, s.days, s.sidx, s.xs
        notified = snap.last_notified
        last_n = f if notified_at_fire else -1
        peak_at = f
        while True:  # reminders: the first unmuted session, then every repeat_sessions
            if last_n < 0:
                start = f + 1
            elif s.repeat > 0:
                start = int(s.cp.searchsorted(s.cp[last_n] + s.repeat, side="left"))
            else:
                break
            q = int(s.unmuted.searchsorted(start, side="left"))
            if q >= len(s.unmuted) or int(s.unmuted[q]) >= end:
                break
            c = int(s.unmuted[q])
            peak, peak_at = _peak(rule, peak, s.xs_a[peak_at + 1 : c + 1]), c
            dc = days[sidx[c]]
            rem = AlertState(
                fp, snap.id, rule.name, s.sym, rule.severity, "firing", xs[c], rule.threshold, snap.started,
                snap.fired, None, snap.consecutive + c - f, dc, dc, snap.summary, peak,
            )  # fmt: skip
            reason = "unmuted" if last_n < 0 else "repeat"
            s.emit(c, Transition(fp, "firing", "firing", dc, xs[c], True, reason, rem))
            last_n = c
            notified = dc
        return notified, peak, peak_at

    # -- nodata

    def _nodata_text(self, u: int, d: int, cells: Sequence[_RuleCells]) -> tuple[float, str]:
        sym = self.p.names[u]
        frozen: list[str] = []
        details: list[str] = []
        sn = self.p.stale[u, d]
        stale_n = None if np.isnan(sn) else int(sn)
        for rc in cells:
            j = rc.pos[u]
            if j < 0 or not rc.frozen[j, d]:
                continue
            frozen.append(rc.rule.name)
            is_stale = rc.rule.signal != STALENESS_SIGNAL and stale_n is not None and stale_n > self.max_stale
            last_day = self.p.day_of(int(self.p.last_day[u, d]))
            why = frozen_why(rc.rule.signal, stale_n, last_day, is_stale, self.max_stale)
            if why is not None and why not in details:
                details.append(why)
        return float(len(frozen)), nodata_summary(sym, self.p.days[d], details, frozen)

    def run_nodata(self, cells: Sequence[_RuleCells]) -> None:
        """The per-symbol ``nodata`` alert: firing over each run of sessions with a frozen rule."""
        count = np.zeros((len(self.p.names), self.n_days), dtype=np.int32)
        for rc in cells:
            count[rc.cols] += rc.frozen
        ri = len(self.rules)
        days = self.p.days
        for u in map(int, np.flatnonzero(count.any(axis=1))):
            sym = self.p.names[u]
            fp = fingerprint(NODATA_RULE, sym)
            rank = int(self.p.rank[u])
            silenced_upto = self._silenced_through(NODATA_RULE, sym)
            edges = np.diff(np.concatenate(([0], (count[u] > 0).astype(np.int8), [0])))
            last: AlertState | None = None
            for a, b in zip(map(int, np.flatnonzero(edges == 1)), map(int, np.flatnonzero(edges == -1))):
                self._create(a, ri, rank, fp)
                started = days[a]
                ep_id = f"{fp}:{started.isoformat()}"
                n, text = self._nodata_text(u, a, cells)
                notify, why = change_notice("firing", "silenced" if a < silenced_upto else None, False)
                notified = started if notify else None
                snap = open_episode(
                    NODATA_RULE, sym, started, severity="warning", value=n, threshold=0.0, summary=text, peak=n,
                    last_notified=notified,
                )  # fmt: skip
                from_state = last.state if last is not None else "inactive"
                self._emit(a, ri, rank, Transition(fp, from_state, "firing", started, n, notify, why, snap))
                c = max(a + 1, silenced_upto)
                if notified is None and c < b:  # first notice once the silence ends
                    n, text = self._nodata_text(u, c, cells)
                    dc = days[c]
                    rem = AlertState(
                        fp, ep_id, NODATA_RULE, sym, "warning", "firing", n, 0.0, started, started, None, c - a + 1,
                        dc, dc, text, float(count[u, a : c + 1].max()),
                    )  # fmt: skip
                    self._emit(c, ri, rank, Transition(fp, "firing", "firing", dc, n, True, "unmuted", rem))
                    notified = dc
                n, text = self._nodata_text(u, b - 1, cells)
                peak = float(count[u, a:b].max())
                if b >= self.n_days:  # still firing on the last session
                    last = AlertState(
                        fp, ep_id, NODATA_RULE, sym, "warning", "firing", n, 0.0, started, started, None, b - a,
                        notified, days[b - 1], text, peak,
                    )  # fmt: skip
                    break
                notify, why = change_notice("resolved", "silenced" if b < silenced_upto else None, notified is not None)
                last = AlertState(
                    fp, ep_id, NODATA_RULE, sym, "warning", "resolved", 0.0, 0.0, started, started, days[b], 0,
                    days[b] if notify else notified, days[b], text, peak, nodata_resolution(sym, days[b]),
                )  # fmt: skip
                self._emit(b, ri, rank, Transition(fp, "firing", "resolved", days[b], 0.0, notify, why, last))
            assert last is not None
            self.created[fp] = (self.created[fp][0], last)


#: Stands for a state until the series that created it has run to its end.
_PLACEHOLDER = AlertState("", "", "", "", "info", "inactive", 0.0, 0.0, _EPOCH)


def _peak(rule: Rule, peak: float | None, values: np.ndarray) -> float:
    """``rule.more_extreme`` folded over ``values`` (the first most extreme value wins ties)."""
    if len(values) < 16:  # a numpy call costs more than a short fold
        out = peak
        for v in values.tolist():
            out = rule.more_extreme(out, v)
        assert out is not None
        return out
    if rule.absolute:
        i = int(np.argmax(np.abs(values)))
    elif rule.op in (">", ">="):
        i = int(np.argmax(values))
    else:
        i = int(np.argmin(values))
    return rule.more_extreme(peak, float(values[i]))


def replay(
    rules: Sequence[Rule],
    signals: pd.DataFrame,
    days: Sequence[dt.date],
    *,
    silences: Sequence[Silence] = (),
    last_data: Mapping[str, dt.date] | None = None,
    max_stale_sessions: int = 3,
    inhibit_lower_severity: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Replay:
    """Replay ``rules`` over the sessions ``days`` (sorted, distinct) from an empty state.

    Same arguments and results as calling
    :func:`~aimonitor.rules.engine.evaluate_inputs` on each session in turn (what
    :func:`aimonitor.rules.backtest.backtest` does with ``vectorised=False``), rules taken as
    given (no overrides, names already checked unique). ``progress(done, total)`` is called
    as rules are done, with ``total`` the number of sessions.
    """
    days = list(days)
    if not days:
        return Replay((), {})
    frame = prepare_signals(signals)
    enabled = [(i, r) for i, r in enumerate(rules) if r.enabled]
    listed = [s for _, r in enabled if r.symbols != "all" for s in r.symbols]
    panel = _Panel(frame, days, {r.signal for _, r in enabled}, listed, last_data)
    rp = _Replayer(rules, panel, silences, max_stale_sessions, inhibit_lower_severity)
    cells = [rp.cells(i, r)[0] for i, r in enabled]
    # critical rules first: their firing episodes inhibit the others' notifications
    order = sorted(enabled, key=lambda ir: ir[1].severity != "critical")
    for k, (i, r) in enumerate(order, 1):
        rp.run_rule(*rp.cells(i, r))
        if progress is not None:
            progress(len(days) * k // (len(order) + 1), len(days))
    rp.run_nodata(cells)
    if progress is not None:
        progress(len(days), len(days))
    rp.emitted.sort(key=lambda e: e[0])
    transitions = tuple(t for _, t in rp.emitted)
    states = {fp: s for fp, (_, s) in sorted(rp.created.items(), key=lambda kv: kv[1][0])}
    return Replay(transitions, states)
