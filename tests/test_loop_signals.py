"""Loop-level signals against hand computations on a small synthetic panel.

The expected values are computed here independently of the signal code: explicit OLS
residuals with numpy's least squares on each 60-session window, numpy's ``corrcoef``, and
a weighted mean written out by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aimonitor.analytics.signals import SignalInputs, compute_signals, signal_names

LOOP = ["ORCL", "CRWV", "AMD", "NVDA"]
PLACEBO = ["MSFT", "META", "AMZN", "GOOGL"]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """Closes from returns = beta * market + loop factor (loop names only) + noise."""
    rng = np.random.default_rng(11)
    n = 140
    idx = pd.bdate_range("2024-01-02", periods=n)
    mkt = rng.normal(0, 0.01, n)
    loop_f = rng.normal(0, 0.015, n)
    tech_f = rng.normal(0, 0.004, n)
    rets = {"SPY": mkt}
    for i, s in enumerate(LOOP):
        rets[s] = (1.0 + 0.3 * i) * mkt + loop_f + rng.normal(0, 0.01, n)
    for i, s in enumerate(PLACEBO):
        rets[s] = (0.8 + 0.1 * i) * mkt + tech_f + rng.normal(0, 0.01, n)
    r = pd.DataFrame(rets, index=idx)
    r.iloc[0] = 0.0
    return 100.0 * (1.0 + r).cumprod()


def _resid_corr_by_hand(closes: pd.DataFrame, names: list[str], end: int, window: int = 60) -> float:
    r = closes.pct_change().iloc[end - window + 1 : end + 1]
    m = r["SPY"].to_numpy()
    x = np.column_stack([np.ones_like(m), m])
    res = []
    for s in names:
        coef, *_ = np.linalg.lstsq(x, r[s].to_numpy(), rcond=None)
        res.append(r[s].to_numpy() - x @ coef)
    c = np.corrcoef(np.array(res))
    iu = np.triu_indices(len(names), 1)
    return float(c[iu].mean())


def _signal(df: pd.DataFrame, name: str, symbol: str) -> pd.Series:
    d = df[(df["signal"] == name) & (df["symbol"] == symbol)]
    return pd.Series(d["value"].to_numpy(), index=pd.to_datetime(d["date"]))


def test_loop_signals_are_registered():
    names = signal_names()
    for n in ("loop_resid_corr_60d", "placebo_resid_corr_60d", "loop_excess_resid_corr_60d", "loop_stress_index"):
        assert n in names


def test_residual_correlation_matches_explicit_ols_residuals(panel):
    inp = SignalInputs(closes=panel, market="SPY", watchlist=LOOP)
    df = compute_signals(inp, names=["loop_resid_corr_60d", "placebo_resid_corr_60d", "loop_excess_resid_corr_60d"])
    loop = _signal(df, "loop_resid_corr_60d", "LOOP")
    plac = _signal(df, "placebo_resid_corr_60d", "PLACEBO")
    exc = _signal(df, "loop_excess_resid_corr_60d", "LOOP")
    # the first value needs 40 returns in the window (returns start on the 2nd row)
    assert loop.index[0] == panel.index[40]
    for end in (60, 61, 99, 139):
        day = panel.index[end]
        a = _resid_corr_by_hand(panel, LOOP, end)
        b = _resid_corr_by_hand(panel, PLACEBO, end)
        assert loop[day] == pytest.approx(a, abs=1e-9)
        assert plac[day] == pytest.approx(b, abs=1e-9)
        assert exc[day] == pytest.approx(a - b, abs=1e-9)
    # the loop shares a factor the placebo does not: its market-neutral correlation is higher
    assert exc.iloc[-1] > 0.2


def test_residual_correlation_ignores_a_pure_market_shock(panel):
    """Scaling up the market leg (a market-wide sell-off) raises raw but not residual correlation."""
    r = panel.pct_change()
    shocked = r.copy()
    for s in [*LOOP, *PLACEBO]:
        # add 5x the market return: moves every name with SPY, nothing else
        shocked[s] = r[s] + 5.0 * r["SPY"]
    shocked.iloc[0] = 0.0
    closes2 = 100.0 * (1.0 + shocked.fillna(0.0)).cumprod()
    base = compute_signals(SignalInputs(closes=panel, market="SPY", watchlist=LOOP))
    shock = compute_signals(SignalInputs(closes=closes2, market="SPY", watchlist=LOOP))
    raw0, raw1 = _signal(base, "corr_60d", "LOOP").iloc[-1], _signal(shock, "corr_60d", "LOOP").iloc[-1]
    assert raw1 > raw0 + 0.1
    # a return of (r_i + 5 r_m) has the same residual on the market as r_i (up to float error)
    e0 = _signal(base, "loop_excess_resid_corr_60d", "LOOP").iloc[-1]
    e1 = _signal(shock, "loop_excess_resid_corr_60d", "LOOP").iloc[-1]
    assert e1 == pytest.approx(e0, abs=1e-6)


def test_corr_60d_matrix_form_matches_pandas_pairwise_with_gaps(panel):
    p = panel.copy()
    p.loc[p.index[70:75], "AMD"] = np.nan  # a gap: pairs use the sessions both are present
    p.loc[p.index[:30], "CRWV"] = np.nan  # a late listing
    df = compute_signals(SignalInputs(closes=p, market="SPY", watchlist=LOOP), names=["corr_60d"])
    got = _signal(df, "corr_60d", "LOOP")
    r = p.pct_change(fill_method=None)
    for end in (59, 80, 139):
        w = r[LOOP].iloc[end - 59 : end + 1]
        part = [s for s in LOOP if w[s].notna().sum() >= 40]
        c = w[part].corr(min_periods=3).to_numpy()  # pandas pairwise-complete Pearson
        iu = np.triu_indices(len(part), 1)
        assert got[p.index[end]] == pytest.approx(float(np.nanmean(c[iu])), abs=1e-10)


def test_loop_stress_index_is_the_exposure_weighted_mean_of_spread_z(panel):
    idx = panel.index
    rng = np.random.default_rng(3)
    sp = pd.DataFrame({s: 100 + np.cumsum(rng.normal(0, 2, len(idx))) for s in LOOP}, index=idx)
    expo = pd.DataFrame(0.0, index=idx, columns=LOOP)
    expo.loc[idx[125] :, "ORCL"] = 300e9
    expo.loc[idx[125] :, "NVDA"] = 100e9
    expo.loc[idx[130] :, "AMD"] = 300e9  # AMD joins the loop later; CRWV never does
    inp = SignalInputs(closes=panel, market="SPY", watchlist=LOOP, spread_proxy=sp, loop_exposure=expo)
    df = compute_signals(inp, names=["loop_stress_index", "spread_z_1y"])
    got = _signal(df, "loop_stress_index", "LOOP")
    # before any name has loop exposure the names weigh equally
    first_z = [_signal(df, "spread_z_1y", s)[idx[124]] for s in LOOP]
    assert got[idx[124]] == pytest.approx(float(np.mean(first_z)))
    for t in (125, 129, 130, 139):
        z = {}
        for s in LOOP:
            hist = sp[s].iloc[max(0, t - 251) : t + 1]
            z[s] = (hist.iloc[-1] - hist.mean()) / hist.std(ddof=1)
        w = {s: expo[s].iloc[t] for s in LOOP}
        want = sum(w[s] * z[s] for s in LOOP) / sum(w.values())
        assert got[idx[t]] == pytest.approx(want, rel=1e-9)
    # without a graph every watchlist name weighs the same
    eq = compute_signals(
        SignalInputs(closes=panel, market="SPY", watchlist=LOOP, spread_proxy=sp), names=["loop_stress_index"]
    )
    day = idx[139]
    zz = [_signal(df, "spread_z_1y", s)[day] for s in LOOP]
    assert _signal(eq, "loop_stress_index", "LOOP")[day] == pytest.approx(float(np.mean(zz)))
