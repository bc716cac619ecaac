"""Credit-spread widening tracking: equity-implied CDS proxies beside market spreads.

Pure pandas/numpy (no I/O, no clock). The inputs are the frames the lead reads from the
store; ``as_of`` is always passed in.

Point in time
-------------
Every daily value at session ``t`` uses only what was known at ``t``'s close:

* debt from the latest filing with ``filed_date <= t`` that reports debt (``total_debt``,
  else ``short_term_debt + long_term_debt``). A later filing whose debt is blank (AMD's
  2025-03-29 10-Q) leaves the previous filing's figure in use, with a warning: the number is
  the last one the company *filed*, not one we made up. No filing with debt → no value.
* shares: the latest point-in-time count (``shares_outstanding``: cover page or balance
  sheet) filed on or before ``t``; if there is none yet, the weighted-average basic count of
  the latest filing that has one (a DataWarning says so). No count at all → no value.
* equity volatility from trailing closes only; the risk-free rate is the last FRED
  observation on or before ``t``; CDS quotes calibrate from their own date on.

:func:`build_spread_report` additionally cuts every input at ``as_of`` before computing,
so a later filing, price, quote or FRED print cannot leak in.

Models and choices (see ``bench/spreads_validation.py`` for the evidence)
--------------------------------------------------------------------------
* Proxy: CreditGrades 5-year par spread, ``L̄ = 0.5``, ``λ = 0.3``, CDS recovery ``0.4``,
  ``r`` = DGS5 converted from a semi-annual bond-equivalent yield to continuous
  compounding, equity volatility = "blend" (mean of the 250-session and 30-session
  half-life EWMA variances, at least 60 returns; a short listing such as CRWV has no proxy
  until then, and a warning says so).
* Downside volatility (``vol_estimator="downside"``, default): each session contributes
  ``2·min(r_t, 0)²`` instead of ``r_t²`` to both parts of the blend (the doubled downside
  semivariance; equal to ``σ²`` on average for returns symmetric about zero). Why: in
  CreditGrades / Merton default is the asset value *falling* to the barrier. A jump *up*
  lowers leverage and says nothing about the downside diffusion, so it must not widen the
  proxy; falls, including earnings-day collapses, are exactly the risk and are kept (twice).
  Chosen by a rule declared before scoring (``bench/spreads_validation.py``): pass every
  jump check and keep the 40 bp / 20-session warning quiet after ORCL's good news, then
  the lowest uncalibrated mean |log error| on the market levels. Evidence: ORCL +36% on
  2025-09-10: ``r_t²`` widened the proxy +173 bp (critical alert on good news), downside
  -4 bp (AMD 2025-10-06: -0.0 bp). Uncalibrated mean |log error| 0.58 (MedRV 0.82,
  squared 0.24 but failing the jump checks); Sept->Nov widening ORCL +79 / CRWV +319 bp
  (market ~+60 / ~+280; MedRV +38 / +127). Costs: the estimator is pro-cyclical (low after
  rallies: ORCL 9 bp on 2025-06-13 vs ~36; calibrated on that low, ORCL overshoots in
  November, 183 vs ~125), and ORCL's 20-session change after the good news peaks at +38 bp
  (2025-09-26, the sell-off that followed), only 2 bp below the warning rule. Alternatives
  kept selectable: ``"medrv"`` (jump-robust both ways, Andersen, Dobrev and Schaumburg
  2012; previous default), ``"bipower"`` (leaks a jump one day later: ORCL 5 -> 45 bp by
  2025-09-12), ``"truncated"`` / ``"truncated_up"`` (Mancini 2009 threshold, both signs /
  rises only), ``"medrv_ewma"`` (MedRV EWMA, squared window: fails the jump checks) and
  ``"squared"`` (classical).
* Short histories: CreditGrades wants a *long-horizon* volatility (its technical document
  uses 1000 days) so that the spread does not swing with short-term volatility. A name
  with ``n < vol_window`` returns has no such history, so its variance is pooled with a
  prior worth the ``vol_window - n`` missing sessions: the root-mean variance of the
  watchlist peers that do have a full window (``vol_prior="peers"``; conjugate-prior /
  pseudo-observation estimate). For a new listing (first close later than the first
  session of ``closes``) the first ``listing_exclude_sessions = 21`` returns (the IPO
  aftermarket month) are left out of its own estimate. Without this, CRWV's volatility
  falling from ~140% (IPO to September 2025) to ~85% (September-November) made the proxy
  *tighten* by ~400 bp while the market widened by ~280 bp. Names with a full window
  (ORCL, AMD, NVDA) are unaffected.
* Debt ``D`` in CreditGrades is total financial debt (current + non-current, carrying
  value) divided by shares; operating lease liabilities can be added
  (``debt_includes_leases``), off by default: it raised ORCL's uncalibrated errors on the
  reference points and changed no direction. Merton and the naive DD use
  the KMV / Bharath–Shumway default point ``F = current debt + ½ long-term debt`` (total
  debt when the split is not reported), over one year.
* Market cap = unadjusted ``close × shares``: ``close`` is the price shares actually traded
  at (split-adjusted, like the share counts, which are post-split), whereas ``adj_close``
  is back-adjusted for later dividends and would understate past market values.
* Calibration: with CDS quotes for a name (tenor = the model tenor), ``L̄`` is refitted at
  each quote date to the quotes of the trailing ``calibration_lookback_days`` (least squares
  in log spread) and held until the next quote, so the proxy sits on the market's level and
  moves with the equity between quotes. Before the first quote the proxy is uncalibrated.
* Benchmarks: FRED ICE BofA OAS (already in bp in the store) and ETF spread proxies
  ``HYG-IEF`` / ``LQD-IEF`` (method ``etf_duration_excess_bp``): the cumulative
  duration-hedged excess return of the credit ETF over IEF, divided by the credit ETF's
  spread duration and sign-flipped, in bp. It is an *index of relative performance*
  (0 at the first common session): its changes approximate OAS changes, its level is
  not a spread. With total-return closes (``adj_closes``) the distribution carry is removed
  using the trailing-year distribution yield; with price closes only, the price return
  (which excludes coupons) is used as is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from aimonitor import calendar as cal
from aimonitor.analytics import credit
from aimonitor.errors import DataError, InsufficientData

log = logging.getLogger(__name__)

#: Rating bucket of each name (FRED ICE BofA OAS series). ORCL is rated BBB/Baa2;
#: CoreWeave's issuer ratings are BB-/Ba3 (high yield); AMD (A/A2) and NVDA (AA-/Aa3)
#: sit in the investment-grade aggregate, whose average rating is about A-.
DEFAULT_BUCKETS: dict[str, str] = {
    "ORCL": "BAMLC0A4CBBB",
    "CRWV": "BAMLH0A0HYM2",
    "AMD": "BAMLC0A0CM",
    "NVDA": "BAMLC0A0CM",
}
OAS_SERIES = ("BAMLC0A0CM", "BAMLC0A4CBBB", "BAMLH0A0HYM2")
#: Approximate effective durations (years) of the bond ETFs (iShares fact sheets, 2025).
ETF_DURATIONS: dict[str, float] = {"HYG": 3.1, "LQD": 8.3, "IEF": 7.1}
ETF_PAIRS: dict[str, tuple[str, str]] = {"HYG-IEF": ("HYG", "IEF"), "LQD-IEF": ("LQD", "IEF")}
ETF_METHOD = "etf_duration_excess_bp"
DEFAULT_SYMBOLS = ("ORCL", "CRWV", "AMD", "NVDA")


@dataclass(frozen=True)
class CreditParams:
    """Parameters of the proxy (names match ``[credit]`` in the config where they exist).

    Attributes
    ----------
    global_recovery : float
        CreditGrades mean global recovery ``L̄`` (uncalibrated default 0.5).
    barrier_uncertainty : float
        CreditGrades ``λ`` (0.3).
    cds_recovery : float
        Recovery ``R`` of the CDS (0.4, ISDA standard senior unsecured).
    tenor_years : float
        CDS tenor (5).
    vol_method, vol_window, vol_halflife, min_vol_observations
        Equity-volatility estimator (see :func:`aimonitor.analytics.credit.compute_equity_vol`).
    vol_estimator : str
        Per-session variance term of the window and EWMA parts, one of
        :data:`aimonitor.analytics.credit.VOL_ESTIMATORS` (see
        :func:`aimonitor.analytics.credit.compute_equity_vol`). ``"downside"`` (default)
        counts falls only (``2·min(r,0)²``): a rise, however large, cannot widen the proxy
        through the volatility. ``"medrv"`` is robust to single-day jumps of either sign;
        ``"squared"`` is the classical estimator.
    vol_jump_threshold : float
        ``k`` of the ``"truncated"`` / ``"truncated_up"`` estimators (returns, or rises,
        beyond ``k`` local robust standard deviations are dropped;
        :func:`aimonitor.analytics.credit.compute_jump_mask`).
    rate_series : str
        Risk-free series in ``rates`` (bp, bond-equivalent yield).
    calibrate : bool
        Fit ``L̄`` to CDS quotes when a name has any.
    calibration_lookback_days : int
        Calendar days of quotes used in each fit.
    calibration_halflife_days : float
        Weight half-life of older quotes in a fit (the newest quote dominates, so the
        proxy sits on the latest market level; older quotes only steady it).
    lbar_bounds : (float, float)
        Search interval of the calibrated ``L̄``.
    change_window, z_window, z_min_obs : int
        Sessions of the short change and of the trailing z-score.
    vol_prior : {"peers", "none"}
        Prior of a short history's volatility: ``"peers"`` pools a name with fewer than
        ``vol_window`` returns with the average volatility of ``vol_prior_symbols`` (those
        with a full window), the prior standing for the missing sessions
        (:func:`aimonitor.analytics.credit.shrink_vol_to_prior`); ``"none"`` uses the
        name's own short-window estimate.
    vol_prior_symbols : tuple of str
        Peers of the prior (the watchlist by default; the name itself is excluded).
    listing_exclude_sessions : int
        Returns ignored after a listing (a name whose first close is later than the
        first session of ``closes``): the IPO aftermarket month.
    debt_includes_leases : bool
        Add operating lease liabilities (last filed) to CreditGrades' debt ``D``.
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
    calibrate: bool = True
    calibration_lookback_days: int = 365
    calibration_halflife_days: float = 30.0
    lbar_bounds: tuple[float, float] = (0.002, 5.0)
    change_window: int = 20
    z_window: int = 252
    z_min_obs: int = 60
    vol_prior: str = "peers"
    vol_prior_symbols: tuple[str, ...] = ("ORCL", "CRWV", "AMD", "NVDA")
    listing_exclude_sessions: int = 21
    debt_includes_leases: bool = False

    def replace(self, **kw: Any) -> CreditParams:
        return dataclasses.replace(self, **kw)


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


