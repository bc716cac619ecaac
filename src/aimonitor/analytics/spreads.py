"""Credit-spread widening tracking: equity-implied CDS proxies beside market spreads.

Pure pandas/numpy (no I/O, no clock). The inputs are the frames the pipeline reads from
the store; ``as_of`` is always passed in. Layout: :mod:`aimonitor.analytics.balance_sheet`
(point-in-time debt and shares, debt between filings), :mod:`aimonitor.analytics.benchmarks`
(FRED OAS and ETF proxies), this module (parameters, one name's proxy, the panel, the
widening statistics) and :mod:`aimonitor.analytics.spread_report` (the ``spreads`` report).

Point in time
-------------
Every daily value at session ``t`` uses only what was known at ``t``'s close: filings by
``filed_date``, debt raises from their announcement session until the next filing includes
them, trailing closes, and FRED observations **from the session after their date**
(``fred_lag_sessions = 1``: the daemon runs at 17:30 New York time, before day ``t``'s OAS
and Treasury yields are published, so the backtest and the replay see FRED exactly as the
live cycle does).

Models and choices (evidence and the declared selection protocol: ``bench/spreads_validation.py``)
----------------------------------------------------------------------------------------------
* Proxy: CreditGrades 5-year par spread, ``L̄ = 0.5`` and ``λ = 0.3`` (technical document
  defaults, not tuned), CDS recovery ``0.4``, ``r`` = DGS5 (semi-annual bond-equivalent yield
  converted to continuous compounding).
* Equity volatility: the estimator, window and IPO-month exclusion selected by the protocol
  declared in ``bench/spreads_validation.py`` before any candidate was scored (see
  :class:`CreditParams` for the defaults it selected).
* Short histories are pooled only with peers of their own **risk class**
  (``risk_classes``: ORCL/AMD/NVDA investment grade, CRWV high yield). With no same-class
  peer that has a full window (the default watchlist has no other neocloud) a short listing
  uses its own volatility; it is never pooled with investment-grade mega caps by default.
* Debt ``D`` = total financial debt of the last filing + debt raises announced since
  (:func:`aimonitor.analytics.balance_sheet.compute_debt_bridge`); operating leases
  (``debt_includes_leases``) and unconfirmed / off-balance-sheet financings
  (``debt_include_unconfirmed``) are documented switches, off by default.
* Calibration to CDS quotes is bounded: ``L̄`` stays at its economic value (allowed range
  0.3-0.9) and a **volatility scale** ``k`` in ``vol_scale_bounds`` is fitted (least squares
  in log spread, newer quotes weighted more); the fit residual is reported. The whole
  series of a panel is expressed under the calibration in force on the panel's last
  session, so a 20-session change never contains a recalibration step and a quote import
  alone cannot fire a widening alert.
* Band: ``spread_bp_low/high`` = min/max of the proxy over the parameter box
  ``band_vol_scale × band_lbar × band_lambda`` (documented ranges; the point estimate is
  inside by construction).
* Merton and the naive (Bharath–Shumway) distance to default are diagnostics; they use the
  KMV default point ``F = current debt + ½ long-term debt`` over one year.
* Market cap = unadjusted ``close × shares``.

Cost
----
:func:`compute_spread_panel` runs each step once for all names (issue #14): one
volatility call for the peers and one per listing group, one bisection for every
session's implied OAS volatility, one CreditGrades evaluation per parameter set, one
Merton solve; the balance sheet is a binary search of each company's filing dates. The
cost grows linearly with names × sessions; the numbers are those of modelling each name
on its own (``tests/test_credit_speed_equivalence.py`` compares them with the old path,
``bench/credit_panel_speed.py`` times both). The implied OAS volatility (50 halvings, as
before) is the largest remaining part.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from aimonitor.analytics import credit
from aimonitor.analytics.balance_sheet import (
    asof_positions,
    balance_sheet_arrays,
    bridge_arrays,
    compute_balance_sheet_pit,
    debt_raise_events,
    filing_arrays,
    filing_arrays_by_symbol,
    fundamentals_of,
    to_ns,
)
from aimonitor.analytics.benchmarks import (
    ETF_DURATIONS,
    ETF_METHOD,
    ETF_PAIRS,
    OAS_SERIES,
    _wide,
    compute_benchmarks,
    compute_etf_spread_proxy,
)
from aimonitor.errors import AimonitorError, DataError, InsufficientData

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_BUCKETS",
    "DEFAULT_SYMBOLS",
    "ETF_DURATIONS",
    "ETF_METHOD",
    "ETF_PAIRS",
    "OAS_SERIES",
    "TERM_TENORS",
    "CreditParams",
    "SpreadPanel",
    "calibrate_vol_scale",
    "compute_balance_sheet_pit",
    "compute_band",
    "compute_benchmarks",
    "compute_etf_spread_proxy",
    "compute_name_proxy",
    "compute_spread_panel",
    "compute_term_structure",
    "compute_widening",
    "lag_to_sessions",
]

#: Rating bucket of each name (FRED ICE BofA OAS series). ORCL is rated BBB/Baa2;
#: CoreWeave's issuer ratings are BB-/Ba3 (high yield); AMD (A/A2) and NVDA (AA-/Aa3)
#: sit in the investment-grade aggregate, whose average rating is about A-.
DEFAULT_BUCKETS: dict[str, str] = {
    "ORCL": "BAMLC0A4CBBB",
    "CRWV": "BAMLH0A0HYM2",
    "AMD": "BAMLC0A0CM",
    "NVDA": "BAMLC0A0CM",
}
DEFAULT_SYMBOLS = ("ORCL", "CRWV", "AMD", "NVDA")
#: Tenors (years) of the term structure in the report (CONTRACT.md: at least 1, 3, 5, 7, 10).
TERM_TENORS = (1.0, 3.0, 5.0, 7.0, 10.0)
#: Economic range of the mean global recovery L̄ (a barrier above 90% of face value, or
#: below 30%, is outside what recovery studies support; CreditGrades uses 0.5).
LBAR_RANGE = (0.3, 0.9)


@dataclass(frozen=True)
class CreditParams:
    """Parameters of the proxy (names match ``[credit]`` in the config where they exist).

    Attributes
    ----------
    global_recovery : float
        CreditGrades mean global recovery ``L̄`` (0.5; must lie in :data:`LBAR_RANGE`).
    barrier_uncertainty : float
        CreditGrades ``λ`` (0.3).
    cds_recovery : float
        Recovery ``R`` of the CDS (0.4, ISDA standard senior unsecured).
    tenor_years : float
        CDS tenor (5).
    vol_method, vol_window, vol_halflife, min_vol_observations, vol_estimator, vol_jump_threshold
        Equity-volatility estimator (:func:`aimonitor.analytics.credit.compute_equity_vol`),
        defaults selected by the declared protocol of ``bench/spreads_validation.py``.
    rate_series : str
        Risk-free series (bp, bond-equivalent yield).
    fred_lag_sessions : int
        A FRED observation dated ``t`` is used from the ``fred_lag_sessions``-th session
        after ``t`` (1: the next session; 0: the same day, a look-ahead for a 17:30 run).
    calibrate : bool
        Fit the volatility scale to CDS quotes when a name has any.
    calibration_lookback_days, calibration_halflife_days
        Calendar days of quotes used in a fit, and the weight half-life of older quotes.
    vol_scale_bounds : (float, float)
        Range of the calibrated volatility scale ``k`` (σ used = ``k · σ_equity``).
    change_window, z_window, z_min_obs : int
        Sessions of the short change and of the trailing z-score.
    vol_prior : {"peers", "peers_or_oas", "none"}
        ``"peers"`` pools a name with fewer than ``vol_window`` returns with the
        root-mean variance of its same-risk-class peers that have a full window.
        ``"peers_or_oas"``: where no such peer exists, the prior is the volatility that
        makes the name's own CreditGrades spread equal its rating bucket's FRED OAS on
        that session (the risk class's market spread, e.g. high yield for CRWV;
        :func:`implied_equity_vol`).
    vol_prior_symbols : tuple of str
        Candidate peers (the watchlist by default).
    risk_classes : tuple of (symbol, class)
        Risk class of each name; peers must share it. A name without a class has no peers.
    listing_exclude_sessions : int
        Returns ignored after a listing (the IPO aftermarket month).
    oas_prior_weight : float
        Weight of the rating-bucket-implied variance (:func:`implied_equity_vol` of the
        bucket OAS) pooled into every name's variance: ``σ² = (1-w) σ_own² + w σ_OAS²``
        (shrinkage of the name toward its rating class; 0 = equity volatility only).
    debt_includes_leases : bool
        Add operating lease liabilities (last filed) to ``D``.
    debt_include_unconfirmed : bool
        Also bridge debt raises whose facts are unconfirmed (mostly off-balance-sheet
        project financings such as loans to developers of sites leased to the company).
    band_vol_scale, band_lbar, band_lambda : (float, float)
        Parameter box of the uncertainty band (selected by the declared protocol).
    """

    global_recovery: float = 0.5
    barrier_uncertainty: float = 0.3
    cds_recovery: float = 0.4
    tenor_years: float = 5.0
    vol_method: str = "blend"
    vol_estimator: str = "downside"
    vol_jump_threshold: float = 4.0
    vol_window: int = 250
    vol_halflife: float = 30.0
    min_vol_observations: int = 60
    rate_series: str = "DGS5"
    fred_lag_sessions: int = 1
    calibrate: bool = True
    calibration_lookback_days: int = 365
    calibration_halflife_days: float = 30.0
    vol_scale_bounds: tuple[float, float] = (0.5, 3.0)
    change_window: int = 20
    z_window: int = 252
    z_min_obs: int = 60
    vol_prior: str = "peers_or_oas"
    vol_prior_symbols: tuple[str, ...] = ("ORCL", "CRWV", "AMD", "NVDA")
    risk_classes: tuple[tuple[str, str], ...] = (("ORCL", "ig"), ("AMD", "ig"), ("NVDA", "ig"), ("CRWV", "hy"))
    listing_exclude_sessions: int = 21
    oas_prior_weight: float = 0.5
    debt_includes_leases: bool = False
    debt_include_unconfirmed: bool = False
    band_vol_scale: tuple[float, float] = (0.9, 1.1)
    band_lbar: tuple[float, float] = (0.5, 0.5)
    band_lambda: tuple[float, float] = (0.3, 0.3)

    def __post_init__(self) -> None:
        lo, hi = LBAR_RANGE
        if not lo <= self.global_recovery <= hi:
            raise ValueError(f"global_recovery {self.global_recovery} outside the economic range {lo}..{hi}")
        if self.vol_prior not in ("peers", "peers_or_oas", "none"):
            raise ValueError(f"unknown vol_prior {self.vol_prior!r}; use 'peers', 'peers_or_oas' or 'none'")
        if self.vol_estimator not in credit.VOL_ESTIMATORS:
            raise ValueError(
                f"unknown vol_estimator {self.vol_estimator!r}; use one of "
                f"{', '.join(repr(e) for e in credit.VOL_ESTIMATORS)}"
            )
        if self.fred_lag_sessions < 0:
            raise ValueError("fred_lag_sessions must be >= 0")
        lo, hi = self.vol_scale_bounds
        if not 0 < lo <= hi:
            raise ValueError(f"vol_scale_bounds {self.vol_scale_bounds} must be two positive numbers, low <= high")

    def replace(self, **kw: Any) -> CreditParams:
        return dataclasses.replace(self, **kw)

    def risk_class(self, symbol: str) -> str | None:
        return dict(self.risk_classes).get(symbol)

    def cg_kwargs(self) -> dict[str, float]:
        return {"tenor": self.tenor_years, "lam": self.barrier_uncertainty, "recovery": self.cds_recovery}


# ---------------------------------------------------------------------------- inputs


def lag_to_sessions(frame: pd.DataFrame, sessions: pd.DatetimeIndex, lag: int) -> pd.DataFrame:
    """Re-date observations to the session from which they are usable.

    Parameters
    ----------
    frame : DataFrame
        Observations (date index), e.g. FRED series.
    sessions : DatetimeIndex
        Sorted exchange sessions.
    lag : int
        0: usable on the observation's own date; ``n >= 1``: from the ``n``-th session
        strictly after it (an observation on a non-session day counts from the session
        before it, as if published that evening).

    Returns
    -------
    DataFrame
        Indexed by usable session (the last observation wins when several map to one
        session); observations not yet usable within ``sessions`` are dropped.
    """
    if lag == 0 or frame.empty or len(sessions) == 0:
        return frame
    pos = sessions.searchsorted(frame.index, side="right") - 1 + lag
    keep = pos < len(sessions)
    out = frame[keep].copy()
    out.index = sessions[np.maximum(pos[keep], 0)]
    out = out[pos[keep] >= 0]
    idx = out.index
    if not idx.is_monotonic_increasing or not all(t.kind == "f" for t in out.dtypes):
        return out.groupby(level=0).last()
    if idx.is_unique:  # one row per session: the groupby returns it as is
        return out
    # groupby(level=0).last() of sorted float rows: each column's last non-NaN value per session
    vals = out.to_numpy(dtype=float)
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    row = np.where(np.isnan(vals), -1, np.arange(len(vals))[:, None])
    last = np.maximum.reduceat(row, starts, axis=0)
    res = np.where(last >= 0, vals[np.maximum(last, 0), np.arange(vals.shape[1])], np.nan)
    return pd.DataFrame(res, index=idx[starts], columns=out.columns)


def _asof_series(s: pd.Series, dates_ns: np.ndarray) -> np.ndarray:
    """Values of ``s`` (date index) as of each date: the last observation on or before it."""
    s = s[s.index.notna()]
    keys = to_ns(s.index)
    order = np.argsort(keys, kind="stable")
    pos = asof_positions(keys[order], dates_ns)
    vals = s.to_numpy(dtype=float)[order]
    return np.where(pos >= 0, vals[np.maximum(pos, 0)] if len(vals) else np.nan, np.nan)


def _rate_cc_values(rates: pd.DataFrame, series: str, dates: pd.DatetimeIndex) -> np.ndarray:
    """Continuously compounded rate (fraction) from a FRED bond-equivalent yield in bp."""
    if series not in rates.columns:
        raise InsufficientData(f"risk-free series {series} not found in the rates; fetch FRED {series} first")
    y = _asof_series(rates[series].dropna().astype(float), to_ns(dates)) / 1e4
    return 2.0 * np.log1p(y / 2.0)


def _tenor_years(q: pd.DataFrame, tenor: float) -> pd.Series:
    """Each quote's tenor in years: its ``tenor_years``, else its ``tenor`` ("5Y"), else ``tenor``."""
    if "tenor_years" in q.columns:
        return pd.to_numeric(q["tenor_years"], errors="coerce")
    if "tenor" in q.columns:
        return pd.to_numeric(q["tenor"].astype(str).str.upper().str.rstrip("Y"), errors="coerce")
    return pd.Series(tenor, index=q.index)


