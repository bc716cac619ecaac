"""The event-study engine: settings (:class:`EventStudy`) and the fit pipeline.

``fit`` runs these steps, each a small function below:

1. :func:`_panel` aligns returns, market series (one shared, or one per firm such as a
   rating-bucket spread) and factors on the returns' row index (the session calendar);
2. :func:`_locate` places each firm-event's day 0 on a row (or skips it with a reason);
3. :meth:`EventStudy._exclusions` marks the sessions left out of estimation (other event
   windows, jump days; see :mod:`~aimonitor.analytics.eventstudy.windows`);
4. :meth:`EventStudy._estimation_rows` picks each firm-event's estimation rows;
5. :func:`_gather` builds the ``(N, Le)`` estimation and ``(N, T)`` event-window matrices;
6. :func:`~aimonitor.analytics.eventstudy.fitting.fit_batched` estimates every model at once;
7. :func:`_screen` names the firm-events that cannot be used (gaps, short history,
   degenerate fits);
8. :func:`~aimonitor.analytics.eventstudy.fitting.abnormal_returns` and
   :func:`~aimonitor.analytics.eventstudy.aggregate.aggregate` (pooled and per group).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from aimonitor.analytics.eventstudy import statistics as st
from aimonitor.analytics.eventstudy import windows as win
from aimonitor.analytics.eventstudy.aggregate import Aggregate, AggregateInputs, aggregate
from aimonitor.analytics.eventstudy.fitting import BatchFit, abnormal_returns, fit_batched, n_params
from aimonitor.analytics.eventstudy.inputs import MODELS, RETURN_KINDS, FirmEvent, SkippedEvent, coerce_event
from aimonitor.analytics.eventstudy.result import BHAR_MIN_DAYS, EventStudyResult
from aimonitor.calendar import to_date

log = logging.getLogger(__name__)


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


# --------------------------------------------------------------------------- data preparation


@dataclass(frozen=True)
class _Panel:
    day_ns: np.ndarray  # (rows,) datetime64[D]
    R: np.ndarray  # (rows, symbols)
    col_of: dict[str, int]
    M: np.ndarray  # (rows, symbols): the market series of each symbol's column (NaN if none)
    F: np.ndarray  # (rows, K) factors (K = 0 unless the factor model)
    factor_names: tuple[str, ...]


def _on_index(x: pd.Series | pd.DataFrame, idx: pd.DatetimeIndex) -> Any:
    y = x.copy()
    y.index = pd.DatetimeIndex(pd.to_datetime(y.index)).normalize()
    return y.reindex(idx)


def _panel(returns: pd.DataFrame, market: pd.Series | pd.DataFrame | None, factors: pd.DataFrame | None, model: str):
    idx = pd.DatetimeIndex(pd.to_datetime(returns.index)).normalize()
    if not idx.is_monotonic_increasing or idx.has_duplicates:
        raise ValueError("returns index must be sorted and unique")
    R = returns.to_numpy(dtype=float)
    nrows, nsym = R.shape
    if model in ("market", "market-adjusted"):
        if market is None:
            raise ValueError(f"the {model} model needs market returns")
        if isinstance(market, pd.DataFrame):
            M = _on_index(market, idx).reindex(columns=returns.columns).to_numpy(dtype=float)
        else:
            M = np.repeat(_on_index(market, idx).to_numpy(dtype=float)[:, None], nsym, axis=1)
    else:
        M = np.zeros((nrows, nsym))
    if model == "factor":
        if factors is None or factors.shape[1] == 0:
            raise ValueError("the factor model needs factor returns (e.g. factors=['SPY', 'SMH'])")
        F = _on_index(factors, idx).to_numpy(dtype=float)
        names = tuple(str(c) for c in factors.columns)
    else:
        F, names = np.zeros((nrows, 0)), ()
    col_of = {str(c): j for j, c in enumerate(returns.columns)}
    return _Panel(idx.values.astype("datetime64[D]"), R, col_of, M, F, names)


def _locate(panel: _Panel, evs: list[FirmEvent], A: int, B: int):
    """Day-0 rows of the firm-events that fit in the data; the others skipped with a reason."""
    day_ns, nrows = panel.day_ns, len(panel.day_ns)
    keep: list[FirmEvent] = []
    cols: list[int] = []
    p0: list[int] = []
    skipped: list[SkippedEvent] = []
    d0_all = np.array([np.datetime64(e.day0, "D") for e in evs], dtype="datetime64[D]")
    pos_all = np.searchsorted(day_ns, d0_all)
    hit = pos_all < nrows
    hit[hit] = day_ns[pos_all[hit]] == d0_all[hit]
    for i_ev, ev in enumerate(evs):
        j = panel.col_of.get(ev.symbol)
        pos = int(pos_all[i_ev])
        why = None
        if j is None:
            why = f"no returns for {ev.symbol} in the data"
        elif not hit[i_ev]:
            if nrows and d0_all[i_ev] > day_ns[-1]:
                why = f"day 0 {ev.day0} is after the last session in the data ({day_ns[-1]})"
            elif nrows and d0_all[i_ev] < day_ns[0]:
                why = f"day 0 {ev.day0} is before the first session in the data ({day_ns[0]})"
            else:
                why = f"day 0 {ev.day0} is not a session of the data"
            why += "; pick another event date"
        elif pos + A < 0:
            why = (
                f"the event window starts {-A} sessions before {ev.day0}, before the first "
                f"session in the data ({day_ns[0]}); pick a later event or shorten the window"
            )
        elif pos + B >= nrows:
            why = (
                f"the event window ends {B} sessions after {ev.day0}, after the last session "
                f"in the data ({day_ns[-1]}); pick an earlier event or shorten the window"
            )
        if why:
            skipped.append(SkippedEvent(ev.symbol, ev.event_id, why))
            continue
        keep.append(ev)
        cols.append(int(j))  # type: ignore[arg-type]
        p0.append(pos)
    return keep, np.asarray(cols, dtype=np.int64), np.asarray(p0, dtype=np.int64), skipped


@dataclass(frozen=True)
class _Gathered:
    y: np.ndarray  # (N, Le) dependent variable
    F: np.ndarray  # (N, Le, K) regressors
    yw: np.ndarray  # (N, T)
    Fw: np.ndarray  # (N, T, K)
    Rw: np.ndarray  # (N, T) raw firm returns in the window
    win_ok: np.ndarray  # (N, T) bool


def _take(a: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    out = a[np.clip(rows, 0, None), cols[:, None]] if rows.size else np.empty(rows.shape)
    return np.where(rows >= 0, out, np.nan)


def _gather(panel: _Panel, model: str, rows: np.ndarray, cols: np.ndarray, p: np.ndarray, A: int, B: int) -> _Gathered:
    wrows = p[:, None] + np.arange(A, B + 1)[None, :]

    def regressors(r: np.ndarray) -> np.ndarray:
        if model == "market":
            return _take(panel.M, r, cols)[:, :, None]
        if model == "factor":
            return np.where((r >= 0)[:, :, None], panel.F[np.clip(r, 0, None)], np.nan)
        return np.zeros(r.shape + (0,))

    def dependent(r: np.ndarray) -> np.ndarray:
        y = _take(panel.R, r, cols)
        if model == "market-adjusted":
            y = y - _take(panel.M, r, cols)
        return y

    yw, Fw = dependent(wrows), regressors(wrows)
    win_ok = np.isfinite(yw) & (np.isfinite(Fw).all(axis=2) if Fw.shape[2] else True)
    return _Gathered(dependent(rows), regressors(rows), yw, Fw, _take(panel.R, wrows, cols), win_ok)


@dataclass(frozen=True)
class _Batch:
    """The located firm-events of one fit: ``keep[i]`` is in panel column ``cols[i]`` with day 0 at
    row ``p[i]``; ``rows[i]`` its estimation rows (-1 padded), ``est_hi[i]`` its last nominal one;
    ``excl`` the (row, column) sessions left out of estimation; ``g`` the gathered data; ``fit``
    the batched estimation."""

    panel: _Panel
    keep: list[FirmEvent]
    cols: np.ndarray
    p: np.ndarray
    rows: np.ndarray
    est_hi: np.ndarray
    excl: np.ndarray
    g: _Gathered
    fit: BatchFit


def _screen(b: _Batch, *, A: int, B: int, model: str, explicit: bool, min_estimation: int) -> dict[int, str]:
    """Reasons for the firm-events that cannot be estimated (index -> one plain sentence)."""
    panel, keep, cols, p, rows, est_hi, g, fit = b.panel, b.keep, b.cols, b.p, b.rows, b.est_hi, b.g, b.fit
    day_ns, nrows = panel.day_ns, len(panel.day_ns)
    reasons: dict[int, str] = {}
    overlap = est_hi >= p + A if explicit else np.zeros(len(keep), dtype=bool)
    for i in map(int, np.flatnonzero(overlap)):
        reasons[i] = (
            f"the estimation window (ends {day_ns[min(est_hi[i], nrows - 1)]}) overlaps the event "
            f"window (starts {day_ns[p[i] + A]}); end the estimation window earlier"
        )
    bad_win = ~g.win_ok.all(axis=1)
    for i in map(int, np.flatnonzero(bad_win & ~overlap)):
        sym = keep[i].symbol
        first_ok = np.flatnonzero(np.isfinite(panel.R[:, cols[i]]))
        wstart = p[i] + A
        if first_ok.size == 0:
            reasons[i] = f"no returns for {sym} in the data"
        elif wstart < first_ok[0]:
            reasons[i] = (
                f"no returns for {sym} before {day_ns[first_ok[0]]} (first return); the event "
                f"window starts {day_ns[wstart]}: pick a later event or shorten the window"
            )
        else:
            missing = [str(day_ns[p[i] + d]) for d in range(A, B + 1) if not g.win_ok[i, d - A]]
            firm_ok = bool(np.isfinite(g.Rw[i]).all())
            what = f"{sym} or the market" if firm_ok else sym
            reasons[i] = (
                f"missing return for {what} on {', '.join(missing)} inside the event window "
                f"(a gap in the prices); the firm-event is not estimated"
            )
    short = (fit.n < min_estimation) & ~bad_win & ~overlap
    for i in map(int, np.flatnonzero(short)):
        sym = keep[i].symbol
        used = rows[i][rows[i] >= 0]
        lo = int(used[0]) if used.size else 0
        hi = int(min(max(est_hi[i], 0), nrows - 1))
        first_ok = np.flatnonzero(np.isfinite(panel.R[:, cols[i]]))
        extra = f" ({sym}'s first return is {day_ns[first_ok[0]]})" if first_ok.size and first_ok[0] > lo else ""
        reasons[i] = (
            f"only {int(fit.n[i])} returns in the estimation window {day_ns[lo]}..{day_ns[hi]}{extra}; need "
            f"min_estimation={min_estimation}: lower --min-estimation or pick a later event"
        )
    usable = ~(overlap | bad_win | short)
    what = "market returns are" if model == "market" else "factor returns are constant or collinear"
    for i in map(int, np.flatnonzero(usable & fit.degenerate_factors)):
        reasons[i] = (
            f"{what} constant in the estimation window of {keep[i].symbol} (beta undefined); "
            f"use another market column or model"
            if model == "market"
            else f"{what} in the estimation window of {keep[i].symbol} (betas undefined); use other factors"
        )
    for i in map(int, np.flatnonzero(usable & ~fit.degenerate_factors & fit.degenerate_resid)):
        reasons[i] = (
            f"{keep[i].symbol} has constant returns in the estimation window (zero residual "
            f"variance), so abnormal returns cannot be standardised; the firm-event is skipped"
        )
    return reasons


def _excluded_days(
    day_ns: np.ndarray, excl: np.ndarray, cols: np.ndarray, rows: np.ndarray, est_hi: np.ndarray
) -> list[np.ndarray]:
    """Sessions left out between each firm-event's first estimation row and its last nominal one."""
    none = np.iinfo(np.int64).max
    first = np.where(rows >= 0, rows, none).min(axis=1) if len(cols) else np.empty(0, np.int64)
    first = np.where(first == none, 0, first)
    return [_ro(day_ns[r]) for r in win.excluded_between(excl, cols, first, est_hi)]