def _fundamentals_of(fundamentals: pd.DataFrame, symbol: str) -> pd.DataFrame:
    f = fundamentals[fundamentals["symbol"] == symbol].copy()
    for c in ("period_end", "filed_date"):
        f[c] = pd.to_datetime(f[c])
    for c in (
        "short_term_debt",
        "long_term_debt",
        "total_debt",
        "shares_outstanding",
        "weighted_avg_basic_shares",
        "operating_lease_liabilities",
    ):
        f[c] = pd.to_numeric(f[c], errors="coerce") if c in f.columns else np.nan
    return f.sort_values(["filed_date", "period_end"]).reset_index(drop=True)


def _asof(dates: pd.DatetimeIndex, rows: pd.DataFrame, on: str, cols: Sequence[str]) -> pd.DataFrame:
    """For each date, ``cols`` of the last row with ``rows[on] <= date`` (NaN if none)."""
    idx = pd.DatetimeIndex(dates)
    if rows.empty:
        out = pd.DataFrame({c: np.nan for c in cols}, index=idx)
        out.insert(0, on, pd.NaT)
        return out
    right = rows[[on, *cols]].copy()
    right[on] = pd.to_datetime(right[on]).dt.as_unit("ns")
    right = right.sort_values(on).drop_duplicates(on, keep="last").reset_index(drop=True)
    pos = (
        np.searchsorted(
            right[on].to_numpy(dtype="datetime64[ns]"), idx.as_unit("ns").to_numpy(dtype="datetime64[ns]"), side="right"
        )
        - 1
    )
    out = right.iloc[np.clip(pos, 0, None)].set_index(idx)
    if (pos < 0).any():
        out.loc[pos < 0, :] = None
    return out[[on, *cols]]


