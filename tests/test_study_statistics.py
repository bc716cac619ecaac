"""Cross-sectional statistics of the event-study engine against independent computations:
pandas' pairwise Pearson correlations (Kolari-Pynnonen), a hand-worked Corrado-Zivney
example, statsmodels OLS (factor model) and a seeded bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from aimonitor.analytics.eventstudy import FirmEvent, compute_event_study
from aimonitor.analytics.eventstudy.statistics import corrado_zivney
from aimonitor.calendar import sessions_index
from aimonitor.study import StudyOptions, study_from_events

L, G = 150, 5


@pytest.fixture(scope="module")
def correlated():
    """Four firms whose market-model residuals share a common shock (pairwise rho ~ 0.5)."""
    idx = sessions_index("2023-01-03", "2024-03-28")
    rng = np.random.default_rng(11)
    n = len(idx)
    m = rng.normal(0.0003, 0.01, n)
    common = rng.normal(0, 0.012, n)
    data = {}
    for k, b in enumerate((0.8, 1.1, 1.4, 0.9)):
        data[f"F{k}"] = 0.0001 * k + b * m + common + rng.normal(0, 0.012, n)
    return pd.DataFrame(data, index=idx), pd.Series(m, index=idx), idx


def hand_residuals(rets: pd.DataFrame, mkt: pd.Series, lo: int, hi: int) -> pd.DataFrame:
    out = {}
    for c in rets.columns:
        r, x = rets[c].iloc[lo : hi + 1].to_numpy(), mkt.iloc[lo : hi + 1].to_numpy()
        b, a = np.polyfit(x, r, 1)
        out[c] = pd.Series(r - a - b * x, index=rets.index[lo : hi + 1])
    return pd.DataFrame(out)


def test_same_day_cluster_kp_uses_mean_pearson_and_changes_bmp(correlated):
    rets, mkt, idx = correlated
    p = 250
    evs = [FirmEvent(c, c, idx[p].date(), idx[p].date()) for c in rets.columns]
    res = compute_event_study(rets, mkt, evs, estimation_length=L, gap=G, clean=False)
    est_hi = p - 1 - G - 1
    resid = hand_residuals(rets, mkt, est_hi - L + 1, est_hi)
    corr = resid.corr().to_numpy()
    rbar = corr[np.triu_indices(4, 1)].mean()
    assert 0.3 < rbar < 0.7
    assert res.aggregate.n_pairs == 6
    assert res.rbar == pytest.approx(rbar, rel=1e-9)
    factor = math.sqrt((1 - rbar) / (1 + 3 * rbar))
    assert res.aggregate.kp_factor == pytest.approx(factor, rel=1e-9)
    np.testing.assert_allclose(res.day_stats["kp_bmp_t"], res.day_stats["bmp_t"] * factor, rtol=1e-12)
    assert abs(res.window_stats["kp_bmp_t"]) < 0.8 * abs(res.window_stats["bmp_t"])


def test_non_overlapping_pair_leaves_bmp_unchanged(correlated):
    rets, mkt, idx = correlated
    evs = [
        FirmEvent("F0", "a", idx[220].date(), idx[220].date()),
        FirmEvent("F1", "b", idx[260].date(), idx[260].date()),
    ]
    res = compute_event_study(rets, mkt, evs, estimation_length=L, gap=G, clean=False)
    assert res.aggregate.n_pairs == 0 and res.aggregate.kp_factor == 1.0
    np.testing.assert_array_equal(res.day_stats["kp_bmp_t"], res.day_stats["bmp_t"])
    assert res.window_stats["kp_bmp_t"] == res.window_stats["bmp_t"]
    assert res.to_json()["aggregate"]["rbar"] is None  # no overlapping pair to average


def test_partly_overlapping_windows_scale_rbar_by_the_share_of_pairs(correlated):
    """Two same-day firm-events plus one far away: only 1 of 3 pairs overlaps, so the
    effective correlation is rho_01 / 3."""
    rets, mkt, idx = correlated
    evs = [
        FirmEvent("F0", "a", idx[250].date(), idx[250].date()),
        FirmEvent("F1", "b", idx[250].date(), idx[250].date()),
        FirmEvent("F2", "c", idx[200].date(), idx[200].date()),
    ]
    res = compute_event_study(rets, mkt, evs, estimation_length=L, gap=G, clean=False)
    est_hi = 250 - 1 - G - 1
    rho = hand_residuals(rets[["F0", "F1"]], mkt, est_hi - L + 1, est_hi).corr().iloc[0, 1]
    assert res.aggregate.n_pairs == 1 and res.rbar == pytest.approx(rho, rel=1e-9)
    rt = rho / 3
    assert res.aggregate.kp_factor == pytest.approx(math.sqrt((1 - rt) / (1 + 2 * rt)), rel=1e-9)


def test_corrado_zivney_hand_example():
    """Firm A: ARs 1, 3, 2 | event 4 (m = 4): U = K/5 - 1/2 = -.3, .1, -.1 | .3.
    Firm B: ARs -, 5, 6 | event 4 (m = 3): U = K/4 - 1/2 = -, 0, .25 | -.25.
    Ubar = -.3, .05, .075 | .025 with N_t = 1, 2, 2, 2 (N = 2);
    S^2 = (1/4)(.5 * .09 + .0025 + .005625 + .000625) = .0134375; Z = .025 / sqrt(S^2)."""
    x = np.array([[1.0, 3.0, 2.0, 4.0], [np.nan, 5.0, 6.0, 4.0]])
    z, zw = corrado_zivney(x, 1)
    assert z[0] == pytest.approx(0.025 / math.sqrt(0.0134375), rel=1e-12)
    assert zw == pytest.approx(z[0], rel=1e-12)  # one event day: the window is that day
    # raw Corrado (1989) on the same data: D = K - (m+1)/2, S^2 = sum Dbar^2 / mean(m)
    # A: -1.5, .5, -.5 | 1.5; B: -, 0, 1 | -1 -> Dbar = -1.5, .25, .25 | .25; S^2 = 2.4375 / 3.5
    z89, _ = corrado_zivney(x, 1, standardised=False)
    assert z89[0] == pytest.approx(0.25 / math.sqrt(2.4375 / 3.5), rel=1e-12)


def test_corrado_zivney_equals_raw_ranks_on_a_balanced_panel_up_to_scale(correlated):
    rets, mkt, idx = correlated
    evs = [FirmEvent(c, c, idx[250].date(), idx[250].date()) for c in rets.columns]
    res = compute_event_study(rets, mkt, evs, estimation_length=L, gap=G, clean=False)
    # equal m_i: U is D / (m + 1), so Ubar and S scale alike except S's N_t/N weights (all 1)
    # and its divisor (number of columns vs mean m: L + T both) -> identical statistics
    np.testing.assert_allclose(res.day_stats["corrado_z"], res.day_stats["corrado1989_z"], rtol=1e-10)


def test_factor_model_matches_statsmodels(wide):
    sm = pytest.importorskip("statsmodels.api")
    opts = StudyOptions(model="factor", factors=("SPY", "SMH"), clean=False)
    res = study_from_events(wide, "SPY", [{"event_id": "x", "tickers": "AMD", "day0": "2025-10-06"}], opts)
    assert res.n == 1 and res.factor_names == ("SPY", "SMH")
    r = wide / wide.shift(1) - 1.0
    p = r.index.get_loc(pd.Timestamp("2025-10-06"))
    est = r.iloc[p - 261 : p - 11][["AMD", "SPY", "SMH"]].dropna()
    assert len(est) == 250
    fit = sm.OLS(est["AMD"].to_numpy(), sm.add_constant(est[["SPY", "SMH"]].to_numpy())).fit()
    assert res.alpha[0] == pytest.approx(fit.params[0], abs=1e-12)
    np.testing.assert_allclose(res.betas[0], fit.params[1:], atol=1e-10)
    assert res.sigma[0] == pytest.approx(math.sqrt(fit.scale), rel=1e-10)
    win = r.iloc[p - 1 : p + 2]
    x = sm.add_constant(win[["SPY", "SMH"]].to_numpy(), has_constant="add")
    pred = fit.get_prediction(x)
    ar = win["AMD"].to_numpy() - pred.predicted_mean
    np.testing.assert_allclose(res.ar[0], ar, atol=1e-12)
    np.testing.assert_allclose(res.sar[0], ar / np.sqrt(pred.var_pred_mean + fit.scale), rtol=1e-9)
    # CAR variance = sum of the prediction-error covariance: s^2 (T + 1' X (X'X)^-1 X' 1)
    g = x.sum(axis=0)
    vcar = fit.scale * (3 + g @ np.linalg.inv(fit.model.exog.T @ fit.model.exog) @ g)
    assert res.car_se[0] == pytest.approx(math.sqrt(vcar), rel=1e-9)
    assert res.to_json()["firms"][0]["betas"]["SMH"] == pytest.approx(fit.params[2], abs=1e-10)


def test_factor_model_needs_known_factors(wide):
    from aimonitor.errors import DataError

    with pytest.raises(DataError, match="XYZ"):
        study_from_events(
            wide,
            "SPY",
            [{"event_id": "x", "tickers": "AMD", "day0": "2025-10-06"}],
            StudyOptions(model="factor", factors=("XYZ",)),
        )


def test_bootstrap_is_reproducible_with_a_seed(correlated):
    rets, mkt, idx = correlated
    evs = [
        FirmEvent(c, f"{c}{k}", idx[p].date(), idx[p].date())
        for k, p in enumerate((200, 240, 280))
        for c in rets.columns
    ]

    def run(seed):
        return compute_event_study(rets, mkt, evs, estimation_length=L, gap=G, bootstrap=500, seed=seed)

    a, b, c = run(7), run(7), run(8)
    assert a.window_stats["caar_ci_low"] == b.window_stats["caar_ci_low"]
    assert a.window_stats["caar_ci_high"] == b.window_stats["caar_ci_high"]
    assert a.window_stats["caar_ci_low"] != c.window_stats["caar_ci_low"]
    lo, hi = a.window_stats["caar_ci_low"], a.window_stats["caar_ci_high"]
    assert lo < a.window_stats["caar"] < hi
    # percentile interval of resampled means: about the CAAR -/+ 1.96 standard errors
    se = float(np.std(a.car, ddof=1) / math.sqrt(a.n))
    assert hi - lo == pytest.approx(2 * 1.96 * se, rel=0.25)
    doc = a.to_json()["aggregate"]
    assert doc["bootstrap"] == {"draws": 500, "seed": 7, "level": 0.95}


def test_calendar_time_clusters_are_same_day_portfolios(correlated):
    rets, mkt, idx = correlated
    evs = [FirmEvent(c, c, idx[250].date(), idx[250].date()) for c in rets.columns]
    evs.append(FirmEvent("F0", "later", idx[290].date(), idx[290].date()))
    res = compute_event_study(rets, mkt, evs, estimation_length=L, gap=G, clean=False)
    assert res.aggregate.clusters == 2
    # portfolio of the four same-day firms: residual = mean of the members' residuals
    est_hi = 250 - 1 - G - 1
    ep = hand_residuals(rets, mkt, est_hi - L + 1, est_hi).mean(axis=1).to_numpy()
    sd_p = math.sqrt(float(np.sum((ep - ep.mean()) ** 2)) / (len(ep) - 2))
    sar_p = res.ar[:4].mean(axis=0) / sd_p
    est_hi2 = 290 - 1 - G - 1
    e2 = hand_residuals(rets[["F0"]], mkt, est_hi2 - L + 1, est_hi2)["F0"].to_numpy()
    sar_2 = res.ar[4] / math.sqrt(float(np.sum((e2 - e2.mean()) ** 2)) / (len(e2) - 2))
    np.testing.assert_allclose(res.day_stats["ct_z"], (sar_p + sar_2) / math.sqrt(2), rtol=1e-9)
