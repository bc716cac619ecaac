"""Edge cases of the event-study engine: never a crash, never a NaN in JSON, a reason for
every skipped firm-event; the two simpler models against hand computations.

Facts used: CRWV's first session is its IPO 2025-03-28; the snapshot ends 2026-02-27;
Thanksgiving 2025-11-27 is an NYSE holiday (2025-11-28 a half-day session).
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from aimonitor.analytics.eventstudy import EventStudy, FirmEvent, compute_event_study
from aimonitor.calendar import sessions_index
from aimonitor.study import StudyOptions, study_from_events, study_from_prices

D = dt.date.fromisoformat


def strict_json(res) -> dict:
    doc = res.to_json()
    json.dumps(doc, allow_nan=False)  # raises on NaN / inf
    return doc


def ev(ticker: str, day0: str, eid: str | None = None) -> dict:
    return {"event_id": eid or f"{ticker}-{day0}", "tickers": ticker, "day0": day0}


# --------------------------------------------------------------------------- skips with reasons


def test_event_before_listing_is_skipped_naming_first_session(wide):
    res = study_from_events(wide, "SPY", [ev("CRWV", "2025-01-22"), ev("NVDA", "2025-06-02")], StudyOptions())
    assert res.symbols == ("NVDA",)
    (sk,) = res.skipped
    assert sk.symbol == "CRWV" and sk.event_id == "CRWV-2025-01-22"
    assert "2025-03-28" in sk.reason
    strict_json(res)


def test_event_after_last_session_is_skipped(wide):
    res = study_from_events(wide, "SPY", [ev("NVDA", "2026-03-10")], StudyOptions())
    assert res.n == 0
    (sk,) = res.skipped
    assert "2026-02-27" in sk.reason and "after the last session" in sk.reason
    doc = strict_json(res)
    assert doc["firms"] == [] and doc["aggregate"]["n"] == 0
    assert all(v is None for v in doc["aggregate"]["window"].values())


def test_window_running_past_the_last_session_is_skipped(wide):
    res = study_from_events(wide, "SPY", [ev("NVDA", "2026-02-27")], StudyOptions(window=(-1, 1)))
    assert res.n == 0 and "2026-02-27" in res.skipped[0].reason
    strict_json(res)


def test_nan_inside_the_window(wide):
    w = wide.copy()
    w.loc["2025-06-03", "AMD"] = np.nan  # day 0 price missing -> returns of day 0 and day +1 missing
    res = study_from_events(w, "SPY", [ev("AMD", "2025-06-03"), ev("NVDA", "2025-06-03")], StudyOptions())
    assert res.symbols == ("NVDA",)
    (sk,) = res.skipped
    assert sk.symbol == "AMD" and "2025-06-03" in sk.reason and "2025-06-04" in sk.reason
    strict_json(res)


def test_nan_inside_the_estimation_window_only_shortens_it(wide):
    w = wide.copy()
    w.loc["2025-03-03", "AMD"] = np.nan  # inside the estimation window: two returns lost
    res = study_from_events(w, "SPY", [ev("AMD", "2025-06-03")], StudyOptions())
    assert res.n == 1 and int(res.n_estimation[0]) == 248


def test_constant_returns_in_estimation_window_are_skipped_not_crashing():
    idx = sessions_index("2024-01-02", "2024-12-31")
    n = len(idx)
    rng = np.random.default_rng(1)
    mkt = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    flat = 50 * 1.001 ** np.arange(n)  # a constant +0.1% return every session
    ok = 80 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    prices = pd.DataFrame({"MKT": mkt, "FLAT": flat, "OK": ok}, index=idx)
    for model in ("market", "constant-mean", "market-adjusted"):
        opts = StudyOptions(window=(-1, 1), estimation_length=120, gap=5, model=model)
        res = study_from_prices(prices, "MKT", idx[200].date(), options=opts)
        names = {s.symbol: s.reason for s in res.skipped}
        if model == "market-adjusted":
            # R - M is not constant (the market moves), so FLAT is estimable
            assert set(res.symbols) == {"FLAT", "OK"}
        else:
            assert res.symbols == ("OK",)
            assert "constant returns" in names["FLAT"]
        strict_json(res)
    # a constant market makes beta undefined: every firm skipped with that reason
    prices2 = prices.assign(MKT=100 * 1.0005 ** np.arange(n))
    res = study_from_prices(prices2, "MKT", idx[200].date(), options=StudyOptions(estimation_length=120))
    assert res.n == 0 and all("market returns are constant" in s.reason for s in res.skipped)
    strict_json(res)


def test_too_few_estimation_returns_is_skipped(wide):
    # CRWV listed 2025-03-28: for day 0 2025-06-02 only ~30 returns precede day -12
    res = study_from_events(wide, "SPY", [ev("CRWV", "2025-06-02")], StudyOptions())
    assert res.n == 0
    assert "min_estimation=60" in res.skipped[0].reason and "2025-03-31" in res.skipped[0].reason


def test_single_firm_gives_null_cross_sectional_statistics(wide):
    res = study_from_events(wide, "SPY", [ev("NVDA", "2025-06-03")], StudyOptions())
    doc = strict_json(res)
    day0 = doc["aggregate"]["days"][1]
    assert day0["t_cs"] is None and day0["bmp_t"] is None and day0["kp_bmp_t"] is None
    assert day0["patell_z"] is not None and math.isfinite(day0["patell_z"])
    assert doc["firms"][0]["car_t"] is not None


def test_market_symbol_and_unknown_symbol_are_skipped(wide):
    res = study_from_events(wide, "SPY", [ev("SPY", "2025-06-03"), ev("XXXX", "2025-06-03")], StudyOptions())
    reasons = {s.symbol: s.reason for s in res.skipped}
    assert "market" in reasons["SPY"] and "XXXX" in reasons["XXXX"]
    strict_json(res)


# --------------------------------------------------------------------------- calendar


def test_window_crossing_thanksgiving_counts_sessions(wide):
    res = study_from_events(wide, "SPY", [ev("NVDA", "2025-11-26")], StudyOptions(window=(-1, 2)))
    assert res.n == 1
    # 2025-11-27 is a holiday; 11-28 a (half-day) session; 11-29/30 a weekend
    assert [str(d) for d in res.dates[0]] == ["2025-11-25", "2025-11-26", "2025-11-28", "2025-12-01"]
    # the return on 11-28 is the one from 11-26's close (no phantom holiday return)
    r = wide["NVDA"].loc["2025-11-28"] / wide["NVDA"].loc["2025-11-26"] - 1
    m = wide["SPY"].loc["2025-11-28"] / wide["SPY"].loc["2025-11-26"] - 1
    assert res.ar[0, 2] == pytest.approx(r - res.alpha[0] - res.beta[0] * m, abs=1e-12)


# --------------------------------------------------------------------------- models by hand
# (the textbook arithmetic on a plain contiguous window: estimation-window cleaning off;
#  tests/test_study_cleaning.py covers the clean windows)


def _hand_setup(wide: pd.DataFrame, sym: str, day0: str, L: int = 250, G: int = 10, A: int = -1, B: int = 1):
    r = wide[[sym, "SPY"]] / wide[[sym, "SPY"]].shift(1) - 1.0
    p = r.index.get_loc(pd.Timestamp(day0))
    est = r.iloc[p + A - G - L : p + A - G].dropna()
    win = r.iloc[p + A : p + B + 1]
    return est, win


def test_market_adjusted_by_hand(wide):
    res = study_from_events(wide, "SPY", [ev("ORCL", "2025-09-10")], StudyOptions(model="market-adjusted", clean=False))
    est, win = _hand_setup(wide, "ORCL", "2025-09-10")
    d = est["ORCL"] - est["SPY"]
    s = d.std(ddof=1)
    ar = (win["ORCL"] - win["SPY"]).to_numpy()
    assert res.alpha[0] == 0 and res.beta[0] == 1
    np.testing.assert_allclose(res.ar[0], ar, atol=1e-12)
    assert res.sigma[0] == pytest.approx(s, rel=1e-10)
    np.testing.assert_allclose(res.sar[0], ar / s, rtol=1e-10)
    assert res.car[0] == pytest.approx(ar.sum(), abs=1e-12)
    assert res.car_t[0] == pytest.approx(ar.sum() / (s * math.sqrt(3)), rel=1e-10)
    doc = strict_json(res)
    assert doc["firms"][0]["beta"] == 1.0


def test_constant_mean_by_hand(wide):
    res = study_from_events(wide, "SPY", [ev("AMD", "2025-10-06")], StudyOptions(model="constant-mean", clean=False))
    est, win = _hand_setup(wide, "AMD", "2025-10-06")
    x = est["AMD"].to_numpy()
    n = len(x)
    mu = x.mean()
    s2 = ((x - mu) ** 2).sum() / (n - 1)
    ar = win["AMD"].to_numpy() - mu
    assert res.alpha[0] == pytest.approx(mu, abs=1e-14)
    np.testing.assert_allclose(res.ar[0], ar, atol=1e-12)
    np.testing.assert_allclose(res.sar[0], ar / math.sqrt(s2 * (1 + 1 / n)), rtol=1e-10)
    assert res.car_t[0] == pytest.approx(ar.sum() / math.sqrt(s2 * (3 + 9 / n)), rel=1e-10)
    doc = strict_json(res)
    assert doc["firms"][0]["beta"] is None  # no beta in the constant-mean model


def test_short_history_firm_uses_what_it_has(wide):
    """CRWV for day 0 2025-10-01: its 250-session estimation window starts before its IPO, so
    only the returns from 2025-03-31 (the first return after the 2025-03-28 IPO) to day -12 count."""
    res = study_from_events(wide, "SPY", [ev("CRWV", "2025-10-01")], StudyOptions(clean=False))
    assert res.n == 1
    est, win = _hand_setup(wide, "CRWV", "2025-10-01")
    n_hand = len(est)
    assert 60 <= n_hand < 250
    assert est.index[0] == pd.Timestamp("2025-03-31")
    assert int(res.n_estimation[0]) == n_hand
    beta, alpha = np.polyfit(est["SPY"], est["CRWV"], 1)
    assert res.alpha[0] == pytest.approx(alpha, abs=1e-10) and res.beta[0] == pytest.approx(beta, abs=1e-10)
    resid = est["CRWV"] - alpha - beta * est["SPY"]
    assert res.sigma[0] == pytest.approx(math.sqrt((resid**2).sum() / (n_hand - 2)), rel=1e-8)
    strict_json(res)


def test_explicit_estimation_dates_overlapping_the_window_are_skipped(wide):
    opts = StudyOptions(estimation_start=D("2025-01-02"), estimation_end=D("2025-06-30"))
    res = study_from_events(wide, "SPY", [ev("NVDA", "2025-06-03"), ev("AMD", "2025-09-02")], opts)
    assert res.symbols == ("AMD",)
    assert "overlaps" in res.skipped[0].reason
    strict_json(res)


def test_engine_rejects_bad_settings():
    with pytest.raises(ValueError):
        EventStudy(window=(2, 1))
    with pytest.raises(ValueError):
        EventStudy(model="fama-french")
    with pytest.raises(ValueError):
        EventStudy(min_estimation=3)


def test_many_events_never_nan_in_json(wide):
    rets = wide / wide.shift(1) - 1
    rng = np.random.default_rng(7)
    syms = [c for c in rets.columns if c != "SPY"]
    days = rets.index
    evs = [
        FirmEvent(syms[i], f"e{k}", days[j].date(), days[j].date())
        for k, (i, j) in enumerate(zip(rng.integers(0, len(syms), 300), rng.integers(0, len(days), 300)))
    ]
    res = compute_event_study(rets.drop(columns="SPY"), rets["SPY"], evs, window=(-2, 3))
    assert res.n + len(res.skipped) == 300
    assert res.n > 100 and all(s.reason for s in res.skipped)
    doc = strict_json(res)
    assert all(d["ar"] is not None for f in doc["firms"] for d in f["days"])


# --------------------------------------------------------------------------- report


def test_write_study_report(tmp_path, wide):
    from aimonitor.report.eventstudy import study_table, write_study_report

    res = study_from_events(
        wide,
        "SPY",
        [ev("ORCL", "2025-09-10", "orcl"), ev("AMD", "2025-10-06", "amd"), ev("CRWV", "2025-01-22", "crwv")],
        StudyOptions(clean=False),  # +35.38% is ORCL's day-0 AR on the plain window (test_eventstudy_real)
    )
    paths = write_study_report(res, tmp_path / "rep")
    names = {p.name for p in paths}
    assert {
        "event_study.md",
        "event_study.html",
        "event_study_firms.csv",
        "event_study_ar.csv",
        "event_study_aggregate.csv",
        "event_study_caar.png",
    } <= names
    assert any(n.startswith("event_study_car_ORCL") and n.endswith(".png") for n in names)
    for p in paths:
        assert p.exists() and p.stat().st_size > 0
    md = (tmp_path / "rep" / "event_study.md").read_text()
    assert "| Symbol |" in md and "| ORCL | orcl | 2025-09-10 |" in md and "| AMD | amd | 2025-10-06 |" in md
    assert "+35.38%" in md  # ORCL's day-0 AR in the per-firm table
    assert "2025-03-28" in md  # the skipped CRWV event and its reason
    assert (tmp_path / "rep" / "event_study_caar.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    firms = pd.read_csv(tmp_path / "rep" / "event_study_firms.csv")
    assert list(firms["symbol"]) == ["ORCL", "AMD"]
    assert len(study_table(res)) == 3