def compute_balance_sheet_pit(
    fundamentals: pd.DataFrame, symbol: str, dates: pd.DatetimeIndex
) -> tuple[pd.DataFrame, list[str]]:
    """Point-in-time debt and share count of one company on each date.

    Parameters
    ----------
    fundamentals : DataFrame
        Columns of the snapshot's ``fundamentals.csv`` (any symbols).
    symbol : str
        The company.
    dates : DatetimeIndex
        Sessions to evaluate.

    Returns
    -------
    (DataFrame, list of str)
        Index ``dates``; columns ``total_debt``, ``default_point`` (current + ½ long-term
        debt, or total debt when the split is missing), ``debt_filed``, ``debt_period``,
        ``shares``, ``shares_kind`` (``"count"``/``"weighted_avg"``), ``shares_filed``,
        ``operating_leases`` (operating lease liabilities of the latest filing that reports
        them, 0 if none has); and the warnings raised (stale debt, weighted-average
        shares). NaN where nothing had been filed yet.
    """
    f = _fundamentals_of(fundamentals, symbol)
    warns: list[str] = []
    st, lt, tot = f["short_term_debt"], f["long_term_debt"], f["total_debt"]
    f["_total"] = tot.where(tot.notna(), st + lt)
    f["_dp"] = (st + 0.5 * lt).where(st.notna() & lt.notna(), f["_total"])
    debt_rows = f[f["_total"].notna()].rename(columns={"filed_date": "debt_filed", "period_end": "debt_period"})
    d = _asof(dates, debt_rows, "debt_filed", ["debt_period", "_total", "_dp"])
    latest = _asof(dates, f.rename(columns={"filed_date": "any_filed"}), "any_filed", ["period_end"])
    stale = d["debt_filed"].notna() & (latest["any_filed"] > d["debt_filed"])
    if stale.any():
        periods = sorted({p.date().isoformat() for p in latest.loc[stale, "period_end"]})
        warns.append(
            f"{symbol}: filing(s) for period {', '.join(periods)} report no debt; the previous "
            f"filing's debt is used from {stale[stale].index[0].date()} to {stale[stale].index[-1].date()}"
        )
    count_rows = f[f["shares_outstanding"].notna()].rename(columns={"filed_date": "count_filed"})
    c = _asof(dates, count_rows, "count_filed", ["shares_outstanding"])
    w_rows = f[f["weighted_avg_basic_shares"].notna()].rename(columns={"filed_date": "w_filed"})
    w = _asof(dates, w_rows, "w_filed", ["weighted_avg_basic_shares"])
    l_rows = f[f["operating_lease_liabilities"].notna()].rename(columns={"filed_date": "l_filed"})
    leases = _asof(dates, l_rows, "l_filed", ["operating_lease_liabilities"])["operating_lease_liabilities"]
    use_w = c["shares_outstanding"].isna() & w["weighted_avg_basic_shares"].notna()
    if use_w.any():
        warns.append(
            f"{symbol}: no point-in-time share count filed yet; weighted-average basic shares used "
            f"from {use_w[use_w].index[0].date()} to {use_w[use_w].index[-1].date()}"
        )
    out = pd.DataFrame(
        {
            "total_debt": d["_total"].astype(float),
            "default_point": d["_dp"].astype(float),
            "debt_filed": d["debt_filed"],
            "debt_period": d["debt_period"],
            "shares": c["shares_outstanding"].where(~use_w, w["weighted_avg_basic_shares"]).astype(float),
            "shares_kind": np.where(use_w, "weighted_avg", np.where(c["shares_outstanding"].notna(), "count", None)),
            "shares_filed": c["count_filed"].where(~use_w, w["w_filed"]),
            "operating_leases": leases.astype(float).fillna(0.0),
        },
        index=dates,
    )
    return out, warns


def _rate_cc(rates: pd.DataFrame, series: str, dates: pd.DatetimeIndex) -> pd.Series:
    """Continuously compounded rate (fraction) from a FRED bond-equivalent yield in bp."""
    if series not in rates.columns:
        raise InsufficientData(f"risk-free series {series} not found in the rates; fetch FRED {series} first")
    s = rates[series].dropna().astype(float)
    y = _asof(dates, pd.DataFrame({"d": s.index, "y": s.values}), "d", ["y"])["y"] / 1e4
    return 2.0 * np.log1p(y / 2.0)


# ---------------------------------------------------------------------------- calibration


def calibrate_lbar(
    price: object,
    sigma_s: object,
    dps: object,
    r: object,
    quotes_bp: object,
    params: CreditParams = CreditParams(),
    weights: object = None,
) -> float:
    """Fit CreditGrades' ``L̄`` to CDS quotes (least squares in log spread).

    Parameters
    ----------
    price, sigma_s, dps, r : array_like
        Model inputs on each quote's date.
    quotes_bp : array_like
        The quoted par spreads (bp), same length.
    params : CreditParams
        ``λ``, recovery, tenor and the search interval ``lbar_bounds``.
    weights : array_like, optional
        Weight of each quote in the squared log errors (default equal).

    Returns
    -------
    float
        The fitted ``L̄`` (NaN if no quote has valid inputs).
    """
    p, s, d, rr, q = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (price, sigma_s, dps, r, quotes_bp))
    wt = np.ones_like(q) if weights is None else np.broadcast_to(np.asarray(weights, dtype=float), q.shape)
    ok = np.isfinite(p + s + d + rr + q) & (q > 0)
    if not ok.any():
        return math.nan
    p, s, d, rr, lq, wt = p[ok], s[ok], d[ok], rr[ok], np.log(q[ok]), wt[ok]

    def loss(lb: float) -> float:
        m = credit.creditgrades_spread(
            p, s, d, rr, tenor=params.tenor_years, lbar=lb, lam=params.barrier_uncertainty, recovery=params.cds_recovery
        )
        m = np.maximum(m, 1e-6)
        return float(np.sum(wt * (np.log(m) - lq) ** 2))

    lo, hi = params.lbar_bounds
    # the loss is not always unimodal over a wide interval: scan a log grid, then refine
    grid = np.exp(np.linspace(np.log(lo), np.log(hi), 41))
    vals = [loss(g) for g in grid]
    k = int(np.argmin(vals))
    a, b = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    res = optimize.minimize_scalar(loss, bounds=(a, b), method="bounded", options={"xatol": 1e-6})
    return float(res.x) if res.fun <= vals[k] else float(grid[k])


def _quotes_of(quotes: pd.DataFrame | None, symbol: str, tenor: float) -> pd.DataFrame:
    if quotes is None or len(quotes) == 0:
        return pd.DataFrame(columns=["date", "spread_bp", "source"])
    q = quotes.copy()
    ent = "entity" if "entity" in q.columns else "symbol"
    q = q[q[ent].astype(str).str.upper() == symbol]
    if "tenor" in q.columns:
        from aimonitor.sources.cdsquotes import tenor_years  # small pure helper

        yrs = q["tenor"].map(lambda t: tenor_years(t) if isinstance(t, str) else float(t))
        q = q[np.isclose(yrs.astype(float), tenor)]
    q = q.assign(date=pd.to_datetime(q["date"]), spread_bp=pd.to_numeric(q["spread_bp"], errors="coerce"))
    return q.dropna(subset=["spread_bp"]).sort_values("date")[
        ["date", "spread_bp", *(["source"] if "source" in q else [])]
    ]