# --------------------------------------------------------------------------- settings + fit


@dataclass(frozen=True)
class EventStudy:
    """Settings of an event study; :meth:`fit` runs it.

    Parameters
    ----------
    window : (int, int)
        Event window ``[A, B]`` in sessions relative to day 0 (inclusive).
    model : {"market", "market-adjusted", "constant-mean", "factor"}
    estimation_length : int
        ``L``: clean sessions in the estimation window (when no explicit dates are given).
    gap : int
        ``G``: sessions between the estimation window's end and the event window's start.
    estimation_start, estimation_end : date, optional
        Explicit estimation window (both inclusive); overrides ``L`` and ``G``.
    min_estimation : int
        Minimum number of usable estimation returns; fewer -> the firm-event is skipped.
    returns_kind : {"simple", "log", "bp"}
        Label of the returns given to :meth:`fit` (``bp``: spread changes in basis points).
    clean : bool
        Leave other event windows and jump days out of estimation windows (default on).
    jump_k : float or None
        Jump-day screen in robust standard deviations (None: no jump screen).
    bootstrap : int
        Bootstrap draws for the CAAR interval (0: none); ``seed`` makes it reproducible.
    """

    window: tuple[int, int] = (-1, 1)
    model: str = "market"
    estimation_length: int = 250
    gap: int = 10
    estimation_start: dt.date | None = None
    estimation_end: dt.date | None = None
    min_estimation: int = 60
    returns_kind: str = "simple"
    clean: bool = True
    jump_k: float | None = win.DEFAULT_JUMP_K
    bootstrap: int = 0
    seed: int = 0
    measure: str = "return"

    def __post_init__(self) -> None:
        A, B = (int(self.window[0]), int(self.window[1]))
        object.__setattr__(self, "window", (A, B))
        if A > B:
            raise ValueError(f"event window start must not be after its end; got [{A}, {B}]")
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}; got {self.model!r}")
        if self.returns_kind not in RETURN_KINDS:
            raise ValueError(f"returns must be one of {', '.join(RETURN_KINDS)}; got {self.returns_kind!r}")
        if (self.estimation_start is None) != (self.estimation_end is None):
            raise ValueError("give both estimation_start and estimation_end, or neither")
        if self.estimation_start is not None and self.estimation_end is not None:
            s, e = to_date(self.estimation_start), to_date(self.estimation_end)
            if e < s:
                raise ValueError(f"estimation_end {e} is before estimation_start {s}")
            object.__setattr__(self, "estimation_start", s)
            object.__setattr__(self, "estimation_end", e)
        if self.estimation_length < 1:
            raise ValueError(f"estimation_length must be >= 1; got {self.estimation_length}")
        if self.gap < 0:
            raise ValueError(f"gap must be >= 0; got {self.gap}")
        k = n_params(self.model, 1)
        if self.min_estimation < k + 3:
            raise ValueError(
                f"min_estimation must be >= {k + 3} for the {self.model} model "
                f"(Patell's variance needs n - {k} > 2); got {self.min_estimation}"
            )
        if self.jump_k is not None and not self.jump_k > 0:
            raise ValueError(f"jump_k must be positive (or None); got {self.jump_k}")
        if self.bootstrap < 0:
            raise ValueError(f"bootstrap must be >= 0; got {self.bootstrap}")

    @property
    def estimation_spec(self) -> str:
        if self.estimation_start is not None and self.estimation_end is not None:
            return f"{self.estimation_start.isoformat()}..{self.estimation_end.isoformat()}"
        A = self.window[0]
        first, last = A - self.gap - self.estimation_length, A - self.gap - 1
        return f"L={self.estimation_length}, G={self.gap} (days {first:+d}..{last:+d})"

    @property
    def cleaning(self) -> dict[str, Any]:
        return {
            "other_event_windows": self.clean,
            "jump_k": self.jump_k if self.clean else None,
        }

    # ------------------------------------------------------------------ steps
    def _exclusions(self, panel: _Panel, windows: Iterable[tuple[str, dt.date]], market_given: bool) -> np.ndarray:
        nrows, nsym = panel.R.shape
        if not self.clean:
            return np.zeros((nrows, nsym), dtype=bool)
        A, B = self.window
        pairs = []
        for sym, d0 in windows:
            j = panel.col_of.get(sym)
            pos = int(np.searchsorted(panel.day_ns, np.datetime64(to_date(d0), "D")))
            if j is not None and pos < nrows and panel.day_ns[pos] == np.datetime64(to_date(d0), "D"):
                pairs.append((j, pos))
        excl = win.window_mask(nrows, nsym, pairs, min(A, -1), max(B, 1))
        if self.jump_k is not None:
            M = panel.M if market_given else None
            if self.model == "factor":
                M = np.repeat(panel.F[:, :1], nsym, axis=1)
            excl |= win.compute_jump_days(panel.R, M, self.jump_k)
        return excl

    def _estimation_rows(
        self, panel: _Panel, excl: np.ndarray, cols: np.ndarray, p: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(rows (N, Le), est_hi (N,))``: estimation rows (``-1`` = none) and the last nominal row."""
        A = self.window[0]
        if self.estimation_start is not None and self.estimation_end is not None:
            day_ns = panel.day_ns
            lo = int(np.searchsorted(day_ns, np.datetime64(self.estimation_start, "D"), side="left"))
            hi = int(np.searchsorted(day_ns, np.datetime64(self.estimation_end, "D"), side="right")) - 1
            return win.explicit_rows(excl, cols, lo, hi), np.full(len(cols), hi, dtype=np.int64)
        est_hi = p + A - self.gap - 1
        return win.rolling_rows(excl, cols, est_hi, self.estimation_length), est_hi

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        returns: pd.DataFrame,
        market: pd.Series | pd.DataFrame | None,
        events: Iterable[Any],
        *,
        factors: pd.DataFrame | None = None,
        exclude_windows: Iterable[tuple[str, Any]] | None = None,
    ) -> EventStudyResult:
        """Estimate every firm-event and aggregate.

        Parameters
        ----------
        returns : DataFrame
            Wide returns (fractions, or bp changes), index = sessions (sorted, unique).
        market : Series, DataFrame or None
            Market returns on the same index; a DataFrame gives each firm column its own
            market series (same column names). Needed by the market and market-adjusted models.
        events : iterable
            :class:`FirmEvent`, tuples ``(symbol, event_id, event_date, day0)`` or mappings.
        factors : DataFrame, optional
            Factor returns for the factor model (one column per factor).
        exclude_windows : iterable of (symbol, day0), optional
            Event windows to leave out of estimation windows (default: the firm-events'
            own); only with ``clean``.
        """
        A, B = self.window
        model = self.model
        panel = _panel(returns, market, factors, model)
        K = panel.F.shape[1] if model == "factor" else (1 if model == "market" else 0)
        k = n_params(model, K)
        if self.min_estimation < k + 3:
            raise ValueError(f"min_estimation must be >= {k + 3} for {K} factors; got {self.min_estimation}")
        evs = [coerce_event(e) for e in events]
        keep, cols, p, skipped = _locate(panel, evs, A, B)
        ex_windows = [(e.symbol, e.day0) for e in evs] if exclude_windows is None else list(exclude_windows)
        excl = self._exclusions(panel, ex_windows, market is not None)
        rows, est_hi = self._estimation_rows(panel, excl, cols, p)
        g = _gather(panel, model, rows, cols, p, A, B)
        batch = _Batch(panel, keep, cols, p, rows, est_hi, excl, g, fit_batched(g.y, g.F, model))
        reasons = _screen(
            batch,
            A=A,
            B=B,
            model=model,
            explicit=self.estimation_start is not None,
            min_estimation=self.min_estimation,
        )
        skipped += [SkippedEvent(keep[i].symbol, keep[i].event_id, reasons[i]) for i in sorted(reasons)]
        sel = np.array([i not in reasons for i in range(len(keep))], dtype=bool)
        return self._result(batch, sel, skipped, k)

    def _result(self, b: _Batch, sel: np.ndarray, skipped: list[SkippedEvent], k: int) -> EventStudyResult:
        """The result over the firm-events selected by ``sel`` (the others are in ``skipped``)."""
        A, B = self.window
        T = B - A + 1
        idx = np.flatnonzero(sel)
        ev_ok = [b.keep[i] for i in idx]
        fit_s = BatchFit(*(getattr(b.fit, f)[idx] for f in b.fit.__dataclass_fields__))
        ab = abnormal_returns(fit_s, b.g.yw[idx], b.g.Fw[idx], self.model)
        N = len(idx)
        df = (fit_s.n - k).astype(float)
        car = ab.car_path[:, -1] if N else np.empty(0)
        car_se = ab.car_path_se[:, -1] if N else np.empty(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            car_t = car / car_se
        car_p = 2.0 * stats.t.sf(np.abs(car_t), df) if N else np.empty(0)
        bhar = self._bhar(b.g.Rw[idx], ab.ar) if T >= BHAR_MIN_DAYS else None
        rows_s, p_s = b.rows[idx], b.p[idx]
        blocks = st.residual_blocks(rows_s, fit_s.est_ar - fit_s.centre[:, None], p_s)
        pairs = st.overlapping_pair_correlations(blocks, T - 1)
        inputs = AggregateInputs(
            ab.ar, ab.sar, car, car_se, ab.car_path, ab.car_path_se, df, fit_s.est_ar, k, blocks, pairs, bhar
        )
        labels = [e.group for e in ev_ok]
        pooled, per_group = self._aggregates(inputs, labels)
        day_ns = b.panel.day_ns
        excluded = _excluded_days(day_ns, b.excl, b.cols[idx], rows_s, b.est_hi[idx])
        wrows = p_s[:, None] + np.arange(A, B + 1)[None, :]
        beta = (
            fit_s.beta[:, 0]
            if fit_s.beta.shape[1]
            else (np.ones(N) if self.model == "market-adjusted" else np.full(N, np.nan))
        )
        return EventStudyResult(
            model=self.model,
            returns_kind=self.returns_kind,
            window=(A, B),
            symbols=tuple(e.symbol for e in ev_ok),
            event_ids=tuple(e.event_id for e in ev_ok),
            event_dates=tuple(e.event_date for e in ev_ok),
            day0s=tuple(e.day0 for e in ev_ok),
            dates=_ro(day_ns[wrows] if N else np.empty((0, T), dtype="datetime64[D]")),
            n_estimation=_ro(fit_s.n.astype(np.int64)),
            alpha=_ro(fit_s.alpha),
            beta=_ro(beta),
            sigma=_ro(np.sqrt(fit_s.s2)),
            ar=_ro(ab.ar),
            sar=_ro(ab.sar),
            car_path=_ro(ab.car_path),
            car_path_se=_ro(ab.car_path_se),
            car=_ro(car),
            car_se=_ro(car_se),
            car_t=_ro(car_t),
            car_p=_ro(car_p),
            skipped=tuple(skipped),
            aggregate=pooled,
            estimation_spec=self.estimation_spec,
            all_event_ids=tuple(e.event_ids for e in ev_ok),
            confounded_by=tuple(e.confounded_by for e in ev_ok),
            excluded_days=tuple(excluded),
            groups=tuple(labels),
            group_aggregates=per_group,
            betas=_ro(fit_s.beta) if self.model == "factor" else None,
            factor_names=b.panel.factor_names,
            bhar=_ro(bhar) if bhar is not None else None,
            measure=self.measure,
            cleaning=self.cleaning,
        )

    def _aggregates(self, inputs: AggregateInputs, labels: list[str | None]) -> tuple[Aggregate, dict[str, Aggregate]]:
        """The pooled aggregate (naming the groups it mixes) and one per group label."""
        names = list(dict.fromkeys(lb for lb in labels if lb is not None))
        counts = {name: labels.count(name) for name in names}
        pooled = aggregate(inputs, bootstrap=self.bootstrap, seed=self.seed, groups=counts)
        per_group = {
            name: aggregate(
                inputs, np.array([lb == name for lb in labels], dtype=bool), bootstrap=self.bootstrap, seed=self.seed
            )
            for name in names
        }
        return pooled, per_group

    def _bhar(self, Rw: np.ndarray, ar: np.ndarray) -> np.ndarray | None:
        """Buy-and-hold abnormal return: compounded firm return minus compounded normal return."""
        if self.returns_kind == "bp":
            return None
        normal = Rw - ar
        if self.returns_kind == "log":
            return np.exp(Rw.sum(axis=1)) - np.exp(normal.sum(axis=1))
        return np.prod(1.0 + Rw, axis=1) - np.prod(1.0 + normal, axis=1)


def compute_event_study(
    returns: pd.DataFrame,
    market: pd.Series | pd.DataFrame | None,
    events: Iterable[Any],
    *,
    window: Sequence[int] = (-1, 1),
    model: str = "market",
    estimation_length: int = 250,
    gap: int = 10,
    estimation_start: dt.date | str | None = None,
    estimation_end: dt.date | str | None = None,
    min_estimation: int = 60,
    returns_kind: str = "simple",
    clean: bool = True,
    jump_k: float | None = win.DEFAULT_JUMP_K,
    bootstrap: int = 0,
    seed: int = 0,
    factors: pd.DataFrame | None = None,
    exclude_windows: Iterable[tuple[str, Any]] | None = None,
) -> EventStudyResult:
    """Functional form of ``EventStudy(...).fit(returns, market, events)``.

    See :class:`EventStudy` for the parameters and the package docstring for the method.
    """
    es = EventStudy(
        window=(int(window[0]), int(window[1])),
        model=model,
        estimation_length=estimation_length,
        gap=gap,
        estimation_start=None if estimation_start is None else to_date(estimation_start),
        estimation_end=None if estimation_end is None else to_date(estimation_end),
        min_estimation=min_estimation,
        returns_kind=returns_kind,
        clean=clean,
        jump_k=jump_k,
        bootstrap=bootstrap,
        seed=seed,
    )
    return es.fit(returns, market, events, factors=factors, exclude_windows=exclude_windows)
