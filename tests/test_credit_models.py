"""Credit models against independent computations (published example, hand work, quadrature)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from aimonitor.analytics import credit


def _N(x: float) -> float:  # independent normal cdf
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def test_merton_hull_worked_example():
    # Hull, "Risk Management and Financial Institutions" / "Options, Futures and Other
    # Derivatives" (Merton model example): E = 3, sigma_E = 80%, D = 10, r = 5%, T = 1
    # -> V0 = 12.40, sigma_V = 21.23%, risk-neutral default probability N(-d2) = 12.7%.
    v, sv = credit.merton_solve(3.0, 0.80, 10.0, 0.05, 1.0)
    assert float(v) == pytest.approx(12.40, abs=0.005)
    assert float(sv) == pytest.approx(0.2123, abs=0.0001)
    dd, pd1 = credit.merton_distance_to_default(3.0, 0.80, 10.0, 0.05, 1.0)
    assert float(pd1) == pytest.approx(0.127, abs=0.0005)


def test_merton_hand_case_forward_and_inverse():
    V, sV, F, r, T = 100.0, 0.25, 80.0, 0.05, 1.0
    d1 = (math.log(V / F) + (r + 0.5 * sV**2) * T) / (sV * math.sqrt(T))
    d2 = d1 - sV * math.sqrt(T)
    E = V * _N(d1) - F * math.exp(-r * T) * _N(d2)
    sE = _N(d1) * sV * V / E
    e, se = credit.merton_equity(V, sV, F, r, T)
    assert float(e) == pytest.approx(E, rel=1e-12)
    assert float(se) == pytest.approx(sE, rel=1e-12)
    v, sv = credit.merton_solve(E, sE, F, r, T)
    assert float(v) == pytest.approx(V, rel=1e-8)
    assert float(sv) == pytest.approx(sV, rel=1e-8)
    dd, _ = credit.merton_distance_to_default(E, sE, F, r, T)
    assert float(dd) == pytest.approx((math.log(V / F) + (r - 0.5 * sV**2) * T) / sV, rel=1e-8)


def test_merton_vectorised_and_invalid():
    v, sv = credit.merton_solve([3.0, 0.0, 3.0], [0.8, 0.8, -0.1], [10.0, 10.0, 10.0], 0.05)
    assert float(v[0]) == pytest.approx(12.40, abs=0.005)
    assert np.isnan(v[1]) and np.isnan(v[2])


def test_naive_dd_fixed_inputs():
    # E = 100, sigma_E = 40%, F = 50, past return 10%, T = 1 (Bharath and Shumway 2008):
    # sigma_D = 0.05 + 0.25*0.4 = 0.15; sigma_V = 2/3*0.4 + 1/3*0.15 = 0.316667
    # DD = (ln 3 + 0.10 - 0.316667^2/2) / 0.316667 = (1.098612 + 0.049861) / 0.316667 = 3.62676
    dd, pd1 = credit.naive_distance_to_default(100.0, 0.40, 50.0, 0.10)
    assert float(dd) == pytest.approx(3.62676, abs=1e-4)
    assert float(pd1) == pytest.approx(_N(-3.62676), rel=1e-3)
    dd0, _ = credit.naive_distance_to_default(0.0, 0.40, 50.0, 0.10)
    assert np.isnan(dd0)


def _survival_indep(S, sig, D, lbar, lam, t):
    # eq. 2.11 written out again with math.erf
    d = (S + lbar * D) / (lbar * D) * math.exp(lam**2)
    ss = sig * S / (S + lbar * D)
    A = math.sqrt(ss**2 * t + lam**2)
    return _N(-A / 2 + math.log(d) / A) - d * _N(-A / 2 - math.log(d) / A)


@pytest.mark.parametrize(
    "S,sig,D,r,R", [(100.0, 0.35, 50.0, 0.05, 0.5), (40.0, 0.8, 30.0, 0.04, 0.4), (250.0, 0.3, 30.0, 0.038, 0.4)]
)
def test_creditgrades_spread_equals_quadrature_of_survival_curve(S, sig, D, r, R):
    lbar, lam, T = 0.5, 0.3, 5.0

    def P(s):
        return _survival_indep(S, sig, D, lbar, lam, s)

    from scipy import integrate  # only this test needs it: not imported at collection

    integral, _ = integrate.quad(lambda s: math.exp(-r * s) * P(s), 0.0, T, epsabs=1e-13, epsrel=1e-11, limit=200)
    # premium leg c*I = protection leg (1-R)[1 - P(0) + int e^{-rs}(-dP)], integrated by parts
    prot = (1 - R) * (1.0 - math.exp(-r * T) * P(T) - r * integral)
    expected_bp = prot / integral * 1e4
    got = float(credit.creditgrades_spread(S, sig, D, r, tenor=T, lbar=lbar, lam=lam, recovery=R))
    assert got == pytest.approx(expected_bp, rel=1e-5)
    assert float(credit.creditgrades_survival(S, sig, D, T, lbar=lbar, lam=lam)) == pytest.approx(P(T), rel=1e-10)


def test_creditgrades_monotone_and_invalid_inputs():
    s = credit.creditgrades_spread([100, 80, 60], 0.4, 40.0, 0.04)
    assert s[0] < s[1] < s[2]  # lower share price, same debt -> wider
    bad = credit.creditgrades_spread([0.0, 100.0, 100.0], [0.4, 0.4, 0.0], [40.0, 0.0, 40.0], 0.04)
    assert np.isnan(bad).all()
    # a very safe firm does not overflow
    assert 0 <= float(credit.creditgrades_spread(180.0, 0.05, 0.3, 0.04)) < 1e-3


def test_window_vol_equals_hand_std():
    rng = np.random.default_rng(3)
    px = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.02, 300))), index=pd.bdate_range("2024-01-01", periods=300))
    v = credit.compute_equity_vol(px, method="window", window=250, min_obs=60)
    r = np.diff(np.log(px.to_numpy()))
    assert v.iloc[-1] == pytest.approx(np.std(r[-250:], ddof=1) * math.sqrt(252), rel=1e-10)
    assert v.iloc[:60].isna().all() and v.notna().iloc[61]
    with pytest.raises(ValueError):
        credit.compute_equity_vol(px, method="garch")  # type: ignore[arg-type]


# ---------------------------------------------------------------- short-history volatility


def test_shrink_vol_to_prior_hand_values():
    # 100 own returns at 100% vol, prior 50%, 250-session target: the prior stands for the
    # 150 missing sessions -> sqrt((100 * 1.0 + 150 * 0.25) / 250) = sqrt(0.55)
    out = credit.shrink_vol_to_prior([1.0, 1.0, 1.0, 0.3], [100, 250, 400, 100], [0.5, 0.5, 0.5, np.nan], 250)
    assert out[0] == pytest.approx(math.sqrt(0.55), rel=1e-12)  # 0.7416...
    assert out[1] == 1.0 and out[2] == 1.0  # full window: the prior has no weight
    assert out[3] == 0.3  # no prior: own estimate unchanged


def test_vol_skip_first_equals_hand_std_after_the_ipo_month():
    rng = np.random.default_rng(7)
    # a "listing" whose first month is wild (10% daily) and then calm (1% daily)
    r = np.concatenate([rng.normal(0, 0.10, 21), rng.normal(0, 0.01, 100)])
    px = pd.Series(40 * np.exp(np.concatenate([[0.0], np.cumsum(r)])), index=pd.bdate_range("2025-03-28", periods=122))
    v = credit.compute_equity_vol(px, method="window", window=250, min_obs=60, skip_first=21)
    assert v.iloc[-1] == pytest.approx(np.std(r[21:], ddof=1) * math.sqrt(252), rel=1e-10)
    # min_obs still counts from the listing: first value after 60 returns, from 39 kept ones
    assert v.iloc[:60].isna().all() and v.iloc[60] == pytest.approx(np.std(r[21:60], ddof=1) * math.sqrt(252))
    n = credit.compute_return_count(px, window=250, skip_first=21)
    assert n.iloc[0] == 0 and n.iloc[21] == 0 and n.iloc[60] == 39 and n.iloc[-1] == 100
    assert credit.compute_return_count(px, window=50).iloc[-1] == 50  # capped at the window


def test_peer_prior_is_leave_one_out_root_mean_variance_of_full_window_peers():
    # the credit panel's prior of a name: sqrt(mean variance) of its same-class peers that
    # have a full window, the name itself left out (computed once for all names)
    from aimonitor.analytics.spreads import CreditParams, _class_peer_vols

    rng = np.random.default_rng(11)
    idx = pd.bdate_range("2024-01-01", periods=500)
    r = {k: rng.normal(0, s, 499) for k, s in (("A", 0.02), ("B", 0.03), ("C", 0.025), ("X", 0.04))}
    px = pd.DataFrame({k: 100 * np.exp(np.concatenate([[0.0], np.cumsum(v)])) for k, v in r.items()}, index=idx)
    px.iloc[:200, 1] = np.nan  # B lists later: its first full window 250 returns after
    params = CreditParams(
        vol_method="window",
        vol_estimator="squared",
        vol_window=250,
        vol_prior_symbols=("A", "B", "C", "X"),
        risk_classes=(("A", "ig"), ("B", "ig"), ("C", "ig"), ("D", "ig"), ("X", "hy")),
    )
    prior = _class_peer_vols(px, ["A", "B", "C", "D", "X"], params)

    def var(k: str, end: int) -> float:  # annualised sample variance of the 250 returns to `end`
        return float(np.var(r[k][end - 250 : end], ddof=1) * 252)

    va, vb, vc = var("A", 499), var("B", 499), var("C", 499)
    assert prior["A"][-1] == pytest.approx(math.sqrt((vb + vc) / 2), rel=1e-10)
    assert prior["B"][-1] == pytest.approx(math.sqrt((va + vc) / 2), rel=1e-10)
    assert prior["C"][-1] == pytest.approx(math.sqrt((va + vb) / 2), rel=1e-10)
    assert prior["D"][-1] == pytest.approx(math.sqrt((va + vb + vc) / 3), rel=1e-10)  # not a candidate itself
    assert np.isnan(prior["X"]).all()  # alone in its class: no peer at all
    # session 250: A and C have their first full window, B only 50 returns
    assert np.isnan(prior["A"][249]) and prior["A"][250] == pytest.approx(math.sqrt(var("C", 250)), rel=1e-10)
    assert prior["B"][250] == pytest.approx(math.sqrt((var("A", 250) + var("C", 250)) / 2), rel=1e-10)


# ---------------------------------------------------------------- jump-robust volatility

_C_MEDRV = math.pi / (6 - 4 * math.sqrt(3) + math.pi)  # ADS (2012): 1 / E[med(|Z1|,|Z2|,|Z3|)^2]


def _jump_series() -> tuple[pd.Series, np.ndarray]:
    # 80 returns of +-1% (alternating) and one +30% jump at return 70
    r = np.where(np.arange(80) % 2 == 0, 0.01, -0.01)
    r[70] = 0.30
    px = pd.Series(100 * np.exp(np.concatenate([[0.0], np.cumsum(r)])), index=pd.bdate_range("2025-01-01", periods=81))
    return px, r


def test_daily_variance_terms_hand_values():
    r = pd.Series([0.01, -0.02, 0.30, -0.015, 0.005])
    bv = credit.compute_daily_variance(r, "bipower")
    assert np.isnan(bv.iloc[0])
    assert bv.iloc[2] == pytest.approx(math.pi / 2 * 0.02 * 0.30, rel=1e-12)
    assert bv.iloc[4] == pytest.approx(math.pi / 2 * 0.015 * 0.005, rel=1e-12)
    mv = credit.compute_daily_variance(r, "medrv")
    assert mv.iloc[:2].isna().all()
    # medians of |r| triples: (.01,.02,.30) -> .02; (.02,.30,.015) -> .02; (.30,.015,.005) -> .015
    assert mv.iloc[2:].tolist() == pytest.approx(
        [_C_MEDRV * 0.02**2, _C_MEDRV * 0.02**2, _C_MEDRV * 0.015**2], rel=1e-12
    )
    assert credit.compute_daily_variance(r, "squared").iloc[2] == pytest.approx(0.09)
    with pytest.raises(ValueError, match="estimator"):
        credit.compute_daily_variance(r, "garch")  # type: ignore[arg-type]


def test_robust_terms_unbiased_for_gaussian_returns():
    # the scale constants make each term an unbiased estimate of sigma^2 without jumps
    r = pd.Series(np.random.default_rng(5).normal(0.0, 0.02, 200_000))
    for est in ("bipower", "medrv"):
        assert credit.compute_daily_variance(r, est).mean() == pytest.approx(0.02**2, rel=0.01)


def test_medrv_vol_ignores_an_isolated_jump_hand_computation():
    px, r = _jump_series()
    # every |r| triple around the jump has median 1%, so MedRV = C * 1e-4 on every session
    for method in ("window", "ewma", "blend"):
        v = credit.compute_equity_vol(px, method=method, window=50, min_obs=60, estimator="medrv")
        assert v.iloc[-1] == pytest.approx(math.sqrt(_C_MEDRV * 1e-4 * 252), rel=1e-12)
        assert v.iloc[71] == pytest.approx(v.iloc[70], rel=1e-12)  # the jump day (return 70 ends at close 71)
        assert v.iloc[:60].isna().all() and v.notna().iloc[60]  # same first session as the classical estimator
    sq = credit.compute_equity_vol(px, method="blend", window=50, min_obs=60)
    assert sq.iloc[71] > 2 * sq.iloc[70]  # the classical estimator jumps


def test_medrv_window_and_ewma_hand_formula_on_random_returns():
    rng = np.random.default_rng(9)
    r = rng.normal(0, 0.02, 120)
    r[100] = -0.25
    px = pd.Series(50 * np.exp(np.concatenate([[0.0], np.cumsum(r)])), index=pd.bdate_range("2025-01-01", periods=121))
    a = np.abs(r)
    terms = np.array([_C_MEDRV * np.median(a[i - 2 : i + 1]) ** 2 for i in range(2, len(r))])  # 118 terms
    vw = credit.compute_equity_vol(px, method="window", window=60, min_obs=60, estimator="medrv")
    assert vw.iloc[-1] == pytest.approx(math.sqrt(terms[-58:].mean() * 252), rel=1e-10)  # 60 returns, 58 triples
    alpha = 1 - 0.5 ** (1 / 30.0)
    wts = (1 - alpha) ** np.arange(len(terms))[::-1]
    ve = credit.compute_equity_vol(px, method="ewma", halflife=30.0, min_obs=60, estimator="medrv")
    assert ve.iloc[-1] == pytest.approx(math.sqrt(np.sum(wts * terms) / wts.sum() * 252), rel=1e-10)
    vb = credit.compute_equity_vol(px, method="blend", window=60, halflife=30.0, min_obs=60, estimator="medrv")
    assert vb.iloc[-1] == pytest.approx(math.sqrt((vw.iloc[-1] ** 2 + ve.iloc[-1] ** 2) / 2), rel=1e-10)
    with pytest.raises(ValueError, match="estimator"):
        credit.compute_equity_vol(px, estimator="garch")  # type: ignore[arg-type]


def test_bipower_window_hand_formula():
    px, r = _jump_series()
    v = credit.compute_equity_vol(px, method="window", window=50, min_obs=60, estimator="bipower")
    prod = math.pi / 2 * np.abs(r[1:]) * np.abs(r[:-1])  # 79 terms
    assert v.iloc[-1] == pytest.approx(math.sqrt(prod[-49:].mean() * 252), rel=1e-12)


def test_truncated_vol_drops_the_jump_hand_computation():
    px, r = _jump_series()
    r2 = r.copy()
    r2[60] = 0.04  # a big but ordinary move: below 4 * sqrt(C) * 1% = 4.76%
    px = pd.Series(100 * np.exp(np.concatenate([[0.0], np.cumsum(r2)])), index=px.index)
    mask = credit.compute_jump_mask(pd.Series(r2), threshold=4.0)
    assert mask.tolist() == [i == 70 for i in range(80)]
    v = credit.compute_equity_vol(px, method="window", window=50, min_obs=60, estimator="truncated")
    kept = np.delete(r2[-50:], 70 - 30)
    assert v.iloc[-1] == pytest.approx(math.sqrt(np.mean(kept**2) * 252), rel=1e-12)


# ---------------------------------------------------------------- asymmetric estimators


def test_downside_terms_hand_values():
    r = pd.Series([0.01, -0.02, 0.30, -0.015, np.nan, 0.0])
    d = credit.compute_daily_variance(r, "downside")
    assert d.iloc[:4].tolist() == pytest.approx([0.0, 2 * 0.02**2, 0.0, 2 * 0.015**2], rel=1e-12)
    assert np.isnan(d.iloc[4]) and d.iloc[5] == 0.0


def test_downside_term_unbiased_for_symmetric_returns():
    # E[2 min(Z,0)^2] = E[Z^2] for Z symmetric about 0
    r = pd.Series(np.random.default_rng(7).normal(0.0, 0.02, 1_000_000))
    assert credit.compute_daily_variance(r, "downside").mean() == pytest.approx(0.02**2, rel=0.01)


def test_downside_vol_window_ewma_blend_hand_formula():
    rng = np.random.default_rng(11)
    r = rng.normal(0, 0.02, 150)
    r[120], r[130] = 0.30, -0.20
    px = pd.Series(40 * np.exp(np.concatenate([[0.0], np.cumsum(r)])), index=pd.bdate_range("2025-01-01", periods=151))
    semi = 2 * np.minimum(r, 0) ** 2
    vw = credit.compute_equity_vol(px, method="window", window=60, min_obs=60, estimator="downside")
    assert vw.iloc[-1] == pytest.approx(math.sqrt(semi[-60:].mean() * 252), rel=1e-10)
    assert vw.iloc[:60].isna().all() and vw.notna().iloc[60]
    wts = (0.5 ** (1 / 30.0)) ** np.arange(len(r))[::-1]
    ve = credit.compute_equity_vol(px, method="ewma", halflife=30.0, min_obs=60, estimator="downside")
    assert ve.iloc[-1] == pytest.approx(math.sqrt(np.sum(wts * semi) / wts.sum() * 252), rel=1e-10)
    vb = credit.compute_equity_vol(px, method="blend", window=60, halflife=30.0, min_obs=60, estimator="downside")
    assert vb.iloc[-1] == pytest.approx(math.sqrt((vw.iloc[-1] ** 2 + ve.iloc[-1] ** 2) / 2), rel=1e-10)


def test_downside_vol_ignores_a_rise_and_counts_a_fall():
    px, r = _jump_series()  # alternating +-1%, +30% at return 70 (close 71)
    v = credit.compute_equity_vol(px, method="window", window=50, min_obs=60, estimator="downside")
    # window of returns 21..70: 25 falls of 1% (odd positions), the jump contributes 0
    assert v.iloc[71] == pytest.approx(math.sqrt(2 * 25 * 1e-4 / 50 * 252), rel=1e-12)
    assert v.iloc[71] <= v.iloc[70]
    down = r.copy()
    down[70] = -0.30
    pxd = pd.Series(100 * np.exp(np.concatenate([[0.0], np.cumsum(down)])), index=px.index)
    vd = credit.compute_equity_vol(pxd, method="window", window=50, min_obs=60, estimator="downside")
    assert vd.iloc[71] == pytest.approx(math.sqrt(2 * (25 * 1e-4 + 0.09) / 50 * 252), rel=1e-12)


def test_jump_mask_sides():
    _, r = _jump_series()
    r2 = r.copy()
    r2[75] = -0.30
    rs = pd.Series(r2)
    assert credit.compute_jump_mask(rs).tolist() == [i in (70, 75) for i in range(80)]
    assert credit.compute_jump_mask(rs, side="up").tolist() == [i == 70 for i in range(80)]
    assert credit.compute_jump_mask(rs, side="down").tolist() == [i == 75 for i in range(80)]
    with pytest.raises(ValueError, match="side"):
        credit.compute_jump_mask(rs, side="left")  # type: ignore[arg-type]


def test_truncated_up_drops_the_rise_keeps_the_fall_hand_computation():
    px, r = _jump_series()
    r2 = r.copy()
    r2[75] = -0.30  # as large as the rise, but a fall: kept
    px = pd.Series(100 * np.exp(np.concatenate([[0.0], np.cumsum(r2)])), index=px.index)
    vw = credit.compute_equity_vol(px, method="window", window=50, min_obs=60, estimator="truncated_up")
    kept_w = np.delete(r2[-50:], 70 - 30)  # returns 30..79 without the +30%
    assert vw.iloc[-1] == pytest.approx(math.sqrt(np.mean(kept_w**2) * 252), rel=1e-12)
    ve = credit.compute_equity_vol(px, method="ewma", halflife=30.0, min_obs=60, estimator="truncated_up")
    kept = np.delete(r2, 70)  # the EWMA skips the dropped session (weights over kept ones)
    wts = (0.5 ** (1 / 30.0)) ** np.arange(len(kept))[::-1]
    assert ve.iloc[-1] == pytest.approx(math.sqrt(np.sum(wts * kept**2) / wts.sum() * 252), rel=1e-12)
    # on the jump day the rise is out; the symmetric truncation would also drop the fall
    assert vw.iloc[71] == pytest.approx(vw.iloc[70], rel=0.05)
    sym = credit.compute_equity_vol(px, method="window", window=50, min_obs=60, estimator="truncated")
    assert sym.iloc[-1] == pytest.approx(math.sqrt(np.mean(np.delete(r2[-50:], [40, 45]) ** 2) * 252), rel=1e-12)


def test_medrv_ewma_mixes_sample_window_and_medrv_ewma_hand_formula():
    rng = np.random.default_rng(3)
    r = rng.normal(0, 0.02, 120)
    r[100] = 0.25
    px = pd.Series(50 * np.exp(np.concatenate([[0.0], np.cumsum(r)])), index=pd.bdate_range("2025-01-01", periods=121))
    a = np.abs(r)
    terms = np.array([_C_MEDRV * np.median(a[i - 2 : i + 1]) ** 2 for i in range(2, len(r))])
    wts = (0.5 ** (1 / 30.0)) ** np.arange(len(terms))[::-1]
    var_e = np.sum(wts * terms) / wts.sum()
    var_w = np.var(r[-60:], ddof=1)
    v = credit.compute_equity_vol(px, method="blend", window=60, halflife=30.0, min_obs=60, estimator="medrv_ewma")
    assert v.iloc[-1] == pytest.approx(math.sqrt(0.5 * (var_w + var_e) * 252), rel=1e-10)
    assert v.iloc[:60].isna().all() and v.notna().iloc[60]