# ---------------------------------------------------------------------------- one name


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
) -> tuple[pd.DataFrame, list[str]]:
    """Daily CreditGrades proxy, Merton and naive DD of one company.

    Parameters
    ----------
    close : Series
        Unadjusted daily closes on sessions (NaN before listing is fine).
    fundamentals : DataFrame
        Fundamentals (any symbols).
    rate_cc : Series
        Continuously compounded risk-free rate on the same index (fraction).
    symbol : str
        The company.
    quotes : DataFrame, optional
        CDS quotes of this company (``date``, ``spread_bp``) in the model tenor.
    params : CreditParams
        Model parameters.
    vol_prior : Series, optional
        Prior volatility on each date (e.g. :func:`aimonitor.analytics.credit.compute_peer_vol`),
        pooled with the name's own estimate while it has fewer than ``vol_window`` returns.
    new_listing : bool, default False
        The first close is a listing: its first ``listing_exclude_sessions`` returns are
        left out of the volatility.

    Returns
    -------
    (DataFrame, list of str)
        Daily frame (index = sessions with a close) with ``close, equity_vol`` (the one
        the models use), ``equity_vol_own`` (before the prior), ``vol_prior_weight``,
        ``total_debt,
        default_point, shares, shares_kind, market_cap, debt_per_share, rate,
        spread_uncal_bp, lbar, spread_cal_bp, spread_bp, method, dd_merton, pd1y_merton,
        dd_naive, pd1y_naive, debt_filed``; and warnings.

    Raises
    ------
    InsufficientData
        No filing with debt, or no share count, on or before the last session; no
        equity volatility (history shorter than ``min_vol_observations``).
    DataError
        Non-positive prices or share counts (zero or negative equity).
    """
    px = close.dropna().astype(float)
    if px.empty:
        raise InsufficientData(f"{symbol}: no closes; fetch its prices first")
    if (px <= 0).any():
        bad = px[px <= 0].index[0].date()
        raise DataError(f"{symbol}: close <= 0 on {bad}: equity value must be positive; fix the price data")
    dates = pd.DatetimeIndex(px.index)
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
    skip = params.listing_exclude_sessions if new_listing else 0
    vol_own = credit.compute_equity_vol(
        px,
        method=params.vol_method,
        window=params.vol_window,  # type: ignore[arg-type]
        halflife=params.vol_halflife,
        min_obs=params.min_vol_observations,
        skip_first=skip,
        estimator=params.vol_estimator,  # type: ignore[arg-type]
        jump_threshold=params.vol_jump_threshold,
    )
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
                f"{symbol}: fewer than {params.vol_window} returns: equity volatility pooled with the "
                f"peer prior ({pr.loc[last]:.0%} on {last.date()}, weight {prior_w.loc[last]:.0%}) "
                f"from {used[used].index[0].date()} to {last.date()}"
            )
        if vol_own.notna().iloc[-1] and n_obs.iloc[-1] < params.vol_window and pd.isna(pr.iloc[-1]):
            warns.append(
                f"{symbol}: short history and no peer ({', '.join(params.vol_prior_symbols)}) with "
                f"{params.vol_window} returns on {dates[-1].date()}: own volatility used without a prior"
            )
    n_short = int((vol.notna() & (np.log(px).diff().notna().cumsum() < params.vol_window)).sum())
    if n_short and vol.notna().iloc[-1] and len(px) <= params.vol_window:
        warns.append(
            f"{symbol}: short history ({len(px)} sessions): equity volatility from fewer than "
            f"{params.vol_window} returns"
        )
    r = rate_cc.reindex(dates)
    mcap = px * bs["shares"]  # unadjusted close × share count (see module notes)
    debt_cg = bs["total_debt"] + (bs["operating_leases"] if params.debt_includes_leases else 0.0)
    dps = debt_cg / bs["shares"]
    kw = dict(tenor=params.tenor_years, lam=params.barrier_uncertainty, recovery=params.cds_recovery)
    uncal = credit.creditgrades_spread(px.values, vol.values, dps.values, r.values, lbar=params.global_recovery, **kw)
    lbar = pd.Series(params.global_recovery, index=dates, dtype=float)
    cal_spread = pd.Series(np.nan, index=dates)
    calibrated = pd.Series(False, index=dates)
    q = _quotes_of(quotes, symbol, params.tenor_years) if quotes is not None else None
    if params.calibrate and q is not None and not q.empty:
        inputs = pd.DataFrame({"px": px, "vol": vol, "dps": dps, "r": r})
        qi = _asof(pd.DatetimeIndex(q["date"]), inputs.reset_index(names="d"), "d", ["px", "vol", "dps", "r"])
        qi["q"] = q["spread_bp"].values
        fits = []
        lo_b, hi_b = params.lbar_bounds
        for qd in sorted(set(q["date"])):
            if qd < dates[0]:
                continue
            win = qi[(qi.index <= qd) & (qi.index > qd - pd.Timedelta(days=params.calibration_lookback_days))]
            age = (qd - win.index).days.values.astype(float)
            lb = calibrate_lbar(
                win["px"],
                win["vol"],
                win["dps"],
                win["r"],
                win["q"],
                params,
                weights=0.5 ** (age / params.calibration_halflife_days),
            )
            if math.isfinite(lb) and not (lo_b * 1.001 < lb < hi_b * 0.999):
                warns.append(
                    f"{symbol}: calibrated L̄ {lb:.3g} on {qd.date()} is at the search bound "
                    f"({lo_b:g}..{hi_b:g}); the model cannot reach the quoted level"
                )
            if math.isfinite(lb):
                fits.append((qd, lb))
        if fits:
            fit = pd.DataFrame(fits, columns=["qd", "lb"])
            step = _asof(dates, fit, "qd", ["lb"])["lb"]
            has = step.notna()
            lbar = lbar.where(~has, step)
            calibrated = has
            cal_spread = pd.Series(
                credit.creditgrades_spread(px.values, vol.values, dps.values, r.values, lbar=lbar.values, **kw),
                index=dates,
            ).where(has)
    spread = pd.Series(uncal, index=dates).where(~calibrated, cal_spread)
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
            "operating_leases": bs["operating_leases"],
            "default_point": bs["default_point"],
            "shares": bs["shares"],
            "shares_kind": bs["shares_kind"],
            "market_cap": mcap,
            "debt_per_share": dps,
            "rate": r,
            "spread_uncal_bp": uncal,
            "lbar": lbar,
            "spread_cal_bp": cal_spread,
            "spread_bp": spread,
            "method": np.where(calibrated, "creditgrades_calibrated", "creditgrades"),
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