def _quotes_of(quotes: pd.DataFrame | None, symbol: str, tenor: float) -> pd.DataFrame:
    """One name's quotes in the model tenor (``tenor_years`` column, else ``tenor`` like "5Y")."""
    if quotes is None or len(quotes) == 0:
        return pd.DataFrame(columns=["date", "spread_bp", "source"])
    q = quotes.copy()
    ent = "entity" if "entity" in q.columns else "symbol"
    q = q[q[ent].astype(str).str.upper() == symbol]
    q = q[np.isclose(_tenor_years(q, tenor).astype(float), tenor)]
    q = q.assign(date=pd.to_datetime(q["date"]), spread_bp=pd.to_numeric(q["spread_bp"], errors="coerce"))
    return q.dropna(subset=["spread_bp"]).sort_values("date")[
        ["date", "spread_bp", *(["source"] if "source" in q else [])]
    ]


def _quotes_by_symbol(
    quotes: pd.DataFrame | None, symbols: Sequence[str], tenor: float
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """:func:`_quotes_of` of each symbol as (dates, spreads) arrays, the quote frame read once.

    The dates keep their datetime64 unit and the rows their order (sorted by date as
    ``sort_values`` sorts them: the same quicksort of the non-missing dates, NaT last).
    """
    if quotes is None or len(quotes) == 0:
        return {}
    q = quotes
    ent = "entity" if "entity" in q.columns else "symbol"
    key = q[ent].astype(str).str.upper().to_numpy()
    want = np.isin(key, list(symbols))
    if not want.any():
        return {}
    q, key = q[want], key[want]
    keep = np.isclose(_tenor_years(q, tenor).to_numpy(dtype=float), tenor)
    try:
        dates = pd.to_datetime(q["date"][keep]).to_numpy()
    except (ValueError, TypeError) as exc:
        raise DataError(f"CDS quotes: unreadable date ({exc}); fix the quote file and import it again") from exc
    spread = pd.to_numeric(q["spread_bp"][keep], errors="coerce").to_numpy(dtype=float)
    key = key[keep]
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for s in dict.fromkeys(key[~np.isnan(spread)]):
        rows = np.flatnonzero((key == s) & ~np.isnan(spread))
        d = dates[rows]
        nat = np.isnat(d)
        order = np.concatenate(
            [np.flatnonzero(~nat)[d[~nat].view("i8").argsort(kind="quicksort")], np.flatnonzero(nat)]
        )
        out[str(s)] = (d[order], spread[rows][order])
    return out


# ---------------------------------------------------------------------------- calibration


def calibrate_vol_scale(
    price: object,
    sigma_s: object,
    dps: object,
    r: object,
    quotes_bp: object,
    params: CreditParams = CreditParams(),
    weights: object = None,
) -> tuple[float, float]:
    """Fit a volatility scale ``k`` (σ used = ``k σ_S``) to CDS quotes, ``L̄`` held fixed.

    Parameters
    ----------
    price, sigma_s, dps, r : array_like
        Model inputs on each quote's date.
    quotes_bp : array_like
        Quoted par spreads (bp).
    params : CreditParams
        ``L̄``, ``λ``, recovery, tenor and ``vol_scale_bounds``.
    weights : array_like, optional
        Weight of each quote (default equal).

    Returns
    -------
    (float, float)
        ``k`` within ``vol_scale_bounds`` and the weighted RMS log residual of the fit
        (NaN, NaN if no quote has valid inputs). A ``k`` at a bound means the bounded
        model cannot reach the quotes; the residual says by how much.
    """
    p, s, d, rr, q = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (price, sigma_s, dps, r, quotes_bp))
    wt = np.ones_like(q) if weights is None else np.broadcast_to(np.asarray(weights, dtype=float), q.shape)
    ok = np.isfinite(p + s + d + rr + q) & (q > 0)
    if not ok.any():
        return math.nan, math.nan
    p, s, d, rr, lq, wt = p[ok], s[ok], d[ok], rr[ok], np.log(q[ok]), wt[ok]

    spread_at = credit.creditgrades_spread_of_vol(p, d, rr, lbar=params.global_recovery, **params.cg_kwargs())

    def loss(k: float) -> float:
        m = spread_at(k * s)
        return float(np.sum(wt * (np.log(np.maximum(m, 1e-6)) - lq) ** 2))

    lo, hi = params.vol_scale_bounds
    grid = np.linspace(lo, hi, 26)
    # the grid in one evaluation: row i is loss(grid[i])'s sum, element for element
    m_grid = spread_at(grid[:, None] * s)
    vals = list(np.sum(wt * (np.log(np.maximum(m_grid, 1e-6)) - lq) ** 2, axis=1).astype(float))
    i = int(np.argmin(vals))
    from scipy import optimize  # ~0.3 s to import: only when a calibration runs

    res = optimize.minimize_scalar(
        loss, bounds=(grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]), method="bounded"
    )
    k = float(res.x) if res.fun <= vals[i] else float(grid[i])
    return k, math.sqrt(loss(k) / float(np.sum(wt)))


