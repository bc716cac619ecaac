"""Spread panel, widening metrics and report on the bundled real-data snapshot."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aimonitor.analytics.spread_report import build_spread_report
from aimonitor.analytics.spreads import (
    CreditParams,
    compute_balance_sheet_pit,
    compute_spread_panel,
    compute_widening,
)
from aimonitor.errors import DataError, InsufficientData
from aimonitor.sources.cdsquotes import load_cds_quotes_csv

FIX = Path(__file__).parent / "fixtures" / "credit"


@pytest.fixture(scope="module")
def data(credit_inputs):
    """The snapshot's closes, filings, Treasury yields and OAS (conftest's ``credit_inputs``, read once)."""
    return credit_inputs


@pytest.fixture(scope="module")
def panel(data):
    return compute_spread_panel(data["closes"], data["fund"], data["rates"], data["fred"])


def test_coreweave_proxy_above_oracle(panel):
    o, c = panel.series("ORCL"), panel.series("CRWV")
    both = pd.concat([o, c], axis=1, join="inner").dropna()
    assert len(both) > 100
    assert (both["CRWV"] > both["ORCL"]).all()


def test_oracle_widens_september_to_november(panel):
    o = panel.series("ORCL")
    assert o.loc["2025-11-25"] > o.loc["2025-09-02"] + 30  # the seeds report about +60 bp


def test_fred_high_yield_oas_in_bp_usable_from_the_next_session(panel):
    # published 3.54% for 2024-01-02: in bp, and usable from the next session only
    b = panel.benchmark("BAMLH0A0HYM2")
    assert b.loc["2024-01-03"] == pytest.approx(354.0)
    assert pd.Timestamp("2024-01-02") not in b.index


def test_filing_after_as_of_never_used(data):
    fund = data["fund"]
    extra = fund[fund["symbol"] == "ORCL"].iloc[[-1]].copy()
    extra["period_end"] = pd.Timestamp("2025-10-31")
    extra["filed_date"] = pd.Timestamp("2025-12-01")  # after as_of
    extra["total_debt"] = 1e13
    extra["shares_outstanding"] = 1.0
    f2 = pd.concat([fund, extra], ignore_index=True)
    kw: dict[str, Any] = dict(as_of="2025-11-28", since="2025-09-02", symbols=["ORCL"])
    a = build_spread_report(data["closes"], fund, data["rates"], data["fred"], **kw).to_json()
    b = build_spread_report(data["closes"], f2, data["rates"], data["fred"], **kw).to_json()
    assert a["rows"] == b["rows"]
    # and day by day: debt switches exactly on the filing date, not on the period end
    bs, _ = compute_balance_sheet_pit(fund, "ORCL", pd.DatetimeIndex(["2025-09-09", "2025-09-10"]))
    assert bs["total_debt"].tolist() == [92_568_000_000, 91_315_000_000]
    # shares: latest point-in-time count filed by then (2,807M of the 10-K filed 2025-06-18),
    # not the 2025-08-31 weighted average
    assert bs["shares"].tolist() == [2_807_000_000, 2_807_000_000]


def test_report_contract_and_snapping(data):
    rep = build_spread_report(
        data["closes"], data["fund"], data["rates"], data["fred"], as_of="2025-11-29", since="2025-08-31"
    )  # Saturday, Sunday
    doc = json.loads(json.dumps(rep.to_json(), allow_nan=False))
    assert doc["as_of"] == "2025-11-28" and doc["since"] == "2025-08-29"
    assert [r["symbol"] for r in doc["rows"]] == ["ORCL", "CRWV", "AMD", "NVDA"]
    for r in doc["rows"]:
        for k in (
            "method",
            "spread_bp",
            "spread_bp_since",
            "change_bp",
            "change_20d_bp",
            "distance_to_default",
            "pd_1y",
            "benchmark",
            "spread_bp_low",
            "spread_bp_high",
            "term_structure",
            "debt",
        ):
            assert k in r
        assert r["spread_bp_low"] <= r["spread_bp"] <= r["spread_bp_high"]
        assert [t["tenor_years"] for t in r["term_structure"]] == [1.0, 3.0, 5.0, 7.0, 10.0]
        assert isinstance(r["spread_bp"], float) and isinstance(r["change_bp"], float)
        assert r["change_bp"] == pytest.approx(r["spread_bp"] - r["spread_bp_since"], abs=0.02)
        assert set(r["benchmark"]) >= {"series", "change_bp"}
    orcl = doc["rows"][0]
    # BBB OAS 2025-08-29 -> 2025-11-28, from the published percent values
    hy = data["fred"]["BAMLC0A4CBBB"]
    assert orcl["benchmark"] == {
        **orcl["benchmark"],
        "series": "BAMLC0A4CBBB",
        # FRED usable from the next session: the last observations strictly before each day
        "change_bp": pytest.approx(
            hy[hy.index < "2025-11-28"].dropna().iloc[-1] - hy[hy.index < "2025-08-29"].dropna().iloc[-1], abs=0.01
        ),
    }
    assert isinstance(rep.summary(), str) and len(rep.to_frame()) == 4


def test_crwv_before_listing_is_omitted_with_warning(data):
    rep = build_spread_report(
        data["closes"], data["fund"], data["rates"], data["fred"], as_of="2025-03-03", since="2025-01-02"
    )
    syms = [r.symbol for r in rep.rows]
    assert "CRWV" not in syms and "ORCL" in syms
    assert any("CRWV" in w for w in rep.warnings)
    with pytest.raises(InsufficientData, match="CRWV"):
        build_spread_report(
            data["closes"],
            data["fund"],
            data["rates"],
            data["fred"],
            as_of="2025-03-03",
            since="2025-01-02",
            symbols=["CRWV"],
        )
    with pytest.raises(DataError, match="after"):
        build_spread_report(
            data["closes"], data["fund"], data["rates"], data["fred"], as_of="2025-03-03", since="2025-04-01"
        )


def test_missing_debt_or_shares_is_a_clear_error_not_a_number(data):
    f = data["fund"].copy()
    f.loc[f["symbol"] == "NVDA", ["short_term_debt", "long_term_debt", "total_debt"]] = np.nan
    with pytest.raises(InsufficientData, match="NVDA: no filing with debt"):
        build_spread_report(
            data["closes"], f, data["rates"], data["fred"], as_of="2025-11-28", since="2025-09-02", symbols=["NVDA"]
        )
    f = data["fund"].copy()
    f.loc[f["symbol"] == "NVDA", ["shares_outstanding", "weighted_avg_basic_shares"]] = np.nan
    p = compute_spread_panel(data["closes"], f, data["rates"], data["fred"], symbols=["NVDA", "ORCL"])
    assert "NVDA" in p.skipped and "share count" in p.skipped["NVDA"]
    assert p.symbols == ["ORCL"]


def test_zero_or_negative_equity_rejected(data):
    c = data["closes"].copy()
    c.loc["2025-10-01", "ORCL"] = 0.0
    with pytest.raises(InsufficientData, match="ORCL: close <= 0 on 2025-10-01"):
        build_spread_report(
            c, data["fund"], data["rates"], data["fred"], as_of="2025-11-28", since="2025-09-02", symbols=["ORCL"]
        )
    f = data["fund"].copy()
    f.loc[f["symbol"] == "ORCL", "shares_outstanding"] = -5.0
    p = compute_spread_panel(data["closes"], f, data["rates"], data["fred"], symbols=["ORCL"])
    assert "equity value must be positive" in p.skipped["ORCL"]


def test_widening_hand_series():
    idx = pd.bdate_range("2025-01-01", periods=300)
    s = pd.Series(np.arange(300, dtype=float), index=idx)
    w = compute_widening(s, since=idx[100], as_of=idx[-1], change_window=20, z_window=252)
    assert w["level"] == 299.0 and w["level_since"] == 100.0 and w["change"] == 199.0
    assert w["change_short"] == 20.0
    tail = np.arange(48, 300, dtype=float)
    assert w["z"] == pytest.approx((299 - tail.mean()) / tail.std(ddof=1))


# ---------------------------------------------------------------- short listings and leases


def test_crwv_vol_is_pooled_with_peers_hand_computation(data):
    """CRWV (listed 2025-03-28) on 2025-10-06 with the 250-session window estimator, with
    CRWV configured in the investment-grade class (by default it is high yield and has no
    peer in the watchlist; this pins the pooling arithmetic):
    own vol from its returns after the first 21, pooled with the root-mean variance of
    ORCL, AMD and NVDA (full 250-return windows), the peers standing for the missing
    sessions. Everything recomputed here with numpy from the closes. The hand formula is
    the classical sample variance, so the estimator is pinned to ``squared`` (the pooling
    is what this test is about; the MedRV default is checked in the next test)."""
    c = data["closes"]
    p = compute_spread_panel(
        c,
        data["fund"],
        data["rates"],
        data["fred"],
        symbols=["CRWV", "ORCL"],
        params=CreditParams(
            vol_method="window",
            vol_estimator="squared",
            risk_classes=(("ORCL", "ig"), ("AMD", "ig"), ("NVDA", "ig"), ("CRWV", "ig")),
            oas_prior_weight=0.0,
        ),
    )
    got = p.names[p.names["symbol"] == "CRWV"].set_index("date").loc["2025-10-06"]
    r = np.diff(np.log(c["CRWV"].loc[:"2025-10-06"].dropna().to_numpy()))
    own = r[21:]
    n = len(own)
    assert n == 110  # 132 NYSE sessions 2025-03-28..2025-10-06 -> 131 returns, 21 left out
    own_var = np.var(own, ddof=1) * 252
    peer_var = np.mean(
        [
            np.var(np.diff(np.log(c[s].loc[:"2025-10-06"].dropna().to_numpy()))[-250:], ddof=1) * 252
            for s in ("ORCL", "AMD", "NVDA")
        ]
    )
    expect = math.sqrt((n * own_var + (250 - n) * peer_var) / 250)
    assert got["equity_vol_own"] == pytest.approx(math.sqrt(own_var), rel=1e-9)
    assert got["vol_prior_weight"] == pytest.approx((250 - n) / 250)
    assert got["equity_vol"] == pytest.approx(expect, rel=1e-9)
    # ORCL has a full window: untouched by the prior, and not a "listing" (no month left out)
    o = p.names[p.names["symbol"] == "ORCL"].set_index("date").loc["2025-10-06"]
    ro = np.diff(np.log(c["ORCL"].loc[:"2025-10-06"].to_numpy()))[-250:]
    assert o["equity_vol"] == pytest.approx(np.std(ro, ddof=1) * math.sqrt(252), rel=1e-9)
    assert o["vol_prior_weight"] == 0.0


def _medrv_var(r: np.ndarray) -> float:
    """Annualised MedRV variance of returns ``r`` written out (Andersen, Dobrev and
    Schaumburg 2012): pi/(6 - 4 sqrt 3 + pi) * mean of the squared medians of |r| triples."""
    med = [sorted(abs(x) for x in r[i - 2 : i + 1])[1] for i in range(2, len(r))]
    return math.pi / (6 - 4 * math.sqrt(3) + math.pi) * float(np.mean(np.square(med))) * 252


def test_crwv_medrv_vol_pooled_with_peers_hand_computation(data):
    # same point as above with MedRV terms (pinned: the previous default): CRWV's 110 kept
    # returns give 108 triples; each peer's last 250 returns give 248
    c = data["closes"]
    p = compute_spread_panel(
        c,
        data["fund"],
        data["rates"],
        data["fred"],
        symbols=["CRWV", "ORCL"],
        params=CreditParams(
            vol_method="window",
            vol_estimator="medrv",
            risk_classes=(("ORCL", "ig"), ("AMD", "ig"), ("NVDA", "ig"), ("CRWV", "ig")),
            oas_prior_weight=0.0,
        ),
    )
    got = p.names[p.names["symbol"] == "CRWV"].set_index("date").loc["2025-10-06"]
    own = np.diff(np.log(c["CRWV"].loc[:"2025-10-06"].dropna().to_numpy()))[21:]
    peer_var = np.mean(
        [
            _medrv_var(np.diff(np.log(c[s].loc[:"2025-10-06"].dropna().to_numpy()))[-250:])
            for s in ("ORCL", "AMD", "NVDA")
        ]
    )
    assert got["equity_vol_own"] == pytest.approx(math.sqrt(_medrv_var(own)), rel=1e-9)
    assert got["equity_vol"] == pytest.approx(math.sqrt((110 * _medrv_var(own) + 140 * peer_var) / 250), rel=1e-9)


def _downside_var(r: np.ndarray) -> float:
    """Annualised doubled downside semivariance written out: 2 * mean(min(r, 0)^2) * 252."""
    return 2.0 * float(np.mean([x * x if x < 0 else 0.0 for x in r])) * 252


def test_crwv_default_downside_vol_pooled_with_peers_hand_computation(data):
    # the default estimator: only falls count, twice. Same point and pooling as above.
    assert CreditParams().vol_estimator == "downside"
    c = data["closes"]
    p = compute_spread_panel(
        c,
        data["fund"],
        data["rates"],
        data["fred"],
        symbols=["CRWV", "ORCL"],
        params=CreditParams(
            vol_method="window",
            risk_classes=(("ORCL", "ig"), ("AMD", "ig"), ("NVDA", "ig"), ("CRWV", "ig")),
            oas_prior_weight=0.0,
        ),
    )
    got = p.names[p.names["symbol"] == "CRWV"].set_index("date").loc["2025-10-06"]
    own = np.diff(np.log(c["CRWV"].loc[:"2025-10-06"].dropna().to_numpy()))[21:]
    assert len(own) == 110
    peer_var = np.mean(
        [
            _downside_var(np.diff(np.log(c[s].loc[:"2025-10-06"].dropna().to_numpy()))[-250:])
            for s in ("ORCL", "AMD", "NVDA")
        ]
    )
    assert got["equity_vol_own"] == pytest.approx(math.sqrt(_downside_var(own)), rel=1e-9)
    assert got["equity_vol"] == pytest.approx(math.sqrt((110 * _downside_var(own) + 140 * peer_var) / 250), rel=1e-9)


def test_orcl_default_blend_vol_hand_computation(data):
    """ORCL on 2025-11-25 with the default blend: mean of the 250-return window and the
    30-session half-life EWMA (over every return since 2024-01-02) of 2*min(r,0)^2.
    ORCL has a full window, so no prior enters."""
    c = data["closes"]
    p = compute_spread_panel(c, data["fund"], data["rates"], data["fred"], symbols=["ORCL"])
    got = p.names.set_index("date").loc["2025-11-25"]
    r = np.diff(np.log(c["ORCL"].loc[:"2025-11-25"].to_numpy()))
    semi = 2.0 * np.minimum(r, 0.0) ** 2
    w = (0.5 ** (1 / 30.0)) ** np.arange(len(r))[::-1]
    var = 0.5 * (semi[-250:].mean() + np.sum(w * semi) / w.sum())
    assert got["equity_vol_own"] == pytest.approx(math.sqrt(var * 252), rel=1e-9)
    assert got["vol_prior_weight"] == 0.0
    # rating-class shrinkage: sigma^2 = 0.5 own^2 + 0.5 s^2 where s makes CreditGrades hit the
    # BBB OAS published for the previous session (2025-11-24), 0.1 bp tolerance
    from aimonitor.analytics.credit import creditgrades_spread

    s_oas = math.sqrt(2 * got["equity_vol"] ** 2 - got["equity_vol_own"] ** 2)
    bbb = data["fred"]["BAMLC0A4CBBB"].loc["2025-11-24"]
    cg = creditgrades_spread(got["close"], s_oas, got["debt_per_share"], got["rate"], lbar=0.5, lam=0.3, recovery=0.4)
    assert float(cg) == pytest.approx(bbb, abs=0.1)


def test_proxy_does_not_widen_on_isolated_positive_price_jump(data, panel):
    """ORCL +36% on 2025-09-10 ($455B backlog) and AMD +24% on 2025-10-06 (OpenAI deal).
    A higher share price lowers leverage; with the diffusive volatility unchanged the
    CreditGrades spread falls (dc/dS < 0), and neither filed more debt per share that day.
    Bound: change <= +0.5 bp (half a CDS quoting unit). The classical squared-return
    estimator widened ORCL by +173 bp here (the bug this guards against)."""
    c = data["closes"]
    assert c.loc["2025-09-10", "ORCL"] / c.loc["2025-09-09", "ORCL"] - 1 == pytest.approx(0.3595, abs=1e-4)
    assert c.loc["2025-10-06", "AMD"] / c.loc["2025-10-03", "AMD"] - 1 == pytest.approx(0.2371, abs=1e-4)
    o, a = panel.series("ORCL"), panel.series("AMD")
    assert o.loc["2025-09-10"] - o.loc["2025-09-09"] <= 0.5
    assert a.loc["2025-10-06"] - a.loc["2025-10-03"] <= 0.5
    q = load_cds_quotes_csv(FIX / "cds_reference_points.csv")
    kw: dict[str, Any] = dict(symbols=["ORCL"])
    cal = compute_spread_panel(c, data["fund"], data["rates"], data["fred"], q, **kw).series("ORCL")
    assert cal.loc["2025-09-10"] - cal.loc["2025-09-09"] <= 0.5
    # the default 20-session warning rule (> 40 bp) stays quiet on the good news, while the
    # calibrated proxy still widens by more than that in the autumn stress (CDS ~60 -> ~125)
    d20 = cal.diff(20)
    assert d20.loc["2025-09-10":"2025-10-08"].max() < 40
    assert d20.loc["2025-10-15":"2025-11-28"].max() > 40
    old = compute_spread_panel(
        c,
        data["fund"],
        data["rates"],
        data["fred"],
        **kw,
        params=CreditParams(vol_estimator="squared", oas_prior_weight=0),
    ).series("ORCL")
    assert old.loc["2025-09-10"] - old.loc["2025-09-09"] > 100


def test_unknown_vol_estimator_rejected(data):
    with pytest.raises(ValueError, match="vol_estimator"):
        compute_spread_panel(
            data["closes"],
            data["fund"],
            data["rates"],
            data["fred"],
            symbols=["ORCL"],
            params=CreditParams(vol_estimator="garch"),
        )


def test_crwv_widens_september_to_november(panel):
    # CRWV fell from 93.34 to 71.29 and its filed debt rose from $11.05B to $14.03B between
    # 2025-09-02 and 2025-11-25; its 5y CDS widened by about +280 bp (public reports). The
    # proxy must widen too (the previous own-vol estimator gave -407 bp: falling IPO vol).
    c = panel.series("CRWV")
    assert c.loc["2025-11-25"] - c.loc["2025-09-02"] > 100
    o = panel.series("ORCL")
    assert o.loc["2025-11-25"] - o.loc["2025-09-02"] > 30


def test_operating_leases_added_to_creditgrades_debt_on_request(data):
    # volatility from the equity only (the OAS-implied parts depend on D themselves)
    kw: dict[str, Any] = dict(symbols=["CRWV"])
    eq: dict[str, Any] = dict(vol_prior="peers", oas_prior_weight=0.0)
    base = compute_spread_panel(
        data["closes"], data["fund"], data["rates"], data["fred"], **kw, params=CreditParams(**eq)
    )
    with_l = compute_spread_panel(
        data["closes"],
        data["fund"],
        data["rates"],
        data["fred"],
        **kw,
        params=CreditParams(debt_includes_leases=True, **eq),
    )
    b = base.names.set_index("date").loc["2025-11-25"]
    w = with_l.names.set_index("date").loc["2025-11-25"]
    # 10-Q for 2025-09-30 (filed 2025-11-13): debt 14,034.93M, operating leases 4,724.341M;
    # share count 479,977,100 (10-Q filed 2025-05-15, the latest point-in-time count)
    assert b["debt_per_share"] == pytest.approx(14_034_930_000 / 479_977_100, rel=1e-6)
    assert w["debt_per_share"] == pytest.approx((14_034_930_000 + 4_724_341_000) / 479_977_100, rel=1e-6)
    assert w["spread_bp"] > b["spread_bp"]
    # Merton / naive DD default point unchanged (leases only enter CreditGrades' D)
    assert w["dd_merton"] == pytest.approx(b["dd_merton"])


def test_vol_prior_none_restores_own_vol(data):
    p = compute_spread_panel(
        data["closes"],
        data["fund"],
        data["rates"],
        data["fred"],
        symbols=["CRWV"],
        params=CreditParams(vol_prior="none", listing_exclude_sessions=0, oas_prior_weight=0.0),
    )
    n = p.names.set_index("date")
    assert (n["equity_vol"].dropna() == n["equity_vol_own"].dropna()).all()
    assert (n["vol_prior_weight"] == 0).all()
    with pytest.raises(ValueError, match="vol_prior"):
        compute_spread_panel(
            data["closes"],
            data["fund"],
            data["rates"],
            data["fred"],
            symbols=["CRWV"],
            params=CreditParams(vol_prior="sector"),
        )