# ---------------------------------------------------------------------------- benchmarks


def compute_etf_spread_proxy(
    credit_px: pd.Series,
    treasury_px: pd.Series,
    *,
    credit_duration: float,
    treasury_duration: float,
    credit_tr: pd.Series | None = None,
    treasury_tr: pd.Series | None = None,
) -> pd.Series:
    """ETF spread proxy in bp: a duration-hedged relative-performance index.

    Parameters
    ----------
    credit_px, treasury_px : Series
        Unadjusted closes of the credit ETF (HYG, LQD) and the Treasury ETF (IEF).
    credit_duration, treasury_duration : float
        Effective durations (years).
    credit_tr, treasury_tr : Series, optional
        Total-return closes (``adj_close``). When both are given, daily total returns are
        used net of a carry equal to the trailing-year distribution yield (distributions
        recovered from the ``adj_close/close`` steps), which spreads each ex-date drop
        over the year instead of showing it as a jump.

    Returns
    -------
    Series
        ``-1e4 · Σ (r_c - (D_c/D_t) r_t) / D_c``, 0 at the first common session. Changes
        approximate changes in the credit ETF's spread over Treasuries; the level is not
        a spread.
    """

    def returns(px: pd.Series, tr: pd.Series | None) -> pd.Series:
        px = px.dropna().astype(float)
        if tr is None:
            return px.pct_change()
        tr = tr.reindex(px.index).astype(float)
        r_tr = tr.pct_change()
        # distribution per share on each day: total return minus price return, times price
        dist = ((r_tr - px.pct_change()) * px.shift(1)).clip(lower=0.0)
        yld = dist.rolling(credit.TRADING_DAYS, min_periods=20).sum() / px
        return r_tr - yld.shift(1).bfill() / credit.TRADING_DAYS

    use_tr = credit_tr is not None and treasury_tr is not None
    rc = returns(credit_px, credit_tr if use_tr else None)
    rt = returns(treasury_px, treasury_tr if use_tr else None)
    both = pd.concat([rc, rt], axis=1, join="inner").dropna()
    if both.empty:
        return pd.Series(dtype=float)
    beta = credit_duration / treasury_duration
    excess = both.iloc[:, 0] - beta * both.iloc[:, 1]
    idx = -1e4 * excess.cumsum() / credit_duration
    # the index is 0 on the session before the first return, then accumulates
    start = both.index[0]
    prev = credit_px.dropna().index
    prev = prev[prev < start]
    if len(prev):
        idx = pd.concat([pd.Series([0.0], index=[prev[-1]]), idx])
    return idx.rename(None)


def compute_benchmarks(
    fred: pd.DataFrame | None,
    closes: pd.DataFrame | None = None,
    *,
    adj_closes: pd.DataFrame | None = None,
    durations: Mapping[str, float] = ETF_DURATIONS,
) -> pd.DataFrame:
    """Market credit benchmarks in bp, one column per series.

    Parameters
    ----------
    fred : DataFrame
        FRED series in bp (date index, a column per series); the OAS series are kept.
    closes : DataFrame, optional
        Unadjusted closes incl. HYG, LQD, IEF for the ETF proxies.
    adj_closes : DataFrame, optional
        Total-return closes for the same ETFs (carry-corrected ETF proxies).
    durations : mapping
        ETF effective durations.

    Returns
    -------
    DataFrame
        Date index; OAS columns as published (bp) and ``HYG-IEF``/``LQD-IEF`` proxies.
    """
    parts: list[pd.Series] = []
    f = _wide(fred)
    for s in OAS_SERIES:
        if s in f.columns:
            parts.append(f[s].dropna().astype(float).rename(s))
    c = _wide(closes)
    a = _wide(adj_closes) if adj_closes is not None else None
    for name, (cr, tr) in ETF_PAIRS.items():
        if cr in c.columns and tr in c.columns:
            has_tr = a is not None and cr in a.columns and tr in a.columns
            s = compute_etf_spread_proxy(
                c[cr],
                c[tr],
                credit_duration=durations[cr],
                treasury_duration=durations[tr],
                credit_tr=a[cr] if has_tr else None,  # type: ignore[index]
                treasury_tr=a[tr] if has_tr else None,
            )  # type: ignore[index]
            parts.append(s.rename(name))
    if not parts:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
    out = pd.concat(parts, axis=1, sort=True).sort_index()
    out.index.name = "date"
    return out


# ---------------------------------------------------------------------------- panel


