"""Equity-implied credit models: CreditGrades, Merton and the Bharath–Shumway naive DD.

Pure numpy/scipy functions, vectorised over dates (every argument broadcasts), with no
I/O. Units: prices and debt per share in the same currency; volatilities annualised as
fractions (0.35 = 35%); rates continuously compounded fractions (0.04 = 4%); spreads
returned in **basis points**.

Models
------
* **CreditGrades** (Finger, Finkelstein, Pan, Lardy, Ta and Tierney, *CreditGrades
  Technical Document*, RiskMetrics Group, 2002): a first-passage model whose default
  barrier ``L·D`` is uncertain (``L`` lognormal with mean ``L̄`` and log-s.d. ``λ``).
  Survival to ``t`` (eq. 2.11)::

      P(t) = N(-A_t/2 + ln d / A_t) - d · N(-A_t/2 - ln d / A_t)
      d    = (S0 + L̄D) / (L̄D) · exp(λ²)
      A_t² = σ*² t + λ²,   σ* = σ_S · S / (S + L̄D)

  and the par spread of a CDS with continuous premium (eq. 2.16)::

      c = r (1-R) · [1 - P(0) + H(t)] / [P(0) - P(t) e^{-rt} - H(t)]
      H(t) = e^{rξ} (G(t+ξ) - G(ξ)),   ξ = λ²/σ*²
      G(u) = d^{z+1/2} N(-ln d/(σ*√u) - zσ*√u) + d^{-z+1/2} N(-ln d/(σ*√u) + zσ*√u)
      z    = sqrt(1/4 + 2r/σ*²)

  Defaults follow the technical document: ``L̄ = 0.5``, ``λ = 0.3``; the CDS recovery
  ``R = 0.4`` is the ISDA standard for senior unsecured reference obligations (the
  document's example uses 0.5; both are parameters).
* **Merton (1974)**: equity is a call on the firm's assets; the asset value ``V`` and
  asset volatility ``σ_V`` are solved from the equity value and equity volatility.
* **Bharath and Shumway (2008)** "naive" distance to default: no equation solving,
  ``σ_D = 0.05 + 0.25 σ_E``, ``σ_V = E/(E+F) σ_E + F/(E+F) σ_D`` and the firm's past
  one-year stock return as drift.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import log_ndtr, ndtr

log = logging.getLogger(__name__)

TRADING_DAYS = 252
#: Rates below this floor are lifted to it in the CreditGrades spread (the closed form
#: has a removable 0/0 singularity at r = 0).
MIN_RATE = 1e-6


def _arr(x: object) -> np.ndarray:
    return np.asarray(x, dtype=float)


# ---------------------------------------------------------------------------- CreditGrades


def _cg_inputs(
    price: object, sigma_s: object, dps: object, lbar: object, lam: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``ln d``, ``σ*`` and ``λ`` as broadcast arrays (NaN where inputs are invalid)."""
    s, sig, dd, lb, lm = np.broadcast_arrays(_arr(price), _arr(sigma_s), _arr(dps), _arr(lbar), _arr(lam))
    with np.errstate(divide="ignore", invalid="ignore"):
        barrier = lb * dd
        bad = ~((s > 0) & (sig > 0) & (barrier > 0) & (lm >= 0))
        ln_d = np.log((s + barrier) / barrier) + lm**2
        sigma_star = sig * s / (s + barrier)
    ln_d = np.where(bad, np.nan, ln_d)
    sigma_star = np.where(bad, np.nan, sigma_star)
    return ln_d, sigma_star, np.where(bad, np.nan, lm)


