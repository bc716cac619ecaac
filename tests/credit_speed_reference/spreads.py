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
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from aimonitor.errors import DataError, InsufficientData

from . import credit
from .balance_sheet import (
    asof_join,
    compute_balance_sheet_pit,
    compute_debt_bridge,
    debt_raise_events,
)
from .benchmarks import (
    ETF_DURATIONS,
    ETF_METHOD,
    ETF_PAIRS,
    OAS_SERIES,
    compute_benchmarks,
    compute_etf_spread_proxy,
)

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

    def replace(self, **kw: Any) -> CreditParams:
        return dataclasses.replace(self, **kw)

    def risk_class(self, symbol: str) -> str | None:
        return dict(self.risk_classes).get(symbol)

    def cg_kwargs(self) -> dict[str, float]:
        return {"tenor": self.tenor_years, "lam": self.barrier_uncertainty, "recovery": self.cds_recovery}


# ---------------------------------------------------------------------------- inputs


def _to_index(idx: Iterable[Any]) -> pd.DatetimeIndex:
    out = pd.DatetimeIndex(pd.to_datetime(list(idx) if not isinstance(idx, pd.Index) else idx))
    return out.tz_localize(None) if out.tz is not None else out


def _wide(frame: pd.DataFrame | None) -> pd.DataFrame:
    """A copy with a sorted tz-naive DatetimeIndex (accepts a ``date`` column too)."""
    if frame is None or len(frame) == 0:
        return pd.DataFrame(index=pd.DatetimeIndex([]))
    f = frame.copy()
    if "date" in f.columns:
        f = f.set_index("date")
    f.index = _to_index(f.index)
    return f.sort_index()


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
    return out.groupby(level=0).last()


def _rate_cc(rates: pd.DataFrame, series: str, dates: pd.DatetimeIndex) -> pd.Series:
    """Continuously compounded rate (fraction) from a FRED bond-equivalent yield in bp."""
    if series not in rates.columns:
        raise InsufficientData(f"risk-free series {series} not found in the rates; fetch FRED {series} first")
    s = rates[series].dropna().astype(float)
    y = asof_join(dates, pd.DataFrame({"d": s.index, "y": s.values}), "d", ["y"])["y"] / 1e4
    return 2.0 * np.log1p(y / 2.0)


def _quotes_of(quotes: pd.DataFrame | None, symbol: str, tenor: float) -> pd.DataFrame:
    """One name's quotes in the model tenor (``tenor_years`` column, else ``tenor`` like "5Y")."""
    if quotes is None or len(quotes) == 0:
        return pd.DataFrame(columns=["date", "spread_bp", "source"])
    q = quotes.copy()
    ent = "entity" if "entity" in q.columns else "symbol"
    q = q[q[ent].astype(str).str.upper() == symbol]
    if "tenor_years" in q.columns:
        yrs = pd.to_numeric(q["tenor_years"], errors="coerce")
    elif "tenor" in q.columns:
        yrs = pd.to_numeric(q["tenor"].astype(str).str.upper().str.rstrip("Y"), errors="coerce")
    else:
        yrs = pd.Series(tenor, index=q.index)
    q = q[np.isclose(yrs.astype(float), tenor)]
    q = q.assign(date=pd.to_datetime(q["date"]), spread_bp=pd.to_numeric(q["spread_bp"], errors="coerce"))
    return q.dropna(subset=["spread_bp"]).sort_values("date")[
        ["date", "spread_bp", *(["source"] if "source" in q else [])]
    ]


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

    def loss(k: float) -> float:
        m = credit.creditgrades_spread(p, k * s, d, rr, lbar=params.global_recovery, **params.cg_kwargs())
        return float(np.sum(wt * (np.log(np.maximum(m, 1e-6)) - lq) ** 2))

    lo, hi = params.vol_scale_bounds
    grid = np.linspace(lo, hi, 26)
    vals = [loss(g) for g in grid]
    i = int(np.argmin(vals))
    res = optimize.minimize_scalar(
        loss, bounds=(grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]), method="bounded"
    )
    k = float(res.x) if res.fun <= vals[i] else float(grid[i])
    return k, math.sqrt(loss(k) / float(np.sum(wt)))