@dataclass(frozen=True)
class SpreadPanel:
    """Full daily history of every name's proxy and of the benchmarks.

    Attributes
    ----------
    names : DataFrame
        Long: ``date, symbol`` + the columns of :func:`compute_name_proxy`.
    benchmarks : DataFrame
        Wide, date index, bp (see :func:`compute_benchmarks`).
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

    def benchmark(self, series: str) -> pd.Series:
        """A benchmark series on the sessions of the panel (last value on or before each)."""
        if series not in self.benchmarks.columns:
            return pd.Series(dtype=float, name=series)
        return self.benchmarks[series].dropna().rename(series)


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
        ``entity`` (or ``symbol``), ``date``, ``tenor``, ``spread_bp``, ``source``.
    symbols : sequence of str, optional
        Names to model (default: those of :data:`DEFAULT_BUCKETS` found in ``closes``).
    bucket_map : mapping, optional
        symbol → FRED series of its rating bucket (default :data:`DEFAULT_BUCKETS`).
    params : CreditParams, optional
    adj_closes : DataFrame, optional
        Total-return closes for the ETF benchmarks.

    Returns
    -------
    SpreadPanel
        Names that cannot be modelled are in ``skipped`` with the reason (never a made-up
        number).
    """
    params = params or CreditParams()
    buckets = dict(DEFAULT_BUCKETS if bucket_map is None else bucket_map)
    c = _wide(closes)
    rt = _wide(rates)
    fr = _wide(fred)
    if params.rate_series not in rt.columns and params.rate_series in fr.columns:
        rt = fr
    syms = [s.upper() for s in symbols] if symbols else [s for s in DEFAULT_SYMBOLS if s in c.columns]
    warns: list[str] = []
    skipped: dict[str, str] = {}
    frames = []
    fund = fundamentals if fundamentals is not None else pd.DataFrame(columns=["symbol"])
    first_session = c.index[0] if len(c.index) else None
    if params.vol_prior not in ("peers", "none"):
        raise ValueError(f"unknown vol_prior {params.vol_prior!r}; use 'peers' or 'none'")
    if params.vol_estimator not in credit.VOL_ESTIMATORS:
        raise ValueError(
            f"unknown vol_estimator {params.vol_estimator!r}; use one of "
            f"{', '.join(repr(e) for e in credit.VOL_ESTIMATORS)}"
        )
    for sym in syms:
        try:
            if sym not in c.columns:
                raise InsufficientData(f"{sym}: no closes; fetch its prices first")
            px = c[sym]
            r = _rate_cc(rt, params.rate_series, pd.DatetimeIndex(px.dropna().index))
            peers = [p for p in params.vol_prior_symbols if p != sym and p in c.columns]
            prior = (
                credit.compute_peer_vol(
                    c[peers],
                    method=params.vol_method,  # type: ignore[arg-type]
                    window=params.vol_window,
                    halflife=params.vol_halflife,
                    estimator=params.vol_estimator,  # type: ignore[arg-type]
                    jump_threshold=params.vol_jump_threshold,
                )
                if params.vol_prior == "peers"
                else None
            )
            new_listing = bool(
                px.first_valid_index() is not None
                and first_session is not None
                and px.first_valid_index() > first_session
            )
            df, w = compute_name_proxy(px, fund, r, sym, cds_quotes, params, vol_prior=prior, new_listing=new_listing)
        except (InsufficientData, DataError) as exc:
            skipped[sym] = str(exc)
            log.info("%s", exc)  # returned in SpreadPanel.skipped; the caller reports it
            continue
        warns.extend(w)
        frames.append(df.reset_index().assign(symbol=sym))
    names = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["date", "symbol"])
    cols = ["date", "symbol"] + [x for x in names.columns if x not in ("date", "symbol")]
    names = names[cols]
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
    for w in warns:
        log.info("%s", w)
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


def _rolling_signals(s: pd.Series, prefix: str, params: CreditParams) -> dict[str, pd.Series]:
    roll = s.rolling(params.z_window, min_periods=params.z_min_obs)
    return {
        f"{prefix}_bp": s,
        f"{prefix}_chg{params.change_window}_bp": s.diff(params.change_window),
        f"{prefix}_z{params.z_window}": (s - roll.mean()) / roll.std(),
    }


def compute_spread_signals(panel: SpreadPanel, sessions: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """Long signal frame for the store: ``date, symbol, signal, value``.

    Parameters
    ----------
    panel : SpreadPanel
    sessions : DatetimeIndex, optional
        Sessions to put the benchmarks on (default: the names' dates); FRED values are
        taken as of each session so that 20-session changes count sessions.

    Returns
    -------
    DataFrame
        Names: ``credit_proxy_bp``, ``credit_proxy_chg20_bp``, ``credit_proxy_z252``,
        ``credit_proxy_rel_bucket_bp`` (proxy minus its bucket's OAS), ``credit_dd``,
        ``credit_pd1y`` (Merton), ``credit_dd_naive``, ``credit_pd1y_naive``.
        Benchmarks (symbol = series id): ``credit_bench_bp``, ``credit_bench_chg20_bp``,
        ``credit_bench_z252``. No NaN values.
    """
    p = panel.params
    rows: list[pd.DataFrame] = []
    if sessions is None:
        sessions = (
            pd.DatetimeIndex(sorted(set(panel.names["date"])))
            if not panel.names.empty
            else pd.DatetimeIndex(panel.benchmarks.index)
        )
    bench_on = {}
    for col in panel.benchmarks.columns:
        b = panel.benchmark(col)
        bench_on[col] = _asof(sessions, pd.DataFrame({"d": b.index, "v": b.values}), "d", ["v"])["v"]

    def emit(sym: str, sig: dict[str, pd.Series]) -> None:
        for name, ser in sig.items():
            ser = ser.replace([np.inf, -np.inf], np.nan).dropna()
            if not ser.empty:
                rows.append(
                    pd.DataFrame({"date": ser.index, "symbol": sym, "signal": name, "value": ser.values.astype(float)})
                )

    for sym in panel.symbols:
        s = panel.series(sym)
        sig = _rolling_signals(s, "credit_proxy", p)
        b = panel.buckets.get(sym)
        if b in bench_on:
            sig["credit_proxy_rel_bucket_bp"] = s - bench_on[b].reindex(s.index)
        for col, name in (
            ("dd_merton", "credit_dd"),
            ("pd1y_merton", "credit_pd1y"),
            ("dd_naive", "credit_dd_naive"),
            ("pd1y_naive", "credit_pd1y_naive"),
        ):
            sig[name] = panel.series(sym, col)
        emit(sym, sig)
    for col, ser in bench_on.items():
        emit(col, _rolling_signals(ser.dropna(), "credit_bench", p))
    if not rows:
        return pd.DataFrame(columns=["date", "symbol", "signal", "value"])
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["date", "symbol", "signal"]).reset_index(drop=True)


# ---------------------------------------------------------------------------- report


def _num(x: Any, nd: int = 4) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return round(v, nd) if math.isfinite(v) else None


@dataclass(frozen=True)
class SpreadRow:
    """One name's line of the spreads report (bp unless stated)."""

    symbol: str
    method: str
    spread_bp: float
    spread_bp_since: float
    change_bp: float
    change_20d_bp: float | None
    distance_to_default: float | None
    pd_1y: float | None
    benchmark_series: str | None
    benchmark_change_bp: float | None
    since_used: dt.date
    z_252: float | None = None
    relative_to_bucket_bp: float | None = None
    benchmark_level_bp: float | None = None
    dd_naive: float | None = None
    pd_1y_naive: float | None = None
    spread_uncalibrated_bp: float | None = None
    lbar: float | None = None
    equity_vol: float | None = None
    debt_per_share: float | None = None
    market_cap: float | None = None
    debt_filed: dt.date | None = None
    last_quote: tuple[dt.date, float] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "method": self.method,
            "spread_bp": _num(self.spread_bp, 2),
            "spread_bp_since": _num(self.spread_bp_since, 2),
            "change_bp": _num(self.change_bp, 2),
            "change_20d_bp": _num(self.change_20d_bp, 2),
            "distance_to_default": _num(self.distance_to_default),
            "pd_1y": _num(self.pd_1y, 8),
            "benchmark": (
                None
                if self.benchmark_series is None or _num(self.benchmark_change_bp) is None
                else {
                    "series": self.benchmark_series,
                    "change_bp": _num(self.benchmark_change_bp, 2),
                    "level_bp": _num(self.benchmark_level_bp, 2),
                }
            ),
            "since_used": self.since_used.isoformat(),
            "z_252": _num(self.z_252, 3),
            "relative_to_bucket_bp": _num(self.relative_to_bucket_bp, 2),
            "dd_naive": _num(self.dd_naive),
            "pd_1y_naive": _num(self.pd_1y_naive, 8),
            "spread_uncalibrated_bp": _num(self.spread_uncalibrated_bp, 2),
            "lbar": _num(self.lbar),
            "equity_vol": _num(self.equity_vol),
            "debt_per_share": _num(self.debt_per_share),
            "debt_filed": self.debt_filed.isoformat() if self.debt_filed else None,
            "last_quote": (
                None
                if self.last_quote is None
                else {"date": self.last_quote[0].isoformat(), "spread_bp": _num(self.last_quote[1], 2)}
            ),
        }