def _survival_from(ln_d: np.ndarray, a_t: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        first = ndtr(-a_t / 2 + ln_d / a_t)
        # d·N(x) computed in logs so a very safe firm (huge d) does not overflow
        second = np.exp(ln_d + log_ndtr(-a_t / 2 - ln_d / a_t))
    return np.clip(first - second, 0.0, 1.0)


def creditgrades_survival(
    price: object, sigma_s: object, dps: object, t: object, *, lbar: object = 0.5, lam: object = 0.3
) -> np.ndarray:
    """CreditGrades survival probability ``P(t)`` (technical document eq. 2.11).

    Parameters
    ----------
    price : array_like
        Share price ``S`` (also the reference price ``S*`` of ``σ*``).
    sigma_s : array_like
        Annualised equity volatility ``σ_S`` (fraction).
    dps : array_like
        Debt per share ``D``.
    t : array_like
        Horizon in years (``t = 0`` gives the immediate-default mass ``P(0)`` of the
        barrier uncertainty).
    lbar : array_like, default 0.5
        Mean global recovery ``L̄`` (barrier level as a fraction of ``D``).
    lam : array_like, default 0.3
        Barrier uncertainty ``λ`` (s.d. of ``ln L``).

    Returns
    -------
    numpy.ndarray
        Survival probabilities in [0, 1]; NaN where an input is missing or invalid
        (non-positive price, volatility or debt).
    """
    ln_d, sigma_star, lm = _cg_inputs(price, sigma_s, dps, lbar, lam)
    tt = _arr(t)
    with np.errstate(invalid="ignore"):
        a_t = np.sqrt(sigma_star**2 * tt + lm**2)
    return _survival_from(ln_d, a_t)


def _g(
    u: np.ndarray,
    ln_d: np.ndarray,
    sigma_star: np.ndarray,
    z: np.ndarray,
    neg_ln_d: np.ndarray,
    z_plus: np.ndarray,
    z_minus: np.ndarray,
) -> np.ndarray:
    """``G(u)`` of eq. 2.16, with ``-ln d``, ``z + 1/2`` and ``1/2 - z`` computed once by the caller."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        su = sigma_star * np.sqrt(u)
        a = neg_ln_d / su
        b = z * su
        term1 = np.exp(z_plus * ln_d + log_ndtr(a - b))
        term2 = np.exp(z_minus * ln_d + log_ndtr(a + b))
    return term1 + term2


def creditgrades_spread(
    price: object,
    sigma_s: object,
    dps: object,
    r: object,
    *,
    tenor: float = 5.0,
    lbar: object = 0.5,
    lam: object = 0.3,
    recovery: float = 0.4,
) -> np.ndarray:
    """CreditGrades par CDS spread in basis points (technical document eq. 2.16).

    Parameters
    ----------
    price, sigma_s, dps : array_like
        Share price, annualised equity volatility and debt per share.
    r : array_like
        Risk-free rate (continuously compounded fraction), e.g. the 5-year Treasury
        yield. Values below ``MIN_RATE`` are lifted to it.
    tenor : float, default 5.0
        CDS maturity in years.
    lbar, lam : array_like
        Mean global recovery ``L̄`` and barrier uncertainty ``λ``.
    recovery : float, default 0.4
        Recovery ``R`` of the CDS reference obligation.

    Returns
    -------
    numpy.ndarray
        Spread in bp, ``>= 0``; NaN where an input is missing or invalid.

    Notes
    -----
    The formula prices a CDS paying a continuous premium ``c`` against a protection leg
    ``(1-R)`` on default, with the default probability at ``t = 0`` (``1 - P(0)``,
    from the barrier uncertainty) paid immediately: ``c ∫_0^T e^{-rs} P(s) ds =
    (1-R) [1 - P(0) - ∫_0^T e^{-rs} dP(s)]``.
    """
    ln_d, sigma_star, lm = _cg_inputs(price, sigma_s, dps, lbar, lam)
    rr = np.maximum(_arr(r), MIN_RATE)
    ln_d, sigma_star, lm, rr = np.broadcast_arrays(ln_d, sigma_star, lm, rr)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p0 = _survival_from(ln_d, lm)
        disc = np.exp(-rr * tenor)
    return _spread_bp(ln_d, sigma_star, lm, rr, p0, disc, tenor, recovery)


def _spread_bp(
    ln_d: np.ndarray,
    sigma_star: np.ndarray,
    lm: np.ndarray,
    rr: np.ndarray,
    p0: np.ndarray,
    disc: np.ndarray,
    tenor: float,
    recovery: float,
) -> np.ndarray:
    """Eq. 2.16 from the prepared inputs (``p0 = P(0)``, ``disc = e^{-rT}``; see :func:`creditgrades_spread`)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s2, lm2 = sigma_star**2, lm**2  # each used more than once (the same values as recomputing them)
        xi = lm2 / s2
        z = np.sqrt(0.25 + 2.0 * rr / s2)
        pt = _survival_from(ln_d, np.sqrt(s2 * tenor + lm2))
        parts = (-ln_d, z + 0.5, 0.5 - z)
        h = np.exp(rr * xi) * (_g(tenor + xi, ln_d, sigma_star, z, *parts) - _g(xi, ln_d, sigma_star, z, *parts))
        c = rr * (1.0 - recovery) * (1.0 - p0 + h) / (p0 - pt * disc - h)
    c = np.where(np.isfinite(c), np.maximum(c, 0.0), np.nan)
    return c * 1e4


def creditgrades_implied_vol(
    price: object,
    dps: object,
    r: object,
    spread_bp: object,
    *,
    tenor: float = 5.0,
    lbar: float = 0.5,
    lam: float = 0.3,
    recovery: float = 0.4,
    bounds: tuple[float, float] = (0.02, 4.0),
    iterations: int = 50,
) -> np.ndarray:
    """Equity volatility at which :func:`creditgrades_spread` equals ``spread_bp`` (bisection).

    Parameters
    ----------
    price, dps, r : array_like
        Share price, debt per share and continuously compounded rate.
    spread_bp : array_like
        Target spread (bp).
    tenor, lbar, lam, recovery
        As in :func:`creditgrades_spread`.
    bounds : (float, float)
        Search interval; targets outside the model's reach return the nearer bound.
    iterations : int
        Halvings of the interval.

    Returns
    -------
    numpy.ndarray
        The midpoint of the last interval (the spread increases with σ); NaN where an input
        is missing or the target is not positive. Every element is bisected on its own, so
        the result of one element does not depend on the others in the call; the parts of
        the spread that do not depend on σ are computed once, with the same operations as
        :func:`creditgrades_spread`, so each step evaluates exactly the spread that
        function returns.

    Notes
    -----
    The bisection is kept rather than a faster root search: where the closed form is
    noisy (very low rates, high leverage, tiny σ*) its result depends on the exact path of
    comparisons, and a root search guided to the same answer still missed it by ~1e-12
    for a few elements in 200,000, which a later calibration could amplify.
    """
    arrays = np.broadcast_arrays(*(_arr(x) for x in (price, dps, r, spread_bp)))
    shape = arrays[0].shape
    p, d, rr0, tgt = (x.reshape(-1) for x in arrays)
    out = np.full(p.shape, np.nan)
    with np.errstate(invalid="ignore"):
        ok = np.flatnonzero(np.isfinite(p + d + rr0 + tgt) & (tgt > 0))
    if ok.size:
        kw = {"tenor": tenor, "lbar": lbar, "lam": lam, "recovery": recovery}
        spread_at = creditgrades_spread_of_vol(p[ok], d[ok], rr0[ok], **kw)
        t = tgt[ok]
        lo = np.full(ok.size, bounds[0])
        hi = np.full(ok.size, bounds[1])
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            up = spread_at(mid) < t
            lo = np.where(up, mid, lo)
            hi = np.where(up, hi, mid)
        out[ok] = 0.5 * (lo + hi)
    return out.reshape(shape)


def creditgrades_spread_of_vol(
    price: object,
    dps: object,
    r: object,
    *,
    tenor: float = 5.0,
    lbar: object = 0.5,
    lam: object = 0.3,
    recovery: float = 0.4,
) -> Callable[..., np.ndarray]:
    """:func:`creditgrades_spread` as a function of the volatility alone, the rest prepared once.

    Returns ``f`` with ``f(σ) == creditgrades_spread(price, σ, dps, r, ...)`` element for
    element (the same operations in the same order), for solvers that evaluate many
    volatilities on the same inputs. ``σ`` must be positive; it broadcasts against the inputs.
    ``f(σ, rows)`` evaluates only the elements ``rows`` of one-dimensional inputs.
    """
    p, d = np.broadcast_arrays(_arr(price), _arr(dps))
    lb, lm0 = _arr(lbar), _arr(lam)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        barrier = lb * d
        bad = ~((p > 0) & (barrier > 0) & (lm0 >= 0))
        ln_d = np.where(bad, np.nan, np.log((p + barrier) / barrier) + lm0**2)
        lm = np.where(bad, np.nan, np.broadcast_to(lm0, bad.shape))
        above = p + barrier
        rr = np.broadcast_to(np.maximum(_arr(r), MIN_RATE), bad.shape)
        p0 = _survival_from(ln_d, lm)
        disc = np.exp(-rr * tenor)

    def spread_at(sigma: object, rows: np.ndarray | None = None) -> np.ndarray:
        if rows is None:
            b_, p_, ab_, ln_, lm_, rr_, p0_, dc_ = bad, p, above, ln_d, lm, rr, p0, disc
        else:
            b_, p_, ab_, ln_, lm_, rr_, p0_, dc_ = (v[rows] for v in (bad, p, above, ln_d, lm, rr, p0, disc))
        with np.errstate(invalid="ignore"):
            sigma_star = np.where(b_, np.nan, _arr(sigma) * p_ / ab_)
        return _spread_bp(ln_, sigma_star, lm_, rr_, p0_, dc_, tenor, recovery)

    return spread_at


# ---------------------------------------------------------------------------- Merton


def merton_equity(
    asset_value: object, asset_vol: object, debt: object, r: object, t: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Merton equity value and equity volatility from the firm's assets.

    Parameters
    ----------
    asset_value, asset_vol : array_like
        Asset value ``V`` and annualised asset volatility ``σ_V``.
    debt : array_like
        Face value of debt ``F`` due at ``t``.
    r : array_like
        Risk-free rate (continuously compounded).
    t : float, default 1.0
        Horizon in years.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``E = V N(d1) - F e^{-rt} N(d2)`` and ``σ_E = N(d1) σ_V V / E``.
    """
    v, sv, f, rr = np.broadcast_arrays(_arr(asset_value), _arr(asset_vol), _arr(debt), _arr(r))
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(v / f) + (rr + 0.5 * sv**2) * t) / (sv * np.sqrt(t))
        d2 = d1 - sv * np.sqrt(t)
        e = v * ndtr(d1) - f * np.exp(-rr * t) * ndtr(d2)
        se = ndtr(d1) * sv * v / e
    return e, se


def merton_solve(
    equity: object,
    equity_vol: object,
    debt: object,
    r: object,
    t: float = 1.0,
    *,
    tol: float = 1e-10,
    max_iter: int = 500,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve Merton's two equations for asset value and asset volatility.

    Parameters
    ----------
    equity, equity_vol : array_like
        Market value of equity ``E`` and annualised equity volatility ``σ_E``.
    debt : array_like
        Face value of debt ``F`` (default point).
    r : array_like
        Risk-free rate.
    t : float, default 1.0
        Horizon in years.
    tol : float
        Relative convergence tolerance of the fixed-point iteration.
    max_iter : int
        Iterations before elements still unconverged are handed to ``scipy.optimize.root``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``V`` and ``σ_V``; NaN where inputs are invalid (``E <= 0``, ``σ_E <= 0``,
        ``F <= 0``) or the system has no solution.

    Notes
    -----
    Vectorised fixed point ``V ← (E + F e^{-rt} N(d2)) / N(d1)``, ``σ_V ← σ_E E / (V N(d1))``
    started at ``V = E + F``, ``σ_V = σ_E E/(E+F)``; elements that do not converge are
    solved one by one with ``scipy.optimize.root`` (hybrid Powell) in log variables.
    """
    e, se, f, rr = np.broadcast_arrays(_arr(equity), _arr(equity_vol), _arr(debt), _arr(r))
    e, se, f, rr = (x.astype(float).copy() for x in (e, se, f, rr))
    valid = (e > 0) & (se > 0) & (f > 0) & np.isfinite(e + se + f + rr)
    v = np.where(valid, e + f, np.nan)
    sv = np.where(valid, se * e / (e + f), np.nan)
    sq = np.sqrt(t)
    converged = ~valid
    # only the elements still iterating are updated: each element's sequence is the same
    # as if the whole array were iterated, and a long array costs what its slow elements cost
    flat_v, flat_sv = v.reshape(-1), sv.reshape(-1)
    fe, fse, ff, fr = (x.reshape(-1) for x in (e, se, f, rr))
    active = np.flatnonzero(~converged.reshape(-1))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(max_iter):
            if active.size == 0:
                break
            va, sva, ea, sea, fa, ra = (x[active] for x in (flat_v, flat_sv, fe, fse, ff, fr))
            d1 = (np.log(va / fa) + (ra + 0.5 * sva**2) * t) / (sva * sq)
            d2 = d1 - sva * sq
            n1 = ndtr(d1)
            v_new = (ea + fa * np.exp(-ra * t) * ndtr(d2)) / n1
            sv_new = sea * ea / (v_new * n1)
            done = (np.abs(v_new - va) <= tol * np.abs(va)) & (np.abs(sv_new - sva) <= tol * np.abs(sva))
            flat_v[active] = v_new
            flat_sv[active] = sv_new
            active = active[~done]
    converged = np.ones(v.shape, dtype=bool)
    converged.reshape(-1)[active] = False
    todo = np.flatnonzero(~converged & valid)
    if todo.size:  # scipy.optimize costs ~0.3 s to import: only when an element needs it
        from scipy import optimize
    for i in todo:  # rare: very high leverage or volatility
        ei, sei, fi, ri = e.flat[i], se.flat[i], f.flat[i], rr.flat[i]

        def resid(x: np.ndarray, ei=ei, sei=sei, fi=fi, ri=ri) -> np.ndarray:
            ee, ss = merton_equity(np.exp(x[0]), np.exp(x[1]), fi, ri, t)
            return np.array([ee / ei - 1.0, ss / sei - 1.0])

        start = np.log([ei + fi, sei * ei / (ei + fi)])
        sol = optimize.root(resid, start, method="hybr")
        ok = sol.success and np.all(np.abs(resid(sol.x)) < 1e-8)
        v.flat[i] = np.exp(sol.x[0]) if ok else np.nan
        sv.flat[i] = np.exp(sol.x[1]) if ok else np.nan
    v = np.where(valid, v, np.nan)
    sv = np.where(valid, sv, np.nan)
    return v, sv


def merton_distance_to_default(
    equity: object, equity_vol: object, debt: object, r: object, t: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Merton distance to default and default probability over ``t`` years.

    Parameters
    ----------
    equity, equity_vol, debt, r : array_like
        As in :func:`merton_solve`.
    t : float, default 1.0
        Horizon in years.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``DD = [ln(V/F) + (r - σ_V²/2) t] / (σ_V √t)`` and ``PD = N(-DD)`` (risk-neutral).
    """
    v, sv = merton_solve(equity, equity_vol, debt, r, t)
    f, rr = np.broadcast_arrays(_arr(debt), _arr(r))
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = (np.log(v / f) + (rr - 0.5 * sv**2) * t) / (sv * np.sqrt(t))
    return dd, ndtr(-dd)


def naive_distance_to_default(
    equity: object, equity_vol: object, debt: object, past_return: object, t: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Bharath–Shumway (2008) naive distance to default and default probability.

    Parameters
    ----------
    equity : array_like
        Market value of equity ``E``.
    equity_vol : array_like
        Annualised equity volatility ``σ_E``.
    debt : array_like
        Face value of debt ``F`` (Bharath–Shumway: current debt + half of long-term debt).
    past_return : array_like
        The firm's stock return over the previous year (the naive drift ``μ``).
    t : float, default 1.0
        Horizon in years.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``DD = [ln((E+F)/F) + (μ - σ_V²/2) t] / (σ_V √t)`` with
        ``σ_V = E/(E+F) σ_E + F/(E+F) (0.05 + 0.25 σ_E)``, and ``PD = N(-DD)``.
        NaN where ``E <= 0``, ``F <= 0`` or ``σ_E <= 0``.
    """
    e, se, f, mu = np.broadcast_arrays(_arr(equity), _arr(equity_vol), _arr(debt), _arr(past_return))
    valid = (e > 0) & (se > 0) & (f > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = 0.05 + 0.25 * se
        sv = e / (e + f) * se + f / (e + f) * sd
        dd = (np.log((e + f) / f) + (mu - 0.5 * sv**2) * t) / (sv * np.sqrt(t))
    dd = np.where(valid, dd, np.nan)
    return dd, ndtr(-dd)


# ---------------------------------------------------------------------------- volatility

VolMethod = Literal["window", "ewma", "blend"]
VolEstimator = Literal["squared", "bipower", "medrv", "truncated", "truncated_up", "downside", "medrv_ewma"]
#: Every estimator accepted by :func:`compute_equity_vol` (``CreditParams.vol_estimator``).
VOL_ESTIMATORS: tuple[str, ...] = ("squared", "bipower", "medrv", "truncated", "truncated_up", "downside", "medrv_ewma")

#: Scale of bipower variation: ``E|Z|`` = ``sqrt(2/π)`` for a standard normal ``Z``, so
#: ``E[|r_t||r_{t-1}|] = (2/π) σ²`` without jumps (Barndorff-Nielsen and Shephard 2004).
BIPOWER_SCALE = math.pi / 2.0
#: Scale of MedRV: ``E[med(|Z1|,|Z2|,|Z3|)²] = (6 - 4√3 + π)/π`` for i.i.d. standard
#: normals (Andersen, Dobrev and Schaumburg 2012, eq. 2.3), i.e. about 1/1.4176.
MEDRV_SCALE = math.pi / (6.0 - 4.0 * math.sqrt(3.0) + math.pi)


def compute_daily_variance(
    returns: pd.Series | pd.DataFrame, estimator: Literal["squared", "bipower", "medrv", "downside"] = "squared"
) -> pd.Series | pd.DataFrame:
    """Per-session contribution to a daily variance estimate, point in time.

    Parameters
    ----------
    returns : Series or DataFrame
        Daily log returns (NaN = no return; a window never bridges a NaN).
    estimator : {"squared", "bipower", "medrv", "downside"}, default "squared"
        ``squared``: ``r_t²`` (realised variance; one jump of size ``J`` adds ``J²``).
        ``downside``: ``2·min(r_t, 0)²``, the downside semivariance doubled (Markowitz
        1959; Barndorff-Nielsen, Kinnebrock and Shephard 2010 for its realised form): a
        rise contributes nothing, a fall ``2 r_t²``; for returns symmetric about zero its
        mean is ``σ²``.
        ``bipower``: ``(π/2)·|r_t|·|r_{t-1}|`` (Barndorff-Nielsen and Shephard 2004,
        *J. Financial Econometrics* 2(1)): an isolated jump enters only multiplied by its
        neighbours' ordinary returns. ``medrv``: ``π/(6-4√3+π) · med(|r_{t-2}|,|r_{t-1}|,
        |r_t|)²`` (Andersen, Dobrev and Schaumburg 2012, *J. Econometrics* 169(1)): an
        isolated jump is never the median of its triple, so it drops out entirely.

    Returns
    -------
    Series or DataFrame
        Aligned with ``returns``; the mean over sessions estimates the daily variance
        ``σ²`` of a driftless Gaussian diffusion for every estimator. The terms use only
        returns up to ``t`` (trailing), so ``bipower`` is NaN on the first return after a
        gap and ``medrv`` on the first two.
    """
    a = returns.abs()
    if estimator == "squared":
        return returns**2
    if estimator == "bipower":
        return BIPOWER_SCALE * a * a.shift(1)
    if estimator == "downside":
        return 2.0 * returns.clip(upper=0.0) ** 2
    if estimator == "medrv":
        stacked = np.stack([np.asarray(a.shift(k), dtype=float) for k in (0, 1, 2)], axis=0)
        with np.errstate(invalid="ignore"):
            med = np.median(stacked, axis=0)  # NaN if any of the three is missing
        out = MEDRV_SCALE * med**2
        if isinstance(returns, pd.DataFrame):
            return pd.DataFrame(out, index=returns.index, columns=returns.columns)
        return pd.Series(out, index=returns.index, name=returns.name)
    raise ValueError(f"unknown volatility estimator {estimator!r}; use squared, bipower, medrv or downside")


def compute_jump_mask(
    returns: pd.Series | pd.DataFrame,
    *,
    threshold: float = 4.0,
    halflife: float = 30.0,
    min_terms: int = 20,
    side: Literal["both", "up", "down"] = "both",
) -> pd.Series | pd.DataFrame:
    """Flag single-session jumps: ``|r_t| > threshold · σ̂_{t-1}``, point in time.

    Parameters
    ----------
    returns : Series or DataFrame
        Daily log returns.
    threshold : float, default 4.0
        Jump threshold in local standard deviations (Mancini 2009 truncation; 3 to 5 is
        the range used in the literature, e.g. Aït-Sahalia and Jacod 2014, ch. 6).
    halflife : float, default 30
        Half-life (sessions) of the local volatility ``σ̂``.
    min_terms : int, default 20
        MedRV terms needed before any return can be flagged.
    side : {"both", "up", "down"}, default "both"
        Flag jumps of either sign, only rises (``r_t > threshold · σ̂_{t-1}``) or only
        falls (``r_t < -threshold · σ̂_{t-1}``).

    Returns
    -------
    Series or DataFrame of bool
        True where the return is a jump (of the requested sign). ``σ̂_{t-1}`` is the square root of the EWMA of
        the MedRV terms (:func:`compute_daily_variance`) up to the *previous* session: it
        is jump-robust itself and never contains the return it judges.
    """
    med = compute_daily_variance(returns, "medrv")
    local = med.ewm(halflife=halflife, min_periods=min_terms, ignore_na=True).mean().shift(1)
    if side == "both":
        size = returns.abs()
    elif side == "up":
        size = returns
    elif side == "down":
        size = -returns
    else:
        raise ValueError(f"unknown jump side {side!r}; use both, up or down")
    with np.errstate(invalid="ignore"):
        return (size > threshold * np.sqrt(local)).fillna(False).astype(bool) & returns.notna()


#: Returns before the first term of each estimator (see :func:`compute_daily_variance`).
_LAGS = {"squared": 0, "bipower": 1, "medrv": 2, "truncated": 0, "truncated_up": 0, "downside": 0, "medrv_ewma": 2}


def compute_equity_vol(
    prices: pd.Series | pd.DataFrame,
    *,
    method: VolMethod = "blend",
    window: int = 250,
    halflife: float = 30.0,
    min_obs: int = 60,
    skip_first: int = 0,
    estimator: VolEstimator = "squared",
    jump_threshold: float = 4.0,
) -> pd.Series | pd.DataFrame:
    """Annualised equity volatility from daily closes, point in time (trailing only).

    Parameters
    ----------
    prices : Series or DataFrame
        Daily closes on sessions (columns = symbols). Returns are log close-to-close.
    method : {"window", "ewma", "blend"}, default "blend"
        ``window``: equally weighted estimate over the last ``window`` returns (fewer while
        the history is shorter, down to ``min_obs``). ``ewma``: exponentially weighted with
        ``halflife`` sessions. ``blend``: the square root of the mean of both
        variances: it keeps a one-year memory (CreditGrades' technical document uses a
        long window for stable spreads) while still reacting within weeks to a shock.
    window : int, default 250
        Window length in sessions.
    halflife : float, default 30
        EWMA half-life in sessions.
    min_obs : int, default 60
        Fewer returns than this give NaN (a short listing gets no volatility yet).
    skip_first : int, default 0
        Ignore the first ``skip_first`` returns of each column (counted from its first
        close), e.g. the aftermarket month of an IPO. ``min_obs`` still counts every return
        since the first close (so the first value comes on the same day), but at least
        ``min(min_obs, 20)`` returns must be kept.
    estimator : {"squared", "bipower", "medrv", "truncated", "truncated_up", "downside", "medrv_ewma"}
        What each session contributes to the window and the EWMA variance (default
        ``"squared"``; see :func:`compute_daily_variance`). ``squared`` is the classical
        estimator: the window part is then the sample variance (demeaned, ``ddof=1``) and
        the EWMA part the RiskMetrics zero-mean average of ``r²``. ``bipower`` and
        ``medrv`` are zero-mean averages of jump-robust terms, so a single-day price jump
        (up *or* down) does not inflate the volatility; the jump's effect on the price
        itself still reaches any model using the price. ``truncated`` is ``r_t²`` with the
        returns flagged by :func:`compute_jump_mask` left out (Mancini 2009);
        ``truncated_up`` leaves out only the flagged *rises* (``r_t > k·σ̂_{t-1}``) and keeps
        every fall, however large. Both average the kept ``r²`` (zero mean) over the last
        ``window`` sessions / with the EWMA weights of the kept sessions. ``downside``
        averages ``2·min(r_t, 0)²`` (zero mean). ``medrv_ewma`` mixes: the window part is
        the classical sample variance, the EWMA part averages MedRV terms.
    jump_threshold : float, default 4.0
        ``k`` of the ``truncated`` and ``truncated_up`` estimators (local standard
        deviations).

    Returns
    -------
    Series or DataFrame
        Annualised volatility (``√252`` scaling), aligned with ``prices``.

    Notes
    -----
    The robust terms need one (bipower) or two (medrv) earlier returns, so the window
    and EWMA use ``lag`` fewer terms than returns; ``min_obs`` still counts returns, so
    the first value comes on the same session for every estimator.
    """
    if estimator not in _LAGS:
        raise ValueError(f"unknown volatility estimator {estimator!r}; use one of {', '.join(VOL_ESTIMATORS)}")
    if estimator in ("truncated", "truncated_up"):
        return _equity_vol_truncated(
            prices,
            method=method,
            window=window,
            halflife=halflife,
            min_obs=min_obs,
            skip_first=skip_first,
            side="both" if estimator == "truncated" else "up",
            jump_threshold=jump_threshold,
        )
    values = np.asarray(prices, dtype=float)
    out = equity_vol_matrix(
        values[:, None] if values.ndim == 1 else values,
        method=method,
        window=window,
        halflife=halflife,
        min_obs=min_obs,
        skip_first=skip_first,
        estimator=estimator,
    )
    if isinstance(prices, pd.DataFrame):
        return pd.DataFrame(out, index=prices.index, columns=prices.columns)
    return pd.Series(out[:, 0], index=prices.index, name=prices.name)


def _daily_variance_array(rets: np.ndarray, estimator: str) -> np.ndarray:
    """:func:`compute_daily_variance` of a (sessions × names) array (the same operations)."""
    a = np.abs(rets)
    if estimator == "squared":
        return rets**2
    if estimator == "bipower":
        return BIPOWER_SCALE * a * _shift_rows(a, 1)
    if estimator == "downside":
        return 2.0 * np.where(rets > 0.0, 0.0, rets) ** 2  # clip(upper=0), NaN kept
    stacked = np.stack([_shift_rows(a, k) for k in (0, 1, 2)], axis=0)
    with np.errstate(invalid="ignore"):
        med = np.median(stacked, axis=0)  # NaN if any of the three is missing
    return MEDRV_SCALE * med**2


def _shift_rows(x: np.ndarray, k: int) -> np.ndarray:
    if k == 0:
        return x
    out = np.full(x.shape, np.nan)
    out[k:] = x[:-k]
    return out


def equity_vol_matrix(
    prices: np.ndarray,
    *,
    method: str = "blend",
    window: int = 250,
    halflife: float = 30.0,
    min_obs: int = 60,
    skip_first: int = 0,
    estimator: str = "squared",
) -> np.ndarray:
    """:func:`compute_equity_vol` of a (sessions × names) array of closes, for every estimator
    but the truncated ones.

    The element-wise steps run in numpy; the rolling window and the EWMA are pandas' own
    (one call each for all columns), so every value equals :func:`compute_equity_vol`'s.
    """
    if method not in ("window", "ewma", "blend"):
        raise ValueError(f"unknown volatility method {method!r}; use window, ewma or blend")
    if estimator not in _LAGS or estimator in ("truncated", "truncated_up"):
        raise ValueError(f"equity_vol_matrix does not compute the {estimator!r} estimator")
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.log(prices)
    rets = np.full(logp.shape, np.nan)
    rets[1:] = logp[1:] - logp[:-1]
    count = np.cumsum(~np.isnan(rets), axis=0)
    kept_min = min_obs
    if skip_first > 0:
        rets = np.where(count > skip_first, rets, np.nan)
        kept_min = max(min_obs - skip_first, min(min_obs, 20))
    kept = np.cumsum(~np.isnan(rets), axis=0)
    lag = _LAGS[estimator]
    term_min = max(kept_min - lag, 1)
    want_w, want_e = method in ("window", "blend"), method in ("ewma", "blend")

    def rolling(x: np.ndarray, n: int, minp: int, stat: str) -> np.ndarray:
        r = pd.DataFrame(x).rolling(n, min_periods=minp)
        return (r.var() if stat == "var" else r.mean()).to_numpy()

    def ewm(x: np.ndarray, minp: int) -> np.ndarray:
        return pd.DataFrame(x).ewm(halflife=halflife, min_periods=minp, ignore_na=True).mean().to_numpy()

    var_w = var_e = np.empty(0)
    if estimator in ("squared", "medrv_ewma"):
        if want_w:
            var_w = rolling(rets, window, min(kept_min, window), "var")
        if want_e:
            # EWMA of squared returns (zero mean, RiskMetrics style), or of MedRV terms
            sq = estimator == "squared"
            var_e = ewm(rets**2 if sq else _daily_variance_array(rets, "medrv"), kept_min if sq else term_min)
    else:
        terms = _daily_variance_array(rets, estimator)
        # the window covers the last `window` returns: its terms start `lag` returns later
        n_terms = max(window - lag, 1)
        if want_w:
            var_w = rolling(terms, n_terms, min(term_min, n_terms), "mean")
        if want_e:
            var_e = ewm(terms, term_min)
    var = var_w if method == "window" else var_e if method == "ewma" else 0.5 * (var_w + var_e)
    with np.errstate(invalid="ignore"):
        vol = np.sqrt(var * TRADING_DAYS)
    return np.where((count >= min_obs) & (kept >= kept_min), vol, np.nan)


def _equity_vol_truncated(
    prices: pd.Series | pd.DataFrame,
    *,
    method: str,
    window: int,
    halflife: float,
    min_obs: int,
    skip_first: int,
    side: Literal["both", "up"],
    jump_threshold: float,
) -> pd.Series | pd.DataFrame:
    """:func:`compute_equity_vol` with the ``truncated``/``truncated_up`` estimators."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rets = np.log(prices).diff()
    count = rets.notna().cumsum()
    kept_min = min_obs
    if skip_first > 0:
        rets = rets.where(count > skip_first)
        kept_min = max(min_obs - skip_first, min(min_obs, 20))
    kept = rets.notna().cumsum()
    terms = (rets**2).where(~compute_jump_mask(rets, threshold=jump_threshold, halflife=halflife, side=side))
    var_w = terms.rolling(window, min_periods=1).mean()
    var_e = terms.ewm(halflife=halflife, min_periods=1, ignore_na=True).mean()
    if method == "window":
        var = var_w
    elif method == "ewma":
        var = var_e
    elif method == "blend":
        var = 0.5 * (var_w + var_e)
    else:
        raise ValueError(f"unknown volatility method {method!r}; use window, ewma or blend")
    vol = np.sqrt(var * TRADING_DAYS)
    return vol.where((count >= min_obs) & (kept >= kept_min))


def compute_return_count(prices: pd.Series, *, window: int, skip_first: int = 0) -> pd.Series:
    """Number of daily returns inside the trailing volatility window, point in time.

    Parameters
    ----------
    prices : Series
        Daily closes (NaN before a listing is fine).
    window : int
        Window length in sessions (the count is capped at ``window``).
    skip_first : int, default 0
        Returns ignored at the start, as in :func:`compute_equity_vol`.

    Returns
    -------
    Series
        ``min(returns kept so far, window)`` on each date (0 before the first return).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.log(prices).diff().notna()
    n = ok.cumsum()
    return (n - skip_first).clip(lower=0, upper=window).astype(float)


def shrink_vol_to_prior(vol: object, n_obs: object, prior_vol: object, target_obs: float) -> np.ndarray:
    """Pool a short-history volatility with a prior, the prior worth the missing sessions.

    Parameters
    ----------
    vol : array_like
        The name's own volatility estimate (annualised fraction).
    n_obs : array_like
        Returns behind ``vol`` (see :func:`compute_return_count`).
    prior_vol : array_like
        Prior volatility, e.g. the root-mean variance of comparable stocks. NaN = no prior.
    target_obs : float
        Length of the long-horizon window the proxy is meant to use (sessions).

    Returns
    -------
    numpy.ndarray
        ``sqrt((n σ² + (N - n) σ_p²) / N)`` with ``n = min(n_obs, N)``, ``N = target_obs``:
        the variance of a full ``N``-session window whose missing ``N - n`` sessions are
        filled with the prior's variance (the conjugate-prior / pseudo-observation
        estimate). Equal to ``vol`` once ``n >= N`` or where the prior is NaN.
    """
    v, n, p = np.broadcast_arrays(_arr(vol), _arr(n_obs), _arr(prior_vol))
    w = np.clip(n / float(target_obs), 0.0, 1.0)
    with np.errstate(invalid="ignore"):
        pooled = np.sqrt(w * v**2 + (1.0 - w) * p**2)
    return np.where(np.isfinite(p), pooled, v)
