"""The monitoring cycle: the one module that wires sources, store, analytics, rules and sinks.

One cycle for session ``as_of`` (passed in, never read from the clock here):

1. fetch what is missing (plus the re-fetch window) → validate → upsert;
2. derive signals for the sessions not yet derived, up to ``as_of``;
3. evaluate the rules on ``as_of`` against the persisted alert state;
4. persist states, transitions and outbox entries in one transaction;
5. deliver: ``alerts/`` first, then the apprise channels (failures retried next cycle).

Every step is idempotent, so running the same cycle twice changes nothing and sends
nothing twice. ``rules backtest`` uses the same functions, session by session; ``demo``
runs :func:`replay_cycles`, which fetches and derives once for many sessions and then runs
steps 3-5 of every session with the cycle's own code (storing what a cycle per session
stores, see ``tests/test_demo_equivalence.py``).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
import hashlib
import logging
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aimonitor import calendar
from aimonitor.analytics.signals import (
    FRED_MAX_LAG_SESSIONS,
    SignalInputs,
    compute_signals,
    signal_catalog,
    signal_names,
)
from aimonitor.config import AppConfig
from aimonitor.errors import AimonitorError, ClockError, InsufficientData
from aimonitor.events.catalog import load_catalog
from aimonitor.ingest import FetchReport, run_fetch
from aimonitor.notify import FILE_CHANNEL, DeliveryReport, FileSink, deliver
from aimonitor.rules import (
    AlertState,
    Evaluation,
    Rule,
    apply_overrides,
    check_signals,
    evaluate,
)
from aimonitor.sources.base import Source
from aimonitor.sources.cdsquotes import tenor_years
from aimonitor.store import Store

if TYPE_CHECKING:  # imported where used: the credit model (scipy) and the loop graph (networkx) load only
    # for the commands that derive signals or evaluate rules, not for `rules check`, `status`, `alerts list`
    from aimonitor.analytics.spreads import CreditParams, SpreadPanel
    from aimonitor.rules.backtest import BacktestComparison, BacktestResult

log = logging.getLogger(__name__)

#: Sessions of history loaded before the first session whose signals are derived
#: (the longest rolling window is 252 sessions; a year of spreads for z-scores on top).
HISTORY_SESSIONS = 520
#: Where a derivation starts reading moves in steps of this many sessions (a year), counted
#: from the first stored bar, never session by session: every session's signals depend on
#: the session and the data only, so deriving sessions one by one stores exactly what one
#: derivation over all of them stores (see :func:`_history_start`).
HISTORY_STEP = 252
PIPELINE_RULE = "pipeline"


def credit_params(cfg: AppConfig) -> CreditParams:
    from aimonitor.analytics.spreads import CreditParams

    c = cfg.credit
    return CreditParams(
        global_recovery=c.global_recovery,
        barrier_uncertainty=c.barrier_uncertainty,
        cds_recovery=c.cds_recovery,
        tenor_years=c.tenor_years,
        vol_window=c.vol_window,
        min_vol_observations=c.min_vol_observations,
        vol_estimator=c.vol_estimator,
        vol_halflife=c.vol_halflife,
        vol_prior_symbols=tuple(cfg.watchlist.symbols),
        risk_classes=tuple(c.risk_classes.items()),
        oas_prior_weight=c.oas_prior_weight,
        fred_lag_sessions=c.fred_lag_sessions,
        debt_includes_leases=c.debt_includes_leases,
        debt_include_unconfirmed=c.debt_include_unconfirmed,
        vol_scale_bounds=c.vol_scale_bounds,
    )


@dataclass(frozen=True)
class StoredInputs:
    """What the credit panel and the signals read from the store, read once per cycle."""

    closes: pd.DataFrame  # unadjusted closes (market capitalisation)
    adj_closes: pd.DataFrame  # adjusted closes (returns)
    fred: pd.DataFrame  # every stored FRED series, bp
    fundamentals: pd.DataFrame
    cds_quotes: pd.DataFrame
    events: tuple[dict[str, Any], ...] = ()  # stored catalog/imported events (debt between filings)


#: The bar fields a derivation reads (unadjusted closes for market values, adjusted for returns).
PRICE_FIELDS = ("close", "adj_close")


class PriceReads:
    """The watchlist's stored prices, read once for several derivations of one
    :func:`update_signals` (a derivation reads its years of history from the store again
    otherwise): :meth:`read` is ``store.read_prices`` of a date range, sliced from one read
    through the last session asked for so far. Valid while no bar is written."""

    def __init__(self, store: Store, through: dt.date) -> None:
        self._store = store
        self._through = through
        self._frames: dict[str, tuple[dt.date | None, pd.DataFrame]] = {}

    def read(self, syms: list[str], field: str, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        hit = self._frames.get(field)
        if hit is None or end > self._through or (hit[0] is not None and (start is None or start < hit[0])):
            self._through = max(self._through, end)
            both = self._store.read_price_fields(syms, PRICE_FIELDS, start=start, end=self._through)
            self._frames.update({f: (start, w) for f, w in both.items()})
            hit = self._frames[field]
        wide = hit[1]
        if not isinstance(wide.index, pd.DatetimeIndex):  # nothing stored in the range read
            return self._store.read_prices(syms, field, start=start, end=end)
        lo = 0 if start is None else int(wide.index.searchsorted(pd.Timestamp(start), side="left"))
        hi = int(wide.index.searchsorted(pd.Timestamp(end), side="right"))
        part = wide.iloc[lo:hi]
        # what the store returns for a range without a bar (no rows: no date index)
        return part if len(part) else self._store.read_prices(syms, field, start=start, end=end)


def read_inputs(
    cfg: AppConfig, store: Store, through: dt.date, start: dt.date | None = None, prices: PriceReads | None = None
) -> StoredInputs:
    """Prices, FRED series, filings and CDS quotes known on ``through`` (prices from ``start``;
    ``prices``: read through a :class:`PriceReads` of this store)."""
    syms = list(cfg.watchlist.all_symbols)

    def read(field: str) -> pd.DataFrame:
        if prices is None:
            return store.read_prices(syms, field, start=start, end=through)
        return prices.read(syms, field, start, through)

    return _known_on(
        through,
        closes=read("close"),
        adj_closes=read("adj_close"),
        fred=store.read_fred(None, start=start, end=through),
        fundamentals=store.read_fundamentals(cfg.watchlist.symbols),
        cds_quotes=store.read_cds_quotes(),
        # debt raised between filings: stored (imported) events, else the configured catalog
        events=store.read_events() or [r.to_row() for r in load_catalog(cfg.events.catalog)],
    )


def _known_on(
    through: dt.date,
    *,
    closes: pd.DataFrame,
    adj_closes: pd.DataFrame,
    fred: pd.DataFrame,
    fundamentals: pd.DataFrame,
    cds_quotes: pd.DataFrame,
    events: Sequence[dict[str, Any]],
) -> StoredInputs:
    """The inputs with the filings, quotes and events known on ``through`` (prices and FRED
    rows are read up to it)."""
    fund = fundamentals
    if not fund.empty:
        fund = fund[fund["filed_date"] <= pd.Timestamp(through)]
    quotes = cds_quotes
    if not quotes.empty:
        quotes = quotes[quotes["date"] <= pd.Timestamp(through)]
        quotes = quotes.assign(tenor_years=[tenor_years(t) for t in quotes["tenor"].astype(str)])
    known = [e for e in events if e.get("announce_date") and str(e["announce_date"]) <= str(through)]
    return StoredInputs(
        closes=closes,
        adj_closes=adj_closes,
        fred=fred,
        fundamentals=fund,
        cds_quotes=quotes,
        events=tuple(known),
    )


def compute_panel(cfg: AppConfig, inputs: StoredInputs, proxy_only: bool = False) -> SpreadPanel:
    """The equity-implied credit panel of the watchlist from stored inputs (``proxy_only``:
    the spread proxy alone, what the signals read)."""
    from aimonitor.analytics.spreads import compute_spread_panel

    quotes = inputs.cds_quotes
    return compute_spread_panel(
        inputs.closes,
        inputs.fundamentals,
        inputs.fred,
        inputs.fred,
        quotes if len(quotes) else None,
        symbols=[s for s in cfg.watchlist.symbols if s in inputs.closes.columns],
        bucket_map=cfg.credit.rating_buckets,
        params=credit_params(cfg),
        adj_closes=inputs.adj_closes,
        events=list(inputs.events),
        proxy_only=proxy_only,
    )


def read_spread_panel(cfg: AppConfig, store: Store, through: dt.date, start: dt.date | None = None) -> SpreadPanel:
    """The equity-implied credit panel from stored data (nothing after ``through``)."""
    return compute_panel(cfg, read_inputs(cfg, store, through, start))


def _oas_series(cfg: AppConfig) -> list[str]:
    return [s for s in cfg.fred.series if s.startswith("BAML")]


def _first_stale_fred_session(cfg: AppConfig, store: Store, first: dt.date, last: dt.date) -> dt.date | None:
    """The first derived session whose FRED input (OAS or risk-free rate) differs from what
    the store holds now.

    The stored ``fred_oas_bp`` rows record which OAS value every derived session used (after
    the publication lag). The same alignment is redone on the FRED rows stored now: a value
    that arrived late (stored after its dependent sessions were derived), a revision or a
    newly configured series makes them differ, and the derivation must restart there.
    Returns None when every compared session still matches. The first few derived sessions
    (lag + carry-forward) are not compared: their value depended on observations before the
    history the derivation read, so a fresh derivation could not reproduce the comparison.
    The risk-free rate is in no signal: the value each session used is recorded beside the
    signals (:func:`_rates_used`) and compared the same way.
    """
    stale = [
        d for d in (_first_stale_oas_session(cfg, store, first, last), _first_stale_rate(cfg, store, first, last)) if d
    ]
    return min(stale) if stale else None


def _rate_series(cfg: AppConfig) -> str:
    return credit_params(cfg).rate_series


def _rates_used(cfg: AppConfig, store: Store, first: dt.date, last: dt.date) -> dict[str, float]:
    """The risk-free yield (bp) the credit model uses on each session of ``[first, last]``
    (ISO date -> value, NaN before the first usable one): the last observation of the rate
    series usable on the session (``fred_lag_sessions`` sessions after it), carried forward
    as the model carries it. Read from what the store holds now."""
    fred = store.read_fred([_rate_series(cfg)], end=last)
    days = calendar.sessions_index(first, last)
    out = {d.strftime("%Y-%m-%d"): float("nan") for d in days}
    if fred.empty or not len(days):
        return out
    obs = fred.iloc[:, 0].dropna().astype(float)
    obs = obs[obs.index <= pd.Timestamp(last)]
    if obs.empty:
        return out
    # the grid of sessions from the first observation: where each one becomes usable
    grid = calendar.sessions_index(min(obs.index[0].date(), first), last)
    usable = grid.searchsorted(obs.index, side="right") - 1 + cfg.credit.fred_lag_sessions
    at = grid.searchsorted(days)  # each recorded session's place in the grid
    j = np.searchsorted(usable, at, side="right") - 1  # the last observation usable there
    vals = np.where(j >= 0, obs.to_numpy()[np.maximum(j, 0)], np.nan)
    return dict(zip(out, vals.tolist(), strict=True))


def _first_stale_rate(cfg: AppConfig, store: Store, first: dt.date, last: dt.date) -> dt.date | None:
    """The first derived session whose risk-free rate (recorded when it was derived,
    :meth:`Store.write_derived_inputs`) differs from what the stored FRED rows give now: a
    yield stored late or revised. Sessions derived without a record are not compared."""
    had = store.read_derived_inputs(_rate_series(cfg), first, last)
    if not had:
        return None
    now = _rates_used(cfg, store, calendar.to_date(min(had)), calendar.to_date(max(had)))
    differs = [d for d, v in had.items() if not (v == now.get(d) or (math.isnan(v) and math.isnan(now.get(d, 0.0))))]
    return calendar.to_date(min(differs)) if differs else None


def _first_stale_oas_session(cfg: AppConfig, store: Store, first: dt.date, last: dt.date) -> dt.date | None:
    """:func:`_first_stale_fred_session` of the OAS series."""
    cols = _oas_series(cfg)
    if not cols:
        return None
    lag = cfg.credit.fred_lag_sessions
    first = calendar.session_offset(calendar.session_on_or_after(first), FRED_MAX_LAG_SESSIONS + lag + 1)
    if first > last:
        return None
    # enough observations before ``first`` for the lag and the carry-forward
    margin = calendar.session_offset(first, -(FRED_MAX_LAG_SESSIONS + lag + 5))
    fred = store.read_fred(cols, start=margin - dt.timedelta(days=7), end=last)
    fred = fred[[c for c in cols if c in fred.columns]].dropna(how="all") if not fred.empty else fred
    sessions = calendar.sessions_index(margin, last)
    if fred.empty:
        want = pd.DataFrame(columns=["date", "symbol", "signal", "value"])
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a unit warning is raised where the signals are derived
            want = compute_signals(
                SignalInputs(
                    closes=pd.DataFrame(index=sessions), fred_oas=fred, sessions=sessions, fred_lag_sessions=lag
                ),
                names=["fred_oas_bp"],
                start=first,
                end=last,
            )
    have = store.read_signals(names=["fred_oas_bp"], start=first, end=last, symbols=cols)
    key = ["date", "symbol"]
    m = want[[*key, "value"]].merge(have[[*key, "value"]], on=key, how="outer", suffixes=("_now", "_then"))
    if m.empty:
        return None
    now, then = m["value_now"].astype(float), m["value_then"].astype(float)
    differs = now.isna() != then.isna()
    differs |= (now - then).abs() > 1e-9 * then.abs().clip(lower=1.0)
    if not differs.any():
        return None
    return min(calendar.to_date(d) for d in m.loc[differs, "date"])


def _calibration_sessions(cfg: AppConfig, quotes: pd.DataFrame, start: dt.date, through: dt.date) -> list[dt.date]:
    """Sessions in ``(start, through]`` on which a new CDS quote (model tenor, a watchlist name)
    changes the calibration of the credit proxy (a quote dated on a closed day counts from the
    next session)."""
    if quotes.empty:
        return []
    tenor = pd.to_numeric(quotes["tenor_years"], errors="coerce")
    q = quotes[
        ((tenor - cfg.credit.tenor_years).abs() < 1e-9)
        & quotes["entity"].astype(str).str.upper().isin([s.upper() for s in cfg.watchlist.symbols])
    ]
    days = {calendar.session_on_or_after(calendar.to_date(d)) for d in q["date"]}
    return sorted(d for d in days if start < d <= through)


def _proxy_point_in_time(
    cfg: AppConfig, stored: StoredInputs, start: dt.date, through: dt.date
) -> tuple[pd.DataFrame | None, list[tuple[dt.date, pd.DataFrame]]]:
    """The spread proxy history under each calibration in force in ``[start, through]``.

    Returns the history under the calibration in force on ``start`` and, for every later
    session on which a new quote recalibrates the proxy, that session and the history
    under its calibration (what a derivation of that session alone computes). Without
    quotes in the window this is one panel, as before.
    """
    changes = _calibration_sessions(cfg, stored.cds_quotes, start, through)
    ends = [calendar.previous_session(c) for c in changes] + [through]
    frames: list[pd.DataFrame | None] = []
    for end in ends:
        quotes = stored.cds_quotes
        if not quotes.empty:
            quotes = quotes[quotes["date"] <= pd.Timestamp(end)]
        panel = compute_panel(cfg, dataclasses.replace(stored, cds_quotes=quotes), proxy_only=True)
        frames.append(panel.wide() if panel.symbols else None)
    if all(f is None for f in frames):
        return None, []
    empty = pd.DataFrame(index=pd.DatetimeIndex([]), dtype=float)
    base = frames[0] if frames[0] is not None else empty
    return base, [(c, f if f is not None else empty) for c, f in zip(changes, frames[1:])]


def update_signals(cfg: AppConfig, store: Store, through: dt.date) -> int:
    """Derive and store signals for the sessions after the last derived one, up to ``through``.

    A FRED value stored after the sessions that use it were derived (a late print or a
    revision) restarts the derivation at the first of those sessions. Each session's spread
    proxy and its 20-session change use the calibration in force on that session, and
    every value dated ``t`` uses data dated ``<= t`` only, so one derivation over many
    sessions stores what deriving them one by one stores, as long as both read their
    history from the same first session (see :func:`_history_start`).

    Returns the number of signal rows written (0 when already up to date).
    """
    written = 0
    # the FRED rows the stored signals could use are those they were derived from and checked
    # against: none of them can be stale, the check (every derived session's inputs) is skipped
    done = store.signal_session_range()
    if done is not None:  # what a late FRED value makes stale is derived again up to where it was
        through = max(through, calendar.to_date(done[1]))
    unchanged = done is not None and _recorded_digest(store) == _fred_digest(cfg, store, calendar.to_date(done[1]))
    first_bar = functools.cache(lambda: _first_bar(store))  # bars are not written while deriving
    plan = _plan_derivation(cfg, store, through, check_fred=not unchanged, first_bar=first_bar)
    prices = PriceReads(store, through)
    while plan is not None:  # one derivation per history start (see _history_start)
        frame = derive_signals(cfg, store, plan, prices)
        with store.transaction():  # the signals and the rate they used, together
            written += _write_derived(store, plan, frame)
            store.write_derived_inputs(_rate_series(cfg), _rates_used(cfg, store, plan.start, plan.through))
        plan = _plan_derivation(cfg, store, through, check_fred=False, first_bar=first_bar)
    if written or not unchanged:
        done = store.signal_session_range()
        if done is not None:
            store.write_derived_inputs(_DIGEST, {_DIGEST_KEY: _fred_digest(cfg, store, calendar.to_date(done[1]))})
    return written


#: The ``derived_inputs`` record of the FRED rows the stored signals were derived from and
#: checked against (:func:`_first_stale_fred_session`): the OAS and rate rows usable on a
#: derived session, their configuration and the last derived session. While the store holds
#: the same, no stored session can be stale. Its date key sorts before every session, so
#: forgetting signals from a session never forgets it (the last derived session is in it).
_DIGEST = "fred_inputs_digest"
_DIGEST_KEY = "-"


def _recorded_digest(store: Store) -> float | None:
    return store.read_derived_inputs(_DIGEST, _DIGEST_KEY, _DIGEST_KEY).get(_DIGEST_KEY)


def _fred_digest(cfg: AppConfig, store: Store, last: dt.date) -> float:
    """48 bits of the digest of the stored FRED rows usable on a session up to ``last`` (dated
    before the session ``1 - fred_lag_sessions`` after it), of the settings that align them
    and of ``last``, as a number (what ``derived_inputs`` holds)."""
    lag = cfg.credit.fred_lag_sessions
    series = [*_oas_series(cfg), _rate_series(cfg)]
    h = hashlib.sha256(store.fred_digest(series, calendar.session_offset(last, 1 - lag)).encode())
    h.update(repr((lag, series, last.isoformat())).encode())
    return float(int.from_bytes(h.digest()[:6], "big"))


@dataclass(frozen=True)
class Derivation:
    """One derivation: the signals of sessions ``start..through`` from the stored data of
    ``hist_start..through``."""

    start: dt.date
    through: dt.date
    hist_start: dt.date


def stored_bar_ranges(store: Store) -> dict[str, tuple[str, str, int]]:
    """:meth:`Store.bar_ranges` (per symbol: first and last date, rows); the one error every
    command that needs prices gives when none is stored."""
    ranges = store.bar_ranges()
    if not ranges:
        raise InsufficientData(
            "no prices stored; run `aimonitor fetch` first (`aimonitor demo` loads the bundled snapshot)"
        )
    return ranges


def _first_bar(store: Store) -> dt.date:
    return min(calendar.to_date(r[0]) for r in stored_bar_ranges(store).values())


def _plan_derivation(
    cfg: AppConfig,
    store: Store,
    through: dt.date,
    check_fred: bool = True,
    first_bar: Callable[[], dt.date] | None = None,
) -> Derivation | None:
    """What :func:`update_signals` derives next (None when up to date); forgets the signals a
    late FRED value made stale first (``check_fred=False``: known not to be any;
    ``first_bar``: gives the first stored bar, read once for several plans)."""
    done = store.signal_session_range()
    if done is not None and check_fred:
        first_done, last_derived = calendar.to_date(done[0]), calendar.to_date(done[1])
        stale = _first_stale_fred_session(cfg, store, first_done, last_derived)
        if stale is not None:
            log.info("FRED values stored after %s was derived: signals from %s are derived again", stale, stale)
            store.delete_signals_from(stale)  # update_signals derives through last_derived again
            done = store.signal_session_range()
    last_done = calendar.to_date(done[1]) if done is not None else None
    if last_done is not None and last_done >= through:
        return None
    first = (first_bar or functools.partial(_first_bar, store))()
    start = calendar.next_session(last_done) if last_done else first
    if start > through:
        return None
    first_new = calendar.session_on_or_after(start)
    return Derivation(start, min(through, _segment_end(first, first_new)), _history_start(first, first_new))


def derive_signals(cfg: AppConfig, store: Store, plan: Derivation, prices: PriceReads | None = None) -> pd.DataFrame:
    """The signals of ``plan`` from the stored data (nothing written; ``prices``: the stored
    prices read once for several derivations)."""
    from aimonitor.loopdata import read_loop_exposure

    start, through, hist_start = plan.start, plan.through, plan.hist_start
    sessions = calendar.sessions_index(hist_start, through)
    stored = read_inputs(cfg, store, through, start=hist_start, prices=prices)
    exposure = read_loop_exposure(cfg, store, sessions)
    closes = stored.adj_closes.dropna(axis=1, how="all")
    proxy, recalibrations = _proxy_point_in_time(cfg, stored, calendar.session_on_or_after(start), through)
    oas_cols = [c for c in _oas_series(cfg) if c in stored.fred.columns]
    oas = stored.fred[oas_cols].dropna(how="all")
    quotes = stored.cds_quotes
    if not quotes.empty:  # several tenors/sources: the rules see the 5y quote, one per entity and day
        quotes = quotes[quotes["tenor"] == "5Y"]
        quotes = quotes.rename(columns={"spread_bp": "value"})[["date", "entity", "value"]]
    inputs = SignalInputs(
        closes=closes,
        market=cfg.watchlist.market,
        watchlist=[s for s in cfg.watchlist.symbols if s in closes.columns],
        spread_proxy=proxy,
        fred_oas=oas if not oas.empty else None,
        sessions=sessions,
        cds_quotes=quotes if not quotes.empty else None,
        fred_lag_sessions=cfg.credit.fred_lag_sessions,
        spread_recalibrations=recalibrations,
        loop_exposure=exposure,
    )
    return compute_signals(inputs, start=start, end=through, categorical=True)


def _write_derived(store: Store, plan: Derivation, frame: pd.DataFrame) -> int:
    written = store.write_signals(frame)
    log.info("signals %s..%s: %d rows", plan.start, plan.through, written.rows_new + written.rows_updated)
    return written.rows_new + written.rows_updated


def _history_step(first_bar: dt.date, session: dt.date) -> int:
    """Which history start ``session`` derives from: 0 while fewer than :data:`HISTORY_SESSIONS`
    + :data:`HISTORY_STEP` sessions follow the first bar, then one more every
    :data:`HISTORY_STEP` sessions."""
    k = calendar.sessions_between(calendar.session_on_or_after(first_bar), session)
    return max(0, (k - HISTORY_SESSIONS) // HISTORY_STEP)


def _history_start(first_bar: dt.date, session: dt.date) -> dt.date:
    """Where the derivation of ``session`` starts reading: the first bar, moved forward in
    whole steps of :data:`HISTORY_STEP` sessions, so that at least :data:`HISTORY_SESSIONS`
    (and fewer than their sum) precede ``session``.

    Every session between two moves reads from the same start, so its signals do not depend
    on which other sessions a derivation covers: rolling statistics (the credit model's EWMA
    volatility above all) depend on where their history starts, and a start that followed
    each session would make deriving sessions one by one differ from deriving them at once.
    """
    first = calendar.session_on_or_after(first_bar)
    if session <= first:
        return first_bar
    j = _history_step(first_bar, session)
    return first_bar if j == 0 else calendar.session_offset(first, j * HISTORY_STEP)


def _segment_end(first_bar: dt.date, session: dt.date) -> dt.date:
    """The last session deriving from the same history start as ``session``."""
    first = calendar.session_on_or_after(first_bar)
    j = _history_step(first_bar, max(session, first))
    return calendar.session_offset(first, HISTORY_SESSIONS + (j + 1) * HISTORY_STEP - 1)


def _derive_for_replay(cfg: AppConfig, store: Store, days: Sequence[dt.date]) -> dict[dt.date, int]:
    """Store the signals a replay of ``days`` needs: what :func:`update_signals` through each
    day in turn stores. A session's signals depend only on the session and the stored data
    (its history start moves in whole steps, :func:`_history_start`), so one
    :func:`update_signals` through the last day stores exactly that. Returns the rows
    written, on the first day that needed a derivation."""
    done = store.signal_session_range()
    last_done = calendar.to_date(done[1]) if done is not None else None
    todo = sorted(d for d in set(days) if last_done is None or d > last_done)
    return {todo[0]: update_signals(cfg, store, todo[-1])} if todo else {}


#: Sessions of signals before the evaluated one the rules see (which symbols a rule covers).
SIGNAL_LOOKBACK = 30


def _window_start(as_of: dt.date, lookback: int = SIGNAL_LOOKBACK) -> dt.date:
    """The first session of the signals the rules see on ``as_of``."""
    return calendar.session_offset(calendar.session_on_or_before(as_of), -lookback)


def _signals_for(store: Store, as_of: dt.date, lookback: int = SIGNAL_LOOKBACK) -> pd.DataFrame:
    return store.read_signals(start=_window_start(as_of, lookback), end=as_of)


def _persist(cfg: AppConfig, store: Store, ev: Evaluation, channels: Sequence[str]) -> int:
    session = ev.as_of.isoformat()
    states = {fp: s.to_record() for fp, s in ev.states.items()}
    # every current episode that fired is rewritten, so `alerts list` shows today's value of a
    # firing alert. Pending episodes live only in the alert state (an episode dropped while
    # pending must not linger in the alerts table as "pending"; see `read_alert_docs`).
    current: dict[str, dict] = {}
    for t in ev.transitions:
        if t.alert.state in ("firing", "resolved"):
            current[t.alert.id] = dict(t.alert.to_json(), fingerprint=t.fingerprint)
    for fp, st in ev.states.items():
        if st.state in ("firing", "resolved") and st.last_evaluated == ev.as_of:
            current[st.id] = dict(st.to_json(), fingerprint=fp)
    alerts = list(current.values())
    transitions = []
    for t in ev.transitions:
        payload: dict[str, Any] = (
            t.alert.to_json() if t.alert.state != "inactive" else {"id": t.alert.id, "state": "inactive"}
        )
        payload["reason"] = t.reason
        transitions.append(
            {
                "alert_id": t.alert.id,
                "session": session,
                "to_state": t.to_state,
                "from_state": t.from_state,
                "value": t.value,
                "notify": t.notify,
                "payload": payload,
            }
        )
    return store.write_alert_cycle(states, session, alerts, transitions, [FILE_CHANNEL, *channels])


def checked_rules(cfg: AppConfig) -> list[Rule]:
    """The configured rules, their signal names checked against the analytics registry."""
    check_signals(cfg.rules, set(signal_names()), cfg.source_path)
    return list(cfg.rules)


def last_data_dates(store: Store, as_of: dt.date, derived: Sequence[str] = ()) -> dict[str, dt.date]:
    """Last stored bar (or FRED observation) per symbol, capped at ``as_of`` (for staleness).

    ``derived`` names symbols computed from the prices (``LOOP``, ``*``): their data is as
    recent as the latest stored bar.
    """
    out: dict[str, dt.date] = {}
    bar_ranges = store.bar_ranges()
    for ranges in (bar_ranges, store.fred_ranges()):
        for sym, (_first, last, _n) in ranges.items():
            out[sym] = min(calendar.to_date(last), as_of)
    return _with_derived(out, [s for s in bar_ranges if s in out], derived)


def _with_derived(out: dict[str, dt.date], bar_symbols: Sequence[str], derived: Sequence[str]) -> dict[str, dt.date]:
    """``out`` plus each ``derived`` symbol (``LOOP``, ``*``) not in it, dated by the latest
    bar of ``bar_symbols`` (its data is as recent as the prices it is computed from)."""
    bars = [out[s] for s in bar_symbols]
    if bars:
        for sym in derived:
            out.setdefault(sym, max(bars))
    return out


class DataDates:
    """Every stored bar date per symbol and observation date per FRED series, read once.

    For a replay over data stored up front: :meth:`last_on_or_before` gives for each
    session what :func:`last_data_dates` gives when only the data known on that session
    is stored (the last bar or observation on or before it; a symbol with nothing yet is
    absent).
    """

    def __init__(self, bars: Mapping[str, Sequence[str]], fred: Mapping[str, Sequence[str]]) -> None:
        self._bars = {s: sorted(d) for s, d in bars.items()}
        self._fred = {s: sorted(d) for s, d in fred.items()}

    @classmethod
    def read(cls, store: Store) -> DataDates:
        closes = store.read_prices(list(store.bar_ranges()), "close")
        fred = store.read_fred(None)
        return cls(_dates_by_column(closes), _dates_by_column(fred))

    def last_on_or_before(self, as_of: dt.date, derived: Sequence[str] = ()) -> dict[str, dt.date]:
        key = as_of.isoformat()
        out: dict[str, dt.date] = {}
        bar_syms = []
        for by, is_bars in ((self._bars, True), (self._fred, False)):
            for sym, dates in by.items():
                i = bisect.bisect_right(dates, key)
                if i:
                    out[sym] = calendar.to_date(dates[i - 1])
                    if is_bars:
                        bar_syms.append(sym)
        return _with_derived(out, bar_syms, derived)


def _dates_by_column(wide: pd.DataFrame) -> dict[str, list[str]]:
    """ISO dates of the non-missing values of each column of a wide (DatetimeIndex) frame."""
    if wide.empty:
        return {}
    iso = wide.index.strftime("%Y-%m-%d").to_numpy()
    return {str(c): list(iso[wide[c].notna().to_numpy()]) for c in wide.columns}


def _derived_symbols(cfg: AppConfig) -> list[str]:
    return [sym for r in cfg.rules if r.symbols != "all" for sym in r.symbols]


class ReplayData:
    """What a replay over data stored up front reads once instead of every session: the
    stored data dates (:class:`DataDates`), the derived signals the rules of sessions from
    ``first`` on see (all of them without ``first``) and the stored events.

    Valid while no bar, FRED row, event or signal is written.
    """

    def __init__(self, cfg: AppConfig, store: Store, first: dt.date | None = None) -> None:
        from aimonitor.loopdata import stored_events

        self.dates = DataDates.read(store)
        self.derived = _derived_symbols(cfg)
        self.events = stored_events(cfg, store)
        self.since = _window_start(first) if first is not None else None
        self.signals = store.read_signals(start=self.since)
        self._days = pd.to_datetime(self.signals["date"]).to_numpy() if not self.signals.empty else None

    def last_data(self, as_of: dt.date) -> dict[str, dt.date]:
        return self.dates.last_on_or_before(as_of, self.derived)

    def signals_for(self, as_of: dt.date, lookback: int = SIGNAL_LOOKBACK) -> pd.DataFrame:
        """What :func:`_signals_for` reads from the store, sliced from memory."""
        start = _window_start(as_of, lookback)
        if self.since is not None and start < self.since:
            raise ValueError(f"signals before {self.since} were not read (session {as_of})")
        if self._days is None:
            return self.signals
        lo = int(self._days.searchsorted(pd.Timestamp(start).to_datetime64(), side="left"))
        hi = int(self._days.searchsorted(pd.Timestamp(as_of).to_datetime64(), side="right"))
        return self.signals.iloc[lo:hi].reset_index(drop=True)


def evaluate_session(cfg: AppConfig, store: Store, as_of: dt.date, data: ReplayData | None = None) -> Evaluation:
    """Evaluate the configured rules on ``as_of`` against the stored alert state (no writes).

    ``data`` (a replay's) replaces the per-session reads of signals, data dates and events.
    """
    prior = {fp: AlertState.from_record(rec) for fp, rec in store.read_alert_state().items()}
    ev = evaluate(
        checked_rules(cfg),
        data.signals_for(as_of) if data is not None else _signals_for(store, as_of),
        prior,
        as_of,
        silences=cfg.silences,
        last_data=data.last_data(as_of) if data is not None else last_data_dates(store, as_of, _derived_symbols(cfg)),
        max_stale_sessions=cfg.alerting.max_stale_sessions,
        inhibit_lower_severity=cfg.alerting.inhibit_lower_severity,
    )
    from aimonitor.loopdata import add_contagion

    # info alerts on the graph neighbours of critical names
    return add_contagion(cfg, store, ev, data.events if data is not None else None)


@dataclass
class CycleResult:
    """What one monitoring cycle did (``run --once --json``)."""

    as_of: dt.date
    fetched: FetchReport | None
    signals: int
    transitions: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    delivery: DeliveryReport | None = None
    new_transitions: int = 0

    @property
    def exit_code(self) -> int:
        return self.fetched.exit_code if self.fetched is not None and self.fetched.exit_code == 3 else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "fetched": self.fetched.to_json() if self.fetched else None,
            "signals": self.signals,
            "alerts": self.alerts,
            "transitions": self.transitions,
            "notifications": {
                "written": self.delivery.written if self.delivery else 0,
                "sent": self.delivery.sent if self.delivery else 0,
                "failed": self.delivery.failed if self.delivery else {},
            },
        }


#: The keys of an ALERT document (../shared/CONTRACT.md, plus ``resolution``).
ALERT_KEYS = (
    "id",
    "rule",
    "symbol",
    "severity",
    "state",
    "value",
    "threshold",
    "started",
    "fired",
    "resolved",
    "summary",
    "peak",
    "resolution",
)
_STATE_ORDER = {"pending": 0, "firing": 1, "resolved": 2}


def alert_doc(row: Mapping[str, Any]) -> dict[str, Any]:
    """The ALERT document of a stored alert row or transition payload."""
    return {k: row.get(k) for k in ALERT_KEYS}


def _session_alerts(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ALERT documents of one session's stored transitions (latest state per alert).

    Built from what is stored, not from this run's evaluation, so re-running a session
    reports the same alerts as its first run did (while notifying nobody again).
    """
    best: dict[str, dict[str, Any]] = {}
    for t in stored:
        p = t["payload"]
        if p.get("state", "inactive") not in _STATE_ORDER:
            continue
        cur = best.get(p["id"])
        if cur is None or _STATE_ORDER[p["state"]] >= _STATE_ORDER[cur["state"]]:
            best[p["id"]] = alert_doc(p)
    return sorted(best.values(), key=lambda a: (a["rule"], a["symbol"] or "", a["id"]))


def run_cycle(
    cfg: AppConfig,
    store: Store,
    source: Source | None,
    as_of: dt.date,
    *,
    channels: Sequence[Any] = (),
    alerts_dir: str | Path | None = None,
    kind: str = "cycle",
    progress: Callable[[str], None] | None = None,
    rebuild_from: dt.date | None = None,
) -> CycleResult:
    """One monitoring cycle for session ``as_of`` (see the module docstring).

    The whole cycle holds the database's writer lock (a second cycle or fetch waits up to
    ``[storage].lock_wait_seconds``, then stops with one line). Alert state only moves
    forward: an ``as_of`` before the last evaluated session is refused unless
    ``rebuild_from`` (on or before ``as_of``) is given, in which case the alert state is
    put back to what it was before ``rebuild_from`` and every session from there to
    ``as_of`` is evaluated again (notifications already sent are not sent again).
    """
    as_of = calendar.session_on_or_before(as_of)
    with store.writer_lock(kind, cfg.storage.lock_wait_seconds):
        store.abort_stale_runs()
        start: dt.date | None = None
        if rebuild_from is not None:
            start = calendar.session_on_or_after(rebuild_from)
            if start > as_of:
                raise ClockError(f"--rebuild-from {rebuild_from} is after the session to run, {as_of}")
        else:
            _check_forward(store, as_of)
        return _recorded(
            store, kind, as_of, lambda: _cycle(cfg, store, source, as_of, channels, alerts_dir, progress, start)
        )


def replay_cycles(
    cfg: AppConfig,
    store: Store,
    source: Source | None,
    days: Sequence[dt.date],
    *,
    channels: Sequence[Any] = (),
    alerts_dir: str | Path | None = None,
    kind: str = "replay",
    progress: Callable[..., None] | None = None,
) -> list[CycleResult]:
    """The monitoring cycle of each of ``days`` (increasing sessions) in turn, with one fetch
    and one signal derivation for all of them.

    Stores, writes to the alerts folder and sends what :func:`run_cycle` on each session
    in turn does, provided the source delivers on the last session, for every earlier one,
    what it delivered on that session (true of the snapshot, which never revises a row):
    the derivation is point in time (see :func:`update_signals`), each session is evaluated
    on the signals up to it, and its staleness on the data dated on or before it
    (:class:`DataDates`). One run is recorded per session, as :func:`run_cycle` does; the
    first one also fetches and derives. ``progress(label, done=None, total=None)`` is called per
    phase and per session.
    """
    days = sorted({calendar.session_on_or_before(d) for d in days})
    if not days:
        return []
    tick: Callable[..., None] = progress or (lambda *_a, **_k: None)
    results: list[CycleResult] = []
    with store.writer_lock(kind, cfg.storage.lock_wait_seconds):
        store.abort_stale_runs()
        _check_forward(store, days[0])
        fetched: FetchReport | None = None
        data: ReplayData | None = None
        counts: dict[dt.date, int] = {}

        def step(i: int, day: dt.date) -> CycleResult:
            nonlocal fetched, data, counts
            if data is None:  # the first session: fetch and derive for all of them
                tick(f"fetching through {days[-1]}")
                fetched = _fetch_for_cycle(cfg, store, source, days[-1], None)
                tick(f"deriving the signals through {days[-1]}")
                counts = _derive_for_replay(cfg, store, days)
                data = ReplayData(cfg, store, days[0])
            tick(f"replaying {day}", i, len(days))
            return _session_step(
                cfg,
                store,
                day,
                channels,
                alerts_dir,
                fetched=fetched,
                n_signals=counts.get(day, 0),
                data=data,
            )

        for i, day in enumerate(days, 1):
            results.append(_recorded(store, kind, day, functools.partial(step, i, day)))
    return results


def _check_forward(store: Store, as_of: dt.date) -> None:
    """Alert state only moves forward: refuse a session before the last evaluated one."""
    last = store.last_evaluated_session()
    if last is not None and as_of.isoformat() < last:
        raise ClockError(
            f"{store.path}: session {as_of} is before the last evaluated session {last}; alert state only "
            f"moves forward (pass --rebuild-from {as_of} to replay the alerts from there)"
        )


def _recorded(store: Store, kind: str, as_of: dt.date, work: Callable[[], CycleResult]) -> CycleResult:
    """Run one cycle's ``work`` recorded in the runs table (ok, partial, error or aborted)."""
    run_id = store.start_run(kind, as_of.isoformat())
    try:
        res = work()
    except AimonitorError as exc:
        store.finish_run(run_id, "error", {"error": str(exc)})
        raise
    except Exception as exc:
        store.finish_run(run_id, "error", {"error": f"{type(exc).__name__}: {exc}"})
        raise
    except BaseException:
        store.finish_run(run_id, "aborted", {"error": "interrupted"})
        raise
    status = "partial" if res.exit_code == 3 else "ok"
    detail: dict[str, Any] = {
        "signals": res.signals,
        "transitions": len(res.transitions),
        "new_transitions": res.new_transitions,
    }
    if res.delivery is not None and res.delivery.failed:
        detail["delivery_failed"] = res.delivery.failed
    store.finish_run(run_id, status, detail)
    return res


def _fetch_for_cycle(
    cfg: AppConfig,
    store: Store,
    source: Source | None,
    as_of: dt.date,
    progress: Callable[[str], None] | None,
) -> FetchReport | None:
    """Fetch up to ``as_of``; a revised bar in the re-fetch window forgets that window's signals."""
    if source is None:
        return None
    fetched = run_fetch(cfg, store, source, as_of=as_of, progress=progress)
    if any(r.rows_updated for r in fetched.symbols.values()):
        # a revised bar in the re-fetch window: derive that window's signals again
        redo = calendar.session_offset(as_of, -cfg.source.refetch_sessions)
        log.info("revised bars: signals from %s are derived again", redo)
        store.delete_signals_from(redo)
    return fetched


def _cycle(
    cfg: AppConfig,
    store: Store,
    source: Source | None,
    as_of: dt.date,
    channels: Sequence[Any],
    alerts_dir: str | Path | None,
    progress: Callable[[str], None] | None,
    rebuild_start: dt.date | None,
) -> CycleResult:
    fetched = _fetch_for_cycle(cfg, store, source, as_of, progress)
    added = 0
    if rebuild_start is not None:
        undone = store.rewind_alerts(rebuild_start.isoformat())
        log.warning(
            "rebuilding alert state from %s: %d transitions and %d signal rows forgotten",
            rebuild_start,
            undone["transitions"],
            undone["signals"],
        )
        update_signals(cfg, store, as_of)
        ids = [c.id for c in channels]
        for day in calendar.sessions(rebuild_start, as_of)[:-1]:
            added += _persist(cfg, store, evaluate_session(cfg, store, day), ids)
    n_signals = update_signals(cfg, store, as_of)
    return _session_step(cfg, store, as_of, channels, alerts_dir, fetched=fetched, n_signals=n_signals, added=added)


def _session_step(
    cfg: AppConfig,
    store: Store,
    as_of: dt.date,
    channels: Sequence[Any],
    alerts_dir: str | Path | None,
    *,
    fetched: FetchReport | None,
    n_signals: int,
    added: int = 0,
    data: ReplayData | None = None,
) -> CycleResult:
    """Steps 3-5 of a cycle on derived signals: evaluate ``as_of``, persist, deliver."""
    ids = [c.id for c in channels]
    ev = evaluate_session(cfg, store, as_of, data)
    added += _persist(cfg, store, ev, ids)
    added += _resolve_pipeline_alerts(store, as_of, ids)
    folder = Path(alerts_dir or cfg.notify.alerts_dir)
    sink = FileSink(folder)
    delivery = deliver(store, sink, list(channels), prefix=cfg.notify.title_prefix)
    stored = _session_transitions(store, as_of)
    if FILE_CHANNEL not in delivery.failed:
        try:
            sink.write_digest(as_of.isoformat(), [t for t in stored if t["notify"]])
        except OSError as exc:
            delivery.failed[FILE_CHANNEL] = f"{type(exc).__name__}: {exc.filename}: {exc.strerror}"
            log.error("alerts folder %s: cannot write the digest (%s)", folder, exc.strerror)
    if FILE_CHANNEL in delivery.failed:
        # the alerts folder is broken: say so, loudly, through every other channel
        record_pipeline_error(
            cfg,
            store,
            as_of,
            f"alerts folder {folder} is not writable ({delivery.failed[FILE_CHANNEL]}); "
            "alerts are kept in the database and written when it is fixed",
            alerts_dir=folder,
            channels=channels,
            component=SINK_COMPONENT,
        )
    else:
        n = _resolve_pipeline_alerts(store, as_of, ids, component=SINK_COMPONENT)
        if n:
            added += n
            more = deliver(store, sink, list(channels), prefix=cfg.notify.title_prefix)
            delivery.written += more.written
            delivery.sent += more.sent
    return CycleResult(
        as_of,
        fetched,
        n_signals,
        transitions=[t.to_json() for t in ev.transitions],
        alerts=_session_alerts(stored),
        delivery=delivery,
        new_transitions=added,
    )


def _session_transitions(store: Store, as_of: dt.date) -> list[dict[str, Any]]:
    """The stored transitions of session ``as_of`` (of this run and of earlier runs of it)."""
    sid = as_of.isoformat()
    return [t for t in store.read_transitions() if t["session"] == sid]


#: What a ``pipeline`` alert is about: a failed cycle (``*``) or the alerts folder.
CYCLE_COMPONENT = "*"
SINK_COMPONENT = "alerts_dir"


def _resolve_pipeline_alerts(
    store: Store, as_of: dt.date, channels: Sequence[str], component: str = CYCLE_COMPONENT
) -> int:
    """A successful cycle resolves the firing ``pipeline`` alerts of earlier failed cycles
    (``component`` ``*``); a working alerts folder resolves those of a broken one."""
    sid = as_of.isoformat()
    fp = f"{PIPELINE_RULE}:{component}"
    firing = [
        a
        for a in store.read_alerts("firing")
        if a["rule"] == PIPELINE_RULE and a["started"] <= sid and a["fingerprint"] == fp
    ]
    if not firing:
        return 0
    alerts, transitions = [], []
    for a in firing:
        doc = {**a, "state": "resolved", "resolved": sid}
        alerts.append(doc)
        payload = {k: v for k, v in doc.items() if k != "fingerprint"}
        transitions.append(
            {
                "alert_id": a["id"],
                "session": sid,
                "to_state": "resolved",
                "from_state": "firing",
                "value": a["value"],
                "notify": True,
                "payload": payload,
            }
        )
    return store.write_alert_cycle({}, sid, alerts, transitions, [FILE_CHANNEL, *channels])


def record_pipeline_error(
    cfg: AppConfig,
    store: Store,
    session: dt.date,
    message: str,
    alerts_dir: str | Path | None = None,
    channels: Sequence[Any] = (),
    component: str = CYCLE_COMPONENT,
) -> None:
    """Turn a failed cycle (or a broken alerts folder, ``component="alerts_dir"``) into a
    critical ``pipeline`` alert, written to alerts/ and notified through every channel."""
    sid = session.isoformat()
    alert = {
        "id": f"{PIPELINE_RULE}:{component}:{sid}",
        "fingerprint": f"{PIPELINE_RULE}:{component}",
        "rule": PIPELINE_RULE,
        "symbol": None,
        "severity": "critical",
        "state": "firing",
        "value": 1.0,
        "threshold": 0.0,
        "started": sid,
        "fired": sid,
        "resolved": None,
        "summary": f"monitoring cycle failed: {message}" if component == CYCLE_COMPONENT else message,
    }
    payload = {k: v for k, v in alert.items() if k != "fingerprint"}
    with store.writer_lock("pipeline-alert", cfg.storage.lock_wait_seconds):
        ongoing = component != CYCLE_COMPONENT and any(
            a["fingerprint"] == alert["fingerprint"] for a in store.read_alerts("firing")
        )
        if ongoing:  # the alerts folder is still broken: one episode, not one alert per cycle
            return
        store.write_alert_cycle(
            {},
            sid,
            [alert],
            [
                {
                    "alert_id": alert["id"],
                    "session": sid,
                    "to_state": "firing",
                    "from_state": "inactive",
                    "value": 1.0,
                    "notify": True,
                    "payload": payload,
                }
            ],
            [FILE_CHANNEL, *[c.id for c in channels]],
        )
        sink = None if component == SINK_COMPONENT else FileSink(Path(alerts_dir or cfg.notify.alerts_dir))
        deliver(store, sink, list(channels), prefix=cfg.notify.title_prefix)


def sessions_missed(store: Store, last_completed: dt.date) -> list[dt.date]:
    """Every session after the last successful monitoring cycle, up to ``last_completed``."""
    run = store.last_monitoring_session()
    if run is None:
        return [last_completed]
    return calendar.sessions(calendar.next_session(run), last_completed)


def _backtest_inputs(cfg: AppConfig, store: Store, start: dt.date, end: dt.date) -> tuple[pd.DataFrame, list[dt.date]]:
    last = max(calendar.to_date(r[1]) for r in stored_bar_ranges(store).values())
    end = min(end, last)
    if start > end:
        raise InsufficientData(f"--from {start} is after the last stored session {end}")
    update_signals(cfg, store, end)
    lookback = calendar.session_offset(calendar.session_on_or_after(start), -30)
    return store.read_signals(start=lookback, end=end), calendar.sessions(start, end)


def run_backtest(
    cfg: AppConfig,
    store: Store,
    start: dt.date,
    end: dt.date,
    overrides: Sequence[str] = (),
    *,
    progress: Callable[[int, int], None] | None = None,
) -> BacktestResult:
    """Replay the rules over stored history (signals are derived first if missing); nothing is sent."""
    from aimonitor.rules.backtest import backtest  # the replay machinery: only for a backtest

    history, days = _backtest_inputs(cfg, store, start, end)
    return backtest(
        checked_rules(cfg),
        history,
        days,
        silences=cfg.silences,
        overrides=overrides,
        max_stale_sessions=cfg.alerting.max_stale_sessions,
        inhibit_lower_severity=cfg.alerting.inhibit_lower_severity,
        progress=progress,
    )


def run_backtest_comparison(
    cfg: AppConfig,
    store: Store,
    start: dt.date,
    end: dt.date,
    *,
    overrides: Sequence[str] = (),
    other: AppConfig | None = None,
    marks: Sequence[dt.date] = (),
    calm: Sequence[tuple[dt.date, dt.date]] = (),
    progress: Callable[[int, int], None] | None = None,
) -> BacktestComparison:
    """Replay the configured rules as they are (baseline) and as tried: with ``overrides``
    applied, or the rules of ``other`` (another config file) with its overrides applied."""
    from aimonitor.rules.backtest import compare  # the replay machinery: only for a backtest

    history, days = _backtest_inputs(cfg, store, start, end)
    known = set(signal_names())
    base_rules = checked_rules(cfg)
    other_rules = None
    changes = list(overrides)
    if other is not None:
        check_signals(other.rules, known, other.source_path)
        other_rules = apply_overrides(other.rules, overrides, signals=known) if overrides else list(other.rules)
        changes = [f"{other.source_path} instead of {cfg.source_path}", *overrides]
    else:
        apply_overrides(base_rules, overrides, signals=known)  # names an unknown signal before replaying
    return compare(
        base_rules,
        history,
        days,
        overrides=overrides,
        other_rules=other_rules,
        changes=changes,
        marks=marks,
        calm=calm,
        silences=cfg.silences,
        other_silences=other.silences if other is not None else None,
        progress=progress,
        max_stale_sessions=cfg.alerting.max_stale_sessions,
        inhibit_lower_severity=cfg.alerting.inhibit_lower_severity,
    )


_UNIT_OF = {"fraction": "%", "fraction/yr": "%/yr", "bp": "bp", "z": "z", "sessions": "sessions"}


def rule_units(cfg: AppConfig) -> dict[str, str]:
    """Rule name -> display unit of its signal (``%``, ``bp``, ``z``, ...; ``""`` when plain)."""
    units = {n: _UNIT_OF.get(u, "") for n, u, _doc in signal_catalog()}
    return {r.name: units.get(r.signal, "") for r in cfg.rules} | {"nodata": "rules", PIPELINE_RULE: ""}


def read_alert_docs(cfg: AppConfig, store: Store, state: str = "all") -> list[dict[str, Any]]:
    """ALERT documents for ``alerts list``: fired episodes from the alerts table, pending ones
    from the live alert state (a pending episode that was dropped is not listed), each with
    ``unit`` (of its rule's signal) and ``since`` (the session it entered its current state)."""
    live = {fp: AlertState.from_record(rec) for fp, rec in store.read_alert_state().items()}
    pending = {s.id: s for s in live.values() if s.state == "pending"}
    docs: list[dict[str, Any]] = []
    if state in ("all", "firing", "resolved"):
        resolutions = {
            t["alert_id"]: t["payload"].get("resolution")
            for t in store.read_transitions()
            if t["to_state"] == "resolved" and isinstance(t.get("payload"), dict)
        }
        for a in store.read_alerts(state):
            if a["state"] == "pending":  # rows left by older versions
                continue
            doc = alert_doc(a)
            doc["resolution"] = resolutions.get(a["id"]) if a["state"] == "resolved" else None
            docs.append(doc)
    if state in ("all", "pending"):
        docs.extend(s.to_json() for s in pending.values())
    units = rule_units(cfg)
    for d in docs:
        if d["symbol"] == "*":
            d["symbol"] = None
        d["unit"] = units.get(d["rule"], "")
        d["since"] = {"pending": d["started"], "firing": d["fired"], "resolved": d["resolved"]}.get(d["state"])
    return sorted(docs, key=lambda d: (d["started"], d["rule"], d["symbol"] or ""))
