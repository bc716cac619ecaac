"""Tests of the market-signal registry (aimonitor.analytics.signals).

Expected numbers come from hand computations written here, from independent numpy
formulas applied to the bundled CSV, and from the market-data PROVENANCE facts.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aimonitor
from aimonitor import calendar as cal
from aimonitor.analytics import signals as S
from aimonitor.analytics.signals import SignalInputs, compute_signals
from aimonitor.errors import ConfigError, DataWarning

SNAPSHOT = Path(aimonitor.__file__).parent / "data" / "snapshot"
WATCH = ["ORCL", "CRWV", "AMD", "NVDA"]


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return pd.read_csv(SNAPSHOT / "bars.csv.gz", parse_dates=["date"])


@pytest.fixture(scope="module")
def adj(bars) -> pd.DataFrame:
    return bars.pivot(index="date", columns="symbol", values="adj_close").sort_index()


@pytest.fixture(scope="module")
def oas_bp() -> pd.DataFrame:
    fred = pd.read_csv(SNAPSHOT / "fred.csv.gz", parse_dates=["date"])
    fred = fred[fred["series"].str.startswith("BAML")]
    return fred.pivot(index="date", columns="series", values="value") * 100.0


@pytest.fixture(scope="module")
def full(adj, oas_bp) -> pd.DataFrame:
    sess = cal.sessions_index(adj.index[0], adj.index[-1])
    inputs = SignalInputs(closes=adj, market="SPY", watchlist=WATCH, fred_oas=oas_bp, sessions=sess)
    return compute_signals(inputs)


def value(df: pd.DataFrame, signal: str, symbol: str, day: str) -> float:
    d = dt.date.fromisoformat(day)
    hit = df[(df["signal"] == signal) & (df["symbol"] == symbol) & (df["date"] == d)]
    assert len(hit) == 1, f"{signal} {symbol} {day}: {len(hit)} rows"
    return float(hit["value"].iloc[0])


def series(df: pd.DataFrame, signal: str, symbol: str) -> pd.Series:
    sub = df[(df["signal"] == signal) & (df["symbol"] == symbol)]
    return pd.Series(sub["value"].to_numpy(), index=pd.DatetimeIndex(pd.to_datetime(sub["date"])))


def synth_closes(cols: dict[str, np.ndarray], start: str = "2024-01-02") -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    idx = cal.sessions_index(start, "2030-12-31")[:n]
    return pd.DataFrame(cols, index=idx)


# ----------------------------------------------------------------------------- output shape


def test_output_columns_types_and_no_nan(full):
    assert list(full.columns) == ["date", "symbol", "signal", "value"]
    assert isinstance(full["date"].iloc[0], dt.date) and not isinstance(full["date"].iloc[0], dt.datetime)
    assert full["value"].dtype == float
    assert np.isfinite(full["value"]).all()
    assert not full.duplicated(["date", "symbol", "signal"]).any()
    # without a spread proxy there are no spread-proxy rows
    assert not full["signal"].isin(["spread_proxy_bp", "spread_change_20d_bp", "spread_z_1y"]).any()


# ----------------------------------------------------------------------------- returns


def test_ret_1d_real_facts(full, bars):
    raw = bars.set_index(["symbol", "date"])
    # ORCL 2025-09-10: on adjusted closes, computed here from the CSV numbers
    a1 = raw.loc[("ORCL", pd.Timestamp("2025-09-10")), "adj_close"]
    a0 = raw.loc[("ORCL", pd.Timestamp("2025-09-09")), "adj_close"]
    got = value(full, "ret_1d", "ORCL", "2025-09-10")
    assert got == pytest.approx(a1 / a0 - 1, rel=1e-12)
    # PROVENANCE fact: close 328.33 prev 241.51 -> +35.95% (adjusted differs by < 1e-4)
    assert got == pytest.approx(328.33 / 241.51 - 1, abs=1e-4)
    assert got == pytest.approx(0.3595, abs=1e-4)
    # AMD 2025-10-06 203.71 prev 164.67 -> +23.71% (AMD pays no dividend: adj == close)
    assert value(full, "ret_1d", "AMD", "2025-10-06") == pytest.approx(203.71 / 164.67 - 1, abs=1e-6)
    # NVDA 2025-09-22 183.61 prev 176.67 -> +3.93%
    assert value(full, "ret_1d", "NVDA", "2025-09-22") == pytest.approx(0.0393, abs=1e-4)
    # NVDA -16.97% on 2025-01-27 (DeepSeek day)
    assert value(full, "ret_1d", "NVDA", "2025-01-27") == pytest.approx(-0.1697, abs=1e-4)


def test_ret_1d_and_5d_hand_and_gaps():
    p = np.array([100.0, 110.0, 99.0, 120.0, 90.0, 100.0, 105.0, np.nan, 104.0])
    closes = synth_closes({"A": p})
    df = compute_signals(SignalInputs(closes=closes), names=["ret_1d", "ret_5d"])
    r1 = series(df, "ret_1d", "A")
    d = closes.index
    assert r1[d[1]] == pytest.approx(0.10)
    assert r1[d[2]] == pytest.approx(-0.10)
    assert r1[d[4]] == pytest.approx(-0.25)
    # no return into or out of a missing bar, none on the first session
    assert d[0] not in r1.index and d[7] not in r1.index and d[8] not in r1.index
    r5 = series(df, "ret_5d", "A")
    assert r5[d[5]] == pytest.approx(0.0)  # 100 / 100
    assert r5[d[6]] == pytest.approx(105 / 110 - 1)
    assert r5[d[8]] == pytest.approx(104 / 120 - 1)
    assert len(r5) == 3


# ----------------------------------------------------------------------------- drawdown


def test_drawdown_short_series_hand():
    closes = synth_closes({"A": np.array([100.0, 110.0, 99.0, 120.0, 90.0])})
    dd = series(compute_signals(SignalInputs(closes=closes), names=["drawdown_52w"]), "drawdown_52w", "A")
    np.testing.assert_allclose(dd.to_numpy(), [0.0, 0.0, 99 / 110 - 1, 0.0, 90 / 120 - 1], rtol=1e-12)


def test_drawdown_peak_leaves_the_252_session_window():
    p = np.full(300, 100.0)
    p[0] = 200.0
    closes = synth_closes({"A": p})
    dd = series(compute_signals(SignalInputs(closes=closes), names=["drawdown_52w"]), "drawdown_52w", "A")
    d = closes.index
    assert dd[d[251]] == pytest.approx(-0.5)  # window d[0]..d[251] still holds the 200 peak
    assert dd[d[252]] == pytest.approx(0.0)  # window d[1]..d[252] does not
    assert (dd <= 0).all()


# ----------------------------------------------------------------------------- volatility


def test_vol_20d_alternating_log_returns():
    a = 0.02
    lr = np.array([a if i % 2 == 0 else -a for i in range(40)])
    p = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(lr)]))
    closes = synth_closes({"A": p})
    vol = series(compute_signals(SignalInputs(closes=closes), names=["vol_20d"]), "vol_20d", "A")
    # 20 returns alternating +a/-a: mean 0, sample sd = a*sqrt(20/19)
    expected = a * math.sqrt(20 / 19) * math.sqrt(252)
    assert vol.index[0] == closes.index[20]  # first date with 20 returns
    np.testing.assert_allclose(vol.to_numpy(), expected, rtol=1e-10)


def test_vol_20d_z_independent_numpy(full, adj):
    p = adj["NVDA"].to_numpy()
    lr = np.diff(np.log(p))
    # independent loop: vol on day k (k = index into closes) uses lr[k-20:k]
    vols = {k: np.std(lr[k - 20 : k], ddof=1) * np.sqrt(252) for k in range(20, len(p))}
    day = pd.Timestamp("2025-04-09")
    t = adj.index.get_loc(day)
    past = np.array([vols[k] for k in range(t - 251, t + 1)])
    z = (vols[t] - past.mean()) / past.std(ddof=1)
    assert value(full, "vol_20d", "NVDA", "2025-04-09") == pytest.approx(vols[t], rel=1e-9)
    assert value(full, "vol_20d_z", "NVDA", "2025-04-09") == pytest.approx(z, rel=1e-8)


def test_vol_20d_z_needs_120_observations():
    rng = np.random.default_rng(1)
    p = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 200)))
    closes = synth_closes({"A": p})
    z = series(compute_signals(SignalInputs(closes=closes), names=["vol_20d_z"]), "vol_20d_z", "A")
    # first vol on index 20, the 120th vol on index 139
    assert z.index[0] == closes.index[139]


# ----------------------------------------------------------------------------- market model SAR


def _sar_lstsq(adj: pd.DataFrame, sym: str, day: str, market: str = "SPY", L: int = 250) -> float:
    r = adj / adj.shift(1) - 1
    t = adj.index.get_loc(pd.Timestamp(day))
    win = r.iloc[t - L : t][[sym, market]].dropna()
    X = np.column_stack([np.ones(len(win)), win[market].to_numpy()])
    y = win[sym].to_numpy()
    coef, res, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    s = math.sqrt(resid @ resid / (len(y) - 2))
    ar = r[sym].iloc[t] - coef[0] - coef[1] * r[market].iloc[t]
    return ar / s


@pytest.mark.parametrize(
    "sym,day",
    [("ORCL", "2025-09-10"), ("NVDA", "2025-01-27"), ("AMD", "2025-10-06"), ("CRWV", "2025-09-10")],
)
def test_sar_1d_matches_lstsq(full, adj, sym, day):
    assert value(full, "sar_1d", sym, day) == pytest.approx(_sar_lstsq(adj, sym, day), rel=1e-8)


def test_sar_1d_orcl_earnings_day_is_extreme(full):
    assert value(full, "sar_1d", "ORCL", "2025-09-10") > 10


def test_sar_1d_minimum_60_estimation_returns(full):
    # CRWV's first bar is 2025-03-28; its 60th return is 60 sessions later; the first
    # SAR is the session after that.
    first = min(d for d in full[(full.signal == "sar_1d") & (full.symbol == "CRWV")]["date"])
    assert first == cal.session_offset("2025-03-28", 61)
    # the benchmark itself gets no SAR
    assert not ((full.signal == "sar_1d") & (full.symbol == "SPY")).any()


# ----------------------------------------------------------------------------- correlation


def _orthonormal(n: int, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(n, k))
    m -= m.mean(axis=0)
    q, _ = np.linalg.qr(m)  # columns orthonormal and (still) mean zero
    return q


def _closes_from_returns(rets: dict[str, np.ndarray]) -> pd.DataFrame:
    cols = {k: 100 * np.cumprod(np.concatenate([[1.0], 1 + v])) for k, v in rets.items()}
    return synth_closes(cols)


def test_corr_60d_known_correlations():
    q = _orthonormal(60, 2, seed=3)
    u, v = q[:, 0] * 0.1, q[:, 1] * 0.1
    rets = {"A": u, "B": 0.6 * u + 0.8 * v, "C": v}
    # corr(A,B)=0.6, corr(A,C)=0, corr(B,C)=0.8 -> average 1.4/3
    closes = _closes_from_returns(rets)
    closes["X"] = 100 * np.cumprod(np.concatenate([[1.0], 1 + np.random.default_rng(9).normal(0, 0.02, 60)]))
    df = compute_signals(SignalInputs(closes=closes, watchlist=["A", "B", "C"]), names=["corr_60d"])
    c = series(df, "corr_60d", "LOOP")
    assert c.index[-1] == closes.index[60]
    assert c.iloc[-1] == pytest.approx(1.4 / 3, abs=1e-10)
    # first value when each symbol has 40 returns in the window
    assert c.index[0] == closes.index[40]


def test_corr_60d_excludes_symbols_with_fewer_than_40_returns():
    q = _orthonormal(60, 2, seed=5)
    u, v = q[:, 0] * 0.1, q[:, 1] * 0.1
    closes = _closes_from_returns({"A": u, "B": 0.6 * u + 0.8 * v, "C": v, "D": -u})
    closes.iloc[:25, closes.columns.get_loc("D")] = np.nan  # D: 35 returns in the last window
    df = compute_signals(SignalInputs(closes=closes, watchlist=["A", "B", "C", "D"]), names=["corr_60d"])
    assert series(df, "corr_60d", "LOOP").iloc[-1] == pytest.approx(1.4 / 3, abs=1e-10)
    # with D's 41 returns it counts: pairs add corr(A,D)=-1, corr(B,D)=-0.6, corr(C,D)=0 on
    # the overlapping sessions; check against numpy on the same window
    closes2 = _closes_from_returns({"A": u, "B": 0.6 * u + 0.8 * v, "C": v, "D": -u})
    closes2.iloc[:19, closes2.columns.get_loc("D")] = np.nan
    df2 = compute_signals(SignalInputs(closes=closes2, watchlist=["A", "B", "C", "D"]), names=["corr_60d"])
    r = (closes2 / closes2.shift(1) - 1).iloc[1:]
    pairs = []
    for i, a in enumerate("ABCD"):
        for b in "ABCD"[i + 1 :]:
            w = r[[a, b]].dropna()
            pairs.append(np.corrcoef(w[a], w[b])[0, 1])
    assert series(df2, "corr_60d", "LOOP").iloc[-1] == pytest.approx(np.mean(pairs), abs=1e-10)


def test_corr_60d_real_data_against_numpy(full, adj):
    r = (adj / adj.shift(1) - 1)[WATCH]
    day = pd.Timestamp("2025-09-10")
    t = r.index.get_loc(day)
    w = r.iloc[t - 59 : t + 1]
    use = [s for s in WATCH if w[s].notna().sum() >= 40]
    assert use == WATCH  # CRWV has over 40 returns by then
    pairs = [w[[a, b]].dropna().corr().iloc[0, 1] for i, a in enumerate(use) for b in use[i + 1 :]]
    assert value(full, "corr_60d", "LOOP", "2025-09-10") == pytest.approx(np.mean(pairs), rel=1e-9)


# ----------------------------------------------------------------------------- spreads


def test_spread_proxy_signals_hand():
    idx = cal.sessions_index("2024-01-02", "2030-12-31")[:300]
    x = 100.0 + np.arange(300) * 0.5
    x[150:] += 50.0 * np.sin(np.arange(150))
    sp = pd.DataFrame({"ORCL": x}, index=idx)
    closes = pd.DataFrame({"ORCL": np.full(300, 10.0)}, index=idx)
    names = ["spread_proxy_bp", "spread_change_20d_bp", "spread_z_1y"]
    df = compute_signals(SignalInputs(closes=closes, spread_proxy=sp), names=names)
    assert value(df, "spread_proxy_bp", "ORCL", str(idx[10].date())) == pytest.approx(105.0)
    assert value(df, "spread_change_20d_bp", "ORCL", str(idx[30].date())) == pytest.approx(10.0)
    assert value(df, "spread_change_20d_bp", "ORCL", str(idx[280].date())) == pytest.approx(x[280] - x[260])
    win = x[299 - 251 : 300]
    assert value(df, "spread_z_1y", "ORCL", str(idx[299].date())) == pytest.approx(
        (x[299] - win.mean()) / win.std(ddof=1), rel=1e-10
    )
    z = series(df, "spread_z_1y", "ORCL")
    assert z.index[0] == idx[119]
    ch = series(df, "spread_change_20d_bp", "ORCL")
    assert ch.index[0] == idx[20]


def test_spread_proxy_long_frame_is_accepted():
    idx = cal.sessions_index("2024-01-02", "2024-03-29")
    long = pd.DataFrame({"date": idx, "symbol": "AMD", "value": np.arange(len(idx), dtype=float)})
    closes = pd.DataFrame({"AMD": np.full(len(idx), 5.0)}, index=idx)
    df = compute_signals(SignalInputs(closes=closes, spread_proxy=long), names=["spread_change_20d_bp"])
    np.testing.assert_allclose(df["value"].to_numpy(), 20.0)


# ----------------------------------------------------------------------------- FRED


def test_fred_oas_real_values(full):
    fred = pd.read_csv(SNAPSHOT / "fred.csv.gz", dtype={"series": str, "date": str})
    hy = fred[fred.series == "BAMLH0A0HYM2"].set_index("date")["value"]
    # a session with an observation: bp = 100 x percent
    assert value(full, "fred_oas_bp", "BAMLH0A0HYM2", "2025-04-07") == pytest.approx(100 * hy["2025-04-07"])
    # change over 20 sessions, counted on the exchange calendar
    t0 = cal.session_offset("2025-04-07", -20).isoformat()
    assert value(full, "fred_oas_change_20d_bp", "BAMLH0A0HYM2", "2025-04-07") == pytest.approx(
        100 * (hy["2025-04-07"] - hy[t0])
    )
    # BAMLC0A0CM has no value on 2024-12-24 (PROVENANCE): the session carries 2024-12-23's
    ig = fred[fred.series == "BAMLC0A0CM"].set_index("date")["value"]
    assert "2024-12-24" not in ig.index
    assert value(full, "fred_oas_bp", "BAMLC0A0CM", "2024-12-24") == pytest.approx(100 * ig["2024-12-23"])
    # weekend observations (2026-02-28) are not sessions and never appear
    assert dt.date(2026, 2, 28) not in set(full["date"])


def test_fred_value_not_carried_beyond_5_sessions():
    idx = cal.sessions_index("2025-06-02", "2025-07-31")
    closes = pd.DataFrame({"SPY": np.full(len(idx), 1.0)}, index=idx)
    oas = pd.DataFrame({"BAMLH0A0HYM2": [300.0, 310.0]}, index=pd.to_datetime(["2025-06-02", "2025-06-03"]))
    df = compute_signals(SignalInputs(closes=closes, fred_oas=oas), names=["fred_oas_bp"])
    s = series(df, "fred_oas_bp", "BAMLH0A0HYM2")
    assert s.index[-1].date() == cal.session_offset("2025-06-03", 5)
    assert (s.iloc[1:] == 310.0).all() and len(s) == 7


def test_fred_in_percent_warns():
    idx = cal.sessions_index("2025-06-02", "2025-06-30")
    closes = pd.DataFrame({"SPY": np.full(len(idx), 1.0)}, index=idx)
    oas = pd.DataFrame({"BAMLH0A0HYM2": np.full(len(idx), 3.0)}, index=idx)
    with pytest.warns(DataWarning, match="percent"):
        compute_signals(SignalInputs(closes=closes, fred_oas=oas), names=["fred_oas_bp"])


# ----------------------------------------------------------------------------- staleness


def test_staleness_across_independence_day():
    # 2025-07-04 (Friday) is an NYSE holiday: a last bar on Thursday 07-03 is 1 session
    # old on Monday 07-07, not 2.
    sess = cal.sessions_index("2025-06-23", "2025-07-07")
    closes = pd.DataFrame({"A": 1.0, "B": 1.0}, index=sess)
    closes.loc[pd.Timestamp("2025-07-07"), "A"] = np.nan
    df = compute_signals(SignalInputs(closes=closes, sessions=sess), names=["staleness_sessions"])
    assert value(df, "staleness_sessions", "A", "2025-07-07") == 1
    assert value(df, "staleness_sessions", "B", "2025-07-07") == 0
    assert value(df, "staleness_sessions", "A", "2025-07-03") == 0


def test_staleness_across_day_of_mourning_with_last_bar_only():
    # 2025-01-09 closed (national day of mourning). Store says last bar 2025-01-08;
    # closes frame holds nothing for the symbol.
    sess = cal.sessions_index("2025-01-02", "2025-01-13")
    closes = pd.DataFrame({"SPY": 1.0}, index=sess)
    df = compute_signals(
        SignalInputs(closes=closes, sessions=sess, last_bar={"CRWV": dt.date(2025, 1, 8)}),
        names=["staleness_sessions"],
    )
    assert value(df, "staleness_sessions", "CRWV", "2025-01-10") == 1
    assert value(df, "staleness_sessions", "CRWV", "2025-01-13") == 2
    assert value(df, "staleness_sessions", "CRWV", "2025-01-08") == 0
    assert not ((df.symbol == "CRWV") & (df.date < dt.date(2025, 1, 8))).any()


def test_staleness_real_bond_funds(full):
    # PROVENANCE: HYG/LQD/IEF/TLT end 2026-02-18; 7 sessions 2026-02-19..27 are missing
    for sym in ["HYG", "LQD", "IEF", "TLT"]:
        assert value(full, "staleness_sessions", sym, "2026-02-27") == 7
    assert value(full, "staleness_sessions", "SPY", "2026-02-27") == 0
    # returns stop where the bars stop
    assert not ((full.signal == "ret_1d") & (full.symbol == "HYG") & (full.date > dt.date(2026, 2, 18))).any()


# ----------------------------------------------------------------------------- causality


def test_signals_are_causal(adj, oas_bp):
    cut = pd.Timestamp("2025-06-30")
    sess = cal.sessions_index(adj.index[0], adj.index[-1])
    sp = (adj[["ORCL", "AMD", "CRWV"]].pct_change(fill_method=None).abs() * 1e4 + 100).rolling(5).mean()

    def run(closes, oas, spread, sessions):
        inputs = SignalInputs(
            closes=closes, market="SPY", watchlist=WATCH, fred_oas=oas, spread_proxy=spread, sessions=sessions
        )
        out = compute_signals(inputs, end=cut)
        return out.set_index(["date", "symbol", "signal"])["value"].sort_index()

    full_run = run(adj, oas_bp, sp, sess)
    truncated = run(adj[adj.index <= cut], oas_bp[oas_bp.index <= cut], sp[sp.index <= cut], sess[sess <= cut])
    # perturb everything after the cut (prices, spreads, FRED)
    rng = np.random.default_rng(0)
    later = adj.index > cut
    adj2 = adj.copy()
    adj2.loc[later] = adj2.loc[later] * rng.uniform(0.5, 1.5, size=adj2.loc[later].shape)
    oas2 = oas_bp.copy()
    oas2.loc[oas2.index > cut] += 250.0
    sp2 = sp.copy()
    sp2.loc[sp2.index > cut] *= 3.0
    perturbed = run(adj2, oas2, sp2, sess)

    assert len(full_run) > 10_000
    # every registered signal except the one fed by imported CDS quotes (none here)
    assert set(full_run.index.get_level_values("signal")) == set(S.signal_names()) - {"cds_quote_bp"}
    for other in (truncated, perturbed):
        assert other.index.equals(full_run.index)
        np.testing.assert_allclose(other.to_numpy(), full_run.to_numpy(), rtol=1e-10, atol=1e-12)


def test_start_end_restriction_keeps_values(full, adj, oas_bp):
    sess = cal.sessions_index(adj.index[0], adj.index[-1])
    inputs = SignalInputs(closes=adj, market="SPY", watchlist=WATCH, fred_oas=oas_bp, sessions=sess)
    part = compute_signals(inputs, start="2025-09-08", end=dt.date(2025, 9, 12))
    assert set(part["date"]) == {dt.date(2025, 9, d) for d in (8, 9, 10, 11, 12)}
    ref = full[(full.date >= dt.date(2025, 9, 8)) & (full.date <= dt.date(2025, 9, 12))].reset_index(drop=True)
    pd.testing.assert_frame_equal(part.reset_index(drop=True), ref, check_dtype=False)


# ----------------------------------------------------------------------------- registry


def test_catalog_has_the_fixed_names():
    names = [n for n, _, _ in S.signal_catalog()]
    for required in [
        "ret_1d", "ret_5d", "drawdown_52w", "vol_20d", "vol_20d_z", "sar_1d", "corr_60d",
        "spread_proxy_bp", "spread_change_20d_bp", "spread_z_1y", "fred_oas_bp",
        "fred_oas_change_20d_bp", "staleness_sessions",
    ]:  # fmt: skip
        assert required in names
    units = {n: u for n, u, _ in S.signal_catalog()}
    assert units["ret_1d"] == "fraction" and units["fred_oas_bp"] == "bp" and units["staleness_sessions"] == "sessions"


def test_register_a_new_signal_and_unknown_names():
    @S.register("test_double_close", doc="2 x close (test only)", unit="usd")
    def _double(inputs: SignalInputs) -> pd.DataFrame:
        return S.to_long(inputs.aligned_closes * 2, "test_double_close")

    try:
        closes = synth_closes({"A": np.array([1.0, 2.0])})
        df = compute_signals(SignalInputs(closes=closes), names=["test_double_close"])
        assert df["value"].tolist() == [2.0, 4.0]
        assert ("test_double_close", "usd", "2 x close (test only)") in S.signal_catalog()
        with pytest.raises(ValueError):
            S.register("test_double_close", doc="x", unit="x")(_double)
    finally:
        S._REGISTRY.pop("test_double_close", None)
    with pytest.raises(ConfigError, match="unknown signal"):
        compute_signals(SignalInputs(closes=synth_closes({"A": np.ones(3)})), names=["no_such_signal"])


def test_missing_market_gives_no_sar_but_others_work():
    closes = synth_closes({"A": 100 + np.arange(100.0)})
    df = compute_signals(SignalInputs(closes=closes, market="SPY"))
    assert "sar_1d" not in set(df["signal"])
    assert "ret_1d" in set(df["signal"])


def test_imported_cds_quotes_become_a_signal_rules_can_use():
    """A quote counts on its session and for at most 5 sessions after; a Saturday quote is
    not known at Friday's close, so it counts from Monday (no look-ahead)."""
    from aimonitor.analytics.signals import SignalInputs, compute_signals
    from aimonitor.calendar import sessions_index

    sessions = sessions_index("2025-11-17", "2025-12-05")
    closes = pd.DataFrame({"ORCL": np.linspace(200, 210, len(sessions))}, index=sessions)
    quotes = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-11-19", "2025-11-29"]),  # Wed; Sat after Thanksgiving
            "entity": ["ORCL", "ORCL"],
            "value": [110.0, 125.0],
        }
    )
    out = compute_signals(SignalInputs(closes=closes, sessions=sessions, cds_quotes=quotes), names=["cds_quote_bp"])
    got = {d.isoformat(): v for d, v in zip(out["date"], out["value"])}
    assert "2025-11-18" not in got
    assert got["2025-11-19"] == 110.0 and got["2025-11-26"] == 110.0  # 5 sessions later (27th closed)
    assert "2025-11-28" not in got  # 11-19's quote is 6 sessions old; 11-29's is not known yet
    assert got["2025-12-01"] == 125.0 and got["2025-12-05"] == 125.0
    assert len(got) == 6 + 5  # 11-19..11-26 and 12-01..12-05