def _calibrate_arrays(
    quotes: tuple[np.ndarray, np.ndarray],
    dates: pd.DatetimeIndex,
    inputs: Mapping[str, np.ndarray],
    params: CreditParams,
    symbol: str,
) -> tuple[float, float, pd.Timestamp | None, list[str]]:
    """The calibration in force on the last of ``dates`` (k, residual, quote date, warnings).

    ``quotes`` are one name's (dates, spreads) sorted by date; ``inputs`` its model inputs
    ``px, vol, dps, r`` on ``dates``.
    """
    qdates, qspread = quotes
    d_ns = to_ns(dates)
    q_ns = to_ns(qdates)
    inside = (q_ns >= d_ns[0]) & (q_ns <= d_ns[-1]) & ~np.isnat(qdates)
    if not inside.any():
        return math.nan, math.nan, None, []
    qdates, qspread, q_ns = qdates[inside], qspread[inside], q_ns[inside]
    qd = pd.Timestamp(qdates[-1])
    lookback = pd.Timedelta(days=params.calibration_lookback_days)
    win = q_ns > (qd - lookback).as_unit("ns").value
    wd_ns = q_ns[win]
    pos = asof_positions(d_ns, wd_ns)
    x = {c: np.where(pos >= 0, v[np.maximum(pos, 0)], np.nan) for c, v in inputs.items()}
    win_spread = qspread[win]
    wd = pd.DatetimeIndex(qdates[win])
    age = (qd - wd).days.to_numpy().astype(float)
    k, resid = calibrate_vol_scale(
        x["px"],
        x["vol"],
        x["dps"],
        x["r"],
        win_spread,
        params,
        weights=0.5 ** (age / params.calibration_halflife_days),
    )
    warns = []
    lo, hi = params.vol_scale_bounds
    if math.isfinite(k) and not (lo * 1.001 < k < hi * 0.999):
        warns.append(
            f"{symbol}: calibrated volatility scale {k:.3g} on {qd.date()} is at its bound ({lo:g}..{hi:g}); "
            f"the model misses the quotes by {resid:.0%} (RMS log)"
        )
    return k, resid, qd if math.isfinite(k) else None, warns


#: Implied volatilities already solved, per parameter set: (price, dps, r, target) bytes → σ.
#: The pipeline models the same history again on every cycle and calibration segment (the
#: window moves by a session), so most sessions' bisections are the previous call's. A
#: pure function of its inputs, so a remembered value is the value the bisection returns.
_IMPLIED_MEMO: dict[tuple[float, ...], dict[bytes, float]] = {}
#: Entries kept per parameter set (about 100 bytes each); a call with more elements than
#: this is solved without the memo.
IMPLIED_MEMO_SIZE = 100_000


def implied_equity_vol(
    price: object,
    dps: object,
    r: object,
    spread_bp: object,
    params: CreditParams,
    *,
    bounds: tuple[float, float] = (0.02, 4.0),
) -> np.ndarray:
    """Equity volatility at which CreditGrades reproduces a given spread (bisection).

    Parameters
    ----------
    price, dps, r : array_like
        Share price, debt per share and continuously compounded rate.
    spread_bp : array_like
        Target spread (bp), e.g. the rating bucket's OAS.
    params : CreditParams
        ``L̄``, ``λ``, recovery and tenor.
    bounds : (float, float)
        Search interval; targets outside the model's reach return the nearer bound.

    Returns
    -------
    numpy.ndarray
        σ with ``creditgrades_spread(price, σ, dps, r) = spread_bp`` (the spread increases
        with σ; 50 halvings of ``bounds``, :func:`aimonitor.analytics.credit.creditgrades_implied_vol`);
        NaN where an input is missing. Elements solved by an earlier call with the same
        inputs and parameters are taken from :data:`_IMPLIED_MEMO` (the same numbers).
    """
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (price, dps, r, spread_bp)))
    shape = arrays[0].shape
    flat = np.ascontiguousarray(np.stack([x.reshape(-1) for x in arrays], axis=1))

    def solve(rows: np.ndarray) -> np.ndarray:
        return credit.creditgrades_implied_vol(
            rows[:, 0],
            rows[:, 1],
            rows[:, 2],
            rows[:, 3],
            tenor=params.tenor_years,
            lbar=params.global_recovery,
            lam=params.barrier_uncertainty,
            recovery=params.cds_recovery,
            bounds=bounds,
        )

    if len(flat) > IMPLIED_MEMO_SIZE:
        return solve(flat).reshape(shape)
    memo = _IMPLIED_MEMO.setdefault(
        (params.tenor_years, params.global_recovery, params.barrier_uncertainty, params.cds_recovery, *bounds), {}
    )
    keys = [row.tobytes() for row in flat]
    out = np.array([memo.get(k, math.nan) for k in keys])
    todo = np.array([k not in memo for k in keys], dtype=bool)
    if todo.any():
        solved = solve(flat[todo])
        out[todo] = solved
        if len(memo) + len(solved) > IMPLIED_MEMO_SIZE:
            memo.clear()
        memo.update(zip((k for k, t in zip(keys, todo) if t), solved.tolist()))
    return out.reshape(shape)