@dataclass(frozen=True)
class BenchmarkRow:
    """One market benchmark's line (bp)."""

    series: str
    method: str
    level_bp: float | None
    change_bp: float | None
    change_20d_bp: float | None
    z_252: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "method": self.method,
            "level_bp": _num(self.level_bp, 2),
            "change_bp": _num(self.change_bp, 2),
            "change_20d_bp": _num(self.change_20d_bp, 2),
            "z_252": _num(self.z_252, 3),
        }


@dataclass(frozen=True)
class SpreadReport:
    """Result of :func:`build_spread_report` (immutable)."""

    as_of: dt.date
    since: dt.date
    rows: tuple[SpreadRow, ...]
    benchmarks: tuple[BenchmarkRow, ...] = ()
    warnings: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    params: CreditParams = field(default_factory=CreditParams)

    def to_json(self) -> dict[str, Any]:
        """The document of ``aimonitor spreads --json`` (no NaN: missing numbers are null)."""
        return {
            "as_of": self.as_of.isoformat(),
            "since": self.since.isoformat(),
            "rows": [r.to_json() for r in self.rows],
            "benchmarks": [b.to_json() for b in self.benchmarks],
            "skipped": [{"symbol": s, "reason": why} for s, why in self.skipped],
            "warnings": list(self.warnings),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per name (flat columns)."""
        recs = []
        for r in self.rows:
            d = dataclasses.asdict(r)
            d.pop("last_quote")
            recs.append(d)
        return pd.DataFrame(recs)

    def summary(self) -> str:
        """Plain-text table."""

        def f(x: Any, fmt: str = "{:+.0f}") -> str:
            v = _num(x)
            return "n/a" if v is None else fmt.format(v)

        lines = [
            f"Credit spreads as of {self.as_of} (changes since {self.since}), bp",
            f"{'symbol':<6} {'method':<24} {'level':>7} {'since':>7} {'chg':>6} {'chg20':>6} "
            f"{'DD':>6} {'PD1y':>8}  benchmark",
        ]
        for r in self.rows:
            bench = f"{r.benchmark_series} {f(r.benchmark_change_bp)}" if r.benchmark_series else "-"
            lines.append(
                f"{r.symbol:<6} {r.method:<24} {f(r.spread_bp, '{:.0f}'):>7} "
                f"{f(r.spread_bp_since, '{:.0f}'):>7} {f(r.change_bp):>6} {f(r.change_20d_bp):>6} "
                f"{f(r.distance_to_default, '{:.2f}'):>6} {f(r.pd_1y, '{:.2%}'):>8}  {bench}"
            )
        if self.benchmarks:
            lines.append(
                "benchmarks: "
                + "; ".join(f"{b.series} {f(b.level_bp, '{:.0f}')} ({f(b.change_bp)})" for b in self.benchmarks)
            )
        for s, why in self.skipped:
            lines.append(f"skipped {s}: {why}")
        for w in self.warnings:
            lines.append(f"warning: {w}")
        return "\n".join(lines)


def _snap(day: Any, index: pd.DatetimeIndex, what: str) -> pd.Timestamp:
    """``day`` snapped to the last session on or before it that is in ``index``."""
    d = cal.to_date(day)
    try:
        d = cal.session_on_or_before(d)
    except DataError:
        pass
    ts = pd.Timestamp(d)
    pos = index.searchsorted(ts, side="right") - 1
    if pos < 0:
        raise InsufficientData(
            f"no stored session on or before {what} {cal.to_date(day)}; "
            f"the data start on {index[0].date() if len(index) else 'n/a'}"
        )
    return index[pos]


def build_spread_report(
    closes: pd.DataFrame,
    fundamentals: pd.DataFrame,
    rates: pd.DataFrame | None,
    fred: pd.DataFrame | None = None,
    cds_quotes: pd.DataFrame | None = None,
    *,
    as_of: Any,
    since: Any,
    symbols: Sequence[str] | None = None,
    bucket_map: Mapping[str, str] | None = None,
    params: CreditParams | None = None,
    adj_closes: pd.DataFrame | None = None,
) -> SpreadReport:
    """Spread levels and widening of each name at ``as_of`` against its benchmark.

    Parameters
    ----------
    closes, fundamentals, rates, fred, cds_quotes, adj_closes
        As in :func:`compute_spread_panel`. Everything dated after ``as_of`` (prices,
        filings by ``filed_date``, FRED prints, quotes) is dropped first.
    as_of : date-like
        Evaluation session (a non-session, or a day after the last stored close, snaps
        to the previous stored session).
    since : date-like
        Baseline of the changes (snapped the same way).
    symbols : sequence of str, optional
        Names (default ORCL, CRWV, AMD, NVDA where they have prices).
    bucket_map : mapping, optional
        symbol → benchmark FRED series.
    params : CreditParams, optional

    Returns
    -------
    SpreadReport

    Raises
    ------
    DataError
        ``since`` after ``as_of``.
    InsufficientData
        No stored session on or before ``as_of``/``since``, or no name could be modelled
        (the message gives each name's reason).
    """
    params = params or CreditParams()
    c = _wide(closes)
    if c.empty:
        raise InsufficientData("no closes stored; run `aimonitor fetch` first")
    a_req, s_req = cal.to_date(as_of), cal.to_date(since)
    if s_req > a_req:
        raise DataError(f"--since {s_req} is after --as-of {a_req}; pick an earlier baseline")
    c = c[c.index <= pd.Timestamp(a_req)]
    if c.empty:
        raise InsufficientData(f"no stored session on or before --as-of {a_req}; the data start later")
    idx = pd.DatetimeIndex(c.index)
    as_ts = _snap(a_req, idx, "--as-of")
    since_ts = _snap(s_req, idx, "--since")
    c = c[c.index <= as_ts]

    def cut(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        if frame is None:
            return None
        w = _wide(frame)
        return w[w.index <= as_ts]

    f = fundamentals.copy() if fundamentals is not None else pd.DataFrame(columns=["symbol", "filed_date"])
    if not f.empty:
        f = f[pd.to_datetime(f["filed_date"]) <= as_ts]
    q = None
    if cds_quotes is not None and len(cds_quotes):
        q = cds_quotes.copy()
        q = q[pd.to_datetime(q["date"]) <= as_ts]
    panel = compute_spread_panel(
        c,
        f,
        cut(rates),
        cut(fred),
        q,
        symbols=symbols,
        bucket_map=bucket_map,
        params=params,
        adj_closes=cut(adj_closes),
    )
    warns = list(panel.warnings)
    if as_ts.date() != a_req:
        warns.insert(0, f"--as-of {a_req} is not a stored session; using {as_ts.date()}")
    if since_ts.date() != s_req:
        warns.insert(0, f"--since {s_req} is not a stored session; using {since_ts.date()}")
    skipped = dict(panel.skipped)
    rows: list[SpreadRow] = []
    bench_cache: dict[str, dict[str, Any]] = {}

    def bench_stats(series: str) -> dict[str, Any]:
        if series not in bench_cache:
            b = panel.benchmark(series)
            sessions_b = _asof(idx[idx <= as_ts], pd.DataFrame({"d": b.index, "v": b.values}), "d", ["v"])["v"]
            bench_cache[series] = compute_widening(
                sessions_b,
                since=since_ts,
                as_of=as_ts,
                change_window=params.change_window,
                z_window=params.z_window,
                z_min_obs=params.z_min_obs,
            )
        return bench_cache[series]

    for sym in panel.symbols:
        nm = panel.names[panel.names["symbol"] == sym].set_index("date")
        s = nm["spread_bp"].dropna()
        if s.empty or s.index[-1] < as_ts:
            why = (
                (
                    f"{sym}: no proxy on {as_ts.date()} (listed {nm.index[0].date()}; the equity volatility needs "
                    f"{params.min_vol_observations} returns and a filed share count)"
                )
                if len(nm)
                else f"{sym}: no data"
            )
            skipped[sym] = why
            continue
        if nm.loc[as_ts, "method"] == "creditgrades_calibrated":
            # measure changes with the as-of calibration throughout, so that a change never
            # mixes two calibrations (or an uncalibrated baseline with a calibrated level)
            s = pd.Series(
                credit.creditgrades_spread(
                    nm["close"].values,
                    nm["equity_vol"].values,
                    nm["debt_per_share"].values,
                    nm["rate"].values,
                    tenor=params.tenor_years,
                    lbar=float(nm.loc[as_ts, "lbar"]),
                    lam=params.barrier_uncertainty,
                    recovery=params.cds_recovery,
                ),
                index=nm.index,
            ).dropna()
        w = compute_widening(
            s,
            since=since_ts,
            as_of=as_ts,
            change_window=params.change_window,
            z_window=params.z_window,
            z_min_obs=params.z_min_obs,
        )
        if w["since_used"] != since_ts:
            warns.append(
                f"{sym}: no proxy on {since_ts.date()}; change measured from its first value on "
                f"{w['since_used'].date()}"
            )
        last = nm.loc[as_ts]
        bser = panel.buckets.get(sym)
        bstats = bench_stats(bser) if bser and bser in panel.benchmarks.columns else None
        if bser and bstats is None:
            warns.append(f"{sym}: benchmark {bser} not available; fetch FRED {bser}")
        bchg = None
        if bstats is not None:
            # benchmark change over the same interval as the name's change
            b_on = panel.benchmark(bser)  # type: ignore[arg-type]
            b0 = b_on[b_on.index <= w["since_used"]]
            b0v = float(b0.iloc[-1]) if not b0.empty else math.nan
            bchg = bstats["level"] - b0v
        lq = None
        qn = _quotes_of(q, sym, params.tenor_years) if q is not None else None
        if qn is not None and not qn.empty:
            lq = (qn["date"].iloc[-1].date(), float(qn["spread_bp"].iloc[-1]))
        rows.append(
            SpreadRow(
                symbol=sym,
                method=str(last["method"]),
                spread_bp=w["level"],
                spread_bp_since=w["level_since"],
                change_bp=w["change"],
                change_20d_bp=w["change_short"],
                distance_to_default=last["dd_merton"],
                pd_1y=last["pd1y_merton"],
                benchmark_series=bser if bstats is not None else None,
                benchmark_change_bp=bchg,
                since_used=w["since_used"].date(),
                z_252=w["z"],
                relative_to_bucket_bp=(w["level"] - bstats["level"]) if bstats is not None else None,
                benchmark_level_bp=bstats["level"] if bstats is not None else None,
                dd_naive=last["dd_naive"],
                pd_1y_naive=last["pd1y_naive"],
                spread_uncalibrated_bp=last["spread_uncal_bp"],
                lbar=last["lbar"],
                equity_vol=last["equity_vol"],
                debt_per_share=last["debt_per_share"],
                market_cap=last["market_cap"],
                debt_filed=pd.Timestamp(last["debt_filed"]).date() if pd.notna(last["debt_filed"]) else None,
                last_quote=lq,
            )
        )
    requested = [s.upper() for s in symbols] if symbols else None
    for why in skipped.values():
        warns.append(f"row omitted: {why}")
    if not rows:
        raise InsufficientData(
            "no spread proxy could be computed: " + "; ".join(skipped.values())
            if skipped
            else f"no names to model on {as_ts.date()}"
        )
    order = {s: i for i, s in enumerate(requested or DEFAULT_SYMBOLS)}
    rows.sort(key=lambda r: order.get(r.symbol, len(order)))
    brow = []
    for col in panel.benchmarks.columns:
        st = bench_stats(col)
        if st["as_of_used"] is None:
            continue
        brow.append(
            BenchmarkRow(
                col,
                ETF_METHOD if col in ETF_PAIRS else "fred_oas",
                st["level"],
                st["change"],
                st["change_short"],
                st["z"],
            )
        )
    return SpreadReport(
        as_of=as_ts.date(),
        since=since_ts.date(),
        rows=tuple(rows),
        benchmarks=tuple(brow),
        warnings=tuple(warns),
        skipped=tuple(skipped.items()),
        params=params,
    )