def _calibrate_name(
    q: pd.DataFrame, inputs: pd.DataFrame, params: CreditParams, symbol: str
) -> tuple[float, float, pd.Timestamp | None, list[str]]:
    """The calibration in force on the last session of ``inputs`` (k, residual, quote date)."""
    dates = pd.DatetimeIndex(inputs.index)
    q = q[(q["date"] >= dates[0]) & (q["date"] <= dates[-1])]
    if q.empty:
        return math.nan, math.nan, None, []
    qd = pd.Timestamp(q["date"].iloc[-1])
    win = q[q["date"] > qd - pd.Timedelta(days=params.calibration_lookback_days)]
    x = asof_join(pd.DatetimeIndex(win["date"]), inputs.reset_index(names="d"), "d", ["px", "vol", "dps", "r"])
    age = (qd - pd.DatetimeIndex(win["date"])).days.to_numpy().astype(float)
    k, resid = calibrate_vol_scale(
        x["px"],
        x["vol"],
        x["dps"],
        x["r"],
        win["spread_bp"],
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
        with σ); NaN where an input is missing.
    """
    p, d, rr, tgt = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (price, dps, r, spread_bp)))
    lo = np.full(p.shape, bounds[0])
    hi = np.full(p.shape, bounds[1])
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        m = credit.creditgrades_spread(p, mid, d, rr, lbar=params.global_recovery, **params.cg_kwargs())
        up = m < tgt
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    out = 0.5 * (lo + hi)
    return np.where(np.isfinite(p + d + rr + tgt) & (tgt > 0), out, np.nan)


# ---------------------------------------------------------------------------- band, term structure


def compute_band(
    price: object, sigma_s: object, dps: object, r: object, params: CreditParams, *, vol_scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest proxy over the documented parameter box (bp).

    Parameters
    ----------
    price, sigma_s, dps, r : array_like
        Model inputs (``sigma_s`` before any calibrated scale).
    params : CreditParams
        ``band_vol_scale``, ``band_lbar``, ``band_lambda`` and the point parameters.
    vol_scale : float, default 1.0
        Calibrated volatility scale applied before the band's own scale.

    Returns
    -------
    (ndarray, ndarray)
        Element-wise min and max over the corners of the box and the point estimate
        itself (so ``low <= spread <= high``). CreditGrades is monotone in each of σ, L̄
        and λ, so the corners bound the box.
    """
    sig = np.asarray(sigma_s, dtype=float) * vol_scale
    corners = [(1.0, params.global_recovery, params.barrier_uncertainty)]
    for a in params.band_vol_scale:
        for b in params.band_lbar:
            for c in params.band_lambda:
                corners.append((a, b, c))
    vals = np.stack(
        [
            credit.creditgrades_spread(
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


# ---------------------------------------------------------------------------- one name


def _name_volatility(
    px: pd.Series, symbol: str, params: CreditParams, vol_prior: pd.Series | None, new_listing: bool
) -> tuple[pd.Series, pd.Series, pd.Series, list[str]]:
    """Own volatility, pooled volatility and prior weight of one name (see module notes)."""
    dates = pd.DatetimeIndex(px.index)
    warns: list[str] = []
    skip = params.listing_exclude_sessions if new_listing else 0
    vol_own = credit.compute_equity_vol(
        px,
        method=params.vol_method,  # type: ignore[arg-type]
        window=params.vol_window,
        halflife=params.vol_halflife,
        min_obs=params.min_vol_observations,
        skip_first=skip,
        estimator=params.vol_estimator,  # type: ignore[arg-type]
        jump_threshold=params.vol_jump_threshold,
    )
    assert isinstance(vol_own, pd.Series)
    if vol_own.isna().all():
        raise InsufficientData(
            f"{symbol}: only {len(px)} closes; the equity volatility needs "
            f"{params.min_vol_observations + 1}"
            f"{f' (the first {skip} returns after the listing are left out)' if skip else ''}; "
            f"wait for more sessions"
        )
    n_obs = credit.compute_return_count(px, window=params.vol_window, skip_first=skip)
    prior_w = pd.Series(0.0, index=dates)
    vol = vol_own
    if vol_prior is not None and params.vol_prior != "none":
        pr = vol_prior.reindex(dates)
        vol = pd.Series(
            credit.shrink_vol_to_prior(vol_own.values, n_obs.values, pr.values, params.vol_window), index=dates
        ).where(vol_own.notna())
        prior_w = (1.0 - n_obs / params.vol_window).clip(lower=0.0).where(pr.notna() & vol_own.notna(), 0.0)
        used = prior_w > 0
        if used.any():
            last = used[used].index[-1]
            warns.append(
                f"{symbol}: fewer than {params.vol_window} returns: equity volatility pooled with its "
                f"{params.risk_class(symbol)} peers ({pr.loc[last]:.0%} on {last.date()}, weight "
                f"{prior_w.loc[last]:.0%}) from {used[used].index[0].date()} to {last.date()}"
            )
    if vol.notna().iloc[-1] and n_obs.iloc[-1] < params.vol_window and prior_w.iloc[-1] == 0:
        warns.append(
            f"{symbol}: short history ({int(n_obs.iloc[-1])} returns) and no "
            f"{params.risk_class(symbol) or 'same-class'} peer with {params.vol_window}: own volatility used"
        )
    return vol, vol_own, prior_w, warns


def _name_debt(
    fundamentals: pd.DataFrame, events: pd.DataFrame | None, symbol: str, dates: pd.DatetimeIndex, params: CreditParams
) -> tuple[pd.DataFrame, list[str]]:
    """Point-in-time balance sheet plus the debt bridged between filings."""
    bs, warns = compute_balance_sheet_pit(fundamentals, symbol, dates)
    if bs["total_debt"].isna().all():
        raise InsufficientData(
            f"{symbol}: no filing with debt on or before {dates[-1].date()}; "
            f"add total_debt (or short+long-term debt) to the fundamentals"
        )
    if bs["shares"].isna().all():
        raise InsufficientData(
            f"{symbol}: no share count filed on or before {dates[-1].date()}; "
            f"add shares_outstanding or weighted_avg_basic_shares to the fundamentals"
        )
    if (bs["shares"] <= 0).any():
        raise DataError(f"{symbol}: share count <= 0 in the fundamentals: equity value must be positive")
    if (bs["total_debt"] <= 0).any():
        zero = bs.index[bs["total_debt"] <= 0]
        warns.append(f"{symbol}: debt is zero from {zero[0].date()}: no default barrier, proxy is blank there")
    ev = events if events is not None else debt_raise_events(None)
    bridged, ids = compute_debt_bridge(ev, bs, symbol, include_unconfirmed=params.debt_include_unconfirmed)
    bs["debt_bridged"] = bridged
    bs["debt_bridge_events"] = ids
    leases = bs["operating_leases"] if params.debt_includes_leases else 0.0
    bs["debt_cg"] = bs["total_debt"] + bridged + leases
    # the default point of the diagnostics: a new bond or loan is long-term debt
    bs["default_point"] = bs["default_point"] + 0.5 * bridged
    return bs, warns


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
    if px.empty:
        raise InsufficientData(f"{symbol}: no closes; fetch its prices first")
    if (px <= 0).any():
        raise DataError(
            f"{symbol}: close <= 0 on {px[px <= 0].index[0].date()}: equity value must be positive; fix the price data"
        )
    dates = pd.DatetimeIndex(px.index)
    bs, warns = _name_debt(fundamentals, events, symbol, dates, params)
    r = rate_cc.reindex(dates)
    dps = bs["debt_cg"] / bs["shares"]
    no_peer = vol_prior is None or vol_prior.reindex(dates).isna().all()
    if params.vol_prior == "peers_or_oas" and no_peer and bucket_oas is not None and not bucket_oas.empty:
        oas = asof_join(dates, pd.DataFrame({"d": bucket_oas.index, "v": bucket_oas.values}), "d", ["v"])["v"]
        vol_prior = pd.Series(implied_equity_vol(px.values, dps.values, r.values, oas.values, params), index=dates)
        warns.append(
            f"{symbol}: no {params.risk_class(symbol) or 'same-class'} peer with a full window: the prior "
            f"volatility is implied by its bucket OAS"
        )
    vol, vol_own, prior_w, w = _name_volatility(px, symbol, params, vol_prior, new_listing)
    warns += w
    if params.oas_prior_weight > 0 and bucket_oas is not None and not bucket_oas.empty:
        oas = asof_join(dates, pd.DataFrame({"d": bucket_oas.index, "v": bucket_oas.values}), "d", ["v"])["v"]
        s_oas = pd.Series(implied_equity_vol(px.values, dps.values, r.values, oas.values, params), index=dates)
        wo = params.oas_prior_weight
        vol = np.sqrt((1.0 - wo) * vol**2 + wo * s_oas**2).where(s_oas.notna(), vol)
    mcap = px * bs["shares"]  # unadjusted close × share count (see module notes)
    lb = params.global_recovery
    uncal = credit.creditgrades_spread(px.values, vol.values, dps.values, r.values, lbar=lb, **params.cg_kwargs())
    k, resid, cal_on = 1.0, math.nan, None
    q = _quotes_of(quotes, symbol, params.tenor_years) if quotes is not None else None
    if params.calibrate and q is not None and not q.empty:
        inputs = pd.DataFrame({"px": px, "vol": vol, "dps": dps, "r": r})
        k_fit, resid_fit, on, w = _calibrate_name(q, inputs, params, symbol)
        warns += w
        if on is not None:
            k, resid, cal_on = k_fit, resid_fit, on
    spread = (
        uncal
        if cal_on is None
        else credit.creditgrades_spread(px.values, k * vol.values, dps.values, r.values, lbar=lb, **params.cg_kwargs())
    )
    low, high = compute_band(px.values, vol.values, dps.values, r.values, params, vol_scale=k)
    dd_m, pd_m = credit.merton_distance_to_default(mcap.values, vol.values, bs["default_point"].values, r.values, 1.0)
    past = px / px.shift(credit.TRADING_DAYS) - 1.0
    if past.isna().all() and vol.notna().any():
        warns.append(f"{symbol}: less than a year of closes: the naive DD uses the risk-free rate as drift")
    drift = past.where(past.notna(), r)
    dd_n, pd_n = credit.naive_distance_to_default(
        mcap.values, vol.values, bs["default_point"].values, drift.values, 1.0
    )
    out = pd.DataFrame(
        {
            "close": px,
            "equity_vol": vol,
            "equity_vol_own": vol_own,
            "vol_prior_weight": prior_w,
            "total_debt": bs["total_debt"],
            "debt_bridged": bs["debt_bridged"],
            "debt_bridge_events": bs["debt_bridge_events"],
            "operating_leases": bs["operating_leases"],
            "debt_cg": bs["debt_cg"],
            "default_point": bs["default_point"],
            "shares": bs["shares"],
            "shares_kind": bs["shares_kind"],
            "market_cap": mcap,
            "debt_per_share": dps,
            "rate": r,
            "spread_uncal_bp": uncal,
            "vol_scale": k,
            "fit_residual": resid,
            "calibrated_on": cal_on if cal_on is not None else pd.NaT,
            "spread_bp": spread,
            "spread_bp_low": low,
            "spread_bp_high": high,
            "method": "creditgrades" if cal_on is None else "creditgrades_calibrated",
            "lbar": lb,
            "dd_merton": dd_m,
            "pd1y_merton": pd_m,
            "dd_naive": dd_n,
            "pd1y_naive": pd_n,
            "debt_filed": bs["debt_filed"],
        },
        index=dates,
    )
    out.index.name = "date"
    return out, warns


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
        return list(dict.fromkeys(self.names["symbol"])) if not self.names.empty else []

    def series(self, symbol: str, column: str = "spread_bp") -> pd.Series:
        """One name's daily column (date index), NaN rows dropped."""
        n = self.names[self.names["symbol"] == symbol]
        return n.set_index("date")[column].dropna().rename(symbol)

    def frame(self, symbol: str) -> pd.DataFrame:
        """One name's daily frame (date index)."""
        return self.names[self.names["symbol"] == symbol].set_index("date")

    def benchmark(self, series: str) -> pd.Series:
        """A benchmark series (bp), NaN rows dropped."""
        if series not in self.benchmarks.columns:
            return pd.Series(dtype=float, name=series)
        return self.benchmarks[series].dropna().rename(series)


def _class_peer_vols(c: pd.DataFrame, syms: Sequence[str], params: CreditParams) -> dict[str, pd.Series]:
    """Leave-one-out root-mean variance of each name's same-class full-window peers.

    Every candidate peer's volatility is computed once (O(N)); a name's prior is the mean
    of its class's variances without its own.
    """
    if params.vol_prior not in ("peers", "peers_or_oas"):
        return {}
    cands = [p for p in dict.fromkeys(params.vol_prior_symbols) if p in c.columns and params.risk_class(p)]
    if not cands:
        return {}
    vol = credit.compute_equity_vol(
        c[cands],
        method=params.vol_method,  # type: ignore[arg-type]
        window=params.vol_window,
        halflife=params.vol_halflife,
        min_obs=params.vol_window,
        estimator=params.vol_estimator,  # type: ignore[arg-type]
        jump_threshold=params.vol_jump_threshold,
    )
    var = vol**2
    out: dict[str, pd.Series] = {}
    for cls in {params.risk_class(p) for p in cands}:
        members = [p for p in cands if params.risk_class(p) == cls]
        tot, cnt = var[members].sum(axis=1, min_count=1), var[members].notna().sum(axis=1)
        for s in syms:
            if params.risk_class(s) != cls:
                continue
            own = var[s] if s in members else pd.Series(np.nan, index=var.index)
            n = cnt - own.notna()
            t = tot - own.fillna(0.0)
            out[s] = np.sqrt(t / n.where(n > 0))
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

    Returns
    -------
    SpreadPanel
        Names that cannot be modelled are in ``skipped`` with the reason.
    """
    params = params or CreditParams()
    buckets = dict(DEFAULT_BUCKETS if bucket_map is None else bucket_map)
    c = _wide(closes)
    sessions = pd.DatetimeIndex(c.index)
    rt = _wide(rates)
    fr = _wide(fred)
    if params.rate_series not in rt.columns and params.rate_series in fr.columns:
        rt = fr
    rt = lag_to_sessions(rt, sessions, params.fred_lag_sessions)
    fr = lag_to_sessions(fr, sessions, params.fred_lag_sessions)
    syms = [s.upper() for s in symbols] if symbols else [s for s in DEFAULT_SYMBOLS if s in c.columns]
    ev = debt_raise_events(events)
    warns: list[str] = []
    skipped: dict[str, str] = {}
    frames = []
    fund = fundamentals if fundamentals is not None else pd.DataFrame(columns=["symbol"])
    first_session = sessions[0] if len(sessions) else None
    priors = _class_peer_vols(c, [s for s in syms if s in c.columns], params)
    for sym in syms:
        try:
            if sym not in c.columns:
                raise InsufficientData(f"{sym}: no closes; fetch its prices first")
            px = c[sym]
            r = _rate_cc(rt, params.rate_series, pd.DatetimeIndex(px.dropna().index))
            first = px.first_valid_index()
            new_listing = bool(first is not None and first_session is not None and first > first_session)
            bser = buckets.get(sym)
            df, w = compute_name_proxy(
                px,
                fund,
                r,
                sym,
                cds_quotes,
                params,
                vol_prior=priors.get(sym),
                new_listing=new_listing,
                events=ev,
                bucket_oas=fr[bser].dropna().astype(float) if bser and bser in fr.columns else None,
            )
        except (InsufficientData, DataError) as exc:
            skipped[sym] = str(exc)
            log.info("%s", exc)  # returned in SpreadPanel.skipped; the caller reports it
            continue
        warns.extend(w)
        frames.append(df.reset_index().assign(symbol=sym))
    names = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["date", "symbol"])
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
        q["date"] = pd.to_datetime(q["date"])
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