# ---------------------------------------------------------------------------- band, term structure


def compute_band(
    price: object, sigma_s: object, dps: object, r: object, params: CreditParams, *, vol_scale: object = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest proxy over the documented parameter box (bp).

    Parameters
    ----------
    price, sigma_s, dps, r : array_like
        Model inputs (``sigma_s`` before any calibrated scale).
    params : CreditParams
        ``band_vol_scale``, ``band_lbar``, ``band_lambda`` and the point parameters.
    vol_scale : float or array_like, default 1.0
        Calibrated volatility scale applied before the band's own scale.

    Returns
    -------
    (ndarray, ndarray)
        Element-wise min and max over the corners of the box and the point estimate
        itself (so ``low <= spread <= high``). CreditGrades is monotone in each of σ, L̄
        and λ, so the corners bound the box.
    """
    return _band(price, np.asarray(sigma_s, dtype=float) * vol_scale, dps, r, params)


def _band(
    price: object, sig: np.ndarray, dps: object, r: object, params: CreditParams, point: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`compute_band` of the scaled volatility ``sig``; ``point`` is the spread at the
    point parameters when already computed (the same numbers the point corner gives)."""
    point_corner = (1.0, params.global_recovery, params.barrier_uncertainty)
    corners = [point_corner]
    for a in params.band_vol_scale:
        for b in params.band_lbar:
            for c in params.band_lambda:
                if (a, b, c) not in corners:  # a repeated corner cannot move the min or the max
                    corners.append((a, b, c))
    vals = np.stack(
        [
            point
            if point is not None and (a, b, c) == point_corner
            else credit.creditgrades_spread(
                price, sig * a, dps, r, tenor=params.tenor_years, lbar=b, lam=c, recovery=params.cds_recovery
            )
            for a, b, c in corners
        ]
    )
    nan = np.isnan(vals)
    low = np.where(nan, np.inf, vals).min(axis=0)
    high = np.where(nan, -np.inf, vals).max(axis=0)
    return np.where(np.isfinite(low), low, np.nan), np.where(np.isfinite(high), high, np.nan)


def compute_term_structure(
    price: float,
    sigma_s: float,
    dps: float,
    r: float,
    params: CreditParams,
    *,
    vol_scale: float = 1.0,
    tenors: Sequence[float] = TERM_TENORS,
) -> list[dict[str, float]]:
    """CreditGrades par spreads, cumulative default probabilities and hazard rates by tenor.

    Parameters
    ----------
    price, sigma_s, dps, r : float
        Model inputs on one date.
    params : CreditParams
    vol_scale : float, default 1.0
        Calibrated volatility scale.
    tenors : sequence of float
        Years, increasing.

    Returns
    -------
    list of dict
        ``tenor_years, spread_bp, default_prob`` (``1 - P(T)``, CreditGrades survival,
        non-decreasing in ``T``) and ``hazard_rate`` (the constant annual hazard between
        the previous tenor, or 0, and this one: ``-ln(P(T_i)/P(T_{i-1})) / (T_i - T_{i-1})``,
        with ``P(0)`` the survival just after the barrier-uncertainty jump).
    """
    sig = sigma_s * vol_scale
    lb, lam = params.global_recovery, params.barrier_uncertainty
    out = []
    prev_t = 0.0
    prev_p = float(credit.creditgrades_survival(price, sig, dps, 0.0, lbar=lb, lam=lam))
    best = 0.0
    for t in tenors:
        p = float(credit.creditgrades_survival(price, sig, dps, t, lbar=lb, lam=lam))
        s = float(
            credit.creditgrades_spread(price, sig, dps, r, tenor=t, lbar=lb, lam=lam, recovery=params.cds_recovery)
        )
        dp = max(1.0 - p, best)  # guards rounding only: P(t) is non-increasing in t
        best = dp
        h = -math.log(max(p, 1e-300) / max(prev_p, 1e-300)) / (t - prev_t) if prev_p > 0 else math.nan
        out.append({"tenor_years": float(t), "spread_bp": s, "default_prob": dp, "hazard_rate": max(h, 0.0)})
        prev_t, prev_p = t, p
    return out


# ---------------------------------------------------------------------------- one name, many names

#: Columns of :func:`compute_name_proxy` (and of ``SpreadPanel.names`` after ``date, symbol``).
NAME_COLUMNS = (
    "close",
    "equity_vol",
    "equity_vol_own",
    "vol_prior_weight",
    "total_debt",
    "debt_bridged",
    "debt_bridge_events",
    "operating_leases",
    "debt_cg",
    "default_point",
    "shares",
    "shares_kind",
    "market_cap",
    "debt_per_share",
    "rate",
    "spread_uncal_bp",
    "vol_scale",
    "fit_residual",
    "calibrated_on",
    "spread_bp",
    "spread_bp_low",
    "spread_bp_high",
    "method",
    "lbar",
    "dd_merton",
    "pd1y_merton",
    "dd_naive",
    "pd1y_naive",
    "debt_filed",
)
_STR_COLUMNS = ("debt_bridge_events", "shares_kind", "method")
_NO_FILINGS = pd.DataFrame(columns=["symbol", "period_end", "filed_date"])
_NO_EVENTS = debt_raise_events(None)
#: pandas' dtype of a column of text (``str`` with pandas 3, ``object`` before).
_STR_DTYPE = pd.Series(["x"]).dtype


@dataclass
class _Name:
    """One name's inputs on its own sessions (those with a close) and, as they are computed,
    its daily columns (``cols``) and warnings."""

    symbol: str
    dates: pd.DatetimeIndex
    px: np.ndarray
    r: np.ndarray
    prior: np.ndarray | None  # same-class peer volatility on ``dates`` (None: no peer prior)
    oas: np.ndarray | None  # rating-bucket OAS (bp) on ``dates`` (None: no bucket series)
    new_listing: bool
    warns: list[str] = dataclasses.field(default_factory=list)
    cols: dict[str, Any] = dataclasses.field(default_factory=dict)


def _check_closes(n: _Name) -> None:
    if len(n.px) == 0:
        raise InsufficientData(f"{n.symbol}: no closes; fetch its prices first")
    bad = n.px <= 0
    if bad.any():
        raise DataError(
            f"{n.symbol}: close <= 0 on {n.dates[bad][0].date()}: equity value must be positive; fix the price data"
        )


def _name_debt(n: _Name, filings: Mapping[str, np.ndarray], events: pd.DataFrame, params: CreditParams) -> None:
    """Point-in-time balance sheet plus the debt bridged between filings (into ``n.cols``)."""
    bs, warns = balance_sheet_arrays(filings, n.symbol, n.dates)
    total, shares = bs["total_debt"], bs["shares"]
    if np.isnan(total).all():
        raise InsufficientData(
            f"{n.symbol}: no filing with debt on or before {n.dates[-1].date()}; "
            f"add total_debt (or short+long-term debt) to the fundamentals"
        )
    if np.isnan(shares).all():
        raise InsufficientData(
            f"{n.symbol}: no share count filed on or before {n.dates[-1].date()}; "
            f"add shares_outstanding or weighted_avg_basic_shares to the fundamentals"
        )
    if (shares <= 0).any():
        raise DataError(f"{n.symbol}: share count <= 0 in the fundamentals: equity value must be positive")
    if (total <= 0).any():
        zero = n.dates[total <= 0]
        warns.append(f"{n.symbol}: debt is zero from {zero[0].date()}: no default barrier, proxy is blank there")
    bridged, ids = bridge_arrays(
        events, n.dates, to_ns(bs["debt_period"]), include_unconfirmed=params.debt_include_unconfirmed
    )
    leases = bs["operating_leases"] if params.debt_includes_leases else 0.0
    n.cols.update(
        total_debt=total,
        debt_bridged=bridged,
        debt_bridge_events=ids,
        operating_leases=bs["operating_leases"],
        debt_cg=total + bridged + leases,
        # the default point of the diagnostics: a new bond or loan is long-term debt
        default_point=bs["default_point"] + 0.5 * bridged,
        shares=shares,
        shares_kind=bs["shares_kind"],
        debt_filed=bs["debt_filed"],
    )
    n.cols["debt_per_share"] = n.cols["debt_cg"] / shares
    n.warns += warns


def _vol_array(prices: np.ndarray, params: CreditParams, *, min_obs: int, skip: int = 0) -> np.ndarray:
    """:func:`aimonitor.analytics.credit.compute_equity_vol` of a (sessions × names) array."""
    kw: dict[str, Any] = {
        "method": params.vol_method,
        "window": params.vol_window,
        "halflife": params.vol_halflife,
        "min_obs": min_obs,
        "skip_first": skip,
    }
    if params.vol_estimator in ("truncated", "truncated_up"):
        est: Any = params.vol_estimator
        vol = credit.compute_equity_vol(
            pd.DataFrame(prices), estimator=est, jump_threshold=params.vol_jump_threshold, **kw
        )
        return vol.to_numpy()
    return credit.equity_vol_matrix(prices, estimator=params.vol_estimator, **kw)


def _own_vols(names: Sequence[_Name], params: CreditParams, skip: int) -> list[np.ndarray]:
    """Each name's own equity volatility on its sessions, in one call for all of them.

    The closes are stacked right-aligned (NaN above a shorter history): the rolling window,
    the EWMA and the counts of :func:`aimonitor.analytics.credit.compute_equity_vol` work
    column by column and a leading NaN changes none of them, so every column equals that
    function applied to the name's own close series.
    """
    if not names:
        return []
    rows = max(len(n.px) for n in names)
    mat = np.full((rows, len(names)), np.nan)
    for j, n in enumerate(names):
        mat[rows - len(n.px) :, j] = n.px
    vol = _vol_array(mat, params, min_obs=params.min_vol_observations, skip=skip)
    return [vol[rows - len(n.px) :, j] for j, n in enumerate(names)]


def _return_count(px: np.ndarray, window: int, skip: int) -> np.ndarray:
    """:func:`aimonitor.analytics.credit.compute_return_count` of a gap-free close array."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.concatenate([[False], ~np.isnan(np.diff(np.log(px)))]) if len(px) else np.zeros(0, dtype=bool)
    return np.clip(np.cumsum(ok) - skip, 0, window).astype(float)


def _name_volatility(n: _Name, vol_own: np.ndarray, params: CreditParams) -> None:
    """Own volatility, pooled volatility and prior weight of one name (see module notes)."""
    symbol = n.symbol
    skip = params.listing_exclude_sessions if n.new_listing else 0
    if np.isnan(vol_own).all():
        raise InsufficientData(
            f"{symbol}: only {len(n.px)} closes; the equity volatility needs "
            f"{params.min_vol_observations + 1}"
            f"{f' (the first {skip} returns after the listing are left out)' if skip else ''}; "
            f"wait for more sessions"
        )
    n_obs = _return_count(n.px, params.vol_window, skip)
    prior_w = np.zeros(len(n.px))
    vol = vol_own
    if n.prior is not None and params.vol_prior != "none":
        pr = n.prior
        own_ok = ~np.isnan(vol_own)
        vol = np.where(own_ok, credit.shrink_vol_to_prior(vol_own, n_obs, pr, params.vol_window), np.nan)
        prior_w = np.where(~np.isnan(pr) & own_ok, np.maximum(1.0 - n_obs / params.vol_window, 0.0), 0.0)
        used = np.flatnonzero(prior_w > 0)
        if used.size:
            last = used[-1]
            n.warns.append(
                f"{symbol}: fewer than {params.vol_window} returns: equity volatility pooled with its "
                f"{params.risk_class(symbol)} peers ({pr[last]:.0%} on {n.dates[last].date()}, weight "
                f"{prior_w[last]:.0%}) from {n.dates[used[0]].date()} to {n.dates[last].date()}"
            )
    if not np.isnan(vol[-1]) and n_obs[-1] < params.vol_window and prior_w[-1] == 0:
        n.warns.append(
            f"{symbol}: short history ({int(n_obs[-1])} returns) and no "
            f"{params.risk_class(symbol) or 'same-class'} peer with {params.vol_window}: own volatility used"
        )
    n.cols.update(equity_vol=vol, equity_vol_own=vol_own, vol_prior_weight=prior_w)


def _stack(names: Sequence[_Name], *cols: str) -> list[np.ndarray]:
    return [np.concatenate([np.broadcast_to(n.cols[c], len(n.px)) for n in names]) for c in cols]


def _split(values: np.ndarray, names: Sequence[_Name]) -> list[np.ndarray]:
    return np.split(values, np.cumsum([len(n.px) for n in names])[:-1]) if names else []


def _model_names(
    names: Sequence[_Name],
    fund: Mapping[str, Mapping[str, np.ndarray]],
    events: Mapping[str, pd.DataFrame],
    quotes: Mapping[str, tuple[np.ndarray, np.ndarray]],
    params: CreditParams,
    proxy_only: bool = False,
) -> tuple[list[_Name], dict[str, AimonitorError]]:
    """The daily proxy of every name, vectorised across names (each step one call for all).

    Returns the modelled names (``cols`` filled, in the given order) and, for the others, the
    reason (the first check a name fails, in the order :func:`compute_name_proxy` checks).
    ``proxy_only``: the band and the distances to default are not computed (NaN).
    """
    failed: dict[str, AimonitorError] = {}
    ok: list[_Name] = []
    for n in names:
        try:
            _check_closes(n)
            n.cols["close"] = n.px
            filings = fund.get(n.symbol)
            if filings is None:
                filings = filing_arrays(fundamentals_of(_NO_FILINGS, n.symbol))
            _name_debt(n, filings, events.get(n.symbol, _NO_EVENTS), params)
        except (InsufficientData, DataError) as exc:
            failed[n.symbol] = exc
            continue
        n.cols["rate"] = n.r
        ok.append(n)
    skip = params.listing_exclude_sessions
    vols: dict[str, np.ndarray] = {}
    for group in ([n for n in ok if not n.new_listing], [n for n in ok if n.new_listing]):
        g_skip = skip if group and group[0].new_listing else 0
        vols.update({n.symbol: v for n, v in zip(group, _own_vols(group, params, g_skip))})
    # the rating bucket's implied volatility: the prior of a name without a peer, and the
    # variance every name is shrunk toward (one bisection for all names). Only the sessions
    # with an own volatility use it (the pooled and shrunk volatilities are NaN elsewhere).
    has_oas = [n for n in ok if n.oas is not None]
    want_prior = params.vol_prior == "peers_or_oas"
    need = [
        n
        for n in has_oas
        if params.oas_prior_weight > 0 or (want_prior and (n.prior is None or np.isnan(n.prior).all()))
    ]
    s_oas: dict[str, np.ndarray] = {}
    if need:
        px, dps, r = _stack(need, "close", "debt_per_share", "rate")
        oas = np.concatenate([np.where(np.isnan(vols[n.symbol]), np.nan, n.oas) for n in need if n.oas is not None])
        s_oas = {n.symbol: v for n, v in zip(need, _split(implied_equity_vol(px, dps, r, oas, params), need))}
    for n in has_oas:
        if want_prior and (n.prior is None or np.isnan(n.prior).all()):
            n.prior = s_oas[n.symbol]
            n.warns.append(
                f"{n.symbol}: no {params.risk_class(n.symbol) or 'same-class'} peer with a full window: the prior "
                f"volatility is implied by its bucket OAS"
            )
    modelled: list[_Name] = []
    for n in ok:
        try:
            _name_volatility(n, vols[n.symbol], params)
        except InsufficientData as exc:
            failed[n.symbol] = exc
            continue
        if params.oas_prior_weight > 0 and n.symbol in s_oas:
            so = s_oas[n.symbol]
            wo = params.oas_prior_weight
            vol = n.cols["equity_vol"]
            n.cols["equity_vol"] = np.where(np.isnan(so), vol, np.sqrt((1.0 - wo) * vol**2 + wo * so**2))
        n.cols["market_cap"] = n.px * n.cols["shares"]  # unadjusted close × share count (module notes)
        modelled.append(n)
    if not modelled:
        return [], failed
    lb = params.global_recovery
    px, vol, dps, r = _stack(modelled, "close", "equity_vol", "debt_per_share", "rate")
    uncal = credit.creditgrades_spread(px, vol, dps, r, lbar=lb, **params.cg_kwargs())
    for n, u in zip(modelled, _split(uncal, modelled)):
        n.cols.update(spread_uncal_bp=u, vol_scale=1.0, fit_residual=math.nan, calibrated_on=None)
        q = quotes.get(n.symbol)
        if params.calibrate and q is not None:
            inputs = {"px": n.px, "vol": n.cols["equity_vol"], "dps": n.cols["debt_per_share"], "r": n.r}
            k_fit, resid_fit, on, w = _calibrate_arrays(q, n.dates, inputs, params, n.symbol)
            n.warns += w
            if on is not None:
                n.cols.update(vol_scale=k_fit, fit_residual=resid_fit, calibrated_on=on)
    (k,) = _stack(modelled, "vol_scale")
    cal = np.concatenate([np.full(len(n.px), n.cols["calibrated_on"] is not None) for n in modelled])
    spread = uncal.copy()
    if cal.any():
        spread[cal] = credit.creditgrades_spread(
            px[cal], k[cal] * vol[cal], dps[cal], r[cal], lbar=lb, **params.cg_kwargs()
        )
    lag = credit.TRADING_DAYS
    drifts = []
    for n in modelled:
        past = np.full(len(n.px), np.nan)
        past[lag:] = n.px[lag:] / n.px[:-lag] - 1.0
        if np.isnan(past).all() and not np.isnan(n.cols["equity_vol"]).all():
            n.warns.append(f"{n.symbol}: less than a year of closes: the naive DD uses the risk-free rate as drift")
        drifts.append(np.where(np.isnan(past), n.r, past))
    if proxy_only:
        low = high = dd_m = pd_m = dd_n = pd_n = np.full(len(spread), np.nan)
    else:
        low, high = _band(px, vol * k, dps, r, params, point=spread)
        mcap, dp = _stack(modelled, "market_cap", "default_point")
        dd_m, pd_m = credit.merton_distance_to_default(mcap, vol, dp, r, 1.0)
        dd_n, pd_n = credit.naive_distance_to_default(mcap, vol, dp, np.concatenate(drifts), 1.0)
    parts = {
        "spread_bp": spread,
        "spread_bp_low": low,
        "spread_bp_high": high,
        "dd_merton": dd_m,
        "pd1y_merton": pd_m,
        "dd_naive": dd_n,
        "pd1y_naive": pd_n,
    }
    for c, values in parts.items():
        for n, v in zip(modelled, _split(values, modelled)):
            n.cols[c] = v
    for n in modelled:
        cal_on = n.cols["calibrated_on"]
        n.cols.update(
            method="creditgrades" if cal_on is None else "creditgrades_calibrated",
            lbar=lb,
            calibrated_on=cal_on if cal_on is not None else pd.NaT,
        )
    return modelled, failed


def _name_frame(n: _Name) -> pd.DataFrame:
    """One modelled name's daily frame (index ``date``), as :func:`compute_name_proxy` returns it."""
    data: dict[str, Any] = {}
    for c in NAME_COLUMNS:
        v = n.cols[c]
        data[c] = pd.Series(v, index=n.dates, dtype=_STR_DTYPE) if c in _STR_COLUMNS and np.ndim(v) else v
    out = pd.DataFrame(data, index=n.dates)
    out.index.name = "date"
    return out


def _long_frame(names: Sequence[_Name], columns: Sequence[str] = NAME_COLUMNS) -> pd.DataFrame:
    """The modelled names' ``columns`` stacked (``date, symbol`` first), as concatenating every
    :func:`_name_frame` with its ``symbol`` gives it, built in one step."""
    lengths = np.array([len(n.px) for n in names])
    data: dict[str, Any] = {
        "date": np.concatenate([n.dates.to_numpy() for n in names]),
        "symbol": pd.array(np.repeat(np.array([n.symbol for n in names], dtype=object), lengths), dtype=_STR_DTYPE),
    }
    for c in columns:
        vals = [n.cols[c] for n in names]
        if all(np.ndim(v) == 1 for v in vals):
            col = np.concatenate(vals)
        elif c == "calibrated_on":  # NaT or the quote date: the finest unit of the names' columns
            stamps = [np.datetime64("NaT", "ns") if v is pd.NaT else pd.Timestamp(v).to_datetime64() for v in vals]
            col = np.repeat(np.array(stamps, dtype=np.result_type(*stamps)), lengths)
        else:  # one value per name, repeated over its sessions
            col = np.repeat(np.array(vals, dtype=object if c in _STR_COLUMNS else float), lengths)
        data[c] = pd.array(col, dtype=_STR_DTYPE) if c in _STR_COLUMNS else col
    return pd.DataFrame(data)


def compute_name_proxy(
    close: pd.Series,
    fundamentals: pd.DataFrame,
    rate_cc: pd.Series,
    symbol: str,
    quotes: pd.DataFrame | None = None,
    params: CreditParams = CreditParams(),
    *,
    vol_prior: pd.Series | None = None,
    new_listing: bool = False,
    events: pd.DataFrame | None = None,
    bucket_oas: pd.Series | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Daily CreditGrades proxy with its band, Merton and naive DD of one company.

    Parameters
    ----------
    close : Series
        Unadjusted daily closes on sessions (NaN before listing is fine).
    fundamentals : DataFrame
        Fundamentals (any symbols).
    rate_cc : Series
        Continuously compounded risk-free rate on the same index (fraction), already lagged.
    symbol : str
        The company.
    quotes : DataFrame, optional
        CDS quotes (``entity``/``symbol``, ``date``, ``tenor``/``tenor_years``, ``spread_bp``).
    params : CreditParams
    vol_prior : Series, optional
        Same-risk-class peer volatility (pooled while the name's history is short).
    new_listing : bool, default False
        The first close is a listing: its first ``listing_exclude_sessions`` returns are
        left out of the volatility.
    events : DataFrame, optional
        Debt raises (:func:`aimonitor.analytics.balance_sheet.debt_raise_events`).
    bucket_oas : Series, optional
        The rating bucket's OAS (bp) on the sessions from which it is usable; with
        ``vol_prior="peers_or_oas"`` and no peer prior, its implied volatility is the prior.

    Returns
    -------
    (DataFrame, list of str)
        Daily frame (index = sessions with a close): ``close, equity_vol, equity_vol_own,
        vol_prior_weight, total_debt, debt_bridged, debt_bridge_events, operating_leases,
        debt_cg, default_point, shares, shares_kind, market_cap, debt_per_share, rate,
        spread_uncal_bp, vol_scale, fit_residual, calibrated_on, spread_bp, spread_bp_low,
        spread_bp_high, method, lbar, dd_merton, pd1y_merton, dd_naive, pd1y_naive,
        debt_filed``; and warnings. The whole series is under the calibration in force
        on the last session (module notes).

    Raises
    ------
    InsufficientData
        No filing with debt or no share count on or before the last session; history
        shorter than ``min_vol_observations``.
    DataError
        Non-positive prices or share counts.
    """
    px = close.dropna().astype(float)
    dates = pd.DatetimeIndex(px.index)
    oas = None
    if bucket_oas is not None and not bucket_oas.empty:
        oas = _asof_series(bucket_oas, to_ns(dates))
    n = _Name(
        symbol,
        dates,
        px.to_numpy(),
        rate_cc.reindex(dates).to_numpy(dtype=float),
        None if vol_prior is None else vol_prior.reindex(dates).to_numpy(dtype=float),
        oas,
        new_listing,
    )
    ev = events if events is not None else debt_raise_events(None)
    fund = {symbol: filing_arrays(fundamentals_of(fundamentals, symbol))}
    quotes_by = _quotes_by_symbol(quotes, [symbol], params.tenor_years)
    done, failed = _model_names([n], fund, {symbol: ev[ev["symbol"] == symbol] if len(ev) else ev}, quotes_by, params)
    if failed:
        raise failed[symbol]
    return _name_frame(done[0]), done[0].warns


# ---------------------------------------------------------------------------- panel


@dataclass(frozen=True)
class SpreadPanel:
    """Full daily history of every name's proxy and of the benchmarks.

    Attributes
    ----------
    names : DataFrame
        Long: ``date, symbol`` + the columns of :func:`compute_name_proxy`.
    benchmarks : DataFrame
        Wide, date index, bp (:func:`aimonitor.analytics.benchmarks.compute_benchmarks`),
        FRED series re-dated to the session from which they are usable.
    quotes : DataFrame
        CDS quotes used (``entity, date, tenor, spread_bp, source``).
    buckets : dict
        symbol → benchmark series.
    skipped : dict
        symbol → reason, for names without a proxy.
    warnings : tuple of str
    params : CreditParams
    """

    names: pd.DataFrame
    benchmarks: pd.DataFrame
    quotes: pd.DataFrame
    buckets: dict[str, str]
    skipped: dict[str, str]
    warnings: tuple[str, ...]
    params: CreditParams

    @property
    def symbols(self) -> list[str]:
        # in order of first appearance (hashing the column once, not iterating its objects)
        return [str(x) for x in pd.unique(self.names["symbol"])] if not self.names.empty else []

    @functools.cached_property
    def _rows(self) -> dict[str, np.ndarray]:
        """Row positions of each symbol in ``names`` (computed once per panel)."""
        if self.names.empty:
            return {}
        return {str(k): v for k, v in self.names.groupby("symbol", sort=False).indices.items()}

    def series(self, symbol: str, column: str = "spread_bp") -> pd.Series:
        """One name's daily column (date index), NaN rows dropped."""
        col = self.names[column] if column in self.names.columns else None
        if col is None or col.dtype.kind != "f" or self.names["date"].dtype.kind != "M":
            n = self.names[self.names["symbol"] == symbol]
            return n.set_index("date")[column].dropna().rename(symbol)
        rows = self._rows.get(symbol, np.zeros(0, dtype=np.intp))
        values = col.to_numpy()[rows]
        keep = ~np.isnan(values)
        dates = self.names["date"].to_numpy()[rows][keep]
        return pd.Series(values[keep], index=pd.DatetimeIndex(dates, name="date"), name=symbol)

    def wide(self, column: str = "spread_bp") -> pd.DataFrame:
        """Every name's :meth:`series` side by side (a column per symbol, in order; index the
        sorted dates on which any name has a value), as ``pd.DataFrame({s: series(s)})``
        gives it, built in one step."""
        col = self.names[column] if column in self.names.columns else None
        syms = self.symbols
        if col is None or col.dtype.kind != "f" or self.names["date"].dtype.kind != "M" or not syms:
            return pd.DataFrame({s: self.series(s, column) for s in syms})
        values = col.to_numpy()
        keep = ~np.isnan(values)
        codes, uniques = pd.factorize(self.names["symbol"].to_numpy()[keep])
        days, rows = np.unique(self.names["date"].to_numpy()[keep], return_inverse=True)
        out = np.full((len(days), len(syms)), np.nan)
        out[rows, np.array([syms.index(str(u)) for u in uniques], dtype=np.intp)[codes]] = values[keep]
        return pd.DataFrame(out, index=pd.DatetimeIndex(days, name="date"), columns=syms)

    def frame(self, symbol: str) -> pd.DataFrame:
        """One name's daily frame (date index)."""
        return self.names[self.names["symbol"] == symbol].set_index("date")

    def benchmark(self, series: str) -> pd.Series:
        """A benchmark series (bp), NaN rows dropped."""
        if series not in self.benchmarks.columns:
            return pd.Series(dtype=float, name=series)
        return self.benchmarks[series].dropna().rename(series)


def _class_peer_vols(c: pd.DataFrame, syms: Sequence[str], params: CreditParams) -> dict[str, np.ndarray]:
    """Leave-one-out root-mean variance of each name's same-class full-window peers.

    Every candidate peer's volatility is computed once, in one call (O(N)); per class, the
    sum and the count of the members' variances are taken once and a name's prior is
    ``sqrt((sum - own) / (count - 1))`` on every session (matrix form, O(N) again). Returns
    arrays on ``c``'s index.
    """
    if params.vol_prior not in ("peers", "peers_or_oas"):
        return {}
    cands = [p for p in dict.fromkeys(params.vol_prior_symbols) if p in c.columns and params.risk_class(p)]
    if not cands:
        return {}
    var = _vol_array(c[cands].to_numpy(dtype=float), params, min_obs=params.vol_window) ** 2
    col = {p: j for j, p in enumerate(cands)}
    out: dict[str, np.ndarray] = {}
    for cls in dict.fromkeys(params.risk_class(p) for p in cands):
        members = [col[p] for p in cands if params.risk_class(p) == cls]
        sub = var[:, members]
        have = ~np.isnan(sub)
        cnt = have.sum(axis=1)
        tot = np.zeros(len(var))
        for j in range(len(members)):  # member by member, in order (as pandas' row sum adds them)
            tot += np.where(have[:, j], sub[:, j], 0.0)
        tot[cnt == 0] = np.nan
        targets = [s for s in syms if params.risk_class(s) == cls]
        if not targets:
            continue
        own = np.full((len(var), len(targets)), np.nan)
        for j, s in enumerate(targets):
            if s in col and params.risk_class(s) == cls:
                own[:, j] = var[:, col[s]]
        n = cnt[:, None] - ~np.isnan(own)
        t = tot[:, None] - np.where(np.isnan(own), 0.0, own)
        with np.errstate(divide="ignore", invalid="ignore"):
            prior = np.sqrt(t / np.where(n > 0, n, np.nan))
        out.update({s: prior[:, j] for j, s in enumerate(targets)})
    return out


def compute_spread_panel(
    closes: pd.DataFrame,
    fundamentals: pd.DataFrame,
    rates: pd.DataFrame | None,
    fred: pd.DataFrame | None = None,
    cds_quotes: pd.DataFrame | None = None,
    *,
    symbols: Sequence[str] | None = None,
    bucket_map: Mapping[str, str] | None = None,
    params: CreditParams | None = None,
    adj_closes: pd.DataFrame | None = None,
    events: Iterable[Mapping[str, Any]] | pd.DataFrame | None = None,
    proxy_only: bool = False,
) -> SpreadPanel:
    """Daily equity-implied CDS proxies of several names, plus market benchmarks.

    Parameters
    ----------
    closes : DataFrame
        Wide unadjusted closes (DatetimeIndex of sessions, a column per symbol; the
        credit ETFs HYG, LQD, IEF are used for the ETF benchmarks when present).
    fundamentals : DataFrame
        Columns of ``fundamentals.csv``.
    rates : DataFrame
        FRED Treasury yields in bp (``DGS5``...); if None, ``fred`` is searched.
    fred : DataFrame, optional
        FRED OAS series in bp.
    cds_quotes : DataFrame, optional
        ``entity`` (or ``symbol``), ``date``, ``tenor`` (or ``tenor_years``), ``spread_bp``.
    symbols : sequence of str, optional
        Names to model (default: those of :data:`DEFAULT_BUCKETS` found in ``closes``).
    bucket_map : mapping, optional
        symbol → FRED series of its rating bucket (default :data:`DEFAULT_BUCKETS`).
    params : CreditParams, optional
    adj_closes : DataFrame, optional
        Total-return closes for the ETF benchmarks.
    events : records or DataFrame, optional
        Catalog/imported events; the debt raises among them enter ``D`` between filings.
    proxy_only : bool, default False
        ``names`` holds ``date, symbol, spread_bp`` only (what the signals read): the band,
        the distances to default and the other columns are not computed. ``spread_bp``,
        ``skipped`` and the names are the same.

    Returns
    -------
    SpreadPanel
        Names that cannot be modelled are in ``skipped`` with the reason.

    Raises
    ------
    DataError
        A date that cannot be read in the closes, rates, FRED series, fundamentals or quotes.

    Notes
    -----
    Every step runs once for all names (one volatility call, one bisection, one CreditGrades
    evaluation per parameter set), so the cost grows linearly with the number of names; the
    numbers are those of modelling each name on its own (:func:`compute_name_proxy`).
    """
    params = params or CreditParams()
    buckets = dict(DEFAULT_BUCKETS if bucket_map is None else bucket_map)
    try:
        c = _wide(closes)
        rt = _wide(rates)
        fr = _wide(fred)
    except (ValueError, TypeError) as exc:
        raise DataError(f"credit panel: a date in the closes or FRED series cannot be read ({exc})") from exc
    sessions = pd.DatetimeIndex(c.index)
    if params.rate_series not in rt.columns and params.rate_series in fr.columns:
        rt = fr
    rt = lag_to_sessions(rt, sessions, params.fred_lag_sessions)
    fr = lag_to_sessions(fr, sessions, params.fred_lag_sessions)
    syms = [s.upper() for s in symbols] if symbols else [s for s in DEFAULT_SYMBOLS if s in c.columns]
    ev = debt_raise_events(events)
    ev_by = {str(s): g for s, g in ev.groupby("symbol", sort=False)} if len(ev) else {}
    fund = fundamentals if fundamentals is not None else pd.DataFrame(columns=["symbol"])
    present = [s for s in syms if s in c.columns]
    try:
        fund_by = filing_arrays_by_symbol(fund, present)
    except (ValueError, TypeError, KeyError) as exc:
        raise DataError(f"fundamentals: a period_end or filed_date is missing or unreadable ({exc})") from exc
    quotes_by = _quotes_by_symbol(cds_quotes, present, params.tenor_years)
    priors = _class_peer_vols(c, present, params)
    s_ns = to_ns(sessions)
    try:
        rate_all: np.ndarray | None = _rate_cc_values(rt, params.rate_series, sessions)
        rate_err = ""
    except InsufficientData as exc:
        rate_all, rate_err = None, str(exc)
    oas_all = {
        b: _asof_series(fr[b].dropna().astype(float), s_ns)
        for b in dict.fromkeys(buckets.get(s) for s in present)
        if b and b in fr.columns and fr[b].notna().any()
    }
    first_session = sessions[0] if len(sessions) else None
    reasons: dict[str, str] = {}
    todo: list[_Name] = []
    for sym in syms:
        if sym not in c.columns:
            reasons[sym] = f"{sym}: no closes; fetch its prices first"
            continue
        if rate_all is None:
            reasons[sym] = rate_err
            continue
        col = c[sym].to_numpy(dtype=float)
        pos = np.flatnonzero(~np.isnan(col))
        prior = priors.get(sym)
        oas = oas_all.get(buckets.get(sym) or "")
        todo.append(
            _Name(
                sym,
                sessions[pos],
                col[pos],
                rate_all[pos],
                None if prior is None else prior[pos],
                None if oas is None else oas[pos],
                bool(len(pos) and first_session is not None and sessions[pos[0]] > first_session),
            )
        )
    done, failed = _model_names(todo, fund_by, ev_by, quotes_by, params, proxy_only)
    reasons.update({s: str(e) for s, e in failed.items()})
    by_sym = {n.symbol: n for n in done}
    warns: list[str] = []
    skipped: dict[str, str] = {}
    for sym in syms:
        if sym in by_sym:
            warns.extend(by_sym[sym].warns)
        elif sym in reasons:
            skipped[sym] = reasons[sym]
            log.info("%s", reasons[sym])  # returned in SpreadPanel.skipped; the caller reports it
    modelled = [by_sym[s] for s in syms if s in by_sym]
    columns = ("spread_bp",) if proxy_only else NAME_COLUMNS
    names = _long_frame(modelled, columns) if modelled else pd.DataFrame(columns=["date", "symbol"])
    names = names[["date", "symbol"] + [x for x in names.columns if x not in ("date", "symbol")]]
    bench = compute_benchmarks(fr, c, adj_closes=adj_closes)
    q = (
        cds_quotes.copy()
        if cds_quotes is not None
        else pd.DataFrame(columns=["entity", "date", "tenor", "spread_bp", "source"])
    )
    if "symbol" in q.columns and "entity" not in q.columns:
        q = q.rename(columns={"symbol": "entity"})
    if not q.empty:
        try:
            q["date"] = pd.to_datetime(q["date"])
        except (ValueError, TypeError) as exc:
            raise DataError(f"CDS quotes: unreadable date ({exc}); fix the quote file and import it again") from exc
    for msg in warns:
        log.info("%s", msg)
    return SpreadPanel(names, bench, q, buckets, skipped, tuple(warns), params)


# ---------------------------------------------------------------------------- widening


def compute_widening(
    series: pd.Series,
    *,
    since: pd.Timestamp,
    as_of: pd.Timestamp,
    change_window: int = 20,
    z_window: int = 252,
    z_min_obs: int = 60,
) -> dict[str, Any]:
    """Level and widening statistics of one daily spread series at ``as_of``.

    Parameters
    ----------
    series : Series
        Daily spread (bp), date index; NaN rows are ignored.
    since : Timestamp
        Baseline date: the value on the last observation on or before it (or, if the
        series starts later, its first observation, reported as ``since_used``).
    as_of : Timestamp
        Evaluation date (last observation on or before it).
    change_window : int
        Observations back for the short change (20 sessions).
    z_window, z_min_obs : int
        Trailing observations of the z-score, and the minimum needed.

    Returns
    -------
    dict
        ``level, as_of_used, level_since, since_used, change, change_short, z`` (NaN where
        unavailable; ``level`` NaN if nothing on or before ``as_of``).
    """
    s = series.dropna()
    s = s[s.index <= as_of]
    nan = math.nan
    if s.empty:
        return {
            "level": nan,
            "as_of_used": None,
            "level_since": nan,
            "since_used": None,
            "change": nan,
            "change_short": nan,
            "z": nan,
        }
    level = float(s.iloc[-1])
    before = s[s.index <= since]
    base = before.iloc[-1:] if not before.empty else s.iloc[:1]
    level_since = float(base.iloc[0])
    short = float(level - s.iloc[-1 - change_window]) if len(s) > change_window else nan
    tail = s.iloc[-z_window:]
    z = nan
    if len(tail) >= z_min_obs:
        sd = float(tail.std(ddof=1))
        z = (level - float(tail.mean())) / sd if sd > 0 else nan
    return {
        "level": level,
        "as_of_used": s.index[-1],
        "level_since": level_since,
        "since_used": base.index[0],
        "change": level - level_since,
        "change_short": short,
        "z": z,
    }


def __getattr__(name: str) -> Any:
    # the report object lives in aimonitor.analytics.spread_report; old import paths keep working
    if name in ("SpreadReport", "SpreadRow", "BenchmarkRow", "build_spread_report"):
        from aimonitor.analytics import spread_report

        return getattr(spread_report, name)
    raise AttributeError(name)
